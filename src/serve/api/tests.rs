//! The API's pure parts on snapshots built in memory: the store's versions
//! and history, tables, Accept negotiation and what a watcher is sent.

use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue};
use serde_json::{json, Value};

use crate::manifest::{Manifests, Node, Protocol, Service, ServicePort};
use crate::observed::{Observed, ObservedController, ObservedPod};
use crate::snapshot::Snapshot;
use crate::status::fixtures::{container, pod, T0};

use super::resource::ApiResource;
use super::select::Filter;
use super::store::{Store, Stored};
use super::table::{self, IncludeObject};
use super::watch::{event, WatchRequest};
use super::{format, Format};

fn web_pod(name: &str, app: &str) -> ObservedPod {
    let mut pod = pod(name)
        .spec(json!({ "containers": [{ "name": "app", "image": "busybox:test" }] }))
        .with(container(&format!("{name}-app"), "app").running(1))
        .build();
    pod.labels.insert("app".into(), app.into());
    pod
}

fn service() -> Service {
    Service {
        meta: crate::kube::objects::fixtures::meta("default", "web", &[]),
        selector: [("app".to_string(), "web".to_string())].into(),
        ports: vec![ServicePort {
            name: None,
            port: 80,
            target_port: "8080".into(),
            protocol: Protocol::Tcp,
        }],
        source: Default::default(),
    }
}

fn snapshot(generation: u64, pods: Vec<ObservedPod>) -> Snapshot {
    let mut snapshot = Snapshot {
        generation,
        taken_at: T0 + 60,
        project: "demo".into(),
        started_at: T0,
        observed: Some(Arc::new(Observed {
            pods,
            ..Default::default()
        })),
        ..Default::default()
    };
    snapshot.engine.reachable = Some(true);
    snapshot.manifests.last_good = Some(Arc::new(Manifests {
        services: vec![service()],
        ..Default::default()
    }));
    snapshot
}

fn names(objects: &[Arc<Stored>]) -> Vec<String> {
    objects.iter().map(|o| o.name.clone()).collect()
}

#[test]
fn every_object_carries_a_uid_a_creation_time_and_its_version() {
    let mut store = Store::default();
    store.sync(&snapshot(4, vec![web_pod("web", "web")]));
    for resource in ApiResource::ALL {
        for object in store.list(resource, None) {
            let json = object.json();
            let meta = &json["metadata"];
            assert_eq!(meta["resourceVersion"], "4", "{resource:?} {json}");
            assert_eq!(meta["uid"].as_str().map(str::len), Some(36), "{json}");
            assert!(meta["creationTimestamp"].is_string(), "{json}");
        }
    }
    assert_eq!(
        names(&store.list(ApiResource::Namespaces, None)),
        vec!["default"]
    );
    assert_eq!(names(&store.list(ApiResource::Nodes, None)), vec!["local"]);
}

#[test]
fn an_unchanged_object_keeps_its_version_across_snapshots() {
    let mut store = Store::default();
    let mut first = snapshot(1, vec![web_pod("web", "web")]);
    first.docker_events = Arc::new(vec![crate::status::fixtures::die("web-app", "app", 1, 0)]);
    store.sync(&first);
    let mut later = snapshot(2, vec![web_pod("web", "web")]);
    later.docker_events = first.docker_events.clone();
    later.taken_at += 3600;
    store.sync(&later);
    assert_eq!(store.generation(), 2);
    assert_eq!(
        store.get(ApiResource::Pods, "default", "web").unwrap().rv,
        1
    );
    for resource in ApiResource::ALL {
        let changes = store.changes_since(resource, 1).unwrap();
        assert!(
            changes.is_empty(),
            "{resource:?} changed with the clock alone"
        );
    }
}

#[test]
fn added_changed_and_removed_objects_are_recorded_at_their_generation() {
    let mut store = Store::default();
    store.sync(&snapshot(
        1,
        vec![web_pod("web", "web"), web_pod("db", "db")],
    ));
    store.sync(&snapshot(
        2,
        vec![web_pod("web", "web2"), web_pod("cache", "cache")],
    ));
    let changes = store.changes_since(ApiResource::Pods, 1).unwrap();
    let summary: Vec<(String, bool, bool, u64)> = changes
        .iter()
        .map(|c| {
            let name = c.new.as_ref().or(c.old.as_ref()).unwrap().name.clone();
            (name, c.old.is_some(), c.new.is_some(), c.rv)
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("cache".to_string(), false, true, 2),
            ("web".to_string(), true, true, 2),
            ("db".to_string(), true, false, 2),
        ]
    );
    assert_eq!(
        store.get(ApiResource::Pods, "default", "web").unwrap().rv,
        2
    );
}

