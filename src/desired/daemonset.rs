//! apps/v1 DaemonSets: one pod on each Ready node the template's
//! `nodeSelector` (and `nodeName`) matches, named `<ds>-<suffix>` after a
//! stable hash of the node, and bound to it. A changed template rolls node
//! by node: an old pod is removed first (DaemonSets do not surge), the next
//! round creates the new one, and at most maxUnavailable nodes are without
//! an available pod at a time; OnDelete leaves old pods until they are
//! deleted. The step itself is `daemon_step`, a pure function.

use std::collections::BTreeMap;
use std::time::Duration;

use super::deployment::{owned, pod_of, suffix, template_hash};
use super::health;
use super::{controller::Step, Context, DesiredController, Note, PodKey, RemoveWhy};
use crate::fingerprint;
use crate::keys;
use crate::manifest::apps::match_labels;
use crate::manifest::{DaemonSet, DaemonSetStrategy, Labels, Manifests, PodSpec};
use crate::observed::{Observed, ObservedPod};
use crate::schedule::SchedNode;

/// The label naming a DaemonSet's template revision on its pods.
pub const CONTROLLER_REVISION_HASH: &str = "controller-revision-hash";

/// The owner label value of a DaemonSet's pods.
pub fn daemon_set_owner(name: &str) -> String {
    format!("{}/{name}", keys::KIND_DAEMON_SET)
}

/// The pod name of DaemonSet `ds` on `node`.
pub fn pod_name(ds: &str, node: &str) -> String {
    format!("{ds}-{}", suffix(&format!("{ds}@{node}"), 0))
}

/// Whether the DaemonSet's pod should run on `node`: Ready, and matching
/// the template's `nodeSelector` and `nodeName`.
pub fn wanted_on(spec: &PodSpec, node: &SchedNode) -> bool {
    node.ready
        && spec
            .node_selector
            .iter()
            .all(|(k, v)| node.labels.get(k) == Some(v))
        && spec.node_name.as_deref().is_none_or(|n| n == node.name)
}

/// One node's pod as the step sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodePod {
    /// No pod on the node.
    Missing,
    /// A pod: of the current template or not, available or not.
    Present { new: bool, ready: bool },
}

/// What to do on each wanted node (indices into the input).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DaemonDecision {
    pub create: Vec<usize>,
    pub remove: Vec<usize>,
}

/// The next step over the wanted nodes' pods: create where a pod is
/// missing; under RollingUpdate remove old pods, unavailable ones first,
/// while at most `max_unavailable` nodes are without a pod or with a new
/// one not yet available. An old pod that is not available counts against
/// the budget when it goes, unlike in Kubernetes (which deletes those at
/// once): berth cannot always tell a pod not inspected yet from one that
/// is down, and must never take every node's pod at once.
pub fn daemon_step(
    strategy: DaemonSetStrategy,
    max_unavailable: u32,
    nodes: &[NodePod],
) -> DaemonDecision {
    let mut out = DaemonDecision::default();
    let mut unavailable = 0usize;
    for (i, n) in nodes.iter().enumerate() {
        match n {
            NodePod::Missing => {
                out.create.push(i);
                unavailable += 1;
            }
            NodePod::Present {
                new: true,
                ready: false,
            } => unavailable += 1,
            NodePod::Present { .. } => {}
        }
    }
    if strategy == DaemonSetStrategy::OnDelete {
        return out;
    }
    let old = |ready: bool| NodePod::Present { new: false, ready };
    let order = nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| **n == old(false))
        .chain(nodes.iter().enumerate().filter(|(_, n)| **n == old(true)));
    for (i, _) in order {
        if unavailable >= max_unavailable as usize {
            break;
        }
        out.remove.push(i);
        unavailable += 1;
    }
    out
}

fn key(p: &ObservedPod) -> PodKey {
    PodKey {
        namespace: p.namespace.clone(),
        name: p.name.clone(),
    }
}

