//! kubectl reads the nodes berth's API serves from the node controller's
//! statuses (a snapshot made in memory: one node answering, one lost):
//! `get nodes -o wide` shows STATUS and INTERNAL-IP, `describe node` the
//! conditions, capacity and system, `get -o json` a Node with the three
//! conditions. No Docker needed; kubectl must be installed.

mod api_support;

use std::time::Duration;

use api_support::clients::kubectl;
use api_support::start;
use berth::engine::FakeEngine;
use berth::nodes::{advance, starting_nodes, NodeStatus, Probe};
use berth::snapshot::Snapshot;

const AT: i64 = 1_700_000_000;

/// `10.0.0.2` answered at `AT`; `n2` (an engine on a host name) has not
/// answered since `AT - 100`, past the grace period: lost.
fn statuses() -> Vec<NodeStatus> {
    let grace = Duration::from_secs(40);
    let machines = [
        "tcp://10.0.0.2:2376".to_string(),
        "tcp://n2:2376".to_string(),
    ];
    let specs = starting_nodes(&machines, "unix:///var/run/docker.sock");
    let spec = |name: &str| specs.iter().find(|s| s.name == name).unwrap();
    let answered = || Probe::Answered(FakeEngine::default_info());
    let refused = || Probe::Unreachable("connection refused".to_string());
    let up = advance(None, spec("10.0.0.2"), answered(), AT, grace);
    let seen = advance(None, spec("n2"), answered(), AT - 110, grace);
    let failing = advance(Some(&seen), spec("n2"), refused(), AT - 100, grace);
    let lost = advance(Some(&failing), spec("n2"), refused(), AT, grace);
    vec![up, lost]
}

fn kubectl_ok(url: &str, args: &[&str]) -> String {
    let run = kubectl(url, args);
    assert!(run.ok, "kubectl {args:?}:\n{}\n{}", run.stdout, run.stderr);
    run.stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_shows_the_node_controllers_nodes() {
    let snapshot = Snapshot {
        generation: 1,
        taken_at: AT,
        started_at: AT - 600,
        project: "shop".into(),
        nodes: statuses(),
        ..Default::default()
    };
    let served = start(snapshot).await;
    let url = served.url();
    let (wide, page, json) = tokio::task::spawn_blocking(move || {
        (
            kubectl_ok(&url, &["get", "nodes", "-o", "wide"]),
            kubectl_ok(&url, &["describe", "node", "10.0.0.2"]),
            kubectl_ok(&url, &["get", "node", "n2", "-o", "json"]),
        )
    })
    .await
    .unwrap();
    let row = |name: &str| {
        wide.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in:\n{wide}"))
            .to_string()
    };
    assert!(row("10.0.0.2").contains(" Ready "), "{wide}");
    assert!(row("10.0.0.2").contains("Fake OS"), "{wide}");
    assert!(row("10.0.0.2").contains("docker://20.10.24"), "{wide}");
    assert!(row("n2").contains(" NotReady "), "{wide}");
    for needle in [
        "NodeReachable",
        "EngineAnswered",
        "EngineReady",
        "cpu:     4",
        "pods:    110",
        "Container Runtime Version:  docker://20.10.24",
        "berth.io/docker-host: tcp://10.0.0.2:2376",
    ] {
        assert!(page.contains(needle), "no {needle:?} in:\n{page}");
    }
    let node: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(node["kind"], "Node");
    assert_eq!(node["status"]["conditions"][0]["reason"], "NodeLost");
    assert_eq!(node["status"]["conditions"][1]["type"], "NodeReachable");
    assert_eq!(node["status"]["conditions"][1]["status"], "False");
}
