//! Replication controllers on a real engine (issue #4): replicas named by
//! ordinal and owned, scaling by the highest ordinals, declared pods that
//! count and are never deleted, lost replicas replaced, and rollouts one
//! pod at a time; `delete rc` and `delete pod` on a controller's pods.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{
    apply, apply_ok, berth, docker, ensure_test_image, live_items, live_pod_names, live_pods,
    wait_until, ManifestDir, Output, Project, TEST_IMAGE,
};
use serde_json::{json, Value};

const PATIENCE: Duration = Duration::from_secs(20);

/// The container every test pod runs: it sleeps, saying its `VERSION`.
fn container(version: &str) -> Value {
    json!({
        "name": "main",
        "image": TEST_IMAGE,
        "imagePullPolicy": "Never",
        "command": ["sleep", "3600"],
        "env": [{ "name": "VERSION", "value": version }],
    })
}

/// An RC `web` (selector `app=web`) of `replicas` pods at template `version`.
fn rc_manifest(replicas: u32, version: &str) -> String {
    let rc = json!({
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": { "name": "web" },
        "spec": {
            "replicas": replicas,
            "selector": { "app": "web" },
            "template": {
                "metadata": { "labels": { "app": "web" } },
                "spec": {
                    "terminationGracePeriodSeconds": 0,
                    "containers": [container(version)],
                },
            },
        },
    });
    serde_json::to_string_pretty(&rc).expect("an RC manifest")
}

/// A pod `name` declared on its own, labelled `app=web`.
fn standalone_pod_manifest(name: &str) -> String {
    let pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": name, "labels": { "app": "web" } },
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [container("standalone")],
        },
    });
    serde_json::to_string_pretty(&pod).expect("a pod manifest")
}

/// A project running RC `web` with `replicas` pods, all Running.
fn running_rc(prefix: &str, replicas: u32) -> (Project, ManifestDir) {
    ensure_test_image();
    let project = Project::new(prefix);
    let dir = ManifestDir::new();
    dir.write("rc.json", &rc_manifest(replicas, "1"));
    apply_ok(&project, &dir);
    let names: Vec<String> = (0..replicas).map(|n| format!("web-{n}")).collect();
    wait_for_running(&project, &names);
    (project, dir)
}

/// Waits until exactly the pods `names` exist and all are Running.
fn wait_for_running(project: &Project, names: &[String]) {
    let mut last = Vec::new();
    let done = wait_until(PATIENCE, || {
        last = live_pods(project);
        let seen: Vec<&str> = last
            .iter()
            .map(|p| p["metadata"]["name"].as_str().unwrap_or(""))
            .collect();
        seen == names && last.iter().all(|p| p["status"]["phase"] == "Running")
    });
    assert!(
        done,
        "pods {names:?} never all Running; last seen:\n{}",
        serde_json::to_string_pretty(&last).unwrap_or_default()
    );
}

/// Waits until exactly `count` pods exist, all Running; returns their names.
fn wait_for_replicas(project: &Project, count: usize) -> Vec<String> {
    let mut last = Vec::new();
    let done = wait_until(PATIENCE, || {
        last = live_pods(project);
        last.len() == count && last.iter().all(|p| p["status"]["phase"] == "Running")
    });
    assert!(
        done,
        "never {count} pods all Running; last seen:\n{}",
        serde_json::to_string_pretty(&last).unwrap_or_default()
    );
    last.iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap_or("").to_string())
        .collect()
}

/// `+ pod default/web-3 …` / `- pod default/web-0 …` lines as (sign, pod).
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

/// Ids of the containers of pod `pod` (infra included).
fn containers_of(project: &Project, pod: &str) -> Vec<String> {
    let project_filter = format!("label={}", project.label());
    let pod_filter = format!("label=io.berth.pod={pod}");
    let ids = docker(&[
        "ps",
        "-aq",
        "--filter",
        &project_filter,
        "--filter",
        &pod_filter,
    ]);
    ids.lines().map(str::to_string).collect()
}

