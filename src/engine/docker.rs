//! `DockerEngine`: the `Engine` trait on a real Docker engine through bollard,
//! every call bounded by a timeout so that a wedged engine is an error.

mod create;
mod endpoint;
mod files;
mod images;
mod objects;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bollard::errors::Error as DockerError;
use bollard::query_parameters::EventsOptions;
use bollard::{Docker, API_DEFAULT_VERSION};
use futures_util::StreamExt;

use super::{EngineError, EngineEvent, Result};

use create::container_body;
use endpoint::{Endpoint, Transport};

/// Where a client looks when `DOCKER_HOST` is not set.
pub const DEFAULT_ENDPOINT: &str = "unix:///var/run/docker.sock";

/// How long berth waits for the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Any ordinary call (list, inspect, create, start, remove ...).
    pub call: Duration,
    /// Image pulls and imports, which move data.
    pub image: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            call: Duration::from_secs(30),
            image: Duration::from_secs(120),
        }
    }
}

/// A Docker engine reached through bollard, with a negotiated API version.
#[derive(Debug, Clone)]
pub struct DockerEngine {
    docker: Docker,
    endpoint: String,
    pub timeouts: Timeouts,
}

/// `DOCKER_HOST` when set (and not empty), else the local socket.
pub fn default_endpoint() -> String {
    match std::env::var("DOCKER_HOST") {
        Ok(host) if !host.trim().is_empty() => host.trim().to_string(),
        _ => DEFAULT_ENDPOINT.to_string(),
    }
}

/// The certificate directory the docker CLI would use for `endpoint`
/// given this process's environment (`DOCKER_TLS_VERIFY`,
/// `DOCKER_CERT_PATH`, `HOME`); `None`: no TLS.
pub fn default_cert_dir(endpoint: &str) -> Option<PathBuf> {
    let var = |name: &str| std::env::var(name).ok();
    endpoint::env_cert_dir(
        endpoint,
        var("DOCKER_TLS_VERIFY").as_deref(),
        var("DOCKER_CERT_PATH").as_deref(),
        var("HOME").as_deref(),
    )
}

/// A bollard client for `transport`. Not `Docker::connect_with_host`: with
/// the `ssl` feature it reads `DOCKER_TLS_VERIFY` itself, and berth decides
/// about TLS in one place. The pinned version is only a ceiling: the
/// caller negotiates right after.
fn open(transport: &Transport, timeout_secs: u64) -> std::result::Result<Docker, DockerError> {
    match transport {
        Transport::Unix(path) => {
            Docker::connect_with_unix(&path.to_string_lossy(), timeout_secs, API_DEFAULT_VERSION)
        }
        Transport::Http(address) => {
            Docker::connect_with_http(address, timeout_secs, API_DEFAULT_VERSION)
        }
        Transport::Tls { address, files } => Docker::connect_with_ssl(
            address,
            &files.key,
            &files.cert,
            &files.ca,
            timeout_secs,
            API_DEFAULT_VERSION,
        ),
    }
}

/// Why the first request failed, in words that point at the fix: a TLS
/// failure says so, and which side refused which file (our CA refused the
/// engine's certificate, or the engine refused our `cert.pem`); a plain
/// request to a TLS port says to give certificates.
fn connect_failure(endpoint: &Endpoint, error: &DockerError) -> String {
    let causes = with_causes(error).trim().to_string();
    match &endpoint.transport {
        Transport::Tls { files, .. } if endpoint::is_tls_failure(&causes) => {
            let which = if causes.contains("invalid peer certificate") {
                format!(
                    "the engine's certificate does not verify against {}",
                    files.ca.display()
                )
            } else if causes.contains("alert") {
                format!(
                    "the engine refused our certificate {}",
                    files.cert.display()
                )
            } else {
                "no TLS session could be set up".to_string()
            };
            format!("TLS handshake failed: {which}: {causes}")
        }
        Transport::Http(_) if endpoint::is_plain_http_to_tls_port(&causes) => format!(
            "the engine speaks TLS on this port: give a certificate directory \
             (DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH with ca.pem, cert.pem, key.pem): {causes}"
        ),
        _ => causes,
    }
}

impl DockerEngine {
    /// Connects to `DOCKER_HOST` or the local socket with the default
    /// timeouts, over TLS when the environment asks for it as it would the
    /// docker CLI (`DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`).
    pub async fn connect() -> Result<DockerEngine> {
        Self::connect_to(&default_endpoint()).await
    }

