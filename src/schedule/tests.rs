//! The scheduler's rules, one sentence each.

use super::*;
use crate::desired::test_pod;
use crate::manifest::{Node, ObjectMeta, Source};

const GI: i64 = 1024 * 1024 * 1024;

/// A Ready node with `cpus` cores and `gib` GiB of memory.
fn node(name: &str, cpus: i64, gib: i64) -> SchedNode {
    SchedNode {
        name: name.to_string(),
        labels: Labels::from([("kubernetes.io/hostname".to_string(), name.to_string())]),
        ready: true,
        capacity: Some(Resources {
            cpu_milli: cpus * 1000,
            memory_bytes: gib * GI,
        }),
    }
}

fn labelled(mut n: SchedNode, key: &str, value: &str) -> SchedNode {
    n.labels.insert(key.to_string(), value.to_string());
    n
}

fn spec() -> PodSpec {
    test_pod("p").spec
}

/// A one-container pod requesting `cpu` and `memory` (empty: not at all).
fn asking(cpu: &str, memory: &str) -> PodSpec {
    let mut spec = spec();
    let requests = &mut spec.containers[0].resources.requests;
    for (resource, amount) in [("cpu", cpu), ("memory", memory)] {
        if !amount.is_empty() {
            requests.insert(resource.to_string(), amount.to_string());
        }
    }
    spec
}

fn one(spec: &PodSpec, nodes: &[SchedNode]) -> Placement {
    schedule(&[ToPlace::new(spec)], nodes, &[]).remove(0)
}

fn bound(name: &str) -> Placement {
    Placement::Bound(name.to_string())
}

fn unschedulable(why: &str) -> Placement {
    Placement::Unschedulable(why.to_string())
}

#[test]
fn a_pod_with_a_node_name_goes_to_that_node_even_when_another_is_emptier() {
    let nodes = [node("a", 8, 8), node("b", 1, 1), node("c", 8, 8)];
    let mut pod = asking("100m", "");
    pod.node_name = Some("b".into());
    assert_eq!(one(&pod, &nodes), bound("b"));
}

#[test]
fn a_node_name_no_node_has_is_unschedulable_on_every_node() {
    let nodes = [node("a", 1, 1), node("b", 1, 1), node("c", 1, 1)];
    let mut pod = spec();
    pod.node_name = Some("ghost".into());
    assert_eq!(
        one(&pod, &nodes),
        unschedulable("0/3 nodes are available: 3 node(s) didn't match the requested node name.")
    );
}

#[test]
fn a_node_name_of_a_node_that_is_not_ready_is_unschedulable() {
    let mut down = node("b", 4, 4);
    down.ready = false;
    let nodes = [node("a", 4, 4), down];
    let mut pod = spec();
    pod.node_name = Some("b".into());
    assert_eq!(
        one(&pod, &nodes),
        unschedulable(
            "0/2 nodes are available: 1 node(s) didn't match the requested node name, \
             1 node(s) had untolerated taint(s)."
        )
    );
}

#[test]
fn a_node_that_is_not_ready_takes_no_new_pod() {
    let mut down = node("a", 64, 64);
    down.ready = false;
    assert_eq!(one(&spec(), &[down, node("b", 1, 1)]), bound("b"));
}

#[test]
fn a_pod_goes_only_to_a_node_whose_labels_match_its_node_selector() {
    let nodes = [
        labelled(node("a", 8, 8), "disk", "hdd"),
        labelled(node("b", 1, 1), "disk", "ssd"),
        node("c", 8, 8),
    ];
    let mut pod = spec();
    pod.node_selector = Labels::from([("disk".into(), "ssd".into())]);
    assert_eq!(one(&pod, &nodes), bound("b"));
    pod.node_selector = Labels::from([("disk".into(), "nvme".into())]);
    assert_eq!(
        one(&pod, &nodes),
        unschedulable(
            "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."
        )
    );
}

#[test]
fn a_pod_requesting_more_cpu_than_a_node_has_left_goes_elsewhere_or_nowhere() {
    let pod = asking("1500m", "");
    assert_eq!(one(&pod, &[node("a", 1, 8), node("b", 2, 1)]), bound("b"));
    assert_eq!(
        one(&pod, &[node("a", 1, 8)]),
        unschedulable("0/1 nodes are available: 1 Insufficient cpu.")
    );
}

#[test]
fn a_pod_requesting_more_memory_than_a_node_has_left_goes_elsewhere_or_nowhere() {
    let pod = asking("", "2Gi");
    assert_eq!(one(&pod, &[node("a", 8, 1), node("b", 1, 2)]), bound("b"));
    assert_eq!(
        one(&pod, &[node("a", 8, 1)]),
        unschedulable("0/1 nodes are available: 1 Insufficient memory.")
    );
}

#[test]
fn a_node_short_of_both_cpu_and_memory_gives_both_reasons() {
    assert_eq!(
        one(&asking("2", "2Gi"), &[node("a", 1, 1)]),
        unschedulable("0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.")
    );
}

