//! The `apps/v1` workloads, ConfigMaps and Secrets in the API: served
//! in-process from snapshots built in memory (discovery, paths, selectors,
//! tables, watch streams), then read by real Kubernetes clients through
//! `berth watch`: a Deployment and a DaemonSet converged
//! by the loop on the real engine, then kubectl (tables with kubectl's
//! columns, `-o json`, `-o yaml`) and the official Python client
//! (`AppsV1Api` lists, reads and a watch). A Secret's value never comes
//! back, in plain text nor in base64. Set `BERTH_SHOW_CLIENTS=1` to see
//! what the clients printed.

mod api_support;
mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use api_support::clients::kubectl;
use api_support::{get, request, start, Watch};
use berth::observed::{Observed, ObservedController};
use berth::snapshot::Snapshot;
use common::watch::{http_get, Watcher};
use common::*;
use serde_json::{json, Value};

const T0: i64 = 1_795_986_000;
const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
const WAIT: Duration = Duration::from_secs(5);

/// A record of `kind` `namespace/name` of `replicas`, selecting `app=<name>`.
fn record(kind: &str, namespace: &str, name: &str, replicas: u32) -> ObservedController {
    let template = json!({ "metadata": { "labels": { "app": name } }, "spec": { "containers": [{ "name": "app", "image": "busybox:test" }] } });
    ObservedController {
        kind: kind.into(),
        owner: None,
        project: "demo".into(),
        namespace: namespace.into(),
        name: name.into(),
        replicas,
        selector: [("app".to_string(), name.to_string())].into(),
        template_hash: "h1".into(),
        template_json: Some(template.to_string()),
        container_id: format!("{name}-record"),
        created: T0,
        node: "local".into(),
    }
}

/// Deployments `default/web` (of `web_replicas`) and `prod/api`, DaemonSet
/// `default/agent`, and a declared Secret `db`.
fn workloads(generation: u64, web_replicas: u32) -> Snapshot {
    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: db}}\nstringData: {{password: {SECRET_VALUE}}}\n"
    );
    let loaded =
        berth::manifest::load_text(std::path::Path::new("db.yaml"), &secret, Default::default());
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let mut snapshot = Snapshot {
        generation,
        taken_at: T0 + 60,
        started_at: T0,
        project: "demo".into(),
        observed: Some(Arc::new(Observed {
            controllers: vec![
                record("Deployment", "default", "web", web_replicas),
                record("Deployment", "prod", "api", 1),
                record("DaemonSet", "default", "agent", 1),
            ],
            ..Default::default()
        })),
        ..Default::default()
    };
    snapshot.engine.reachable = Some(true);
    snapshot.manifests.valid = true;
    snapshot.manifests.last_good = Some(Arc::new(loaded.manifests));
    snapshot
}

