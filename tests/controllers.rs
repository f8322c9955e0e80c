//! Replication controllers through the CLI on a real engine: numbered
//! replicas, `get rc`, scaling, rolling a changed template, counting
//! matching standalone pods, and `delete rc`.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;

fn in_project(project: &Project, args: &[&str]) -> Output {
    ensure_test_image();
    ensure_test_pause_image();
    let mut all = vec![
        "--project",
        project.name.as_str(),
        "--infra-image",
        TEST_PAUSE_IMAGE,
    ];
    all.extend_from_slice(args);
    let output = berth(&all);
    assert!(!output.timed_out, "berth {args:?} hung: {}", output.stderr);
    output
}

fn applied(project: &Project, dir: &ManifestDir) -> Output {
    let output = in_project(project, &["apply", dir.path().to_str().unwrap()]);
    assert_eq!(
        output.code(),
        Some(0),
        "apply failed:\n{}\n{}",
        output.stdout,
        output.stderr
    );
    output
}

fn rc(replicas: u32, seconds: u32) -> String {
    format!(
        "apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: tick\nspec:\n  replicas: {replicas}\n  \
         selector:\n    app: tick\n  template:\n    metadata:\n      labels:\n        app: tick\n    spec:\n      \
         terminationGracePeriodSeconds: 0\n      containers:\n      - name: t\n        image: {TEST_IMAGE}\n        \
         imagePullPolicy: Never\n        command: [sleep, \"{seconds}\"]\n"
    )
}

fn solo() -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: solo\n  labels:\n    app: tick\nspec:\n  \
         terminationGracePeriodSeconds: 0\n  containers:\n  - name: s\n    image: {TEST_IMAGE}\n    \
         imagePullPolicy: Never\n    command: [sleep, \"600\"]\n"
    )
}

/// The pod names `get pods -o name` lists, sorted.
fn pod_names(project: &Project) -> Vec<String> {
    let output = in_project(project, &["get", "pods", "-o", "name"]);
    assert_eq!(output.code(), Some(0), "{}", output.stderr);
    let mut names: Vec<String> = output.stdout.lines().map(str::to_string).collect();
    names.sort();
    names
}

/// The cells of the `get rc` row of `tick`.
fn rc_row(project: &Project) -> Vec<String> {
    let output = in_project(project, &["get", "rc"]);
    let row = output
        .stdout
        .lines()
        .find(|l| l.starts_with("tick "))
        .unwrap_or("")
        .to_string();
    row.split_whitespace().map(str::to_string).collect()
}

#[test]
fn a_controller_runs_numbered_replicas_that_get_rc_counts() {
    let project = Project::new("rc-count");
    let dir = ManifestDir::new();
    dir.write("rc.yaml", &rc(3, 600));
    let output = applied(&project, &dir);
    assert!(
        output.stdout.contains("+ pod default/tick-2 created"),
        "{}",
        output.stdout
    );
    assert_eq!(
        pod_names(&project),
        vec!["pod/tick-0", "pod/tick-1", "pod/tick-2"]
    );
    let mut row = Vec::new();
    let counted = wait_until(Duration::from_secs(10), || {
        row = rc_row(&project);
        row.get(1..4) == Some(&["3".to_string(), "3".to_string(), "3".to_string()][..])
    });
    assert!(counted, "get rc row: {row:?}");
    let json: Value =
        serde_json::from_str(&in_project(&project, &["get", "rc", "-o", "json"]).stdout).unwrap();
    assert_eq!(json["items"][0]["spec"]["replicas"], 3);
    assert_eq!(json["items"][0]["status"]["replicas"], 3);
}

#[test]
fn scaling_down_removes_the_highest_ordinals() {
    let project = Project::new("rc-scale");
    let dir = ManifestDir::new();
    dir.write("rc.yaml", &rc(3, 600));
    applied(&project, &dir);
    dir.write("rc.yaml", &rc(1, 600));
    let output = applied(&project, &dir);
    assert!(
        output.stdout.contains("- pod default/tick-2 removed"),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("- pod default/tick-1 removed"),
        "{}",
        output.stdout
    );
    assert_eq!(pod_names(&project), vec!["pod/tick-0"]);
}

#[test]
fn a_changed_template_rolls_every_pod_over() {
    let project = Project::new("rc-roll");
    let dir = ManifestDir::new();
    dir.write("rc.yaml", &rc(2, 600));
    applied(&project, &dir);
    dir.write("rc.yaml", &rc(2, 700));
    let diff = in_project(&project, &["diff", dir.path().to_str().unwrap()]);
    assert_eq!(diff.code(), Some(1), "{}", diff.stdout);
    assert!(
        diff.stdout.contains("rc default/tick (template changed)"),
        "{}",
        diff.stdout
    );
    applied(&project, &dir);
    let list: Value =
        serde_json::from_str(&in_project(&project, &["get", "pods", "-o", "json"]).stdout).unwrap();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list:#}");
    for pod in items {
        assert_eq!(pod["spec"]["containers"][0]["command"][1], "700", "{pod:#}");
        assert_eq!(pod["metadata"]["ownerReferences"][0]["name"], "tick");
    }
    let after = in_project(&project, &["diff", dir.path().to_str().unwrap()]);
    assert_eq!(after.code(), Some(0), "{}", after.stdout);
}

#[test]
fn a_matching_standalone_pod_counts_toward_the_replicas() {
    let project = Project::new("rc-adopt");
    let dir = ManifestDir::new();
    dir.write("rc.yaml", &rc(2, 600));
    dir.write("solo.yaml", &solo());
    applied(&project, &dir);
    let names = pod_names(&project);
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"pod/solo".to_string()), "{names:?}");
    let row = rc_row(&project);
    assert_eq!(
        row.get(1..3),
        Some(&["2".to_string(), "2".to_string()][..]),
        "{row:?}"
    );
}

#[test]
fn deleting_a_controller_removes_its_pods_but_not_a_matching_standalone_one() {
    let project = Project::new("rc-delete");
    let dir = ManifestDir::new();
    dir.write("rc.yaml", &rc(2, 600));
    dir.write("solo.yaml", &solo());
    applied(&project, &dir);
    let output = in_project(&project, &["delete", "rc", "tick"]);
    assert_eq!(output.code(), Some(0), "{}", output.stderr);
    assert!(
        output
            .stdout
            .contains("replicationcontroller \"tick\" deleted"),
        "{}",
        output.stdout
    );
    assert_eq!(pod_names(&project), vec!["pod/solo"]);
    assert!(in_project(&project, &["get", "rc", "-o", "name"])
        .stdout
        .is_empty());
}

#[test]
fn deleting_a_controllers_pod_says_the_controller_brings_it_back() {
    let project = Project::new("rc-podgone");
    let dir = ManifestDir::new();
    dir.write("rc.yaml", &rc(2, 600));
    applied(&project, &dir);
    let output = in_project(&project, &["delete", "pod", "tick-1"]);
    assert_eq!(output.code(), Some(0), "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("replicationcontroller default/tick owns pod default/tick-1"),
        "{}",
        output.stderr
    );
    assert_eq!(pod_names(&project), vec!["pod/tick-0"]);
    applied(&project, &dir);
    assert_eq!(pod_names(&project), vec!["pod/tick-0", "pod/tick-1"]);
}
