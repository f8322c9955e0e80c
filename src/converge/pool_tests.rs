//! Converging a pool of nodes, each an in-memory engine: placement by
//! selector and capacity, one list call per engine when converged, and
//! what happens to pods when a node stops answering, is lost, and comes
//! back — also across a restart of berth (the node records).

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::desired::{test_pod, test_rc};
use crate::engine::fake::{Call, FakeEngine};
use crate::engine::EngineInfo;
use crate::keys;
use crate::manifest::{ObjectMeta, Pod, ReplicationController, Source};
use crate::nodes::{advance, NodeSpec, NodeStatus, Probe};
use crate::observed::NodeProblem;

const GRACE: Duration = DEFAULT_NODE_GRACE;

fn engine() -> FakeEngine {
    let engine = FakeEngine::new();
    engine.add_image("busybox:1");
    engine.add_image(DEFAULT_INFRA_IMAGE);
    engine
}

fn machine(engine: &FakeEngine, cpus: u32, memory_bytes: i64) {
    engine.set_info(EngineInfo {
        cpus,
        memory_bytes,
        ..FakeEngine::default_info()
    });
}

fn now() -> i64 {
    super::pool::now()
}

fn spec(name: &str, labels: &[(&str, &str)]) -> NodeSpec {
    NodeSpec {
        name: name.to_string(),
        endpoint: Some(format!("tcp://{name}:2376")),
        cert_path: None,
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        cpu_milli: None,
        memory_bytes: None,
        declared: true,
    }
}

/// The status of a node whose engine answered the probe just now.
fn answering(spec: &NodeSpec, engine: &FakeEngine) -> NodeStatus {
    advance(None, spec, Probe::Answered(engine.info_now()), now(), GRACE)
}

/// The status of a node that answered once and has not since `since`.
fn down_since(spec: &NodeSpec, since: i64) -> NodeStatus {
    let up = advance(
        None,
        spec,
        Probe::Answered(FakeEngine::default_info()),
        since - 10,
        GRACE,
    );
    let refused = Probe::Unreachable("connection refused".to_string());
    advance(Some(&up), spec, refused, since, GRACE)
}

/// `status` after its engine answers the probe again.
fn back(status: &NodeStatus, engine: &FakeEngine) -> NodeStatus {
    let spec = status.spec.clone();
    advance(
        Some(status),
        &spec,
        Probe::Answered(engine.info_now()),
        now(),
        GRACE,
    )
}

fn member<'a>(status: NodeStatus, engine: &'a FakeEngine) -> Member<'a, FakeEngine> {
    Member {
        status,
        engine: Some(engine),
        last_seen: Vec::new(),
    }
}

/// A pool of answering nodes `a`, `b`, … (one per engine), unlabelled.
fn pool<'a>(engines: &[&'a FakeEngine]) -> Pool<'a, FakeEngine> {
    labelled(
        &engines
            .iter()
            .map(|e| (*e, &[] as &[(&str, &str)]))
            .collect::<Vec<_>>(),
    )
}

fn labelled<'a>(nodes: &[(&'a FakeEngine, &[(&str, &str)])]) -> Pool<'a, FakeEngine> {
    let members = nodes
        .iter()
        .zip(["a", "b", "c", "d"])
        .map(|((engine, labels), name)| member(answering(&spec(name, labels), engine), engine))
        .collect();
    Pool { members }
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

fn asking(mut p: Pod, resource: &str, amount: &str) -> Pod {
    p.spec.containers[0]
        .resources
        .requests
        .insert(resource.into(), amount.into());
    p
}

fn selecting(mut p: Pod, key: &str, value: &str) -> Pod {
    p.spec.node_selector.insert(key.into(), value.into());
    p
}

fn pinned(mut p: Pod, node: &str) -> Pod {
    p.spec.node_name = Some(node.into());
    p
}

fn rc_asking(name: &str, replicas: u32, cpu: &str) -> ReplicationController {
    let mut rc = test_rc(name, replicas);
    rc.template.spec.containers[0]
        .resources
        .requests
        .insert("cpu".into(), cpu.into());
    rc
}

