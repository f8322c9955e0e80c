//! The integration-test harness: the busybox test image, a project per test
//! that removes everything it labelled when dropped, and helpers to run the
//! `berth` binary and the `docker` CLI without ever hanging.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use berth::engine::rootfs;

pub mod engine2;
pub mod watch;

/// The image every test container runs: Debian's static busybox, imported.
pub const TEST_IMAGE: &str = "localhost/berth-test-busybox:1";
/// A pause infra image for tests (berth's own name may differ).
pub const TEST_PAUSE_IMAGE: &str = "localhost/berth-test-pause:1";
/// The label every berth object of a project carries.
pub const PROJECT_LABEL: &str = "io.berth.project";
/// How long one `berth` run may take before it is killed.
pub const BERTH_TIMEOUT: Duration = Duration::from_secs(120);
/// How long one `docker` CLI call may take before it is killed.
pub const DOCKER_TIMEOUT: Duration = Duration::from_secs(60);

/// What a finished child process said.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// Killed because it ran past its timeout.
    pub timed_out: bool,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status.success() && !self.timed_out
    }

    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

/// Runs `command` with `stdin` fed in, killing it after `timeout`.
pub fn run_with_timeout(mut command: Command, stdin: &[u8], timeout: Duration) -> Output {
    let description = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {description}: {e}"));
    let mut input = child.stdin.take().expect("stdin is piped");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let mut out = child.stdout.take().expect("stdout is piped");
    let mut err = child.stderr.take().expect("stderr is piped");
    let out_reader = std::thread::spawn(move || read_all(&mut out));
    let err_reader = std::thread::spawn(move || read_all(&mut err));
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for a child") {
            break status;
        }
        if Instant::now() > deadline {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("wait for a killed child");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = writer.join();
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Output {
        status,
        stdout,
        stderr,
        timed_out,
    }
}

fn read_all(reader: &mut impl Read) -> String {
    let mut bytes = Vec::new();
    let _ = reader.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Runs the `berth` binary under test with `args`, killed after 120 s.
pub fn berth(args: &[&str]) -> Output {
    berth_with_env(args, &[])
}

/// Runs `berth` in `dir` (its working directory).
pub fn berth_in(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_berth"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1");
    run_with_timeout(command, &[], BERTH_TIMEOUT)
}

/// Same, with extra environment variables.
pub fn berth_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_berth"));
    command.args(args).env("NO_COLOR", "1");
    for (key, value) in env {
        command.env(key, value);
    }
    run_with_timeout(command, &[], BERTH_TIMEOUT)
}

/// Runs the `docker` CLI; `Err` carries its stderr.
pub fn try_docker(args: &[&str]) -> Result<String, String> {
    try_docker_with_input(args, &[])
}

/// Runs the `docker` CLI with `stdin`.
pub fn try_docker_with_input(args: &[&str], stdin: &[u8]) -> Result<String, String> {
    let mut command = Command::new("docker");
    command.args(args);
    let output = run_with_timeout(command, stdin, DOCKER_TIMEOUT);
    if output.success() {
        Ok(output.stdout.trim().to_string())
    } else if output.timed_out {
        Err(format!(
            "docker {} timed out after {} s",
            args.join(" "),
            DOCKER_TIMEOUT.as_secs()
        ))
    } else {
        Err(format!(
            "docker {} failed: {}",
            args.join(" "),
            output.stderr.trim()
        ))
    }
}

/// Runs the `docker` CLI and returns its trimmed stdout; panics on failure.
pub fn docker(args: &[&str]) -> String {
    try_docker(args).unwrap_or_else(|message| panic!("{message}"))
}

/// Imports `TEST_IMAGE` once per process (and not at all when the engine
/// has it). Parallel test binaries may both import: the last tag wins and
/// both images work, so that race is harmless.
pub fn ensure_test_image() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        if try_docker(&["image", "inspect", "--format", "{{.Id}}", TEST_IMAGE]).is_ok() {
            return;
        }
        let busybox = rootfs::find_busybox().unwrap_or_else(|| {
            panic!(
                "integration tests need a static busybox at /bin/busybox: \
                 install it with `apt-get install -y busybox-static`"
            )
        });
        let tar = rootfs::busybox_rootfs_tar(&busybox).unwrap_or_else(|e| {
            panic!(
                "cannot build the busybox root file system from {}: {e}",
                busybox.display()
            )
        });
        try_docker_with_input(
            &["import", "--change", r#"CMD ["sh"]"#, "-", TEST_IMAGE],
            &tar,
        )
        .unwrap_or_else(|message| panic!("cannot import the test image: {message}"));
    });
}

