//! The workload and configuration rows of server-side tables — the
//! columns the API server's printers define for Deployments, ReplicaSets,
//! DaemonSets, ConfigMaps and Secrets, and the cells of the workloads,
//! computed from the object's JSON as those printers compute them.

use serde_json::{json, Value};

use super::resource::ApiResource;
use super::table::{map_text, or_none, text, Column, AGE, NAME};

const CONTAINERS: Column = (
    "Containers",
    "string",
    1,
    "Names of each container in the template.",
);
const IMAGES: Column = (
    "Images",
    "string",
    1,
    "Images referenced by each container in the template.",
);

/// The columns of `resource` (one of the five kinds of this file).
pub fn columns(resource: ApiResource) -> Vec<Column> {
    let s = "string";
    match resource {
        ApiResource::ConfigMaps => vec![
            NAME,
            ("Data", s, 0, "Data contains the configuration data."),
            AGE,
        ],
        ApiResource::Secrets => vec![
            NAME,
            ("Type", s, 0, "The type of the secret"),
            ("Data", s, 0, "The number of keys in the secret (values are never served)."),
            AGE,
        ],
        ApiResource::Deployments => vec![
            NAME,
            ("Ready", s, 0, "Number of the pod with ready state"),
            ("Up-to-date", s, 0, "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
            ("Available", s, 0, "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
            AGE,
            CONTAINERS,
            IMAGES,
            ("Selector", s, 1, "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment."),
        ],
        ApiResource::ReplicaSets => vec![
            NAME,
            ("Desired", "integer", 0, "Replicas is the number of desired replicas."),
            ("Current", "integer", 0, "Replicas is the most recently observed number of replicas."),
            ("Ready", "integer", 0, "The number of ready replicas for this replica set."),
            AGE,
            CONTAINERS,
            IMAGES,
            ("Selector", s, 1, "Selector is a label query over pods that should match the replica count."),
        ],
        ApiResource::DaemonSets => vec![
            NAME,
            ("Desired", "integer", 0, "The total number of nodes that should be running the daemon pod."),
            ("Current", "integer", 0, "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
            ("Ready", "integer", 0, "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready."),
            ("Up-to-date", "integer", 0, "The total number of nodes that are running updated daemon pod"),
            ("Available", "integer", 0, "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available."),
            ("Node Selector", s, 0, "NodeSelector is a selector which must be true for the pod to fit on a node."),
            AGE,
            CONTAINERS,
            IMAGES,
            ("Selector", s, 1, "A label query over pods that are managed by the daemon set."),
        ],
        _ => vec![NAME, AGE],
    }
}

/// Deployments: NAME, READY, UP-TO-DATE, AVAILABLE, AGE; ReplicaSets:
/// NAME, DESIRED, CURRENT, READY, AGE; DaemonSets: NAME, DESIRED, CURRENT,
/// READY, UP-TO-DATE, AVAILABLE, NODE SELECTOR, AGE; then CONTAINERS,
/// IMAGES, SELECTOR for all three.
pub fn workload_cells(
    resource: ApiResource,
    object: &Value,
    name: Value,
    created: Value,
) -> Vec<Value> {
    let (spec, status) = (&object["spec"], &object["status"]);
    let number = |v: &Value| json!(v.as_u64().unwrap_or(0));
    let template = &spec["template"]["spec"];
    let mut cells = vec![name];
    match resource {
        ApiResource::Deployments => cells.extend([
            json!(format!(
                "{}/{}",
                status["readyReplicas"].as_u64().unwrap_or(0),
                spec["replicas"].as_u64().unwrap_or(0)
            )),
            number(&status["updatedReplicas"]),
            number(&status["availableReplicas"]),
        ]),
        ApiResource::ReplicaSets => cells.extend([
            number(&spec["replicas"]),
            number(&status["replicas"]),
            number(&status["readyReplicas"]),
        ]),
        _ => cells.extend([
            number(&status["desiredNumberScheduled"]),
            number(&status["currentNumberScheduled"]),
            number(&status["numberReady"]),
            number(&status["updatedNumberScheduled"]),
            number(&status["numberAvailable"]),
            json!(map_text(&template["nodeSelector"])),
        ]),
    }
    let containers = template["containers"].as_array();
    let join = |key: &str| {
        let names = containers.into_iter().flatten().map(|c| text(&c[key]));
        names.collect::<Vec<_>>().join(",")
    };
    cells.extend([
        created,
        json!(join("name")),
        json!(join("image")),
        json!(selector_text(&spec["selector"])),
    ]);
    cells
}

/// A `LabelSelector` as kubectl formats it: `a=b,c in (x,y),!d`.
fn selector_text(selector: &Value) -> String {
    let mut parts: Vec<String> = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", text(v)))
        .collect();
    for e in selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let key = text(&e["key"]);
        let values = e["values"].as_array().into_iter().flatten().map(text);
        let values = values.collect::<Vec<_>>().join(",");
        parts.push(match text(&e["operator"]) {
            "In" => format!("{key} in ({values})"),
            "NotIn" => format!("{key} notin ({values})"),
            "Exists" => key.to_string(),
            _ => format!("!{key}"),
        });
    }
    or_none(parts.join(","))
}
