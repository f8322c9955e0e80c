//! Converge scenarios against the in-memory engine.

use std::time::Duration;

use super::*;
use crate::desired::{test_pod, test_rc};
use crate::engine::fake::{Call, FakeEngine};
use crate::engine::ContainerState;
use crate::keys;
use crate::manifest::{
    Labels, ObjectMeta, Pod, PullPolicy, ReplicationController, RestartPolicy, Source,
};

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn pod(name: &str) -> Pod {
    Pod {
        meta: ObjectMeta {
            name: name.into(),
            namespace: "default".into(),
            ..Default::default()
        },
        spec: test_pod(name).spec,
        source: Source::default(),
    }
}

fn rc(name: &str, replicas: u32) -> ReplicationController {
    test_rc(name, replicas)
}

fn pods(list: Vec<Pod>) -> Manifests {
    Manifests {
        pods: list,
        ..Default::default()
    }
}

fn controllers(list: Vec<ReplicationController>) -> Manifests {
    Manifests {
        controllers: list,
        ..Default::default()
    }
}

fn settings(project: &str) -> Settings {
    Settings {
        min_ready: Duration::ZERO,
        rollout_timeout: Duration::from_secs(5),
        ..Settings::new(project)
    }
}

fn engine() -> FakeEngine {
    let engine = FakeEngine::new();
    engine.add_image("busybox:1");
    engine.add_image("busybox:2");
    engine.add_image(DEFAULT_INFRA_IMAGE);
    engine
}

async fn run(engine: &FakeEngine, m: &Manifests, s: &Settings) -> Outcome {
    apply(engine, m, s, &mut |_| {}).await.expect("apply")
}

/// Pod names of the project that exist on the engine.
fn pod_names(engine: &FakeEngine, project: &str) -> Vec<String> {
    let mut names: Vec<String> = engine
        .containers()
        .values()
        .filter(|c| c.config.labels.get(keys::PROJECT).map(String::as_str) == Some(project))
        .filter(|c| {
            c.config.labels.get(keys::CONTAINER).map(String::as_str) == Some(keys::INFRA_NAME)
        })
        .map(|c| c.config.labels[keys::POD].clone())
        .collect();
    names.sort();
    names
}

fn verbs(outcome: &Outcome) -> Vec<(Verb, String)> {
    outcome
        .changes
        .iter()
        .map(|c| (c.verb, c.object.clone()))
        .collect()
}

#[tokio::test]
async fn apply_creates_pods_from_scratch() {
    let engine = engine();
    let out = run(&engine, &pods(vec![pod("web"), pod("db")]), &settings("p")).await;
    assert_eq!(
        verbs(&out),
        [
            (Verb::Created, "pod default/db".into()),
            (Verb::Created, "pod default/web".into())
        ]
    );
    assert_eq!(pod_names(&engine, "p"), ["db", "web"]);
    let app = engine.container("berth_p_default_web_app").unwrap();
    assert_eq!(app.state, ContainerState::Running);
    let infra = engine.container("berth_p_default_web_POD").unwrap();
    assert_eq!(
        app.config.network_mode,
        Some(format!("container:{}", infra.id))
    );
    assert_eq!(engine.networks(), ["berth_p_default"]);
    assert!(out.failures.is_empty());
}

#[tokio::test]
async fn second_apply_without_change_makes_no_mutating_call() {
    let engine = engine();
    let m = pods(vec![pod("web"), pod("db")]);
    run(&engine, &m, &settings("p")).await;
    engine.clear_calls();
    let out = run(&engine, &m, &settings("p")).await;
    assert!(out.changes.is_empty());
    assert_eq!(out.unchanged, 2);
    assert_eq!(engine.mutating_calls(), []);
}

#[tokio::test]
async fn a_converged_project_costs_one_list_call() {
    let engine = engine();
    let m = pods(vec![pod("web"), pod("db")]);
    run(&engine, &m, &settings("p")).await;
    engine.clear_calls();
    run(&engine, &m, &settings("p")).await;
    assert_eq!(engine.calls(), [Call::List]);
}

#[tokio::test]
async fn idle_networks_are_still_removed_once_the_last_pod_goes() {
    let engine = engine();
    run(&engine, &pods(vec![pod("web")]), &settings("p")).await;
    assert_eq!(engine.networks().len(), 1);
    run(&engine, &Manifests::default(), &settings("p")).await;
    assert!(engine.networks().is_empty());
}

