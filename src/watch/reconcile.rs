//! One reconcile of the loop, level-triggered: load the files afresh (keep
//! the last good set when they are invalid or still being written), make
//! sure the engine answers, converge through `converge::apply_cached`
//! without waiting on rollouts, work out what is still pending, log every
//! change, and publish the snapshot. Says when to look again.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::converge::Settings;
use crate::engine::{Engine, EngineError};
use crate::manifest;
use crate::observe::{self, InspectCache};
use crate::snapshot::{
    Metrics, PendingDiff, ReconcileReport, ReconcileResult, Snapshot, SyncState, Trigger,
};

use super::counted::{Counted, Ledger};
use super::follow::Followed;
use super::wake::Backoff;

mod outcome;
mod pool;
mod settled;

use pool::NodeSet;
pub use pool::{Following, NodeConnector};

use settled::{load, Load};

/// Connects to the engine (again).
pub type Connector<E> = Box<dyn Fn() -> BoxFuture<'static, Result<Arc<E>, EngineError>> + Send>;

/// What the loop needs to know to reconcile.
#[derive(Debug, Clone)]
pub struct Config {
    pub paths: Vec<PathBuf>,
    pub settings: Settings,
    pub strict: bool,
    /// What the manifests may ask beyond the security defaults.
    pub allow: crate::manifest::Allow,
    pub allow_empty: bool,
    /// How long a rollout waits between looks.
    pub poll: Duration,
    /// Retries of failed objects back off up to this.
    pub retry_cap: Duration,
}

/// When to look again without a trigger.
pub type Next = Option<Duration>;

/// The reconciler: what persists between reconciles.
pub struct Reconciler<E: Engine + 'static> {
    pub config: Config,
    connect: Connector<E>,
    engine: Option<Arc<Counted<E>>>,
    /// Hands the connected engine to the event follower.
    engines: watch::Sender<Option<Arc<Counted<E>>>>,
    ledger: Arc<Ledger>,
    cache: InspectCache,
    followed: Arc<Followed>,
    epoch: u64,
    engine_backoff: Backoff,
    retry_backoff: Backoff,
    snapshots: watch::Sender<Arc<Snapshot>>,
    snapshot: Snapshot,
    number: u64,
    /// The node controller, when nodes may be declared.
    nodes: Option<NodeSet<E>>,
}

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

