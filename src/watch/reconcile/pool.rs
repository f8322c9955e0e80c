//! The reconcile over several nodes: each declared node's engine kept
//! connected, probed every `--node-sync-period` (its `info`), and the
//! project converged over all of them at once (`converge::apply_pool`).
//! What the node controller learns (phases, conditions, lost and stale
//! nodes) is kept between reconciles with the pods each node ran when last
//! seen, and published with the snapshot.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::{join_all, BoxFuture};
use tokio::time::Instant;

use crate::converge::{self, Change, Member, Pool};
use crate::engine::{Engine, EngineError};
use crate::manifest::Manifests;
use crate::nodes::{self, NodeOptions, NodeSpec, NodeStatus, Probe};
use crate::observed::ObservedPod;
use crate::snapshot::{ReconcileReport, ReconcileResult};

use super::super::counted::Counted;
use super::super::follow::Followed;
use super::super::log;
use super::{unix_now, Next, Reconciler};

/// Connects to one node's engine.
pub type NodeConnector<E> =
    Box<dyn Fn(&NodeSpec) -> BoxFuture<'static, Result<Arc<E>, EngineError>> + Send + Sync>;

/// What a node's event follower needs from the loop: where drift goes
/// and what to ring after a (re)connect.
#[derive(Clone)]
pub struct Following {
    pub project: String,
    pub drift: tokio::sync::mpsc::Sender<()>,
    pub wake: Arc<super::super::Wake>,
}

/// One node's event follower (`follow::follow` on its engine).
struct Follower {
    task: tokio::task::JoinHandle<()>,
    followed: Arc<Followed>,
    /// The follower's epoch when the loop last looked.
    epoch: u64,
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the loop keeps of one node between reconciles.
pub(super) struct NodeEntry<E: Engine + 'static> {
    engine: Option<Arc<Counted<E>>>,
    follower: Option<Follower>,
    /// What `engine` was connected to: a changed endpoint reconnects.
    connected_to: Option<(Option<String>, Option<std::path::PathBuf>)>,
    status: NodeStatus,
    last_seen: Vec<ObservedPod>,
}

/// The node controller of the loop.
pub(super) struct NodeSet<E: Engine + 'static> {
    pub(super) options: NodeOptions,
    /// The implicit node's engine (`DOCKER_HOST` or the local socket).
    pub(super) default_endpoint: String,
    connect: NodeConnector<E>,
    following: Option<Following>,
    entries: BTreeMap<String, NodeEntry<E>>,
    next_probe: Option<Instant>,
    /// Nodes the engines' records name that no manifest declares any more:
    /// kept connected until their pods are deleted.
    terminated: Vec<NodeSpec>,
}

