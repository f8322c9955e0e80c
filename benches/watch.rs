//! Watch benchmark: `berth watch` against Docker's own floor, in one run.
//!
//! `cargo bench --bench watch` (needs a Docker engine and busybox-static).
//! `BERTH_BENCH_PODS` (default 200) and `BERTH_BENCH_EDITS` (default 20)
//! make a quick run possible. Three measurements:
//! 1. edit-to-running: a pod's file saved (atomically, then in place, in
//!    turn) to its new app container's `start` event, against removing the
//!    two old containers and creating and starting two new ones through the
//!    Engine API, interleaved;
//! 2. an idle daemon over many converged pods: CPU and RSS from `/proc`;
//! 3. what a resync of that converged project costs: Docker calls by kind
//!    (from `/metrics`, and counted on the wire by a proxy on the Docker
//!    socket) and its duration against one label-filtered list call.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use berth::engine::{ContainerConfig, DockerEngine, Engine, EngineEvent, RestartMode};
use berth::keys;
use futures_util::StreamExt;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

#[path = "common/mod.rs"]
mod common;
#[path = "watch/daemon.rs"]
mod daemon;
#[path = "watch/wire.rs"]
mod wire;

use common::{prepare_images, IMAGE, PAUSE};
use daemon::{logged_reconciles, run, Cleanup, Daemon};
use wire::Wire;

const EDIT: &str = "bench-watch-edit";
const FLOOR: &str = "bench-watch-floor";
const IDLE: &str = "bench-watch-idle";
const PATIENCE: Duration = Duration::from_secs(60);
const SETTLE: Duration = Duration::from_secs(10);
const SAMPLE: Duration = Duration::from_secs(60);
const RESYNCS: usize = 5;

fn main() {
    // `cargo test --all-targets` runs bench targets without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let pods = count_from_env("BERTH_BENCH_PODS", 200);
    let edits = count_from_env("BERTH_BENCH_EDITS", 20);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let engine = rt
        .block_on(DockerEngine::connect())
        .expect("connect to Docker");
    rt.block_on(prepare_images(&engine));
    let berth = PathBuf::from(env!("CARGO_BIN_EXE_berth"));
    let work = tempfile::tempdir().expect("temp dir");

    println!(
        "watch benchmark, {} UTC: {} cores, Docker {}, load average {}",
        shell("date", &["-u", "+%Y-%m-%d %H:%M"]),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        shell("docker", &["version", "--format", "{{.Server.Version}}"]),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    );
    edit_to_running(&rt, &engine, &berth, work.path(), edits);
    // The idle daemon and the resyncs share one project of `pods` pods.
    let _idle = Cleanup::new(IDLE);
    let dir = write_pods(work.path(), pods);
    idle(&berth, &dir, work.path(), pods);
    resync(&rt, &engine, &berth, &dir, work.path());
}

fn count_from_env(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .unwrap_or_else(|| panic!("{name}={v}: a positive number, please")),
        Err(_) => default,
    }
}

fn shell(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|e| format!("({program}: {e})"))
}

// ---- 1. Edit to running ----

/// Save → running for berth and the floor, edit by edit, in milliseconds.
#[derive(Default)]
struct Edits {
    /// (atomic save, save → start event).
    berth: Vec<(bool, f64)>,
    floor: Vec<f64>,
    /// The `ms` of berth's log line for each reconcile of an edit.
    reconciles: Vec<f64>,
}

