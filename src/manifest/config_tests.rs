//! ConfigMaps, Secrets and the env read from them: loading, validation
//! errors with file:line:column and field path, resolution order, the
//! downward API, and what the spec hash and last-applied spec hold.

use std::path::Path;

use super::*;
use crate::desired::expand_offline;
use crate::fingerprint;
use crate::podmap::{fill_late, late_fields, pod_objects, LateField, LateValues, Target};

fn load_yaml(text: &str) -> Loaded {
    load_text(Path::new("m.yaml"), text, LoadOptions::default())
}

fn errors(loaded: &Loaded) -> Vec<String> {
    loaded.errors().map(ToString::to_string).collect()
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

const CONFIG: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  LOG_LEVEL: debug
  MODE: fast
binaryData:
  blob: aGk=
immutable: true
---
apiVersion: v1
kind: Secret
metadata:
  name: app-secret
type: kubernetes.io/basic-auth
data:
  password: aHVudGVyMg==
stringData:
  username: admin
---
";

fn pod(env: &str) -> String {
    format!(
        "{CONFIG}apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {{tier: backend}}
  annotations: {{team: blue}}
spec:
  containers:
  - name: app
    image: busybox:1
{env}"
    )
}

/// What `apply` reads once the pod runs: its IP, its node's address and
/// the node's 4 cpus and 8 GiB of memory.
fn node_values() -> LateValues {
    LateValues {
        pod_ip: "172.18.0.5".into(),
        host_ip: "172.18.0.1".into(),
        cpu_milli: 4000,
        memory_bytes: 8 << 30,
    }
}

/// The first container's env as it is created, late values filled.
fn env_of(text: &str) -> Vec<(String, String)> {
    let loaded = load_yaml(text);
    assert!(!loaded.has_errors(), "{:?}", errors(&loaded));
    let pods = expand_offline(&loaded.manifests);
    let target = Target {
        project: "shop",
        node: "local",
        infra_image: "pause",
    };
    let mut member = pod_objects(&target, &pods[0]).members.remove(0);
    fill_late(&mut member, &node_values());
    member
        .env
        .iter()
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn config_maps_and_secrets_load_as_objects() {
    let loaded = load_yaml(CONFIG);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let m = &loaded.manifests;
    let cm = &m.config_maps[0];
    assert_eq!(cm.meta.namespace, "default");
    assert_eq!(cm.data["LOG_LEVEL"], "debug");
    assert_eq!(cm.binary_data["blob"], b"hi");
    assert!(cm.immutable);
    let secret = &m.secrets[0];
    assert_eq!(secret.kind, "kubernetes.io/basic-auth");
    assert_eq!(secret.data["password"], b"hunter2");
    assert_eq!(secret.data["username"], b"admin");
    assert_eq!(m.object_count(), 2);
    assert!(!format!("{secret:?}").contains("hunter2"));
}

#[test]
fn a_secret_without_type_is_opaque_and_string_data_wins() {
    let text =
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: YQ==}\nstringData: {k: b}\n";
    let secret = &load_yaml(text).manifests.secrets[0];
    assert_eq!(secret.kind, "Opaque");
    assert_eq!(secret.data["k"], b"b");
}

#[test]
fn config_map_errors_name_the_place_and_the_field() {
    let text = "apiVersion: v1
kind: ConfigMap
metadata:
  name: Bad_Name
data:
  a/b: x
  same: text
binaryData:
  same: eQ==
  blob: not-base64!
unknownField: 1
";
    let loaded = load_yaml(text);
    assert!(errors(&loaded)
        .iter()
        .any(|e| e.starts_with("m.yaml:4:9: metadata.name: invalid name \"Bad_Name\"")));
    assert_error(
        &loaded,
        "m.yaml:6:3: data[a/b]: invalid key \"a/b\": a valid config key must consist of \
         alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or \
         'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
    assert_error(
        &loaded,
        "m.yaml:9:3: binaryData[same]: duplicate of key \"same\" present in data",
    );
    assert!(errors(&loaded)
        .iter()
        .any(|e| e.starts_with("m.yaml:10:9: binaryData[blob]: illegal base64 data:")));
    assert_error(
        &loaded,
        "m.yaml:11:1: unknownField: unknown field \"unknownField\"",
    );
}

#[test]
fn a_long_key_and_bad_secret_base64_are_errors() {
    let key = "k".repeat(254);
    let text = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\ndata:\n  {key}: YQ==\n  p: abc\n"
    );
    let loaded = load_yaml(&text);
    assert_error(
        &loaded,
        &format!(
            "m.yaml:5:3: data[{key}]: invalid key {key:?}: must be no more than 253 characters"
        ),
    );
    assert_error(
        &loaded,
        "m.yaml:6:6: data[p]: illegal base64 data: length 3 is not a multiple of 4 (is the value base64-encoded?)",
    );
}

#[test]
fn duplicate_config_maps_are_errors_naming_the_first() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
    let loaded = load_yaml(text);
    assert_error(
        &loaded,
        "m.yaml:5:1: metadata.name: duplicate ConfigMap \"default/c\": also defined at m.yaml:1:1",
    );
}

