//! Pods whose image cannot be had: Pending with only their infra container,
//! retried by the next apply without churn, and pulls reported as they go.

use super::*;
use crate::observe::{observe, InspectCache};
use crate::status::{self, Phase};

fn never(name: &str, image: &str) -> Pod {
    let mut p = pod(name);
    p.spec.containers[0].image = image.into();
    p.spec.containers[0].image_pull_policy = PullPolicy::Never;
    p
}

async fn status_of(engine: &FakeEngine, name: &str) -> status::PodStatus {
    let observed = observe(engine, Some("p"), &mut InspectCache::default())
        .await
        .expect("observe");
    let pod = observed
        .pods
        .iter()
        .find(|p| p.name == name)
        .expect("the pod is there");
    status::pod_status(pod, status::restart_policy_of(pod), 0)
}

#[tokio::test]
async fn a_missing_image_under_never_leaves_only_the_infra_container_labelled_why() {
    let engine = engine();
    let out = run(
        &engine,
        &pods(vec![never("ghost", "nowhere:1")]),
        &settings("p"),
    )
    .await;
    let infra = engine
        .container("berth_p_default_ghost_POD")
        .expect("infra");
    assert_eq!(infra.state, ContainerState::Running);
    let label = |key: &str| infra.config.labels.get(key).cloned();
    assert_eq!(
        label(keys::WAITING_REASON).as_deref(),
        Some("ErrImageNeverPull")
    );
    assert_eq!(
        label(keys::WAITING_MESSAGE).as_deref(),
        Some("container image \"nowhere:1\" is not present with pull policy of Never")
    );
    assert!(label(keys::WAITING_TIME).is_some_and(|t| t.parse::<i64>().is_ok()));
    assert!(engine.container("berth_p_default_ghost_app").is_none());
    assert_eq!(
        out.failures,
        [(
            "pod default/ghost".to_string(),
            "pod default/ghost: ErrImageNeverPull: container app: container image \"nowhere:1\" \
             is not present with pull policy of Never"
                .to_string()
        )]
    );
    let status = status_of(&engine, "ghost").await;
    assert_eq!(status.phase, Phase::Pending);
    assert_eq!(status.status_column(), "ErrImageNeverPull");
}

#[tokio::test]
async fn reapplying_while_the_image_is_still_missing_changes_nothing_but_fails_again() {
    let engine = engine();
    let m = pods(vec![never("ghost", "nowhere:1"), pod("web")]);
    run(&engine, &m, &settings("p")).await;
    engine.clear_calls();
    let out = run(&engine, &m, &settings("p")).await;
    let mutating: Vec<Call> = engine
        .calls()
        .into_iter()
        .filter(Call::is_mutating)
        .collect();
    assert_eq!(mutating, []);
    assert_eq!(out.unchanged, 1, "web");
    assert_eq!(out.failures.len(), 1, "{:?}", out.failures);
    assert!(out.failures[0].1.contains("ErrImageNeverPull"));
}

#[tokio::test]
async fn once_the_image_is_there_the_waiting_pod_is_recreated_whole_and_runs() {
    let engine = engine();
    let m = pods(vec![never("ghost", "nowhere:1"), pod("web")]);
    run(&engine, &m, &settings("p")).await;
    let web_before = engine.container("berth_p_default_web_app").expect("web");
    engine.add_image("nowhere:1");
    let out = run(&engine, &m, &settings("p")).await;
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(
        verbs(&out),
        [(Verb::Recreated, "pod default/ghost".to_string())]
    );
    let infra = engine
        .container("berth_p_default_ghost_POD")
        .expect("infra");
    assert!(!infra.config.labels.contains_key(keys::WAITING_REASON));
    let app = engine.container("berth_p_default_ghost_app").expect("app");
    assert_eq!(app.state, ContainerState::Running);
    assert_eq!(status_of(&engine, "ghost").await.phase, Phase::Running);
    let web_after = engine.container("berth_p_default_web_app").expect("web");
    assert_eq!(web_before.id, web_after.id, "the other pod is untouched");
    engine.clear_calls();
    let again = run(&engine, &m, &settings("p")).await;
    assert!(again.changes.is_empty(), "{:?}", again.changes);
}

#[tokio::test]
async fn fixing_the_image_name_of_a_waiting_pod_recreates_it_as_a_spec_change() {
    let engine = engine();
    run(
        &engine,
        &pods(vec![never("ghost", "nowhere:1")]),
        &settings("p"),
    )
    .await;
    let out = run(
        &engine,
        &pods(vec![never("ghost", "busybox:1")]),
        &settings("p"),
    )
    .await;
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(status_of(&engine, "ghost").await.phase, Phase::Running);
}

#[tokio::test]
async fn the_plan_of_a_waiting_pod_is_a_retry_naming_its_reason() {
    let engine = engine();
    let m = pods(vec![never("ghost", "nowhere:1")]);
    run(&engine, &m, &settings("p")).await;
    let plan = plan(&engine, &m, &settings("p")).await.expect("plan");
    assert!(
        matches!(&plan.actions[..], [Action::Retry { reason, message, .. }]
            if reason == "ErrImageNeverPull" && message.contains("nowhere:1")),
        "{:?}",
        plan.actions
    );
}

#[tokio::test]
async fn pulls_are_reported_as_they_start_and_end_and_a_failure_is_said_once() {
    let engine = engine();
    engine.add_pullable("remote:1");
    let mut pulled = pod("pulled");
    pulled.spec.containers[0].image = "remote:1".into();
    let mut unpullable = pod("unpullable");
    unpullable.spec.containers[0].image = "nowhere:2".into();
    let mut seen = Vec::new();
    let out = apply(
        &engine,
        &pods(vec![pulled, unpullable]),
        &settings("p"),
        &mut |c| seen.push((c.verb, c.object.clone())),
    )
    .await
    .expect("apply");
    for (verb, image) in [
        (Verb::Pulling, "image remote:1"),
        (Verb::Pulled, "image remote:1"),
        (Verb::Pulling, "image nowhere:2"),
        (Verb::PullFailed, "image nowhere:2"),
    ] {
        assert!(seen.contains(&(verb, image.to_string())), "{seen:?}");
    }
    assert_eq!(out.failures.len(), 1, "{:?}", out.failures);
    let detail = &out.failures[0].1;
    assert_eq!(detail.matches("cannot pull image").count(), 1, "{detail}");
    assert!(
        detail.starts_with("pod default/unpullable: ErrImagePull: container app: cannot pull image \"nowhere:2\": "),
        "{detail}"
    );
    let infra = engine
        .container("berth_p_default_unpullable_POD")
        .expect("infra");
    assert_eq!(
        infra
            .config
            .labels
            .get(keys::WAITING_REASON)
            .map(String::as_str),
        Some("ErrImagePull")
    );
}
