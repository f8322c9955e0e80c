//! In-memory engine for tests: containers, networks, volumes and images held
//! in a map, with Docker's lifecycle rules, recording every call as a typed
//! `Call` so a test can assert exactly what berth asked for.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};

mod engine;
pub mod files;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::sync::mpsc;

use super::{
    ContainerConfig, ContainerDetails, ContainerState, ContainerSummary, EngineError, EngineEvent,
    EngineInfo, RestartMode,
};

/// One call made through the `Engine` trait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Info,
    List,
    Inspect { id: String },
    Create { name: String },
    Start { id: String },
    Stop { id: String },
    Remove { id: String },
    ListNetworks,
    CreateNetwork { name: String },
    RemoveNetwork { name: String },
    ListVolumes,
    CreateVolume { name: String },
    RemoveVolume { name: String },
    ImageExists { image: String },
    Pull { image: String },
    Import { image: String },
    Events,
    Upload { id: String, path: String },
    Download { id: String, path: String },
    Exec { id: String, cmd: Vec<String> },
}

impl Call {
    /// Whether the call changes the engine's state.
    pub fn is_mutating(&self) -> bool {
        !matches!(
            self,
            Call::Info
                | Call::List
                | Call::Inspect { .. }
                | Call::ListNetworks
                | Call::ListVolumes
                | Call::ImageExists { .. }
                | Call::Events
                | Call::Download { .. }
        )
    }
}

/// A container as the fake keeps it.
#[derive(Debug, Clone)]
pub struct FakeContainer {
    pub id: String,
    pub config: ContainerConfig,
    pub state: ContainerState,
    pub exit_code: i64,
    pub oom_killed: bool,
    pub restart_count: u64,
    /// Unix seconds.
    pub created: i64,
}

#[derive(Debug, Default)]
struct State {
    containers: BTreeMap<String, FakeContainer>,
    networks: BTreeMap<String, BTreeMap<String, String>>,
    volumes: BTreeMap<String, BTreeMap<String, String>>,
    images: BTreeSet<String>,
    /// Images a pull would find (the registry, as far as the fake knows).
    registry: BTreeSet<String>,
    calls: Vec<Call>,
    next_id: u64,
    /// Every id ever handed out, with its container name.
    names: BTreeMap<String, String>,
    /// Images whose containers crash-loop as soon as they start.
    crashing: BTreeSet<String>,
    /// Open event streams.
    subscribers: Vec<Subscriber>,
    /// Every call fails with this connection error (the engine is down).
    outage: Option<String>,
    /// What `info` reports; `None`: `FakeEngine::default_info`.
    info: Option<EngineInfo>,
    /// The files of each volume, by volume name.
    volume_files: BTreeMap<String, files::Tree>,
    /// The files of each container's own file system, by container id.
    own_files: BTreeMap<String, files::Tree>,
}

/// One open event stream: what it asked for and where it goes.
#[derive(Debug)]
struct Subscriber {
    labels: Vec<(String, String)>,
    actions: Vec<String>,
    tx: mpsc::UnboundedSender<super::Result<EngineEvent>>,
}

/// The in-memory engine.
#[derive(Debug, Default)]
pub struct FakeEngine {
    state: Mutex<State>,
}

/// Where the fake says its volumes live.
pub const VOLUME_ROOT: &str = "/fake/volumes";

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn not_found(operation: &str, what: &str) -> EngineError {
    EngineError::NotFound {
        operation: operation.to_string(),
        what: what.to_string(),
    }
}

fn has_labels(have: &BTreeMap<String, String>, want: &[(String, String)]) -> bool {
    want.iter().all(|(k, v)| have.get(k) == Some(v))
}

