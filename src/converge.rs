//! The converge API the commands call: `plan` (observe + plan, what `diff`
//! shows) and `apply` (plan → execute → re-plan until converged, rollouts
//! step by step), reporting each change as it happens.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

mod delete;
mod place;

pub use delete::delete;

use crate::apply::{self, Executed, PullEvent};
use crate::desired::{self, Context, Note, RemoveWhy};
use crate::engine::{Engine, EngineError};
use crate::manifest::Manifests;
pub use crate::observe::Depth;
use crate::observe::{self, InspectCache};
use crate::observed::Observed;
use crate::plan::{self, Action, Plan};
use crate::podmap::Target;

pub const DEFAULT_INFRA_IMAGE: &str = "localhost/berth-pause:1";
pub const DEFAULT_PARALLEL: usize = 8;

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
            Verb::Recreated | Verb::Repaired | Verb::Updated | Verb::Scaled => "~",
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

/// Observes and plans; the networks are read only when the plan has
/// actions, and the plan is then made again to include idle networks.
async fn observe_and_plan<E: Engine>(
    engine: &E,
    manifests: &Manifests,
    settings: &Settings,
    cache: &mut InspectCache,
    depth: Depth,
) -> Result<(Observed, Plan), ConvergeError> {
    let mut observed = observe_project(engine, settings, cache, depth).await?;
    let mut capacity = None;
    let mut plan =
        place::scheduled_plan(engine, manifests, &observed, settings, &mut capacity).await?;
    if !plan.actions.is_empty() {
        add_networks(engine, settings, &mut observed).await?;
        plan = place::scheduled_plan(engine, manifests, &observed, settings, &mut capacity).await?;
    }
    Ok((observed, plan))
}

fn plan_for(manifests: &Manifests, observed: &Observed, settings: &Settings) -> Plan {
    let ctx = settings.context();
    let desired = desired::expand(manifests, observed, &ctx);
    plan::plan(&desired, observed, &ctx)
}

/// Observe and plan: what `berth diff` renders. Makes no mutating call.
pub async fn plan<E: Engine>(
    engine: &E,
    manifests: &Manifests,
    settings: &Settings,
) -> Result<Plan, ConvergeError> {
    let mut cache = InspectCache::default();
    let (_, plan) = observe_and_plan(engine, manifests, settings, &mut cache, Depth::Quick).await?;
    Ok(plan)
}

/// Observe (at `settings.depth`, through `cache`) and plan: what is still
/// to do, and what the engine runs. One list call when nothing is.
pub async fn look<E: Engine>(
    engine: &E,
    manifests: &Manifests,
    settings: &Settings,
    cache: &mut InspectCache,
) -> Result<(Observed, Plan), ConvergeError> {
    observe_and_plan(engine, manifests, settings, cache, settings.depth).await
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
        .sum();
    16 + manifests.pods.len() + 3 * replicas
}

const POLL: Duration = Duration::from_millis(500);

impl Change {
    fn failed(object: &str, detail: String) -> Change {
        Change {
            verb: Verb::Failed,
            object: object.to_string(),
            detail,
        }
    }

    /// The change in words, as `apply` prints it after its mark:
    /// `pod default/web created (by ReplicationController/web)`, and for a
    /// pod whose image is missing `pod default/x stays Pending
    /// (ErrImagePull): …`.
    pub fn text(&self) -> String {
        let object = &self.object;
        if self.verb == Verb::Failed {
            return failure_text(object, &self.detail);
        }
        let text = format!("{object} {}", self.verb.as_str());
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
    let deadline = Instant::now() + settings.rollout_timeout;
    let mut p = Progress {
        out: Outcome::default(),
        sink: progress,
        unchanged: Vec::new(),
    };
    let mut depth = settings.depth;
    let mut last_wait = String::new();
    let (mut rounds, mut first, max) = (0, true, max_rounds(manifests));
    loop {
        let (observed, plan) = observe_and_plan(engine, manifests, settings, cache, depth).await?;
        if std::mem::take(&mut first) {
            p.unchanged = plan.unchanged.iter().map(|k| format!("pod {k}")).collect();
            for object in &plan.kept {
                p.report(Change {
                    verb: Verb::Kept,
                    object: object.clone(),
                    detail: "not declared; --no-prune".to_string(),
                });
            }
        }
        for e in &plan.errors {
            p.report(Change::failed(&e.object, e.message.clone()));
        }
        if !plan.is_empty() {
            rounds += 1;
            let target = settings.target();
            let executed = apply::execute(
                engine,
                &target,
                &plan,
                &observed.networks,
                settings.parallel,
                &mut |pull| p.report(Change::pull(pull)),
            )
            .await;
            changes(&plan, &executed)
                .into_iter()
                .for_each(|c| p.report(c));
            p.out.observed = observed;
            if !p.out.failures.is_empty() {
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
        p.out.observed = observed;
        let Some(wait) = plan.waiting.first().filter(|_| plan.errors.is_empty()) else {
            return Ok(p.finish());
        };
        if !settings.wait_for_rollouts {
            p.out.waiting = Some(wait.clone());
            return Ok(p.finish());
        }
        if Instant::now() >= deadline {
            let detail = format!(
                "rollout timed out after {:?}: {}",
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
            });
        }
        depth = Depth::Full;
        tokio::time::sleep(POLL).await;
    }
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
        });
    }
    for n in &plan.remove_networks {
        if !executed.errors.iter().any(|e| e.contains(n.as_str())) {
            out.push(Change {
                verb: Verb::Removed,
                object: format!("network {n}"),
                detail: "no pods left".to_string(),
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
        Action::Retry { .. } => (Verb::Recreated, "its image is available now".to_string()),
        Action::Remove { why, .. } => (Verb::Removed, remove_detail(*why).to_string()),
        Action::CreateController { controller } => (
            Verb::Created,
            crate::report::plural(controller.replicas as usize, "replica"),
        ),
        Action::UpdateController { controller, old }
            if old.template_hash == controller.template_hash =>
        {
            (
                Verb::Scaled,
                format!("{} → {} replicas", old.replicas, controller.replicas),
            )
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
    }
}

#[cfg(test)]
#[path = "converge/tests.rs"]
mod tests;
