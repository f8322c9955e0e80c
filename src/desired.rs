//! Pure: manifests (and, for controllers, the observed pods) → the pods that
//! should exist on the node, with the controllers' scale and rollout steps.

mod controller;
pub mod daemonset;
#[cfg(test)]
mod daemonset_tests;
pub mod deployment;
#[cfg(test)]
mod deployment_tests;
pub mod health;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use crate::fingerprint;
use crate::manifest::{Labels, Manifests, Pod, PodSpec, ReplicationController, Service, Source};
use crate::observed::Observed;

/// A pod's identity within a project.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodKey {
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for PodKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// A pod that should exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredPod {
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
    /// The pod's (or its template's) annotations: shown, never hashed, as
    /// changing them restarts nothing in Kubernetes.
    pub annotations: BTreeMap<String, String>,
    pub spec: PodSpec,
    /// `ReplicationController/<name>` when a controller owns the pod.
    pub owner: Option<String>,
    /// Names of the services selecting the pod: extra DNS names of its IP.
    pub aliases: Vec<String>,
    pub source: Source,
    /// The node the pod is bound to: empty until the scheduler (or the
    /// node of the pod it replaces in place) decides.
    pub node: String,
}

impl DesiredPod {
    pub fn key(&self) -> PodKey {
        PodKey {
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }

    /// The spec hash: equal hashes, nothing to recreate. Service aliases
    /// are not part of it: they change in place.
    pub fn hash(&self, infra_image: &str) -> String {
        self.hash_with_labels(infra_image, &self.labels)
    }

    /// The spec hash had the pod `labels` (those it was created with:
    /// labels, too, change in place).
    pub fn hash_with_labels(&self, infra_image: &str, labels: &Labels) -> String {
        fingerprint::spec_hash(&self.spec, labels, self.owner.as_deref(), &[], infra_image)
    }

    fn standalone(pod: &Pod, services: &[Service]) -> DesiredPod {
        DesiredPod {
            namespace: pod.meta.namespace.clone(),
            name: pod.meta.name.clone(),
            labels: pod.meta.labels.clone(),
            annotations: pod.meta.annotations.clone(),
            spec: pod.spec.clone(),
            owner: None,
            aliases: aliases(services, &pod.meta.namespace, &pod.meta.labels),
            source: pod.source.clone(),
            node: String::new(),
        }
    }

    fn from_template(rc: &ReplicationController, name: String, services: &[Service]) -> DesiredPod {
        DesiredPod {
            namespace: rc.meta.namespace.clone(),
            name,
            labels: rc.template.labels.clone(),
            annotations: rc.template.annotations.clone(),
            spec: rc.template.spec.clone(),
            owner: Some(owner_of(&rc.meta.name)),
            aliases: aliases(services, &rc.meta.namespace, &rc.template.labels),
            source: rc.source.clone(),
            node: String::new(),
        }
    }
}

/// The services of `namespace` whose selector picks `labels`, sorted.
pub fn aliases(services: &[Service], namespace: &str, labels: &Labels) -> Vec<String> {
    let mut names: Vec<String> = services
        .iter()
        .filter(|s| s.meta.namespace == namespace && selects(&s.selector, labels))
        .map(|s| s.meta.name.clone())
        .collect();
    names.sort();
    names
}

/// The owner label value of a controller's pods.
pub fn owner_of(rc: &str) -> String {
    format!("ReplicationController/{rc}")
}

/// A replication controller as remembered on the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredController {
    /// `ReplicationController`, `Deployment` or `ReplicaSet`.
    pub kind: String,
    /// A Deployment's ReplicaSet: `Deployment/<name>`.
    pub owner: Option<String>,
    pub namespace: String,
    pub name: String,
    pub replicas: u32,
    pub selector: Labels,
    pub template_hash: String,
    /// The template as Kubernetes-shaped JSON.
    pub template_json: String,
    /// The ConfigMap and Secret keys the template's env reads, with short
    /// digests of their values (`fingerprint::env_sources`): a rollout
    /// says which of them changed. Empty for a record kept as observed.
    pub env_sources: BTreeMap<String, String>,
}

/// Why a pod goes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveWhy {
    /// No manifest declares it any more (prune).
    NotDeclared,
    /// Its controller has more pods than replicas.
    ScaledDown,
    /// A rollout replaced it with a pod of the new template.
    Replaced,
    /// It failed and its controller replaces it.
    Failed,
    /// Its node was lost and is back: what it left there is stale (the
    /// pod was Failed, or replaced on another node).
    NodeLost,
    /// Its node is no longer declared.
    NodeRemoved,
}