impl<E: Engine + 'static> NodeSet<E> {
    pub(super) fn new(
        options: NodeOptions,
        default_endpoint: String,
        connect: NodeConnector<E>,
        following: Option<Following>,
    ) -> NodeSet<E> {
        NodeSet {
            options,
            default_endpoint,
            connect,
            following,
            entries: BTreeMap::new(),
            next_probe: None,
            terminated: Vec::new(),
        }
    }

    /// The nodes `manifests` and `--machines` declare, when they make a
    /// pool: several nodes, or one that is not the implicit engine (a
    /// `--machines` endpoint, a named node). `None`: the single engine.
    pub(super) fn specs(&self, manifests: Option<&Manifests>) -> Option<Vec<NodeSpec>> {
        let empty = Manifests::default();
        let specs = nodes::declared(
            manifests.unwrap_or(&empty),
            &self.options.machines,
            &self.default_endpoint,
        );
        let single = match specs.as_slice() {
            [only] => {
                only.name == "local" && only.endpoint.as_deref() == Some(&self.default_endpoint)
            }
            _ => false,
        };
        (!single || !self.terminated.is_empty()).then_some(specs)
    }

    /// Remembers the nodes that `undeclared` records name.
    pub(super) fn note_terminated(&mut self, undeclared: &[crate::nodes::NodeRecord]) {
        let gone: Vec<NodeSpec> = undeclared.iter().map(|r| r.spec()).collect();
        if gone != self.terminated {
            self.terminated = gone;
            self.next_probe = None;
        }
    }

    /// Brings the entries to `specs` and probes every node when it is time
    /// (or a node is new or moved): connects where needed, all at once.
    async fn sync(&mut self, declared: &[NodeSpec], ledger: &Arc<super::Ledger>) {
        let now = Instant::now();
        let mut due = self.next_probe.is_none_or(|at| now >= at);
        let mut specs = declared.to_vec();
        for gone in &self.terminated {
            if !specs.iter().any(|s| s.name == gone.name) {
                specs.push(gone.clone());
            }
        }
        self.entries
            .retain(|name, _| specs.iter().any(|s| &s.name == name));
        for spec in &specs {
            let key = (spec.endpoint.clone(), spec.cert_path.clone());
            let entry = self.entries.entry(spec.name.clone()).or_insert_with(|| {
                due = true;
                NodeEntry {
                    engine: None,
                    follower: None,
                    connected_to: None,
                    status: nodes::advance(None, spec, Probe::NoEndpoint, 0, Duration::ZERO),
                    last_seen: Vec::new(),
                }
            });
            if entry.connected_to.as_ref() != Some(&key) {
                entry.engine = None;
                entry.follower = None;
                entry.connected_to = None;
                due = true;
            }
            entry.status.spec = spec.clone();
        }
        if !due {
            return;
        }
        self.next_probe = Some(now + self.options.sync_period);
        let stamp = unix_now().as_secs() as i64;
        let (options, connect) = (&self.options, &self.connect);
        let terminated = &self.terminated;
        let probes = self.entries.iter_mut().map(|(_, entry)| async move {
            let spec = entry.status.spec.clone();
            let gone = terminated.iter().any(|t| t.name == spec.name)
                && !declared.iter().any(|d| d.name == spec.name);
            let probe = if spec.endpoint.is_none() {
                entry.engine = None;
                Probe::NoEndpoint
            } else {
                if entry.engine.is_none() {
                    match connect(&spec).await {
                        Ok(inner) => {
                            entry.engine = Some(Arc::new(Counted::new(inner, ledger.clone())));
                            entry.connected_to = Some((spec.endpoint.clone(), spec.cert_path.clone()));
                        }
                        Err(_) if gone => {
                            entry.engine = None;
                            entry.status = NodeStatus::terminated(spec.clone(), false, stamp);
                            return;
                        }
                        Err(e) => {
                            entry.engine = None;
                            let probe = Probe::Unreachable(e.to_string());
                            entry.status =
                                nodes::advance(Some(&entry.status), &spec, probe, stamp, options.grace);
                            return;
                        }
                    }
                }
                if gone {
                    entry.status = NodeStatus::terminated(spec.clone(), entry.engine.is_some(), stamp);
                    return;
                }
                match (&entry.engine, options.sync) {
                    (Some(engine), true) => nodes::probe(engine.as_ref()).await,
                    (Some(_), false) => Probe::Off,
                    (None, _) => Probe::Unreachable("not connected".to_string()),
                }
            };
            let before = entry.status.phase;
            entry.status = nodes::advance(Some(&entry.status), &spec, probe, stamp, options.grace);
            if before != entry.status.phase {
                tracing::info!(node = %spec.name, phase = entry.status.phase.as_str(), "node {}", entry.status.status_text());
            }
        });
        join_all(probes).await;
        self.follow_events(ledger);
    }

    /// Starts an event follower on every connected engine that has none,
    /// and stops those of engines that are gone.
    fn follow_events(&mut self, ledger: &Arc<super::Ledger>) {
        let Some(following) = &self.following else {
            return;
        };
        for entry in self.entries.values_mut() {
            let Some(engine) = &entry.engine else {
                entry.follower = None;
                continue;
            };
            if entry.follower.is_some() {
                continue;
            }
            let followed = Arc::new(Followed::default());
            let (_keep, engines) = tokio::sync::watch::channel(Some(engine.clone()));
            let task = tokio::spawn(super::super::follow::follow(
                engines,
                following.project.clone(),
                followed.clone(),
                following.drift.clone(),
                following.wake.clone(),
                ledger.clone(),
                super::super::follow::reconnect_backoff(),
            ));
            entry.follower = Some(Follower {
                task,
                followed,
                epoch: 0,
            });
        }
    }

    /// Brings `cache` to what the nodes' events say: forgets changed
    /// containers, and keeps running containers' inspects only while every
    /// connected node's events are followed without a gap.
    fn sync_cache(&mut self, cache: &mut crate::observe::InspectCache) {
        let mut all_up = true;
        let mut gap = false;
        for entry in self.entries.values_mut() {
            if entry.engine.is_none() {
                continue;
            }
            let Some(follower) = entry.follower.as_mut() else {
                all_up = false;
                continue;
            };
            let (up, epoch) = follower.followed.state();
            all_up &= up;
            if epoch != follower.epoch {
                gap = true;
                follower.epoch = epoch;
            }
            for id in follower.followed.take_changed() {
                cache.forget(&id);
            }
        }
        if gap {
            cache.set_following_events(false);
        }
        cache.set_following_events(all_up);
    }

    /// The recent events of every node, oldest first.
    fn events(&self) -> Vec<crate::engine::EngineEvent> {
        let mut events: Vec<_> = self
            .entries
            .values()
            .filter_map(|e| e.follower.as_ref())
            .flat_map(|f| f.followed.events())
            .collect();
        events.sort_by_key(|e| e.time_nanos);
        events
    }

    /// How long until the next probe.
    fn until_probe(&self) -> Duration {
        self.next_probe
            .map(|at| at.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::ZERO)
    }

    fn pool(&self) -> Pool<'_, Counted<E>> {
        Pool {
            members: self
                .entries
                .values()
                .map(|e| Member {
                    status: e.status.clone(),
                    engine: e.engine.as_deref(),
                    last_seen: e.last_seen.clone(),
                })
                .collect(),
        }
    }

    /// Takes back what a converge learned: statuses, and the pods each node
    /// that answered runs now.
    fn learn(&mut self, statuses: Vec<NodeStatus>, answered: &[String], pods: &[ObservedPod]) {
        for status in statuses {
            let name = &status.spec.name.clone();
            let Some(entry) = self.entries.get_mut(name) else {
                continue;
            };
            let was_reachable = entry.status.is_reachable();
            entry.status = status;
            if answered.contains(name) {
                entry.last_seen = pods
                    .iter()
                    .filter(|p| &p.node == name && p.node_problem.is_none())
                    .cloned()
                    .collect();
            } else if was_reachable && !entry.status.is_reachable() {
                // A list call failed: reconnect at the next probe.
                entry.engine = None;
                entry.follower = None;
                self.next_probe = Some(Instant::now());
            }
        }
    }

    pub(super) fn statuses(&self) -> Vec<NodeStatus> {
        self.entries.values().map(|e| e.status.clone()).collect()
    }
}

