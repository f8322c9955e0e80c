//! Objects as the API builds them (endpoints, nodes) and as tables show
//! them, and the negotiation of `Accept`, on snapshots built in memory.

use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue};
use serde_json::{json, Value};

use crate::manifest::{Manifests, Node};
use crate::observed::ObservedController;
use crate::status::fixtures::{pod, T0};

use super::fixtures::{snapshot, web_pod};
use super::resource::ApiResource;
use super::store::Store;
use super::table::{self, IncludeObject};
use super::{format, Format};

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
    let mut snap = super::fixtures::workloads(1);
    let mut observed = (**snap.observed.as_ref().unwrap()).clone();
    observed.pods.push(web_pod("solo", "solo"));
    observed.controllers.push(ObservedController {
        kind: crate::keys::KIND_RC.to_string(),
        owner: None,
        project: "demo".into(),
        namespace: "default".into(),
        name: "web".into(),
        replicas: 2,
        selector: [("app".to_string(), "solo".to_string())].into(),
        template_hash: "h".into(),
        template_json: Some(
            json!({ "metadata": {}, "spec": { "containers": [{ "name": "app", "image": "busybox:test" }] } })
                .to_string(),
        ),
        container_id: "rc".into(),
        created: T0, node: String::new(), });
    snap.observed = Some(Arc::new(observed));
    snap.docker_events = Arc::new(vec![crate::status::fixtures::docker_event(
        "start", "solo-app", "app", 1,
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
        [json!("app"), json!("busybox:test"), json!("app=solo")]
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

#[test]
fn probed_nodes_replace_the_engine_alone_with_their_conditions() {
    let mut snap = snapshot(1, vec![web_pod("web", "web")]);
    snap.nodes = crate::kube::nodes::fixtures::probed_nodes(T0);
    let mut store = Store::default();
    store.sync(&snap);
    assert!(store.get(ApiResource::Nodes, "", "local").is_none());
    let up = store
        .get(ApiResource::Nodes, "", "10.0.0.2")
        .unwrap()
        .json();
    let types: Vec<&str> = up["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["type"].as_str())
        .collect();
    assert_eq!(types, vec!["Ready", "NodeReachable", "NodeReady"]);
    assert_eq!(up["status"]["phase"], "Running");
    assert_eq!(up["status"]["allocatable"]["cpu"], "4");
    assert_eq!(
        up["metadata"]["annotations"]["berth.io/docker-host"],
        "tcp://10.0.0.2:2376"
    );
    let cells = table::cells(ApiResource::Nodes, &up, T0 + 60);
    assert_eq!(cells[1], "Ready");
    assert_eq!(cells[5], "10.0.0.2", "INTERNAL-IP");
    let lost = store.get(ApiResource::Nodes, "", "n2").unwrap().json();
    assert_eq!(lost["status"]["conditions"][0]["reason"], "NodeLost");
    assert_eq!(lost["status"]["conditions"][1]["status"], "False");
    let cells = table::cells(ApiResource::Nodes, &lost, T0 + 60);
    assert_eq!(cells[1], "NotReady");
    assert_eq!(cells[5], "<none>");
}
