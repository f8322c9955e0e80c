//! The security settings of one container as berth runs it, and the
//! switches that let a user allow what berth refuses by default.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// What the user allows beyond berth's defaults (`--allow-host-path`,
/// `--allow-privileged`, `--allow-host-namespaces`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allow {
    /// A sensitive `hostPath` under one of these prefixes is accepted.
    pub host_paths: Vec<PathBuf>,
    /// `privileged: true` and capabilities beyond Docker's default set.
    pub privileged: bool,
    /// `hostPID` and `hostIPC` (`hostNetwork` is not supported at all).
    pub host_namespaces: bool,
}

/// A container's effective security settings: its `securityContext` over
/// the pod's (`runAsUser`, `runAsGroup`), and the pod's host namespaces.
/// Part of the container's spec, hence of the spec hash: a change
/// recreates the pod. Empty for a container that sets nothing, so specs
/// written before these fields existed hash as they did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Security {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_group: Option<i64>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only_root_filesystem: bool,
    /// `allowPrivilegeEscalation: false`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_new_privileges: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub privileged: bool,
    /// Capability names without `CAP_`, as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities_add: Vec<String>,
    /// Capability names without `CAP_`, or `ALL`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capabilities_drop: Vec<String>,
    /// The pod's `hostPID`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub host_pid: bool,
    /// The pod's `hostIPC`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub host_ipc: bool,
}

impl Security {
    pub fn is_empty(&self) -> bool {
        *self == Security::default()
    }

    /// Docker's `User`: `uid` or `uid:gid`; `None` keeps the image's user.
    pub fn docker_user(&self) -> Option<String> {
        match (self.run_as_user, self.run_as_group) {
            (Some(uid), Some(gid)) => Some(format!("{uid}:{gid}")),
            (Some(uid), None) => Some(uid.to_string()),
            _ => None,
        }
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}
