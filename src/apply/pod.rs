//! Creating and removing one pod: volumes and directories, the infra
//! container, then the members in spec order; removal stops with the pod's
//! grace, removes the containers and, for a pod that goes, its volumes.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::future::join_all;
use tokio::sync::Semaphore;

use super::images::{self, ImageProblem, Images};
use crate::desired::DesiredPod;
use crate::engine::{ContainerConfig, ContainerState, Engine, MountSource};
use crate::keys;
use crate::observed::{ObservedContainer, ObservedPod};
use crate::podmap::{fill_late, late_fields, pod_objects, LateField, LateValues, Target};
use crate::schedule::Resources;

/// What every pod operation of one plan shares.
pub struct Ctx<'a, E> {
    pub engine: &'a E,
    pub target: &'a Target<'a>,
    /// The node's allocatable cpu and memory, when berth knows them.
    pub allocatable: Option<Resources>,
    pub images: &'a Images,
    pub infra: &'a Result<(), String>,
    /// Namespaces whose network could not be created, with the reason.
    pub networks: &'a BTreeMap<String, String>,
    pub removals: &'a Semaphore,
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The first container (spec order) whose image cannot be had, with why;
/// collects the images' warnings. `Err` when an image was never resolved.
pub fn image_problem<E>(
    ctx: &Ctx<'_, E>,
    pod: &DesiredPod,
    warnings: &mut Vec<String>,
) -> Result<Option<(String, ImageProblem)>, String> {
    let mut first = None;
    for c in pod.spec.init_containers.iter().chain(&pod.spec.containers) {
        match ctx.images.get(&images::key(c)) {
            Some(Ok(Some(warning))) => warnings.push(warning.clone()),
            Some(Ok(None)) => {}
            Some(Err(problem)) => {
                first = first.or_else(|| Some((c.name.clone(), problem.clone())));
            }
            None => {
                return Err(format!(
                    "container {}: image {} was not resolved",
                    c.name, c.image
                ))
            }
        }
    }
    Ok(first)
}

/// `ErrImagePull: container app: cannot pull image "x": …`: what an apply
/// reports for a pod left waiting for its image.
pub fn waiting_text(container: &str, problem: &ImageProblem) -> String {
    format!(
        "{}: container {container}: {}",
        problem.reason, problem.message
    )
}

/// Creates and starts the pod; on failure removes what it had created. A
/// pod whose image cannot be had gets only its infra container, labelled
/// with the waiting reason (and the result is that failure).
/// `repair` (container, message) labels the repaired container.
pub async fn create<E: Engine>(
    ctx: &Ctx<'_, E>,
    pod: &DesiredPod,
    repair: Option<(&String, &String)>,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    ctx.infra.clone()?;
    if let Some(e) = ctx.networks.get(&pod.namespace) {
        return Err(e.clone());
    }
    let problem = image_problem(ctx, pod, warnings)?;
    let mut objects = pod_objects(ctx.target, pod);
    if let Some((container, message)) = repair {
        let time = now_secs().to_string();
        let all = std::iter::once(&mut objects.infra).chain(objects.members.iter_mut());
        for c in all.filter(|c| c.labels.get(keys::CONTAINER) == Some(container)) {
            c.labels.insert(keys::REPAIR.to_string(), message.clone());
            c.labels.insert(keys::REPAIR_TIME.to_string(), time.clone());
        }
    }
    if let Some((container, problem)) = problem {
        return create_waiting(ctx.engine, objects.infra, &container, &problem).await;
    }
    host_paths(&objects.host_dirs, &objects.host_files)?;
    let files = super::files::initial_tar(ctx.target, pod)?;
    let mountpoints = ensure_volumes(ctx.engine, &objects.volumes).await?;
    let mut members = objects.members;
    let mut init = objects.init;
    for member in members.iter_mut().chain(init.iter_mut()) {
        resolve_volume_paths(member, &mountpoints)?;
    }
    // The first init container, when there are some: the next ones and
    // the members follow as the plan sees each one complete.
    let first = if init.is_empty() {
        members
    } else {
        vec![init.swap_remove(0)]
    };
    let mut created = Vec::new();
    let result = create_containers(ctx, objects.infra, first, files, &mut created).await;
    if result.is_err() {
        for id in created.iter().rev() {
            let _ = ctx.engine.remove_container(id).await;
        }
        // A new pod's volumes go with it (a repaired pod keeps its data).
        if repair.is_none() {
            for (name, _) in &objects.volumes {
                let _ = ctx.engine.remove_volume(name).await;
            }
        }
    }
    result
}

