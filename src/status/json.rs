//! The `status` object of a Pod, in exactly Kubernetes' shape, for `-o json`
//! and the JSON API.

use serde_json::{json, Map, Value};

use super::{ContainerState, ContainerStatus, Phase, PodStatus};
use crate::timefmt::format_rfc3339;

fn time(unix: Option<i64>) -> Value {
    unix.map_or(Value::Null, |t| Value::String(format_rfc3339(t)))
}

fn state_json(state: &ContainerState) -> Value {
    match state {
        ContainerState::Waiting { reason, message } => {
            let mut waiting = Map::new();
            waiting.insert("reason".into(), json!(reason));
            if !message.is_empty() {
                waiting.insert("message".into(), json!(message));
            }
            json!({ "waiting": waiting })
        }
        ContainerState::Running { started_at } => {
            json!({ "running": { "startedAt": time(*started_at) } })
        }
        ContainerState::Terminated {
            exit_code,
            reason,
            started_at,
            finished_at,
        } => json!({
            "terminated": {
                "exitCode": exit_code,
                "reason": reason,
                "startedAt": time(*started_at),
                "finishedAt": time(*finished_at),
            }
        }),
    }
}

fn container_json(container: &ContainerStatus) -> Value {
    let mut object = Map::new();
    object.insert("name".into(), json!(container.name));
    object.insert("state".into(), state_json(&container.state));
    let last_state = container
        .last_state
        .as_ref()
        .map_or_else(|| json!({}), state_json);
    object.insert("lastState".into(), last_state);
    object.insert("ready".into(), json!(container.ready));
    object.insert("restartCount".into(), json!(container.restart_count));
    object.insert("image".into(), json!(container.image));
    if let Some(id) = &container.container_id {
        object.insert("containerID".into(), json!(id));
    }
    object.insert("started".into(), json!(container.started));
    Value::Object(object)
}

fn condition(kind: &str, holds: bool, reason: Option<&str>, message: Option<String>) -> Value {
    let mut object = Map::new();
    object.insert("type".into(), json!(kind));
    object.insert("status".into(), json!(if holds { "True" } else { "False" }));
    object.insert("lastProbeTime".into(), Value::Null);
    if let (false, Some(reason)) = (holds, reason) {
        object.insert("reason".into(), json!(reason));
    }
    if let (false, Some(message)) = (holds, message) {
        object.insert("message".into(), json!(message));
    }
    Value::Object(object)
}

/// Initialized, Ready, ContainersReady, PodScheduled — as the kubelet lists
/// them; a pod no node took has only PodScheduled, False.
fn conditions(status: &PodStatus) -> Value {
    if let Some(why) = &status.unschedulable {
        let scheduled = condition(
            "PodScheduled",
            false,
            Some("Unschedulable"),
            Some(why.clone()),
        );
        return json!([scheduled]);
    }
    let unready: Vec<&str> = status
        .containers
        .iter()
        .filter(|c| !c.ready)
        .map(|c| c.name.as_str())
        .collect();
    let (reason, message) = if status.phase == Phase::Succeeded {
        ("PodCompleted", None)
    } else {
        let message = format!("containers with unready status: [{}]", unready.join(" "));
        ("ContainersNotReady", Some(message))
    };
    let ready = status.is_ready();
    let incomplete: Vec<&str> = status
        .init_containers
        .iter()
        .filter(|c| !c.ready)
        .map(|c| c.name.as_str())
        .collect();
    let initialized = condition(
        "Initialized",
        incomplete.is_empty(),
        Some("ContainersNotInitialized"),
        Some(format!(
            "containers with incomplete status: [{}]",
            incomplete.join(" ")
        )),
    );
    json!([
        initialized,
        condition("Ready", ready, Some(reason), message.clone()),
        condition("ContainersReady", ready, Some(reason), message),
        condition("PodScheduled", true, None, None),
    ])
}

/// `status` of a Kubernetes Pod: `phase`, `reason`, `message`, `conditions`,
/// `hostIP`, `hostIPs`, `podIP`, `podIPs`, `startTime`, `containerStatuses`.
pub fn to_k8s_json(status: &PodStatus) -> Value {
    let mut object = Map::new();
    object.insert("phase".into(), json!(status.phase.as_str()));
    if let Some(reason) = &status.reason {
        object.insert("reason".into(), json!(reason));
    }
    if let Some(message) = &status.message {
        object.insert("message".into(), json!(message));
    }
    object.insert("conditions".into(), conditions(status));
    if let Some(ip) = &status.host_ip {
        object.insert("hostIP".into(), json!(ip));
        object.insert("hostIPs".into(), json!([{ "ip": ip }]));
    }
    if let Some(ip) = &status.pod_ip {
        object.insert("podIP".into(), json!(ip));
        object.insert("podIPs".into(), json!([{ "ip": ip }]));
    }
    if status.start_time.is_some() {
        object.insert("startTime".into(), time(status.start_time));
    }
    let containers: Vec<Value> = status.containers.iter().map(container_json).collect();
    if !containers.is_empty() {
        object.insert("containerStatuses".into(), Value::Array(containers));
    }
    let init: Vec<Value> = status.init_containers.iter().map(container_json).collect();
    if !init.is_empty() {
        object.insert("initContainerStatuses".into(), Value::Array(init));
    }
    Value::Object(object)
}
