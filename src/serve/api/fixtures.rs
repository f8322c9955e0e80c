//! In-memory snapshots for the API's unit tests: running pods labelled
//! `app=…`, a `web` service, a snapshot of generation N.

use std::sync::Arc;

use serde_json::json;

use crate::manifest::{Manifests, Protocol, Service, ServicePort};
use crate::observed::{Observed, ObservedPod};
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

pub fn names(objects: &[Arc<Stored>]) -> Vec<String> {
    objects.iter().map(|o| o.name.clone()).collect()
}
