//! Manifest objects as Kubernetes-shaped JSON (`apiVersion`, `kind`,
//! `metadata`, `spec`, `status`), keyed by (kind, namespace, name): what
//! `get -o json|yaml` prints and what `diff --base` compares.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{json, Map, Value};

use crate::manifest::{Manifests, Node, ObjectMeta, Pod, ReplicationController, Service, Source};

/// An object's identity across two manifest sets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// `pod`, `replicationcontroller`, `deployment`, `replicaset`,
    /// `daemonset`, `service`, `configmap`, `secret`, `node`.
    pub kind: &'static str,
    /// Empty for nodes (cluster-scoped).
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// A pod as it would exist: declared on its own, or expanded from a
/// controller (`<rc>-<n>`, see `desired::expand_offline`) with the
/// controller as owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredPod {
    pub pod: Pod,
    /// The owning controller's name.
    pub owner: Option<String>,
}

/// Every pod the manifests ask for, controllers expanded, sorted by
/// (namespace, name).
pub fn declared_pods(manifests: &Manifests) -> Vec<DeclaredPod> {
    let mut pods: Vec<DeclaredPod> = manifests
        .pods
        .iter()
        .map(|pod| DeclaredPod {
            pod: pod.clone(),
            owner: None,
        })
        .collect();
    for desired in crate::desired::expand_offline(manifests) {
        let Some(owner) = desired.owner.as_deref() else {
            continue;
        };
        let owner = owner
            .trim_start_matches("ReplicationController/")
            .to_string();
        let annotations = manifests
            .controllers
            .iter()
            .find(|rc| rc.meta.name == owner && rc.meta.namespace == desired.namespace)
            .map(|rc| rc.template.annotations.clone())
            .unwrap_or_default();
        let meta = ObjectMeta {
            name: desired.name,
            namespace: desired.namespace,
            labels: desired.labels,
            annotations,
        };
        pods.push(DeclaredPod {
            pod: Pod {
                meta,
                spec: desired.spec,
                source: desired.source,
            },
            owner: Some(owner),
        });
    }
    pods.sort_by(|a, b| {
        (&a.pod.meta.namespace, &a.pod.meta.name).cmp(&(&b.pod.meta.namespace, &b.pod.meta.name))
    });
    pods
}

fn metadata(meta: &ObjectMeta, namespaced: bool) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("name".into(), json!(meta.name));
    if namespaced {
        out.insert("namespace".into(), json!(meta.namespace));
    }
    if !meta.labels.is_empty() {
        out.insert("labels".into(), json!(meta.labels));
    }
    if !meta.annotations.is_empty() {
        out.insert("annotations".into(), json!(meta.annotations));
    }
    out
}

fn object(kind: &str, metadata: Map<String, Value>, spec: Value, status: Value) -> Value {
    json!({ "apiVersion": "v1", "kind": kind, "metadata": metadata, "spec": spec, "status": status })
}

/// A declared pod; `status` is empty because nothing has been observed.
pub fn pod_json(declared: &DeclaredPod) -> Value {
    let mut meta = metadata(&declared.pod.meta, true);
    if let Some(owner) = &declared.owner {
        meta.insert(
            "ownerReferences".into(),
            json!([{ "apiVersion": "v1", "kind": "ReplicationController", "name": owner, "controller": true }]),
        );
    }
    object("Pod", meta, json!(declared.pod.spec), json!({}))
}

pub fn rc_json(rc: &ReplicationController) -> Value {
    let mut template_meta = Map::new();
    template_meta.insert("labels".into(), json!(rc.template.labels));
    if !rc.template.annotations.is_empty() {
        template_meta.insert("annotations".into(), json!(rc.template.annotations));
    }
    let spec = json!({
        "replicas": rc.replicas,
        "selector": rc.selector,
        "template": { "metadata": template_meta, "spec": rc.template.spec },
    });
    object(
        "ReplicationController",
        metadata(&rc.meta, true),
        spec,
        json!({ "replicas": 0 }),
    )
}

