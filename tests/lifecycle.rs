//! Pod lifecycle through the CLI on a real engine: the phase table of
//! DESIGN.md §4 as `get -o json`, `describe` and `events` report it, and
//! `delete` with what the next apply does.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;

/// `berth --project P --infra-image PAUSE ARGS…`.
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

fn applied(project: &Project, dir: &ManifestDir) {
    let output = in_project(project, &["apply", dir.path().to_str().unwrap()]);
    assert_eq!(
        output.code(),
        Some(0),
        "apply failed:\n{}\n{}",
        output.stdout,
        output.stderr
    );
}

/// A one-pod directory: containers given as (name, shell command).
fn pod_dir(name: &str, policy: &str, containers: &[(&str, &str)], extra: &str) -> ManifestDir {
    let mut text = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  restartPolicy: {policy}\n  \
         terminationGracePeriodSeconds: 0\n  containers:\n"
    );
    for (container, script) in containers {
        text.push_str(&format!(
            "  - name: {container}\n    image: {TEST_IMAGE}\n    imagePullPolicy: Never\n    \
             command: [sh, -c, '{script}']\n{extra}"
        ));
    }
    let dir = ManifestDir::new();
    dir.write("pod.yaml", &text);
    dir
}

/// `get pod NAME -o json`.
fn pod_json(project: &Project, name: &str) -> Value {
    let output = in_project(project, &["get", "pod", name, "-o", "json"]);
    assert_eq!(output.code(), Some(0), "{}", output.stderr);
    serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", output.stdout))
}

/// Polls until the pod's phase is `phase`; returns the last pod seen.
fn wait_for_phase(project: &Project, name: &str, phase: &str) -> Value {
    let mut last = Value::Null;
    let reached = wait_until(Duration::from_secs(15), || {
        last = pod_json(project, name);
        last["status"]["phase"] == phase
    });
    assert!(reached, "pod {name} never became {phase}: {last:#}");
    last
}

#[test]
fn a_pod_that_exits_zero_under_on_failure_succeeds() {
    let project = Project::new("life-ok");
    applied(
        &project,
        &pod_dir("once", "OnFailure", &[("main", "exit 0")], ""),
    );
    let pod = wait_for_phase(&project, "once", "Succeeded");
    assert_eq!(
        pod["status"]["containerStatuses"][0]["state"]["terminated"]["reason"],
        "Completed"
    );
    let table = in_project(&project, &["get", "pods"]).stdout;
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("once ") && l.contains("Completed")),
        "{table}"
    );
}

#[test]
fn a_pod_that_fails_under_never_is_failed_with_its_exit_code() {
    let project = Project::new("life-fail");
    applied(
        &project,
        &pod_dir("broken", "Never", &[("main", "exit 3")], ""),
    );
    let pod = wait_for_phase(&project, "broken", "Failed");
    assert_eq!(
        pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"],
        3
    );
    let describe = in_project(&project, &["describe", "pod", "broken"]);
    assert_eq!(describe.code(), Some(0), "{}", describe.stderr);
    assert!(describe.stdout.contains("Status:"), "{}", describe.stdout);
    assert!(describe.stdout.contains("Failed"), "{}", describe.stdout);
    assert!(
        describe.stdout.contains("Exit Code:  3"),
        "{}",
        describe.stdout
    );
    let missing = in_project(&project, &["describe", "pod", "nope"]);
    assert_eq!(missing.code(), Some(1), "{}", missing.stderr);
    assert!(
        missing.stderr.contains("pods \"nope\" not found"),
        "{}",
        missing.stderr
    );
}

#[test]
fn a_crashing_container_under_always_restarts_and_keeps_its_last_exit() {
    let project = Project::new("life-crash");
    applied(
        &project,
        &pod_dir("crash", "Always", &[("main", "sleep 0.2; exit 7")], ""),
    );
    let mut pod = Value::Null;
    let restarted = wait_until(Duration::from_secs(15), || {
        pod = pod_json(&project, "crash");
        pod["status"]["containerStatuses"][0]["restartCount"]
            .as_u64()
            .unwrap_or(0)
            >= 1
    });
    assert!(restarted, "never restarted: {pod:#}");
    assert_eq!(pod["status"]["phase"], "Running");
    // Docker resets the exit code while the container runs again; the last
    // state must still say how the previous run ended.
    let mut describe = String::new();
    let told = wait_until(Duration::from_secs(10), || {
        describe = in_project(&project, &["describe", "pod", "crash"]).stdout;
        describe.contains("Exit Code:  7")
    });
    assert!(told, "{describe}");
    assert!(!describe.contains("Exit Code:  0"), "{describe}");
}

