//! The init containers' share of a pod's status: their statuses in spec
//! order (`initContainerStatuses`), whether they hold the pod back (its
//! phase then), and kubectl's STATUS column while they do (`Init:1/2`,
//! `Init:Error`, `Init:CrashLoopBackOff`).

use super::container;
use super::{ContainerState, ContainerStatus, CRASH_LOOP_BACK_OFF};
use crate::init_progress::{self, Step};
use crate::manifest::RestartPolicy;
use crate::observed::ObservedPod;

/// Waiting reason of an init container not run yet, and of the app
/// containers while init containers run (the kubelet's word).
pub const POD_INITIALIZING: &str = "PodInitializing";

/// What the init containers say about a pod.
pub(super) struct InitView {
    /// In spec order.
    pub statuses: Vec<ContainerStatus>,
    /// Where the sequence stands; `None` once the app containers exist
    /// (or when there are no init containers).
    pub step: Option<Step>,
}

/// The init containers of `pod`: `declared` (name, image) in spec order.
pub(super) fn observe(
    pod: &ObservedPod,
    declared: &[(String, String)],
    policy: RestartPolicy,
    now: i64,
) -> InitView {
    let names: Vec<String> = declared.iter().map(|(n, _)| n.clone()).collect();
    let apps_exist = !pod.containers.is_empty();
    let step = (!names.is_empty() && !apps_exist)
        .then(|| init_progress::step(&names, &pod.init_containers, false, policy, now));
    let done = |index: usize| match &step {
        None | Some(Step::Done) => true,
        Some(Step::Run { index: i, .. })
        | Some(Step::Running { index: i })
        | Some(Step::BackOff { index: i, .. })
        | Some(Step::Failed { index: i, .. }) => index < *i,
    };
    let statuses = declared
        .iter()
        .enumerate()
        .map(|(index, (name, image))| {
            let Some(observed) = pod.init_containers.get(name) else {
                return missing(name, image, done(index));
            };
            // Docker never restarts an init container: its own state.
            let mut status =
                container::observe(name, image, Some(observed), RestartPolicy::Never, now).status;
            status.restart_count = init_progress::restarts(observed);
            status.ready = init_progress::completed(observed);
            // The first failure shows as it is (Init:Error); from the
            // first run again on, the back-off (Init:CrashLoopBackOff).
            if let Some(Step::BackOff {
                index: i,
                at,
                restarts: 1..,
                ..
            }) = &step
            {
                if *i == index {
                    status.last_state = Some(status.state.clone());
                    status.state = ContainerState::Waiting {
                        reason: CRASH_LOOP_BACK_OFF.to_string(),
                        message: format!(
                            "back-off {}s restarting failed container={name}",
                            (at - now).max(0)
                        ),
                    };
                }
            }
            status
        })
        .collect();
    InitView { statuses, step }
}

/// An init container that does not exist: not run yet, or done and gone.
fn missing(name: &str, image: &str, done: bool) -> ContainerStatus {
    let state = if done {
        ContainerState::Terminated {
            exit_code: 0,
            reason: "Completed".to_string(),
            started_at: None,
            finished_at: None,
        }
    } else {
        ContainerState::Waiting {
            reason: POD_INITIALIZING.to_string(),
            message: String::new(),
        }
    };
    ContainerStatus {
        name: name.to_string(),
        ready: done,
        restart_count: 0,
        state,
        last_state: None,
        image: image.to_string(),
        container_id: None,
        started: false,
    }
}

/// kubectl's STATUS while init containers hold the pod back: the first
/// one not completed says it (`Init:Error`, `Init:CrashLoopBackOff`, else
/// `Init:<done>/<all>`); `None` once they all completed.
pub fn status_column(init: &[ContainerStatus]) -> Option<String> {
    for (index, c) in init.iter().enumerate() {
        let shown = match &c.state {
            ContainerState::Terminated { exit_code: 0, .. } => continue,
            ContainerState::Terminated {
                reason, exit_code, ..
            } if reason.is_empty() => format!("Init:ExitCode:{exit_code}"),
            ContainerState::Terminated { reason, .. } => format!("Init:{reason}"),
            ContainerState::Waiting { reason, .. }
                if !reason.is_empty() && reason != POD_INITIALIZING =>
            {
                format!("Init:{reason}")
            }
            _ => format!("Init:{index}/{}", init.len()),
        };
        return Some(shown);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::{pod_status, Phase};
    use crate::manifest::RestartPolicy;
    use crate::status::fixtures::{container, pod, T0};

    fn spec() -> serde_json::Value {
        serde_json::json!({ "spec": {
            "containers": [{ "name": "app", "image": "busybox:test" }],
            "initContainers": [
                { "name": "first", "image": "busybox:test" },
                { "name": "second", "image": "busybox:test" },
            ],
        }})
    }

    #[test]
    fn completed_init_containers_before_the_app_show_pod_initializing() {
        let observed = pod("web")
            .spec(spec())
            .with_init(0, container("a", "first").exited(0, 1, 2))
            .with_init(1, container("b", "second").exited(0, 3, 4))
            .build();
        let status = pod_status(&observed, RestartPolicy::Always, T0 + 5);
        assert_eq!(status.phase, Phase::Pending);
        assert_eq!(status.status_column(), "PodInitializing");
        assert!(status.init_containers.iter().all(|c| c.ready));
    }

    #[test]
    fn init_containers_in_spec_order_with_the_one_running_counted() {
        let observed = pod("web")
            .spec(spec())
            .with_init(0, container("a", "first").running(1))
            .build();
        let status = pod_status(&observed, RestartPolicy::Always, T0 + 5);
        assert_eq!(status.status_column(), "Init:0/2");
        let names: Vec<&str> = status
            .init_containers
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["first", "second"]);
    }

    #[test]
    fn once_the_app_containers_run_the_init_containers_are_history() {
        let observed = pod("web")
            .spec(spec())
            .with_init(0, container("a", "first").exited(0, 1, 2))
            .with_init(1, container("b", "second").exited(0, 3, 4))
            .with(container("c", "app").running(5))
            .build();
        let status = pod_status(&observed, RestartPolicy::Always, T0 + 6);
        assert_eq!(status.phase, Phase::Running);
        assert_eq!(status.status_column(), "Running");
    }
}