    /// Connects to `unix:///path`, a bare socket path, `tcp://host:port` or
    /// `https://host:port`; like `docker -H`, a TCP endpoint uses TLS when
    /// `DOCKER_TLS_VERIFY` is set (certificates from `DOCKER_CERT_PATH`).
    pub async fn connect_to(endpoint: &str) -> Result<DockerEngine> {
        let certs = default_cert_dir(endpoint);
        Self::connect_endpoint(endpoint, certs.as_deref(), Timeouts::default()).await
    }

    /// Connects without TLS (plain TCP or a socket) and negotiates the API
    /// version (so API 1.41, Docker 20.10, works), within `timeouts.call`.
    pub async fn connect_with(endpoint: &str, timeouts: Timeouts) -> Result<DockerEngine> {
        Self::connect_endpoint(endpoint, None, timeouts).await
    }

    /// Connects to `endpoint` and negotiates the API version within
    /// `timeouts.call`: `unix:///path` or `/path` is a socket; `tcp://` or
    /// `http://` is plain HTTP without `cert_dir` and TLS with it;
    /// `https://` needs `cert_dir`. `cert_dir` is a `DOCKER_CERT_PATH`-style
    /// directory: the server's certificate must chain to its `ca.pem` (or to
    /// a CA the system trusts: bollard adds those), and `cert.pem`/`key.pem`
    /// are shown to an engine started with `--tlsverify`. No answer within
    /// `timeouts.call` is `EngineError::Timeout`; every other failure, a
    /// refused certificate included, is `EngineError::Connect`.
    pub async fn connect_endpoint(
        endpoint: &str,
        cert_dir: Option<&Path>,
        timeouts: Timeouts,
    ) -> Result<DockerEngine> {
        let parsed =
            Endpoint::parse(endpoint, cert_dir).map_err(|message| EngineError::Connect {
                endpoint: endpoint.trim().to_string(),
                message,
            })?;
        let url = parsed.url.clone();
        let connect_error = |message: String| EngineError::Connect {
            endpoint: url.clone(),
            message,
        };
        // bollard's own timeout stays above ours so that ours speaks first.
        let slack = timeouts.call.max(timeouts.image) + Duration::from_secs(5);
        let docker = open(&parsed.transport, slack.as_secs())
            .map_err(|e| connect_error(with_causes(&e)))?
            .with_timeout(slack);
        let docker = match tokio::time::timeout(timeouts.call, docker.negotiate_version()).await {
            Err(_) => {
                return Err(timeout(
                    &format!("connect to the Docker engine at {url}"),
                    timeouts.call,
                ))
            }
            Ok(Err(e)) => return Err(connect_error(connect_failure(&parsed, &e))),
            Ok(Ok(docker)) => docker,
        };
        Ok(DockerEngine {
            docker,
            endpoint: url,
            timeouts,
        })
    }

    /// The negotiated API version, e.g. `1.41`.
    pub fn api_version(&self) -> String {
        self.docker.client_version().to_string()
    }

    /// Runs one request under `limit`, mapping Docker's answer to berth's error.
    async fn call<T>(
        &self,
        operation: &str,
        what: &str,
        limit: Duration,
        request: impl Future<Output = std::result::Result<T, DockerError>>,
    ) -> Result<T> {
        match tokio::time::timeout(limit, request).await {
            Err(_) => Err(timeout(operation, limit)),
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(map_error(operation, what, limit, error)),
        }
    }
}

fn timeout(operation: &str, limit: Duration) -> EngineError {
    EngineError::Timeout {
        operation: operation.to_string(),
        seconds: limit.as_secs(),
    }
}

/// 404 → `NotFound`; bollard's own timeout → `Timeout`; anything else →
/// `Api` with Docker's message.
fn map_error(operation: &str, what: &str, limit: Duration, error: DockerError) -> EngineError {
    match error {
        DockerError::DockerResponseServerError {
            status_code: 404, ..
        } => EngineError::NotFound {
            operation: operation.to_string(),
            what: what.to_string(),
        },
        DockerError::DockerResponseServerError { message, .. } => EngineError::Api {
            operation: operation.to_string(),
            message: message.trim().to_string(),
        },
        DockerError::DockerStreamError { error } => EngineError::Api {
            operation: operation.to_string(),
            message: error.trim().to_string(),
        },
        DockerError::RequestTimeoutError => timeout(operation, limit),
        other => EngineError::Api {
            operation: operation.to_string(),
            message: with_causes(&other),
        },
    }
}

/// The error and its causes, `: `-separated (hyper hides "connection
/// refused" two levels down).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
        source = cause.source();
    }
    message
}

