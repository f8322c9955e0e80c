//! apps/v1 DaemonSets on a real engine: one pod `<ds>-<suffix>` on the one
//! node `local`, bound to it; a changed template replaces it; `get ds`
//! counts it; a removed DaemonSet is pruned with its pod and record.

mod common;

use common::{
    apply_ok, berth, ensure_test_image, live_pod_names, live_pods, wait_until, ManifestDir,
    Project, PATIENCE, TEST_IMAGE,
};
use serde_json::json;

/// DaemonSet `agent` at template `version`.
fn daemon_set(version: &str) -> String {
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
