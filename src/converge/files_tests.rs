//! ConfigMap and Secret volumes against the in-memory engine: files written
//! at creation, updated in place on a change (no container recreated), a
//! record of what they hold, and a converged project still one list call.

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::engine::fake::{Call, FakeEngine};
use crate::manifest::{load_text, LoadOptions};

fn manifests(level: &str, password: &str) -> Manifests {
    let text = format!(
        "apiVersion: v1
kind: ConfigMap
metadata: {{name: app}}
data: {{LOG_LEVEL: {level}}}
---
apiVersion: v1
kind: Secret
metadata: {{name: creds}}
stringData: {{password: {password}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: web, labels: {{app: web}}}}
spec:
  containers:
  - name: app
    image: busybox:1
    volumeMounts:
    - {{name: cfg, mountPath: /etc/cfg}}
    - {{name: sec, mountPath: /etc/sec}}
  volumes:
  - {{name: cfg, configMap: {{name: app}}}}
  - {{name: sec, secret: {{secretName: creds}}}}
"
    );
    let loaded = load_text(Path::new("m.yaml"), &text, LoadOptions::default());
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    loaded.manifests
}

fn engine() -> FakeEngine {
    let engine = FakeEngine::new();
    engine.add_image("busybox:1");
    engine.add_image(DEFAULT_INFRA_IMAGE);
    engine
}

fn settings() -> Settings {
    Settings {
        min_ready: Duration::ZERO,
        ..Settings::new("p")
    }
}

async fn run(engine: &FakeEngine, m: &Manifests) -> Outcome {
    apply(engine, m, &settings(), &mut |_| {})
        .await
        .expect("apply")
}

fn read(engine: &FakeEngine, path: &str) -> Option<String> {
    engine
        .read_file("berth_p_default_web_app", path)
        .map(|b| String::from_utf8(b).unwrap())
}

#[tokio::test]
async fn a_new_pod_finds_its_files_in_place_before_it_starts() {
    let engine = engine();
    run(&engine, &manifests("debug", "hunter2")).await;
    assert_eq!(
        read(&engine, "/etc/cfg/LOG_LEVEL").as_deref(),
        Some("debug")
    );
    assert_eq!(
        read(&engine, "/etc/sec/password").as_deref(),
        Some("hunter2")
    );
    let uploads = engine
        .calls()
        .iter()
        .filter(|c| matches!(c, Call::Upload { .. }))
        .count();
    assert_eq!(uploads, 1, "one upload for every volume of the pod");
    // The app containers mount the volumes read-only; only the infra
    // container can write them.
    let app = engine.container("berth_p_default_web_app").unwrap();
    assert!(app.config.mounts.iter().all(|m| m.read_only));
    let infra = engine.container("berth_p_default_web_POD").unwrap();
    assert!(infra
        .config
        .mounts
        .iter()
        .all(|m| !m.read_only && m.target.starts_with("/.berth/volumes/")));
}

#[tokio::test]
async fn a_changed_value_is_written_in_place_and_nothing_is_recreated() {
    let engine = engine();
    run(&engine, &manifests("debug", "hunter2")).await;
    let before: Vec<String> = engine.containers().keys().cloned().collect();
    engine.clear_calls();
    let out = run(&engine, &manifests("info", "swordfish")).await;
    assert_eq!(out.changes.len(), 1, "{:?}", out.changes);
    assert_eq!(out.changes[0].verb, Verb::Updated);
    assert_eq!(
        out.changes[0].detail,
        "updated in place: ConfigMap default/app key LOG_LEVEL changed, \
         Secret default/creds key password changed"
    );
    assert_eq!(read(&engine, "/etc/cfg/LOG_LEVEL").as_deref(), Some("info"));
    assert_eq!(
        read(&engine, "/etc/sec/password").as_deref(),
        Some("swordfish")
    );
    // Every container of the pod is the one it was; one record was added.
    let after: Vec<String> = engine.containers().keys().cloned().collect();
    assert!(before.iter().all(|id| after.contains(id)));
    assert_eq!(after.len(), before.len() + 1);
    let calls = engine.mutating_calls();
    assert!(
        !calls
            .iter()
            .any(|c| matches!(c, Call::Remove { .. } | Call::Start { .. })),
        "{calls:?}"
    );
    // Converged: one list call, nothing else.
    engine.clear_calls();
    let out = run(&engine, &manifests("info", "swordfish")).await;
    assert!(out.changes.is_empty(), "{:?}", out.changes);
    assert_eq!(engine.calls(), [Call::List]);
}

#[tokio::test]
async fn a_second_change_replaces_the_record_and_a_removal_takes_it_with_the_pod() {
    let engine = engine();
    run(&engine, &manifests("debug", "a")).await;
    run(&engine, &manifests("info", "a")).await;
    run(&engine, &manifests("warn", "a")).await;
    assert_eq!(read(&engine, "/etc/cfg/LOG_LEVEL").as_deref(), Some("warn"));
    let records = |engine: &FakeEngine| {
        engine
            .container_names()
            .into_iter()
            .filter(|n| n.contains("_RECORD-"))
            .count()
    };
    assert_eq!(records(&engine), 1);
    run(&engine, &Manifests::default()).await;
    assert_eq!(records(&engine), 0);
    assert!(
        engine.container_names().is_empty(),
        "{:?}",
        engine.container_names()
    );
    assert!(engine.volumes().is_empty(), "{:?}", engine.volumes());
}
