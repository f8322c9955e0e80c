//! Small predicates on an observed pod that the controllers and the planner
//! decide by: a coarse phase, readiness for a rollout, and brokenness.

use std::time::Duration;

use crate::observed::{ContainerState, ObservedContainer, ObservedPod};

/// The coarse phase berth needs to order scale-downs and replace failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Coarse {
    /// Some container is missing or was never started.
    Pending,
    Running,
    /// Every member exited 0 and none will restart.
    Succeeded,
    /// Every member exited, at least one with a non-zero code.
    Failed,
}

/// Whether the container has stopped and Docker is not restarting it.
pub fn is_exited(c: &ObservedContainer) -> bool {
    matches!(
        c.summary.state,
        ContainerState::Exited | ContainerState::Dead
    )
}

/// The exit code, when the container was inspected.
pub fn exit_code(c: &ObservedContainer) -> Option<i64> {
    c.details.as_ref().map(|d| d.exit_code)
}

fn failed(c: &ObservedContainer) -> bool {
    is_exited(c) && exit_code(c) != Some(0)
}

fn restarts(c: &ObservedContainer) -> u64 {
    c.details.as_ref().map_or(0, |d| d.restart_count)
}

pub fn coarse(pod: &ObservedPod) -> Coarse {
    if pod
        .node_problem
        .is_some_and(crate::observed::NodeProblem::is_lost)
    {
        return Coarse::Failed;
    }
    let members = pod.containers.values();
    let missing_or_created = pod.infra.is_none()
        || pod.containers.is_empty()
        || pod
            .all_containers()
            .any(|c| c.summary.state == ContainerState::Created);
    if missing_or_created {
        Coarse::Pending
    } else if !pod.containers.values().all(is_exited) {
        Coarse::Running
    } else if members.clone().any(failed) {
        Coarse::Failed
    } else {
        Coarse::Succeeded
    }
}

/// Every container running, none restarted, for at least `min_ready`, and
/// past its startup and readiness probes (for `min_ready` too) when it has
/// them. Only a pod inspected in full can be ready: a crash loop hides
/// between restarts.
pub fn is_ready(pod: &ObservedPod, now: i64, min_ready: Duration) -> bool {
    let min_ready = min_ready.as_secs() as i64;
    let probes_passed = |name: &str, c: &ObservedContainer| {
        if !crate::probe::targets::gates_readiness(pod, name) {
            return true;
        }
        c.probe.ready == Some(true) && c.probe.ready_since.is_some_and(|t| now - t >= min_ready)
    };
    pod.node_problem.is_none()
        && pod.infra.is_some()
        && !pod.containers.is_empty()
        && pod.all_containers().all(|c| {
            c.summary.state == ContainerState::Running
                && c.details.is_some()
                && restarts(c) == 0
                && now - c.summary.created >= min_ready
        })
        && pod
            .containers
            .iter()
            .all(|(name, c)| probes_passed(name, c))
}

/// Why a new pod can never become ready, if it cannot: a member that exited
/// non-zero, restarts, or crash-loops.
pub fn broken(pod: &ObservedPod) -> Option<String> {
    pod.containers.iter().find_map(|(name, c)| {
        if c.summary.state == ContainerState::Restarting || restarts(c) > 0 {
            Some(format!(
                "container {name} is crash-looping ({} restarts)",
                restarts(c).max(1)
            ))
        } else if failed(c) {
            let code = exit_code(c).map_or("unknown".to_string(), |c| c.to_string());
            Some(format!("container {name} exited with code {code}"))
        } else {
            None
        }
    })
}
