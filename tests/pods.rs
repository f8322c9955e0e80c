//! Pods on a real Docker engine through the `berth` binary (issue #3): a
//! pod's containers share localhost and volumes; diff and apply converge
//! and are idempotent; repairs, pruning, guards and bad input.

mod common;

use std::time::Duration;

use common::*;

/// `berth --project P --infra-image PAUSE ARGS…`.
fn in_project(project: &Project, args: &[&str]) -> Output {
    ensure_test_image();
    ensure_test_pause_image();
    let mut all = vec![
        "--project",
        project.name.as_str(),
        "--infra-image",
        TEST_PAUSE_IMAGE,
    ];
    all.extend_from_slice(args);
    berth(&all)
}

fn apply(project: &Project, dir: &ManifestDir, extra: &[&str]) -> Output {
    let path = dir.path().to_str().unwrap().to_string();
    let mut args = vec!["apply", path.as_str()];
    args.extend_from_slice(extra);
    let output = in_project(project, &args);
    assert!(!output.timed_out, "apply hung: {}", output.stderr);
    output
}

fn diff(project: &Project, dir: &ManifestDir) -> Output {
    in_project(project, &["diff", dir.path().to_str().unwrap()])
}

fn applied(project: &Project, dir: &ManifestDir) -> Output {
    let output = apply(project, dir, &[]);
    assert_eq!(
        output.code(),
        Some(0),
        "apply failed:\n{}\n{}",
        output.stdout,
        output.stderr
    );
    output
}

/// Ids of the project's containers, sorted.
fn container_ids(project: &Project) -> Vec<String> {
    let filter = format!("label={}", project.label());
    let out = docker(&["ps", "-aq", "--no-trunc", "--filter", &filter]);
    let mut ids: Vec<String> = out.lines().map(str::to_string).collect();
    ids.sort();
    ids
}

fn container(project: &Project, pod: &str, name: &str) -> String {
    format!("berth_{}_default_{pod}_{name}", project.name)
}

/// A pod whose `sleeper` containers run `sleep` (grace period 0).
fn sleeper_pod(name: &str, containers: usize) -> String {
    let mut text = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n  \
         terminationGracePeriodSeconds: 0\n  containers:\n"
    );
    for i in 0..containers {
        text.push_str(&format!(
            "  - name: c{i}\n    image: {TEST_IMAGE}\n    imagePullPolicy: Never\n    \
             command: [\"sleep\", \"3600\"]\n"
        ));
    }
    text
}

const SHARED: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  terminationGracePeriodSeconds: 0
  volumes:
  - name: shared
    emptyDir: {}
  containers:
  - name: server
    image: IMAGE
    imagePullPolicy: Never
    command: [sh, -c, 'echo hello > /www/index.html && exec httpd -f -p 8080 -h /www']
    volumeMounts:
    - {name: shared, mountPath: /www}
  - name: client
    image: IMAGE
    imagePullPolicy: Never
    command: [sh, -c, 'while true; do wget -q -O /data/got.txt http://127.0.0.1:8080/index.html; sleep 0.2; done']
    volumeMounts:
    - {name: shared, mountPath: /data}
";

#[test]
fn containers_of_a_pod_share_localhost_and_an_empty_dir() {
    let project = Project::new("share");
    let dir = ManifestDir::new();
    dir.write("web.yaml", &SHARED.replace("IMAGE", TEST_IMAGE));
    applied(&project, &dir);
    // The client fetched over 127.0.0.1 and wrote into the volume; the
    // server sees the file in its own mount of it.
    let server = container(&project, "web", "server");
    let seen = wait_until(Duration::from_secs(10), || {
        try_docker(&["exec", &server, "cat", "/www/got.txt"]).is_ok_and(|text| text == "hello")
    });
    assert!(
        seen,
        "the server never saw the client's fetch in the shared volume"
    );
}

#[test]
fn diff_is_clean_after_apply_and_shows_an_edit() {
    let project = Project::new("diff");
    let dir = ManifestDir::new();
    dir.write("pod.yaml", &sleeper_pod("calm", 1));
    let before = diff(&project, &dir);
    assert_eq!(
        before.code(),
        Some(1),
        "{}\n{}",
        before.stdout,
        before.stderr
    );
    assert!(
        before.stdout.contains("+ pod default/calm"),
        "{}",
        before.stdout
    );
    applied(&project, &dir);
    let after = diff(&project, &dir);
    assert_eq!(after.code(), Some(0), "{}\n{}", after.stdout, after.stderr);
    dir.write(
        "pod.yaml",
        &sleeper_pod("calm", 1).replace("\"3600\"", "\"7200\""),
    );
    let edited = diff(&project, &dir);
    assert_eq!(
        edited.code(),
        Some(1),
        "{}\n{}",
        edited.stdout,
        edited.stderr
    );
    assert!(
        edited.stdout.contains("~ pod default/calm"),
        "{}",
        edited.stdout
    );
    assert!(
        edited
            .stdout
            .lines()
            .any(|l| l.starts_with('+') && l.contains("7200")),
        "{}",
        edited.stdout
    );
    assert!(
        edited
            .stdout
            .lines()
            .any(|l| l.starts_with('-') && l.contains("3600")),
        "{}",
        edited.stdout
    );
}