fn manifests(pods: Vec<Pod>, controllers: Vec<ReplicationController>) -> Manifests {
    Manifests {
        pods,
        controllers,
        ..Default::default()
    }
}

fn settings() -> Settings {
    Settings {
        min_ready: Duration::ZERO,
        rollout_timeout: Duration::from_secs(5),
        ..Settings::new("p")
    }
}

async fn run(pool: &mut Pool<'_, FakeEngine>, m: &Manifests) -> Outcome {
    run_seen(pool, m, &mut Vec::new()).await
}

/// `apply_pool`, each change reported also pushed to `seen`.
async fn run_seen(
    pool: &mut Pool<'_, FakeEngine>,
    m: &Manifests,
    seen: &mut Vec<Change>,
) -> Outcome {
    apply_pool(
        pool,
        m,
        &settings(),
        &mut InspectCache::default(),
        &mut |c| seen.push(c.clone()),
    )
    .await
    .expect("apply")
}

/// The project's pods on `engine`, each with the node its infra
/// container's label names.
fn pods_on(engine: &FakeEngine) -> Vec<(String, String)> {
    let mut pods: Vec<(String, String)> = engine
        .containers()
        .values()
        .filter(|c| c.config.labels.get(keys::PROJECT).map(String::as_str) == Some("p"))
        .filter(|c| {
            c.config.labels.get(keys::CONTAINER).map(String::as_str) == Some(keys::INFRA_NAME)
        })
        .map(|c| {
            (
                c.config.labels[keys::POD].clone(),
                c.config.labels[keys::NODE].clone(),
            )
        })
        .collect();
    pods.sort();
    pods
}

/// The pod names on `engine`, checked to carry `node`'s label.
fn names_on(engine: &FakeEngine, node: &str) -> Vec<String> {
    pods_on(engine)
        .into_iter()
        .map(|(pod, label)| {
            assert_eq!(label, node, "pod {pod} is labelled for another node");
            pod
        })
        .collect()
}

/// Every pod name across the engines, asserting none runs twice.
fn all_pods(engines: &[&FakeEngine]) -> Vec<String> {
    let mut names: Vec<String> = engines
        .iter()
        .flat_map(|e| pods_on(e).into_iter().map(|(pod, _)| pod))
        .collect();
    names.sort();
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(names, unique, "a pod name on two engines");
    names
}

fn failures(out: &Outcome) -> BTreeMap<String, String> {
    out.failures.iter().cloned().collect()
}

fn status_of<'p>(pool: &'p Pool<'_, FakeEngine>, node: &str) -> &'p NodeStatus {
    &pool
        .members
        .iter()
        .find(|m| m.status.spec.name == node)
        .expect("a member")
        .status
}

// --- placement ---

#[tokio::test]
async fn node_selector_and_node_name_decide_where_a_pod_goes() {
    let (a, b) = (engine(), engine());
    let mut pool = labelled(&[(&a, &[("disk", "hdd")]), (&b, &[("disk", "ssd")])]);
    let m = manifests(
        vec![
            selecting(pod("fast"), "disk", "ssd"),
            selecting(pod("by-host"), "kubernetes.io/hostname", "a"),
            pinned(pod("pinned"), "b"),
        ],
        vec![],
    );
    let out = run(&mut pool, &m).await;
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(names_on(&a, "a"), ["by-host"]);
    assert_eq!(names_on(&b, "b"), ["fast", "pinned"]);
    // Each change says where it happened.
    let fast = out
        .changes
        .iter()
        .find(|c| c.object == "pod default/fast")
        .unwrap();
    assert_eq!(fast.text(), "pod default/fast created on b");
}

