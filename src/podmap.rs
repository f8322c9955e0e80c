//! Pure mapping of one desired pod to Docker objects: the infra container,
//! one container per spec container, the pod's volumes, names and labels
//! (the spec hash and last-applied spec come from `fingerprint`). No Docker
//! calls; `apply` creates what this describes.

use std::collections::BTreeMap;

use crate::desired::DesiredPod;
use crate::engine::{ContainerConfig, Mount, MountSource, PortBinding, RestartMode};
use crate::fingerprint;
use crate::keys;
use crate::manifest::{Container, EnvValue, PodField, PodSpec, RestartPolicy, VolumeSource};
use crate::podfiles;
use crate::quantity;

mod late;
pub use late::{fill_late, late_fields, LateField, LateValues};

/// Where a pod lands: the project and node that scope its names and labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target<'a> {
    pub project: &'a str,
    pub node: &'a str,
    pub infra_image: &'a str,
}

/// Everything `apply` creates for one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodObjects {
    pub network: String,
    pub network_labels: BTreeMap<String, String>,
    pub infra: ContainerConfig,
    /// In spec order; `network_mode` names the infra container until `apply`
    /// replaces it with the infra container's id.
    pub members: Vec<ContainerConfig>,
    /// The init containers in spec order, as members are made but labelled
    /// `io.berth.init` (their index) and never restarted by Docker: berth
    /// runs each to completion, and again after a failure (`init_config`).
    pub init: Vec<ContainerConfig>,
    /// Docker volumes (emptyDir) with their labels.
    pub volumes: Vec<(String, BTreeMap<String, String>)>,
    /// hostPath directories to create when missing.
    pub host_dirs: Vec<String>,
    /// hostPath files (`FileOrCreate`) to create, empty, when missing.
    pub host_files: Vec<String>,
    pub spec_hash: String,
}

/// `berth_<project>_<ns>`: the network of a namespace.
pub fn network_name(project: &str, namespace: &str) -> String {
    format!("berth_{project}_{namespace}")
}

/// `berth_<project>_<ns>_<pod>_<container>` (`POD` for the infra container).
pub fn container_name(project: &str, namespace: &str, pod: &str, container: &str) -> String {
    format!("berth_{project}_{namespace}_{pod}_{container}")
}

/// `berth_<project>_<ns>_<pod>_<volume>`: the Docker volume of an emptyDir.
pub fn volume_name(project: &str, namespace: &str, pod: &str, volume: &str) -> String {
    format!("berth_{project}_{namespace}_{pod}_{volume}")
}

/// The labels of a network of (project, namespace).
pub fn network_labels(project: &str, namespace: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            keys::MANAGED_BY.to_string(),
            keys::MANAGED_BY_VALUE.to_string(),
        ),
        (keys::PROJECT.to_string(), project.to_string()),
        (keys::NAMESPACE.to_string(), namespace.to_string()),
    ])
}

pub fn restart_mode(policy: RestartPolicy) -> RestartMode {
    match policy {
        RestartPolicy::Always => RestartMode::Always,
        RestartPolicy::OnFailure => RestartMode::OnFailure,
        RestartPolicy::Never => RestartMode::No,
    }
}

