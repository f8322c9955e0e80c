//! Pod lifecycle on a real engine, row by row of DESIGN.md §4's phase and
//! restart table under each restart policy: phase, restart counts, exit
//! codes, OOM kills, crash loops and the events they leave; then what the
//! CLI shows of pods (`get -o json`, every project, `delete`, no engine).

mod common;

use std::time::Duration;

use common::{
    apply_ok, berth, berth_with_env, container_status, describe_pod, docker, ensure_test_image,
    live_events, live_pod, wait_for_pod, wait_until, ManifestDir, Project, TEST_IMAGE,
};
use serde_json::{json, Value};

/// How long any one state may take to show.
const PATIENCE: Duration = Duration::from_secs(20);

/// One container of a test pod: a shell script, maybe a memory limit.
struct Ctr {
    name: &'static str,
    script: &'static str,
    memory: Option<&'static str>,
}

fn sh(name: &'static str, script: &'static str) -> Ctr {
    Ctr {
        name,
        script,
        memory: None,
    }
}

/// A container that eats memory until a 16Mi limit kills it.
fn memory_hog(name: &'static str) -> Ctr {
    Ctr {
        name,
        script: "tail /dev/zero",
        memory: Some("16Mi"),
    }
}

/// A Pod manifest (JSON) named `name` with `containers` under `policy`.
fn pod_manifest(name: &str, policy: &str, containers: &[Ctr]) -> String {
    let containers: Vec<Value> = containers
        .iter()
        .map(|c| {
            let mut container = json!({
                "name": c.name,
                "image": TEST_IMAGE,
                "imagePullPolicy": "Never",
                "command": ["sh", "-c", c.script],
            });
            if let Some(memory) = c.memory {
                container["resources"] = json!({ "limits": { "memory": memory } });
            }
            container
        })
        .collect();
    let pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": name, "labels": { "test": "lifecycle" } },
        "spec": {
            "restartPolicy": policy,
            "terminationGracePeriodSeconds": 0,
            "containers": containers,
        },
    });
    serde_json::to_string_pretty(&pod).expect("a pod manifest")
}

/// A fresh project running pod `pod` with `containers` under `policy`.
fn run_pod(prefix: &str, policy: &str, containers: &[Ctr]) -> (Project, ManifestDir) {
    ensure_test_image();
    let project = Project::new(prefix);
    let dir = ManifestDir::new();
    dir.write("pod.json", &pod_manifest("pod", policy, containers));
    apply_ok(&project, &dir);
    (project, dir)
}

fn phase(pod: &Value) -> &str {
    pod["status"]["phase"].as_str().unwrap_or("")
}

fn restarts(pod: &Value, container: &str) -> u64 {
    container_status(pod, container)["restartCount"]
        .as_u64()
        .unwrap_or(0)
}

/// The termination a container last went through: its current state when
/// terminated, else its last state.
fn termination<'a>(pod: &'a Value, container: &str) -> &'a Value {
    let status = container_status(pod, container);
    let now = &status["state"]["terminated"];
    if now.is_object() {
        now
    } else {
        &status["lastState"]["terminated"]
    }
}

fn last_exit_code(pod: &Value, container: &str) -> Option<i64> {
    termination(pod, container)["exitCode"].as_i64()
}

fn last_reason<'a>(pod: &'a Value, container: &str) -> &'a str {
    termination(pod, container)["reason"].as_str().unwrap_or("")
}

fn is_running(pod: &Value, container: &str) -> bool {
    container_status(pod, container)["state"]["running"].is_object()
}

/// The project's events about pod `pod` with `reason`, as (reason, message).
fn events_of(project: &Project, pod: &str, reason: &str) -> Vec<(String, String)> {
    live_events(project)
        .iter()
        .filter(|e| e["involvedObject"]["name"] == pod && e["reason"] == reason)
        .map(|e| {
            let text = |key: &str| e[key].as_str().unwrap_or("").to_string();
            (text("reason"), text("message"))
        })
        .collect()
}

/// Waits (events are derived from Docker's event stream, a moment behind)
/// for a `reason` event of pod `pod` whose message contains `message_part`.
fn assert_event(project: &Project, reason: &str, message_part: &str) {
    let mut found = Vec::new();
    let seen = wait_until(Duration::from_secs(5), || {
        found = events_of(project, "pod", reason);
        found
            .iter()
            .any(|(_, message)| message.contains(message_part))
    });
    assert!(
        seen,
        "no {reason} event saying {message_part:?} for pod; found {found:?}; all events:\n{}",
        berth(&["events", "--project", &project.name]).stdout
    );
}

