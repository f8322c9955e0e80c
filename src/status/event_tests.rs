//! Event tests: derived from Docker's events and container state, and the
//! bounded in-memory log.

use serde_json::json;

use super::events::{aggregate, Event, EventLog, EventType};
use super::fixtures::{container, die, docker_event, pod, T0};
use super::pod_events;
use crate::keys;

fn summary(events: &[Event]) -> Vec<(String, String, u32, i64, i64)> {
    events
        .iter()
        .map(|e| {
            (
                e.reason.clone(),
                e.message.clone(),
                e.count,
                e.first_seen - T0,
                e.last_seen - T0,
            )
        })
        .collect()
}

fn row(
    reason: &str,
    message: &str,
    count: u32,
    first: i64,
    last: i64,
) -> (String, String, u32, i64, i64) {
    (reason.into(), message.into(), count, first, last)
}

#[test]
fn repeated_exits_aggregate_into_one_event_with_a_count() {
    let web = pod("web").with(container("c1", "app").running(31)).build();
    let stream = [
        docker_event("create", "c1", "app", 0),
        docker_event("start", "c1", "app", 1),
        die("c1", "app", 1, 10),
        docker_event("start", "c1", "app", 11),
        die("c1", "app", 1, 20),
        docker_event("start", "c1", "app", 21),
        die("c1", "app", 1, 30),
        docker_event("start", "c1", "app", 31),
    ];
    let events = pod_events(&web, &stream);
    assert_eq!(
        summary(&events),
        vec![
            row("Created", "Created container app", 1, 0, 0),
            row("Failed", "container app exited with code 1", 3, 10, 30),
            row("Started", "Started container app", 4, 1, 31),
        ]
    );
    let failed = &events[1];
    assert_eq!(
        (
            failed.kind,
            failed.object.as_str(),
            failed.container.as_deref()
        ),
        (EventType::Warning, "pod/web", Some("app"))
    );
}

#[test]
fn exit_zero_is_completed_and_oom_is_a_warning() {
    let web = pod("web")
        .with(container("c1", "app").exited(137, 1, 5).oom())
        .build();
    let stream = [
        die("c0", "app", 0, 2),
        docker_event("oom", "c1", "app", 5),
        die("c1", "app", 137, 5),
    ];
    let events = pod_events(&web, &stream);
    let by_reason = |reason: &str| {
        events
            .iter()
            .find(|e| e.reason == reason)
            .unwrap_or_else(|| panic!("no {reason}"))
    };
    assert_eq!(by_reason("Completed").kind, EventType::Normal);
    assert_eq!(
        by_reason("Completed").message,
        "container app exited with code 0"
    );
    assert_eq!(by_reason("OOMKilled").kind, EventType::Warning);
    assert_eq!(
        by_reason("OOMKilled").message,
        "container app was killed: out of memory"
    );
    assert_eq!(
        by_reason("Failed").message,
        "container app exited with code 137"
    );
    assert_eq!(
        events.iter().filter(|e| e.reason == "OOMKilled").count(),
        1,
        "the stream already covers the OOM kill"
    );
}

#[test]
fn without_docker_events_the_inspected_state_tells_the_story() {
    let web = pod("web")
        .with(container("c1", "app").exited(137, 1, 5).oom())
        .build();
    assert_eq!(
        summary(&pod_events(&web, &[])),
        vec![
            row("Created", "Created container app", 1, 0, 0),
            row("Started", "Started container app", 1, 1, 1),
            row("Failed", "container app exited with code 137", 1, 5, 5),
            row(
                "OOMKilled",
                "container app was killed: out of memory",
                1,
                5,
                5
            ),
        ]
    );
}

