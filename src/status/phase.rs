//! The pod phase table of DESIGN.md §4 as one function: what each container
//! is doing, and the restart policy, decide the pod's phase.

use std::fmt;

use crate::manifest::RestartPolicy;

/// Kubernetes' pod phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    Pending,
    Running,
    Succeeded,
    Failed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one container of a pod is doing, as far as the phase cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerFacts {
    /// Not created yet, or created and never started.
    Waiting,
    Running,
    /// Docker is between two runs of it (its restart policy fired).
    Restarting,
    Exited {
        code: i64,
        oom_killed: bool,
    },
}

impl ContainerFacts {
    /// Exited with a failure: a non-zero code, or killed for lack of memory.
    pub fn failed(self) -> bool {
        matches!(self, ContainerFacts::Exited { code, oom_killed } if code != 0 || oom_killed)
    }

    /// Whether the restart policy brings this container back.
    pub fn will_restart(self, policy: RestartPolicy) -> bool {
        match (self, policy) {
            (ContainerFacts::Restarting, _) => true,
            (ContainerFacts::Exited { .. }, RestartPolicy::Always) => true,
            (ContainerFacts::Exited { .. }, RestartPolicy::OnFailure) => self.failed(),
            _ => false,
        }
    }
}

/// The phase of a pod whose containers (every one the spec names) are in
/// `containers`. Read against the table:
/// - some container not running yet → Pending;
/// - any container running or restarting → Running (this is also the
///   "2 containers, 1 exits non-zero, Never" row: the other still runs);
/// - all exited, and some will restart (Always; OnFailure after a failure)
///   → Running ("restart, Running");
/// - all exited, none will restart: Succeeded if every exit was 0, else Failed.
pub fn pod_phase(policy: RestartPolicy, containers: &[ContainerFacts]) -> Phase {
    use ContainerFacts::{Restarting, Running, Waiting};
    if containers.is_empty() || containers.contains(&Waiting) {
        return Phase::Pending;
    }
    if containers.iter().any(|c| matches!(c, Running | Restarting)) {
        return Phase::Running;
    }
    if containers.iter().any(|c| c.will_restart(policy)) {
        return Phase::Running;
    }
    if containers.iter().any(|c| c.failed()) {
        Phase::Failed
    } else {
        Phase::Succeeded
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContainerFacts::{Exited, Restarting, Running, Waiting};
    use RestartPolicy::{Always, Never, OnFailure};

    const OK: ContainerFacts = Exited {
        code: 0,
        oom_killed: false,
    };
    const FAIL: ContainerFacts = Exited {
        code: 3,
        oom_killed: false,
    };
    const OOM: ContainerFacts = Exited {
        code: 137,
        oom_killed: true,
    };

    fn row(containers: &[ContainerFacts]) -> [Phase; 3] {
        [Always, OnFailure, Never].map(|policy| pod_phase(policy, containers))
    }

    #[test]
    fn one_container_exiting_zero_restarts_under_always_and_succeeds_otherwise() {
        assert_eq!(
            row(&[OK]),
            [Phase::Running, Phase::Succeeded, Phase::Succeeded]
        );
    }

    #[test]
    fn one_container_exiting_non_zero_fails_only_under_never() {
        assert_eq!(
            row(&[FAIL]),
            [Phase::Running, Phase::Running, Phase::Failed]
        );
    }

    #[test]
    fn two_containers_one_failed_one_running_is_running_under_every_policy() {
        assert_eq!(row(&[FAIL, Running]), [Phase::Running; 3]);
        assert_eq!(row(&[Running, FAIL]), [Phase::Running; 3]);
    }

    #[test]
    fn then_the_other_exits_too_fails_only_under_never() {
        assert_eq!(
            row(&[FAIL, OK]),
            [Phase::Running, Phase::Running, Phase::Failed]
        );
        assert_eq!(
            row(&[FAIL, FAIL]),
            [Phase::Running, Phase::Running, Phase::Failed]
        );
    }

    #[test]
    fn oom_killed_container_fails_only_under_never() {
        assert_eq!(row(&[OOM]), [Phase::Running, Phase::Running, Phase::Failed]);
        assert_eq!(
            row(&[OOM, OK]),
            [Phase::Running, Phase::Running, Phase::Failed]
        );
    }

    #[test]
    fn oom_kill_counts_as_failure_even_with_exit_code_zero() {
        let oom_zero = Exited {
            code: 0,
            oom_killed: true,
        };
        assert_eq!(
            row(&[oom_zero]),
            [Phase::Running, Phase::Running, Phase::Failed]
        );
    }

    #[test]
    fn two_containers_both_exiting_zero_succeed_unless_always() {
        assert_eq!(
            row(&[OK, OK]),
            [Phase::Running, Phase::Succeeded, Phase::Succeeded]
        );
    }

    #[test]
    fn a_container_not_started_yet_keeps_the_pod_pending() {
        assert_eq!(row(&[Waiting]), [Phase::Pending; 3]);
        assert_eq!(row(&[Running, Waiting]), [Phase::Pending; 3]);
        assert_eq!(row(&[FAIL, Waiting]), [Phase::Pending; 3]);
        assert_eq!(
            row(&[]),
            [Phase::Pending; 3],
            "a pod with no containers observed"
        );
    }

    #[test]
    fn running_or_restarting_containers_make_the_pod_running() {
        assert_eq!(row(&[Running]), [Phase::Running; 3]);
        assert_eq!(row(&[Restarting]), [Phase::Running; 3]);
        assert_eq!(row(&[Restarting, OK]), [Phase::Running; 3]);
    }

    #[test]
    fn restart_follows_the_policy() {
        assert!(OK.will_restart(Always) && !OK.will_restart(OnFailure) && !OK.will_restart(Never));
        assert!(FAIL.will_restart(OnFailure) && !FAIL.will_restart(Never));
        assert!(
            Restarting.will_restart(Never),
            "Docker is already restarting it"
        );
        assert!(!Running.will_restart(Always) && !Waiting.will_restart(Always));
    }

    #[test]
    fn phases_print_as_kubernetes_spells_them() {
        let all = [
            Phase::Pending,
            Phase::Running,
            Phase::Succeeded,
            Phase::Failed,
        ];
        assert_eq!(
            all.map(Phase::as_str),
            ["Pending", "Running", "Succeeded", "Failed"]
        );
    }
}
