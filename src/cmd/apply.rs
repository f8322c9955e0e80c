//! `berth apply PATH...`: load (invalid input touches nothing), guard
//! against an empty manifest set, converge once and print each change as it
//! happens. Exit 0 converged, 1 some pods could not be, 2 invalid input or
//! an unreachable engine.

use std::io::{self, Write};

use crate::cli::{ApplyArgs, ConvergeArgs, GlobalArgs};
use crate::converge::{self, Change, Outcome, Settings, Verb};
use crate::manifest::Manifests;
use crate::report::{self, Mark};

use super::live::{block_on, connect_nodes};
use super::project::resolve_project;
use super::{load_reported, ExitStatus, Io};

pub fn run(global: &GlobalArgs, args: &ApplyArgs, io: &mut Io<'_>) -> anyhow::Result<ExitStatus> {
    let Some(loaded) = load_reported(&args.paths, global.load_options(), io)? else {
        report::error_message(io.err, "the manifests are invalid; nothing was applied")?;
        return Ok(ExitStatus::Error);
    };
    let settings = settings(global, args, &args.paths)?;
    block_on(async {
        let mut nodes = connect_nodes(global, &loaded.manifests, &settings).await?;
        if loaded.manifests.is_empty() && settings.prune && !args.converge.allow_empty {
            if let Some(status) =
                empty_guard(&nodes, &loaded.manifests, &settings, args, io).await?
            {
                return Ok(status);
            }
        }
        let mut sink = ChangeSink {
            out: &mut *io.out,
            err: &mut *io.err,
            failed: None,
        };
        let mut outcome =
            converge_nodes(&mut nodes, &loaded.manifests, &settings, &mut sink).await?;
        // Nodes the engines remember but no manifest declares any more:
        // their pods are deleted (controllers recreate them elsewhere).
        if !outcome.undeclared.is_empty() && sink.failed.is_none() {
            let gone =
                crate::nodes::connect_terminated(&outcome.undeclared, super::live::now()).await;
            nodes.members.extend(gone);
            let again = converge_nodes(&mut nodes, &loaded.manifests, &settings, &mut sink).await?;
            outcome = merge_outcomes(outcome, again);
        }
        if let Some(error) = sink.failed {
            return Err(error.into());
        }
        finish(&outcome, io)
    })?
}

/// One converge of the project over `nodes`, each change shown.
async fn converge_nodes(
    nodes: &mut crate::nodes::Connected,
    manifests: &Manifests,
    settings: &Settings,
    sink: &mut ChangeSink<'_>,
) -> anyhow::Result<Outcome> {
    let mut pool = nodes.pool();
    let outcome = converge::apply_pool(
        &mut pool,
        manifests,
        settings,
        &mut Default::default(),
        &mut |c| sink.show(c),
    )
    .await?;
    let statuses: Vec<_> = pool.members.iter().map(|m| m.status.clone()).collect();
    drop(pool);
    for ((_, status), new) in nodes.members.iter_mut().zip(statuses) {
        *status = new;
    }
    Ok(outcome)
}

/// The outcome of two converges in a row, as one.
fn merge_outcomes(first: Outcome, second: Outcome) -> Outcome {
    let mut changes = first.changes;
    changes.extend(second.changes);
    let mut failures = first.failures;
    failures.extend(second.failures);
    Outcome {
        changes,
        failures,
        unchanged: second.unchanged,
        ..second
    }
}

fn settings(
    global: &GlobalArgs,
    args: &ApplyArgs,
    paths: &[std::path::PathBuf],
) -> anyhow::Result<Settings> {
    let mut settings = converge_settings(global, &args.converge, paths)?;
    settings.rollout_timeout = args.timeout;
    Ok(settings)
}

/// The settings `apply` and `watch` share: project, infra image, pruning,
/// parallelism.
pub(crate) fn converge_settings(
    global: &GlobalArgs,
    args: &ConvergeArgs,
    paths: &[std::path::PathBuf],
) -> anyhow::Result<Settings> {
    let mut settings = Settings::new(&resolve_project(global.project.as_deref(), paths)?);
    settings.infra_image = global.infra_image.clone();
    settings.prune = !args.no_prune;
    settings.parallel = args.parallel.max(1);
    settings.node_grace = global.node_grace_period;
    Ok(settings)
}

/// Refuses to remove every pod of the project because the paths yielded no
/// object at all; `None` when there is nothing to protect.
async fn empty_guard(
    nodes: &crate::nodes::Connected,
    manifests: &Manifests,
    settings: &Settings,
    args: &ApplyArgs,
    io: &mut Io<'_>,
) -> anyhow::Result<Option<ExitStatus>> {
    let plan = converge::plan_pool(&mut nodes.pool(), manifests, settings).await?;
    if !converge::would_remove_everything(manifests, &plan) {
        return Ok(None);
    }
    let paths: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
    let removals = plan
        .actions
        .iter()
        .filter(|a| matches!(a, crate::plan::Action::Remove { .. }))
        .count();
    report::error_message(
        io.err,
        &format!(
            "{} declares no objects; refusing to remove {} of project {} \
             (nothing was changed; pass --allow-empty to remove them, or --no-prune to keep them)",
            paths.join(", "),
            report::plural(removals, "pod"),
            settings.project
        ),
    )?;
    Ok(Some(ExitStatus::Error))
}

