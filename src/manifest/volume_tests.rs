//! ConfigMap, Secret, downward API and projected volumes: loading,
//! validation errors with file:line:column and field path, and the files
//! resolved from the loaded ConfigMaps and Secrets with their modes.

use std::path::Path;

use super::*;

fn load_yaml(text: &str) -> Loaded {
    load_text(Path::new("m.yaml"), text, LoadOptions::default())
}

fn errors(loaded: &Loaded) -> Vec<String> {
    loaded.errors().map(ToString::to_string).collect()
}

fn warnings(loaded: &Loaded) -> Vec<String> {
    loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(ToString::to_string)
        .collect()
}

#[track_caller]
fn assert_error(loaded: &Loaded, want: &str) {
    let all = errors(loaded);
    assert!(
        all.iter().any(|e| e == want),
        "want error {want:?}, got:\n{}",
        all.join("\n")
    );
}

const OBJECTS: &str = "apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {LOG_LEVEL: debug, MODE: fast}
binaryData: {blob: aGk=}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: hunter2, user: admin}
---
";

/// A pod mounting `cfg` at /etc/cfg, with `volume` (indented as a list
/// item under `volumes:`).
fn pod(volume: &str) -> String {
    format!(
        "{OBJECTS}apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {{app: web}}
  annotations: {{team: blue}}
spec:
  containers:
  - name: app
    image: busybox:1
    resources: {{limits: {{memory: 64Mi}}}}
    volumeMounts:
    - {{name: cfg, mountPath: /etc/cfg}}
  volumes:
  - name: cfg
{volume}"
    )
}

/// (path, mode, content as text) of the pod's one volume.
fn files(loaded: &Loaded) -> Vec<(String, u32, String)> {
    loaded.manifests.pods[0].spec.volumes[0]
        .files
        .iter()
        .map(|f| {
            let content = match &f.content {
                FileContent::Known { data, .. } => String::from_utf8_lossy(data).into_owned(),
                FileContent::Secret { data, .. } => String::from_utf8_lossy(&data.0).into_owned(),
                FileContent::Pod(field) => format!("<{field}>"),
            };
            (f.path.clone(), f.mode, content)
        })
        .collect()
}

fn entry(path: &str, mode: u32, content: &str) -> (String, u32, String) {
    (path.to_string(), mode, content.to_string())
}

#[test]
fn a_config_map_volume_holds_every_key_text_and_binary() {
    let loaded = load_yaml(&pod("    configMap: {name: app-config}\n"));
    assert!(errors(&loaded).is_empty(), "{:?}", errors(&loaded));
    assert!(warnings(&loaded).is_empty(), "{:?}", warnings(&loaded));
    assert_eq!(
        files(&loaded),
        [
            entry("LOG_LEVEL", 0o644, "debug"),
            entry("MODE", 0o644, "fast"),
            entry("blob", 0o644, "hi"),
        ]
    );
}

