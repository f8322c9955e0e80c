//! Pure: desired state vs observed state → the plan, plain data that `diff`
//! renders and `apply` executes. Nothing here talks to Docker.

use std::collections::{BTreeMap, BTreeSet};

use crate::desired::{health, Context, Desired, DesiredController, DesiredPod};
pub use crate::desired::{Note, PodKey, RemoveWhy};
use crate::fingerprint;
use crate::keys;
use crate::manifest::RestartPolicy;
use crate::observed::{Observed, ObservedController, ObservedPod};
use crate::podmap;

#[path = "plan/init.rs"]
mod init;
use init::{init_action, init_step, InitNotes};

/// Why a pod is recreated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecreateWhy {
    /// The desired spec differs from the last applied one.
    SpecChanged { old_json: String, new_json: String },
    /// A value the env reads from a ConfigMap or Secret changed (the
    /// spec may have changed too): `changes` name the keys.
    EnvSourcesChanged {
        old_json: String,
        new_json: String,
        changes: Vec<String>,
    },
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Create {
        pod: DesiredPod,
    },
    Recreate {
        pod: DesiredPod,
        old: ObservedPod,
        why: RecreateWhy,
    },
    /// Recreate a pod whose containers were removed or stopped behind
    /// berth's back; `message` goes on the repair label of the new
    /// `container` (its spec name, or `POD` for the infra container).
    Repair {
        pod: DesiredPod,
        old: ObservedPod,
        container: String,
        message: String,
    },
    /// Try again a pod left waiting for its image (`reason` and `message`
    /// from its infra container): recreated whole once the image can be
    /// had, else left as it is and reported as a failure.
    Retry {
        pod: DesiredPod,
        old: ObservedPod,
        reason: String,
        message: String,
    },
    /// Run init container `index` of a pod whose infra container runs
    /// (its first run, or the next after a failure and its back-off:
    /// `restarts` failed runs before), or, with `index` past the last
    /// one, create the app containers once every init container completed.
    Initialize {
        pod: DesiredPod,
        old: ObservedPod,
        index: usize,
        restarts: u64,
        message: String,
    },
    Remove {
        pod: ObservedPod,
        why: RemoveWhy,
    },
    /// Change the pod in place, as Kubernetes does without a restart: its
    /// labels, its service aliases (`reconnect`: the infra container is
    /// reconnected to the pod network under the new names, at the same
    /// address), the files of its ConfigMap, Secret and downward API
    /// volumes. `changes` say what, one line each.
    UpdatePod {
        pod: DesiredPod,
        old: ObservedPod,
        changes: Vec<String>,
        reconnect: bool,
    },
    CreateController {
        controller: DesiredController,
    },
    UpdateController {
        controller: DesiredController,
        old: ObservedController,
        /// A new template's ConfigMap and Secret keys that changed, as
        /// `ConfigMap ns/name key K changed`, read from a running pod of
        /// the old template: why the controller rolls.
        changes: Vec<String>,
    },
    RemoveController {
        old: ObservedController,
    },
}

impl Action {
    /// (before, after) as Kubernetes-shaped JSON, for a diff: empty when
    /// the object does not exist on that side. A repair changes no spec.
    pub fn texts(&self) -> (String, String) {
        let applied = |p: &ObservedPod| p.last_applied.clone().unwrap_or_default();
        match self {
            Action::Create { pod } => (
                String::new(),
                fingerprint::last_applied(&pod.spec, &pod.labels),
            ),
            Action::Recreate {
                why:
                    RecreateWhy::SpecChanged { old_json, new_json }
                    | RecreateWhy::EnvSourcesChanged {
                        old_json, new_json, ..
                    },
                ..
            } => (old_json.clone(), new_json.clone()),
            Action::Repair { old, .. }
            | Action::Initialize { old, .. }
            | Action::Retry { old, .. } => (applied(old), applied(old)),
            // The spec is the same: only the labels may differ.
            Action::UpdatePod { pod, old, .. } => (
                fingerprint::last_applied(&pod.spec, &old.labels),
                fingerprint::last_applied(&pod.spec, &pod.labels),
            ),
            Action::Remove { pod, .. } => (applied(pod), String::new()),
            Action::CreateController { controller } => (String::new(), desired_rc_text(controller)),
            Action::UpdateController {
                controller, old, ..
            } => (observed_rc_text(old), desired_rc_text(controller)),
            Action::RemoveController { old } => (observed_rc_text(old), String::new()),
        }
    }

