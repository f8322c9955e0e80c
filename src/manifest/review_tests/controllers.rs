//! Replication controllers and services.

use super::*;

/// A controller: `spec_extra` (indented 2) from line 6; without it the
/// template's `app: web` is at 9:9, its `spec:` at line 10, its container at
/// line 12.
fn rc(spec_extra: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: web\nspec:\n{spec_extra}  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: main\n        image: busybox\n"
    )
}

fn service(spec: &str) -> String {
    format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n{spec}")
}

#[test]
fn replicas_must_be_a_non_negative_integer() {
    let loaded = load_yaml(&rc("  replicas: -1\n"));
    assert_error_at(&loaded, (6, 13), "spec.replicas", "0");
    let loaded = load_yaml(&rc("  replicas: \"3\"\n"));
    assert_error_at(&loaded, (6, 13), "spec.replicas", "expected integer");
    let loaded = load_yaml(&rc("  replicas: 1.5\n"));
    assert_error_at(&loaded, (6, 13), "spec.replicas", "expected integer");
}

#[test]
fn zero_replicas_is_valid() {
    let loaded = load_yaml(&rc("  replicas: 0\n"));
    assert_clean(&loaded);
    assert_eq!(loaded.manifests.controllers[0].replicas, 0);
}

#[test]
fn a_selector_that_does_not_match_the_template_is_an_error() {
    let loaded = load_yaml(&rc("  selector:\n    app: api\n"));
    assert!(loaded.has_errors());
    assert_error_on(
        &loaded,
        "spec.template.metadata.labels",
        "selector does not match",
    );
}

#[test]
fn a_selector_that_is_a_subset_of_the_template_labels_is_valid() {
    let text = rc("  selector:\n    app: web\n").replace(
        "        app: web\n    spec",
        "        app: web\n        tier: front\n    spec",
    );
    assert_clean(&load_yaml(&text));
}

#[test]
fn without_a_selector_the_template_labels_select() {
    let loaded = load_yaml(&rc(""));
    assert_clean(&loaded);
    let c = &loaded.manifests.controllers[0];
    assert_eq!(c.selector.get("app").map(String::as_str), Some("web"));
    assert_eq!(c.replicas, 1);
}

#[test]
fn without_a_selector_or_template_labels_it_is_an_error() {
    let loaded = load_yaml(&rc("").replace("      labels:\n        app: web\n", "      name: x\n"));
    assert_error_on(&loaded, "spec.selector", "required");
}

#[test]
fn a_template_restart_policy_other_than_always_is_an_error() {
    for policy in ["Never", "OnFailure"] {
        let text = rc("").replace(
            "    spec:\n",
            &format!("    spec:\n      restartPolicy: {policy}\n"),
        );
        let loaded = load_yaml(&text);
        assert_error_at(
            &loaded,
            (11, 22),
            "spec.template.spec.restartPolicy",
            "Always",
        );
    }
}

#[test]
fn a_template_error_has_the_full_path_inside_the_template() {
    let text = rc("").replace(
        "image: busybox\n",
        "image: busybox\n        ports:\n        - containerPort: 99999\n",
    );
    let loaded = load_yaml(&text);
    assert_error_at(
        &loaded,
        (15, 26),
        "spec.template.spec.containers[0].ports[0].containerPort",
        "65535",
    );
}

#[test]
fn a_controller_without_a_template_is_an_error() {
    let text = "apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector: {app: web}\n";
    assert_error_on(&load_yaml(text), "spec.template", "required");
}

#[test]
fn a_service_may_target_a_named_port() {
    let loaded = load_yaml(&service(
        "  selector: {app: web}\n  ports:\n  - port: 80\n    targetPort: http\n",
    ));
    assert_clean(&loaded);
    assert_eq!(loaded.manifests.services[0].ports[0].target_port, "http");
}

#[test]
fn a_service_without_a_selector_is_valid() {
    let loaded = load_yaml(&service("  ports:\n  - port: 80\n"));
    assert_clean(&loaded);
    assert!(loaded.manifests.services[0].selector.is_empty());
}

#[test]
fn a_service_target_port_as_a_quoted_number_is_an_invalid_port_name() {
    let loaded = load_yaml(&service("  ports:\n  - port: 80\n    targetPort: \"80\"\n"));
    assert_error_at(&loaded, (8, 17), "spec.ports[0].targetPort", "letter");
}

#[test]
fn a_service_port_out_of_range_or_lowercase_protocol_is_an_error() {
    let loaded = load_yaml(&service("  ports:\n  - port: 0\n    protocol: udp\n"));
    assert_error_at(&loaded, (7, 11), "spec.ports[0].port", "65535");
    assert_error_at(&loaded, (8, 15), "spec.ports[0].protocol", "\"UDP\"");
}

#[test]
fn a_service_name_must_start_with_a_letter() {
    let loaded = load_yaml(&service("  ports:\n  - port: 80\n").replace("name: web", "name: 1web"));
    assert_error_at(&loaded, (4, 9), "metadata.name", "DNS-1035");
}

#[test]
fn a_node_without_an_endpoint_is_valid_and_never_contacted() {
    let loaded = load_yaml("apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n");
    assert_clean(&loaded);
    assert_eq!(loaded.manifests.nodes[0].docker_host, None);
}

#[test]
fn the_seed_minion_loads_as_a_node() {
    let text = "{\n  \"id\": \"10.1.2.3\",\n  \"kind\": \"Minion\",\n  \"apiVersion\": \"v1beta1\",\n  \"resources\": {\n    \"capacity\": {\n      \"cpu\": 1000,\n      \"memory\": 3221225472,\n    },\n  },\n  \"labels\": {\n    \"name\": \"node-1\",\n  },\n}\n";
    let loaded = load_json(text);
    assert_clean(&loaded);
    let node = &loaded.manifests.nodes[0];
    assert_eq!(node.meta.name, "10.1.2.3");
    assert_eq!(node.capacity["cpu"], "1000m");
}

#[test]
fn an_empty_port_name_is_no_name() {
    let loaded = load_yaml(&service("  ports:\n  - name: \"\"\n    port: 80\n"));
    assert_clean(&loaded);
    assert_eq!(loaded.manifests.services[0].ports[0].name, None);
    let loaded = load_yaml(&service(
        "  ports:\n  - name: \"\"\n    port: 80\n  - name: b\n    port: 81\n",
    ));
    assert_error_on(&loaded, "spec.ports[0].name", "required");
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: i\n    ports:\n    - {name: \"\", containerPort: 80}\n";
    assert_clean(&load_yaml(text));
}

#[test]
fn an_external_name_service_needs_no_ports_but_is_warned_about() {
    let loaded = load_yaml(&service(
        "  type: ExternalName\n  externalName: db.example.com\n",
    ));
    assert_valid(&loaded);
    assert!(loaded.warnings().count() >= 1, "{}", all(&loaded));
}
