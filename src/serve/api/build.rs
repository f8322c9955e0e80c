//! A snapshot's objects, resource by resource, in exactly the shape
//! `berth get -o json` prints (`kube::`): pods, controllers (RCs,
//! Deployments, ReplicaSets, DaemonSets) and events from what the engine
//! runs, services, ConfigMaps and Secrets (values left out) from the last
//! good manifests, endpoints from both, nodes (the node controller's
//! statuses once the loop has probed them) and the namespaces in use.
//! Nothing here depends on the clock alone, so an unchanged engine yields
//! unchanged objects; a node's `lastHeartbeatTime` is its last probe, which
//! moves with each probe as a kubelet's heartbeat does.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::cli::Resource;
use crate::kube::events::{event_json, pod_events};
use crate::kube::{apps, config, daemonsets};
use crate::kube::{engine_node_listing, node_listing, objects, pod_listing, rc_listing, uid};
use crate::labels::Selector;
use crate::manifest::Labels;
use crate::observed::Observed;
use crate::snapshot::Snapshot;
use crate::timefmt::format_rfc3339;

use super::resource::ApiResource;

/// Every object of `snapshot`, by resource, each with `metadata.uid` and
/// `metadata.creationTimestamp`.
pub fn objects(snapshot: &Snapshot) -> BTreeMap<ApiResource, Vec<Value>> {
    let empty = Observed::default();
    let observed = snapshot.observed.as_deref().unwrap_or(&empty);
    let manifests = snapshot.manifests.last_good.as_deref();
    let all = Selector::default();
    let now = snapshot.taken_at;
    let items = |listing: crate::kube::Listing| -> Vec<Value> {
        listing.items.into_iter().map(|item| item.json).collect()
    };
    let mut out = BTreeMap::new();
    let pods = items(pod_listing(
        observed,
        &snapshot.docker_events,
        None,
        &all,
        now,
    ));
    let services: Vec<Value> = manifests
        .map(|m| m.services.iter().map(served_service).collect())
        .unwrap_or_default();
    out.insert(
        ApiResource::Endpoints,
        crate::kube::endpoints::endpoints(&services, &pods),
    );
    out.insert(ApiResource::Pods, pods);
    out.insert(ApiResource::Services, services);
    out.insert(
        ApiResource::ReplicationControllers,
        items(rc_listing(observed, None, &all, now)),
    );
    for (resource, cli) in [
        (ApiResource::Deployments, Resource::Deployments),
        (ApiResource::ReplicaSets, Resource::ReplicaSets),
    ] {
        let mut objects = items(apps::live_listing(cli, observed, None, &all, now));
        if resource == ApiResource::Deployments {
            objects.iter_mut().for_each(|d| with_declared(d, manifests));
        }
        out.insert(resource, objects);
    }
    out.insert(
        ApiResource::DaemonSets,
        items(daemonsets::live_listing(observed, None, &all, now)),
    );
    let everything = |_: &str, _: &Labels| true;
    for (resource, cli) in [
        (ApiResource::ConfigMaps, Resource::ConfigMaps),
        (ApiResource::Secrets, Resource::Secrets),
    ] {
        let declared = manifests.map(|m| config::items(cli, m, &everything));
        let values = declared.into_iter().flatten().map(|item| item.json);
        out.insert(resource, values.collect());
    }
    let nodes = if snapshot.nodes.is_empty() {
        engine_nodes(snapshot, observed)
    } else {
        items(node_listing(&snapshot.nodes, observed, &all))
    };
    out.insert(ApiResource::Nodes, nodes);
    let events = pod_events(observed, &snapshot.docker_events, None);
    out.insert(ApiResource::Events, events.iter().map(event_json).collect());
    let namespaces = namespaces(&out);
    out.insert(ApiResource::Namespaces, namespaces);
    let created = format_rfc3339(snapshot.started_at);
    for (resource, values) in &mut out {
        for value in values {
            complete_metadata(value, *resource, &snapshot.project, &created);
        }
    }
    out
}

/// A Deployment with what its manifest (in the last good set) declares.
fn with_declared(deployment: &mut Value, manifests: Option<&crate::manifest::Manifests>) {
    let meta = &deployment["metadata"];
    let declared = manifests
        .into_iter()
        .flat_map(|m| &m.deployments)
        .find(|d| {
            meta["namespace"] == d.meta.namespace.as_str() && meta["name"] == d.meta.name.as_str()
        });
    if let Some(declared) = declared {
        apps::add_declared(deployment, declared);
    }
}