#[test]
fn restarts_and_crash_loops_are_warnings() {
    let web = pod("web")
        .with(container("c1", "app").restarting(3, 50, 52).restarts(5))
        .build();
    let events = pod_events(&web, &[]);
    let restarted = events
        .iter()
        .find(|e| e.reason == "Restarted")
        .expect("restarted");
    assert_eq!(
        (restarted.kind, restarted.message.as_str()),
        (EventType::Warning, "container app restarted 5 times")
    );
    let back_off = events
        .iter()
        .find(|e| e.reason == "BackOff")
        .expect("back-off");
    assert_eq!(back_off.message, "Back-off restarting failed container app");
}

#[test]
fn events_of_a_removed_container_still_count_by_its_labels() {
    let web = pod("web").with(container("c2", "app").running(40)).build();
    let events = pod_events(&web, &[die("gone", "app", 2, 30)]);
    assert!(events
        .iter()
        .any(|e| e.reason == "Failed" && e.last_seen == T0 + 30));
}

#[test]
fn events_of_other_pods_and_of_the_infra_container_are_ignored() {
    let web = pod("web").with(container("c1", "app").running(1)).build();
    let mut other = die("x", "app", 1, 10);
    other.attributes.insert(keys::POD.into(), "db".into());
    let mut other_project = die("y", "app", 1, 10);
    other_project
        .attributes
        .insert(keys::PROJECT.into(), "elsewhere".into());
    let infra = die("i", keys::INFRA_NAME, 137, 10);
    let events = pod_events(&web, &[other, other_project, infra]);
    assert!(events.iter().all(|e| e.reason != "Failed"), "{events:?}");
}

#[test]
fn self_heal_labels_become_events() {
    let repaired = container("c1", "app")
        .running(70)
        .label(keys::REPAIR, "container app was removed; re-created")
        .label(keys::REPAIR_TIME, &(T0 + 80).to_string());
    let events = pod_events(&pod("web").with(repaired).build(), &[]);
    let heal = events
        .iter()
        .find(|e| e.reason == "SelfHeal")
        .expect("self-heal");
    assert_eq!(
        (
            heal.message.as_str(),
            heal.last_seen,
            heal.container.as_deref()
        ),
        (
            "container app was removed; re-created",
            T0 + 80,
            Some("app")
        )
    );
    assert_eq!(
        events.last().map(|e| e.reason.as_str()),
        Some("SelfHeal"),
        "sorted by last seen"
    );
}

fn pull_failure(at: i64) -> Event {
    Event::new(
        "default",
        "pod/web",
        EventType::Warning,
        "Failed",
        "Failed to pull image \"nope\"",
        at,
    )
    .in_container("app")
}

#[test]
fn event_log_counts_identical_events() {
    let mut log = EventLog::new();
    log.record(pull_failure(T0));
    log.record(Event::new(
        "default",
        "pod/web",
        EventType::Normal,
        "Scheduled",
        "Successfully assigned default/web to local",
        T0 + 1,
    ));
    log.record(pull_failure(T0 + 5));
    let events = log.list();
    assert_eq!(log.len(), 2);
    assert_eq!(
        summary(&events),
        vec![
            row(
                "Scheduled",
                "Successfully assigned default/web to local",
                1,
                1,
                1
            ),
            row("Failed", "Failed to pull image \"nope\"", 2, 0, 5)
        ]
    );
    assert_eq!(log.for_object("default", "pod/db"), vec![]);
    assert_eq!(log.for_object("default", "pod/web").len(), 2);
}

#[test]
fn event_log_is_bounded_and_forgets_the_least_recently_seen() {
    let mut log = EventLog::with_capacity(3);
    for i in 0..5 {
        log.record(Event::new(
            "default",
            &format!("pod/p{i}"),
            EventType::Normal,
            "Scheduled",
            "assigned",
            T0 + i,
        ));
    }
    let objects: Vec<String> = log.list().into_iter().map(|e| e.object).collect();
    assert_eq!(objects, ["pod/p2", "pod/p3", "pod/p4"]);
    assert_eq!(EventLog::new().list(), vec![]);
    assert!(EventLog::default().is_empty());
}