#[tokio::test]
async fn once_bound_a_pod_stays_on_its_node() {
    let (a, b) = (engine(), engine());
    let mut pool = pool(&[&a, &b]);
    let m = manifests(vec![pod("web")], vec![]);
    run(&mut pool, &m).await;
    assert_eq!(names_on(&a, "a"), ["web"], "a tie goes by name");
    // b is now the less allocated node; a new pod goes there, the running
    // one stays (and a change of its spec recreates it where it is).
    let mut m = manifests(vec![pod("web"), pod("db")], vec![]);
    run(&mut pool, &m).await;
    assert_eq!(names_on(&b, "b"), ["db"]);
    m.pods[0].spec.containers[0].args = vec!["changed".into()];
    let out = run(&mut pool, &m).await;
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert!(out
        .changes
        .iter()
        .any(|c| c.verb == Verb::Recreated && c.object == "pod default/web" && c.node == "a"));
    assert_eq!(names_on(&a, "a"), ["web"]);
    assert_eq!(names_on(&b, "b"), ["db"]);
}

#[tokio::test]
async fn a_controllers_pods_spread_by_remaining_capacity() {
    let (a, b) = (engine(), engine());
    machine(&a, 2, 8 << 30);
    machine(&b, 4, 8 << 30);
    let mut pool = pool(&[&a, &b]);
    let m = manifests(vec![], vec![rc_asking("web", 4, "1500m")]);
    let out = run(&mut pool, &m).await;
    // a fits one, b two; the fourth fits nowhere.
    assert_eq!(names_on(&a, "a").len(), 1);
    assert_eq!(names_on(&b, "b").len(), 2);
    assert_eq!(all_pods(&[&a, &b]), ["web-0", "web-1", "web-2"]);
    assert_eq!(
        failures(&out),
        BTreeMap::from([(
            "pod default/web-3".to_string(),
            "stays Pending (Unschedulable): 0/2 nodes are available: 2 Insufficient cpu."
                .to_string()
        )])
    );
    // Without requests, replicas spread evenly.
    let (c, d) = (engine(), engine());
    let mut pool = self::pool(&[&c, &d]);
    let out = run(&mut pool, &manifests(vec![], vec![test_rc("web", 4)])).await;
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(names_on(&c, "a").len(), 2);
    assert_eq!(names_on(&d, "b").len(), 2);
}

#[tokio::test]
async fn an_unschedulable_pod_stays_pending_with_the_schedulers_reason() {
    let (a, b, c) = (engine(), engine(), engine());
    machine(&a, 4, 1 << 30);
    let mut pool = labelled(&[(&a, &[("disk", "ssd")]), (&b, &[]), (&c, &[])]);
    let big = asking(selecting(pod("big"), "disk", "ssd"), "memory", "2Gi");
    let m = manifests(vec![big, pod("small")], vec![]);
    let out = run(&mut pool, &m).await;
    assert_eq!(
        failures(&out),
        BTreeMap::from([(
            "pod default/big".to_string(),
            "stays Pending (Unschedulable): 0/3 nodes are available: 1 Insufficient memory, \
             2 node(s) didn't match Pod's node affinity/selector."
                .to_string()
        )])
    );
    assert_eq!(all_pods(&[&a, &b, &c]), ["small"]);
    // A pod bound to a node that is not declared fits nowhere either.
    let m = manifests(vec![pinned(pod("lost"), "nowhere")], vec![]);
    let out = run(&mut pool, &m).await;
    assert_eq!(
        failures(&out)["pod default/lost"],
        "stays Pending (Unschedulable): 0/3 nodes are available: \
         3 node(s) didn't match the requested node name."
    );
}

