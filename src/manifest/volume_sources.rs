//! `configMap`, `secret`, `downwardAPI` and `projected` volume sources,
//! decoded and checked as the API server checks them; `volume_files`
//! resolves their files once every manifest is read.

use std::collections::HashMap;

use super::config::config_key;
use super::decode::{index, join, Decoder};
use super::env_source::{field_ref, object_name, optional, resource_field_ref};
use super::schema::Schema;
use super::volume_model::{
    ConfigMapVolumeSource, DownwardApiFile, DownwardApiProjection, DownwardApiVolumeSource,
    KeyToPath, ObjectProjection, Origin, ProjectedVolumeSource, SecretVolumeSource,
    VolumeProjection,
};
use crate::yaml::Node;

const CONFIG_MAP: Schema = Schema {
    implemented: &["name", "items", "defaultMode", "optional"],
    known: &[],
};

const SECRET: Schema = Schema {
    implemented: &["secretName", "items", "defaultMode", "optional"],
    known: &[],
};

const KEY_TO_PATH: Schema = Schema {
    implemented: &["key", "path", "mode"],
    known: &[],
};

const DOWNWARD_API: Schema = Schema {
    implemented: &["items", "defaultMode"],
    known: &[],
};

const DOWNWARD_API_FILE: Schema = Schema {
    implemented: &["path", "fieldRef", "resourceFieldRef", "mode"],
    known: &[],
};

const PROJECTED: Schema = Schema {
    implemented: &["sources", "defaultMode"],
    known: &[],
};

const PROJECTION: Schema = Schema {
    implemented: &["configMap", "secret", "downwardAPI"],
    known: &[
        "serviceAccountToken",
        "clusterTrustBundle",
        "podCertificate",
    ],
};

const OBJECT_PROJECTION: Schema = Schema {
    implemented: &["name", "items", "optional"],
    known: &[],
};

const DOWNWARD_API_PROJECTION: Schema = Schema {
    implemented: &["items"],
    known: &[],
};

/// The pod fields a downward API volume can hold (Kubernetes' list: the
/// rest are env only).
const VOLUME_FIELD_PATHS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "metadata.labels",
    "metadata.annotations",
    "metadata.labels['<KEY>']",
    "metadata.annotations['<KEY>']",
];

pub fn config_map(d: &mut Decoder, node: &Node, path: &str) -> Option<ConfigMapVolumeSource> {
    let fields = d.mapping(node, path, &CONFIG_MAP, &[])?;
    let name = object_name(d, node, fields.get("name"), path);
    let items = fields
        .get("items")
        .map(|n| key_to_paths(d, n, &join(path, "items")))
        .unwrap_or_default();
    let default_mode = fields
        .get("defaultMode")
        .and_then(|n| mode(d, n, &join(path, "defaultMode")));
    let optional = optional(d, fields.get("optional"), path);
    Some(ConfigMapVolumeSource {
        name: name?,
        items,
        default_mode,
        optional,
        origin: origin(d, node, path),
    })
}

pub fn secret(d: &mut Decoder, node: &Node, path: &str) -> Option<SecretVolumeSource> {
    let fields = d.mapping(node, path, &SECRET, &[])?;
    let name_path = join(path, "secretName");
    let secret_name = match fields.get("secretName") {
        Some(n) => d.string(n, &name_path).and_then(|name| {
            let problem = if name.is_empty() {
                Some("required field is empty".to_string())
            } else {
                crate::names::dns1123_subdomain(&name)
                    .err()
                    .map(|message| format!("invalid name {name:?}: {message}"))
            };
            match problem {
                Some(message) => {
                    d.error(n, &name_path, message);
                    None
                }
                None => Some(name),
            }
        }),
        None => {
            d.required(node, &name_path);
            None
        }
    };
    let items = fields
        .get("items")
        .map(|n| key_to_paths(d, n, &join(path, "items")))
        .unwrap_or_default();
    let default_mode = fields
        .get("defaultMode")
        .and_then(|n| mode(d, n, &join(path, "defaultMode")));
    let optional = optional(d, fields.get("optional"), path);
    Some(SecretVolumeSource {
        secret_name: secret_name?,
        items,
        default_mode,
        optional,
        origin: origin(d, node, path),
    })
}

pub fn downward_api(d: &mut Decoder, node: &Node, path: &str) -> Option<DownwardApiVolumeSource> {
    let fields = d.mapping(node, path, &DOWNWARD_API, &[])?;
    let items = fields
        .get("items")
        .map(|n| downward_files(d, n, &join(path, "items")))
        .unwrap_or_default();
    let default_mode = fields
        .get("defaultMode")
        .and_then(|n| mode(d, n, &join(path, "defaultMode")));
    Some(DownwardApiVolumeSource {
        items: items?,
        default_mode,
    })
}

