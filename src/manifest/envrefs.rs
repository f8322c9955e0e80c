//! Resolves the env of every container (pods and controller templates)
//! against the loaded ConfigMaps and Secrets, as the kubelet does at
//! container start: `envFrom` first, in order, then `env`, later names
//! overriding earlier ones. A missing required object or key is a load
//! error in the kubelet's words, at the reference.

use std::collections::BTreeMap;

use super::config_model::{
    ConfigMap, EnvFromRef, EnvValue, EnvVarSource, PodField, ResolvedEnv, ResourceFieldRef, Secret,
    Sensitive,
};
use super::diag::Diagnostic;
use super::model::{Container, Labels, Manifests, PodSpec};
use crate::names;
use crate::quantity::Quantity;

/// The pod (or template) a container belongs to: what the downward API
/// reads at load.
struct Owner<'a> {
    namespace: &'a str,
    labels: &'a Labels,
    annotations: &'a BTreeMap<String, String>,
}

/// Fills `resolved_env` of every container; returns the errors and warnings.
pub fn resolve(manifests: &mut Manifests) -> Vec<Diagnostic> {
    let Manifests {
        pods,
        controllers,
        deployments,
        replica_sets,
        daemon_sets,
        config_maps,
        secrets,
        ..
    } = manifests;
    let mut out = Vec::new();
    let specs = super::specs::specs_mut(pods, controllers, deployments, replica_sets, daemon_sets);
    for one in specs {
        let owner = Owner {
            namespace: one.namespace,
            labels: one.labels,
            annotations: one.annotations,
        };
        let all = one.spec.containers.clone();
        for c in &mut one.spec.containers {
            c.resolved_env = container_env(c, &all, &owner, config_maps, secrets, &mut out);
        }
        init_env(one.spec, &owner, (config_maps, secrets), &mut out);
    }
    out
}

/// Fills `resolved_env` of the init containers of `spec`, as of its
/// containers (a resource reference may name a container of either list).
fn init_env(
    spec: &mut PodSpec,
    owner: &Owner,
    (config_maps, secrets): (&[ConfigMap], &[Secret]),
    out: &mut Vec<Diagnostic>,
) {
    let all: Vec<Container> = spec
        .init_containers
        .iter()
        .chain(&spec.containers)
        .cloned()
        .collect();
    for c in &mut spec.init_containers {
        c.resolved_env = container_env(c, &all, owner, config_maps, secrets, out);
    }
}

/// Sets `name`, keeping the position of its first definition.
fn set(env: &mut Vec<ResolvedEnv>, name: String, value: EnvValue) {
    match env.iter_mut().find(|e| e.name == name) {
        Some(e) => e.value = value,
        None => env.push(ResolvedEnv { name, value }),
    }
}

fn container_env(
    c: &Container,
    all: &[Container],
    owner: &Owner,
    config_maps: &[ConfigMap],
    secrets: &[Secret],
    out: &mut Vec<Diagnostic>,
) -> Vec<ResolvedEnv> {
    let ns = owner.namespace;
    let config_map = |name: &str| {
        config_maps
            .iter()
            .find(|m| m.meta.namespace == ns && m.meta.name == name)
    };
    let secret = |name: &str| {
        secrets
            .iter()
            .find(|s| s.meta.namespace == ns && s.meta.name == name)
    };
    let mut env = Vec::new();
    for from in &c.env_from {
        let (r, kind, entries): (_, _, Option<Vec<(String, EnvValue)>>) = match &from.from {
            EnvFromRef::ConfigMapRef(r) => {
                let entries = config_map(&r.name).map(|m| {
                    let object = format!("{ns}/{}", r.name);
                    let entry = |(k, v): (&String, &String)| {
                        let value = EnvValue::Config {
                            object: object.clone(),
                            key: k.clone(),
                            value: v.clone(),
                        };
                        (k.clone(), value)
                    };
                    m.data.iter().map(entry).collect()
                });
                (r, "configMap", entries)
            }
            EnvFromRef::SecretRef(r) => {
                let entries = secret(&r.name).map(|s| {
                    let object = format!("{ns}/{}", r.name);
                    let entry = |(k, v): (&String, &Vec<u8>)| {
                        let value = EnvValue::Secret {
                            object: object.clone(),
                            key: k.clone(),
                            value: Sensitive(String::from_utf8_lossy(v).into_owned()),
                        };
                        (k.clone(), value)
                    };
                    s.data.iter().map(entry).collect()
                });
                (r, "secret", entries)
            }
        };
        let Some(entries) = entries else {
            if r.optional != Some(true) {
                let message = format!("{} {:?} not found", kind.to_lowercase(), r.name);
                out.push(Diagnostic::error(r.at.clone(), r.path.clone(), message));
            }
            continue;
        };
        let mut invalid = Vec::new();
        for (key, value) in entries {
            let name = format!("{}{key}", from.prefix);
            if names::env_var_name(&name).is_err() {
                invalid.push(name);
                continue;
            }
            set(&mut env, name, value);
        }
        if !invalid.is_empty() {
            let message = format!(
                "keys [{}] from the EnvFrom {kind} {ns}/{} were skipped since they are \
                 considered invalid environment variable names",
                invalid.join(", "),
                r.name
            );
            out.push(Diagnostic::warning(r.at.clone(), r.path.clone(), message));
        }
    }
    for var in &c.env {
        let value = match &var.value_from {
            None => Some(EnvValue::Literal(var.value.clone())),
            Some(EnvVarSource::ConfigMapKeyRef(r)) => {
                let found = config_map(&r.name).map(|m| m.data.get(&r.key));
                let object = format!("{ns}/{}", r.name);
                match found {
                    Some(Some(value)) => Some(EnvValue::Config {
                        object,
                        key: r.key.clone(),
                        value: value.clone(),
                    }),
                    _ if r.optional == Some(true) => None,
                    None => {
                        let message = format!("configmap {:?} not found", r.name);
                        out.push(Diagnostic::error(r.at.clone(), r.path.clone(), message));
                        None
                    }
                    Some(None) => {
                        let message = format!("couldn't find key {} in ConfigMap {object}", r.key);
                        out.push(Diagnostic::error(r.at.clone(), r.path.clone(), message));
                        None
                    }
                }
            }
            Some(EnvVarSource::SecretKeyRef(r)) => {
                let found = secret(&r.name).map(|s| s.data.get(&r.key));
                let object = format!("{ns}/{}", r.name);
                match found {
                    Some(Some(value)) => Some(EnvValue::Secret {
                        object,
                        key: r.key.clone(),
                        value: Sensitive(String::from_utf8_lossy(value).into_owned()),
                    }),
                    _ if r.optional == Some(true) => None,
                    None => {
                        let message = format!("secret {:?} not found", r.name);
                        out.push(Diagnostic::error(r.at.clone(), r.path.clone(), message));
                        None
                    }
                    Some(None) => {
                        let message = format!("couldn't find key {} in Secret {object}", r.key);
                        out.push(Diagnostic::error(r.at.clone(), r.path.clone(), message));
                        None
                    }
                }
            }
            Some(EnvVarSource::FieldRef(f)) => Some(downward(&f.field_path, owner)),
            Some(EnvVarSource::ResourceFieldRef(r)) => match resource_value(r, c, all) {
                Ok(value) => Some(value),
                Err(message) => {
                    out.push(Diagnostic::error(r.at.clone(), r.path.clone(), message));
                    None
                }
            },
        };
        if let Some(value) = value {
            set(&mut env, var.name.clone(), value);
        }
    }
    env
}

