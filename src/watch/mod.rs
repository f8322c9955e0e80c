//! `berth watch`: the GitOps loop. File events (debounced), Docker's event
//! stream and a resync timer wake one level-triggered reconcile at a time
//! (see `reconcile`); after each, a snapshot of what berth knows is
//! published for the page and the API (`serve`). One watch per project and
//! engine (`lock`). SIGINT and SIGTERM end it and leave the containers
//! running.

mod counted;
mod files;
mod follow;
pub mod lock;
pub mod log;
mod probes;
mod reconcile;
mod wake;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::converge::{Depth, Settings};
use crate::engine::{DockerEngine, Engine};
use crate::serve::{self, ServeState};
use crate::snapshot::{EngineStatus, Snapshot, Trigger};

pub use counted::{Counted, Ledger};
pub use follow::Followed;
pub use lock::{LockError, ProjectLock};
pub use log::LogFormat;
pub use reconcile::{Config, Connector, Following, NodeConnector, Reconciler};
pub use wake::{debounce, Backoff, Wake};

/// How `watch` runs.
#[derive(Debug, Clone)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    pub settings: Settings,
    /// How the manifests are read (`--strict`, the caps).
    pub load: crate::manifest::LoadOptions,
    pub allow_empty: bool,
    pub listen: SocketAddr,
    pub resync: Duration,
    /// Quiet time after the last file event before the files are read.
    pub debounce: Duration,
    /// The Docker endpoint (`DOCKER_HOST` or the local socket).
    pub endpoint: String,
    /// The node controller's options (`--machines`, probing, grace).
    pub nodes: crate::nodes::NodeOptions,
}