/// The nodes before the node controller reported any: the engine berth
/// talks to as `local` (Ready while it answers, since its last change of
/// state), the nodes pods name and the Node manifests (with their declared
/// capacity, Unknown when no pod runs there).
fn engine_nodes(snapshot: &Snapshot, observed: &Observed) -> Vec<Value> {
    let manifests = snapshot.manifests.last_good.as_deref();
    let all = Selector::default();
    let items = |listing: crate::kube::Listing| -> Vec<Value> {
        listing.items.into_iter().map(|item| item.json).collect()
    };
    let declared: Vec<&str> = manifests
        .map(|m| m.nodes.iter().map(|n| n.meta.name.as_str()).collect())
        .unwrap_or_default();
    let mut nodes: Vec<Value> = items(engine_node_listing(
        observed,
        &declared,
        &all,
        snapshot.engine.info.as_ref(),
    ));
    if snapshot.engine.reachable != Some(true) {
        nodes.iter_mut().for_each(not_ready);
    }
    // The engine's last change of state is the condition's transition (and
    // last heartbeat: a clock-only field would change every object).
    if snapshot.engine.since > 0 {
        let since = json!(crate::timefmt::format_rfc3339(snapshot.engine.since));
        for condition in nodes
            .iter_mut()
            .filter_map(|n| n["status"]["conditions"].as_array_mut())
            .flatten()
            .filter(|c| c["reason"] == "EngineAnswers" || c["reason"] == "EngineUnreachable")
        {
            condition["lastTransitionTime"] = since.clone();
            condition["lastHeartbeatTime"] = since.clone();
        }
    }
    for declared in manifests.iter().flat_map(|m| m.nodes.iter()) {
        let name = declared.meta.name.as_str();
        let Some(node) = nodes.iter_mut().find(|n| n["metadata"]["name"] == name) else {
            continue;
        };
        let capacity = objects::node_json(declared)["status"]["capacity"].clone();
        node["status"]["capacity"] = capacity.clone();
        node["status"]["allocatable"] = capacity;
        if name != "local" && !observed.pods.iter().any(|p| p.node == name) {
            not_contacted(node);
        }
    }
    nodes
}

/// A declared Service with the defaults the API server would fill in. A
/// berth service has no virtual IP: its name resolves to the pods' own
/// addresses, which is what Kubernetes calls a headless service
/// (`clusterIP: None`).
fn served_service(service: &crate::manifest::Service) -> Value {
    let mut value = objects::service_json(service);
    if let Some(spec) = value["spec"].as_object_mut() {
        spec.entry("type").or_insert(json!("ClusterIP"));
        spec.entry("clusterIP").or_insert(json!("None"));
        spec.entry("clusterIPs").or_insert(json!(["None"]));
        spec.entry("sessionAffinity").or_insert(json!("None"));
    }
    value
}

/// A node whose engine does not answer is not Ready.
fn not_ready(node: &mut Value) {
    node["status"]["conditions"] =
        json!([{ "type": "Ready", "status": "False", "reason": "EngineUnreachable" }]);
}

/// A declared node no pod runs on: the snapshot says nothing of its engine.
fn not_contacted(node: &mut Value) {
    node["status"]["conditions"] = json!([{
        "type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown",
        "message": "berth has no report of this node's engine",
    }]);
}

/// `default` and every namespace an object lives in.
fn namespaces(objects: &BTreeMap<ApiResource, Vec<Value>>) -> Vec<Value> {
    let mut names: BTreeSet<String> = BTreeSet::from(["default".to_string()]);
    for value in objects.values().flatten() {
        if let Some(ns) = value["metadata"]["namespace"].as_str() {
            names.insert(ns.to_string());
        }
    }
    names
        .into_iter()
        .map(|name| {
            json!({
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": { "name": name },
                "spec": { "finalizers": ["kubernetes"] },
                "status": { "phase": "Active" },
            })
        })
        .collect()
}

/// Adds the uid and creation time an object lacks (declared objects and
/// namespaces have neither; they are as old as this `watch`).
fn complete_metadata(value: &mut Value, resource: ApiResource, project: &str, created: &str) {
    let Some(meta) = value["metadata"].as_object_mut() else {
        return;
    };
    let text = |key: &str| meta.get(key).and_then(Value::as_str).unwrap_or_default();
    let object_uid = uid(project, resource.kind(), text("namespace"), text("name"));
    meta.entry("uid").or_insert(json!(object_uid));
    meta.entry("creationTimestamp").or_insert(json!(created));
}

fn labels_of(value: &Value) -> Labels {
    value
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// The labels of an object (`metadata.labels`).
pub fn object_labels(value: &Value) -> Labels {
    labels_of(&value["metadata"]["labels"])
}
