//! A second Docker engine for tests: a `dockerd` of its own in its own
//! network namespace, with its own socket, data root, exec root and
//! containerd namespaces, the test image imported; stopped, started again
//! and removed (namespace, mounts, files) by the test that owns it.
//!
//! The recipe is `shared/CRATES.md`'s: started in the host's network
//! namespace a second `dockerd` deletes the host's `docker0`, so it always
//! runs under `nsenter --net=/run/netns/…` (not `ip netns exec`, which hides
//! the cgroup mounts), with `--config-file` naming an empty `{}` because the
//! host's `/etc/docker/daemon.json` sets `data-root`.
//!
//! Checked here (Docker 20.10.24, cgroup v1): no other flag is needed. In
//! the fresh namespace `dockerd` creates its own `docker0` and its own
//! iptables chains (both belong to that namespace, the host's are not
//! touched), uses `overlay2` on the temporary directory's file system, and
//! starts containers on a user-defined network (what berth creates) in
//! well under a second; so neither `--bridge=none` nor `--iptables=false`
//! is passed.
#![allow(dead_code)]

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use berth::engine::rootfs;

use super::{run_with_timeout, TEST_IMAGE};

/// How long the daemon may take to answer `docker info` after its start.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a SIGTERM may take before the daemon is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one `docker -H …` call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// The programs the engine needs and the Debian package of each.
const TOOLS: [(&str, &str); 4] = [
    ("dockerd", "docker.io"),
    ("docker", "docker.io (or docker-cli)"),
    ("ip", "iproute2"),
    ("nsenter", "util-linux"),
];

/// A running (or stopped) second engine; everything it made goes when dropped.
pub struct ExtraEngine {
    /// `berth-<name>-<pid>-<n>`: the network namespace and containerd namespace.
    id: String,
    /// `/tmp/be2-XXXXXX`: config, socket, data root, exec root, pidfile, log.
    dir: tempfile::TempDir,
    daemon: Option<Child>,
}

impl ExtraEngine {
    /// A fresh engine called `name` (unique per process and call), answering
    /// on its socket, with the test image imported. Panics with the daemon's
    /// log when it does not come up within a minute.
    pub fn start(name: &str) -> ExtraEngine {
        require_tools();
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let count = COUNTER.fetch_add(1, Ordering::SeqCst);
        let clean: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(20)
            .collect();
        let id = format!("berth-{clean}-{}-{count}", std::process::id());
        // Under /tmp, not $TMPDIR: a unix socket path must stay under ~100 bytes.
        let dir = tempfile::Builder::new()
            .prefix("be2-")
            .tempdir_in("/tmp")
            .expect("a temporary directory for the engine");
        std::fs::write(dir.path().join("daemon.json"), "{}\n").expect("write daemon.json");
        let mut engine = ExtraEngine {
            id,
            dir,
            daemon: None,
        };
        // From here on a panic drops `engine`, which removes what was made.
        run_checked("ip", &["netns", "add", &engine.id]);
        run_checked(
            "ip",
            &["netns", "exec", &engine.id, "ip", "link", "set", "lo", "up"],
        );
        engine.start_again();
        engine.import_test_image();
        engine
    }

    /// `unix:///tmp/be2-…/docker.sock`, for `DOCKER_HOST` or `docker -H`.
    pub fn host(&self) -> String {
        format!("unix://{}", self.path("docker.sock").display())
    }

    /// The network namespace the engine and its containers live in.
    pub fn netns(&self) -> &str {
        &self.id
    }

    /// Whether the daemon process runs (it may not answer yet).
    pub fn is_running(&mut self) -> bool {
        self.daemon
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// Everything the daemon logged, across its starts.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("dockerd.log")).unwrap_or_default()
    }

