//! `berth watch` end to end on the real engine: edits, new and removed
//! files, `docker rm -f`, a broken file, a `git checkout` of another
//! commit, SIGTERM, and one watch per project.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::watch::{http_get, Watcher};
use common::*;

/// A pod of one `sleep` container whose env carries `greeting`.
fn pod(name: &str, greeting: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n  \
         terminationGracePeriodSeconds: 0\n  containers:\n  - name: app\n    image: {TEST_IMAGE}\n    \
         imagePullPolicy: Never\n    command: [sleep, \"3600\"]\n    env:\n    - name: GREETING\n      \
         value: \"{greeting}\"\n"
    )
}

/// The id of a running container, if it runs.
fn running_id(name: &str) -> Option<String> {
    try_docker(&["inspect", "--format", "{{.State.Running}} {{.Id}}", name])
        .ok()
        .and_then(|out| out.strip_prefix("true ").map(str::to_string))
}

const PATIENCE: Duration = Duration::from_secs(30);

fn wait_running(name: &str) -> String {
    let mut id = None;
    assert!(
        wait_until(PATIENCE, || {
            id = running_id(name);
            id.is_some()
        }),
        "{name} never ran"
    );
    id.unwrap()
}

#[test]
fn an_edit_converges_and_a_new_files_pod_starts() {
    let project = Project::new("watch-edit");
    let dir = ManifestDir::new();
    dir.write("web.yaml", &pod("web", "one"));
    let watch = Watcher::start(&project, dir.path(), &[]);
    let web = container_name(&project, "web", "app");
    let first = wait_running(&web);

    dir.write("web.yaml", &pod("web", "two"));
    assert!(
        wait_until(PATIENCE, || running_id(&web).is_some_and(|id| id != first)),
        "the edit was not applied:\n{}",
        watch.log()
    );
    let env = docker(&["inspect", "--format", "{{json .Config.Env}}", &web]);
    assert!(env.contains("GREETING=two"), "{env}");

    dir.write("api.yaml", &pod("api", "x"));
    wait_running(&container_name(&project, "api", "app"));
    let log = watch.log();
    assert_says(&log, "pod default/api created");
    assert_says(&log, &format!("project={}", project.name));
}

#[test]
fn a_removed_files_pod_goes_and_docker_rm_is_repaired_within_about_a_second() {
    let project = Project::new("watch-heal");
    let dir = ManifestDir::new();
    dir.write("web.yaml", &pod("web", "one"));
    dir.write("api.yaml", &pod("api", "one"));
    let watch = Watcher::start(&project, dir.path(), &["--log-format", "json"]);
    let web = container_name(&project, "web", "app");
    let api = container_name(&project, "api", "app");
    wait_running(&web);
    let old = wait_running(&api);

    let removed = Instant::now();
    docker(&["rm", "-f", &api]);
    assert!(
        wait_until(PATIENCE, || running_id(&api).is_some_and(|id| id != old)),
        "not repaired:\n{}",
        watch.log()
    );
    let took = removed.elapsed();
    assert!(took < Duration::from_secs(5), "repair took {took:?}");
    eprintln!("docker rm -f to running again: {took:?}");
    // The repair is one JSON line carrying the project, namespace and pod.
    let log = watch.log();
    let line = log
        .lines()
        .find(|l| l.contains("repaired"))
        .unwrap_or_else(|| panic!("no repair logged:\n{log}"));
    let line: serde_json::Value = serde_json::from_str(line).expect("a JSON log line");
    assert_eq!(line["project"], project.name.as_str());
    assert_eq!(line["namespace"], "default");
    assert_eq!(line["pod"], "api");
    assert_eq!(line["level"], "INFO");

    dir.remove("api.yaml");
    assert!(
        wait_until(PATIENCE, || try_docker(&["inspect", &api]).is_err()),
        "the removed file's pod stayed:\n{}",
        watch.log()
    );
    assert!(running_id(&web).is_some());
}