#[tokio::test]
async fn plan_for_diff_makes_no_mutating_call() {
    let engine = engine();
    run(&engine, &pods(vec![pod("web")]), &settings("p")).await;
    engine.clear_calls();
    let mut changed = pod("web");
    changed.spec.containers[0].image = "busybox:2".into();
    let p = plan(&engine, &pods(vec![changed, pod("db")]), &settings("p"))
        .await
        .unwrap();
    assert_eq!(p.actions.len(), 2);
    assert!(matches!(&p.actions[0], Action::Create { pod } if pod.name == "db"));
    assert!(
        matches!(&p.actions[1], Action::Recreate { why: plan::RecreateWhy::SpecChanged { old_json, new_json }, .. }
        if old_json.contains("busybox:1") && new_json.contains("busybox:2"))
    );
    assert_eq!(engine.mutating_calls(), []);
}

#[tokio::test]
async fn changed_spec_recreates_the_pod() {
    let engine = engine();
    run(&engine, &pods(vec![pod("web")]), &settings("p")).await;
    let mut changed = pod("web");
    changed.spec.containers[0].image = "busybox:2".into();
    let out = run(&engine, &pods(vec![changed]), &settings("p")).await;
    assert_eq!(verbs(&out), [(Verb::Recreated, "pod default/web".into())]);
    assert_eq!(
        engine
            .container("berth_p_default_web_app")
            .unwrap()
            .config
            .image,
        "busybox:2"
    );
}

#[tokio::test]
async fn removed_container_is_repaired_with_a_repair_label() {
    let engine = engine();
    let m = pods(vec![pod("web")]);
    run(&engine, &m, &settings("p")).await;
    let infra_id = engine.container("berth_p_default_web_POD").unwrap().id;
    engine.remove_behind_back("berth_p_default_web_app");
    let out = run(&engine, &m, &settings("p")).await;
    assert_eq!(verbs(&out), [(Verb::Repaired, "pod default/web".into())]);
    let app = engine.container("berth_p_default_web_app").unwrap();
    assert_eq!(app.state, ContainerState::Running);
    assert!(app.config.labels[keys::REPAIR].contains("removed behind berth's back"));
    assert!(app.config.labels.contains_key(keys::REPAIR_TIME));
    let infra = engine.container("berth_p_default_web_POD").unwrap();
    assert!(
        !infra.config.labels.contains_key(keys::REPAIR),
        "one repair, one event"
    );
    assert_eq!(
        infra.id, infra_id,
        "the infra container (the pod's IP) is kept"
    );
    engine.clear_calls();
    run(&engine, &m, &settings("p")).await;
    assert_eq!(engine.mutating_calls(), []);
}

#[tokio::test]
async fn stopped_container_is_repaired_under_always_but_final_under_never() {
    let engine = engine();
    let mut once = pod("once");
    once.spec.restart_policy = RestartPolicy::Never;
    let m = pods(vec![pod("web"), once]);
    run(&engine, &m, &settings("p")).await;
    engine.stop_behind_back("berth_p_default_web_app");
    engine.exit("berth_p_default_once_app", 1);
    let infra_id = engine.container("berth_p_default_web_POD").unwrap().id;
    let out = run(&engine, &m, &settings("p")).await;
    assert_eq!(verbs(&out), [(Verb::Repaired, "pod default/web".into())]);
    assert_eq!(
        engine.container("berth_p_default_web_app").unwrap().state,
        ContainerState::Running
    );
    assert_eq!(
        engine.container("berth_p_default_web_POD").unwrap().id,
        infra_id,
        "only the stopped member is touched"
    );
    assert_eq!(
        engine.container("berth_p_default_once_app").unwrap().state,
        ContainerState::Exited
    );
}

#[tokio::test]
async fn rc_with_three_replicas_creates_three_pods_and_its_record() {
    let engine = engine();
    let out = run(&engine, &controllers(vec![rc("web", 3)]), &settings("p")).await;
    assert_eq!(pod_names(&engine, "p"), ["web-0", "web-1", "web-2"]);
    assert!(verbs(&out).contains(&(Verb::Created, "rc default/web".into())));
    let app = engine.container("berth_p_default_web-1_app").unwrap();
    assert_eq!(app.config.labels[keys::OWNER], "ReplicationController/web");
    assert_eq!(app.config.labels["app"], "web");
    engine.clear_calls();
    run(&engine, &controllers(vec![rc("web", 3)]), &settings("p")).await;
    assert_eq!(engine.mutating_calls(), []);
}