    /// Starts the daemon on the same data root and waits until it answers:
    /// its containers come back as their restart policies say.
    pub fn start_again(&mut self) {
        assert!(!self.is_running(), "engine {} is already running", self.id);
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("dockerd.log"))
            .expect("the daemon's log file");
        let err = log.try_clone().expect("the daemon's log file");
        let netns = format!("--net=/run/netns/{}", self.id);
        let mut command = Command::new("nsenter");
        command
            .arg(&netns)
            .arg("dockerd")
            .arg("--config-file")
            .arg(self.path("daemon.json"))
            .args(["-H", &self.host()])
            .arg("--data-root")
            .arg(self.path("data"))
            .arg("--exec-root")
            .arg(self.path("exec"))
            .arg("--pidfile")
            .arg(self.path("dockerd.pid"))
            .args(["--containerd-namespace", &self.id])
            .args(["--containerd-plugins-namespace", &format!("{}-p", self.id)])
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
        self.daemon = Some(child);
        self.wait_answering();
    }

    /// SIGTERM to the daemon and a wait for its exit (it stops its
    /// containers first); SIGKILL after 30 s. Returns how long it took.
    pub fn stop(&mut self) -> Duration {
        let began = Instant::now();
        let Some(mut child) = self.daemon.take() else {
            return Duration::ZERO;
        };
        // `nsenter` without a PID namespace to enter execs the daemon in
        // place: the child's pid is the daemon's.
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = began + STOP_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() > deadline => {
                    eprintln!(
                        "engine {}: no exit {STOP_TIMEOUT:?} after SIGTERM; killing it",
                        self.id
                    );
                    let _ = child.kill();
                    let _ = child.wait();
                    self.kill_leftovers();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        began.elapsed()
    }

    /// `docker -H <this engine> ARGS`; its trimmed stdout, or its stderr.
    pub fn try_docker(&self, args: &[&str]) -> Result<String, String> {
        self.try_docker_with_input(args, &[])
    }

    /// Same, with `stdin` fed in.
    pub fn try_docker_with_input(&self, args: &[&str], stdin: &[u8]) -> Result<String, String> {
        let mut command = Command::new("docker");
        command.args(["-H", &self.host()]).args(args);
        let output = run_with_timeout(command, stdin, CALL_TIMEOUT);
        if output.success() {
            Ok(output.stdout.trim().to_string())
        } else if output.timed_out {
            Err(format!(
                "docker -H {} {} timed out after {CALL_TIMEOUT:?}",
                self.host(),
                args.join(" ")
            ))
        } else {
            Err(format!(
                "docker -H {} {} failed: {}",
                self.host(),
                args.join(" "),
                output.stderr.trim()
            ))
        }
    }

    /// `docker -H <this engine> ARGS`; panics on failure.
    pub fn docker(&self, args: &[&str]) -> String {
        self.try_docker(args)
            .unwrap_or_else(|message| panic!("{message}"))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Polls `docker info` until it answers; panics with the log otherwise.
    fn wait_answering(&mut self) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(child) = self.daemon.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.daemon = None;
                    panic!(
                        "dockerd of engine {} exited ({status}) while starting:\n{}",
                        self.id,
                        self.log()
                    );
                }
            }
            let mut command = Command::new("docker");
            command.args(["-H", &self.host(), "info", "--format", "{{.ID}}"]);
            if run_with_timeout(command, &[], Duration::from_secs(5)).success() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "dockerd of engine {} did not answer within {READY_TIMEOUT:?}:\n{}",
                self.id,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Imports the busybox root file system as `TEST_IMAGE`, as the host's
    /// engine has it (no registry, and no dependence on the host's copy).
    fn import_test_image(&self) {
        let busybox = rootfs::find_busybox().unwrap_or_else(|| {
            panic!("the extra engine needs a static busybox: apt-get install -y busybox-static")
        });
        let tar = rootfs::busybox_rootfs_tar(&busybox)
            .unwrap_or_else(|e| panic!("cannot build the busybox root file system: {e}"));
        self.try_docker_with_input(
            &["import", "--change", r#"CMD ["sh"]"#, "-", TEST_IMAGE],
            &tar,
        )
        .unwrap_or_else(|message| panic!("cannot import the test image: {message}"));
    }

    /// After a SIGKILL: ends, by pid, what the daemon left behind — its
    /// containerd and shims (their command lines name this engine's
    /// directory) and its containers' processes (their cgroups name one of
    /// this engine's container ids).
    fn kill_leftovers(&self) {
        let dir = self.dir.path().to_string_lossy().into_owned();
        let ids: Vec<String> = std::fs::read_dir(self.path("data").join("containers"))
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return;
        };
        for entry in procs.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.parse::<u32>().is_err() {
                continue;
            }
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline);
            let cgroup = std::fs::read_to_string(entry.path().join("cgroup")).unwrap_or_default();
            if cmdline.contains(&dir) || ids.iter().any(|id| cgroup.contains(id.as_str())) {
                let _ = Command::new("kill")
                    .args(["-KILL", &name])
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }

    /// Lazily unmounts everything mounted under the directory, deepest first.
    fn unmount_all(&self) {
        let dir = self.dir.path().to_string_lossy().into_owned();
        let mut points: Vec<String> = std::fs::read_to_string("/proc/self/mountinfo")
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.split(' ').nth(4))
            .map(unescape_mount_point)
            .filter(|point| Path::new(point).starts_with(&dir))
            .collect();
        points.sort_by_key(|point| std::cmp::Reverse(point.len()));
        points.dedup();
        for point in points {
            let _ = Command::new("umount")
                .args(["-l", &point])
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Drop for ExtraEngine {
    /// Never panics: stops the daemon, ends its leftovers, unmounts, removes
    /// the namespace; the temporary directory goes after this body.
    fn drop(&mut self) {
        self.stop();
        self.kill_leftovers();
        self.unmount_all();
        let removed = Command::new("ip")
            .args(["netns", "del", &self.id])
            .stderr(Stdio::null())
            .status();
        if !removed.is_ok_and(|s| s.success()) && Path::new("/run/netns").join(&self.id).exists() {
            eprintln!("engine {}: could not remove its network namespace", self.id);
        }
    }
}

/// `/proc/self/mountinfo` writes space, tab, newline and `\` as octal escapes.
fn unescape_mount_point(raw: &str) -> String {
    raw.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

/// Panics, naming the package to install, unless every tool is on `PATH`.
fn require_tools() {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for (tool, package) in TOOLS {
        let found = std::env::split_paths(&path).any(|dir| dir.join(tool).is_file());
        assert!(
            found,
            "the extra Docker engine needs `{tool}`: apt-get install -y {package}"
        );
    }
}

/// Runs `program ARGS` (bounded), panicking with its stderr on failure.
fn run_checked(program: &str, args: &[&str]) {
    let mut command = Command::new(program);
    command.args(args);
    let output = run_with_timeout(command, &[], CALL_TIMEOUT);
    assert!(
        output.success(),
        "{program} {} failed: {}",
        args.join(" "),
        output.stderr.trim()
    );
}
