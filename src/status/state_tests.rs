//! When the container list and the inspect that follows it disagree (Docker
//! restarted or stopped the container in between), the newer inspect wins.

use serde_json::json;

use super::fixtures::{container, pod, T0};
use super::*;
use crate::engine::ContainerState as Docker;
use crate::manifest::RestartPolicy::{Always, Never};

fn spec(policy: &str) -> serde_json::Value {
    json!({"spec": {"restartPolicy": policy, "containers": [{"name": "hog", "image": "busybox:test"}]}})
}

#[test]
fn a_container_listed_restarting_but_running_again_is_running() {
    // Docker 20.10 keeps OOMKilled from the last exit while the container
    // runs again, with its exit code reset to 0.
    let hog = container("c1", "hog")
        .running(5)
        .oom()
        .restarts(3)
        .listed(Docker::Restarting);
    let web = pod("web").spec(spec("Always")).with(hog).build();
    let status = pod_status(&web, Always, T0 + 6);
    let hog = &status.containers[0];
    assert_eq!(
        hog.state,
        ContainerState::Running {
            started_at: Some(T0 + 5)
        }
    );
    assert_eq!(
        (status.phase, hog.ready, hog.restart_count),
        (Phase::Running, true, 3)
    );
    assert_eq!(status.status_column(), "Running");
    assert!(
        matches!(&hog.last_state, Some(ContainerState::Terminated { exit_code: 137, reason, .. }) if reason == "OOMKilled"),
        "the last exit was the OOM kill: {:?}",
        hog.last_state
    );
}

#[test]
fn a_container_running_again_after_a_plain_exit_has_no_made_up_last_state() {
    // Docker reset the exit code to 0: the real one is unknown here.
    let app = container("c1", "hog").running(5).restarts(2);
    let web = pod("web").spec(spec("Always")).with(app).build();
    let status = pod_status(&web, Always, T0 + 6);
    assert_eq!(status.containers[0].last_state, None);
    assert_eq!(status.containers[0].restart_count, 2);
}

#[test]
fn a_container_listed_running_but_exited_since_shows_its_exit() {
    let hog = container("c1", "hog")
        .exited(137, 1, 2)
        .oom()
        .listed(Docker::Running);
    let web = pod("web").spec(spec("Never")).with(hog).build();
    let status = pod_status(&web, Never, T0 + 3);
    assert_eq!(status.phase, Phase::Failed);
    assert!(
        matches!(&status.containers[0].state, ContainerState::Terminated { exit_code: 137, reason, .. } if reason == "OOMKilled"),
        "{:?}",
        status.containers[0].state
    );
    let events = pod_events(&web, &[]);
    assert!(
        events.iter().any(|e| e.reason == "OOMKilled"),
        "the OOM kill is an event: {events:?}"
    );
}

#[test]
fn a_container_listed_restarting_and_inspected_restarting_keeps_its_last_exit() {
    let hog = container("c1", "hog")
        .restarting(137, 1, 2)
        .oom()
        .restarts(1);
    let web = pod("web").spec(spec("Always")).with(hog).build();
    let status = pod_status(&web, Always, T0 + 3);
    let last = status.containers[0].last_state.clone();
    assert!(
        matches!(&last, Some(ContainerState::Terminated { exit_code: 137, reason, .. }) if reason == "OOMKilled"),
        "{last:?}"
    );
    assert_eq!(status.phase, Phase::Running);
}