#[tokio::test]
async fn a_converged_project_on_three_nodes_costs_one_list_call_per_engine() {
    let (a, b, c) = (engine(), engine(), engine());
    let mut pool = labelled(&[(&a, &[("disk", "ssd")]), (&b, &[]), (&c, &[])]);
    let m = manifests(
        vec![selecting(pod("fast"), "disk", "ssd"), pod("db")],
        vec![rc_asking("web", 3, "500m")],
    );
    let out = run(&mut pool, &m).await;
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(all_pods(&[&a, &b, &c]).len(), 5);
    for e in [&a, &b, &c] {
        e.clear_calls();
    }
    let out = run(&mut pool, &m).await;
    assert!(out.changes.is_empty(), "{:?}", out.changes);
    assert_eq!(out.unchanged, 5);
    for e in [&a, &b, &c] {
        assert_eq!(e.calls(), [Call::List]);
    }
    // So does a fresh pool (one command after another).
    for e in [&a, &b, &c] {
        e.clear_calls();
    }
    let mut fresh = labelled(&[(&a, &[("disk", "ssd")]), (&b, &[]), (&c, &[])]);
    let out = run(&mut fresh, &m).await;
    assert!(out.changes.is_empty(), "{:?}", out.changes);
    for e in [&a, &b, &c] {
        assert_eq!(e.calls(), [Call::List]);
    }
}

#[tokio::test]
async fn a_node_without_endpoint_is_never_contacted_and_stays_pending() {
    let (a, b) = (engine(), engine());
    let mut nowhere = spec("c", &[]);
    nowhere.endpoint = None;
    let mut pool = pool(&[&a, &b]);
    pool.members.push(Member {
        status: advance(None, &nowhere, Probe::NoEndpoint, now(), GRACE),
        engine: None,
        last_seen: Vec::new(),
    });
    let m = manifests(vec![pinned(pod("there"), "c")], vec![test_rc("web", 3)]);
    let out = run(&mut pool, &m).await;
    assert_eq!(
        failures(&out),
        BTreeMap::from([(
            "pod default/there".to_string(),
            "stays Pending (Unschedulable): 0/3 nodes are available: \
             1 node(s) had untolerated taint(s), 2 node(s) didn't match the requested node name."
                .to_string()
        )])
    );
    assert_eq!(all_pods(&[&a, &b]), ["web-0", "web-1", "web-2"]);
    let c = status_of(&pool, "c");
    assert_eq!(c.phase, crate::nodes::NodePhase::Pending);
    assert_eq!(c.status_text(), "Pending");
}

// --- unreachable, lost, back ---

/// Nodes a and b converged with `web` (2 replicas, one on each) and the
/// standalone `cache` and `db` pinned to a and b.
async fn converged<'a>(a: &'a FakeEngine, b: &'a FakeEngine) -> (Pool<'a, FakeEngine>, Manifests) {
    let m = manifests(
        vec![pinned(pod("cache"), "a"), pinned(pod("db"), "b")],
        vec![test_rc("web", 2)],
    );
    let mut pool = pool(&[a, b]);
    let out = run(&mut pool, &m).await;
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(names_on(a, "a"), ["cache", "web-0"]);
    assert_eq!(names_on(b, "b"), ["db", "web-1"]);
    (pool, m)
}

