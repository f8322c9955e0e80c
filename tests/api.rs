//! The Kubernetes-shaped API served in-process from snapshots built in
//! memory: discovery, lists and gets, selectors, tables, errors, watch
//! streams fed by newly published snapshots, health and metrics.

mod api_support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use api_support::{get, request, start, Watch};
use berth::engine::{ContainerDetails, ContainerState, ContainerSummary};
use berth::observed::{Observed, ObservedContainer, ObservedPod};
use berth::snapshot::Snapshot;
use serde_json::{json, Value};

const T0: i64 = 1_795_986_000;
const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

fn running(id: &str, ip: Option<&str>) -> ObservedContainer {
    let ips: BTreeMap<String, String> = ip
        .map(|ip| [("berth_demo_default".to_string(), ip.to_string())].into())
        .unwrap_or_default();
    ObservedContainer {
        summary: ContainerSummary {
            id: id.into(),
            name: id.into(),
            image: "busybox:test".into(),
            labels: BTreeMap::new(),
            state: ContainerState::Running,
            created: T0,
        },
        details: Some(ContainerDetails {
            id: id.into(),
            running: true,
            started_at: "2026-11-29T21:00:01Z".into(),
            finished_at: "0001-01-01T00:00:00Z".into(),
            ips,
            ..Default::default()
        }),
        probe: Default::default(),
    }
}

/// A running pod of one container `app`, labelled `app=<app>`.
fn pod(namespace: &str, name: &str, app: &str, ip: &str) -> ObservedPod {
    let spec = json!({ "containers": [{ "name": "app", "image": "busybox:test" }] });
    ObservedPod {
        project: "demo".into(),
        namespace: namespace.into(),
        name: name.into(),
        node: "local".into(),
        owner: None,
        spec_hash: None,
        labels: [("app".to_string(), app.to_string())].into(),
        last_applied: Some(spec.to_string()),
        infra: Some(running(&format!("{name}-infra"), Some(ip))),
        containers: [("app".to_string(), running(&format!("{name}-app"), None))].into(),
        node_problem: None,
        records: Vec::new(),
        init_containers: Default::default(),
    }
}

fn snapshot(generation: u64, pods: Vec<ObservedPod>) -> Snapshot {
    let mut snapshot = Snapshot {
        generation,
        taken_at: T0 + 60,
        started_at: T0,
        project: "demo".into(),
        observed: Some(Arc::new(Observed {
            pods,
            ..Default::default()
        })),
        ..Default::default()
    };
    snapshot.engine.reachable = Some(true);
    snapshot.manifests.valid = true;
    snapshot
}

fn two_pods(generation: u64) -> Snapshot {
    snapshot(
        generation,
        vec![
            pod("default", "web", "web", "10.1.0.2"),
            pod("prod", "db", "db", "10.1.0.3"),
        ],
    )
}

