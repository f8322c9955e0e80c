//! Pod status: phase, container states, events — computed from what Docker
//! reports (`ObservedPod`), never stored by berth.

mod container;
mod event_log;
#[cfg(test)]
mod event_tests;
pub mod events;
#[cfg(test)]
pub(crate) mod fixtures;
mod init;
mod json;
mod last_exit;
pub mod phase;
#[cfg(test)]
mod probe_tests;
#[cfg(test)]
mod state_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod waiting_tests;

pub use events::{all_pod_events, infra_events, pod_events, Event, EventLog, EventType};
pub use init::POD_INITIALIZING;
pub use json::to_k8s_json;
pub use last_exit::apply_last_exits;
pub use phase::{pod_phase, ContainerFacts, Phase};

use crate::manifest::{PodSpec, RestartPolicy};
use crate::observed::{NodeProblem, ObservedPod};

/// The pod reason while Docker keeps restarting a container that crashes.
pub const CRASH_LOOP_BACK_OFF: &str = "CrashLoopBackOff";
/// A run shorter than this is a crash: Docker resets its restart back-off
/// only after a container has run for 10 seconds.
pub const CRASH_RUN_SECONDS: i64 = 10;
/// Docker's longest restart back-off; an exited container that should have
/// been restarted but was not for longer than this is stopped, not looping.
pub const MAX_BACK_OFF_SECONDS: i64 = 60;

/// A container's state in Kubernetes' terms (times in Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerState {
    Waiting {
        reason: String,
        message: String,
    },
    Running {
        started_at: Option<i64>,
    },
    Terminated {
        exit_code: i64,
        /// `Completed`, `Error` or `OOMKilled`.
        reason: String,
        started_at: Option<i64>,
        finished_at: Option<i64>,
    },
}

/// One entry of `status.containerStatuses`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerStatus {
    pub name: String,
    pub ready: bool,
    pub restart_count: u64,
    pub state: ContainerState,
    /// The previous termination, when the container restarted after it.
    pub last_state: Option<ContainerState>,
    pub image: String,
    /// `docker://<id>`; `None` while the container does not exist.
    pub container_id: Option<String>,
    pub started: bool,
}

/// A pod's status as Kubernetes would report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodStatus {
    pub phase: Phase,
    /// `CrashLoopBackOff`, or a reason the caller knows (`ErrImagePull`,
    /// `Unschedulable`, `NodeLost`).
    pub reason: Option<String>,
    pub message: Option<String>,
    /// Containers ready: running, and past their startup and readiness
    /// probes when they have them.
    pub ready: usize,
    pub total: usize,
    /// The sum of the containers' restart counts.
    pub restarts: u64,
    /// Unix seconds of the most recent restart, when there was one.
    pub last_restart: Option<i64>,
    pub pod_ip: Option<String>,
    /// The node's address on the pod's network (its gateway): the
    /// downward API's `status.hostIP`.
    pub host_ip: Option<String>,
    pub start_time: Option<i64>,
    /// Sorted by container name, as the kubelet sorts them.
    pub containers: Vec<ContainerStatus>,
    /// In spec order (`initContainerStatuses`).
    pub init_containers: Vec<ContainerStatus>,
    /// Why no node can take the pod (condition PodScheduled is then False).
    pub unschedulable: Option<String>,
}

impl PodStatus {
    /// A pod no node can take: Pending, not scheduled, nothing created.
    pub fn unschedulable(spec: &PodSpec, message: &str) -> PodStatus {
        PodStatus {
            phase: Phase::Pending,
            reason: None,
            message: None,
            ready: 0,
            total: spec.containers.len(),
            restarts: 0,
            last_restart: None,
            pod_ip: None,
            host_ip: None,
            start_time: None,
            containers: Vec::new(),
            init_containers: Vec::new(),
            unschedulable: Some(message.to_string()),
        }
    }

    /// Sets a reason only the caller knows (an image pull failure, a
    /// scheduling failure); containers not created yet wait for that reason.
    pub fn with_reason(mut self, reason: &str, message: &str) -> PodStatus {
        self.reason = Some(reason.to_string());
        self.message = Some(message.to_string()).filter(|m| !m.is_empty());
        for container in &mut self.containers {
            if container.container_id.is_none() {
                container.state = ContainerState::Waiting {
                    reason: reason.to_string(),
                    message: message.to_string(),
                };
            }
        }
        self
    }

