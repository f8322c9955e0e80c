//! One snapshot of what the watch loop knows: the manifests (last good set
//! and current errors), what the engine runs, the last reconcile, the sync
//! state, the git revision and the counters. Published after every
//! reconcile; the page, the API and the metrics read it and never call
//! Docker themselves. Plain data: no tokio, no engine calls.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::converge::Change;
use crate::engine::{EngineEvent, EngineInfo};
use crate::gitrev::Revision;
use crate::manifest::Manifests;
use crate::observed::Observed;

/// Everything berth knows at one moment.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Grows by one with every published snapshot; the API's
    /// `resourceVersion`s are taken from it.
    pub generation: u64,
    /// Unix seconds when this snapshot was taken.
    pub taken_at: i64,
    pub project: String,
    /// The watched manifest paths, as given.
    pub paths: Vec<PathBuf>,
    /// Unix seconds when `watch` started.
    pub started_at: i64,
    pub engine: EngineStatus,
    pub manifests: ManifestState,
    /// The engine's pods and controllers of the project as last observed
    /// (every container inspected, so pod IPs and restart counts are
    /// known); `None` until the engine first answered.
    pub observed: Option<Arc<Observed>>,
    /// Recent Docker events of the project's containers (start, die, oom,
    /// stop, destroy), oldest first: the source of pod events and of the
    /// exit codes of restarted containers.
    pub docker_events: Arc<Vec<EngineEvent>>,
    pub sync: SyncState,
    pub last_reconcile: Option<ReconcileReport>,
    /// The manifest directory's git commit, when it is a checkout.
    pub revision: Option<Revision>,
    pub metrics: Metrics,
    /// What the node controller knows of each node (empty until the loop
    /// first probed them; the implicit `local` alone when none is declared).
    pub nodes: Vec<crate::nodes::NodeStatus>,
}

/// Whether the engine answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineStatus {
    /// `unix:///var/run/docker.sock`, `tcp://…`.
    pub endpoint: String,
    /// `None` before the first attempt.
    pub reachable: Option<bool>,
    /// Why it is not reachable.
    pub error: Option<String>,
    /// Unix seconds of the last change of `reachable`.
    pub since: i64,
    /// When unreachable: how long until the next attempt.
    pub retry_in: Option<Duration>,
    /// What the engine said of itself and its machine (`docker info`),
    /// read when berth connects: the capacity and system of node `local`.
    pub info: Option<EngineInfo>,
}

/// The manifest set: the last one that loaded without errors (the one being
/// enforced) and the findings of the latest load.
#[derive(Debug, Clone, Default)]
pub struct ManifestState {
    /// The latest load had no errors.
    pub valid: bool,
    /// The latest load's errors, each `file:line:column: path: message`.
    pub errors: Vec<String>,
    /// The latest load's warnings, in the same form.
    pub warnings: Vec<String>,
    /// Unix seconds of the latest load.
    pub loaded_at: Option<i64>,
    /// Files read by the latest load.
    pub files: usize,
    /// The last valid set, which the loop keeps enforcing while the files
    /// are invalid; `None` until one loaded.
    pub last_good: Option<Arc<Manifests>>,
}

/// Whether the engine matches the manifests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SyncState {
    /// Not reconciled yet.
    #[default]
    Unknown,
    InSync,
    /// What `berth diff` would show now.
    OutOfSync(PendingDiff),
}

/// The changes still pending, rendered as `berth diff` renders them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PendingDiff {
    /// One line per object: `~ pod default/web (spec changed)`.
    pub lines: Vec<String>,
    /// The whole `berth diff` output (change lines and field diffs), without
    /// colour.
    pub text: String,
    /// Why it is not converged (failures, a rollout waiting, a refusal).
    pub reasons: Vec<String>,
}

/// How a reconcile ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReconcileResult {
    /// Nothing left to do.
    Converged,
    /// A rollout is under way; the loop looks again shortly.
    Progressing,
    /// Some objects could not be converged (retried with backoff).
    Failed,
    /// The manifests are invalid: the last good set was enforced instead.
    Invalid,
    /// The engine did not answer.
    EngineError,
    /// The manifests declare nothing and pruning everything was refused.
    Refused,
}

impl ReconcileResult {
    /// `converged`, `progressing`, … (the `result` label of the metrics).
    pub fn as_str(self) -> &'static str {
        match self {
            ReconcileResult::Converged => "converged",
            ReconcileResult::Progressing => "progressing",
            ReconcileResult::Failed => "failed",
            ReconcileResult::Invalid => "invalid",
            ReconcileResult::EngineError => "engine_error",
            ReconcileResult::Refused => "refused",
        }
    }

    pub const ALL: [ReconcileResult; 6] = [
        ReconcileResult::Converged,
        ReconcileResult::Progressing,
        ReconcileResult::Failed,
        ReconcileResult::Invalid,
        ReconcileResult::EngineError,
        ReconcileResult::Refused,
    ];
}

/// What triggered a reconcile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Trigger {
    Start,
    Files,
    Docker,
    Resync,
    /// A retry after a failure, or the next look during a rollout.
    Retry,
    /// The prober found a container's readiness changed, or restarted one.
    Probes,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Start => "start",
            Trigger::Files => "files",
            Trigger::Docker => "docker",
            Trigger::Resync => "resync",
            Trigger::Retry => "retry",
            Trigger::Probes => "probes",
        }
    }
}

/// The last reconcile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileReport {
    /// 1 for the first reconcile of this `watch`.
    pub number: u64,
    /// Unix milliseconds.
    pub started_at_ms: i64,
    pub duration: Duration,
    pub triggers: Vec<Trigger>,
    pub result: ReconcileResult,
    /// What it changed, in order.
    pub changes: Vec<Change>,
    /// Errors: invalid manifests, engine errors, failed objects.
    pub errors: Vec<String>,
}

/// Counters since `watch` started, for `/metrics`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    /// Reconciles by result.
    pub reconciles: BTreeMap<ReconcileResult, u64>,
    pub duration: Histogram,
    /// Docker API calls by kind (`list_containers`, `inspect_container`, …).
    pub docker_calls: BTreeMap<&'static str, u64>,
    /// Unix seconds (with fraction) of the last reconcile that converged.
    pub last_success: Option<f64>,
}

/// A Prometheus histogram: cumulative counts per upper bound (seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub bounds: Vec<f64>,
    /// `counts[i]`: observations ≤ `bounds[i]` (cumulative).
    pub counts: Vec<u64>,
    pub sum: f64,
    pub count: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        let bounds = vec![
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
        ];
        Histogram {
            counts: vec![0; bounds.len()],
            bounds,
            sum: 0.0,
            count: 0,
        }
    }
}

impl Histogram {
    pub fn observe(&mut self, seconds: f64) {
        for (bound, count) in self.bounds.iter().zip(&mut self.counts) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        self.sum += seconds;
        self.count += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_counts_are_cumulative() {
        let mut h = Histogram::default();
        h.observe(0.02);
        h.observe(3.0);
        assert_eq!(h.count, 2);
        assert_eq!(h.counts[0], 0); // ≤ 0.005
        assert_eq!(h.counts[2], 1); // ≤ 0.025
        assert_eq!(h.counts[h.bounds.len() - 1], 2); // ≤ 60
        assert!((h.sum - 3.02).abs() < 1e-9);
    }
}
