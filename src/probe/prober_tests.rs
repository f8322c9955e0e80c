//! The prober's timing, gating and actions, with a paused clock.

use std::time::Duration;

use tokio::time::Instant;

use super::*;
use crate::manifest::ProbeHandler;

fn exec_probe(delay: u32, period: u32, failures: u32) -> Probe {
    Probe {
        initial_delay_seconds: delay,
        period_seconds: period,
        failure_threshold: failures,
        ..Probe::new(ProbeHandler::Exec {
            command: vec!["true".into()],
        })
    }
}

fn target() -> Target {
    Target {
        project: "demo".into(),
        namespace: "default".into(),
        pod: "web".into(),
        container: "app".into(),
        id: "c1".into(),
        started_at: "t0".into(),
        pod_ip: None,
        liveness: None,
        readiness: None,
        startup: None,
    }
}

fn kinds(due: &[Due]) -> Vec<ProbeKind> {
    due.iter().map(|d| d.kind).collect()
}

fn fail() -> Outcome {
    Outcome::Failure("command \"true\" exited with 1".into())
}

#[test]
fn a_probe_runs_after_its_initial_delay_then_every_period() {
    let t = Target {
        readiness: Some(exec_probe(5, 2, 3)),
        ..target()
    };
    let mut prober = Prober::default();
    let start = Instant::now();
    assert!(prober.due(std::slice::from_ref(&t), start).is_empty());
    let at = |s| start + Duration::from_secs(s);
    assert_eq!(
        kinds(&prober.due(std::slice::from_ref(&t), at(5))),
        [ProbeKind::Readiness]
    );
    assert!(prober.due(std::slice::from_ref(&t), at(6)).is_empty());
    assert_eq!(prober.due(std::slice::from_ref(&t), at(7)).len(), 1);
}

#[test]
fn readiness_is_false_until_the_probe_passes_and_false_again_after_failures() {
    let t = Target {
        readiness: Some(exec_probe(0, 1, 2)),
        ..target()
    };
    let mut prober = Prober::default();
    let now = Instant::now();
    let due = prober.due(std::slice::from_ref(&t), now);
    assert!(!prober.readiness(std::slice::from_ref(&t))["c1"]);
    prober.record(&due[0], &Outcome::Success, 0);
    assert!(prober.readiness(std::slice::from_ref(&t))["c1"]);
    prober.record(&due[0], &fail(), 1);
    assert!(prober.readiness(std::slice::from_ref(&t))["c1"]);
    let actions = prober.record(&due[0], &fail(), 2);
    assert!(!prober.readiness(std::slice::from_ref(&t))["c1"]);
    // A failed readiness probe is an event, never a kill.
    assert!(actions
        .iter()
        .all(|a| matches!(a, Action::Record(e) if e.reason == "Unhealthy")));
}

#[test]
fn a_liveness_failure_past_its_threshold_restarts_once_with_kubelets_events() {
    let t = Target {
        liveness: Some(exec_probe(0, 1, 2)),
        ..target()
    };
    let mut prober = Prober::default();
    let now = Instant::now();
    let due = prober.due(std::slice::from_ref(&t), now);
    let first = prober.record(&due[0], &fail(), 0);
    assert_eq!(first.len(), 1);
    let second = prober.record(&due[0], &fail(), 1);
    let Action::Record(unhealthy) = &second[0] else {
        panic!("{second:?}")
    };
    assert_eq!(
        unhealthy.message,
        "Liveness probe failed: command \"true\" exited with 1"
    );
    let Action::Record(killing) = &second[1] else {
        panic!("{second:?}")
    };
    assert_eq!(
        (killing.reason.as_str(), killing.message.as_str()),
        (
            "Killing",
            "Container app failed liveness probe, will be restarted"
        )
    );
    assert_eq!(second[2], Action::Restart { id: "c1".into() });
    // The killed run is left alone; its next run is probed afresh.
    assert!(prober
        .due(std::slice::from_ref(&t), now + Duration::from_secs(5))
        .is_empty());
    let restarted = Target {
        started_at: "t1".into(),
        ..t
    };
    assert_eq!(
        prober.due(&[restarted], now + Duration::from_secs(5)).len(),
        1
    );
}

#[test]
fn a_startup_probe_holds_liveness_and_readiness_back_until_it_passes() {
    let t = Target {
        startup: Some(exec_probe(0, 1, 5)),
        liveness: Some(exec_probe(0, 1, 1)),
        readiness: Some(exec_probe(0, 1, 1)),
        ..target()
    };
    let mut prober = Prober::default();
    let now = Instant::now();
    let due = prober.due(std::slice::from_ref(&t), now);
    assert_eq!(kinds(&due), [ProbeKind::Startup]);
    prober.record(&due[0], &Outcome::Success, 0);
    assert!(!prober.readiness(std::slice::from_ref(&t))["c1"]);
    let later = prober.due(std::slice::from_ref(&t), now + Duration::from_secs(1));
    assert_eq!(kinds(&later), [ProbeKind::Liveness, ProbeKind::Readiness]);
}

#[test]
fn a_container_without_readiness_probe_is_ready_once_started() {
    let t = Target {
        liveness: Some(exec_probe(0, 1, 1)),
        ..target()
    };
    let prober = Prober::default();
    assert!(prober.readiness(&[t])["c1"]);
}