#[test]
fn a_second_apply_touches_no_container() {
    let project = Project::new("idem");
    let dir = ManifestDir::new();
    dir.write("a.yaml", &sleeper_pod("a", 2));
    dir.write("b.yaml", &sleeper_pod("b", 1));
    applied(&project, &dir);
    let ids = container_ids(&project);
    let since = docker(&["system", "info", "--format", "{{.SystemTime}}"]);
    let second = applied(&project, &dir);
    assert!(second.stdout.contains("0 created"), "{}", second.stdout);
    let until = docker(&["system", "info", "--format", "{{.SystemTime}}"]);
    let filter = format!("label={}", project.label());
    let events = docker(&[
        "events",
        "--since",
        &since,
        "--until",
        &until,
        "--filter",
        &filter,
        "--format",
        "{{.Action}}",
    ]);
    let touched: Vec<&str> = events
        .lines()
        .filter(|action| ["create", "start", "stop", "destroy", "kill", "die"].contains(action))
        .collect();
    assert!(
        touched.is_empty(),
        "second apply touched containers: {touched:?}"
    );
    assert_eq!(container_ids(&project), ids);
}

#[test]
fn a_container_removed_behind_berths_back_is_back_after_apply() {
    let project = Project::new("heal");
    let dir = ManifestDir::new();
    dir.write("pod.yaml", &sleeper_pod("heal", 2));
    applied(&project, &dir);
    let victim = container(&project, "heal", "c1");
    docker(&["rm", "-f", &victim]);
    let output = applied(&project, &dir);
    assert!(
        output.stdout.contains("pod default/heal"),
        "{}",
        output.stdout
    );
    let state = docker(&["inspect", "--format", "{{.State.Running}}", &victim]);
    assert_eq!(state, "true");
}

#[test]
fn a_broken_file_stops_apply_before_anything_changes() {
    let project = Project::new("broken");
    let dir = ManifestDir::new();
    dir.write("good.yaml", &sleeper_pod("good", 1));
    applied(&project, &dir);
    let ids = container_ids(&project);
    let bad = dir.write("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n  - name: x\n    imagee: y\n");
    std::fs::remove_file(dir.path().join("good.yaml")).unwrap();
    let output = apply(&project, &dir, &[]);
    assert_eq!(
        output.code(),
        Some(2),
        "{}\n{}",
        output.stdout,
        output.stderr
    );
    let located = format!("{}:8:", bad.display());
    assert!(
        output.stderr.contains(&located),
        "no {located} in: {}",
        output.stderr
    );
    assert_eq!(
        container_ids(&project),
        ids,
        "containers changed although the input was invalid"
    );
}

#[test]
fn removing_a_file_removes_its_pod_and_leaves_other_projects_alone() {
    let (mine, theirs) = (Project::new("prune-mine"), Project::new("prune-theirs"));
    let (dir, other) = (ManifestDir::new(), ManifestDir::new());
    dir.write("keep.yaml", &sleeper_pod("keep", 1));
    dir.write("gone.yaml", &sleeper_pod("gone", 1));
    other.write("gone.yaml", &sleeper_pod("gone", 1));
    applied(&mine, &dir);
    applied(&theirs, &other);
    let their_ids = container_ids(&theirs);
    dir.remove("gone.yaml");
    let output = applied(&mine, &dir);
    assert!(
        output.stdout.contains("- pod default/gone"),
        "{}",
        output.stdout
    );
    assert!(try_docker(&["inspect", &container(&mine, "gone", "c0")]).is_err());
    assert!(try_docker(&["inspect", &container(&mine, "keep", "c0")]).is_ok());
    assert_eq!(container_ids(&theirs), their_ids);
}

#[test]
fn an_empty_directory_deletes_nothing_without_allow_empty() {
    let project = Project::new("empty");
    let dir = ManifestDir::new();
    dir.write("pod.yaml", &sleeper_pod("lonely", 1));
    applied(&project, &dir);
    let ids = container_ids(&project);
    dir.remove("pod.yaml");
    let refused = apply(&project, &dir, &[]);
    assert_eq!(
        refused.code(),
        Some(2),
        "{}\n{}",
        refused.stdout,
        refused.stderr
    );
    assert!(
        refused.stderr.contains("--allow-empty"),
        "{}",
        refused.stderr
    );
    assert_eq!(container_ids(&project), ids);
    let allowed = apply(&project, &dir, &["--allow-empty"]);
    assert_eq!(
        allowed.code(),
        Some(0),
        "{}\n{}",
        allowed.stdout,
        allowed.stderr
    );
    assert!(container_ids(&project).is_empty());
}

#[test]
fn a_missing_image_with_pull_policy_never_leaves_the_pod_pending() {
    let project = Project::new("noimage");
    let dir = ManifestDir::new();
    let missing = format!("localhost/{}-missing:1", project.name);
    dir.write(
        "pod.yaml",
        &sleeper_pod("ghost", 1).replace(TEST_IMAGE, &missing),
    );
    let output = apply(&project, &dir, &[]);
    assert_eq!(
        output.code(),
        Some(1),
        "{}\n{}",
        output.stdout,
        output.stderr
    );
    let said = &output.stderr;
    assert!(
        said.contains("pod default/ghost stays Pending (ErrImageNeverPull)"),
        "{said}"
    );
    assert!(said.contains(&missing), "{said}");
    // Only the infra container holds the pod's place (see tests/images.rs).
    assert_eq!(
        project.containers(),
        [container(&project, "ghost", "POD")],
        "{:?}",
        project.containers()
    );
}
