//! apps/v1 Deployments on a real engine (issue 9): pods named
//! `<deployment>-<template-hash>-<suffix>`, a RollingUpdate that keeps the
//! running pods within replicas..replicas+maxSurge while `berth apply`
//! rolls, Recreate removing every old pod before a new one comes, and
//! `get deploy` / `get rs` from the records on the engine.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{
    apply_ok, berth, ensure_test_image, live_pod_names, wait_until, ManifestDir, Output, Project,
    PATIENCE, TEST_IMAGE,
};
use serde_json::{json, Value};

/// Deployment `web` of `replicas` pods at template `version` under `strategy`.
fn deployment(replicas: u32, version: &str, strategy: Value) -> String {
    let d = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": "web" },
        "spec": {
            "replicas": replicas,
            "selector": { "matchLabels": { "app": "web" } },
            "strategy": strategy,
            "template": {
                "metadata": { "labels": { "app": "web" } },
                "spec": {
                    "terminationGracePeriodSeconds": 0,
                    "containers": [{
                        "name": "main",
                        "image": TEST_IMAGE,
                        "imagePullPolicy": "Never",
                        "command": ["sleep", "3600"],
                        "env": [{ "name": "VERSION", "value": version }],
                    }],
                },
            },
        },
    });
    serde_json::to_string_pretty(&d).expect("a Deployment manifest")
}

fn surge_one() -> Value {
    json!({ "type": "RollingUpdate", "rollingUpdate": { "maxSurge": 1, "maxUnavailable": 0 } })
}

/// Waits until `count` pods run, all of one ReplicaSet `web-<hash>`;
/// returns their names.
fn wait_for_rollout(project: &Project, count: usize) -> Vec<String> {
    let mut names = Vec::new();
    let done = wait_until(PATIENCE, || {
        names = live_pod_names(project);
        let hashes: std::collections::BTreeSet<&str> = names
            .iter()
            .filter_map(|n| n.rsplit_once('-'))
            .map(|(rs, _)| rs)
            .collect();
        names.len() == count && hashes.len() == 1
    });
    assert!(
        done,
        "expected {count} pods of one ReplicaSet, have {names:?}"
    );
    names
}

/// The running `main` containers of the project, sampled every 100 ms
/// while `work` runs: (fewest, most).
fn running_during(project: &Project, work: impl FnOnce() -> Output) -> ((usize, usize), Output) {
    let stop = Arc::new(AtomicBool::new(false));
    let fewest = Arc::new(AtomicUsize::new(usize::MAX));
    let most = Arc::new(AtomicUsize::new(0));
    let filters = [
        format!("label={}", project.label()),
        "label=io.berth.container=main".to_string(),
    ];
    let watcher = {
        let (stop, fewest, most) = (Arc::clone(&stop), Arc::clone(&fewest), Arc::clone(&most));
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let args = ["ps", "-q", "--filter", &filters[0], "--filter", &filters[1]];
                if let Ok(ids) = common::try_docker(&args) {
                    let n = ids.lines().count();
                    fewest.fetch_min(n, Ordering::SeqCst);
                    most.fetch_max(n, Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let out = work();
    stop.store(true, Ordering::SeqCst);
    watcher.join().expect("the watcher thread");
    let seen = (fewest.load(Ordering::SeqCst), most.load(Ordering::SeqCst));
    (seen, out)
}

/// `+`/`-` and the pod name of each pod line `apply` printed, in order.
fn pod_changes(out: &Output) -> Vec<(char, String)> {
    out.stdout
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let sign = words.next()?.chars().next()?;
            let (kind, object) = (words.next()?, words.next()?);
            let pod = object.strip_prefix("default/")?;
            (kind == "pod").then(|| (sign, pod.to_string()))
        })
        .collect()
}

fn assert_named_by_hash(names: &[String]) {
    for name in names {
        let parts: Vec<&str> = name.split('-').collect();
        assert_eq!(parts.len(), 3, "{name} is not web-<hash>-<suffix>");
        assert_eq!(parts[0], "web");
        assert_eq!(parts[1].len(), 10, "{name}: a 10-character template hash");
        assert_eq!(parts[2].len(), 5, "{name}: a 5-character suffix");
    }
}

#[test]
fn a_deployment_comes_up_and_rolls_within_max_surge_and_max_unavailable() {
    ensure_test_image();
    let project = Project::new("deploy-roll");
    let dir = ManifestDir::new();
    dir.write("web.json", &deployment(3, "1", surge_one()));
    apply_ok(&project, &dir);
    let first = wait_for_rollout(&project, 3);
    assert_named_by_hash(&first);

    let get = berth(&["get", "deploy", "--project", &project.name]);
    assert!(get.success(), "{}", get.stderr);
    eprintln!("{}", get.stdout);
    let row = get.stdout.lines().nth(1).unwrap_or_default().to_string();
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cells[..4], ["web", "3/3", "3", "3"], "{}", get.stdout);
    let rs = berth(&["get", "rs", "--project", &project.name]);
    eprintln!("{}", rs.stdout);
    let rs_name = first[0]
        .rsplit_once('-')
        .map(|(rs, _)| rs)
        .unwrap_or_default();
    assert!(rs.stdout.contains(rs_name), "{}", rs.stdout);

    dir.write("web.json", &deployment(3, "2", surge_one()));
    let ((fewest, most), out) = running_during(&project, || common::apply(&project, &dir));
    assert!(out.success(), "apply: {}\n{}", out.stdout, out.stderr);
    eprintln!("the rollout of 3 replicas:\n{}", out.stdout);
    assert!(fewest >= 3, "never fewer than 3 running, saw {fewest}");
    assert!(most <= 4, "never more than 4 running, saw {most}");
    let second = wait_for_rollout(&project, 3);
    assert_named_by_hash(&second);
    assert!(
        second.iter().all(|n| !first.contains(n)),
        "{first:?} → {second:?}"
    );
    // The old ReplicaSet is kept in the history, with no pods.
    let rs = berth(&["get", "rs", "--project", &project.name]);
    eprintln!("{}", rs.stdout);
    assert!(
        rs.stdout.contains(&format!("{rs_name}   0")),
        "{}",
        rs.stdout
    );
}

