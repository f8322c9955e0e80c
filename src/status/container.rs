//! One container's status: its Kubernetes state, its facts for the phase
//! table, and whether Docker is restarting it in a crash loop.

use super::{
    ContainerFacts, ContainerState, ContainerStatus, CRASH_LOOP_BACK_OFF, CRASH_RUN_SECONDS,
    MAX_BACK_OFF_SECONDS,
};
use crate::engine::{self, ContainerDetails};
use crate::manifest::RestartPolicy;
use crate::observed::ObservedContainer;
use crate::timefmt::parse_rfc3339;

/// Waiting reason of a container that does not run yet.
pub const CONTAINER_CREATING: &str = "ContainerCreating";
/// Waiting reason of a container Docker failed to start.
pub const RUN_CONTAINER_ERROR: &str = "RunContainerError";
/// Terminated reason when Docker exited a container we never inspected.
pub const STATUS_UNKNOWN: &str = "ContainerStatusUnknown";

pub(super) struct Observation {
    pub status: ContainerStatus,
    pub facts: ContainerFacts,
    pub crash_looping: bool,
}

/// `Completed`, `OOMKilled` or `Error`, as the kubelet names terminations.
pub fn termination_reason(exit_code: i64, oom_killed: bool) -> &'static str {
    match (exit_code, oom_killed) {
        (_, true) => "OOMKilled",
        (0, false) => "Completed",
        _ => "Error",
    }
}

/// Docker's state of a container. The inspect, when there is one, is newer
/// than the list it followed: a container listed as `restarting` may already
/// run again (its exit code then reset to 0), one listed as running may have
/// died since. Paused, removing and dead containers keep the listed state.
pub fn docker_state(observed: &ObservedContainer) -> engine::ContainerState {
    use engine::ContainerState::{Created, Dead, Exited, Paused, Removing, Restarting, Running};
    let listed = observed.summary.state;
    let Some(d) = observed.details.as_ref() else {
        return listed;
    };
    match (listed, d.restarting, d.running) {
        (Paused | Removing | Dead, _, _) => listed,
        (_, true, _) => Restarting,
        (_, false, true) => Running,
        (Created, false, false) => Created,
        _ => Exited,
    }
}

/// What the phase table needs to know of a container.
fn facts(observed: Option<&ObservedContainer>) -> ContainerFacts {
    let Some(observed) = observed else {
        return ContainerFacts::Waiting;
    };
    let details = observed.details.as_ref();
    match docker_state(observed) {
        engine::ContainerState::Created => ContainerFacts::Waiting,
        engine::ContainerState::Running | engine::ContainerState::Paused => ContainerFacts::Running,
        engine::ContainerState::Restarting => ContainerFacts::Restarting,
        engine::ContainerState::Exited
        | engine::ContainerState::Dead
        | engine::ContainerState::Removing => ContainerFacts::Exited {
            code: details.map_or(-1, |d| d.exit_code),
            oom_killed: details.is_some_and(|d| d.oom_killed),
        },
    }
}

/// Its last run ended in under 10 s and Docker restarts it (or will, and
/// still could within its longest back-off).
fn crash_looping(
    facts: ContainerFacts,
    details: &ContainerDetails,
    policy: RestartPolicy,
    now: i64,
) -> bool {
    let started = parse_rfc3339(&details.started_at);
    let finished = parse_rfc3339(&details.finished_at);
    let (Some(started), Some(finished)) = (started, finished) else {
        return false;
    };
    let short_run = finished >= started && finished - started < CRASH_RUN_SECONDS;
    let backing_off = match facts {
        ContainerFacts::Restarting => true,
        ContainerFacts::Exited { .. } => {
            facts.will_restart(policy) && now - finished <= MAX_BACK_OFF_SECONDS
        }
        _ => false,
    };
    details.restart_count >= 1 && short_run && backing_off
}

fn terminated(details: &ContainerDetails) -> ContainerState {
    ContainerState::Terminated {
        exit_code: details.exit_code,
        reason: termination_reason(details.exit_code, details.oom_killed).to_string(),
        started_at: parse_rfc3339(&details.started_at),
        finished_at: parse_rfc3339(&details.finished_at),
    }
}