#[tokio::test]
async fn scaling_from_three_to_one_removes_the_highest_ordinals_and_keeps_the_rc_age() {
    let engine = engine();
    run(&engine, &controllers(vec![rc("web", 3)]), &settings("p")).await;
    engine.age("berth_p_default_web_RC", Duration::from_secs(3600));
    let born = engine.container("berth_p_default_web_RC").unwrap().created;
    let out = run(&engine, &controllers(vec![rc("web", 1)]), &settings("p")).await;
    assert_eq!(pod_names(&engine, "p"), ["web-0"]);
    assert!(verbs(&out).contains(&(Verb::Scaled, "rc default/web".into())));
    let observed = crate::observe::observe(&engine, Some("p"), &mut Default::default())
        .await
        .unwrap();
    assert_eq!(
        observed.controllers[0].created, born,
        "AGE counts from the first apply"
    );
}

#[tokio::test]
async fn rc_counts_a_declared_matching_pod_but_never_deletes_it() {
    let engine = engine();
    let mut lone = pod("lone");
    lone.meta.labels = labels(&[("app", "web")]);
    let m = Manifests {
        pods: vec![lone],
        controllers: vec![rc("web", 2)],
        ..Default::default()
    };
    run(&engine, &m, &settings("p")).await;
    assert_eq!(pod_names(&engine, "p"), ["lone", "web-0"]);
    let one = Manifests {
        controllers: vec![rc("web", 1)],
        ..m.clone()
    };
    run(&engine, &one, &settings("p")).await;
    assert_eq!(pod_names(&engine, "p"), ["lone"]);
}

#[tokio::test]
async fn a_declared_matching_pod_that_has_finished_no_longer_counts() {
    let engine = engine();
    let mut lone = pod("lone");
    lone.meta.labels = labels(&[("app", "web")]);
    lone.spec.restart_policy = RestartPolicy::Never;
    let m = Manifests {
        pods: vec![lone],
        controllers: vec![rc("web", 2)],
        ..Default::default()
    };
    run(&engine, &m, &settings("p")).await;
    assert_eq!(pod_names(&engine, "p"), ["lone", "web-0"]);
    engine.exit("berth_p_default_lone_app", 1);
    run(&engine, &m, &settings("p")).await;
    assert_eq!(pod_names(&engine, "p"), ["lone", "web-0", "web-1"]);
}

#[tokio::test]
async fn lost_replica_is_replaced_at_the_lowest_free_ordinal() {
    let engine = engine();
    let m = controllers(vec![rc("web", 3)]);
    run(&engine, &m, &settings("p")).await;
    engine.remove_behind_back("berth_p_default_web-1_POD");
    engine.remove_behind_back("berth_p_default_web-1_app");
    let out = run(&engine, &m, &settings("p")).await;
    assert_eq!(verbs(&out), [(Verb::Created, "pod default/web-1".into())]);
    assert_eq!(pod_names(&engine, "p"), ["web-0", "web-1", "web-2"]);
}

#[tokio::test]
async fn template_change_rolls_one_pod_at_a_time_creating_before_removing() {
    let engine = engine();
    run(&engine, &controllers(vec![rc("web", 3)]), &settings("p")).await;
    let mut changed = rc("web", 3);
    changed.template.spec.containers[0].image = "busybox:2".into();
    let mut live = 3i32;
    let mut lowest = 3;
    let mut track = |c: &Change| {
        if c.object.starts_with("pod ") {
            match c.verb {
                Verb::Created => live += 1,
                Verb::Removed => live -= 1,
                _ => {}
            }
            lowest = lowest.min(live);
        }
        assert!(live <= 4, "never more than one extra pod");
    };
    let out = apply(
        &engine,
        &controllers(vec![changed]),
        &settings("p"),
        &mut track,
    )
    .await
    .unwrap();
    assert_eq!(lowest, 3, "never fewer pods than replicas");
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(
        out.changes
            .iter()
            .filter(|c| c.detail == "replaced by the new template")
            .count(),
        3
    );
    assert_eq!(pod_names(&engine, "p").len(), 3);
    let images: Vec<String> = engine
        .containers()
        .values()
        .filter(|c| c.config.labels.get(keys::CONTAINER).map(String::as_str) == Some("app"))
        .map(|c| c.config.image.clone())
        .collect();
    assert_eq!(images, ["busybox:2"; 3]);
}