#[tokio::test]
async fn within_the_grace_period_an_unreachable_nodes_pods_are_left_as_last_seen() {
    let (a, b) = (engine(), engine());
    let (mut pool, m) = converged(&a, &b).await;
    b.set_outage(Some("connection refused"));
    a.clear_calls();
    let out = run(&mut pool, &m).await;
    // On a, only b's record changes: since when b does not answer.
    let changed: Vec<Call> = a
        .mutating_calls()
        .into_iter()
        .filter(|c| !matches!(c, Call::Remove { .. }))
        .collect();
    assert_eq!(
        changed,
        [Call::Create {
            name: "berth_p__node_b".to_string()
        }]
    );
    let b_record = records_on(&a).into_iter().find(|r| r.node == "b").unwrap();
    assert!(b_record.unreachable_since.is_some());
    assert_eq!(b_record.lost_at, None);
    assert!(
        out.node_failures["b"].contains("connection refused"),
        "{:?}",
        out.node_failures
    );
    // Each of b's pods is reported: left as it was, neither Pending nor
    // replaced.
    let failures = failures(&out);
    assert_eq!(
        failures.keys().collect::<Vec<_>>(),
        ["pod default/db", "pod default/web-1"]
    );
    for why in failures.values() {
        assert!(
            why.starts_with("left as last seen: node b does not answer for "),
            "{why}"
        );
    }
    let b_status = status_of(&pool, "b");
    assert!(!b_status.is_reachable());
    assert!(b_status.unreachable_since.is_some());
    assert_eq!(b_status.lost_at, None);
    // What b ran is still known, as last seen, and nothing replaces it.
    let on_b: Vec<(&str, Option<NodeProblem>)> = out
        .observed
        .pods
        .iter()
        .filter(|p| p.node == "b")
        .map(|p| (p.name.as_str(), p.node_problem.map(|n| n.is_lost())))
        .collect();
    assert_eq!(
        on_b,
        [
            ("db", Some(false)),
            ("web-1", Some(false))
        ]
    );
    b.set_outage(None);
    assert_eq!(all_pods(&[&a, &b]), ["cache", "db", "web-0", "web-1"]);
    // The next command (b down since it was first seen so) says the same,
    // and still creates nothing.
    b.set_outage(Some("connection refused"));
    let since = now() - 10;
    let mut pool = Pool {
        members: vec![
            member(answering(&spec("a", &[]), &a), &a),
            member(down_since(&spec("b", &[]), since), &b),
        ],
    };
    b.clear_calls();
    let out = run(&mut pool, &m).await;
    assert!(b.calls().is_empty(), "an unreachable node is not listed");
    assert!(out.changes.iter().all(|c| c.verb != Verb::Created));
    assert_eq!(status_of(&pool, "b").lost_at, None);
    assert_eq!(status_of(&pool, "b").unreachable_since, Some(since));
    b.set_outage(None);
    assert_eq!(all_pods(&[&a, &b]), ["cache", "db", "web-0", "web-1"]);
}

#[tokio::test]
async fn past_the_grace_period_a_controllers_pods_are_recreated_elsewhere_under_new_names() {
    let (a, b) = (engine(), engine());
    let (_, m) = converged(&a, &b).await;
    b.set_outage(Some("connection refused"));
    let mut pool = Pool {
        members: vec![
            member(answering(&spec("a", &[]), &a), &a),
            member(down_since(&spec("b", &[]), now() - 100), &b),
        ],
    };
    b.clear_calls();
    let out = run(&mut pool, &m).await;
    assert!(b.calls().is_empty(), "a lost node is not contacted");
    assert!(status_of(&pool, "b").lost_at.is_some());
    assert_eq!(names_on(&a, "a"), ["cache", "web-0", "web-2"]);
    assert!(out
        .changes
        .iter()
        .any(|c| c.verb == Verb::Created && c.object == "pod default/web-2" && c.node == "a"));
    // The standalone pod is not moved: it is Failed, and the report says why.
    assert_eq!(
        out.failures,
        [(
            "pod default/db".to_string(),
            "stays Failed (NodeLost): node b was lost; a pod is not moved, \
             it comes back when its node does"
                .to_string()
        )]
    );
    let db = out.observed.pods.iter().find(|p| p.name == "db").unwrap();
    assert_eq!(db.node, "b");
    assert_eq!(
        crate::desired::health::coarse(db),
        crate::desired::health::Coarse::Failed
    );
    // Once more: nothing new (web-1 is Failed, not counted, not replaced twice).
    let out = run(&mut pool, &m).await;
    assert!(
        out.changes.iter().all(|c| c.verb != Verb::Created),
        "{:?}",
        out.changes
    );
    assert_eq!(names_on(&a, "a"), ["cache", "web-0", "web-2"]);
    b.set_outage(None);
    assert_eq!(
        all_pods(&[&a, &b]),
        ["cache", "db", "web-0", "web-1", "web-2"]
    );
}

