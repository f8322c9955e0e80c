//! The prober task of `berth watch`: fed by the published snapshots (the
//! observed pods), it runs the due probes of every running container on
//! the engine the loop is connected to, restarts a container whose
//! liveness (or startup) probe failed past its threshold, and shares readiness and
//! its events through `probe::store`; a change of readiness wakes the loop,
//! whose next snapshot then shows it.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::engine::Engine;
use crate::probe::prober::{Action, Prober};
use crate::probe::store::{self, ProbeFile};
use crate::probe::{check, targets, Target};
use crate::snapshot::{Snapshot, Trigger};

use super::counted::Counted;
use super::wake::Wake;

/// How often the prober looks for due probes (periods are whole seconds).
const TICK: Duration = Duration::from_millis(250);

/// Runs until the task is aborted.
pub async fn run<E: Engine + 'static>(
    project: String,
    engines: watch::Receiver<Option<Arc<Counted<E>>>>,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    wake: Arc<Wake>,
) {
    let mut prober = Prober::default();
    let mut file = ProbeFile {
        pid: std::process::id(),
        ..store::read(&project)
    };
    // Readiness from an earlier watch is not this one's to trust.
    file.ready.clear();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let engine = engines.borrow().clone();
        let Some(engine) = engine else { continue };
        let targets = current_targets(&project, &snapshots.borrow());
        let due = prober.due(&targets, Instant::now());
        let outcomes = join_all(due.iter().map(|d| {
            let engine = engine.clone();
            async move { check(&*engine, &d.target.id, d.target.pod_ip, &d.probe).await }
        }))
        .await;
        let mut changed = false;
        let at = unix_now();
        for (d, outcome) in due.iter().zip(&outcomes) {
            for action in prober.record(d, outcome, at) {
                changed |= act(&*engine, &mut file, action, d.target.clone()).await;
            }
        }
        changed |= file.set_ready(prober.readiness(&targets), at);
        if changed {
            if let Err(e) = store::write(&project, &file) {
                tracing::warn!(project = %project, "cannot write the probe results: {e}");
            }
            wake.trigger(Trigger::Probes);
        }
    }
}

/// The running probed containers of `project` in the last snapshot.
fn current_targets(project: &str, snapshot: &Snapshot) -> Vec<Target> {
    let Some(observed) = &snapshot.observed else {
        return Vec::new();
    };
    observed
        .pods
        .iter()
        .filter(|p| p.project == project && p.node_problem.is_none())
        .flat_map(targets)
        .collect()
}

/// Does what an outcome asks; says whether the shared file changed.
async fn act<E: Engine>(engine: &E, file: &mut ProbeFile, action: Action, t: Target) -> bool {
    match action {
        Action::Record(event) => {
            tracing::info!(
                project = %t.project,
                pod = %format!("{}/{}", t.namespace, t.pod),
                container = %t.container,
                "{}: {}",
                event.reason,
                event.message
            );
            file.record(event);
            true
        }
        Action::Restart { id } => {
            // Docker's restart policy never answers a stop or a kill asked
            // through its API, so berth starts the container again itself
            // (and counts that restart: `ProbeFacts::restarts`).
            let restarted = match engine.stop_container(&id, None).await {
                Ok(()) => engine.start_container(&id).await,
                Err(e) => Err(e),
            };
            if let Err(e) = restarted {
                tracing::warn!(project = %t.project, "cannot restart container {}: {e}", t.container);
            }
            false
        }
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
#[path = "probes_tests.rs"]
mod tests;
