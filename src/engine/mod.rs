//! The only door to Docker: a small trait, its bollard implementation and an
//! in-memory fake that records typed calls for planner tests.
//!
//! The types here are berth's own (not bollard's) so that the fake and the
//! planner never see Docker's wire format; what the engine reports about
//! containers lives in `observed` and is re-exported here.

pub mod docker;
pub mod fake;
pub mod rootfs;

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use futures_util::stream::BoxStream;

pub use crate::observed::{ContainerDetails, ContainerState, ContainerSummary};
pub use docker::DockerEngine;
pub use fake::FakeEngine;

/// Errors from the engine, named after the operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot connect to the Docker engine at {endpoint}: {message}")]
    Connect { endpoint: String, message: String },
    #[error("{operation} timed out after {seconds} s (the Docker engine did not answer)")]
    Timeout { operation: String, seconds: u64 },
    #[error("{operation}: not found: {what}")]
    NotFound { operation: String, what: String },
    #[error("{operation}: {message}")]
    Api { operation: String, message: String },
}

impl EngineError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, EngineError::NotFound { .. })
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RestartMode {
    No,
    Always,
    OnFailure,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortBinding {
    pub container_port: u16,
    /// `tcp`, `udp`, `sctp`.
    pub protocol: String,
    pub host_port: u16,
    /// Empty: all interfaces.
    pub host_ip: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountSource {
    /// A named Docker volume.
    Volume(String),
    /// A host path (bind mount).
    Bind(String),
    /// `path` inside a named volume: a `subPath` mount. `apply` turns it
    /// into a bind mount of that path under the volume's mount point
    /// (Docker 20.10 cannot mount part of a volume).
    VolumePath { volume: String, path: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub source: MountSource,
    pub target: String,
    pub read_only: bool,
}

/// A Docker `HEALTHCHECK` in exec form (`CMD`): Docker runs `command` in
/// the container every `interval`, and marks it unhealthy after `retries`
/// failures in a row (failures within `start_period` do not count). Docker
/// never restarts an unhealthy container by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Healthcheck {
    pub command: Vec<String>,
    pub interval: Duration,
    pub timeout: Duration,
    pub retries: u32,
    pub start_period: Duration,
}

/// How much of the host a container may reach (all off by default: Docker's
/// own defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerSecurity {
    /// `uid` or `uid:gid`; `None`: the image's user.
    pub user: Option<String>,
    pub read_only_rootfs: bool,
    /// `no-new-privileges` (Kubernetes' `allowPrivilegeEscalation: false`).
    pub no_new_privileges: bool,
    pub privileged: bool,
    /// Capability names without `CAP_`.
    pub cap_add: Vec<String>,
    /// Capability names without `CAP_`, or `ALL`.
    pub cap_drop: Vec<String>,
    /// The host's process namespace.
    pub host_pid: bool,
    /// The host's IPC namespace.
    pub host_ipc: bool,
}

/// Everything berth sets when it creates a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerConfig {
    pub name: String,
    pub image: String,
    pub labels: BTreeMap<String, String>,
    /// `None`: the image's own.
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    /// `NAME=value`.
    pub env: Vec<String>,
    pub working_dir: Option<String>,
    /// `container:<id>` for the members of a pod; `None` to join `network`.
    pub network_mode: Option<String>,
    /// The user-defined network to attach to, with aliases.
    pub network: Option<(String, Vec<String>)>,
    pub hostname: Option<String>,
    pub ports: Vec<PortBinding>,
    pub memory_bytes: Option<i64>,
    pub nano_cpus: Option<i64>,
    pub mounts: Vec<Mount>,
    pub restart: RestartMode,
    /// Seconds Docker waits after the stop signal before SIGKILL.
    pub stop_timeout: Option<i64>,
    pub stop_signal: Option<String>,
    /// `None`: the image's own, if it has one.
    pub healthcheck: Option<Healthcheck>,
    pub security: ContainerSecurity,
}

impl ContainerConfig {
    /// A container of `image` named `name` with nothing else set: the
    /// image's own entrypoint and command, no network, no limits, no restart.
    pub fn new(name: impl Into<String>, image: impl Into<String>) -> ContainerConfig {
        ContainerConfig {
            name: name.into(),
            image: image.into(),
            labels: BTreeMap::new(),
            entrypoint: None,
            cmd: None,
            env: Vec::new(),
            working_dir: None,
            network_mode: None,
            network: None,
            hostname: None,
            ports: Vec::new(),
            memory_bytes: None,
            nano_cpus: None,
            mounts: Vec::new(),
            restart: RestartMode::No,
            stop_timeout: None,
            stop_signal: None,
            healthcheck: None,
            security: ContainerSecurity::default(),
        }
    }
}

/// A Docker event about a container (`die`, `oom`, `start`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineEvent {
    pub action: String,
    pub container_id: String,
    /// The container's labels at the time (Docker sends them as attributes).
    pub attributes: BTreeMap<String, String>,
    /// Unix nanoseconds.
    pub time_nanos: i64,
}

