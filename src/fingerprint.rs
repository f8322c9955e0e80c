//! A pod's spec hash and its last-applied spec: one home for what decides
//! recreation. `desired` hashes pods and controller templates, `podmap` puts
//! both on the infra container, `plan` compares them with what is observed.

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::manifest::{Labels, PodSpec};

/// sha256 (first 16 hex digits) of the canonical JSON of what makes a pod.
pub fn spec_hash(
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
    let digest = Sha256::digest(canonical.to_string().as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The pod as kept on the infra container: Kubernetes-shaped JSON.
pub fn last_applied(spec: &PodSpec, labels: &Labels) -> String {
    let json = json!({ "metadata": { "labels": labels }, "spec": spec });
    serde_json::to_string_pretty(&json).unwrap_or_default()
}
