//! Several Docker engines as one pool of nodes, on real engines: this
//! machine's engine is node `n1`, and a second `dockerd` in its own network
//! namespace is node `n2` (tests/common/engine2.rs). Placement by
//! `nodeSelector` and requests, a replication controller spread over both,
//! a pod that fits nowhere, an engine that stops (its node is lost after the
//! grace period: controller pods move, standalone pods do not) and comes
//! back (what it left is removed before it takes pods again).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::engine2::{ExtraEngine, Listen};
use common::watch::Watcher;
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
fn pods_go_where_selectors_and_requests_say_and_a_controller_spreads_by_capacity() {
    let n2 = ExtraEngine::start("place");
    let project = Project::new("nodes-place");
    let dir = ManifestDir::new();
    let manifests = [
        node("n1", &local_endpoint(), "ssd"),
        node("n2", &n2.host(), "hdd").replace("cpu: \"4\"", "cpu: \"2\""),
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
    // By what is left, least allocated first (ties by name): n1 has 4
    // cpus, n2 2; each web pod asks for 1.
    let web = |set: &BTreeSet<String>| set.iter().filter(|p| p.starts_with("web-")).count();
    assert_eq!((web(&on_n1), web(&on_n2)), (3, 1), "{on_n1:?} {on_n2:?}");
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

    // `events` and `delete` reach every node (found through the records).
    let events = in_project(&project, &["events"]);
    assert_exit(&events, 0);
    assert_says(&events.stdout, "Successfully assigned default/slow to n2");
    let deleted = in_project(&project, &["delete", "pod", "slow"]);
    assert_exit(&deleted, 0);
    assert_says(&deleted.stdout, "pod \"slow\" deleted");
    assert!(!extra_pods(&n2, &project).contains("slow"));
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

/// Polls `condition` every 200 ms for up to `limit`; how long it took.
fn within(limit: Duration, mut condition: impl FnMut() -> bool) -> Option<Duration> {
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if condition() {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    None
}

#[test]
fn watch_replaces_a_cut_off_engines_controller_pods_after_the_grace_period_and_cleans_it_on_return()
{
    let n2 = ExtraEngine::start_with("watch-lost", Listen::Tcp);
    let project = Project::new("nodes-watch");
    let dir = ManifestDir::new();
    let manifests = [
        node("n1", &local_endpoint(), "ssd"),
        node("n2", &n2.tcp_host(), "hdd"),
        pod("solo", "  nodeSelector:\n    disk: hdd\n"),
        rc("web", 2, "1"),
    ];
    dir.write("all.yaml", &manifests.concat());
    let grace = Duration::from_secs(5);
    let watcher = Watcher::start(
        &project,
        dir.path(),
        &["--node-grace-period", "5s", "--node-sync-period", "1s"],
    );
    let web = |set: &BTreeSet<String>| set.iter().filter(|p| p.starts_with("web-")).count();
    // Running on both engines, as the loop itself sees it.
    let running_on = |node: &str| -> BTreeSet<String> {
        let (_, pods) = common::watch::http_get(&format!("{}/api/v1/pods", watcher.base_url()));
        let list: serde_json::Value = serde_json::from_str(&pods).unwrap_or_default();
        list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["spec"]["nodeName"] == node && p["status"]["phase"] == "Running")
            .filter_map(|p| p["metadata"]["name"].as_str().map(str::to_string))
            .collect()
    };
    let spread = within(Duration::from_secs(60), || {
        let (a, b) = (running_on("n1"), running_on("n2"));
        web(&a) == 1 && web(&b) == 1 && b.contains("solo")
    });
    assert!(
        spread.is_some(),
        "not spread over n1 and n2:\n{}",
        watcher.log()
    );
    let moved = extra_pods(&n2, &project)
        .into_iter()
        .find(|p| p.starts_with("web-"))
        .expect("a web pod on n2");

    // A partition: n2 and its pods keep running, unreachable from berth.
    let stopped = std::time::Instant::now();
    n2.cut_off();
    let replaced = within(Duration::from_secs(60), || web(&local_pods(&project)) == 2);
    assert!(
        replaced.is_some(),
        "n2's web pod was not replaced on n1:\n{}",
        watcher.log()
    );
    let took = stopped.elapsed();
    assert!(
        took >= grace,
        "replaced after {took:?}, within the grace period"
    );
    eprintln!(
        "MEASURE engine cut off -> replacement running on n1: {took:?} ({:?} past the {grace:?} \
         grace period)",
        took - grace
    );
    let on_n1 = local_pods(&project);
    assert!(
        !on_n1.contains(&moved) && !on_n1.contains("solo"),
        "{on_n1:?}\n{}",
        watcher.log()
    );
    // n2 still runs its pods: the replacement has another name.
    assert!(extra_pods(&n2, &project).contains(&moved));
    // The standalone pod is shown Failed (NodeLost), not moved.
    let solo_phase = || {
        let (_, pods) = common::watch::http_get(&format!("{}/api/v1/pods", watcher.base_url()));
        let list: serde_json::Value = serde_json::from_str(&pods).unwrap_or_default();
        list["items"]
            .as_array()
            .and_then(|items| items.iter().find(|p| p["metadata"]["name"] == "solo"))
            .map(|p| (p["status"]["phase"].clone(), p["status"]["reason"].clone()))
    };
    let failed = within(Duration::from_secs(10), || {
        solo_phase().is_some_and(|(phase, reason)| phase == "Failed" && reason == "NodeLost")
    });
    assert!(
        failed.is_some(),
        "solo: {:?}\n{}",
        solo_phase(),
        watcher.log()
    );
    let (_, events) = common::watch::http_get(&format!("{}/api/v1/events", watcher.base_url()));
    assert!(
        events.contains("\"NodeLost\"") && events.contains("Node n2 which was running pod solo"),
        "no NodeLost event for solo: {events}"
    );

    n2.reconnect();
    let cleaned = within(Duration::from_secs(60), || {
        let (a, b) = (local_pods(&project), extra_pods(&n2, &project));
        b.contains("solo") && !b.contains(&moved) && web(&a) + web(&b) == 2 && a.is_disjoint(&b)
    });
    assert!(
        cleaned.is_some(),
        "n2 not cleaned: {:?} {:?}\n{}",
        local_pods(&project),
        extra_pods(&n2, &project),
        watcher.log()
    );
}

/// All containers (running or not) of `project` on engine `engine`.
fn extra_containers(engine: &ExtraEngine, project: &Project) -> Vec<String> {
    let filter = format!("label={}", project.label());
    engine
        .try_docker(&["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"])
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn a_node_removed_from_the_manifests_is_emptied_and_its_controller_pods_run_elsewhere() {
    let n2 = ExtraEngine::start("removed");
    let project = Project::new("nodes-removed");
    let dir = ManifestDir::new();
    dir.write("n1.yaml", &node("n1", &local_endpoint(), "ssd"));
    dir.write("n2.yaml", &node("n2", &n2.host(), "hdd"));
    dir.write(
        "apps.yaml",
        &[
            pod("slow", "  nodeSelector:\n    disk: hdd\n"),
            rc("web", 2, "1"),
        ]
        .concat(),
    );
    assert_exit(&apply_nodes(&project, &dir, &[]), 0);
    let on_n2 = extra_pods(&n2, &project);
    assert!(on_n2.contains("slow"), "{on_n2:?}");
    let gone = on_n2
        .iter()
        .find(|p| p.starts_with("web-"))
        .cloned()
        .expect("a web pod on n2");

    // n2 leaves the manifests: what ran there is deleted; the controller's
    // pod runs on n1 under a new name; the pod that only fits n2 waits.
    std::fs::remove_file(dir.path().join("n2.yaml")).expect("remove n2.yaml");
    let diffed = diff(&project, &dir);
    assert_says(
        &diffed.stdout,
        &format!("- pod default/{gone} on n2 (its node is no longer declared)"),
    );
    let removed = apply_nodes(&project, &dir, &[]);
    assert_exit(&removed, 1);
    assert_says(
        &removed.stdout,
        &format!("pod default/{gone} removed on n2 (its node is no longer declared)"),
    );
    assert_says(
        &removed.stderr,
        "pod default/slow: stays Pending (Unschedulable)",
    );
    let on_n1 = local_pods(&project);
    assert_eq!(
        on_n1.iter().filter(|p| p.starts_with("web-")).count(),
        2,
        "{on_n1:?}"
    );
    assert!(!on_n1.contains(&gone), "{on_n1:?}");
    assert!(
        extra_containers(&n2, &project).is_empty(),
        "n2 still holds {:?}",
        extra_containers(&n2, &project)
    );
    // One node stays: it keeps no node records, from this same apply on.
    let records = |project: &Project| -> Vec<String> {
        project
            .containers()
            .into_iter()
            .filter(|c| c.contains("__node_"))
            .collect()
    };
    assert!(records(&project).is_empty(), "{:?}", records(&project));
    // Converged: nothing left to do but the pod that fits nowhere.
    let again = apply_nodes(&project, &dir, &[]);
    assert!(
        !again
            .stdout
            .lines()
            .any(|l| l.starts_with('+') || l.starts_with('-')),
        "{}",
        again.stdout
    );

    // No Node manifest at all: the implicit `local`, the same engine as n1.
    // Its pods stay (n1 is that engine under another name), and one node
    // keeps no node records.
    std::fs::remove_file(dir.path().join("n1.yaml")).expect("remove n1.yaml");
    let single = apply_nodes(&project, &dir, &[]);
    assert!(
        !single
            .stdout
            .lines()
            .any(|l| l.starts_with('-') && l.contains("pod ")),
        "{}",
        single.stdout
    );
    let records: Vec<String> = project
        .containers()
        .into_iter()
        .filter(|c| c.contains("__node_"))
        .collect();
    assert!(records.is_empty(), "node records left: {records:?}");
}

#[test]
fn watch_follows_every_engines_events_and_repairs_drift_on_a_second_node_at_once() {
    let n2 = ExtraEngine::start("watch-drift");
    let project = Project::new("nodes-drift");
    let dir = ManifestDir::new();
    let manifests = [
        node("n1", &local_endpoint(), "ssd"),
        node("n2", &n2.host(), "hdd"),
        pod("slow", "  nodeSelector:\n    disk: hdd\n"),
    ];
    dir.write("all.yaml", &manifests.concat());
    // Probes every 10 s (the default) and a resync every 30 s: only the
    // engine's events can bring the repair within seconds.
    let watcher = Watcher::start(&project, dir.path(), &[]);
    let app = format!("berth_{}_default_slow_app", project.name);
    let running = || {
        n2.try_docker(&["inspect", "--format", "{{.State.Running}} {{.Id}}", &app])
            .ok()
            .and_then(|out| out.strip_prefix("true ").map(str::to_string))
    };
    assert!(
        within(Duration::from_secs(60), || running().is_some()).is_some(),
        "slow never ran on n2:\n{}",
        watcher.log()
    );
    std::thread::sleep(Duration::from_secs(1));
    let before = running().expect("running");
    n2.docker(&["rm", "-f", &app]);
    let repaired = within(Duration::from_secs(8), || {
        running().is_some_and(|id| id != before)
    });
    assert!(
        repaired.is_some(),
        "the container removed on n2 was not repaired within 8 s:\n{}",
        watcher.log()
    );
    eprintln!(
        "MEASURE drift on n2 repaired in {:?}",
        repaired.unwrap_or_default()
    );
}

/// `berth get nodes -o json` of `project`, the extra arguments given.
fn nodes_json(project: &Project, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["get", "nodes", "-o", "json"];
    args.extend_from_slice(extra);
    let out = in_project(project, &args);
    assert_exit(&out, 0);
    serde_json::from_str(&out.stdout).expect("a NodeList")
}

/// The node called `name` in a NodeList, and its condition `kind`.
fn condition(list: &serde_json::Value, name: &str, kind: &str) -> serde_json::Value {
    let node = list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|n| n["metadata"]["name"] == name))
        .unwrap_or_else(|| panic!("no node {name} in {list}"));
    node["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == kind))
        .cloned()
        .unwrap_or_else(|| panic!("no condition {kind} on {node}"))
}

#[test]
fn a_tls_node_is_reached_and_one_with_a_wrong_certificate_is_not_ready_with_why() {
    let n3 = ExtraEngine::start_with("tls", Listen::Tls);
    let project = Project::new("nodes-tls");
    let dir = ManifestDir::new();
    let tls_node = |name: &str, certs: &Path| {
        format!(
            "apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  annotations:\n    \
             berth.io/docker-host: {}\n    berth.io/docker-cert-path: {}\n---\n",
            n3.tcp_host(),
            certs.display()
        )
    };
    let manifests = [
        node("n1", &local_endpoint(), "ssd"),
        tls_node("secure", &n3.cert_dir()),
        tls_node("forged", &n3.wrong_cert_dir()),
        pod("there", "  nodeName: secure\n"),
        pod("nowhere", "  nodeName: forged\n"),
    ];
    dir.write("all.yaml", &manifests.concat());
    let out = apply_nodes(&project, &dir, &[]);
    assert_exit(&out, 1);
    assert_says(&out.stdout, "pod default/there created on secure");
    assert_says(
        &out.stderr,
        "pod default/nowhere: stays Pending (Unschedulable)",
    );
    assert!(extra_pods(&n3, &project).contains("there"));

    // The nodes as `get` finds them: from the engines' records.
    let list = nodes_json(&project, &[]);
    let ready = condition(&list, "secure", "Ready");
    assert_eq!(ready["status"], "True", "{ready}");
    let reachable = condition(&list, "forged", "NodeReachable");
    assert_eq!(reachable["status"], "False", "{reachable}");
    let why = reachable["message"].as_str().unwrap_or_default();
    assert!(
        why.contains("certificate") || why.contains("TLS"),
        "the reason names the certificate: {why}"
    );
    let ready = condition(&list, "forged", "Ready");
    assert_ne!(ready["status"], "True", "{ready}");
}

#[test]
fn machines_make_nodes_and_sync_nodes_false_takes_them_as_declared() {
    let n2 = ExtraEngine::start("machines");
    let project = Project::new("nodes-machines");
    let dir = ManifestDir::new();
    dir.write("rc.yaml", &rc("web", 2, "100m"));
    let machines = format!("{},{}", local_endpoint(), n2.host());
    let out = apply_nodes(&project, &dir, &["--machines", &machines]);
    assert_exit(&out, 0);
    assert_eq!(local_pods(&project).len(), 1, "{:?}", local_pods(&project));
    assert_eq!(extra_pods(&n2, &project).len(), 1);
    let n2_name = berth::nodes::machine_name(&n2.host());
    assert_says(&out.stdout, &format!("created on {n2_name}"));

    // Probing off: the nodes are taken as declared, and say so.
    let list = nodes_json(&project, &["--machines", &machines, "--sync-nodes=false"]);
    for name in ["local", n2_name.as_str()] {
        let ready = condition(&list, name, "NodeReady");
        assert_eq!(ready["status"], "True", "{ready}");
        assert_eq!(ready["reason"], "NodeSyncOff", "{ready}");
    }
    let again = apply_nodes(
        &project,
        &dir,
        &["--machines", &machines, "--sync-nodes=false"],
    );
    assert_exit(&again, 0);
    assert!(
        !again.stdout.lines().any(|l| l.starts_with(['+', '-', '~'])),
        "{}",
        again.stdout
    );
}
