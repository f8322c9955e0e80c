//! Apply benchmark: berth against the raw Engine API floor and against
//! docker-compose on the same workload, printed side by side in one run.
//!
//! `cargo bench --bench apply` (needs a Docker engine and busybox-static).
//! Workloads: a cold apply of 10 and 50 single-container pods; a no-op apply
//! of 50 pods against one `GET /containers/json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use berth::engine::{ContainerConfig, DockerEngine, Engine, RestartMode};

#[path = "common/mod.rs"]
mod common;

use common::{cleanup, prepare_images, IMAGE, PAUSE};

const PARALLEL: usize = 8;
const ROUNDS: usize = 3;

fn main() {
    // `cargo test --all-targets` runs bench targets without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let engine = Arc::new(
        rt.block_on(DockerEngine::connect())
            .expect("connect to Docker"),
    );
    rt.block_on(prepare_images(&engine));

    let berth = PathBuf::from(env!("CARGO_BIN_EXE_berth"));
    let work = tempfile::tempdir().expect("temp dir");
    println!("apply benchmark: median of {ROUNDS} rounds, parallelism {PARALLEL}, 2 containers per pod (infra + app) for berth and the floor, 1 per service for compose (at its default parallelism)\n");
    println!(
        "{:<28} {:>10} {:>12} {:>10} {:>12} {:>14}",
        "workload", "berth", "API floor", "compose", "berth/floor", "berth/compose"
    );
    for n in [10usize, 50] {
        let dir = write_pods(work.path(), n);
        let compose = write_compose(work.path(), n);
        let mut b = Vec::new();
        let mut f = Vec::new();
        let mut c = Vec::new();
        for round in 0..ROUNDS {
            let project = format!("bench-b{n}-{round}");
            b.push(time(|| berth_apply(&berth, &project, &dir)));
            cleanup(&project);
            let project = format!("bench-f{n}-{round}");
            f.push(rt.block_on(floor(engine.clone(), &project, n)));
            cleanup(&project);
            let project = format!("benchc{n}{round}");
            c.push(time(|| compose_up(&compose, &project)));
            compose_down(&compose, &project);
        }
        row(
            &format!("cold apply, {n} pods"),
            med(b),
            med(f),
            Some(med(c)),
        );
    }
    // No-op: 50 pods already there, apply again vs one list call.
    let dir = write_pods(work.path(), 50);
    let project = "bench-noop";
    berth_apply(&berth, project, &dir);
    let mut b = Vec::new();
    let mut f = Vec::new();
    for _ in 0..ROUNDS * 2 {
        b.push(time(|| berth_apply(&berth, project, &dir)));
        let started = Instant::now();
        rt.block_on(engine.list_containers(&berth::keys::filter(Some(project))))
            .expect("list");
        f.push(started.elapsed());
    }
    row("no-op apply, 50 pods", med(b), med(f), None);
    cleanup(project);
}

fn row(name: &str, berth: Duration, floor: Duration, compose: Option<Duration>) {
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    let ratio = |a: Duration, b: Duration| format!("{:.2}×", a.as_secs_f64() / b.as_secs_f64());
    println!(
        "{:<28} {:>10} {:>12} {:>10} {:>12} {:>14}",
        name,
        ms(berth),
        ms(floor),
        compose.map(ms).unwrap_or_else(|| "-".into()),
        ratio(berth, floor),
        compose
            .map(|c| ratio(berth, c))
            .unwrap_or_else(|| "-".into())
    );
}

fn med(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(f: impl FnOnce()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

/// `berth apply` of `dir` in `project`, at the floor's parallelism.
fn berth_apply(berth: &Path, project: &str, dir: &Path) {
    let parallel = PARALLEL.to_string();
    let dir = dir.to_str().expect("a UTF-8 temporary path");
    run(
        berth,
        &["apply", "--parallel", &parallel, "--project", project, dir],
    );
}

fn run(berth: &Path, args: &[&str]) {
    let out = Command::new(berth).args(args).output().expect("run berth");
    assert!(
        out.status.success(),
        "berth {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write_pods(root: &Path, n: usize) -> PathBuf {
    let dir = root.join(format!("pods{n}"));
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..n {
        let text = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\n  labels:\n    app: bench\nspec:\n  terminationGracePeriodSeconds: 0\n  containers:\n  - name: app\n    image: {IMAGE}\n    imagePullPolicy: Never\n    command: [\"sleep\", \"3600\"]\n"
        );
        std::fs::write(dir.join(format!("p{i}.yaml")), text).unwrap();
    }
    dir
}

fn write_compose(root: &Path, n: usize) -> PathBuf {
    let path = root.join(format!("compose{n}.yml"));
    let mut text = String::from("version: \"2.4\"\nservices:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  p{i}:\n    image: {IMAGE}\n    command: [\"sleep\", \"3600\"]\n    stop_grace_period: 0s\n    labels:\n      app: bench\n"
        ));
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn compose_up(file: &Path, project: &str) {
    let out = compose(file, project, &["up", "-d", "--no-build"]);
    assert!(
        out.status.success(),
        "docker-compose up: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn compose_down(file: &Path, project: &str) {
    let _ = compose(file, project, &["down", "-t", "0"]);
}

/// docker-compose, bounded. It runs at its own default parallelism (64):
/// with COMPOSE_PARALLEL_LIMIT below the number of services, compose 1.29
/// deadlocked here (every thread waiting on a lock, nothing created).
fn compose(file: &Path, project: &str, args: &[&str]) -> std::process::Output {
    Command::new("timeout")
        .args([
            "300",
            "docker-compose",
            "-f",
            file.to_str().unwrap(),
            "-p",
            project,
        ])
        .args(args)
        .output()
        .expect("run docker-compose")
}

/// The floor: the same containers (infra + app per pod, on one network)
/// created and started straight through the Engine API, `PARALLEL` at a time.
async fn floor(engine: Arc<DockerEngine>, project: &str, n: usize) -> Duration {
    let labels: BTreeMap<String, String> = berth::keys::filter(Some(project)).into_iter().collect();
    let network = format!("berth_{project}_default");
    let started = Instant::now();
    engine
        .create_network(&network, &labels)
        .await
        .expect("network");
    let gate = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    let mut tasks = Vec::new();
    for i in 0..n {
        let engine = engine.clone();
        let gate = gate.clone();
        let labels = labels.clone();
        let network = network.clone();
        let project = project.to_string();
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let infra = config(format!("berth_{project}_default_p{i}_POD"), PAUSE, &labels);
            let infra = ContainerConfig {
                network: Some((network, vec![format!("p{i}")])),
                stop_signal: Some("SIGKILL".into()),
                ..infra
            };
            let id = engine.create_container(&infra).await.expect("create infra");
            engine.start_container(&id).await.expect("start infra");
            let app = config(format!("berth_{project}_default_p{i}_app"), IMAGE, &labels);
            let app = ContainerConfig {
                cmd: Some(vec!["sleep".into(), "3600".into()]),
                network_mode: Some(format!("container:{id}")),
                ..app
            };
            let id = engine.create_container(&app).await.expect("create app");
            engine.start_container(&id).await.expect("start app");
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

fn config(name: String, image: &str, labels: &BTreeMap<String, String>) -> ContainerConfig {
    ContainerConfig {
        labels: labels.clone(),
        restart: RestartMode::Always,
        stop_timeout: Some(0),
        ..ContainerConfig::new(name, image)
    }
}
