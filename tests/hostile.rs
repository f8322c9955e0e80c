//! Hostile input end to end: the worst files cost bounded time and memory
//! in a real `berth validate`; an invalid file changes nothing on the
//! engine; and berth never touches containers it does not own.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::watch::Watcher;
use common::*;

/// The address space a `berth validate` may use, past which it is killed.
const ADDRESS_SPACE_CAP: u64 = 1 << 30;
/// The resident memory the worst case may peak at.
const RSS_BUDGET_KB: u64 = 256 * 1024;
/// The wall time the worst case may take (a debug build on shared cores).
const TIME_BUDGET: Duration = Duration::from_secs(20);

/// `berth validate DIR` under a 1 GiB address-space cap, with its exit
/// code, stderr, peak resident memory (KiB) and wall time.
fn validate_bounded(dir: &Path) -> (Option<i32>, String, u64, Duration) {
    let mut command = Command::new("prlimit");
    command
        .arg(format!("--as={ADDRESS_SPACE_CAP}"))
        .args(["--", "/usr/bin/time", "-f", "maxrss_kb=%M"])
        .arg(env!("CARGO_BIN_EXE_berth"))
        .arg("validate")
        .arg(dir)
        .env("NO_COLOR", "1");
    let started = Instant::now();
    let output = run_with_timeout(command, &[], BERTH_TIMEOUT);
    let took = started.elapsed();
    assert!(!output.timed_out, "validate hung: {}", output.stderr);
    let rss = output
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("maxrss_kb="))
        .next_back()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no maxrss in {}", output.stderr));
    (output.code(), output.stderr, rss, took)
}

fn config_maps(count: usize, padding: usize) -> String {
    let pad = "x".repeat(padding);
    (0..count)
        .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\ndata: {{k: \"{pad}\"}}\n"))
        .collect()
}

fn billion_laughs() -> String {
    let mut text = String::from("a0: &a0 [lol]\n");
    for i in 1..10 {
        let refs: Vec<String> = (0..10).map(|_| format!("*a{}", i - 1)).collect();
        text += &format!("a{i}: &a{i} [{}]\n", refs.join(", "));
    }
    text
}

#[test]
fn the_worst_inputs_cost_bounded_time_and_memory() {
    let cases: Vec<(&str, String, Option<i32>, &str)> = vec![
        (
            "10 MB file",
            format!("# {}\n", "x".repeat(10 * 1024 * 1024)),
            Some(2),
            "--max-file-size",
        ),
        (
            "100,000 objects",
            (0..100_000)
                .map(|i| {
                    format!("---\n{{apiVersion: v1, kind: ConfigMap, metadata: {{name: c{i}}}}}\n")
                })
                .collect(),
            Some(2),
            "--max-objects",
        ),
        ("billion laughs", billion_laughs(), Some(2), "alias bomb"),
        (
            "100,000-deep nesting",
            "[".repeat(100_000),
            Some(2),
            "nest deeper",
        ),
        (
            "just under the caps: 9,000 objects in 7.9 MB",
            config_maps(9_000, 800),
            Some(0),
            "9000 objects",
        ),
    ];
    let mut report = Vec::new();
    for (name, text, code, says) in cases {
        let dir = ManifestDir::new();
        dir.write("m.yaml", &text);
        let (got, stderr, rss, took) = validate_bounded(dir.path());
        report.push(format!("{name}: {took:?}, peak RSS {} MiB", rss / 1024));
        assert_eq!(got, code, "{name}: {stderr}");
        if code == Some(2) {
            assert_says(&stderr, says);
        }
        assert!(rss < RSS_BUDGET_KB, "{name}: peak RSS {rss} KiB");
        assert!(took < TIME_BUDGET, "{name}: took {took:?}");
    }
    eprintln!("{}", report.join("\n"));
}

fn pod(name: &str, app: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{app: {app}}}\nspec:\n  containers:\n  - name: app\n    image: {TEST_IMAGE}\n    command: [sleep, \"3600\"]\n"
    )
}

/// Every container of the project, with its state, sorted.
fn states(project: &Project) -> Vec<String> {
    let mut all = project.objects(&["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.State}}"]);
    all.sort();
    all
}

