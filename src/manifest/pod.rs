//! Pod specs: containers, volumes, restart policy, scheduling fields, with
//! Kubernetes' defaults and validation.

use std::collections::HashMap;

use super::container::{container, HostPortUse, Kind, PodVolumes};
use super::decode::{index, join, Decoder};
use super::meta::label_map;
use super::model::{
    EmptyDirSource, HostPathSource, PodSpec, RestartPolicy, Volume, VolumeSource,
    DEFAULT_GRACE_SECONDS,
};
use super::schema::{EMPTY_DIR, HOST_PATH, POD_SPEC, VOLUME};
use super::security::{self, PodSecurity};
use super::volume_sources;
use crate::names;
use crate::quantity::Quantity;
use crate::yaml::{Node, Value};

/// Decodes `spec` of a pod (or of a pod template) at `path`.
pub fn pod_spec(d: &mut Decoder, node: &Node, path: &str) -> Option<PodSpec> {
    let fields = d.mapping(node, path, &POD_SPEC, &[])?;
    let pod_security = security::pod_security(d, &fields, path);
    let (volumes, pod_volumes) = match fields.get("volumes") {
        Some(n) => volumes(d, n, &join(path, "volumes")),
        None => (Vec::new(), PodVolumes::default()),
    };
    let containers = match fields.get("containers") {
        Some(n) => containers(
            d,
            n,
            &join(path, "containers"),
            (&pod_volumes, &pod_security),
        ),
        None => {
            d.required(node, &join(path, "containers"));
            None
        }
    };
    let init_containers = fields
        .get("initContainers")
        .map(|n| {
            let app = fields.get("containers");
            init_containers(d, n, (path, app), (&pod_volumes, &pod_security))
        })
        .unwrap_or_default();
    let restart_policy = fields
        .get("restartPolicy")
        .and_then(|n| restart_policy(d, n, &join(path, "restartPolicy")));
    // Kubernetes accepts a negative grace period and stores it as 1 second
    // (the API server's pod strategy, kubernetes/kubernetes#115606).
    let grace = fields
        .get("terminationGracePeriodSeconds")
        .and_then(|n| d.int(n, &join(path, "terminationGracePeriodSeconds")))
        .map(|g| if g < 0 { 1 } else { g });
    let node_selector = fields
        .get("nodeSelector")
        .map(|n| label_map(d, n, &join(path, "nodeSelector")))
        .unwrap_or_default();
    let node_name = fields.get("nodeName").and_then(|n| {
        let p = join(path, "nodeName");
        // An empty nodeName leaves the pod to the scheduler, as in Kubernetes.
        let name = d.string(n, &p).filter(|name| !name.is_empty())?;
        if let Err(message) = names::dns1123_subdomain(&name) {
            d.error(n, &p, format!("invalid node name {name:?}: {message}"));
        }
        Some(name)
    });
    Some(PodSpec {
        containers: containers?,
        init_containers,
        volumes,
        restart_policy: restart_policy.unwrap_or_default(),
        termination_grace_period_seconds: grace.unwrap_or(DEFAULT_GRACE_SECONDS),
        node_selector,
        node_name,
    })
}

fn restart_policy(d: &mut Decoder, node: &Node, path: &str) -> Option<RestartPolicy> {
    match d.string(node, path)?.as_str() {
        // Kubernetes defaults an empty policy to Always.
        "" | "Always" => Some(RestartPolicy::Always),
        "OnFailure" => Some(RestartPolicy::OnFailure),
        "Never" => Some(RestartPolicy::Never),
        other => {
            d.error(node, path, format!("unsupported value {other:?}: supported values: \"Always\", \"OnFailure\", \"Never\""));
            None
        }
    }
}

