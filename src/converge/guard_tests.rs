//! What converge never does: prune another project, prune under
//! `--no-prune` (it says what it kept), empty the project on an empty
//! manifest set, or use a network or volume of its name that it does not
//! manage.

use super::*;
use crate::manifest::{EmptyDirSource, Volume, VolumeMount, VolumeSource};

/// Pod `name` whose container mounts an emptyDir `cache`.
fn with_cache(name: &str) -> Pod {
    let mut p = pod(name);
    p.spec.volumes = vec![Volume {
        name: "cache".into(),
        source: VolumeSource::EmptyDir(EmptyDirSource {
            medium: String::new(),
            size_limit: None,
        }),
        files: Vec::new(),
    }];
    p.spec.containers[0].volume_mounts = vec![VolumeMount {
        name: "cache".into(),
        mount_path: "/cache".into(),
        read_only: false,
        sub_path: None,
    }];
    p
}

#[tokio::test]
async fn prune_removes_undeclared_pods_and_never_touches_another_project() {
    let engine = engine();
    run(&engine, &pods(vec![pod("web")]), &settings("other")).await;
    run(&engine, &pods(vec![pod("web"), pod("db")]), &settings("p")).await;
    let out = run(&engine, &pods(vec![pod("web")]), &settings("p")).await;
    assert_eq!(verbs(&out), [(Verb::Removed, "pod default/db".into())]);
    assert_eq!(pod_names(&engine, "p"), ["web"]);
    assert_eq!(pod_names(&engine, "other"), ["web"]);
    run(&engine, &Manifests::default(), &settings("p")).await;
    assert!(pod_names(&engine, "p").is_empty());
    assert_eq!(pod_names(&engine, "other"), ["web"]);
    assert_eq!(engine.networks(), ["berth_other_default"]);
}

#[tokio::test]
async fn no_prune_keeps_undeclared_pods_and_says_so() {
    let engine = engine();
    run(&engine, &pods(vec![pod("web"), pod("db")]), &settings("p")).await;
    let keep = Settings {
        prune: false,
        ..settings("p")
    };
    engine.clear_calls();
    let out = run(&engine, &pods(vec![pod("web")]), &keep).await;
    assert_eq!(verbs(&out), [(Verb::Kept, "pod default/db".into())]);
    assert_eq!(pod_names(&engine, "p"), ["db", "web"]);
    assert_eq!(engine.mutating_calls(), []);
}

#[tokio::test]
async fn no_prune_keeps_an_undeclared_controller_and_its_pods_and_says_so() {
    let engine = engine();
    run(&engine, &controllers(vec![rc("web", 2)]), &settings("p")).await;
    let keep = Settings {
        prune: false,
        ..settings("p")
    };
    engine.clear_calls();
    let out = run(&engine, &pods(vec![pod("db")]), &keep).await;
    let kept: Vec<String> = out
        .changes
        .iter()
        .filter(|c| c.verb == Verb::Kept)
        .map(|c| c.object.clone())
        .collect();
    assert_eq!(
        kept,
        ["pod default/web-0", "pod default/web-1", "rc default/web"]
    );
    assert_eq!(pod_names(&engine, "p"), ["db", "web-0", "web-1"]);
}

/// Applies `m`; asserts the one pod failed because berth does not manage
/// an object of its name, and that no container was created.
async fn refused_as_foreign(engine: &FakeEngine, m: &Manifests) {
    let out = run_failing(engine, m).await;
    assert_eq!(out.failures.len(), 1, "{:?}", out.changes);
    let message = &out.failures[0].1;
    assert!(message.contains("does not manage it"), "{message}");
    assert!(
        engine.containers().is_empty(),
        "nothing used the foreign object"
    );
}

#[tokio::test]
async fn a_network_of_the_same_name_without_berths_label_is_never_used() {
    use crate::engine::Engine;
    let engine = engine();
    let unlabelled = Default::default();
    engine
        .create_network("berth_p_default", &unlabelled)
        .await
        .unwrap();
    refused_as_foreign(&engine, &pods(vec![pod("web")])).await;
}

#[tokio::test]
async fn a_volume_of_the_same_name_without_berths_label_is_never_mounted() {
    use crate::engine::Engine;
    let engine = engine();
    let unlabelled = Default::default();
    let name = "berth_p_default_web_cache";
    engine.create_volume(name, &unlabelled).await.unwrap();
    refused_as_foreign(&engine, &pods(vec![with_cache("web")])).await;
}

#[tokio::test]
async fn empty_manifests_would_remove_everything() {
    let engine = engine();
    run(&engine, &pods(vec![pod("web")]), &settings("p")).await;
    let empty = Manifests::default();
    let p = plan(&engine, &empty, &settings("p")).await.unwrap();
    assert!(would_remove_everything(&empty, &p));
    assert!(!would_remove_everything(&pods(vec![pod("web")]), &p));
}

#[tokio::test]
async fn a_pod_that_cannot_be_created_leaves_no_container_or_volume_behind() {
    let engine = engine();
    let web = with_cache("web");
    // An unmanaged container already holds the member's name.
    let target = crate::podmap::Target {
        project: "p",
        node: "local",
        infra_image: DEFAULT_INFRA_IMAGE,
    };
    let desired = crate::desired::expand_offline(&pods(vec![web.clone()]));
    let mut squatter = crate::podmap::pod_objects(&target, &desired[0])
        .members
        .remove(0);
    squatter.labels.clear();
    engine.insert(squatter, ContainerState::Running);
    let out = run_failing(&engine, &pods(vec![web])).await;
    assert_eq!(out.failures.len(), 1, "{:?}", out.changes);
    assert_eq!(engine.containers().len(), 1, "only the squatter is left");
    assert_eq!(
        engine.volumes(),
        Vec::<String>::new(),
        "the new volume went too"
    );
}

async fn run_failing(engine: &FakeEngine, m: &Manifests) -> Outcome {
    apply(engine, m, &settings("p"), &mut |_| {}).await.unwrap()
}