#[tokio::test]
async fn a_lost_node_that_is_back_is_cleaned_before_it_takes_pods_again() {
    let (a, b) = (engine(), engine());
    let (_, mut m) = converged(&a, &b).await;
    b.set_outage(Some("connection refused"));
    let mut pool = Pool {
        members: vec![
            member(answering(&spec("a", &[]), &a), &a),
            member(down_since(&spec("b", &[]), now() - 100), &b),
        ],
    };
    run(&mut pool, &m).await;
    assert!(status_of(&pool, "b").lost_at.is_some());
    // b answers again: stale until what it left is removed.
    b.set_outage(None);
    pool.members[1].status = back(&pool.members[1].status, &b);
    assert!(pool.members[1].status.stale);
    let mut seen = Vec::new();
    let out = run_seen(&mut pool, &m, &mut seen).await;
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    let removed: Vec<&str> = seen
        .iter()
        .filter(|c| c.verb == Verb::Removed && c.node == "b")
        .map(|c| c.object.as_str())
        .filter(|o| o.starts_with("pod "))
        .collect();
    assert_eq!(removed, ["pod default/db", "pod default/web-1"]);
    let b_status = status_of(&pool, "b");
    assert!(
        !b_status.stale && b_status.lost_at.is_none(),
        "{b_status:?}"
    );
    assert!(b_status.is_ready());
    // Clean in the same apply, b takes its pinned pod back at once.
    assert!(seen
        .iter()
        .any(|c| c.verb == Verb::Updated && c.object == "node b"));
    assert_eq!(names_on(&b, "b"), ["db"]);
    assert_eq!(names_on(&a, "a"), ["cache", "web-0", "web-2"]);
    // Now it takes pods again: more replicas go to the emptier node b.
    m.controllers[0].replicas = 4;
    let out = run_seen(&mut pool, &m, &mut seen).await;
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    let on_b = names_on(&b, "b");
    assert!(!on_b.is_empty(), "b takes pods again");
    let names = all_pods(&[&a, &b]);
    assert_eq!(
        names,
        ["cache", "db", "web-0", "web-1", "web-2", "web-3"],
        "{names:?}"
    );
    // Nothing was created on b before b's stale pods were removed.
    let first_create_on_b = seen
        .iter()
        .position(|c| c.verb == Verb::Created && c.node == "b")
        .expect("a pod created on b");
    let last_stale_removal = seen
        .iter()
        .rposition(|c| c.verb == Verb::Removed && c.node == "b")
        .unwrap();
    assert!(last_stale_removal < first_create_on_b, "{seen:?}");
    // And the records say b is well again.
    for e in [&a, &b] {
        let b_record = records_on(e).into_iter().find(|r| r.node == "b").unwrap();
        assert_eq!((b_record.lost_at, b_record.unreachable_since), (None, None));
    }
}

// --- records across a restart ---

#[tokio::test]
async fn node_records_are_kept_on_every_reachable_engine() {
    let (a, b) = (engine(), engine());
    let (_pool, _m) = converged(&a, &b).await;
    for (e, holder) in [(&a, "a"), (&b, "b")] {
        let mut records = records_on(e);
        records.sort_by(|x, y| x.node.cmp(&y.node));
        let got: Vec<(&str, &str, Option<Vec<String>>)> = records
            .iter()
            .map(|r| (r.node.as_str(), r.holder.as_str(), r.pods.clone()))
            .collect();
        let owned = |p: &str| format!("default/{p}|ReplicationController/web");
        assert_eq!(
            got,
            [
                (
                    "a",
                    holder,
                    Some(vec!["default/cache".to_string(), owned("web-0")])
                ),
                (
                    "b",
                    holder,
                    Some(vec!["default/db".to_string(), owned("web-1")])
                ),
            ]
        );
        assert!(records.iter().all(|r| r.lost_at.is_none()));
        assert_eq!(records[1].endpoint.as_deref(), Some("tcp://b:2376"));
    }
}

fn records_on(engine: &FakeEngine) -> Vec<crate::nodes::NodeRecord> {
    engine
        .containers()
        .values()
        .filter_map(|c| {
            crate::nodes::NodeRecord::from_summary(&crate::engine::ContainerSummary {
                id: c.id.clone(),
                name: c.config.name.clone(),
                image: c.config.image.clone(),
                labels: c.config.labels.clone(),
                state: c.state,
                created: c.created,
            })
        })
        .collect()
}

