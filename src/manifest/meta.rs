//! `metadata` (name, namespace, labels, annotations) and label maps, validated
//! by Kubernetes' rules.

use std::collections::BTreeMap;

use super::decode::{join, Decoder};
use super::model::{Labels, ObjectMeta, DEFAULT_NAMESPACE};
use super::schema::OBJECT_META;
use crate::yaml::Node;
use crate::{labels, names};

/// A label map (metadata.labels, selectors, nodeSelector): keys and values
/// checked, each error at the offending key or value.
pub fn label_map(d: &mut Decoder, node: &Node, path: &str) -> Labels {
    let mut out = Labels::new();
    for (key_node, key, value_node, value) in d.string_map(node, path) {
        let entry_path = format!("{path}[{key}]");
        if let Err(message) = labels::validate_key(&key) {
            d.error(
                key_node,
                &entry_path,
                format!("invalid label key {key:?}: {message}"),
            );
        }
        if let Err(message) = labels::validate_value(&value) {
            d.error(
                value_node,
                &entry_path,
                format!("invalid label value {value:?}: {message}"),
            );
        }
        out.insert(key, value);
    }
    out
}

/// Annotations: keys follow the label key rules, values are any string.
pub fn annotations(d: &mut Decoder, node: &Node, path: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key_node, key, _, value) in d.string_map(node, path) {
        if let Err(message) = labels::validate_key(&key) {
            d.error(
                key_node,
                &format!("{path}[{key}]"),
                format!("invalid annotation key {key:?}: {message}"),
            );
        }
        out.insert(key, value);
    }
    out
}

/// An object's metadata. `root` is where a missing `metadata` is reported;
/// `namespaced` is false for cluster-scoped kinds (Node).
pub fn object_meta(
    d: &mut Decoder,
    root: &Node,
    metadata: Option<&Node>,
    namespaced: bool,
) -> Option<ObjectMeta> {
    let Some(node) = metadata else {
        d.required(root, "metadata.name");
        return None;
    };
    let fields = d.mapping(node, "metadata", &OBJECT_META, &[])?;
    let name = match fields.get("name") {
        Some(name_node) => {
            let name = d.string(name_node, "metadata.name")?;
            if let Err(message) = names::dns1123_subdomain(&name) {
                d.error(
                    name_node,
                    "metadata.name",
                    format!("invalid name {name:?}: {message}"),
                );
            }
            name
        }
        None => {
            d.required(node, "metadata.name");
            return None;
        }
    };
    let namespace = match (fields.get("namespace"), namespaced) {
        (Some(ns_node), true) => {
            let namespace = d.string(ns_node, "metadata.namespace").unwrap_or_default();
            if let Err(message) = names::dns1123_label(&namespace) {
                d.error(
                    ns_node,
                    "metadata.namespace",
                    format!("invalid namespace {namespace:?}: {message}"),
                );
            }
            namespace
        }
        (None, true) => DEFAULT_NAMESPACE.to_string(),
        (Some(ns_node), false) => {
            d.warning(
                ns_node,
                "metadata.namespace",
                "a Node is cluster-scoped; the namespace is ignored",
            );
            String::new()
        }
        (None, false) => String::new(),
    };
    let labels = fields
        .get("labels")
        .map(|n| label_map(d, n, "metadata.labels"))
        .unwrap_or_default();
    let annotations = fields
        .get("annotations")
        .map(|n| annotations(d, n, "metadata.annotations"))
        .unwrap_or_default();
    Some(ObjectMeta {
        name,
        namespace,
        labels,
        annotations,
    })
}

/// The metadata of a pod template: only labels and annotations matter;
/// a name or namespace there is accepted and unused, as in Kubernetes.
pub fn template_meta(
    d: &mut Decoder,
    node: &Node,
    path: &str,
) -> (Labels, BTreeMap<String, String>) {
    let Some(fields) = d.mapping(node, path, &OBJECT_META, &[]) else {
        return Default::default();
    };
    let labels = fields
        .get("labels")
        .map(|n| label_map(d, n, &join(path, "labels")))
        .unwrap_or_default();
    let annotations = fields
        .get("annotations")
        .map(|n| annotations(d, n, &join(path, "annotations")))
        .unwrap_or_default();
    (labels, annotations)
}
