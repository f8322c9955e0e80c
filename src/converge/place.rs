//! Scheduling a plan's new pods on the pool's nodes (`crate::schedule`
//! does the deciding): each node's labels, readiness and capacity (from its
//! Node manifest, else its engine's info, read only when a pod to place
//! requests cpu or memory and the probe did not bring it); the pods that
//! stay count toward their node's allocation.

use std::collections::{BTreeMap, BTreeSet};

use super::pool::{Looked, Pool};
use super::ConvergeError;
use crate::desired::health::{self, Coarse};
use crate::desired::Note;
use crate::engine::Engine;
use crate::manifest::PodSpec;
use crate::observed::Observed;
use crate::plan::{Action, Plan};
use crate::schedule::{self, Placement, Resources, SchedNode, ToPlace};

/// Binds every pod `plan` creates to a node, and drops (as errors) those no
/// node takes: such a pod stays Pending, as the kube-scheduler leaves it,
/// and a running pod is never replaced by one that cannot run. `capacity`
/// keeps what engines said of their machines across rounds.
pub(super) async fn place<E: Engine>(
    pool: &Pool<'_, E>,
    looked: &Looked,
    plan: &mut Plan,
    capacity: &mut BTreeMap<String, Resources>,
) -> Result<(), ConvergeError> {
    let answering = |node: &str| looked.per_node.contains_key(node);
    let placing = to_place(plan, &answering);
    if placing.is_empty() {
        return Ok(());
    }
    let requests = placing
        .iter()
        .any(|p| !schedule::requests_of(p.spec).is_zero());
    let mut nodes = Vec::new();
    for m in &pool.members {
        let name = &m.status.spec.name;
        let answering = looked.per_node.contains_key(name);
        let mut known = m.status.capacity().or(capacity.get(name).copied());
        if known.is_none() && requests && answering {
            if let Some(engine) = m.engine {
                let info = engine
                    .info()
                    .await
                    .map_err(|source| ConvergeError::Observe {
                        endpoint: engine.endpoint(),
                        source,
                    })?;
                let read = Resources {
                    cpu_milli: i64::from(info.cpus) * 1000,
                    memory_bytes: info.memory_bytes,
                };
                let read = Resources {
                    cpu_milli: m.status.spec.cpu_milli.unwrap_or(read.cpu_milli),
                    memory_bytes: m.status.spec.memory_bytes.unwrap_or(read.memory_bytes),
                };
                capacity.insert(name.clone(), read);
                known = Some(read);
            }
        }
        nodes.push(SchedNode {
            name: name.clone(),
            labels: m.status.labels(),
            ready: answering && m.status.is_ready(),
            capacity: known,
        });
    }
    let bound = bound_pods(plan, &looked.merged);
    let bound: Vec<(&str, &PodSpec)> = bound.iter().map(|(n, s)| (n.as_str(), s)).collect();
    let placements = schedule::schedule(&placing, &nodes, &bound);
    drop(placing);
    let mut placements = placements.into_iter();
    let mut errors = Vec::new();
    plan.actions.retain_mut(|action| {
        if !placed(action, &answering) {
            return true;
        }
        match placements.next() {
            Some(Placement::Unschedulable(why)) => {
                errors.push(Note {
                    object: action.object(),
                    message: format!("stays Pending (Unschedulable): {why}"),
                });
                false
            }
            Some(Placement::Bound(node)) => {
                if let Action::Create { pod } | Action::Recreate { pod, .. } = action {
                    pod.node = node;
                }
                true
            }
            None => true,
        }
    });
    plan.errors.extend(errors);
    Ok(())
}

/// The pool's nodes as a DaemonSet sees them: name, labels, and Ready
/// (answering and healthy), without capacity.
pub(super) fn sched_nodes<E: Engine>(pool: &Pool<'_, E>, looked: &Looked) -> Vec<SchedNode> {
    pool.members
        .iter()
        .map(|m| {
            let name = &m.status.spec.name;
            SchedNode {
                name: name.clone(),
                labels: m.status.labels(),
                ready: looked.per_node.contains_key(name) && m.status.is_ready(),
                capacity: None,
            }
        })
        .collect()
}

/// Whether the scheduler places `action`'s pod: a new pod, or one
/// recreated on a node that answers (a pod on an unreachable node is left
/// alone, see `pool::fit_to_nodes`).
fn placed(action: &Action, answering: &dyn Fn(&str) -> bool) -> bool {
    match action {
        Action::Create { .. } => true,
        Action::Recreate { old, .. } => old.node.is_empty() || answering(&old.node),
        _ => false,
    }
}

/// The pods `plan` creates or recreates: where they may go.
fn to_place<'p>(plan: &'p Plan, answering: &dyn Fn(&str) -> bool) -> Vec<ToPlace<'p>> {
    plan.actions
        .iter()
        .filter(|action| placed(action, answering))
        .filter_map(|action| match action {
            // A DaemonSet's pod comes bound to its node: the scheduler
            // checks that it fits there, as with Kubernetes' node affinity.
            Action::Create { pod } => Some(ToPlace {
                spec: &pod.spec,
                bound_to: Some(pod.node.as_str()).filter(|n| !n.is_empty()),
            }),
            Action::Recreate { pod, old, .. } => Some(ToPlace {
                spec: &pod.spec,
                bound_to: Some(old.node.as_str()).filter(|n| !n.is_empty()),
            }),
            _ => None,
        })
        .collect()
}

/// The pods that will still hold their node once `plan` has run, with the
/// spec they run (their last applied one): every observed pod but those
/// that have finished (as the kube-scheduler ignores terminated pods) and
/// those the plan removes or recreates.
fn bound_pods(plan: &Plan, observed: &Observed) -> Vec<(String, PodSpec)> {
    let leaving: BTreeSet<(&str, &str)> = plan
        .actions
        .iter()
        .filter_map(|action| match action {
            Action::Remove { pod, .. } | Action::Recreate { old: pod, .. } => {
                Some((pod.namespace.as_str(), pod.name.as_str()))
            }
            _ => None,
        })
        .collect();
    observed
        .pods
        .iter()
        .filter(|p| !leaving.contains(&(p.namespace.as_str(), p.name.as_str())))
        .filter(|p| !matches!(health::coarse(p), Coarse::Succeeded | Coarse::Failed))
        .filter_map(|p| {
            let applied: serde_json::Value =
                serde_json::from_str(p.last_applied.as_deref()?).ok()?;
            let spec = serde_json::from_value(applied.get("spec")?.clone()).ok()?;
            Some((p.node.clone(), spec))
        })
        .collect()
}
