//! Several Docker engines as one pool of nodes, on real engines: this
//! machine's engine is node `n1`, and a second `dockerd` in its own network
//! namespace is node `n2` (tests/common/engine2.rs). Placement by
//! `nodeSelector` and requests, a replication controller spread over both,
//! a pod that fits nowhere, an engine that stops (its node is lost after the
//! grace period: controller pods move, standalone pods do not) and comes
//! back (what it left is removed before it takes pods again).

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::engine2::ExtraEngine;
use common::*;

/// A Node manifest for the engine at `endpoint`, 4 cpus and 8Gi.
fn node(name: &str, endpoint: &str, disk: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  labels:\n    disk: {disk}\n  \
         annotations:\n    berth.io/docker-host: {endpoint}\nstatus:\n  capacity:\n    cpu: \"4\"\n    \
         memory: 8Gi\n---\n"
    )
}

/// The engine this machine's tests use.
fn local_endpoint() -> String {
    berth::engine::docker::default_endpoint()
}

/// A pod of one `sleep` container; `extra` goes under `spec:`.
fn pod(name: &str, extra: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n{extra}  \
         terminationGracePeriodSeconds: 0\n  containers:\n  - name: app\n    image: {TEST_IMAGE}\n    \
         imagePullPolicy: Never\n    command: [sleep, \"3600\"]\n---\n"
    )
}

/// A replication controller of `replicas` pods each requesting `cpu`.
fn rc(name: &str, replicas: u32, cpu: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  \
         selector:\n    app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      \
         terminationGracePeriodSeconds: 0\n      containers:\n      - name: app\n        image: {TEST_IMAGE}\n        \
         imagePullPolicy: Never\n        command: [sleep, \"3600\"]\n        resources:\n          requests:\n            \
         cpu: \"{cpu}\"\n---\n"
    )
}