#[test]
fn items_choose_keys_paths_and_modes() {
    let loaded = load_yaml(&pod("    configMap:
      name: app-config
      defaultMode: 0600
      items:
      - {key: LOG_LEVEL, path: conf/level}
      - {key: MODE, path: mode, mode: 0444}
"));
    assert!(errors(&loaded).is_empty(), "{:?}", errors(&loaded));
    assert_eq!(
        files(&loaded),
        [
            entry("conf/level", 0o600, "debug"),
            entry("mode", 0o444, "fast")
        ]
    );
}

#[test]
fn secret_files_are_readable_by_their_owner_only_unless_default_mode_says() {
    let loaded = load_yaml(&pod("    secret: {secretName: creds}\n"));
    assert!(errors(&loaded).is_empty(), "{:?}", errors(&loaded));
    assert_eq!(
        files(&loaded),
        [
            entry("password", 0o400, "hunter2"),
            entry("user", 0o400, "admin")
        ]
    );
    let loaded = load_yaml(&pod("    secret: {secretName: creds, defaultMode: 0440}\n"));
    assert_eq!(files(&loaded)[0].1, 0o440);
}

#[test]
fn secret_bytes_never_show_in_debug_output() {
    let loaded = load_yaml(&pod("    secret: {secretName: creds}\n"));
    let debug = format!("{:?}", loaded.manifests.pods[0]);
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("(sensitive, 7 bytes)"), "{debug}");
    let last_applied = crate::fingerprint::last_applied(
        &loaded.manifests.pods[0].spec,
        &loaded.manifests.pods[0].meta.labels,
    );
    assert!(!last_applied.contains("hunter2"), "{last_applied}");
    assert!(
        last_applied.contains("\"secretName\": \"creds\""),
        "{last_applied}"
    );
}

#[test]
fn a_missing_object_or_key_is_an_error_in_the_kubelets_words_unless_optional() {
    let loaded = load_yaml(&pod("    configMap: {name: nope}\n"));
    assert_error(
        &loaded,
        "m.yaml:27:16: spec.volumes[0].configMap: configmap \"nope\" not found",
    );
    let loaded = load_yaml(&pod("    secret: {secretName: nope}\n"));
    assert_error(
        &loaded,
        "m.yaml:27:13: spec.volumes[0].secret: secret \"nope\" not found",
    );
    let loaded = load_yaml(&pod("    configMap: {name: nope, optional: true}\n"));
    assert!(errors(&loaded).is_empty(), "{:?}", errors(&loaded));
    assert!(files(&loaded).is_empty());
    let missing_key = "    configMap:
      name: app-config
      items: [{key: NOPE, path: x}]
";
    assert_error(
        &load_yaml(&pod(missing_key)),
        "m.yaml:28:7: spec.volumes[0].configMap: configmap references non-existent config key: NOPE",
    );
    let optional = format!("{missing_key}      optional: true\n");
    let loaded = load_yaml(&pod(&optional));
    assert!(errors(&loaded).is_empty(), "{:?}", errors(&loaded));
}

#[test]
fn paths_modes_and_names_are_checked_as_the_api_server_checks_them() {
    let cases = [
        (
            "    configMap: {name: app-config, defaultMode: 01000}\n",
            "m.yaml:27:48: spec.volumes[0].configMap.defaultMode: must be a number between 0 and 0777 (octal), both inclusive (found 512, 0o1000)",
        ),
        (
            "    configMap: {name: app-config, items: [{key: MODE, path: ../x}]}\n",
            "m.yaml:27:61: spec.volumes[0].configMap.items[0].path: must not contain '..'",
        ),
        (
            "    configMap: {name: app-config, items: [{key: MODE, path: /x}]}\n",
            "m.yaml:27:61: spec.volumes[0].configMap.items[0].path: must be a relative path",
        ),
        (
            "    configMap: {name: app-config, items: [{key: MODE, path: ..data}]}\n",
            "m.yaml:27:61: spec.volumes[0].configMap.items[0].path: must not start with '..'",
        ),
        (
            "    secret: {defaultMode: 0400}\n",
            "m.yaml:27:13: spec.volumes[0].secret.secretName: required field is missing",
        ),
        (
            "    configMap: {name: App_Config}\n",
            "m.yaml:27:23: spec.volumes[0].configMap.name: invalid name \"App_Config\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        ),
    ];
    for (volume, want) in cases {
        assert_error(&load_yaml(&pod(volume)), want);
    }
}

#[test]
fn a_downward_api_volume_holds_the_pods_fields() {
    let loaded = load_yaml(&pod("    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: annotations, fieldRef: {fieldPath: metadata.annotations}}
      - {path: ns, fieldRef: {fieldPath: metadata.namespace}}
      - {path: name, fieldRef: {fieldPath: metadata.name}}
      - {path: mem, resourceFieldRef: {containerName: app, resource: limits.memory, divisor: 1Mi}}
"));
    assert!(errors(&loaded).is_empty(), "{:?}", errors(&loaded));
    assert_eq!(
        files(&loaded),
        [
            entry("annotations", 0o644, "team=\"blue\""),
            entry("labels", 0o644, "<metadata.labels>"),
            entry("mem", 0o644, "64"),
            entry("name", 0o644, "<metadata.name>"),
            entry("ns", 0o644, "default"),
        ]
    );
}

#[test]
fn downward_api_volume_fields_are_those_kubernetes_allows_in_files() {
    let loaded = load_yaml(&pod("    downwardAPI:
      items: [{path: ip, fieldRef: {fieldPath: status.podIP}}]
"));
    let all = errors(&loaded).join("\n");
    assert!(
        all.contains("spec.volumes[0].downwardAPI.items[0].fieldRef.fieldPath: unsupported value \"status.podIP\""),
        "{all}"
    );
    let loaded = load_yaml(&pod("    downwardAPI:
      items: [{path: cpu, resourceFieldRef: {resource: limits.cpu}}]
"));
    let all = errors(&loaded).join("\n");
    assert!(
        all.contains("spec.volumes[0].downwardAPI.items[0].resourceFieldRef.containerName: required field is missing"),
        "{all}"
    );
}

#[test]
fn a_projected_volume_merges_its_sources_and_refuses_duplicate_paths() {
    let loaded = load_yaml(&pod("    projected:
      sources:
      - configMap: {name: app-config, items: [{key: MODE, path: mode}]}
      - secret: {name: creds, items: [{key: user, path: user}]}
      - downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}]}
"));
    assert!(errors(&loaded).is_empty(), "{:?}", errors(&loaded));
    assert_eq!(
        files(&loaded),
        [
            entry("mode", 0o644, "fast"),
            entry("name", 0o644, "<metadata.name>"),
            entry("user", 0o400, "admin"),
        ]
    );
    let loaded = load_yaml(&pod("    projected:
      sources:
      - configMap: {name: app-config, items: [{key: MODE, path: same}]}
      - secret: {name: creds, items: [{key: user, path: same}]}
"));
    let all = errors(&loaded).join("\n");
    assert!(
        all.contains("spec.volumes[0].projected.sources[1]: conflicting duplicate paths: \"same\" (also spec.volumes[0].projected.sources[0])"),
        "{all}"
    );
}

#[test]
fn service_account_tokens_are_reported_unsupported_and_the_volume_left_out() {
    let loaded = load_yaml(&pod("    projected:
      sources:
      - serviceAccountToken: {path: token}
"));
    assert!(errors(&loaded).is_empty(), "{:?}", errors(&loaded));
    let said = warnings(&loaded).join("\n");
    assert!(
        said.contains("spec.volumes[0].projected.sources[0].serviceAccountToken: serviceAccountToken projections are not supported by berth"),
        "{said}"
    );
    assert!(loaded.manifests.pods[0].spec.volumes.is_empty());
}

#[test]
fn a_sub_path_into_such_a_volume_loads_without_a_warning() {
    let text = pod("    configMap: {name: app-config}\n").replace(
        "- {name: cfg, mountPath: /etc/cfg}",
        "- {name: cfg, mountPath: /etc/app.conf, subPath: MODE}",
    );
    let loaded = load_yaml(&text);
    assert!(errors(&loaded).is_empty(), "{:?}", errors(&loaded));
    assert!(warnings(&loaded).is_empty(), "{:?}", warnings(&loaded));
}
