//! berth keeps Docker engines in the state that a directory of
//! Kubernetes-style manifests describes.
//!
//! Data flows one way: `manifest` → `desired` → `plan` (pure) → `apply`
//! (through `engine`), with `observe` reading the engine back.

pub mod apply;
pub mod cli;
pub mod cmd;
pub mod converge;
pub mod desired;
pub mod engine;
pub mod fingerprint;
pub mod gitrev;
pub mod init_progress;
pub mod keys;
pub mod kube;
pub mod labels;
pub mod manifest;
pub mod names;
pub mod nodes;
pub mod observe;
pub mod observed;
pub mod plan;
pub mod podfiles;
pub mod podmap;
pub mod probe;
#[cfg(test)]
mod purity_tests;
pub mod quantity;
pub mod report;
pub mod schedule;
pub mod serve;
pub mod snapshot;
pub mod status;
pub mod timefmt;
pub mod watch;
pub mod yaml;
