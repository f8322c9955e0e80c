//! Init containers: loaded as containers are, with the API server's
//! checks of what only init containers may not do.

use super::*;
use crate::manifest::EnvValue;

/// `pod_spec` with init containers from line 6 (`items` indented 2).
fn with_init(items: &str) -> String {
    pod_spec(&format!("  initContainers:\n{items}"))
}

#[test]
fn init_containers_load_in_order_with_the_container_fields() {
    let loaded = load_yaml(&with_init(
        "  - name: first\n    image: busybox\n    command: [sh, -c, 'echo 1']\n  - name: second\n    image: busybox\n",
    ));
    assert_clean(&loaded);
    let spec = &loaded.manifests.pods[0].spec;
    let names: Vec<&str> = spec
        .init_containers
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["first", "second"]);
    assert_eq!(spec.init_containers[0].command, ["sh", "-c", "echo 1"]);
    assert_eq!(spec.containers[0].name, "main");
}

#[test]
fn an_init_container_named_as_an_app_container_is_a_duplicate() {
    let loaded = load_yaml(&with_init("  - name: main\n    image: busybox\n"));
    assert_error_at(
        &loaded,
        (7, 11),
        "spec.initContainers[0].name",
        "duplicate container name \"main\" (also spec.containers[0])",
    );
}

#[test]
fn two_init_containers_with_one_name_are_a_duplicate() {
    let loaded = load_yaml(&with_init(
        "  - name: a\n    image: busybox\n  - name: a\n    image: busybox\n",
    ));
    assert_error_on(&loaded, "spec.initContainers[1].name", "duplicate");
}

#[test]
fn probes_and_lifecycle_must_not_be_set_for_init_containers() {
    let loaded = load_yaml(&with_init(
        "  - name: a\n    image: busybox\n    readinessProbe: {exec: {command: [true]}}\n    lifecycle: {}\n",
    ));
    let forbidden = "may not be set for init containers";
    assert_error_at(
        &loaded,
        (9, 5),
        "spec.initContainers[0].readinessProbe",
        forbidden,
    );
    assert_error_on(&loaded, "spec.initContainers[0].lifecycle", forbidden);
}

#[test]
fn a_sidecar_init_container_is_refused_as_unsupported() {
    let loaded = load_yaml(&with_init(
        "  - name: a\n    image: busybox\n    restartPolicy: Always\n",
    ));
    assert_error_on(
        &loaded,
        "spec.initContainers[0].restartPolicy",
        "not supported",
    );
}

#[test]
fn init_container_env_reads_config_maps_and_the_downward_api() {
    let text = format!(
        "{}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  MODE: fast\n",
        with_init(
            "  - name: a\n    image: busybox\n    env:\n    - name: MODE\n      valueFrom: {configMapKeyRef: {name: cfg, key: MODE}}\n    - name: NS\n      valueFrom: {fieldRef: {fieldPath: metadata.namespace}}\n",
        )
    );
    let loaded = load_yaml(&text);
    assert_valid(&loaded);
    let env = &loaded.manifests.pods[0].spec.init_containers[0].resolved_env;
    let value = |name: &str| env.iter().find(|e| e.name == name).map(|e| e.value.clone());
    assert!(
        matches!(value("MODE"), Some(EnvValue::Config { value, .. }) if value == "fast"),
        "{env:?}"
    );
    assert!(
        matches!(value("NS"), Some(EnvValue::Downward { value, .. }) if value == "default"),
        "{env:?}"
    );
}

#[test]
fn a_missing_config_map_of_an_init_container_is_a_load_error() {
    let loaded = load_yaml(&with_init(
        "  - name: a\n    image: busybox\n    env:\n    - name: MODE\n      valueFrom: {configMapKeyRef: {name: nope, key: MODE}}\n",
    ));
    assert!(loaded.has_errors(), "{}", all(&loaded));
}

#[test]
fn the_host_port_of_an_init_container_is_reported_as_not_published() {
    let loaded = load_yaml(&with_init(
        "  - name: a\n    image: busybox\n    ports: [{containerPort: 80, hostPort: 8080}]\n",
    ));
    assert_valid(&loaded);
    let warned = loaded.diagnostics.iter().any(|d| {
        d.path == "spec.initContainers[0].ports[0].hostPort" && d.message.contains("not published")
    });
    assert!(warned, "{}", all(&loaded));
}