/// Treats Docker's answer `status` (e.g. 304 "already started") as success.
async fn tolerate(
    status: u16,
    request: impl Future<Output = std::result::Result<(), DockerError>>,
) -> std::result::Result<(), DockerError> {
    match request.await {
        Err(DockerError::DockerResponseServerError { status_code, .. })
            if status_code == status =>
        {
            Ok(())
        }
        other => other,
    }
}

/// Docker's `filters` for "every one of these labels".
fn label_filters(labels: &[(String, String)]) -> HashMap<String, Vec<String>> {
    let mut filters = HashMap::new();
    if !labels.is_empty() {
        let values = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        filters.insert("label".to_string(), values);
    }
    filters
}

fn btree(map: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    map.unwrap_or_default().into_iter().collect()
}

fn now_nanos() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

/// Docker's `secs.nanos` timestamp form.
fn timestamp(nanos: i128) -> String {
    format!(
        "{}.{:09}",
        nanos.div_euclid(1_000_000_000),
        nanos.rem_euclid(1_000_000_000)
    )
}

impl DockerEngine {
    /// Events are only read from the past: `until` is clamped to now so the
    /// engine closes the stream at once instead of waiting for the future.
    async fn events(
        &self,
        since: i64,
        until: i64,
        labels: &[(String, String)],
    ) -> Result<Vec<EngineEvent>> {
        let until_nanos = (i128::from(until) * 1_000_000_000).min(now_nanos());
        let since_nanos = i128::from(since) * 1_000_000_000;
        if since_nanos > until_nanos {
            return Ok(Vec::new());
        }
        let mut filters = label_filters(labels);
        filters.insert("type".to_string(), vec!["container".to_string()]);
        let options = EventsOptions {
            since: Some(timestamp(since_nanos)),
            until: Some(timestamp(until_nanos)),
            filters: Some(filters),
        };
        let operation = "read container events";
        let limit = self.timeouts.call;
        let mut stream = self.docker.events(Some(options));
        let collect = async {
            let mut events = Vec::new();
            while let Some(message) = stream.next().await {
                events.push(event_of(message?));
            }
            Ok(events)
        };
        self.call(operation, "events", limit, collect).await
    }
}

impl super::Engine for DockerEngine {
    fn endpoint(&self) -> String {
        self.endpoint.clone()
    }

    async fn info(&self) -> Result<super::EngineInfo> {
        let request = self.docker.info();
        let info = self
            .call("read engine info", "info", self.timeouts.call, request)
            .await?;
        Ok(engine_info(info))
    }

    async fn list_containers(
        &self,
        labels: &[(String, String)],
    ) -> Result<Vec<super::ContainerSummary>> {
        self.containers(labels).await
    }

    async fn inspect_container(&self, id: &str) -> Result<super::ContainerDetails> {
        self.inspect(id).await
    }

    async fn create_container(&self, config: &super::ContainerConfig) -> Result<String> {
        self.create(config).await
    }

    async fn start_container(&self, id: &str) -> Result<()> {
        self.start(id).await
    }

    async fn stop_container(&self, id: &str, timeout: Option<Duration>) -> Result<()> {
        self.stop(id, timeout).await
    }

    async fn remove_container(&self, id: &str) -> Result<()> {
        self.remove(id).await
    }

    async fn list_networks(
        &self,
        labels: &[(String, String)],
    ) -> Result<Vec<(String, BTreeMap<String, String>)>> {
        self.networks(labels).await
    }

    async fn create_network(&self, name: &str, labels: &BTreeMap<String, String>) -> Result<()> {
        self.create_net(name, labels).await
    }

    async fn remove_network(&self, name: &str) -> Result<()> {
        self.remove_net(name).await
    }

    async fn list_volumes(&self, labels: &[(String, String)]) -> Result<Vec<String>> {
        self.volumes(labels).await
    }

    async fn create_volume(&self, name: &str, labels: &BTreeMap<String, String>) -> Result<String> {
        self.create_vol(name, labels).await
    }

    async fn remove_volume(&self, name: &str) -> Result<()> {
        self.remove_vol(name).await
    }

    async fn image_exists(&self, image: &str) -> Result<bool> {
        self.has_image(image).await
    }

    async fn pull_image(&self, image: &str) -> Result<()> {
        self.pull(image).await
    }

    async fn import_image(
        &self,
        rootfs_tar: Vec<u8>,
        image: &str,
        changes: &[String],
    ) -> Result<()> {
        self.import(rootfs_tar, image, changes).await
    }