#[test]
fn a_version_older_than_the_history_has_expired() {
    let mut store = Store::with_limit(1);
    store.sync(&snapshot(1, vec![]));
    store.sync(&snapshot(2, vec![web_pod("a", "a")]));
    store.sync(&snapshot(3, vec![web_pod("a", "a"), web_pod("b", "b")]));
    // Each pod brings its events too: the history kept only the last change.
    assert!(store.changes_since(ApiResource::Pods, 1).is_err());
    assert!(store.changes_since(ApiResource::Pods, 3).is_ok());
    let mut roomy = Store::with_limit(100);
    roomy.sync(&snapshot(1, vec![]));
    roomy.sync(&snapshot(2, vec![web_pod("a", "a")]));
    roomy.sync(&snapshot(3, vec![web_pod("a", "a"), web_pod("b", "b")]));
    assert_eq!(roomy.changes_since(ApiResource::Pods, 1).unwrap().len(), 2);
}

#[test]
fn a_version_from_the_future_has_expired_too() {
    let mut store = Store::default();
    store.sync(&snapshot(5, vec![]));
    assert!(store.changes_since(ApiResource::Pods, 5).is_ok());
    assert!(store.changes_since(ApiResource::Pods, 500).is_err());
}

#[test]
fn declared_nodes_carry_their_capacity_and_no_readiness_berth_cannot_know() {
    let mut snap = snapshot(1, vec![web_pod("web", "web")]);
    let edge = Node {
        meta: crate::kube::objects::fixtures::meta("", "edge", &[]),
        capacity: [("cpu".to_string(), "2".to_string())].into(),
        docker_host: None,
        source: Default::default(),
    };
    snap.manifests.last_good = Some(Arc::new(Manifests {
        nodes: vec![edge],
        ..Default::default()
    }));
    let mut store = Store::default();
    store.sync(&snap);
    let edge = store.get(ApiResource::Nodes, "", "edge").unwrap().json();
    assert_eq!(edge["status"]["capacity"]["cpu"], "2");
    assert_eq!(edge["status"]["conditions"][0]["status"], "Unknown");
    let cells = table::cells(ApiResource::Nodes, &edge, T0 + 60);
    assert_eq!(cells[1], "NotReady");
    let local = store.get(ApiResource::Nodes, "", "local").unwrap().json();
    assert_eq!(
        table::cells(ApiResource::Nodes, &local, T0 + 60)[1],
        "Ready"
    );
}

#[test]
fn endpoints_list_the_ready_pods_the_service_selects() {
    let mut store = Store::default();
    let starting = {
        let mut p = pod("starting")
            .spec(json!({ "containers": [{ "name": "app", "image": "busybox:test" }] }))
            .build();
        p.labels.insert("app".into(), "web".into());
        p
    };
    store.sync(&snapshot(
        1,
        vec![web_pod("web", "web"), web_pod("db", "db"), starting],
    ));
    let endpoints = store
        .get(ApiResource::Endpoints, "default", "web")
        .unwrap()
        .json();
    let subset = &endpoints["subsets"][0];
    assert_eq!(subset["addresses"][0]["ip"], "172.18.0.5");
    assert_eq!(subset["addresses"][0]["targetRef"]["name"], "web");
    assert_eq!(
        subset["addresses"][0]["targetRef"]["uid"],
        crate::kube::uid("demo", "Pod", "default", "web")
    );
    assert_eq!(
        subset["notReadyAddresses"][0]["targetRef"]["name"],
        "starting"
    );
    assert_eq!(
        subset["ports"],
        json!([{ "port": 8080, "protocol": "TCP" }])
    );
    let cells = table::cells(ApiResource::Endpoints, &endpoints, T0 + 60);
    assert_eq!(cells[1], "172.18.0.5:8080");
    let service = store
        .get(ApiResource::Services, "default", "web")
        .unwrap()
        .json();
    let cells = table::cells(ApiResource::Services, &service, T0 + 60);
    assert_eq!(
        cells[1..5],
        [
            json!("ClusterIP"),
            json!("None"),
            json!("<none>"),
            json!("80/TCP")
        ]
    );
}

#[test]
fn every_table_row_has_one_cell_per_column() {
    let mut store = Store::default();
    let mut snap = snapshot(1, vec![web_pod("web", "web")]);
    let mut observed = (**snap.observed.as_ref().unwrap()).clone();
    observed.controllers.push(ObservedController {
        project: "demo".into(),
        namespace: "default".into(),
        name: "web".into(),
        replicas: 2,
        selector: [("app".to_string(), "web".to_string())].into(),
        template_hash: "h".into(),
        template_json: Some(
            json!({ "metadata": {}, "spec": { "containers": [{ "name": "app", "image": "busybox:test" }] } })
                .to_string(),
        ),
        container_id: "rc".into(),
        created: T0,
    });
    snap.observed = Some(Arc::new(observed));
    snap.docker_events = Arc::new(vec![crate::status::fixtures::docker_event(
        "start", "web-app", "app", 1,
    )]);
    store.sync(&snap);
    let rc = store
        .get(ApiResource::ReplicationControllers, "default", "web")
        .unwrap()
        .json();
    let cells = table::cells(ApiResource::ReplicationControllers, &rc, T0 + 60);
    assert_eq!(cells[1..4], [json!(2), json!(1), json!(1)]);
    assert_eq!(
        cells[5..],
        [json!("app"), json!("busybox:test"), json!("app=web")]
    );
    for resource in ApiResource::ALL {
        let objects: Vec<Value> = store
            .list(resource, None)
            .iter()
            .map(|o| o.json())
            .collect();
        assert!(!objects.is_empty(), "{resource:?}");
        let table = table::table(
            resource,
            "v1",
            1,
            &objects,
            IncludeObject::Metadata,
            T0 + 60,
        );
        let columns = table["columnDefinitions"].as_array().unwrap().len();
        for row in table["rows"].as_array().unwrap() {
            assert_eq!(
                row["cells"].as_array().unwrap().len(),
                columns,
                "{resource:?} {row}"
            );
            assert_eq!(row["object"]["kind"], "PartialObjectMetadata");
        }
    }
}

