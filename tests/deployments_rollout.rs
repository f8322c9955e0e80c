//! `berth rollout status|history|undo` on a real engine: a Deployment
//! applied, its template changed and applied again has two revisions, is
//! rolled out, and `undo` prints the first template (changing nothing).

mod common;

use common::{
    apply_ok, berth, ensure_test_image, live_pod_names, ManifestDir, Project, TEST_IMAGE,
};
use serde_json::json;

/// Deployment `web` of 2 pods running `sleep <seconds>`.
fn deployment(seconds: &str) -> String {
    let d = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": "web" },
        "spec": {
            "replicas": 2,
            "selector": { "matchLabels": { "app": "web" } },
            "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": 1, "maxUnavailable": 0 } },
            "template": {
                "metadata": { "labels": { "app": "web" } },
                "spec": {
                    "terminationGracePeriodSeconds": 0,
                    "containers": [{
                        "name": "main",
                        "image": TEST_IMAGE,
                        "imagePullPolicy": "Never",
                        "command": ["sleep", seconds],
                    }],
                },
            },
        },
    });
    serde_json::to_string_pretty(&d).expect("a Deployment manifest")
}

#[test]
fn rollout_history_status_and_undo_of_a_changed_deployment() {
    ensure_test_image();
    let project = Project::new("deploy-rollout");
    let dir = ManifestDir::new();
    dir.write("web.json", &deployment("3601"));
    apply_ok(&project, &dir);
    // Records keep whole seconds: the second ReplicaSet is a later one.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    dir.write("web.json", &deployment("3602"));
    apply_ok(&project, &dir);
    let p = ["--project", project.name.as_str()];
    let before = live_pod_names(&project);

    let history = berth(&[&["rollout", "history", "deployment/web"][..], &p].concat());
    eprintln!("{}{}", history.stdout, history.stderr);
    assert!(history.success(), "{}", history.stderr);
    let rows: Vec<&str> = history
        .stdout
        .lines()
        .skip(2)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        rows,
        ["1         <none>", "2         <none>"],
        "{}",
        history.stdout
    );

    let status = berth(
        &[
            &["rollout", "status", "deploy/web", "-w", "--timeout", "60s"][..],
            &p,
        ]
        .concat(),
    );
    eprintln!("{}{}", status.stdout, status.stderr);
    assert!(status.success(), "{}", status.stderr);
    assert!(
        status
            .stdout
            .ends_with("deployment \"web\" successfully rolled out\n"),
        "{}",
        status.stdout
    );

    let undo = berth(&[&["rollout", "undo", "deployments/web"][..], &p].concat());
    eprintln!("{}{}", undo.stdout, undo.stderr);
    assert_eq!(undo.status.code(), Some(1), "{}", undo.stderr);
    assert!(undo.stdout.contains("revision 1"), "{}", undo.stdout);
    assert!(
        undo.stdout.contains("- '3601'") || undo.stdout.contains("- \"3601\""),
        "{}",
        undo.stdout
    );
    assert!(undo.stdout.contains(TEST_IMAGE), "{}", undo.stdout);
    assert!(undo.stderr.contains("manifest files"), "{}", undo.stderr);
    // Nothing changed on the engine.
    let mut after = live_pod_names(&project);
    let mut before = before;
    before.sort();
    after.sort();
    assert_eq!(before, after);

    let missing = berth(&[&["rollout", "status", "deployment/nope"][..], &p].concat());
    assert_eq!(missing.status.code(), Some(1), "{}", missing.stderr);
    assert!(missing.stderr.contains("not found"), "{}", missing.stderr);
}
