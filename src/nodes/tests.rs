//! The node controller's pure parts: which nodes are declared, what each
//! probe makes of a node's status, what the records add after a restart,
//! and the records' labels.

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::engine::fake::FakeEngine;
use crate::engine::{ContainerState, ContainerSummary, EngineInfo};
use crate::manifest::{Manifests, Node, ObjectMeta, Source, DOCKER_HOST_ANNOTATION};

const DEFAULT: &str = "unix:///var/run/docker.sock";
const GRACE: Duration = Duration::from_secs(40);
const T0: i64 = 1_700_000_000;

fn node(name: &str, host: Option<&str>) -> Node {
    let mut annotations = BTreeMap::new();
    if let Some(host) = host {
        annotations.insert(DOCKER_HOST_ANNOTATION.to_string(), host.to_string());
    }
    Node {
        meta: ObjectMeta {
            name: name.into(),
            annotations,
            ..Default::default()
        },
        capacity: Default::default(),
        docker_host: host.map(str::to_string),
        source: Source::default(),
    }
}

fn nodes(list: Vec<Node>) -> Manifests {
    Manifests {
        nodes: list,
        ..Default::default()
    }
}

fn machines(list: &[&str]) -> Vec<String> {
    list.iter().map(|m| m.to_string()).collect()
}

fn spec(name: &str) -> NodeSpec {
    NodeSpec {
        name: name.to_string(),
        endpoint: Some(format!("tcp://{name}:2375")),
        cert_path: None,
        labels: Default::default(),
        cpu_milli: None,
        memory_bytes: None,
        declared: true,
    }
}

fn answered() -> Probe {
    Probe::Answered(FakeEngine::default_info())
}

fn down() -> Probe {
    Probe::Unreachable("connection refused".to_string())
}

/// `spec("a")`'s status after each probe in turn, one at each time.
fn run(probes: Vec<(Probe, i64)>) -> NodeStatus {
    let spec = spec("a");
    let mut status: Option<NodeStatus> = None;
    for (probe, now) in probes {
        status = Some(advance(status.as_ref(), &spec, probe, now, GRACE));
    }
    status.expect("at least one probe")
}

// --- declared ---

#[test]
fn without_nodes_or_machines_there_is_the_implicit_local_node() {
    let declared = declared(&Manifests::default(), &[], DEFAULT);
    assert_eq!(declared.len(), 1);
    let local = &declared[0];
    assert_eq!(local.name, "local");
    assert_eq!(local.endpoint.as_deref(), Some(DEFAULT));
    assert!(!local.declared);
    // Blank machines are no machines.
    let declared = super::declared(&Manifests::default(), &machines(&["", "  "]), DEFAULT);
    assert_eq!(declared.len(), 1);
    assert!(!declared[0].declared);
}

#[test]
fn node_manifests_give_endpoint_labels_capacity_and_certificates() {
    let mut a = node("b-node", Some("tcp://10.0.0.2:2376"));
    a.meta.labels.insert("disk".into(), "ssd".into());
    a.meta
        .annotations
        .insert(CERT_PATH_ANNOTATION.into(), "/certs/b".into());
    a.capacity.insert("cpu".into(), "1500m".into());
    a.capacity.insert("memory".into(), "1Gi".into());
    let declared = declared(&nodes(vec![a, node("a-node", None)]), &[], DEFAULT);
    let names: Vec<&str> = declared.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["a-node", "b-node"], "sorted by name");
    let (a, b) = (&declared[0], &declared[1]);
    assert_eq!(a.endpoint, None, "never contacted");
    assert_eq!(a.endpoint_text(), "-");
    assert!(a.declared);
    assert_eq!(b.endpoint.as_deref(), Some("tcp://10.0.0.2:2376"));
    assert_eq!(b.cert_path, Some("/certs/b".into()));
    assert_eq!(b.endpoint_text(), "tcp://10.0.0.2:2376 (TLS)");
    assert_eq!(b.labels.get("disk").map(String::as_str), Some("ssd"));
    assert_eq!(b.cpu_milli, Some(1500));
    assert_eq!(b.memory_bytes, Some(1 << 30));
}

