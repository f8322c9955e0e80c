//! Readiness probes run by a one-shot command: `apply` waiting for a
//! rollout whose new pods have readiness (or startup) probes, when no
//! `berth watch` of the project is running them. The same prober and
//! checks as the watch's; liveness is left alone (a one-shot command
//! restarts nothing). Results go through the same file (`store`), under
//! this process's id, so they count only while it runs.

use crate::engine::Engine;
use crate::observed::Observed;

use super::check;
use super::prober::{Action, Prober};
use super::store::{self, ProbeFile};
use super::targets::{targets, Target};

/// The probing state of one command.
pub struct OneShot {
    project: String,
    prober: Prober,
    file: Option<ProbeFile>,
}

impl OneShot {
    pub fn new(project: &str) -> OneShot {
        OneShot {
            project: project.to_string(),
            prober: Prober::default(),
            file: None,
        }
    }

    /// Runs the due startup and readiness probes of the pods observed on
    /// node `node` through `engine`, unless a watch runs them; shares the
    /// readiness for the next look.
    pub async fn round<E: Engine>(&mut self, node: &str, engine: &E, observed: &Observed) {
        let file = self.file.get_or_insert_with(|| store::read(&self.project));
        let own = std::process::id();
        if file.pid != own && !file.ready.is_empty() {
            // A live watch's prober has this project (`read` drops the
            // readiness of a watch that is gone).
            return;
        }
        file.pid = own;
        let targets: Vec<Target> = observed
            .pods
            .iter()
            .filter(|p| p.project == self.project && p.node == node && p.node_problem.is_none())
            .flat_map(targets)
            .map(|t| Target {
                liveness: None,
                ..t
            })
            .collect();
        let now = tokio::time::Instant::now();
        let due = self.prober.due(&targets, now);
        let outcomes = futures_util::future::join_all(
            due.iter()
                .map(|d| check(engine, &d.target.id, d.target.pod_ip, &d.probe)),
        )
        .await;
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut changed = false;
        for (d, outcome) in due.iter().zip(&outcomes) {
            for action in self.prober.record(d, outcome, at) {
                if let Action::Record(event) = action {
                    file.record(event);
                    changed = true;
                }
            }
        }
        let mut ready = file.ready.clone();
        ready.extend(self.prober.readiness(&targets));
        changed |= file.set_ready(ready, at);
        if changed {
            if let Err(e) = store::write(&self.project, file) {
                tracing::warn!(project = %self.project, "cannot write the probe results: {e}");
            }
        }
    }
}