#[tokio::test]
async fn pods_replaced_by_a_rollout_are_not_counted_unchanged() {
    let engine = engine();
    let declared = pod("solo");
    let before = Manifests {
        pods: vec![declared.clone()],
        controllers: vec![rc("web", 3)],
        ..Default::default()
    };
    run(&engine, &before, &settings("p")).await;
    let mut changed = rc("web", 3);
    changed.template.spec.containers[0].image = "busybox:2".into();
    let after = Manifests {
        pods: vec![declared],
        controllers: vec![changed],
        ..Default::default()
    };
    let out = run(&engine, &after, &settings("p")).await;
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(out.unchanged, 1, "only the declared pod stayed as it was");
}

#[tokio::test]
async fn broken_new_pod_halts_the_rollout_and_keeps_the_old_pods() {
    let engine = engine();
    run(&engine, &controllers(vec![rc("web", 2)]), &settings("p")).await;
    engine.add_image("broken:1");
    engine.crash_on_start("broken:1");
    let mut changed = rc("web", 2);
    changed.template.spec.containers[0].image = "broken:1".into();
    let out = run(&engine, &controllers(vec![changed]), &settings("p")).await;
    assert_eq!(out.failures.len(), 1, "{:?}", out.changes);
    assert!(
        out.failures[0].1.contains("rollout halted"),
        "{:?}",
        out.failures
    );
    assert_eq!(pod_names(&engine, "p"), ["web-0", "web-1", "web-2"]);
}

#[tokio::test]
async fn failed_owned_pod_is_replaced() {
    let engine = engine();
    let mut once = rc("job", 2);
    once.template.spec.restart_policy = RestartPolicy::Never;
    let m = controllers(vec![once]);
    run(&engine, &m, &settings("p")).await;
    engine.exit("berth_p_default_job-0_app", 3);
    let out = run(&engine, &m, &settings("p")).await;
    let seen = verbs(&out);
    assert!(
        seen.contains(&(Verb::Removed, "pod default/job-0".into())),
        "{seen:?}"
    );
    assert!(
        seen.contains(&(Verb::Created, "pod default/job-2".into())),
        "{seen:?}"
    );
    assert_eq!(pod_names(&engine, "p"), ["job-1", "job-2"]);
}

#[tokio::test]
async fn scale_down_removes_failed_then_pending_before_higher_ordinals() {
    let engine = engine();
    let mut once = rc("job", 3);
    once.template.spec.restart_policy = RestartPolicy::Never;
    run(&engine, &controllers(vec![once.clone()]), &settings("p")).await;
    engine.exit("berth_p_default_job-0_app", 1);
    engine.set_state("berth_p_default_job-1_app", ContainerState::Created);
    once.replicas = 1;
    run(&engine, &controllers(vec![once]), &settings("p")).await;
    assert_eq!(pod_names(&engine, "p"), ["job-2"]);
}

#[tokio::test]
async fn missing_image_under_never_fails_that_pod_and_others_are_still_created() {
    let engine = engine();
    let mut absent = pod("absent");
    absent.spec.containers[0].image = "nowhere:1".into();
    absent.spec.containers[0].image_pull_policy = PullPolicy::Never;
    let mut unpullable = pod("unpullable");
    unpullable.spec.containers[0].image = "nowhere:2".into();
    let out = run(
        &engine,
        &pods(vec![absent, pod("web"), unpullable]),
        &settings("p"),
    )
    .await;
    // The two that wait for their image hold their place with an infra
    // container only (see image_tests.rs).
    assert_eq!(pod_names(&engine, "p"), ["absent", "unpullable", "web"]);
    assert!(engine.container("berth_p_default_absent_app").is_none());
    assert_eq!(out.failures.len(), 2, "{:?}", out.failures);
    assert_eq!(out.failures[0].0, "pod default/absent");
    assert!(
        out.failures[0].1.contains("ErrImageNeverPull"),
        "{}",
        out.failures[0].1
    );
    assert!(
        out.failures[1]
            .1
            .contains("ErrImagePull: container app: cannot pull image \"nowhere:2\""),
        "{}",
        out.failures[1].1
    );
    assert!(!engine.calls().contains(&Call::Pull {
        image: "nowhere:1".into()
    }));
}