pub fn projected(d: &mut Decoder, node: &Node, path: &str) -> Option<ProjectedVolumeSource> {
    let fields = d.mapping(node, path, &PROJECTED, &[])?;
    let default_mode = fields
        .get("defaultMode")
        .and_then(|n| mode(d, n, &join(path, "defaultMode")));
    let sources_path = join(path, "sources");
    let mut sources = Vec::new();
    let mut complete = true;
    let mut paths: HashMap<String, String> = HashMap::new();
    let items = match fields.get("sources") {
        Some(n) => d.seq(n, &sources_path),
        None => &[],
    };
    for (i, item) in items.iter().enumerate() {
        let item_path = index(&sources_path, i);
        let Some(source) = projection(d, item, &item_path) else {
            complete = false;
            continue;
        };
        // Two sources writing the same path: the API server refuses it.
        let written: Vec<(String, &Node)> = match &source {
            VolumeProjection::ConfigMap(p) | VolumeProjection::Secret(p) => {
                p.items.iter().map(|k| (k.path.clone(), item)).collect()
            }
            VolumeProjection::DownwardApi(p) => {
                p.items.iter().map(|f| (f.path.clone(), item)).collect()
            }
        };
        for (file, at) in written {
            if let Some(first) = paths.insert(file.clone(), item_path.clone()) {
                if first != item_path {
                    let message = format!("conflicting duplicate paths: {file:?} (also {first})");
                    d.error(at, &item_path, message);
                }
            }
        }
        sources.push(source);
    }
    complete.then_some(ProjectedVolumeSource {
        sources,
        default_mode,
    })
}

/// One of `sources[]`: exactly one source. `None` when it is wrong or one
/// berth does not write (reported).
fn projection(d: &mut Decoder, node: &Node, path: &str) -> Option<VolumeProjection> {
    let fields = d.mapping(node, path, &PROJECTION, &[])?;
    let given: Vec<&str> = PROJECTION
        .implemented
        .iter()
        .chain(PROJECTION.known)
        .copied()
        .filter(|f| node.get(f).is_some_and(|n| !n.is_null()))
        .collect();
    match given.as_slice() {
        [] => {
            d.error(
                node,
                path,
                "must specify one of: `configMap`, `secret` or `downwardAPI`",
            );
            None
        }
        [one] => match *one {
            "configMap" | "secret" => {
                let p = join(path, one);
                let n = fields.get(one)?;
                let source = object_projection(d, n, &p)?;
                Some(if *one == "configMap" {
                    VolumeProjection::ConfigMap(source)
                } else {
                    VolumeProjection::Secret(source)
                })
            }
            "downwardAPI" => {
                let p = join(path, "downwardAPI");
                let n = fields.get("downwardAPI")?;
                let fields = d.mapping(n, &p, &DOWNWARD_API_PROJECTION, &[])?;
                let items = fields
                    .get("items")
                    .map(|items| downward_files(d, items, &join(&p, "items")))
                    .unwrap_or(Some(Vec::new()))?;
                Some(VolumeProjection::DownwardApi(DownwardApiProjection {
                    items,
                }))
            }
            other => {
                let at = node.get(other).unwrap_or(node);
                let message = format!(
                    "{other} projections are not supported by berth (it has no service accounts \
                     nor certificates to project); the volume is not mounted"
                );
                d.unsupported(at, &join(path, other), message);
                None
            }
        },
        _ => {
            let message = format!(
                "may not specify more than 1 volume projection (found {})",
                given.join(", ")
            );
            d.error(node, path, message);
            None
        }
    }
}

fn object_projection(d: &mut Decoder, node: &Node, path: &str) -> Option<ObjectProjection> {
    let fields = d.mapping(node, path, &OBJECT_PROJECTION, &[])?;
    let name = object_name(d, node, fields.get("name"), path);
    let items = fields
        .get("items")
        .map(|n| key_to_paths(d, n, &join(path, "items")))
        .unwrap_or_default();
    let optional = optional(d, fields.get("optional"), path);
    Some(ObjectProjection {
        name: name?,
        items,
        optional,
        origin: origin(d, node, path),
    })
}

fn origin(d: &Decoder, node: &Node, path: &str) -> Origin {
    Origin {
        at: d.source(node),
        path: d.full_path(path),
    }
}