/// The pods of `project` on an engine, from its containers' labels.
fn pods_on(list: Result<String, String>) -> BTreeSet<String> {
    list.unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

fn ps_args(project: &Project) -> Vec<String> {
    vec![
        "ps".into(),
        "--filter".into(),
        format!("label={}", project.label()),
        "--filter".into(),
        "label=io.berth.container=POD".into(),
        "--format".into(),
        "{{.Label \"io.berth.pod\"}}".into(),
    ]
}

/// Running pods of `project` on this machine's engine.
fn local_pods(project: &Project) -> BTreeSet<String> {
    let args = ps_args(project);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    pods_on(try_docker(&args))
}

/// Running pods of `project` on engine `engine`.
fn extra_pods(engine: &ExtraEngine, project: &Project) -> BTreeSet<String> {
    let args = ps_args(project);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    pods_on(engine.try_docker(&args))
}

fn apply_nodes(project: &Project, dir: &ManifestDir, extra: &[&str]) -> Output {
    let output = apply_with(project, dir, extra);
    eprintln!(
        "apply {extra:?}: exit {:?}\n{}{}",
        output.code(),
        output.stdout,
        output.stderr
    );
    output
}

#[test]
fn pods_go_where_selectors_and_requests_say_and_a_controller_spreads_over_two_engines() {
    let n2 = ExtraEngine::start("place");
    let project = Project::new("nodes-place");
    let dir = ManifestDir::new();
    let manifests = [
        node("n1", &local_endpoint(), "ssd"),
        node("n2", &n2.host(), "hdd"),
        pod("fast", "  nodeSelector:\n    disk: ssd\n"),
        pod("slow", "  nodeSelector:\n    disk: hdd\n"),
        rc("web", 4, "1"),
        pod("huge", "  nodeSelector:\n    disk: ssd\n").replace(
            "    imagePullPolicy: Never\n",
            "    imagePullPolicy: Never\n    resources:\n      requests:\n        memory: 100Gi\n",
        ),
    ];
    dir.write("all.yaml", &manifests.concat());
    let first = apply_nodes(&project, &dir, &[]);
    assert_exit(&first, 1);
    assert_says(
        &first.stderr,
        "pod default/huge: stays Pending (Unschedulable): 0/2 nodes are available: \
         1 Insufficient memory, 1 node(s) didn't match Pod's node affinity/selector.",
    );
    assert_says(&first.stdout, "pod default/fast created on n1");
    assert_says(&first.stdout, "pod default/slow created on n2");
    let on_n1 = local_pods(&project);
    let on_n2 = extra_pods(&n2, &project);
    assert!(
        on_n1.contains("fast") && !on_n2.contains("fast"),
        "{on_n1:?} {on_n2:?}"
    );
    assert!(
        on_n2.contains("slow") && !on_n1.contains("slow"),
        "{on_n1:?} {on_n2:?}"
    );
    let web = |set: &BTreeSet<String>| set.iter().filter(|p| p.starts_with("web-")).count();
    assert_eq!((web(&on_n1), web(&on_n2)), (2, 2), "{on_n1:?} {on_n2:?}");
    assert!(on_n1.is_disjoint(&on_n2), "{on_n1:?} {on_n2:?}");
    assert!(!on_n1.contains("huge") && !on_n2.contains("huge"));

    // Converged: the second apply changes nothing (the huge pod aside).
    let again = apply_nodes(&project, &dir, &[]);
    assert_exit(&again, 1);
    assert!(
        !again
            .stdout
            .lines()
            .any(|l| l.starts_with('+') || l.starts_with('-') || l.starts_with('~')),
        "a converged pool changed:\n{}",
        again.stdout
    );
    assert_eq!(local_pods(&project), on_n1);
    assert_eq!(extra_pods(&n2, &project), on_n2);
}

#[test]
fn a_lost_engine_moves_controller_pods_not_standalone_ones_and_is_cleaned_when_it_returns() {
    let mut n2 = ExtraEngine::start("lost");
    let project = Project::new("nodes-lost");
    let dir = ManifestDir::new();
    let manifests = [
        node("n1", &local_endpoint(), "ssd"),
        node("n2", &n2.host(), "hdd"),
        pod("solo", "  nodeSelector:\n    disk: hdd\n"),
        rc("web", 2, "1"),
    ];
    dir.write("all.yaml", &manifests.concat());
    let grace = ["--node-grace-period", "3s"];
    assert_exit(&apply_nodes(&project, &dir, &grace), 0);
    let before_n2 = extra_pods(&n2, &project);
    assert!(before_n2.contains("solo"), "{before_n2:?}");
    assert_eq!(
        before_n2.iter().filter(|p| p.starts_with("web-")).count(),
        1
    );
    let moved: String = before_n2
        .iter()
        .find(|p| p.starts_with("web-"))
        .cloned()
        .expect("a web pod on n2");

    n2.stop();
    // Within the grace period nothing moves: n2 may still run its pods.
    let within = apply_nodes(&project, &dir, &grace);
    assert_exit(&within, 1);
    assert_says(&within.stderr, "node n2 has not answered");
    assert_eq!(
        local_pods(&project)
            .iter()
            .filter(|p| p.starts_with("web-"))
            .count(),
        1
    );

    std::thread::sleep(Duration::from_secs(4));
    // Past it, n2 is lost: its controller pod is replaced on n1 under a new
    // name; the standalone pod stays Failed, not moved.
    let lost = apply_nodes(&project, &dir, &grace);
    assert_exit(&lost, 1);
    assert_says(&lost.stderr, "pod default/solo");
    assert_says(&lost.stderr, "NodeLost");
    let on_n1 = local_pods(&project);
    let web_n1: Vec<&String> = on_n1.iter().filter(|p| p.starts_with("web-")).collect();
    assert_eq!(web_n1.len(), 2, "{on_n1:?}");
    assert!(
        !on_n1.contains(&moved),
        "{moved} reused its name on n1: {on_n1:?}"
    );
    assert!(
        !on_n1.contains("solo"),
        "the standalone pod moved: {on_n1:?}"
    );

    // n2 returns: what it left is removed, then it takes pods again.
    n2.start_again();
    let back = apply_nodes(&project, &dir, &grace);
    assert_exit(&back, 0);
    assert_says(&back.stdout, &format!("pod default/{moved} removed on n2"));
    let on_n1 = local_pods(&project);
    let on_n2 = extra_pods(&n2, &project);
    assert!(
        on_n1.is_disjoint(&on_n2),
        "a pod runs twice: {on_n1:?} {on_n2:?}"
    );
    assert!(on_n2.contains("solo"), "{on_n2:?}");
    assert!(!on_n2.contains(&moved), "{on_n2:?}");
    let webs = on_n1
        .iter()
        .chain(on_n2.iter())
        .filter(|p| p.starts_with("web-"))
        .count();
    assert_eq!(webs, 2, "{on_n1:?} {on_n2:?}");
}