/// The Docker objects of `pod` on `target`.
pub fn pod_objects(target: &Target, pod: &DesiredPod) -> PodObjects {
    let (project, ns, name) = (target.project, pod.namespace.as_str(), pod.name.as_str());
    let spec_hash = pod.hash(target.infra_image);
    let base = base_labels(target, pod, &spec_hash);
    let network = network_name(project, ns);
    let infra_name = container_name(project, ns, name, keys::INFRA_NAME);
    let mut infra_labels = with_container(&base, keys::INFRA_NAME);
    infra_labels.insert(
        keys::LAST_APPLIED.to_string(),
        fingerprint::last_applied(&pod.spec, &pod.labels),
    );
    infra_labels.insert(keys::SOURCE.to_string(), pod.source.to_string());
    if !pod.annotations.is_empty() {
        let annotations = serde_json::to_string(&pod.annotations).unwrap_or_default();
        infra_labels.insert(keys::ANNOTATIONS.to_string(), annotations);
    }
    if let Some(sources) = fingerprint::env_sources_label(&pod.spec) {
        infra_labels.insert(fingerprint::ENV_SOURCES_LABEL.to_string(), sources);
    }
    if let Some(sources) = podfiles::sources_label(&pod.spec) {
        infra_labels.insert(podfiles::FILE_SOURCES_LABEL.to_string(), sources);
    }
    if !pod.aliases.is_empty() {
        infra_labels.insert(keys::ALIASES.to_string(), aliases_label(pod));
    }
    // The volumes whose files berth writes, writable in the infra
    // container only (where the files are written and swapped).
    let infra_mounts = podfiles::file_volumes(&pod.spec)
        .map(|v| Mount {
            source: MountSource::Volume(volume_name(project, ns, name, &v.name)),
            target: podfiles::infra_path(&v.name),
            read_only: false,
        })
        .collect();
    let infra = ContainerConfig {
        name: infra_name.clone(),
        image: target.infra_image.to_string(),
        labels: infra_labels,
        entrypoint: None,
        cmd: None,
        env: Vec::new(),
        working_dir: None,
        network_mode: None,
        network: Some((
            network.clone(),
            std::iter::once(name.to_string())
                .chain(pod.aliases.clone())
                .collect(),
        )),
        hostname: Some(hostname(name)),
        ports: published_ports(&pod.spec),
        memory_bytes: None,
        nano_cpus: None,
        mounts: infra_mounts,
        restart: restart_mode(pod.spec.restart_policy),
        stop_timeout: Some(pod.spec.termination_grace_period_seconds),
        stop_signal: Some("SIGKILL".to_string()),
        healthcheck: None,
        security: Default::default(),
    };
    let members = pod
        .spec
        .containers
        .iter()
        .map(|c| member_config(target, pod, c, &base, &infra_name))
        .collect();
    let init = (0..pod.spec.init_containers.len())
        .map(|i| init_config(target, pod, i, 0, &base, &infra_name))
        .collect();
    let mut volumes = Vec::new();
    let mut host_dirs = Vec::new();
    let mut host_files = Vec::new();
    for v in &pod.spec.volumes {
        match &v.source {
            source if matches!(source, VolumeSource::EmptyDir(_)) || source.holds_files() => {
                let mut labels = base.clone();
                labels.retain(|k, _| k.starts_with("io.berth."));
                volumes.push((volume_name(project, ns, name, &v.name), labels));
            }
            VolumeSource::HostPath(h) if h.kind.is_empty() || h.kind == "DirectoryOrCreate" => {
                host_dirs.push(h.path.clone());
            }
            VolumeSource::HostPath(h) if h.kind == "FileOrCreate" => {
                host_files.push(h.path.clone())
            }
            _ => {}
        }
    }
    PodObjects {
        network_labels: network_labels(project, ns),
        network,
        infra,
        members,
        init,
        volumes,
        host_dirs,
        host_files,
        spec_hash,
    }
}

/// The `io.berth.aliases` label's text: the pod's service aliases, sorted,
/// as JSON (on its infra container, and on its record once changed).
pub fn aliases_label(pod: &DesiredPod) -> String {
    let mut aliases = pod.aliases.clone();
    aliases.sort();
    serde_json::to_string(&aliases).unwrap_or_default()
}

/// The pod's own labels, then berth's (which win on a clash).
fn base_labels(target: &Target, pod: &DesiredPod, spec_hash: &str) -> BTreeMap<String, String> {
    let mut labels = pod.labels.clone();
    let ours = [
        (keys::MANAGED_BY, keys::MANAGED_BY_VALUE),
        (keys::PROJECT, target.project),
        (keys::NAMESPACE, pod.namespace.as_str()),
        (keys::POD, pod.name.as_str()),
        (keys::NODE, target.node),
        (keys::SPEC_HASH, spec_hash),
    ];
    for (k, v) in ours {
        labels.insert(k.to_string(), v.to_string());
    }
    if let Some(owner) = &pod.owner {
        labels.insert(keys::OWNER.to_string(), owner.clone());
    }
    labels
}

