//! Init containers against the in-memory engine: the sequence, its
//! failures under each restart policy, and what a second apply leaves.

use std::time::Duration;

use super::*;
use crate::desired::test_pod;
use crate::engine::fake::{Call, FakeEngine};
use crate::keys;
use crate::manifest::{Container, ObjectMeta, Pod, RestartPolicy, Source};
use crate::status::{self, Phase};

const INIT_OK: &str = "busybox:init-ok";
const INIT_FAILS: &str = "busybox:init-fails";

fn init(name: &str, image: &str) -> Container {
    let mut c = test_pod("x").spec.containers.remove(0);
    c.name = name.into();
    c.image = image.into();
    c
}

fn pod(policy: RestartPolicy, init_containers: Vec<Container>) -> Manifests {
    let mut spec = test_pod("web").spec;
    spec.restart_policy = policy;
    spec.init_containers = init_containers;
    Manifests {
        pods: vec![Pod {
            meta: ObjectMeta {
                name: "web".into(),
                namespace: "default".into(),
                ..Default::default()
            },
            spec,
            source: Source::default(),
        }],
        ..Default::default()
    }
}

fn engine() -> FakeEngine {
    let engine = FakeEngine::new();
    for image in ["busybox:1", INIT_OK, INIT_FAILS, DEFAULT_INFRA_IMAGE] {
        engine.add_image(image);
    }
    engine.finish_on_start(INIT_OK, 0);
    engine.finish_on_start(INIT_FAILS, 1);
    engine
}

fn settings() -> Settings {
    Settings {
        min_ready: Duration::ZERO,
        rollout_timeout: Duration::from_secs(5),
        ..Settings::new("p")
    }
}

async fn run(engine: &FakeEngine, m: &Manifests) -> Outcome {
    apply(engine, m, &settings(), &mut |_| {})
        .await
        .expect("apply")
}

/// Container names in creation order.
fn created(engine: &FakeEngine) -> Vec<String> {
    engine
        .calls()
        .into_iter()
        .filter_map(|c| match c {
            Call::Create { name } => Some(name),
            _ => None,
        })
        .collect()
}

fn status_now(outcome: &Outcome) -> status::PodStatus {
    let pod = &outcome.observed.pods[0];
    status::pod_status(pod, status::restart_policy_of(pod), super::pool::now())
}

#[tokio::test]
async fn init_containers_run_in_order_before_the_app_containers() {
    let engine = engine();
    let m = pod(
        RestartPolicy::Always,
        vec![init("first", INIT_OK), init("second", INIT_OK)],
    );
    let outcome = run(&engine, &m).await;
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    assert_eq!(
        created(&engine),
        [
            "berth_p_default_web_POD",
            "berth_p_default_web_first",
            "berth_p_default_web_second",
            "berth_p_default_web_app",
        ]
    );
    let first = engine.container("berth_p_default_web_first").unwrap();
    assert_eq!(first.config.labels[keys::INIT], "0");
    assert_eq!(first.config.restart, crate::engine::RestartMode::No);
    assert_eq!(
        first.config.network_mode.as_deref(),
        Some(
            format!(
                "container:{}",
                engine.container("berth_p_default_web_POD").unwrap().id
            )
            .as_str()
        )
    );
    let pod = &outcome.observed.pods[0];
    assert_eq!(pod.init_containers.len(), 2);
    assert_eq!(pod.containers.keys().collect::<Vec<_>>(), ["app"]);
}

#[tokio::test]
async fn a_second_apply_leaves_finished_init_containers_alone() {
    let engine = engine();
    let m = pod(RestartPolicy::Always, vec![init("first", INIT_OK)]);
    run(&engine, &m).await;
    engine.clear_calls();
    let outcome = run(&engine, &m).await;
    assert_eq!(engine.mutating_calls(), vec![]);
    assert_eq!(outcome.unchanged, 1);
}

#[tokio::test]
async fn repairing_an_app_container_does_not_run_the_init_containers_again() {
    let engine = engine();
    let m = pod(RestartPolicy::Always, vec![init("first", INIT_OK)]);
    run(&engine, &m).await;
    engine.remove_behind_back("berth_p_default_web_app");
    engine.clear_calls();
    run(&engine, &m).await;
    assert_eq!(created(&engine), ["berth_p_default_web_app"]);
}

