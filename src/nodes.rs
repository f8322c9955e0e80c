//! Nodes: the Docker engines that make up the pool, and what the node
//! controller knows of each.
//!
//! Nodes come from Node manifests (the endpoint in the annotation
//! `berth.io/docker-host`, TLS certificates in `berth.io/docker-cert-path`)
//! and from `--machines`; with neither there is one implicit node, `local`,
//! the engine of `DOCKER_HOST` or the local socket. Each node is probed (its
//! engine's `info`, which only a reachable engine answers) and its phase and
//! conditions follow from the answers over time (`status`). What must
//! survive a restart of berth (a node lost past its grace period, the
//! endpoints of the nodes the project used) lives on the engines, in record
//! containers (`records`), as everything else berth knows does.

mod connect;
mod discover;
mod records;
mod spec;
mod status;

pub use connect::{
    connect_all, connect_node, connect_terminated, probe, Connected, NodeOptions, LOOK_TIMEOUT,
    PROBE_TIMEOUT,
};
pub use discover::{add_recorded, discover, starting_nodes};
pub use records::{node_records, record_config, NodeRecord};
pub use spec::{declared, machine_name, NodeSpec, CERT_PATH_ANNOTATION};
pub use status::{advance, recall, CondStatus, Condition, NodePhase, NodeStatus, Probe};

#[cfg(test)]
mod tests;