    /// The node the action runs on: a new pod's once scheduled, an existing
    /// pod's own; none for a controller (its record is kept on every node).
    pub fn node(&self) -> Option<&str> {
        let node = match self {
            Action::Create { pod } => pod.node.as_str(),
            Action::Recreate { old, .. }
            | Action::Repair { old, .. }
            | Action::Initialize { old, .. }
            | Action::Retry { old, .. }
            | Action::UpdatePod { old, .. }
            | Action::Remove { pod: old, .. } => old.node.as_str(),
            _ => "",
        };
        (!node.is_empty()).then_some(node)
    }

    /// `pod ns/name` or `rc ns/name`.
    pub fn object(&self) -> String {
        match self {
            Action::Create { pod }
            | Action::Recreate { pod, .. }
            | Action::Repair { pod, .. }
            | Action::Initialize { pod, .. }
            | Action::Retry { pod, .. }
            | Action::UpdatePod { pod, .. } => format!("pod {}", pod.key()),
            Action::Remove { pod, .. } => format!("pod {}/{}", pod.namespace, pod.name),
            Action::CreateController { controller }
            | Action::UpdateController { controller, .. } => format!(
                "{} {}/{}",
                short_kind(&controller.kind),
                controller.namespace,
                controller.name
            ),
            Action::RemoveController { old } => {
                format!("{} {}/{}", short_kind(&old.kind), old.namespace, old.name)
            }
        }
    }
}

/// `rc`, `deployment` or `rs`: how actions and notes name a controller.
pub fn short_kind(kind: &str) -> &'static str {
    match kind {
        keys::KIND_DEPLOYMENT => "deployment",
        keys::KIND_REPLICA_SET => "rs",
        keys::KIND_DAEMON_SET => "daemonset",
        _ => "rc",
    }
}

/// A controller as a diff shows it: `spec` with replicas, selector, template.
fn rc_text(replicas: u32, selector: &crate::manifest::Labels, template: Option<&str>) -> String {
    let template: serde_json::Value = template
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(serde_json::Value::Null);
    let json = serde_json::json!({ "spec": { "replicas": replicas, "selector": selector, "template": template } });
    serde_json::to_string_pretty(&json).unwrap_or_default()
}

fn desired_rc_text(c: &DesiredController) -> String {
    rc_text(c.replicas, &c.selector, Some(&c.template_json))
}

fn observed_rc_text(c: &ObservedController) -> String {
    rc_text(c.replicas, &c.selector, c.template_json.as_deref())
}

/// What to do, and what is already right.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub unchanged: Vec<PodKey>,
    /// Rollouts waiting for a new pod to become ready (re-plan later).
    pub waiting: Vec<Note>,
    /// Rollouts halted because a new pod is broken.
    pub errors: Vec<Note>,
    /// Berth networks of the project that no pod needs any more.
    pub remove_networks: Vec<String>,
    /// Objects no manifest declares, kept because pruning is off
    /// (`pod ns/name`, `rc ns/name`).
    pub kept: Vec<String>,
    /// The project runs on several nodes: each action names its node.
    pub show_nodes: bool,
}

impl Plan {
    /// Nothing to execute (waiting and errors aside).
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty() && self.remove_networks.is_empty()
    }
}