    /// The node's engine stopped answering past the grace period: the pod
    /// is Failed with reason `NodeLost`, as Kubernetes' node controller says.
    pub fn node_lost(mut self, node: &str, pod: &str) -> PodStatus {
        self.phase = Phase::Failed;
        self.reason = Some("NodeLost".to_string());
        self.message = Some(format!(
            "Node {node} which was running pod {pod} is unresponsive"
        ));
        self.ready = 0;
        for container in &mut self.containers {
            container.ready = false;
        }
        self
    }

    /// The node's engine does not answer (within the grace period): the
    /// pod is shown as last seen, not Ready, with reason `NodeUnreachable`.
    pub fn node_unreachable(mut self, node: &str) -> PodStatus {
        self.reason = Some("NodeUnreachable".to_string());
        self.message = Some(format!(
            "Node {node} does not answer; the pod is shown as last seen"
        ));
        self.ready = 0;
        for container in &mut self.containers {
            container.ready = false;
        }
        self
    }

    /// Every container ready and the pod running.
    pub fn is_ready(&self) -> bool {
        self.phase == Phase::Running && self.total > 0 && self.ready == self.total
    }

    /// The READY column: `1/2`.
    pub fn ready_column(&self) -> String {
        format!("{}/{}", self.ready, self.total)
    }

    /// The STATUS column, by kubectl's rules: the pod reason or phase, then
    /// the first container's waiting or terminated reason wins.
    pub fn status_column(&self) -> String {
        if let Some(shown) = init::status_column(&self.init_containers) {
            return shown;
        }
        let mut shown = self
            .reason
            .clone()
            .unwrap_or_else(|| self.phase.as_str().to_string());
        let mut has_running = false;
        for container in self.containers.iter().rev() {
            match &container.state {
                ContainerState::Waiting { reason, .. } if !reason.is_empty() => {
                    shown = reason.clone()
                }
                ContainerState::Terminated { reason, .. } if !reason.is_empty() => {
                    shown = reason.clone()
                }
                ContainerState::Terminated { exit_code, .. } => {
                    shown = format!("ExitCode:{exit_code}")
                }
                ContainerState::Running { .. } if container.ready => has_running = true,
                _ => {}
            }
        }
        if shown == "Completed" && has_running {
            shown = if self.is_ready() {
                "Running"
            } else {
                "NotReady"
            }
            .to_string();
        }
        shown
    }
}

/// The pod's restart policy, from the last applied spec on its infra
/// container (a Pod object or a bare spec); Kubernetes' default `Always`.
pub fn restart_policy_of(pod: &ObservedPod) -> RestartPolicy {
    let policy =
        spec_json(pod).and_then(|spec| spec.get("restartPolicy")?.as_str().map(str::to_owned));
    match policy.as_deref() {
        Some("OnFailure") => RestartPolicy::OnFailure,
        Some("Never") => RestartPolicy::Never,
        _ => RestartPolicy::Always,
    }
}

/// The last applied pod spec: `spec` of a Pod object, or the object itself.
fn spec_json(pod: &ObservedPod) -> Option<serde_json::Value> {
    let mut value: serde_json::Value = serde_json::from_str(pod.last_applied.as_deref()?).ok()?;
    match value.get_mut("spec") {
        Some(spec) if spec.is_object() => Some(spec.take()),
        _ => Some(value),
    }
}

/// (name, image) of every container the last applied spec declares.
fn declared_containers(pod: &ObservedPod) -> Vec<(String, String)> {
    declared(pod, "containers")
}

