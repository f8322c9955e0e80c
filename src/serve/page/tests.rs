//! The page rendered from snapshots built in memory, and its live stream
//! served on loopback.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::render::{document, main, title};
use crate::converge::{Change, Verb};
use crate::engine::{EngineEvent, EngineInfo, FakeEngine};
use crate::gitrev::Revision;
use crate::manifest::{load_text, LoadOptions, Manifests};
use crate::observed::{Observed, ObservedController, ObservedPod};
use crate::serve::{serve, ServeState};
use crate::snapshot::{
    EngineStatus, ManifestState, PendingDiff, ReconcileReport, ReconcileResult, Snapshot,
    SyncState, Trigger,
};
use crate::status::fixtures::{container, die, docker_event, pod, T0};

const NOW: i64 = T0 + 110;

fn spec(policy: &str) -> serde_json::Value {
    json!({"restartPolicy": policy, "containers": [{"name": "app", "image": "busybox:test"}]})
}

fn named(mut pod: ObservedPod, labels: &[(&str, &str)], owner: Option<&str>) -> ObservedPod {
    pod.labels = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    pod.owner = owner.map(str::to_string);
    pod
}

/// Five pods — running, crash-looping, completed, failed, pending — and a
/// controller of two.
fn observed() -> Observed {
    let running = pod("web-1")
        .spec(spec("Always"))
        .with(container("w1", "app").running(10))
        .build();
    let crashing = pod("crash")
        .spec(spec("Always"))
        .with(container("c1", "app").restarting(1, 100, 102).restarts(3))
        .build();
    let job = pod("job")
        .spec(spec("OnFailure"))
        .with(container("j1", "app").exited(0, 1, 4))
        .build();
    let broken = pod("broken")
        .spec(spec("Never"))
        .with(container("b1", "app").exited(1, 1, 4))
        .build();
    let waiting = pod("waiting")
        .spec(spec("Always"))
        .with(container("p1", "app"))
        .build();
    let web = ("app", "web");
    Observed {
        pods: vec![
            named(
                running,
                &[web, ("tier", "<front>")],
                Some("ReplicationController/web"),
            ),
            named(crashing, &[web], None),
            named(job, &[], None),
            named(broken, &[], None),
            named(waiting, &[], None),
        ],
        controllers: vec![ObservedController {
            kind: crate::keys::KIND_RC.to_string(),
            owner: None,
            project: "demo".into(),
            namespace: "default".into(),
            name: "web".into(),
            replicas: 3,
            selector: [("app".to_string(), "web".to_string())].into(),
            template_hash: "h".into(),
            template_json: None,
            container_id: "rc".into(),
            created: T0,
            node: String::new(),
        }],
        networks: Vec::new(),
        node_records: Vec::new(),
    }
}

fn manifests() -> Manifests {
    let text = r#"
apiVersion: v1
kind: Service
metadata: {name: web-svc}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Node
metadata: {name: edge, labels: {zone: a}}
"#;
    let loaded = load_text(Path::new("objects.yaml"), text, LoadOptions::default());
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    loaded.manifests
}

const DIFF_TEXT: &str = "~ pod default/web-1 (spec changed)
--- live/default/web-1
+++ desired/default/web-1
@@ -1,3 +1,3 @@
 image: busybox:test
-memory: 64Mi
+memory: 128Mi
";