#[test]
fn a_pod_without_requests_fits_even_a_full_node() {
    let full = asking("1", "1Gi");
    let placed = schedule(
        &[ToPlace::new(&spec())],
        &[node("a", 1, 1)],
        &[("a", &full)],
    );
    assert_eq!(placed, [bound("a")]);
}

#[test]
fn a_limit_stands_in_for_a_missing_request_but_not_for_a_given_one() {
    let mut pod = spec();
    let resources = &mut pod.containers[0].resources;
    resources.limits.insert("cpu".into(), "3".into());
    resources.limits.insert("memory".into(), "512Mi".into());
    resources.requests.insert("memory".into(), "64Mi".into());
    assert_eq!(
        requests_of(&pod),
        Resources {
            cpu_milli: 3000,
            memory_bytes: 64 * 1024 * 1024
        }
    );
    assert_eq!(
        one(&pod, &[node("a", 2, 8)]),
        unschedulable("0/1 nodes are available: 1 Insufficient cpu.")
    );
}

#[test]
fn requests_are_summed_over_the_pods_containers() {
    let mut pod = asking("250m", "100Mi");
    let mut second = pod.containers[0].clone();
    second.name = "sidecar".into();
    second.resources.requests.insert("cpu".into(), "0.5".into());
    pod.containers.push(second);
    let third = spec().containers.remove(0);
    pod.containers.push(third);
    assert_eq!(
        requests_of(&pod),
        Resources {
            cpu_milli: 750,
            memory_bytes: 200 * 1024 * 1024
        }
    );
}

#[test]
fn the_least_allocated_node_wins() {
    // After placing 1 cpu and 1 GiB: a is at (1/2 + 1/8)/2, b at (1/4 + 1/4)/2.
    let nodes = [node("a", 2, 8), node("b", 4, 4)];
    assert_eq!(one(&asking("1", "1Gi"), &nodes), bound("b"));
    // Bound pods weigh in: b is now the fuller one.
    let busy = asking("3", "3Gi");
    let placed = schedule(
        &[ToPlace::new(&asking("1", "1Gi"))],
        &nodes,
        &[("b", &busy)],
    );
    assert_eq!(placed, [bound("a")]);
}

#[test]
fn ties_between_equally_allocated_nodes_go_to_the_first_name() {
    let nodes = [node("c", 2, 2), node("a", 2, 2), node("b", 2, 2)];
    assert_eq!(one(&asking("1", "1Gi"), &nodes), bound("a"));
}

#[test]
fn pods_placed_in_one_pass_count_toward_their_node_and_spread() {
    let pod = asking("600m", "");
    let pods = vec![ToPlace::new(&pod); 4];
    let nodes = [node("a", 1, 1), node("b", 1, 1), node("c", 2, 2)];
    // c is twice the size: it takes the first pod and, once at 60%, the fourth.
    assert_eq!(
        schedule(&pods, &nodes, &[]),
        [bound("c"), bound("a"), bound("b"), bound("c")]
    );
    let more = vec![ToPlace::new(&pod); 2];
    assert_eq!(
        schedule(&more, &[node("a", 1, 1)], &[]),
        [
            bound("a"),
            unschedulable("0/1 nodes are available: 1 Insufficient cpu.")
        ]
    );
}

#[test]
fn pods_without_requests_still_spread_counting_kubernetes_default_requests() {
    let pod = spec();
    let pods = vec![ToPlace::new(&pod); 3];
    let nodes = [node("a", 2, 2), node("b", 2, 2)];
    assert_eq!(
        schedule(&pods, &nodes, &[]),
        [bound("a"), bound("b"), bound("a")]
    );
}

#[test]
fn bound_pods_count_toward_their_nodes_allocation() {
    let running = asking("1500m", "");
    let pod = asking("1", "");
    let nodes = [node("a", 2, 1)];
    assert_eq!(
        schedule(&[ToPlace::new(&pod)], &nodes, &[("a", &running)]),
        [unschedulable(
            "0/1 nodes are available: 1 Insufficient cpu."
        )]
    );
    // A pod bound to a node not (or no longer) in the list weighs on none.
    assert_eq!(
        schedule(&[ToPlace::new(&pod)], &nodes, &[("gone", &running)]),
        [bound("a")]
    );
}

#[test]
fn a_recreated_pod_stays_on_the_node_it_is_bound_to() {
    let nodes = [node("a", 1, 1), node("b", 8, 8)];
    let pod = asking("500m", "");
    let recreated = ToPlace {
        spec: &pod,
        bound_to: Some("a"),
    };
    assert_eq!(schedule(&[recreated], &nodes, &[]), [bound("a")]);
    let too_big = asking("2", "");
    let recreated = ToPlace {
        spec: &too_big,
        bound_to: Some("a"),
    };
    assert_eq!(
        schedule(&[recreated], &nodes, &[]),
        [unschedulable(
            "0/2 nodes are available: 1 Insufficient cpu, \
             1 node(s) didn't match the requested node name."
        )]
    );
}