fn containers(
    d: &mut Decoder,
    node: &Node,
    path: &str,
    (volumes, pod): (&PodVolumes, &PodSecurity),
) -> Option<Vec<super::model::Container>> {
    let items = d.seq(node, path);
    if items.is_empty() {
        if matches!(node.value, Value::Seq(_)) {
            d.error(node, path, "a pod needs at least one container");
        }
        return None;
    }
    let mut out = Vec::new();
    let mut host_ports: Vec<HostPortUse> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let item_path = index(path, i);
        let name = item.get("name").and_then(|n| n.text().map(|t| (n, t)));
        if let Some((name_node, name)) = name.filter(|(_, t)| !t.is_empty()) {
            if let Some(first) = seen.insert(name.to_string(), i) {
                let message = format!(
                    "duplicate container name {name:?} (also {})",
                    index(path, first)
                );
                d.error(name_node, &join(&item_path, "name"), message);
            }
        }
        let Some(mut c) = container(d, item, &item_path, (volumes, Kind::App), &mut host_ports)
        else {
            continue;
        };
        c.security = security::container_security(d, item.get("securityContext"), &item_path, pod);
        out.push(c);
    }
    duplicate_container_ports(d, items, path);
    for (i, a) in host_ports.iter().enumerate() {
        if let Some(b) = host_ports[..i]
            .iter()
            .find(|b| (b.port, b.protocol, &b.host_ip) == (a.port, a.protocol, &a.host_ip))
        {
            let message = format!(
                "duplicate hostPort {}/{} (also {})",
                a.port,
                a.protocol.docker(),
                b.path
            );
            d.error(a.node, &join(&a.path, "hostPort"), message);
        }
    }
    Some(out)
}

/// `spec.initContainers` (at `path`, beside the app containers of
/// `containers`): names unique across both lists, as the API server checks
/// them; their host ports are not published (warned).
fn init_containers(
    d: &mut Decoder,
    node: &Node,
    (spec_path, containers): (&str, Option<&Node>),
    (volumes, pod): (&PodVolumes, &PodSecurity),
) -> Vec<super::model::Container> {
    let path = &join(spec_path, "initContainers");
    let mut seen: HashMap<String, String> = HashMap::new();
    let app_items: &[Node] = match containers.map(|n| &n.value) {
        Some(Value::Seq(items)) => items,
        _ => &[],
    };
    for (i, item) in app_items.iter().enumerate() {
        if let Some(name) = item.get("name").and_then(Node::text) {
            let at = index(&join(spec_path, "containers"), i);
            seen.entry(name.to_string()).or_insert(at);
        }
    }
    let mut out = Vec::new();
    for (i, item) in d.seq(node, path).iter().enumerate() {
        let item_path = index(path, i);
        let name = item.get("name").and_then(|n| n.text().map(|t| (n, t)));
        if let Some((name_node, name)) = name.filter(|(_, t)| !t.is_empty()) {
            match seen.get(name) {
                Some(first) => {
                    let message = format!("duplicate container name {name:?} (also {first})");
                    d.error(name_node, &join(&item_path, "name"), message);
                }
                None => {
                    seen.insert(name.to_string(), item_path.clone());
                }
            }
        }
        let mut host_ports: Vec<HostPortUse> = Vec::new();
        let Some(mut c) = container(d, item, &item_path, (volumes, Kind::Init), &mut host_ports)
        else {
            continue;
        };
        c.security = security::container_security(d, item.get("securityContext"), &item_path, pod);
        for used in &host_ports {
            let message = "hostPort of an init container is not published by berth; ignored";
            d.unsupported(used.node, &join(&used.path, "hostPort"), message);
        }
        out.push(c);
    }
    out
}

/// The same containerPort and protocol declared twice in a pod: the
/// containers share one network namespace, so Kubernetes warns
/// ("duplicate port definition"), and so does berth.
fn duplicate_container_ports(d: &mut Decoder, containers: &[Node], path: &str) {
    let mut seen: HashMap<(i64, String), String> = HashMap::new();
    for (i, container) in containers.iter().enumerate() {
        let Some(Value::Seq(ports)) = container.get("ports").map(|p| &p.value) else {
            continue;
        };
        for (j, port) in ports.iter().enumerate() {
            let Some(number) = port.get("containerPort").and_then(|n| match n.resolve() {
                Some(crate::yaml::Resolved::Int(p)) => Some(p),
                _ => None,
            }) else {
                continue;
            };
            let protocol = port
                .get("protocol")
                .and_then(Node::text)
                .filter(|p| !p.is_empty())
                .unwrap_or("TCP")
                .to_string();
            let here = index(&join(&index(path, i), "ports"), j);
            match seen.get(&(number, protocol.clone())) {
                Some(first) => {
                    let message = format!("duplicate port definition with {first}");
                    d.warning(port, &here, message);
                }
                None => {
                    seen.insert((number, protocol), here);
                }
            }
        }
    }
}

