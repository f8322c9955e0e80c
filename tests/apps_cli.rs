//! The CLI on workloads, ConfigMaps and Secrets: `get cm|secrets -f` with
//! kubectl's columns and no Secret value in any format, `describe secret`
//! with sizes only, and on a real engine `describe deploy|rs` and `delete
//! deploy` (which leaves a ReplicationController of the same name alone).

mod common;

use common::{
    apply_ok, berth, in_project, live_pod_names, wait_until, ManifestDir, Project, PATIENCE,
    TEST_IMAGE,
};
use serde_json::{json, Value};

/// The Secret's value, and the same in base64: neither may be printed.
const SECRET_VALUE: &str = "s3cr3t-value";
const SECRET_BASE64: &str = "czNjcjN0LXZhbHVl";

fn config_objects(dir: &ManifestDir) {
    let config = json!({
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "settings" },
        "data": { "mode": "fast", "level": "3" },
    });
    let secret = json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": { "name": "db" },
        "data": { "password": SECRET_BASE64 }, "stringData": { "user": "admin" },
    });
    dir.write("settings.json", &config.to_string());
    dir.write("db.json", &secret.to_string());
}

fn no_secret_in(what: &str, text: &str) {
    assert!(
        !text.contains(SECRET_VALUE) && !text.contains(SECRET_BASE64) && !text.contains("admin"),
        "{what} shows the Secret's value:\n{text}"
    );
}

#[test]
fn config_maps_and_secrets_list_from_the_manifests_and_no_secret_value_is_printed() {
    let dir = ManifestDir::new();
    config_objects(&dir);
    let path = dir.path().to_str().unwrap();
    let out = berth(&["get", "cm", "-f", path]);
    assert!(out.success(), "{}", out.stderr);
    let lines: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["NAME", "DATA", "AGE"], "{}", out.stdout);
    assert_eq!(lines[1], ["settings", "2", "-"], "{}", out.stdout);

    let out = berth(&["get", "secrets", "-f", path, "-n", "default"]);
    assert!(out.success(), "{}", out.stderr);
    no_secret_in("get secrets", &out.stdout);
    let lines: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines,
        [
            vec!["NAME", "TYPE", "DATA", "AGE"],
            vec!["db", "Opaque", "2", "-"]
        ]
    );

    for format in ["json", "yaml"] {
        let out = berth(&["get", "secret", "db", "-f", path, "-o", format]);
        assert!(out.success(), "{}", out.stderr);
        no_secret_in(&format!("get secret -o {format}"), &out.stdout);
        assert!(
            out.stdout
                .contains("password (sensitive, 12 bytes), user (sensitive, 5 bytes)"),
            "{}",
            out.stdout
        );
    }
    let out = berth(&["get", "cm", "settings", "-f", path, "-o", "json"]);
    let settings: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(settings["data"], json!({ "level": "3", "mode": "fast" }));

    let out = berth(&["describe", "secret", "db", "-f", path]);
    assert!(out.success(), "{}", out.stderr);
    no_secret_in("describe secret", &out.stdout);
    assert!(
        out.stdout
            .ends_with("Data\n====\npassword:  12 bytes\nuser:  5 bytes\n"),
        "{}",
        out.stdout
    );

    let out = berth(&["get", "secrets"]);
    assert_eq!(out.code(), Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("berth get secrets -f PATH"),
        "{}",
        out.stderr
    );
}

/// Deployment `web` of 2 pods and ReplicationController `web` of 1 pod
/// (selecting other pods).
fn web_twice(dir: &ManifestDir) {
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
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": { "name": "web" },
        "spec": {
            "replicas": 2, "selector": { "matchLabels": { "app": "web" } },
            "template": template("web"),
        },
    });
    let rc = json!({
        "apiVersion": "v1", "kind": "ReplicationController", "metadata": { "name": "web" },
        "spec": { "replicas": 1, "selector": { "app": "old" }, "template": template("old") },
    });
    dir.write("deploy.json", &deployment.to_string());
    dir.write("rc.json", &rc.to_string());
}

#[test]
fn describe_and_delete_a_deployment_on_the_engine() {
    let project = Project::new("apps-cli");
    let dir = ManifestDir::new();
    web_twice(&dir);
    apply_ok(&project, &dir);
    let path = dir.path().to_str().unwrap();
    let mut text = String::new();
    let settled = wait_until(PATIENCE, || {
        text = in_project(&project, &["describe", "deploy", "web", "-f", path]).stdout;
        text.contains("2 desired | 2 updated | 2 total | 2 available | 0 unavailable")
    });
    assert!(settled, "{text}");
    for line in [
        "StrategyType:           RollingUpdate\n",
        "RollingUpdateStrategy:  25% max unavailable, 25% max surge\n",
        "  Available    True    MinimumReplicasAvailable\n",
        "  Progressing  True    NewReplicaSetAvailable\n",
        "OldReplicaSets:         <none>\n",
        "(2/2 replicas created)\n",
    ] {
        assert!(text.contains(line), "no {line:?} in:\n{text}");
    }
    let set = text
        .lines()
        .find_map(|l| l.strip_prefix("NewReplicaSet:"))
        .and_then(|l| l.split_whitespace().next())
        .expect("a new ReplicaSet")
        .to_string();
    let rs = in_project(&project, &["describe", "rs", &set]);
    assert!(rs.success(), "{}", rs.stderr);
    assert!(
        rs.stdout.contains("Controlled By:      Deployment/web"),
        "{}",
        rs.stdout
    );
    assert!(
        rs.stdout.contains("Pods Status:        2 Running"),
        "{}",
        rs.stdout
    );

    let out = in_project(&project, &["delete", "deploy", "web"]);
    assert!(out.success(), "{}", out.stderr);
    assert!(
        out.stdout.contains("deployment.apps \"web\" deleted"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains(&format!("replicaset.apps {set:?} deleted")),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("the next apply brings it back"),
        "{}",
        out.stderr
    );
    assert_eq!(live_pod_names(&project), ["web-0"]);
    let gone = in_project(&project, &["describe", "deploy", "web"]);
    assert_eq!(gone.code(), Some(1), "{}", gone.stdout);
}