#[test]
fn an_empty_endpoint_or_cert_path_is_none() {
    let mut n = node("a", Some(""));
    n.meta
        .annotations
        .insert(CERT_PATH_ANNOTATION.into(), String::new());
    let declared = declared(&nodes(vec![n]), &[], DEFAULT);
    assert_eq!(declared[0].endpoint, None);
    assert_eq!(declared[0].cert_path, None);
}

#[test]
fn machines_add_nodes_and_give_manifests_without_one_their_endpoint() {
    let m = nodes(vec![
        node("10.0.0.2", None),
        node("10.0.0.3", Some("tcp://elsewhere:2375")),
    ]);
    let declared = declared(
        &m,
        &machines(&[
            "tcp://10.0.0.2:2376",
            " tcp://10.0.0.3:2376 ",
            "tcp://10.0.0.4:2376",
            "",
        ]),
        DEFAULT,
    );
    let got: Vec<(&str, Option<&str>, bool)> = declared
        .iter()
        .map(|n| (n.name.as_str(), n.endpoint.as_deref(), n.declared))
        .collect();
    assert_eq!(
        got,
        [
            ("10.0.0.2", Some("tcp://10.0.0.2:2376"), true),
            ("10.0.0.3", Some("tcp://elsewhere:2375"), true),
            ("10.0.0.4", Some("tcp://10.0.0.4:2376"), true),
        ]
    );
}

