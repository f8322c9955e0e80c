//! Real Kubernetes clients read berth's API through `berth watch`: a small
//! project converged by the loop on the real engine, then the official
//! Python client and kubectl (`get -l`, `-o wide`, several kinds with
//! `-A`, `describe`, and `get -w` seeing a pod appear when its file is
//! written). Set `BERTH_SHOW_CLIENTS=1` to see what kubectl printed.

mod api_support;
mod common;

use std::time::Duration;

use api_support::clients::{
    check_kubectl_all_kinds, check_kubectl_describe, check_kubectl_events_endpoints_and_all,
    check_kubectl_get_by_label, check_kubectl_wide, check_python_client, Expect, KubectlWatch,
};
use common::watch::{http_get, Watcher};
use common::*;

fn sleeper(name: &str, app: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: {app}\nspec:\n  \
         terminationGracePeriodSeconds: 0\n  containers:\n  - name: main\n    image: {TEST_IMAGE}\n    \
         imagePullPolicy: Never\n    command: [\"sleep\", \"3600\"]\n"
    )
}

const CACHE_RC: &str = "apiVersion: v1
kind: ReplicationController
metadata:
  name: cache
spec:
  replicas: 1
  selector:
    app: cache
  template:
    metadata:
      labels:
        app: cache
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: IMAGE
        imagePullPolicy: Never
        command: [sleep, '3600']
";

const WEB_SERVICE: &str = "apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 8080
";

#[test]
fn kubernetes_clients_read_berths_api() {
    let project = Project::new("api-clients");
    let dir = ManifestDir::new();
    dir.write("web.yaml", &sleeper("web", "web"));
    dir.write("cache.yaml", &CACHE_RC.replace("IMAGE", TEST_IMAGE));
    dir.write("svc.yaml", WEB_SERVICE);
    let watch = Watcher::start(&project, dir.path(), &[]);
    let url = watch.base_url();
    let running = |pod: &str| {
        let name = container_name(&project, pod, "main");
        try_docker(&["inspect", "--format", "{{.State.Running}}", &name]).is_ok_and(|r| r == "true")
    };
    assert!(
        wait_until(Duration::from_secs(60), || running("web")
            && running("cache-0")),
        "the loop did not converge:\n{}",
        watch.log()
    );
    // Ready once the loop has looked again after the pods started.
    assert!(
        wait_until(Duration::from_secs(30), || http_get(&format!(
            "{url}/readyz"
        ))
        .0 == 200),
        "never ready:\n{}",
        watch.log()
    );

    let expect = Expect {
        namespace: "default".into(),
        pods: vec!["cache-0".into(), "web".into()],
        controllers: vec!["cache".into()],
        services: vec!["web".into()],
    };
    check_python_client(&url, &expect);
    check_kubectl_get_by_label(&url, "default", "app=web", &["web"]);
    check_kubectl_get_by_label(&url, "default", "app in (cache)", &["cache-0"]);
    check_kubectl_wide(&url, "default", &expect.pods);
    check_kubectl_all_kinds(&url, &expect);
    check_kubectl_describe(&url, "default", "web");
    check_kubectl_events_endpoints_and_all(&url, &expect);
    // Node `local` is the engine: its capacity and system come from
    // `docker info`, so `describe node` shows what its pods take of it.
    let node = api_support::clients::kubectl(&url, &["describe", "node", "local"]);
    assert!(node.ok, "{}", node.stderr);
    let cpus = std::thread::available_parallelism().unwrap().get();
    for needle in [
        "Container Runtime Version:  docker://".to_string(),
        format!("cpu:     {cpus}"),
        "Allocated resources:".to_string(),
        "default                     web".to_string(),
    ] {
        assert!(
            node.stdout.contains(&needle),
            "no {needle:?} in:\n{}",
            node.stdout
        );
    }

    let mut kubectl = KubectlWatch::start(&url, "default");
    assert!(
        kubectl.wait_for(&["web", "Running"], Duration::from_secs(20)),
        "kubectl get -w listed: {:?}",
        kubectl.seen()
    );
    dir.write("late.yaml", &sleeper("late", "late"));
    assert!(
        kubectl.wait_for(&["late", "Running"], Duration::from_secs(60)),
        "kubectl get -w never showed the new pod: {:?}\n{}",
        kubectl.seen(),
        watch.log()
    );
}