/// A container's limit or request divided by the divisor, rounded up, as
/// the kubelet computes it (`ExtractContainerResourceValue`). Requests
/// default to limits, as the API server defaults them, and are 0 when
/// neither is set. A missing limit is the node's allocatable: known only
/// once the pod is on its node, so it is left for `apply` to fill.
pub(super) fn resource_value(
    r: &ResourceFieldRef,
    c: &Container,
    all: &[Container],
) -> Result<EnvValue, String> {
    let target = if r.container_name.is_empty() {
        c
    } else {
        all.iter()
            .find(|other| other.name == r.container_name)
            .ok_or_else(|| format!("container {:?} not found in the pod", r.container_name))?
    };
    let (kind, name) = r.resource.split_once('.').unwrap_or_default();
    let limits = &target.resources.limits;
    let given = match kind {
        "limits" => limits.get(name),
        _ => target.resources.requests.get(name).or(limits.get(name)),
    };
    let divisor = if r.divisor.is_empty() {
        "1"
    } else {
        &r.divisor
    };
    let divisor = Quantity::parse(divisor)?;
    let cpu = name == "cpu";
    let divisor = if cpu {
        divisor.milli()
    } else {
        divisor.value()
    };
    let quantity = match (given, kind) {
        (Some(text), _) => Quantity::parse(text)?,
        (None, "limits") => return Ok(EnvValue::Pod(PodField::Allocatable { cpu, divisor })),
        (None, _) => Quantity::from_milli(0),
    };
    let value = if cpu {
        ceil_div(quantity.milli(), divisor)
    } else {
        ceil_div(quantity.value(), divisor)
    };
    Ok(EnvValue::Downward {
        field: format!(
            "resourceFieldRef {}/{} /{}",
            target.name, r.resource, r.divisor
        ),
        value: value.to_string(),
    })
}

/// `a / b` rounded up (the kubelet's `math.Ceil`); `a` when `b` is not
/// positive (the decoder refuses such divisors).
pub fn ceil_div(a: i128, b: i128) -> i128 {
    if b <= 0 {
        return a;
    }
    (a + b - 1).div_euclid(b)
}

/// A downward API value: known now, or when the pod is created.
fn downward(field_path: &str, owner: &Owner) -> EnvValue {
    let subscript = |prefix: &str| {
        field_path
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix("['"))
            .and_then(|rest| rest.strip_suffix("']"))
    };
    let known = |value: &str| EnvValue::Downward {
        field: field_path.to_string(),
        value: value.to_string(),
    };
    match field_path {
        "metadata.name" => EnvValue::Pod(PodField::Name),
        "metadata.uid" => EnvValue::Pod(PodField::Uid),
        "spec.nodeName" => EnvValue::Pod(PodField::NodeName),
        // With one IP, Kubernetes gives the plural fields the same string.
        "status.podIP" | "status.podIPs" => EnvValue::Pod(PodField::PodIp),
        "status.hostIP" | "status.hostIPs" => EnvValue::Pod(PodField::HostIp),
        "metadata.namespace" => known(owner.namespace),
        // berth has no service accounts: every pod runs as `default`.
        "spec.serviceAccountName" => known("default"),
        _ => {
            if let Some(key) = subscript("metadata.labels") {
                known(owner.labels.get(key).map_or("", String::as_str))
            } else if let Some(key) = subscript("metadata.annotations") {
                known(owner.annotations.get(key).map_or("", String::as_str))
            } else {
                // The decoder refused every other path.
                known("")
            }
        }
    }
}