/// The plan that takes `observed` to `desired`.
pub fn plan(desired: &Desired, observed: &Observed, ctx: &Context) -> Plan {
    let mut out = Plan {
        waiting: desired.waiting.clone(),
        errors: desired.halted.clone(),
        ..Plan::default()
    };
    let live: BTreeMap<PodKey, &ObservedPod> = observed.pods.iter().map(|p| (key(p), p)).collect();
    let mut init_notes = InitNotes::default();
    for pod in &desired.pods {
        match live.get(&pod.key()) {
            None => out.actions.push(Action::Create {
                pod: serving(pod, false),
            }),
            Some(old) => match pod_action(pod, old, ctx, &mut init_notes) {
                Some(action) => out.actions.push(action),
                None => out.unchanged.push(pod.key()),
            },
        }
    }
    out.waiting.extend(init_notes.waiting);
    out.errors.extend(init_notes.errors);
    let wanted: BTreeSet<PodKey> = desired.pods.iter().map(DesiredPod::key).collect();
    let removals: BTreeMap<&PodKey, RemoveWhy> =
        desired.removals.iter().map(|(k, w)| (k, *w)).collect();
    let mut kept_namespaces: BTreeSet<&str> =
        desired.pods.iter().map(|p| p.namespace.as_str()).collect();
    for p in &observed.pods {
        let k = key(p);
        if wanted.contains(&k) {
            continue;
        }
        match removals.get(&k) {
            Some(why) => out.actions.push(Action::Remove {
                pod: p.clone(),
                why: *why,
            }),
            None if ctx.prune => out.actions.push(Action::Remove {
                pod: p.clone(),
                why: RemoveWhy::NotDeclared,
            }),
            None => {
                kept_namespaces.insert(&p.namespace);
                out.kept.push(format!("pod {}/{}", p.namespace, p.name));
            }
        }
    }
    controller_actions(desired, observed, ctx, &mut out);
    out.actions.sort_by_key(Action::object);
    out.unchanged.sort();
    out.kept.sort();
    let kept: BTreeSet<String> = kept_namespaces
        .iter()
        .map(|ns| podmap::network_name(ctx.project, ns))
        .collect();
    out.remove_networks = observed
        .networks
        .iter()
        .filter(|n| !kept.contains(*n))
        .cloned()
        .collect();
    out
}

fn key(p: &ObservedPod) -> PodKey {
    PodKey {
        namespace: p.namespace.clone(),
        name: p.name.clone(),
    }
}

/// The waiting reason and message berth left on a pod's infra container
/// when its image could not be had.
pub fn waiting(old: &ObservedPod) -> Option<(String, String)> {
    let labels = &old.infra.as_ref()?.summary.labels;
    let reason = labels.get(keys::WAITING_REASON)?;
    let message = labels.get(keys::WAITING_MESSAGE).cloned();
    Some((reason.clone(), message.unwrap_or_default()))
}