/// Imports the busybox root file system as `image` with extra Dockerfile
/// `changes` (`ENTRYPOINT [...]`, `CMD [...]`).
pub fn import_busybox_as(image: &str, changes: &[&str]) {
    let busybox = rootfs::find_busybox().expect("a static busybox at /bin/busybox");
    let tar = rootfs::busybox_rootfs_tar(&busybox).expect("the busybox root file system");
    let mut args = vec!["import"];
    for change in changes {
        args.extend(["--change", change]);
    }
    args.extend(["-", image]);
    try_docker_with_input(&args, &tar)
        .unwrap_or_else(|message| panic!("cannot import {image}: {message}"));
}

/// Imports `TEST_PAUSE_IMAGE` once per process, when missing.
pub fn ensure_test_pause_image() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        if try_docker(&["image", "inspect", "--format", "{{.Id}}", TEST_PAUSE_IMAGE]).is_ok() {
            return;
        }
        let tar = rootfs::pause_rootfs_tar().unwrap_or_else(|message| panic!("{message}"));
        let mut args = vec!["import"];
        for change in rootfs::PAUSE_CHANGES {
            args.extend(["--change", change]);
        }
        args.extend(["-", TEST_PAUSE_IMAGE]);
        try_docker_with_input(&args, &tar)
            .unwrap_or_else(|message| panic!("cannot import the pause image: {message}"));
    });
}

/// A test's own project: a unique DNS-1123 name, and on drop the removal of
/// every container, volume and network labelled `io.berth.project=<name>`.
#[derive(Debug)]
pub struct Project {
    pub name: String,
}

impl Project {
    /// `t-<prefix>-<pid>-<counter>`, the prefix cut to keep the name a
    /// DNS-1123 label (lowercase letters, digits and `-`, at most 63).
    pub fn new(prefix: &str) -> Project {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let count = COUNTER.fetch_add(1, Ordering::SeqCst);
        let clean: String = prefix
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let suffix = format!("-{}-{count}", std::process::id());
        let room = 63 - 2 - suffix.len();
        let clean: String = clean.chars().take(room).collect();
        let name = format!("t-{}{suffix}", clean.trim_matches('-')).replace("--", "-");
        Project { name }
    }

    /// `io.berth.project=<name>`, as the docker CLI's `--label`/`--filter` wants.
    pub fn label(&self) -> String {
        format!("{PROJECT_LABEL}={}", self.name)
    }

    /// The project label as an engine filter.
    pub fn labels(&self) -> Vec<(String, String)> {
        vec![(PROJECT_LABEL.to_string(), self.name.clone())]
    }

    /// An image name owned by this project, removed with it.
    pub fn image(&self) -> String {
        format!("localhost/{}:1", self.name)
    }

    /// The names of this project's containers (running or not), sorted.
    pub fn containers(&self) -> Vec<String> {
        let mut names = self.objects(&["ps", "-a", "--format", "{{.Names}}"]);
        names.sort();
        names
    }

