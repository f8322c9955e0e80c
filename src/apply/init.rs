//! The next step of a pod's init sequence, as the plan chose it: run one
//! init container (its first run, or again after a failure and its
//! back-off), or, once every one completed, create the app containers.
//! Each call starts containers and returns; the plan sees them finish.

use super::pod::{
    ensure_volumes, image_problem, resolve_volume_paths, start_members, waiting_text, Ctx,
};
use crate::desired::DesiredPod;
use crate::engine::{ContainerState, Engine};
use crate::keys;
use crate::observed::ObservedPod;
use crate::podmap::pod_objects;

/// Runs init container `index` of `pod` after `restarts` failed runs (the
/// last one, kept until now for its status and logs, is removed first);
/// `index` past the last one creates the app containers. The infra
/// container must run: it holds the pod's network and files.
pub async fn step<E: Engine>(
    ctx: &Ctx<'_, E>,
    pod: &DesiredPod,
    old: &ObservedPod,
    (index, restarts): (usize, u64),
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    ctx.infra.clone()?;
    let running =
        |i: &&crate::observed::ObservedContainer| i.summary.state == ContainerState::Running;
    let Some(infra) = old.infra.as_ref().filter(running) else {
        return Err("infra container is not running".to_string());
    };
    if let Some((container, problem)) = image_problem(ctx, pod, warnings)? {
        return Err(waiting_text(&container, &problem));
    }
    let objects = pod_objects(ctx.target, pod);
    let mut next = match objects.init.get(index) {
        Some(config) => {
            let mut config = config.clone();
            config
                .labels
                .insert(keys::INIT_RESTARTS.to_string(), restarts.to_string());
            let name = &pod.spec.init_containers[index].name;
            if let Some(last) = old.init_containers.get(name) {
                ctx.engine
                    .remove_container(last.id())
                    .await
                    .map_err(|e| format!("init container {name}: {e}"))?;
            }
            vec![config]
        }
        None => objects.members,
    };
    let mountpoints = ensure_volumes(ctx.engine, &objects.volumes).await?;
    for config in &mut next {
        resolve_volume_paths(config, &mountpoints)?;
    }
    let mut created = Vec::new();
    let result = start_members(ctx, &objects.infra, infra.id(), next, &mut created).await;
    if result.is_err() {
        // Nothing half made: the plan sees the same step again next time.
        for id in created.iter().rev() {
            let _ = ctx.engine.remove_container(id).await;
        }
    }
    result
}