/// Recreate on a spec change, retry a pod waiting for its image, repair
/// what was broken behind berth's back. A controller's pod of an older
/// template is left to its rollout (unless it waits for its image).
fn pod_action(
    pod: &DesiredPod,
    old: &ObservedPod,
    ctx: &Context,
    init_notes: &mut InitNotes,
) -> Option<Action> {
    // A pod of its own changes its labels in place: its hash is taken with
    // those it was created with. A controller's pod has its template's
    // labels: a change of them is a new template, rolled out.
    let hash = match &pod.owner {
        None => pod.hash_with_labels(ctx.infra_image, &old.created_labels()),
        Some(_) => pod.hash(ctx.infra_image),
    };
    let rolling = pod.owner.is_some() && pod.owner == old.owner;
    let stale = old.spec_hash.as_deref() != Some(hash.as_str());
    if stale && !rolling {
        let new_json = fingerprint::last_applied(&pod.spec, &pod.labels);
        let old_json = old.last_applied.clone().unwrap_or_default();
        let recorded = old.infra.as_ref().and_then(|infra| {
            let labels = &infra.summary.labels;
            labels
                .get(fingerprint::ENV_SOURCES_LABEL)
                .map(String::as_str)
        });
        let changes = fingerprint::env_source_changes(recorded, &pod.spec);
        let why = if changes.is_empty() {
            RecreateWhy::SpecChanged { old_json, new_json }
        } else {
            RecreateWhy::EnvSourcesChanged {
                old_json,
                new_json,
                changes,
            }
        };
        return Some(Action::Recreate {
            pod: pod.clone(),
            old: old.clone(),
            why,
        });
    }
    if let Some((reason, message)) = waiting(old) {
        return Some(Action::Retry {
            pod: pod.clone(),
            old: old.clone(),
            reason,
            message,
        });
    }
    if let Some(step) = init_step(pod, old, ctx.now) {
        return init_action(pod, old, step, ctx.now, init_notes);
    }
    if let Some((container, message)) = repair_reason(pod, old) {
        return Some(Action::Repair {
            pod: pod.clone(),
            old: old.clone(),
            container,
            message,
        });
    }
    // A pod of an older template waits for its controller's rollout.
    if stale {
        return None;
    }
    let ready = || {
        let policy = crate::status::restart_policy_of(old);
        crate::status::pod_status(old, policy, ctx.now).is_ready()
    };
    let pod = &serving(pod, !gates_traffic(pod) || ready());
    let mut changes = Vec::new();
    if pod.labels != old.labels {
        changes.push(format!(
            "labels {} → {}",
            label_text(&old.labels),
            label_text(&pod.labels)
        ));
    }
    let mut wanted = pod.aliases.clone();
    wanted.sort();
    let had = old.aliases();
    let reconnect = wanted != had;
    if reconnect {
        for alias in wanted.iter().filter(|a| !had.contains(a)) {
            changes.push(format!("joins service {alias}"));
        }
        for alias in had.iter().filter(|a| !wanted.contains(a)) {
            changes.push(format!("leaves service {alias}"));
        }
    }
    if crate::podfiles::file_volumes(&pod.spec).next().is_some() {
        let recorded = old.recorded(crate::podfiles::FILE_SOURCES_LABEL);
        changes.extend(crate::podfiles::changes(recorded, &pod.spec));
    }
    (!changes.is_empty()).then(|| Action::UpdatePod {
        pod: pod.clone(),
        old: old.clone(),
        changes,
        reconnect,
    })
}

/// Whether the pod's traffic waits for its readiness: a container of it
/// has a readiness or a startup probe. (Without, it is Ready once it runs,
/// and berth creates it under its services' names at once.)
fn gates_traffic(pod: &DesiredPod) -> bool {
    pod.spec
        .containers
        .iter()
        .any(|c| c.readiness_probe.is_some() || c.startup_probe.is_some())
}

/// `pod` as it should be on the network: under its services' names only
/// when it may take traffic (`ready`, or nothing to wait for), as only
/// Ready pods are a Service's endpoints.
fn serving(pod: &DesiredPod, ready: bool) -> DesiredPod {
    let mut pod = pod.clone();
    if !ready && gates_traffic(&pod) {
        pod.aliases.clear();
    }
    pod
}

/// `app=web,tier=front` (`<none>` for no labels).
fn label_text(labels: &crate::manifest::Labels) -> String {
    if labels.is_empty() {
        return "<none>".to_string();
    }
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Which container needs repair and why: missing (any policy), or stopped
/// while its restart policy says Docker should keep it running.
pub fn repair_reason(pod: &DesiredPod, old: &ObservedPod) -> Option<(String, String)> {
    let pod_level = || keys::INFRA_NAME.to_string();
    let policy = pod.spec.restart_policy;
    for c in &pod.spec.containers {
        let Some(live) = old.containers.get(&c.name) else {
            let message = format!(
                "container {} was removed behind berth's back; recreated",
                c.name
            );
            return Some((c.name.clone(), message));
        };
        let code = health::exit_code(live).unwrap_or(-1);
        let should_run = match policy {
            RestartPolicy::Always => true,
            RestartPolicy::OnFailure => code != 0,
            RestartPolicy::Never => false,
        };
        if health::is_exited(live) && should_run {
            let message = format!(
                "container {} was stopped behind berth's back (exit code {code}); recreated",
                c.name
            );
            return Some((c.name.clone(), message));
        }
    }
    let Some(infra) = &old.infra else {
        return Some((
            pod_level(),
            "infra container was removed behind berth's back; pod recreated".to_string(),
        ));
    };
    let members_done = old.containers.values().all(health::is_exited);
    if health::is_exited(infra) && !(policy == RestartPolicy::Never && members_done) {
        return Some((
            pod_level(),
            "infra container was stopped behind berth's back; pod recreated".to_string(),
        ));
    }
    None
}

/// The env sources label of a running pod of `old`'s template: one it
/// owns (a DaemonSet's of the same revision, a controller's), or one of
/// its ReplicaSet of that template (a Deployment's). `None` when no such
/// pod recorded them.
fn recorded_sources<'a>(old: &ObservedController, observed: &'a Observed) -> Option<&'a str> {
    let me = format!("{}/{}", old.kind, old.name);
    let same_ns = |ns: &str| ns == old.namespace;
    let mut owners = vec![me.clone()];
    owners.extend(
        observed
            .controllers
            .iter()
            .filter(|rs| same_ns(&rs.namespace) && rs.owner.as_deref() == Some(me.as_str()))
            .filter(|rs| rs.template_hash == old.template_hash)
            .map(|rs| format!("{}/{}", rs.kind, rs.name)),
    );
    let of_old_template = |p: &ObservedPod| {
        p.labels
            .get(crate::desired::daemonset::CONTROLLER_REVISION_HASH)
            .is_none_or(|h| *h == old.template_hash)
    };
    observed
        .pods
        .iter()
        .filter(|p| same_ns(&p.namespace) && p.owner.as_ref().is_some_and(|o| owners.contains(o)))
        .filter(|p| of_old_template(p))
        .find_map(|p| {
            let labels = &p.infra.as_ref()?.summary.labels;
            labels
                .get(fingerprint::ENV_SOURCES_LABEL)
                .map(String::as_str)
        })
}