impl FakeEngine {
    pub fn new() -> FakeEngine {
        FakeEngine::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What `info` reports until `set_info`: 4 cpus, 8 GiB.
    pub fn default_info() -> EngineInfo {
        EngineInfo {
            cpus: 4,
            memory_bytes: 8 << 30,
            name: "fake".to_string(),
            server_version: "20.10.24".to_string(),
            storage_driver: "overlay2".to_string(),
            os: "Fake OS".to_string(),
            os_type: "linux".to_string(),
            architecture: "x86_64".to_string(),
            kernel_version: "6.1.0".to_string(),
        }
    }

    /// Sets what `info` reports (the machine's cpus and memory …).
    pub fn set_info(&self, info: EngineInfo) {
        self.lock().info = Some(info);
    }

    /// What `info` reports.
    pub(crate) fn info_now(&self) -> EngineInfo {
        self.lock()
            .info
            .clone()
            .unwrap_or_else(FakeEngine::default_info)
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    pub fn clear_calls(&self) {
        self.lock().calls.clear();
    }

    /// The calls that changed something.
    pub fn mutating_calls(&self) -> Vec<Call> {
        self.calls().into_iter().filter(Call::is_mutating).collect()
    }

    /// Makes an image present locally.
    pub fn add_image(&self, image: &str) {
        self.lock().images.insert(image.to_string());
    }

    /// Makes an image pullable (it is not present until pulled).
    pub fn add_pullable(&self, image: &str) {
        self.lock().registry.insert(image.to_string());
    }

    pub fn has_image(&self, image: &str) -> bool {
        self.lock().images.contains(image)
    }

    /// All containers, by name.
    pub fn containers(&self) -> BTreeMap<String, FakeContainer> {
        self.lock()
            .containers
            .values()
            .map(|c| (c.config.name.clone(), c.clone()))
            .collect()
    }

    pub fn container(&self, name: &str) -> Option<FakeContainer> {
        self.containers().remove(name)
    }

    pub fn container_names(&self) -> Vec<String> {
        self.containers().into_keys().collect()
    }

    pub fn networks(&self) -> Vec<String> {
        self.lock().networks.keys().cloned().collect()
    }

    pub fn volumes(&self) -> Vec<String> {
        self.lock().volumes.keys().cloned().collect()
    }

    /// The name a container id was created with (also after removal).
    /// The files of volume `name`.
    pub fn volume_files(&self, name: &str) -> files::Tree {
        self.lock()
            .volume_files
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    /// The bytes at `path` as container `name` sees it (through its volume
    /// mounts, following symlinks inside the volume).
    pub fn read_file(&self, name: &str, path: &str) -> Option<Vec<u8>> {
        let s = self.lock();
        let c = s.containers.values().find(|c| c.config.name == name)?;
        match files::place(&c.config, path) {
            files::Place::Volume(volume, rest) => files::read(s.volume_files.get(&volume)?, &rest),
            files::Place::Own(rest) => files::read(s.own_files.get(&c.id)?, &rest),
        }
    }

    pub fn name_of(&self, id: &str) -> Option<String> {
        self.lock().names.get(id).cloned()
    }

    fn with_container(&self, name: &str, f: impl FnOnce(&mut FakeContainer)) {
        let mut state = self.lock();
        let c = state
            .containers
            .values_mut()
            .find(|c| c.config.name == name);
        f(c.unwrap_or_else(|| panic!("fake engine: no container named {name}")));
    }

    /// The main process exits with `code`; Docker's restart policy applies.
    pub fn exit(&self, name: &str, code: i64) {
        self.with_container(name, |c| {
            c.exit_code = code;
            let restarts = match c.config.restart {
                RestartMode::Always => true,
                RestartMode::OnFailure => code != 0,
                RestartMode::No => false,
            };
            if restarts {
                c.restart_count += 1;
                c.state = ContainerState::Running;
            } else {
                c.state = ContainerState::Exited;
            }
        });
    }

    /// The kernel kills the container for memory (exit 137, OOMKilled).
    pub fn oom(&self, name: &str) {
        self.exit(name, 137);
        self.with_container(name, |c| c.oom_killed = true);
    }

    /// Docker keeps restarting it with a back-off (a crash loop).
    pub fn crash_loop(&self, name: &str) {
        self.with_container(name, |c| {
            c.exit_code = 1;
            c.restart_count += 3;
            c.state = ContainerState::Restarting;
        });
    }

    /// `docker stop` behind berth's back: exited, never restarted.
    pub fn stop_behind_back(&self, name: &str) {
        self.with_container(name, |c| {
            c.exit_code = 137;
            c.state = ContainerState::Exited;
        });
        if let Some(c) = self.container(name) {
            self.emit_about(&c.id, &["die", "stop"]);
        }
    }

    /// `docker rm -f` behind berth's back.
    pub fn remove_behind_back(&self, name: &str) {
        if let Some(c) = self.container(name) {
            self.emit_about(&c.id, &["die", "destroy"]);
        }
        self.lock().containers.retain(|_, c| c.config.name != name);
    }

    /// Containers of `image` crash-loop from their first start on.
    pub fn crash_on_start(&self, image: &str) {
        self.lock().crashing.insert(image.to_string());
    }

    /// Forces a container into `state` (e.g. `Created`: never started).
    pub fn set_state(&self, name: &str, state: ContainerState) {
        self.with_container(name, |c| c.state = state);
    }

    /// Shifts a container's creation time into the past.
    pub fn age(&self, name: &str, by: Duration) {
        self.with_container(name, |c| c.created -= by.as_secs() as i64);
    }

    /// Puts a container in place as if someone (or an earlier berth) made it.
    pub fn insert(&self, config: ContainerConfig, state: ContainerState) -> String {
        let mut s = self.lock();
        s.next_id += 1;
        let id = format!("{:012x}", s.next_id);
        s.names.insert(id.clone(), config.name.clone());
        let c = FakeContainer {
            id: id.clone(),
            config,
            state,
            exit_code: 0,
            oom_killed: false,
            restart_count: 0,
            created: now_secs(),
        };
        s.containers.insert(id.clone(), c);
        id
    }

    /// Records the call; fails it when the engine is down.
    fn begin(&self, call: Call) -> super::Result<()> {
        let mut s = self.lock();
        s.calls.push(call);
        match &s.outage {
            Some(message) => Err(EngineError::Connect {
                endpoint: "fake://".to_string(),
                message: message.clone(),
            }),
            None => Ok(()),
        }
    }

    /// The engine goes down (every call fails, event streams end with an
    /// error) or, with `None`, comes back.
    pub fn set_outage(&self, message: Option<&str>) {
        let mut s = self.lock();
        s.outage = message.map(str::to_string);
        if let Some(message) = message {
            for sub in s.subscribers.drain(..) {
                let _ = sub.tx.send(Err(EngineError::Connect {
                    endpoint: "fake://".to_string(),
                    message: message.to_string(),
                }));
            }
        }
    }

    /// Whether the engine is down (`set_outage`).
    pub fn is_down(&self) -> bool {
        self.lock().outage.is_some()
    }

    /// Ends every open event stream, as a lost connection does.
    pub fn drop_event_streams(&self) {
        self.lock().subscribers.clear();
    }

    /// How many event streams are open.
    pub fn event_streams(&self) -> usize {
        self.lock().subscribers.len()
    }

    fn subscribe(
        &self,
        labels: &[(String, String)],
        actions: &[&str],
    ) -> BoxStream<'static, super::Result<EngineEvent>> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut s = self.lock();
        s.calls.push(Call::Events);
        if let Some(message) = &s.outage {
            let _ = tx.send(Err(EngineError::Connect {
                endpoint: "fake://".to_string(),
                message: message.clone(),
            }));
        } else {
            s.subscribers.push(Subscriber {
                labels: labels.to_vec(),
                actions: actions.iter().map(|a| a.to_string()).collect(),
                tx,
            });
        }
        stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) }).boxed()
    }

    /// Sends `action` about `c` to the streams that asked for it.
    fn emit(s: &mut State, action: &str, c: &FakeContainer) {
        let event = EngineEvent {
            action: action.to_string(),
            container_id: c.id.clone(),
            attributes: c.config.labels.clone(),
            time_nanos: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos() as i64)
                .unwrap_or(0),
        };
        s.subscribers.retain(|sub| {
            let wanted = has_labels(&c.config.labels, &sub.labels)
                && (sub.actions.is_empty() || sub.actions.iter().any(|a| a == action));
            !wanted || sub.tx.send(Ok(event.clone())).is_ok()
        });
    }

    /// Sends each of `actions` about the container `id`, if it exists.
    fn emit_about(&self, id: &str, actions: &[&str]) {
        let mut s = self.lock();
        if let Some(c) = s.containers.get(id).cloned() {
            for action in actions {
                Self::emit(&mut s, action, &c);
            }
        }
    }
}

impl FakeContainer {
    fn summary(&self) -> ContainerSummary {
        ContainerSummary {
            id: self.id.clone(),
            name: self.config.name.clone(),
            image: self.config.image.clone(),
            labels: self.config.labels.clone(),
            state: self.state,
            created: self.created,
        }
    }

    fn details(&self) -> ContainerDetails {
        let mut ips = BTreeMap::new();
        if let Some((network, _)) = &self.config.network {
            ips.insert(network.clone(), format!("10.0.0.{}", self.id.len()));
        }
        ContainerDetails {
            id: self.id.clone(),
            exit_code: self.exit_code,
            oom_killed: self.oom_killed,
            restart_count: self.restart_count,
            started_at: "0001-01-01T00:00:00Z".to_string(),
            finished_at: "0001-01-01T00:00:00Z".to_string(),
            error: String::new(),
            ips,
            labels: self.config.labels.clone(),
            running: self.state == ContainerState::Running,
            restarting: self.state == ContainerState::Restarting,
        }
    }
}
