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
/// written before these fields existed hash as they did. Serialized in
/// Kubernetes' shape (`allowPrivilegeEscalation`, `capabilities.add`), the
/// pod's `hostPID`/`hostIPC` beside them.
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
    #[serde(
        default,
        rename = "allowPrivilegeEscalation",
        skip_serializing_if = "is_false",
        serialize_with = "inverted::serialize",
        deserialize_with = "inverted::deserialize"
    )]
    pub no_new_privileges: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub privileged: bool,
    #[serde(default, skip_serializing_if = "Capabilities::is_empty")]
    pub capabilities: Capabilities,
    /// The pod's `hostPID`.
    #[serde(default, rename = "hostPID", skip_serializing_if = "is_false")]
    pub host_pid: bool,
    /// The pod's `hostIPC`.
    #[serde(default, rename = "hostIPC", skip_serializing_if = "is_false")]
    pub host_ipc: bool,
}

/// `capabilities`: names without `CAP_`, as written; `drop` may hold `ALL`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drop: Vec<String>,
}

impl Capabilities {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.drop.is_empty()
    }
}

/// `no_new_privileges` written as Kubernetes' `allowPrivilegeEscalation`.
mod inverted {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(!*value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        bool::deserialize(d).map(|allowed| !allowed)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_serializes_in_kubernetes_shape_and_reads_back() {
        let security = Security {
            run_as_user: Some(1000),
            no_new_privileges: true,
            capabilities: Capabilities {
                add: vec![],
                drop: vec!["ALL".into()],
            },
            host_pid: true,
            ..Security::default()
        };
        let json = serde_json::to_value(&security).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "runAsUser": 1000,
                "allowPrivilegeEscalation": false,
                "capabilities": {"drop": ["ALL"]},
                "hostPID": true,
            })
        );
        assert_eq!(serde_json::from_value::<Security>(json).unwrap(), security);
        assert_eq!(
            serde_json::to_value(Security::default()).unwrap(),
            serde_json::json!({})
        );
    }
}