#[tokio::test]
async fn pull_always_falls_back_to_the_local_image_with_a_warning() {
    let engine = engine();
    let mut web = pod("web");
    web.spec.containers[0].image_pull_policy = PullPolicy::Always;
    let out = run(&engine, &pods(vec![web]), &settings("p")).await;
    assert!(out.failures.is_empty());
    assert!(out
        .changes
        .iter()
        .any(|c| c.verb == Verb::Warning && c.detail.contains("using the local copy")));
}

#[tokio::test]
async fn service_name_becomes_a_network_alias_of_the_pods_it_selects() {
    use crate::manifest::{Service, ServicePort};
    let engine = engine();
    let mut web = pod("web");
    web.meta.labels = labels(&[("app", "web")]);
    run(&engine, &pods(vec![web.clone(), pod("db")]), &settings("p")).await;
    let service = Service {
        meta: ObjectMeta {
            name: "front".into(),
            namespace: "default".into(),
            ..Default::default()
        },
        selector: labels(&[("app", "web")]),
        ports: vec![ServicePort {
            name: None,
            port: 80,
            target_port: "80".into(),
            protocol: Default::default(),
        }],
        source: Source::default(),
    };
    let m = Manifests {
        pods: vec![web, pod("db")],
        services: vec![service],
        ..Default::default()
    };
    let before: Vec<String> = engine.containers().keys().cloned().collect();
    let out = run(&engine, &m, &settings("p")).await;
    assert_eq!(verbs(&out), [(Verb::Updated, "pod default/web".into())]);
    assert_eq!(
        out.changes[0].detail,
        "updated in place: joins service front"
    );
    let infra = engine.container("berth_p_default_web_POD").unwrap();
    assert_eq!(
        infra.config.network,
        Some(("berth_p_default".into(), vec!["web".into(), "front".into()]))
    );
    // Reconnected, not recreated: every container is the one it was.
    let after: Vec<String> = engine.containers().keys().cloned().collect();
    assert!(before.iter().all(|id| after.contains(id)));
    // Converged: one list call.
    engine.clear_calls();
    run(&engine, &m, &settings("p")).await;
    assert_eq!(engine.calls(), [Call::List]);
    // The service goes: the pod leaves it, in place again.
    let out = run(
        &engine,
        &pods(vec![m.pods[0].clone(), pod("db")]),
        &settings("p"),
    )
    .await;
    assert_eq!(
        out.changes[0].detail,
        "updated in place: leaves service front"
    );
    let infra = engine.container("berth_p_default_web_POD").unwrap();
    assert_eq!(
        infra.config.network,
        Some(("berth_p_default".into(), vec!["web".into()]))
    );
    let after: Vec<String> = engine.containers().keys().cloned().collect();
    assert!(before.iter().all(|id| after.contains(id)));
}

#[tokio::test]
async fn a_label_change_joins_a_service_in_place() {
    use crate::manifest::{Service, ServicePort};
    let engine = engine();
    let service = Service {
        meta: ObjectMeta {
            name: "front".into(),
            namespace: "default".into(),
            ..Default::default()
        },
        selector: labels(&[("app", "web")]),
        ports: vec![ServicePort {
            name: None,
            port: 80,
            target_port: "80".into(),
            protocol: Default::default(),
        }],
        source: Source::default(),
    };
    let mut db = pod("db");
    db.meta.labels = labels(&[("app", "db")]);
    let m = |db: Pod| Manifests {
        pods: vec![db],
        services: vec![service.clone()],
        ..Default::default()
    };
    run(&engine, &m(db.clone()), &settings("p")).await;
    let before: Vec<String> = engine.containers().keys().cloned().collect();
    db.meta.labels = labels(&[("app", "web")]);
    let out = run(&engine, &m(db.clone()), &settings("p")).await;
    assert_eq!(verbs(&out), [(Verb::Updated, "pod default/db".into())]);
    assert_eq!(
        out.changes[0].detail,
        "updated in place: labels app=db → app=web, joins service front"
    );
    let after: Vec<String> = engine.containers().keys().cloned().collect();
    assert!(before.iter().all(|id| after.contains(id)));
    // The labels are the pod's now, as observed (its record has them).
    let mut cache = crate::observe::InspectCache::default();
    let observed = crate::observe::observe(&engine, Some("p"), &mut cache)
        .await
        .unwrap();
    assert_eq!(observed.pods[0].labels, labels(&[("app", "web")]));
    engine.clear_calls();
    let out = run(&engine, &m(db), &settings("p")).await;
    assert!(out.changes.is_empty(), "{:?}", out.changes);
}