#[test]
fn one_failed_container_of_two_under_never_leaves_the_pod_running() {
    let project = Project::new("life-half");
    let dir = pod_dir(
        "half",
        "Never",
        &[("fails", "exit 1"), ("sleeps", "sleep 60")],
        "",
    );
    applied(&project, &dir);
    let mut pod = Value::Null;
    let settled = wait_until(Duration::from_secs(15), || {
        pod = pod_json(&project, "half");
        let statuses = pod["status"]["containerStatuses"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        statuses
            .iter()
            .any(|c| c["state"]["terminated"]["exitCode"] == 1)
    });
    assert!(settled, "the failing container never exited: {pod:#}");
    assert_eq!(pod["status"]["phase"], "Running");
    assert_eq!(
        pod["status"]["containerStatuses"].as_array().unwrap().len(),
        2
    );
}

#[test]
fn an_out_of_memory_kill_is_reported_as_oom_killed() {
    let project = Project::new("life-oom");
    let limits = "    resources:\n      limits:\n        memory: 16Mi\n";
    applied(
        &project,
        &pod_dir("hungry", "Never", &[("eat", "tail /dev/zero")], limits),
    );
    let pod = wait_for_phase(&project, "hungry", "Failed");
    assert_eq!(
        pod["status"]["containerStatuses"][0]["state"]["terminated"]["reason"],
        "OOMKilled"
    );
    let events = in_project(&project, &["events"]).stdout;
    assert!(events.contains("pod/hungry"), "{events}");
    assert!(events.to_lowercase().contains("oom"), "{events}");
}

#[test]
fn live_json_is_a_kubernetes_pod_list() {
    let project = Project::new("life-json");
    applied(
        &project,
        &pod_dir("web", "Always", &[("main", "sleep 60")], ""),
    );
    let output = in_project(&project, &["get", "pods", "-o", "json"]);
    let list: Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(list["kind"], "List");
    let pod = &list["items"][0];
    assert_eq!(pod["kind"], "Pod");
    assert_eq!(pod["metadata"]["name"], "web");
    assert!(pod["metadata"]["creationTimestamp"].is_string(), "{pod:#}");
    assert_eq!(pod["spec"]["containers"][0]["image"], TEST_IMAGE);
    assert!(
        pod["status"]["podIP"]
            .as_str()
            .is_some_and(|ip| ip.contains('.')),
        "{pod:#}"
    );
    assert_eq!(pod["status"]["containerStatuses"][0]["restartCount"], 0);
}

#[test]
fn get_without_project_lists_every_project_with_a_project_column() {
    let (one, two) = (Project::new("life-all-a"), Project::new("life-all-b"));
    applied(
        &one,
        &pod_dir("same", "Always", &[("main", "sleep 60")], ""),
    );
    applied(
        &two,
        &pod_dir("same", "Always", &[("main", "sleep 60")], ""),
    );
    let output = berth(&["get", "pods"]);
    assert_eq!(output.code(), Some(0), "{}", output.stderr);
    assert!(output.stdout.starts_with("PROJECT"), "{}", output.stdout);
    for project in [&one, &two] {
        let listed = output.stdout.lines().any(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            cells.get(..2) == Some(&[project.name.as_str(), "same"][..])
        });
        assert!(listed, "no {} same in {}", project.name, output.stdout);
    }
}

#[test]
fn deleting_a_pod_removes_its_containers_and_volumes_until_the_next_apply() {
    let project = Project::new("life-del");
    let volume = "    volumeMounts:\n    - {name: scratch, mountPath: /scratch}\n";
    let dir = pod_dir("temp", "Always", &[("main", "sleep 60")], volume);
    let text = std::fs::read_to_string(dir.path().join("pod.yaml")).unwrap();
    dir.write(
        "pod.yaml",
        &text.replace(
            "  containers:\n",
            "  volumes:\n  - {name: scratch, emptyDir: {}}\n  containers:\n",
        ),
    );
    applied(&project, &dir);
    let filter = format!("label={}", project.label());
    assert_eq!(
        docker(&["volume", "ls", "-q", "--filter", &filter])
            .lines()
            .count(),
        1
    );
    let output = in_project(&project, &["delete", "pod", "temp"]);
    assert_eq!(output.code(), Some(0), "{}", output.stderr);
    assert_eq!(output.stdout, "pod \"temp\" deleted\n");
    assert!(
        output.stderr.contains("next apply brings it back"),
        "{}",
        output.stderr
    );
    assert!(
        project.containers().is_empty(),
        "{:?}",
        project.containers()
    );
    assert_eq!(docker(&["volume", "ls", "-q", "--filter", &filter]), "");
    let missing = in_project(&project, &["delete", "pod", "temp"]);
    assert_eq!(missing.code(), Some(1), "{}", missing.stderr);
    applied(&project, &dir);
    assert_eq!(project.containers().len(), 2, "{:?}", project.containers());
}

#[test]
fn an_unreachable_engine_is_a_clear_error_with_exit_2() {
    let output = berth_with_env(
        &["get", "pods"],
        &[("DOCKER_HOST", "unix:///nonexistent/docker.sock")],
    );
    assert_eq!(output.code(), Some(2), "{}", output.stderr);
    assert!(
        output.stderr.contains("cannot reach the Docker engine"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("/nonexistent/docker.sock"),
        "{}",
        output.stderr
    );
}
