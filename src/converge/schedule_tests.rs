//! Scheduling on the local node: requests against its capacity (a Node
//! manifest's, else the engine's info, read only when a pod to create asks
//! for any), running pods counted, the Kubernetes reason when none fits.

use super::*;
use crate::engine::EngineInfo;
use crate::manifest::Node;

fn asking(name: &str, cpu: &str) -> Pod {
    let mut p = pod(name);
    p.spec.containers[0]
        .resources
        .requests
        .insert("cpu".into(), cpu.into());
    p
}

fn machine(cpus: u32) -> EngineInfo {
    EngineInfo {
        cpus,
        ..FakeEngine::default_info()
    }
}

fn local_node(capacity: &[(&str, &str)]) -> Node {
    Node {
        meta: ObjectMeta {
            name: "local".into(),
            ..Default::default()
        },
        capacity: capacity
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        docker_host: None,
        source: Source::default(),
    }
}

const TOO_MUCH_CPU: &str =
    "stays Pending (Unschedulable): 0/1 nodes are available: 1 Insufficient cpu.";

#[tokio::test]
async fn a_pod_requesting_more_cpu_than_the_node_has_stays_pending_and_others_run() {
    let engine = engine();
    engine.set_info(machine(2));
    let m = pods(vec![asking("big", "3"), asking("small", "100m")]);
    let out = run(&engine, &m, &settings("p")).await;
    assert_eq!(
        out.failures,
        [("pod default/big".to_string(), TOO_MUCH_CPU.to_string())]
    );
    assert_eq!(pod_names(&engine, "p"), ["small"]);
    // Asked once for the round that created, not again for the next look.
    let infos = engine.calls().iter().filter(|c| **c == Call::Info).count();
    assert_eq!(infos, 1);
}

#[tokio::test]
async fn a_converged_project_with_requests_costs_one_list_call_and_no_info() {
    let engine = engine();
    let m = pods(vec![asking("web", "500m"), pod("db")]);
    run(&engine, &m, &settings("p")).await;
    engine.clear_calls();
    run(&engine, &m, &settings("p")).await;
    assert_eq!(engine.calls(), [Call::List]);
}

#[tokio::test]
async fn pods_without_requests_are_created_without_asking_for_the_engines_info() {
    let engine = engine();
    run(&engine, &pods(vec![pod("web")]), &settings("p")).await;
    assert!(!engine.calls().contains(&Call::Info));
    assert_eq!(pod_names(&engine, "p"), ["web"]);
}

#[tokio::test]
async fn a_limit_stands_in_for_the_request() {
    let engine = engine();
    engine.set_info(machine(1));
    let mut limited = pod("limited");
    limited.spec.containers[0]
        .resources
        .limits
        .insert("cpu".into(), "2".into());
    let out = run(&engine, &pods(vec![limited]), &settings("p")).await;
    assert_eq!(out.failures[0].1, TOO_MUCH_CPU);
}

#[tokio::test]
async fn a_node_manifest_named_local_gives_the_capacity_instead_of_the_engine() {
    let engine = engine();
    let mut m = pods(vec![asking("web", "2")]);
    m.nodes = vec![local_node(&[("cpu", "1"), ("memory", "1Gi")])];
    let out = run(&engine, &m, &settings("p")).await;
    assert_eq!(
        out.failures[0].1, TOO_MUCH_CPU,
        "the fake machine has 4 cpus"
    );
    assert!(!engine.calls().contains(&Call::Info));
    m.nodes = vec![local_node(&[("cpu", "2")])];
    let out = run(&engine, &m, &settings("p")).await;
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert!(
        engine.calls().contains(&Call::Info),
        "memory from the engine"
    );
}

#[tokio::test]
async fn running_pods_count_toward_the_nodes_allocation_and_stay() {
    let engine = engine();
    engine.set_info(machine(4));
    let mut m = pods(vec![asking("first", "3")]);
    run(&engine, &m, &settings("p")).await;
    m.pods.push(asking("second", "2"));
    let out = run(&engine, &m, &settings("p")).await;
    assert_eq!(
        out.failures,
        [("pod default/second".to_string(), TOO_MUCH_CPU.to_string())]
    );
    assert_eq!(pod_names(&engine, "p"), ["first"]);
    // Once the first goes, the second fits.
    m.pods.remove(0);
    let out = run(&engine, &m, &settings("p")).await;
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(pod_names(&engine, "p"), ["second"]);
}

#[tokio::test]
async fn a_running_pod_is_not_replaced_by_a_new_spec_that_cannot_fit() {
    let engine = engine();
    engine.set_info(machine(4));
    let mut m = pods(vec![asking("web", "3")]);
    run(&engine, &m, &settings("p")).await;
    // Its own request is not counted against its new one …
    m.pods[0] = asking("web", "4");
    let out = run(&engine, &m, &settings("p")).await;
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    // … but more than the machine has keeps the running pod as it is.
    m.pods[0] = asking("web", "5");
    let before = engine.container("berth_p_default_web_app").unwrap().id;
    let out = run(&engine, &m, &settings("p")).await;
    assert_eq!(out.failures[0].1, TOO_MUCH_CPU);
    assert_eq!(
        engine.container("berth_p_default_web_app").unwrap().id,
        before
    );
}

#[tokio::test]
async fn a_replication_controllers_replicas_fill_the_node_and_the_rest_stay_pending() {
    let engine = engine();
    engine.set_info(machine(1));
    let mut web = rc("web", 3);
    web.template.spec.containers[0]
        .resources
        .requests
        .insert("cpu".into(), "400m".into());
    let out = run(&engine, &controllers(vec![web]), &settings("p")).await;
    assert_eq!(pod_names(&engine, "p"), ["web-0", "web-1"]);
    assert_eq!(out.failures.len(), 1, "{:?}", out.failures);
    assert_eq!(out.failures[0].1, TOO_MUCH_CPU);
}
