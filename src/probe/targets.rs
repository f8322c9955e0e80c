//! The containers to probe, read from observed pods: the probes come from
//! the last applied spec on the infra container (what runs, not what the
//! files say now), the pod's IP from the infra container.

use std::net::IpAddr;

use serde::Deserialize;

use crate::engine::ContainerState;
use crate::manifest::{ContainerPort, Probe, ProbeHandler, ProbePort};
use crate::observed::ObservedPod;

/// One running container with at least one probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub project: String,
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub id: String,
    /// When this run of the container started: a restart starts its
    /// probes afresh, as the kubelet's do for a new container.
    pub started_at: String,
    pub pod_ip: Option<IpAddr>,
    pub liveness: Option<Probe>,
    pub readiness: Option<Probe>,
    pub startup: Option<Probe>,
}

/// The part of a last-applied container the prober reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probed {
    name: String,
    #[serde(default)]
    ports: Vec<ContainerPort>,
    #[serde(default)]
    liveness_probe: Option<Probe>,
    #[serde(default)]
    readiness_probe: Option<Probe>,
    #[serde(default)]
    startup_probe: Option<Probe>,
}

/// The probed containers of `pod` that run now.
pub fn targets(pod: &ObservedPod) -> Vec<Target> {
    let pod_ip = pod
        .infra
        .as_ref()
        .and_then(|i| i.details.as_ref())
        .and_then(|d| d.ips.values().find(|ip| !ip.is_empty()))
        .and_then(|ip| ip.parse().ok());
    declared(pod)
        .into_iter()
        .filter(|c| {
            c.liveness_probe.is_some() || c.readiness_probe.is_some() || c.startup_probe.is_some()
        })
        .filter_map(|c| {
            let observed = pod.containers.get(&c.name)?;
            if observed.summary.state != ContainerState::Running {
                return None;
            }
            let resolve = |p: Option<Probe>| p.map(|p| with_port_numbers(p, &c.ports));
            Some(Target {
                project: pod.project.clone(),
                namespace: pod.namespace.clone(),
                pod: pod.name.clone(),
                container: c.name.clone(),
                id: observed.summary.id.clone(),
                started_at: observed
                    .details
                    .as_ref()
                    .map(|d| d.started_at.clone())
                    .unwrap_or_default(),
                pod_ip,
                liveness: resolve(c.liveness_probe),
                readiness: resolve(c.readiness_probe),
                startup: resolve(c.startup_probe),
            })
        })
        .collect()
}

/// Whether container `name` of `pod` declares a readiness or a startup
/// probe: its readiness then waits for the prober.
pub fn gates_readiness(pod: &ObservedPod, name: &str) -> bool {
    declared(pod)
        .iter()
        .any(|c| c.name == name && (c.readiness_probe.is_some() || c.startup_probe.is_some()))
}

fn declared(pod: &ObservedPod) -> Vec<Probed> {
    let Some(text) = pod.last_applied.as_deref() else {
        return Vec::new();
    };
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let spec = match value.get_mut("spec") {
        Some(spec) if spec.is_object() => spec.take(),
        _ => value,
    };
    let Some(containers) = spec.get("containers").and_then(|c| c.as_array()) else {
        return Vec::new();
    };
    containers
        .iter()
        .filter_map(|c| Probed::deserialize(c).ok())
        .collect()
}

/// Port names resolved against the container's ports (the spec keeps
/// them as written).
fn with_port_numbers(mut probe: Probe, ports: &[ContainerPort]) -> Probe {
    let number = |port: &ProbePort| match port {
        ProbePort::Number(n) => *n,
        ProbePort::Name(name) => ports
            .iter()
            .find(|p| p.name.as_deref() == Some(name))
            .map_or(0, |p| p.container_port),
    };
    match &mut probe.handler {
        ProbeHandler::HttpGet(get) => get.port_number = number(&get.port),
        ProbeHandler::TcpSocket { port, port_number } => *port_number = number(port),
        ProbeHandler::Exec { .. } => {}
    }
    probe
}