fn item_names(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn discovery_describes_the_core_group() {
    let served = start(two_pods(1)).await;
    let api = get(&served.addr, "/api").await;
    assert_eq!(api.status, 200);
    assert_eq!(api.content_type, "application/json");
    assert_eq!(api.json()["versions"], json!(["v1"]));
    let resources = get(&served.addr, "/api/v1").await.json();
    assert_eq!(resources["kind"], "APIResourceList");
    let rc = resources["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "replicationcontrollers")
        .unwrap();
    assert_eq!(rc["shortNames"], json!(["rc"]));
    assert_eq!(rc["kind"], "ReplicationController");
    let groups = get(&served.addr, "/apis").await.json();
    assert_eq!(groups["groups"][0]["name"], "apps");
    assert_eq!(get(&served.addr, "/version").await.json()["major"], "1");
}

#[tokio::test]
async fn lists_span_namespaces_or_keep_to_one() {
    let served = start(two_pods(7)).await;
    let all = get(&served.addr, "/api/v1/pods").await.json();
    assert_eq!(all["kind"], "PodList");
    assert_eq!(all["metadata"]["resourceVersion"], "7");
    assert_eq!(item_names(&all), vec!["web", "db"]);
    let prod = get(&served.addr, "/api/v1/namespaces/prod/pods")
        .await
        .json();
    assert_eq!(item_names(&prod), vec!["db"]);
    let pod = get(&served.addr, "/api/v1/namespaces/default/pods/web")
        .await
        .json();
    assert_eq!(pod["kind"], "Pod");
    assert_eq!(pod["status"]["podIP"], "10.1.0.2");
    assert_eq!(pod["metadata"]["resourceVersion"], "7");
    let namespaces = get(&served.addr, "/api/v1/namespaces").await.json();
    assert_eq!(item_names(&namespaces), vec!["default", "prod"]);
    let prod = get(&served.addr, "/api/v1/namespaces/prod").await.json();
    assert_eq!(prod["status"]["phase"], "Active");
    let local = get(&served.addr, "/api/v1/nodes/local").await.json();
    assert_eq!(local["status"]["conditions"][0]["status"], "True");
}

#[tokio::test]
async fn selectors_pick_objects_and_bad_ones_are_refused() {
    let served = start(two_pods(1)).await;
    let by_label = get(
        &served.addr,
        "/api/v1/pods?labelSelector=app%20in%20(db,cache)",
    )
    .await;
    assert_eq!(item_names(&by_label.json()), vec!["db"]);
    let by_field = get(
        &served.addr,
        "/api/v1/pods?fieldSelector=metadata.namespace%3Ddefault,status.phase%3DRunning",
    )
    .await;
    assert_eq!(item_names(&by_field.json()), vec!["web"]);
    let not = get(
        &served.addr,
        "/api/v1/pods?fieldSelector=metadata.name!%3Dweb",
    )
    .await;
    assert_eq!(item_names(&not.json()), vec!["db"]);
    let bad_field = get(&served.addr, "/api/v1/pods?fieldSelector=spec.hostname%3Dx").await;
    assert_eq!(bad_field.status, 400);
    assert_eq!(bad_field.json()["reason"], "BadRequest");
    assert_eq!(
        bad_field.json()["message"],
        "field label not supported: spec.hostname"
    );
    let bad_label = get(&served.addr, "/api/v1/pods?labelSelector=app%20in%20(web").await;
    assert_eq!(bad_label.status, 400);
    assert_eq!(bad_label.json()["kind"], "Status");
}

#[tokio::test]
async fn events_are_found_by_the_uid_of_their_pod() {
    let served = start(two_pods(1)).await;
    let web = get(&served.addr, "/api/v1/namespaces/default/pods/web")
        .await
        .json();
    let uid = web["metadata"]["uid"].as_str().unwrap();
    let path = format!(
        "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dweb,involvedObject.namespace%3Ddefault,involvedObject.uid%3D{uid}"
    );
    let events = get(&served.addr, &path).await.json();
    let items = events["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{events}");
    for event in items {
        assert_eq!(event["involvedObject"]["uid"], uid);
        assert_eq!(event["source"]["component"], "berth");
    }
}

#[tokio::test]
async fn tables_have_kubectls_columns_when_asked_for() {
    let served = start(two_pods(1)).await;
    let table = request(&served.addr, "GET", "/api/v1/pods", Some(TABLE))
        .await
        .json();
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
    let columns: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        columns,
        vec![
            "Name",
            "Ready",
            "Status",
            "Restarts",
            "Age",
            "IP",
            "Node",
            "Nominated Node",
            "Readiness Gates"
        ]
    );
    let row = &table["rows"][0];
    assert_eq!(
        row["cells"].as_array().unwrap()[0..3],
        [json!("web"), json!("1/1"), json!("Running")]
    );
    assert_eq!(row["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(row["object"]["metadata"]["namespace"], "default");
    let full = request(
        &served.addr,
        "GET",
        "/api/v1/pods?includeObject=Object",
        Some(TABLE),
    )
    .await;
    assert_eq!(full.json()["rows"][0]["object"]["kind"], "Pod");
    let beta = "application/json;as=Table;v=v1beta1;g=meta.k8s.io";
    let old = request(&served.addr, "GET", "/api/v1/nodes", Some(beta))
        .await
        .json();
    assert_eq!(old["apiVersion"], "meta.k8s.io/v1beta1");
}

#[tokio::test]
async fn missing_objects_and_paths_are_not_found_and_writes_not_allowed() {
    let served = start(two_pods(1)).await;
    let missing = get(&served.addr, "/api/v1/namespaces/default/pods/x").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["message"], "pods \"x\" not found");
    let unknown = get(&served.addr, "/api/v1/namespaces/default/deployments").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["reason"], "NotFound");
    assert_eq!(get(&served.addr, "/nothing/here").await.status, 404);
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let write = request(
            &served.addr,
            method,
            "/api/v1/namespaces/default/pods/web",
            None,
        )
        .await;
        assert_eq!(write.status, 405, "{method}");
        let body = write.json();
        assert_eq!(body["kind"], "Status");
        assert_eq!(body["status"], "Failure");
        assert_eq!(body["reason"], "MethodNotAllowed");
        assert_eq!(body["code"], 405);
    }
    let create = request(
        &served.addr,
        "POST",
        "/api/v1/namespaces/default/deployments",
        None,
    )
    .await;
    assert_eq!(create.status, 405);
}