/// The last state of a container running again after an OOM kill. Docker
/// resets the exit code of a restarted container to 0 but keeps `OOMKilled`
/// from its last exit (and `FinishedAt`): that exit was a SIGKILL, 137.
/// Other exit codes are lost until the next exit, so no last state is made up.
fn oom_before_restart(details: &ContainerDetails) -> Option<ContainerState> {
    (details.restart_count >= 1 && details.oom_killed).then(|| ContainerState::Terminated {
        exit_code: 137,
        reason: termination_reason(137, true).to_string(),
        started_at: None,
        finished_at: parse_rfc3339(&details.finished_at),
    })
}

fn waiting(reason: &str, message: String) -> ContainerState {
    ContainerState::Waiting {
        reason: reason.to_string(),
        message,
    }
}

/// The Kubernetes state and last state of a container that exists.
fn states(
    name: &str,
    observed: &ObservedContainer,
    facts: ContainerFacts,
    looping: bool,
) -> (ContainerState, Option<ContainerState>) {
    let details = observed.details.as_ref();
    let back_off = || {
        waiting(
            CRASH_LOOP_BACK_OFF,
            format!("back-off restarting failed container {name}"),
        )
    };
    match (facts, details) {
        (ContainerFacts::Waiting, Some(d)) if !d.error.is_empty() => {
            (waiting(RUN_CONTAINER_ERROR, d.error.clone()), None)
        }
        (ContainerFacts::Waiting, _) => (waiting(CONTAINER_CREATING, String::new()), None),
        (ContainerFacts::Running, d) => {
            let started_at = d
                .and_then(|d| parse_rfc3339(&d.started_at))
                .or(Some(observed.summary.created));
            (
                ContainerState::Running { started_at },
                d.and_then(oom_before_restart),
            )
        }
        (_, Some(d)) if looping => (back_off(), Some(terminated(d))),
        (ContainerFacts::Restarting, Some(d)) => (
            waiting(CONTAINER_CREATING, String::new()),
            Some(terminated(d)),
        ),
        (ContainerFacts::Restarting, None) => (waiting(CONTAINER_CREATING, String::new()), None),
        (ContainerFacts::Exited { .. }, Some(d)) => (terminated(d), None),
        (ContainerFacts::Exited { code, oom_killed }, None) => {
            let state = ContainerState::Terminated {
                exit_code: code,
                reason: if oom_killed {
                    "OOMKilled"
                } else {
                    STATUS_UNKNOWN
                }
                .to_string(),
                started_at: None,
                finished_at: None,
            };
            (state, None)
        }
    }
}

/// The status of container `name` (declared with `image`, maybe not yet
/// created) under `policy` at `now`.
pub(super) fn observe(
    name: &str,
    image: &str,
    observed: Option<&ObservedContainer>,
    policy: RestartPolicy,
    now: i64,
) -> Observation {
    let facts = facts(observed);
    let Some(observed) = observed else {
        let status = ContainerStatus {
            name: name.to_string(),
            ready: false,
            restart_count: 0,
            state: waiting(CONTAINER_CREATING, String::new()),
            last_state: None,
            image: image.to_string(),
            container_id: None,
            started: false,
        };
        return Observation {
            status,
            facts,
            crash_looping: false,
        };
    };
    let details = observed.details.as_ref();
    let looping = details.is_some_and(|d| crash_looping(facts, d, policy, now));
    let (state, last_state) = states(name, observed, facts, looping);
    let running = facts == ContainerFacts::Running;
    let status = ContainerStatus {
        name: name.to_string(),
        ready: running,
        restart_count: details.map_or(0, |d| d.restart_count),
        state,
        last_state,
        image: if observed.summary.image.is_empty() {
            image.to_string()
        } else {
            observed.summary.image.clone()
        },
        container_id: Some(format!("docker://{}", observed.summary.id)),
        started: running,
    };
    Observation {
        status,
        facts,
        crash_looping: looping,
    }
}
