//! Probes on the real engine while `berth watch` runs: an exec readiness
//! probe gates READY without recreating anything, a failing exec liveness
//! probe restarts the container, which berth's restart count shows (and
//! is its Docker HEALTHCHECK), and an
//! httpGet readiness probe reaches busybox `httpd` on the pod's IP by a
//! named port.

mod common;

use std::time::Duration;

use common::watch::{http_get, Watcher};
use common::*;

const PATIENCE: Duration = Duration::from_secs(25);

/// A pod `name` of one container `app` running `script` under `sh -c`,
/// with `extra` lines (already indented) appended to the container.
fn pod(name: &str, script: &str, extra: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  \
         terminationGracePeriodSeconds: 0\n  containers:\n  - name: app\n    image: {TEST_IMAGE}\n    \
         imagePullPolicy: Never\n    command: [sh, -c, {script:?}]\n{extra}"
    )
}

/// The READY cell of pod `name` in `berth get pods`.
fn ready_cell(project: &Project, name: &str) -> Option<String> {
    let out = in_project(project, &["get", "pods"]);
    out.stdout
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name))
        .and_then(|line| line.split_whitespace().nth(1).map(str::to_string))
}

fn wait_ready_cell(project: &Project, name: &str, want: &str, watch: &Watcher) {
    let mut last = None;
    assert!(
        wait_until(PATIENCE, || {
            last = ready_cell(project, name);
            last.as_deref() == Some(want)
        }),
        "pod {name} never showed READY {want} (last {last:?}); watch log:\n{}",
        watch.log()
    );
}

fn running_id(name: &str) -> Option<String> {
    try_docker(&["inspect", "--format", "{{.State.Running}} {{.Id}}", name])
        .ok()
        .and_then(|out| out.strip_prefix("true ").map(str::to_string))
}

#[test]
fn an_exec_readiness_probe_gates_ready_without_recreating_the_container() {
    let project = Project::new("probe-ready");
    let dir = ManifestDir::new();
    let probe = "    readinessProbe:\n      exec: {command: [test, -f, /tmp/ready]}\n      periodSeconds: 1\n";
    dir.write("web.yaml", &pod("web", "sleep 3600", probe));
    let watch = Watcher::start(&project, dir.path(), &[]);
    let app = container_name(&project, "web", "app");
    assert!(
        wait_until(PATIENCE, || running_id(&app).is_some()),
        "{}",
        watch.log()
    );
    let id = running_id(&app).unwrap();
    // Running, and probed a few times: still not ready.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(ready_cell(&project, "web").as_deref(), Some("0/1"));
    let pod = live_pod(&project, "web").expect("the pod");
    assert_eq!(container_status(&pod, "app")["ready"], false, "{pod}");

    docker(&["exec", &app, "touch", "/tmp/ready"]);
    wait_ready_cell(&project, "web", "1/1", &watch);
    assert_eq!(running_id(&app), Some(id), "the container was recreated");
    let pod = live_pod(&project, "web").expect("the pod");
    let ready = pod["status"]["conditions"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["type"] == "Ready"))
        .cloned();
    assert_eq!(
        ready.map(|c| c["status"].clone()),
        Some("True".into()),
        "{pod}"
    );
    // The watch's own API serves the same readiness.
    let url = format!("{}/api/v1/namespaces/default/pods/web", watch.base_url());
    let mut served = serde_json::Value::Null;
    assert!(
        wait_until(PATIENCE, || {
            let (_, body) = http_get(&url);
            served = serde_json::from_str(&body).unwrap_or_default();
            container_status(&served, "app")["ready"] == true
        }),
        "the API never showed the container ready:\n{served}"
    );
}

