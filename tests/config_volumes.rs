//! ConfigMap, Secret, downward API and projected volumes on a real Docker
//! engine (issue 9): the files reach the containers with their modes, a
//! changed ConfigMap or Secret updates the files of the running pod in
//! place (the same containers, no restart), readers never see a missing or
//! partial file while it happens, and `berth watch` does the same when a
//! manifest file changes.

mod common;

use std::time::Duration;

use common::watch::Watcher;
use common::*;

fn config(level: &str) -> String {
    format!(
        "apiVersion: v1
kind: ConfigMap
metadata: {{name: app-config}}
data:
  LOG_LEVEL: {level}
  app.ini: |
    [main]
    level = {level}
"
    )
}

const SECRET: &str = "apiVersion: v1
kind: Secret
metadata: {name: app-secret}
stringData: {password: hunter2-volume-secret}
";

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: app
  labels: {app: files, tier: backend}
  annotations: {team: blue}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: main
    image: IMAGE
    imagePullPolicy: Never
    command: [sleep, '3600']
    volumeMounts:
    - {name: cfg, mountPath: /etc/cfg}
    - {name: picked, mountPath: /etc/picked}
    - {name: sec, mountPath: /etc/sec}
    - {name: info, mountPath: /etc/podinfo}
    - {name: all, mountPath: /etc/all}
    - {name: cfg, mountPath: /etc/app.ini, subPath: app.ini}
  volumes:
  - name: cfg
    configMap: {name: app-config}
  - name: picked
    configMap:
      name: app-config
      defaultMode: 0640
      items:
      - {key: app.ini, path: conf/app.ini}
      - {key: LOG_LEVEL, path: level, mode: 0444}
  - name: sec
    secret: {secretName: app-secret}
  - name: info
    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: annotations, fieldRef: {fieldPath: metadata.annotations}}
      - {path: name, fieldRef: {fieldPath: metadata.name}}
      - {path: uid, fieldRef: {fieldPath: metadata.uid}}
  - name: all
    projected:
      sources:
      - configMap: {name: app-config, items: [{key: LOG_LEVEL, path: level}]}
      - secret: {name: app-secret, items: [{key: password, path: pw}]}
      - downwardAPI: {items: [{path: tier, fieldRef: {fieldPath: \"metadata.labels['tier']\"}}]}
";

fn write_all(dir: &ManifestDir, level: &str) {
    dir.write("config.yaml", &config(level));
    dir.write("secret.yaml", SECRET);
    dir.write("pod.yaml", &POD.replace("IMAGE", TEST_IMAGE));
}

fn sh(container: &str, script: &str) -> String {
    docker(&["exec", container, "sh", "-c", script])
}

fn restart_count(container: &str) -> String {
    docker(&["inspect", "--format", "{{.RestartCount}}", container])
}

#[test]
fn files_reach_the_container_with_their_modes() {
    let project = Project::new("cfgvol");
    let dir = ManifestDir::new();
    write_all(&dir, "debug");
    apply_ok(&project, &dir);
    let main = container_name(&project, "app", "main");
    assert_eq!(sh(&main, "cat /etc/cfg/LOG_LEVEL"), "debug");
    assert_eq!(sh(&main, "cat /etc/cfg/app.ini"), "[main]\nlevel = debug");
    assert_eq!(
        sh(&main, "cat /etc/picked/conf/app.ini"),
        "[main]\nlevel = debug"
    );
    assert_eq!(sh(&main, "cat /etc/picked/level"), "debug");
    // A subPath mount: one file of the volume at a path of its own.
    assert_eq!(sh(&main, "cat /etc/app.ini"), "[main]\nlevel = debug");
    assert_eq!(sh(&main, "cat /etc/sec/password"), "hunter2-volume-secret");
    assert_eq!(
        sh(&main, "cat /etc/all/level /etc/all/tier"),
        "debugbackend"
    );
    assert_eq!(sh(&main, "cat /etc/all/pw"), "hunter2-volume-secret");
    // Modes: 0644 by default, defaultMode and item modes as written, and
    // Secret files readable by their owner only.
    let modes = sh(
        &main,
        "stat -L -c %a /etc/cfg/LOG_LEVEL /etc/picked/conf/app.ini /etc/picked/level \
         /etc/sec/password /etc/all/pw /etc/all/level",
    );
    assert_eq!(modes, "644\n640\n444\n400\n400\n644");
    // The kubelet's layout: ..data points at a version directory, each
    // name is a symlink through ..data.
    assert_eq!(sh(&main, "readlink /etc/cfg/LOG_LEVEL"), "..data/LOG_LEVEL");
    assert!(sh(&main, "readlink /etc/cfg/..data").starts_with("..20"));
    // The downward API files, in the kubelet's format.
    assert_eq!(
        sh(&main, "cat /etc/podinfo/labels"),
        "app=\"files\"\ntier=\"backend\""
    );
    assert_eq!(sh(&main, "cat /etc/podinfo/annotations"), "team=\"blue\"");
    assert_eq!(sh(&main, "cat /etc/podinfo/name"), "app");
    let pod = live_pod(&project, "app").expect("pod app is live");
    assert_eq!(
        Some(sh(&main, "cat /etc/podinfo/uid").as_str()),
        pod["metadata"]["uid"].as_str()
    );
    // The app container cannot write them.
    let denied = try_docker(&["exec", &main, "sh", "-c", "echo x > /etc/cfg/new"]);
    assert!(denied.is_err(), "the volume is mounted read-only");
    // describe shows the volumes as kubectl does.
    let text = describe_pod(&project, "app");
    assert_says(&text, "ConfigMap (a volume populated by a ConfigMap)");
    assert_says(&text, "SecretName:");
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn a_changed_config_map_is_written_in_place_without_a_restart() {
    let project = Project::new("cfgvolupd");
    let dir = ManifestDir::new();
    write_all(&dir, "debug");
    apply_ok(&project, &dir);
    let main = container_name(&project, "app", "main");
    let before = container_ids(&project);
    let restarts = restart_count(&main);
    let version = sh(&main, "readlink /etc/cfg/..data");
    write_all(&dir, "info");
    dir.write("secret.yaml", &SECRET.replace("hunter2", "swordfish"));
    let planned = diff(&project, &dir);
    assert_exit(&planned, 1);
    assert_says(
        &planned.stdout,
        "pod default/app (updated in place, no restart)",
    );
    assert_says(
        &planned.stdout,
        "ConfigMap default/app-config key LOG_LEVEL changed",
    );
    assert_says(
        &planned.stdout,
        "Secret default/app-secret key password changed",
    );
    assert!(!planned.stdout.contains("swordfish"), "{}", planned.stdout);
    let out = apply_ok(&project, &dir);
    assert_says(&out.stdout, "1 updated in place");
    assert!(!out.stdout.contains("swordfish"), "{}", out.stdout);
    assert_eq!(sh(&main, "cat /etc/cfg/LOG_LEVEL"), "info");
    assert_eq!(
        sh(&main, "cat /etc/picked/conf/app.ini"),
        "[main]\nlevel = info"
    );
    assert_eq!(sh(&main, "cat /etc/all/pw"), "swordfish-volume-secret");
    // As under the kubelet, a subPath mount keeps the file it started with.
    assert_eq!(sh(&main, "cat /etc/app.ini"), "[main]\nlevel = debug");
    // Same containers (one record of the files added), no restart, and
    // nothing left of the old version.
    let after = container_ids(&project);
    assert!(
        before.iter().all(|id| after.contains(id)),
        "{before:?} {after:?}"
    );
    assert_eq!(restart_count(&main), restarts);
    let listing = sh(&main, "ls -a /etc/cfg");
    assert!(!listing.contains(&version), "old version left: {listing}");
    assert_eq!(listing.lines().filter(|l| l.starts_with("..20")).count(), 1);
    // Converged.
    assert_exit(&diff(&project, &dir), 0);
}

#[test]
fn readers_never_see_a_missing_or_partial_file_during_updates() {
    let project = Project::new("cfgvolatomic");
    let dir = ManifestDir::new();
    // A value of 4 KiB, so a partial write would show as a short read.
    let value = |n: u32| format!("v{n}-{}", "x".repeat(4096));
    write_all(&dir, &value(0));
    apply_ok(&project, &dir);
    let main = container_name(&project, "app", "main");
    // Reads as fast as the shell can, logging anything but a whole value.
    let reader = "while true; do v=$(cat /etc/cfg/LOG_LEVEL 2>&1); \
                  case \"$v\" in v[0-9]-xxxx*) [ ${#v} -eq 4099 ] || echo \"SHORT ${#v}\" >> /tmp/bad;; \
                  *) echo \"BAD ${v%%xxxx*}\" >> /tmp/bad;; esac; \
                  echo >> /tmp/reads; done";
    docker(&["exec", "-d", &main, "sh", "-c", reader]);
    assert!(wait_until(Duration::from_secs(10), || {
        sh(&main, "[ -f /tmp/reads ] && wc -l < /tmp/reads || echo 0").trim() != "0"
    }));
    for n in 1..=5 {
        write_all(&dir, &value(n));
        apply_ok(&project, &dir);
        assert_eq!(sh(&main, "cut -c1-2 /etc/cfg/LOG_LEVEL"), format!("v{n}"));
    }
    let reads: u64 = sh(&main, "wc -l < /tmp/reads").trim().parse().unwrap();
    let bad = sh(&main, "cat /tmp/bad 2>/dev/null || true");
    assert!(bad.is_empty(), "a reader saw:\n{bad}");
    assert!(reads > 20, "the reader read {reads} times");
}

#[test]
fn watch_writes_a_changed_config_map_into_the_running_pod() {
    let project = Project::new("cfgvolwatch");
    let dir = ManifestDir::new();
    write_all(&dir, "debug");
    let watch = Watcher::start(&project, dir.path(), &[]);
    let main = container_name(&project, "app", "main");
    let read = |path: &str| try_docker(&["exec", &main, "cat", path]).unwrap_or_default();
    assert!(
        wait_until(Duration::from_secs(30), || read("/etc/cfg/LOG_LEVEL")
            == "debug"),
        "the pod came up with its files:\n{}",
        watch.log()
    );
    let before = container_ids(&project);
    dir.write("config.yaml", &config("warn"));
    assert!(
        wait_until(Duration::from_secs(30), || read("/etc/cfg/LOG_LEVEL")
            == "warn"),
        "the file changed in place:\n{}",
        watch.log()
    );
    let after = container_ids(&project);
    assert!(
        before.iter().all(|id| after.contains(id)),
        "{before:?} {after:?}"
    );
    assert_eq!(restart_count(&main), "0");
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
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
        volumeMounts:
        - {name: cfg, mountPath: /etc/cfg}
        - {name: info, mountPath: /etc/podinfo}
      volumes:
      - {name: cfg, configMap: {name: app-config}}
      - name: info
        downwardAPI:
          items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]
";

#[test]
fn a_deployments_pods_get_new_files_without_a_rollout() {
    let project = Project::new("cfgvoldeploy");
    let dir = ManifestDir::new();
    dir.write("config.yaml", &config("debug"));
    dir.write("deploy.yaml", &DEPLOYMENT.replace("IMAGE", TEST_IMAGE));
    apply_ok(&project, &dir);
    let pods = live_pod_names(&project);
    assert_eq!(pods.len(), 2, "{pods:?}");
    // Each pod's own labels, with the template hash the Deployment adds.
    let main = container_name(&project, &pods[0], "main");
    let labels = sh(&main, "cat /etc/podinfo/labels");
    assert!(
        labels.starts_with("app=\"web\"\npod-template-hash=\""),
        "{labels}"
    );
    dir.write("config.yaml", &config("error"));
    let planned = diff(&project, &dir);
    assert_exit(&planned, 1);
    assert!(
        !planned.stdout.contains("template changed"),
        "{}",
        planned.stdout
    );
    apply_ok(&project, &dir);
    assert_eq!(live_pod_names(&project), pods, "the same pods: no rollout");
    for pod in &pods {
        let main = container_name(&project, pod, "main");
        assert_eq!(sh(&main, "cat /etc/cfg/LOG_LEVEL"), "error");
    }
    assert_exit(&diff(&project, &dir), 0);
}
