//! `berth watch` as a child process: started on a project's manifest
//! directory with `--listen 127.0.0.1:0`, its address read from its log,
//! stopped with SIGTERM (then SIGKILL) when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{ensure_test_image, Project};

/// A running `berth watch`.
pub struct Watcher {
    child: Option<Child>,
    log: PathBuf,
    _logdir: tempfile::TempDir,
}

impl Watcher {
    /// `berth --project P watch PATH --listen 127.0.0.1:0 --resync 30s EXTRA…`.
    pub fn start(project: &Project, path: &Path, extra: &[&str]) -> Watcher {
        Watcher::start_with_env(project, path, extra, &[])
    }

    /// Same, with extra environment variables (`DOCKER_HOST` to watch
    /// another engine).
    pub fn start_with_env(
        project: &Project,
        path: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Watcher {
        ensure_test_image();
        let logdir = tempfile::tempdir().expect("a temporary directory");
        let log = logdir.path().join("watch.log");
        let file = std::fs::File::create(&log).expect("the log file");
        let child = Command::new(env!("CARGO_BIN_EXE_berth"))
            .args(["--project", &project.name, "watch"])
            .arg(path)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("berth watch starts");
        Watcher {
            child: Some(child),
            log,
            _logdir: logdir,
        }
    }

    /// Everything it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `http://127.0.0.1:PORT` once it logged where it listens.
    pub fn base_url(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
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
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// Sends SIGTERM and waits up to `within` for the exit; its exit code.
    pub fn terminate(&mut self, within: Duration) -> Option<i32> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.terminate(Duration::from_secs(5));
        }
    }
}

/// A plain HTTP GET on loopback; (status, body).
pub fn http_get(url: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_string());
    (status, body)
}
