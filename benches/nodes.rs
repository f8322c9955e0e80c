//! Nodes benchmark: what a converged project on three engines costs, against
//! Docker's own floor, in one run.
//!
//! `cargo bench --bench nodes` (needs Docker, `ip`, `nsenter` and
//! busybox-static; run as root: it starts two more engines, each in its own
//! network namespace, and removes them at the end). `BERTH_BENCH_PODS`
//! (default 30) pods of a replication controller spread over this machine's
//! engine and the two others; then, alternating, `ROUNDS` times each:
//! 1. `berth apply` of the converged project (the whole command: connect
//!    to and probe each engine, list, plan);
//! 2. the same converge in one process over engines already connected
//!    (`converge::apply_pool`);
//! 3. the floor: three label-filtered `GET /containers/json`, at once, on
//!    engines already connected;
//! 4. the floor of a fresh command: connect (version negotiation) and list,
//!    three at once.

use std::path::Path;
use std::time::{Duration, Instant};

use berth::converge::{self, Member, Pool, Settings};
use berth::engine::{DockerEngine, Engine};
use berth::nodes::{self, NodeOptions};

#[path = "../tests/common/mod.rs"]
mod tcommon;

use tcommon::engine2::ExtraEngine;

const ROUNDS: usize = 15;

fn main() {
    // `cargo test --all-targets` runs bench targets without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let pods: u32 = std::env::var("BERTH_BENCH_PODS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    tcommon::ensure_test_image();
    let n2 = ExtraEngine::start("bench-n2");
    let n3 = ExtraEngine::start("bench-n3");
    let project = tcommon::Project::new("bench-nodes");
    let dir = tcommon::ManifestDir::new();
    let local = berth::engine::docker::default_endpoint();
    let mut text = String::new();
    for (name, endpoint) in [
        ("n1", local.as_str()),
        ("n2", &n2.host()),
        ("n3", &n3.host()),
    ] {
        text.push_str(&format!(
            "apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  annotations:\n    \
             berth.io/docker-host: {endpoint}\n---\n"
        ));
    }
    text.push_str(&format!(
        "apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: web\nspec:\n  replicas: {pods}\n  \
         selector:\n    app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      \
         terminationGracePeriodSeconds: 0\n      containers:\n      - name: app\n        image: {}\n        \
         imagePullPolicy: Never\n        command: [sleep, \"3600\"]\n",
        tcommon::TEST_IMAGE
    ));
    dir.write("all.yaml", &text);

    let started = Instant::now();
    let cold = apply(&project, dir.path());
    assert!(cold.success(), "cold apply failed:\n{}", cold.stderr);
    println!(
        "cold apply of {pods} pods over 3 engines: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let noop = apply(&project, dir.path());
    assert!(
        noop.success() && !noop.stdout.lines().any(|l| l.starts_with(['+', '-', '~'])),
        "not converged:\n{}{}",
        noop.stdout,
        noop.stderr
    );

    let endpoints = [local.clone(), n2.host(), n3.host()];
    let engines: Vec<DockerEngine> = rt.block_on(async {
        let mut out = Vec::new();
        for e in &endpoints {
            out.push(DockerEngine::connect_to(e).await.expect("connect"));
        }
        out
    });
    let manifests = berth::manifest::load(
        &[dir.path().to_path_buf()],
        berth::manifest::LoadOptions::default(),
    )
    .manifests;
    let mut settings = Settings::new(&project.name);
    settings.infra_image = berth::converge::DEFAULT_INFRA_IMAGE.to_string();
    let specs = nodes::declared(&manifests, &[], &local);
    let statuses: Vec<nodes::NodeStatus> = rt.block_on(async {
        nodes::connect_all(&specs, &NodeOptions::default(), &[], 0)
            .await
            .into_iter()
            .map(|(_, s)| s)
            .collect()
    });
    let filter = berth::keys::filter(Some(&project.name));

    let (mut command, mut in_process, mut floor, mut fresh) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let out = apply(&project, dir.path());
        command.push(t.elapsed());
        assert!(out.success(), "{}", out.stderr);

        let t = Instant::now();
        rt.block_on(async {
            let mut pool = Pool {
                members: statuses
                    .iter()
                    .zip(&engines)
                    .map(|(status, engine)| Member {
                        status: status.clone(),
                        engine: Some(engine),
                        last_seen: Vec::new(),
                    })
                    .collect(),
            };
            let outcome = converge::apply_pool(
                &mut pool,
                &manifests,
                &settings,
                &mut Default::default(),
                &mut |_| {},
            )
            .await
            .expect("converge");
            assert!(outcome.changes.is_empty(), "{:?}", outcome.changes);
        });
        in_process.push(t.elapsed());

        let t = Instant::now();
        rt.block_on(async {
            let lists = engines.iter().map(|e| e.list_containers(&filter));
            for list in futures_util::future::join_all(lists).await {
                list.expect("list");
            }
        });
        floor.push(t.elapsed());

        let t = Instant::now();
        rt.block_on(async {
            let lists = endpoints.iter().map(|endpoint| {
                let filter = &filter;
                async move {
                    let engine = DockerEngine::connect_to(endpoint).await.expect("connect");
                    engine.list_containers(filter).await.expect("list")
                }
            });
            futures_util::future::join_all(lists).await;
        });
        fresh.push(t.elapsed());
    }
    let (command, in_process, floor, fresh) = (
        median(command),
        median(in_process),
        median(floor),
        median(fresh),
    );
    println!("\nno-op apply of a converged {pods}-pod project on 3 engines (medians of {ROUNDS}):");
    println!("| what | time | ratio |");
    println!("|---|---|---|");
    println!("| 3 concurrent list calls (floor) | {} | 1.00 |", ms(floor));
    println!(
        "| converge::apply_pool, engines connected | {} | {:.2}× the floor |",
        ms(in_process),
        ratio(in_process, floor)
    );
    println!(
        "| 3 concurrent connects + list calls (a fresh command's floor) | {} | {:.2}× the floor |",
        ms(fresh),
        ratio(fresh, floor)
    );
    println!(
        "| `berth apply` (process: connect, probe, list, plan) | {} | {:.2}× the fresh floor |",
        ms(command),
        ratio(command, fresh)
    );
    drop(project);
    drop(n2);
    drop(n3);
}

fn apply(project: &tcommon::Project, dir: &Path) -> tcommon::Output {
    let path = dir.to_str().expect("a UTF-8 path");
    tcommon::berth(&[
        "--project",
        &project.name,
        "apply",
        path,
        "--timeout",
        "120s",
    ])
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}
