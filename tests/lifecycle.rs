//! Pod lifecycle on a real engine, row by row of DESIGN.md §4's phase and
//! restart table under each restart policy: phase, restart counts, exit
//! codes, OOM kills, crash loops and the events they leave.

mod common;

use std::time::Duration;

use common::{
    apply_ok, berth, container_status, describe_pod, ensure_test_image, live_events, live_pod,
    wait_for_pod, wait_until, ManifestDir, Project, TEST_IMAGE,
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
    let (project, _dir) = run_pod("exit3-always", "Always", &[sh("main", "exit 3")]);
    assert_restarted_after_exit(&project, "main", 3);
    assert_event(&project, "Failed", "exited with code 3");
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
