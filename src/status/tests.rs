//! Pod status tests: the phase table through real observations, container
//! states, crash loops, readiness and the Kubernetes JSON shape.

use serde_json::json;

use super::fixtures::{container, pod, T0};
use super::*;
use crate::manifest::RestartPolicy::{Always, Never, OnFailure};

fn spec(policy: &str, names: &[&str]) -> serde_json::Value {
    let containers: Vec<_> = names
        .iter()
        .map(|n| json!({"name": n, "image": "busybox:test"}))
        .collect();
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": {"restartPolicy": policy, "containers": containers}})
}

#[test]
fn running_pod_reports_ready_containers_ip_and_start_time() {
    let web = pod("web")
        .spec(spec("Always", &["app", "sidecar"]))
        .with(container("c1", "app").running(2))
        .with(container("c2", "sidecar").running(3))
        .build();
    let status = pod_status(&web, Always, T0 + 60);
    assert_eq!(status.phase, Phase::Running);
    assert_eq!(
        (
            status.ready_column(),
            status.restarts,
            status.reason.clone()
        ),
        ("2/2".to_string(), 0, None)
    );
    assert_eq!(status.pod_ip.as_deref(), Some("172.18.0.5"));
    assert_eq!(status.host_ip.as_deref(), Some("172.18.0.1"));
    assert_eq!(status.start_time, Some(T0));
    assert_eq!(status.containers[0].name, "app");
    assert_eq!(
        status.containers[0].state,
        ContainerState::Running {
            started_at: Some(T0 + 2)
        }
    );
    assert_eq!(
        status.containers[0].container_id.as_deref(),
        Some("docker://c1")
    );
    assert!(status.is_ready());
    assert_eq!(status.status_column(), "Running");
}

#[test]
fn a_declared_container_not_created_yet_keeps_the_pod_pending() {
    let web = pod("web")
        .spec(spec("Always", &["app", "sidecar"]))
        .with(container("c1", "app").running(2))
        .build();
    let status = pod_status(&web, Always, T0 + 60);
    assert_eq!(
        (status.phase, status.ready_column()),
        (Phase::Pending, "1/2".to_string())
    );
    let sidecar = &status.containers[1];
    assert_eq!(
        (
            sidecar.name.as_str(),
            sidecar.image.as_str(),
            sidecar.container_id.clone()
        ),
        ("sidecar", "busybox:test", None)
    );
    assert_eq!(
        sidecar.state,
        ContainerState::Waiting {
            reason: "ContainerCreating".into(),
            message: String::new()
        }
    );
    assert_eq!(status.status_column(), "ContainerCreating");
}

#[test]
fn a_reason_from_the_caller_reaches_the_waiting_containers() {
    let web = pod("web").spec(spec("Always", &["app"])).build();
    let status =
        pod_status(&web, Always, T0).with_reason("ErrImagePull", "image \"nope\" not found");
    assert_eq!(status.reason.as_deref(), Some("ErrImagePull"));
    assert_eq!(
        status.containers[0].state,
        ContainerState::Waiting {
            reason: "ErrImagePull".into(),
            message: "image \"nope\" not found".into()
        }
    );
    assert_eq!(status.status_column(), "ErrImagePull");
}

#[test]
fn a_created_container_that_failed_to_start_waits_with_the_docker_error() {
    let web = pod("web")
        .with(container("c1", "app").start_error("exec: \"nope\": not found"))
        .build();
    let status = pod_status(&web, Always, T0);
    assert_eq!(status.phase, Phase::Pending);
    assert_eq!(
        status.containers[0].state,
        ContainerState::Waiting {
            reason: "RunContainerError".into(),
            message: "exec: \"nope\": not found".into()
        }
    );
}

#[test]
fn one_container_exiting_non_zero_under_never_fails_with_error() {
    let web = pod("web")
        .spec(spec("Never", &["app"]))
        .with(container("c1", "app").exited(3, 1, 4))
        .build();
    let status = pod_status(&web, Never, T0 + 60);
    assert_eq!(status.phase, Phase::Failed);
    let want = ContainerState::Terminated {
        exit_code: 3,
        reason: "Error".into(),
        started_at: Some(T0 + 1),
        finished_at: Some(T0 + 4),
    };
    assert_eq!(status.containers[0].state, want);
    assert_eq!(
        (status.ready, status.status_column()),
        (0, "Error".to_string())
    );
}

#[test]
fn one_container_exiting_zero_succeeds_under_on_failure_and_never() {
    for policy in [OnFailure, Never] {
        let web = pod("web")
            .with(container("c1", "app").exited(0, 1, 4))
            .build();
        let status = pod_status(&web, policy, T0 + 5);
        assert_eq!(
            (status.phase, status.status_column()),
            (Phase::Succeeded, "Completed".to_string())
        );
        assert_eq!(status.reason, None);
    }
}

