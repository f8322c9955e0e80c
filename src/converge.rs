//! The converge API the commands call: `plan` (observe + plan, what `diff`
//! shows) and `apply` (plan → execute → re-plan until converged, rollouts
//! step by step), reporting each change as it happens.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

mod delete;
mod place;
mod pool;

pub use delete::delete;
pub use pool::{Looked, Member, Pool};

use crate::apply::{self, Executed, PullEvent};
use crate::desired::{self, Context, Note, RemoveWhy};
use crate::engine::{Engine, EngineError};
use crate::manifest::Manifests;
pub use crate::observe::Depth;
use crate::observe::{self, InspectCache};
use crate::observed::Observed;
use crate::plan::{self, Action, Plan};
use crate::podmap::Target;
use crate::schedule::Resources;

pub const DEFAULT_INFRA_IMAGE: &str = "localhost/berth-pause:1";
pub const DEFAULT_PARALLEL: usize = 8;
/// Kubernetes' node monitor grace period.
pub const DEFAULT_NODE_GRACE: Duration = Duration::from_secs(40);

/// How to converge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub project: String,
    /// `local` until there are several nodes.
    pub node: String,
    pub infra_image: String,
    /// Remove the project's pods (and controllers) no manifest declares.
    pub prune: bool,
    /// Pods created at the same time at most.
    pub parallel: usize,
    /// How long `apply` waits for rollouts before giving up.
    pub rollout_timeout: Duration,
    /// How long a new pod must run before a rollout removes an old one.
    pub min_ready: Duration,
    /// Wait for rollouts (`apply`), or return as soon as only waiting is
    /// left, with `Outcome::waiting` saying on what (`watch`, which looks
    /// again shortly and stays free to follow new triggers meanwhile).
    pub wait_for_rollouts: bool,
    /// How closely to look at the start (`watch` inspects every container,
    /// through a cache that follows Docker's events, for pod IPs and
    /// restart counts).
    pub depth: Depth,
    /// How long a node's engine may be unreachable before the node is lost.
    pub node_grace: Duration,
}

impl Settings {
    pub fn new(project: &str) -> Settings {
        Settings {
            project: project.to_string(),
            node: "local".to_string(),
            infra_image: DEFAULT_INFRA_IMAGE.to_string(),
            prune: true,
            parallel: DEFAULT_PARALLEL,
            rollout_timeout: Duration::from_secs(120),
            min_ready: Duration::from_secs(2),
            wait_for_rollouts: true,
            depth: Depth::Quick,
            node_grace: DEFAULT_NODE_GRACE,
        }
    }

    fn target(&self) -> Target<'_> {
        Target {
            project: &self.project,
            node: &self.node,
            infra_image: &self.infra_image,
        }
    }

    fn context(&self) -> Context<'_> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Context {
            project: &self.project,
            node: &self.node,
            infra_image: &self.infra_image,
            prune: self.prune,
            now,
            min_ready: self.min_ready,
            nodes: &[],
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConvergeError {
    #[error("cannot read the state of the Docker engine at {endpoint}")]
    Observe {
        endpoint: String,
        #[source]
        source: EngineError,
    },
}

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Created,
    Recreated,
    Repaired,
    Removed,
    Updated,
    /// A step of a pod's init sequence: an init container started, or the
    /// app containers created once they all completed.
    Initialized,
    Scaled,
    Waiting,
    Warning,
    Failed,
    /// Not declared, left in place because pruning is off (`--no-prune`).
    Kept,
    /// An image pull started (`object`: `image <ref>`) …
    Pulling,
    /// … and ended well,
    Pulled,
    /// … or not (`detail`: why). The pods that needed it fail on their own.
    PullFailed,
}

