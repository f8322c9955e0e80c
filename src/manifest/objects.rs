//! Pods, replication controllers and services decoded from a document's
//! root (nodes live in `nodes.rs`), and the `Object` they become.

use std::collections::HashMap;

use super::container::{port_name, protocol};
use super::decode::{index, join, Decoder};
use super::meta::{label_map, object_meta, template_meta, NameRule};
use super::model::{
    Labels, Node, Pod, PodTemplate, Protocol, ReplicationController, RestartPolicy, Service,
    ServicePort,
};
use super::pod::pod_spec;
use super::schema::{LEGACY_FIELDS, OBJECT, POD_TEMPLATE, RC_SPEC, SERVICE_PORT, SERVICE_SPEC};
use crate::names;
use crate::yaml::{self, Resolved};

/// One decoded object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Object {
    Pod(Pod),
    Controller(ReplicationController),
    Service(Service),
    Node(Node),
    Deployment(super::apps::Deployment),
    ReplicaSet(super::apps::ReplicaSet),
    DaemonSet(super::apps::DaemonSet),
    ConfigMap(super::config_model::ConfigMap),
    Secret(super::config_model::Secret),
}

impl Object {
    /// (kind, namespace, name, source): what must be unique.
    pub fn identity(&self) -> (&'static str, &str, &str, &super::model::Source) {
        match self {
            Object::Pod(o) => ("Pod", &o.meta.namespace, &o.meta.name, &o.source),
            Object::Controller(o) => (
                "ReplicationController",
                &o.meta.namespace,
                &o.meta.name,
                &o.source,
            ),
            Object::Service(o) => ("Service", &o.meta.namespace, &o.meta.name, &o.source),
            Object::Node(o) => ("Node", &o.meta.namespace, &o.meta.name, &o.source),
            Object::Deployment(o) => ("Deployment", &o.meta.namespace, &o.meta.name, &o.source),
            Object::ReplicaSet(o) => ("ReplicaSet", &o.meta.namespace, &o.meta.name, &o.source),
            Object::DaemonSet(o) => ("DaemonSet", &o.meta.namespace, &o.meta.name, &o.source),
            Object::ConfigMap(o) => ("ConfigMap", &o.meta.namespace, &o.meta.name, &o.source),
            Object::Secret(o) => ("Secret", &o.meta.namespace, &o.meta.name, &o.source),
        }
    }
}

fn required_spec<'n>(
    d: &mut Decoder,
    root: &'n yaml::Node,
    fields: &super::decode::Fields<'n>,
) -> Option<&'n yaml::Node> {
    let spec = fields.get("spec");
    if spec.is_none() {
        d.required(root, "spec");
    }
    spec
}

pub fn pod(d: &mut Decoder, root: &yaml::Node) -> Option<Pod> {
    let fields = d.mapping(root, "", &OBJECT, LEGACY_FIELDS)?;
    let meta = object_meta(d, root, fields.get("metadata"), NameRule::Subdomain);
    let spec = required_spec(d, root, &fields).and_then(|n| pod_spec(d, n, "spec"));
    Some(Pod {
        meta: meta?,
        spec: spec?,
        source: d.source(root),
    })
}

pub fn controller(d: &mut Decoder, root: &yaml::Node) -> Option<ReplicationController> {
    let fields = d.mapping(root, "", &OBJECT, LEGACY_FIELDS)?;
    let meta = object_meta(d, root, fields.get("metadata"), NameRule::Subdomain);
    let spec_node = required_spec(d, root, &fields)?;
    let spec = d.mapping(spec_node, "spec", &RC_SPEC, &[])?;
    let replicas = match spec.get("replicas") {
        Some(n) => d
            .int_in(n, "spec.replicas", 0, i64::from(i32::MAX))
            .map(|r| r as u32),
        None => Some(1),
    };
    let template = match spec.get("template") {
        Some(n) => template(d, n),
        None => {
            d.required(spec_node, "spec.template");
            None
        }
    };
    let selector_node = spec.get("selector");
    let mut selector = match selector_node {
        Some(n) if n.get("matchLabels").is_some() || n.get("matchExpressions").is_some() => {
            let message = "a ReplicationController selector is a plain map of labels; matchLabels \
                           and matchExpressions belong to apps/v1 ReplicaSet and Deployment";
            d.error(n, "spec.selector", message);
            return None;
        }
        Some(n) => label_map(d, n, "spec.selector"),
        None => Labels::new(),
    };
    if let Some(template) = &template {
        if selector.is_empty() {
            selector = template.labels.clone();
        }
        if selector.is_empty() {
            d.error(
                selector_node.unwrap_or(spec_node),
                "spec.selector",
                "required: give spec.selector or labels in spec.template.metadata.labels",
            );
        } else if !selector_matches(&selector, &template.labels) {
            // Kubernetes reports this at the template's labels.
            let template_node = spec_node.get("template").unwrap_or(spec_node);
            let metadata = template_node.get("metadata");
            let at = metadata
                .and_then(|m| m.get("labels"))
                .or(metadata)
                .unwrap_or(template_node);
            let message = format!(
                "selector does not match template labels (spec.selector is {})",
                render_labels(&selector)
            );
            d.error(at, "spec.template.metadata.labels", message);
        }
    }
    Some(ReplicationController {
        meta: meta?,
        replicas: replicas?,
        selector,
        template: template?,
        source: d.source(root),
    })
}

fn render_labels(labels: &Labels) -> String {
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join(",")
}

fn selector_matches(selector: &Labels, labels: &Labels) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

