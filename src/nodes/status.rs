//! The node controller: each node's phase and conditions, advanced from one
//! probe of its engine to the next. Pure: the probe's answer and the time
//! go in, the node's new status comes out.
//!
//! - `NodeReachable` is the engine answering at all; `NodeReady` is its
//!   `info` answering with a storage driver. Each keeps the time of its
//!   last transition.
//! - A node unreachable for longer than the grace period is lost: it is
//!   NotReady, its pods are Failed, and its controllers' pods are replaced
//!   on other nodes. That it was lost is kept on the other engines (a node
//!   record), so it survives a restart of berth.
//! - A lost node that answers again is stale until berth has removed the
//!   pods it left there; only then does it take pods again.

use std::time::Duration;

use super::{NodeRecord, NodeSpec};
use crate::engine::EngineInfo;
use crate::manifest::Labels;
use crate::schedule::Resources;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodePhase {
    /// Declared, not (yet) reached: no endpoint, or never answered.
    Pending,
    /// Its engine has answered.
    Running,
    /// No longer declared; its pods are deleted.
    Terminated,
}

impl NodePhase {
    pub fn as_str(self) -> &'static str {
        match self {
            NodePhase::Pending => "Pending",
            NodePhase::Running => "Running",
            NodePhase::Terminated => "Terminated",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CondStatus {
    True,
    False,
    Unknown,
}

impl CondStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CondStatus::True => "True",
            CondStatus::False => "False",
            CondStatus::Unknown => "Unknown",
        }
    }
}

/// A node condition as Kubernetes shows one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub status: CondStatus,
    pub reason: String,
    pub message: String,
    /// Unix seconds of the last change of `status`.
    pub last_transition: i64,
    /// Unix seconds of the last probe.
    pub last_probe: i64,
}

impl Condition {
    fn unknown(reason: &str, message: &str, now: i64) -> Condition {
        Condition {
            status: CondStatus::Unknown,
            reason: reason.to_string(),
            message: message.to_string(),
            last_transition: now,
            last_probe: now,
        }
    }

    /// This condition after a probe said `status`: the transition time moves
    /// only when the status changes.
    fn next(
        prev: Option<&Condition>,
        status: CondStatus,
        reason: &str,
        message: &str,
        now: i64,
    ) -> Condition {
        let last_transition = match prev {
            Some(p) if p.status == status => p.last_transition,
            _ => now,
        };
        Condition {
            status,
            reason: reason.to_string(),
            message: message.to_string(),
            last_transition,
            last_probe: now,
        }
    }
}

/// What one probe of a node's engine found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// The node has no endpoint: never contacted.
    NoEndpoint,
    /// Probing is off (`--sync-nodes=false`): the node is taken as declared.
    Off,
    /// The engine did not answer (connection refused, timeout, TLS).
    Unreachable(String),
    /// It answered, but `info` failed.
    NotReady(String),
    /// `info` answered.
    Answered(EngineInfo),
}

/// What the node controller knows of one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    pub spec: NodeSpec,
    pub phase: NodePhase,
    /// Why the node is Pending or Terminated (empty otherwise).
    pub reason: String,
    /// `NodeReachable`.
    pub reachable: Condition,
    /// `NodeReady`.
    pub ready: Condition,
    /// The engine's last `info`.
    pub info: Option<EngineInfo>,
    /// Since when (unix seconds) the engine has not answered.
    pub unreachable_since: Option<i64>,
    /// Unix seconds at which the node was declared lost: unreachable past
    /// the grace period. Its pods are Failed and replaced elsewhere.
    pub lost_at: Option<i64>,
    /// Back after being lost: the pods it left are removed before it takes
    /// any again.
    pub stale: bool,
}

impl NodeStatus {
    /// Whether the scheduler may put pods on it.
    pub fn is_ready(&self) -> bool {
        self.phase == NodePhase::Running
            && self.ready.status == CondStatus::True
            && self.lost_at.is_none()
            && !self.stale
    }

    /// Whether berth can act on its engine now.
    pub fn is_reachable(&self) -> bool {
        self.reachable.status == CondStatus::True
    }