impl Verb {
    /// The mark a change line starts with: `+` created, `~` changed in
    /// place or recreated, `-` removed, `…` waiting, `!` warning or failure.
    pub fn symbol(self) -> &'static str {
        match self {
            Verb::Created => "+",
            Verb::Recreated | Verb::Repaired | Verb::Updated | Verb::Initialized | Verb::Scaled => {
                "~"
            }
            Verb::Removed => "-",
            Verb::Kept => "=",
            Verb::Waiting | Verb::Pulling => "…",
            Verb::Pulled => "+",
            Verb::Warning | Verb::Failed | Verb::PullFailed => "!",
        }
    }

    /// Lowercase past tense, for messages (`created`, `repaired` …).
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Created => "created",
            Verb::Recreated => "recreated",
            Verb::Repaired => "repaired",
            Verb::Removed => "removed",
            Verb::Updated => "updated",
            Verb::Initialized => "initializing",
            Verb::Scaled => "scaled",
            Verb::Waiting => "waiting",
            Verb::Warning => "warning",
            Verb::Failed => "failed",
            Verb::Kept => "kept",
            Verb::Pulling => "pulling",
            Verb::Pulled => "pulled",
            Verb::PullFailed => "pull failed",
        }
    }
}

/// One change, reported as it happens: `+ pod default/web`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub verb: Verb,
    /// `pod default/web`, `rc default/web`, `network berth_p_default`.
    pub object: String,
    pub detail: String,
    /// The node it happened on, when nodes are declared (empty otherwise).
    pub node: String,
}

/// What `apply` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub changes: Vec<Change>,
    /// Pods already as declared at the start and left untouched (a pod
    /// replaced by a rollout is not unchanged).
    pub unchanged: usize,
    /// (object, message) for everything that failed.
    pub failures: Vec<(String, String)>,
    /// What the last look at the engine saw: after every change when
    /// converged, before the failing round's changes otherwise.
    pub observed: Observed,
    /// Without `wait_for_rollouts`: the rollout step still waiting.
    pub waiting: Option<Note>,
    /// Nodes whose engine failed the last look, with why.
    pub node_failures: BTreeMap<String, String>,
    /// Nodes the engines' records name that are not in the pool: no longer
    /// declared (Terminated). Nothing was done: the caller connects to them
    /// (each record says where) and converges again with them in the pool,
    /// which deletes their pods.
    pub undeclared: Vec<crate::nodes::NodeRecord>,
}

async fn observe_project<E: Engine>(
    engine: &E,
    settings: &Settings,
    cache: &mut InspectCache,
    depth: Depth,
) -> Result<Observed, ConvergeError> {
    observe::observe_with(engine, Some(&settings.project), cache, depth)
        .await
        .map_err(|source| ConvergeError::Observe {
            endpoint: engine.endpoint(),
            source,
        })
}

/// Reads the project's networks into `observed` (see `observe::add_networks`).
async fn add_networks<E: Engine>(
    engine: &E,
    settings: &Settings,
    observed: &mut Observed,
) -> Result<(), ConvergeError> {
    observe::add_networks(engine, Some(&settings.project), observed)
        .await
        .map_err(|source| ConvergeError::Observe {
            endpoint: engine.endpoint(),
            source,
        })
}

/// One look at the pool and what to do about it.
#[derive(Debug)]
pub struct Planned {
    pub looked: Looked,
    /// The whole project's plan, each pod action bound to its node: what
    /// `diff` shows and `apply` reports.
    pub plan: Plan,
    /// Each reachable node's share, as it is executed there (with its own
    /// controller records and idle networks).
    pub node_plans: BTreeMap<String, Plan>,
    /// Nodes the records name that are not in the pool (see
    /// `Outcome::undeclared`).
    pub undeclared: Vec<crate::nodes::NodeRecord>,
}

impl Planned {
    /// Nothing to execute anywhere.
    fn is_converged(&self) -> bool {
        self.plan.is_empty() && self.node_plans.values().all(Plan::is_empty)
    }
}