#[tokio::test]
async fn after_a_restart_the_records_say_what_an_unreachable_node_runs() {
    let (a, b) = (engine(), engine());
    let (_, m) = converged(&a, &b).await;
    b.set_outage(Some("connection refused"));
    // A fresh berth: b has not answered its first probe; nothing remembered.
    let mut pool = Pool {
        members: vec![
            member(answering(&spec("a", &[]), &a), &a),
            member(down_since(&spec("b", &[]), now()), &b),
        ],
    };
    let out = run(&mut pool, &m).await;
    assert!(
        out.changes.iter().all(|c| c.verb != Verb::Created),
        "{:?}",
        out.changes
    );
    let mut on_b: Vec<(String, Option<String>)> = out
        .observed
        .pods
        .iter()
        .filter(|p| p.node == "b")
        .map(|p| (p.name.clone(), p.owner.clone()))
        .collect();
    on_b.sort();
    assert_eq!(
        on_b,
        [
            ("db".to_string(), None),
            (
                "web-1".to_string(),
                Some("ReplicationController/web".to_string())
            )
        ]
    );
    // Another fresh berth, past the grace period: web-1 is replaced under a
    // new name, never recreated as web-1; db is not moved.
    let mut pool = Pool {
        members: vec![
            member(answering(&spec("a", &[]), &a), &a),
            member(down_since(&spec("b", &[]), now() - 100), &b),
        ],
    };
    let out = run(&mut pool, &m).await;
    assert_eq!(names_on(&a, "a"), ["cache", "web-0", "web-2"]);
    assert!(failures(&out)["pod default/db"].contains("NodeLost"));
    // The records on a now say b was lost, and a third berth, within what
    // would be b's grace period counted from its own first probe, knows.
    let b_record = records_on(&a).into_iter().find(|r| r.node == "b").unwrap();
    assert!(b_record.lost_at.is_some());
    let mut pool = Pool {
        members: vec![
            member(answering(&spec("a", &[]), &a), &a),
            member(down_since(&spec("b", &[]), now()), &b),
        ],
    };
    let out = run(&mut pool, &m).await;
    assert!(status_of(&pool, "b").lost_at.is_some());
    assert!(
        out.changes.iter().all(|c| c.verb != Verb::Created),
        "{:?}",
        out.changes
    );
    assert_eq!(names_on(&a, "a"), ["cache", "web-0", "web-2"]);
    b.set_outage(None);
    assert_eq!(
        all_pods(&[&a, &b]),
        ["cache", "db", "web-0", "web-1", "web-2"]
    );
}

#[tokio::test]
async fn nothing_is_created_while_an_unreachable_nodes_pods_are_unknown() {
    let (a, b) = (engine(), engine());
    b.set_outage(Some("connection refused"));
    let mut pool = Pool {
        members: vec![
            member(answering(&spec("a", &[]), &a), &a),
            member(down_since(&spec("b", &[]), now()), &b),
        ],
    };
    let m = manifests(vec![pod("db")], vec![test_rc("web", 1)]);
    let out = run(&mut pool, &m).await;
    assert!(names_on(&a, "a").is_empty());
    let failures = failures(&out);
    assert!(
        failures["pod default/db"].starts_with("waits: node b does not answer"),
        "{failures:?}"
    );
    assert!(failures.contains_key("pod default/web-0"), "{failures:?}");
    // b recorded unreachable on a: once that is past the grace period, b
    // is lost, and what it may run does not hold anything up.
    let b_record = records_on(&a).into_iter().find(|r| r.node == "b").unwrap();
    assert_eq!(b_record.pods, None, "never seen");
    assert!(b_record.unreachable_since.is_some());
    let mut pool = Pool {
        members: vec![
            member(answering(&spec("a", &[]), &a), &a),
            member(down_since(&spec("b", &[]), now() - 100), &b),
        ],
    };
    let out = run(&mut pool, &m).await;
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(names_on(&a, "a"), ["db", "web-0"]);
}