#[test]
fn oom_killed_container_under_never_fails_as_oom_killed() {
    let web = pod("web")
        .with(container("c1", "app").exited(137, 1, 4).oom())
        .build();
    let status = pod_status(&web, Never, T0 + 5);
    assert_eq!(
        (status.phase, status.status_column()),
        (Phase::Failed, "OOMKilled".to_string())
    );
}

#[test]
fn two_containers_one_failed_under_never_stays_running_but_not_ready() {
    let web = pod("web")
        .with(container("c1", "app").exited(1, 1, 4))
        .with(container("c2", "sidecar").running(1))
        .build();
    let status = pod_status(&web, Never, T0 + 5);
    assert_eq!(
        (status.phase, status.ready_column()),
        (Phase::Running, "1/2".to_string())
    );
    assert!(!status.is_ready());
    assert_eq!(status.status_column(), "Error");
}

#[test]
fn a_completed_first_container_beside_a_running_one_shows_not_ready() {
    let web = pod("web")
        .with(container("c1", "a").exited(0, 1, 4))
        .with(container("c2", "b").running(1))
        .build();
    assert_eq!(
        pod_status(&web, OnFailure, T0 + 5).status_column(),
        "NotReady"
    );
}

#[test]
fn quick_repeated_crashes_report_crash_loop_back_off() {
    let web = pod("web")
        .with(container("c1", "app").restarting(1, 100, 102).restarts(3))
        .build();
    let status = pod_status(&web, Always, T0 + 103);
    assert_eq!(
        (status.phase, status.reason.as_deref(), status.restarts),
        (Phase::Running, Some("CrashLoopBackOff"), 3)
    );
    let app = &status.containers[0];
    assert_eq!(
        app.state,
        ContainerState::Waiting {
            reason: "CrashLoopBackOff".into(),
            message: "back-off restarting failed container app".into()
        }
    );
    let last = ContainerState::Terminated {
        exit_code: 1,
        reason: "Error".into(),
        started_at: Some(T0 + 100),
        finished_at: Some(T0 + 102),
    };
    assert_eq!(app.last_state, Some(last));
    assert_eq!(status.status_column(), "CrashLoopBackOff");
    assert_eq!(status.last_restart, Some(T0 + 100));
}

#[test]
fn a_restart_after_a_long_run_is_not_a_crash_loop() {
    let web = pod("web")
        .with(container("c1", "app").restarting(1, 100, 200).restarts(1))
        .build();
    let status = pod_status(&web, Always, T0 + 201);
    assert_eq!(status.reason, None);
    assert_eq!(
        status.containers[0].state,
        ContainerState::Waiting {
            reason: "ContainerCreating".into(),
            message: String::new()
        }
    );
    assert!(matches!(
        status.containers[0].last_state,
        Some(ContainerState::Terminated { exit_code: 1, .. })
    ));
}

#[test]
fn a_first_crash_is_not_yet_a_loop() {
    let web = pod("web")
        .with(container("c1", "app").restarting(1, 100, 101))
        .build();
    assert_eq!(pod_status(&web, Always, T0 + 102).reason, None);
}

#[test]
fn an_exited_container_docker_gave_up_on_is_no_longer_backing_off() {
    let crashed = || container("c1", "app").exited(1, 100, 102).restarts(2);
    let recent = pod("web").with(crashed()).build();
    assert_eq!(
        pod_status(&recent, OnFailure, T0 + 110).reason.as_deref(),
        Some("CrashLoopBackOff")
    );
    let stale = pod("web").with(crashed()).build();
    let status = pod_status(&stale, OnFailure, T0 + 102 + MAX_BACK_OFF_SECONDS + 1);
    assert_eq!(
        (status.phase, status.reason.clone()),
        (Phase::Running, None)
    );
    assert!(matches!(
        status.containers[0].state,
        ContainerState::Terminated { exit_code: 1, .. }
    ));
    let never = pod("web").with(crashed()).build();
    assert_eq!(
        pod_status(&never, Never, T0 + 103).reason,
        None,
        "Never does not restart"
    );
}

#[test]
fn an_exited_container_never_inspected_counts_as_failed_with_unknown_status() {
    let web = pod("web")
        .with(container("c1", "app").exited(0, 1, 2).uninspected())
        .build();
    let status = pod_status(&web, Never, T0 + 5);
    assert_eq!(status.phase, Phase::Failed);
    assert!(
        matches!(&status.containers[0].state, ContainerState::Terminated { reason, .. } if reason == "ContainerStatusUnknown")
    );
}

#[test]
fn without_an_infra_container_there_is_no_pod_ip() {
    let web = pod("web")
        .without_infra()
        .with(container("c1", "app").running(1))
        .build();
    let status = pod_status(&web, Always, T0 + 5);
    assert_eq!((status.pod_ip, status.start_time), (None, Some(T0)));
}