/// Observes every reachable node and plans; each node's networks are read
/// only when its share of the plan has actions, so a converged project
/// costs one list call per node.
async fn observe_and_plan<E: Engine>(
    pool: &mut Pool<'_, E>,
    manifests: &Manifests,
    settings: &Settings,
    cache: &mut InspectCache,
    depth: Depth,
    capacity: &mut BTreeMap<String, Resources>,
) -> Result<Planned, ConvergeError> {
    let mut looked = pool::look(pool, settings, cache, depth).await?;
    let nodes = place::sched_nodes(pool, &looked);
    let ctx = Context {
        nodes: &nodes,
        ..settings.context()
    };
    let desired = desired::expand(manifests, &looked.merged, &ctx);
    let mut plan = plan::plan(&desired, &looked.merged, &ctx);
    place::place(pool, &looked, &mut plan, capacity).await?;
    pool::fit_to_nodes(&mut plan, pool, &looked);
    let mut node_plans = pool::split(&plan, &desired, pool, &looked, &ctx);
    let mut idle = BTreeSet::new();
    for (name, node_plan) in node_plans.iter_mut() {
        if node_plan.actions.is_empty() {
            continue;
        }
        let engine = pool
            .members
            .iter()
            .find(|m| &m.status.spec.name == name)
            .and_then(|m| m.engine);
        let (Some(engine), Some(observed)) = (engine, looked.per_node.get_mut(name)) else {
            continue;
        };
        add_networks(engine, settings, observed).await?;
        node_plan.remove_networks = pool::idle_networks(observed, node_plan, &settings.project);
        idle.extend(node_plan.remove_networks.iter().cloned());
    }
    plan.remove_networks = idle.into_iter().collect();
    plan.show_nodes = pool.is_multi();
    let undeclared = pool::undeclared(pool, &looked);
    Ok(Planned {
        looked,
        plan,
        node_plans,
        undeclared,
    })
}

/// The pool of the one engine `engine` as node `settings.node`, with the
/// labels and capacity of a Node manifest of that name.
pub fn single<'a, E: Engine>(
    engine: &'a E,
    manifests: &Manifests,
    settings: &Settings,
) -> Pool<'a, E> {
    let mut pool = Pool::single(engine, &settings.node);
    if let Some(m) = pool.members.first_mut() {
        if let Some(node) = manifests
            .nodes
            .iter()
            .find(|n| n.meta.name == settings.node)
        {
            m.status.spec.labels = node.meta.labels.clone();
        }
        let (cpu, memory) = crate::schedule::declared_capacity(manifests, &settings.node);
        m.status.spec.cpu_milli = cpu;
        m.status.spec.memory_bytes = memory;
    }
    pool
}

/// Observe and plan: what `berth diff` renders. Makes no mutating call.
pub async fn plan<E: Engine>(
    engine: &E,
    manifests: &Manifests,
    settings: &Settings,
) -> Result<Plan, ConvergeError> {
    let mut pool = single(engine, manifests, settings);
    plan_pool(&mut pool, manifests, settings).await
}

/// `plan` over a pool of nodes.
pub async fn plan_pool<E: Engine>(
    pool: &mut Pool<'_, E>,
    manifests: &Manifests,
    settings: &Settings,
) -> Result<Plan, ConvergeError> {
    Ok(plan_pool_full(pool, manifests, settings).await?.plan)
}

/// `plan_pool`, with what the look found.
pub async fn plan_pool_full<E: Engine>(
    pool: &mut Pool<'_, E>,
    manifests: &Manifests,
    settings: &Settings,
) -> Result<Planned, ConvergeError> {
    let mut cache = InspectCache::default();
    let planned = observe_and_plan(
        pool,
        manifests,
        settings,
        &mut cache,
        Depth::Quick,
        &mut BTreeMap::new(),
    )
    .await?;
    Ok(planned)
}

/// Observe (at `settings.depth`, through `cache`) and plan: what is still
/// to do, and what the engines run. One list call per node when nothing is.
pub async fn look<E: Engine>(
    pool: &mut Pool<'_, E>,
    manifests: &Manifests,
    settings: &Settings,
    cache: &mut InspectCache,
) -> Result<Planned, ConvergeError> {
    observe_and_plan(
        pool,
        manifests,
        settings,
        cache,
        settings.depth,
        &mut BTreeMap::new(),
    )
    .await
}

/// Whether applying `plan` for `manifests` would remove every managed object
/// because nothing at all was declared (the empty-directory guard).
pub fn would_remove_everything(manifests: &Manifests, plan: &Plan) -> bool {
    manifests.is_empty()
        && plan
            .actions
            .iter()
            .any(|a| matches!(a, Action::Remove { .. } | Action::RemoveController { .. }))
}

