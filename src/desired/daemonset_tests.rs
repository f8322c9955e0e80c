//! DaemonSets: one pod per matching Ready node, and the rolling update
//! played out node by node.

use std::time::Duration;

use super::daemonset::{daemon_step, pod_name, DaemonDecision, NodePod};
use crate::desired::{expand, Context, RemoveWhy};
use crate::manifest::{load_text, DaemonSetStrategy, IntOrPercent, Labels, Manifests};
use crate::observed::{
    ContainerDetails, ContainerState, ContainerSummary, Observed, ObservedContainer, ObservedPod,
};
use crate::schedule::SchedNode;

fn manifests(spec_extra: &str, pod_extra: &str) -> Manifests {
    let text = format!("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: agent}}\nspec:\n  selector: {{matchLabels: {{app: agent}}}}\n  template:\n    metadata: {{labels: {{app: agent}}}}\n    spec:\n      containers: [{{name: c, image: i:1}}]\n{pod_extra}{spec_extra}");
    let loaded = load_text(std::path::Path::new("ds.yaml"), &text, Default::default());
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    loaded.manifests
}

fn node(name: &str, labels: &[(&str, &str)], ready: bool) -> SchedNode {
    SchedNode {
        name: name.into(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Labels>(),
        ready,
        capacity: None,
    }
}

fn ctx(nodes: &[SchedNode]) -> Context<'_> {
    Context {
        project: "p",
        node: "local",
        infra_image: "pause:1",
        prune: true,
        now: 100,
        min_ready: Duration::ZERO,
        nodes,
    }
}

fn container() -> ObservedContainer {
    ObservedContainer {
        summary: ContainerSummary {
            id: "id".into(),
            name: "n".into(),
            image: "i:1".into(),
            labels: Default::default(),
            state: ContainerState::Running,
            created: 0,
        },
        details: Some(ContainerDetails::default()),
        probe: Default::default(),
    }
}

fn observed_pod(name: &str, node: &str, spec_hash: &str) -> ObservedPod {
    ObservedPod {
        project: "p".into(),
        namespace: "default".into(),
        name: name.into(),
        node: node.into(),
        owner: Some("DaemonSet/agent".into()),
        spec_hash: Some(spec_hash.into()),
        labels: Default::default(),
        last_applied: None,
        infra: Some(container()),
        containers: [("c".to_string(), container())].into(),
        node_problem: None,
        records: Vec::new(),
        init_containers: Default::default(),
    }
}

#[test]
fn one_node_one_pod_bound_to_it() {
    let m = manifests("", "");
    let nodes = [node("local", &[], true)];
    let d = expand(&m, &Observed::default(), &ctx(&nodes));
    assert_eq!(d.pods.len(), 1);
    let pod = &d.pods[0];
    assert_eq!(pod.name, pod_name("agent", "local"));
    assert!(pod.name.starts_with("agent-") && pod.name.len() == "agent-".len() + 5);
    assert_eq!(pod.node, "local");
    assert_eq!(pod.owner.as_deref(), Some("DaemonSet/agent"));
    assert!(pod.labels.contains_key("controller-revision-hash"));
    assert_eq!(d.controllers.len(), 1);
    assert_eq!(d.controllers[0].kind, "DaemonSet");
    assert_eq!(d.controllers[0].replicas, 1);
}

#[test]
fn a_node_selector_picks_matching_nodes_each_with_its_own_pod() {
    let m = manifests("", "      nodeSelector: {disk: ssd}\n");
    let nodes = [
        node("n1", &[("disk", "ssd")], true),
        node("n2", &[("disk", "hdd")], true),
        node("n3", &[("disk", "ssd")], true),
    ];
    let d = expand(&m, &Observed::default(), &ctx(&nodes));
    let mut got: Vec<(String, String)> = d
        .pods
        .iter()
        .map(|p| (p.name.clone(), p.node.clone()))
        .collect();
    got.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        got,
        [
            (pod_name("agent", "n1"), "n1".to_string()),
            (pod_name("agent", "n3"), "n3".to_string()),
        ]
    );
    assert_ne!(got[0].0, got[1].0);
}

#[test]
fn a_not_ready_node_gets_no_pod_but_keeps_the_one_it_has() {
    let m = manifests("", "");
    let nodes = [node("n1", &[], true), node("n2", &[], false)];
    let d = expand(&m, &Observed::default(), &ctx(&nodes));
    let on: Vec<&str> = d.pods.iter().map(|p| p.node.as_str()).collect();
    assert_eq!(on, ["n1"]);
    assert_eq!(d.controllers[0].replicas, 1);
}

#[test]
fn a_node_that_stops_matching_loses_its_pod() {
    let m = manifests("", "      nodeSelector: {disk: ssd}\n");
    let hash = expand(
        &m,
        &Observed::default(),
        &ctx(&[node("n1", &[("disk", "ssd")], true)]),
    )
    .pods[0]
        .hash("pause:1");
    let observed = Observed {
        pods: vec![observed_pod(&pod_name("agent", "n1"), "n1", &hash)],
        ..Default::default()
    };
    let nodes = [node("n1", &[], true)];
    let d = expand(&m, &observed, &ctx(&nodes));
    assert!(d.pods.is_empty());
    assert_eq!(d.removals.len(), 1);
    assert_eq!(d.removals[0].1, RemoveWhy::ScaledDown);
}