/// Prints changes as `converge::apply` reports them; remembers the first
/// write error (the callback cannot return it).
struct ChangeSink<'a> {
    out: &'a mut (dyn Write + Send),
    err: &'a mut (dyn Write + Send),
    failed: Option<io::Error>,
}

impl ChangeSink<'_> {
    fn show(&mut self, change: &Change) {
        if self.failed.is_none() {
            if let Err(error) = change_line(self.out, self.err, change) {
                self.failed = Some(error);
            }
        }
    }
}

/// `+ pod default/web created`, `~ pod default/web recreated (spec changed)`,
/// `- pod default/web removed (not declared)`; failures and warnings go to
/// `err`.
pub(crate) fn change_line(
    out: &mut dyn Write,
    err: &mut dyn Write,
    change: &Change,
) -> io::Result<()> {
    let mark = match change.verb {
        Verb::Warning => {
            return report::warning(err, &format!("{}: {}", change.object, change.detail))
        }
        Verb::Failed => return report::error_message(err, &change.text()),
        Verb::Created | Verb::Pulled => Mark::Added,
        Verb::Recreated | Verb::Updated | Verb::Initialized | Verb::Scaled => Mark::Changed,
        Verb::Repaired => Mark::Repaired,
        Verb::Removed => Mark::Removed,
        Verb::Kept => Mark::Kept,
        Verb::Waiting | Verb::Pulling => Mark::Waiting,
        Verb::PullFailed => Mark::Failed,
    };
    report::change_line(out, mark, &change.text())
}

/// The summary line, then the pods that could not be converged (exit 1).
fn finish(outcome: &Outcome, io: &mut Io<'_>) -> anyhow::Result<ExitStatus> {
    // Pods, not changes: a pod repaired twice in one apply counts once.
    let pods = |verb: Verb| {
        outcome
            .changes
            .iter()
            .filter(|c| c.verb == verb && c.object.starts_with("pod "))
            .map(|c| c.object.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let mut summary = format!(
        "{} created, {} recreated, {} removed, {} unchanged",
        pods(Verb::Created),
        pods(Verb::Recreated),
        pods(Verb::Removed),
        outcome.unchanged
    );
    if pods(Verb::Repaired) > 0 {
        summary.push_str(&format!(", {} repaired", pods(Verb::Repaired)));
    }
    if pods(Verb::Updated) > 0 {
        let n = pods(Verb::Updated);
        summary.push_str(&format!(", {n} updated in place"));
    }
    if pods(Verb::Kept) > 0 {
        summary.push_str(&format!(", {} kept (not declared)", pods(Verb::Kept)));
    }
    writeln!(io.out, "{summary}")?;
    if outcome.failures.is_empty() {
        return Ok(ExitStatus::Success);
    }
    let mut objects: Vec<&str> = outcome
        .failures
        .iter()
        .map(|(object, _)| object.as_str())
        .collect();
    objects.dedup();
    report::error_message(
        io.err,
        &format!(
            "{} could not be converged: {}",
            report::plural(objects.len(), "object"),
            objects.join(", ")
        ),
    )?;
    Ok(ExitStatus::Failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(verb: Verb, object: &str, detail: &str) -> (String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let change = Change {
            verb,
            object: object.into(),
            detail: detail.into(),
            node: String::new(),
        };
        change_line(&mut out, &mut err, &change).unwrap();
        let text =
            |b: Vec<u8>| anstream::adapter::strip_str(&String::from_utf8(b).unwrap()).to_string();
        (text(out), text(err))
    }

    #[test]
    fn changes_read_as_signed_lines() {
        assert_eq!(
            line(Verb::Created, "pod default/web", "").0,
            "+ pod default/web created\n"
        );
        assert_eq!(
            line(Verb::Recreated, "pod default/web", "spec changed").0,
            "~ pod default/web recreated (spec changed)\n"
        );
        assert_eq!(
            line(Verb::Removed, "pod default/web", "not declared").0,
            "- pod default/web removed (not declared)\n"
        );
    }

    #[test]
    fn a_missing_image_is_an_error_saying_the_pod_stays_pending() {
        let detail = "pod default/ghost: ErrImageNeverPull: container c0: container image \"x\" is not present with pull policy of Never";
        let (out, err) = line(Verb::Failed, "pod default/ghost", detail);
        assert_eq!(out, "");
        assert_eq!(
            err,
            "error: pod default/ghost stays Pending (ErrImageNeverPull): container c0: container image \"x\" is not present with pull policy of Never\n"
        );
    }

    #[test]
    fn pulls_show_as_they_start_and_end() {
        assert_eq!(
            line(Verb::Pulling, "image web:1", "").0,
            "* image web:1 pulling\n"
        );
        assert_eq!(
            line(Verb::Pulled, "image web:1", "").0,
            "+ image web:1 pulled\n"
        );
        assert_eq!(
            line(Verb::PullFailed, "image web:1", "connection refused").0,
            "x image web:1 pull failed\n"
        );
    }
}
