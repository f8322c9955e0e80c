//! One container of a pod spec: decoding, Kubernetes defaults and validation
//! (ports, env, volume mounts; resources live in `resources.rs`).

use std::collections::{HashMap, HashSet};

use super::decode::{index, join, Decoder};
use super::env_source::{env_from, value_from};
use super::model::{Container, ContainerPort, EnvVar, Protocol, PullPolicy, VolumeMount};
use super::probe::probe;
use super::probe_model::ProbeKind;
use super::resources::resources;
use super::schema::{
    CONTAINER, CONTAINER_PORT, ENV_VAR, INIT_CONTAINER, INIT_CONTAINER_FORBIDDEN, VOLUME_MOUNT,
};
use crate::names;
use crate::yaml::Node;

/// The pod's volumes as the containers see them.
#[derive(Debug, Default)]
pub struct PodVolumes {
    pub supported: HashSet<String>,
    /// Declared with a source berth does not implement (already reported).
    pub unsupported: HashSet<String>,
    /// The emptyDir volumes among `supported` (berth mounts them whole).
    pub empty_dirs: HashSet<String>,
}

/// A host port a container publishes, for the pod-wide uniqueness check.
pub struct HostPortUse<'n> {
    pub port: u16,
    pub protocol: Protocol,
    pub host_ip: String,
    pub node: &'n Node,
    pub path: String,
}

/// Which list a container is in: init containers refuse some fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    App,
    Init,
}

pub fn container<'n>(
    d: &mut Decoder,
    node: &'n Node,
    path: &str,
    (volumes, kind): (&PodVolumes, Kind),
    host_ports: &mut Vec<HostPortUse<'n>>,
) -> Option<Container> {
    let fields = match kind {
        Kind::App => d.mapping(node, path, &CONTAINER, &[])?,
        Kind::Init => d.mapping(node, path, &INIT_CONTAINER, INIT_CONTAINER_FORBIDDEN)?,
    };
    let name = required_string(d, &fields, "name", path);
    if let (Some(name), Some(name_node)) = (&name, fields.get("name")) {
        if let Err(message) = names::dns1123_label(name) {
            d.error(
                name_node,
                &join(path, "name"),
                format!("invalid container name {name:?}: {message}"),
            );
        }
    }
    let image = required_string(d, &fields, "image", path);
    if let (Some(image), Some(image_node)) = (&image, fields.get("image")) {
        if image.trim().is_empty() {
            d.error(image_node, &join(path, "image"), "required field is empty");
        } else if image.trim() != image {
            d.error(
                image_node,
                &join(path, "image"),
                "must not have leading or trailing whitespace",
            );
        } else if let Err(message) = names::image_reference(image) {
            // Kubernetes stores it; the kubelet then reports InvalidImageName.
            let message = format!("{message}: Docker cannot create this container");
            d.warning(image_node, &join(path, "image"), message);
        }
    }
    let field = |name: &str| fields.get(name).map(|n| (n, join(path, name)));
    let command = field("command")
        .map(|(n, p)| d.string_list(n, &p))
        .unwrap_or_default();
    let args = field("args")
        .map(|(n, p)| d.string_list(n, &p))
        .unwrap_or_default();
    let working_dir = field("workingDir").and_then(|(n, p)| {
        let dir = d.string(n, &p)?;
        // Kubernetes leaves this to the runtime; Docker refuses a relative
        // working directory, so say it now, not at apply.
        if !dir.is_empty() && !dir.starts_with('/') {
            d.error(n, &p, format!("must be an absolute path (found {dir:?})"));
        }
        Some(dir).filter(|dir| !dir.is_empty())
    });
    let ports = field("ports")
        .map(|(n, p)| ports(d, n, &p, host_ports))
        .unwrap_or_default();
    let env = field("env").map(|(n, p)| env(d, n, &p)).unwrap_or_default();
    let env_from = field("envFrom")
        .map(|(n, p)| env_from(d, n, &p))
        .unwrap_or_default();
    let resources = field("resources")
        .map(|(n, p)| resources(d, n, &p))
        .unwrap_or_default();
    let volume_mounts = field("volumeMounts")
        .map(|(n, p)| mounts(d, n, &p, volumes))
        .unwrap_or_default();
    let pull = field("imagePullPolicy").and_then(|(n, p)| pull_policy(d, n, &p));
    let mut probes = [
        ProbeKind::Liveness,
        ProbeKind::Readiness,
        ProbeKind::Startup,
    ]
    .map(|probe_kind| match kind {
        // An init container's probes are refused above, not decoded.
        Kind::Init => None,
        Kind::App => {
            field(probe_kind.field()).and_then(|(n, p)| probe(d, n, &p, probe_kind, &ports))
        }
    });
    let (name, image) = (name?, image?);
    let image_pull_policy = pull.unwrap_or_else(|| default_pull_policy(&image));
    Some(Container {
        name,
        image,
        command,
        args,
        env_from,
        env,
        ports,
        resources,
        volume_mounts,
        working_dir,
        image_pull_policy,
        liveness_probe: probes[0].take(),
        readiness_probe: probes[1].take(),
        startup_probe: probes[2].take(),
        resolved_env: Vec::new(),
        // Merged with the pod's by the caller.
        security: Default::default(),
    })
}

