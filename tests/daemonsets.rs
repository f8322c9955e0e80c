//! apps/v1 DaemonSets on a real engine: one pod `<ds>-<suffix>` on the one
//! node `local`, bound to it; a changed template replaces it; `get ds`
//! counts it; a removed DaemonSet is pruned with its pod and record.

mod common;

use common::engine2::ExtraEngine;
use common::{
    apply_ok, berth, ensure_test_image, live_pod_names, live_pods, wait_until, ManifestDir,
    Project, PATIENCE, TEST_IMAGE,
};
use serde_json::json;

/// DaemonSet `agent` at template `version`.
fn daemon_set(version: &str) -> String {
    daemon_set_on(version, None)
}

/// DaemonSet `agent` at template `version` on the nodes labelled `disk`.
fn daemon_set_on(version: &str, disk: Option<&str>) -> String {
    let d = json!({
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": { "name": "agent" },
        "spec": {
            "selector": { "matchLabels": { "app": "agent" } },
            "template": {
                "metadata": { "labels": { "app": "agent" } },
                "spec": {
                    "terminationGracePeriodSeconds": 0,
                    "containers": [{
                        "name": "main",
                        "image": TEST_IMAGE,
                        "imagePullPolicy": "Never",
                        "command": ["sleep", "3600"],
                        "env": [{ "name": "VERSION", "value": version }],
                    }],
                },
            },
        },
    });
    let mut d = d;
    if let Some(disk) = disk {
        d["spec"]["template"]["spec"]["nodeSelector"] = json!({ "disk": disk });
    }
    serde_json::to_string_pretty(&d).expect("a DaemonSet manifest")
}