/// Executing rounds `apply` allows before it gives up on a plan that keeps
/// asking for changes: a rollout takes two per replica.
fn max_rounds(manifests: &Manifests) -> usize {
    let replicas: usize = manifests
        .controllers
        .iter()
        .map(|c| c.replicas as usize)
        .chain(manifests.deployments.iter().map(|d| d.replicas as usize))
        .chain(manifests.replica_sets.iter().map(|r| r.replicas as usize))
        .sum();
    // A pod's init sequence takes a round per init container, and one
    // for its app containers (pods go through theirs side by side).
    let init = manifests
        .pods
        .iter()
        .map(|p| &p.spec)
        .chain(manifests.controllers.iter().map(|c| &c.template.spec))
        .chain(manifests.deployments.iter().map(|d| &d.template.spec))
        .chain(manifests.replica_sets.iter().map(|r| &r.template.spec))
        .chain(manifests.daemon_sets.iter().map(|d| &d.template.spec))
        .map(|spec| spec.init_containers.len() + 1)
        .max()
        .unwrap_or(0);
    16 + init + manifests.pods.len() + 3 * replicas
}

const POLL: Duration = Duration::from_millis(500);

impl Change {
    fn failed(object: &str, detail: String) -> Change {
        Change {
            verb: Verb::Failed,
            object: object.to_string(),
            detail,
            node: String::new(),
        }
    }

    /// The change in words, as `apply` prints it after its mark:
    /// `pod default/web created (by ReplicationController/web)`, and for a
    /// pod whose image is missing `pod default/x stays Pending
    /// (ErrImagePull): …`.
    pub fn text(&self) -> String {
        let object = &self.object;
        if self.verb == Verb::Failed {
            let text = failure_text(object, &self.detail);
            return match self.node.as_str() {
                "" => text,
                node => text.replacen(object.as_str(), &format!("{object} on {node}"), 1),
            };
        }
        let text = match self.node.as_str() {
            "" => format!("{object} {}", self.verb.as_str()),
            node => format!("{object} {} on {node}", self.verb.as_str()),
        };
        // Pull lines carry no detail: the pods that needed the image say why.
        let pull = matches!(self.verb, Verb::Pulling | Verb::Pulled | Verb::PullFailed);
        if self.detail.is_empty() || pull {
            text
        } else {
            format!("{text} ({})", self.detail)
        }
    }

    /// `image <ref>` pulling, pulled, or pull failed (with why).
    fn pull(event: PullEvent<'_>) -> Change {
        let (verb, image, detail) = match event {
            PullEvent::Started { image } => (Verb::Pulling, image, ""),
            PullEvent::Pulled { image } => (Verb::Pulled, image, ""),
            PullEvent::Failed { image, message } => (Verb::PullFailed, image, message),
        };
        Change {
            verb,
            object: format!("image {image}"),
            detail: detail.to_string(),
            node: String::new(),
        }
    }
}

/// Where a converge loop stands: what it reported so far.
struct Progress<'a> {
    out: Outcome,
    sink: &'a mut (dyn FnMut(&Change) + Send),
    /// `pod ns/name` of the pods already as declared at the first look.
    unchanged: Vec<String>,
}

impl Progress<'_> {
    /// The outcome: a pod counts as unchanged only if nothing touched it
    /// afterwards (a rollout replaces pods that were right at first).
    fn finish(mut self) -> Outcome {
        let touched = |object: &String| {
            self.out.changes.iter().any(|c| {
                &c.object == object
                    && matches!(
                        c.verb,
                        Verb::Created
                            | Verb::Recreated
                            | Verb::Repaired
                            | Verb::Removed
                            | Verb::Failed
                    )
            })
        };
        self.out.unchanged = self.unchanged.iter().filter(|o| !touched(o)).count();
        self.out
    }

    fn report(&mut self, change: Change) {
        (self.sink)(&change);
        if change.verb == Verb::Failed {
            self.out
                .failures
                .push((change.object.clone(), change.detail.clone()));
        }
        self.out.changes.push(change);
    }
}

/// Converges: plan, execute, re-plan until nothing is left to do, waiting on
/// rollouts (bounded by `rollout_timeout`). Stops at the first round with
/// failures: the next apply retries.
pub async fn apply<E: Engine>(
    engine: &E,
    manifests: &Manifests,
    settings: &Settings,
    progress: &mut (dyn FnMut(&Change) + Send),
) -> Result<Outcome, ConvergeError> {
    apply_cached(
        engine,
        manifests,
        settings,
        &mut InspectCache::default(),
        progress,
    )
    .await
}

