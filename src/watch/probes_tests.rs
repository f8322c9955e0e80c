//! The watch's prober against the in-memory engine, on tokio's paused
//! clock: a liveness probe that keeps failing restarts its container
//! (stop, then start) after `failureThreshold` checks, and the shared
//! file says why.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::*;
use crate::engine::fake::{Call, FakeEngine};
use crate::engine::{ContainerConfig, ContainerState};
use crate::observed::Observed;
use crate::status::fixtures::{container, pod};
use crate::watch::counted::Ledger;

#[tokio::test(start_paused = true)]
async fn a_failing_liveness_probe_restarts_its_container_after_the_threshold() {
    let project = format!("probes-unit-{}", std::process::id());
    let fake = Arc::new(FakeEngine::new());
    let id = fake.insert(
        ContainerConfig::new("web_app", "localhost/test:1"),
        ContainerState::Running,
    );
    let spec = json!({"containers": [{"name": "app", "image": "localhost/test:1",
        "livenessProbe": {"exec": {"command": ["test", "-f", "/tmp/alive"]},
            "initialDelaySeconds": 0, "periodSeconds": 1, "timeoutSeconds": 1,
            "successThreshold": 1, "failureThreshold": 3}}]});
    let mut web = pod("web")
        .spec(spec)
        .with(container(&id, "app").running(2))
        .build();
    web.project = project.clone();
    let snapshot = Snapshot {
        observed: Some(Arc::new(Observed {
            pods: vec![web],
            ..Observed::default()
        })),
        ..Snapshot::default()
    };
    let (_snapshots, snapshot_rx) = watch::channel(Arc::new(snapshot));
    let counted = Counted::new(fake.clone(), Arc::new(Ledger::default()));
    let (_engines, engine_rx) = watch::channel(Some(Arc::new(counted)));
    let wake = Wake::new();
    let task = tokio::spawn(run(project.clone(), engine_rx, snapshot_rx, wake.clone()));

    tokio::time::sleep(Duration::from_millis(1900)).await;
    let restarted = |calls: &[Call]| calls.contains(&Call::Stop { id: id.clone() });
    assert!(
        !restarted(&fake.calls()),
        "restarted before the third failure"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let calls = fake.calls();
    let probes = calls
        .iter()
        .filter(|c| matches!(c, Call::Exec { cmd, .. } if cmd[0] == "test"))
        .count();
    assert_eq!(probes, 3, "{calls:?}");
    let at = calls
        .iter()
        .position(|c| *c == Call::Stop { id: id.clone() });
    let at = at.unwrap_or_else(|| panic!("never stopped: {calls:?}"));
    assert_eq!(calls[at + 1], Call::Start { id: id.clone() });
    task.abort();

    let file = crate::probe::store::read(&project);
    let facts = file.facts(&id);
    assert_eq!(facts.restarts, 1);
    let reasons: Vec<&str> = facts.events.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(reasons, ["Unhealthy", "Killing"]);
    assert_eq!(facts.events[0].count, 3);
    let _ = std::fs::remove_file(crate::probe::store::path(&project));
}