#[tokio::test]
async fn the_page_health_and_metrics_refuse_every_method_but_get() {
    let served = start(two_pods(1)).await;
    for path in ["/", "/ui/stream", "/healthz", "/readyz", "/metrics"] {
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            let write = request(&served.addr, method, path, None).await;
            assert_eq!(write.status, 405, "{method} {path}");
        }
    }
}

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_watch_sends_what_changes_after_its_version() {
    let served = start(two_pods(1)).await;
    let mut all = Watch::open(
        &served.addr,
        "/api/v1/namespaces/default/pods?watch=true",
        None,
    )
    .await;
    assert_eq!(all.status, 200);
    let first = all.next(WAIT).await.unwrap();
    assert_eq!(first["type"], "ADDED");
    assert_eq!(first["object"]["metadata"]["name"], "web");
    let mut resumed = Watch::open(
        &served.addr,
        "/api/v1/namespaces/default/pods?watch=1&resourceVersion=1",
        None,
    )
    .await;
    let mut picky = Watch::open(
        &served.addr,
        "/api/v1/namespaces/default/pods?watch=true&resourceVersion=1&labelSelector=app%3Dweb",
        None,
    )
    .await;
    // The next snapshot adds `cache` and relabels `web` away from `app=web`.
    served
        .publish
        .send(Arc::new(snapshot(
            2,
            vec![
                pod("default", "web", "old", "10.1.0.2"),
                pod("default", "cache", "web", "10.1.0.4"),
            ],
        )))
        .unwrap();
    let seen = |event: &Value| {
        (
            event["type"].as_str().unwrap().to_string(),
            event["object"]["metadata"]["name"]
                .as_str()
                .unwrap()
                .to_string(),
            event["object"]["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    };
    let event = |t: &str, n: &str| (t.to_string(), n.to_string(), "2".to_string());
    for watch in [&mut all, &mut resumed] {
        let one = seen(&watch.next(WAIT).await.unwrap());
        let two = seen(&watch.next(WAIT).await.unwrap());
        assert_eq!(
            vec![one, two],
            vec![event("ADDED", "cache"), event("MODIFIED", "web")]
        );
    }
    let one = seen(&picky.next(WAIT).await.unwrap());
    let two = seen(&picky.next(WAIT).await.unwrap());
    assert_eq!(
        vec![one, two],
        vec![event("ADDED", "cache"), event("DELETED", "web")]
    );
}

#[tokio::test]
async fn a_table_watch_sends_one_row_tables_and_ends_at_its_timeout() {
    let served = start(two_pods(3)).await;
    let path = "/api/v1/namespaces/default/pods?watch=true&resourceVersion=3&timeoutSeconds=2";
    let mut watch = Watch::open(&served.addr, path, Some(TABLE)).await;
    served
        .publish
        .send(Arc::new(snapshot(
            4,
            vec![pod("default", "new", "x", "10.1.0.9")],
        )))
        .unwrap();
    let added = watch.next(WAIT).await.unwrap();
    assert_eq!(added["type"], "ADDED");
    assert_eq!(added["object"]["kind"], "Table");
    assert_eq!(added["object"]["rows"][0]["cells"][0], "new");
    let deleted = watch.next(WAIT).await.unwrap();
    assert_eq!(deleted["type"], "DELETED");
    assert_eq!(deleted["object"]["rows"][0]["cells"][0], "web");
    assert!(
        watch.next(WAIT).await.is_none(),
        "the stream ends after 2 s"
    );
}

#[tokio::test]
async fn a_watcher_that_allows_bookmarks_learns_versions_that_brought_it_nothing() {
    let served = start(two_pods(1)).await;
    let path = "/api/v1/namespaces/prod/pods?watch=true&resourceVersion=1&allowWatchBookmarks=true";
    let mut watch = Watch::open(&served.addr, path, None).await;
    let mut next = two_pods(2);
    next.observed = Some(Arc::new(Observed {
        pods: vec![
            pod("default", "web", "web", "10.1.0.7"),
            pod("prod", "db", "db", "10.1.0.3"),
        ],
        ..Default::default()
    }));
    served.publish.send(Arc::new(next)).unwrap();
    let bookmark = watch.next(WAIT).await.unwrap();
    assert_eq!(bookmark["type"], "BOOKMARK");
    assert_eq!(bookmark["object"]["kind"], "Pod");
    assert_eq!(bookmark["object"]["metadata"]["resourceVersion"], "2");
}

#[tokio::test]
async fn watches_end_when_the_loop_stops_publishing() {
    let served = start(two_pods(1)).await;
    let mut watch = Watch::open(
        &served.addr,
        "/api/v1/pods?watch=true&resourceVersion=1",
        None,
    )
    .await;
    let api_support::Served { addr, publish, .. } = served;
    drop(publish);
    assert!(watch.next(WAIT).await.is_none(), "the stream ended");
    let health = get(&addr, "/healthz?verbose").await;
    assert_eq!(health.status, 500);
    assert!(
        health
            .body
            .contains("[-]loop failed: the reconcile loop stopped publishing"),
        "{}",
        health.body
    );
}

#[tokio::test]
async fn a_watch_from_a_forgotten_version_has_expired() {
    let served = start(two_pods(10)).await;
    get(&served.addr, "/api/v1/pods").await;
    let old = get(&served.addr, "/api/v1/pods?watch=true&resourceVersion=3").await;
    assert_eq!(old.status, 410);
    assert_eq!(old.json()["reason"], "Expired");
}

#[tokio::test]
async fn health_follows_the_first_reconcile_and_metrics_the_snapshot() {
    let mut first = two_pods(1);
    first.manifests.valid = false;
    first.manifests.errors = vec!["pod.yaml:4:3: spec: unknown field `contianers`".into()];
    let served = start(first).await;
    let health = get(&served.addr, "/healthz").await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
    let verbose = get(&served.addr, "/healthz?verbose").await;
    assert!(
        verbose.body.contains(
            "[-]manifests failed: 1 error\n    pod.yaml:4:3: spec: unknown field `contianers`"
        ),
        "{}",
        verbose.body
    );
    let ready = get(&served.addr, "/readyz").await;
    assert_eq!(ready.status, 503);
    assert!(
        ready.body.contains("[-]reconciled failed"),
        "{}",
        ready.body
    );
    let metrics = get(&served.addr, "/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .content_type
            .starts_with("text/plain; version=0.0.4"),
        "{}",
        metrics.content_type
    );
    assert!(
        metrics.body.contains("berth_pods{phase=\"Running\"} 2\n"),
        "{}",
        metrics.body
    );
    assert!(
        metrics.body.contains("berth_manifests_valid 0\n"),
        "{}",
        metrics.body
    );
}
