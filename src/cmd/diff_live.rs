//! `berth diff PATH...`: the plan against the live engine, rendered instead
//! of executed (by `report::render_plan`). Exit 0 no change, 1 changes, 2
//! error.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::converge::{self, Settings};
use crate::report;

use super::live::{block_on, connect_nodes};
use super::project::resolve_project;
use super::{load_reported, ExitStatus, Io};

pub fn run(global: &GlobalArgs, paths: &[PathBuf], io: &mut Io<'_>) -> anyhow::Result<ExitStatus> {
    let Some(loaded) = load_reported(paths, global.load_options(), io)? else {
        return Ok(ExitStatus::Error);
    };
    let mut settings = Settings::new(&resolve_project(global.project.as_deref(), paths)?);
    settings.infra_image = global.infra_image.clone();
    settings.node_grace = global.node_grace_period;
    let plan = block_on(async {
        let mut nodes = connect_nodes(global, &loaded.manifests, &settings).await?;
        let planned = {
            let mut pool = nodes.pool();
            converge::plan_pool_full(&mut pool, &loaded.manifests, &settings).await?
        };
        if planned.undeclared.is_empty() {
            return anyhow::Ok(planned.plan);
        }
        // Nodes no manifest declares any more: show their pods' removal.
        let gone = crate::nodes::connect_terminated(&planned.undeclared, super::live::now()).await;
        nodes.members.extend(gone);
        let mut pool = nodes.pool();
        anyhow::Ok(converge::plan_pool(&mut pool, &loaded.manifests, &settings).await?)
    })??;
    let counts = report::render_plan(&plan, io.out, io.err)?;
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

#[cfg(test)]
mod tests {
    use super::super::objects::fixtures;
    use super::*;
    use crate::engine::FakeEngine;
    use crate::manifest::Manifests;
    use crate::plan::Plan;
    use crate::report::{render_plan, Counts};

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