fn snapshot() -> Snapshot {
    Snapshot {
        nodes: Vec::new(),
        generation: 4,
        taken_at: NOW,
        project: "shop".into(),
        paths: vec![PathBuf::from("/srv/shop")],
        started_at: T0,
        engine: EngineStatus {
            endpoint: "unix:///var/run/docker.sock".into(),
            reachable: Some(true),
            error: None,
            since: T0,
            retry_in: None,
            info: Some(EngineInfo {
                cpus: 2,
                ..FakeEngine::default_info()
            }),
        },
        manifests: ManifestState {
            valid: true,
            errors: Vec::new(),
            warnings: vec![
                "objects.yaml:9:3: spec.containers[0].livenessProbe: not implemented".into(),
            ],
            loaded_at: Some(T0 + 100),
            files: 1,
            last_good: Some(Arc::new(manifests())),
        },
        observed: Some(Arc::new(observed())),
        docker_events: Arc::new(vec![
            docker_event("start", "c1", "app", 100),
            die("c1", "app", 1, 102),
        ]),
        sync: SyncState::OutOfSync(PendingDiff {
            lines: vec!["~ pod default/web-1 (spec changed)".into()],
            text: DIFF_TEXT.into(),
            reasons: vec!["pod default/crash: <restarting>".into()],
        }),
        last_reconcile: Some(ReconcileReport {
            number: 7,
            started_at_ms: (T0 + 100) * 1000 + 250,
            duration: Duration::from_millis(120),
            triggers: vec![Trigger::Files, Trigger::Docker],
            result: ReconcileResult::Failed,
            changes: vec![
                Change {
                    verb: Verb::Created,
                    object: "pod default/web-2".into(),
                    detail: String::new(),
                    node: String::new(),
                },
                Change {
                    verb: Verb::Failed,
                    object: "pod default/broken".into(),
                    detail: "exit code 1".into(),
                    node: String::new(),
                },
            ],
            errors: vec!["pod default/broken: image <none> & gone".into()],
        }),
        revision: Some(Revision {
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            branch: Some("main".into()),
            dirty: Some(true),
        }),
        metrics: Default::default(),
    }
}

/// The `<tr>` of the table row that names `name`.
fn row<'a>(html: &'a str, name: &str) -> &'a str {
    let cell = format!(r#"<td class="name">{name}"#);
    let start = html.find(&cell).unwrap_or_else(|| panic!("no row {name}"));
    let end = html[start..].find("</tr>").unwrap() + start;
    &html[start..end]
}