pub fn service_json(service: &Service) -> Value {
    let spec = json!({ "selector": service.selector, "ports": service.ports });
    object("Service", metadata(&service.meta, true), spec, json!({}))
}

pub fn node_json(node: &Node) -> Value {
    object(
        "Node",
        metadata(&node.meta, false),
        json!({}),
        json!({ "capacity": node.capacity }),
    )
}

/// `{"apiVersion": "v1", "kind": "List", "items": [...]}`.
pub fn list(items: Vec<Value>) -> Value {
    json!({ "apiVersion": "v1", "kind": "List", "items": items, "metadata": {} })
}

/// Every object of a manifest set as it is declared (controllers not
/// expanded), with its source, in key order.
pub fn declared_objects(manifests: &Manifests) -> BTreeMap<ObjectKey, (Value, Source)> {
    let mut out = BTreeMap::new();
    let key = |kind, meta: &ObjectMeta| ObjectKey {
        kind,
        namespace: meta.namespace.clone(),
        name: meta.name.clone(),
    };
    for pod in &manifests.pods {
        let declared = DeclaredPod {
            pod: pod.clone(),
            owner: None,
        };
        out.insert(
            key("pod", &pod.meta),
            (without_status(pod_json(&declared)), pod.source.clone()),
        );
    }
    for rc in &manifests.controllers {
        out.insert(
            key("replicationcontroller", &rc.meta),
            (without_status(rc_json(rc)), rc.source.clone()),
        );
    }
    for service in &manifests.services {
        let value = without_status(service_json(service));
        out.insert(
            key("service", &service.meta),
            (value, service.source.clone()),
        );
    }
    for node in &manifests.nodes {
        let node_key = ObjectKey {
            kind: "node",
            namespace: String::new(),
            name: node.meta.name.clone(),
        };
        out.insert(node_key, (node_json(node), node.source.clone()));
    }
    let everything = |_: &str, _: &crate::manifest::Labels| true;
    let source_of = |metas: Vec<(&ObjectMeta, &Source)>| {
        metas
            .into_iter()
            .map(|(m, s)| ((m.namespace.clone(), m.name.clone()), s.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    let workloads = [
        (
            "deployment",
            super::apps::offline_items(crate::cli::Resource::Deployments, manifests, &everything),
            source_of(
                manifests
                    .deployments
                    .iter()
                    .map(|d| (&d.meta, &d.source))
                    .collect(),
            ),
        ),
        (
            "replicaset",
            super::apps::offline_items(crate::cli::Resource::ReplicaSets, manifests, &everything),
            source_of(
                manifests
                    .replica_sets
                    .iter()
                    .map(|r| (&r.meta, &r.source))
                    .collect(),
            ),
        ),
        (
            "daemonset",
            super::daemonsets::offline_items(manifests, &everything),
            source_of(
                manifests
                    .daemon_sets
                    .iter()
                    .map(|d| (&d.meta, &d.source))
                    .collect(),
            ),
        ),
    ];
    for (kind, items, sources) in workloads {
        for item in items {
            let at = (item.namespace.clone(), item.name.clone());
            let source = sources.get(&at).cloned().unwrap_or_default();
            let key = ObjectKey {
                kind,
                namespace: item.namespace.clone(),
                name: item.name.clone(),
            };
            out.insert(key, (without_status(item.json), source));
        }
    }
    for config in &manifests.config_maps {
        let value = super::config::config_map_json(config);
        out.insert(
            key("configmap", &config.meta),
            (value, config.source.clone()),
        );
    }
    for secret in &manifests.secrets {
        // No value: `diff` puts in masks of the keys (see `cmd::diff`).
        let mut value = super::config::secret_json(secret);
        if let Some(annotations) = value["metadata"]["annotations"].as_object_mut() {
            annotations.remove(super::config::REDACTED);
            if annotations.is_empty() {
                value["metadata"]
                    .as_object_mut()
                    .map(|m| m.remove("annotations"));
            }
        }
        out.insert(key("secret", &secret.meta), (value, secret.source.clone()));
    }
    out
}

fn without_status(mut value: Value) -> Value {
    if let Some(map) = value.as_object_mut() {
        map.remove("status");
    }
    value
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Small manifest builders for the command tests.

    use crate::manifest::*;

    pub fn container(name: &str) -> Container {
        Container {
            name: name.into(),
            image: "busybox:1".into(),
            command: vec![],
            args: vec![],
            env_from: vec![],
            env: vec![],
            ports: vec![],
            resources: Resources::default(),
            volume_mounts: vec![],
            working_dir: None,
            image_pull_policy: PullPolicy::IfNotPresent,
            liveness_probe: None,
            readiness_probe: None,
            startup_probe: None,
            resolved_env: vec![],
            security: Default::default(),
        }
    }

    pub fn spec(containers: &[&str]) -> PodSpec {
        PodSpec {
            containers: containers.iter().map(|c| container(c)).collect(),
            init_containers: Vec::new(),
            volumes: vec![],
            restart_policy: RestartPolicy::Always,
            termination_grace_period_seconds: DEFAULT_GRACE_SECONDS,
            node_selector: Labels::new(),
            node_name: None,
        }
    }

    pub fn meta(namespace: &str, name: &str, labels: &[(&str, &str)]) -> ObjectMeta {
        ObjectMeta {
            name: name.into(),
            namespace: namespace.into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: Default::default(),
        }
    }

    pub fn pod(namespace: &str, name: &str, labels: &[(&str, &str)]) -> Pod {
        Pod {
            meta: meta(namespace, name, labels),
            spec: spec(&["main"]),
            source: Source::default(),
        }
    }

    pub fn rc(name: &str, replicas: u32, labels: &[(&str, &str)]) -> ReplicationController {
        let template = PodTemplate {
            labels: meta("", "", labels).labels,
            annotations: Default::default(),
            spec: spec(&["app", "sidecar"]),
        };
        ReplicationController {
            meta: meta("default", name, &[]),
            replicas,
            selector: template.labels.clone(),
            template,
            source: Source::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn controllers_expand_to_numbered_pods_owned_by_them() {
        let manifests = Manifests {
            pods: vec![pod("default", "solo", &[])],
            controllers: vec![rc("web", 3, &[("app", "web")])],
            ..Default::default()
        };
        let names: Vec<_> = declared_pods(&manifests)
            .into_iter()
            .map(|d| {
                (
                    d.pod.meta.name,
                    d.owner,
                    d.pod.meta.labels.get("app").cloned(),
                )
            })
            .collect();
        let web = |n: &str| {
            (
                n.to_string(),
                Some("web".to_string()),
                Some("web".to_string()),
            )
        };
        assert_eq!(
            names,
            vec![
                ("solo".into(), None, None),
                web("web-0"),
                web("web-1"),
                web("web-2")
            ]
        );
    }

    #[test]
    fn pod_json_is_kubernetes_shaped() {
        let declared = DeclaredPod {
            pod: pod("prod", "web", &[("app", "web")]),
            owner: Some("rc".into()),
        };
        let value = pod_json(&declared);
        assert_eq!(value["apiVersion"], "v1");
        assert_eq!(value["kind"], "Pod");
        assert_eq!(value["metadata"]["namespace"], "prod");
        assert_eq!(value["metadata"]["labels"]["app"], "web");
        assert_eq!(
            value["metadata"]["ownerReferences"][0]["kind"],
            "ReplicationController"
        );
        assert_eq!(value["spec"]["containers"][0]["name"], "main");
        assert_eq!(value["spec"]["restartPolicy"], "Always");
    }

    #[test]
    fn declared_objects_are_keyed_by_kind_namespace_and_name() {
        let manifests = Manifests {
            pods: vec![pod("default", "web", &[])],
            controllers: vec![rc("web", 2, &[("app", "web")])],
            ..Default::default()
        };
        let keys: Vec<String> = declared_objects(&manifests)
            .keys()
            .map(|k| k.to_string())
            .collect();
        assert_eq!(
            keys,
            vec!["pod default/web", "replicationcontroller default/web"]
        );
    }
}
