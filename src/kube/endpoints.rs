//! `Endpoints`, as Kubernetes' endpoints controller builds them: for each
//! Service, the pods its selector picks in its namespace, the Ready ones
//! under `addresses` and the others under `notReadyAddresses`, with the
//! Service's target ports — a named `targetPort` resolved, pod by pod,
//! through the pod's container port of that name (pods that resolve it
//! differently fall in subsets of their own). Pure: JSON in, JSON out, in
//! the shapes `get -o json` and the API serve.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::labels::Selector;
use crate::manifest::Labels;

fn labels_of(value: &Value) -> Labels {
    value
        .as_object()
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// One `Endpoints` per service (`services` and `pods` as served).
pub fn endpoints(services: &[Value], pods: &[Value]) -> Vec<Value> {
    services
        .iter()
        .map(|s| service_endpoints(s, pods))
        .collect()
}

fn service_endpoints(service: &Value, pods: &[Value]) -> Value {
    let namespace = &service["metadata"]["namespace"];
    let selector = labels_of(&service["spec"]["selector"]);
    let selector = Selector::from_map(&selector);
    let picked = pods.iter().filter(|pod| {
        !selector.is_empty()
            && &pod["metadata"]["namespace"] == namespace
            && pod["status"]["podIP"].is_string()
            && selector.matches(&labels_of(&pod["metadata"]["labels"]))
    });
    // Pods by the ports the service's target ports resolve to on them.
    type Subset<'p> = (Vec<Value>, Vec<&'p Value>, Vec<&'p Value>);
    let mut subsets: BTreeMap<String, Subset> = BTreeMap::new();
    for pod in picked {
        let Some(ports) = endpoint_ports(service, pod) else {
            continue;
        };
        let key = serde_json::to_string(&ports).unwrap_or_default();
        let entry = subsets
            .entry(key)
            .or_insert_with(|| (ports, Vec::new(), Vec::new()));
        if is_ready(pod) {
            entry.1.push(pod);
        } else {
            entry.2.push(pod);
        }
    }
    let subsets: Vec<Value> = subsets
        .into_values()
        .map(|(ports, ready, not_ready)| {
            let mut subset = serde_json::Map::new();
            if !ready.is_empty() {
                subset.insert("addresses".into(), addresses(&ready));
            }
            if !not_ready.is_empty() {
                subset.insert("notReadyAddresses".into(), addresses(&not_ready));
            }
            subset.insert("ports".into(), json!(ports));
            Value::Object(subset)
        })
        .collect();
    let mut meta = serde_json::Map::new();
    meta.insert("name".into(), service["metadata"]["name"].clone());
    meta.insert("namespace".into(), namespace.clone());
    if let Some(labels) = service["metadata"].get("labels") {
        meta.insert("labels".into(), labels.clone());
    }
    json!({ "apiVersion": "v1", "kind": "Endpoints", "metadata": meta, "subsets": subsets })
}

/// The pod's `Ready` condition holds.
pub fn is_ready(pod: &Value) -> bool {
    pod["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

fn addresses(pods: &[&Value]) -> Value {
    pods.iter()
        .map(|pod| {
            json!({
                "ip": pod["status"]["podIP"],
                "nodeName": pod["spec"]["nodeName"],
                "targetRef": {
                    "kind": "Pod",
                    "namespace": pod["metadata"]["namespace"],
                    "name": pod["metadata"]["name"],
                    "uid": pod["metadata"]["uid"],
                },
            })
        })
        .collect()
}

/// The pod's port named `name` (with its protocol).
fn named_port(pod: &Value, name: &str) -> Option<u64> {
    pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["ports"].as_array().into_iter().flatten())
        .find(|p| p["name"] == name)
        .and_then(|p| p["containerPort"].as_u64())
}

/// The service's ports on `pod`: each target port as a number, a named one
/// through the pod's port of that name. `None` when a named one is not
/// there (the endpoints controller leaves such a pod out).
fn endpoint_ports(service: &Value, pod: &Value) -> Option<Vec<Value>> {
    let ports = service["spec"]["ports"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    ports
        .iter()
        .map(|port| {
            let target = match &port["targetPort"] {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => match s.parse::<u64>() {
                    Ok(n) => Some(n),
                    Err(_) => Some(named_port(pod, s)?),
                },
                _ => None,
            };
            let mut out = json!({
                "port": target.or(port["port"].as_u64()).unwrap_or_default(),
                "protocol": port["protocol"].as_str().unwrap_or("TCP"),
            });
            if let Some(name) = port["name"].as_str() {
                out["name"] = json!(name);
            }
            Some(out)
        })
        .collect()
}

/// kubectl's ENDPOINTS column: `ip:port` pairs of the ready addresses,
/// three at most then `+ N more...`.
pub fn endpoints_text(object: &Value) -> String {
    let mut pairs = Vec::new();
    for subset in object["subsets"].as_array().into_iter().flatten() {
        let ports: Vec<u64> = subset["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["port"].as_u64())
            .collect();
        for address in subset["addresses"].as_array().into_iter().flatten() {
            let ip = address["ip"].as_str().unwrap_or_default();
            if ports.is_empty() {
                pairs.push(ip.to_string());
            }
            pairs.extend(ports.iter().map(|port| format!("{ip}:{port}")));
        }
    }
    match pairs.len() {
        0 => "<none>".into(),
        n if n <= 3 => pairs.join(","),
        n => format!("{} + {} more...", pairs[..3].join(","), n - 3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, app: &str, ip: &str, ready: bool, port_name: &str, port: u64) -> Value {
        json!({
            "metadata": {"name": name, "namespace": "default", "labels": {"app": app}, "uid": name},
            "spec": {"nodeName": "local", "containers": [{"name": "c", "ports": [{"name": port_name, "containerPort": port}]}]},
            "status": {"podIP": ip, "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]},
        })
    }

    fn service(target: Value) -> Value {
        json!({
            "metadata": {"name": "front", "namespace": "default"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": target, "protocol": "TCP"}]},
        })
    }

    #[test]
    fn ready_and_not_ready_pods_are_listed_apart() {
        let pods = [
            pod("a", "web", "10.0.0.2", true, "http", 8080),
            pod("b", "web", "10.0.0.3", false, "http", 8080),
            pod("c", "db", "10.0.0.4", true, "http", 8080),
        ];
        let out = endpoints(&[service(json!(8080))], &pods);
        let subset = &out[0]["subsets"][0];
        assert_eq!(subset["addresses"][0]["ip"], "10.0.0.2");
        assert_eq!(subset["notReadyAddresses"][0]["ip"], "10.0.0.3");
        assert_eq!(subset["ports"][0]["port"], 8080);
        assert_eq!(endpoints_text(&out[0]), "10.0.0.2:8080");
    }

    #[test]
    fn a_named_target_port_resolves_pod_by_pod() {
        let pods = [
            pod("a", "web", "10.0.0.2", true, "http", 8080),
            pod("b", "web", "10.0.0.3", true, "http", 9090),
            pod("c", "web", "10.0.0.4", true, "other", 7070),
        ];
        let out = endpoints(&[service(json!("http"))], &pods);
        let subsets = out[0]["subsets"].as_array().unwrap();
        assert_eq!(subsets.len(), 2, "{out:?}");
        assert_eq!(endpoints_text(&out[0]), "10.0.0.2:8080,10.0.0.3:9090");
    }
}