/// The controller record actions that take `observed`'s records (one
/// engine's, or all of them) to `desired`'s controllers.
pub fn controller_actions(desired: &Desired, observed: &Observed, ctx: &Context, out: &mut Plan) {
    let live: BTreeMap<(&str, &str, &str), &ObservedController> = observed
        .controllers
        .iter()
        .map(|c| ((c.kind.as_str(), c.namespace.as_str(), c.name.as_str()), c))
        .collect();
    for c in &desired.controllers {
        match live.get(&(c.kind.as_str(), c.namespace.as_str(), c.name.as_str())) {
            None => out.actions.push(Action::CreateController {
                controller: c.clone(),
            }),
            Some(old)
                if old.replicas != c.replicas
                    || old.selector != c.selector
                    || old.template_hash != c.template_hash =>
            {
                let changes = if old.template_hash == c.template_hash {
                    Vec::new()
                } else {
                    fingerprint::source_changes(recorded_sources(old, observed), &c.env_sources)
                };
                out.actions.push(Action::UpdateController {
                    controller: c.clone(),
                    old: (*old).clone(),
                    changes,
                })
            }
            Some(_) => {}
        }
    }
    let declared: BTreeSet<(&str, &str, &str)> = desired
        .controllers
        .iter()
        .map(|c| (c.kind.as_str(), c.namespace.as_str(), c.name.as_str()))
        .collect();
    for old in &observed.controllers {
        if declared.contains(&(old.kind.as_str(), old.namespace.as_str(), old.name.as_str())) {
            continue;
        }
        if ctx.prune {
            out.actions
                .push(Action::RemoveController { old: old.clone() });
        } else {
            let kind = short_kind(&old.kind);
            out.kept
                .push(format!("{kind} {}/{}", old.namespace, old.name));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::desired::test_pod;
    use crate::observed::{ContainerDetails, ContainerState, ContainerSummary, ObservedContainer};

    const CTX: Context = Context {
        project: "p",
        node: "local",
        infra_image: "pause:1",
        prune: true,
        now: 0,
        min_ready: Duration::ZERO,
        nodes: &[],
    };

    fn container(state: ContainerState, exit_code: i64) -> ObservedContainer {
        let summary = ContainerSummary {
            id: "id".into(),
            name: "n".into(),
            image: "i".into(),
            labels: Default::default(),
            state,
            created: 0,
        };
        let details = ContainerDetails {
            exit_code,
            ..Default::default()
        };
        ObservedContainer {
            summary,
            details: Some(details),
            probe: Default::default(),
        }
    }

    fn observed(pod: &DesiredPod, app: Option<ObservedContainer>) -> ObservedPod {
        ObservedPod {
            project: "p".into(),
            namespace: pod.namespace.clone(),
            name: pod.name.clone(),
            node: "local".into(),
            owner: None,
            spec_hash: Some(pod.hash(CTX.infra_image)),
            labels: pod.labels.clone(),
            last_applied: None,
            infra: Some(container(ContainerState::Running, 0)),
            containers: app.into_iter().map(|c| ("app".to_string(), c)).collect(),
            node_problem: None,
            records: Vec::new(),
            init_containers: Default::default(),
        }
    }

    fn plan_one(pod: &DesiredPod, live: ObservedPod) -> Plan {
        let desired = Desired {
            pods: vec![pod.clone()],
            ..Desired::default()
        };
        let observed = Observed {
            pods: vec![live],
            ..Observed::default()
        };
        plan(&desired, &observed, &CTX)
    }

    fn record(kind: &str, name: &str, owner: Option<&str>, hash: &str) -> ObservedController {
        ObservedController {
            kind: kind.into(),
            owner: owner.map(Into::into),
            project: "p".into(),
            namespace: "default".into(),
            name: name.into(),
            replicas: 1,
            selector: Default::default(),
            template_hash: hash.into(),
            template_json: None,
            container_id: format!("{name}-record"),
            created: 0,
            node: "local".into(),
        }
    }

    fn desired_record(kind: &str, name: &str, hash: &str, level: &str) -> DesiredController {
        DesiredController {
            kind: kind.into(),
            owner: None,
            namespace: "default".into(),
            name: name.into(),
            replicas: 1,
            selector: Default::default(),
            template_hash: hash.into(),
            template_json: String::new(),
            env_sources: sources(level),
        }
    }

    /// The env sources of a template reading LOG_LEVEL (digest `level`)
    /// and MODE.
    fn sources(level: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            (
                "ConfigMap default/app-config key LOG_LEVEL".to_string(),
                level.to_string(),
            ),
            (
                "ConfigMap default/app-config key MODE".to_string(),
                "m0".to_string(),
            ),
        ])
    }

    /// A running pod owned by `owner` that recorded reading `level`.
    fn owned_pod(name: &str, owner: &str, level: &str) -> ObservedPod {
        let mut pod = observed(&test_pod(name), None);
        pod.owner = Some(owner.into());
        let label = serde_json::to_string(&sources(level)).unwrap();
        let infra = pod.infra.as_mut().unwrap();
        infra
            .summary
            .labels
            .insert(fingerprint::ENV_SOURCES_LABEL.into(), label);
        pod
    }

    fn controller_changes(desired: DesiredController, observed: &Observed) -> Vec<String> {
        let desired = Desired {
            controllers: vec![desired],
            ..Desired::default()
        };
        let mut out = Plan::default();
        controller_actions(&desired, observed, &CTX, &mut out);
        let updates: Vec<&Vec<String>> = out
            .actions
            .iter()
            .filter_map(|a| match a {
                Action::UpdateController { changes, .. } => Some(changes),
                _ => None,
            })
            .collect();
        match updates.as_slice() {
            [changes] => (*changes).clone(),
            _ => panic!("want one controller update, got {:?}", out.actions),
        }
    }

    #[test]
    fn a_deployment_rollout_names_the_key_its_old_replica_sets_pods_read() {
        let observed = Observed {
            controllers: vec![
                record("Deployment", "web", None, "h1"),
                record("ReplicaSet", "web-h0", Some("Deployment/web"), "h0"),
                record("ReplicaSet", "web-h1", Some("Deployment/web"), "h1"),
                record("ReplicaSet", "api-h1", Some("Deployment/api"), "h1"),
            ],
            pods: vec![
                // An older revision's pod and another Deployment's pod read
                // other values: they are not the template being replaced.
                owned_pod("web-h0-a", "ReplicaSet/web-h0", "older"),
                owned_pod("api-h1-a", "ReplicaSet/api-h1", "api"),
                owned_pod("web-h1-a", "ReplicaSet/web-h1", "debug"),
            ],
            ..Observed::default()
        };
        let changes =
            controller_changes(desired_record("Deployment", "web", "h2", "info"), &observed);
        assert_eq!(
            changes,
            ["ConfigMap default/app-config key LOG_LEVEL changed"]
        );
    }

    #[test]
    fn a_daemon_set_rollout_reads_a_pod_of_the_old_revision() {
        let mut new_pod = owned_pod("agent-b", "DaemonSet/agent", "info");
        new_pod
            .labels
            .insert("controller-revision-hash".into(), "h2".into());
        let mut old_pod = owned_pod("agent-a", "DaemonSet/agent", "debug");
        old_pod
            .labels
            .insert("controller-revision-hash".into(), "h1".into());
        let observed = Observed {
            controllers: vec![record("DaemonSet", "agent", None, "h1")],
            pods: vec![new_pod, old_pod],
            ..Observed::default()
        };
        let changes = controller_changes(
            desired_record("DaemonSet", "agent", "h2", "info"),
            &observed,
        );
        assert_eq!(
            changes,
            ["ConfigMap default/app-config key LOG_LEVEL changed"]
        );
    }

    #[test]
    fn a_template_change_without_recorded_sources_names_no_key() {
        let observed = Observed {
            controllers: vec![record("DaemonSet", "agent", None, "h1")],
            ..Observed::default()
        };
        let changes = controller_changes(
            desired_record("DaemonSet", "agent", "h2", "info"),
            &observed,
        );
        assert!(changes.is_empty(), "{changes:?}");
    }

    #[test]
    fn matching_pod_is_unchanged() {
        let pod = test_pod("web");
        let p = plan_one(
            &pod,
            observed(&pod, Some(container(ContainerState::Running, 0))),
        );
        assert!(p.is_empty());
        assert_eq!(p.unchanged, [pod.key()]);
    }

    #[test]
    fn exit_zero_under_on_failure_is_left_alone_but_non_zero_is_repaired() {
        let mut pod = test_pod("web");
        pod.spec.restart_policy = RestartPolicy::OnFailure;
        assert!(plan_one(
            &pod,
            observed(&pod, Some(container(ContainerState::Exited, 0)))
        )
        .is_empty());
        let p = plan_one(
            &pod,
            observed(&pod, Some(container(ContainerState::Exited, 143))),
        );
        assert!(
            matches!(&p.actions[..], [Action::Repair { message, .. }] if message.contains("exit code 143"))
        );
    }

    #[test]
    fn missing_container_is_repaired_even_under_never() {
        let mut pod = test_pod("web");
        pod.spec.restart_policy = RestartPolicy::Never;
        let p = plan_one(&pod, observed(&pod, None));
        assert!(
            matches!(&p.actions[..], [Action::Repair { message, .. }] if message.contains("container app was removed"))
        );
    }

    #[test]
    fn undeclared_pod_is_removed_only_with_prune_and_its_network_goes_with_it() {
        let pod = test_pod("web");
        let live = observed(&pod, Some(container(ContainerState::Running, 0)));
        let observed = Observed {
            pods: vec![live],
            networks: vec!["berth_p_default".into()],
            ..Default::default()
        };
        let p = plan(&Desired::default(), &observed, &CTX);
        assert!(matches!(
            &p.actions[..],
            [Action::Remove {
                why: RemoveWhy::NotDeclared,
                ..
            }]
        ));
        assert_eq!(p.remove_networks, ["berth_p_default"]);
        let keep = plan(
            &Desired::default(),
            &observed,
            &Context {
                prune: false,
                ..CTX
            },
        );
        assert!(keep.is_empty());
    }

    #[test]
    fn a_new_pod_diffs_from_nothing_to_its_kubernetes_json() {
        let pod = test_pod("web");
        let p = plan(
            &Desired {
                pods: vec![pod],
                ..Desired::default()
            },
            &Observed::default(),
            &CTX,
        );
        let (before, after) = p.actions[0].texts();
        assert_eq!(before, "");
        assert!(after.contains("\"image\": \"busybox:1\""), "{after}");
        assert!(after.contains("\"restartPolicy\": \"Always\""), "{after}");
    }
}
