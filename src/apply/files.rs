//! Writing the files of a pod's ConfigMap, Secret, downward API and
//! projected volumes: all at once when the pod is created, and in place,
//! one atomic swap per volume, when what they hold changes (see
//! `podfiles` for the layout). Only the infra container is touched: the
//! app containers see the new files through their read-only mounts.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::desired::DesiredPod;
use crate::engine::{rootfs, ContainerState, Engine};
use crate::observed::ObservedPod;
use crate::podfiles::{self, Link, Listing};
use crate::podmap::Target;

fn uid(target: &Target, pod: &DesiredPod) -> String {
    crate::kube::uid(target.project, "Pod", &pod.namespace, &pod.name)
}

fn now_nanos() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

/// The tar that fills every such volume of a new pod (extracted at `/` of
/// its infra container); `None` when the pod has none.
pub fn initial_tar(target: &Target, pod: &DesiredPod) -> Result<Option<Vec<u8>>, String> {
    let uid = uid(target, pod);
    let nanos = now_nanos();
    let version = podfiles::version_name(nanos);
    let mtime = (nanos / 1_000_000_000) as u64;
    let mut whole: Vec<u8> = Vec::new();
    let mut any = false;
    for volume in podfiles::file_volumes(&pod.spec) {
        any = true;
        let files = podfiles::render(volume, pod, &uid);
        let tar = podfiles::version_tar(
            &volume.name,
            mtime,
            &files,
            &version,
            Link::Data,
            &Default::default(),
            None,
        )
        .map_err(|e| format!("volume {}: cannot build its files: {e}", volume.name))?;
        whole = concat(whole, tar);
    }
    Ok(any.then_some(whole))
}

/// Joins two tars into one (the first's end-of-archive blocks dropped).
fn concat(mut first: Vec<u8>, second: Vec<u8>) -> Vec<u8> {
    if first.is_empty() {
        return second;
    }
    // A tar ends with two zero blocks of 512 bytes (the builder may pad
    // further to a record): cut the zero blocks at the end.
    while first.len() >= 512 && first[first.len() - 512..].iter().all(|b| *b == 0) {
        first.truncate(first.len() - 512);
    }
    first.extend(second);
    first
}

/// Writes what changed in the pod's volumes, each in one atomic swap.
/// Volumes that already hold the right files (a swap done before a crash)
/// are left alone.
pub async fn update<E: Engine>(
    engine: &E,
    target: &Target<'_>,
    pod: &DesiredPod,
    old: &ObservedPod,
) -> Result<(), String> {
    let infra = old
        .infra
        .as_ref()
        .filter(|i| i.summary.state == ContainerState::Running)
        .ok_or("its infra container does not run: the files are written when it is recreated")?;
    let infra_id = infra.id();
    let uid = uid(target, pod);
    let mut program: Option<Vec<u8>> = None;
    for volume in podfiles::file_volumes(&pod.spec) {
        let files = podfiles::render(volume, pod, &uid);
        let path = podfiles::infra_path(&volume.name);
        let archive = engine
            .download_archive(infra_id, &path)
            .await
            .map_err(|e| format!("volume {}: {e}", volume.name))?;
        let listing = Listing::parse(&archive)
            .map_err(|e| format!("volume {}: cannot read its files: {e}", volume.name))?;
        if listing.holds(&files) {
            continue;
        }
        if program.is_none() {
            let info = engine.info().await.map_err(|e| e.to_string())?;
            program = Some(rootfs::swap_elf(&info.architecture)?);
        }
        let mut nanos = now_nanos();
        let mut version = podfiles::version_name(nanos);
        while listing.entries.contains_key(&version) {
            nanos += 1;
            version = podfiles::version_name(nanos);
        }
        let tar = podfiles::version_tar(
            &volume.name,
            (nanos / 1_000_000_000) as u64,
            &files,
            &version,
            Link::DataTmp,
            &listing.top_names(),
            program.as_deref(),
        )
        .map_err(|e| format!("volume {}: cannot build its files: {e}", volume.name))?;
        engine
            .upload_archive(infra_id, "/", tar)
            .await
            .map_err(|e| format!("volume {}: {e}", volume.name))?;
        let mut cmd = vec![
            podfiles::SWAP_PROGRAM.to_string(),
            "..data_tmp".to_string(),
            "..data".to_string(),
        ];
        cmd.extend(listing.leftovers(&version, &files));
        let code = engine
            .exec(infra_id, &cmd, &path)
            .await
            .map_err(|e| format!("volume {}: {e}", volume.name))?;
        if code != 0 {
            return Err(format!(
                "volume {}: the new files could not take the place of the old ones \
                 (rename of ..data_tmp failed with errno {code})",
                volume.name
            ));
        }
    }
    Ok(())
}