/// The `get rc` table row of `web` as its words.
fn rc_row(project: &Project) -> Vec<String> {
    let table = berth(&["get", "rc", "--project", &project.name]).stdout;
    table
        .lines()
        .find(|l| l.starts_with("web "))
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

#[test]
fn rc_runs_its_replicas_as_owned_pods_named_by_ordinal() {
    let (project, _dir) = running_rc("rc-three", 3);
    for pod in live_pods(&project) {
        let owner = &pod["metadata"]["ownerReferences"][0];
        assert_eq!(owner["kind"], "ReplicationController", "{pod:#}");
        assert_eq!(owner["name"], "web", "{pod:#}");
        assert_eq!(pod["metadata"]["labels"]["app"], "web", "{pod:#}");
    }
    let owner_filter = "label=io.berth.owner=ReplicationController/web";
    let project_filter = format!("label={}", project.label());
    let owned = docker(&[
        "ps",
        "-q",
        "--filter",
        owner_filter,
        "--filter",
        &project_filter,
    ]);
    assert_eq!(
        owned.lines().count(),
        6,
        "3 pods × (infra + main) carry the owner label"
    );
    assert!(
        wait_until(PATIENCE, || rc_row(&project).get(1..4)
            == Some(&["3".into(), "3".into(), "3".into()])),
        "get rc shows DESIRED CURRENT READY 3 3 3: {:?}",
        rc_row(&project)
    );
    let rc = live_items(&project, "rc");
    assert_eq!(rc.len(), 1, "{rc:#?}");
    assert_eq!(rc[0]["metadata"]["name"], "web");
    assert_eq!(rc[0]["spec"]["replicas"], 3, "{:#}", rc[0]);
    assert_eq!(rc[0]["status"]["replicas"], 3, "{:#}", rc[0]);
    assert_eq!(rc[0]["status"]["readyReplicas"], 3, "{:#}", rc[0]);
}

#[test]
fn scaling_down_removes_the_highest_ordinals() {
    let (project, dir) = running_rc("rc-scale-down", 3);
    dir.write("rc.json", &rc_manifest(1, "1"));
    let out = apply_ok(&project, &dir);
    let mut removed: Vec<String> = pod_changes(&out)
        .into_iter()
        .filter(|(sign, _)| *sign == '-')
        .map(|(_, pod)| pod)
        .collect();
    removed.sort();
    assert_eq!(removed, ["web-1", "web-2"], "apply said:\n{}", out.stdout);
    assert_eq!(live_pod_names(&project), ["web-0"]);
}

#[test]
fn a_declared_pod_matching_the_selector_counts_and_is_never_deleted() {
    let (project, dir) = running_rc("rc-declared", 3);
    dir.write("extra.json", &standalone_pod_manifest("extra"));
    dir.write("rc.json", &rc_manifest(2, "1"));
    let first = apply_ok(&project, &dir);
    wait_for_running(&project, &["extra".into(), "web-0".into()]);
    assert_eq!(
        rc_row(&project).get(1..3),
        Some(&["2".to_string(), "2".to_string()][..]),
        "DESIRED and CURRENT count the declared pod"
    );
    let extra_containers = containers_of(&project, "extra");
    dir.write("rc.json", &rc_manifest(1, "1"));
    let second = apply_ok(&project, &dir);
    assert_eq!(
        live_pod_names(&project),
        ["extra"],
        "the declared pod is the one replica"
    );
    assert_eq!(containers_of(&project, "extra"), extra_containers);
    for out in [&first, &second] {
        assert!(
            !pod_changes(out).contains(&('-', "extra".to_string())),
            "the declared pod is never removed:\n{}",
            out.stdout
        );
    }
    let extra = live_pods(&project).remove(0);
    assert!(
        extra["metadata"]["ownerReferences"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "a declared pod has no owner: {extra:#}"
    );
}

#[test]
fn a_lost_replica_is_replaced_on_the_next_apply() {
    let (project, dir) = running_rc("rc-lost", 3);
    let lost = containers_of(&project, "web-1");
    assert_eq!(lost.len(), 2, "infra and main: {lost:?}");
    let died = Instant::now();
    let mut args = vec!["rm", "-f"];
    args.extend(lost.iter().map(String::as_str));
    docker(&args);
    let out = apply_ok(&project, &dir);
    wait_for_running(&project, &["web-0".into(), "web-1".into(), "web-2".into()]);
    eprintln!(
        "measure: replica death (docker rm -f) to its replacement Running after apply: {:?}",
        died.elapsed()
    );
    let now = containers_of(&project, "web-1");
    assert!(
        now.iter().all(|id| !lost.contains(id)),
        "new containers: {now:?} vs {lost:?}\napply said:\n{}",
        out.stdout
    );
}

/// The fewest `main` containers seen running at once while `work` ran.
fn fewest_running_during(project: &Project, work: impl FnOnce() -> Output) -> (usize, Output) {
    let stop = Arc::new(AtomicBool::new(false));
    let fewest = Arc::new(AtomicUsize::new(usize::MAX));
    let filters = [
        format!("label={}", project.label()),
        "label=io.berth.container=main".to_string(),
    ];
    let watcher = {
        let (stop, fewest) = (Arc::clone(&stop), Arc::clone(&fewest));
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let args = ["ps", "-q", "--filter", &filters[0], "--filter", &filters[1]];
                if let Ok(ids) = common::try_docker(&args) {
                    fewest.fetch_min(ids.lines().count(), Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let out = work();
    stop.store(true, Ordering::SeqCst);
    watcher.join().expect("the watcher thread");
    (fewest.load(Ordering::SeqCst), out)
}

/// `VERSION` in the environment of pod `pod`'s main container.
fn version_of(project: &Project, pod: &str) -> String {
    let name = format!("berth_{}_default_{pod}_main", project.name);
    let env = docker(&["inspect", "--format", "{{json .Config.Env}}", &name]);
    let env: Vec<String> = serde_json::from_str(&env).expect("Config.Env as JSON");
    env.iter()
        .find_map(|e| e.strip_prefix("VERSION=").map(str::to_string))
        .unwrap_or_default()
}

#[test]
fn a_template_change_rolls_the_pods_over_one_at_a_time() {
    let (project, dir) = running_rc("rc-rollout", 3);
    dir.write("rc.json", &rc_manifest(3, "2"));
    let before = diff(&project, &dir);
    assert_eq!(before.code(), Some(1), "{}", before.stdout);
    assert!(
        before.stdout.contains("rc default/web (template changed)"),
        "{}",
        before.stdout
    );
    let (fewest, out) = fewest_running_during(&project, || apply(&project, &dir));
    assert!(out.success(), "apply: {}\n{}", out.stdout, out.stderr);
    eprintln!("the rollout of 3 replicas:\n{}", out.stdout);
    let signs: String = pod_changes(&out).iter().map(|(sign, _)| *sign).collect();
    assert_eq!(
        signs, "+-+-+-",
        "each new pod comes before an old one goes:\n{}",
        out.stdout
    );
    assert!(
        fewest >= 3,
        "never fewer than 3 replicas running, saw {fewest}"
    );
    // New pods take the lowest free ordinal while old ones still hold theirs.
    for pod in wait_for_replicas(&project, 3) {
        assert_eq!(
            version_of(&project, &pod),
            "2",
            "{pod} runs the new template"
        );
    }
    assert_eq!(
        rc_row(&project).get(1..4),
        Some(&["3".into(), "3".into(), "3".into()][..])
    );
    let after = diff(&project, &dir);
    assert_eq!(after.code(), Some(0), "converged:\n{}", after.stdout);
}

/// `berth diff DIR --project P`.
fn diff(project: &Project, dir: &ManifestDir) -> Output {
    let path = dir.path().to_str().expect("a UTF-8 path");
    berth(&["diff", path, "--project", &project.name])
}

#[test]
fn deleting_a_controller_removes_its_pods_but_not_a_matching_standalone_one() {
    let (project, dir) = running_rc("rc-delete", 2);
    dir.write("extra.json", &standalone_pod_manifest("extra"));
    apply_ok(&project, &dir);
    let output = berth(&["delete", "rc", "web", "--project", &project.name]);
    assert_eq!(output.code(), Some(0), "{}", output.stderr);
    assert!(
        output
            .stdout
            .contains("replicationcontroller \"web\" deleted"),
        "{}",
        output.stdout
    );
    assert_eq!(live_pod_names(&project), ["extra"]);
    assert!(live_items(&project, "rc").is_empty());
}

#[test]
fn deleting_a_controllers_pod_says_the_controller_brings_it_back() {
    let (project, dir) = running_rc("rc-podgone", 2);
    let output = berth(&["delete", "pod", "web-1", "--project", &project.name]);
    assert_eq!(output.code(), Some(0), "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("replicationcontroller default/web owns pod default/web-1"),
        "{}",
        output.stderr
    );
    assert_eq!(live_pod_names(&project), ["web-0"]);
    apply_ok(&project, &dir);
    assert_eq!(live_pod_names(&project), ["web-0", "web-1"]);
}

/// Not a test: prints how long a 10-replica rollout takes against removing
/// and recreating all 10 at once. Run with `--ignored --nocapture`.
#[test]
#[ignore]
fn measure_rollout_of_ten_replicas() {
    let (project, dir) = running_rc("rc-measure", 10);
    let started = Instant::now();
    dir.write("rc.json", &rc_manifest(10, "2"));
    let (fewest, _) = fewest_running_during(&project, || apply_ok(&project, &dir));
    wait_for_replicas(&project, 10);
    let rollout = started.elapsed();
    let started = Instant::now();
    dir.remove("rc.json");
    let path = dir.path().to_str().expect("a UTF-8 path");
    let emptied = berth(&["apply", path, "--project", &project.name, "--allow-empty"]);
    assert!(emptied.success(), "{}\n{}", emptied.stdout, emptied.stderr);
    dir.write("rc.json", &rc_manifest(10, "3"));
    apply_ok(&project, &dir);
    wait_for_replicas(&project, 10);
    let recreate = started.elapsed();
    eprintln!(
        "measure: 10 replicas: rollout {rollout:?} (never fewer than {fewest} running); \
         remove all + recreate (two applies) {recreate:?}; ratio {:.1}",
        rollout.as_secs_f64() / recreate.as_secs_f64()
    );
}
