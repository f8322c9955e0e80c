//! ConfigMaps and Secrets under apps/v1 controllers on a real engine: a
//! changed ConfigMap value rolls a Deployment and a DaemonSet and `diff`
//! names the key that causes it; a Secret a Deployment reads shows in no
//! berth output, no berth log and no Docker label, only in the env of the
//! containers (that is how env works).

mod common;

use std::collections::BTreeMap;

use common::watch::Watcher;
use common::*;

fn config(level: &str) -> String {
    format!(
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  LOG_LEVEL: {level}
  MODE: fast
"
    )
}

/// A Deployment of 2 and a DaemonSet, both reading LOG_LEVEL.
const APPS: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: IMAGE
        imagePullPolicy: Never
        command: [sleep, '3600']
        env:
        - name: LEVEL
          valueFrom: {configMapKeyRef: {name: app-config, key: LOG_LEVEL}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: IMAGE
        imagePullPolicy: Never
        command: [sleep, '3600']
        envFrom:
        - configMapRef: {name: app-config}
";

/// The container's environment as `env` prints it, by name; empty when
/// the container is gone (a rollout removed it meanwhile).
fn env_of(container: &str) -> BTreeMap<String, String> {
    try_docker(&["exec", container, "env"])
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `name`'s value in the `main` container of every live pod that has it.
fn values(project: &Project, name: &str) -> Vec<String> {
    live_pod_names(project)
        .iter()
        .filter_map(|pod| {
            let env = env_of(&container_name(project, pod, "main"));
            env.get(name).cloned()
        })
        .collect()
}

#[test]
fn diff_names_the_config_map_key_that_rolls_a_deployment_and_a_daemon_set() {
    let project = Project::new("cfgapps");
    let dir = ManifestDir::new();
    dir.write("config.yaml", &config("debug"));
    dir.write("apps.yaml", &APPS.replace("IMAGE", TEST_IMAGE));
    apply_ok(&project, &dir);
    assert_eq!(values(&project, "LOG_LEVEL"), ["debug"], "the DaemonSet's");
    dir.write("config.yaml", &config("info"));
    let planned = diff(&project, &dir);
    assert_exit(&planned, 1);
    for object in ["deployment default/web", "daemonset default/agent"] {
        assert_says(
            &planned.stdout,
            &format!(
                "{object} (rollout: env source changed)\n    \
                 ConfigMap default/app-config key LOG_LEVEL changed\n"
            ),
        );
    }
    assert!(
        !planned.stdout.contains("key MODE"),
        "an unchanged key is not named:\n{}",
        planned.stdout
    );
    let out = apply_ok(&project, &dir);
    assert_says(
        &out.stdout,
        "rollout: ConfigMap default/app-config key LOG_LEVEL changed",
    );
    let levels = values(&project, "LEVEL");
    assert_eq!(levels, ["info", "info"], "the Deployment's pods rolled");
    assert_eq!(values(&project, "LOG_LEVEL"), ["info"], "the DaemonSet's");
    assert_exit(&diff(&project, &dir), 0);
}

const SECRET_VALUE: &str = "Zq9-deploy-s3cret-value";
const NEW_VALUE: &str = "Zq9-rotated-s3cret-value";
/// The first 18 bytes of each value in base64: found however the rest of
/// an encoded text is aligned.
const BASE64_HEADS: [&str; 2] = ["WnE5LWRlcGxveS1zM2Ny", "WnE5LXJvdGF0ZWQtczNj"];

fn secret(value: &str) -> String {
    format!(
        "apiVersion: v1
kind: Secret
metadata:
  name: app-secret
type: Opaque
stringData:
  API_TOKEN: {value}
"
    )
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: IMAGE
        imagePullPolicy: Never
        command: [sleep, '3600']
        envFrom:
        - secretRef: {name: app-secret}
          prefix: FROM_
        env:
        - name: TOKEN
          valueFrom: {secretKeyRef: {name: app-secret, key: API_TOKEN}}
";

#[track_caller]
fn assert_no_secret(what: &str, text: &str) {
    for secret in [SECRET_VALUE, NEW_VALUE].iter().chain(&BASE64_HEADS) {
        assert!(
            !text.contains(secret),
            "{what} shows the secret {secret:?}:\n{text}"
        );
    }
}

#[test]
fn a_secret_a_deployment_reads_shows_only_in_its_containers_env() {
    let project = Project::new("cfgsecdep");
    let dir = ManifestDir::new();
    let path = dir.path().to_str().unwrap().to_string();
    dir.write("secret.yaml", &secret(SECRET_VALUE));
    dir.write("web.yaml", &DEPLOYMENT.replace("IMAGE", TEST_IMAGE));
    let mut outputs = vec![("apply", apply_ok(&project, &dir))];
    // A changed Secret: diff names the key, never the value.
    dir.write("secret.yaml", &secret(NEW_VALUE));
    let planned = diff(&project, &dir);
    assert_says(
        &planned.stdout,
        "deployment default/web (rollout: env source changed)\n    \
         Secret default/app-secret key API_TOKEN changed\n",
    );
    outputs.push(("diff", planned));
    // berth's own log, while `watch` rolls the Deployment to the new value.
    let mut watch = Watcher::start_with_env(&project, dir.path(), &[], &[("BERTH_LOG", "debug")]);
    let rolled = wait_until(BERTH_TIMEOUT, || {
        let tokens = values(&project, "TOKEN");
        tokens.len() == 2 && tokens.iter().all(|t| t == NEW_VALUE)
    });
    watch.terminate(PATIENCE);
    let log = watch.log();
    assert!(rolled, "watch rolled to the new Secret value:\n{log}");
    assert_no_secret("berth watch's log", &log);
    assert_says(
        &log,
        "deployment default/web updated (rollout: Secret default/app-secret key API_TOKEN changed)",
    );
    outputs.push(("apply again", apply_ok(&project, &dir)));
    let pod = live_pod_names(&project)[0].clone();
    for args in [
        vec!["get", "pods", "-o", "json"],
        vec!["get", "pods", "-o", "yaml"],
        vec!["get", "deployments", "-o", "json"],
        vec!["get", "deployments", "-o", "yaml"],
        vec!["get", "replicasets", "-o", "yaml"],
        vec!["describe", "pod", &pod],
        vec!["events"],
        vec!["events", "-o", "json"],
        vec!["get", "pods", "-f", &path, "-o", "yaml"],
        vec!["validate", &path],
    ] {
        let out = in_project(&project, &args);
        assert_exit(&out, 0);
        outputs.push(("berth", out));
    }
    for (what, out) in &outputs {
        assert_no_secret(what, &out.stdout);
        assert_no_secret(what, &out.stderr);
    }
    // Every container's labels (the records' too), and its whole inspect
    // but for the env: the env is where Kubernetes puts the value.
    let ids = container_ids(&project);
    assert!(
        ids.len() >= 6,
        "2 pods of 2 containers and records: {ids:?}"
    );
    for id in ids {
        let labels = docker(&["inspect", "--format", "{{json .Config.Labels}}", &id]);
        assert_no_secret("a container's labels", &labels);
        let inspect: serde_json::Value =
            serde_json::from_str(&docker(&["inspect", &id])).expect("inspect is JSON");
        let mut without_env = inspect[0].clone();
        without_env["Config"]["Env"] = serde_json::Value::Null;
        assert_no_secret("docker inspect (env aside)", &without_env.to_string());
    }
    for pod in live_pod_names(&project) {
        let env = env_of(&container_name(&project, &pod, "main"));
        assert_eq!(env.get("TOKEN").map(String::as_str), Some(NEW_VALUE));
        assert_eq!(
            env.get("FROM_API_TOKEN").map(String::as_str),
            Some(NEW_VALUE)
        );
    }
}