/// Repairs one member of a pod whose infra container still runs, as the
/// kubelet would: only that container is (re)created, labelled with the
/// repair; the infra container (the pod's IP and ports) and the other
/// members are left alone. `Ok(false)` when it cannot be done in place (the
/// infra container is gone or stopped, or an image is missing): the caller
/// recreates the whole pod.
pub async fn repair_member<E: Engine>(
    ctx: &Ctx<'_, E>,
    pod: &DesiredPod,
    old: &ObservedPod,
    (container, message): (&String, &String),
    warnings: &mut Vec<String>,
) -> Result<bool, String> {
    let running = |i: &&ObservedContainer| i.summary.state == ContainerState::Running;
    let Some(infra) = old.infra.as_ref().filter(running) else {
        return Ok(false);
    };
    let mut said = Vec::new();
    if image_problem(ctx, pod, &mut said)?.is_some() {
        return Ok(false);
    }
    warnings.extend(said);
    let objects = pod_objects(ctx.target, pod);
    let Some(mut member) = objects
        .members
        .into_iter()
        .find(|c| c.labels.get(keys::CONTAINER) == Some(container))
    else {
        return Ok(false);
    };
    member
        .labels
        .insert(keys::REPAIR.to_string(), message.clone());
    member
        .labels
        .insert(keys::REPAIR_TIME.to_string(), now_secs().to_string());
    member.network_mode = Some(format!("container:{}", infra.id()));
    let fields = late_fields(&member);
    if !fields.is_empty() {
        let network = objects.infra.network.as_ref().map(|(n, _)| n.as_str());
        let network = network.unwrap_or_default();
        let values = late_values(ctx, infra.id(), network, &fields).await?;
        fill_late(&mut member, &values);
    }
    host_paths(&objects.host_dirs, &objects.host_files)?;
    let mountpoints = ensure_volumes(ctx.engine, &objects.volumes).await?;
    resolve_volume_paths(&mut member, &mountpoints)?;
    if let Some(live) = old.containers.get(container) {
        ctx.engine
            .remove_container(live.id())
            .await
            .map_err(|e| format!("container {container}: {e}"))?;
    }
    let id = ctx
        .engine
        .create_container(&member)
        .await
        .map_err(|e| format!("container {container}: {e}"))?;
    if let Err(e) = ctx.engine.start_container(&id).await {
        let _ = ctx.engine.remove_container(&id).await;
        return Err(format!("container {container}: {e}"));
    }
    Ok(true)
}

/// Creates the pod's volumes; their mount points by name. Docker hands
/// back an existing volume of the same name whatever its labels: one berth
/// does not manage is an error, never mounted.
pub(super) async fn ensure_volumes<E: Engine>(
    engine: &E,
    volumes: &[(String, BTreeMap<String, String>)],
) -> Result<BTreeMap<String, String>, String> {
    let mut mountpoints = BTreeMap::new();
    for (name, labels) in volumes {
        let mountpoint = engine
            .create_volume(name, labels)
            .await
            .map_err(|e| e.to_string())?;
        mountpoints.insert(name.clone(), mountpoint);
        let filter: Vec<(String, String)> = labels.clone().into_iter().collect();
        let managed = engine
            .list_volumes(&filter)
            .await
            .map_err(|e| e.to_string())?;
        if !managed.contains(name) {
            return Err(format!(
                "volume {name} exists but berth does not manage it (no {}={} label); \
                 berth never mounts it: remove or rename it",
                keys::MANAGED_BY,
                keys::MANAGED_BY_VALUE
            ));
        }
    }
    Ok(mountpoints)
}

/// Turns each `subPath` mount of a volume into a bind mount of that path
/// under the volume's mount point on the engine's machine.
pub(super) fn resolve_volume_paths(
    member: &mut ContainerConfig,
    mountpoints: &BTreeMap<String, String>,
) -> Result<(), String> {
    for mount in &mut member.mounts {
        if let MountSource::VolumePath { volume, path } = &mount.source {
            let root = mountpoints
                .get(volume)
                .filter(|m| !m.is_empty())
                .ok_or_else(|| format!("volume {volume}: its mount point is not known"))?;
            mount.source = MountSource::Bind(format!("{}/{path}", root.trim_end_matches('/')));
        }
    }
    Ok(())
}