#[test]
fn a_broken_file_changes_nothing_and_fixing_it_converges() {
    let project = Project::new("watch-broken");
    let dir = ManifestDir::new();
    dir.write("web.yaml", &pod("web", "one"));
    let watch = Watcher::start(&project, dir.path(), &[]);
    let web = container_name(&project, "web", "app");
    wait_running(&web);
    let base = watch.base_url();
    let ids = container_ids(&project);

    dir.write(
        "web.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers: 7\n",
    );
    assert!(
        wait_until(PATIENCE, || watch.log().contains("web.yaml:")),
        "the error was not logged:\n{}",
        watch.log()
    );
    let (_, health) = http_get(&format!("{base}/healthz?verbose"));
    assert!(health.contains("web.yaml:6:"), "{health}");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        container_ids(&project),
        ids,
        "nothing changed on the engine"
    );

    dir.write("web.yaml", &pod("web", "fixed"));
    assert!(
        wait_until(PATIENCE, || {
            let env = try_docker(&["inspect", "--format", "{{json .Config.Env}}", &web]);
            env.is_ok_and(|e| e.contains("GREETING=fixed")) && running_id(&web).is_some()
        }),
        "the fix did not converge:\n{}",
        watch.log()
    );
}

fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=berth", "-c", "user.email=berth@localhost"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn a_git_checkout_of_another_commit_converges_to_that_commit() {
    let project = Project::new("watch-git");
    let dir = ManifestDir::new();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    dir.write("web.yaml", &pod("web", "one"));
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "web"]);
    let first = git(dir.path(), &["rev-parse", "HEAD"]);
    dir.write("web.yaml", &pod("web", "two"));
    dir.write("api.yaml", &pod("api", "two"));
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "web two, api"]);

    let watch = Watcher::start(&project, dir.path(), &[]);
    let web = container_name(&project, "web", "app");
    let api = container_name(&project, "api", "app");
    wait_running(&web);
    wait_running(&api);

    git(dir.path(), &["checkout", "-q", &first]);
    assert!(
        wait_until(PATIENCE, || {
            try_docker(&["inspect", &api]).is_err()
                && try_docker(&["inspect", "--format", "{{json .Config.Env}}", &web])
                    .is_ok_and(|e| e.contains("GREETING=one"))
                && running_id(&web).is_some()
        }),
        "the checkout did not converge:\n{}",
        watch.log()
    );
    let (_, page) = http_get(&format!("{}/", watch.base_url()));
    assert!(page.contains(&first[..12]), "the page shows the commit");
}

#[test]
fn sigterm_ends_the_loop_quickly_and_leaves_the_pods_running() {
    let project = Project::new("watch-term");
    let dir = ManifestDir::new();
    dir.write("web.yaml", &pod("web", "one"));
    let mut watch = Watcher::start(&project, dir.path(), &[]);
    let web = container_name(&project, "web", "app");
    let id = wait_running(&web);
    let asked = Instant::now();
    let code = watch.terminate(Duration::from_secs(10));
    assert_eq!(code, Some(0), "exit code after SIGTERM:\n{}", watch.log());
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "took {:?}",
        asked.elapsed()
    );
    assert_says(&watch.log(), "the containers keep running");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(running_id(&web), Some(id), "the pod still runs");
}

#[test]
fn a_second_watch_on_the_same_project_refuses_to_start_naming_the_first() {
    let project = Project::new("watch-twice");
    let dir = ManifestDir::new();
    dir.write("web.yaml", &pod("web", "one"));
    let first = Watcher::start(&project, dir.path(), &[]);
    let base = first.base_url();
    let path = dir.path().to_str().unwrap();
    let second = in_project(&project, &["watch", path, "--listen", "127.0.0.1:0"]);
    assert_exit(&second, 2);
    assert_says(&second.stderr, &format!("pid {}", first.pid()));
    assert_says(&second.stderr, &base);
    assert_says(&second.stderr, "already watched");
}