/// `apply`, keeping exited containers' inspects in `cache` across calls (for
/// a long-running reconcile loop).
pub async fn apply_cached<E: Engine>(
    engine: &E,
    manifests: &Manifests,
    settings: &Settings,
    cache: &mut InspectCache,
    progress: &mut (dyn FnMut(&Change) + Send),
) -> Result<Outcome, ConvergeError> {
    let mut pool = single(engine, manifests, settings);
    apply_pool(&mut pool, manifests, settings, cache, progress).await
}

/// Converges a pool of nodes. The node controller's bookkeeping happens
/// here too: node records follow the members' statuses, and a stale node
/// whose pods are all gone is cleaned (its status in `pool` says so).
pub async fn apply_pool<E: Engine>(
    pool: &mut Pool<'_, E>,
    manifests: &Manifests,
    settings: &Settings,
    cache: &mut InspectCache,
    progress: &mut (dyn FnMut(&Change) + Send),
) -> Result<Outcome, ConvergeError> {
    let deadline = Instant::now() + settings.rollout_timeout;
    let mut p = Progress {
        out: Outcome::default(),
        sink: progress,
        unchanged: Vec::new(),
    };
    let show_nodes = pool.is_multi();
    let mut depth = settings.depth;
    let mut last_wait = String::new();
    let mut probing = crate::probe::oneshot::OneShot::new(&settings.project);
    let mut capacity = BTreeMap::new();
    let (mut rounds, mut first, max) = (0, true, max_rounds(manifests));
    let mut said = BTreeSet::new();
    loop {
        let planned =
            observe_and_plan(pool, manifests, settings, cache, depth, &mut capacity).await?;
        p.out.node_failures = planned.looked.failed.clone();
        if std::mem::take(&mut first) {
            p.unchanged = planned
                .plan
                .unchanged
                .iter()
                .map(|k| format!("pod {k}"))
                .collect();
            for object in &planned.plan.kept {
                p.report(Change {
                    verb: Verb::Kept,
                    object: object.clone(),
                    detail: "not declared; --no-prune".to_string(),
                    node: String::new(),
                });
            }
        }
        // Nodes the records name that are not in the pool: their pods may
        // still run; the caller connects to them and converges again.
        if !planned.undeclared.is_empty() {
            p.out.undeclared = planned.undeclared;
            p.out.observed = planned.looked.merged;
            return Ok(p.finish());
        }
        // A plan error (a pod that fits nowhere, a node that does not
        // answer) stands until something changes: said once, and it does
        // not stop the rest.
        for e in &planned.plan.errors {
            if said.insert((e.object.clone(), e.message.clone())) {
                p.report(Change::failed(&e.object, e.message.clone()));
            }
        }
        let records = nodes_bookkeeping(pool, &planned.looked, &planned.node_plans, settings).await;
        for change in records {
            p.report(change);
        }
        let converged = planned.is_converged();
        let Planned {
            looked,
            plan,
            node_plans,
            ..
        } = planned;
        if !converged {
            rounds += 1;
            let failed_before = p.out.failures.len();
            let pulls = std::sync::Mutex::new(Vec::new());
            let runs = node_plans
                .iter()
                .filter(|(_, np)| !np.is_empty())
                .filter_map(|(name, np)| {
                    let member = pool.members.iter().find(|m| &m.status.spec.name == name)?;
                    let engine = member.engine?;
                    // What `get nodes` shows as the node's allocatable.
                    let allocatable = member.status.capacity();
                    let networks = looked
                        .per_node
                        .get(name)
                        .map(|o| o.networks.clone())
                        .unwrap_or_default();
                    let pulls = &pulls;
                    Some(async move {
                        let target = Target {
                            project: &settings.project,
                            node: name,
                            infra_image: &settings.infra_image,
                        };
                        let executed = apply::execute(
                            engine,
                            &target,
                            allocatable,
                            np,
                            &networks,
                            settings.parallel,
                            &mut |pull| {
                                if let Ok(mut pulls) = pulls.lock() {
                                    pulls.push(Change::pull(pull));
                                }
                            },
                        )
                        .await;
                        (name, np, executed)
                    })
                })
                .collect::<Vec<_>>();
            let done = futures_util::future::join_all(runs).await;
            for change in pulls.into_inner().unwrap_or_default() {
                p.report(change);
            }
            let mut seen_records = BTreeSet::new();
            for (name, np, executed) in &done {
                for mut c in changes(np, executed) {
                    // A controller's record is kept on every node: say once
                    // what happened to the controller.
                    if c.object.starts_with("rc ") && c.verb != Verb::Failed {
                        if !seen_records.insert((c.object.clone(), c.verb.as_str())) {
                            continue;
                        }
                    } else if show_nodes {
                        c.node = (*name).clone();
                    }
                    p.report(c);
                }
            }
            p.out.observed = looked.merged;
            if p.out.failures.len() > failed_before {
                // What this round tried to create may exist now (a call
                // that timed out may still have worked): the caller must
                // not take those names for free.
                pool::add_attempted(&mut p.out.observed, &node_plans);
                return Ok(p.finish());
            }
            if rounds >= max {
                let detail = format!("still changing after {rounds} rounds; giving up");
                p.report(Change::failed(
                    &format!("project {}", settings.project),
                    detail,
                ));
                return Ok(p.finish());
            }
            continue;
        }
        p.out.observed = looked.merged;
        let Some(wait) = plan.waiting.first().filter(|_| plan.errors.is_empty()) else {
            return Ok(p.finish());
        };
        if !settings.wait_for_rollouts {
            p.out.waiting = Some(wait.clone());
            return Ok(p.finish());
        }
        if Instant::now() >= deadline {
            let detail = format!(
                "gave up waiting after {:?}: {}",
                settings.rollout_timeout, wait.message
            );
            p.report(Change::failed(&wait.object, detail));
            return Ok(p.finish());
        }
        if wait.message != last_wait {
            last_wait = wait.message.clone();
            p.report(Change {
                verb: Verb::Waiting,
                object: wait.object.clone(),
                detail: wait.message.clone(),
                node: String::new(),
            });
        }
        depth = Depth::Full;
        // New pods may wait for their readiness probes: run them here when
        // no watch does.
        for member in &pool.members {
            if let Some(engine) = member.engine {
                probing
                    .round(&member.status.spec.name, engine, &p.out.observed)
                    .await;
            }
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The node controller's share of a round: it says which lost nodes came
/// back clean, and brings every reachable engine's node records to what
/// the statuses say.
async fn nodes_bookkeeping<E: Engine>(
    pool: &Pool<'_, E>,
    looked: &Looked,
    node_plans: &BTreeMap<String, Plan>,
    settings: &Settings,
) -> Vec<Change> {
    let mut out: Vec<Change> = looked
        .cleaned
        .iter()
        .map(|name| Change {
            verb: Verb::Updated,
            object: format!("node {name}"),
            detail: "back after being lost and cleaned; it takes pods again".to_string(),
            node: String::new(),
        })
        .collect();
    for (holder, remove, create) in pool::record_changes(pool, looked, node_plans) {
        let Some(engine) = pool
            .members
            .iter()
            .find(|m| m.status.spec.name == holder)
            .and_then(|m| m.engine)
        else {
            continue;
        };
        let mut failed = None;
        if !create.is_empty() {
            if let Err(e) = apply::ensure_infra(engine, &settings.infra_image).await {
                failed = Some(e);
            }
        }
        for id in &remove {
            if let Err(e) = engine.remove_container(id).await {
                if !e.is_not_found() {
                    failed = Some(e.to_string());
                }
            }
        }
        for record in &create {
            if failed.is_some() {
                break;
            }
            let config = crate::nodes::record_config(
                &settings.project,
                &holder,
                record,
                &settings.infra_image,
            );
            if let Err(e) = engine.create_container(&config).await {
                failed = Some(e.to_string());
            }
        }
        if let Some(e) = failed {
            out.push(Change {
                verb: Verb::Warning,
                object: format!("node {holder}"),
                detail: format!("cannot keep the node records: {e}"),
                node: String::new(),
            });
        }
    }
    out
}

/// The changes an executed plan made, in plan order.
fn changes(plan: &Plan, executed: &Executed) -> Vec<Change> {
    let mut out = Vec::new();
    for o in &executed.actions {
        let action = &plan.actions[o.index];
        let object = action.object();
        for w in &o.warnings {
            out.push(Change {
                verb: Verb::Warning,
                object: object.clone(),
                detail: w.clone(),
                node: String::new(),
            });
        }
        let change = match &o.result {
            Err(e) => Change::failed(&object, e.clone()),
            Ok(()) => {
                let (verb, detail) = describe(action);
                Change {
                    verb,
                    object,
                    detail,
                    node: String::new(),
                }
            }
        };
        out.push(change);
    }
    for e in &executed.errors {
        out.push(Change {
            verb: Verb::Failed,
            object: "network".to_string(),
            detail: e.clone(),
            node: String::new(),
        });
    }
    for n in &plan.remove_networks {
        if !executed.errors.iter().any(|e| e.contains(n.as_str())) {
            out.push(Change {
                verb: Verb::Removed,
                object: format!("network {n}"),
                detail: "no pods left".to_string(),
                node: String::new(),
            });
        }
    }
    out
}

fn describe(action: &Action) -> (Verb, String) {
    match action {
        Action::Create { pod } => match &pod.owner {
            Some(owner) => (Verb::Created, format!("by {owner}")),
            None => (Verb::Created, String::new()),
        },
        Action::Recreate { .. } => (Verb::Recreated, "spec changed".to_string()),
        Action::Repair { message, .. } => (Verb::Repaired, message.clone()),
        Action::Initialize { message, .. } => (Verb::Initialized, message.clone()),
        Action::Retry { .. } => (Verb::Recreated, "its image is available now".to_string()),
        Action::UpdatePod { changes, .. } => (
            Verb::Updated,
            format!("updated in place: {}", changes.join(", ")),
        ),
        Action::Remove { why, .. } => (Verb::Removed, remove_detail(*why).to_string()),
        Action::CreateController { controller } => (
            Verb::Created,
            crate::report::plural(controller.replicas as usize, "replica"),
        ),
        Action::UpdateController {
            controller, old, ..
        } if old.template_hash == controller.template_hash => (
            Verb::Scaled,
            format!("{} → {} replicas", old.replicas, controller.replicas),
        ),
        Action::UpdateController { changes, .. } if !changes.is_empty() => {
            (Verb::Updated, format!("rollout: {}", changes.join("; ")))
        }
        Action::UpdateController { .. } => (Verb::Updated, "template changed".to_string()),
        Action::RemoveController { .. } => (Verb::Removed, "not declared".to_string()),
    }
}

/// `pod default/x stays Pending (ErrImageNeverPull): …` for image
/// problems, else `object: detail`.
fn failure_text(object: &str, detail: &str) -> String {
    let detail = detail
        .strip_prefix(&format!("{object}: "))
        .unwrap_or(detail);
    let reason = ["ErrImageNeverPull", "ErrImagePull"]
        .into_iter()
        .find(|r| detail.contains(r));
    match reason {
        Some(reason) if object.starts_with("pod ") => {
            let detail = detail
                .strip_prefix(&format!("{reason}: "))
                .unwrap_or(detail);
            format!("{object} stays Pending ({reason}): {detail}")
        }
        _ => format!("{object}: {detail}"),
    }
}

fn remove_detail(why: RemoveWhy) -> &'static str {
    match why {
        RemoveWhy::NotDeclared => "not declared",
        RemoveWhy::ScaledDown => "scaled down",
        RemoveWhy::Replaced => "replaced by the new template",
        RemoveWhy::Failed => "failed; replaced",
        RemoveWhy::NodeLost => "stale: its node was lost",
        RemoveWhy::NodeRemoved => "its node is no longer declared",
    }
}

#[cfg(test)]
#[path = "converge/tests.rs"]
mod tests;

#[cfg(test)]
#[path = "converge/files_tests.rs"]
mod files_tests;

#[cfg(test)]
#[path = "converge/init_tests.rs"]
mod init_tests;