/// Restarted at least once, Running, and its last exit was `code`.
fn assert_restarted_after_exit(project: &Project, container: &str, code: i64) {
    let pod = wait_for_pod(project, "pod", PATIENCE, "a restart", |pod| {
        restarts(pod, container) >= 1 && last_exit_code(pod, container) == Some(code)
    });
    assert_eq!(
        phase(&pod),
        "Running",
        "a restarting pod is Running: {pod:#}"
    );
}

#[test]
fn one_container_exiting_zero_is_restarted_and_running_under_always() {
    let (project, _dir) = run_pod("exit0-always", "Always", &[sh("main", "exit 0")]);
    assert_restarted_after_exit(&project, "main", 0);
    assert_event(&project, "Completed", "exited with code 0");
}

#[test]
fn one_container_exiting_zero_succeeds_under_on_failure() {
    let (project, _dir) = run_pod("exit0-onfailure", "OnFailure", &[sh("main", "exit 0")]);
    let pod = wait_for_pod(&project, "pod", PATIENCE, "Succeeded", |p| {
        phase(p) == "Succeeded"
    });
    assert_eq!(last_exit_code(&pod, "main"), Some(0), "{pod:#}");
    assert_eq!(last_reason(&pod, "main"), "Completed", "{pod:#}");
    assert_eq!(restarts(&pod, "main"), 0, "nothing restarts it: {pod:#}");
    assert_event(&project, "Completed", "exited with code 0");
    let table = berth(&["get", "pods", "--project", &project.name]).stdout;
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("pod ") && l.contains("Completed")),
        "{table}"
    );
}

#[test]
fn one_container_exiting_zero_succeeds_under_never() {
    let (project, _dir) = run_pod("exit0-never", "Never", &[sh("main", "exit 0")]);
    let pod = wait_for_pod(&project, "pod", PATIENCE, "Succeeded", |p| {
        phase(p) == "Succeeded"
    });
    assert_eq!(last_exit_code(&pod, "main"), Some(0), "{pod:#}");
    assert_eq!(restarts(&pod, "main"), 0, "{pod:#}");
    assert_event(&project, "Completed", "exited with code 0");
}

#[test]
fn one_container_exiting_non_zero_is_restarted_and_running_under_always() {
    let (project, _dir) = run_pod("exit3-always", "Always", &[sh("main", "sleep 0.2; exit 3")]);
    assert_restarted_after_exit(&project, "main", 3);
    assert_event(&project, "Failed", "exited with code 3");
    // Docker resets the exit code while the container runs again; the last
    // state must still say how the previous run ended, never `0`.
    let mut described = String::new();
    let told = wait_until(PATIENCE, || {
        described = describe_pod(&project, "pod");
        described.contains("Exit Code:  3")
    });
    assert!(told, "{described}");
    assert!(!described.contains("Exit Code:  0"), "{described}");
}

#[test]
fn one_container_exiting_non_zero_is_restarted_and_running_under_on_failure() {
    let (project, _dir) = run_pod("exit3-onfailure", "OnFailure", &[sh("main", "exit 3")]);
    assert_restarted_after_exit(&project, "main", 3);
    assert_event(&project, "Failed", "exited with code 3");
}

#[test]
fn one_container_exiting_non_zero_fails_with_its_exit_code_under_never() {
    let (project, _dir) = run_pod("exit3-never", "Never", &[sh("main", "exit 3")]);
    let pod = wait_for_pod(&project, "pod", PATIENCE, "Failed", |p| {
        phase(p) == "Failed"
    });
    assert_eq!(last_exit_code(&pod, "main"), Some(3), "{pod:#}");
    assert_eq!(last_reason(&pod, "main"), "Error", "{pod:#}");
    assert_eq!(restarts(&pod, "main"), 0, "{pod:#}");
    assert_event(&project, "Failed", "exited with code 3");
    let described = describe_pod(&project, "pod");
    for part in ["Status:", "Failed", "Exit Code:  3"] {
        assert!(described.contains(part), "{part:?} in:\n{described}");
    }
    let missing = berth(&["describe", "pod", "nope", "--project", &project.name]);
    assert_eq!(missing.code(), Some(1), "{}", missing.stderr);
    assert!(
        missing.stderr.contains("pods \"nope\" not found"),
        "{}",
        missing.stderr
    );
}

/// A container that fails at once beside one that sleeps.
fn failing_beside_sleeping() -> [Ctr; 2] {
    [sh("failing", "exit 3"), sh("sleeping", "sleep 3600")]
}