#[test]
fn an_updated_template_replaces_one_pod_at_a_time_and_waits() {
    let m = manifests("", "");
    let nodes = [
        node("n1", &[], true),
        node("n2", &[], true),
        node("n3", &[], true),
    ];
    let observed = Observed {
        pods: ["n1", "n2", "n3"]
            .iter()
            .map(|n| observed_pod(&pod_name("agent", n), n, "old"))
            .collect(),
        ..Default::default()
    };
    let d = expand(&m, &observed, &ctx(&nodes));
    assert_eq!(d.removals.len(), 1, "{:?}", d.removals);
    assert_eq!(d.removals[0].1, RemoveWhy::Replaced);
    // The two old pods stay (the plan leaves a controller's old pods to
    // its rollout); the replaced node gets its new pod in the next round.
    assert_eq!(d.pods.len(), 2);
    assert!(d.waiting.is_empty());
}

#[test]
fn on_delete_never_removes_old_pods() {
    let m = manifests("  updateStrategy: {type: OnDelete}\n", "");
    let nodes = [node("n1", &[], true), node("n2", &[], true)];
    let observed = Observed {
        pods: vec![observed_pod(&pod_name("agent", "n1"), "n1", "old")],
        ..Default::default()
    };
    let d = expand(&m, &observed, &ctx(&nodes));
    assert!(d.removals.is_empty());
    assert_eq!(d.pods.len(), 2);
    assert!(d.waiting.is_empty());
}

/// Plays a rolling update over `n` nodes to the end: in every step at most
/// `max` nodes are without an available pod.
fn play(n: usize, max: u32) -> usize {
    let strategy = DaemonSetStrategy::RollingUpdate {
        max_unavailable: IntOrPercent::Int(max),
    };
    let mut state = vec![
        NodePod::Present {
            new: false,
            ready: true
        };
        n
    ];
    for round in 1..100 {
        let DaemonDecision { create, remove } = daemon_step(strategy, max, &state);
        if create.is_empty() && remove.is_empty() {
            assert!(state.iter().all(|s| *s
                == NodePod::Present {
                    new: true,
                    ready: true
                }));
            return round;
        }
        for i in create {
            state[i] = NodePod::Present {
                new: true,
                ready: false,
            };
        }
        for i in remove {
            state[i] = NodePod::Missing;
        }
        let down = state
            .iter()
            .filter(|s| !matches!(s, NodePod::Present { ready: true, .. }))
            .count();
        assert!(
            down <= max as usize,
            "round {round}: {down} down: {state:?}"
        );
        // Time passes: new pods become available.
        for s in &mut state {
            if let NodePod::Present { ready, .. } = s {
                *ready = true;
            }
        }
    }
    panic!("rolling update never finished");
}

#[test]
fn rolling_three_nodes_with_max_unavailable_one_keeps_two_available() {
    assert_eq!(play(3, 1), 7);
    assert_eq!(play(4, 2), 5);
}

#[test]
fn max_unavailable_percent_rounds_up_and_is_at_least_one() {
    let f = DaemonSetStrategy::max_unavailable;
    assert_eq!(f(IntOrPercent::Percent(10), 3), 1);
    assert_eq!(f(IntOrPercent::Percent(50), 3), 2);
    assert_eq!(f(IntOrPercent::Percent(25), 0), 1);
    assert_eq!(f(IntOrPercent::Int(2), 3), 2);
}

#[test]
fn offline_expansion_uses_the_node_manifests() {
    let node_yaml = "---\napiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {disk: ssd}}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n2}\n";
    let text = format!("{node_yaml}---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: agent}}\nspec:\n  selector: {{matchLabels: {{app: agent}}}}\n  template:\n    metadata: {{labels: {{app: agent}}}}\n    spec:\n      nodeSelector: {{disk: ssd}}\n      containers: [{{name: c, image: i:1}}]\n");
    let loaded = load_text(std::path::Path::new("ds.yaml"), &text, Default::default());
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let pods = crate::desired::expand_offline(&loaded.manifests);
    let on: Vec<&str> = pods.iter().map(|p| p.node.as_str()).collect();
    assert_eq!(on, ["n1"]);
}

#[test]
fn old_pods_not_known_available_go_one_budget_at_a_time() {
    let strategy = DaemonSetStrategy::RollingUpdate {
        max_unavailable: IntOrPercent::Int(1),
    };
    let unknown = NodePod::Present {
        new: false,
        ready: false,
    };
    let ready = NodePod::Present {
        new: false,
        ready: true,
    };
    let d = daemon_step(strategy, 1, &[ready, unknown, unknown]);
    assert_eq!(d.remove, [1]);
    assert!(d.create.is_empty());
    let d = daemon_step(strategy, 2, &[ready, unknown, NodePod::Missing]);
    assert_eq!(d.remove, [1]);
    assert_eq!(d.create, [2]);
}
