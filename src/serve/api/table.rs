//! Server-side tables (`meta.k8s.io` `Table`), which kubectl asks for and
//! prints as they come: the columns the API server's printers define for
//! each kind (priority 1 for `-o wide`), and each row's cells computed
//! from the object's JSON at the time of the request (ages included). A
//! Secret's DATA counts its keys: their values are never served.

use serde_json::{json, Value};

use crate::timefmt::{age, parse_rfc3339};

use super::resource::ApiResource;

/// What a row carries besides its cells (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncludeObject {
    None,
    /// `PartialObjectMetadata`: only the metadata (the default).
    #[default]
    Metadata,
    Object,
}

impl IncludeObject {
    pub fn parse(text: Option<&str>) -> IncludeObject {
        match text {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        }
    }
}

/// (name, type, priority, description)
pub(super) type Column = (&'static str, &'static str, u8, &'static str);

pub(super) const NAME: Column = (
    "Name",
    "string",
    0,
    "Name must be unique within a namespace.",
);
pub(super) const AGE: Column = (
    "Age",
    "string",
    0,
    "CreationTimestamp is a timestamp representing the server time when this object was created.",
);

fn columns(resource: ApiResource) -> Vec<Column> {
    let s = "string";
    match resource {
        ApiResource::Pods => vec![
            NAME,
            ("Ready", s, 0, "The aggregate readiness state of this pod for accepting traffic."),
            ("Status", s, 0, "The aggregate status of the containers in this pod."),
            ("Restarts", s, 0, "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
            AGE,
            ("IP", s, 1, "IP address allocated to the pod."),
            ("Node", s, 1, "The node the pod is bound to."),
            ("Nominated Node", s, 1, "The node the pod is nominated to run on."),
            ("Readiness Gates", s, 1, "Additional conditions evaluated for pod readiness."),
        ],
        ApiResource::ReplicationControllers => vec![
            NAME,
            ("Desired", "integer", 0, "The number of desired replicas."),
            ("Current", "integer", 0, "The most recently observed number of replicas."),
            ("Ready", "integer", 0, "The number of ready replicas."),
            AGE,
            ("Containers", s, 1, "Names of each container in the template."),
            ("Images", s, 1, "Images referenced by each container in the template."),
            ("Selector", s, 1, "Label keys and values that pods must match to be counted."),
        ],
        ApiResource::Services => vec![
            NAME,
            ("Type", s, 0, "How the service is exposed."),
            ("Cluster-IP", s, 0, "The IP address of the service."),
            ("External-IP", s, 0, "IP addresses for which nodes accept traffic for this service."),
            ("Port(s)", s, 0, "The ports exposed by this service."),
            AGE,
            ("Selector", s, 1, "The labels of the pods this service routes traffic to."),
        ],
        ApiResource::Endpoints => vec![
            NAME,
            ("Endpoints", s, 0, "The addresses and ports of the selected pods."),
            AGE,
        ],
        ApiResource::Nodes => vec![
            NAME,
            ("Status", s, 0, "The status of the node"),
            ("Roles", s, 0, "The roles of the node"),
            AGE,
            ("Version", s, 0, "Kubelet Version reported by the node."),
            ("Internal-IP", s, 1, "List of addresses reachable to the node."),
            ("External-IP", s, 1, "List of addresses reachable to the node."),
            ("OS-Image", s, 1, "OS Image reported by the node."),
            ("Kernel-Version", s, 1, "Kernel Version reported by the node."),
            ("Container-Runtime", s, 1, "ContainerRuntime Version reported by the node."),
        ],
        ApiResource::Events => vec![
            ("Last Seen", s, 0, "The time at which the most recent occurrence of this event was recorded."),
            ("Type", s, 0, "Type of this event (Normal, Warning)."),
            ("Reason", s, 0, "A short, machine understandable string that gives the reason for this event."),
            ("Object", s, 0, "The object that this event is about."),
            ("Subobject", s, 1, "The part of the object this event is about."),
            ("Source", s, 1, "The component reporting this event."),
            ("Message", s, 0, "A human-readable description of the status of this operation."),
            ("First Seen", s, 1, "The time at which the event was first recorded."),
            ("Count", s, 1, "The number of times this event has occurred."),
            ("Name", s, 1, "Name must be unique within a namespace."),
        ],
        ApiResource::Namespaces => vec![
            NAME,
            ("Status", s, 0, "The status of the namespace"),
            AGE,
        ],
        ApiResource::ConfigMaps
        | ApiResource::Secrets
        | ApiResource::Deployments
        | ApiResource::ReplicaSets
        | ApiResource::DaemonSets => super::table_apps::columns(resource),
    }
}

/// `columnDefinitions`.
pub fn column_definitions(resource: ApiResource) -> Value {
    columns(resource)
        .into_iter()
        .map(|(name, kind, priority, description)| {
            let format = if name == "Name" { "name" } else { "" };
            json!({ "name": name, "type": kind, "format": format, "description": description, "priority": priority })
        })
        .collect()
}

/// A `Table` of `objects` (each with its `resourceVersion`).
pub fn table(
    resource: ApiResource,
    version: &str,
    resource_version: u64,
    objects: &[Value],
    include: IncludeObject,
    now: i64,
) -> Value {
    let rows: Vec<Value> = objects
        .iter()
        .map(|object| row(resource, object, include, now))
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": format!("meta.k8s.io/{version}"),
        "metadata": { "resourceVersion": resource_version.to_string() },
        "columnDefinitions": column_definitions(resource),
        "rows": rows,
    })
}

