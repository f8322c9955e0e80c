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
    // In sync: nothing on stdout, as `kubectl diff`.
    if !plan.is_empty() {
        report::diff_summary(io.out, counts.added, counts.changed, counts.removed)?;
    }
    if converge::would_remove_everything(&loaded.manifests, &plan) {
        writeln!(
            io.err,
            "note: the paths declare no objects: `berth apply` refuses to remove every pod of \
             project {} unless given --allow-empty",
            settings.project
        )?;
    }
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
            Action::Retry {
                reason, message, ..
            } => {
                counts.changed += 1;
                report::change_line(
                    out,
                    Mark::Failed,
                    &format!("{object} (waiting: {reason}: {message}; apply retries it)"),
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

#[cfg(test)]
mod tests {
    use super::super::objects::fixtures;
    use super::*;
    use crate::engine::FakeEngine;
    use crate::manifest::Manifests;

    fn render(plan: &Plan) -> (Counts, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let counts = render_plan(plan, &mut out, &mut err).unwrap();
        out.extend(err);
        (
            counts,
            anstream::adapter::strip_str(&String::from_utf8(out).unwrap()).to_string(),
        )
    }

    #[test]
    fn a_live_plan_renders_created_changed_and_removed_pods() {
        let (before, after) = crate::cmd::live::block_on(async {
            let engine = FakeEngine::new();
            engine.add_image("busybox:1");
            engine.add_image(crate::cli::DEFAULT_INFRA_IMAGE);
            let settings = Settings::new("p");
            let old = Manifests {
                pods: vec![
                    fixtures::pod("default", "web", &[]),
                    fixtures::pod("default", "gone", &[]),
                ],
                ..Default::default()
            };
            let before = converge::plan(&engine, &old, &settings).await.unwrap();
            converge::apply(&engine, &old, &settings, &mut |_| {})
                .await
                .unwrap();
            let mut new = Manifests {
                pods: vec![
                    fixtures::pod("default", "web", &[]),
                    fixtures::pod("default", "new", &[]),
                ],
                ..Default::default()
            };
            new.pods[0].spec.containers[0].image = "busybox:2".into();
            (
                before,
                converge::plan(&engine, &new, &settings).await.unwrap(),
            )
        })
        .unwrap();
        let (counts, text) = render(&before);
        assert_eq!(
            counts,
            Counts {
                added: 2,
                changed: 0,
                removed: 0
            }
        );
        assert_eq!(text, "+ pod default/gone\n+ pod default/web\n");
        let (counts, text) = render(&after);
        assert_eq!(
            counts,
            Counts {
                added: 1,
                changed: 1,
                removed: 1
            }
        );
        assert!(text.contains("+ pod default/new\n"), "{text}");
        assert!(
            text.contains("- pod default/gone (no longer declared)\n"),
            "{text}"
        );
        assert!(
            text.contains("~ pod default/web (spec changed)\n--- a/pod/default/web\n"),
            "{text}"
        );
        assert!(
            text.contains("\n-    image: busybox:1\n+    image: busybox:2\n"),
            "{text}"
        );
    }
}
