//! `berth get nodes|pods` and `describe node` over two engines: the local
//! one and a second `dockerd` given with `--machines`, on which a pod is
//! applied; then the second engine stops and its absence is a warning, not
//! a failure.

mod common;

use common::engine2::ExtraEngine;
use common::*;

/// The line of `text` whose first column is `name`.
fn row<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no row {name} in:\n{text}"))
}

#[test]
fn the_nodes_and_their_pods_span_the_machines_and_a_stopped_one_is_a_warning() {
    let mut extra = ExtraEngine::start("nodeviews");
    let host = extra.host();
    let project = Project::new("nodeviews");
    let dir = ManifestDir::new();
    dir.write(
        "web.yaml",
        &format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  \
             terminationGracePeriodSeconds: 0\n  containers:\n  - name: main\n    \
             image: {TEST_IMAGE}\n    imagePullPolicy: Never\n    command: [sleep, '3600']\n    \
             resources:\n      requests: {{cpu: 100m, memory: 32Mi}}\n"
        ),
    );
    let machines = ["--machines", host.as_str()];
    assert_exit(&apply_with(&project, &dir, &machines), 0);

    let names = in_project(
        &project,
        &["get", "nodes", "-o", "name", "--machines", &host],
    );
    assert_exit(&names, 0);
    let extra_node = names
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("node/"))
        .find(|n| *n != "local")
        .unwrap_or_else(|| panic!("the second engine is a node:\n{}", names.stdout))
        .to_string();
    assert!(names.stdout.contains("node/local\n"), "{}", names.stdout);

    let nodes = in_project(
        &project,
        &["get", "nodes", "-o", "wide", "--machines", &host],
    );
    assert_exit(&nodes, 0);
    eprintln!("berth get nodes -o wide:\n{}", nodes.stdout);
    let line = row(&nodes.stdout, &extra_node);
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&cells[1..4], ["Ready", "Running", "1"], "{}", nodes.stdout);
    assert!(cells[4].starts_with("100m/"), "{}", nodes.stdout);
    assert!(cells[5].starts_with("32Mi/"), "{}", nodes.stdout);
    assert!(line.contains(&host), "the endpoint: {line}");
    assert!(
        row(&nodes.stdout, "local").contains(" Ready "),
        "{}",
        nodes.stdout
    );

    let pods = in_project(
        &project,
        &["get", "pods", "-o", "wide", "--machines", &host],
    );
    assert_exit(&pods, 0);
    eprintln!("berth get pods -o wide:\n{}", pods.stdout);
    assert!(
        row(&pods.stdout, "web").trim_end().ends_with(&extra_node),
        "NODE is where the pod runs:\n{}",
        pods.stdout
    );

    let page = in_project(
        &project,
        &["describe", "node", &extra_node, "--machines", &host],
    );
    assert_exit(&page, 0);
    eprintln!("berth describe node {extra_node}:\n{}", page.stdout);
    assert!(
        page.stdout.contains("Non-terminated Pods:  (1 in total)"),
        "{}",
        page.stdout
    );
    assert!(
        row(&page.stdout, "default").contains("web"),
        "{}",
        page.stdout
    );
    assert!(
        page.stdout.contains("  cpu        100m ("),
        "{}",
        page.stdout
    );

    extra.stop();
    let pods = in_project(&project, &["get", "pods", "--machines", &host]);
    assert_exit(&pods, 0);
    assert_says(&pods.stderr, "does not answer");
    let nodes = in_project(&project, &["get", "nodes", "--machines", &host]);
    assert_exit(&nodes, 0);
    let line = row(&nodes.stdout, &extra_node);
    assert!(
        !line.contains(" Ready "),
        "a stopped engine is not Ready: {line}"
    );
}