fn row(resource: ApiResource, object: &Value, include: IncludeObject, now: i64) -> Value {
    let mut row = json!({ "cells": cells(resource, object, now) });
    match include {
        IncludeObject::None => {}
        IncludeObject::Metadata => {
            row["object"] = json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": object["metadata"],
            });
        }
        IncludeObject::Object => row["object"] = object.clone(),
    }
    row
}

pub(super) fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

pub(super) fn or_none(text: String) -> String {
    if text.is_empty() {
        "<none>".into()
    } else {
        text
    }
}

fn since(value: &Value, now: i64) -> String {
    age(value.as_str().and_then(parse_rfc3339), now)
}

/// `a=b,c=d` of a JSON map, or `<none>`.
pub(super) fn map_text(value: &Value) -> String {
    let pairs = value.as_object().into_iter().flatten();
    or_none(
        pairs
            .map(|(k, v)| format!("{k}={}", text(v)))
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// The row of one object: the cells of every column, in order.
pub fn cells(resource: ApiResource, object: &Value, now: i64) -> Vec<Value> {
    let created = json!(since(&object["metadata"]["creationTimestamp"], now));
    let name = object["metadata"]["name"].clone();
    match resource {
        ApiResource::Pods => super::table_pod::pod_cells(object, now),
        ApiResource::ReplicationControllers => rc_cells(object, name, created),
        ApiResource::Services => service_cells(object, name, created),
        ApiResource::Endpoints => vec![
            name,
            json!(crate::kube::endpoints::endpoints_text(object)),
            created,
        ],
        ApiResource::Nodes => node_cells(object, name, created),
        ApiResource::Events => event_cells(object, now),
        ApiResource::Namespaces => vec![name, object["status"]["phase"].clone(), created],
        ApiResource::ConfigMaps => {
            let count = |key: &str| object[key].as_object().map_or(0, |m| m.len());
            vec![name, json!(count("data") + count("binaryData")), created]
        }
        ApiResource::Secrets => vec![
            name,
            object["type"].clone(),
            json!(crate::kube::config::secret_key_count(object)),
            created,
        ],
        ApiResource::Deployments | ApiResource::ReplicaSets | ApiResource::DaemonSets => {
            super::table_apps::workload_cells(resource, object, name, created)
        }
    }
}

/// NAME, DESIRED, CURRENT, READY, AGE, CONTAINERS, IMAGES, SELECTOR.
fn rc_cells(rc: &Value, name: Value, created: Value) -> Vec<Value> {
    let containers = rc["spec"]["template"]["spec"]["containers"].as_array();
    let join = |key: &str| {
        containers
            .into_iter()
            .flatten()
            .map(|c| text(&c[key]))
            .collect::<Vec<_>>()
            .join(",")
    };
    vec![
        name,
        json!(rc["spec"]["replicas"].as_u64().unwrap_or(0)),
        json!(rc["status"]["replicas"].as_u64().unwrap_or(0)),
        json!(rc["status"]["readyReplicas"].as_u64().unwrap_or(0)),
        created,
        json!(join("name")),
        json!(join("image")),
        json!(map_text(&rc["spec"]["selector"])),
    ]
}

/// NAME, TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S), AGE, SELECTOR.
fn service_cells(service: &Value, name: Value, created: Value) -> Vec<Value> {
    let spec = &service["spec"];
    let ports: Vec<String> = spec["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let protocol = p["protocol"].as_str().unwrap_or("TCP");
            match p["nodePort"].as_u64() {
                Some(node_port) => format!("{}:{node_port}/{protocol}", p["port"]),
                None => format!("{}/{protocol}", p["port"]),
            }
        })
        .collect();
    vec![
        name,
        json!(spec["type"].as_str().unwrap_or("ClusterIP")),
        json!(or_none(text(&spec["clusterIP"]).to_string())),
        json!("<none>"),
        json!(or_none(ports.join(","))),
        created,
        json!(map_text(&spec["selector"])),
    ]
}

/// NAME, STATUS, ROLES, AGE, VERSION, INTERNAL-IP, EXTERNAL-IP, OS-IMAGE,
/// KERNEL-VERSION, CONTAINER-RUNTIME.
fn node_cells(node: &Value, name: Value, created: Value) -> Vec<Value> {
    let info = &node["status"]["nodeInfo"];
    let known = |v: &Value| {
        let t = text(v);
        json!(if t.is_empty() { "<unknown>" } else { t })
    };
    vec![
        name,
        json!(node_status(node)),
        json!("<none>"),
        created,
        json!(text(&info["kubeletVersion"])),
        json!(address(node, "InternalIP")),
        json!(address(node, "ExternalIP")),
        known(&info["osImage"]),
        known(&info["kernelVersion"]),
        known(&info["containerRuntimeVersion"]),
    ]
}

/// kubectl's STATUS: `Ready` or `NotReady` from the `Ready` condition,
/// `,SchedulingDisabled` when the node takes no pods.
fn node_status(node: &Value) -> String {
    let ready = node["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True");
    let mut status = if ready { "Ready" } else { "NotReady" }.to_string();
    if node["spec"]["unschedulable"] == true {
        status.push_str(",SchedulingDisabled");
    }
    status
}

/// The node's first address of `kind`, or `<none>`.
fn address(node: &Value, kind: &str) -> String {
    node["status"]["addresses"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["type"] == kind)
        .and_then(|a| a["address"].as_str())
        .unwrap_or("<none>")
        .to_string()
}

fn event_cells(event: &Value, now: i64) -> Vec<Value> {
    let involved = &event["involvedObject"];
    let object = format!(
        "{}/{}",
        text(&involved["kind"]).to_lowercase(),
        text(&involved["name"])
    );
    vec![
        json!(since(&event["lastTimestamp"], now)),
        event["type"].clone(),
        event["reason"].clone(),
        json!(object),
        json!(text(&involved["fieldPath"])),
        json!(text(&event["source"]["component"])),
        event["message"].clone(),
        json!(since(&event["firstTimestamp"], now)),
        json!(event["count"].as_u64().unwrap_or(1).to_string()),
        event["metadata"]["name"].clone(),
    ]
}