/// Something about an object, for the user: why a rollout waits or stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub object: String,
    pub message: String,
}

/// Everything the planner needs besides the observed state.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub project: &'a str,
    pub node: &'a str,
    pub infra_image: &'a str,
    pub prune: bool,
    /// Unix seconds.
    pub now: i64,
    /// How long a new pod must run before a rollout removes an old one.
    pub min_ready: Duration,
    /// The pool's nodes (name, labels, readiness), for DaemonSets.
    pub nodes: &'a [crate::schedule::SchedNode],
}

/// The desired state of one project on one node.
#[derive(Debug, Clone, Default)]
pub struct Desired {
    pub pods: Vec<DesiredPod>,
    /// Owned pods the controllers remove (scale down, failed, replaced).
    pub removals: Vec<(PodKey, RemoveWhy)>,
    pub controllers: Vec<DesiredController>,
    /// Rollouts waiting for a new pod to become ready.
    pub waiting: Vec<Note>,
    /// Rollouts stopped because a new pod is broken.
    pub halted: Vec<Note>,
}

/// Without live state: standalone pods and each controller's pods, named
/// `<rc>-<n>` at the lowest ordinals no declared pod uses, less the declared
/// pods its selector already counts.
pub fn expand_offline(manifests: &Manifests) -> Vec<DesiredPod> {
    // The live expansion with nothing running yet: the same counting of
    // matching declared pods and the same lowest free ordinals, so that
    // `get -f` shows the pods a first apply creates.
    let nodes = offline_nodes(manifests);
    let ctx = Context {
        project: "offline",
        node: "local",
        infra_image: "",
        prune: true,
        now: 0,
        min_ready: Duration::ZERO,
        nodes: &nodes,
    };
    expand(manifests, &Observed::default(), &ctx).pods
}

/// The nodes without live state: the Node manifests, all Ready, else the
/// one implicit node `local`.
pub fn offline_nodes(manifests: &Manifests) -> Vec<crate::schedule::SchedNode> {
    let node = |name: &str, labels: &Labels| crate::schedule::SchedNode {
        name: name.to_string(),
        labels: labels.clone(),
        ready: true,
        capacity: None,
    };
    if manifests.nodes.is_empty() {
        return vec![node("local", &Labels::new())];
    }
    manifests
        .nodes
        .iter()
        .map(|n| node(&n.meta.name, &n.meta.labels))
        .collect()
}

/// With live state: standalone pods, and each controller's pods after this
/// step of counting, scaling and rolling out.
pub fn expand(manifests: &Manifests, observed: &Observed, ctx: &Context) -> Desired {
    let mut desired = Desired {
        pods: manifests
            .pods
            .iter()
            .map(|p| DesiredPod::standalone(p, &manifests.services))
            .collect(),
        ..Desired::default()
    };
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let names = manifests
        .pods
        .iter()
        .map(|p| (&p.meta.namespace, &p.meta.name));
    for (ns, name) in names.chain(observed.pods.iter().map(|p| (&p.namespace, &p.name))) {
        used.entry(ns.clone()).or_default().insert(name.clone());
    }
    let index = controller::Index::new(manifests, observed);
    for rc in &manifests.controllers {
        let used = used.entry(rc.meta.namespace.clone()).or_default();
        let step = controller::step(rc, manifests, &index, observed, ctx, used);
        desired.pods.extend(step.pods);
        desired.removals.extend(step.removals);
        desired.waiting.extend(step.waiting);
        desired.halted.extend(step.halted);
        desired
            .controllers
            .push(controller::record(rc, manifests, ctx.infra_image));
    }
    for d in &manifests.deployments {
        let used = used.entry(d.meta.namespace.clone()).or_default();
        let (step, records) = deployment::step_deployment(d, manifests, observed, ctx, used);
        desired.absorb(step);
        desired.controllers.extend(records);
    }
    for rs in &manifests.replica_sets {
        let used = used.entry(rs.meta.namespace.clone()).or_default();
        let (step, record) = deployment::step_replica_set(rs, manifests, observed, ctx, used);
        desired.absorb(step);
        desired.controllers.push(record);
    }
    for ds in &manifests.daemon_sets {
        let (step, record) = daemonset::step_daemon_set(ds, manifests, observed, ctx);
        desired.absorb(step);
        desired.controllers.push(record);
    }
    desired
}

