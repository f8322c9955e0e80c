//! Real Kubernetes clients against a berth API at `url`
//! (`http://127.0.0.1:PORT`): the official Python client and kubectl.
//! Each check panics with the client's own output when it fails, so the
//! same checks run against `berth watch` as against an in-process server.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// What the project under test declares, in one namespace.
#[derive(Debug, Clone)]
pub struct Expect {
    pub namespace: String,
    /// Every pod (controller pods included), sorted.
    pub pods: Vec<String>,
    pub controllers: Vec<String>,
    pub services: Vec<String>,
}

/// A client's run.
#[derive(Debug)]
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

fn run(mut command: Command, timeout: Duration) -> Run {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("the client starts");
    let (out, err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let read = |mut stream: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stream.read_to_string(&mut text);
            text
        })
    };
    let (out, err) = (read(Box::new(out)), read(Box::new(err)));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        ok: status.is_some_and(|s| s.success()),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// A scratch directory for one client: an empty kubeconfig, a cache dir
/// and a HOME that holds nothing of the user's.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kubeconfig"), "").unwrap();
        Scratch { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn home(&self) -> &Path {
        self.dir.path()
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::new()
    }
}

/// `kubectl --server URL ARGS…` with nothing of the user's configuration.
pub fn kubectl_command(url: &str, scratch: &Scratch, args: &[&str]) -> Command {
    let mut command = Command::new("kubectl");
    command
        .env("KUBECONFIG", scratch.path("kubeconfig"))
        .env("HOME", scratch.home())
        .arg("--server")
        .arg(url)
        .arg("--request-timeout=10s")
        .arg("--cache-dir")
        .arg(scratch.path("cache"))
        .args(args);
    command
}

pub fn kubectl(url: &str, args: &[&str]) -> Run {
    let scratch = Scratch::new();
    run(
        kubectl_command(url, &scratch, args),
        Duration::from_secs(30),
    )
}

fn kubectl_ok(url: &str, args: &[&str]) -> String {
    let out = kubectl(url, args);
    assert!(
        out.ok,
        "kubectl {args:?} failed:\n{}\n{}",
        out.stdout, out.stderr
    );
    if std::env::var_os("BERTH_SHOW_CLIENTS").is_some() {
        eprintln!("$ kubectl {}\n{}{}", args.join(" "), out.stdout, out.stderr);
    }
    out.stdout
}

/// The first column of every line but the header.
fn names(table: &str) -> Vec<String> {
    table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// The official Python client lists pods, nodes, controllers, services,
/// endpoints, events and namespaces, and reads one pod, validating every
/// field its models require.
pub fn check_python_client(url: &str, expect: &Expect) {
    let script = r#"
import json, sys
from kubernetes import client
configuration = client.Configuration(host=sys.argv[1])
api = client.CoreV1Api(client.ApiClient(configuration))
ns = sys.argv[2]
names = lambda items: sorted(i.metadata.name for i in items)
pods = api.list_namespaced_pod(ns).items
first = api.read_namespaced_pod(pods[0].metadata.name, ns)
print(json.dumps({
    "pods": names(pods),
    "nodes": names(api.list_node().items),
    "controllers": names(api.list_namespaced_replication_controller(ns).items),
    "services": names(api.list_namespaced_service(ns).items),
    "endpoints": names(api.list_namespaced_endpoints(ns).items),
    "namespaces": names(api.list_namespace().items),
    "events": len(api.list_namespaced_event(ns).items),
    "phase": first.status.phase,
    "restarts": [c.restart_count for c in first.status.container_statuses],
    "all_pods": len(api.list_pod_for_all_namespaces(label_selector="").items),
}))
"#;
    let mut command = Command::new("python3");
    command
        .arg("-c")
        .arg(script)
        .arg(url)
        .arg(&expect.namespace);
    let out = run(command, Duration::from_secs(60));
    assert!(
        out.ok,
        "the Python client failed:\n{}\n{}",
        out.stdout, out.stderr
    );
    let got: Value =
        serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    assert_eq!(got["pods"], serde_json::json!(expect.pods), "{got}");
    assert_eq!(
        got["controllers"],
        serde_json::json!(expect.controllers),
        "{got}"
    );
    assert_eq!(got["services"], serde_json::json!(expect.services), "{got}");
    assert_eq!(
        got["endpoints"],
        serde_json::json!(expect.services),
        "{got}"
    );
    assert!(
        got["nodes"].as_array().unwrap().contains(&"local".into()),
        "{got}"
    );
    let namespaces = got["namespaces"].as_array().unwrap();
    assert!(
        namespaces.contains(&expect.namespace.clone().into()),
        "{got}"
    );
    assert_eq!(got["phase"], "Running", "{got}");
    assert!(got["events"].as_u64().unwrap() > 0, "{got}");
}

/// The words of a table's first line (kubectl's column headers).
fn header_words(table: &str) -> Vec<&str> {
    table
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect()
}

/// `kubectl get pods -l SELECTOR` shows exactly `want`, with kubectl's
/// columns.
pub fn check_kubectl_get_by_label(url: &str, namespace: &str, selector: &str, want: &[&str]) {
    let out = kubectl_ok(url, &["get", "pods", "-n", namespace, "-l", selector]);
    let header = header_words(&out);
    assert_eq!(
        header,
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
        "{out}"
    );
    assert_eq!(names(&out), want, "{out}");
    for line in out.lines().skip(1) {
        assert!(line.contains("Running"), "{out}");
    }
}

/// `kubectl get pods -o wide` adds IP, NODE, NOMINATED NODE and READINESS
/// GATES; every pod has an IP on node `local`.
pub fn check_kubectl_wide(url: &str, namespace: &str, pods: &[String]) {
    let out = kubectl_ok(url, &["get", "pods", "-n", namespace, "-o", "wide"]);
    let header = out.lines().next().unwrap_or("");
    for column in ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"] {
        assert!(header.contains(column), "{out}");
    }
    assert_eq!(names(&out), pods, "{out}");
    for line in out.lines().skip(1) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert!(cells[5].parse::<std::net::Ipv4Addr>().is_ok(), "{out}");
        assert_eq!(cells[6], "local", "{out}");
    }
}