fn volumes(d: &mut Decoder, node: &Node, path: &str) -> (Vec<Volume>, PodVolumes) {
    let mut out = Vec::new();
    let mut names_seen = PodVolumes::default();
    let mut first_at: HashMap<String, usize> = HashMap::new();
    for (i, item) in d.seq(node, path).iter().enumerate() {
        let item_path = index(path, i);
        let Some((name, source)) = volume(d, item, &item_path) else {
            continue;
        };
        if let Some(first) = first_at.insert(name.clone(), i) {
            let at = item.get("name").unwrap_or(item);
            d.error(
                at,
                &join(&item_path, "name"),
                format!(
                    "duplicate volume name {name:?} (also {})",
                    index(path, first)
                ),
            );
        }
        match source {
            Some(source) => {
                if matches!(source, VolumeSource::EmptyDir(_)) {
                    names_seen.empty_dirs.insert(name.clone());
                }
                names_seen.supported.insert(name.clone());
                out.push(Volume {
                    name,
                    source,
                    files: Vec::new(),
                });
            }
            None => {
                names_seen.unsupported.insert(name);
            }
        }
    }
    (out, names_seen)
}

/// One volume: its name and its source (`None` when the source is one berth
/// does not implement, already reported). No source at all means emptyDir,
/// as Kubernetes defaults it.
fn volume(d: &mut Decoder, node: &Node, path: &str) -> Option<(String, Option<VolumeSource>)> {
    let Some(entries) = node.entries() else {
        d.expected(node, path, "mapping");
        return None;
    };
    let mut name = None;
    let mut sources: Vec<(&str, &Node, &Node)> = Vec::new();
    for (key, value) in entries {
        let Some(field) = key.text() else { continue };
        let field_path = join(path, field);
        match field {
            "name" => name = d.string(value, &field_path).map(|n| (n, value)),
            _ if VOLUME.is_implemented(field) || VOLUME.is_known(field) => {
                if !value.is_null() {
                    sources.push((field, key, value))
                }
            }
            _ => {
                let message = match VOLUME.suggest(field) {
                    Some(near) => format!("unknown field {field:?} (did you mean {near:?}?)"),
                    None => format!("unknown field {field:?}"),
                };
                d.error(key, &field_path, message);
            }
        }
    }
    let Some((name, name_node)) = name else {
        d.required(node, &join(path, "name"));
        return None;
    };
    if let Err(message) = names::dns1123_label(&name) {
        d.error(
            name_node,
            &join(path, "name"),
            format!("invalid volume name {name:?}: {message}"),
        );
    }
    if sources.len() > 1 {
        let (_, key, _) = sources[1];
        d.error(
            key,
            path,
            format!(
                "may not specify more than 1 volume type (found {})",
                sources.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
            ),
        );
        return None;
    }
    let source = match sources.first() {
        None => Some(VolumeSource::EmptyDir(EmptyDirSource {
            medium: String::new(),
            size_limit: None,
        })),
        Some(("emptyDir", _, value)) => {
            empty_dir(d, value, &join(path, "emptyDir")).map(VolumeSource::EmptyDir)
        }
        Some(("hostPath", _, value)) => {
            host_path(d, value, &join(path, "hostPath")).map(VolumeSource::HostPath)
        }
        Some(("configMap", _, value)) => {
            volume_sources::config_map(d, value, &join(path, "configMap"))
                .map(VolumeSource::ConfigMap)
        }
        Some(("secret", _, value)) => {
            volume_sources::secret(d, value, &join(path, "secret")).map(VolumeSource::Secret)
        }
        Some(("downwardAPI", _, value)) => {
            volume_sources::downward_api(d, value, &join(path, "downwardAPI"))
                .map(VolumeSource::DownwardApi)
        }
        Some(("projected", _, value)) => {
            volume_sources::projected(d, value, &join(path, "projected"))
                .map(VolumeSource::Projected)
        }
        Some((field, key, _)) => {
            d.unsupported(
                key,
                &join(path, field),
                format!("{field} volumes are not supported by berth; ignored"),
            );
            None
        }
    };
    Some((name, source))
}