    /// `Ready`, `NotReady`, `Unknown`, as `kubectl get nodes` says.
    pub fn status_text(&self) -> String {
        match self.phase {
            NodePhase::Terminated => "Terminated".to_string(),
            NodePhase::Pending if self.spec.endpoint.is_none() => "Pending".to_string(),
            _ if self.is_ready() => "Ready".to_string(),
            _ if self.stale => "NotReady,Stale".to_string(),
            _ if self.ready.status == CondStatus::Unknown && self.lost_at.is_none() => {
                "Unknown".to_string()
            }
            _ => "NotReady".to_string(),
        }
    }

    /// The labels every Kubernetes node has (`kubernetes.io/hostname`,
    /// `…/os`, `…/arch`, from the engine's info when known) plus the
    /// manifest's.
    pub fn labels(&self) -> Labels {
        let (os, arch) = match &self.info {
            Some(i) if !i.os_type.is_empty() => (i.os_type.clone(), go_arch(&i.architecture)),
            _ => (
                std::env::consts::OS.to_string(),
                go_arch(std::env::consts::ARCH),
            ),
        };
        let mut labels = Labels::from([
            ("kubernetes.io/hostname".to_string(), self.spec.name.clone()),
            ("kubernetes.io/os".to_string(), os),
            ("kubernetes.io/arch".to_string(), arch),
        ]);
        labels.extend(self.spec.labels.clone());
        labels
    }

    /// Cpu and memory: the manifest's where declared, else the engine's.
    pub fn capacity(&self) -> Option<Resources> {
        let cpu = self
            .spec
            .cpu_milli
            .or(self.info.as_ref().map(|i| i64::from(i.cpus) * 1000));
        let memory = self
            .spec
            .memory_bytes
            .or(self.info.as_ref().map(|i| i.memory_bytes));
        cpu.zip(memory).map(|(cpu_milli, memory_bytes)| Resources {
            cpu_milli,
            memory_bytes,
        })
    }

    /// A node berth knows only from its records: no longer declared, its
    /// pods to be deleted. `answers`: its engine is connected.
    pub fn terminated(spec: NodeSpec, answers: bool, now: i64) -> NodeStatus {
        let reason = "no longer declared: its pods are deleted";
        let reachable = match answers {
            true => Condition::next(None, CondStatus::True, "EngineAnswered", "", now),
            false => Condition::unknown("NodeTerminated", reason, now),
        };
        NodeStatus {
            spec,
            phase: NodePhase::Terminated,
            reason: "NodeTerminated".to_string(),
            reachable,
            ready: Condition::unknown("NodeTerminated", reason, now),
            info: None,
            unreachable_since: None,
            lost_at: None,
            stale: false,
        }
    }
}

/// Go's name of an architecture as Docker or Rust spells it.
fn go_arch(arch: &str) -> String {
    match arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "armv7l" | "arm" => "arm",
        other => other,
    }
    .to_string()
}