/// `kubectl get nodes,rc,svc -A` shows each kind with its kubectl columns.
pub fn check_kubectl_all_kinds(url: &str, expect: &Expect) {
    let out = kubectl_ok(url, &["get", "nodes,rc,svc", "-A"]);
    assert!(out.contains("node/local"), "{out}");
    assert!(out.contains("Ready"), "{out}");
    for header in [
        "DESIRED",
        "CURRENT",
        "READY",
        "CLUSTER-IP",
        "PORT(S)",
        "VERSION",
    ] {
        assert!(out.contains(header), "{header}: {out}");
    }
    let listed = |object: String| {
        out.lines().any(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            cells.len() > 2 && cells[0] == expect.namespace && cells[1] == object
        })
    };
    for rc in &expect.controllers {
        assert!(listed(format!("replicationcontroller/{rc}")), "{rc}: {out}");
    }
    for svc in &expect.services {
        assert!(listed(format!("service/{svc}")), "{svc}: {out}");
    }
}

/// `kubectl describe pod NAME`: the pod, its containers and its events.
pub fn check_kubectl_describe(url: &str, namespace: &str, pod: &str) {
    let out = kubectl_ok(url, &["describe", "pod", pod, "-n", namespace]);
    assert!(out.contains(&format!("Name:         {pod}")), "{out}");
    assert!(out.contains("Status:       Running"), "{out}");
    assert!(out.contains("Node:         local"), "{out}");
    assert!(out.contains("Containers:"), "{out}");
    assert!(out.contains("Events:"), "{out}");
    assert!(
        out.contains("Started"),
        "the pod's events are listed: {out}"
    );
    assert!(!out.contains("<none>\n\nEvents:  <none>"), "{out}");
}

/// `kubectl get events`, `get endpoints` and `get all`: the pod's events,
/// the service's ready addresses, and every kind of the `all` category.
pub fn check_kubectl_events_endpoints_and_all(url: &str, expect: &Expect) {
    let ns = expect.namespace.as_str();
    let events = kubectl_ok(url, &["get", "events", "-n", ns]);
    let header = header_words(&events);
    assert_eq!(
        header,
        ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
        "{events}"
    );
    for pod in &expect.pods {
        assert!(events.contains(&format!("pod/{pod}")), "{pod}: {events}");
    }
    let endpoints = kubectl_ok(url, &["get", "endpoints", "-n", ns]);
    for service in &expect.services {
        let line = endpoints
            .lines()
            .find(|l| l.starts_with(&format!("{service} ")));
        let line = line.unwrap_or_else(|| panic!("{service}: {endpoints}"));
        let address = line.split_whitespace().nth(1).unwrap_or("");
        assert!(
            address.contains(':'),
            "{service} has addresses: {endpoints}"
        );
    }
    let all = kubectl_ok(url, &["get", "all", "-n", ns]);
    for pod in &expect.pods {
        assert!(all.contains(&format!("pod/{pod} ")), "{pod}: {all}");
    }
    for rc in &expect.controllers {
        assert!(
            all.contains(&format!("replicationcontroller/{rc} ")),
            "{rc}: {all}"
        );
    }
    for service in &expect.services {
        assert!(
            all.contains(&format!("service/{service} ")),
            "{service}: {all}"
        );
    }
}

/// `kubectl get pods -w` running in the background, its lines collected.
pub struct KubectlWatch {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    _scratch: Scratch,
}

impl KubectlWatch {
    pub fn start(url: &str, namespace: &str) -> KubectlWatch {
        let scratch = Scratch::new();
        let mut command = kubectl_command(url, &scratch, &["get", "pods", "-w", "-n", namespace]);
        command.stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = command.spawn().expect("kubectl starts");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        KubectlWatch {
            child,
            lines,
            seen: Vec::new(),
            _scratch: scratch,
        }
    }

    /// Waits for a line containing every one of `needles`; `false` after
    /// `timeout`.
    pub fn wait_for(&mut self, needles: &[&str], timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let found = |line: &String| needles.iter().all(|n| line.contains(n));
        if self.seen.iter().any(found) {
            return true;
        }
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = found(&line);
                    self.seen.push(line);
                    if hit {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
        false
    }

    pub fn seen(&self) -> &[String] {
        &self.seen
    }
}

impl Drop for KubectlWatch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