#[test]
fn pod_rows_show_what_kubectl_get_pods_shows() {
    let mut store = Store::default();
    store.sync(&snapshot(1, vec![web_pod("web", "web")]));
    let pod = store
        .get(ApiResource::Pods, "default", "web")
        .unwrap()
        .json();
    let cells = table::cells(ApiResource::Pods, &pod, T0 + 300);
    assert_eq!(
        cells,
        vec![
            json!("web"),
            json!("1/1"),
            json!("Running"),
            json!("0"),
            json!("5m"),
            json!("172.18.0.5"),
            json!("local"),
            json!("<none>"),
            json!("<none>"),
        ]
    );
    let table = table::table(ApiResource::Pods, "v1", 1, &[pod], IncludeObject::None, T0);
    let wide: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["priority"] == 1)
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        wide,
        vec!["IP", "Node", "Nominated Node", "Readiness Gates"]
    );
    assert!(table["rows"][0].get("object").is_none());
}

fn accept(text: &str) -> Format {
    let mut headers = HeaderMap::new();
    headers.insert(header::ACCEPT, HeaderValue::from_str(text).unwrap());
    format(&headers)
}

#[test]
fn the_first_acceptable_alternative_of_accept_wins() {
    let kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
    assert_eq!(accept(kubectl), Format::Table("v1"));
    assert_eq!(
        accept("application/json;as=Table;v=v1beta1;g=meta.k8s.io"),
        Format::Table("v1beta1")
    );
    let discovery =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
    assert_eq!(accept(discovery), Format::Json);
    assert_eq!(
        accept("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io"),
        Format::Json
    );
    assert_eq!(format(&HeaderMap::new()), Format::Json);
}

fn request(labels: Option<&str>) -> WatchRequest {
    WatchRequest {
        resource: ApiResource::Pods,
        filter: Filter::parse(ApiResource::Pods, None, labels, None).unwrap(),
        format: Format::Json,
        include: IncludeObject::Metadata,
        since: Some(1),
        timeout: None,
        bookmarks: false,
    }
}

fn sent(request: &WatchRequest, store: &Store) -> Vec<(String, String, String)> {
    store
        .changes_since(ApiResource::Pods, 1)
        .unwrap()
        .iter()
        .filter_map(|c| event(request, c))
        .map(|line| {
            let value: Value = serde_json::from_slice(&line).unwrap();
            let text = |v: &Value| v.as_str().unwrap().to_string();
            (
                text(&value["type"]),
                text(&value["object"]["metadata"]["name"]),
                text(&value["object"]["metadata"]["resourceVersion"]),
            )
        })
        .collect()
}

#[test]
fn an_object_that_stops_matching_is_deleted_for_that_watcher() {
    let mut store = Store::default();
    store.sync(&snapshot(
        1,
        vec![web_pod("web", "web"), web_pod("db", "db")],
    ));
    store.sync(&snapshot(
        2,
        vec![web_pod("web", "api"), web_pod("new", "web")],
    ));
    let event = |t: &str, n: &str| (t.to_string(), n.to_string(), "2".to_string());
    assert_eq!(
        sent(&request(Some("app=web")), &store),
        vec![event("ADDED", "new"), event("DELETED", "web")]
    );
    assert_eq!(
        sent(&request(None), &store),
        vec![
            event("ADDED", "new"),
            event("MODIFIED", "web"),
            event("DELETED", "db")
        ]
    );
}

#[test]
fn table_watch_events_carry_a_one_row_table() {
    let mut store = Store::default();
    store.sync(&snapshot(1, vec![]));
    store.sync(&snapshot(2, vec![web_pod("web", "web")]));
    let mut request = request(None);
    request.format = Format::Table("v1");
    let change = &store.changes_since(ApiResource::Pods, 1).unwrap()[0];
    let line: Value = serde_json::from_slice(&event(&request, change).unwrap()).unwrap();
    assert_eq!(line["type"], "ADDED");
    assert_eq!(line["object"]["kind"], "Table");
    assert_eq!(line["object"]["metadata"]["resourceVersion"], "2");
    assert_eq!(line["object"]["rows"].as_array().unwrap().len(), 1);
    assert_eq!(line["object"]["rows"][0]["cells"][0], "web");
}