fn names(list: &Value) -> Vec<&str> {
    let items = list["items"].as_array().unwrap().iter();
    items
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn the_apps_group_is_discovered_and_its_objects_listed_by_path_and_selector() {
    let served = start(workloads(1, 2)).await;
    let group = get(&served.addr, "/apis/apps/v1").await.json();
    assert_eq!(group["groupVersion"], "apps/v1");
    let resources: Vec<&str> = group["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(resources, ["deployments", "replicasets", "daemonsets"]);

    let all = get(&served.addr, "/apis/apps/v1/deployments").await.json();
    assert_eq!(all["kind"], "DeploymentList");
    assert_eq!(all["apiVersion"], "apps/v1");
    assert_eq!(names(&all), ["web", "api"]);
    let prod = get(&served.addr, "/apis/apps/v1/namespaces/prod/deployments").await;
    assert_eq!(names(&prod.json()), ["api"]);
    let by_label = get(
        &served.addr,
        "/apis/apps/v1/deployments?labelSelector=app%3Dweb",
    )
    .await;
    assert_eq!(names(&by_label.json()), ["web"]);
    let by_field = get(
        &served.addr,
        "/apis/apps/v1/deployments?fieldSelector=metadata.name%3Dapi",
    )
    .await;
    assert_eq!(names(&by_field.json()), ["api"]);
    let agent = get(
        &served.addr,
        "/apis/apps/v1/namespaces/default/daemonsets/agent",
    )
    .await;
    assert_eq!(agent.status, 200);
    assert_eq!(agent.json()["kind"], "DaemonSet");
    assert_eq!(agent.json()["status"]["desiredNumberScheduled"], 1);

    for path in [
        "/api/v1/deployments",
        "/apis/apps/v1/pods",
        "/apis/apps/v1/namespaces/default/configmaps",
    ] {
        assert_eq!(get(&served.addr, path).await.status, 404, "{path}");
    }
    let missing = get(
        &served.addr,
        "/apis/apps/v1/namespaces/default/deployments/nope",
    )
    .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["details"]["group"], "apps");
    let write = request(
        &served.addr,
        "DELETE",
        "/apis/apps/v1/namespaces/default/deployments/web",
        None,
    )
    .await;
    assert_eq!(write.status, 405);

    let table = request(
        &served.addr,
        "GET",
        "/apis/apps/v1/namespaces/default/daemonsets",
        Some(TABLE),
    )
    .await;
    let table = table.json();
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["rows"][0]["cells"][0], "agent");
    assert_eq!(table["rows"][0]["cells"][6], "<none>");

    let secrets = get(&served.addr, "/api/v1/namespaces/default/secrets").await;
    no_secret_in("the secrets list", &secrets.body);
    assert_eq!(names(&secrets.json()), ["db"]);
    let by_type = get(&served.addr, "/api/v1/secrets?fieldSelector=type%3DOpaque").await;
    assert_eq!(names(&by_type.json()), ["db"]);
}

#[tokio::test]
async fn a_deployment_watch_sees_it_scaled() {
    let served = start(workloads(1, 2)).await;
    let path = "/apis/apps/v1/namespaces/default/deployments?watch=1";
    let mut watch = Watch::open(&served.addr, path, None).await;
    assert_eq!(watch.status, 200);
    let added = watch.next(WAIT).await.unwrap();
    assert_eq!(added["type"], "ADDED");
    assert_eq!(added["object"]["metadata"]["name"], "web");
    served.publish.send(Arc::new(workloads(2, 5))).unwrap();
    let modified = watch.next(WAIT).await.unwrap();
    assert_eq!(modified["type"], "MODIFIED");
    assert_eq!(modified["object"]["spec"]["replicas"], 5);
    assert_eq!(modified["object"]["metadata"]["resourceVersion"], "2");
}

/// The Secret's one value, and the same in base64: neither may be served.
const SECRET_VALUE: &str = "s3cr3t-value";
const SECRET_BASE64: &str = "czNjcjN0LXZhbHVl";

fn manifests() -> Vec<Value> {
    let template = |app: &str| {
        json!({
            "metadata": { "labels": { "app": app } },
            "spec": {
                "terminationGracePeriodSeconds": 0,
                "containers": [{
                    "name": "main", "image": TEST_IMAGE, "imagePullPolicy": "Never",
                    "command": ["sleep", "3600"],
                }],
            },
        })
    };
    vec![
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": { "name": "web" },
            "spec": {
                "replicas": 2,
                "selector": { "matchLabels": { "app": "web" } },
                "template": template("web"),
            },
        }),
        json!({
            "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": { "name": "agent" },
            "spec": { "selector": { "matchLabels": { "app": "agent" } }, "template": template("agent") },
        }),
        json!({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "settings" },
            "data": { "mode": "fast", "level": "3" },
        }),
        json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": { "name": "db" },
            "stringData": { "password": SECRET_VALUE },
        }),
    ]
}

fn kubectl_ok(url: &str, args: &[&str]) -> String {
    let out = kubectl(url, args);
    assert!(
        out.ok,
        "kubectl {args:?} failed:\n{}\n{}",
        out.stdout, out.stderr
    );
    if std::env::var_os("BERTH_SHOW_CLIENTS").is_some() {
        eprintln!("$ kubectl {}\n{}{}", args.join(" "), out.stdout, out.stderr);
    }
    out.stdout
}