/// A label value of one line and at most `WAITING_MESSAGE_MAX` bytes.
fn label_line(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.len() <= WAITING_MESSAGE_MAX {
        return line;
    }
    let mut end = WAITING_MESSAGE_MAX - 3;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &line[..end])
}

const WAITING_MESSAGE_MAX: usize = 500;

/// The infra container alone, holding the pod's place (IP, ports) while it
/// waits for its image; always ends in the waiting failure.
async fn create_waiting<E: Engine>(
    engine: &E,
    mut infra: ContainerConfig,
    container: &str,
    problem: &ImageProblem,
) -> Result<(), String> {
    let failure = waiting_text(container, problem);
    let labels = [
        (keys::WAITING_REASON, problem.reason.to_string()),
        (keys::WAITING_MESSAGE, label_line(&problem.message)),
        (keys::WAITING_TIME, now_secs().to_string()),
    ];
    for (key, value) in labels {
        infra.labels.insert(key.to_string(), value);
    }
    let id = engine
        .create_container(&infra)
        .await
        .map_err(|e| format!("{failure} (and its infra container: {e})"))?;
    if let Err(e) = engine.start_container(&id).await {
        let _ = engine.remove_container(&id).await;
        return Err(format!("{failure} (and its infra container: {e})"));
    }
    Err(failure)
}

/// Creates the infra container, writes the files of the pod's ConfigMap,
/// Secret and downward API volumes through it (`files`, a tar to extract
/// at `/`), starts it, then creates and starts the members (or the first
/// init container).
async fn create_containers<E: Engine>(
    ctx: &Ctx<'_, E>,
    infra: ContainerConfig,
    members: Vec<ContainerConfig>,
    files: Option<Vec<u8>>,
    created: &mut Vec<String>,
) -> Result<(), String> {
    let engine = ctx.engine;
    let infra_id = engine
        .create_container(&infra)
        .await
        .map_err(|e| e.to_string())?;
    created.push(infra_id.clone());
    if let Some(tar) = files {
        engine
            .upload_archive(&infra_id, "/", tar)
            .await
            .map_err(|e| format!("infra container: writing the files of its volumes: {e}"))?;
    }
    engine
        .start_container(&infra_id)
        .await
        .map_err(|e| format!("infra container: {e}"))?;
    start_members(ctx, &infra, &infra_id, members, created).await
}

/// Creates and starts `members` (in order) in the network namespace of
/// the running infra container `infra_id`; the ids made go to `created`.
pub(super) async fn start_members<E: Engine>(
    ctx: &Ctx<'_, E>,
    infra: &ContainerConfig,
    infra_id: &str,
    members: Vec<ContainerConfig>,
    created: &mut Vec<String>,
) -> Result<(), String> {
    let engine = ctx.engine;
    // status.podIP, status.hostIP and the node's allocatable in env: read
    // once the infra container runs, before any member is created.
    let fields: Vec<LateField> = members.iter().flat_map(late_fields).collect();
    let values = if fields.is_empty() {
        LateValues::default()
    } else {
        let network = infra.network.as_ref().map(|(n, _)| n.as_str());
        let network = network.unwrap_or_default();
        late_values(ctx, infra_id, network, &fields).await?
    };
    for mut member in members {
        member.network_mode = Some(format!("container:{infra_id}"));
        fill_late(&mut member, &values);
        let container = member
            .labels
            .get(keys::CONTAINER)
            .cloned()
            .unwrap_or_default();
        let id = engine
            .create_container(&member)
            .await
            .map_err(|e| format!("container {container}: {e}"))?;
        created.push(id.clone());
        engine
            .start_container(&id)
            .await
            .map_err(|e| format!("container {container}: {e}"))?;
    }
    Ok(())
}