/// The one pod of the project once it runs: (name, node, VERSION).
fn the_pod(project: &Project, version: &str) -> (String, String) {
    let mut seen = Vec::new();
    let done = wait_until(PATIENCE, || {
        let pods = live_pods(project);
        seen = pods
            .iter()
            .map(|p| {
                (
                    p["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    p["spec"]["nodeName"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    p["spec"]["containers"][0]["env"][0]["value"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    p["status"]["phase"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect();
        seen.len() == 1 && seen[0].2 == version && seen[0].3 == "Running"
    });
    assert!(
        done,
        "expected one Running pod of VERSION {version}: {seen:?}"
    );
    (seen[0].0.clone(), seen[0].1.clone())
}

fn get_ds(project: &Project) -> Vec<String> {
    let get = berth(&["get", "ds", "--project", &project.name]);
    assert!(get.success(), "{}", get.stderr);
    eprintln!("{}", get.stdout);
    assert!(
        get.stdout.starts_with(
            "NAME    DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR   AGE"
        ),
        "{}",
        get.stdout
    );
    let row = get.stdout.lines().nth(1).unwrap_or_default();
    row.split_whitespace().map(str::to_string).collect()
}

#[test]
fn a_daemon_set_runs_one_pod_on_the_node_and_rolls_a_changed_template() {
    ensure_test_image();
    let project = Project::new("ds");
    let dir = ManifestDir::new();
    dir.write("agent.json", &daemon_set("1"));
    let out = apply_ok(&project, &dir);
    eprintln!("{}", out.stdout);
    let (name, node) = the_pod(&project, "1");
    let (prefix, suffix) = name.rsplit_once('-').expect("agent-<suffix>");
    assert_eq!(prefix, "agent");
    assert_eq!(suffix.len(), 5, "{name}");
    assert_eq!(node, "local");
    let wait_ready = |project: &Project| {
        let mut cells = Vec::new();
        let ok = wait_until(PATIENCE, || {
            cells = get_ds(project);
            cells.get(3).map(String::as_str) == Some("1")
        });
        assert!(ok, "{cells:?}");
        cells
    };
    let cells = wait_ready(&project);
    assert_eq!(&cells[..7], ["agent", "1", "1", "1", "1", "1", "<none>"]);

    // A second apply changes nothing.
    let again = apply_ok(&project, &dir);
    assert!(!again.stdout.contains("pod default/"), "{}", again.stdout);

    dir.write("agent.json", &daemon_set("2"));
    let out = apply_ok(&project, &dir);
    eprintln!("the rolling update:\n{}", out.stdout);
    let removed = out.stdout.find(&format!("- pod default/{name}"));
    let created = out.stdout.find(&format!("+ pod default/{name}"));
    assert!(
        matches!((removed, created), (Some(r), Some(c)) if r < c),
        "the old pod goes before the new one comes:\n{}",
        out.stdout
    );
    let (second, node) = the_pod(&project, "2");
    assert_eq!(second, name, "the pod on a node keeps its name");
    assert_eq!(node, "local");
    let cells = wait_ready(&project);
    assert_eq!(&cells[..6], ["agent", "1", "1", "1", "1", "1"]);

    // Pruned with its pod and record.
    dir.remove("agent.json");
    let out = common::apply_with(&project, &dir, &["--allow-empty"]);
    assert!(out.success(), "{}\n{}", out.stdout, out.stderr);
    eprintln!("the prune:\n{}", out.stdout);
    assert!(
        wait_until(PATIENCE, || live_pod_names(&project).is_empty()),
        "the DaemonSet's pod is pruned"
    );
    let get = berth(&["get", "ds", "--project", &project.name]);
    assert!(!get.stdout.contains("agent"), "{}", get.stdout);
}

/// A Node manifest for the engine at `endpoint`.
fn node(name: &str, endpoint: &str, disk: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  labels:\n    disk: {disk}\n  \
         annotations:\n    berth.io/docker-host: {endpoint}\nstatus:\n  capacity:\n    cpu: \"4\"\n    \
         memory: 8Gi\n---\n"
    )
}

/// The running pods of `project` on an engine, from `docker ps` there.
fn pods_on(ps: impl Fn(&[&str]) -> Result<String, String>, project: &Project) -> Vec<String> {
    let label = format!("label={}", project.label());
    let args = [
        "ps",
        "--filter",
        &label,
        "--filter",
        "label=io.berth.container=POD",
        "--format",
        "{{.Label \"io.berth.pod\"}}",
    ];
    let mut pods: Vec<String> = ps(&args)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    pods.sort();
    pods
}

#[test]
fn a_daemon_set_runs_one_pod_on_each_matching_node() {
    ensure_test_image();
    let n2 = ExtraEngine::start("ds");
    let project = Project::new("ds-nodes");
    let dir = ManifestDir::new();
    let nodes = [
        node("n1", &berth::engine::docker::default_endpoint(), "ssd"),
        node("n2", &n2.host(), "hdd"),
    ]
    .concat();
    dir.write("nodes.yaml", &nodes);
    dir.write("agent.json", &daemon_set("1"));
    let out = apply_ok(&project, &dir);
    eprintln!("{}", out.stdout);
    let on_n1 = pods_on(common::try_docker, &project);
    let on_n2 = pods_on(|a| n2.try_docker(a), &project);
    assert_eq!((on_n1.len(), on_n2.len()), (1, 1), "{on_n1:?} {on_n2:?}");
    assert_ne!(on_n1, on_n2);
    assert!(
        out.stdout
            .contains(&format!("+ pod default/{} created on n1", on_n1[0])),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("+ pod default/{} created on n2", on_n2[0])),
        "{}",
        out.stdout
    );
    let get = berth(&["get", "ds", "--project", &project.name]);
    eprintln!("{}", get.stdout);
    let cells: Vec<&str> = get
        .stdout
        .lines()
        .nth(1)
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(&cells[..3], ["agent", "2", "2"], "{}", get.stdout);

    // A changed template rolls node by node (maxUnavailable 1): each old
    // pod goes, and its node's new one comes, before the next node's goes.
    dir.write("agent.json", &daemon_set("2"));
    let out = apply_ok(&project, &dir);
    eprintln!("the rolling update over two nodes:\n{}", out.stdout);
    let signs: String = out
        .stdout
        .lines()
        .filter(|l| l.contains(" pod default/agent-"))
        .filter_map(|l| l.chars().next())
        .collect();
    assert_eq!(signs, "-+-+", "{}", out.stdout);
    assert_eq!(pods_on(common::try_docker, &project), on_n1);
    assert_eq!(pods_on(|a| n2.try_docker(a), &project), on_n2);

    // Only the ssd node matches now: n2 loses its pod, n1 keeps its own
    // (replaced, as the template changed).
    dir.write("agent.json", &daemon_set_on("1", Some("ssd")));
    let out = apply_ok(&project, &dir);
    eprintln!("{}", out.stdout);
    assert_eq!(pods_on(common::try_docker, &project), on_n1);
    assert!(pods_on(|a| n2.try_docker(a), &project).is_empty());
}