#[test]
fn machines_alone_leave_no_implicit_local() {
    let declared = declared(
        &Manifests::default(),
        &machines(&["tcp://b:2375", "tcp://a:2375"]),
        DEFAULT,
    );
    let names: Vec<&str> = declared.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn a_local_manifest_without_endpoint_is_the_default_engine_labelled() {
    let mut local = node("local", None);
    local.meta.labels.insert("zone".into(), "home".into());
    let declared = declared(&nodes(vec![local, node("far", None)]), &[], DEFAULT);
    let local = declared.iter().find(|n| n.name == "local").unwrap();
    assert_eq!(local.endpoint.as_deref(), Some(DEFAULT));
    assert_eq!(local.labels.get("zone").map(String::as_str), Some("home"));
    assert!(local.declared);
    // Any other node without endpoint is not given the default one.
    let far = declared.iter().find(|n| n.name == "far").unwrap();
    assert_eq!(far.endpoint, None);
    // With an endpoint of its own, `local` keeps it.
    let declared = super::declared(
        &nodes(vec![node("local", Some("tcp://x:2375"))]),
        &[],
        DEFAULT,
    );
    assert_eq!(declared[0].endpoint.as_deref(), Some("tcp://x:2375"));
}

// --- machine_name ---

#[test]
fn machine_names() {
    for (endpoint, name) in [
        ("tcp://10.0.0.2:2376", "10.0.0.2"),
        (
            "tcp://Docker-Host.Example.com:2376",
            "docker-host.example.com",
        ),
        ("tcp://host", "host"),
        ("tcp://host:2376/", "host"),
        ("ssh://user@host", "host"),
        ("tcp://[fe80::1]:2376", "fe80--1"),
        ("unix:///var/run/docker.sock", "local"),
        ("/var/run/docker.sock", "local"),
        ("unix:///tmp/dind2/docker.sock", "local-dind2"),
        (
            "unix:///run/user/1000/Docker_Two/docker.sock",
            "local-docker-two",
        ),
        ("tcp://", "machine"),
    ] {
        assert_eq!(machine_name(endpoint), name, "{endpoint}");
    }
}

// --- advance ---

#[test]
fn a_node_without_endpoint_stays_pending() {
    let s = advance(None, &spec("a"), Probe::NoEndpoint, T0, GRACE);
    assert_eq!(s.phase, NodePhase::Pending);
    assert_eq!(s.reason, "NoEndpoint");
    assert_eq!(s.reachable.status, CondStatus::Unknown);
    assert_eq!(s.ready.status, CondStatus::Unknown);
    assert!(s.reachable.message.contains(DOCKER_HOST_ANNOTATION));
    assert!(!s.is_ready());
    assert!(!s.is_reachable());
    let mut no_endpoint = spec("a");
    no_endpoint.endpoint = None;
    let s = advance(None, &no_endpoint, Probe::NoEndpoint, T0, GRACE);
    assert_eq!(s.status_text(), "Pending");
}

#[test]
fn an_answering_engine_makes_the_node_running_and_ready() {
    let s = run(vec![(answered(), T0)]);
    assert_eq!(s.phase, NodePhase::Running);
    assert!(s.reason.is_empty());
    assert_eq!(s.reachable.status, CondStatus::True);
    assert_eq!(s.ready.status, CondStatus::True);
    assert_eq!(s.ready.reason, "EngineReady");
    assert_eq!(s.ready.message, "Docker 20.10.24 (overlay2 storage)");
    assert_eq!(s.info, Some(FakeEngine::default_info()));
    assert!(s.is_ready());
    assert_eq!(s.status_text(), "Ready");
    assert_eq!(
        (s.unreachable_since, s.lost_at, s.stale),
        (None, None, false)
    );
}

#[test]
fn an_engine_without_storage_driver_is_reachable_but_not_ready() {
    let info = EngineInfo {
        storage_driver: String::new(),
        ..FakeEngine::default_info()
    };
    let s = run(vec![(Probe::Answered(info), T0)]);
    assert_eq!(s.phase, NodePhase::Running);
    assert!(s.is_reachable());
    assert_eq!(s.ready.status, CondStatus::False);
    assert_eq!(s.ready.reason, "StorageDriverUnhealthy");
    assert!(!s.is_ready());
    assert_eq!(s.status_text(), "NotReady");
}

#[test]
fn an_engine_whose_info_fails_is_reachable_but_not_ready() {
    let s = run(vec![
        (answered(), T0),
        (Probe::NotReady("500 boom".into()), T0 + 5),
    ]);
    assert_eq!(s.phase, NodePhase::Running);
    assert_eq!(s.reachable.status, CondStatus::True);
    assert_eq!(s.reachable.last_transition, T0);
    assert_eq!(s.ready.status, CondStatus::False);
    assert_eq!(s.ready.reason, "EngineNotReady");
    assert_eq!(s.ready.message, "500 boom");
    assert_eq!(s.ready.last_transition, T0 + 5);
    assert!(!s.is_ready());
    assert!(!s.stale);
}

#[test]
fn probing_off_takes_the_node_as_declared() {
    let s = run(vec![(Probe::Off, T0)]);
    assert_eq!(s.phase, NodePhase::Running);
    assert_eq!(s.ready.status, CondStatus::True);
    assert_eq!(s.ready.reason, "NodeSyncOff");
    assert!(s.is_ready());
    assert_eq!(s.info, None);
    assert_eq!(s.capacity(), None, "read from the engine when needed");
}

#[test]
fn a_node_never_reached_stays_pending_while_unreachable() {
    let s = run(vec![(down(), T0), (down(), T0 + 10)]);
    assert_eq!(s.phase, NodePhase::Pending);
    assert_eq!(s.reason, "EngineUnreachable");
    assert_eq!(s.reachable.status, CondStatus::False);
    assert_eq!(s.reachable.message, "connection refused");
    assert_eq!(s.reachable.last_transition, T0);
    assert_eq!(s.reachable.last_probe, T0 + 10);
    assert_eq!(s.ready.status, CondStatus::Unknown);
    assert_eq!(s.unreachable_since, Some(T0));
    assert_eq!(s.lost_at, None);
    assert_eq!(s.status_text(), "Unknown");
}

#[test]
fn transition_times_move_only_when_the_status_changes() {
    let s = run(vec![(answered(), T0), (answered(), T0 + 10)]);
    assert_eq!(s.reachable.last_transition, T0);
    assert_eq!(s.ready.last_transition, T0);
    assert_eq!(s.ready.last_probe, T0 + 10);
    // Unreachable within the grace period: reachable changes, ready does
    // not (yet).
    let s = run(vec![
        (answered(), T0),
        (answered(), T0 + 10),
        (down(), T0 + 20),
        (down(), T0 + 30),
    ]);
    assert_eq!(s.phase, NodePhase::Running, "it was reached before");
    assert!(s.reason.is_empty());
    assert_eq!(s.reachable.status, CondStatus::False);
    assert_eq!(s.reachable.last_transition, T0 + 20);
    assert_eq!(s.reachable.last_probe, T0 + 30);
    assert_eq!(s.ready.status, CondStatus::True);
    assert_eq!(s.ready.reason, "EngineUnreachable");
    assert_eq!(s.ready.last_transition, T0);
    assert_eq!(
        s.unreachable_since,
        Some(T0 + 10),
        "counted from the last answer, as from the last heartbeat"
    );
    assert_eq!(
        s.info,
        Some(FakeEngine::default_info()),
        "the last info is kept"
    );
    assert!(!s.is_reachable());
    // Back: reachable moves again, ready never changed.
    let s = run(vec![
        (answered(), T0),
        (down(), T0 + 20),
        (answered(), T0 + 30),
    ]);
    assert_eq!(s.reachable.status, CondStatus::True);
    assert_eq!(s.reachable.last_transition, T0 + 30);
    assert_eq!(s.ready.last_transition, T0);
    assert_eq!(s.unreachable_since, None);
    assert!(s.is_ready());
}

#[test]
fn a_node_is_lost_only_past_the_grace_period() {
    // Down is counted from the last answer (T0).
    let at_grace = run(vec![(answered(), T0), (down(), T0 + 10), (down(), T0 + 40)]);
    assert_eq!(at_grace.lost_at, None, "40s down is not past 40s");
    assert_eq!(at_grace.ready.status, CondStatus::True);
    let past = run(vec![(answered(), T0), (down(), T0 + 10), (down(), T0 + 41)]);
    assert_eq!(past.lost_at, Some(T0 + 41));
    assert_eq!(past.unreachable_since, Some(T0));
    assert_eq!(past.ready.status, CondStatus::Unknown);
    assert_eq!(past.ready.reason, "NodeLost");
    assert_eq!(past.ready.last_transition, T0 + 41);
    assert!(past.ready.message.contains("41s"), "{}", past.ready.message);
    assert!(!past.is_ready());
    assert_eq!(past.status_text(), "NotReady");
    assert_eq!(past.phase, NodePhase::Running);
}

#[test]
fn lost_stays_lost_while_unreachable_and_is_stale_when_back() {
    let lost = vec![(answered(), T0), (down(), T0 + 10), (down(), T0 + 60)];
    let mut probes = lost.clone();
    probes.push((down(), T0 + 100));
    let s = run(probes);
    assert_eq!(s.lost_at, Some(T0 + 60), "lost once, when it was");
    assert_eq!(s.ready.last_transition, T0 + 60);
    let mut probes = lost.clone();
    probes.push((answered(), T0 + 100));
    let s = run(probes);
    assert!(s.stale);
    assert_eq!(s.lost_at, Some(T0 + 60));
    assert_eq!(s.unreachable_since, None);
    assert!(s.is_reachable());
    assert!(!s.is_ready(), "takes no pods before it is cleaned");
    assert_eq!(s.status_text(), "NotReady,Stale");
    // Answering but not ready: stale all the same.
    let mut probes = lost;
    probes.push((Probe::NotReady("500".into()), T0 + 100));
    let s = run(probes);
    assert!(s.stale);
    assert_eq!(s.lost_at, Some(T0 + 60));
}

#[test]
fn a_node_down_from_its_first_probe_is_lost_after_the_grace_period_too() {
    let s = run(vec![(down(), T0), (down(), T0 + 41)]);
    assert_eq!(s.lost_at, Some(T0 + 41));
    assert_eq!(s.phase, NodePhase::Pending);
    assert_eq!(s.status_text(), "NotReady");
}

#[test]
fn labels_and_capacity() {
    let mut spec = spec("a");
    spec.labels.insert("disk".into(), "ssd".into());
    spec.labels
        .insert("kubernetes.io/os".into(), "plan9".into());
    spec.cpu_milli = Some(500);
    let info = EngineInfo {
        architecture: "aarch64".into(),
        ..FakeEngine::default_info()
    };
    let s = advance(None, &spec, Probe::Answered(info), T0, GRACE);
    let labels = s.labels();
    assert_eq!(labels["kubernetes.io/hostname"], "a");
    assert_eq!(labels["kubernetes.io/arch"], "arm64");
    assert_eq!(labels["kubernetes.io/os"], "plan9", "the manifest's win");
    assert_eq!(labels["disk"], "ssd");
    let capacity = s.capacity().unwrap();
    assert_eq!(capacity.cpu_milli, 500, "the manifest's");
    assert_eq!(capacity.memory_bytes, 8 << 30, "the engine's");
}

#[test]
fn a_terminated_node_is_never_ready_and_reachable_only_when_connected() {
    let s = NodeStatus::terminated(spec("gone"), false, T0);
    assert_eq!(s.phase, NodePhase::Terminated);
    assert_eq!(s.status_text(), "Terminated");
    assert!(!s.is_ready());
    assert!(!s.is_reachable());
    let connected = NodeStatus::terminated(spec("gone"), true, T0);
    assert!(!connected.is_ready());
    assert!(connected.is_reachable(), "its pods can be deleted");
}

// --- recall ---

fn record(node: &str, since: Option<i64>, lost_at: Option<i64>) -> NodeRecord {
    NodeRecord {
        node: node.to_string(),
        unreachable_since: since,
        lost_at,
        ..Default::default()
    }
}

#[test]
fn recall_counts_the_grace_period_from_the_earliest_record() {
    // Unreachable at the first probe of this berth, at T0 + 30 …
    let mut s = run(vec![(down(), T0 + 30)]);
    let records = [
        record("a", Some(T0 + 10), None),
        record("a", Some(T0), None),
        record("b", Some(T0 - 1000), Some(T0 - 900)),
    ];
    recall(&mut s, &records, T0 + 30, GRACE);
    assert_eq!(s.unreachable_since, Some(T0), "the earliest of a's records");
    assert_eq!(s.lost_at, None, "30s is within the grace period");
    // … and past it at T0 + 41, though this berth saw it fail 11s ago.
    let mut s = run(vec![(down(), T0 + 30), (down(), T0 + 41)]);
    recall(&mut s, &records, T0 + 41, GRACE);
    assert_eq!(s.unreachable_since, Some(T0));
    assert_eq!(s.lost_at, Some(T0 + 41));
    assert_eq!(s.ready.status, CondStatus::Unknown);
    assert_eq!(s.ready.reason, "NodeLost");
    assert!(s.ready.message.contains("41s"), "{}", s.ready.message);
    assert!(!s.is_ready());
}

#[test]
fn recall_keeps_when_a_record_says_the_node_was_lost() {
    let mut s = run(vec![(down(), T0 + 100)]);
    let records = [
        record("a", Some(T0), Some(T0 + 60)),
        record("a", Some(T0), Some(T0 + 50)),
    ];
    recall(&mut s, &records, T0 + 100, GRACE);
    assert_eq!(s.lost_at, Some(T0 + 50), "the earliest");
    assert_eq!(s.ready.reason, "NodeLost");
    assert!(!s.stale, "it does not answer");
}

#[test]
fn recall_makes_a_lost_node_that_answers_stale() {
    let mut s = run(vec![(answered(), T0 + 100)]);
    assert!(s.is_ready());
    recall(
        &mut s,
        &[record("a", Some(T0), Some(T0 + 50))],
        T0 + 100,
        GRACE,
    );
    assert!(s.stale);
    assert_eq!(s.lost_at, Some(T0 + 50));
    assert!(!s.is_ready());
    assert_eq!(s.status_text(), "NotReady,Stale");
    // Unreachable once, but answering again within the grace period: a
    // record of that changes nothing.
    let mut s = run(vec![(answered(), T0 + 100)]);
    recall(&mut s, &[record("a", Some(T0 + 90), None)], T0 + 100, GRACE);
    assert_eq!(s, run(vec![(answered(), T0 + 100)]));
}

#[test]
fn a_loss_that_a_later_record_says_is_over_is_not_recalled() {
    let lost = NodeRecord {
        written: Some(T0 + 50),
        ..record("a", Some(T0), Some(T0 + 50))
    };
    // Back and cleaned at T0 + 200, as recorded on one engine; another,
    // unreachable then, still says lost.
    let cleaned = NodeRecord {
        written: Some(T0 + 200),
        ..record("a", None, None)
    };
    let mut s = run(vec![(answered(), T0 + 300)]);
    recall(&mut s, &[lost.clone(), cleaned.clone()], T0 + 300, GRACE);
    assert_eq!(s.lost_at, None);
    assert!(!s.stale);
    assert!(s.is_ready());
    // A record from before the loss does not make it over, nor one
    // without a time (an older berth's).
    for earlier in [
        NodeRecord {
            written: Some(T0 + 20),
            ..cleaned.clone()
        },
        NodeRecord {
            written: None,
            ..cleaned
        },
    ] {
        let mut s = run(vec![(answered(), T0 + 300)]);
        recall(&mut s, &[lost.clone(), earlier], T0 + 300, GRACE);
        assert_eq!(s.lost_at, Some(T0 + 50));
        assert!(s.stale);
    }
}

#[test]
fn recall_without_records_about_the_node_changes_nothing() {
    let before = run(vec![(answered(), T0), (down(), T0 + 10)]);
    let mut s = before.clone();
    recall(
        &mut s,
        &[record("b", Some(T0 - 100), Some(T0 - 50))],
        T0 + 10,
        GRACE,
    );
    assert_eq!(s, before);
}

#[test]
fn recall_leaves_a_node_without_endpoint_pending() {
    let mut spec = spec("a");
    spec.endpoint = None;
    let mut s = advance(None, &spec, Probe::NoEndpoint, T0 + 100, GRACE);
    recall(&mut s, &[record("a", Some(T0), None)], T0 + 100, GRACE);
    assert_eq!(s.phase, NodePhase::Pending);
    assert_eq!(s.unreachable_since, None);
    assert_eq!(s.lost_at, None);
}

// --- records ---

fn summary_of(config: &crate::engine::ContainerConfig) -> ContainerSummary {
    ContainerSummary {
        id: "abc123".to_string(),
        name: config.name.clone(),
        image: config.image.clone(),
        labels: config.labels.clone(),
        state: ContainerState::Created,
        created: T0,
    }
}

#[test]
fn a_record_reads_back_as_written() {
    let record = NodeRecord {
        node: "b".to_string(),
        endpoint: Some("tcp://10.0.0.2:2376".to_string()),
        cert_path: Some("/certs/b".to_string()),
        unreachable_since: Some(T0),
        lost_at: Some(T0 + 41),
        pods: Some(vec![
            "default/db".to_string(),
            "default/web-0|ReplicationController/web".to_string(),
        ]),
        written: Some(T0 + 42),
        holder: String::new(),
        container_id: String::new(),
    };
    let config = record_config("p", "a", &record, "localhost/berth-pause:1");
    assert_eq!(config.name, "berth_p__node_b");
    assert_eq!(config.network_mode.as_deref(), Some("none"));
    assert_eq!(config.labels[crate::keys::PROJECT], "p");
    assert_eq!(config.labels[crate::keys::MANAGED_BY], "berth");
    let back = NodeRecord::from_summary(&summary_of(&config)).expect("a node record");
    assert_eq!(back.holder, "a");
    assert_eq!(back.container_id, "abc123");
    assert_eq!(back.written, Some(T0 + 42));
    assert!(back.same_content(&record));
    assert_eq!(
        back,
        NodeRecord {
            holder: "a".to_string(),
            container_id: "abc123".to_string(),
            ..record
        }
    );
}

#[test]
fn a_record_keeps_an_empty_pod_list_apart_from_none() {
    let empty = NodeRecord {
        node: "b".to_string(),
        pods: Some(Vec::new()),
        ..Default::default()
    };
    let config = record_config("p", "a", &empty, "img");
    let back = NodeRecord::from_summary(&summary_of(&config)).unwrap();
    assert_eq!(back.pods, Some(Vec::new()), "it ran nothing");
    assert_eq!(
        (back.endpoint, back.lost_at, back.unreachable_since),
        (None, None, None)
    );
    let unseen = NodeRecord {
        node: "b".to_string(),
        ..Default::default()
    };
    let config = record_config("p", "a", &unseen, "img");
    let back = NodeRecord::from_summary(&summary_of(&config)).unwrap();
    assert_eq!(back.pods, None, "never seen");
    assert!(!back.same_content(&empty));
}

#[test]
fn only_node_records_are_read_as_records() {
    let record = NodeRecord {
        node: "b".to_string(),
        ..Default::default()
    };
    let config = record_config("p", "a", &record, "img");
    let mut pod = summary_of(&config);
    pod.labels.remove(crate::keys::KIND);
    pod.labels
        .insert(crate::keys::POD.to_string(), "web".to_string());
    let mut rc = summary_of(&config);
    rc.labels.insert(
        crate::keys::KIND.to_string(),
        crate::keys::KIND_RC.to_string(),
    );
    let found = node_records(&[pod, summary_of(&config), rc]);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].node, "b");
}