/// What the engine reports of itself and its machine (`docker info`): what
/// a node needs to know of the engine behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineInfo {
    /// Logical CPUs (`NCPU`).
    pub cpus: u32,
    /// Total memory in bytes (`MemTotal`).
    pub memory_bytes: i64,
    /// The machine's host name (`Name`).
    pub name: String,
    /// Docker's version, e.g. `20.10.24`.
    pub server_version: String,
    pub storage_driver: String,
    /// The operating system, e.g. `Ubuntu 22.04.4 LTS`.
    pub os: String,
    /// `linux` or `windows`.
    pub os_type: String,
    /// As Docker spells it, e.g. `x86_64`.
    pub architecture: String,
    pub kernel_version: String,
}

/// The Docker engine, seen through the calls berth needs. Every call has a
/// timeout in the real implementation: a wedged engine is an error, not a hang.
pub trait Engine: Send + Sync {
    /// A short description of the endpoint, for messages.
    fn endpoint(&self) -> String;

    /// The engine and its machine: cpus, memory, versions.
    fn info(&self) -> impl Future<Output = Result<EngineInfo>> + Send;

    /// All containers (running or not) carrying every `key=value` in `labels`.
    fn list_containers(
        &self,
        labels: &[(String, String)],
    ) -> impl Future<Output = Result<Vec<ContainerSummary>>> + Send;

    fn inspect_container(&self, id: &str) -> impl Future<Output = Result<ContainerDetails>> + Send;

    /// Creates the container and returns its id.
    fn create_container(
        &self,
        config: &ContainerConfig,
    ) -> impl Future<Output = Result<String>> + Send;

    fn start_container(&self, id: &str) -> impl Future<Output = Result<()>> + Send;

    /// Stops with the container's own stop timeout unless `timeout` is given.
    fn stop_container(
        &self,
        id: &str,
        timeout: Option<Duration>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Force-removes the container and its anonymous volumes. A missing
    /// container is not an error.
    fn remove_container(&self, id: &str) -> impl Future<Output = Result<()>> + Send;

    /// Networks with every label in `labels`: (name, labels).
    fn list_networks(
        &self,
        labels: &[(String, String)],
    ) -> impl Future<Output = Result<Vec<(String, BTreeMap<String, String>)>>> + Send;

    fn create_network(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Removes the network; a missing one is not an error, one still in use
    /// is (`EngineError::Api`): the caller decides whether that matters.
    fn remove_network(&self, name: &str) -> impl Future<Output = Result<()>> + Send;

    /// Connects the container to the network under `aliases` (DNS names
    /// on that network), at address `ip` when given and the network allows
    /// choosing it.
    fn connect_network(
        &self,
        network: &str,
        id: &str,
        aliases: &[String],
        ip: Option<&str>,
    ) -> impl Future<Output = Result<()>> + Send;

    fn disconnect_network(
        &self,
        network: &str,
        id: &str,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Volumes with every label in `labels`: names.
    fn list_volumes(
        &self,
        labels: &[(String, String)],
    ) -> impl Future<Output = Result<Vec<String>>> + Send;

    /// Creates the volume (an existing one is handed back as it is) and
    /// returns its mount point on the engine's machine.
    fn create_volume(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> impl Future<Output = Result<String>> + Send;

    /// Removes the volume; a missing one is not an error.
    fn remove_volume(&self, name: &str) -> impl Future<Output = Result<()>> + Send;

    fn image_exists(&self, image: &str) -> impl Future<Output = Result<bool>> + Send;

    /// Pulls the image; an unreachable registry is an error after the timeout.
    fn pull_image(&self, image: &str) -> impl Future<Output = Result<()>> + Send;

    /// Imports a root file system tar as `image` (what `docker import` does),
    /// with Dockerfile-style `changes` such as `ENTRYPOINT ["/pause"]`.
    fn import_image(
        &self,
        rootfs_tar: Vec<u8>,
        image: &str,
        changes: &[String],
    ) -> impl Future<Output = Result<()>> + Send;

    /// Container events between two instants (Unix seconds), filtered by
    /// labels. Returns once `until` is reached; never streams forever.
    fn container_events(
        &self,
        since: i64,
        until: i64,
        labels: &[(String, String)],
    ) -> impl Future<Output = Result<Vec<EngineEvent>>> + Send;

    /// Extracts `tar` into the container's file system under the directory
    /// `path`, through its volume mounts, as `docker cp - C:PATH` does; the
    /// container need not run.
    fn upload_archive(
        &self,
        id: &str,
        path: &str,
        tar: Vec<u8>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// `path` in the container as a tar (`docker cp C:PATH -`).
    fn download_archive(
        &self,
        id: &str,
        path: &str,
    ) -> impl Future<Output = Result<Vec<u8>>> + Send;

    /// Runs `cmd` in the running container, in `working_dir`, to its end;
    /// its output is discarded and its exit code returned.
    fn exec(
        &self,
        id: &str,
        cmd: &[String],
        working_dir: &str,
    ) -> impl Future<Output = Result<i64>> + Send;

    /// Container events as they happen, from now on, filtered by labels
    /// and by action (`die`, `start` …; empty: all). The stream has no end
    /// of its own: it ends, or yields an error, when the connection to the
    /// engine is lost, and the caller reconnects.
    fn event_stream(
        &self,
        labels: &[(String, String)],
        actions: &[&str],
    ) -> BoxStream<'static, Result<EngineEvent>>;
}