#[tokio::test]
async fn a_long_running_berth_remembers_what_an_unreachable_node_ran() {
    let (a, b) = (engine(), engine());
    let (_, m) = converged(&a, &b).await;
    let mut pool = pool(&[&a, &b]);
    let out = run(&mut pool, &m).await;
    let on_b: Vec<_> = out
        .observed
        .pods
        .iter()
        .filter(|p| p.node == "b")
        .cloned()
        .collect();
    assert_eq!(on_b.len(), 2);
    // The records are gone (say, removed by hand); b stops answering.
    for name in a.container_names() {
        if name.starts_with("berth_p__node_") {
            a.remove_behind_back(&name);
        }
    }
    b.set_outage(Some("connection refused"));
    pool.members[1].status = down_since(&spec("b", &[]), now());
    pool.members[1].last_seen = on_b;
    let out = run(&mut pool, &m).await;
    assert!(
        out.changes.iter().all(|c| c.verb != Verb::Created),
        "{:?}",
        out.changes
    );
    let problems: Vec<_> = out
        .observed
        .pods
        .iter()
        .filter(|p| p.node == "b")
        .map(|p| (p.name.as_str(), p.node_problem.map(|n| n.is_lost())))
        .collect();
    assert_eq!(
        problems,
        [
            ("db", Some(false)),
            ("web-1", Some(false))
        ]
    );
    // What it remembers is written down again.
    let b_record = records_on(&a).into_iter().find(|r| r.node == "b").unwrap();
    assert_eq!(
        b_record.pods,
        Some(vec![
            "default/db".to_string(),
            "default/web-1|ReplicationController/web".to_string()
        ])
    );
}

#[tokio::test]
async fn a_record_kept_while_its_engine_was_down_does_not_make_a_cleaned_node_lost_again() {
    let (a, b, c) = (engine(), engine(), engine());
    let m = manifests(vec![pinned(pod("db"), "b")], vec![test_rc("web", 3)]);
    let three = |b_status: NodeStatus, c_status: NodeStatus| Pool {
        members: vec![
            member(answering(&spec("a", &[]), &a), &a),
            member(b_status, &b),
            member(c_status, &c),
        ],
    };
    let mut pool = three(
        answering(&spec("b", &[]), &b),
        answering(&spec("c", &[]), &c),
    );
    run(&mut pool, &m).await;
    assert_eq!(names_on(&b, "b"), ["db"]);
    // b is lost: a and c record it.
    b.set_outage(Some("connection refused"));
    let mut pool = three(
        down_since(&spec("b", &[]), now() - 100),
        answering(&spec("c", &[]), &c),
    );
    run(&mut pool, &m).await;
    assert!(records_on(&c)
        .iter()
        .any(|r| r.node == "b" && r.lost_at.is_some()));
    // b comes back while c is down: b is cleaned, db is back on it.
    b.set_outage(None);
    c.set_outage(Some("connection refused"));
    let mut pool = three(
        answering(&spec("b", &[]), &b),
        down_since(&spec("c", &[]), now()),
    );
    run(&mut pool, &m).await;
    run(&mut pool, &m).await;
    assert!(status_of(&pool, "b").is_ready());
    let db = b
        .container("berth_p_default_db_POD")
        .expect("db back on b")
        .id;
    // c is back, its record of b still says lost: b is not stale again,
    // db stays.
    c.set_outage(None);
    let mut pool = three(
        answering(&spec("b", &[]), &b),
        answering(&spec("c", &[]), &c),
    );
    let out = run(&mut pool, &m).await;
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert!(
        out.changes.iter().all(|c| c.verb != Verb::Removed),
        "{:?}",
        out.changes
    );
    assert_eq!(b.container("berth_p_default_db_POD").unwrap().id, db);
    assert!(status_of(&pool, "b").is_ready());
    assert!(records_on(&c).iter().all(|r| r.lost_at.is_none()));
    all_pods(&[&a, &b, &c]);
}
