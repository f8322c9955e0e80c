//! The `berth watch` daemon the benchmark runs, its JSON log, one-shot
//! `berth` runs, and cleaning a project up (a few objects at a time).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::common::cleanup;
use super::PATIENCE;

/// A running `berth watch`, stopped with SIGTERM (then SIGKILL) when dropped.
pub(crate) struct Daemon {
    child: Child,
    log: PathBuf,
}

impl Daemon {
    /// Its log goes to `log`, which must not be beside `dir`: berth
    /// watches the directory holding `dir` too.
    pub(crate) fn start(
        berth: &Path,
        project: &str,
        dir: &Path,
        log: PathBuf,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Daemon {
        let file = std::fs::File::create(&log).expect("the log file");
        let child = Command::new(berth)
            .args(["--project", project, "watch"])
            .arg(dir)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .envs(env.iter().copied())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("berth watch starts");
        Daemon { child, log }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `http://127.0.0.1:PORT`, once it said where it listens.
    pub(crate) fn base_url(&self) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let log = self.log();
            if let Some(at) = log.find("are at http://") {
                let rest = &log[at + "are at ".len()..];
                let end = rest
                    .find(|c: char| c.is_whitespace() || c == '"')
                    .unwrap_or(rest.len());
                return rest[..end].trim_end_matches('/').to_string();
            }
            assert!(
                Instant::now() < deadline,
                "berth watch never said where it listens:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for `more` reconciles after the first `seen`, and a little for
    /// their snapshot to be published; how many there are then.
    pub(crate) fn wait_reconciles(&self, seen: usize, more: usize) -> usize {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let now = logged_reconciles(&self.log(), 0).len();
            if now >= seen + more {
                std::thread::sleep(Duration::from_millis(200));
                return now;
            }
            assert!(
                Instant::now() < deadline,
                "no reconcile logged:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `reconciled` line of a `--log-format json` log.
pub(crate) struct Reconciled {
    pub triggers: String,
    /// Whole milliseconds, as logged.
    pub ms: f64,
    pub changes: u64,
}

/// The `reconciled` lines of `log` after the first `skip` of them.
pub(crate) fn logged_reconciles(log: &str, skip: usize) -> Vec<Reconciled> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| {
            v["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("reconciled"))
        })
        .skip(skip)
        .map(|v| Reconciled {
            triggers: v["triggers"].as_str().unwrap_or("").to_string(),
            ms: v["ms"].as_f64().unwrap_or(0.0),
            changes: v["changes"].as_u64().unwrap_or(0),
        })
        .collect()
}

pub(crate) fn run(berth: &Path, args: &[&str], dir: &Path) {
    let out = Command::new(berth)
        .args(args)
        .arg(dir)
        .output()
        .expect("run berth");
    assert!(
        out.status.success(),
        "berth {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Removes a project's containers, volumes and networks now and when dropped.
pub(crate) struct Cleanup(&'static str);

impl Cleanup {
    pub(crate) fn new(project: &'static str) -> Cleanup {
        cleanup(project);
        Cleanup(project)
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        cleanup(self.0);
    }
}