/// Quiet time after Docker's last drift event (a `docker rm -f` is a kill,
/// a die and a destroy within milliseconds).
const DOCKER_QUIET: Duration = Duration::from_millis(100);
/// A source that never goes quiet is looked at after this anyway.
const MAX_QUIET: Duration = Duration::from_secs(2);
/// How long shutdown waits for a reconcile under way, and for the server.
const STOP_GRACE: Duration = Duration::from_secs(3);

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("cannot listen on {addr}: {source} (is another berth watch using it? --listen picks another address)")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Files(#[from] files::WatchError),
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Runs the loop on the Docker engine at `options.endpoint` until
/// `shutdown` completes.
pub async fn run(options: Options, shutdown: impl Future<Output = ()>) -> Result<(), WatchError> {
    let project = options.settings.project.clone();
    let paths_text = options
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let holder = |page: &str| {
        format!(
            "berth watch {paths_text} (pid {}, page {page}, since {})",
            std::process::id(),
            crate::timefmt::format_rfc3339(unix_now())
        )
    };
    let mut lock = ProjectLock::acquire(&project, &options.endpoint, &holder("starting"))?;
    let listener =
        TcpListener::bind(options.listen)
            .await
            .map_err(|source| WatchError::Listen {
                addr: options.listen,
                source,
            })?;
    let addr = listener.local_addr().unwrap_or(options.listen);
    let page = format!("http://{addr}/");
    let _ = lock.describe(&holder(&page));
    tracing::info!(project = %project, "watching {paths_text}; the page and the API are at {page}");

    let first = Snapshot {
        project: project.clone(),
        paths: options.paths.clone(),
        started_at: unix_now(),
        taken_at: unix_now(),
        engine: EngineStatus {
            endpoint: options.endpoint.clone(),
            ..EngineStatus::default()
        },
        ..Snapshot::default()
    };
    let (snapshots, snapshot_rx) = watch::channel(Arc::new(first.clone()));
    let (stop, stopped) = watch::channel(false);
    let server = tokio::spawn(serve::serve(
        listener,
        ServeState::new(snapshot_rx.clone()),
        until_true(stopped.clone()),
    ));

    let wake = Wake::new();
    let (file_tx, file_rx) = mpsc::channel(1);
    let mut file_watch = files::FileWatch::start(&options.paths, file_tx)?;
    let file_task = tokio::spawn(debounce(
        file_rx,
        options.debounce,
        MAX_QUIET,
        wake.clone(),
        Trigger::Files,
    ));

    let endpoint = options.endpoint.clone();
    let connect: Connector<DockerEngine> = Box::new(move || {
        let endpoint = endpoint.clone();
        async move { DockerEngine::connect_to(&endpoint).await.map(Arc::new) }.boxed()
    });
    let config = Config {
        paths: options.paths.clone(),
        settings: options.settings.clone(),
        load: options.load.clone(),
        allow_empty: options.allow_empty,
        poll: Duration::from_millis(500),
        retry_cap: options.resync.max(Duration::from_secs(1)),
    };
    let (engines, engine_rx) = watch::channel(None);
    let prober = tokio::spawn(probes::run(
        project.clone(),
        engine_rx.clone(),
        snapshot_rx.clone(),
        wake.clone(),
    ));
    let followed = Arc::new(Followed::default());
    let ledger = Arc::new(Ledger::default());
    let (drift_tx, drift_rx) = mpsc::channel(1);
    let follower = tokio::spawn(follow::follow(
        engine_rx,
        project.clone(),
        followed.clone(),
        drift_tx.clone(),
        wake.clone(),
        ledger.clone(),
        follow::reconnect_backoff(),
    ));
    let docker_task = tokio::spawn(debounce(
        drift_rx,
        DOCKER_QUIET,
        MAX_QUIET,
        wake.clone(),
        Trigger::Docker,
    ));
    let node_connect: NodeConnector<DockerEngine> = Box::new(|spec| {
        let spec = spec.clone();
        async move { crate::nodes::connect_node(&spec).await.map(Arc::new) }.boxed()
    });
    let reconciler = Reconciler::new(config, connect, engines, followed, ledger, snapshots, first)
        .with_nodes(
            options.nodes.clone(),
            options.endpoint.clone(),
            node_connect,
            Some(Following {
                project: project.clone(),
                drift: drift_tx,
                wake: wake.clone(),
            }),
        );

    wake.trigger(Trigger::Start);
    let mut rewatch = move || {
        file_watch.ensure_watched();
    };
    drive(reconciler, wake, options.resync, &mut rewatch, shutdown).await;

    tracing::info!(project = %project, "stopping; the containers keep running");
    let _ = stop.send(true);
    follower.abort();
    prober.abort();
    file_task.abort();
    docker_task.abort();
    if tokio::time::timeout(STOP_GRACE, server).await.is_err() {
        tracing::debug!("the page's open streams did not close in time");
    }
    drop(lock);
    Ok(())
}

async fn until_true(mut flag: watch::Receiver<bool>) {
    while !*flag.borrow_and_update() {
        if flag.changed().await.is_err() {
            return;
        }
    }
}

/// The loop: wait for a trigger, the resync timer or the next look the
/// last reconcile asked for; reconcile; repeat until `shutdown`. A
/// reconcile under way when `shutdown` comes gets `STOP_GRACE` to finish.
pub async fn drive<E: Engine + 'static>(
    mut reconciler: Reconciler<E>,
    wake: Arc<Wake>,
    resync: Duration,
    rewatch: &mut (dyn FnMut() + Send),
    shutdown: impl Future<Output = ()>,
) {
    let shutdown = shutdown.fuse();
    tokio::pin!(shutdown);
    let mut next_resync = Instant::now() + resync;
    let mut look_again: Option<Instant> = None;
    loop {
        let triggers = tokio::select! {
            _ = &mut shutdown => return,
            triggers = wake.wait() => triggers,
            _ = tokio::time::sleep_until(next_resync) => vec![Trigger::Resync],
            _ = sleep_until_some(look_again) => vec![Trigger::Retry],
        };
        rewatch();
        let reconcile = reconciler.reconcile(triggers);
        tokio::pin!(reconcile);
        let next = tokio::select! {
            next = &mut reconcile => next,
            _ = &mut shutdown => {
                let _ = tokio::time::timeout(STOP_GRACE, reconcile).await;
                return;
            }
        };
        next_resync = Instant::now() + resync;
        look_again = next.map(|d| Instant::now() + d);
    }
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// `Settings` for the loop: no waiting on rollouts (it looks again), every
/// container inspected through the event-following cache.
pub fn loop_settings(mut settings: Settings) -> Settings {
    settings.wait_for_rollouts = false;
    settings.depth = Depth::Full;
    settings
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