#[test]
fn restart_policy_comes_from_the_last_applied_spec() {
    assert_eq!(
        restart_policy_of(&pod("web").spec(spec("Never", &["app"])).build()),
        Never
    );
    let bare = pod("web")
        .spec(json!({"restartPolicy": "OnFailure", "containers": []}))
        .build();
    assert_eq!(restart_policy_of(&bare), OnFailure);
    assert_eq!(restart_policy_of(&pod("web").build()), Always);
    let mut broken = pod("web").build();
    broken.last_applied = Some("{not json".into());
    assert_eq!(restart_policy_of(&broken), Always);
}

#[test]
fn status_json_has_kubernetes_shape() {
    let web = pod("web")
        .spec(spec("Always", &["app", "sidecar"]))
        .with(container("c1", "app").restarting(2, 100, 101).restarts(4))
        .with(container("c2", "sidecar").running(3))
        .build();
    let got = to_k8s_json(&pod_status(&web, Always, T0 + 102));
    let want = json!({
        "phase": "Running",
        "reason": "CrashLoopBackOff",
        "conditions": [
            {"type": "Initialized", "status": "True", "lastProbeTime": null},
            {"type": "Ready", "status": "False", "lastProbeTime": null, "reason": "ContainersNotReady", "message": "containers with unready status: [app]"},
            {"type": "ContainersReady", "status": "False", "lastProbeTime": null, "reason": "ContainersNotReady", "message": "containers with unready status: [app]"},
            {"type": "PodScheduled", "status": "True", "lastProbeTime": null},
        ],
        "hostIP": "172.18.0.1",
        "hostIPs": [{"ip": "172.18.0.1"}],
        "podIP": "172.18.0.5",
        "podIPs": [{"ip": "172.18.0.5"}],
        "startTime": "2026-11-29T21:00:00Z",
        "containerStatuses": [
            {
                "name": "app",
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off restarting failed container app"}},
                "lastState": {"terminated": {"exitCode": 2, "reason": "Error", "startedAt": "2026-11-29T21:01:40Z", "finishedAt": "2026-11-29T21:01:41Z"}},
                "ready": false,
                "restartCount": 4,
                "image": "busybox:test",
                "containerID": "docker://c1",
                "started": false,
            },
            {
                "name": "sidecar",
                "state": {"running": {"startedAt": "2026-11-29T21:00:03Z"}},
                "lastState": {},
                "ready": true,
                "restartCount": 0,
                "image": "busybox:test",
                "containerID": "docker://c2",
                "started": true,
            },
        ],
    });
    assert_eq!(got, want);
}

#[test]
fn succeeded_pod_json_says_pod_completed() {
    let web = pod("web")
        .with(container("c1", "app").exited(0, 1, 2))
        .build();
    let got = to_k8s_json(&pod_status(&web, Never, T0 + 5));
    assert_eq!(got["phase"], "Succeeded");
    assert_eq!(
        got["conditions"][1],
        json!({"type": "Ready", "status": "False", "lastProbeTime": null, "reason": "PodCompleted"})
    );
    assert_eq!(
        got["containerStatuses"][0]["state"]["terminated"]["reason"],
        "Completed"
    );
}

#[test]
fn a_pod_on_a_lost_node_fails_with_node_lost() {
    let web = pod("web").with(container("c1", "app").running(1)).build();
    let status = pod_status(&web, Always, T0 + 5).node_lost("far", "web");
    assert_eq!(
        (status.phase, status.ready_column(), status.status_column()),
        (Phase::Failed, "0/1".to_string(), "NodeLost".to_string())
    );
    assert_eq!(
        status.message.as_deref(),
        Some("Node far which was running pod web is unresponsive")
    );
    assert_eq!(to_k8s_json(&status)["reason"], "NodeLost");
}

#[test]
fn an_unschedulable_pod_is_pending_and_not_scheduled() {
    let spec: crate::manifest::PodSpec = serde_json::from_value(json!({
        "containers": [{"name": "app", "image": "busybox:test", "imagePullPolicy": "IfNotPresent"}],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
    }))
    .expect("spec");
    let status = PodStatus::unschedulable(&spec, "0/1 nodes are available: 1 Insufficient memory.");
    assert_eq!(
        (status.phase, status.ready_column(), status.status_column()),
        (Phase::Pending, "0/1".to_string(), "Pending".to_string())
    );
    let got = to_k8s_json(&status);
    assert_eq!(
        got["conditions"],
        json!([{"type": "PodScheduled", "status": "False", "lastProbeTime": null, "reason": "Unschedulable", "message": "0/1 nodes are available: 1 Insufficient memory."}])
    );
    assert_eq!(got.get("containerStatuses"), None);
}
