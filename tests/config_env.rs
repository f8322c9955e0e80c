//! Env from ConfigMaps, Secrets and the downward API on a real Docker
//! engine (issue 9): values reach the containers, `status.podIP` is the
//! pod's IP, a changed ConfigMap value recreates the pod, and a Secret's
//! value shows in no berth output and no Docker label.

mod common;

use common::*;

const SECRET_VALUE: &str = "hunter2-s3cr3t-value";

fn config(level: &str) -> String {
    format!(
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  LOG_LEVEL: {level}
  MODE: fast
  dashed-key: x
"
    )
}

/// `hunter2-s3cr3t-value` in base64, and a `stringData` key.
const SECRET: &str = "apiVersion: v1
kind: Secret
metadata:
  name: app-secret
type: Opaque
data:
  PASSWORD: aHVudGVyMi1zM2NyM3QtdmFsdWU=
stringData:
  USER: admin
";

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: app
  labels:
    tier: backend
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: main
    image: IMAGE
    imagePullPolicy: Never
    command: [sleep, '3600']
    envFrom:
    - prefix: CFG_
      configMapRef:
        name: app-config
    - secretRef:
        name: app-secret
    env:
    - name: LEVEL
      valueFrom:
        configMapKeyRef: {name: app-config, key: LOG_LEVEL}
    - name: DB_PASSWORD
      valueFrom:
        secretKeyRef: {name: app-secret, key: PASSWORD}
    - name: CFG_MODE
      value: overridden
    - name: MAYBE
      valueFrom:
        configMapKeyRef: {name: absent, key: x, optional: true}
    - name: POD_NAME
      valueFrom:
        fieldRef: {fieldPath: metadata.name}
    - name: POD_NAMESPACE
      valueFrom:
        fieldRef: {fieldPath: metadata.namespace}
    - name: POD_UID
      valueFrom:
        fieldRef: {fieldPath: metadata.uid}
    - name: TIER
      valueFrom:
        fieldRef: {fieldPath: \"metadata.labels['tier']\"}
    - name: NODE
      valueFrom:
        fieldRef: {fieldPath: spec.nodeName}
    - name: POD_IP
      valueFrom:
        fieldRef: {fieldPath: status.podIP}
    - name: URL
      value: http://$(POD_IP):8080/$(LEVEL)
    - name: MEMORY_MI
      valueFrom:
        resourceFieldRef: {resource: limits.memory, divisor: 1Mi}
    resources:
      limits: {memory: 64Mi}
";

fn write_all(dir: &ManifestDir, level: &str) {
    dir.write("config.yaml", &config(level));
    dir.write("secret.yaml", SECRET);
    dir.write("pod.yaml", &POD.replace("IMAGE", TEST_IMAGE));
}

/// The container's environment as `env` prints it, by name.
fn env_of(container: &str) -> std::collections::BTreeMap<String, String> {
    docker(&["exec", container, "env"])
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn env_comes_from_config_maps_secrets_and_the_downward_api() {
    let project = Project::new("cfgenv");
    let dir = ManifestDir::new();
    write_all(&dir, "debug");
    apply_ok(&project, &dir);
    let env = env_of(&container_name(&project, "app", "main"));
    let get = |k: &str| env.get(k).map(String::as_str);
    assert_eq!(get("CFG_LOG_LEVEL"), Some("debug"));
    assert_eq!(get("CFG_MODE"), Some("overridden"), "env overrides envFrom");
    assert_eq!(get("LEVEL"), Some("debug"));
    assert_eq!(get("PASSWORD"), Some(SECRET_VALUE));
    assert_eq!(get("USER"), Some("admin"));
    assert_eq!(get("DB_PASSWORD"), Some(SECRET_VALUE));
    assert_eq!(
        get("CFG_dashed-key"),
        Some("x"),
        "current Kubernetes' relaxed names"
    );
    assert_eq!(
        get("MAYBE"),
        None,
        "an optional missing ConfigMap is skipped"
    );
    assert_eq!(get("POD_NAME"), Some("app"));
    assert_eq!(get("POD_NAMESPACE"), Some("default"));
    assert_eq!(get("TIER"), Some("backend"));
    assert_eq!(get("NODE"), Some("local"));
    assert_eq!(get("MEMORY_MI"), Some("64"));
    let pod = live_pod(&project, "app").expect("pod app is live");
    let ip = pod["status"]["podIP"].as_str().expect("a pod IP");
    assert_eq!(get("POD_IP"), Some(ip), "status.podIP is the pod's IP");
    assert_eq!(get("URL"), Some(format!("http://{ip}:8080/debug").as_str()));
    assert_eq!(get("POD_UID"), pod["metadata"]["uid"].as_str());
}

#[test]
fn a_changed_config_map_value_recreates_the_pod() {
    let project = Project::new("cfgroll");
    let dir = ManifestDir::new();
    write_all(&dir, "debug");
    apply_ok(&project, &dir);
    let before = container_ids(&project);
    write_all(&dir, "info");
    let planned = diff(&project, &dir);
    assert_exit(&planned, 1);
    assert_says(
        &planned.stdout,
        "ConfigMap default/app-config key LOG_LEVEL changed",
    );
    let out = apply_ok(&project, &dir);
    assert_says(&out.stdout, "recreated");
    let env = env_of(&container_name(&project, "app", "main"));
    assert_eq!(env.get("LEVEL").map(String::as_str), Some("info"));
    assert_ne!(before, container_ids(&project));
    // Unchanged again: nothing to do.
    assert_exit(&diff(&project, &dir), 0);
}

#[test]
fn a_secret_value_shows_in_no_output_and_no_label() {
    let project = Project::new("cfgsecret");
    let dir = ManifestDir::new();
    write_all(&dir, "debug");
    let path = dir.path().to_str().unwrap().to_string();
    let mut outputs = vec![apply_ok(&project, &dir)];
    // A changed secret: the diff and the apply that follow.
    dir.write("secret.yaml", &SECRET.replace("USER: admin", "USER: root"));
    outputs.push(diff(&project, &dir));
    outputs.push(apply_ok(&project, &dir));
    outputs.push(in_project(&project, &["get", "pods", "-o", "json"]));
    outputs.push(in_project(&project, &["get", "pods", "-o", "yaml"]));
    outputs.push(in_project(&project, &["describe", "pod", "app"]));
    outputs.push(berth(&["get", "pods", "-f", &path, "-o", "json"]));
    outputs.push(berth(&["validate", &path]));
    for out in &outputs {
        for text in [&out.stdout, &out.stderr] {
            assert!(
                !text.contains(SECRET_VALUE),
                "secret value printed:\n{text}"
            );
            assert!(
                !text.contains("aHVudGVyMi1zM2NyM3Qt"),
                "secret data printed:\n{text}"
            );
        }
    }
    for name in container_ids(&project) {
        let labels = docker(&["inspect", "--format", "{{json .Config.Labels}}", &name]);
        assert!(!labels.contains(SECRET_VALUE), "secret in labels: {labels}");
        assert!(
            !labels.contains("aHVudGVyMi1zM2NyM3Qt"),
            "secret in labels: {labels}"
        );
    }
    // The secret's change reached the container.
    let env = env_of(&container_name(&project, "app", "main"));
    assert_eq!(env.get("USER").map(String::as_str), Some("root"));
}

#[test]
fn a_missing_config_map_is_a_load_error_at_the_reference() {
    let project = Project::new("cfgmissing");
    let dir = ManifestDir::new();
    dir.write("pod.yaml", &POD.replace("IMAGE", TEST_IMAGE));
    dir.write("secret.yaml", SECRET);
    let out = apply(&project, &dir);
    assert_exit(&out, 2);
    assert_says(&out.stderr, "configmap \"app-config\" not found");
    assert_says(&out.stderr, "pod.yaml:17:9: spec.containers[0].envFrom[0].configMapRef: configmap \"app-config\" not found");
    assert!(project.containers().is_empty(), "nothing is applied");
}

fn controller(level: &str) -> String {
    let rc = "apiVersion: v1
kind: ReplicationController
metadata:
  name: web
spec:
  replicas: 2
  selector: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: IMAGE
        imagePullPolicy: Never
        command: [sleep, '3600']
        env:
        - name: LEVEL
          valueFrom:
            configMapKeyRef: {name: app-config, key: LOG_LEVEL}
        - name: POD_NAME
          valueFrom:
            fieldRef: {fieldPath: metadata.name}
";
    format!("{}---\n{}", config(level), rc.replace("IMAGE", TEST_IMAGE))
}

#[test]
fn a_changed_config_map_value_rolls_a_controllers_pods() {
    let project = Project::new("cfgrc");
    let dir = ManifestDir::new();
    dir.write("all.yaml", &controller("debug"));
    apply_ok(&project, &dir);
    let level = |pod: &str| {
        let env = env_of(&container_name(&project, pod, "main"));
        (env.get("LEVEL").cloned(), env.get("POD_NAME").cloned())
    };
    assert_eq!(level("web-0"), (Some("debug".into()), Some("web-0".into())));
    dir.write("all.yaml", &controller("info"));
    let planned = diff(&project, &dir);
    assert_says(
        &planned.stdout,
        "rc default/web (rollout: env source changed)\n    ConfigMap default/app-config key LOG_LEVEL changed\n",
    );
    let out = apply_ok(&project, &dir);
    assert_says(&out.stdout, "2 created, 0 recreated, 2 removed");
    let mut pods = live_pod_names(&project);
    pods.sort();
    assert_eq!(pods.len(), 2, "{pods:?}");
    for pod in &pods {
        assert_eq!(level(pod), (Some("info".into()), Some(pod.clone())));
    }
    assert_exit(&diff(&project, &dir), 0);
}
