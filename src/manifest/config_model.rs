//! The model of ConfigMaps, Secrets and the env that comes from them (and
//! from the downward API): the references as written, kept in the spec (so
//! the last-applied spec shows them), and the values resolved at load,
//! kept out of every serialization.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::{ObjectMeta, Source};

/// `v1` ConfigMap: `data` (text) and `binaryData` (decoded bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigMap {
    pub meta: ObjectMeta,
    pub data: BTreeMap<String, String>,
    pub binary_data: BTreeMap<String, Vec<u8>>,
    pub immutable: bool,
    pub source: Source,
}

/// `v1` Secret: `data` decoded, `stringData` merged in (it wins, as in
/// Kubernetes). Values never print: `Debug` shows sizes only.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    pub meta: ObjectMeta,
    /// `Opaque` when not given.
    pub kind: String,
    pub data: BTreeMap<String, Vec<u8>>,
    pub immutable: bool,
    pub source: Source,
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sizes: BTreeMap<&String, usize> = self.data.iter().map(|(k, v)| (k, v.len())).collect();
        f.debug_struct("Secret")
            .field("meta", &self.meta)
            .field("type", &self.kind)
            .field("data_sizes", &sizes)
            .field("immutable", &self.immutable)
            .field("source", &self.source)
            .finish()
    }
}

/// `configMapKeyRef` / `secretKeyRef`. Equal when they say the same,
/// wherever they were written.
#[derive(Debug, Clone, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRef {
    pub name: String,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
    /// Where the reference was written, for load errors.
    #[serde(skip)]
    pub at: Source,
    /// Its field path (`spec.containers[0].env[1].valueFrom.configMapKeyRef`).
    #[serde(skip)]
    pub path: String,
}

impl PartialEq for KeyRef {
    fn eq(&self, other: &Self) -> bool {
        (&self.name, &self.key, self.optional) == (&other.name, &other.key, other.optional)
    }
}

impl PartialEq for ObjectRef {
    fn eq(&self, other: &Self) -> bool {
        (&self.name, self.optional) == (&other.name, other.optional)
    }
}

/// `fieldRef`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    pub field_path: String,
}

/// `resourceFieldRef`: a container's limit or request, divided by
/// `divisor` and rounded up.
#[derive(Debug, Clone, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceFieldRef {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub container_name: String,
    pub resource: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub divisor: String,
    #[serde(skip)]
    pub at: Source,
    #[serde(skip)]
    pub path: String,
}

impl PartialEq for ResourceFieldRef {
    fn eq(&self, other: &Self) -> bool {
        (&self.container_name, &self.resource, &self.divisor)
            == (&other.container_name, &other.resource, &other.divisor)
    }
}

/// `env[].valueFrom`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EnvVarSource {
    ConfigMapKeyRef(KeyRef),
    SecretKeyRef(KeyRef),
    FieldRef(FieldRef),
    ResourceFieldRef(ResourceFieldRef),
}

/// `configMapRef` / `secretRef` of an `envFrom` entry.
#[derive(Debug, Clone, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
    #[serde(skip)]
    pub at: Source,
    #[serde(skip)]
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EnvFromRef {
    ConfigMapRef(ObjectRef),
    SecretRef(ObjectRef),
}

/// `envFrom[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvFromSource {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prefix: String,
    #[serde(flatten)]
    pub from: EnvFromRef,
}

/// A downward API field known only once the pod has a name, a node and an
/// IP (the rest is resolved at load).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodField {
    Name,
    Uid,
    NodeName,
    PodIp,
    /// The node's address on the pod's network (`status.hostIP`).
    HostIp,
    /// A container without a limit reads the node's allocatable cpu (in
    /// millicores) or memory (in bytes), divided by `divisor` (same unit)
    /// and rounded up, as the kubelet does.
    Allocatable {
        cpu: bool,
        divisor: i128,
    },
}

/// A Secret value: its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive(pub String);

impl fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(sensitive, {} bytes)", self.0.len())
    }
}

impl Sensitive {
    /// sha256 of the value, hex: what the spec hash sees.
    pub fn digest(&self) -> String {
        Sha256::digest(self.0.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Where one resolved variable's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvValue {
    /// `value`, with `$(VAR)` references still to expand.
    Literal(String),
    /// A ConfigMap key (`object` is `ns/name`).
    Config {
        object: String,
        key: String,
        value: String,
    },
    /// A Secret key.
    Secret {
        object: String,
        key: String,
        value: Sensitive,
    },
    /// A downward API value known at load (namespace, labels, annotations,
    /// service account), with the field path it came from.
    Downward { field: String, value: String },
    /// A downward API value known when the pod is created.
    Pod(PodField),
}

/// One variable of a container's environment, in Kubernetes' order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedEnv {
    pub name: String,
    pub value: EnvValue,
}
