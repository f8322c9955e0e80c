//! `examples/greeter-deployment.yaml` on a real engine, with only its image
//! made offline (as `scripts/demo` makes it): a Deployment of 3 pods
//! configured by a ConfigMap and a Secret, behind a Service that answers
//! by name from another pod, and the Secret's value never printed.

mod common;

use std::path::Path;

use common::*;

/// The image the examples name; `scripts/demo` imports it from busybox.
const EXAMPLE_IMAGE: &str = "localhost/berth-example-busybox:1";

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_greeter_deployment_example_serves_its_config_behind_its_service() {
    if try_docker(&["image", "inspect", EXAMPLE_IMAGE]).is_err() {
        import_busybox_as(EXAMPLE_IMAGE, &[r#"CMD ["sh"]"#]);
    }
    let project = Project::new("greeter");
    let dir = ManifestDir::new();
    let text = example("greeter-deployment.yaml");
    dir.write("greeter-deployment.yaml", &text);
    // A client pod in the same namespace, to ask the Service by name.
    dir.write(
        "client.yaml",
        &format!(
            "apiVersion: v1
kind: Pod
metadata:
  name: client
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: main
    image: {TEST_IMAGE}
    imagePullPolicy: Never
    command: [sleep, '3600']
"
        ),
    );
    let out = apply_ok(&project, &dir);
    assert_says(
        &out.stdout,
        "deployment default/greeter created (3 replicas)",
    );
    let greeters: Vec<String> = live_pod_names(&project)
        .into_iter()
        .filter(|p| p.starts_with("greeter-"))
        .collect();
    assert_eq!(greeters.len(), 3, "{greeters:?}");
    for pod in &greeters {
        wait_for_pod(&project, pod, PATIENCE, "Running", |p| {
            p["status"]["phase"] == "Running"
        });
    }
    // The Service's name answers from another pod, with the page built
    // from the ConfigMap, the downward API and the Secret's length only.
    let client = container_name(&project, "client", "main");
    let mut page = String::new();
    let answered = wait_until(PATIENCE, || {
        page = try_docker(&["exec", &client, "wget", "-qO-", "http://greeter:8080/"])
            .unwrap_or_default();
        !page.is_empty()
    });
    assert!(answered, "http://greeter:8080/ answered");
    assert_says(&page, "hello from a ConfigMap; pod greeter-");
    assert_says(&page, "log level info; token of 18 characters");
    assert!(!page.contains("example-only-token"), "{page}");
    let got = in_project(&project, &["get", "deployments"]);
    assert_says(&got.stdout, "greeter");
    assert_says(&got.stdout, "3/3");
    assert!(!out.stdout.contains("example-only-token"));
    assert_exit(&diff(&project, &dir), 0);
}
