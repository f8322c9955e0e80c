//! Pure: how far a pod's init containers got, as the kubelet would judge
//! it: which ran to completion, which runs, which must run now, and when a
//! failed one may run again (its back-off). The planner acts on it, the
//! status code shows it; neither talks to Docker here.

use std::collections::BTreeMap;

use crate::keys;
use crate::manifest::RestartPolicy;
use crate::observed::{ContainerState, ObservedContainer};
use crate::timefmt::parse_rfc3339;

/// The first back-off after a failed init container, doubled after each
/// further failure (the kubelet's start) …
pub const FIRST_BACK_OFF_SECONDS: i64 = 10;
/// … up to the longest back-off berth already uses for a pod's members
/// (Docker's own restart back-off cap, `status::MAX_BACK_OFF_SECONDS`).
pub const MAX_BACK_OFF_SECONDS: i64 = crate::status::MAX_BACK_OFF_SECONDS;

/// Where a pod's init sequence stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Every init container completed (or there are none, or the app
    /// containers exist already): the app containers' turn.
    Done,
    /// Init container `index` must run now (never run, or failed and its
    /// back-off is over); every one before it completed. `restarts`: the
    /// failed runs before this one.
    Run { index: usize, restarts: u64 },
    /// Init container `index` runs (or its exit was not inspected yet).
    Running { index: usize },
    /// Init container `index` exited with `code` and runs again at `at`
    /// (Unix seconds) under the pod's Always or OnFailure policy.
    BackOff {
        index: usize,
        code: i64,
        restarts: u64,
        at: i64,
    },
    /// Init container `index` exited with `code` under restartPolicy
    /// Never: the pod failed.
    Failed { index: usize, code: i64 },
}

/// The back-off before run `restarts + 1` of a failed init container:
/// 10 s, 20 s, 40 s, then the 60 s cap.
pub fn back_off_seconds(restarts: u64) -> i64 {
    let doublings = restarts.min(16) as u32;
    (FIRST_BACK_OFF_SECONDS << doublings).min(MAX_BACK_OFF_SECONDS)
}

