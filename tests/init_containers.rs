//! Init containers on a real Docker engine: they run in order, each to
//! completion, sharing the pod's volumes before the app starts; a failure
//! fails the pod under restartPolicy Never and backs off under Always
//! while `berth watch` runs; a second apply leaves them alone and a
//! change to one recreates the pod.

mod common;

use std::time::Duration;

use common::watch::Watcher;
use common::*;

/// Pod `web`: init containers `first` and `second` append to an emptyDir
/// in turn (`FIRST` is the first one's shell command), then the app reads it.
fn pod(policy: &str, first: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata: {{name: web}}
spec:
  restartPolicy: {policy}
  terminationGracePeriodSeconds: 0
  initContainers:
  - name: first
    image: {TEST_IMAGE}
    imagePullPolicy: Never
    command: [sh, -c, '{first}']
    volumeMounts: [{{name: work, mountPath: /work}}]
  - name: second
    image: {TEST_IMAGE}
    imagePullPolicy: Never
    command: [sh, -c, 'echo 2 >> /work/order']
    volumeMounts: [{{name: work, mountPath: /work}}]
  containers:
  - name: app
    image: {TEST_IMAGE}
    imagePullPolicy: Never
    command: [sh, -c, 'cat /work/order; sleep 3600']
    volumeMounts: [{{name: work, mountPath: /work}}]
  volumes:
  - name: work
    emptyDir: {{}}
"
    )
}

fn init_status<'a>(pod: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    pod["status"]["initContainerStatuses"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["name"] == name))
        .unwrap_or(&serde_json::Value::Null)
}

/// The STATUS column of pod `web` in `berth get pods`.
fn status_column(project: &Project) -> String {
    let out = in_project(project, &["get", "pods"]);
    out.stdout
        .lines()
        .find(|l| l.split_whitespace().any(|w| w == "web"))
        .and_then(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let at = words.iter().position(|w| *w == "web")?;
            words.get(at + 2).map(|w| w.to_string())
        })
        .unwrap_or_default()
}

#[test]
fn init_containers_run_in_order_before_the_app_and_are_not_run_again() {
    let project = Project::new("initorder");
    let dir = ManifestDir::new();
    dir.write("pod.yaml", &pod("Always", "echo 1 >> /work/order"));
    apply_ok(&project, &dir);
    let app = container_name(&project, "web", "app");
    let order = docker(&["exec", &app, "cat", "/work/order"]);
    assert_eq!(order, "1\n2");
    // Kept, exited, for status and logs.
    let first = container_name(&project, "web", "first");
    assert_eq!(
        docker(&[
            "inspect",
            "--format",
            "{{.State.Status}} {{.State.ExitCode}}",
            &first
        ]),
        "exited 0"
    );
    let live = live_pod(&project, "web").expect("pod web is live");
    assert_eq!(live["status"]["phase"], "Running");
    for name in ["first", "second"] {
        let status = init_status(&live, name);
        assert_eq!(
            status["state"]["terminated"]["reason"], "Completed",
            "{live}"
        );
        assert_eq!(status["ready"], true);
    }
    assert_eq!(status_column(&project), "Running");
    let text = describe_pod(&project, "web");
    assert_says(&text, "Init Containers:");
    let at = |needle: &str| text.find(needle).unwrap_or(usize::MAX);
    assert!(at("Init Containers:") < at("\nContainers:"), "{text}");
    assert!(at("  first:") < at("  second:"), "{text}");
    assert!(at("  second:") < at("  app:"), "{text}");
    // Nothing changed: nothing is touched, the init containers included.
    let before = container_ids(&project);
    let (actions, out) = container_actions_during(&project, || apply_ok(&project, &dir));
    assert_eq!(actions, Vec::<String>::new(), "{}", out.stdout);
    assert_eq!(container_ids(&project), before);
    // A repair of the app container does not run them again.
    docker(&["rm", "-f", &app]);
    apply_ok(&project, &dir);
    assert_eq!(docker(&["exec", &app, "cat", "/work/order"]), "1\n2");
}

#[test]
fn a_change_to_an_init_container_recreates_the_pod() {
    let project = Project::new("initchange");
    let dir = ManifestDir::new();
    dir.write("pod.yaml", &pod("Always", "echo 1 >> /work/order"));
    apply_ok(&project, &dir);
    let infra = container_name(&project, "web", "POD");
    let id = |name: &str| docker(&["inspect", "--format", "{{.Id}}", name]);
    let before = id(&infra);
    dir.write("pod.yaml", &pod("Always", "echo one >> /work/order"));
    let out = apply_ok(&project, &dir);
    assert_says(&out.stdout, "pod default/web");
    assert_ne!(id(&infra), before);
    let app = container_name(&project, "web", "app");
    // A new pod, a new emptyDir: only the new sequence's lines.
    assert_eq!(docker(&["exec", &app, "cat", "/work/order"]), "one\n2");
}

#[test]
fn a_failed_init_container_under_never_fails_the_pod() {
    let project = Project::new("initnever");
    let dir = ManifestDir::new();
    dir.write("pod.yaml", &pod("Never", "exit 3"));
    let out = apply(&project, &dir);
    assert!(
        !out.success(),
        "apply must report the failure:\n{}",
        out.stdout
    );
    let said = format!("{}{}", out.stdout, out.stderr);
    assert_says(&said, "init container first exited with code 3");
    assert_says(&said, "Init:Error");
    // The rest never ran; the pod is Failed, as Kubernetes shows it.
    let names = project.containers();
    assert!(
        !names
            .iter()
            .any(|n| n.ends_with("_second") || n.ends_with("_app")),
        "{names:?}"
    );
    let live = live_pod(&project, "web").expect("pod web is live");
    assert_eq!(live["status"]["phase"], "Failed", "{live}");
    let first = init_status(&live, "first");
    assert_eq!(first["state"]["terminated"]["exitCode"], 3);
    assert_eq!(status_column(&project), "Init:Error");
    // Another apply neither runs it again nor hangs.
    let (actions, _) = container_actions_during(&project, || apply(&project, &dir));
    assert_eq!(actions, Vec::<String>::new());
}

#[test]
fn a_failed_init_container_under_always_backs_off_and_runs_again_under_watch() {
    let project = Project::new("initalways");
    let dir = ManifestDir::new();
    dir.write("pod.yaml", &pod("Always", "exit 1"));
    let watcher = Watcher::start(&project, dir.path(), &[]);
    let shown = wait_until(Duration::from_secs(30), || {
        status_column(&project) == "Init:CrashLoopBackOff"
    });
    assert!(
        shown,
        "status {:?}; watch said:\n{}",
        status_column(&project),
        watcher.log()
    );
    let live = live_pod(&project, "web").expect("pod web is live");
    assert_eq!(live["status"]["phase"], "Pending");
    let first = init_status(&live, "first");
    assert!(first["restartCount"].as_u64() >= Some(1), "{live}");
    assert_eq!(first["state"]["waiting"]["reason"], "CrashLoopBackOff");
    assert_eq!(first["lastState"]["terminated"]["exitCode"], 1);
    assert_eq!(
        container_status(&live, "app")["state"]["waiting"]["reason"],
        "PodInitializing"
    );
}