fn edit_to_running(rt: &Runtime, engine: &DockerEngine, berth: &Path, work: &Path, n: usize) {
    let _edit = Cleanup::new(EDIT);
    let _floor = Cleanup::new(FLOOR);
    let dir = work.join("manifests").join("edit");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("p0.yaml");
    std::fs::write(&file, pod_yaml("p0", 0)).unwrap();

    let mut berth_starts = Starts::follow(rt, engine, EDIT);
    let log = work.join("edit.log");
    let daemon = Daemon::start(berth, EDIT, &dir, log, &["--log-format", "json"], &[]);
    let mut berth_app = rt.block_on(running_app(engine, EDIT, "p0"));
    let mut floor_starts = Starts::follow(rt, engine, FLOOR);
    let mut floor_ids = rt.block_on(floor_pod(engine, None, 0));
    rt.block_on(running_app(engine, FLOOR, "p0"));

    let mut edits = Edits::default();
    for i in 1..=n {
        // Let the reconciles that follow Docker's events of the last edit pass.
        std::thread::sleep(Duration::from_secs(1));
        let atomic = i % 2 == 1;
        let saved = unix_nanos();
        save(&file, &pod_yaml("p0", i), atomic);
        let start = berth_starts.app_start(rt, "p0", &berth_app, &daemon);
        berth_app = start.container_id;
        edits.berth.push((atomic, millis(start.time_nanos - saved)));

        let began = unix_nanos();
        let old_app = floor_ids.1.clone();
        floor_ids = rt.block_on(floor_pod(engine, Some(floor_ids), i));
        let start = floor_starts.app_start(rt, "p0", &old_app, &daemon);
        edits.floor.push(millis(start.time_nanos - began));
    }
    edits.reconciles = logged_reconciles(&daemon.log(), 0)
        .into_iter()
        .filter(|r| r.triggers.contains("files") && r.changes > 0)
        .map(|r| r.ms)
        .collect();
    drop(daemon);
    print_edits(&edits);
}

fn print_edits(edits: &Edits) {
    let n = edits.berth.len();
    let all: Vec<f64> = edits.berth.iter().map(|e| e.1).collect();
    let by = |atomic: bool| -> Vec<f64> {
        edits
            .berth
            .iter()
            .filter(|e| e.0 == atomic)
            .map(|e| e.1)
            .collect()
    };
    let (atomic, in_place) = (by(true), by(false));
    let overhead: Vec<f64> = all.iter().zip(&edits.floor).map(|(a, b)| a - b).collect();
    println!("\n1. edit-to-running, {n} edits of one pod's env (debounce 50 ms), each followed by the floor\n");
    header();
    row(
        "berth watch: save → the new app container's start event",
        &all,
    );
    row(
        &format!("  atomic save (temp file renamed over), {}", atomic.len()),
        &atomic,
    );
    row(
        &format!("  written in place, {}", in_place.len()),
        &in_place,
    );
    row(
        "  berth's reconcile of the edit (`ms` of its log line)",
        &edits.reconciles,
    );
    row(
        "Docker floor: rm -f 2 containers, create + start 2 (API)",
        &edits.floor,
    );
    row(
        "berth − floor, edit by edit (goal: ≤ 150 ms p50)",
        &overhead,
    );
}

fn header() {
    println!("{:<62} {:>9} {:>9}", "", "p50", "p95");
}

fn row(name: &str, v: &[f64]) {
    println!("{:<62} {:>9} {:>9}", name, ms(pct(v, 50)), ms(pct(v, 95)));
}

fn pod_yaml(name: &str, generation: usize) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: bench\nspec:\n  \
         terminationGracePeriodSeconds: 0\n  containers:\n  - name: app\n    image: {IMAGE}\n    \
         imagePullPolicy: Never\n    command: [\"sleep\", \"3600\"]\n    env:\n    - name: GENERATION\n      \
         value: \"{generation}\"\n"
    )
}

/// An editor's save: a temporary file renamed over the old one, or a plain write.
fn save(file: &Path, text: &str, atomic: bool) {
    if atomic {
        let name = file.file_name().unwrap().to_string_lossy();
        let temp = file.with_file_name(format!(".{name}.swp"));
        std::fs::write(&temp, text).unwrap();
        std::fs::rename(&temp, file).unwrap();
    } else {
        std::fs::write(file, text).unwrap();
    }
}

