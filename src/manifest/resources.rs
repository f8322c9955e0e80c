//! Resource lists: container limits and requests (with Kubernetes'
//! defaulting and the requests ≤ limits rule) and node capacity.

use std::collections::BTreeMap;

use super::decode::{join, Decoder};
use super::model::Resources;
use super::schema::RESOURCES;
use crate::quantity::Quantity;
use crate::yaml::Node;

/// The smallest memory limit Docker accepts ("Minimum memory limit allowed
/// is 6MB"); Kubernetes has no minimum, so below it is only a warning.
const DOCKER_MIN_MEMORY: i128 = 6 * 1024 * 1024;

/// Limits and requests; requests default to limits (Kubernetes' defaulting)
/// and may not exceed them.
pub fn resources(d: &mut Decoder, node: &Node, path: &str) -> Resources {
    let Some(fields) = d.mapping(node, path, &RESOURCES, &[]) else {
        return Resources::default();
    };
    let limits = fields
        .get("limits")
        .map(|n| resource_list(d, n, &join(path, "limits"), false))
        .unwrap_or_default();
    let requests = fields
        .get("requests")
        .map(|n| resource_list(d, n, &join(path, "requests"), false))
        .unwrap_or_default();
    for (name, (request, request_node)) in &requests {
        let p = format!("{}[{name}]", join(path, "requests"));
        let Some((limit, _)) = limits.get(name) else {
            if is_extended(name) {
                let message = "limit must be set for non overcommitable resources";
                d.error(request_node, &p, message);
            }
            continue;
        };
        if let (Ok(r), Ok(l)) = (Quantity::parse(request), Quantity::parse(limit)) {
            if is_extended(name) && r != l {
                let message = format!("must be equal to {name} limit of {limit}");
                d.error(request_node, &p, message);
            } else if r > l {
                let message = format!("must be less than or equal to {name} limit of {limit}");
                d.error(request_node, &p, message);
            }
        }
    }
    if let Some((limit, node)) = limits.get("memory") {
        let bytes = Quantity::parse(limit).map(Quantity::value).unwrap_or(0);
        if bytes > 0 && bytes < DOCKER_MIN_MEMORY {
            let p = format!("{}[memory]", join(path, "limits"));
            let message = format!(
                "Docker refuses memory limits under 6MB ({DOCKER_MIN_MEMORY} bytes): \
                 valid for Kubernetes, but this container cannot be created (found {limit})"
            );
            d.warning(node, &p, message);
        }
    }
    let mut out = Resources {
        limits: limits
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect(),
        requests: requests.into_iter().map(|(k, (v, _))| (k, v)).collect(),
    };
    for (name, limit) in &out.limits {
        out.requests
            .entry(name.clone())
            .or_insert_with(|| limit.clone());
    }
    out
}

/// A resource list (`cpu: 500m`), every quantity parsed. `node_capacity`
/// also allows `pods`.
pub fn resource_list<'n>(
    d: &mut Decoder,
    node: &'n Node,
    path: &str,
    node_capacity: bool,
) -> BTreeMap<String, (String, &'n Node)> {
    let mut out = BTreeMap::new();
    let Some(entries) = node.entries() else {
        if !node.is_null() {
            d.expected(node, path, "mapping of resource names to quantities");
        }
        return out;
    };
    for (key, value) in entries {
        let Some(name) = key.text() else { continue };
        let entry_path = format!("{path}[{name}]");
        if let Err(message) = resource_name(name, node_capacity) {
            d.error(key, &entry_path, message);
        } else if !node_capacity && !matches!(name, "cpu" | "memory") {
            let message = "berth enforces and schedules only cpu and memory; ignored";
            d.unsupported(key, &entry_path, message);
        }
        let Some(text) = d.quantity_text(value, &entry_path) else {
            continue;
        };
        match Quantity::parse(&text) {
            Ok(q) if q.milli() < 0 => {
                d.error(value, &entry_path, "must be greater than or equal to 0")
            }
            Ok(q) if is_extended(name) && q.milli() % 1000 != 0 => {
                d.error(value, &entry_path, "must be an integer")
            }
            Ok(_) => {}
            Err(message) => d.error(value, &entry_path, message),
        }
        out.insert(name.to_string(), (text, value));
    }
    out
}

/// An extended resource (`example.com/dongle`): domain-prefixed, outside
/// `kubernetes.io/`. Kubernetes counts these in whole units and does not
/// overcommit them.
fn is_extended(name: &str) -> bool {
    name.contains('/') && !name.contains("kubernetes.io/")
}

/// Kubernetes' resource names: standard ones, `hugepages-*`, or qualified
/// names with a domain prefix.
fn resource_name(name: &str, node_capacity: bool) -> Result<(), String> {
    let standard = ["cpu", "memory", "ephemeral-storage"];
    if standard.contains(&name)
        || name.starts_with("hugepages-")
        || (node_capacity && name == "pods")
    {
        return Ok(());
    }
    if name.contains('/') {
        return crate::labels::validate_key(name)
            .map_err(|m| format!("invalid resource name {name:?}: {m}"));
    }
    Err(format!("unknown resource name {name:?}: must be cpu, memory, ephemeral-storage, hugepages-<size> or a domain-prefixed name"))
}
