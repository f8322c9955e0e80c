//! Images a pod cannot have, on a real Docker engine through the `berth`
//! binary (issues #3 and #4): a fast, clear ErrImagePull or
//! ErrImageNeverPull, the pod listed Pending with that reason and an event
//! saying why, no churn on the next apply, and Running once the image is
//! there.

mod common;

use std::time::{Duration, Instant};

use serde_json::Value;

use common::*;

/// `berth --project P --infra-image PAUSE ARGS…`.
fn in_project(project: &Project, args: &[&str]) -> Output {
    ensure_test_image();
    ensure_test_pause_image();
    let mut all = vec![
        "--project",
        project.name.as_str(),
        "--infra-image",
        TEST_PAUSE_IMAGE,
    ];
    all.extend_from_slice(args);
    let output = berth(&all);
    assert!(!output.timed_out, "berth {args:?} hung: {}", output.stderr);
    output
}

fn apply(project: &Project, dir: &ManifestDir) -> Output {
    in_project(project, &["apply", dir.path().to_str().unwrap()])
}

/// Pod `ghost`: one `sleep` container of `image` under `policy`.
fn ghost(image: &str, policy: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ghost\nspec:\n  \
         terminationGracePeriodSeconds: 0\n  containers:\n  - name: app\n    \
         image: {image}\n    imagePullPolicy: {policy}\n    command: [\"sleep\", \"3600\"]\n"
    )
}

fn pod_json(project: &Project) -> Value {
    let output = in_project(project, &["get", "pod", "ghost", "-o", "json"]);
    assert_eq!(output.code(), Some(0), "{}", output.stderr);
    serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", output.stdout))
}

/// (phase, first container's waiting reason).
fn phase_and_reason(pod: &Value) -> (String, String) {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (
        text(&pod["status"]["phase"]),
        text(&pod["status"]["containerStatuses"][0]["state"]["waiting"]["reason"]),
    )
}

#[test]
fn an_unreachable_registry_fails_fast_and_leaves_the_pod_pending_with_err_image_pull() {
    let project = Project::new("pullfail");
    let dir = ManifestDir::new();
    let image = "localhost:5999/nope:1";
    dir.write("ghost.yaml", &ghost(image, "Always"));
    let started = Instant::now();
    let output = apply(&project, &dir);
    let took = started.elapsed();
    assert_eq!(
        output.code(),
        Some(1),
        "{}\n{}",
        output.stdout,
        output.stderr
    );
    assert!(took < Duration::from_secs(15), "apply took {took:?}");
    assert!(
        output.stdout.contains(&format!("image {image} pulling")),
        "{}",
        output.stdout
    );
    let said = &output.stderr;
    assert!(
        said.contains(&format!(
            "error: pod default/ghost stays Pending (ErrImagePull): container app: cannot pull image \"{image}\": "
        )),
        "{said}"
    );
    assert_eq!(said.matches("cannot pull image").count(), 1, "{said}");
    let pod = pod_json(&project);
    assert_eq!(
        phase_and_reason(&pod),
        ("Pending".to_string(), "ErrImagePull".to_string()),
        "{pod:#}"
    );
    let table = in_project(&project, &["get", "pods"]).stdout;
    assert!(table.contains("ErrImagePull"), "{table}");
    let events = in_project(&project, &["events"]).stdout;
    assert!(events.contains("Scheduled"), "{events}");
    assert!(
        events.contains("Failed") && events.contains("ErrImagePull"),
        "{events}"
    );
    let before = project.containers();
    assert_eq!(
        before,
        [format!("berth_{}_default_ghost_POD", project.name)]
    );
    let again = apply(&project, &dir);
    assert_eq!(again.code(), Some(1), "{}", again.stderr);
    assert!(again.stderr.contains("ErrImagePull"), "{}", again.stderr);
    assert_eq!(project.containers(), before, "no churn");
}

#[test]
fn a_missing_image_under_never_waits_until_the_image_is_tagged_then_runs() {
    let project = Project::new("neverpull");
    let dir = ManifestDir::new();
    // Project::image() is removed with the project, even on failure.
    let image = project.image();
    dir.write("ghost.yaml", &ghost(&image, "Never"));
    let output = apply(&project, &dir);
    assert_eq!(
        output.code(),
        Some(1),
        "{}\n{}",
        output.stdout,
        output.stderr
    );
    assert!(
        output
            .stderr
            .contains("pod default/ghost stays Pending (ErrImageNeverPull)"),
        "{}",
        output.stderr
    );
    assert_eq!(
        phase_and_reason(&pod_json(&project)),
        ("Pending".to_string(), "ErrImageNeverPull".to_string())
    );
    let diff = in_project(&project, &["diff", dir.path().to_str().unwrap()]);
    assert_eq!(diff.code(), Some(1), "{}", diff.stderr);
    assert!(
        diff.stdout
            .contains("pod default/ghost (waiting: ErrImageNeverPull"),
        "{}",
        diff.stdout
    );
    docker(&["tag", TEST_IMAGE, &image]);
    let output = apply(&project, &dir);
    assert_eq!(
        output.code(),
        Some(0),
        "{}\n{}",
        output.stdout,
        output.stderr
    );
    assert!(
        output.stdout.contains("pod default/ghost recreated"),
        "{}",
        output.stdout
    );
    let running = wait_until(Duration::from_secs(10), || {
        pod_json(&project)["status"]["phase"] == "Running"
    });
    assert!(running, "{:#}", pod_json(&project));
    let settled = apply(&project, &dir);
    assert_eq!(settled.code(), Some(0), "{}", settled.stderr);
    assert!(
        settled
            .stdout
            .contains("0 created, 0 recreated, 0 removed, 1 unchanged"),
        "{}",
        settled.stdout
    );
}