impl Desired {
    fn absorb(&mut self, step: controller::Step) {
        self.pods.extend(step.pods);
        self.removals.extend(step.removals);
        self.waiting.extend(step.waiting);
        self.halted.extend(step.halted);
    }
}

/// Whether `labels` satisfy an equality selector (a controller's map).
pub fn selects(selector: &Labels, labels: &Labels) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

#[cfg(test)]
pub(crate) fn test_pod(name: &str) -> DesiredPod {
    use crate::manifest::{Container, PullPolicy, RestartPolicy, DEFAULT_GRACE_SECONDS};
    DesiredPod {
        namespace: "default".into(),
        name: name.into(),
        labels: Labels::new(),
        annotations: BTreeMap::new(),
        spec: PodSpec {
            containers: vec![Container {
                name: "app".into(),
                image: "busybox:1".into(),
                command: vec![],
                args: vec![],
                env_from: vec![],
                env: vec![],
                ports: vec![],
                resources: Default::default(),
                volume_mounts: vec![],
                working_dir: None,
                image_pull_policy: PullPolicy::IfNotPresent,
                liveness_probe: None,
                readiness_probe: None,
                startup_probe: None,
                resolved_env: vec![],
                security: Default::default(),
            }],
            init_containers: Vec::new(),
            volumes: vec![],
            restart_policy: RestartPolicy::Always,
            termination_grace_period_seconds: DEFAULT_GRACE_SECONDS,
            node_selector: Labels::new(),
            node_name: None,
        },
        owner: None,
        aliases: Vec::new(),
        source: Source::default(),
        node: String::new(),
    }
}

/// A controller `name` of `replicas` pods of `test_pod`'s spec, selecting
/// and labelling them `app=<name>`.
#[cfg(test)]
pub(crate) fn test_rc(name: &str, replicas: u32) -> ReplicationController {
    use crate::manifest::{ObjectMeta, PodTemplate};
    let labels = Labels::from([("app".to_string(), name.to_string())]);
    ReplicationController {
        meta: ObjectMeta {
            name: name.into(),
            namespace: "default".into(),
            ..Default::default()
        },
        replicas,
        selector: labels.clone(),
        template: PodTemplate {
            labels,
            annotations: Default::default(),
            spec: test_pod("x").spec,
        },
        source: Source::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_expansion_names_replicas_from_zero() {
        let m = Manifests {
            controllers: vec![test_rc("web", 3)],
            ..Default::default()
        };
        let names: Vec<String> = expand_offline(&m).into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["web-0", "web-1", "web-2"]);
    }

    #[test]
    fn empty_selector_selects_nothing_and_subset_selects() {
        let labels = Labels::from([
            ("app".to_string(), "web".to_string()),
            ("tier".to_string(), "x".to_string()),
        ]);
        assert!(selects(
            &Labels::from([("app".to_string(), "web".to_string())]),
            &labels
        ));
        assert!(!selects(
            &Labels::from([("app".to_string(), "db".to_string())]),
            &labels
        ));
        assert!(!selects(&Labels::new(), &labels));
    }
}

#[cfg(test)]
mod offline_tests {
    use super::*;
    use crate::manifest::load_text;
    use crate::manifest::LoadOptions;

    fn names(text: &str) -> Vec<String> {
        let loaded = load_text(std::path::Path::new("t.yaml"), text, LoadOptions::default());
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let mut names: Vec<String> = expand_offline(&loaded.manifests)
            .into_iter()
            .map(|p| p.name)
            .collect();
        names.sort();
        names
    }

    const RC: &str = "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: web}\nspec:\n  replicas: 3\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: i:1}]}\n";

    #[test]
    fn offline_controller_pods_are_numbered_from_zero() {
        assert_eq!(names(RC), ["web-0", "web-1", "web-2"]);
    }

    #[test]
    fn offline_expansion_counts_a_matching_declared_pod_and_skips_its_name() {
        let pod = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: web-0, labels: {app: web}}\nspec: {containers: [{name: c, image: i:1}]}\n";
        assert_eq!(names(&format!("{RC}{pod}")), ["web-0", "web-1", "web-2"]);
    }

    #[test]
    fn offline_expansion_skips_a_declared_name_that_does_not_match() {
        let pod = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: web-0, labels: {app: other}}\nspec: {containers: [{name: c, image: i:1}]}\n";
        assert_eq!(
            names(&format!("{RC}{pod}")),
            ["web-0", "web-1", "web-2", "web-3"]
        );
    }
}