#[test]
fn recreate_removes_every_old_pod_before_creating_new_ones() {
    ensure_test_image();
    let project = Project::new("deploy-recreate");
    let dir = ManifestDir::new();
    let recreate = json!({ "type": "Recreate" });
    dir.write("web.json", &deployment(3, "1", recreate.clone()));
    apply_ok(&project, &dir);
    let first = wait_for_rollout(&project, 3);
    dir.write("web.json", &deployment(3, "2", recreate));
    let out = apply_ok(&project, &dir);
    eprintln!("the recreate of 3 replicas:\n{}", out.stdout);
    let signs: String = pod_changes(&out).iter().map(|(sign, _)| *sign).collect();
    assert_eq!(
        signs, "---+++",
        "every old pod goes before a new one comes:\n{}",
        out.stdout
    );
    let second = wait_for_rollout(&project, 3);
    assert!(
        second.iter().all(|n| !first.contains(n)),
        "{first:?} → {second:?}"
    );
}

#[test]
fn a_replica_set_names_its_pods_by_suffix_and_a_removed_deployment_is_pruned() {
    ensure_test_image();
    let project = Project::new("deploy-rs");
    let dir = ManifestDir::new();
    dir.write("web.json", &deployment(2, "1", surge_one()));
    apply_ok(&project, &dir);
    wait_for_rollout(&project, 2);
    let rs = deployment(2, "1", surge_one())
        .replace("\"Deployment\"", "\"ReplicaSet\"")
        .replace("\"web\"", "\"cache\"");
    let rs: Value = serde_json::from_str(&rs).expect("JSON");
    let mut rs = rs;
    rs["spec"].as_object_mut().expect("spec").remove("strategy");
    dir.write("cache.json", &rs.to_string());
    dir.remove("web.json");
    let out = apply_ok(&project, &dir);
    eprintln!("{}", out.stdout);
    let names = wait_for_rollout(&project, 2);
    for name in &names {
        let (prefix, suffix) = name.rsplit_once('-').expect("cache-<suffix>");
        assert_eq!((prefix, suffix.len()), ("cache", 5), "{names:?}");
    }
    let deploy = berth(&["get", "deploy", "--project", &project.name]);
    assert!(!deploy.stdout.contains("web"), "{}", deploy.stdout);
    let rs = berth(&["get", "rs", "--project", &project.name]);
    eprintln!("{}", rs.stdout);
    let lines: Vec<&str> = rs.stdout.lines().skip(1).collect();
    assert_eq!(lines.len(), 1, "only cache is left: {}", rs.stdout);
    let cells: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(&cells[..4], ["cache", "2", "2", "2"], "{}", rs.stdout);
}