fn empty_dir(d: &mut Decoder, node: &Node, path: &str) -> Option<EmptyDirSource> {
    let fields = d.mapping(node, path, &EMPTY_DIR, &[])?;
    let medium = fields.get("medium").and_then(|n| {
        let p = join(path, "medium");
        let medium = d.string(n, &p)?;
        match medium.as_str() {
            "" => {}
            "Memory" => d.unsupported(
                n,
                &p,
                "medium Memory (tmpfs) is not supported by berth; a disk-backed volume is used",
            ),
            huge if huge == "HugePages"
                || huge
                    .strip_prefix("HugePages-")
                    .is_some_and(|size| Quantity::parse(size).is_ok()) =>
            {
                let message = format!(
                    "medium {huge} is not supported by berth; a disk-backed volume is used"
                );
                d.unsupported(n, &p, message)
            }
            other => d.error(
                n,
                &p,
                format!(
                    "unsupported value {other:?}: supported values: \"\", \"Memory\", \"HugePages\", \"HugePages-<size>\""
                ),
            ),
        }
        Some(medium)
    });
    let size_limit = fields.get("sizeLimit").and_then(|n| {
        let p = join(path, "sizeLimit");
        let text = d.quantity_text(n, &p)?;
        match Quantity::parse(&text) {
            Ok(q) if q.milli() < 0 => d.error(n, &p, "must be greater than or equal to 0"),
            Ok(_) => {
                let message = "not enforced by berth (Docker volumes have no size limit); ignored";
                d.unsupported(n, &p, message);
            }
            Err(message) => d.error(n, &p, message),
        }
        Some(text)
    });
    Some(EmptyDirSource {
        medium: medium.unwrap_or_default(),
        size_limit,
    })
}

const HOST_PATH_TYPES: &[&str] = &[
    "",
    "DirectoryOrCreate",
    "Directory",
    "FileOrCreate",
    "File",
    "Socket",
    "CharDevice",
    "BlockDevice",
];

fn host_path(d: &mut Decoder, node: &Node, path: &str) -> Option<HostPathSource> {
    let fields = d.mapping(node, path, &HOST_PATH, &[])?;
    let host = match fields.get("path") {
        Some(n) => {
            let p = join(path, "path");
            let host = d.string(n, &p)?;
            if host.is_empty() {
                d.error(n, &p, "required field is empty");
            } else if !host.starts_with('/') {
                // Kubernetes leaves this to the node; Docker refuses a
                // relative bind source, so say it now, not at apply.
                let message = format!("must be an absolute path (found {host:?})");
                d.error(n, &p, message);
            } else if host.split('/').any(|part| part == "..") {
                d.error(n, &p, "must not contain '..'");
            } else {
                security::check_host_path(d, n, &p, &host);
            }
            host
        }
        None => {
            d.required(node, &join(path, "path"));
            return None;
        }
    };
    let kind = fields
        .get("type")
        .and_then(|n| {
            let p = join(path, "type");
            let kind = d.string(n, &p)?;
            if !HOST_PATH_TYPES.contains(&kind.as_str()) {
                let supported: Vec<String> =
                    HOST_PATH_TYPES.iter().map(|t| format!("{t:?}")).collect();
                let supported = supported.join(", ");
                d.error(
                    n,
                    &p,
                    format!("unsupported value {kind:?}: supported values: {supported}"),
                );
            }
            Some(kind)
        })
        .unwrap_or_default();
    Some(HostPathSource { path: host, kind })
}
