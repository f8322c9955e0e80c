//! Which nodes there are: Node manifests, `--machines`, or the implicit
//! `local`.

use std::path::PathBuf;

use crate::manifest::{Labels, Manifests};
use crate::schedule;

/// The annotation naming a directory of `ca.pem`, `cert.pem` and `key.pem`
/// (as `DOCKER_CERT_PATH`) for a TLS endpoint.
pub const CERT_PATH_ANNOTATION: &str = "berth.io/docker-cert-path";

/// One node as declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    pub name: String,
    /// `unix:///path`, `tcp://host:port`; `None`: never contacted.
    pub endpoint: Option<String>,
    /// TLS client certificates for `endpoint`.
    pub cert_path: Option<PathBuf>,
    /// The Node manifest's labels.
    pub labels: Labels,
    /// Cpu (millicores) and memory (bytes) the manifest declares.
    pub cpu_milli: Option<i64>,
    pub memory_bytes: Option<i64>,
    /// Declared by a manifest or `--machines`, not the implicit `local`.
    pub declared: bool,
}

impl NodeSpec {
    fn new(name: &str) -> NodeSpec {
        NodeSpec {
            name: name.to_string(),
            endpoint: None,
            cert_path: None,
            labels: Labels::new(),
            cpu_milli: None,
            memory_bytes: None,
            declared: true,
        }
    }

    /// The endpoint as shown: `unix:///var/run/docker.sock`, `-` for none.
    pub fn endpoint_text(&self) -> String {
        match (&self.endpoint, &self.cert_path) {
            (Some(e), Some(_)) => format!("{e} (TLS)"),
            (Some(e), None) => e.clone(),
            (None, _) => "-".to_string(),
        }
    }
}

/// The nodes of a project: every Node manifest and every `--machines`
/// endpoint (a machine named like a Node manifest gives that node its
/// endpoint when the manifest has none), sorted by name; with none, the
/// implicit `local` at `default_endpoint`. A Node manifest named `local`
/// without an endpoint is that implicit node, labelled.
pub fn declared(
    manifests: &Manifests,
    machines: &[String],
    default_endpoint: &str,
) -> Vec<NodeSpec> {
    let mut nodes: Vec<NodeSpec> = Vec::new();
    for n in &manifests.nodes {
        let mut spec = NodeSpec::new(&n.meta.name);
        spec.labels = n.meta.labels.clone();
        spec.endpoint = n.docker_host.clone().filter(|h| !h.is_empty());
        spec.cert_path = n
            .meta
            .annotations
            .get(CERT_PATH_ANNOTATION)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from);
        let (cpu, memory) = schedule::declared_capacity(manifests, &n.meta.name);
        spec.cpu_milli = cpu;
        spec.memory_bytes = memory;
        if spec.name == "local" && spec.endpoint.is_none() {
            spec.endpoint = Some(default_endpoint.to_string());
        }
        nodes.push(spec);
    }
    for endpoint in machines {
        let endpoint = endpoint.trim();
        if endpoint.is_empty() {
            continue;
        }
        let name = machine_name(endpoint);
        match nodes.iter_mut().find(|n| n.name == name) {
            Some(n) if n.endpoint.is_none() => n.endpoint = Some(endpoint.to_string()),
            Some(_) => {}
            None => {
                let mut spec = NodeSpec::new(&name);
                spec.endpoint = Some(endpoint.to_string());
                nodes.push(spec);
            }
        }
    }
    if nodes.is_empty() {
        let mut local = NodeSpec::new("local");
        local.endpoint = Some(default_endpoint.to_string());
        local.declared = false;
        nodes.push(local);
    }
    nodes.sort_by(|a, b| a.name.cmp(&b.name));
    nodes
}

/// The node name of a `--machines` endpoint: its host (`tcp://10.0.0.2:2376`
/// → `10.0.0.2`); a unix socket is on this host: `local` for the default
/// socket, else `local-<directory>` after the socket's directory.
pub fn machine_name(endpoint: &str) -> String {
    let rest = endpoint
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(endpoint);
    if endpoint.starts_with("unix://") || endpoint.starts_with('/') {
        let path = std::path::Path::new(rest);
        let default = crate::engine::docker::DEFAULT_ENDPOINT.trim_start_matches("unix://");
        if path == std::path::Path::new(default) {
            return "local".to_string();
        }
        let dir = path
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        return dns_name(&format!("local-{dir}"));
    }
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    // `[::1]:2375`: the brackets hold an IPv6 address, colons and all.
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => match authority.rsplit_once(':') {
            Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
            _ => authority,
        },
    };
    dns_name(host)
}

/// Lowercase, characters outside `[a-z0-9.-]` turned into `-`, trimmed.
fn dns_name(text: &str) -> String {
    let name: String = text
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches(|c| c == '-' || c == '.').to_string();
    if name.is_empty() {
        "machine".to_string()
    } else {
        name
    }
}