#[test]
fn an_invalid_file_changes_nothing_on_the_engine() {
    let project = Project::new("hostile-nochange");
    let dir = ManifestDir::new();
    dir.write("web.yaml", &pod("web", "web"));
    dir.write("api.yaml", &pod("api", "api"));
    apply_ok(&project, &dir);
    let before = states(&project);
    assert_eq!(before.len(), 4, "{before:#?}");
    let hostile = [
        (
            "syntax.yaml",
            "metadata: {name: web\n".to_string(),
            "syntax error",
        ),
        ("bomb.yaml", billion_laughs(), "alias bomb"),
        (
            "big.yaml",
            format!("# {}\n", "x".repeat(9 * 1024 * 1024)),
            "--max-file-size",
        ),
        ("label.yaml", pod("extra", "\"w b\""), "invalid label value"),
    ];
    for (file, text, says) in hostile {
        // The valid pods change too, so a partial apply would show.
        dir.write("web.yaml", &pod("web", "web2"));
        dir.remove("api.yaml");
        dir.write(file, &text);
        let output = apply(&project, &dir);
        assert_exit(&output, 2);
        assert_says(&output.stderr, says);
        assert_says(&output.stderr, file);
        assert_eq!(states(&project), before, "{file} changed the engine");
        dir.remove(file);
        dir.write("api.yaml", &pod("api", "api"));
        dir.write("web.yaml", &pod("web", "web"));
    }
}

/// A container berth does not own, removed when dropped.
struct Foreign {
    name: String,
    id: String,
}

impl Foreign {
    fn run(name: &str, labels: &[&str]) -> Foreign {
        let mut args = vec!["run", "-d", "--name", name];
        for label in labels {
            args.extend(["--label", label]);
        }
        args.extend([TEST_IMAGE, "sleep", "3600"]);
        let id = docker(&args).trim().to_string();
        Foreign {
            name: name.to_string(),
            id,
        }
    }

    /// Its id and state now.
    fn state(&self) -> String {
        docker(&["inspect", "-f", "{{.Id}} {{.State.Status}}", &self.id])
            .trim()
            .to_string()
    }
}

impl Drop for Foreign {
    fn drop(&mut self) {
        let _ = try_docker(&["rm", "-f", "-v", &self.name]);
    }
}

#[test]
fn berth_never_touches_containers_it_does_not_own() {
    ensure_test_image();
    let project = Project::new("hostile-own");
    let other = Project::new("hostile-other");
    let stem = format!("{}-foreign", project.name);
    let other_label = format!("io.berth.project={}", other.name);
    let foreign = [
        Foreign::run(&format!("{stem}-plain"), &[]),
        Foreign::run(
            &format!("{stem}-other"),
            &["io.berth.managed-by=berth", &other_label],
        ),
        // The very name berth wants for pod web's container, unlabelled.
        Foreign::run(&container_name(&project, "web", "app"), &[]),
        Foreign::run(&format!("{stem}-lookalike"), &["app=web"]),
    ];
    let before: Vec<String> = foreign.iter().map(Foreign::state).collect();
    let dir = ManifestDir::new();
    dir.write("web.yaml", &pod("web", "web"));
    dir.write("api.yaml", &pod("api", "web"));

    let first = apply(&project, &dir);
    // The name is taken by a container berth does not own: said, not removed.
    assert_ne!(first.code(), Some(0), "{}", first.stderr);
    let said = format!("{}{}", first.stdout, first.stderr);
    assert_says(&said, &container_name(&project, "web", "app"));
    assert_says(&said, "already in use");
    dir.remove("api.yaml");
    let pruned = apply(&project, &dir);
    assert!(!pruned.timed_out);
    let deleted = in_project(&project, &["delete", "pod", "web"]);
    assert!(!deleted.timed_out);
    let deleted = in_project(&project, &["delete", "pod", "api"]);
    assert!(!deleted.timed_out);
    let mut watch = Watcher::start(&project, dir.path(), &[]);
    std::thread::sleep(Duration::from_secs(3));
    watch.terminate(Duration::from_secs(10));

    let after: Vec<String> = foreign.iter().map(Foreign::state).collect();
    assert_eq!(after, before, "a foreign container changed");
    drop(other);
}

#[test]
fn two_projects_with_the_same_pod_names_never_collide() {
    let one = Project::new("hostile-twin-a");
    let two = Project::new("hostile-twin-b");
    let dir = ManifestDir::new();
    dir.write("web.yaml", &pod("web", "web"));
    apply_ok(&one, &dir);
    let first = states(&one);
    apply_ok(&two, &dir);
    assert_eq!(states(&one), first, "the second project touched the first");
    assert_eq!(states(&two).len(), 2);
    // Pruning one project leaves the other's pod alone.
    dir.remove("web.yaml");
    let output = apply_with(&two, &dir, &["--allow-empty"]);
    assert_exit(&output, 0);
    assert!(states(&two).is_empty(), "{:?}", states(&two));
    assert_eq!(states(&one), first);
}