fn with_container(base: &BTreeMap<String, String>, container: &str) -> BTreeMap<String, String> {
    let mut labels = base.clone();
    labels.insert(keys::CONTAINER.to_string(), container.to_string());
    labels
}

/// A hostname is a DNS label: the pod name cut to 63 characters.
fn hostname(pod: &str) -> String {
    let cut: String = pod.chars().take(63).collect();
    cut.trim_end_matches(['-', '.']).to_string()
}

fn published_ports(spec: &PodSpec) -> Vec<PortBinding> {
    let ports = spec.containers.iter().flat_map(|c| c.ports.iter());
    ports
        .filter_map(|p| {
            p.host_port.map(|host_port| PortBinding {
                container_port: p.container_port,
                protocol: p.protocol.docker().to_string(),
                host_port,
                host_ip: p.host_ip.clone().unwrap_or_default(),
            })
        })
        .collect()
}

fn member_config(
    target: &Target,
    pod: &DesiredPod,
    c: &Container,
    base: &BTreeMap<String, String>,
    infra_name: &str,
) -> ContainerConfig {
    let env = expanded_env(c, &|field| pod_field(target, pod, field));
    let (entrypoint, cmd) = entrypoint_and_cmd(c, &env);
    ContainerConfig {
        name: container_name(target.project, &pod.namespace, &pod.name, &c.name),
        image: c.image.clone(),
        labels: with_container(base, &c.name),
        entrypoint,
        cmd,
        env: env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
        working_dir: c.working_dir.clone(),
        network_mode: Some(format!("container:{infra_name}")),
        network: None,
        hostname: None,
        ports: Vec::new(),
        memory_bytes: c
            .resources
            .limits
            .get("memory")
            .and_then(|m| quantity::memory_bytes(m)),
        nano_cpus: c
            .resources
            .limits
            .get("cpu")
            .and_then(|m| quantity::cpu_nanos(m)),
        mounts: mounts(target, pod, c),
        restart: restart_mode(pod.spec.restart_policy),
        stop_timeout: Some(pod.spec.termination_grace_period_seconds),
        stop_signal: None,
        // The liveness probe keeps being checked while berth is not running.
        healthcheck: crate::probe::healthcheck(c),
        security: security(&c.security),
    }
}

/// A container's security settings as Docker takes them.
fn security(s: &crate::manifest::Security) -> crate::engine::ContainerSecurity {
    crate::engine::ContainerSecurity {
        user: s.docker_user(),
        read_only_rootfs: s.read_only_root_filesystem,
        no_new_privileges: s.no_new_privileges,
        privileged: s.privileged,
        cap_add: s.capabilities.add.clone(),
        cap_drop: s.capabilities.drop.clone(),
        host_pid: s.host_pid,
        host_ipc: s.host_ipc,
    }
}

/// Init container `index` of `pod`, for its run after `restarts` failed
/// ones: a member's config, labelled as an init container, that Docker
/// never restarts.
pub fn init_config(
    target: &Target,
    pod: &DesiredPod,
    index: usize,
    restarts: u64,
    base: &BTreeMap<String, String>,
    infra_name: &str,
) -> ContainerConfig {
    let c = &pod.spec.init_containers[index];
    let mut config = member_config(target, pod, c, base, infra_name);
    config
        .labels
        .insert(keys::INIT.to_string(), index.to_string());
    config
        .labels
        .insert(keys::INIT_RESTARTS.to_string(), restarts.to_string());
    config.restart = RestartMode::No;
    config
}

/// Kubernetes' rules: `command` replaces the entrypoint (and `args`, or
/// nothing, the command); `args` alone keeps the image's entrypoint.
fn entrypoint_and_cmd(
    c: &Container,
    env: &[(String, String)],
) -> (Option<Vec<String>>, Option<Vec<String>>) {
    let expand_all = |words: &[String]| words.iter().map(|w| expand(w, env)).collect::<Vec<_>>();
    match (c.command.is_empty(), c.args.is_empty()) {
        (false, _) => (Some(expand_all(&c.command)), Some(expand_all(&c.args))),
        (true, false) => (None, Some(expand_all(&c.args))),
        (true, true) => (None, None),
    }
}