/// The id of `pod`'s running app container, once it runs.
async fn running_app(engine: &DockerEngine, project: &str, pod: &str) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let all = engine
            .list_containers(&keys::filter(Some(project)))
            .await
            .expect("list");
        let app = all.into_iter().find(|c| {
            c.labels.get(keys::POD).map(String::as_str) == Some(pod)
                && c.labels.get(keys::CONTAINER).map(String::as_str) == Some("app")
                && c.state == berth::engine::ContainerState::Running
        });
        if let Some(app) = app {
            return app.id;
        }
        assert!(Instant::now() < deadline, "{project}/{pod} never ran");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The floor's pod: an infra container on the project's network and an
/// app container joined to it, as berth makes them; (infra id, app id).
async fn floor_pod(
    engine: &DockerEngine,
    old: Option<(String, String)>,
    generation: usize,
) -> (String, String) {
    let mut labels: BTreeMap<String, String> = keys::filter(Some(FLOOR)).into_iter().collect();
    labels.insert(keys::POD.into(), "p0".into());
    let network = format!("berth_{FLOOR}_default");
    match &old {
        Some((infra, app)) => {
            engine.remove_container(app).await.expect("remove app");
            engine.remove_container(infra).await.expect("remove infra");
        }
        None => engine
            .create_network(&network, &labels)
            .await
            .expect("network"),
    }
    let mut infra_labels = labels.clone();
    infra_labels.insert(keys::CONTAINER.into(), keys::INFRA_NAME.into());
    let infra = ContainerConfig {
        labels: infra_labels,
        network: Some((network, vec!["p0".into()])),
        stop_signal: Some("SIGKILL".into()),
        restart: RestartMode::Always,
        stop_timeout: Some(0),
        ..ContainerConfig::new(format!("berth_{FLOOR}_default_p0_POD"), PAUSE)
    };
    let infra = engine.create_container(&infra).await.expect("create infra");
    engine.start_container(&infra).await.expect("start infra");
    labels.insert(keys::CONTAINER.into(), "app".into());
    let app = ContainerConfig {
        labels,
        cmd: Some(vec!["sleep".into(), "3600".into()]),
        env: vec![format!("GENERATION={generation}")],
        network_mode: Some(format!("container:{infra}")),
        restart: RestartMode::Always,
        stop_timeout: Some(0),
        ..ContainerConfig::new(format!("berth_{FLOOR}_default_p0_app"), IMAGE)
    };
    let app = engine.create_container(&app).await.expect("create app");
    engine.start_container(&app).await.expect("start app");
    (infra, app)
}

/// Docker's `start` events of a project's containers, as they happen.
struct Starts {
    events: mpsc::UnboundedReceiver<EngineEvent>,
    task: tokio::task::JoinHandle<()>,
}

impl Starts {
    fn follow(rt: &Runtime, engine: &DockerEngine, project: &str) -> Starts {
        let mut stream = engine.event_stream(&keys::filter(Some(project)), &["start"]);
        let (tx, events) = mpsc::unbounded_channel();
        let task = rt.spawn(async move {
            while let Some(Ok(event)) = stream.next().await {
                if tx.send(event).is_err() {
                    break;
                }
            }
        });
        Starts { events, task }
    }

    /// The next start of `pod`'s app container that is not `old`.
    fn app_start(&mut self, rt: &Runtime, pod: &str, old: &str, daemon: &Daemon) -> EngineEvent {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let next = async { tokio::time::timeout_at(deadline, self.events.recv()).await };
            match rt.block_on(next) {
                Ok(Some(e))
                    if e.container_id != old
                        && e.attributes.get(keys::POD).map(String::as_str) == Some(pod)
                        && e.attributes.get(keys::CONTAINER).map(String::as_str) == Some("app") =>
                {
                    return e
                }
                Ok(Some(_)) => continue,
                Ok(None) => panic!("Docker's event stream ended"),
                Err(_) => panic!(
                    "no new app container started; berth said:\n{}",
                    daemon.log()
                ),
            }
        }
    }
}

impl Drop for Starts {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn unix_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_nanos() as i64
}

