//! A pod's spec hash and its last-applied spec: one home for what decides
//! recreation. `desired` hashes pods and controller templates, `podmap` puts
//! both on the infra container, `plan` compares them with what is observed.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use std::collections::BTreeMap;

use crate::manifest::{EnvValue, Labels, PodSpec, Sensitive};

/// sha256 (first 16 hex digits) of the canonical JSON of what makes a pod.
pub fn spec_hash(
    spec: &PodSpec,
    labels: &Labels,
    owner: Option<&str>,
    aliases: &[String],
    infra_image: &str,
) -> String {
    let canonical = hash_input(spec, labels, owner, aliases, infra_image);
    let digest = Sha256::digest(canonical.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The text the spec hash is taken of (Secret values only as digests).
pub fn hash_input(
    spec: &PodSpec,
    labels: &Labels,
    owner: Option<&str>,
    aliases: &[String],
    infra_image: &str,
) -> String {
    let mut canonical =
        json!({ "spec": spec, "labels": labels, "owner": owner, "infra": infra_image });
    if !aliases.is_empty() {
        canonical["aliases"] = json!(aliases);
    }
    let resolved = resolved_env(spec);
    if !resolved.is_empty() {
        canonical["resolvedEnv"] = json!(resolved);
    }
    canonical.to_string()
}

/// What the env references resolved to, per container, for the hash: a
/// ConfigMap value as is, a Secret value only as its sha256, downward API
/// values known at load. Empty when nothing was resolved from elsewhere,
/// so pods without references keep the hash they always had.
pub fn resolved_env(spec: &PodSpec) -> Vec<Value> {
    let mut out = Vec::new();
    for c in spec.init_containers.iter().chain(&spec.containers) {
        for e in &c.resolved_env {
            let entry = match &e.value {
                EnvValue::Literal(_) | EnvValue::Pod(_) => continue,
                EnvValue::Config { object, key, value } => {
                    json!({ "configMap": object, "key": key, "value": value })
                }
                EnvValue::Secret { object, key, value } => {
                    json!({ "secret": object, "key": key, "sha256": value.digest() })
                }
                EnvValue::Downward { field, value } => json!({ "field": field, "value": value }),
            };
            out.push(json!({ "container": c.name, "name": e.name, "from": entry }));
        }
    }
    out
}

/// The infra container's label naming each ConfigMap and Secret key the
/// pod's env reads, with a short digest of its value, so that `diff` can
/// say which key changed. The digest says no more of a Secret than the
/// spec hash already does.
pub const ENV_SOURCES_LABEL: &str = "io.berth.env-sources";

/// `ConfigMap ns/name key K` (or `Secret …`) → the first 16 hex digits of
/// the sha256 of its value.
pub fn env_sources(spec: &PodSpec) -> BTreeMap<String, String> {
    let short = |digest: String| digest[..16].to_string();
    let mut out = BTreeMap::new();
    for c in spec.init_containers.iter().chain(&spec.containers) {
        for e in &c.resolved_env {
            match &e.value {
                EnvValue::Config { object, key, value } => {
                    let digest = Sensitive(value.clone()).digest();
                    out.insert(format!("ConfigMap {object} key {key}"), short(digest));
                }
                EnvValue::Secret { object, key, value } => {
                    out.insert(format!("Secret {object} key {key}"), short(value.digest()));
                }
                _ => {}
            }
        }
    }
    out
}

/// The env sources label's text (empty when the pod reads none).
pub fn env_sources_label(spec: &PodSpec) -> Option<String> {
    let sources = env_sources(spec);
    (!sources.is_empty()).then(|| serde_json::to_string(&sources).unwrap_or_default())
}

/// What changed between the sources recorded on a pod (`old`, the label's
/// text) and the desired ones, one line each, sorted.
pub fn env_source_changes(old: Option<&str>, spec: &PodSpec) -> Vec<String> {
    source_changes(old, &env_sources(spec))
}

/// What changed between the sources recorded on a pod (`old`, the label's
/// text) and `new` (`env_sources` of the desired spec), one line each.
pub fn source_changes(old: Option<&str>, new: &BTreeMap<String, String>) -> Vec<String> {
    let old: BTreeMap<String, String> = old
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (source, digest) in new {
        match old.get(source) {
            Some(before) if before != digest => out.push(format!("{source} changed")),
            // A pod from before berth recorded its sources says nothing.
            None if !old.is_empty() => out.push(format!("{source} now read")),
            _ => {}
        }
    }
    for source in old.keys().filter(|s| !new.contains_key(*s)) {
        out.push(format!("{source} no longer read"));
    }
    out
}

/// The pod as kept on the infra container: Kubernetes-shaped JSON.
pub fn last_applied(spec: &PodSpec, labels: &Labels) -> String {
    let json = json!({ "metadata": { "labels": labels }, "spec": spec });
    serde_json::to_string_pretty(&json).unwrap_or_default()
}
