//! Changing a pod in place, as the kubelet and the endpoints controller do
//! without restarting anything: its labels, its service aliases (the
//! infra container reconnected to the pod network under the new names,
//! at the same address) and the files of its ConfigMap, Secret and
//! downward API volumes. A record container then says what the pod is now.

use std::collections::BTreeMap;

use sha2::Digest;

use super::files;
use crate::desired::DesiredPod;
use crate::engine::{ContainerConfig, ContainerState, Engine};
use crate::keys;
use crate::observed::ObservedPod;
use crate::podfiles;
use crate::podmap::{aliases_label, container_name, network_name, Target};

/// Carries out `Action::UpdatePod`.
pub async fn update<E: Engine>(
    engine: &E,
    target: &Target<'_>,
    pod: &DesiredPod,
    old: &ObservedPod,
    reconnect: bool,
) -> Result<(), String> {
    if reconnect {
        realias(engine, target, pod, old).await?;
    }
    // The files change with a ConfigMap or Secret value, or with the pod's
    // labels (a downward API file may hold them); a change of aliases alone
    // reads no volume back.
    let sources_changed = || {
        let recorded = old.recorded(podfiles::FILE_SOURCES_LABEL);
        !podfiles::changes(recorded, &pod.spec).is_empty()
    };
    let files_may_differ = pod.labels != old.labels || sources_changed();
    if podfiles::file_volumes(&pod.spec).next().is_some() && files_may_differ {
        files::update(engine, target, pod, old).await?;
    }
    record(engine, target, pod, old).await
}

/// The aliases a pod's endpoint has: its own name, then its services'.
pub fn endpoint_aliases(pod: &DesiredPod) -> Vec<String> {
    std::iter::once(pod.name.clone())
        .chain(pod.aliases.iter().cloned())
        .collect()
}

/// Reconnects the infra container to the pod network under the pod's
/// aliases now, at the address it had.
async fn realias<E: Engine>(
    engine: &E,
    target: &Target<'_>,
    pod: &DesiredPod,
    old: &ObservedPod,
) -> Result<(), String> {
    let infra = old
        .infra
        .as_ref()
        .filter(|i| i.summary.state == ContainerState::Running)
        .ok_or("its infra container does not run: its aliases are set when it is recreated")?;
    let id = infra.id();
    let network = network_name(target.project, &pod.namespace);
    let details = engine
        .inspect_container(id)
        .await
        .map_err(|e| format!("reading its address: {e}"))?;
    let ip = details
        .ips
        .get(&network)
        .filter(|ip| !ip.is_empty())
        .cloned();
    engine
        .disconnect_network(&network, id)
        .await
        .map_err(|e| format!("updating its service aliases: {e}"))?;
    let aliases = endpoint_aliases(pod);
    if let Err(e) = engine
        .connect_network(&network, id, &aliases, ip.as_deref())
        .await
    {
        // Never leave the pod off its network: back under its old names.
        let before: Vec<String> = std::iter::once(pod.name.clone())
            .chain(old.aliases())
            .collect();
        let _ = engine
            .connect_network(&network, id, &before, ip.as_deref())
            .await;
        return Err(format!("updating its service aliases: {e}"));
    }
    Ok(())
}

/// The record's labels for `pod` as it is now.
fn record_labels(target: &Target, pod: &DesiredPod) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        (
            keys::MANAGED_BY.to_string(),
            keys::MANAGED_BY_VALUE.to_string(),
        ),
        (keys::PROJECT.to_string(), target.project.to_string()),
        (keys::NAMESPACE.to_string(), pod.namespace.clone()),
        (keys::POD.to_string(), pod.name.clone()),
        (keys::NODE.to_string(), target.node.to_string()),
        (keys::KIND.to_string(), keys::KIND_POD_RECORD.to_string()),
        (
            keys::POD_LABELS.to_string(),
            serde_json::to_string(&pod.labels).unwrap_or_default(),
        ),
        (keys::ALIASES.to_string(), aliases_label(pod)),
    ]);
    if let Some(owner) = &pod.owner {
        labels.insert(keys::OWNER.to_string(), owner.clone());
    }
    if let Some(sources) = podfiles::sources_label(&pod.spec) {
        labels.insert(podfiles::FILE_SOURCES_LABEL.to_string(), sources);
    }
    labels
}

/// Replaces the pod's records with one saying what it is now.
async fn record<E: Engine>(
    engine: &E,
    target: &Target<'_>,
    pod: &DesiredPod,
    old: &ObservedPod,
) -> Result<(), String> {
    let labels = record_labels(target, pod);
    let text = serde_json::to_string(&labels).unwrap_or_default();
    let short: String = sha2::Sha256::digest(text.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    let name = container_name(
        target.project,
        &pod.namespace,
        &pod.name,
        &format!("RECORD-{short}"),
    );
    let mut config = ContainerConfig::new(name, target.infra_image);
    config.labels = labels;
    let created = match engine.create_container(&config).await {
        Ok(id) => Some(id),
        // The same record exists (written before a crash): it says the same.
        Err(e) if e.to_string().contains("already in use") => None,
        Err(e) => return Err(format!("cannot record the pod's changes: {e}")),
    };
    if let Some(id) = created {
        for record in old.records.iter().filter(|r| r.id != id) {
            engine
                .remove_container(&record.id)
                .await
                .map_err(|e| format!("cannot remove an old record of the pod: {e}"))?;
        }
    }
    Ok(())
}