impl<E: Engine + 'static> Reconciler<E> {
    pub fn new(
        config: Config,
        connect: Connector<E>,
        engines: watch::Sender<Option<Arc<Counted<E>>>>,
        followed: Arc<Followed>,
        ledger: Arc<Ledger>,
        snapshots: watch::Sender<Arc<Snapshot>>,
        first: Snapshot,
    ) -> Reconciler<E> {
        let retry_cap = config.retry_cap;
        Reconciler {
            config,
            connect,
            engine: None,
            engines,
            ledger,
            cache: InspectCache::following_events(),
            followed,
            epoch: 0,
            engine_backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(30)),
            retry_backoff: Backoff::new(Duration::from_secs(1), retry_cap),
            snapshots,
            snapshot: first,
            number: 0,
            nodes: None,
        }
    }

    /// Drives the nodes the manifests and `--machines` declare, each
    /// through `connect`, when they make a pool (else the one engine).
    /// `following`: each node's Docker events are followed as the one
    /// engine's are (drift wakes the loop, the inspect cache follows).
    pub fn with_nodes(
        mut self,
        options: crate::nodes::NodeOptions,
        default_endpoint: String,
        connect: NodeConnector<E>,
        following: Option<Following>,
    ) -> Self {
        self.nodes = Some(NodeSet::new(options, default_endpoint, connect, following));
        self
    }

    fn project(&self) -> &str {
        &self.config.settings.project
    }

    /// One reconcile; publishes its snapshot and says when to look again.
    /// Files that change while they are read make no reconcile: the loop
    /// looks again once they settle.
    pub async fn reconcile(&mut self, triggers: Vec<Trigger>) -> Next {
        let Some(loaded) = load(&self.config) else {
            tracing::debug!(
                project = self.project(),
                "files changed while read; looking again"
            );
            return Some(Duration::from_millis(100));
        };
        self.number += 1;
        let started = Instant::now();
        let started_at_ms = unix_now().as_millis() as i64;
        let mut report = ReconcileReport {
            number: self.number,
            started_at_ms,
            duration: Duration::ZERO,
            triggers,
            result: ReconcileResult::Converged,
            changes: Vec::new(),
            errors: Vec::new(),
        };
        let next = self.run(loaded, &mut report).await;
        report.duration = started.elapsed();
        self.snapshot.engine.retry_in = match self.snapshot.engine.reachable {
            Some(false) => next,
            _ => None,
        };
        self.finish(report);
        next
    }

    async fn run(&mut self, loaded: Load, report: &mut ReconcileReport) -> Next {
        let valid = match loaded {
            Load::Valid(loaded) => {
                self.note_load(&loaded, true);
                self.snapshot.manifests.last_good = Some(Arc::new(loaded.manifests));
                true
            }
            Load::Invalid(loaded) => {
                let before = std::mem::take(&mut self.snapshot.manifests.errors);
                self.note_load(&loaded, false);
                let errors = &self.snapshot.manifests.errors;
                // Said once, not at every look while they stay the same.
                if *errors != before {
                    for e in errors {
                        tracing::error!(project = self.project(), "{e}");
                    }
                }
                report.errors.extend(errors.iter().cloned());
                false
            }
        };
        self.snapshot.revision = self
            .config
            .paths
            .iter()
            .find_map(|p| crate::gitrev::read(p));
        let last_good = self.snapshot.manifests.last_good.clone();
        let specs = self
            .nodes
            .as_ref()
            .and_then(|set| set.specs(last_good.as_deref()));
        if let Some(specs) = specs {
            let next = self.run_pool(specs, last_good, report).await;
            self.note_validity(valid, report);
            return next;
        }
        let Some(engine) = self.connected(report).await else {
            return Some(self.engine_backoff.next_delay());
        };
        self.sync_cache();
        self.read_info(&engine).await;
        let manifests = self.snapshot.manifests.last_good.clone();
        let next = match manifests {
            Some(m) => self.converge(&engine, &m, report).await,
            None => self.observe_only(&engine, report).await,
        };
        if report.result == ReconcileResult::EngineError {
            return Some(self.engine_backoff.next_delay());
        }
        self.engine_backoff.reset();
        self.note_validity(valid, report);
        next
    }

    /// Says in the report and the sync state that the files are invalid
    /// (and what is still enforced), when they are.
    fn note_validity(&mut self, valid: bool, report: &mut ReconcileReport) {
        if !valid {
            report.result = ReconcileResult::Invalid;
            let reason = format!(
                "the manifests are invalid ({}); {}",
                crate::report::plural(self.snapshot.manifests.errors.len(), "error"),
                if self.snapshot.manifests.last_good.is_some() {
                    "the last valid set is still enforced"
                } else {
                    "nothing is applied until they load"
                }
            );
            // What the last valid set still has pending stays shown.
            let mut pending = match std::mem::take(&mut self.snapshot.sync) {
                SyncState::OutOfSync(pending) => pending,
                _ => PendingDiff::default(),
            };
            pending.reasons.insert(0, reason);
            self.snapshot.sync = SyncState::OutOfSync(pending);
        }
    }

    fn note_load(&mut self, loaded: &manifest::Loaded, valid: bool) {
        let state = &mut self.snapshot.manifests;
        state.valid = valid;
        state.errors = loaded.errors().map(ToString::to_string).collect();
        state.warnings = loaded.warnings().map(ToString::to_string).collect();
        state.loaded_at = Some(unix_now().as_secs() as i64);
        state.files = loaded.files;
    }

    /// The engine, connecting when needed; `None` (and the report says so)
    /// when it does not answer.
    async fn connected(&mut self, report: &mut ReconcileReport) -> Option<Arc<Counted<E>>> {
        if let Some(engine) = &self.engine {
            return Some(engine.clone());
        }
        match (self.connect)().await {
            Ok(inner) => {
                let engine = Arc::new(Counted::new(inner, self.ledger.clone()));
                self.engine = Some(engine.clone());
                let _ = self.engines.send(Some(engine.clone()));
                Some(engine)
            }
            Err(e) => {
                self.engine_down(&e.to_string(), report);
                None
            }
        }
    }

    fn engine_down(&mut self, error: &str, report: &mut ReconcileReport) {
        let status = &mut self.snapshot.engine;
        if status.reachable != Some(false) {
            status.since = unix_now().as_secs() as i64;
        }
        status.reachable = Some(false);
        status.error = Some(error.to_string());
        // The engine may come back another (upgraded, resized) one.
        status.info = None;
        tracing::error!(project = %self.config.settings.project, "the Docker engine does not answer: {error}");
        report.result = ReconcileResult::EngineError;
        report.errors.push(error.to_string());
    }

    /// Reads `docker info` for node `local` when berth has none yet (at
    /// connect, and again after an outage): one call, not one per look.
    async fn read_info(&mut self, engine: &Counted<E>) {
        if self.snapshot.engine.info.is_some() {
            return;
        }
        match engine.info().await {
            Ok(info) => self.snapshot.engine.info = Some(info),
            Err(e) => tracing::debug!(project = self.project(), "docker info: {e}"),
        }
    }

    fn engine_up(&mut self, endpoint: String) {
        let status = &mut self.snapshot.engine;
        if status.reachable != Some(true) {
            status.since = unix_now().as_secs() as i64;
            if status.reachable == Some(false) {
                tracing::info!(project = %self.config.settings.project, "the Docker engine answers again");
                self.followed.engine_answered();
            }
        }
        status.endpoint = endpoint;
        status.reachable = Some(true);
        status.error = None;
        status.retry_in = None;
    }

    /// Forgets what Docker's events say changed; trusts nothing cached
    /// across a lost event stream.
    fn sync_cache(&mut self) {
        let (up, epoch) = self.followed.state();
        if epoch != self.epoch {
            self.cache.set_following_events(false);
            self.epoch = epoch;
        }
        self.cache.set_following_events(up);
        for id in self.followed.take_changed() {
            self.cache.forget(&id);
        }
    }

    async fn observe_only(&mut self, engine: &Counted<E>, report: &mut ReconcileReport) -> Next {
        let project = self.config.settings.project.clone();
        match observe::observe_with(
            engine,
            Some(&project),
            &mut self.cache,
            self.config.settings.depth,
        )
        .await
        {
            Ok(observed) => {
                self.engine_up(engine.endpoint());
                self.snapshot.observed = Some(Arc::new(observed));
                None
            }
            Err(e) => {
                self.engine_down(&e.to_string(), report);
                None
            }
        }
    }

    /// Counts, logs and publishes the reconcile.
    fn finish(&mut self, report: ReconcileReport) {
        let metrics: &mut Metrics = &mut self.snapshot.metrics;
        *metrics.reconciles.entry(report.result).or_default() += 1;
        metrics.duration.observe(report.duration.as_secs_f64());
        if report.result == ReconcileResult::Converged {
            metrics.last_success = Some(unix_now().as_secs_f64());
        }
        metrics.docker_calls = self.ledger.read();
        let quiet = report.changes.is_empty() && report.errors.is_empty();
        let ms = report.duration.as_millis() as u64;
        let triggers: Vec<&str> = report.triggers.iter().map(|t| t.as_str()).collect();
        let triggers = triggers.join(",");
        if quiet {
            tracing::debug!(
                project = self.project(),
                result = report.result.as_str(),
                triggers,
                ms,
                "reconciled"
            );
        } else {
            tracing::info!(
                project = self.project(),
                result = report.result.as_str(),
                triggers,
                ms,
                changes = report.changes.len(),
                "reconciled: {}",
                report.result.as_str()
            );
        }
        self.snapshot.last_reconcile = Some(report);
        self.publish();
    }

    /// Publishes the current snapshot, with the recent Docker events.
    fn publish(&mut self) {
        self.snapshot.generation += 1;
        self.snapshot.taken_at = unix_now().as_secs() as i64;
        self.snapshot.docker_events = Arc::new(self.followed.events());
        let _ = self.snapshots.send(Arc::new(self.snapshot.clone()));
    }
}
