//! Real Kubernetes clients read berth's API: a small project applied on the
//! real engine, a snapshot built from what the engine runs (as the watch
//! loop builds it), served in-process; then the official Python client and
//! kubectl (`get -l`, `-o wide`, several kinds with `-A`, `describe`, and
//! `get -w` seeing a pod appear after the next snapshot). Set
//! `BERTH_SHOW_CLIENTS=1` to see what kubectl printed.

mod api_support;
mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use api_support::clients::{
    check_kubectl_all_kinds, check_kubectl_describe, check_kubectl_events_endpoints_and_all,
    check_kubectl_get_by_label, check_kubectl_wide, check_python_client, Expect, KubectlWatch,
};
use berth::engine::Engine;
use berth::manifest::{self, LoadOptions};
use berth::observe::{observe_with, Depth, InspectCache};
use berth::snapshot::{EngineStatus, ManifestState, Snapshot};
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

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// What the watch loop would publish now: the project as the engine runs
/// it (fully inspected), its Docker events and the manifests.
async fn snapshot_of(project: &str, dir: &Path, generation: u64) -> Snapshot {
    let engine = engine().await;
    let observed = observe_with(
        &engine,
        Some(project),
        &mut InspectCache::default(),
        Depth::Full,
    )
    .await
    .expect("observe the project");
    let now = unix_now();
    let labels = berth::keys::filter(Some(project));
    let events = engine
        .container_events(now - 3600, now + 1, &labels)
        .await
        .expect("read Docker's events");
    let loaded = manifest::load(&[dir.to_path_buf()], LoadOptions { strict: false });
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    Snapshot {
        generation,
        taken_at: now,
        project: project.to_string(),
        started_at: now - 60,
        engine: EngineStatus {
            endpoint: "unix:///var/run/docker.sock".into(),
            reachable: Some(true),
            ..Default::default()
        },
        manifests: ManifestState {
            valid: true,
            files: loaded.files,
            last_good: Some(Arc::new(loaded.manifests)),
            ..Default::default()
        },
        observed: Some(Arc::new(observed)),
        docker_events: Arc::new(events),
        ..Default::default()
    }
}

#[test]
fn kubernetes_clients_read_berths_api() {
    let project = Project::new("api-clients");
    let dir = ManifestDir::new();
    dir.write("web.yaml", &sleeper("web", "web"));
    dir.write("cache.yaml", &CACHE_RC.replace("IMAGE", TEST_IMAGE));
    dir.write("svc.yaml", WEB_SERVICE);
    let applied = apply(&project, &dir);
    assert!(applied.success(), "{}\n{}", applied.stdout, applied.stderr);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let first = runtime.block_on(snapshot_of(&project.name, dir.path(), 1));
    let served = runtime.block_on(api_support::start(first));
    let url = served.url();

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

    let mut watch = KubectlWatch::start(&url, "default");
    assert!(
        watch.wait_for(&["web", "Running"], Duration::from_secs(20)),
        "kubectl get -w listed: {:?}",
        watch.seen()
    );
    dir.write("late.yaml", &sleeper("late", "late"));
    let applied = apply(&project, &dir);
    assert!(applied.success(), "{}\n{}", applied.stdout, applied.stderr);
    let next = runtime.block_on(snapshot_of(&project.name, dir.path(), 2));
    served.publish.send(Arc::new(next)).unwrap();
    assert!(
        watch.wait_for(&["late", "Running"], Duration::from_secs(20)),
        "kubectl get -w never showed the new pod: {:?}",
        watch.seen()
    );
    drop(watch);
    drop(served);
}
