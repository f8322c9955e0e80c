//! ConfigMaps and Secrets as `get cm` / `get secrets` list them and the
//! API serves them: declared objects only (they are never containers).
//! A ConfigMap's data is shown as written. A Secret's values never leave
//! here: its object keeps the key names and sizes in the
//! `berth.io/redacted` annotation (`key (sensitive, N bytes)`), with no
//! `data` or `stringData`.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::cli::Resource;
use crate::manifest::{ConfigMap, Labels, Manifests, ObjectMeta, Secret};

use super::listing::Listed;

/// The annotation that says what a Secret holds, without the values.
pub const REDACTED: &str = "berth.io/redacted";

/// The column headers after NAME (no `-o wide` ones).
pub fn headers(resource: Resource) -> Vec<&'static str> {
    match resource {
        Resource::Secrets => vec!["TYPE", "DATA", "AGE"],
        _ => vec!["DATA", "AGE"],
    }
}

fn metadata(meta: &ObjectMeta) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("name".into(), json!(meta.name));
    out.insert("namespace".into(), json!(meta.namespace));
    if !meta.labels.is_empty() {
        out.insert("labels".into(), json!(meta.labels));
    }
    if !meta.annotations.is_empty() {
        out.insert("annotations".into(), json!(meta.annotations));
    }
    out
}

/// A declared ConfigMap: `data` as written, `binaryData` in base64.
pub fn config_map_json(config: &ConfigMap) -> Value {
    let mut value =
        json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata(&config.meta) });
    if !config.data.is_empty() {
        value["data"] = json!(config.data);
    }
    if !config.binary_data.is_empty() {
        let binary: BTreeMap<&String, String> = config
            .binary_data
            .iter()
            .map(|(k, v)| (k, base64(v)))
            .collect();
        value["binaryData"] = json!(binary);
    }
    if config.immutable {
        value["immutable"] = json!(true);
    }
    value
}

/// `key (sensitive, N bytes)` for each key, comma-separated.
pub fn redacted_text(data: &BTreeMap<String, Vec<u8>>) -> String {
    data.iter()
        .map(|(key, value)| format!("{key} (sensitive, {} bytes)", value.len()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A declared Secret with its values left out: `type`, and the keys with
/// their sizes in the `berth.io/redacted` annotation.
pub fn secret_json(secret: &Secret) -> Value {
    let mut meta = metadata(&secret.meta);
    if !secret.data.is_empty() {
        let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
        annotations[REDACTED] = json!(redacted_text(&secret.data));
    }
    let mut value =
        json!({ "apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": secret.kind });
    if secret.immutable {
        value["immutable"] = json!(true);
    }
    value
}

/// How many keys a served Secret holds, read from its annotation (keys are
/// `[-._a-zA-Z0-9]+`, so no key holds the marker).
pub fn secret_key_count(secret: &Value) -> usize {
    secret["metadata"]["annotations"][REDACTED]
        .as_str()
        .map_or(0, |text| text.matches(" (sensitive, ").count())
}

/// `get cm -f` / `get secrets -f` (and the live listing, which is the
/// same: these objects exist only in the manifests).
pub fn items(
    resource: Resource,
    manifests: &Manifests,
    keep: &dyn Fn(&str, &Labels) -> bool,
) -> Vec<Listed> {
    let row = |meta: &ObjectMeta, cells: Vec<String>, json: Value| Listed {
        project: None,
        namespace: meta.namespace.clone(),
        name: meta.name.clone(),
        cells,
        wide: vec![],
        json,
    };
    let mut rows: Vec<Listed> = match resource {
        Resource::Secrets => manifests
            .secrets
            .iter()
            .filter(|s| keep(&s.meta.namespace, &s.meta.labels))
            .map(|s| {
                let cells = vec![s.kind.clone(), s.data.len().to_string(), "-".into()];
                row(&s.meta, cells, secret_json(s))
            })
            .collect(),
        _ => manifests
            .config_maps
            .iter()
            .filter(|c| keep(&c.meta.namespace, &c.meta.labels))
            .map(|c| {
                let count = c.data.len() + c.binary_data.len();
                row(
                    &c.meta,
                    vec![count.to_string(), "-".into()],
                    config_map_json(c),
                )
            })
            .collect(),
    };
    rows.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    rows
}

/// `describe secret`'s data section: each key with its size, never its value.
pub fn describe_data(secret: &Secret) -> String {
    let mut out = String::from("Data\n====\n");
    for (key, value) in &secret.data {
        out.push_str(&format!("{key}:  {} bytes\n", value.len()));
    }
    out
}

/// Standard base64 with padding, as `binaryData` is written.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str) -> ObjectMeta {
        ObjectMeta {
            name: name.into(),
            namespace: "default".into(),
            labels: Labels::new(),
            annotations: BTreeMap::new(),
        }
    }

    fn secret() -> Secret {
        Secret {
            meta: meta("db"),
            kind: "Opaque".into(),
            data: BTreeMap::from([
                ("password".to_string(), b"hunter2".to_vec()),
                ("user".to_string(), b"admin".to_vec()),
            ]),
            immutable: false,
            source: Default::default(),
        }
    }

    #[test]
    fn a_served_secret_names_its_keys_and_sizes_but_never_a_value() {
        let value = secret_json(&secret());
        let text = value.to_string();
        assert!(
            !text.contains("hunter2") && !text.contains("admin"),
            "{text}"
        );
        assert!(value.get("data").is_none() && value.get("stringData").is_none());
        assert_eq!(
            value["metadata"]["annotations"][REDACTED],
            "password (sensitive, 7 bytes), user (sensitive, 5 bytes)"
        );
        assert_eq!(value["type"], "Opaque");
        assert_eq!(secret_key_count(&value), 2);
    }

    #[test]
    fn describe_prints_sizes_as_kubectl_does() {
        assert_eq!(
            describe_data(&secret()),
            "Data\n====\npassword:  7 bytes\nuser:  5 bytes\n"
        );
    }

    #[test]
    fn a_config_map_keeps_its_data_and_encodes_binary_data() {
        let config = ConfigMap {
            meta: meta("settings"),
            data: BTreeMap::from([("mode".to_string(), "fast".to_string())]),
            binary_data: BTreeMap::from([("blob".to_string(), b"berth".to_vec())]),
            immutable: false,
            source: Default::default(),
        };
        let value = config_map_json(&config);
        assert_eq!(value["data"], json!({ "mode": "fast" }));
        assert_eq!(value["binaryData"], json!({ "blob": "YmVydGg=" }));
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
        let manifests = Manifests {
            config_maps: vec![config],
            ..Manifests::default()
        };
        let rows = items(Resource::ConfigMaps, &manifests, &|_, _| true);
        assert_eq!(rows[0].cells, ["2", "-"]);
    }
}
