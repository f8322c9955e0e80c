//! Executes a `Plan` through an `Engine`; decides nothing. Images and
//! networks first, removals at most three at a time (Docker 20.10 deadlocks
//! under mass concurrent removal on one network), then pod creations in
//! parallel, then controller records and networks no pod needs.

mod files;
mod images;
mod init;
pub mod inplace;
mod pod;

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::{BoxFuture, FutureExt};
use futures_util::stream::{self, StreamExt};
use tokio::sync::Semaphore;

use crate::engine::Engine;
use crate::keys;
use crate::plan::{Action, Plan};
use crate::podmap::{self, Target};
use crate::schedule::Resources;

pub use images::{ensure_infra, ImageProblem, ImageStatus, OnPull, PullEvent};

/// Concurrent pod removals at most (see the module comment).
pub const MAX_REMOVALS: usize = 3;

/// How one action went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionOutcome {
    /// Index into `plan.actions`.
    pub index: usize,
    /// Every message names the pod (or controller).
    pub result: Result<(), String>,
    pub warnings: Vec<String>,
}

/// How the whole plan went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Executed {
    /// One per action, in plan order.
    pub actions: Vec<ActionOutcome>,
    /// Problems outside any action (networks, the infra image).
    pub errors: Vec<String>,
}

/// Runs `plan` on `engine`; `networks` are the project's existing networks;
/// `allocatable`: the node's cpu and memory as berth reports them (its
/// manifest's capacity, else its engine's), which a container without a
/// limit reads through the downward API (`None`: ask the engine).
pub async fn execute<E: Engine>(
    engine: &E,
    target: &Target<'_>,
    allocatable: Option<Resources>,
    plan: &Plan,
    networks: &[String],
    parallel: usize,
    on_pull: OnPull<'_>,
) -> Executed {
    let mut out = Executed::default();
    let creating: Vec<&crate::desired::DesiredPod> = plan
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Create { pod }
            | Action::Recreate { pod, .. }
            | Action::Repair { pod, .. }
            | Action::Initialize { pod, .. }
            | Action::Retry { pod, .. } => Some(pod),
            _ => None,
        })
        .collect();
    let needs_infra = !creating.is_empty()
        || plan.actions.iter().any(|a| {
            matches!(
                a,
                Action::CreateController { .. }
                    | Action::UpdateController { .. }
                    | Action::UpdatePod { .. }
            )
        });
    let infra = if needs_infra {
        images::ensure_infra(engine, target.infra_image).await
    } else {
        Ok(())
    };
    // A plain list, not an iterator adapter: a closure in its type would
    // make this future lose `Send` (rust-lang/rust#102211).
    let mut wanted: Vec<&crate::manifest::Container> = Vec::new();
    for p in &creating {
        wanted.extend(&p.spec.init_containers);
        wanted.extend(&p.spec.containers);
    }
    let images = images::resolve(engine, wanted.into_iter(), on_pull).await;
    let namespaces: BTreeSet<&str> = creating.iter().map(|p| p.namespace.as_str()).collect();
    let network_errors = ensure_networks(engine, target.project, namespaces, networks).await;
    let removals = Semaphore::new(MAX_REMOVALS);
    let ctx = pod::Ctx {
        engine,
        target,
        allocatable,
        images: &images,
        infra: &infra,
        networks: &network_errors,
        removals: &removals,
    };
    let (removes, others): (Vec<_>, Vec<_>) = plan
        .actions
        .iter()
        .enumerate()
        .partition(|(_, a)| matches!(a, Action::Remove { .. }));
    // Boxed one by one: a closure inside the stream's type would make this
    // future lose `Send` in generic callers (rust-lang/rust#102211).
    let removes: Vec<BoxFuture<'_, ActionOutcome>> = removes
        .into_iter()
        .map(|(i, a)| run(&ctx, i, a).boxed())
        .collect();
    let others: Vec<BoxFuture<'_, ActionOutcome>> = others
        .into_iter()
        .map(|(i, a)| run(&ctx, i, a).boxed())
        .collect();
    let removed: Vec<ActionOutcome> = stream::iter(removes)
        .buffer_unordered(MAX_REMOVALS)
        .collect()
        .await;
    let created: Vec<ActionOutcome> = stream::iter(others)
        .buffer_unordered(parallel.max(1))
        .collect()
        .await;
    out.actions = removed.into_iter().chain(created).collect();
    out.actions.sort_by_key(|o| o.index);
    for name in &plan.remove_networks {
        if let Err(e) = engine.remove_network(name).await {
            out.errors
                .push(format!("cannot remove network {name}: {e}"));
        }
    }
    out
}

/// Creates the missing networks of `namespaces`; the errors by namespace.
async fn ensure_networks<E: Engine>(
    engine: &E,
    project: &str,
    namespaces: BTreeSet<&str>,
    existing: &[String],
) -> BTreeMap<String, String> {
    let mut errors = BTreeMap::new();
    for ns in namespaces {
        let name = podmap::network_name(project, ns);
        if existing.contains(&name) {
            continue;
        }
        let labels = podmap::network_labels(project, ns);
        match engine.create_network(&name, &labels).await {
            Err(e) if !e.to_string().contains("already exists") => {
                errors.insert(ns.to_string(), format!("cannot create network {name}: {e}"));
            }
            Err(_) if !is_managed_network(engine, &name, &labels).await => {
                let message = format!(
                    "network {name} exists but berth does not manage it (no {}={} label); \
                     berth never uses it: remove or rename it",
                    keys::MANAGED_BY,
                    keys::MANAGED_BY_VALUE
                );
                errors.insert(ns.to_string(), message);
            }
            _ => {}
        }
    }
    errors
}

