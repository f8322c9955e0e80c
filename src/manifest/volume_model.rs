//! The volumes whose files berth writes: `configMap`, `secret`,
//! `downwardAPI` and `projected`, as written (kept in the spec and its
//! hash), and the files they hold, resolved at load against the loaded
//! ConfigMaps and Secrets (kept out of every serialization).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::config_model::{FieldRef, ResourceFieldRef};
use super::model::Source;

/// Where a reference was written, for load errors. Equal to any other, so
/// that two specs saying the same compare equal wherever they were written.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub at: Source,
    pub path: String,
}

impl PartialEq for Origin {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Origin {}

/// `items[]`: one key of a ConfigMap or Secret, as a file at `path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyToPath {
    pub key: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
}

/// `volumes[].configMap`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigMapVolumeSource {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<KeyToPath>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_mode: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
    #[serde(skip)]
    pub origin: Origin,
}

/// `volumes[].secret`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretVolumeSource {
    pub secret_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<KeyToPath>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_mode: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
    #[serde(skip)]
    pub origin: Origin,
}

/// One file of a downward API volume: a field of the pod, or a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DownwardApiFile {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_ref: Option<FieldRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_field_ref: Option<ResourceFieldRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
}

/// `volumes[].downwardAPI`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DownwardApiVolumeSource {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<DownwardApiFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_mode: Option<u32>,
}

/// A ConfigMap or Secret among a projected volume's sources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectProjection {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<KeyToPath>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
    #[serde(skip)]
    pub origin: Origin,
}

/// The downward API among a projected volume's sources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DownwardApiProjection {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<DownwardApiFile>,
}

/// `projected.sources[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum VolumeProjection {
    ConfigMap(ObjectProjection),
    Secret(ObjectProjection),
    #[serde(rename = "downwardAPI")]
    DownwardApi(DownwardApiProjection),
}

/// `volumes[].projected`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectedVolumeSource {
    pub sources: Vec<VolumeProjection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_mode: Option<u32>,
}

/// Kubernetes' file mode for ConfigMap, downward API and projected files.
pub const DEFAULT_FILE_MODE: u32 = 0o644;
/// berth's file mode for Secret files: readable by their owner only.
pub const SECRET_FILE_MODE: u32 = 0o400;

/// Bytes of a Secret: `Debug` shows their size only.
#[derive(Clone, PartialEq, Eq)]
pub struct SensitiveBytes(pub Vec<u8>);

impl fmt::Debug for SensitiveBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(sensitive, {} bytes)", self.0.len())
    }
}

/// What a file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileContent {
    /// Bytes known at load: a ConfigMap key (`source` is
    /// `ConfigMap ns/name key K`), or a downward API value known at load
    /// (`field metadata.annotations`).
    Known { source: String, data: Vec<u8> },
    /// A Secret key (`Secret ns/name key K`).
    Secret {
        source: String,
        data: SensitiveBytes,
    },
    /// A field of the pod itself (`metadata.name`, `metadata.uid`,
    /// `metadata.labels`, `metadata.labels['k']`), known once the pod is.
    Pod(String),
}

/// One file of a volume berth writes, at `path` inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeFile {
    pub path: String,
    pub mode: u32,
    pub content: FileContent,
}
