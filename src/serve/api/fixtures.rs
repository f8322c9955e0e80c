//! In-memory snapshots for the API's unit tests: running pods labelled
//! `app=…`, a `web` service, a snapshot of generation N, and the same with
//! workloads (a Deployment, its ReplicaSet, a DaemonSet, a ConfigMap and a
//! Secret).

use std::sync::Arc;

use serde_json::json;

use crate::keys;
use crate::manifest::{ConfigMap, Manifests, Protocol, Secret, Service, ServicePort};
use crate::observed::{Observed, ObservedController, ObservedPod};
use crate::snapshot::Snapshot;
use crate::status::fixtures::{container, pod, T0};

use super::store::Stored;

/// Pod `name` running one container `app`, labelled `app=<app>`, at
/// 172.18.0.5.
pub fn web_pod(name: &str, app: &str) -> ObservedPod {
    let mut pod = pod(name)
        .spec(json!({ "containers": [{ "name": "app", "image": "busybox:test" }] }))
        .with(container(&format!("{name}-app"), "app").running(1))
        .build();
    pod.labels.insert("app".into(), app.into());
    pod
}

/// Service `web` of `default`: `app=web`, port 80 to 8080.
pub fn service() -> Service {
    Service {
        meta: crate::kube::objects::fixtures::meta("default", "web", &[]),
        selector: [("app".to_string(), "web".to_string())].into(),
        ports: vec![ServicePort {
            name: None,
            port: 80,
            target_port: "8080".into(),
            protocol: Protocol::Tcp,
        }],
        source: Default::default(),
    }
}

/// Generation `generation` of project `demo`: `pods` on a reachable
/// engine, and the `web` service declared.
pub fn snapshot(generation: u64, pods: Vec<ObservedPod>) -> Snapshot {
    let mut snapshot = Snapshot {
        generation,
        taken_at: T0 + 60,
        project: "demo".into(),
        started_at: T0,
        observed: Some(Arc::new(Observed {
            pods,
            ..Default::default()
        })),
        ..Default::default()
    };
    snapshot.engine.reachable = Some(true);
    snapshot.manifests.last_good = Some(Arc::new(Manifests {
        services: vec![service()],
        ..Default::default()
    }));
    snapshot
}

/// A record of `kind` `name` (owned by `owner`), `replicas` of the
/// template `hash`: one `app` container of `busybox:test`, selector
/// `app=web`.
pub fn record(
    kind: &str,
    name: &str,
    owner: Option<&str>,
    hash: &str,
    replicas: u32,
) -> ObservedController {
    let template = json!({ "metadata": { "labels": { "app": "web" } }, "spec": { "containers": [{ "name": "app", "image": "busybox:test" }] } });
    ObservedController {
        kind: kind.into(),
        owner: owner.map(String::from),
        project: "demo".into(),
        namespace: "default".into(),
        name: name.into(),
        replicas,
        selector: [("app".to_string(), "web".to_string())].into(),
        template_hash: hash.into(),
        template_json: Some(template.to_string()),
        container_id: format!("{name}-record"),
        created: T0,
        node: String::new(),
    }
}

/// A running pod of `owner` (`Deployment/web`) labelled `label=hash`.
fn owned_pod(name: &str, owner: &str, label: &str, hash: &str) -> ObservedPod {
    let mut pod = web_pod(name, "web");
    pod.owner = Some(owner.into());
    pod.labels.insert(label.into(), hash.into());
    pod
}

/// `snapshot` with Deployment `web` (3 replicas, 2 pods running of its
/// ReplicaSet `web-abc`), DaemonSet `agent` (1 pod running), ConfigMap
/// `settings` and Secret `db` (password `hunter2`, user `admin`).
pub fn workloads(generation: u64) -> Snapshot {
    let hash = "pod-template-hash";
    let pods = vec![
        owned_pod("web-abc-1", "Deployment/web", hash, "abc"),
        owned_pod("web-abc-2", "Deployment/web", hash, "abc"),
        owned_pod(
            "agent-local",
            "DaemonSet/agent",
            "controller-revision-hash",
            "d1",
        ),
    ];
    let mut snapshot = snapshot(generation, pods);
    let mut observed = (**snapshot.observed.as_ref().unwrap()).clone();
    observed.controllers = vec![
        record(keys::KIND_DEPLOYMENT, "web", None, "abc", 3),
        record(
            keys::KIND_REPLICA_SET,
            "web-abc",
            Some("Deployment/web"),
            "abc",
            3,
        ),
        record(keys::KIND_DAEMON_SET, "agent", None, "d1", 1),
    ];
    snapshot.observed = Some(Arc::new(observed));
    let meta = |name: &str| crate::kube::objects::fixtures::meta("default", name, &[]);
    snapshot.manifests.last_good = Some(Arc::new(Manifests {
        services: vec![service()],
        config_maps: vec![ConfigMap {
            meta: meta("settings"),
            data: [("mode".to_string(), "fast".to_string())].into(),
            binary_data: Default::default(),
            immutable: false,
            source: Default::default(),
        }],
        secrets: vec![Secret {
            meta: meta("db"),
            kind: "Opaque".into(),
            data: [
                ("password".to_string(), b"hunter2".to_vec()),
                ("user".to_string(), b"admin".to_vec()),
            ]
            .into(),
            immutable: false,
            source: Default::default(),
        }],
        ..Default::default()
    }));
    snapshot
}

pub fn names(objects: &[Arc<Stored>]) -> Vec<String> {
    objects.iter().map(|o| o.name.clone()).collect()
}
