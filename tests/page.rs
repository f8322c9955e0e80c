//! The watch page against the real engine, seen by a real browser: a small
//! project is applied, a snapshot is built from what the engine runs, the
//! page is served on loopback and headless Chromium renders it, keeping
//! screenshots (desktop and phone widths) as test artifacts in
//! `target/artifacts/`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use berth::converge::{Change, Verb};
use berth::engine::Engine;
use berth::manifest::{self, LoadOptions};
use berth::observe::{self, Depth, InspectCache};
use berth::serve::{serve, ServeState};
use berth::snapshot::{
    EngineStatus, ManifestState, ReconcileReport, ReconcileResult, Snapshot, SyncState, Trigger,
};
use common::*;

const CHROMIUM: &str = "/usr/bin/chromium";
/// How long one Chromium run may take before it is killed.
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(60);

fn pod(name: &str, app: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{app: {app}}}\nspec:\n  \
         terminationGracePeriodSeconds: 0\n  containers:\n  - name: main\n    image: {TEST_IMAGE}\n    \
         imagePullPolicy: Never\n    command: [sleep, '3600']\n"
    )
}

const CONTROLLER: &str = "apiVersion: v1
kind: ReplicationController
metadata:
  name: api
spec:
  replicas: 2
  selector: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: server
        image: IMAGE
        imagePullPolicy: Never
        command: [sleep, '3600']
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
";

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Makes `dir` a git checkout of one commit, so the page shows a revision.
fn commit_all(dir: &Path) {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=Berth Test",
            "-c",
            "user.email=test@berth.invalid",
            "commit",
            "-q",
            "-m",
            "first",
        ],
    ] {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("HOME", home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdout(Stdio::null())
            .status()
            .expect("run git");
        assert!(status.success(), "git {args:?}");
    }
}

/// A snapshot of `project` as the watch loop would publish it after
/// converging `dir`: observed from the engine, manifests loaded afresh.
async fn snapshot_of(project: &Project, dir: &Path) -> Snapshot {
    let engine = engine().await;
    let observed = observe::observe_with(
        &engine,
        Some(&project.name),
        &mut InspectCache::default(),
        Depth::Full,
    )
    .await
    .expect("observe the engine");
    let now = unix_now();
    let labels = berth::keys::filter(Some(&project.name));
    let events = engine
        .container_events(now - 600, now, &labels)
        .await
        .expect("read Docker events");
    let loaded = manifest::load(&[dir.to_path_buf()], LoadOptions::default());
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let changes = observed
        .pods
        .iter()
        .map(|pod| Change {
            verb: Verb::Created,
            object: format!("pod {}/{}", pod.namespace, pod.name),
            detail: String::new(),
            node: String::new(),
        })
        .collect();
    Snapshot {
        nodes: Vec::new(),
        generation: 1,
        taken_at: now,
        project: project.name.clone(),
        paths: vec![dir.to_path_buf()],
        started_at: now - 5,
        engine: EngineStatus {
            endpoint: engine.endpoint(),
            reachable: Some(true),
            error: None,
            since: now - 5,
            retry_in: None,
            info: Some(engine.info().await.expect("docker info")),
        },
        manifests: ManifestState {
            valid: true,
            errors: Vec::new(),
            warnings: Vec::new(),
            loaded_at: Some(now - 3),
            files: loaded.files,
            last_good: Some(Arc::new(loaded.manifests)),
        },
        observed: Some(Arc::new(observed)),
        docker_events: Arc::new(events),
        sync: SyncState::InSync,
        last_reconcile: Some(ReconcileReport {
            number: 1,
            started_at_ms: (now - 3) * 1000,
            duration: Duration::from_millis(1840),
            triggers: vec![Trigger::Start],
            result: ReconcileResult::Converged,
            changes,
            errors: Vec::new(),
        }),
        revision: berth::gitrev::read(dir),
        metrics: Default::default(),
    }
}

/// Waits (up to 5 minutes) for Chromium, which may still be installing.
fn wait_for_chromium() {
    let found = wait_until(Duration::from_secs(300), || Path::new(CHROMIUM).exists());
    assert!(found, "{CHROMIUM} is missing (apt-get install chromium)");
}

/// Runs headless Chromium with `args` on `url` in a fresh profile, under
/// `timeout` (which kills its whole process group); returns its stdout.
fn chromium(args: &[&str], url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out_path = profile.path().join("stdout");
    let out = std::fs::File::create(&out_path).unwrap();
    let status = Command::new("timeout")
        .args(["-k", "5", &CHROMIUM_TIMEOUT.as_secs().to_string(), CHROMIUM])
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("p").display()
        ))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::null())
        .status()
        .expect("run chromium");
    assert!(status.success(), "chromium {args:?} {url}: {status}");
    std::fs::read_to_string(out_path).unwrap()
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Takes a screenshot of `url` at `size` into `name`, and checks it is a
/// PNG of some substance.
fn screenshot(url: &str, size: &str, name: &str) -> PathBuf {
    let path = artifacts().join(name);
    let _ = std::fs::remove_file(&path);
    chromium(
        &[
            &format!("--window-size={size}"),
            &format!("--screenshot={}", path.display()),
        ],
        url,
    );
    let png = std::fs::read(&path).expect("a screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name} is a PNG");
    assert!(png.len() > 20_000, "{name} is only {} bytes", png.len());
    path
}