pub(super) fn template(d: &mut Decoder, node: &yaml::Node) -> Option<PodTemplate> {
    let fields = d.mapping(node, "spec.template", &POD_TEMPLATE, &[])?;
    let (labels, annotations) = fields
        .get("metadata")
        .map(|n| template_meta(d, n, "spec.template.metadata"))
        .unwrap_or_default();
    let Some(spec_node) = fields.get("spec") else {
        d.required(node, "spec.template.spec");
        return None;
    };
    let spec = pod_spec(d, spec_node, "spec.template.spec")?;
    if spec.restart_policy != RestartPolicy::Always {
        let at = spec_node.get("restartPolicy").unwrap_or(spec_node);
        let message = format!(
            "unsupported value {:?}: a replication controller's pods must use \"Always\"",
            spec.restart_policy.as_str()
        );
        d.error(at, "spec.template.spec.restartPolicy", message);
    }
    Some(PodTemplate {
        labels,
        annotations,
        spec,
    })
}

pub fn service(d: &mut Decoder, root: &yaml::Node) -> Option<Service> {
    let fields = d.mapping(root, "", &OBJECT, LEGACY_FIELDS)?;
    let meta = object_meta(d, root, fields.get("metadata"), NameRule::Dns1035Label);
    let spec_node = required_spec(d, root, &fields)?;
    let spec = d.mapping(spec_node, "spec", &SERVICE_SPEC, &[])?;
    let selector = spec
        .get("selector")
        .map(|n| label_map(d, n, "spec.selector"))
        .unwrap_or_default();
    // Kubernetes needs no ports for a headless or an ExternalName service.
    let headless = spec_node.get("clusterIP").and_then(yaml::Node::text) == Some("None")
        || spec_node.get("type").and_then(yaml::Node::text) == Some("ExternalName");
    let ports = match spec.get("ports") {
        Some(n) => service_ports(d, n, "spec.ports"),
        None => Vec::new(),
    };
    if ports.is_empty() && !headless {
        d.error(
            spec.get("ports").unwrap_or(spec_node),
            "spec.ports",
            "required: a service needs at least one port",
        );
    }
    Some(Service {
        meta: meta?,
        selector,
        ports,
        source: d.source(root),
    })
}

fn service_ports(d: &mut Decoder, node: &yaml::Node, path: &str) -> Vec<ServicePort> {
    let items = d.seq(node, path);
    let mut out = Vec::new();
    let mut names_seen: HashMap<String, usize> = HashMap::new();
    let mut ports_seen: HashMap<(u16, Protocol), usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let item_path = index(path, i);
        let name = item.get("name").and_then(|n| n.text().map(|t| (n, t)));
        if let Some((name_node, name)) = name.filter(|(_, t)| !t.is_empty()) {
            if let Some(first) = names_seen.insert(name.to_string(), i) {
                let message = format!("duplicate port name {name:?} (also {})", index(path, first));
                d.error(name_node, &join(&item_path, "name"), message);
            }
        }
        let Some(port) = service_port(d, item, &item_path, items.len() > 1) else {
            continue;
        };
        if let Some(first) = ports_seen.insert((port.port, port.protocol), i) {
            let at = item.get("port").unwrap_or(item);
            let protocol = port.protocol.docker();
            let message = format!(
                "duplicate port {}/{protocol} (also {})",
                port.port,
                index(path, first)
            );
            d.error(at, &join(&item_path, "port"), message);
        }
        out.push(port);
    }
    out
}

/// One `ports[i]` entry of a service; a name is required when there are
/// several. The target port defaults to the port.
fn service_port(
    d: &mut Decoder,
    item: &yaml::Node,
    path: &str,
    needs_name: bool,
) -> Option<ServicePort> {
    let fields = d.mapping(item, path, &SERVICE_PORT, &[])?;
    let name = port_name(d, fields.get("name"), path, names::dns1123_label);
    if name.is_none() && needs_name {
        d.required(item, &join(path, "name"));
    }
    let protocol = protocol(d, fields.get("protocol"), &join(path, "protocol"));
    let Some(port_node) = fields.get("port") else {
        d.required(item, &join(path, "port"));
        return None;
    };
    let port = d.int_in(port_node, &join(path, "port"), 1, 65535)?;
    // Kubernetes defaults an absent, 0 or "" targetPort to the port.
    let target_port = match fields.get("targetPort") {
        Some(n) => target_port(d, n, &join(path, "targetPort"))?,
        None => String::new(),
    };
    let target_port = if target_port.is_empty() {
        port.to_string()
    } else {
        target_port
    };
    if target_port.parse::<i64>().is_ok_and(|t| t != port) {
        let message = format!(
            "port {port} differs from targetPort {target_port}: berth publishes services through \
             Docker DNS, which cannot remap ports; clients must use {target_port}"
        );
        d.warning(port_node, &join(path, "port"), message);
    }
    Some(ServicePort {
        name,
        port: port as u16,
        target_port,
        protocol,
    })
}

/// `targetPort`: a number (1–65535) or the name of a container port.
fn target_port(d: &mut Decoder, node: &yaml::Node, path: &str) -> Option<String> {
    match node.resolve() {
        Some(Resolved::Int(0)) | Some(Resolved::Str("")) => Some(String::new()),
        Some(Resolved::Int(_)) => d.int_in(node, path, 1, 65535).map(|p| p.to_string()),
        Some(Resolved::Str(name)) => {
            if let Err(message) = names::port_name(name) {
                d.error(node, path, format!("invalid targetPort {name:?}: must be a port number or a port name: {message}"));
            }
            Some(name.to_string())
        }
        _ => {
            d.expected(node, path, "port number or port name");
            None
        }
    }
}