fn no_secret_in(what: &str, text: &str) {
    assert!(
        !text.contains(SECRET_VALUE) && !text.contains(SECRET_BASE64),
        "{what} shows the Secret's value:\n{text}"
    );
}

/// The header line of the table of `kind` in kubectl's multi-kind output,
/// as words.
fn header_before(out: &str, kind: &str) -> Vec<String> {
    let lines: Vec<&str> = out.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with(&format!("{kind}/")))
        .unwrap_or_else(|| panic!("no {kind} in:\n{out}"));
    lines[at - 1]
        .split("  ")
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn kubectl_and_the_python_client_read_workloads_config_maps_and_secrets() {
    ensure_test_image();
    let project = Project::new("api-apps");
    let dir = ManifestDir::new();
    for (i, object) in manifests().iter().enumerate() {
        dir.write(&format!("{i}.json"), &object.to_string());
    }
    let watch = Watcher::start(&project, dir.path(), &[]);
    let url = watch.base_url();
    let deployment = format!("{url}/apis/apps/v1/namespaces/default/deployments/web");
    let available = || {
        let (status, body) = http_get(&deployment);
        status == 200
            && serde_json::from_str::<Value>(&body)
                .is_ok_and(|d| d["status"]["availableReplicas"] == 2)
    };
    assert!(
        wait_until(Duration::from_secs(60), available),
        "the Deployment never became available:\n{}",
        watch.log()
    );

    let out = kubectl_ok(&url, &["get", "deploy,rs,ds,cm,secrets", "-n", "default"]);
    no_secret_in("kubectl get", &out);
    let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        header_before(&out, "deployment.apps"),
        words(&["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]),
        "{out}"
    );
    assert_eq!(
        header_before(&out, "replicaset.apps"),
        words(&["NAME", "DESIRED", "CURRENT", "READY", "AGE"]),
        "{out}"
    );
    assert_eq!(
        header_before(&out, "daemonset.apps"),
        words(&[
            "NAME",
            "DESIRED",
            "CURRENT",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "NODE SELECTOR",
            "AGE"
        ]),
        "{out}"
    );
    assert_eq!(
        header_before(&out, "configmap"),
        words(&["NAME", "DATA", "AGE"]),
        "{out}"
    );
    assert_eq!(
        header_before(&out, "secret"),
        words(&["NAME", "TYPE", "DATA", "AGE"]),
        "{out}"
    );
    let row = |prefix: &str| -> Vec<&str> {
        let line = out.lines().find(|l| l.starts_with(prefix));
        let line = line.unwrap_or_else(|| panic!("no {prefix} in:\n{out}"));
        line.split_whitespace().collect()
    };
    assert_eq!(row("deployment.apps/web")[1..4], ["2/2", "2", "2"], "{out}");
    assert_eq!(row("replicaset.apps/web-")[1..4], ["2", "2", "2"], "{out}");
    assert_eq!(
        row("daemonset.apps/agent")[1..7],
        ["1", "1", "1", "1", "1", "<none>"],
        "{out}"
    );
    assert_eq!(row("configmap/settings")[1], "2", "{out}");
    assert_eq!(row("secret/db")[1..3], ["Opaque", "1"], "{out}");

    let web: Value =
        serde_json::from_str(&kubectl_ok(&url, &["get", "deploy", "web", "-o", "json"])).unwrap();
    assert_eq!(web["kind"], "Deployment");
    assert_eq!(web["status"]["readyReplicas"], 2, "{web}");
    assert_eq!(web["status"]["updatedReplicas"], 2, "{web}");
    let conditions = web["status"]["conditions"].as_array().unwrap();
    assert!(
        conditions
            .iter()
            .any(|c| c["type"] == "Available" && c["status"] == "True"),
        "{web}"
    );
    assert!(
        conditions
            .iter()
            .any(|c| c["reason"] == "NewReplicaSetAvailable"),
        "{web}"
    );

    let rollout = kubectl_ok(
        &url,
        &[
            "rollout",
            "status",
            "deployment/web",
            "-n",
            "default",
            "--timeout=10s",
        ],
    );
    assert!(
        rollout.contains("deployment \"web\" successfully rolled out"),
        "{rollout}"
    );

    let described = kubectl_ok(&url, &["describe", "deployment", "web", "-n", "default"]);
    for needle in [
        "StrategyType:           RollingUpdate",
        "RollingUpdateStrategy:  25% max unavailable, 25% max surge",
        "2 desired | 2 updated | 2 total | 2 available | 0 unavailable",
        "NewReplicaSet:   web-",
    ] {
        assert!(described.contains(needle), "no {needle:?} in:\n{described}");
    }

    let secret = kubectl_ok(&url, &["get", "secret", "db", "-o", "yaml"]);
    no_secret_in("kubectl get secret -o yaml", &secret);
    assert!(
        secret.contains("berth.io/redacted: password (sensitive, 12 bytes)"),
        "{secret}"
    );
    let settings = kubectl_ok(&url, &["get", "cm", "settings", "-o", "json"]);
    let settings: Value = serde_json::from_str(&settings).unwrap();
    assert_eq!(settings["data"], json!({ "level": "3", "mode": "fast" }));

    check_python_client(&url);
    let (_, everything) = http_get(&format!("{url}/api/v1/secrets"));
    no_secret_in("the secrets list", &everything);
}

/// The Python client's `AppsV1Api` lists and reads each kind, and a watch
/// of Deployments starts with the one that exists; `CoreV1Api` lists the
/// ConfigMaps and Secrets.
fn check_python_client(url: &str) {
    let script = r#"
import json, sys
from kubernetes import client, watch
api_client = client.ApiClient(client.Configuration(host=sys.argv[1]))
apps = client.AppsV1Api(api_client)
core = client.CoreV1Api(api_client)
names = lambda items: sorted(i.metadata.name for i in items)
web = apps.read_namespaced_deployment("web", "default")
events = [
    (e["type"], e["object"].metadata.name)
    for e in watch.Watch().stream(apps.list_namespaced_deployment, "default", timeout_seconds=1)
]
secrets = core.list_namespaced_secret("default").items
print(json.dumps({
    "deployments": names(apps.list_namespaced_deployment("default").items),
    "replicasets": len(apps.list_namespaced_replica_set("default").items),
    "daemonsets": names(apps.list_daemon_set_for_all_namespaces().items),
    "available": web.status.available_replicas,
    "selector": web.spec.selector.match_labels,
    "watched": events,
    "configmaps": names(core.list_namespaced_config_map("default").items),
    "secrets": names(secrets),
    "secret_data": [s.data for s in secrets],
}))
"#;
    let mut command = Command::new("python3");
    command.arg("-c").arg(script).arg(url);
    let out = run_with_timeout(command, b"", Duration::from_secs(60));
    assert!(
        out.success(),
        "the Python client failed:\n{}\n{}",
        out.stdout,
        out.stderr
    );
    no_secret_in("the Python client", &out.stdout);
    let got: Value =
        serde_json::from_str(out.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    assert_eq!(got["deployments"], json!(["web"]), "{got}");
    assert_eq!(got["replicasets"], 1, "{got}");
    assert_eq!(got["daemonsets"], json!(["agent"]), "{got}");
    assert_eq!(got["available"], 2, "{got}");
    assert_eq!(got["selector"], json!({ "app": "web" }), "{got}");
    assert_eq!(got["watched"], json!([["ADDED", "web"]]), "{got}");
    assert_eq!(got["configmaps"], json!(["settings"]), "{got}");
    assert_eq!(got["secrets"], json!(["db"]), "{got}");
    assert_eq!(got["secret_data"], json!([null]), "{got}");
}
