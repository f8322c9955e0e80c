//! `berth diff PATH...`: the plan against the live engine, rendered instead
//! of executed: one line per action and, for a changed pod, the unified diff
//! of its last applied spec against the desired one. Exit 0 no change, 1
//! changes, 2 error.

use std::io::{self, Write};
use std::path::PathBuf;

use serde_json::Value;

use crate::cli::GlobalArgs;
use crate::converge::{self, Settings};
use crate::plan::{Action, Plan, RecreateWhy, RemoveWhy};
use crate::report::{self, Mark};

use super::diff::{canonical, Counts};
use super::live::{block_on, connect};
use super::project::resolve_project;
use super::{load_reported, ExitStatus, Io};

pub fn run(global: &GlobalArgs, paths: &[PathBuf], io: &mut Io<'_>) -> anyhow::Result<ExitStatus> {
    let Some(loaded) = load_reported(paths, global.strict, io)? else {
        return Ok(ExitStatus::Error);
    };
    let mut settings = Settings::new(&resolve_project(global.project.as_deref(), paths)?);
    settings.infra_image = global.infra_image.clone();
    let plan = block_on(async {
        let engine = connect().await?;
        anyhow::Ok(converge::plan(&engine, &loaded.manifests, &settings).await?)
    })??;
    let counts = render_plan(&plan, io.out, io.err)?;
    report::diff_summary(io.out, counts.added, counts.changed, counts.removed)?;
    Ok(if plan.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

fn why_removed(why: RemoveWhy) -> &'static str {
    match why {
        RemoveWhy::NotDeclared => "no longer declared",
        RemoveWhy::ScaledDown => "scaled down",
        RemoveWhy::Replaced => "replaced by the new template",
        RemoveWhy::Failed => "failed; its controller replaces it",
    }
}

/// Renders every action of `plan` (and its notes); returns the counts.
pub(crate) fn render_plan(
    plan: &Plan,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Counts> {
    let mut counts = Counts::default();
    for action in &plan.actions {
        let object = action.object();
        match action {
            Action::Create { .. } | Action::CreateController { .. } => {
                counts.added += 1;
                report::change_line(out, Mark::Added, &object)?;
            }
            Action::Recreate {
                why: RecreateWhy::SpecChanged { old_json, new_json },
                ..
            } => {
                counts.changed += 1;
                report::change_line(out, Mark::Changed, &format!("{object} (spec changed)"))?;
                let path = object.replace(' ', "/");
                report::unified_diff(
                    out,
                    &format!("a/{path}"),
                    &format!("b/{path}"),
                    &yaml(old_json),
                    &yaml(new_json),
                )?;
            }
            Action::Repair { message, .. } => {
                counts.changed += 1;
                report::change_line(
                    out,
                    Mark::Repaired,
                    &format!("{object} (repair: {message})"),
                )?;
            }
            Action::UpdateController { controller, old } => {
                counts.changed += 1;
                let what = if old.template_hash == controller.template_hash {
                    format!("replicas {} → {}", old.replicas, controller.replicas)
                } else {
                    "template changed".to_string()
                };
                report::change_line(out, Mark::Changed, &format!("{object} ({what})"))?;
            }
            Action::Remove { why, .. } => {
                counts.removed += 1;
                report::change_line(
                    out,
                    Mark::Removed,
                    &format!("{object} ({})", why_removed(*why)),
                )?;
            }
            Action::RemoveController { .. } => {
                counts.removed += 1;
                report::change_line(
                    out,
                    Mark::Removed,
                    &format!("{object} (no longer declared)"),
                )?;
            }
        }
    }
    for network in &plan.remove_networks {
        report::change_line(
            out,
            Mark::Removed,
            &format!("network {network} (no pods left)"),
        )?;
    }
    for note in &plan.waiting {
        report::change_line(
            out,
            Mark::Waiting,
            &format!("{} waiting ({})", note.object, note.message),
        )?;
    }
    for note in &plan.errors {
        report::error_message(err, &format!("{}: {}", note.object, note.message))?;
    }
    Ok(counts)
}

/// A JSON spec as YAML, so a diff shows one field per line.
fn yaml(json: &str) -> String {
    match serde_json::from_str::<Value>(json) {
        Ok(value) => canonical(&value),
        Err(_) => format!("{json}\n"),
    }
}