/// A file mode: 0 to 0777, as the API server allows.
fn mode(d: &mut Decoder, node: &Node, path: &str) -> Option<u32> {
    let value = d.int(node, path)?;
    if !(0..=0o777).contains(&value) {
        let message = format!(
            "must be a number between 0 and 0777 (octal), both inclusive (found {value}, {value:#o})"
        );
        d.error(node, path, message);
        return None;
    }
    Some(value as u32)
}

/// A path inside the volume: relative, no `..` element, not starting with
/// `..` (the kubelet's own `..data` and version directories).
fn file_path(d: &mut Decoder, node: &Node, path: &str) -> Option<String> {
    let text = d.string(node, path)?;
    let problem = if text.is_empty() {
        Some("required field is empty".to_string())
    } else if text.starts_with('/') {
        Some("must be a relative path".to_string())
    } else if text.split('/').any(|part| part == "..") {
        Some("must not contain '..'".to_string())
    } else if text.starts_with("..") {
        Some("must not start with '..'".to_string())
    } else if text.contains('\0') {
        Some("must not contain a NUL byte".to_string())
    } else {
        None
    };
    match problem {
        Some(message) => {
            d.error(node, path, message);
            None
        }
        None => Some(text),
    }
}

fn key_to_paths(d: &mut Decoder, node: &Node, path: &str) -> Vec<KeyToPath> {
    let mut out = Vec::new();
    for (i, item) in d.seq(node, path).iter().enumerate() {
        let item_path = index(path, i);
        let Some(fields) = d.mapping(item, &item_path, &KEY_TO_PATH, &[]) else {
            continue;
        };
        let key = match fields.get("key") {
            Some(n) => d.string(n, &join(&item_path, "key")).and_then(|key| {
                if let Err(message) = config_key(&key) {
                    let message = format!("invalid key {key:?}: {message}");
                    d.error(n, &join(&item_path, "key"), message);
                    return None;
                }
                Some(key)
            }),
            None => {
                d.required(item, &join(&item_path, "key"));
                None
            }
        };
        let file = match fields.get("path") {
            Some(n) => file_path(d, n, &join(&item_path, "path")),
            None => {
                d.required(item, &join(&item_path, "path"));
                None
            }
        };
        let mode = fields
            .get("mode")
            .and_then(|n| mode(d, n, &join(&item_path, "mode")));
        if let (Some(key), Some(path)) = (key, file) {
            out.push(KeyToPath { key, path, mode });
        }
    }
    out
}

/// `items` of a downward API volume or projection; `None` when any is wrong.
fn downward_files(d: &mut Decoder, node: &Node, path: &str) -> Option<Vec<DownwardApiFile>> {
    let mut out = Vec::new();
    let mut complete = true;
    for (i, item) in d.seq(node, path).iter().enumerate() {
        let item_path = index(path, i);
        match downward_file(d, item, &item_path) {
            Some(file) => out.push(file),
            None => complete = false,
        }
    }
    complete.then_some(out)
}

fn downward_file(d: &mut Decoder, node: &Node, path: &str) -> Option<DownwardApiFile> {
    let fields = d.mapping(node, path, &DOWNWARD_API_FILE, &[])?;
    let file = match fields.get("path") {
        Some(n) => file_path(d, n, &join(path, "path")),
        None => {
            d.required(node, &join(path, "path"));
            None
        }
    };
    let mode = fields
        .get("mode")
        .and_then(|n| mode(d, n, &join(path, "mode")));
    let (field_ref, resource_field_ref) =
        match (fields.get("fieldRef"), fields.get("resourceFieldRef")) {
            (Some(n), None) => {
                let p = join(path, "fieldRef");
                (Some(field_ref(d, n, &p, VOLUME_FIELD_PATHS)?), None)
            }
            (None, Some(n)) => {
                let p = join(path, "resourceFieldRef");
                let r = resource_field_ref(d, n, &p)?;
                if r.container_name.is_empty() {
                    // A volume has no container of its own to default to.
                    d.required(n, &join(&p, "containerName"));
                    return None;
                }
                (None, Some(r))
            }
            (None, None) => {
                d.error(
                    node,
                    path,
                    "must specify one of: `fieldRef` or `resourceFieldRef`",
                );
                return None;
            }
            (Some(_), Some(_)) => {
                let message = "fieldRef and resourceFieldRef can not be specified simultaneously";
                d.error(node, path, message);
                return None;
            }
        };
    Some(DownwardApiFile {
        path: file?,
        field_ref,
        resource_field_ref,
        mode,
    })
}
