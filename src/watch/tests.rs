//! The loop against the in-memory engine, on tokio's paused clock: repairs
//! after Docker events, a resync's cost, invalid files, an engine that
//! goes away and comes back, a lost event stream, the empty-set guard.

use std::path::Path;

use super::*;
use crate::converge::DEFAULT_INFRA_IMAGE;
use crate::engine::fake::{Call, FakeEngine};
use crate::snapshot::{ReconcileResult, SyncState};

const IMAGE: &str = "localhost/test:1";

fn pod_yaml(name: &str, greeting: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\n\
         spec:\n  containers:\n  - name: app\n    image: {IMAGE}\n    imagePullPolicy: Never\n    \
         env:\n    - name: GREETING\n      value: \"{greeting}\"\n"
    )
}

/// The loop on `fake`, over the manifests in `dir`.
struct Harness {
    fake: Arc<FakeEngine>,
    wake: Arc<Wake>,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

fn start(dir: &Path, fake: Arc<FakeEngine>, allow_empty: bool) -> Harness {
    let settings = loop_settings(Settings {
        min_ready: Duration::ZERO,
        ..Settings::new("p")
    });
    let config = Config {
        paths: vec![dir.to_path_buf()],
        settings,
        strict: false,
        allow: Default::default(),
        allow_empty,
        poll: Duration::from_millis(500),
        retry_cap: Duration::from_secs(30),
    };
    let engine = fake.clone();
    let connect: Connector<FakeEngine> = Box::new(move || {
        let engine = engine.clone();
        async move {
            if engine.is_down() {
                Err(crate::engine::EngineError::Connect {
                    endpoint: "fake://".into(),
                    message: "connection refused".into(),
                })
            } else {
                Ok(engine)
            }
        }
        .boxed()
    });
    let wake = Wake::new();
    let (snap_tx, snapshots) = watch::channel(Arc::new(Snapshot::default()));
    let (engines, engine_rx) = watch::channel(None);
    let followed = Arc::new(Followed::default());
    let ledger = Arc::new(Ledger::default());
    let (drift_tx, drift_rx) = mpsc::channel(1);
    tokio::spawn(follow::follow(
        engine_rx,
        "p".into(),
        followed.clone(),
        drift_tx,
        wake.clone(),
        ledger.clone(),
        follow::reconnect_backoff(),
    ));
    tokio::spawn(debounce(
        drift_rx,
        DOCKER_QUIET,
        MAX_QUIET,
        wake.clone(),
        Trigger::Docker,
    ));
    let reconciler = Reconciler::new(
        config,
        connect,
        engines,
        followed,
        ledger,
        snap_tx,
        Snapshot::default(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    wake.trigger(Trigger::Start);
    let loop_wake = wake.clone();
    let task = tokio::spawn(async move {
        drive(
            reconciler,
            loop_wake,
            Duration::from_secs(30),
            &mut || {},
            async {
                let _ = stopped.await;
            },
        )
        .await
    });
    Harness {
        fake,
        wake,
        snapshots,
        stop: Some(stop),
        task,
    }
}

impl Harness {
    /// Waits (on the paused clock) until a published snapshot satisfies `ok`.
    async fn until(&mut self, what: &str, ok: impl Fn(&Snapshot) -> bool) -> Arc<Snapshot> {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let current = self.snapshots.borrow_and_update().clone();
            if ok(&current) {
                return current;
            }
            let changed = tokio::time::timeout_at(deadline, self.snapshots.changed()).await;
            assert!(
                changed.is_ok(),
                "never saw: {what}; last: {:?}",
                current.last_reconcile
            );
        }
    }

    async fn stop(mut self) {
        let _ = self.stop.take().map(|s| s.send(()));
        let _ = self.task.await;
    }
}

fn fake() -> Arc<FakeEngine> {
    let fake = FakeEngine::new();
    fake.add_image(IMAGE);
    fake.add_image(DEFAULT_INFRA_IMAGE);
    Arc::new(fake)
}

fn in_sync(s: &Snapshot) -> bool {
    s.sync == SyncState::InSync
}

const APP: &str = "berth_p_default_web_app";

#[tokio::test(start_paused = true)]
async fn a_removed_container_is_repaired_after_its_docker_event() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("web.yaml"), pod_yaml("web", "hi")).unwrap();
    let mut h = start(dir.path(), fake(), false);
    h.until("the pod converged", in_sync).await;
    assert!(h.fake.container(APP).is_some());
    let before = Instant::now();
    h.fake.remove_behind_back(APP);
    let snap = h
        .until("the repair", |s| {
            s.last_reconcile
                .as_ref()
                .is_some_and(|r| r.triggers.contains(&Trigger::Docker) && !r.changes.is_empty())
        })
        .await;
    assert!(h.fake.container(APP).is_some(), "repaired");
    assert!(
        Instant::now() - before < Duration::from_secs(1),
        "well within a second"
    );
    assert!(in_sync(&snap));
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_resync_of_a_converged_project_costs_one_list_call() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("web.yaml"), pod_yaml("web", "hi")).unwrap();
    let mut h = start(dir.path(), fake(), false);
    h.until("converged", in_sync).await;
    // Let the follow-up of our own events settle.
    tokio::time::sleep(Duration::from_secs(5)).await;
    h.fake.clear_calls();
    let number = h.snapshots.borrow().last_reconcile.as_ref().unwrap().number;
    let snap = h
        .until("the resync", |s| {
            s.last_reconcile.as_ref().is_some_and(|r| r.number > number)
        })
        .await;
    assert_eq!(
        snap.last_reconcile.as_ref().unwrap().triggers,
        vec![Trigger::Resync]
    );
    assert_eq!(h.fake.calls(), vec![Call::List]);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_edit_converges_and_an_invalid_file_changes_nothing_until_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.yaml");
    std::fs::write(&file, pod_yaml("web", "hi")).unwrap();
    let mut h = start(dir.path(), fake(), false);
    h.until("converged", in_sync).await;
    let first_id = h.fake.container(APP).unwrap().id;

    std::fs::write(&file, "apiVersion: v1\nkind: Pod\nmetadata: {name: web\n").unwrap();
    h.fake.clear_calls();
    h.wake.trigger(Trigger::Files);
    let snap = h.until("the invalid files", |s| !s.manifests.valid).await;
    assert!(
        snap.manifests.errors[0].contains("web.yaml:"),
        "{:?}",
        snap.manifests.errors
    );
    assert!(
        snap.manifests.last_good.is_some(),
        "the last good set is kept"
    );
    assert!(matches!(snap.sync, SyncState::OutOfSync(_)));
    assert_eq!(
        snap.last_reconcile.as_ref().unwrap().result,
        ReconcileResult::Invalid
    );
    assert!(
        h.fake.mutating_calls().is_empty(),
        "{:?}",
        h.fake.mutating_calls()
    );
    assert_eq!(h.fake.container(APP).unwrap().id, first_id);

    std::fs::write(&file, pod_yaml("web", "hello again")).unwrap();
    h.wake.trigger(Trigger::Files);
    h.until("the fixed files converged", |s| {
        s.manifests.valid && in_sync(s)
    })
    .await;
    assert_ne!(
        h.fake.container(APP).unwrap().id,
        first_id,
        "recreated for the new env"
    );
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_engine_is_retried_with_capped_backoff_and_converges_when_back() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("web.yaml"), pod_yaml("web", "hi")).unwrap();
    let fake = fake();
    fake.set_outage(Some("connection refused"));
    let mut h = start(dir.path(), fake, false);
    let snap = h
        .until("the engine reported down", |s| {
            s.engine.reachable == Some(false)
        })
        .await;
    assert!(snap
        .engine
        .error
        .as_deref()
        .unwrap()
        .contains("connection refused"));
    assert!(snap.engine.retry_in.is_some());
    // Two minutes down: attempts back off (1, 2, 4, 8, 16, 30, 30 … s),
    // never a busy loop.
    tokio::time::sleep(Duration::from_secs(120)).await;
    let attempts = h.snapshots.borrow().last_reconcile.as_ref().unwrap().number;
    assert!(
        (6..=12).contains(&attempts),
        "{attempts} attempts in 2 minutes"
    );
    assert!(h.fake.container(APP).is_none());
    let back = Instant::now();
    h.fake.set_outage(None);
    h.until("converged once the engine is back", in_sync).await;
    assert!(
        Instant::now() - back <= Duration::from_secs(31),
        "within the capped backoff"
    );
    assert!(h.fake.container(APP).is_some());
    assert_eq!(h.snapshots.borrow().engine.reachable, Some(true));
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_lost_event_stream_reconnects_and_is_followed_by_a_full_reconcile() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("web.yaml"), pod_yaml("web", "hi")).unwrap();
    let mut h = start(dir.path(), fake(), false);
    h.until("converged", in_sync).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(h.fake.event_streams(), 1);
    let number = h.snapshots.borrow().last_reconcile.as_ref().unwrap().number;
    h.fake.drop_event_streams();
    let snap = h
        .until("a reconcile after the reconnect", |s| {
            s.last_reconcile
                .as_ref()
                .is_some_and(|r| r.number > number && r.triggers.contains(&Trigger::Docker))
        })
        .await;
    assert!(in_sync(&snap));
    assert_eq!(h.fake.event_streams(), 1, "following again");
    // Following again: a removal is repaired from its event.
    h.fake.remove_behind_back(APP);
    h.until("repaired", |s| {
        s.last_reconcile
            .as_ref()
            .is_some_and(|r| !r.changes.is_empty())
    })
    .await;
    assert!(h.fake.container(APP).is_some());
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_emptied_directory_removes_nothing_without_allow_empty() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("web.yaml");
    std::fs::write(&file, pod_yaml("web", "hi")).unwrap();
    let mut h = start(dir.path(), fake(), false);
    h.until("converged", in_sync).await;
    std::fs::remove_file(&file).unwrap();
    h.wake.trigger(Trigger::Files);
    let snap = h
        .until("the refusal", |s| {
            s.last_reconcile
                .as_ref()
                .is_some_and(|r| r.result == ReconcileResult::Refused)
        })
        .await;
    assert!(h.fake.container(APP).is_some(), "nothing removed");
    let SyncState::OutOfSync(pending) = &snap.sync else {
        panic!("out of sync expected: {:?}", snap.sync)
    };
    assert_eq!(pending.lines, vec!["- pod default/web".to_string()]);
    h.stop().await;
}
