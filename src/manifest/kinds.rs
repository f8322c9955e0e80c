//! Reads `apiVersion` and `kind` first, then hands the document to the right
//! decoder: the four handled core kinds, apps/v1 Deployment and ReplicaSet, `List`, the seed's Minion; refuses the
//! 2014 layouts and names what Kubernetes serves but berth does not handle.

use super::apps;
use super::config;
use super::decode::{index, Decoder};
use super::nodes;
use super::objects::{self, Object};
use super::schema::{self, CORE_UNHANDLED_KINDS, GROUP_KINDS, HANDLED_KINDS, LEGACY_FIELDS, LIST};
use crate::yaml::{Node, Resolved};

const LEGACY_VERSIONS: &[&str] = &["v1beta1", "v1beta2", "v1beta3"];

/// Decodes one document (or List item) into `out`.
pub fn document(d: &mut Decoder, root: &Node, out: &mut Vec<Object>) {
    if root.is_null() {
        return;
    }
    if root.entries().is_none() {
        d.expected(
            root,
            "",
            "a Kubernetes object (a mapping with apiVersion and kind)",
        );
        return;
    }
    let api_version = type_field(d, root, "apiVersion");
    let kind = type_field(d, root, "kind");
    let (Some((api_version, version_node)), Some((kind, kind_node))) = (api_version, kind) else {
        legacy_hints(d, root);
        return;
    };
    let decoded = match (api_version.as_str(), kind.as_str()) {
        ("v1", "Pod") => objects::pod(d, root).map(Object::Pod),
        ("v1", "ReplicationController") => objects::controller(d, root).map(Object::Controller),
        ("v1", "Service") => objects::service(d, root).map(Object::Service),
        ("v1", "Node") => nodes::node(d, root).map(Object::Node),
        ("v1", "ConfigMap") => config::config_map(d, root).map(Object::ConfigMap),
        ("v1", "Secret") => config::secret(d, root).map(Object::Secret),
        // The API's typed lists (what `kubectl get -o yaml` may print) read
        // like `List`.
        (
            "v1",
            "List"
            | "PodList"
            | "ReplicationControllerList"
            | "ServiceList"
            | "NodeList"
            | "ConfigMapList"
            | "SecretList",
        ) => {
            list(d, root, out);
            None
        }
        ("apps/v1", "Deployment") => apps::deployment(d, root).map(Object::Deployment),
        ("apps/v1", "ReplicaSet") => apps::replica_set(d, root).map(Object::ReplicaSet),
        ("apps/v1", "DaemonSet") => apps::daemon_set(d, root).map(Object::DaemonSet),
        ("v1beta1" | "v1beta2", "Minion") => nodes::minion(d, root).map(Object::Node),
        (version, _) if LEGACY_VERSIONS.contains(&version) => {
            legacy(d, root, version_node, version, &kind);
            None
        }
        ("v1", _) => {
            core_kind(d, kind_node, &kind);
            None
        }
        (version, _) if version.contains('/') => {
            group_kind(d, version_node, kind_node, version, &kind);
            None
        }
        (version, _) => {
            let message = format!(
                "unknown apiVersion {version:?}: berth reads apiVersion v1 (and the seed's v1beta1 Minion){}",
                if version.eq_ignore_ascii_case("v1") { " (did you mean \"v1\"?)" } else { "" }
            );
            d.error(version_node, "apiVersion", message);
            None
        }
    };
    out.extend(decoded);
}

/// `apiVersion` or `kind`: a required, non-empty string.
fn type_field<'n>(d: &mut Decoder, root: &'n Node, field: &str) -> Option<(String, &'n Node)> {
    let Some(node) = root.get(field).filter(|n| !n.is_null()) else {
        let entries = root.entries().unwrap_or_default();
        let near = entries.iter().find(|(k, _)| {
            k.text()
                .is_some_and(|t| t != field && t.eq_ignore_ascii_case(field))
        });
        match near {
            Some((key, _)) => {
                let written = key.text().unwrap_or_default();
                let message = format!("unknown field {written:?} (did you mean {field:?}?)");
                d.error(key, written, message);
            }
            None => d.required(root, field),
        }
        return None;
    };
    match node.resolve() {
        Some(Resolved::Str(s)) if !s.is_empty() => Some((s.to_string(), node)),
        _ => {
            d.expected(node, field, "non-empty string");
            None
        }
    }
}

