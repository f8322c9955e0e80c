//! Resolves the files of every ConfigMap, Secret, downward API and
//! projected volume (of pods and of controller templates) against the
//! loaded ConfigMaps and Secrets, as the kubelet does when it mounts them.
//! A missing required object or key is a load error in the kubelet's words.

use std::collections::BTreeMap;

use super::config_model::{ConfigMap, EnvValue, Secret};
use super::diag::Diagnostic;
use super::envrefs::resource_value;
use super::model::{Container, Manifests, PodSpec, VolumeSource};
use super::volume_model::{
    DownwardApiFile, FileContent, KeyToPath, Origin, SensitiveBytes, VolumeFile, VolumeProjection,
    DEFAULT_FILE_MODE, SECRET_FILE_MODE,
};

/// What a pod (or template) is: where its volumes look things up.
struct Owner<'a> {
    namespace: &'a str,
    annotations: &'a BTreeMap<String, String>,
}

/// Fills `files` of every volume that holds files; returns the errors.
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
    let objects = Objects {
        config_maps,
        secrets,
    };
    let mut out = Vec::new();
    let specs = super::specs::specs_mut(pods, controllers, deployments, replica_sets, daemon_sets);
    for one in specs {
        let owner = Owner {
            namespace: one.namespace,
            annotations: one.annotations,
        };
        fill(one.spec, &owner, &objects, &mut out);
    }
    out
}

struct Objects<'a> {
    config_maps: &'a [ConfigMap],
    secrets: &'a [Secret],
}

fn fill(spec: &mut PodSpec, owner: &Owner, objects: &Objects, out: &mut Vec<Diagnostic>) {
    let containers = spec.containers.clone();
    for volume in &mut spec.volumes {
        volume.files = files(&volume.source, owner, objects, &containers, out);
    }
}