/// Kubernetes' default: `Always` when the tag is `latest` or there is
/// neither tag nor digest; `IfNotPresent` otherwise, so a digest alone
/// (`busybox@sha256:…`) means IfNotPresent.
fn default_pull_policy(image: &str) -> PullPolicy {
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once('@') {
        Some((name, _)) if !name.contains(':') => PullPolicy::IfNotPresent,
        _ => PullPolicy::default_for(image),
    }
}

fn required_string(
    d: &mut Decoder,
    fields: &super::decode::Fields,
    name: &str,
    path: &str,
) -> Option<String> {
    match fields.get(name) {
        Some(node) => d.string(node, &join(path, name)),
        None => {
            d.required(fields.node, &join(path, name));
            None
        }
    }
}

fn pull_policy(d: &mut Decoder, node: &Node, path: &str) -> Option<PullPolicy> {
    match d.string(node, path)?.as_str() {
        // Kubernetes defaults an empty policy from the image's tag.
        "" => None,
        "Always" => Some(PullPolicy::Always),
        "IfNotPresent" => Some(PullPolicy::IfNotPresent),
        "Never" => Some(PullPolicy::Never),
        other => {
            d.error(node, path, format!("unsupported value {other:?}: supported values: \"Always\", \"IfNotPresent\", \"Never\""));
            None
        }
    }
}

pub fn protocol(d: &mut Decoder, node: Option<&Node>, path: &str) -> Protocol {
    let Some(node) = node else {
        return Protocol::Tcp;
    };
    match d.string(node, path).as_deref() {
        // Kubernetes defaults an empty protocol to TCP.
        Some("TCP" | "") | None => Protocol::Tcp,
        Some("UDP") => Protocol::Udp,
        Some("SCTP") => Protocol::Sctp,
        Some(other) => {
            d.error(
                node,
                path,
                format!(
                    "unsupported value {other:?}: supported values: \"TCP\", \"UDP\", \"SCTP\""
                ),
            );
            Protocol::Tcp
        }
    }
}

fn ports<'n>(
    d: &mut Decoder,
    node: &'n Node,
    path: &str,
    host_ports: &mut Vec<HostPortUse<'n>>,
) -> Vec<ContainerPort> {
    let mut out = Vec::new();
    let mut names_seen: HashMap<String, usize> = HashMap::new();
    for (i, item) in d.seq(node, path).iter().enumerate() {
        let item_path = index(path, i);
        let name = item.get("name").and_then(|n| n.text().map(|t| (n, t)));
        if let Some((name_node, name)) = name.filter(|(_, t)| !t.is_empty()) {
            if let Some(first) = names_seen.insert(name.to_string(), i) {
                let message = format!("duplicate port name {name:?} (also {})", index(path, first));
                d.error(name_node, &join(&item_path, "name"), message);
            }
        }
        let Some(port) = container_port(d, item, &item_path) else {
            continue;
        };
        if let Some(host_port) = port.host_port {
            host_ports.push(HostPortUse {
                port: host_port,
                protocol: port.protocol,
                host_ip: port.host_ip.clone().unwrap_or_default(),
                node: item,
                path: item_path,
            });
        }
        out.push(port);
    }
    out
}

/// One `ports[i]` entry; `None` when its containerPort is missing or wrong.
fn container_port(d: &mut Decoder, item: &Node, path: &str) -> Option<ContainerPort> {
    let fields = d.mapping(item, path, &CONTAINER_PORT, &[])?;
    let container_port = match fields.get("containerPort") {
        Some(n) => d.int_in(n, &join(path, "containerPort"), 1, 65535),
        None => {
            d.required(item, &join(path, "containerPort"));
            None
        }
    };
    // hostPort 0 means none, as in Kubernetes.
    let host_port = fields.get("hostPort").and_then(|n| {
        let p = join(path, "hostPort");
        match d.int(n, &p)? {
            0 => None,
            port if (1..=65535).contains(&port) => Some(port as u16),
            port => {
                let message = format!("must be between 1 and 65535, inclusive (found {port})");
                d.error(n, &p, message);
                None
            }
        }
    });
    let protocol = protocol(d, fields.get("protocol"), &join(path, "protocol"));
    let host_ip = fields.get("hostIP").and_then(|n| {
        let p = join(path, "hostIP");
        let ip = d.string(n, &p).filter(|ip| !ip.is_empty())?;
        if ip.parse::<std::net::IpAddr>().is_err() {
            d.error(n, &p, format!("invalid IP address {ip:?}"));
        }
        Some(ip)
    });
    let name = port_name(d, fields.get("name"), path, names::port_name);
    Some(ContainerPort {
        name,
        container_port: container_port? as u16,
        host_port,
        host_ip,
        protocol,
    })
}

