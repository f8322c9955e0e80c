//! `berth delete`: remove chosen pods and controllers of a project now,
//! whatever the manifests say (a later apply recreates what they declare).

use super::{add_networks, changes, observe_project, ConvergeError, Outcome, Progress, Settings};
use crate::apply;
use crate::desired::RemoveWhy;
use crate::engine::Engine;
use crate::observe::{Depth, InspectCache};
use crate::observed::{ObservedController, ObservedPod};
use crate::plan::{Action, Plan};
use crate::podmap;

/// Removes the pods `pick_pod` chooses and the controllers `pick_rc`
/// chooses, with every pod a chosen controller owns; then the networks no
/// pod needs any more. Returns what was done; nothing chosen, nothing done.
pub async fn delete<E: Engine>(
    engine: &E,
    settings: &Settings,
    pick_pod: &(dyn Fn(&ObservedPod) -> bool + Sync),
    pick_rc: &(dyn Fn(&ObservedController) -> bool + Sync),
    progress: &mut (dyn FnMut(&super::Change) + Send),
) -> Result<Outcome, ConvergeError> {
    let mut cache = InspectCache::default();
    let mut observed = observe_project(engine, settings, &mut cache, Depth::Quick).await?;
    let controllers: Vec<&ObservedController> =
        observed.controllers.iter().filter(|c| pick_rc(c)).collect();
    let owned = |p: &ObservedPod| {
        controllers
            .iter()
            .any(|c| c.namespace == p.namespace && p.owner.as_deref() == Some(&owner_of(c)))
    };
    let mut plan = Plan::default();
    let mut kept = std::collections::BTreeSet::new();
    for p in &observed.pods {
        if pick_pod(p) || owned(p) {
            plan.actions.push(Action::Remove {
                pod: p.clone(),
                why: RemoveWhy::NotDeclared,
            });
        } else {
            kept.insert(podmap::network_name(&settings.project, &p.namespace));
        }
    }
    for c in controllers {
        plan.actions
            .push(Action::RemoveController { old: c.clone() });
    }
    let mut p = Progress {
        out: Outcome::default(),
        sink: progress,
        unchanged: Vec::new(),
    };
    if plan.actions.is_empty() {
        return Ok(p.out);
    }
    add_networks(engine, settings, &mut observed).await?;
    plan.remove_networks = observed
        .networks
        .iter()
        .filter(|n| !kept.contains(*n))
        .cloned()
        .collect();
    let target = settings.target();
    let executed = apply::execute(
        engine,
        &target,
        None,
        &plan,
        &observed.networks,
        settings.parallel,
        &mut |_| {},
    )
    .await;
    for mut change in changes(&plan, &executed) {
        if change.detail == "not declared" {
            change.detail = "deleted".to_string();
        }
        p.report(change);
    }
    Ok(p.out)
}

/// The owner label a controller's own pods carry (`Deployment/web`): of
/// its kind, so that a Deployment's deletion never takes the pods of a
/// ReplicationController of the same name.
fn owner_of(c: &ObservedController) -> String {
    format!("{}/{}", c.kind, c.name)
}