    async fn container_events(
        &self,
        since: i64,
        until: i64,
        labels: &[(String, String)],
    ) -> Result<Vec<EngineEvent>> {
        self.events(since, until, labels).await
    }

    async fn upload_archive(&self, id: &str, path: &str, tar: Vec<u8>) -> Result<()> {
        self.upload(id, path, tar).await
    }

    async fn download_archive(&self, id: &str, path: &str) -> Result<Vec<u8>> {
        self.download(id, path).await
    }

    async fn exec(&self, id: &str, cmd: &[String], working_dir: &str) -> Result<i64> {
        self.run(id, cmd, working_dir).await
    }

    fn event_stream(
        &self,
        labels: &[(String, String)],
        actions: &[&str],
    ) -> futures_util::stream::BoxStream<'static, Result<EngineEvent>> {
        let mut filters = label_filters(labels);
        filters.insert("type".to_string(), vec!["container".to_string()]);
        if !actions.is_empty() {
            let actions = actions.iter().map(|a| a.to_string()).collect();
            filters.insert("event".to_string(), actions);
        }
        let options = EventsOptions {
            since: None,
            until: None,
            filters: Some(filters),
        };
        // bollard's timeout bounds only the answer's head, so the stream
        // itself may stay open as long as the engine does.
        let limit = self.timeouts.call;
        self.docker
            .events(Some(options))
            .map(move |message| {
                message
                    .map(event_of)
                    .map_err(|e| map_error("follow container events", "events", limit, e))
            })
            .boxed()
    }
}

/// berth's engine info from Docker's; what Docker leaves out is 0 or empty.
fn engine_info(info: bollard::models::SystemInfo) -> super::EngineInfo {
    super::EngineInfo {
        cpus: info.ncpu.and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
        memory_bytes: info.mem_total.unwrap_or(0),
        name: info.name.unwrap_or_default(),
        server_version: info.server_version.unwrap_or_default(),
        storage_driver: info.driver.unwrap_or_default(),
        os: info.operating_system.unwrap_or_default(),
        os_type: info.os_type.unwrap_or_default(),
        architecture: info.architecture.unwrap_or_default(),
        kernel_version: info.kernel_version.unwrap_or_default(),
    }
}

/// berth's event from Docker's message.
fn event_of(message: bollard::models::EventMessage) -> EngineEvent {
    let actor = message.actor.unwrap_or_default();
    let time_nanos = message
        .time_nano
        .unwrap_or(message.time.unwrap_or(0) * 1_000_000_000);
    EngineEvent {
        action: message.action.unwrap_or_default(),
        container_id: actor.id.unwrap_or_default(),
        attributes: btree(actor.attributes),
        time_nanos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_use_docker_seconds_dot_nanos_form() {
        assert_eq!(timestamp(1_700_000_000_000_000_123), "1700000000.000000123");
        assert_eq!(timestamp(0), "0.000000000");
    }

    #[test]
    fn engine_info_takes_cpus_and_memory_from_ncpu_and_mem_total() {
        let info = engine_info(bollard::models::SystemInfo {
            ncpu: Some(8),
            mem_total: Some(16 << 30),
            server_version: Some("20.10.24".into()),
            driver: Some("fuse-overlayfs".into()),
            ..Default::default()
        });
        assert_eq!((info.cpus, info.memory_bytes), (8, 16 << 30));
        assert_eq!(info.server_version, "20.10.24");
        assert_eq!(info.storage_driver, "fuse-overlayfs");
        assert_eq!(engine_info(Default::default()).cpus, 0);
    }

    #[test]
    fn label_filters_require_every_pair() {
        let filters = label_filters(&[("a".into(), "1".into()), ("b".into(), "2".into())]);
        assert_eq!(filters["label"], vec!["a=1".to_string(), "b=2".to_string()]);
        assert!(label_filters(&[]).is_empty());
    }

    #[test]
    fn a_404_is_not_found_and_other_answers_keep_dockers_message() {
        let limit = Duration::from_secs(1);
        let missing = DockerError::DockerResponseServerError {
            status_code: 404,
            message: "No such container: x".into(),
        };
        assert!(map_error("inspect container x", "container x", limit, missing).is_not_found());
        let conflict = DockerError::DockerResponseServerError {
            status_code: 409,
            message: "in use\n".into(),
        };
        let error = map_error("remove network n", "network n", limit, conflict);
        assert_eq!(error.to_string(), "remove network n: in use");
        let slow = map_error(
            "list containers",
            "containers",
            limit,
            DockerError::RequestTimeoutError,
        );
        assert!(matches!(slow, EngineError::Timeout { seconds: 1, .. }));
    }
}