    /// Ids or names of this project's objects of `kind` (`ps -a`, `volume ls`, `network ls`).
    pub fn objects(&self, list: &[&str]) -> Vec<String> {
        let filter = format!("label={}", self.label());
        let mut args = list.to_vec();
        args.extend(["--filter", filter.as_str()]);
        try_docker(&args)
            .map(|out| out.lines().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// Removes everything labelled with this project, a few at a time
    /// (Docker 20.10 can deadlock under many concurrent removals).
    pub fn clean(&self) {
        let steps: [(&[&str], &[&str]); 3] = [
            (&["ps", "-aq"], &["rm", "-f", "-v"]),
            (&["volume", "ls", "-q"], &["volume", "rm", "-f"]),
            (&["network", "ls", "-q"], &["network", "rm"]),
        ];
        for (list, remove) in steps {
            for chunk in self.objects(list).chunks(4) {
                let mut args = remove.to_vec();
                args.extend(chunk.iter().map(String::as_str));
                if let Err(message) = try_docker(&args) {
                    eprintln!("cleaning project {}: {message}", self.name);
                }
            }
        }
        let reference = format!("reference=localhost/{}", self.name);
        let images = try_docker(&["images", "-q", "--filter", &reference]).unwrap_or_default();
        if !images.is_empty() {
            let _ = try_docker(&["image", "rm", "-f", &self.image()]);
        }
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        self.clean();
    }
}

/// The local engine through berth's own client (30 s per call).
pub async fn engine() -> berth::engine::DockerEngine {
    berth::engine::DockerEngine::connect()
        .await
        .expect("connect to the local Docker engine")
}

/// A temporary directory of manifests, removed when dropped.
pub struct ManifestDir {
    pub dir: tempfile::TempDir,
}

impl Default for ManifestDir {
    fn default() -> Self {
        ManifestDir::new()
    }
}

impl ManifestDir {
    pub fn new() -> ManifestDir {
        ManifestDir {
            dir: tempfile::tempdir().expect("create a temporary directory"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `contents` to `relative` (creating directories) and returns the path.
    pub fn write(&self, relative: &str, contents: &str) -> PathBuf {
        let path = self.dir.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create manifest directories");
        }
        std::fs::write(&path, contents).expect("write a manifest");
        path
    }

    pub fn remove(&self, relative: &str) {
        std::fs::remove_file(self.dir.path().join(relative)).expect("remove a manifest");
    }
}

/// Polls `condition` every 100 ms until it holds or `timeout` passes;
/// returns whether it held.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ---- Live queries through the berth CLI (pods, controllers, events) ----

/// How long a test waits for pods to settle.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// `berth --project P ARGS…`, the test image imported first; panics if it hangs.
pub fn in_project(project: &Project, args: &[&str]) -> Output {
    ensure_test_image();
    let mut all = vec!["--project", project.name.as_str()];
    all.extend_from_slice(args);
    let output = berth(&all);
    assert!(!output.timed_out, "berth {args:?} hung: {}", output.stderr);
    output
}

/// `berth apply DIR --project P --timeout 60s EXTRA…`.
pub fn apply_with(project: &Project, dir: &ManifestDir, extra: &[&str]) -> Output {
    let path = dir.path().to_str().expect("a UTF-8 temporary path");
    let mut args = vec!["apply", path, "--timeout", "60s"];
    args.extend_from_slice(extra);
    in_project(project, &args)
}

/// `berth apply DIR --project P --timeout 60s`.
pub fn apply(project: &Project, dir: &ManifestDir) -> Output {
    apply_with(project, dir, &[])
}

/// `berth diff DIR --project P`.
pub fn diff(project: &Project, dir: &ManifestDir) -> Output {
    let path = dir.path().to_str().expect("a UTF-8 temporary path");
    in_project(project, &["diff", path])
}

/// The Docker name of `container` of pod `pod` (namespace `default`).
pub fn container_name(project: &Project, pod: &str, container: &str) -> String {
    format!("berth_{}_default_{pod}_{container}", project.name)
}

/// Full ids of the project's containers (running or not), sorted.
pub fn container_ids(project: &Project) -> Vec<String> {
    let mut ids = project.objects(&["ps", "-aq", "--no-trunc"]);
    ids.sort();
    ids
}

/// Panics, showing what berth said, unless `output` exited with `code`.
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.code(),
        Some(code),
        "exit code (timed out: {})\nstdout:\n{}\nstderr:\n{}",
        output.timed_out,
        output.stdout,
        output.stderr
    );
}

/// Panics unless `stream` (stdout or stderr of a run) contains `needle`.
pub fn assert_says(stream: &str, needle: &str) {
    assert!(stream.contains(needle), "no {needle:?} in:\n{stream}");
}

/// The container lifecycle actions (create, start, stop, kill, die,
/// destroy) Docker reports on the project's objects while `work` runs.
pub fn container_actions_during<T>(
    project: &Project,
    work: impl FnOnce() -> T,
) -> (Vec<String>, T) {
    let clock = || docker(&["system", "info", "--format", "{{.SystemTime}}"]);
    let since = clock();
    let result = work();
    let until = clock();
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
    let touched = events
        .lines()
        .filter(|action| ["create", "start", "stop", "destroy", "kill", "die"].contains(action))
        .map(str::to_string)
        .collect();
    (touched, result)
}

/// Applies and panics, with what berth said, unless it exits 0.
pub fn apply_ok(project: &Project, dir: &ManifestDir) -> Output {
    let out = apply(project, dir);
    assert!(
        out.success(),
        "berth apply exited {:?} (timed out: {})\nstdout:\n{}\nstderr:\n{}",
        out.code(),
        out.timed_out,
        out.stdout,
        out.stderr
    );
    out
}

/// The `items` of `berth get KIND --project P -o json`; panics when berth fails.
pub fn live_items(project: &Project, kind: &str) -> Vec<serde_json::Value> {
    let out = berth(&["get", kind, "--project", &project.name, "-o", "json"]);
    assert!(
        out.success(),
        "berth get {kind} -o json exited {:?}\nstdout:\n{}\nstderr:\n{}",
        out.code(),
        out.stdout,
        out.stderr
    );
    let list: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("get {kind} -o json is not JSON ({e}):\n{}", out.stdout));
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("get {kind} -o json has no items array:\n{}", out.stdout))
        .clone()
}

