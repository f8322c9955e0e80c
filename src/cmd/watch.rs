//! `berth watch PATH...`: starts the loop (`crate::watch`) with the command
//! line's settings, until SIGINT or SIGTERM. Exit 0 when stopped, 2 when it
//! cannot start (the project already watched, the address taken).

use crate::cli::{GlobalArgs, WatchArgs};
use crate::engine::docker::default_endpoint;
use crate::report;
use crate::watch::{self, Options};

use super::apply::converge_settings;
use super::{ExitStatus, Io};

pub fn run(global: &GlobalArgs, args: &WatchArgs, io: &mut Io<'_>) -> anyhow::Result<ExitStatus> {
    let settings = converge_settings(global, &args.converge, &args.paths)?;
    let options = Options {
        paths: args.paths.clone(),
        settings: watch::loop_settings(settings),
        strict: global.strict,
        allow: global.load_options().allow,
        allow_empty: args.converge.allow_empty,
        listen: args.listen,
        resync: args.resync,
        debounce: args.debounce,
        endpoint: default_endpoint(),
        nodes: global.node_options(),
    };
    watch::log::init(args.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    match runtime.block_on(watch::run(options, stop_signal())) {
        Ok(()) => Ok(ExitStatus::Success),
        Err(error) => {
            report::error_message(io.err, &error.to_string())?;
            Ok(ExitStatus::Error)
        }
    }
}

/// SIGINT (Ctrl-C) or SIGTERM.
async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
