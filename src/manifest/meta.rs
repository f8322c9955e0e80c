//! `metadata` (name, namespace, labels, annotations) and label maps, validated
//! by Kubernetes' rules.

use std::collections::BTreeMap;

use super::decode::{join, Decoder};
use super::model::{Labels, ObjectMeta, DEFAULT_NAMESPACE};
use super::schema::OBJECT_META;
use crate::yaml::Node;
use crate::{labels, names};

/// berth's own container labels (`io.berth.managed-by`, `io.berth.pod` …): a
/// manifest may not set or select them.
pub const RESERVED_LABEL_PREFIX: &str = "io.berth.";

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
        } else if key.starts_with(RESERVED_LABEL_PREFIX) {
            d.error(
                key_node,
                &entry_path,
                format!(
                    "label key {key:?} is reserved: berth's own labels start with \"{RESERVED_LABEL_PREFIX}\" and carry its ownership of containers"
                ),
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

/// Kubernetes' limit on all annotations of an object, keys and values.
const ANNOTATIONS_MAX_BYTES: usize = 256 * 1024;

/// Annotations: keys follow the label key rules, values are any string,
/// and all of them together hold at most 256 KiB.
pub fn annotations(d: &mut Decoder, node: &Node, path: &str) -> BTreeMap<String, String> {
    let out = annotation_entries(d, node, path);
    let total: usize = out.iter().map(|(k, v)| k.len() + v.len()).sum();
    if total > ANNOTATIONS_MAX_BYTES {
        let message =
            format!("may not have more than {ANNOTATIONS_MAX_BYTES} bytes in all (found {total})");
        d.error(node, path, message);
    }
    out
}

fn annotation_entries(d: &mut Decoder, node: &Node, path: &str) -> BTreeMap<String, String> {
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

/// How an object's name and namespace are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// Namespaced, named by a DNS-1123 subdomain (pods, controllers).
    Subdomain,
    /// Namespaced, named by a DNS-1035 label (services).
    Dns1035Label,
    /// Cluster-scoped, named by a DNS-1123 subdomain (nodes).
    ClusterScoped,
}

/// Service names (DNS-1035): a DNS-1123 label that starts with a letter.
pub fn dns1035_label(name: &str) -> Result<(), String> {
    let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    if names::dns1123_label(name).is_ok() && starts_with_letter {
        return Ok(());
    }
    Err("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an \
         alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123', \
         regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
        .to_string())
}

fn valid_name(rule: NameRule, name: &str) -> Result<(), String> {
    match rule {
        NameRule::Dns1035Label => dns1035_label(name),
        _ => names::dns1123_subdomain(name),
    }
}

/// An object's metadata. `root` is where a missing `metadata` is reported.
pub fn object_meta(
    d: &mut Decoder,
    root: &Node,
    metadata: Option<&Node>,
    rule: NameRule,
) -> Option<ObjectMeta> {
    let Some(node) = metadata else {
        d.required(root, "metadata.name");
        return None;
    };
    let fields = d.mapping(node, "metadata", &OBJECT_META, &[])?;
    // A wrong name does not stop the checks of the rest of the metadata.
    let name = match fields.get("name") {
        Some(name_node) => {
            let name = d.string(name_node, "metadata.name");
            if let Some(Err(message)) = name.as_deref().map(|n| valid_name(rule, n)) {
                let name = name.as_deref().unwrap_or_default();
                d.error(
                    name_node,
                    "metadata.name",
                    format!("invalid name {name:?}: {message}"),
                );
            }
            name
        }
        None => {
            match fields.node.get("generateName").filter(|n| !n.is_null()) {
                Some(generate) => d.error(
                    generate,
                    "metadata.name",
                    "required: berth needs a fixed name to track the object; \
                     generateName (a name chosen by the API server at creation) is not supported",
                ),
                None => d.required(node, "metadata.name"),
            }
            None
        }
    };
    let namespace = namespace(d, fields.get("namespace"), rule);
    let labels = fields
        .get("labels")
        .map(|n| label_map(d, n, "metadata.labels"))
        .unwrap_or_default();
    let annotations = fields
        .get("annotations")
        .map(|n| annotations(d, n, "metadata.annotations"))
        .unwrap_or_default();
    Some(ObjectMeta {
        name: name?,
        namespace,
        labels,
        annotations,
    })
}

/// `metadata.namespace`: `default` when absent or empty (as with kubectl);
/// ignored, with a warning, on cluster-scoped objects.
fn namespace(d: &mut Decoder, node: Option<&Node>, rule: NameRule) -> String {
    let Some(node) = node else {
        return match rule {
            NameRule::ClusterScoped => String::new(),
            _ => DEFAULT_NAMESPACE.to_string(),
        };
    };
    if rule == NameRule::ClusterScoped {
        let message = "a Node is cluster-scoped; the namespace is ignored";
        d.warning(node, "metadata.namespace", message);
        return String::new();
    }
    let namespace = d.string(node, "metadata.namespace").unwrap_or_default();
    if namespace.is_empty() {
        return DEFAULT_NAMESPACE.to_string();
    }
    if let Err(message) = names::dns1123_label(&namespace) {
        let message = format!("invalid namespace {namespace:?}: {message}");
        d.error(node, "metadata.namespace", message);
    }
    namespace
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
