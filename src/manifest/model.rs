//! The typed manifest model: the subset of Kubernetes v1 that berth implements.
//!
//! Every object remembers where it came from (`Source`) so that later errors
//! (duplicates, scheduling, apply failures) can still point at a file.
//! Serialization follows Kubernetes field names, so `-o json`, the spec hash
//! and the last-applied spec kept on the infra container all read like
//! Kubernetes objects.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where an object (or a field) was read from. Lines and columns count from 1.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Source {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

pub type Labels = BTreeMap<String, String>;

pub const DEFAULT_NAMESPACE: &str = "default";

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    pub name: String,
    /// Always set after loading (`default` when the manifest leaves it out).
    pub namespace: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: Labels,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum RestartPolicy {
    #[default]
    Always,
    OnFailure,
    Never,
}

impl RestartPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicy::Always => "Always",
            RestartPolicy::OnFailure => "OnFailure",
            RestartPolicy::Never => "Never",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

impl PullPolicy {
    /// Kubernetes' default: `Always` for `:latest` or an untagged image,
    /// `IfNotPresent` otherwise.
    pub fn default_for(image: &str) -> PullPolicy {
        let last = image.rsplit('/').next().unwrap_or(image);
        let without_digest = last.split('@').next().unwrap_or(last);
        match without_digest.split_once(':') {
            None => PullPolicy::Always,
            Some((_, "latest")) => PullPolicy::Always,
            Some(_) if last.contains('@') => PullPolicy::IfNotPresent,
            Some(_) => PullPolicy::IfNotPresent,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Protocol {
    #[default]
    #[serde(rename = "TCP")]
    Tcp,
    #[serde(rename = "UDP")]
    Udp,
    #[serde(rename = "SCTP")]
    Sctp,
}

impl Protocol {
    /// Docker's spelling (`tcp`, `udp`, `sctp`).
    pub fn docker(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    pub name: String,
    #[serde(default)]
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<super::config_model::EnvVarSource>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub container_port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    #[serde(default)]
    pub protocol: Protocol,
}

/// A resource list as written (`cpu: 100m`, `memory: 512Mi`); the strings
/// have been validated as Kubernetes quantities by the loader. Use
/// `crate::quantity` to read their values.
pub type ResourceList = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: ResourceList,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: ResourceList,
}

impl Resources {
    pub fn is_empty(&self) -> bool {
        self.limits.is_empty() && self.requests.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeMount {
    pub name: String,
    pub mount_path: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    pub name: String,
    pub image: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env_from: Vec<super::config_model::EnvFromSource>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ContainerPort>,
    #[serde(default, skip_serializing_if = "Resources::is_empty")]
    pub resources: Resources,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volume_mounts: Vec<VolumeMount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Always set after loading (Kubernetes' default applied).
    pub image_pull_policy: PullPolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<super::probe_model::Probe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<super::probe_model::Probe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_probe: Option<super::probe_model::Probe>,
    /// `envFrom` then `env`, resolved against the ConfigMaps and Secrets at
    /// load (empty when nothing was resolved: `env` is then used as is).
    /// Never serialized: Secret values must not reach any output.
    #[serde(skip)]
    pub resolved_env: Vec<super::config_model::ResolvedEnv>,
    /// `securityContext` merged over the pod's, with the pod's host
    /// namespaces.
    #[serde(
        default,
        rename = "securityContext",
        skip_serializing_if = "super::security_model::Security::is_empty"
    )]
    pub security: super::security_model::Security,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmptyDirSource {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub medium: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_limit: Option<String>,
}

/// `hostPath.type`: "" (no check), DirectoryOrCreate, Directory, FileOrCreate,
/// File, Socket, CharDevice, BlockDevice — kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostPathSource {
    pub path: String,
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum VolumeSource {
    EmptyDir(EmptyDirSource),
    HostPath(HostPathSource),
    ConfigMap(super::volume_model::ConfigMapVolumeSource),
    Secret(super::volume_model::SecretVolumeSource),
    #[serde(rename = "downwardAPI")]
    DownwardApi(super::volume_model::DownwardApiVolumeSource),
    Projected(super::volume_model::ProjectedVolumeSource),
}

impl VolumeSource {
    /// A volume whose files berth writes (ConfigMap, Secret, downward API,
    /// projected), kept up to date in place.
    pub fn holds_files(&self) -> bool {
        !matches!(self, VolumeSource::EmptyDir(_) | VolumeSource::HostPath(_))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    pub name: String,
    #[serde(flatten)]
    pub source: VolumeSource,
    /// The files of a ConfigMap, Secret, downward API or projected volume,
    /// resolved at load (never serialized: Secret bytes are among them).
    #[serde(skip)]
    pub files: Vec<super::volume_model::VolumeFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    pub containers: Vec<Container>,
    /// Run in order, each to completion, before any of `containers`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<Container>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    #[serde(default)]
    pub restart_policy: RestartPolicy,
    /// Kubernetes' default is 30 seconds.
    pub termination_grace_period_seconds: i64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: Labels,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
}

pub const DEFAULT_GRACE_SECONDS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pod {
    pub meta: ObjectMeta,
    pub spec: PodSpec,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodTemplate {
    /// The template's `metadata.labels` (and annotations); name/namespace unused.
    pub labels: Labels,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    pub spec: PodSpec,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationController {
    pub meta: ObjectMeta,
    /// `spec.replicas`, default 1.
    pub replicas: u32,
    /// `spec.selector`, defaulted to the template's labels when absent.
    pub selector: Labels,
    pub template: PodTemplate,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub port: u16,
    /// A number or a named container port, as written (defaults to `port`).
    pub target_port: String,
    #[serde(default)]
    pub protocol: Protocol,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub meta: ObjectMeta,
    pub selector: Labels,
    pub ports: Vec<ServicePort>,
    pub source: Source,
}

/// Node capacity as read from the manifest (`cpu`, `memory`, `pods`, ...),
/// quantities validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Nodes are cluster-scoped: `meta.namespace` is empty.
    pub meta: ObjectMeta,
    pub capacity: ResourceList,
    /// The Docker endpoint (`berth.io/docker-host` annotation), if any.
    pub docker_host: Option<String>,
    pub source: Source,
}

pub const DOCKER_HOST_ANNOTATION: &str = "berth.io/docker-host";

/// Everything loaded from a set of paths, valid as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifests {
    pub pods: Vec<Pod>,
    pub controllers: Vec<ReplicationController>,
    pub services: Vec<Service>,
    pub nodes: Vec<Node>,
    pub deployments: Vec<super::apps::Deployment>,
    pub replica_sets: Vec<super::apps::ReplicaSet>,
    pub daemon_sets: Vec<super::apps::DaemonSet>,
    pub config_maps: Vec<super::config_model::ConfigMap>,
    pub secrets: Vec<super::config_model::Secret>,
}

impl Manifests {
    pub fn is_empty(&self) -> bool {
        self.pods.is_empty()
            && self.controllers.is_empty()
            && self.services.is_empty()
            && self.nodes.is_empty()
            && self.deployments.is_empty()
            && self.replica_sets.is_empty()
            && self.daemon_sets.is_empty()
            && self.config_maps.is_empty()
            && self.secrets.is_empty()
    }

    pub fn object_count(&self) -> usize {
        self.pods.len()
            + self.controllers.len()
            + self.services.len()
            + self.nodes.len()
            + self.deployments.len()
            + self.replica_sets.len()
            + self.daemon_sets.len()
            + self.config_maps.len()
            + self.secrets.len()
    }
}
