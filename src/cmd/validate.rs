//! `berth validate PATH...`: load and check, no Docker; exit 0 (warnings
//! allowed) or 2.

use crate::cli::{GlobalArgs, ValidateArgs};
use crate::manifest;
use crate::report;

use super::{ExitStatus, Io};

pub fn run(
    global: &GlobalArgs,
    args: &ValidateArgs,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    let loaded = manifest::load(&args.paths, global.load_options());
    report::diagnostics(io.err, &loaded.diagnostics)?;
    let errors = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = loaded.diagnostics.len() - errors;
    let objects = loaded.manifests.object_count();
    if errors == 0 {
        report::validate_summary(io.out, objects, loaded.files, errors, warnings)?;
        Ok(ExitStatus::Success)
    } else {
        report::validate_summary(io.err, objects, loaded.files, errors, warnings)?;
        Ok(ExitStatus::Error)
    }
}