impl<E: Engine + 'static> Reconciler<E> {
    /// One reconcile over the pool of `specs`.
    pub(super) async fn run_pool(
        &mut self,
        specs: Vec<NodeSpec>,
        manifests: Option<Arc<Manifests>>,
        report: &mut ReconcileReport,
    ) -> Next {
        let mut set = self.nodes.take()?;
        set.sync(&specs, &self.ledger).await;
        set.sync_cache(&mut self.cache);
        let next = self.converge_pool(&mut set, manifests, report).await;
        let statuses = set.statuses();
        let reachable = statuses.iter().any(NodeStatus::is_reachable);
        self.note_nodes(&statuses, reachable, report);
        self.snapshot.nodes = statuses;
        if set.following.is_some() {
            self.snapshot.docker_events = Arc::new(set.events());
        }
        let until_probe = set.until_probe().max(Duration::from_millis(100));
        self.nodes = Some(set);
        Some(next.map_or(until_probe, |n| n.min(until_probe)))
    }

    async fn converge_pool(
        &mut self,
        set: &mut NodeSet<E>,
        manifests: Option<Arc<Manifests>>,
        report: &mut ReconcileReport,
    ) -> Next {
        let settings = self.config.settings.clone();
        let mut pool = set.pool();
        let Some(manifests) = manifests else {
            // Nothing valid yet: only look.
            let empty = Manifests::default();
            let mut quiet = settings.clone();
            quiet.prune = false;
            match converge::look(&mut pool, &empty, &quiet, &mut self.cache).await {
                Ok(planned) => {
                    let answered: Vec<String> = planned.looked.per_node.keys().cloned().collect();
                    let statuses = statuses_of(&pool);
                    drop(pool);
                    set.learn(statuses, &answered, &planned.looked.merged.pods);
                    self.snapshot.observed = Some(Arc::new(planned.looked.merged));
                }
                Err(e) => report.errors.push(e.to_string()),
            }
            return None;
        };
        if manifests.is_empty() && settings.prune && !self.config.allow_empty {
            if let Ok(planned) =
                converge::look(&mut pool, &manifests, &settings, &mut self.cache).await
            {
                if converge::would_remove_everything(&manifests, &planned.plan) {
                    self.refuse(planned.looked.merged, &planned.plan, report);
                    return None;
                }
            }
        }
        let project = settings.project.clone();
        let mut log_change = |c: &Change| log::change(&project, c);
        let outcome = converge::apply_pool(
            &mut pool,
            &manifests,
            &settings,
            &mut self.cache,
            &mut log_change,
        )
        .await;
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(e) => {
                report.result = ReconcileResult::EngineError;
                report.errors.push(e.to_string());
                return Some(self.engine_backoff.next_delay());
            }
        };
        let answered: Vec<String> = set
            .entries
            .keys()
            .filter(|name| {
                !outcome.node_failures.contains_key(*name)
                    && pool
                        .members
                        .iter()
                        .any(|m| &m.status.spec.name == *name && m.status.is_reachable())
            })
            .cloned()
            .collect();
        let statuses = statuses_of(&pool);
        drop(pool);
        set.learn(statuses, &answered, &outcome.observed.pods);
        let before = set.terminated.len();
        set.note_terminated(&outcome.undeclared);
        if set.terminated.len() > before {
            // Nodes that left the manifests: connect and delete their pods now.
            return Some(Duration::from_millis(100));
        }
        self.snapshot.observed = Some(Arc::new(outcome.observed.clone()));
        let (next, reasons) = self.judge(&outcome, report)?;
        let mut pool = set.pool();
        if let Ok(planned) = converge::look(&mut pool, &manifests, &settings, &mut self.cache).await
        {
            self.snapshot.sync = super::outcome::pending(&planned.plan, reasons);
        }
        Some(next)
    }

    /// The engine status of the snapshot, for a pool: reachable while any
    /// node answers; each node's own state is in `snapshot.nodes`.
    fn note_nodes(
        &mut self,
        statuses: &[NodeStatus],
        reachable: bool,
        report: &mut ReconcileReport,
    ) {
        let status = &mut self.snapshot.engine;
        let now = unix_now().as_secs() as i64;
        if status.reachable != Some(reachable) {
            status.since = now;
        }
        status.reachable = Some(reachable);
        let ready = statuses.iter().filter(|s| s.is_ready()).count();
        status.endpoint = format!(
            "{} ({ready} Ready)",
            crate::report::plural(statuses.len(), "node")
        );
        status.error = (!reachable).then(|| "no node's engine answers".to_string());
        status.info = None;
        if !reachable && report.result == ReconcileResult::Converged {
            report.result = ReconcileResult::EngineError;
        }
    }
}

fn statuses_of<E: Engine>(pool: &Pool<'_, E>) -> Vec<NodeStatus> {
    pool.members.iter().map(|m| m.status.clone()).collect()
}