#[test]
fn pods_show_kubectl_columns_with_coloured_phases() {
    let html = main(&snapshot(), NOW);
    let web = row(&html, "web-1");
    assert!(
        web.contains(r#"<span class="pill phase-running">Running</span>"#),
        "{web}"
    );
    assert!(web.contains("1/1") && web.contains("172.18.0.5") && web.contains("local"));
    assert!(web.contains("ReplicationController/web"), "{web}");
    assert!(
        web.contains(r#"<span class="chip">tier=&lt;front&gt;</span>"#),
        "{web}"
    );
    let crash = row(&html, "crash");
    assert!(
        crash.contains(r#"phase-failed">CrashLoopBackOff<"#),
        "{crash}"
    );
    assert!(crash.contains("3 (10s ago)"), "{crash}");
    assert!(row(&html, "job").contains(r#"phase-succeeded">Completed<"#));
    assert!(row(&html, "broken").contains(r#"phase-failed">Error<"#));
    assert!(row(&html, "waiting").contains(r#"class="pill phase-pending""#));
}

#[test]
fn controllers_count_matching_pods_against_desired_replicas() {
    let html = main(&snapshot(), NOW);
    let rc = &html[html.find(r#"id="controllers""#).unwrap()..];
    let rc = row(rc, "web");
    let cells: Vec<&str> = rc.split("<td").skip(2).collect();
    assert!(cells[1].contains(">3<"), "desired: {rc}");
    assert!(cells[2].contains(r#"class="num warn">2<"#), "current: {rc}");
    assert!(cells[3].contains(r#"class="num warn">1<"#), "ready: {rc}");
}

#[test]
fn services_and_nodes_come_from_the_enforced_manifests() {
    let html = main(&snapshot(), NOW);
    let service = row(&html, "web-svc");
    assert!(service.contains("80→8080/TCP"), "{service}");
    assert!(service.contains("172.18.0.5, 172.18.0.5"), "{service}");
    let nodes = &html[html.find(r#"id="nodes""#).unwrap()..];
    assert!(row(nodes, "local").contains("phase-running\">Ready"));
    assert!(row(nodes, "local").contains("unix:///var/run/docker.sock"));
    assert!(
        row(nodes, "local").contains("2 cpu, 8.0 GiB"),
        "the engine's capacity"
    );
    let edge = row(nodes, "edge");
    assert!(
        edge.contains("Pending") && edge.contains("zone=a"),
        "{edge}"
    );
}

#[test]
fn the_pending_diff_is_coloured_like_a_code_review() {
    let html = main(&snapshot(), NOW);
    assert!(html.contains(r#"<span class="d-mod">~ pod default/web-1 (spec changed)</span>"#));
    assert!(html.contains(r#"<span class="d-file">--- live/default/web-1</span>"#));
    assert!(html.contains(r#"<span class="d-hunk">@@ -1,3 +1,3 @@</span>"#));
    assert!(html.contains(r#"<span class="d-del">-memory: 64Mi</span>"#));
    assert!(html.contains(r#"<span class="d-add">+memory: 128Mi</span>"#));
    assert!(html.contains(r#"<span class="d-ctx"> image: busybox:test</span>"#));
    assert!(html.contains("pod default/crash: &lt;restarting&gt;"));
}

#[test]
fn the_last_reconcile_says_when_how_long_why_and_what_changed() {
    let html = main(&snapshot(), NOW);
    let section = &html[html.find(r#"id="reconcile""#).unwrap()..];
    assert!(section.contains("Last reconcile #7"));
    assert!(section.contains("10s ago"), "{section}");
    assert!(section.contains("2026-11-29 21:01:40 UTC"), "{section}");
    assert!(section.contains("took 120 ms"));
    assert!(section.contains("triggered by files, docker"));
    assert!(section.contains(r#"<span class="pill bad">failed</span>"#));
    assert!(section.contains(r#"<span class="sym d-add">+</span> <span class="verb">created</span> <code>pod default/web-2</code>"#));
    assert!(section.contains("exit code 1"));
    assert!(section.contains("image &lt;none&gt; &amp; gone"));
}

#[test]
fn invalid_manifests_are_listed_and_the_last_good_set_said_enforced() {
    let mut snap = snapshot();
    snap.manifests.valid = false;
    snap.manifests.errors = vec![
        "web.yaml:3:7: spec.containers[0].image: required".into(),
        "db.yaml:1:1: kind: unknown kind \"<Pdo>\"".into(),
    ];
    let html = main(&snap, NOW);
    assert!(html.contains("Manifests invalid: 2 errors."), "{html}");
    assert!(html.contains("the last good set is still enforced"));
    assert!(html.contains(
        r#"<li><span class="loc">web.yaml:3:7:</span> spec.containers[0].image: required</li>"#
    ));
    assert!(html.contains("kind: unknown kind &quot;&lt;Pdo&gt;&quot;"));
    assert!(html.contains("1 warning") && html.contains("livenessProbe"));
    assert_eq!(title(&snap), "berth · shop · invalid manifests");
}

#[test]
fn an_unreachable_engine_is_a_banner_with_its_error_and_retry() {
    let mut snap = snapshot();
    snap.engine.reachable = Some(false);
    snap.engine.error = Some("connection refused <socket>".into());
    snap.engine.since = NOW - 65;
    snap.engine.retry_in = Some(Duration::from_secs(4));
    let html = main(&snap, NOW);
    let banner = &html[html.find(r#"id="engine-down""#).expect("a banner")..];
    assert!(banner.contains("Docker engine unreachable"));
    assert!(
        banner.contains("for <time") && banner.contains(">65s</time>. Retrying in 4s."),
        "{banner}"
    );
    assert!(banner.contains("connection refused &lt;socket&gt;"));
    assert!(html.contains(r#"<span class="pill big bad">Unreachable</span>"#));
    assert_eq!(title(&snap), "berth · shop · engine unreachable");
    assert!(main(&snap, NOW + 3).contains("Retrying in 1s."));
    assert!(main(&snap, NOW + 9).contains("Retrying now."));
}

#[test]
fn the_revision_shows_branch_short_commit_and_dirty() {
    let html = main(&snapshot(), NOW);
    assert!(html.contains("<code>0123456789ab</code>"));
    assert!(html.contains("uncommitted changes"));
    let mut snap = snapshot();
    snap.revision = None;
    assert!(main(&snap, NOW).contains("not a git checkout"));
}

#[test]
fn events_are_newest_first() {
    let html = main(&snapshot(), NOW);
    let events = &html[html.find(r#"id="events""#).unwrap()..];
    let died = events
        .find("exited with code 1")
        .or_else(|| events.find("Error"));
    let started = events.find("Started");
    assert!(died.is_some() && started.is_some(), "{events}");
    assert!(died < started, "{events}");
}

#[test]
fn the_title_says_project_and_sync_state() {
    let mut snap = snapshot();
    assert_eq!(title(&snap), "berth · shop · out of sync");
    snap.sync = SyncState::InSync;
    assert_eq!(title(&snap), "berth · shop · in sync");
    let html = document(&snap, NOW);
    assert!(html.contains("<title>berth · shop · in sync</title>"));
    assert!(html.contains(r#"new EventSource("ui/stream")"#));
    assert!(html.contains("prefers-color-scheme:dark"));
}

#[test]
fn a_snapshot_before_the_engine_answered_says_nothing_is_observed() {
    let snap = Snapshot {
        project: "shop".into(),
        ..Snapshot::default()
    };
    let html = document(&snap, 0);
    assert!(html.contains("Not reconciled yet"));
    assert!(html.contains("nothing observed"));
    assert!(html.contains("Connecting to the Docker engine"));
}

/// Sends `GET path` and returns the connection after the request.
async fn get(address: std::net::SocketAddr, path: &str) -> TcpStream {
    let mut socket = TcpStream::connect(address).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    socket
}

/// Reads from `socket` into `seen` until it holds `needle`.
async fn read_until(socket: &mut TcpStream, seen: &mut String, needle: &str) {
    let wait = async {
        let mut buffer = [0u8; 8192];
        while !seen.contains(needle) {
            let n = socket.read(&mut buffer).await.unwrap();
            assert!(n > 0, "closed before {needle:?}: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("no {needle:?} in {seen}"));
}

#[tokio::test]
async fn the_stream_sends_the_main_section_again_on_every_new_snapshot() {
    let (sender, receiver) = watch::channel(Arc::new(snapshot()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, ServeState::new(receiver), async {
        let _ = stopped.await;
    }));

    let mut page = get(address, "/").await;
    let mut seen = String::new();
    read_until(&mut page, &mut seen, "</html>").await;
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    assert!(seen.contains("text/html") && seen.contains("web-1"));

    let mut stream = get(address, "/ui/stream").await;
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, "event: main").await;
    assert!(seen.contains("text/event-stream"), "{seen}");
    read_until(&mut stream, &mut seen, "web-1").await;

    let mut next = snapshot();
    next.generation = 5;
    let mut observed = observed();
    observed.pods[0].name = "fresh-pod".into();
    next.observed = Some(Arc::new(observed));
    sender.send(Arc::new(next)).unwrap();
    read_until(&mut stream, &mut seen, "id: 5").await;
    read_until(&mut stream, &mut seen, "fresh-pod").await;

    let _ = stop.send(());
    drop(stream);
    drop(sender);
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
}

#[test]
fn an_event_with_an_unknown_container_does_not_break_the_page() {
    let mut snap = snapshot();
    let stray: EngineEvent = docker_event("oom", "zz", "<ghost>", 105);
    snap.docker_events = Arc::new(vec![stray]);
    assert!(main(&snap, NOW).contains("</footer>"));
}

#[test]
fn a_long_reconcile_lists_its_first_changes_and_counts_the_rest() {
    let mut snap = snapshot();
    let report = snap.last_reconcile.as_mut().unwrap();
    report.changes = (0..45)
        .map(|i| Change {
            verb: Verb::Created,
            object: format!("pod default/web-{i}"),
            detail: String::new(),
            node: String::new(),
        })
        .collect();
    let html = main(&snap, NOW);
    assert!(html.contains("pod default/web-39<"));
    assert!(!html.contains("pod default/web-40<"));
    assert!(html.contains("… and 5 more"));
}

#[test]
fn escaping_covers_markup_quotes_and_carriage_returns() {
    assert_eq!(
        super::html::esc("<a href=\"x\" title='y'>&</a>\r\n"),
        "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;\n"
    );
}

#[test]
fn probed_nodes_show_their_conditions_endpoint_and_allocation() {
    let mut snap = snapshot();
    snap.nodes = crate::kube::nodes::fixtures::probed_nodes(NOW);
    let html = main(&snap, NOW);
    let nodes = &html[html.find(r#"id="nodes""#).unwrap()..];
    let up = row(nodes, "10.0.0.2");
    assert!(up.contains("phase-running\">Ready"), "{up}");
    assert!(up.contains("tcp://10.0.0.2:2376"), "{up}");
    assert!(up.contains("Reachable True · EngineAnswered"), "{up}");
    assert!(up.contains("0/4 cpu"), "{up}");
    let lost = row(nodes, "n2");
    assert!(lost.contains("phase-failed\">NotReady"), "{lost}");
    assert!(
        lost.contains(r#"<div class="sub">NodeLost</div>"#),
        "{lost}"
    );
    assert!(
        lost.contains("connection refused"),
        "the message on hover: {lost}"
    );
    assert!(
        !nodes.contains(">local<"),
        "the statuses replace the engine alone"
    );
}