/// Whether the network `name` carries berth's labels for this project and
/// namespace (another berth run may have just created it).
async fn is_managed_network<E: Engine>(
    engine: &E,
    name: &str,
    labels: &BTreeMap<String, String>,
) -> bool {
    let filter: Vec<(String, String)> = labels.clone().into_iter().collect();
    match engine.list_networks(&filter).await {
        Ok(found) => found.iter().any(|(n, _)| n == name),
        Err(_) => false,
    }
}

async fn run<E: Engine>(ctx: &pod::Ctx<'_, E>, index: usize, action: &Action) -> ActionOutcome {
    let object = action.object();
    let mut warnings = Vec::new();
    let result = match action {
        Action::Create { pod } => pod::create(ctx, pod, None, &mut warnings).await,
        Action::Recreate { pod, old, .. } => match pod::remove(ctx, old, true).await {
            Ok(()) => pod::create(ctx, pod, None, &mut warnings).await,
            Err(e) => Err(e),
        },
        Action::Repair {
            pod,
            old,
            container,
            message,
        } => repair(ctx, pod, old, (container, message), &mut warnings).await,
        Action::Retry { pod, old, .. } => retry(ctx, pod, old, &mut warnings).await,
        Action::Initialize {
            pod,
            old,
            index,
            restarts,
            ..
        } => init::step(ctx, pod, old, (*index, *restarts), &mut warnings).await,
        Action::UpdatePod {
            pod,
            old,
            reconnect,
            ..
        } => match ctx.infra.clone() {
            Ok(()) => inplace::update(ctx.engine, ctx.target, pod, old, *reconnect).await,
            Err(e) => Err(e),
        },
        Action::Remove { pod, .. } => pod::remove(ctx, pod, true).await,
        Action::CreateController { controller } => create_record(ctx, controller, None).await,
        Action::UpdateController {
            controller, old, ..
        } => match ctx.engine.remove_container(&old.container_id).await {
            Ok(()) => create_record(ctx, controller, Some(old.created)).await,
            Err(e) => Err(e.to_string()),
        },
        Action::RemoveController { old } => ctx
            .engine
            .remove_container(&old.container_id)
            .await
            .map_err(|e| e.to_string()),
    };
    ActionOutcome {
        index,
        result: result.map_err(|e| format!("{object}: {e}")),
        warnings,
    }
}

/// One member in place when the infra container runs, else the whole pod.
async fn repair<E: Engine>(
    ctx: &pod::Ctx<'_, E>,
    desired: &crate::desired::DesiredPod,
    old: &crate::observed::ObservedPod,
    what: (&String, &String),
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    if what.0 != keys::INFRA_NAME && pod::repair_member(ctx, desired, old, what, warnings).await? {
        return Ok(());
    }
    pod::remove(ctx, old, false).await?;
    pod::create(ctx, desired, Some(what), warnings).await
}

/// A pod waiting for its image: still unavailable → left as it is (no
/// mutating call) and reported; available → recreated whole.
async fn retry<E: Engine>(
    ctx: &pod::Ctx<'_, E>,
    desired: &crate::desired::DesiredPod,
    old: &crate::observed::ObservedPod,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    ctx.infra.clone()?;
    if let Some((container, problem)) = pod::image_problem(ctx, desired, &mut Vec::new())? {
        return Err(pod::waiting_text(&container, &problem));
    }
    pod::remove(ctx, old, true).await?;
    pod::create(ctx, desired, None, warnings).await
}

/// The never-started container that remembers a controller on the engine;
/// an updated controller keeps the creation time of its first record.
async fn create_record<E: Engine>(
    ctx: &pod::Ctx<'_, E>,
    c: &crate::desired::DesiredController,
    created: Option<i64>,
) -> Result<(), String> {
    ctx.infra.clone()?;
    let t = ctx.target;
    let mut labels = BTreeMap::from([
        (
            keys::MANAGED_BY.to_string(),
            keys::MANAGED_BY_VALUE.to_string(),
        ),
        (keys::PROJECT.to_string(), t.project.to_string()),
        (keys::NAMESPACE.to_string(), c.namespace.clone()),
        (keys::NODE.to_string(), t.node.to_string()),
        (keys::KIND.to_string(), c.kind.clone()),
        (keys::RC_NAME.to_string(), c.name.clone()),
        (keys::RC_REPLICAS.to_string(), c.replicas.to_string()),
        (
            keys::RC_SELECTOR.to_string(),
            serde_json::to_string(&c.selector).unwrap_or_default(),
        ),
        (keys::RC_TEMPLATE_HASH.to_string(), c.template_hash.clone()),
        (keys::LAST_APPLIED.to_string(), c.template_json.clone()),
    ]);
    if let Some(owner) = &c.owner {
        labels.insert(keys::OWNER.to_string(), owner.clone());
    }
    if let Some(created) = created {
        labels.insert(keys::RC_CREATED.to_string(), created.to_string());
    }
    let config = crate::engine::ContainerConfig {
        labels,
        network_mode: Some("none".to_string()),
        ..crate::engine::ContainerConfig::new(
            podmap::container_name(t.project, &c.namespace, &c.name, keys::record_name(&c.kind)),
            t.infra_image,
        )
    };
    ctx.engine
        .create_container(&config)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