fn list(d: &mut Decoder, root: &Node, out: &mut Vec<Object>) {
    let Some(fields) = d.mapping(root, "", &LIST, &[]) else {
        return;
    };
    let Some(items) = fields.get("items") else {
        d.required(root, "items");
        return;
    };
    let saved = d.prefix.clone();
    for (i, item) in d.seq(items, "items").iter().enumerate() {
        d.prefix = if saved.is_empty() {
            index("items", i)
        } else {
            index(&format!("{saved}.items"), i)
        };
        if item.is_null() {
            // Only whole documents may be empty; an empty item is a mistake.
            d.expected(item, "", "a Kubernetes object");
            continue;
        }
        document(d, item, out);
    }
    d.prefix = saved;
}

/// A pre-1.0 apiVersion: refused, naming the format and its v1 equivalent.
fn legacy(d: &mut Decoder, root: &Node, version_node: &Node, version: &str, kind: &str) {
    let v1 = match kind {
        "Pod" => "apiVersion: v1, kind: Pod with metadata.name and spec.containers",
        "ReplicationController" => "apiVersion: v1, kind: ReplicationController with spec.replicas, spec.selector and spec.template",
        "Service" => "apiVersion: v1, kind: Service with spec.selector and spec.ports",
        "Minion" | "Node" => "apiVersion: v1, kind: Node with metadata.name (or the v1beta1 Minion layout)",
        _ => "apiVersion: v1",
    };
    let message = format!("apiVersion {version} ({kind}) is the pre-1.0 (2014) Kubernetes format, no longer served; use {v1}");
    d.error(version_node, "apiVersion", message);
    legacy_hints(d, root);
}

/// Points at each top-level field of the 2014 layouts with its v1 spelling.
fn legacy_hints(d: &mut Decoder, root: &Node) {
    for (key, _) in root.entries().unwrap_or_default() {
        let Some(field) = key.text() else { continue };
        if let Some((_, hint)) = LEGACY_FIELDS.iter().find(|(f, _)| *f == field) {
            d.error(key, field, *hint);
        }
    }
}

/// A kind under `v1` that berth does not decode.
fn core_kind(d: &mut Decoder, kind_node: &Node, kind: &str) {
    if CORE_UNHANDLED_KINDS.contains(&kind) {
        d.unsupported(
            kind_node,
            "",
            format!("kind {kind} (v1) is not supported by berth; ignored"),
        );
    } else if let Some((_, group)) = GROUP_KINDS.iter().find(|(k, _)| *k == kind) {
        d.error(
            kind_node,
            "kind",
            format!("kind {kind} is not served by apiVersion v1; use apiVersion: {group}"),
        );
    } else if kind == "Minion" {
        d.error(
            kind_node,
            "kind",
            "kind Minion was renamed Node; use kind: Node with apiVersion: v1",
        );
    } else {
        let near = schema::suggest(kind, HANDLED_KINDS.iter().chain(CORE_UNHANDLED_KINDS));
        let message = match near {
            Some(near) => {
                format!("unknown kind {kind:?} for apiVersion v1 (did you mean {near:?}?)")
            }
            None => format!("unknown kind {kind:?} for apiVersion v1"),
        };
        d.error(kind_node, "kind", message);
    }
}

/// A kind under a named API group (`apps/v1`): ignored with a warning, but
/// a kind that group does not serve is an error naming the right apiVersion
/// (`apps/v1` + `Pod`, `batch/v1` + `Deployment`), as the API server refuses it.
fn group_kind(d: &mut Decoder, version_node: &Node, kind_node: &Node, version: &str, kind: &str) {
    let group = version.split('/').next().unwrap_or_default();
    let core = HANDLED_KINDS.contains(&kind) || CORE_UNHANDLED_KINDS.contains(&kind);
    let served_by = if core {
        Some("v1")
    } else {
        GROUP_KINDS
            .iter()
            .find(|(k, v)| *k == kind && v.split('/').next() != Some(group))
            .map(|(_, v)| *v)
    };
    match served_by {
        Some(right) => d.error(
            version_node,
            "apiVersion",
            format!("kind {kind} is not served by {version}; use apiVersion: {right}"),
        ),
        None => d.unsupported(
            kind_node,
            "",
            format!("kind {kind} ({version}) is not supported by berth; ignored"),
        ),
    }
}