/// Nanoseconds in milliseconds.
fn millis(n: i64) -> f64 {
    n as f64 / 1e6
}

// ---- 2. An idle daemon ----

fn idle(berth: &Path, dir: &Path, work: &Path, pods: usize) {
    let started = Instant::now();
    let apply = [
        "--project",
        IDLE,
        "apply",
        "--parallel",
        "8",
        "--timeout",
        "10m",
    ];
    run(berth, &apply, dir);
    let applied = started.elapsed().as_secs_f64() * 1e3;

    let daemon = Daemon::start(berth, IDLE, dir, work.join("idle.log"), &[], &[]);
    daemon.base_url();
    std::thread::sleep(SETTLE);
    let first = cpu_ticks(daemon.pid());
    let began = Instant::now();
    let mut rss = Vec::new();
    while began.elapsed() < SAMPLE {
        rss.push(rss_kb(daemon.pid()));
        std::thread::sleep(Duration::from_secs(1));
    }
    let ticks = cpu_ticks(daemon.pid()) - first;
    let seconds = began.elapsed().as_secs_f64();
    rss.push(rss_kb(daemon.pid()));
    drop(daemon);

    let per_second = shell("getconf", &["CLK_TCK"])
        .parse::<f64>()
        .unwrap_or(100.0);
    let cpu = ticks as f64 / per_second / seconds * 100.0;
    let mb = |kb: u64| format!("{:.1} MB", kb as f64 / 1024.0);
    let most = rss.iter().copied().max().unwrap_or(0);
    println!(
        "\n2. {pods} pods: a cold apply, then berth watch (resync 30 s) idle for {:.0} s after {} s\n",
        seconds,
        SETTLE.as_secs()
    );
    println!(
        "{:<62} {:>9}",
        "berth apply --parallel 8, cold",
        ms(applied)
    );
    let cpu_line = format!("idle CPU, of one core ({ticks} ticks of 1/{per_second} s)");
    println!("{cpu_line:<62} {:>8.2}%", cpu);
    println!("{:<62} {:>9}", "RSS, most (goal: ≤ 30 MB)", mb(most));
    println!("{:<62} {:>9}", "RSS, at the end", mb(*rss.last().unwrap()));
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the daemon runs");
    // The command name may hold spaces: the fields that follow start after its `)`.
    let rest = &stat[stat.rfind(')').unwrap() + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the daemon runs");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

// ---- 3. A resync of a converged project ----

fn resync(rt: &Runtime, engine: &DockerEngine, berth: &Path, dir: &Path, work: &Path) {
    let socket = work.join("docker.sock");
    let wire = Wire::start(&socket);
    let host = format!("unix://{}", socket.display());
    let daemon = Daemon::start(
        berth,
        IDLE,
        dir,
        work.join("resync.log"),
        &["--resync", "2s", "--log-format", "json"],
        &[("BERTH_LOG", "debug"), ("DOCKER_HOST", &host)],
    );
    let base = daemon.base_url();
    // Past the first reconcile and the first resync, then a window of RESYNCS.
    let lines = daemon.wait_reconciles(0, 2);
    let (wire_a, metrics_a) = (wire.counts(), metrics(&base));
    let end = daemon.wait_reconciles(lines, RESYNCS);
    let (wire_b, metrics_b) = (wire.counts(), metrics(&base));
    let window = logged_reconciles(&daemon.log(), lines);
    let window = &window[..window.len().min(end - lines)];
    let mut woken: BTreeMap<&str, usize> = BTreeMap::new();
    for r in window {
        *woken.entry(r.triggers.as_str()).or_default() += 1;
    }
    let woken: Vec<String> = woken.iter().map(|(t, n)| format!("{n} by {t}")).collect();
    drop(daemon);

    let per = |a: &BTreeMap<String, u64>, b: &BTreeMap<String, u64>, kind: &str| {
        let d = b.get(kind).copied().unwrap_or(0) - a.get(kind).copied().unwrap_or(0);
        format!("{:.2}", d as f64 / window.len() as f64)
    };
    let mut kinds: Vec<String> = wire_b.keys().cloned().collect();
    if let (Some(_), Some(b)) = (&metrics_a, &metrics_b) {
        kinds.extend(b.keys().cloned());
    }
    kinds.sort();
    kinds.dedup();
    println!(
        "\n3. the converged project under --resync 2s: {} reconciles ({}), Docker calls per reconcile\n",
        window.len(),
        woken.join(", "),
    );
    println!(
        "{:<40} {:>10} {:>22}",
        "kind", "/metrics", "on the wire (proxy)"
    );
    for kind in kinds {
        let from_metrics = match (&metrics_a, &metrics_b) {
            (Some(a), Some(b)) => per(a, b, &kind),
            _ => "-".into(),
        };
        let on_wire = per(&wire_a, &wire_b, &kind);
        if [&from_metrics, &on_wire]
            .iter()
            .any(|n| !["-", "0.00"].contains(&n.as_str()))
        {
            println!("{kind:<40} {from_metrics:>10} {on_wire:>22}");
        }
    }
    if metrics_b.is_none() {
        println!("(/metrics did not answer; reconciles counted from the debug log, calls by a proxy on the Docker socket, reads included)");
    }

    let filter = keys::filter(Some(IDLE));
    let direct = time_lists(rt, engine, &filter);
    let proxied = rt
        .block_on(DockerEngine::connect_to(&host))
        .expect("the proxy");
    let proxied = time_lists(rt, &proxied, &filter);
    let took: Vec<f64> = window.iter().map(|r| r.ms).collect();
    println!();
    header();
    row(
        "one resync (`ms` of its debug line, whole ms, via the proxy)",
        &took,
    );
    row(
        "one label-filtered GET /containers/json, via the proxy",
        &proxied,
    );
    row("the same, straight to the engine", &direct);
}

fn time_lists(rt: &Runtime, engine: &DockerEngine, filter: &[(String, String)]) -> Vec<f64> {
    (0..10)
        .map(|_| {
            let started = Instant::now();
            rt.block_on(engine.list_containers(filter)).expect("list");
            started.elapsed().as_secs_f64() * 1e3
        })
        .collect()
}

/// `berth_docker_calls_total{kind="…"}` from `/metrics`; `None` when it does not answer.
fn metrics(base: &str) -> Option<BTreeMap<String, u64>> {
    let (status, body) = http_get(&format!("{base}/metrics"));
    if status != 200 {
        return None;
    }
    let counts = body
        .lines()
        .filter_map(|l| l.strip_prefix("berth_docker_calls_total{kind=\""))
        .filter_map(|l| l.split_once("\"}"))
        .map(|(kind, n)| {
            (
                kind.to_string(),
                n.trim().parse::<f64>().unwrap_or(0.0) as u64,
            )
        })
        .collect();
    Some(counts)
}

fn http_get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".into()), |(h, p)| (h, format!("/{p}")));
    let Ok(mut stream) = std::net::TcpStream::connect(host) else {
        return (0, String::new());
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    );
    let mut text = String::new();
    let _ = stream.read_to_string(&mut text);
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

fn write_pods(root: &Path, n: usize) -> PathBuf {
    let dir = root.join("manifests").join(format!("pods{n}"));
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..n {
        std::fs::write(
            dir.join(format!("p{i}.yaml")),
            pod_yaml(&format!("p{i}"), 0),
        )
        .unwrap();
    }
    dir
}

/// The `p`th percentile (nearest rank); NaN of nothing.
fn pct(v: &[f64], p: usize) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n => v[(n * p).div_ceil(100).max(1) - 1],
    }
}

/// Milliseconds, to one decimal under 10.
fn ms(v: f64) -> String {
    match v {
        v if v.is_nan() => "-".into(),
        v if v.abs() < 10.0 => format!("{v:.1} ms"),
        v => format!("{v:.0} ms"),
    }
}