#[tokio::test]
async fn rc_skips_ordinals_taken_by_declared_pods() {
    let engine = engine();
    let m = Manifests {
        pods: vec![pod("web-0")],
        controllers: vec![rc("web", 2)],
        ..Default::default()
    };
    run(&engine, &m, &settings("p")).await;
    assert_eq!(pod_names(&engine, "p"), ["web-0", "web-1", "web-2"]);
    let owner = |n: &str| {
        engine
            .container(&format!("berth_p_default_{n}_POD"))
            .unwrap()
            .config
            .labels
            .get(keys::OWNER)
            .cloned()
    };
    assert_eq!(owner("web-0"), None);
    assert_eq!(owner("web-1").as_deref(), Some("ReplicationController/web"));
}

#[tokio::test]
async fn delete_removes_the_chosen_pod_and_an_rc_with_its_pods() {
    let engine = engine();
    let m = Manifests {
        pods: vec![pod("web"), pod("db")],
        controllers: vec![rc("job", 2)],
        ..Default::default()
    };
    run(&engine, &m, &settings("p")).await;
    let out = delete(
        &engine,
        &settings("p"),
        &|p| p.name == "db",
        &|c| c.name == "job",
        &mut |_| {},
    )
    .await
    .unwrap();
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(pod_names(&engine, "p"), ["web"]);
    assert!(!engine.container_names().iter().any(|n| n.ends_with("_RC")));
    let objects: Vec<String> = out
        .changes
        .iter()
        .map(|c| format!("{} {}", c.verb.symbol(), c.object))
        .collect();
    assert_eq!(
        objects,
        [
            "- pod default/db",
            "- pod default/job-0",
            "- pod default/job-1",
            "- rc default/job"
        ]
    );
}

#[tokio::test]
async fn a_changed_template_diffs_as_the_controllers_old_and_new_spec() {
    let engine = engine();
    run(&engine, &controllers(vec![rc("web", 2)]), &settings("p")).await;
    let mut changed = rc("web", 2);
    changed.template.spec.containers[0].image = "busybox:2".into();
    let p = plan(&engine, &controllers(vec![changed]), &settings("p"))
        .await
        .unwrap();
    let update = p
        .actions
        .iter()
        .find(|a| matches!(a, Action::UpdateController { .. }))
        .expect("rc update");
    let (before, after) = update.texts();
    assert!(
        before.contains("\"replicas\": 2") && before.contains("busybox:1"),
        "{before}"
    );
    assert!(
        after.contains("busybox:2") && !after.contains("busybox:1"),
        "{after}"
    );
}

#[tokio::test]
async fn a_missing_image_in_a_new_template_stops_the_rollout_before_any_old_pod_goes() {
    let engine = engine();
    run(&engine, &controllers(vec![rc("web", 2)]), &settings("p")).await;
    let mut changed = rc("web", 2);
    changed.template.spec.containers[0].image = "nowhere:1".into();
    changed.template.spec.containers[0].image_pull_policy = PullPolicy::Never;
    let out = run(&engine, &controllers(vec![changed]), &settings("p")).await;
    assert_eq!(out.failures.len(), 1, "{:?}", out.changes);
    assert!(
        out.failures[0].1.contains("ErrImageNeverPull"),
        "{:?}",
        out.failures
    );
    // The new pod waits for its image; no old pod went.
    assert_eq!(pod_names(&engine, "p"), ["web-0", "web-1", "web-2"]);
    assert!(engine.container("berth_p_default_web-2_app").is_none());
}

#[test]
fn apply_and_plan_futures_can_be_spawned() {
    fn spawnable<T: Send>(_: &T) {}
    let engine = engine();
    let m = Manifests::default();
    let s = settings("p");
    let mut sink = |_: &Change| {};
    let apply_future = apply(&engine, &m, &s, &mut sink);
    spawnable(&apply_future);
    spawnable(&plan(&engine, &m, &s));
    let mut sink = |_: &Change| {};
    spawnable(&delete(&engine, &s, &|_| true, &|_| true, &mut sink));
    let mut cache = crate::observe::InspectCache::default();
    spawnable(&crate::observe::observe(&engine, None, &mut cache));
}

#[path = "image_tests.rs"]
mod image_tests;

#[path = "guard_tests.rs"]
mod guard_tests;

#[path = "schedule_tests.rs"]
mod schedule_tests;
