//! The `berth` binary: parse flags, run one command, map its result to the
//! exit code (0/1/2), print the error chain. A closed pipe ends quietly.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use berth::cli::Cli;
use berth::cmd::{self, ExitStatus, Io};
use berth::report;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = anstream::stdout();
    let mut err = anstream::stderr();
    let result = cmd::run(
        cli,
        &mut Io {
            out: &mut out,
            err: &mut err,
        },
    );
    let flushed = out.flush();
    match (result, flushed) {
        (Ok(status), Ok(())) => status.into(),
        (Ok(_), Err(error)) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        (Ok(_), Err(error)) => fail(&mut err, &error.into()),
        (Err(error), _) if cmd::is_broken_pipe(&error) => ExitCode::SUCCESS,
        (Err(error), _) => fail(&mut err, &error),
    }
}

fn fail(err: &mut dyn Write, error: &anyhow::Error) -> ExitCode {
    let _ = report::error(err, error);
    ExitStatus::Error.into()
}