/// The files of one volume, sorted by path.
fn files(
    source: &VolumeSource,
    owner: &Owner,
    objects: &Objects,
    containers: &[Container],
    out: &mut Vec<Diagnostic>,
) -> Vec<VolumeFile> {
    let mut files = Vec::new();
    match source {
        VolumeSource::EmptyDir(_) | VolumeSource::HostPath(_) => {}
        VolumeSource::ConfigMap(v) => {
            let mode = v.default_mode.unwrap_or(DEFAULT_FILE_MODE);
            let from = From::ConfigMap(&v.name);
            keys(
                from, &v.items, v.optional, mode, &v.origin, owner, objects, &mut files, out,
            );
        }
        VolumeSource::Secret(v) => {
            let mode = v.default_mode.unwrap_or(SECRET_FILE_MODE);
            let from = From::Secret(&v.secret_name);
            keys(
                from, &v.items, v.optional, mode, &v.origin, owner, objects, &mut files, out,
            );
        }
        VolumeSource::DownwardApi(v) => {
            let mode = v.default_mode.unwrap_or(DEFAULT_FILE_MODE);
            downward(&v.items, mode, owner, containers, &mut files, out);
        }
        VolumeSource::Projected(v) => {
            for source in &v.sources {
                match source {
                    VolumeProjection::ConfigMap(p) => {
                        let mode = v.default_mode.unwrap_or(DEFAULT_FILE_MODE);
                        let from = From::ConfigMap(&p.name);
                        let origin = &p.origin;
                        keys(
                            from, &p.items, p.optional, mode, origin, owner, objects, &mut files,
                            out,
                        );
                    }
                    VolumeProjection::Secret(p) => {
                        let mode = v.default_mode.unwrap_or(SECRET_FILE_MODE);
                        let from = From::Secret(&p.name);
                        let origin = &p.origin;
                        keys(
                            from, &p.items, p.optional, mode, origin, owner, objects, &mut files,
                            out,
                        );
                    }
                    VolumeProjection::DownwardApi(p) => {
                        let mode = v.default_mode.unwrap_or(DEFAULT_FILE_MODE);
                        downward(&p.items, mode, owner, containers, &mut files, out);
                    }
                }
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

#[derive(Clone, Copy)]
enum From<'a> {
    ConfigMap(&'a str),
    Secret(&'a str),
}

/// The keys of a ConfigMap or Secret as files: every key, or `items`.
#[allow(clippy::too_many_arguments)]
fn keys(
    from: From,
    items: &[KeyToPath],
    optional: Option<bool>,
    mode: u32,
    origin: &Origin,
    owner: &Owner,
    objects: &Objects,
    files: &mut Vec<VolumeFile>,
    out: &mut Vec<Diagnostic>,
) {
    let ns = owner.namespace;
    let (kind, name, entries): (&str, &str, Option<Vec<(String, FileContent)>>) = match from {
        From::ConfigMap(name) => {
            let found = objects
                .config_maps
                .iter()
                .find(|m| m.meta.namespace == ns && m.meta.name == name);
            let entries = found.map(|m| {
                let text = m.data.iter().map(|(k, v)| (k, v.as_bytes().to_vec()));
                let binary = m.binary_data.iter().map(|(k, v)| (k, v.clone()));
                text.chain(binary)
                    .map(|(k, data)| {
                        let source = format!("ConfigMap {ns}/{name} key {k}");
                        (k.clone(), FileContent::Known { source, data })
                    })
                    .collect()
            });
            ("configmap", name, entries)
        }
        From::Secret(name) => {
            let found = objects
                .secrets
                .iter()
                .find(|s| s.meta.namespace == ns && s.meta.name == name);
            let entries = found.map(|s| {
                s.data
                    .iter()
                    .map(|(k, v)| {
                        let source = format!("Secret {ns}/{name} key {k}");
                        let data = SensitiveBytes(v.clone());
                        (k.clone(), FileContent::Secret { source, data })
                    })
                    .collect()
            });
            ("secret", name, entries)
        }
    };
    let Some(entries) = entries else {
        if optional != Some(true) {
            let message = format!("{kind} {name:?} not found");
            out.push(Diagnostic::error(
                origin.at.clone(),
                origin.path.clone(),
                message,
            ));
        }
        return;
    };
    if items.is_empty() {
        for (key, content) in entries {
            files.push(VolumeFile {
                path: key,
                mode,
                content,
            });
        }
        return;
    }
    let by_key: BTreeMap<String, FileContent> = entries.into_iter().collect();
    for item in items {
        match by_key.get(&item.key) {
            Some(content) => files.push(VolumeFile {
                path: item.path.clone(),
                mode: item.mode.unwrap_or(mode),
                content: content.clone(),
            }),
            None if optional == Some(true) => {}
            None => {
                let message = format!("{kind} references non-existent config key: {}", item.key);
                out.push(Diagnostic::error(
                    origin.at.clone(),
                    origin.path.clone(),
                    message,
                ));
            }
        }
    }
}

fn downward(
    items: &[DownwardApiFile],
    mode: u32,
    owner: &Owner,
    containers: &[Container],
    files: &mut Vec<VolumeFile>,
    out: &mut Vec<Diagnostic>,
) {
    for item in items {
        let content = match (&item.field_ref, &item.resource_field_ref) {
            (Some(f), _) => field(&f.field_path, owner),
            (None, Some(r)) => {
                let Some(first) = containers.first() else {
                    continue;
                };
                match resource_value(r, first, containers) {
                    Ok(EnvValue::Downward { field, value }) => FileContent::Known {
                        source: field,
                        data: value.into_bytes(),
                    },
                    Ok(_) => {
                        let message = format!(
                            "container {:?} sets no {} limit: a file of a downwardAPI volume \
                             needs it (berth writes the node's allocatable into env only); set \
                             resources.limits",
                            r.container_name, r.resource
                        );
                        out.push(Diagnostic::error(r.at.clone(), r.path.clone(), message));
                        continue;
                    }
                    Err(message) => {
                        out.push(Diagnostic::error(r.at.clone(), r.path.clone(), message));
                        continue;
                    }
                }
            }
            (None, None) => continue,
        };
        files.push(VolumeFile {
            path: item.path.clone(),
            mode: item.mode.unwrap_or(mode),
            content,
        });
    }
}

/// A pod field as a file: known now (namespace, annotations), or once the
/// pod is (name, uid, labels: a Deployment's pods get their own label).
fn field(field_path: &str, owner: &Owner) -> FileContent {
    let known = |data: String| FileContent::Known {
        source: format!("field {field_path}"),
        data: data.into_bytes(),
    };
    let annotation = field_path
        .strip_prefix("metadata.annotations['")
        .and_then(|rest| rest.strip_suffix("']"));
    match field_path {
        "metadata.namespace" => known(owner.namespace.to_string()),
        "metadata.annotations" => known(format_map(owner.annotations)),
        _ => match annotation {
            Some(key) => known(owner.annotations.get(key).cloned().unwrap_or_default()),
            None => FileContent::Pod(field_path.to_string()),
        },
    }
}

/// Labels or annotations as the kubelet writes them: `key="value"` lines,
/// sorted, the value quoted as Go's `%q` quotes it, no final newline.
pub fn format_map(map: &BTreeMap<String, String>) -> String {
    map.iter()
        .map(|(k, v)| format!("{k}={}", go_quote(v)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Go's `strconv.Quote`: printable characters as they are, the rest escaped.
fn go_quote(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if c.is_control() => {
                let n = c as u32;
                if n < 0x80 {
                    out.push_str(&format!("\\x{n:02x}"));
                } else if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_are_written_as_the_kubelet_writes_them() {
        let map = BTreeMap::from([
            ("b".to_string(), "two \"quoted\"".to_string()),
            ("a".to_string(), "line\nbreak\ttab é".to_string()),
        ]);
        assert_eq!(
            format_map(&map),
            "a=\"line\\nbreak\\ttab é\"\nb=\"two \\\"quoted\\\"\""
        );
        assert_eq!(format_map(&BTreeMap::new()), "");
        assert_eq!(go_quote("\u{1}"), "\"\\x01\"");
    }
}