/// A port's optional `name` checked by `rule` (an empty name is no name, as
/// in Kubernetes).
pub fn port_name(
    d: &mut Decoder,
    node: Option<&Node>,
    path: &str,
    rule: fn(&str) -> Result<(), String>,
) -> Option<String> {
    let node = node?;
    let p = join(path, "name");
    let name = d.string(node, &p).filter(|name| !name.is_empty())?;
    if let Err(message) = rule(&name) {
        d.error(node, &p, format!("invalid port name {name:?}: {message}"));
    }
    Some(name)
}

fn env(d: &mut Decoder, node: &Node, path: &str) -> Vec<EnvVar> {
    let mut out = Vec::new();
    for (i, item) in d.seq(node, path).iter().enumerate() {
        let item_path = index(path, i);
        let Some(fields) = d.mapping(item, &item_path, &ENV_VAR, &[]) else {
            continue;
        };
        let name = required_string(d, &fields, "name", &item_path);
        if let Some(Err(message)) = name.as_deref().map(names::env_var_name) {
            let name_node = fields.get("name").unwrap_or(item);
            let name = name.as_deref().unwrap_or_default();
            d.error(
                name_node,
                &join(&item_path, "name"),
                format!("invalid environment variable name {name:?}: {message}"),
            );
        }
        // The value is checked even when the name is wrong: every error at once.
        let value = fields
            .get("value")
            .and_then(|n| d.string(n, &join(&item_path, "value")));
        let Some(name) = name else {
            continue;
        };
        let from_elsewhere = item.get("valueFrom").is_some_and(|n| !n.is_null());
        if from_elsewhere && value.as_deref().is_some_and(|v| !v.is_empty()) {
            let at = fields.get("value").unwrap_or(item);
            let message = "may not be specified together with valueFrom";
            d.error(at, &join(&item_path, "value"), message);
        }
        let value_from = match fields.get("valueFrom") {
            Some(n) => match value_from(d, n, &join(&item_path, "valueFrom")) {
                Some(source) => Some(source),
                // Wrong (reported) or not supported (warned): not set.
                None => continue,
            },
            None => None,
        };
        out.push(EnvVar {
            name,
            value: value.unwrap_or_default(),
            value_from,
        });
    }
    out
}

fn mounts(d: &mut Decoder, node: &Node, path: &str, volumes: &PodVolumes) -> Vec<VolumeMount> {
    let mut out = Vec::new();
    let mut mount_paths: HashMap<String, usize> = HashMap::new();
    for (i, item) in d.seq(node, path).iter().enumerate() {
        let item_path = index(path, i);
        let Some(mount) = mount(d, item, &item_path) else {
            continue;
        };
        if let Some(path_node) = item.get("mountPath") {
            if let Some(first) = mount_paths.insert(mount.mount_path.clone(), i) {
                let message = format!(
                    "must be unique: {:?} is also mounted by {}",
                    mount.mount_path,
                    index(path, first)
                );
                d.error(path_node, &join(&item_path, "mountPath"), message);
            }
        }
        let name_node = item.get("name").unwrap_or(item);
        let name_path = join(&item_path, "name");
        let name = &mount.name;
        if volumes.unsupported.contains(name) {
            let message = format!(
                "volume {name:?} has a source berth does not support; this mount is ignored"
            );
            d.unsupported(name_node, &name_path, message);
            continue;
        }
        if !volumes.supported.contains(name) {
            let message = format!("volume {name:?} not found: must name a volume in spec.volumes");
            d.error(name_node, &name_path, message);
        }
        if let (Some(sub_node), true) = (item.get("subPath"), volumes.empty_dirs.contains(name)) {
            if mount.sub_path.is_some() {
                let message = "subPath of an emptyDir volume is not supported by berth; \
                               the whole volume is mounted";
                d.unsupported(sub_node, &join(&item_path, "subPath"), message);
            }
        }
        out.push(mount);
    }
    out
}

/// One `volumeMounts[i]` entry, its paths checked.
fn mount(d: &mut Decoder, item: &Node, path: &str) -> Option<VolumeMount> {
    let fields = d.mapping(item, path, &VOLUME_MOUNT, &[])?;
    let name = required_string(d, &fields, "name", path);
    let mount_path = required_string(d, &fields, "mountPath", path);
    let read_only = fields
        .get("readOnly")
        .and_then(|n| d.bool(n, &join(path, "readOnly")))
        .unwrap_or(false);
    let sub_path = fields.get("subPath").and_then(|n| {
        let p = join(path, "subPath");
        let sub = d.string(n, &p)?;
        if sub.starts_with('/') || sub.split('/').any(|part| part == "..") {
            d.error(n, &p, "must be a relative path without '..'");
        }
        Some(sub).filter(|s| !s.is_empty())
    });
    if let (Some(mount_path), Some(path_node)) = (&mount_path, fields.get("mountPath")) {
        if !mount_path.starts_with('/') {
            let message = format!("must be an absolute path (found {mount_path:?})");
            d.error(path_node, &join(path, "mountPath"), message);
        }
    }
    Some(VolumeMount {
        name: name?,
        mount_path: mount_path?,
        read_only,
        sub_path,
    })
}
