//! The `apps/v1` workloads, ConfigMaps and Secrets as the API builds them
//! and as tables show them, on a snapshot built in memory.

use serde_json::{json, Value};

use crate::status::fixtures::T0;

use super::fixtures::workloads;
use super::resource::ApiResource;
use super::store::Store;
use super::table;

fn stored(resource: ApiResource, name: &str) -> Value {
    let mut store = Store::default();
    store.sync(&workloads(1));
    store.get(resource, "default", name).unwrap().json()
}

fn column_names(resource: ApiResource) -> Vec<String> {
    let definitions = table::column_definitions(resource);
    let columns = definitions.as_array().unwrap().iter();
    columns
        .filter(|c| c["priority"] == 0)
        .map(|c| c["name"].as_str().unwrap().to_uppercase())
        .collect()
}

#[test]
fn tables_have_kubectls_columns_for_each_workload_kind() {
    assert_eq!(
        column_names(ApiResource::Deployments),
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    );
    assert_eq!(
        column_names(ApiResource::ReplicaSets),
        ["NAME", "DESIRED", "CURRENT", "READY", "AGE"]
    );
    assert_eq!(
        column_names(ApiResource::DaemonSets),
        [
            "NAME",
            "DESIRED",
            "CURRENT",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "NODE SELECTOR",
            "AGE"
        ]
    );
    assert_eq!(
        column_names(ApiResource::ConfigMaps),
        ["NAME", "DATA", "AGE"]
    );
    assert_eq!(
        column_names(ApiResource::Secrets),
        ["NAME", "TYPE", "DATA", "AGE"]
    );
}

#[test]
fn a_deployment_short_of_replicas_is_progressing_without_minimum_availability() {
    let web = stored(ApiResource::Deployments, "web");
    assert_eq!(web["apiVersion"], "apps/v1");
    let status = &web["status"];
    assert_eq!(status["replicas"], 2);
    assert_eq!(status["updatedReplicas"], 2);
    assert_eq!(status["readyReplicas"], 2);
    assert_eq!(status["availableReplicas"], 2);
    assert_eq!(status["unavailableReplicas"], 1);
    assert_eq!(status["observedGeneration"], web["metadata"]["generation"]);
    let conditions: Vec<(&str, &str, &str)> = status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let text = |k: &str| c[k].as_str().unwrap();
            (text("type"), text("status"), text("reason"))
        })
        .collect();
    assert_eq!(
        conditions,
        [
            ("Available", "False", "MinimumReplicasUnavailable"),
            ("Progressing", "True", "ReplicaSetUpdated"),
        ]
    );
    assert_eq!(
        status["conditions"][1]["message"],
        "ReplicaSet \"web-abc\" is progressing."
    );
    let cells = table::cells(ApiResource::Deployments, &web, T0 + 120);
    assert_eq!(
        cells,
        [
            json!("web"),
            json!("2/3"),
            json!(2),
            json!(2),
            json!("2m"),
            json!("app"),
            json!("busybox:test"),
            json!("app=web"),
        ]
    );
}

#[test]
fn replica_set_and_daemon_set_rows_count_their_own_pods() {
    let rs = stored(ApiResource::ReplicaSets, "web-abc");
    let owner = &rs["metadata"]["ownerReferences"][0];
    assert_eq!(owner["name"], "web");
    let web = stored(ApiResource::Deployments, "web");
    assert_eq!(owner["uid"], web["metadata"]["uid"]);
    let cells = table::cells(ApiResource::ReplicaSets, &rs, T0 + 60);
    assert_eq!(
        cells[..5],
        [json!("web-abc"), json!(3), json!(2), json!(2), json!("60s")]
    );
    let ds = stored(ApiResource::DaemonSets, "agent");
    let cells = table::cells(ApiResource::DaemonSets, &ds, T0 + 60);
    assert_eq!(
        cells[..8],
        [
            json!("agent"),
            json!(1),
            json!(1),
            json!(1),
            json!(1),
            json!(1),
            json!("<none>"),
            json!("60s")
        ]
    );
}

#[test]
fn a_secret_is_served_with_its_key_count_and_never_its_values() {
    let mut store = Store::default();
    store.sync(&workloads(1));
    let secrets = store.list(ApiResource::Secrets, None);
    let text: String = secrets.iter().map(|s| s.json().to_string()).collect();
    assert!(
        !text.contains("hunter2") && !text.contains("admin"),
        "{text}"
    );
    let db = stored(ApiResource::Secrets, "db");
    assert!(db.get("data").is_none() && db.get("stringData").is_none());
    let cells = table::cells(ApiResource::Secrets, &db, T0 + 60);
    assert_eq!(cells[..3], [json!("db"), json!("Opaque"), json!(2)]);
    let settings = stored(ApiResource::ConfigMaps, "settings");
    assert_eq!(settings["data"], json!({ "mode": "fast" }));
    let cells = table::cells(ApiResource::ConfigMaps, &settings, T0 + 60);
    assert_eq!(cells[..2], [json!("settings"), json!(1)]);
}

#[test]
fn a_served_deployment_carries_its_declared_strategy_and_labels() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {tier: front}}\nspec:\n  replicas: 3\n  minReadySeconds: 5\n  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1}}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: app, image: 'busybox:test'}]}\n";
    let loaded =
        crate::manifest::load_text(std::path::Path::new("web.yaml"), text, Default::default());
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let mut snapshot = workloads(1);
    snapshot.manifests.last_good = Some(std::sync::Arc::new(loaded.manifests));
    let mut store = Store::default();
    store.sync(&snapshot);
    let web = store
        .get(ApiResource::Deployments, "default", "web")
        .unwrap()
        .json();
    assert_eq!(
        web["spec"]["strategy"],
        json!({ "type": "RollingUpdate", "rollingUpdate": { "maxUnavailable": "25%", "maxSurge": 1 } })
    );
    assert_eq!(web["spec"]["minReadySeconds"], 5);
    assert_eq!(web["metadata"]["labels"], json!({ "tier": "front" }));
    let plain = stored(ApiResource::Deployments, "web");
    assert_eq!(plain["metadata"]["labels"], json!({ "app": "web" }));
    assert!(plain["spec"].get("strategy").is_none());
}