#[test]
fn the_page_shows_the_engines_pods_in_a_real_browser() {
    ensure_test_image();
    let project = Project::new("page");
    let dir = ManifestDir::new();
    dir.write("web.yaml", &pod("web", "web"));
    dir.write("cache.yaml", &pod("cache", "cache"));
    dir.write("api.yaml", &CONTROLLER.replace("IMAGE", TEST_IMAGE));
    apply_ok(&project, &dir);
    commit_all(dir.path());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let snapshot = runtime.block_on(snapshot_of(&project, dir.path()));
    assert_eq!(snapshot.observed.as_ref().unwrap().pods.len(), 4);
    assert_eq!(snapshot.revision.as_ref().unwrap().dirty, Some(false));
    let (sender, receiver) = tokio::sync::watch::channel(Arc::new(snapshot));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(serve(listener, ServeState::new(receiver), async {
        let _ = stopped.await;
    }));

    wait_for_chromium();
    let dom = chromium(&["--dump-dom"], &url);
    for name in ["web", "cache", "api-0", "api-1"] {
        let cell = format!(r#"<td class="name">{name}"#);
        assert!(dom.contains(&cell), "no pod {name} in {dom}");
    }
    assert!(dom.contains(&format!(
        "<title>berth · {} · in sync</title>",
        project.name
    )));
    assert_eq!(
        dom.matches(r#"<span class="pill phase-running">Running</span>"#)
            .count(),
        4
    );
    assert!(dom.contains("✓ In sync"));
    assert!(dom.contains("ReplicationController/api"));
    assert!(dom.contains("80→8080/TCP"));

    let desktop = screenshot(&url, "1280,1600", "watch-page.png");
    let phone = screenshot(&url, "390,1200", "watch-page-phone.png");
    eprintln!("screenshots: {} {}", desktop.display(), phone.display());

    // With the sender gone every stream sends the current section once and
    // ends, so the browser's network goes idle and virtual time can run:
    // the page's script must have swapped a streamed section in.
    drop(sender);
    let dom = chromium(&["--dump-dom", "--virtual-time-budget=3000"], &url);
    assert!(
        dom.contains(r#"data-shown="1""#),
        "no streamed section shown: {dom}"
    );
    assert_eq!(dom.matches(r#"id="main""#).count(), 1);
    assert!(dom.contains(r#"<td class="name">api-0"#));

    let _ = stop.send(());
    runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(10), server).await })
        .expect("the server stops")
        .unwrap()
        .unwrap();
}

const WORKLOADS: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: IMAGE
        imagePullPolicy: Never
        command: [sleep, '3600']
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: IMAGE
        imagePullPolicy: Never
        command: [sleep, '3600']
---
apiVersion: v1
kind: Secret
metadata:
  name: db
stringData: {password: s3cr3t-value, user: admin}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data: {mode: fast}
";

#[test]
fn the_page_shows_deployments_daemon_sets_and_secrets_without_values() {
    ensure_test_image();
    let project = Project::new("page-apps");
    let dir = ManifestDir::new();
    dir.write("apps.yaml", &WORKLOADS.replace("IMAGE", TEST_IMAGE));
    apply_ok(&project, &dir);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let snapshot = runtime.block_on(snapshot_of(&project, dir.path()));
    assert_eq!(snapshot.observed.as_ref().unwrap().pods.len(), 3);
    let (_sender, receiver) = tokio::sync::watch::channel(Arc::new(snapshot));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(serve(listener, ServeState::new(receiver), async {
        let _ = stopped.await;
    }));

    wait_for_chromium();
    let dom = chromium(&["--dump-dom"], &url);
    assert!(
        !dom.contains("s3cr3t-value"),
        "a Secret's value on the page"
    );
    for needle in [
        r#"<section class="panel" id="deployments"><h2>Deployments <span class="count">1</span>"#,
        r#"<td class="name">shop<div class="sub">rs shop-"#,
        r#"<td class="num">2/2</td>"#,
        r#"<section class="panel" id="daemonsets"><h2>Daemon sets <span class="count">1</span>"#,
        r#"<td class="name">agent</td>"#,
        r#"<td class="">Secret</td><td class="mono">Opaque</td><td class="num">2</td>"#,
        r#"<td class="">ConfigMap</td><td class="mono">—</td><td class="num">1</td>"#,
    ] {
        assert!(dom.contains(needle), "no {needle:?} in {dom}");
    }
    let desktop = screenshot(&url, "1280,2000", "watch-page-workloads.png");
    eprintln!("screenshot: {}", desktop.display());

    let _ = stop.send(());
    runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(10), server).await })
        .expect("the server stops")
        .unwrap()
        .unwrap();
}
