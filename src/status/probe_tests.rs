//! Readiness with probes: a container with a readiness (or startup) probe
//! is ready only once the prober says so; its restarts by the prober count.

use serde_json::json;

use super::fixtures::{container, pod, T0};
use super::*;
use crate::manifest::RestartPolicy::Always;

fn spec_with_readiness() -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": {"containers": [
        {"name": "app", "image": "busybox:test",
         "readinessProbe": {"exec": {"command": ["true"]}, "initialDelaySeconds": 0,
            "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3}},
        {"name": "sidecar", "image": "busybox:test"}
    ]}})
}

fn web(ready: Option<bool>, restarts: u64) -> crate::observed::ObservedPod {
    let mut web = pod("web")
        .spec(spec_with_readiness())
        .with(container("c1", "app").running(2))
        .with(container("c2", "sidecar").running(3))
        .build();
    let app = web.containers.get_mut("app").unwrap();
    app.probe.ready = ready;
    app.probe.ready_since = ready.filter(|r| *r).map(|_| T0 + 5);
    app.probe.restarts = restarts;
    web
}

#[test]
fn a_container_with_a_readiness_probe_and_no_result_is_not_ready() {
    let status = pod_status(&web(None, 0), Always, T0 + 60);
    assert_eq!(status.ready_column(), "1/2");
    assert!(!status.is_ready());
    let json = to_k8s_json(&status);
    let ready = json["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Ready")
        .unwrap()
        .clone();
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["reason"], "ContainersNotReady");
}

#[test]
fn a_passed_readiness_probe_makes_the_pod_ready() {
    let status = pod_status(&web(Some(true), 0), Always, T0 + 60);
    assert_eq!(status.ready_column(), "2/2");
    assert!(status.is_ready());
    assert!(!pod_status(&web(Some(false), 0), Always, T0 + 60).is_ready());
}

#[test]
fn restarts_by_the_prober_are_counted() {
    let status = pod_status(&web(Some(true), 2), Always, T0 + 60);
    assert_eq!(status.restarts, 2);
    assert_eq!(status.containers[0].restart_count, 2);
}

#[test]
fn a_rollout_waits_for_readiness_for_min_ready_seconds() {
    use crate::desired::health::is_ready;
    use std::time::Duration;
    let min = Duration::from_secs(30);
    assert!(!is_ready(&web(None, 0), T0 + 600, min));
    // Ready since T0 + 5: available once 30 s have passed since then.
    assert!(!is_ready(&web(Some(true), 0), T0 + 20, min));
    assert!(is_ready(&web(Some(true), 0), T0 + 35, min));
}