#[test]
fn two_containers_one_failing_is_restarted_and_running_under_always() {
    let (project, _dir) = run_pod("two-fail-always", "Always", &failing_beside_sleeping());
    assert_restarted_after_exit(&project, "failing", 3);
    let pod = live_pod(&project, "pod").expect("the pod is listed");
    assert!(is_running(&pod, "sleeping"), "{pod:#}");
    assert_eq!(restarts(&pod, "sleeping"), 0, "{pod:#}");
}

#[test]
fn two_containers_one_failing_is_restarted_and_running_under_on_failure() {
    let (project, _dir) = run_pod("two-fail-onfail", "OnFailure", &failing_beside_sleeping());
    assert_restarted_after_exit(&project, "failing", 3);
    let pod = live_pod(&project, "pod").expect("the pod is listed");
    assert!(is_running(&pod, "sleeping"), "{pod:#}");
}

#[test]
fn two_containers_one_failing_stays_running_under_never() {
    let (project, _dir) = run_pod("two-fail-never", "Never", &failing_beside_sleeping());
    let pod = wait_for_pod(&project, "pod", PATIENCE, "one container failed", |p| {
        last_exit_code(p, "failing") == Some(3) && is_running(p, "sleeping")
    });
    assert_eq!(phase(&pod), "Running", "{pod:#}");
    assert_eq!(restarts(&pod, "failing"), 0, "{pod:#}");
    assert_event(&project, "Failed", "exited with code 3");
}

/// A container that fails at once beside one that completes a second later.
fn failing_then_completing() -> [Ctr; 2] {
    [sh("failing", "exit 3"), sh("later", "sleep 1; exit 0")]
}

#[test]
fn two_containers_both_exited_are_restarted_and_running_under_always() {
    let (project, _dir) = run_pod("both-exit-always", "Always", &failing_then_completing());
    let pod = wait_for_pod(&project, "pod", PATIENCE, "both restarted", |p| {
        restarts(p, "failing") >= 1 && restarts(p, "later") >= 1
    });
    assert_eq!(phase(&pod), "Running", "{pod:#}");
    assert_event(&project, "Completed", "container later exited with code 0");
}

#[test]
fn two_containers_both_exited_are_restarted_and_running_under_on_failure() {
    let (project, _dir) = run_pod("both-exit-onfail", "OnFailure", &failing_then_completing());
    let pod = wait_for_pod(&project, "pod", PATIENCE, "later completed", |p| {
        restarts(p, "failing") >= 1
            && container_status(p, "later")["state"]["terminated"]["exitCode"] == 0
    });
    assert_eq!(phase(&pod), "Running", "the failed one restarts: {pod:#}");
    assert_eq!(
        restarts(&pod, "later"),
        0,
        "a completed one does not: {pod:#}"
    );
}

#[test]
fn two_containers_both_exited_fail_under_never() {
    let (project, _dir) = run_pod("both-exit-never", "Never", &failing_then_completing());
    let pod = wait_for_pod(&project, "pod", PATIENCE, "Failed", |p| {
        phase(p) == "Failed"
    });
    assert_eq!(last_exit_code(&pod, "failing"), Some(3), "{pod:#}");
    assert_eq!(last_exit_code(&pod, "later"), Some(0), "{pod:#}");
    assert_event(&project, "Completed", "container later exited with code 0");
    assert_event(&project, "Failed", "container failing exited with code 3");
}

#[test]
fn oom_killed_container_is_restarted_and_running_under_always() {
    let (project, _dir) = run_pod("oom-always", "Always", &[memory_hog("hog")]);
    let pod = wait_for_pod(&project, "pod", PATIENCE, "restarted after OOM", |p| {
        restarts(p, "hog") >= 1 && last_reason(p, "hog") == "OOMKilled"
    });
    assert_eq!(phase(&pod), "Running", "{pod:#}");
    assert_eq!(last_exit_code(&pod, "hog"), Some(137), "{pod:#}");
}

#[test]
fn oom_killed_container_is_restarted_and_running_under_on_failure() {
    let (project, _dir) = run_pod("oom-onfailure", "OnFailure", &[memory_hog("hog")]);
    let pod = wait_for_pod(&project, "pod", PATIENCE, "restarted after OOM", |p| {
        restarts(p, "hog") >= 1 && last_reason(p, "hog") == "OOMKilled"
    });
    assert_eq!(phase(&pod), "Running", "{pod:#}");
}