/// A DaemonSet's step, and its record.
pub(super) fn step_daemon_set(
    ds: &DaemonSet,
    m: &Manifests,
    observed: &Observed,
    ctx: &Context,
) -> (Step, DesiredController) {
    let name = &ds.meta.name;
    let ns = &ds.meta.namespace;
    let owner = daemon_set_owner(name);
    let hash = template_hash(&ds.template);
    let mut labels: Labels = ds.template.labels.clone();
    labels.insert(CONTROLLER_REVISION_HASH.to_string(), hash.clone());
    let make = |pod_name: String, node: &str| {
        let mut pod = pod_of(
            &ds.meta,
            &ds.template,
            &labels,
            &owner,
            pod_name,
            m,
            &ds.source,
        );
        pod.node = node.to_string();
        pod
    };
    let spec_hash = make(String::new(), "").hash(ctx.infra_image);
    let min_ready = Duration::from_secs(u64::from(ds.min_ready_seconds)).max(ctx.min_ready);
    let mut out = Step::default();
    let keep = owned(ns, &owner, m, observed, &mut out);
    let is_new = |p: &ObservedPod| p.spec_hash.as_deref() == Some(spec_hash.as_str());
    let ready = |p: &ObservedPod| health::is_ready(p, ctx.now, min_ready);
    let mut by_node: BTreeMap<&str, Vec<&ObservedPod>> = BTreeMap::new();
    for p in &keep {
        by_node.entry(p.node.as_str()).or_default().push(p);
    }
    let wanted: Vec<&SchedNode> = ctx
        .nodes
        .iter()
        .filter(|n| wanted_on(&ds.template.spec, n))
        .collect();
    // Pods on nodes that no longer take one: a Ready node that stopped
    // matching loses its pod; one on a node that is not Ready (or not known
    // here) is left as it is.
    for (node, pods) in &by_node {
        if wanted.iter().any(|n| n.name == *node) {
            continue;
        }
        let known_ready = ctx.nodes.iter().any(|n| n.name == *node && n.ready);
        for p in pods {
            if known_ready {
                out.removals.push((key(p), RemoveWhy::ScaledDown));
            } else {
                out.pods.push(make(p.name.clone(), node));
            }
        }
    }
    let mut states = Vec::new();
    let mut current: Vec<Option<&ObservedPod>> = Vec::new();
    for n in &wanted {
        let mut pods = by_node.get(n.name.as_str()).cloned().unwrap_or_default();
        // One pod per node: the current template's, available first.
        pods.sort_by_key(|p| (std::cmp::Reverse((is_new(p), ready(p))), p.name.clone()));
        for extra in pods.iter().skip(1) {
            out.removals.push((key(extra), RemoveWhy::ScaledDown));
        }
        let first = pods.first().copied();
        states.push(match first {
            None => NodePod::Missing,
            Some(p) => NodePod::Present {
                new: is_new(p),
                ready: ready(p),
            },
        });
        current.push(first);
    }
    let max_unavailable = match ds.strategy {
        DaemonSetStrategy::RollingUpdate { max_unavailable } => {
            DaemonSetStrategy::max_unavailable(max_unavailable, wanted.len() as u32)
        }
        DaemonSetStrategy::OnDelete => 0,
    };
    let decision = daemon_step(ds.strategy, max_unavailable, &states);
    for (i, n) in wanted.iter().enumerate() {
        if decision.remove.contains(&i) {
            if let Some(p) = current[i] {
                out.removals.push((key(p), RemoveWhy::Replaced));
            }
        } else if let Some(p) = current[i] {
            out.pods.push(make(p.name.clone(), &n.name));
        } else {
            out.pods.push(make(pod_name(name, &n.name), &n.name));
        }
    }
    let old = states
        .iter()
        .filter(|s| matches!(s, NodePod::Present { new: false, .. }))
        .count();
    if old > 0 && decision.remove.is_empty() && decision.create.is_empty() {
        if let DaemonSetStrategy::RollingUpdate { .. } = ds.strategy {
            note(ds, &states, &current, &mut out);
        }
    }
    let record = DesiredController {
        kind: keys::KIND_DAEMON_SET.to_string(),
        owner: None,
        namespace: ns.clone(),
        name: name.clone(),
        replicas: wanted.len() as u32,
        selector: match_labels(&ds.selector),
        template_hash: hash,
        template_json: fingerprint::last_applied(&ds.template.spec, &ds.template.labels),
        env_sources: fingerprint::env_sources(&ds.template.spec),
    };
    (out, record)
}

/// Why a rolling update makes no step: waiting for a new pod to become
/// available, or halted on a broken one.
fn note(ds: &DaemonSet, states: &[NodePod], pods: &[Option<&ObservedPod>], out: &mut Step) {
    let name = &ds.meta.name;
    let object = format!("daemonset {}/{name}", ds.meta.namespace);
    let new: Vec<&ObservedPod> = states
        .iter()
        .zip(pods)
        .filter(|(s, _)| matches!(s, NodePod::Present { new: true, .. }))
        .filter_map(|(_, p)| *p)
        .collect();
    if let Some((p, why)) = new
        .iter()
        .find_map(|p| health::broken(p).map(|why| (p, why)))
    {
        out.halted.push(Note {
            object,
            message: format!(
                "rollout halted: new pod {}/{} is broken: {why}",
                p.namespace, p.name
            ),
        });
        return;
    }
    out.waiting.push(Note {
        object,
        message: format!(
            "waiting for daemon set {name:?} rollout to finish: {} out of {} new pods have been updated",
            new.len(),
            states.len()
        ),
    });
}