#[test]
fn a_failing_liveness_probe_restarts_the_container_with_kubelets_events() {
    let project = Project::new("probe-live");
    let dir = ManifestDir::new();
    let probe = "    livenessProbe:\n      exec: {command: [test, -f, /tmp/alive]}\n      periodSeconds: 1\n      failureThreshold: 2\n";
    dir.write(
        "web.yaml",
        &pod("web", "touch /tmp/alive; sleep 3600", probe),
    );
    let watch = Watcher::start(&project, dir.path(), &[]);
    let app = container_name(&project, "web", "app");
    assert!(
        wait_until(PATIENCE, || running_id(&app).is_some()),
        "{}",
        watch.log()
    );
    let id = running_id(&app).unwrap();
    // The probe is the container's HEALTHCHECK too.
    let check = docker(&["inspect", "--format", "{{json .Config.Healthcheck}}", &app]);
    assert_says(&check, r#""Test":["CMD","test","-f","/tmp/alive"]"#);
    assert_says(&check, r#""Interval":1000000000"#);
    assert_says(&check, r#""Retries":2"#);

    // The process hangs on: only the probe can tell.
    docker(&["exec", &app, "rm", "/tmp/alive"]);
    let started = || docker(&["inspect", "--format", "{{.State.StartedAt}}", &app]);
    let first_start = started();
    let restarts = || {
        live_pod(&project, "web")
            .and_then(|pod| container_status(&pod, "app")["restartCount"].as_u64())
            .unwrap_or(0)
    };
    assert!(
        wait_until(PATIENCE, || restarts() >= 1),
        "never restarted; watch log:\n{}",
        watch.log()
    );
    assert_eq!(
        running_id(&app).as_deref(),
        Some(id.as_str()),
        "restarted, not recreated"
    );
    assert_ne!(started(), first_start, "the container did not start again");
    let row = in_project(&project, &["get", "pods"]).stdout;
    assert!(
        row.lines()
            .any(|l| l.starts_with("web ") && l.split_whitespace().nth(3) != Some("0")),
        "RESTARTS does not count the restart:\n{row}"
    );
    let described = describe_pod(&project, "web");
    assert_says(
        &described,
        "Liveness probe failed: command \"test -f /tmp/alive\" exited with 1",
    );
    assert_says(
        &described,
        "Container app failed liveness probe, will be restarted",
    );
    let events = in_project(&project, &["events"]).stdout;
    assert_says(&events, "Unhealthy");
    assert_says(&events, "Killing");
}

#[test]
fn an_http_readiness_probe_reaches_httpd_on_the_pod_ip_by_port_name() {
    let project = Project::new("probe-http");
    let dir = ManifestDir::new();
    let extra = "    ports:\n    - {name: http, containerPort: 8080}\n    readinessProbe:\n      httpGet: {path: /index.html, port: http}\n      periodSeconds: 1\n";
    let script = "mkdir -p /www && echo ok > /www/index.html && httpd -f -p 8080 -h /www";
    dir.write("web.yaml", &pod("web", script, extra));
    let watch = Watcher::start(&project, dir.path(), &[]);
    wait_ready_cell(&project, "web", "1/1", &watch);
    // A path httpd does not serve fails the probe again.
    let app = container_name(&project, "web", "app");
    docker(&["exec", &app, "rm", "/www/index.html"]);
    wait_ready_cell(&project, "web", "0/1", &watch);
    let events = in_project(&project, &["events"]).stdout;
    assert_says(
        &events,
        "Readiness probe failed: HTTP probe failed with statuscode: 404",
    );
}

/// Deployment `web` of one pod running `script`, a rolling update that
/// keeps the old pod until the new one is available, with `probe` (JSON)
/// as the container's readiness probe.
fn deployment(script: &str, probe: serde_json::Value) -> String {
    serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": "web" },
        "spec": {
            "replicas": 1,
            "selector": { "matchLabels": { "app": "web" } },
            "strategy": { "type": "RollingUpdate",
                          "rollingUpdate": { "maxSurge": 1, "maxUnavailable": 0 } },
            "template": {
                "metadata": { "labels": { "app": "web" } },
                "spec": {
                    "terminationGracePeriodSeconds": 0,
                    "containers": [{
                        "name": "app",
                        "image": TEST_IMAGE,
                        "imagePullPolicy": "Never",
                        "command": ["sh", "-c", script],
                        "readinessProbe": probe,
                    }],
                },
            },
        },
    })
    .to_string()
}

#[test]
fn a_one_shot_apply_runs_readiness_probes_and_rolls_only_onto_ready_pods() {
    let project = Project::new("probe-apply");
    let dir = ManifestDir::new();
    let probe = serde_json::json!({
        "exec": { "command": ["test", "-f", "/tmp/ready"] }, "periodSeconds": 1
    });
    let always = serde_json::json!({ "exec": { "command": ["true"] }, "periodSeconds": 1 });
    dir.write("web.json", &deployment("sleep 3600", always));
    apply_ok(&project, &dir);
    let old = live_pod_names(&project);
    // The new pod is ready two seconds after it starts: apply waits for
    // it, then removes the old one.
    dir.write(
        "web.json",
        &deployment("sleep 2; touch /tmp/ready; sleep 3600", probe.clone()),
    );
    let started = std::time::Instant::now();
    let out = apply_ok(&project, &dir);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "apply did not wait for readiness:\n{}",
        out.stdout
    );
    let first = live_pod_names(&project);
    assert_eq!(first.len(), 1, "{first:?}");
    assert_ne!(first, old, "the old pod stayed:\n{}", out.stdout);

    // Never ready: the rollout times out and the old pod stays.
    dir.write("web.json", &deployment("sleep 3600", probe));
    let path = dir.path().to_str().expect("a UTF-8 path");
    let out = in_project(&project, &["apply", path, "--timeout", "6s"]);
    assert!(
        !out.success(),
        "the rollout should not finish:\n{}",
        out.stdout
    );
    assert_says(
        &format!("{}{}", out.stdout, out.stderr),
        "gave up waiting after 6s",
    );
    let names = live_pod_names(&project);
    assert!(names.contains(&first[0]), "the old pod went: {names:?}");
}