#[test]
fn aggregate_merges_derived_and_logged_events() {
    let merged = aggregate([pull_failure(T0 + 9), pull_failure(T0 + 1)]);
    assert_eq!(
        summary(&merged),
        vec![row("Failed", "Failed to pull image \"nope\"", 2, 1, 9)]
    );
}

#[test]
fn events_render_as_kubernetes_event_objects() {
    let got = aggregate([pull_failure(T0), pull_failure(T0 + 60)])[0].to_k8s_json();
    assert_eq!(got["kind"], "Event");
    assert_eq!(
        got["involvedObject"],
        json!({"kind": "Pod", "namespace": "default", "name": "web", "apiVersion": "v1", "fieldPath": "spec.containers{app}"})
    );
    assert_eq!(
        (
            got["reason"].as_str(),
            got["type"].as_str(),
            got["count"].as_u64()
        ),
        (Some("Failed"), Some("Warning"), Some(2))
    );
    assert_eq!(
        (
            got["firstTimestamp"].as_str(),
            got["lastTimestamp"].as_str()
        ),
        (Some("2026-11-29T21:00:00Z"), Some("2026-11-29T21:01:00Z"))
    );
    let name = got["metadata"]["name"].as_str().unwrap();
    assert!(
        name.starts_with("web.") && crate::names::dns1123_subdomain(name).is_ok(),
        "{name}"
    );
    let node = Event::new(
        "",
        "node/local",
        EventType::Normal,
        "NodeReady",
        "ready",
        T0,
    )
    .to_k8s_json();
    assert_eq!(node["involvedObject"]["kind"], "Node");
}

#[test]
fn a_requested_stop_is_killing_not_a_failure() {
    let web = pod("web").with(container("c2", "app").running(40)).build();
    let stream = [
        docker_event("kill", "c1", "app", 30),
        docker_event("kill", "c1", "app", 31),
        die("c1", "app", 143, 31),
        docker_event("start", "c2", "app", 40),
        die("c2", "app", 1, 50),
    ];
    let events = pod_events(&web, &stream);
    let reasons: Vec<(&str, u32)> = events
        .iter()
        .map(|e| (e.reason.as_str(), e.count))
        .collect();
    assert_eq!(
        reasons,
        [
            ("Created", 1),
            ("Killing", 1),
            ("Started", 1),
            ("Failed", 1)
        ]
    );
    assert_eq!(events[1].message, "Stopping container app");
    assert_eq!(events[3].message, "container app exited with code 1");
}

#[test]
fn a_container_docker_could_not_start_reports_the_error() {
    let web = pod("web")
        .with(container("c1", "app").start_error("exec: \"nope\": executable file not found"))
        .build();
    let events = pod_events(&web, &[]);
    let failed = events
        .iter()
        .find(|e| e.reason == "Failed")
        .expect("failed");
    assert_eq!(failed.kind, EventType::Warning);
    assert_eq!(
        failed.message,
        "Error: failed to start container app: exec: \"nope\": executable file not found"
    );
    assert!(
        events.iter().all(|e| e.reason != "Started"),
        "it never started"
    );
}

#[test]
fn a_pod_on_a_node_that_does_not_answer_or_was_lost_says_so() {
    use crate::observed::NodeProblem;
    let mut web = pod("web").with(container("c1", "app").running(1)).build();
    web.node = "n2".into();
    web.node_problem = Some(NodeProblem::Unreachable { since: T0 + 5 });
    let events = pod_events(&web, &[]);
    let last = events.last().expect("an event");
    assert_eq!(
        (last.reason.as_str(), last.kind, last.last_seen - T0),
        ("NodeNotReady", EventType::Warning, 5)
    );
    assert!(last.message.contains("n2"), "{}", last.message);
    web.node_problem = Some(NodeProblem::Lost { since: T0 + 45 });
    let events = pod_events(&web, &[]);
    let last = events.last().expect("an event");
    assert_eq!(
        (
            last.reason.as_str(),
            last.message.as_str(),
            last.last_seen - T0
        ),
        (
            "NodeLost",
            "Node n2 which was running pod web is unresponsive",
            45
        )
    );
}
