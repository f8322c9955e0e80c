//! What Docker really runs, grouped into pods. Built by `observe`, read by the
//! planner, the status code and the live queries. The container rows and
//! inspect results the engine reports are berth's own data, kept here so the
//! pure modules read them without naming the engine.

use std::collections::BTreeMap;

use crate::manifest::Labels;

/// Docker's container states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContainerState {
    Created,
    Running,
    Restarting,
    Paused,
    Exited,
    Removing,
    Dead,
}

impl ContainerState {
    pub fn parse(s: &str) -> ContainerState {
        match s {
            "created" => ContainerState::Created,
            "running" => ContainerState::Running,
            "restarting" => ContainerState::Restarting,
            "paused" => ContainerState::Paused,
            "removing" => ContainerState::Removing,
            "dead" => ContainerState::Dead,
            _ => ContainerState::Exited,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ContainerState::Created => "created",
            ContainerState::Running => "running",
            ContainerState::Restarting => "restarting",
            ContainerState::Paused => "paused",
            ContainerState::Exited => "exited",
            ContainerState::Removing => "removing",
            ContainerState::Dead => "dead",
        }
    }
}

/// One row of `GET /containers/json?all=1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSummary {
    pub id: String,
    /// Without the leading `/`.
    pub name: String,
    pub image: String,
    pub labels: BTreeMap<String, String>,
    pub state: ContainerState,
    /// Unix seconds.
    pub created: i64,
}

/// What only `GET /containers/{id}/json` can tell.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerDetails {
    pub id: String,
    pub exit_code: i64,
    pub oom_killed: bool,
    pub restart_count: u64,
    /// RFC 3339 as Docker reports it; `0001-01-01T00:00:00Z` when never.
    pub started_at: String,
    pub finished_at: String,
    /// Docker's own error (e.g. a failed start).
    pub error: String,
    /// The IP on each network, by network name.
    pub ips: BTreeMap<String, String>,
    /// The gateway of each network (the host's address on it), by network
    /// name; only where one is set.
    pub gateways: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub running: bool,
    pub restarting: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedContainer {
    pub summary: ContainerSummary,
    /// Inspect result; present for containers that are not running (exit
    /// code, OOM) and whenever a deeper look was asked for.
    pub details: Option<ContainerDetails>,
    /// What the prober of a running watch found (`probe::store`).
    pub probe: crate::probe::ProbeFacts,
}

impl ObservedContainer {
    pub fn id(&self) -> &str {
        &self.summary.id
    }
}

/// One pod as found on an engine: its infra container and its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedPod {
    pub project: String,
    pub namespace: String,
    pub name: String,
    pub node: String,
    /// `ReplicationController/<name>` when owned.
    pub owner: Option<String>,
    /// The spec hash on the infra container (or any member when it is gone).
    pub spec_hash: Option<String>,
    /// The pod's own labels (berth's `io.berth.*` keys removed).
    pub labels: Labels,
    /// The last applied pod spec (JSON), from the infra container.
    pub last_applied: Option<String>,
    pub infra: Option<ObservedContainer>,
    /// By container name (as in the pod spec).
    pub containers: BTreeMap<String, ObservedContainer>,
    /// The init containers berth ran (kept, exited, once done), by name.
    pub init_containers: BTreeMap<String, ObservedContainer>,
    /// What is wrong with its node, if anything: the pod was seen last on
    /// an engine that does not answer now, or its node was lost.
    pub node_problem: Option<NodeProblem>,
    /// Its records (`KIND_POD_RECORD`), newest last.
    pub records: Vec<PodRecord>,
}

/// What a pod's record container says: its id and labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodRecord {
    pub id: String,
    pub labels: BTreeMap<String, String>,
}

/// Why a pod's containers cannot be seen as they are now; `since`: unix
/// seconds of the node's last answer (unreachable) or of its loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeProblem {
    /// Its node's engine does not answer (within the grace period): the pod
    /// is shown as last seen, not Ready, and left alone.
    Unreachable { since: i64 },
    /// Its node was lost (unreachable past the grace period, or back since
    /// and not yet cleaned) or left the manifests: the pod is Failed, and a
    /// controller's pod is replaced on another node.
    Lost { since: i64 },
}

impl NodeProblem {
    pub fn is_lost(self) -> bool {
        matches!(self, NodeProblem::Lost { .. })
    }
}

impl ObservedPod {
    pub fn key(&self) -> (String, String) {
        (self.namespace.clone(), self.name.clone())
    }

    /// The value of `key` as last recorded: on the newest record, else on
    /// the infra container (what the pod was created with).
    pub fn recorded(&self, key: &str) -> Option<&str> {
        match self.records.last() {
            Some(record) => record.labels.get(key),
            None => self.infra.as_ref()?.summary.labels.get(key),
        }
        .map(String::as_str)
    }

    /// The service aliases the pod's network endpoint has now (none when
    /// nothing recorded them).
    pub fn aliases(&self) -> Vec<String> {
        self.recorded(crate::keys::ALIASES)
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default()
    }

    /// The labels the pod's containers were created with.
    pub fn created_labels(&self) -> Labels {
        match self.all_containers().next() {
            Some(c) => c
                .summary
                .labels
                .iter()
                .filter(|(k, _)| !k.starts_with("io.berth."))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            None => self.labels.clone(),
        }
    }

    /// Every container of the pod, infra first.
    pub fn all_containers(&self) -> impl Iterator<Item = &ObservedContainer> {
        self.infra.iter().chain(self.containers.values())
    }
}

/// A replication controller as remembered on the engine (its record
/// container), so that live `get rc` and pruning work without the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedController {
    /// `ReplicationController`, `Deployment` or `ReplicaSet`.
    pub kind: String,
    /// A Deployment's ReplicaSet: `Deployment/<name>`.
    pub owner: Option<String>,
    pub project: String,
    pub namespace: String,
    pub name: String,
    pub replicas: u32,
    pub selector: Labels,
    pub template_hash: String,
    /// The template as last applied (Kubernetes-shaped JSON), when recorded.
    pub template_json: Option<String>,
    pub container_id: String,
    /// Unix seconds.
    pub created: i64,
    /// The node whose engine holds this record.
    pub node: String,
}

/// Everything berth manages in one project on one engine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    pub pods: Vec<ObservedPod>,
    pub controllers: Vec<ObservedController>,
    /// Names of berth's networks of the project.
    pub networks: Vec<String>,
    /// The node controller's records (see `nodes::NodeRecord`).
    pub node_records: Vec<crate::nodes::NodeRecord>,
}
