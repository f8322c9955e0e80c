//! The command layer: one function per command, each returning an
//! `ExitStatus`; output goes through `report` into the given streams.

mod apply;
mod delete;
mod describe;
mod describe_apps;
mod describe_config;
mod describe_node;
mod describe_service;
mod describe_spec;
mod diff;
mod diff_live;
mod events;
mod get;
mod get_live;
mod listing;
mod live;
mod project;
mod rollout;
mod validate;
mod watch;

use std::io::{self, Write};
use std::path::PathBuf;

use crate::cli::{Cli, Command};
use crate::manifest::{self, LoadOptions, Loaded};
use crate::report;

pub use project::{default_project, resolve_project, sanitize_project};

// The declared objects' JSON now lives in `kube`; `diff --base` compares it.
use crate::kube::objects;

/// How a command ended, mapped by `main` to the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done; for `diff`, no changes.
    Success,
    /// 1: the command worked but the answer is "no" (changes found, object
    /// not found, some pods could not be converged).
    Failure,
    /// 2: invalid input or an unreachable engine; nothing was changed.
    Error,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status.code())
    }
}

/// Where a command writes: results to `out`, diagnostics and errors to `err`.
pub struct Io<'a> {
    pub out: &'a mut (dyn Write + Send),
    pub err: &'a mut (dyn Write + Send),
}

/// Runs one parsed command line. An `Err` is an error of the command itself
/// (exit 2); a failed write to a closed pipe surfaces as an `io::Error` so
/// that `main` can end quietly.
pub fn run(cli: Cli, io: &mut Io<'_>) -> anyhow::Result<ExitStatus> {
    let global = cli.global;
    match cli.command {
        Command::Validate(args) => validate::run(&global, &args, io),
        Command::Get(args) => get::run(&global, &args, io),
        Command::Diff(args) => match &args.base {
            Some(base) => diff::run_base(&global, base, &args.paths, io),
            None => diff_live::run(&global, &args.paths, io),
        },
        Command::Apply(args) => apply::run(&global, &args, io),
        Command::Describe(args) => describe::run(&global, &args, io),
        Command::Delete(args) => delete::run(&global, &args, io),
        Command::Events(args) => events::run(&global, &args.scope, args.output, io),
        Command::Watch(args) => watch::run(&global, &args, io),
        Command::Rollout(args) => rollout::run(&global, &args, io),
    }
}

/// Loads `paths`, prints every diagnostic to `io.err`, and returns the
/// result only when it has no errors.
pub(crate) fn load_reported(
    paths: &[PathBuf],
    options: LoadOptions,
    io: &mut Io<'_>,
) -> io::Result<Option<Loaded>> {
    let loaded = manifest::load(paths, options);
    report::diagnostics(io.err, &loaded.diagnostics)?;
    if loaded.has_errors() {
        Ok(None)
    } else {
        Ok(Some(loaded))
    }
}

/// True when `error` (or any of its causes) is a write to a closed pipe.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