/// The downward API values of the running pod and its node that `fields`
/// ask for: the infra container's IP on the pod's network and that
/// network's gateway (the node's address as the pod sees it, berth's
/// `status.hostIP`); the node's allocatable cpu and memory (what berth
/// reports for the node, else what its engine says), for a container
/// without limits.
async fn late_values<E: Engine>(
    ctx: &Ctx<'_, E>,
    infra_id: &str,
    network: &str,
    fields: &[LateField],
) -> Result<LateValues, String> {
    let mut values = LateValues::default();
    let wants = |f: fn(&LateField) -> bool| fields.iter().any(f);
    if wants(|f| matches!(f, LateField::PodIp | LateField::HostIp)) {
        let details = ctx
            .engine
            .inspect_container(infra_id)
            .await
            .map_err(|e| format!("infra container: reading the pod IP: {e}"))?;
        let (net, ip) = details
            .ips
            .get_key_value(network)
            .filter(|(_, ip)| !ip.is_empty())
            .or_else(|| details.ips.iter().find(|(_, ip)| !ip.is_empty()))
            .ok_or_else(|| {
                format!("infra container: no IP address on network {network} for status.podIP")
            })?;
        values.pod_ip = ip.clone();
        if fields.contains(&LateField::HostIp) {
            values.host_ip = details.gateways.get(net).cloned().ok_or_else(|| {
                format!("infra container: network {net} has no gateway for status.hostIP")
            })?;
        }
    }
    if wants(|f| matches!(f, LateField::Allocatable { .. })) {
        let allocatable = match ctx.allocatable {
            Some(known) => known,
            None => {
                let info =
                    ctx.engine.info().await.map_err(|e| {
                        format!("reading the node's allocatable cpu and memory: {e}")
                    })?;
                Resources {
                    cpu_milli: i64::from(info.cpus) * 1000,
                    memory_bytes: info.memory_bytes,
                }
            }
        };
        values.cpu_milli = i128::from(allocatable.cpu_milli);
        values.memory_bytes = i128::from(allocatable.memory_bytes);
    }
    Ok(values)
}

/// hostPath directories (`DirectoryOrCreate`, or no type) and files
/// (`FileOrCreate`) that do not exist yet: Docker refuses a missing source.
fn host_paths(dirs: &[String], files: &[String]) -> Result<(), String> {
    for dir in dirs.iter().filter(|d| !Path::new(d).exists()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create hostPath directory {dir}: {e}"))?;
    }
    for file in files.iter().filter(|f| !Path::new(f).exists()) {
        if let Some(parent) = Path::new(file).parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                format!("cannot create hostPath directory {}: {e}", parent.display())
            })?;
        }
        std::fs::File::create(file)
            .map_err(|e| format!("cannot create hostPath file {file}: {e}"))?;
    }
    Ok(())
}

/// The pod's termination grace period, from its last applied spec.
fn grace(pod: &ObservedPod) -> Option<Duration> {
    let json: serde_json::Value = serde_json::from_str(pod.last_applied.as_deref()?).ok()?;
    let seconds = json["spec"]["terminationGracePeriodSeconds"].as_i64()?;
    Some(Duration::from_secs(seconds.max(0) as u64))
}

/// Stops the members with the pod's grace, removes every container and,
/// when `volumes`, the pod's emptyDir volumes.
pub async fn remove<E: Engine>(
    ctx: &Ctx<'_, E>,
    pod: &ObservedPod,
    volumes: bool,
) -> Result<(), String> {
    let _permit = ctx.removals.acquire().await.map_err(|e| e.to_string())?;
    let engine = ctx.engine;
    let running = pod.containers.values().filter(|c| {
        matches!(
            c.summary.state,
            ContainerState::Running | ContainerState::Restarting
        )
    });
    let grace = grace(pod);
    let stops = join_all(running.map(|c| engine.stop_container(c.id(), grace))).await;
    for r in stops {
        match r {
            Err(e) if !e.is_not_found() => return Err(e.to_string()),
            _ => {}
        }
    }
    let all = pod.init_containers.values().chain(pod.containers.values());
    for c in all.chain(pod.infra.iter()) {
        engine
            .remove_container(c.id())
            .await
            .map_err(|e| e.to_string())?;
    }
    for crate::observed::PodRecord { id, .. } in &pod.records {
        engine
            .remove_container(id)
            .await
            .map_err(|e| e.to_string())?;
    }
    if volumes {
        let filter = vec![
            (
                keys::MANAGED_BY.to_string(),
                keys::MANAGED_BY_VALUE.to_string(),
            ),
            (keys::PROJECT.to_string(), pod.project.clone()),
            (keys::NAMESPACE.to_string(), pod.namespace.clone()),
            (keys::POD.to_string(), pod.name.clone()),
        ];
        for name in engine
            .list_volumes(&filter)
            .await
            .map_err(|e| e.to_string())?
        {
            engine
                .remove_volume(&name)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