/// How many times berth ran this init container again after a failure.
pub fn restarts(c: &ObservedContainer) -> u64 {
    c.summary
        .labels
        .get(keys::INIT_RESTARTS)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Exited with code 0 (and not killed for memory).
pub fn completed(c: &ObservedContainer) -> bool {
    exited(c)
        && c.details
            .as_ref()
            .is_some_and(|d| d.exit_code == 0 && !d.oom_killed)
}

fn exited(c: &ObservedContainer) -> bool {
    matches!(
        c.summary.state,
        ContainerState::Exited | ContainerState::Dead
    )
}

/// The step of the init sequence `names` (spec order) given the init
/// containers found (`init`, by name), whether any app container exists
/// (then the sequence is over: the kubelet never runs it again while the
/// pod lives), the pod's restart policy and the time.
pub fn step(
    names: &[String],
    init: &BTreeMap<String, ObservedContainer>,
    apps_exist: bool,
    policy: RestartPolicy,
    now: i64,
) -> Step {
    if apps_exist {
        return Step::Done;
    }
    for (index, name) in names.iter().enumerate() {
        let Some(c) = init.get(name) else {
            // Removed once done (a later one ran): it stays done.
            if names[index + 1..].iter().any(|n| init.contains_key(n)) {
                continue;
            }
            return Step::Run { index, restarts: 0 };
        };
        let restarts = restarts(c);
        if c.summary.state == ContainerState::Created {
            // Created and never started (berth stopped in between).
            return Step::Run { index, restarts };
        }
        if !exited(c) {
            return Step::Running { index };
        }
        let Some(details) = c.details.as_ref() else {
            return Step::Running { index };
        };
        if completed(c) {
            continue;
        }
        let code = details.exit_code;
        if policy == RestartPolicy::Never {
            return Step::Failed { index, code };
        }
        // Docker's zero time when it did not say: count from creation.
        let created = c.summary.created;
        let finished = parse_rfc3339(&details.finished_at)
            .filter(|t| *t >= created)
            .unwrap_or(created);
        let at = finished + back_off_seconds(restarts);
        if now >= at {
            return Step::Run {
                index,
                restarts: restarts + 1,
            };
        }
        return Step::BackOff {
            index,
            code,
            restarts,
            at,
        };
    }
    Step::Done
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::fixtures::{container, T0};

    fn names() -> Vec<String> {
        vec!["first".to_string(), "second".to_string()]
    }

    fn init(list: Vec<(&str, ObservedContainer)>) -> BTreeMap<String, ObservedContainer> {
        list.into_iter().map(|(n, c)| (n.to_string(), c)).collect()
    }

    const NOW: i64 = T0 + 1_000;

    #[test]
    fn a_new_pod_runs_its_first_init_container() {
        let step = step(&names(), &init(vec![]), false, RestartPolicy::Always, NOW);
        assert_eq!(
            step,
            Step::Run {
                index: 0,
                restarts: 0
            }
        );
    }

    #[test]
    fn the_next_runs_once_the_previous_completed() {
        let first = container("a", "first").exited(0, 995, 996).build();
        let found = init(vec![("first", first)]);
        let step = step(&names(), &found, false, RestartPolicy::Always, NOW);
        assert_eq!(
            step,
            Step::Run {
                index: 1,
                restarts: 0
            }
        );
    }

    #[test]
    fn a_running_init_container_is_waited_for() {
        let first = container("a", "first").running(999).build();
        let step = step(
            &names(),
            &init(vec![("first", first)]),
            false,
            RestartPolicy::Always,
            NOW,
        );
        assert_eq!(step, Step::Running { index: 0 });
    }

    #[test]
    fn all_completed_is_done() {
        let first = container("a", "first").exited(0, 995, 996).build();
        let second = container("b", "second").exited(0, 997, 998).build();
        let found = init(vec![("first", first), ("second", second)]);
        let step = step(&names(), &found, false, RestartPolicy::Never, NOW);
        assert_eq!(step, Step::Done);
    }

    #[test]
    fn a_failure_under_never_fails_the_pod() {
        let first = container("a", "first").exited(3, 995, 996).build();
        let found = init(vec![("first", first)]);
        let step = step(&names(), &found, false, RestartPolicy::Never, NOW);
        assert_eq!(step, Step::Failed { index: 0, code: 3 });
    }

    #[test]
    fn a_failure_under_always_runs_again_after_its_back_off() {
        let first = container("a", "first").exited(1, 995, 996).build();
        let found = init(vec![("first", first)]);
        let waiting = step(&names(), &found, false, RestartPolicy::Always, NOW);
        let at = NOW - 4 + FIRST_BACK_OFF_SECONDS;
        let backing_off = Step::BackOff {
            index: 0,
            code: 1,
            restarts: 0,
            at,
        };
        assert_eq!(waiting, backing_off);
        let later = step(&names(), &found, false, RestartPolicy::OnFailure, at);
        assert_eq!(
            later,
            Step::Run {
                index: 0,
                restarts: 1
            }
        );
    }

    #[test]
    fn the_back_off_doubles_up_to_the_cap() {
        let first = container("a", "first")
            .exited(1, 995, 996)
            .label(keys::INIT_RESTARTS, "2")
            .build();
        let found = init(vec![("first", first)]);
        let step = step(&names(), &found, false, RestartPolicy::Always, NOW);
        assert!(matches!(step, Step::BackOff { at, restarts: 2, .. } if at == NOW - 4 + 40));
        assert_eq!(back_off_seconds(10), MAX_BACK_OFF_SECONDS);
    }

    #[test]
    fn app_containers_that_exist_end_the_sequence_for_good() {
        let first = container("a", "first").exited(1, 995, 996).build();
        let found = init(vec![("first", first)]);
        let step = step(&names(), &found, true, RestartPolicy::Always, NOW);
        assert_eq!(step, Step::Done);
    }
}
