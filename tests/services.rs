//! Services follow their pods without recreating anything (issue 10): a
//! pod whose labels change joins or leaves a Service by its infra
//! container being reconnected to the pod network under the new names, at
//! the same address; a client in the namespace reaches by the Service's
//! name exactly the pods selected now.

mod common;

use std::collections::BTreeSet;

use common::*;

fn web(name: &str, app: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {{app: {app}}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: srv
    image: {TEST_IMAGE}
    imagePullPolicy: Never
    command: [sh, -c, 'mkdir -p /www && echo {name} > /www/index.html && exec httpd -f -p 8080 -h /www']
"
    )
}

const CLIENT: &str = "apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: main
    image: IMAGE
    imagePullPolicy: Never
    command: [sleep, '3600']
";

const SERVICE: &str = "apiVersion: v1
kind: Service
metadata: {name: front}
spec:
  selector: {app: web}
  ports: [{port: 8080}]
";

/// Who answers `http://front:8080/` from the client, over many tries.
fn answers(project: &Project) -> BTreeSet<String> {
    let client = container_name(project, "client", "main");
    let script = "for i in $(seq 30); do wget -q -O - http://front:8080/ 2>/dev/null; done; true";
    // A client not created yet answers nothing (callers wait for answers).
    try_docker(&["exec", &client, "sh", "-c", script])
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn pod_ip(project: &Project, pod: &str) -> String {
    let pod = live_pod(project, pod).expect("the pod is live");
    pod["status"]["podIP"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn pods_join_and_leave_a_service_by_their_labels_without_being_recreated() {
    let project = Project::new("svcfollow");
    let dir = ManifestDir::new();
    dir.write("a.yaml", &web("web-a", "web"));
    dir.write("b.yaml", &web("web-b", "other"));
    dir.write("client.yaml", &CLIENT.replace("IMAGE", TEST_IMAGE));
    dir.write("service.yaml", SERVICE);
    apply_ok(&project, &dir);
    let ids = container_ids(&project);
    let ip_b = pod_ip(&project, "web-b");
    assert_eq!(answers(&project), BTreeSet::from(["web-a".to_string()]));

    // web-b gets the service's label: it joins, in place.
    dir.write("b.yaml", &web("web-b", "web"));
    let planned = diff(&project, &dir);
    assert_exit(&planned, 1);
    assert_says(
        &planned.stdout,
        "~ pod default/web-b (updated in place, no restart)",
    );
    assert_says(&planned.stdout, "labels app=other → app=web");
    assert_says(&planned.stdout, "joins service front");
    apply_ok(&project, &dir);
    assert_eq!(
        answers(&project),
        BTreeSet::from(["web-a".to_string(), "web-b".to_string()])
    );
    assert_eq!(pod_ip(&project, "web-b"), ip_b, "the pod keeps its address");
    // The Endpoints list both pods, ready.
    let path = dir.path().to_str().unwrap().to_string();
    let listed = in_project(&project, &["get", "endpoints", "-f", &path, "-o", "json"]);
    assert_exit(&listed, 0);
    let json: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    let ips: BTreeSet<String> = json["items"][0]["subsets"][0]["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["ip"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ips,
        BTreeSet::from([pod_ip(&project, "web-a"), ip_b.clone()])
    );
    let described = in_project(&project, &["describe", "service", "front", "-f", &path]);
    assert_exit(&described, 0);
    assert_says(&described.stdout, "Selector:          app=web");
    assert_says(&described.stdout, &format!("{ip_b}:8080"));
    let labels = live_pod(&project, "web-b").unwrap()["metadata"]["labels"].clone();
    assert_eq!(labels["app"], "web", "the pod's labels are its new ones");

    // web-a loses it: it leaves.
    dir.write("a.yaml", &web("web-a", "gone"));
    apply_ok(&project, &dir);
    assert_eq!(answers(&project), BTreeSet::from(["web-b".to_string()]));

    // The Service's selector changes: it picks web-a again, not web-b.
    dir.write(
        "service.yaml",
        &SERVICE.replace("{app: web}", "{app: gone}"),
    );
    apply_ok(&project, &dir);
    assert_eq!(answers(&project), BTreeSet::from(["web-a".to_string()]));

    // The Service goes: nobody answers by its name.
    dir.remove("service.yaml");
    apply_ok(&project, &dir);
    assert!(answers(&project).is_empty());

    // Not one container was recreated (records of the changes aside).
    let now = container_ids(&project);
    assert!(ids.iter().all(|id| now.contains(id)), "{ids:?}\n{now:?}");
    assert_exit(&diff(&project, &dir), 0);
}

fn probed(name: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {{app: web}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: srv
    image: {TEST_IMAGE}
    imagePullPolicy: Never
    command: [sh, -c, 'mkdir -p /www && echo {name} > /www/index.html && exec httpd -f -p 8080 -h /www']
    readinessProbe:
      exec: {{command: [test, -f, /tmp/ready]}}
      periodSeconds: 1
      failureThreshold: 1
"
    )
}

#[test]
fn only_ready_pods_answer_for_a_service_while_watch_probes_them() {
    use common::watch::Watcher;
    use std::time::Duration;
    let project = Project::new("svcready");
    let dir = ManifestDir::new();
    dir.write("a.yaml", &web("web-a", "web"));
    dir.write("b.yaml", &probed("web-b"));
    dir.write("client.yaml", &CLIENT.replace("IMAGE", TEST_IMAGE));
    dir.write("service.yaml", SERVICE);
    let watch = Watcher::start(&project, dir.path(), &[]);
    let web_a = BTreeSet::from(["web-a".to_string()]);
    assert!(
        wait_until(Duration::from_secs(40), || {
            live_pod_names(&project).len() == 3 && answers(&project) == web_a
        }),
        "web-a alone answers while web-b is not ready:\n{}",
        watch.log()
    );
    let ready = |pod: &str| {
        let pods = in_project(&project, &["get", "pods", pod]);
        pods.stdout
            .lines()
            .nth(1)
            .unwrap_or_default()
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(ready("web-b"), "0/1");
    let ids = container_ids(&project);
    // The probe passes: web-b joins, nothing recreated.
    let srv = container_name(&project, "web-b", "srv");
    docker(&["exec", &srv, "touch", "/tmp/ready"]);
    let both = BTreeSet::from(["web-a".to_string(), "web-b".to_string()]);
    assert!(
        wait_until(Duration::from_secs(30), || answers(&project) == both),
        "web-b answers once ready:\n{}",
        watch.log()
    );
    assert_eq!(ready("web-b"), "1/1");
    // It fails again: web-b leaves.
    docker(&["exec", &srv, "rm", "/tmp/ready"]);
    assert!(
        wait_until(Duration::from_secs(30), || answers(&project) == web_a),
        "web-b leaves once not ready:\n{}",
        watch.log()
    );
    let now = container_ids(&project);
    assert!(ids.iter().all(|id| now.contains(id)), "{ids:?}\n{now:?}");
}
