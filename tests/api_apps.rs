//! Real Kubernetes clients read the `apps/v1` workloads, ConfigMaps and
//! Secrets through `berth watch`: a Deployment and a DaemonSet converged
//! by the loop on the real engine, then kubectl (tables with kubectl's
//! columns, `-o json`, `-o yaml`) and the official Python client
//! (`AppsV1Api` lists, reads and a watch). A Secret's value never comes
//! back, in plain text nor in base64. Set `BERTH_SHOW_CLIENTS=1` to see
//! what the clients printed.

mod api_support;
mod common;

use std::process::Command;
use std::time::Duration;

use api_support::clients::kubectl;
use common::watch::{http_get, Watcher};
use common::*;
use serde_json::{json, Value};

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
