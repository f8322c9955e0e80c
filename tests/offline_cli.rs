//! The `berth` binary without Docker: validate, get -f and diff --base on
//! temporary manifest directories, checked by exit code and output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Runs `berth ARGS` with NO_COLOR, killing it after 20 s.
fn berth(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("BERTH_PROJECT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("berth starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("berth {args:?} did not finish within 20 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("berth exits normally")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A temporary manifest directory.
struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }

    fn with(self, name: &str, text: &str) -> Dir {
        let path = self.0.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    fn path(&self) -> &str {
        self.0.path().to_str().unwrap()
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

fn pod(name: &str, labels: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{{labels}}}\nspec:\n  \
         containers:\n  - name: main\n    image: busybox:1\n"
    )
}

const RC: &str = "apiVersion: v1
kind: ReplicationController
metadata:
  name: web
spec:
  replicas: 3
  selector:
    app: web
  template:
    metadata:
      labels:
        app: web
        tier: front
    spec:
      containers:
      - name: app
        image: busybox:1
";

/// Pods `db` (app=db, tier=back), `cache` (app=cache) and the three `web-N`
/// of the controller (app=web, tier=front).
fn shop() -> Dir {
    Dir::new()
        .with("db.yaml", &pod("db", "app: db, tier: back"))
        .with("cache.yaml", &pod("cache", "app: cache"))
        .with("web/rc.yaml", RC)
}

fn names(output: &Output) -> Vec<String> {
    assert_eq!(code(output), 0, "stderr: {}", stderr(output));
    stdout(output).lines().map(str::to_string).collect()
}

#[test]
fn validate_accepts_a_valid_directory_and_counts_its_objects() {
    let dir = shop();
    let output = berth(&["validate", dir.path()]);
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "3 objects in 3 files: valid\n");
}

#[test]
fn validate_reports_errors_with_file_line_and_column_and_exits_2() {
    let dir = Dir::new().with("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: main\n    imagee: busybox:1\n");
    let output = berth(&["validate", dir.path()]);
    assert_eq!(code(&output), 2);
    let err = stderr(&output);
    assert!(err.contains("error: "), "{err}");
    let file = dir.join("bad.yaml");
    assert!(
        err.contains(&format!("{}:", file.display())),
        "no file name in: {err}"
    );
    let located = err.lines().any(|line| {
        let rest = line
            .split(&format!("{}:", file.display()))
            .nth(1)
            .unwrap_or("");
        let mut parts = rest.split(':');
        parts.next().is_some_and(|l| l.parse::<usize>().is_ok())
            && parts.next().is_some_and(|c| c.parse::<usize>().is_ok())
    });
    assert!(located, "no file:line:col in: {err}");
    assert!(err.contains("imagee"), "{err}");
    let summary = err.lines().last().unwrap_or("");
    assert!(
        summary.starts_with("1 object in 1 file: ") && summary.contains(" error"),
        "{err}"
    );
}

const UNSUPPORTED: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  shareProcessNamespace: true
  containers:
  - name: main
    image: busybox:1
";

#[test]
fn unsupported_fields_warn_but_validate_exits_0() {
    let dir = Dir::new().with("pod.yaml", UNSUPPORTED);
    let output = berth(&["validate", dir.path()]);
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    assert!(stderr(&output).contains("warning: "), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("shareProcessNamespace"),
        "{}",
        stderr(&output)
    );
    assert_eq!(stdout(&output), "1 object in 1 file: valid, 1 warning\n");
}

#[test]
fn strict_turns_unsupported_field_warnings_into_errors() {
    let dir = Dir::new().with("pod.yaml", UNSUPPORTED);
    let output = berth(&["--strict", "validate", dir.path()]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("error: "), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("shareProcessNamespace"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_seeds_minion_example_validates_as_a_node() {
    let seed = std::fs::read_to_string("/work/shared/seed/000_26d7ffe7be3b9883.txt");
    let Ok(seed) = seed else { return };
    let start = seed
        .find("```json\n{\n\"id\": \"10.1.2.3\"")
        .expect("the Minion example")
        + 8;
    let end = start + seed[start..].find("```").unwrap();
    let dir = Dir::new().with("minion.json", &seed[start..end]);
    let output = berth(&["validate", dir.path()]);
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    let output = berth(&["get", "nodes", "-f", dir.path(), "-o", "name"]);
    assert_eq!(names(&output), vec!["node/10.1.2.3"]);
}

#[test]
fn get_pods_from_files_expands_controllers_into_numbered_pods() {
    let dir = shop();
    let output = berth(&["get", "pods", "-f", dir.path()]);
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    let out = stdout(&output);
    let rows: Vec<&str> = out
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(rows, vec!["NAME", "cache", "db", "web-0", "web-1", "web-2"]);
    assert!(out.lines().nth(1).unwrap().contains("0/1"), "{out}");
}

#[test]
fn get_accepts_kubectl_aliases() {
    let dir = shop();
    for alias in ["po", "pod", "pods"] {
        assert_eq!(
            names(&berth(&["get", alias, "-f", dir.path(), "-o", "name"])).len(),
            5,
            "{alias}"
        );
    }
    for alias in ["rc", "replicationcontroller", "replicationcontrollers"] {
        let output = berth(&["get", alias, "-f", dir.path(), "-o", "name"]);
        assert_eq!(names(&output), vec!["replicationcontroller/web"], "{alias}");
    }
}

#[test]
fn label_selectors_filter_pods_with_kubernetes_semantics() {
    let dir = shop();
    let select = |selector: &str| {
        names(&berth(&[
            "get",
            "po",
            "-f",
            dir.path(),
            "-l",
            selector,
            "-o",
            "name",
        ]))
    };
    assert_eq!(select("app=db"), vec!["pod/db"]);
    assert_eq!(select("app==cache"), vec!["pod/cache"]);
    assert_eq!(
        select("tier"),
        vec!["pod/db", "pod/web-0", "pod/web-1", "pod/web-2"]
    );
    assert_eq!(select("!tier"), vec!["pod/cache"]);
    // `!=` and `notin` match objects that do not have the key at all.
    assert_eq!(select("tier!=front"), vec!["pod/cache", "pod/db"]);
    assert_eq!(select("tier notin (front)"), vec!["pod/cache", "pod/db"]);
    assert_eq!(select("app in (db, cache),tier"), vec!["pod/db"]);
    assert_eq!(
        select(""),
        names(&berth(&["get", "po", "-f", dir.path(), "-o", "name"]))
    );
}

#[test]
fn an_invalid_selector_is_an_error_naming_the_position() {
    let dir = shop();
    let output = berth(&["get", "pods", "-f", dir.path(), "-l", "app in (a,"]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("error: "), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("at character"),
        "{}",
        stderr(&output)
    );
    assert_eq!(stdout(&output), "");
}

#[test]
fn get_output_json_is_a_kubernetes_list_of_pods() {
    let dir = shop();
    let output = berth(&["get", "pods", "-f", dir.path(), "-o", "json"]);
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    let list: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    let web = &items[2];
    assert_eq!(web["kind"], "Pod");
    assert_eq!(web["metadata"]["name"], "web-0");
    assert_eq!(web["metadata"]["namespace"], "default");
    assert_eq!(web["metadata"]["labels"]["app"], "web");
    assert_eq!(web["metadata"]["ownerReferences"][0]["name"], "web");
    assert_eq!(web["spec"]["containers"][0]["image"], "busybox:1");
}

#[test]
fn get_output_yaml_parses_to_the_same_list_as_json() {
    let dir = shop();
    let json: Value = serde_json::from_str(&stdout(&berth(&[
        "get",
        "rc",
        "-f",
        dir.path(),
        "-o",
        "json",
    ])))
    .unwrap();
    let yaml: Value = serde_yaml::from_str(&stdout(&berth(&[
        "get",
        "rc",
        "-f",
        dir.path(),
        "-o",
        "yaml",
    ])))
    .unwrap();
    assert_eq!(json, yaml);
    assert_eq!(json["items"][0]["spec"]["replicas"], 3);
}

#[test]
fn get_of_a_missing_name_says_not_found_and_exits_1() {
    let dir = shop();
    let output = berth(&["get", "pods", "nope", "-f", dir.path()]);
    assert_eq!(code(&output), 1);
    assert!(
        stderr(&output).contains("pods \"nope\" not found"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn namespaces_scope_get_unless_all_namespaces() {
    let dir = shop().with(
        "other.yaml",
        &pod("far", "app: db").replace("name: far", "name: far\n  namespace: other"),
    );
    let output = berth(&["get", "pods", "-f", dir.path(), "-n", "other", "-o", "name"]);
    assert_eq!(names(&output), vec!["pod/far"]);
    let output = berth(&["get", "pods", "-f", dir.path(), "-A"]);
    let out = stdout(&output);
    assert!(out.starts_with("NAMESPACE"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("other ") && l.contains("far")),
        "{out}"
    );
}

fn diff(base: &Path, new: &Path) -> Output {
    berth(&[
        "diff",
        "--base",
        base.to_str().unwrap(),
        new.to_str().unwrap(),
    ])
}

#[test]
fn diff_base_of_equal_directories_prints_nothing_and_exits_0() {
    let (old, new) = (shop(), shop());
    let output = diff(old.0.path(), new.0.path());
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "",
        "kubectl diff prints nothing when in sync"
    );
}

#[test]
fn diff_base_shows_changed_added_and_removed_objects_and_exits_1() {
    let old = shop();
    let new = shop()
        .with("web/rc.yaml", &RC.replace("replicas: 3", "replicas: 5"))
        .with("queue.yaml", &pod("queue", "app: queue"));
    std::fs::remove_file(new.join("cache.yaml")).unwrap();
    let output = diff(old.0.path(), new.0.path());
    assert_eq!(code(&output), 1, "stderr: {}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.contains("~ replicationcontroller default/web\n"),
        "{out}"
    );
    assert!(out.contains("-  replicas: 3\n+  replicas: 5\n"), "{out}");
    assert!(out.contains("+ pod default/queue\n"), "{out}");
    assert!(out.contains("- pod default/cache\n"), "{out}");
    assert!(
        out.ends_with("+ 1 added, ~ 1 changed, - 1 removed\n"),
        "{out}"
    );
}

#[test]
fn diff_base_with_an_invalid_side_exits_2() {
    let old = shop();
    let new = shop().with("broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: [\n");
    let output = diff(old.0.path(), new.0.path());
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("broken.yaml:"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_directory_name_that_cannot_become_a_project_is_an_error() {
    let parent = Dir::new();
    let odd = parent.join("___");
    std::fs::create_dir(&odd).unwrap();
    std::fs::write(odd.join("pod.yaml"), pod("web", "app: web")).unwrap();
    let output = berth(&["diff", odd.to_str().unwrap()]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("cannot derive a project name"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("--project"), "{}", stderr(&output));
}

#[test]
fn an_explicit_project_must_be_a_dns_label() {
    let dir = shop();
    let output = berth(&["--project", "Not_Valid", "diff", dir.path()]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("invalid project name \"Not_Valid\""),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_closed_pipe_ends_berth_quietly() {
    let mut many = String::new();
    for i in 0..3000 {
        many.push_str(&format!("---\n{}", pod(&format!("p{i}"), "app: x")));
    }
    let dir = Dir::new().with("many.yaml", &many);
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["get", "pods", "-f", dir.path()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

#[test]
fn diffs_are_coloured_when_forced_and_plain_under_no_color() {
    let old = shop();
    let new = shop().with("web/rc.yaml", &RC.replace("replicas: 3", "replicas: 4"));
    let run = |env: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_berth"));
        command
            .args(["diff", "--base", old.path(), new.path()])
            .env_remove("NO_COLOR");
        for (key, value) in env {
            command.env(key, value);
        }
        String::from_utf8(command.output().unwrap().stdout).unwrap()
    };
    let coloured = run(&[("CLICOLOR_FORCE", "1")]);
    assert!(
        coloured.contains("\u{1b}[31m-  replicas: 3"),
        "{coloured:?}"
    );
    assert!(
        coloured.contains("\u{1b}[32m+  replicas: 4"),
        "{coloured:?}"
    );
    let plain = run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!plain.contains('\u{1b}'), "{plain:?}");
    assert!(
        plain.contains("-  replicas: 3\n+  replicas: 4\n"),
        "{plain}"
    );
}