#[test]
fn a_node_of_unknown_capacity_fits_any_request_but_ranks_last() {
    let mut unknown = node("a", 0, 0);
    unknown.capacity = None;
    let huge = asking("512", "1Ei");
    assert_eq!(one(&huge, std::slice::from_ref(&unknown)), bound("a"));
    assert_eq!(
        one(&asking("1", "1Gi"), &[unknown, node("b", 2, 2)]),
        bound("b")
    );
}

#[test]
fn mixed_failures_over_three_nodes_read_as_the_kube_scheduler_words_them() {
    let nodes = [
        labelled(node("a", 8, 1), "disk", "ssd"),
        labelled(node("b", 8, 8), "disk", "hdd"),
        node("c", 8, 8),
    ];
    let mut pod = asking("1", "2Gi");
    pod.node_selector = Labels::from([("disk".into(), "ssd".into())]);
    assert_eq!(
        one(&pod, &nodes),
        unschedulable(
            "0/3 nodes are available: 1 Insufficient memory, \
             2 node(s) didn't match Pod's node affinity/selector."
        )
    );
}

#[test]
fn reasons_sort_as_strings_counts_included_as_kubernetes_sorts_them() {
    // "10 …" sorts before "2 …": Go's sort.Strings over "<count> <reason>".
    let mut nodes: Vec<SchedNode> = (0..10).map(|i| node(&format!("n{i}"), 8, 8)).collect();
    nodes.push(labelled(node("x", 1, 8), "disk", "ssd"));
    nodes.push(labelled(node("y", 1, 8), "disk", "ssd"));
    let mut pod = asking("2", "");
    pod.node_selector = Labels::from([("disk".into(), "ssd".into())]);
    assert_eq!(
        one(&pod, &nodes),
        unschedulable(
            "0/12 nodes are available: 10 node(s) didn't match Pod's node affinity/selector, \
             2 Insufficient cpu."
        )
    );
}

#[test]
fn with_no_node_at_all_nothing_is_available() {
    assert_eq!(
        one(&spec(), &[]),
        unschedulable("no nodes available to schedule pods")
    );
}

fn manifests_with_node(
    name: &str,
    labels: &[(&str, &str)],
    capacity: &[(&str, &str)],
) -> Manifests {
    let pairs = |list: &[(&str, &str)]| {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    Manifests {
        nodes: vec![Node {
            meta: ObjectMeta {
                name: name.into(),
                namespace: String::new(),
                labels: pairs(labels),
                annotations: Default::default(),
            },
            capacity: pairs(capacity),
            docker_host: None,
            source: Source::default(),
        }],
        ..Manifests::default()
    }
}

#[test]
fn the_local_node_carries_the_well_known_labels_and_those_of_its_node_manifest() {
    let local = SchedNode::local(
        &manifests_with_node("local", &[("disk", "ssd")], &[]),
        "local",
        None,
    );
    assert_eq!(local.labels["kubernetes.io/hostname"], "local");
    assert_eq!(local.labels["kubernetes.io/os"], std::env::consts::OS);
    assert_eq!(local.labels["kubernetes.io/arch"], go_arch());
    assert_eq!(local.labels["disk"], "ssd");
    assert!(local.ready);
    let other = SchedNode::local(
        &manifests_with_node("elsewhere", &[("disk", "ssd")], &[]),
        "local",
        None,
    );
    assert_eq!(other.labels.get("disk"), None);
}

#[test]
fn the_local_nodes_capacity_comes_from_its_node_manifest_else_from_the_engine() {
    let engine = Resources {
        cpu_milli: 2000,
        memory_bytes: 4 * GI,
    };
    let none = Manifests::default();
    assert_eq!(
        SchedNode::local(&none, "local", Some(engine)).capacity,
        Some(engine)
    );
    assert_eq!(SchedNode::local(&none, "local", None).capacity, None);
    let both = manifests_with_node("local", &[], &[("cpu", "500m"), ("memory", "1Gi")]);
    let declared = Resources {
        cpu_milli: 500,
        memory_bytes: GI,
    };
    assert_eq!(
        SchedNode::local(&both, "local", Some(engine)).capacity,
        Some(declared)
    );
    assert_eq!(
        SchedNode::local(&both, "local", None).capacity,
        Some(declared)
    );
    // Only cpu declared: memory from the engine.
    let cpu_only = manifests_with_node("local", &[], &[("cpu", "8")]);
    assert_eq!(
        SchedNode::local(&cpu_only, "local", Some(engine)).capacity,
        Some(Resources {
            cpu_milli: 8000,
            memory_bytes: 4 * GI
        })
    );
    assert_eq!(SchedNode::local(&cpu_only, "local", None).capacity, None);
    assert_eq!(declared_capacity(&cpu_only, "local"), (Some(8000), None));
}