#[test]
fn env_reads_config_maps_secrets_and_env_from_with_kubernetes_precedence() {
    let env = env_of(&pod("    envFrom:
    - configMapRef: {name: app-config}
      prefix: CFG_
    - secretRef: {name: app-secret}
    env:
    - name: CFG_MODE
      value: mine
    - name: LEVEL
      valueFrom: {configMapKeyRef: {name: app-config, key: LOG_LEVEL}}
    - name: PASS
      valueFrom: {secretKeyRef: {name: app-secret, key: password}}
    - name: URL
      value: x-$(LEVEL)-$(CFG_MODE)
"));
    let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("CFG_LOG_LEVEL"), Some("debug"));
    assert_eq!(get("CFG_MODE"), Some("mine"));
    assert_eq!(get("password"), Some("hunter2"));
    assert_eq!(get("username"), Some("admin"));
    assert_eq!(get("LEVEL"), Some("debug"));
    assert_eq!(get("PASS"), Some("hunter2"));
    assert_eq!(get("URL"), Some("x-debug-mine"));
    // binaryData is not read into env, as the kubelet does.
    assert_eq!(get("CFG_blob"), None);
}

#[test]
fn missing_references_are_load_errors_in_the_kubelets_words() {
    let loaded = load_yaml(&pod("    envFrom:
    - secretRef: {name: nope}
    env:
    - name: A
      valueFrom: {configMapKeyRef: {name: absent, key: X}}
    - name: B
      valueFrom:
        configMapKeyRef: {name: app-config, key: NOPE}
    - name: C
      valueFrom: {secretKeyRef: {name: app-secret, key: nope}}
    - name: D
      valueFrom: {secretKeyRef: {name: gone, key: k}}
"));
    assert_error(
        &loaded,
        "m.yaml:33:18: spec.containers[0].envFrom[0].secretRef: secret \"nope\" not found",
    );
    assert_error(
        &loaded,
        "m.yaml:36:36: spec.containers[0].env[0].valueFrom.configMapKeyRef: configmap \"absent\" not found",
    );
    assert_error(
        &loaded,
        "m.yaml:39:26: spec.containers[0].env[1].valueFrom.configMapKeyRef: couldn't find key NOPE in ConfigMap default/app-config",
    );
    assert_error(
        &loaded,
        "m.yaml:41:33: spec.containers[0].env[2].valueFrom.secretKeyRef: couldn't find key nope in Secret default/app-secret",
    );
    assert_error(
        &loaded,
        "m.yaml:43:33: spec.containers[0].env[3].valueFrom.secretKeyRef: secret \"gone\" not found",
    );
}

#[test]
fn optional_missing_references_are_skipped() {
    let env = env_of(&pod("    envFrom:
    - configMapRef: {name: absent, optional: true}
    env:
    - name: A
      valueFrom: {configMapKeyRef: {name: app-config, key: NOPE, optional: true}}
    - name: B
      valueFrom: {secretKeyRef: {name: gone, key: k, optional: true}}
    - name: C
      value: c
"));
    assert_eq!(env, vec![("C".to_string(), "c".to_string())]);
}

#[test]
fn references_resolve_in_the_namespace_of_the_pod() {
    let text = pod("    env:
    - name: A
      valueFrom: {configMapKeyRef: {name: app-config, key: MODE}}
")
    .replace("  name: web\n", "  name: web\n  namespace: prod\n");
    assert_error(
        &load_yaml(&text),
        "m.yaml:35:36: spec.containers[0].env[0].valueFrom.configMapKeyRef: configmap \"app-config\" not found",
    );
}

#[test]
fn value_from_is_checked_as_the_api_server_does() {
    let loaded = load_yaml(&pod("    env:
    - name: A
      value: x
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: B
      valueFrom: {}
    - name: C
      valueFrom:
        fieldRef: {fieldPath: metadata.name}
        configMapKeyRef: {name: app-config, key: MODE}
    - name: D
      valueFrom: {configMapKeyRef: {name: app-config, key: 'a/b'}}
    - name: E
      valueFrom: {fieldRef: {fieldPath: metadata.labels}}
    envFrom:
    - prefix: P_
    - configMapRef: {name: app-config}
      secretRef: {name: app-secret}
"));
    assert_error(
        &loaded,
        "m.yaml:34:14: spec.containers[0].env[0].value: may not be specified together with valueFrom",
    );
    assert_error(
        &loaded,
        "m.yaml:37:18: spec.containers[0].env[1].valueFrom: must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
    );
    assert_error(
        &loaded,
        "m.yaml:40:9: spec.containers[0].env[2].valueFrom: may not have more than one field specified at a time",
    );
    assert!(errors(&loaded).iter().any(|e| {
        e.starts_with(
        "m.yaml:43:60: spec.containers[0].env[3].valueFrom.configMapKeyRef.key: invalid key \"a/b\""
    )
    }));
    assert_error(
        &loaded,
        "m.yaml:45:41: spec.containers[0].env[4].valueFrom.fieldRef.fieldPath: unsupported value \"metadata.labels\": supported values: \"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"metadata.labels['<KEY>']\", \"metadata.annotations['<KEY>']\", \"spec.nodeName\", \"spec.serviceAccountName\", \"status.podIP\", \"status.podIPs\", \"status.hostIP\", \"status.hostIPs\"",
    );
    assert_error(
        &loaded,
        "m.yaml:47:7: spec.containers[0].envFrom[0]: must specify one of: `configMapRef` or `secretRef`",
    );
    assert_error(
        &loaded,
        "m.yaml:48:7: spec.containers[0].envFrom[1]: may not have more than one field specified at a time",
    );
}

#[test]
fn resource_field_ref_reads_limits_and_requests_rounded_up() {
    let env = env_of(&pod("    resources:
      limits: {cpu: 500m, memory: 100Mi}
      requests: {cpu: 250m}
    env:
    - name: CPU
      valueFrom: {resourceFieldRef: {resource: limits.cpu}}
    - name: CPU_M
      valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}
    - name: MEM
      valueFrom: {resourceFieldRef: {resource: limits.memory}}
    - name: MEM_MI
      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}
    - name: MEM_G
      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1G}}
    - name: REQ_CPU_M
      valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: 1m}}
    - name: REQ_MEM
      valueFrom: {resourceFieldRef: {resource: requests.memory, containerName: app}}
"));
    let want = [
        ("CPU", "1"),
        ("CPU_M", "500"),
        ("MEM", "104857600"),
        ("MEM_MI", "100"),
        ("MEM_G", "1"),
        ("REQ_CPU_M", "250"),
        // Requests default to limits, as the API server defaults them.
        ("REQ_MEM", "104857600"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(env, want);
}

#[test]
fn a_limit_not_set_reads_the_nodes_allocatable_rounded_up() {
    let env = env_of(&pod("    resources:
      limits: {memory: 100Mi}
    env:
    - name: CPU
      valueFrom: {resourceFieldRef: {resource: limits.cpu}}
    - name: CPU_M
      valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}
    - name: MEM
      valueFrom: {resourceFieldRef: {resource: limits.memory}}
    - name: SIDE_MEM_G
      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1G, containerName: side}}
    - name: SIDE_MEM_GI
      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Gi, containerName: side}}
    - name: SIDE_REQ_CPU
      valueFrom: {resourceFieldRef: {resource: requests.cpu, containerName: side}}
    - name: WHERE
      value: $(CPU_M)m
  - name: side
    image: busybox:1
"));
    let want = [
        ("CPU", "4"),
        ("CPU_M", "4000"),
        // The container's own limit wins over the node's memory.
        ("MEM", "104857600"),
        // 8 GiB is 8.59 G: rounded up, as the kubelet's math.Ceil.
        ("SIDE_MEM_G", "9"),
        ("SIDE_MEM_GI", "8"),
        // No request and no limit: 0, the allocatable is for limits only.
        ("SIDE_REQ_CPU", "0"),
        ("WHERE", "4000m"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(env, want);
}

#[test]
fn the_nodes_allocatable_stays_out_of_the_spec_hash() {
    let limited = pod("    resources:
      limits: {cpu: '2'}
    env:
    - name: CPU
      valueFrom: {resourceFieldRef: {resource: limits.cpu}}
");
    let (spec, labels) = spec_of(&limited);
    let input = fingerprint::hash_input(&spec, &labels, None, &[], "pause");
    assert!(input.contains("limits.cpu"), "{input}");
    let (spec, labels) = spec_of(&pod("    env:
    - name: CPU
      valueFrom: {resourceFieldRef: {resource: limits.cpu}}
"));
    let input = fingerprint::hash_input(&spec, &labels, None, &[], "pause");
    assert!(!input.contains("resolvedEnv"), "{input}");
}

#[test]
fn resource_field_ref_errors_name_what_is_supported() {
    let loaded = load_yaml(&pod("    env:
    - name: A
      valueFrom: {resourceFieldRef: {resource: requests.cpu}}
    - name: B
      valueFrom: {resourceFieldRef: {resource: limits.gpu}}
    - name: C
      valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1Ki}}
    - name: D
      valueFrom: {resourceFieldRef: {resource: requests.cpu, containerName: other}}
"));
    assert_eq!(errors(&loaded).len(), 3, "{:?}", errors(&loaded));
    assert_error(
        &loaded,
        "m.yaml:36:48: spec.containers[0].env[1].valueFrom.resourceFieldRef.resource: unsupported value \"limits.gpu\": supported values: \"limits.cpu\", \"limits.memory\", \"requests.cpu\", \"requests.memory\"",
    );
    assert_error(
        &loaded,
        "m.yaml:38:69: spec.containers[0].env[2].valueFrom.resourceFieldRef.divisor: unsupported value \"1Ki\": supported values: \"1m\", \"1\"",
    );
    assert_error(
        &loaded,
        "m.yaml:40:37: spec.containers[0].env[3].valueFrom.resourceFieldRef: container \"other\" not found in the pod",
    );
}

#[test]
fn the_downward_api_gives_the_pods_own_values() {
    let env = env_of(&pod("    env:
    - name: NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: NS
      valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
    - name: UID
      valueFrom: {fieldRef: {fieldPath: metadata.uid}}
    - name: TIER
      valueFrom: {fieldRef: {fieldPath: \"metadata.labels['tier']\"}}
    - name: TEAM
      valueFrom: {fieldRef: {fieldPath: \"metadata.annotations['team']\"}}
    - name: NONE
      valueFrom: {fieldRef: {fieldPath: \"metadata.labels['absent']\"}}
    - name: NODE
      valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
    - name: SA
      valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName, apiVersion: v1}}
    - name: IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    - name: IPS
      valueFrom: {fieldRef: {fieldPath: status.podIPs}}
    - name: HOST
      valueFrom: {fieldRef: {fieldPath: status.hostIP}}
    - name: HOSTS
      valueFrom: {fieldRef: {fieldPath: status.hostIPs}}
    - name: ADDR
      value: $(IP):80
"));
    let want = [
        ("NAME", "web".to_string()),
        ("NS", "default".to_string()),
        ("UID", crate::kube::uid("shop", "Pod", "default", "web")),
        ("TIER", "backend".to_string()),
        ("TEAM", "blue".to_string()),
        ("NONE", String::new()),
        ("NODE", "local".to_string()),
        ("SA", "default".to_string()),
        ("IP", "172.18.0.5".to_string()),
        ("IPS", "172.18.0.5".to_string()),
        ("HOST", "172.18.0.1".to_string()),
        ("HOSTS", "172.18.0.1".to_string()),
        ("ADDR", "172.18.0.5:80".to_string()),
    ];
    let want: Vec<(String, String)> = want.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    assert_eq!(env, want);
}

#[test]
fn the_pod_ip_is_filled_in_env_and_command() {
    let loaded = load_yaml(&pod("    command: [echo, '$(IP)']
    env:
    - name: IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
"));
    let pods = expand_offline(&loaded.manifests);
    let target = Target {
        project: "shop",
        node: "local",
        infra_image: "pause",
    };
    let mut member = pod_objects(&target, &pods[0]).members.remove(0);
    assert_eq!(late_fields(&member), vec![LateField::PodIp]);
    fill_late(&mut member, &node_values());
    assert_eq!(member.env, vec!["IP=172.18.0.5"]);
    let want = vec!["echo".to_string(), "172.18.0.5".to_string()];
    assert_eq!(member.entrypoint, Some(want));
    assert!(late_fields(&member).is_empty());
}

const SECRET_ENV: &str = "    env:
    - name: PASS
      valueFrom: {secretKeyRef: {name: app-secret, key: password}}
    - name: LEVEL
      valueFrom: {configMapKeyRef: {name: app-config, key: LOG_LEVEL}}
";

fn spec_of(text: &str) -> (PodSpec, Labels) {
    let loaded = load_yaml(text);
    assert!(!loaded.has_errors(), "{:?}", errors(&loaded));
    let pod = &loaded.manifests.pods[0];
    (pod.spec.clone(), pod.meta.labels.clone())
}

#[test]
fn a_secret_enters_the_hash_only_as_a_digest_and_never_the_last_applied_spec() {
    let (spec, labels) = spec_of(&pod(SECRET_ENV));
    let input = fingerprint::hash_input(&spec, &labels, None, &[], "pause");
    assert!(!input.contains("hunter2"), "{input}");
    assert!(input.contains(&Sensitive("hunter2".into()).digest()));
    assert!(input.contains("\"value\":\"debug\""));
    let applied = fingerprint::last_applied(&spec, &labels);
    assert!(!applied.contains("hunter2"), "{applied}");
    assert!(!applied.contains("debug"), "{applied}");
    assert!(applied.contains("\"secretKeyRef\""), "{applied}");
    assert!(applied.contains("\"configMapKeyRef\""), "{applied}");
    let sources = fingerprint::env_sources_label(&spec).unwrap();
    assert!(!sources.contains("hunter2"));
    assert!(!sources.contains(&Sensitive("hunter2".into()).digest()));
    // The last-applied spec reads back, references and all.
    let json: serde_json::Value = serde_json::from_str(&applied).unwrap();
    let back: PodSpec = serde_json::from_value(json["spec"].clone()).unwrap();
    assert_eq!(back.containers[0].env, spec.containers[0].env);
}

#[test]
fn a_changed_value_changes_the_hash_and_names_the_key() {
    let (before, labels) = spec_of(&pod(SECRET_ENV));
    let hash = |spec: &PodSpec| fingerprint::spec_hash(spec, &labels, None, &[], "pause");
    let (level, _) = spec_of(&pod(SECRET_ENV).replace("LOG_LEVEL: debug", "LOG_LEVEL: info"));
    let (secret, _) = spec_of(&pod(SECRET_ENV).replace("aHVudGVyMg==", "aHVudGVyMw=="));
    let (unused, _) = spec_of(&pod(SECRET_ENV).replace("MODE: fast", "MODE: slow"));
    assert_ne!(hash(&before), hash(&level));
    assert_ne!(hash(&before), hash(&secret));
    assert_eq!(
        hash(&before),
        hash(&unused),
        "a key no env reads changes nothing"
    );
    let recorded = fingerprint::env_sources_label(&before);
    assert_eq!(
        fingerprint::env_source_changes(recorded.as_deref(), &level),
        vec!["ConfigMap default/app-config key LOG_LEVEL changed"]
    );
    assert_eq!(
        fingerprint::env_source_changes(recorded.as_deref(), &secret),
        vec!["Secret default/app-secret key password changed"]
    );
}

#[test]
fn pods_without_references_keep_the_hash_they_had() {
    let (spec, labels) = spec_of(&pod("    env:\n    - {name: A, value: b}\n"));
    let input = fingerprint::hash_input(&spec, &labels, None, &[], "pause");
    assert!(!input.contains("resolvedEnv"), "{input}");
    assert_eq!(fingerprint::env_sources_label(&spec), None);
}

#[test]
fn controller_templates_resolve_in_their_namespace() {
    let text = format!(
        "{CONFIG}apiVersion: v1
kind: ReplicationController
metadata: {{name: web}}
spec:
  replicas: 2
  selector: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: app
        image: busybox:1
        env:
        - name: LEVEL
          valueFrom: {{configMapKeyRef: {{name: app-config, key: LOG_LEVEL}}}}
        - name: NAME
          valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}
"
    );
    let loaded = load_yaml(&text);
    assert!(!loaded.has_errors(), "{:?}", errors(&loaded));
    let pods = expand_offline(&loaded.manifests);
    let target = Target {
        project: "shop",
        node: "local",
        infra_image: "pause",
    };
    let envs: Vec<Vec<String>> = pods
        .iter()
        .map(|p| pod_objects(&target, p).members[0].env.clone())
        .collect();
    assert_eq!(
        envs,
        vec![
            vec!["LEVEL=debug".to_string(), "NAME=web-0".to_string()],
            vec!["LEVEL=debug".to_string(), "NAME=web-1".to_string()],
        ]
    );
}
