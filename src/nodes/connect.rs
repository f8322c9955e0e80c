//! Reaching the nodes: each declared node's engine connected and probed,
//! all at once. A node without an endpoint is never contacted; one that
//! does not answer is reported, never an error of the whole command.

use std::time::Duration;

use futures_util::future::join_all;

use super::{advance, NodeSpec, NodeStatus, Probe};
use crate::engine::docker::{DockerEngine, Timeouts};
use crate::engine::{Engine, EngineError};

/// How the node controller runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeOptions {
    /// `--machines`: endpoints that are nodes.
    pub machines: Vec<String>,
    /// `--sync-nodes`: probe nodes (else take them as declared).
    pub sync: bool,
    /// `--node-grace-period`.
    pub grace: Duration,
    /// `--node-sync-period` (the loop's probes).
    pub sync_period: Duration,
}

impl Default for NodeOptions {
    fn default() -> Self {
        NodeOptions {
            machines: Vec::new(),
            sync: true,
            grace: Duration::from_secs(40),
            sync_period: Duration::from_secs(10),
        }
    }
}

/// How long connecting to and probing one node may take: a node that does
/// not answer must not hold up the others for long.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one node's look (its list call and inspects) may take before
/// the node counts as not answering this time.
pub const LOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `spec`'s engine.
pub async fn connect_node(spec: &NodeSpec) -> Result<DockerEngine, EngineError> {
    let Some(endpoint) = &spec.endpoint else {
        return Err(EngineError::Connect {
            endpoint: "-".to_string(),
            message: "the node has no endpoint".to_string(),
        });
    };
    let timeouts = Timeouts {
        call: PROBE_TIMEOUT.max(Duration::from_secs(30)),
        ..Timeouts::default()
    };
    let connect = DockerEngine::connect_endpoint(endpoint, spec.cert_path.as_deref(), timeouts);
    match tokio::time::timeout(PROBE_TIMEOUT, connect).await {
        Ok(result) => result,
        Err(_) => Err(EngineError::Timeout {
            operation: format!("connect to the Docker engine at {endpoint}"),
            seconds: PROBE_TIMEOUT.as_secs(),
        }),
    }
}

/// What probing `engine` finds: `info` answering (ready when it names a
/// storage driver), failing on the way (unreachable), or failing in the
/// engine (not ready).
pub async fn probe<E: Engine>(engine: &E) -> Probe {
    match tokio::time::timeout(PROBE_TIMEOUT, engine.info()).await {
        Err(_) => Probe::Unreachable(format!("info timed out after {}s", PROBE_TIMEOUT.as_secs())),
        Ok(Ok(info)) => Probe::Answered(info),
        Ok(Err(e @ (EngineError::Connect { .. } | EngineError::Timeout { .. }))) => {
            Probe::Unreachable(e.to_string())
        }
        Ok(Err(e)) if is_transport(&e) => Probe::Unreachable(e.to_string()),
        Ok(Err(e)) => Probe::NotReady(e.to_string()),
    }
}

/// Whether an API error is really the connection failing (refused, reset).
fn is_transport(e: &EngineError) -> bool {
    let text = e.to_string().to_lowercase();
    [
        "connection refused",
        "connection reset",
        "broken pipe",
        "no such file",
        "error trying to connect",
        "hyper",
    ]
    .iter()
    .any(|t| text.contains(t))
}

/// Connects to every node with an endpoint and probes it (unless probing
/// is off), all at once: each node's engine when connected, and its status.
/// `prev` is what was known before (by name), for transition times.
pub async fn connect_all(
    specs: &[NodeSpec],
    options: &NodeOptions,
    prev: &[NodeStatus],
    now: i64,
) -> Vec<(Option<DockerEngine>, NodeStatus)> {
    join_all(specs.iter().map(|spec| async move {
        let before = prev.iter().find(|p| p.spec.name == spec.name);
        let (engine, probe) = if spec.endpoint.is_none() {
            (None, Probe::NoEndpoint)
        } else {
            match connect_node(spec).await {
                Err(e) => (None, Probe::Unreachable(e.to_string())),
                Ok(engine) if !options.sync => (Some(engine), Probe::Off),
                Ok(engine) => {
                    let probe = probe(&engine).await;
                    (Some(engine), probe)
                }
            }
        };
        let status = advance(before, spec, probe, now, options.grace);
        (engine, status)
    }))
    .await
}

/// Connects to the nodes that `records` name but no manifest declares any
/// more (each record says where), all at once: Terminated members whose
/// pods are to be deleted.
pub async fn connect_terminated(
    records: &[super::NodeRecord],
    now: i64,
) -> Vec<(Option<DockerEngine>, NodeStatus)> {
    join_all(records.iter().map(|r| async move {
        let spec = r.spec();
        let engine = match spec.endpoint {
            Some(_) => connect_node(&spec).await.ok(),
            None => None,
        };
        let status = NodeStatus::terminated(spec, engine.is_some(), now);
        (engine, status)
    }))
    .await
}

/// The nodes of one command, connected: each one's engine (when reached)
/// and status.
#[derive(Debug)]
pub struct Connected {
    pub members: Vec<(Option<DockerEngine>, NodeStatus)>,
}

impl Connected {
    /// The pool over these engines.
    pub fn pool(&self) -> crate::converge::Pool<'_, DockerEngine> {
        crate::converge::Pool {
            members: self
                .members
                .iter()
                .map(|(engine, status)| crate::converge::Member {
                    status: status.clone(),
                    engine: engine.as_ref(),
                    last_seen: Vec::new(),
                })
                .collect(),
        }
    }

    /// Takes back what a converge learned of the nodes.
    pub fn update(&mut self, pool: &crate::converge::Pool<'_, DockerEngine>) {
        for (m, (_, status)) in pool.members.iter().zip(self.members.iter_mut()) {
            *status = m.status.clone();
        }
    }
}