#[test]
fn oom_killed_container_fails_with_an_oom_event_under_never() {
    let (project, _dir) = run_pod("oom-never", "Never", &[memory_hog("hog")]);
    let pod = wait_for_pod(&project, "pod", PATIENCE, "Failed", |p| {
        phase(p) == "Failed"
    });
    assert_eq!(last_reason(&pod, "hog"), "OOMKilled", "{pod:#}");
    assert_eq!(last_exit_code(&pod, "hog"), Some(137), "{pod:#}");
    assert_event(&project, "OOMKilled", "out of memory");
    assert!(
        describe_pod(&project, "pod").contains("OOMKilled"),
        "describe names the OOM kill"
    );
}

#[test]
fn a_container_crashing_under_always_shows_crash_loop_back_off() {
    let (project, _dir) = run_pod("crashloop", "Always", &[sh("main", "exit 1")]);
    let pod = wait_for_pod(
        &project,
        "pod",
        Duration::from_secs(15),
        "a crash loop",
        |p| p["status"]["reason"] == "CrashLoopBackOff",
    );
    assert_eq!(phase(&pod), "Running", "{pod:#}");
    // While Docker runs it again for a moment kubectl says Running too:
    // wait for the back-off, which grows with every restart.
    let mut table = String::new();
    let shown = wait_until(PATIENCE, || {
        table = berth(&["get", "pods", "--project", &project.name]).stdout;
        let row = table.lines().find(|l| l.starts_with("pod ")).unwrap_or("");
        row.contains("CrashLoopBackOff")
    });
    assert!(shown, "the STATUS column shows the crash loop:\n{table}");
    let mut described = String::new();
    let shown = wait_until(PATIENCE, || {
        described = describe_pod(&project, "pod");
        described
            .lines()
            .any(|l| l.trim_start().starts_with("Exit Code:") && l.trim_end().ends_with(" 1"))
    });
    assert!(shown, "describe shows the last exit code 1:\n{described}");
}

#[test]
fn a_finished_pod_under_never_is_left_as_it_ended_by_the_next_apply() {
    let (project, dir) = run_pod("never-reapply", "Never", &[sh("main", "exit 3")]);
    let before = wait_for_pod(&project, "pod", PATIENCE, "Failed", |p| {
        phase(p) == "Failed"
    });
    let again = apply_ok(&project, &dir);
    assert!(
        !again.stdout.lines().any(|l| l.contains("pod default/pod")),
        "nothing to do for a pod that ended as its policy says:\n{}",
        again.stdout
    );
    let after = live_pod(&project, "pod").expect("the pod is still listed");
    assert_eq!(phase(&after), "Failed", "{after:#}");
    assert_eq!(
        container_status(&after, "main")["containerID"],
        container_status(&before, "main")["containerID"],
        "the same container, not a new one"
    );
}

/// A project running one pod `name` whose container sleeps.
fn sleeping_pod(prefix: &str, name: &str) -> (Project, ManifestDir) {
    ensure_test_image();
    let project = Project::new(prefix);
    let dir = ManifestDir::new();
    let manifest = pod_manifest(name, "Always", &[sh("main", "sleep 60")]);
    dir.write("pod.json", &manifest);
    apply_ok(&project, &dir);
    (project, dir)
}

#[test]
fn live_json_is_a_kubernetes_pod_list() {
    let (project, _dir) = sleeping_pod("life-json", "web");
    let output = berth(&["get", "pods", "--project", &project.name, "-o", "json"]);
    let list: Value = serde_json::from_str(&output.stdout).expect("a JSON list");
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
    let (one, _one_dir) = sleeping_pod("life-all-a", "same");
    let (two, _two_dir) = sleeping_pod("life-all-b", "same");
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
    ensure_test_image();
    let project = Project::new("life-del");
    let dir = ManifestDir::new();
    let mut pod: Value =
        serde_json::from_str(&pod_manifest("temp", "Always", &[sh("main", "sleep 60")]))
            .expect("a pod manifest");
    pod["spec"]["volumes"] = json!([{ "name": "scratch", "emptyDir": {} }]);
    pod["spec"]["containers"][0]["volumeMounts"] =
        json!([{ "name": "scratch", "mountPath": "/scratch" }]);
    dir.write("pod.json", &pod.to_string());
    apply_ok(&project, &dir);
    let filter = format!("label={}", project.label());
    let volumes = || docker(&["volume", "ls", "-q", "--filter", &filter]);
    assert_eq!(volumes().lines().count(), 1);
    let delete = |name: &str| berth(&["delete", "pod", name, "--project", &project.name]);
    let output = delete("temp");
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
    assert_eq!(volumes(), "");
    let missing = delete("temp");
    assert_eq!(missing.code(), Some(1), "{}", missing.stderr);
    apply_ok(&project, &dir);
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
