//! `env[].valueFrom` and `envFrom[]` of a container, decoded and checked
//! as the API server does; `envrefs` resolves them once every file is read.

use super::config::config_key;
use super::config_model::{
    EnvFromRef, EnvFromSource, EnvVarSource, FieldRef, KeyRef, ObjectRef, ResourceFieldRef,
};
use super::decode::{index, join, Decoder};
use super::schema::Schema;
use crate::names;
use crate::yaml::Node;

const VALUE_FROM: Schema = Schema {
    implemented: &[
        "configMapKeyRef",
        "secretKeyRef",
        "fieldRef",
        "resourceFieldRef",
    ],
    known: &["fileKeyRef"],
};

const KEY_REF: Schema = Schema {
    implemented: &["name", "key", "optional"],
    known: &[],
};

const FIELD_REF: Schema = Schema {
    implemented: &["apiVersion", "fieldPath"],
    known: &[],
};

const RESOURCE_FIELD_REF: Schema = Schema {
    implemented: &["containerName", "resource", "divisor"],
    known: &[],
};

/// The resources `resourceFieldRef` reads in berth.
const RESOURCES: &[&str] = &[
    "limits.cpu",
    "limits.memory",
    "requests.cpu",
    "requests.memory",
];

const CPU_DIVISORS: &[&str] = &["1m", "1"];
const MEMORY_DIVISORS: &[&str] = &[
    "1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei",
];

const ENV_FROM: Schema = Schema {
    implemented: &["prefix", "configMapRef", "secretRef"],
    known: &[],
};

const OBJECT_REF: Schema = Schema {
    implemented: &["name", "optional"],
    known: &[],
};

/// The downward API fields berth sets in env.
pub const SUPPORTED_FIELD_PATHS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "metadata.labels['<KEY>']",
    "metadata.annotations['<KEY>']",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.podIP",
    "status.podIPs",
    "status.hostIP",
    "status.hostIPs",
];

/// `valueFrom`: exactly one source. `None` when it is wrong or unsupported
/// (already reported).
pub fn value_from(d: &mut Decoder, node: &Node, path: &str) -> Option<EnvVarSource> {
    let fields = d.mapping(node, path, &VALUE_FROM, &[])?;
    let given: Vec<&str> = VALUE_FROM
        .implemented
        .iter()
        .chain(VALUE_FROM.known)
        .copied()
        .filter(|f| node.get(f).is_some_and(|n| !n.is_null()))
        .collect();
    match given.len() {
        0 => {
            let message = "must specify one of: `fieldRef`, `resourceFieldRef`, \
                           `configMapKeyRef` or `secretKeyRef`";
            d.error(node, path, message);
            return None;
        }
        1 => {}
        _ => {
            d.error(
                node,
                path,
                "may not have more than one field specified at a time",
            );
            return None;
        }
    }
    if let Some(n) = fields.get("configMapKeyRef") {
        let p = join(path, "configMapKeyRef");
        return key_ref(d, n, &p).map(EnvVarSource::ConfigMapKeyRef);
    }
    if let Some(n) = fields.get("secretKeyRef") {
        let p = join(path, "secretKeyRef");
        return key_ref(d, n, &p).map(EnvVarSource::SecretKeyRef);
    }
    if let Some(n) = fields.get("resourceFieldRef") {
        let p = join(path, "resourceFieldRef");
        return resource_field_ref(d, n, &p).map(EnvVarSource::ResourceFieldRef);
    }
    let n = fields.get("fieldRef")?;
    field_ref(d, n, &join(path, "fieldRef"), SUPPORTED_FIELD_PATHS).map(EnvVarSource::FieldRef)
}

fn supported(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    quoted.join(", ")
}

pub(super) fn resource_field_ref(
    d: &mut Decoder,
    node: &Node,
    path: &str,
) -> Option<ResourceFieldRef> {
    let fields = d.mapping(node, path, &RESOURCE_FIELD_REF, &[])?;
    let container_name = fields
        .get("containerName")
        .and_then(|n| d.string(n, &join(path, "containerName")))
        .unwrap_or_default();
    let p = join(path, "resource");
    let Some(resource_node) = fields.get("resource") else {
        d.required(node, &p);
        return None;
    };
    let resource = d.string(resource_node, &p)?;
    if !RESOURCES.contains(&resource.as_str()) {
        let message = format!(
            "unsupported value {resource:?}: supported values: {}",
            supported(RESOURCES)
        );
        d.error(resource_node, &p, message);
        return None;
    }
    let divisor = match fields.get("divisor") {
        Some(n) => {
            let p = join(path, "divisor");
            let divisor = d.quantity_text(n, &p)?;
            let allowed = if resource.ends_with(".cpu") {
                CPU_DIVISORS
            } else {
                MEMORY_DIVISORS
            };
            if !divisor.is_empty() && !allowed.contains(&divisor.as_str()) {
                let message = format!(
                    "unsupported value {divisor:?}: supported values: {}",
                    supported(allowed)
                );
                d.error(n, &p, message);
                return None;
            }
            divisor
        }
        None => String::new(),
    };
    Some(ResourceFieldRef {
        container_name,
        resource,
        divisor,
        at: d.source(node),
        path: d.full_path(path),
    })
}

