//! Nodes: the v1 `Node` (capacity from `status.capacity`, the Docker
//! endpoint from the `berth.io/docker-host` annotation) and the seed's
//! v1beta1 `Minion`.

use std::collections::BTreeMap;

use super::decode::Decoder;
use super::meta::{annotations, label_map, object_meta, NameRule};
use super::model::{Node, ObjectMeta, ResourceList, DOCKER_HOST_ANNOTATION};
use super::resources::resource_list;
use super::schema::{Schema, LEGACY_FIELDS, MINION, MINION_RESOURCES, NODE_SPEC, NODE_STATUS};
use crate::names;
use crate::yaml;

const NODE: Schema = Schema {
    implemented: &["apiVersion", "kind", "metadata", "spec", "status"],
    known: &[],
};

pub fn node(d: &mut Decoder, root: &yaml::Node) -> Option<Node> {
    let fields = d.mapping(root, "", &NODE, LEGACY_FIELDS)?;
    let meta = object_meta(d, root, fields.get("metadata"), NameRule::ClusterScoped);
    if let Some(spec) = fields.get("spec") {
        d.mapping(spec, "spec", &NODE_SPEC, &[]);
    }
    let capacity = fields
        .get("status")
        .and_then(|status| d.mapping(status, "status", &NODE_STATUS, &[]))
        .and_then(|status| status.get("capacity"))
        .map(|n| plain_list(resource_list(d, n, "status.capacity", true)))
        .unwrap_or_default();
    let meta = meta?;
    let annotations = fields.get("metadata").and_then(|m| m.get("annotations"));
    Some(Node {
        docker_host: docker_host(d, &meta, annotations, "metadata.annotations"),
        meta,
        capacity,
        source: d.source(root),
    })
}

fn plain_list(list: BTreeMap<String, (String, &yaml::Node)>) -> ResourceList {
    list.into_iter().map(|(k, (v, _))| (k, v)).collect()
}

/// The node's Docker endpoint from its annotation, checked: `unix://`,
/// `tcp://`, `http://`, `https://` or `ssh://` followed by an address.
/// `annotations` is the annotations mapping node, for the error's place.
fn docker_host(
    d: &mut Decoder,
    meta: &ObjectMeta,
    annotations: Option<&yaml::Node>,
    path: &str,
) -> Option<String> {
    let host = meta
        .annotations
        .get(DOCKER_HOST_ANNOTATION)
        .filter(|h| !h.is_empty())?;
    let schemes = ["unix://", "tcp://", "http://", "https://", "ssh://"];
    let valid = schemes
        .iter()
        .any(|s| host.strip_prefix(s).is_some_and(|rest| !rest.is_empty()));
    if !valid {
        let at = annotations.and_then(|a| a.get(DOCKER_HOST_ANNOTATION));
        if let Some(at) = at {
            let message = format!(
                "invalid Docker endpoint {host:?}: expected unix:///path/to/docker.sock, \
                 tcp://host:port, https://host:port or ssh://user@host"
            );
            d.error(at, &format!("{path}[{DOCKER_HOST_ANNOTATION}]"), message);
        }
    }
    Some(host.clone())
}

/// The seed's `v1beta1` node: `id`, top-level `labels`, `resources.capacity`
/// (an integer cpu there counts millicores, as in v1beta1).
pub fn minion(d: &mut Decoder, root: &yaml::Node) -> Option<Node> {
    let fields = d.mapping(root, "", &MINION, &[])?;
    let name = match fields.get("id") {
        Some(n) => {
            let name = d.string(n, "id")?;
            if let Err(message) = names::dns1123_subdomain(&name) {
                d.error(n, "id", format!("invalid name {name:?}: {message}"));
            }
            name
        }
        None => {
            d.required(root, "id");
            return None;
        }
    };
    let labels = fields
        .get("labels")
        .map(|n| label_map(d, n, "labels"))
        .unwrap_or_default();
    let annotations = fields
        .get("annotations")
        .map(|n| annotations(d, n, "annotations"))
        .unwrap_or_default();
    let mut capacity = fields
        .get("resources")
        .and_then(|n| d.mapping(n, "resources", &MINION_RESOURCES, &[]))
        .and_then(|r| r.get("capacity"))
        .map(|n| plain_list(resource_list(d, n, "resources.capacity", true)))
        .unwrap_or_default();
    if let Some(cpu) = capacity.get_mut("cpu") {
        if cpu.parse::<i64>().is_ok() {
            cpu.push('m');
        }
    }
    let meta = ObjectMeta {
        name,
        namespace: String::new(),
        labels,
        annotations,
    };
    let annotations_node = fields.get("annotations");
    Some(Node {
        docker_host: docker_host(d, &meta, annotations_node, "annotations"),
        meta,
        capacity,
        source: d.source(root),
    })
}