/// (name, image) of every entry of `list` (`containers`,
/// `initContainers`) in the last applied spec, in spec order.
fn declared(pod: &ObservedPod, list: &str) -> Vec<(String, String)> {
    let Some(spec) = spec_json(pod) else {
        return Vec::new();
    };
    let Some(containers) = spec.get(list).and_then(|c| c.as_array()) else {
        return Vec::new();
    };
    let field = |c: &serde_json::Value, key: &str| {
        c.get(key)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    containers
        .iter()
        .map(|c| (field(c, "name"), field(c, "image")))
        .filter(|(name, _)| !name.is_empty())
        .collect()
}

/// The status of `pod` under `policy` at `now_unix`: phase by the table of
/// DESIGN.md §4, container states, readiness, restarts and the pod IP.
pub fn pod_status(pod: &ObservedPod, policy: RestartPolicy, now_unix: i64) -> PodStatus {
    let mut names: Vec<(String, String)> = declared_containers(pod);
    for name in pod.containers.keys() {
        if !names.iter().any(|(declared, _)| declared == name) {
            names.push((name.clone(), String::new()));
        }
    }
    names.sort();
    names.dedup_by(|a, b| a.0 == b.0);
    let init = init::observe(pod, &declared(pod, "initContainers"), policy, now_unix);
    let initializing = init.step.is_some();
    let mut facts = Vec::new();
    let mut containers = Vec::new();
    let mut crash_looping = false;
    for (name, image) in &names {
        let observed = pod.containers.get(name);
        let mut one = container::observe(name, image, observed, policy, now_unix);
        if initializing && observed.is_none() {
            one.status.state = ContainerState::Waiting {
                reason: POD_INITIALIZING.to_string(),
                message: String::new(),
            };
        }
        if let Some(c) = observed {
            one.status.restart_count += c.probe.restarts;
        }
        if one.status.ready && crate::probe::targets::gates_readiness(pod, name) {
            // Running is not enough: its probes must have passed.
            one.status.ready = observed.is_some_and(|c| c.probe.ready == Some(true));
        }
        crash_looping |= one.crash_looping;
        facts.push(one.facts);
        containers.push(one.status);
    }
    let phase = match init.step {
        // An init container failed under restartPolicy Never.
        Some(crate::init_progress::Step::Failed { .. }) => Phase::Failed,
        Some(_) => Phase::Pending,
        None => pod_phase(policy, &facts),
    };
    let init_restarts: u64 = init.statuses.iter().map(|c| c.restart_count).sum();
    let last_restart = pod
        .containers
        .values()
        .filter_map(|c| c.details.as_ref())
        .filter(|d| d.restart_count > 0)
        .filter_map(|d| crate::timefmt::parse_rfc3339(&d.started_at))
        .max();
    let status = PodStatus {
        phase,
        reason: crash_looping.then(|| CRASH_LOOP_BACK_OFF.to_string()),
        message: None,
        ready: containers.iter().filter(|c| c.ready).count(),
        total: containers.len(),
        restarts: init_restarts + containers.iter().map(|c| c.restart_count).sum::<u64>(),
        last_restart,
        pod_ip: pod_ip(pod),
        host_ip: host_ip(pod),
        start_time: start_time(pod),
        containers,
        init_containers: init.statuses,
        unschedulable: None,
    };
    let status = match image_waiting(pod) {
        Some((reason, message)) => status.with_reason(&reason, &message),
        None => status,
    };
    match pod.node_problem {
        Some(NodeProblem::Lost { .. }) => status.node_lost(&pod.node, &pod.name),
        Some(NodeProblem::Unreachable { .. }) => status.node_unreachable(&pod.node),
        None => status,
    }
}

/// The reason and message berth left on the infra container of a pod
/// whose image could not be had, while its members are missing.
fn image_waiting(pod: &ObservedPod) -> Option<(String, String)> {
    let labels = &pod.infra.as_ref()?.summary.labels;
    let reason = labels.get(crate::keys::WAITING_REASON)?;
    let members_missing = declared_containers(pod)
        .iter()
        .any(|(name, _)| !pod.containers.contains_key(name));
    let message = labels.get(crate::keys::WAITING_MESSAGE);
    members_missing.then(|| (reason.clone(), message.cloned().unwrap_or_default()))
}

/// The infra container's IP (it owns the pod's network namespace).
fn pod_ip(pod: &ObservedPod) -> Option<String> {
    let details = pod.infra.as_ref()?.details.as_ref()?;
    details.ips.values().find(|ip| !ip.is_empty()).cloned()
}

/// The gateway of the network that gives the pod its IP: the node's
/// address as the pod sees it, which berth also gives as `status.hostIP`.
fn host_ip(pod: &ObservedPod) -> Option<String> {
    let details = pod.infra.as_ref()?.details.as_ref()?;
    let (network, _) = details.ips.iter().find(|(_, ip)| !ip.is_empty())?;
    details.gateways.get(network).cloned()
}

/// When the pod came to be: its infra container's creation, else its
/// earliest container's.
fn start_time(pod: &ObservedPod) -> Option<i64> {
    match &pod.infra {
        Some(infra) => Some(infra.summary.created),
        None => pod.containers.values().map(|c| c.summary.created).min(),
    }
}
