//! The pod row of a server-side table, computed from the Pod's JSON as the
//! API server's printer does: READY, STATUS (the reason of the first
//! container that has one), RESTARTS with the time of the last one, AGE,
//! and the wide columns.

use serde_json::{json, Value};

use crate::timefmt::{age, parse_rfc3339};

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

fn list(value: &Value) -> impl Iterator<Item = &Value> {
    value.as_array().into_iter().flatten()
}

/// NAME, READY, STATUS, RESTARTS, AGE, IP, NODE, NOMINATED NODE, READINESS
/// GATES.
pub fn pod_cells(pod: &Value, now: i64) -> Vec<Value> {
    let status = &pod["status"];
    let total = list(&pod["spec"]["containers"]).count();
    let ready = list(&status["containerStatuses"])
        .filter(|c| c["ready"] == true)
        .count();
    let restarts: u64 = list(&status["containerStatuses"])
        .filter_map(|c| c["restartCount"].as_u64())
        .sum();
    let last_restart = list(&status["containerStatuses"])
        .filter_map(|c| parse_rfc3339(text(&c["lastState"]["terminated"]["finishedAt"])))
        .max();
    let restarts = match last_restart {
        Some(at) if restarts > 0 => format!("{restarts} ({} ago)", age(Some(at), now)),
        _ => restarts.to_string(),
    };
    let created = parse_rfc3339(text(&pod["metadata"]["creationTimestamp"]));
    let or_none = |v: &Value| {
        let t = text(v);
        if t.is_empty() { "<none>" } else { t }.to_string()
    };
    vec![
        pod["metadata"]["name"].clone(),
        json!(format!("{ready}/{total}")),
        json!(pod_reason(pod)),
        json!(restarts),
        json!(age(created, now)),
        json!(or_none(&status["podIP"])),
        json!(or_none(&pod["spec"]["nodeName"])),
        json!("<none>"),
        json!("<none>"),
    ]
}

/// The STATUS column: the phase, replaced by the pod's reason, then by the
/// reason of the first container that is waiting or terminated.
fn pod_reason(pod: &Value) -> String {
    let status = &pod["status"];
    let mut reason = match text(&status["reason"]) {
        "" => text(&status["phase"]).to_string(),
        reason => reason.to_string(),
    };
    let mut running = false;
    let containers: Vec<&Value> = list(&status["containerStatuses"]).collect();
    for container in containers.iter().rev() {
        let state = &container["state"];
        let waiting = text(&state["waiting"]["reason"]);
        let terminated = &state["terminated"];
        if !waiting.is_empty() {
            reason = waiting.to_string();
        } else if !text(&terminated["reason"]).is_empty() {
            reason = text(&terminated["reason"]).to_string();
        } else if terminated.is_object() {
            reason = match terminated["signal"].as_i64() {
                Some(signal) if signal != 0 => format!("Signal:{signal}"),
                _ => format!("ExitCode:{}", terminated["exitCode"].as_i64().unwrap_or(0)),
            };
        } else if container["ready"] == true && state["running"].is_object() {
            running = true;
        }
    }
    if reason == "Completed" && running {
        let ready =
            list(&status["conditions"]).any(|c| c["type"] == "Ready" && c["status"] == "True");
        reason = if ready { "Running" } else { "NotReady" }.to_string();
    }
    reason
}
