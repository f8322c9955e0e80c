//! Scheduling a plan's new pods on the local node (`crate::schedule` does
//! the deciding): the node's capacity from a Node manifest named like it,
//! else from the engine's info, read only when a pod to create requests
//! cpu or memory; the pods that stay count toward its allocation.

use std::collections::BTreeSet;

use super::{plan_for, ConvergeError, Settings};
use crate::desired::health::{self, Coarse};
use crate::desired::Note;
use crate::engine::Engine;
use crate::manifest::{Manifests, PodSpec};
use crate::observed::Observed;
use crate::plan::{Action, Plan};
use crate::schedule::{self, Placement, Resources, SchedNode, ToPlace};

/// The plan, its pods scheduled on the local node. The engine's cpus and
/// memory are read (once, into `capacity`) only when the plan creates a pod
/// that requests any and no Node manifest gives the node's capacity: a
/// converged project still costs one list call.
pub(super) async fn scheduled_plan<E: Engine>(
    engine: &E,
    manifests: &Manifests,
    observed: &Observed,
    settings: &Settings,
    capacity: &mut Option<Resources>,
) -> Result<Plan, ConvergeError> {
    let mut plan = plan_for(manifests, observed, settings);
    if capacity.is_none() && needs_capacity(&plan, manifests, &settings.node) {
        let info = engine
            .info()
            .await
            .map_err(|source| ConvergeError::Observe {
                endpoint: engine.endpoint(),
                source,
            })?;
        *capacity = Some(Resources {
            cpu_milli: i64::from(info.cpus) * 1000,
            memory_bytes: info.memory_bytes,
        });
    }
    let node = SchedNode::local(manifests, &settings.node, *capacity);
    unschedulable(&mut plan, observed, &node);
    Ok(plan)
}

/// The pods `plan` creates or recreates: where they may go.
fn to_place(plan: &Plan) -> Vec<ToPlace<'_>> {
    plan.actions
        .iter()
        .filter_map(|action| match action {
            Action::Create { pod } => Some(ToPlace::new(&pod.spec)),
            Action::Recreate { pod, old, .. } => Some(ToPlace {
                spec: &pod.spec,
                bound_to: Some(old.node.as_str()).filter(|n| !n.is_empty()),
            }),
            _ => None,
        })
        .collect()
}

/// Whether scheduling `plan` needs the node's capacity from its engine: a
/// pod it places requests cpu or memory (limits standing in), and the Node
/// manifest of that name does not declare both.
fn needs_capacity(plan: &Plan, manifests: &Manifests, node: &str) -> bool {
    let (cpu, memory) = schedule::declared_capacity(manifests, node);
    (cpu.is_none() || memory.is_none())
        && to_place(plan)
            .iter()
            .any(|p| !schedule::requests_of(p.spec).is_zero())
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

/// Drops the creations of pods that no node takes, each reported as an
/// error instead: such a pod stays Pending (as the Kubernetes scheduler
/// leaves it), and a running pod is never replaced by one that cannot run.
fn unschedulable(plan: &mut Plan, observed: &Observed, node: &SchedNode) {
    let placing = to_place(plan);
    if placing.is_empty() {
        return;
    }
    let bound = bound_pods(plan, observed);
    let bound: Vec<(&str, &PodSpec)> = bound.iter().map(|(n, s)| (n.as_str(), s)).collect();
    let mut placements =
        schedule::schedule(&placing, std::slice::from_ref(node), &bound).into_iter();
    let mut errors = Vec::new();
    plan.actions.retain(|action| {
        if !matches!(action, Action::Create { .. } | Action::Recreate { .. }) {
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
            _ => true,
        }
    });
    plan.errors.extend(errors);
}