/// The live pods of the project, sorted by name.
pub fn live_pods(project: &Project) -> Vec<serde_json::Value> {
    let mut pods = live_items(project, "pods");
    pods.sort_by_key(|p| p["metadata"]["name"].as_str().unwrap_or("").to_string());
    pods
}

/// The names of the project's live pods, sorted.
pub fn live_pod_names(project: &Project) -> Vec<String> {
    live_pods(project)
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap_or("").to_string())
        .collect()
}

/// One live pod by name (namespace `default`).
pub fn live_pod(project: &Project, name: &str) -> Option<serde_json::Value> {
    live_pods(project)
        .into_iter()
        .find(|p| p["metadata"]["name"] == name)
}

/// `status.containerStatuses[]` entry of container `name`.
pub fn container_status<'a>(pod: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    pod["status"]["containerStatuses"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["name"] == name))
        .unwrap_or(&serde_json::Value::Null)
}

/// Polls the live pod `name` until `holds` is true of it; returns it, or
/// panics after `timeout` showing the last pod seen and the events.
pub fn wait_for_pod(
    project: &Project,
    name: &str,
    timeout: Duration,
    what: &str,
    mut holds: impl FnMut(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let mut last = serde_json::Value::Null;
    let held = wait_until(timeout, || {
        last = live_pod(project, name).unwrap_or(serde_json::Value::Null);
        holds(&last)
    });
    if !held {
        let events = berth(&["events", "--project", &project.name]);
        panic!(
            "pod {name} never got to {what} within {timeout:?}; last seen:\n{}\nevents:\n{}{}",
            serde_json::to_string_pretty(&last).unwrap_or_default(),
            events.stdout,
            events.stderr
        );
    }
    last
}

/// `berth events --project P -o json`: Event objects (a List's items, or a bare array).
pub fn live_events(project: &Project) -> Vec<serde_json::Value> {
    let out = berth(&["events", "--project", &project.name, "-o", "json"]);
    assert!(
        out.success(),
        "berth events -o json exited {:?}\nstdout:\n{}\nstderr:\n{}",
        out.code(),
        out.stdout,
        out.stderr
    );
    let value: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("events -o json is not JSON ({e}):\n{}", out.stdout));
    match value.get("items") {
        Some(items) => items.as_array().cloned().unwrap_or_default(),
        None => value.as_array().cloned().unwrap_or_default(),
    }
}

/// `berth describe pod NAME --project P`; panics unless it exits 0.
pub fn describe_pod(project: &Project, name: &str) -> String {
    let out = berth(&["describe", "pod", name, "--project", &project.name]);
    assert!(
        out.success(),
        "berth describe pod {name} exited {:?}\nstdout:\n{}\nstderr:\n{}",
        out.code(),
        out.stdout,
        out.stderr
    );
    out.stdout
}
