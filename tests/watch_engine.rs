//! `berth watch` against an engine that goes away and comes back: a second
//! `dockerd` (its own network namespace) is stopped under a running loop
//! and started again; the loop stays up, says the engine is unreachable
//! without spinning, and converges once it answers again.

mod common;

use std::time::{Duration, Instant};

use common::engine2::ExtraEngine;
use common::watch::{http_get, Watcher};
use common::*;

/// A pod of one `sleep` container that stops at once.
fn pod(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n  \
         terminationGracePeriodSeconds: 0\n  containers:\n  - name: app\n    image: {TEST_IMAGE}\n    \
         imagePullPolicy: Never\n    command: [sleep, \"3600\"]\n"
    )
}

/// How long a step on a reachable engine may take.
const PATIENCE: Duration = Duration::from_secs(30);
/// How long the engine stays away: short, so that the loop's backoff
/// (1 s doubling) has its next try within about 8 s of the return.
const OUTAGE: Duration = Duration::from_secs(10);
/// The engine backoff's cap.
const BACKOFF_CAP: Duration = Duration::from_secs(30);

/// The id of container `name` on `engine` when it runs.
fn running_id(engine: &ExtraEngine, name: &str) -> Option<String> {
    engine
        .try_docker(&["inspect", "--format", "{{.State.Running}} {{.Id}}", name])
        .ok()
        .and_then(|out| out.strip_prefix("true ").map(str::to_string))
}

fn status(url: &str) -> u16 {
    http_get(url).0
}

/// The sum over results of `berth_reconciles_total` in `/metrics`.
fn reconciles(base: &str) -> u64 {
    let (code, text) = http_get(&format!("{base}/metrics"));
    assert_eq!(
        code, 200,
        "/metrics answers while the engine is down:\n{text}"
    );
    text.lines()
        .filter(|line| line.starts_with("berth_reconciles_total{"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// Names and phases of the pods the loop's API serves.
fn served_pods(base: &str) -> Vec<(String, String)> {
    let (code, body) = http_get(&format!("{base}/api/v1/pods"));
    assert_eq!(code, 200, "/api/v1/pods:\n{body}");
    let list: serde_json::Value = serde_json::from_str(&body).expect("a pod list in JSON");
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let name = p["metadata"]["name"].as_str().unwrap_or_default();
            let phase = p["status"]["phase"].as_str().unwrap_or_default();
            (name.to_string(), phase.to_string())
        })
        .collect()
}

/// Waits up to `timeout` for `condition`, or panics naming `what` with the
/// watch's log.
fn within(watch: &Watcher, timeout: Duration, what: &str, condition: impl FnMut() -> bool) {
    assert!(
        wait_until(timeout, condition),
        "{what} within {timeout:?}:\n{}",
        watch.log()
    );
}

#[test]
fn watch_rides_out_its_engine_going_away_and_converges_when_it_returns() {
    let began = Instant::now();
    let mut engine = ExtraEngine::start("watch");
    let project = Project::new("watch-engine");
    let dir = ManifestDir::new();
    dir.write("web.yaml", &pod("web"));
    let host = engine.host();
    let watch = Watcher::start_with_env(&project, dir.path(), &[], &[("DOCKER_HOST", &host)]);
    let base = watch.base_url();
    let readyz = format!("{base}/readyz");
    let web = container_name(&project, "web", "app");

    within(&watch, PATIENCE, "the pod runs on the extra engine", || {
        running_id(&engine, &web).is_some()
    });
    assert!(
        try_docker(&["inspect", &web]).is_err(),
        "the pod went to the host's engine, not to {host}"
    );
    within(&watch, PATIENCE, "/readyz is 200", || {
        status(&readyz) == 200
    });
    eprintln!("engine up, pod running, ready: {:?}", began.elapsed());

    // The engine goes away.
    let stopped = Instant::now();
    let stop_took = engine.stop();
    within(&watch, PATIENCE, "/readyz is 503", || {
        status(&readyz) == 503
    });
    eprintln!(
        "stop -> /readyz 503: {:?} (the daemon took {stop_took:?} to exit)",
        stopped.elapsed()
    );
    let (code, health) = http_get(&format!("{base}/healthz?verbose"));
    assert_eq!(code, 500, "an unreachable engine fails /healthz:\n{health}");
    assert!(
        health.contains(&format!("{host} unreachable")),
        "/healthz?verbose names the unreachable engine:\n{health}"
    );
    assert!(health.contains("[+]loop ok"), "the loop runs:\n{health}");
    let (code, page) = http_get(&format!("{base}/"));
    assert_eq!(code, 200, "the page is served from the snapshot");
    assert!(
        page.contains("Docker engine unreachable"),
        "the page says so:\n{page}"
    );

    // While it is away the loop retries with backoff, it does not spin.
    let before = reconciles(&base);
    let quiet = stopped + OUTAGE;
    std::thread::sleep(quiet.saturating_duration_since(Instant::now()));
    let during = reconciles(&base) - before;
    let outage = stopped.elapsed();
    eprintln!("reconciles from /readyz 503 to the end of the {outage:?} outage: {during}");
    assert!(
        during <= 6,
        "{during} reconciles while the engine was down; the loop spins:\n{}",
        watch.log()
    );
    assert_eq!(status(&readyz), 503, "still not ready while down");

    // It comes back: the loop's next try, at most one backoff delay (no
    // longer than the outage so far, plus the first second) away, converges.
    let restarted = Instant::now();
    engine.start_again();
    let answering = restarted.elapsed();
    let backoff = (outage + Duration::from_secs(1)).min(BACKOFF_CAP);
    let bound = Duration::from_secs(10) + backoff;
    let converged = || {
        status(&readyz) == 200
            && running_id(&engine, &web).is_some()
            && served_pods(&base) == [("web".to_string(), "Running".to_string())]
    };
    within(
        &watch,
        bound,
        "converged after the engine returned",
        converged,
    );
    let took = restarted.elapsed();
    eprintln!(
        "start -> converged: {took:?} (the daemon answered after {answering:?}; bound {bound:?})"
    );
    let apps = engine.docker(&[
        "ps",
        "--filter",
        &format!("label={}", project.label()),
        "--filter",
        &format!("name=^{web}$"),
        "--format",
        "{{.Names}}",
    ]);
    assert_eq!(apps, web, "exactly one app container of web runs");

    // The event stream reconnects on its own backoff (250 ms doubling to
    // 10 s); once it has, a removal behind berth's back is repaired at once
    // (the resync, 30 s, is too far off to do it).
    within(
        &watch,
        PATIENCE,
        "Docker's events are followed again",
        || watch.log().contains("following Docker events again"),
    );
    let old = running_id(&engine, &web).expect("web runs");
    let removed = Instant::now();
    engine.docker(&["rm", "-f", &web]);
    within(
        &watch,
        PATIENCE,
        "the removed container is repaired",
        || running_id(&engine, &web).is_some_and(|id| id != old),
    );
    let repair = removed.elapsed();
    eprintln!("docker rm -f after the return -> running again: {repair:?}");
    assert!(
        repair < Duration::from_secs(5),
        "repair took {repair:?}, the event stream did not come back:\n{}",
        watch.log()
    );
    eprintln!("whole test before clean-up: {:?}", began.elapsed());
}
