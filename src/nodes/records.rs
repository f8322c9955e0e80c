//! Node records: what the node controller must not forget, kept on the
//! engines. Each reachable engine of a project holds one record container
//! (created, never started, like a controller's record) per node of the
//! project: its name, its endpoint, and whether and when it was lost. So a
//! berth that restarts still knows a node was lost (and which pods it ran),
//! and a node that leaves the manifests can still be reached to delete its
//! pods.

use std::collections::BTreeMap;

use crate::engine::{ContainerConfig, ContainerSummary};
use crate::keys;

/// `io.berth.kind` of a node record.
pub const KIND_NODE: &str = "Node";
const NAME: &str = "io.berth.node-record.name";
const ENDPOINT: &str = "io.berth.node-record.endpoint";
const CERT_PATH: &str = "io.berth.node-record.cert-path";
const LOST_AT: &str = "io.berth.node-record.lost-at";
const UNREACHABLE_SINCE: &str = "io.berth.node-record.unreachable-since";
const PODS: &str = "io.berth.node-record.pods";
const WRITTEN: &str = "io.berth.node-record.written";

/// One node record as found on (or meant for) an engine.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeRecord {
    /// The node the record is about.
    pub node: String,
    pub endpoint: Option<String>,
    pub cert_path: Option<String>,
    /// Since when its engine has not answered (unix seconds).
    pub unreachable_since: Option<i64>,
    /// When the node was declared lost (unix seconds).
    pub lost_at: Option<i64>,
    /// The pods the node ran when last seen: `namespace/name`, followed by
    /// `|owner` for a controller's pod. `None`: never seen.
    pub pods: Option<Vec<String>>,
    /// When (unix seconds) berth wrote the record: a later record saying
    /// the node is not lost outdates an earlier one saying it was (one kept
    /// on an engine that did not answer when the node came back).
    pub written: Option<i64>,
    /// The node whose engine holds the record (empty in a desired record).
    pub holder: String,
    /// The record container's id (empty in a desired record).
    pub container_id: String,
}

impl NodeRecord {
    /// Whether two records say the same (holder, id and when written aside).
    pub fn same_content(&self, other: &NodeRecord) -> bool {
        (
            &self.node,
            &self.endpoint,
            &self.cert_path,
            self.unreachable_since,
            self.lost_at,
            &self.pods,
        ) == (
            &other.node,
            &other.endpoint,
            &other.cert_path,
            other.unreachable_since,
            other.lost_at,
            &other.pods,
        )
    }

    /// The node as the record remembers it (a node no manifest declares
    /// any more).
    pub fn spec(&self) -> super::NodeSpec {
        super::NodeSpec {
            name: self.node.clone(),
            endpoint: self.endpoint.clone(),
            cert_path: self.cert_path.as_ref().map(std::path::PathBuf::from),
            labels: Default::default(),
            cpu_milli: None,
            memory_bytes: None,
            declared: false,
        }
    }

    /// The record in a container summary, if it is one.
    pub fn from_summary(s: &ContainerSummary) -> Option<NodeRecord> {
        let l = &s.labels;
        if l.get(keys::KIND).map(String::as_str) != Some(KIND_NODE) {
            return None;
        }
        let get = |k: &str| l.get(k).filter(|v| !v.is_empty()).cloned();
        Some(NodeRecord {
            node: get(NAME)?,
            endpoint: get(ENDPOINT),
            cert_path: get(CERT_PATH),
            unreachable_since: get(UNREACHABLE_SINCE).and_then(|t| t.parse().ok()),
            lost_at: get(LOST_AT).and_then(|t| t.parse().ok()),
            written: get(WRITTEN).and_then(|t| t.parse().ok()),
            pods: l.get(PODS).map(|p| {
                p.split(',')
                    .filter(|e| !e.is_empty())
                    .map(str::to_string)
                    .collect()
            }),
            holder: get(keys::NODE).unwrap_or_default(),
            container_id: s.id.clone(),
        })
    }
}

/// The records found in a project's container list.
pub fn node_records(summaries: &[ContainerSummary]) -> Vec<NodeRecord> {
    summaries
        .iter()
        .filter_map(NodeRecord::from_summary)
        .collect()
}

/// The record container for `record` in `project`, held by `holder`.
pub fn record_config(
    project: &str,
    holder: &str,
    record: &NodeRecord,
    image: &str,
) -> ContainerConfig {
    let mut labels = BTreeMap::from([
        (
            keys::MANAGED_BY.to_string(),
            keys::MANAGED_BY_VALUE.to_string(),
        ),
        (keys::PROJECT.to_string(), project.to_string()),
        (keys::NODE.to_string(), holder.to_string()),
        (keys::KIND.to_string(), KIND_NODE.to_string()),
        (NAME.to_string(), record.node.clone()),
    ]);
    let optional = [
        (ENDPOINT, record.endpoint.clone()),
        (CERT_PATH, record.cert_path.clone()),
        (
            UNREACHABLE_SINCE,
            record.unreachable_since.map(|t| t.to_string()),
        ),
        (LOST_AT, record.lost_at.map(|t| t.to_string())),
        (PODS, record.pods.as_ref().map(|p| p.join(","))),
        (WRITTEN, record.written.map(|t| t.to_string())),
    ];
    for (key, value) in optional {
        // An empty pod list is a list: it says the node runs nothing.
        if let Some(value) = value {
            labels.insert(key.to_string(), value);
        }
    }
    // Container names allow [a-zA-Z0-9_.-]: a node name (DNS-1123) fits.
    let name = format!("berth_{project}__node_{}", record.node);
    ContainerConfig {
        labels,
        network_mode: Some("none".to_string()),
        ..ContainerConfig::new(name, image)
    }
}