#[tokio::test]
async fn a_failed_init_container_under_never_fails_the_pod() {
    let engine = engine();
    let m = pod(
        RestartPolicy::Never,
        vec![init("first", INIT_FAILS), init("second", INIT_OK)],
    );
    let outcome = run(&engine, &m).await;
    assert_eq!(outcome.failures.len(), 1, "{:?}", outcome.failures);
    assert!(outcome.failures[0].1.contains("Init:Error"));
    assert!(engine.container("berth_p_default_web_second").is_none());
    assert!(engine.container("berth_p_default_web_app").is_none());
    let status = status_now(&outcome);
    assert_eq!(status.phase, Phase::Failed);
    assert_eq!(status.status_column(), "Init:Error");
}

#[tokio::test]
async fn a_failed_init_container_under_always_is_reported_and_run_again_after_its_back_off() {
    let engine = engine();
    let m = pod(RestartPolicy::Always, vec![init("first", INIT_FAILS)]);
    let outcome = run(&engine, &m).await;
    assert_eq!(outcome.failures.len(), 1, "{:?}", outcome.failures);
    let status = status_now(&outcome);
    assert_eq!(status.phase, Phase::Pending);
    assert_eq!(status.status_column(), "Init:Error");
    // Within its back-off: nothing runs.
    engine.clear_calls();
    run(&engine, &m).await;
    assert_eq!(created(&engine), Vec::<String>::new());
    // Past it: run again, counted as a restart, and then backing off.
    engine.age(
        "berth_p_default_web_first",
        Duration::from_secs(crate::init_progress::FIRST_BACK_OFF_SECONDS as u64),
    );
    let outcome = run(&engine, &m).await;
    assert_eq!(created(&engine), ["berth_p_default_web_first"]);
    let again = engine.container("berth_p_default_web_first").unwrap();
    assert_eq!(again.config.labels[keys::INIT_RESTARTS], "1");
    let status = status_now(&outcome);
    assert_eq!(status.status_column(), "Init:CrashLoopBackOff");
    assert_eq!(status.restarts, 1);
}

#[tokio::test]
async fn a_running_init_container_shows_init_progress_and_holds_the_app_back() {
    let engine = engine();
    // busybox:1 keeps running: the first init container never finishes.
    let m = pod(
        RestartPolicy::Always,
        vec![init("first", INIT_OK), init("second", "busybox:1")],
    );
    let s = Settings {
        rollout_timeout: Duration::from_millis(600),
        ..settings()
    };
    let outcome = apply(&engine, &m, &s, &mut |_| {}).await.expect("apply");
    assert_eq!(outcome.failures.len(), 1, "{:?}", outcome.failures);
    assert!(outcome.failures[0]
        .1
        .contains("init container second is running"));
    assert!(engine.container("berth_p_default_web_app").is_none());
    let status = status_now(&outcome);
    assert_eq!(status.phase, Phase::Pending);
    assert_eq!(status.status_column(), "Init:1/2");
    assert_eq!(status.init_containers.len(), 2);
    let json = status::to_k8s_json(&status);
    assert_eq!(
        json["initContainerStatuses"][0]["state"]["terminated"]["reason"],
        "Completed"
    );
    assert_eq!(json["conditions"][0]["status"], "False");
    assert_eq!(
        json["containerStatuses"][0]["state"]["waiting"]["reason"],
        "PodInitializing"
    );
}

#[tokio::test]
async fn a_change_to_an_init_container_recreates_the_pod() {
    let engine = engine();
    run(
        &engine,
        &pod(RestartPolicy::Always, vec![init("first", INIT_OK)]),
    )
    .await;
    let before = engine.container("berth_p_default_web_POD").unwrap().id;
    let mut changed = init("first", INIT_OK);
    changed.args = vec!["changed".into()];
    run(&engine, &pod(RestartPolicy::Always, vec![changed])).await;
    let after = engine.container("berth_p_default_web_POD").unwrap().id;
    assert_ne!(before, after);
    assert!(engine.container("berth_p_default_web_app").is_some());
}

#[tokio::test]
async fn pods_go_through_their_init_containers_side_by_side() {
    let engine = engine();
    let one = pod(RestartPolicy::Always, vec![init("first", INIT_OK)]);
    let mut two = one.pods[0].clone();
    two.meta.name = "api".into();
    let m = Manifests {
        pods: vec![one.pods[0].clone(), two],
        ..Default::default()
    };
    let outcome = run(&engine, &m).await;
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    let order = created(&engine);
    let at = |name: &str| order.iter().position(|n| n == name).unwrap();
    // Each pod's init container ran before either pod's app container:
    // one pod's sequence never waits for the other's.
    let last_init = at("berth_p_default_web_first").max(at("berth_p_default_api_first"));
    let first_app = at("berth_p_default_web_app").min(at("berth_p_default_api_app"));
    assert!(last_init < first_app, "{order:?}");
}