/// The container's env with `$(VAR)` references to earlier variables
/// expanded in literal values (values from ConfigMaps, Secrets and the
/// downward API are taken as they are, as the kubelet does). `field` gives
/// the downward API values known at creation.
fn expanded_env(c: &Container, field: &dyn Fn(PodField) -> String) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = Vec::new();
    let set = |name: &str, value: String, env: &mut Vec<(String, String)>| match env
        .iter_mut()
        .find(|(k, _)| k == name)
    {
        Some(entry) => entry.1 = value,
        None => env.push((name.to_string(), value)),
    };
    if c.resolved_env.is_empty() {
        // Not resolved by the loader (built in code): literal values only.
        for var in c.env.iter().filter(|v| v.value_from.is_none()) {
            let value = expand(&var.value, &env);
            set(&var.name, value, &mut env);
        }
        return env;
    }
    for var in &c.resolved_env {
        let value = match &var.value {
            EnvValue::Literal(text) => expand(text, &env),
            EnvValue::Config { value, .. } => value.clone(),
            EnvValue::Secret { value, .. } => value.0.clone(),
            EnvValue::Downward { value, .. } => value.clone(),
            EnvValue::Pod(f) => field(*f),
        };
        set(&var.name, value, &mut env);
    }
    env
}

/// The downward API values known when the pod is created.
fn pod_field(target: &Target, pod: &DesiredPod, field: PodField) -> String {
    match field {
        PodField::Name => pod.name.clone(),
        PodField::Uid => crate::kube::uid(target.project, "Pod", &pod.namespace, &pod.name),
        PodField::NodeName => target.node.to_string(),
        PodField::PodIp => LateField::PodIp.placeholder(),
        PodField::HostIp => LateField::HostIp.placeholder(),
        PodField::Allocatable { cpu, divisor } => {
            LateField::Allocatable { cpu, divisor }.placeholder()
        }
    }
}

/// Kubernetes `$(VAR)` expansion: `$$` is a literal `$`, an unknown or
/// unclosed reference stays as written.
pub fn expand(input: &str, env: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = input;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('(') {
            match inner.find(')') {
                Some(end) => {
                    let name = &inner[..end];
                    match env.iter().rev().find(|(k, _)| k == name) {
                        Some((_, v)) => out.push_str(v),
                        None => out.push_str(&format!("$({name})")),
                    }
                    rest = &inner[end + 1..];
                }
                None => {
                    out.push_str("$(");
                    rest = inner;
                }
            }
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn mounts(target: &Target, pod: &DesiredPod, c: &Container) -> Vec<Mount> {
    c.volume_mounts
        .iter()
        .filter_map(|m| {
            let volume = pod.spec.volumes.iter().find(|v| v.name == m.name)?;
            let named = || {
                MountSource::Volume(volume_name(
                    target.project,
                    &pod.namespace,
                    &pod.name,
                    &volume.name,
                ))
            };
            // The kubelet mounts these read-only whatever the mount says;
            // a subPath one is the file (or directory) as it is when the
            // container starts, never updated, as under the kubelet.
            if volume.source.holds_files() {
                let source = match &m.sub_path {
                    Some(sub) => MountSource::VolumePath {
                        volume: volume_name(
                            target.project,
                            &pod.namespace,
                            &pod.name,
                            &volume.name,
                        ),
                        path: sub.clone(),
                    },
                    None => named(),
                };
                return Some(Mount {
                    source,
                    target: m.mount_path.clone(),
                    read_only: true,
                });
            }
            let source = match &volume.source {
                VolumeSource::EmptyDir(_) => named(),
                VolumeSource::HostPath(h) => match &m.sub_path {
                    Some(sub) if !sub.is_empty() => {
                        MountSource::Bind(format!("{}/{}", h.path.trim_end_matches('/'), sub))
                    }
                    _ => MountSource::Bind(h.path.clone()),
                },
                _ => return None,
            };
            Some(Mount {
                source,
                target: m.mount_path.clone(),
                read_only: m.read_only,
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "podmap/tests.rs"]
mod tests;
