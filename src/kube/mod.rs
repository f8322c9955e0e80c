//! Kubernetes-shaped objects and listings, built once for both readers:
//! `berth get` (which prints them) and the HTTP API (which serves them).
//! Plain data from manifests and observations; no Docker calls, no printing.

pub mod apps;
pub mod config;
pub mod daemonsets;
pub mod endpoints;
pub mod events;
pub mod listing;
pub mod live;
pub mod nodes;
pub mod objects;
pub mod rollout;
mod uid;

pub use listing::{join, labels_text, none_if_empty, with_labels_column, Listed, Listing};
pub use live::{applied_spec, engine_node_listing, pod_json, pod_listing, rc_listing, status_of};
pub use nodes::{node_json, node_listing};
pub use uid::uid;