fn key_ref(d: &mut Decoder, node: &Node, path: &str) -> Option<KeyRef> {
    let fields = d.mapping(node, path, &KEY_REF, &[])?;
    let name = object_name(d, node, fields.get("name"), path);
    let key = match fields.get("key") {
        Some(n) => d.string(n, &join(path, "key")).and_then(|key| {
            if let Err(message) = config_key(&key) {
                let message = format!("invalid key {key:?}: {message}");
                d.error(n, &join(path, "key"), message);
                return None;
            }
            Some(key)
        }),
        None => {
            d.required(node, &join(path, "key"));
            None
        }
    };
    let optional = optional(d, fields.get("optional"), path);
    Some(KeyRef {
        name: name?,
        key: key?,
        optional,
        at: d.source(node),
        path: d.full_path(path),
    })
}

pub(super) fn object_name(
    d: &mut Decoder,
    parent: &Node,
    node: Option<&Node>,
    path: &str,
) -> Option<String> {
    let p = join(path, "name");
    let Some(node) = node else {
        d.required(parent, &p);
        return None;
    };
    let name = d.string(node, &p)?;
    if name.is_empty() {
        d.error(node, &p, "required field is empty");
        return None;
    }
    if let Err(message) = names::dns1123_subdomain(&name) {
        d.error(node, &p, format!("invalid name {name:?}: {message}"));
        return None;
    }
    Some(name)
}

pub(super) fn optional(d: &mut Decoder, node: Option<&Node>, path: &str) -> Option<bool> {
    node.and_then(|n| d.bool(n, &join(path, "optional")))
}

/// `fieldRef` whose `fieldPath` is one of `supported` (env and volume
/// files allow different ones).
pub(super) fn field_ref(
    d: &mut Decoder,
    node: &Node,
    path: &str,
    supported: &[&str],
) -> Option<FieldRef> {
    let fields = d.mapping(node, path, &FIELD_REF, &[])?;
    let api_version = fields
        .get("apiVersion")
        .and_then(|n| d.string(n, &join(path, "apiVersion")))
        .filter(|v| !v.is_empty());
    if let (Some(v), Some(n)) = (&api_version, fields.get("apiVersion")) {
        if v != "v1" {
            let message = format!("unsupported value {v:?}: supported values: \"v1\"");
            d.error(n, &join(path, "apiVersion"), message);
        }
    }
    let p = join(path, "fieldPath");
    let Some(n) = fields.get("fieldPath") else {
        d.required(node, &p);
        return None;
    };
    let field_path = d.string(n, &p)?;
    if let Err(message) = check_field_path(&field_path, supported) {
        d.error(n, &p, message);
        return None;
    }
    Some(FieldRef {
        api_version,
        field_path,
    })
}

/// A fieldPath among `supported` (`metadata.labels['<KEY>']` standing for
/// any valid key), or the error naming them.
pub fn check_field_path(field_path: &str, supported: &[&str]) -> Result<(), String> {
    let subscript = |prefix: &str| {
        field_path
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix("['"))
            .and_then(|rest| rest.strip_suffix("']"))
    };
    let exact = supported.contains(&field_path);
    let keyed = subscript("metadata.labels").or_else(|| subscript("metadata.annotations"));
    match (exact, keyed) {
        (true, _) => Ok(()),
        (false, Some(key)) => crate::labels::validate_key(key)
            .map_err(|message| format!("invalid key {key:?} in {field_path:?}: {message}")),
        (false, None) => {
            let supported: Vec<String> = supported.iter().map(|p| format!("{p:?}")).collect();
            Err(format!(
                "unsupported value {field_path:?}: supported values: {}",
                supported.join(", ")
            ))
        }
    }
}

/// `envFrom`: each entry names one ConfigMap or Secret; a prefix must make
/// valid variable names.
pub fn env_from(d: &mut Decoder, node: &Node, path: &str) -> Vec<EnvFromSource> {
    let mut out = Vec::new();
    for (i, item) in d.seq(node, path).iter().enumerate() {
        let item_path = index(path, i);
        let Some(fields) = d.mapping(item, &item_path, &ENV_FROM, &[]) else {
            continue;
        };
        let prefix = fields
            .get("prefix")
            .and_then(|n| {
                let p = join(&item_path, "prefix");
                let prefix = d.string(n, &p)?;
                if !prefix.is_empty() {
                    if let Err(message) = names::env_var_name(&prefix) {
                        d.error(n, &p, format!("invalid prefix {prefix:?}: {message}"));
                    }
                }
                Some(prefix)
            })
            .unwrap_or_default();
        let config = fields.get("configMapRef");
        let secret = fields.get("secretRef");
        let from = match (config, secret) {
            (Some(n), None) => {
                let p = join(&item_path, "configMapRef");
                object_ref(d, n, &p).map(EnvFromRef::ConfigMapRef)
            }
            (None, Some(n)) => {
                let p = join(&item_path, "secretRef");
                object_ref(d, n, &p).map(EnvFromRef::SecretRef)
            }
            (None, None) => {
                let message = "must specify one of: `configMapRef` or `secretRef`";
                d.error(item, &item_path, message);
                None
            }
            (Some(_), Some(_)) => {
                let message = "may not have more than one field specified at a time";
                d.error(item, &item_path, message);
                None
            }
        };
        if let Some(from) = from {
            out.push(EnvFromSource { prefix, from });
        }
    }
    out
}

fn object_ref(d: &mut Decoder, node: &Node, path: &str) -> Option<ObjectRef> {
    let fields = d.mapping(node, path, &OBJECT_REF, &[])?;
    let name = object_name(d, node, fields.get("name"), path);
    let optional = optional(d, fields.get("optional"), path);
    Some(ObjectRef {
        name: name?,
        optional,
        at: d.source(node),
        path: d.full_path(path),
    })
}