/// The node's status after `probe` at `now` (unix seconds). `prev` is what
/// the controller knew before (none after a restart: `recall` then adds
/// what the engines' node records say).
pub fn advance(
    prev: Option<&NodeStatus>,
    spec: &NodeSpec,
    probe: Probe,
    now: i64,
    grace: Duration,
) -> NodeStatus {
    let was_lost = prev.and_then(|p| p.lost_at);
    let reached_before = prev.is_some_and(|p| p.phase == NodePhase::Running);
    let (reachable, ready) = (prev.map(|p| &p.reachable), prev.map(|p| &p.ready));
    let info = prev.and_then(|p| p.info.clone());
    let mut out = NodeStatus {
        spec: spec.clone(),
        phase: NodePhase::Running,
        reason: String::new(),
        reachable: Condition::unknown("", "", now),
        ready: Condition::unknown("", "", now),
        info,
        unreachable_since: None,
        lost_at: None,
        stale: false,
    };
    match probe {
        Probe::NoEndpoint => {
            let why = format!(
                "no Docker endpoint: set the annotation {} (or list it in --machines)",
                crate::manifest::DOCKER_HOST_ANNOTATION
            );
            out.phase = NodePhase::Pending;
            out.reason = "NoEndpoint".to_string();
            out.reachable =
                Condition::next(reachable, CondStatus::Unknown, "NoEndpoint", &why, now);
            out.ready = Condition::next(ready, CondStatus::Unknown, "NoEndpoint", &why, now);
        }
        Probe::Off => {
            let why = "node sync is off (--sync-nodes=false): taken as declared";
            out.reachable = Condition::next(reachable, CondStatus::True, "NodeSyncOff", why, now);
            out.ready = Condition::next(ready, CondStatus::True, "NodeSyncOff", why, now);
            out.lost_at = was_lost;
        }
        Probe::Unreachable(message) => {
            // Counted from the last time it answered, as Kubernetes counts
            // from the last heartbeat.
            let last_answer = prev
                .filter(|p| p.reachable.status == CondStatus::True)
                .map(|p| p.reachable.last_probe);
            let since = prev
                .and_then(|p| p.unreachable_since)
                .or(last_answer)
                .unwrap_or(now);
            out.unreachable_since = Some(since);
            out.reachable = Condition::next(
                reachable,
                CondStatus::False,
                "EngineUnreachable",
                &message,
                now,
            );
            let down = Duration::from_secs(now.saturating_sub(since).max(0) as u64);
            if was_lost.is_some() || down > grace {
                out.lost_at = Some(was_lost.unwrap_or(now));
                let why = format!(
                    "engine unreachable for {}s, longer than the grace period ({}s): {message}",
                    now - since,
                    grace.as_secs()
                );
                out.ready = Condition::next(ready, CondStatus::Unknown, "NodeLost", &why, now);
            } else {
                let why = format!(
                    "engine unreachable for {}s (grace period {}s): {message}",
                    now - since,
                    grace.as_secs()
                );
                let status = ready.map(|c| c.status).unwrap_or(CondStatus::Unknown);
                out.ready = Condition::next(ready, status, "EngineUnreachable", &why, now);
            }
            if !reached_before {
                out.phase = NodePhase::Pending;
                out.reason = "EngineUnreachable".to_string();
            }
        }
        Probe::NotReady(message) => {
            out.reachable = Condition::next(reachable, CondStatus::True, "EngineAnswered", "", now);
            out.ready = Condition::next(ready, CondStatus::False, "EngineNotReady", &message, now);
            out.lost_at = was_lost;
            out.stale = was_lost.is_some();
        }
        Probe::Answered(info) => {
            out.reachable = Condition::next(reachable, CondStatus::True, "EngineAnswered", "", now);
            out.ready = if info.storage_driver.is_empty() {
                let why = "the engine reports no storage driver";
                Condition::next(ready, CondStatus::False, "StorageDriverUnhealthy", why, now)
            } else {
                let why = format!(
                    "Docker {} ({} storage)",
                    info.server_version, info.storage_driver
                );
                Condition::next(ready, CondStatus::True, "EngineReady", &why, now)
            };
            out.info = Some(info);
            out.lost_at = was_lost;
            out.stale = was_lost.is_some();
        }
    }
    out
}

/// Adds what the node records on the engines say of `status`'s node: since
/// when it has been unreachable (the earliest any engine recorded) and
/// whether it was lost (and not back and cleaned since, as a record
/// written later says). So a berth that restarts, or one `apply` after
/// another, keeps counting the grace period from the first failure.
pub fn recall(status: &mut NodeStatus, records: &[NodeRecord], now: i64, grace: Duration) {
    let about = || records.iter().filter(|r| r.node == status.spec.name);
    // A loss that a record written later says is over (the node came back
    // and was cleaned) is not one: a record kept on an engine that did not
    // answer then still says it.
    let over =
        |lost: i64| about().any(|r| r.lost_at.is_none() && r.written.is_some_and(|w| w >= lost));
    let lost_at = about()
        .filter_map(|r| r.lost_at)
        .filter(|&lost| !over(lost))
        .min();
    let since = about().filter_map(|r| r.unreachable_since).min();
    if status.lost_at.is_none() {
        status.lost_at = lost_at;
    }
    if status.is_reachable() {
        status.stale = status.lost_at.is_some();
        return;
    }
    if status.spec.endpoint.is_none() || status.phase == NodePhase::Terminated {
        return;
    }
    let since = match (status.unreachable_since, since) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(now),
    };
    status.unreachable_since = Some(since);
    let down = now.saturating_sub(since).max(0);
    if status.lost_at.is_none() && Duration::from_secs(down as u64) > grace {
        status.lost_at = Some(now);
    }
    if status.lost_at.is_some() && status.ready.reason != "NodeLost" {
        let why = format!(
            "engine unreachable for {down}s, longer than the grace period ({}s): {}",
            grace.as_secs(),
            status.reachable.message
        );
        status.ready = Condition::next(
            Some(&status.ready),
            CondStatus::Unknown,
            "NodeLost",
            &why,
            now,
        );
    }
}
