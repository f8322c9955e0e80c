//! `berth rollout status|history|undo deployment/NAME`: reads the records
//! and pods on the nodes' engines (`nodes::discover` + `look_all`) and
//! prints what `kube::rollout` makes of them. Never changes the engine.

use std::time::{Duration, Instant};

use crate::cli::{GlobalArgs, RolloutArgs, RolloutCommand, RolloutTarget};
use crate::kube::rollout::{self, Undo};
use crate::nodes::Connected;
use crate::observe::Depth;
use crate::report;

use super::get_live::{look_all, Looked};
use super::live::{block_on, now};
use super::{ExitStatus, Io};

/// How often `rollout status --watch` looks again.
const POLL: Duration = Duration::from_millis(500);

pub fn run(global: &GlobalArgs, args: &RolloutArgs, io: &mut Io<'_>) -> anyhow::Result<ExitStatus> {
    let target = match &args.command {
        RolloutCommand::Status(a) => &a.target,
        RolloutCommand::History(a) => &a.target,
        RolloutCommand::Undo(a) => &a.target,
    };
    let name = match rollout::parse_target(&target.resource, target.name.as_deref()) {
        Ok(name) => name,
        Err(e) => {
            report::error_message(io.err, &e)?;
            return Ok(ExitStatus::Error);
        }
    };
    let project = global.project.as_deref();
    let options = global.node_options();
    let connected = block_on(crate::nodes::discover(&options, project, now()))?;
    match &args.command {
        RolloutCommand::Status(a) => status(global, &connected, target, &name, a, io),
        RolloutCommand::History(a) => {
            let Some(looked) = look(global, &connected, io)? else {
                return Ok(ExitStatus::Error);
            };
            history(&looked, target, &name, a.revision, io)
        }
        RolloutCommand::Undo(a) => {
            let Some(looked) = look(global, &connected, io)? else {
                return Ok(ExitStatus::Error);
            };
            undo(&looked, target, &name, a.to_revision, io)
        }
    }
}

/// One look at every node; `None` (reported) when none answers.
fn look(
    global: &GlobalArgs,
    connected: &Connected,
    io: &mut Io<'_>,
) -> anyhow::Result<Option<Looked>> {
    let project = global.project.as_deref();
    match block_on(look_all(connected, project, Depth::Full, false, now()))? {
        Ok(looked) => {
            for warning in looked.unreachable.iter().chain(&looked.failed) {
                report::warning(io.err, warning)?;
            }
            Ok(Some(looked))
        }
        Err(e) => {
            report::error(io.err, &e)?;
            Ok(None)
        }
    }
}

fn status(
    global: &GlobalArgs,
    connected: &Connected,
    target: &RolloutTarget,
    name: &str,
    args: &crate::cli::RolloutStatusArgs,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    let started = Instant::now();
    let mut last = String::new();
    loop {
        let Some(looked) = look(global, connected, io)? else {
            return Ok(ExitStatus::Error);
        };
        let deployment = match rollout::find_deployment(&looked.observed, &target.namespace, name) {
            Ok(d) => d,
            Err(e) => {
                report::error_message(io.err, &e)?;
                return Ok(ExitStatus::Failure);
            }
        };
        let counts = rollout::counts(&looked.observed, deployment, now());
        let (message, done) = rollout::status_message(name, counts);
        if message != last {
            writeln!(io.out, "{message}")?;
            io.out.flush()?;
            last = message;
        }
        if done {
            return Ok(ExitStatus::Success);
        }
        if !args.watch {
            return Ok(ExitStatus::Failure);
        }
        if !args.timeout.is_zero() && started.elapsed() + POLL > args.timeout {
            report::error_message(io.err, "timed out waiting for the condition")?;
            return Ok(ExitStatus::Failure);
        }
        std::thread::sleep(POLL);
    }
}

fn history(
    looked: &Looked,
    target: &RolloutTarget,
    name: &str,
    revision: Option<u32>,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    let observed = &looked.observed;
    let deployment = match rollout::find_deployment(observed, &target.namespace, name) {
        Ok(d) => d,
        Err(e) => {
            report::error_message(io.err, &e)?;
            return Ok(ExitStatus::Failure);
        }
    };
    let revisions = rollout::revisions(observed, deployment);
    let Some(n) = revision.filter(|n| *n != 0) else {
        write!(io.out, "{}", rollout::history_text(name, &revisions))?;
        writeln!(io.out)?;
        return Ok(ExitStatus::Success);
    };
    let Some(r) = revisions.iter().find(|r| r.number == n) else {
        report::error_message(
            io.err,
            &format!("unable to find the specified revision {n}"),
        )?;
        return Ok(ExitStatus::Failure);
    };
    writeln!(io.out, "deployment.apps/{name} with revision #{n}")?;
    writeln!(io.out, "Pod Template:")?;
    let template = rollout::template_of(r.replica_set).unwrap_or_default();
    report::yaml(io.out, &template)?;
    Ok(ExitStatus::Success)
}

fn undo(
    looked: &Looked,
    target: &RolloutTarget,
    name: &str,
    to_revision: Option<u32>,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    let observed = &looked.observed;
    let deployment = match rollout::find_deployment(observed, &target.namespace, name) {
        Ok(d) => d,
        Err(e) => {
            report::error_message(io.err, &e)?;
            return Ok(ExitStatus::Failure);
        }
    };
    let revisions = rollout::revisions(observed, deployment);
    let to = match rollout::undo_target(name, &revisions, deployment, to_revision) {
        Ok(Undo::AlreadyThere(n)) => {
            writeln!(
                io.out,
                "deployment.apps/{name} skipped rollback (current template already matches revision {n})"
            )?;
            return Ok(ExitStatus::Success);
        }
        Ok(Undo::To(r)) => r,
        Err(e) => {
            report::error_message(io.err, &e)?;
            return Ok(ExitStatus::Failure);
        }
    };
    let current_number = revisions.last().map(|r| r.number).unwrap_or(0);
    let yaml = |value: &serde_json::Value| -> anyhow::Result<String> {
        let mut text = Vec::new();
        report::yaml(&mut text, &serde_json::json!({ "template": value }))?;
        Ok(String::from_utf8_lossy(&text).into_owned())
    };
    let current = yaml(&rollout::template_of(deployment).unwrap_or_default())?;
    let previous = yaml(&rollout::template_of(to.replica_set).unwrap_or_default())?;
    writeln!(
        io.out,
        "deployment.apps/{name}: the spec.template of revision {} (ReplicaSet {}), as a change to the Deployment's manifest:",
        to.number, to.replica_set.name
    )?;
    report::unified_diff(
        io.out,
        &format!("deployment/{name} spec (revision {current_number}, now)"),
        &format!("deployment/{name} spec (revision {})", to.number),
        &current,
        &previous,
    )?;
    writeln!(
        io.out,
        "\n# spec of deployment/{name} at revision {}:",
        to.number
    )?;
    write!(io.out, "{previous}")?;
    report::error_message(
        io.err,
        &format!(
            "deployment.apps/{name} not rolled back: berth applies what the manifest files say, \
             so put the template above in the Deployment's manifest (or revert the commit that \
             changed it) and apply; the engine was not changed, and the next apply of the files \
             as they are rolls forward again"
        ),
    )?;
    Ok(ExitStatus::Failure)
}
