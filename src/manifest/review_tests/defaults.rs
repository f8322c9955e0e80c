//! Kubernetes' defaulting of empty values, and fields Docker would refuse
//! later (refused at load instead, naming the field).

use super::*;

#[test]
fn empty_policies_and_protocols_take_kubernetes_defaults() {
    let text = pod_spec("  restartPolicy: \"\"\n").replace(
        "image: busybox\n",
        "image: busybox:1\n    imagePullPolicy: \"\"\n    ports:\n    - containerPort: 80\n      protocol: \"\"\n",
    );
    let loaded = load_yaml(&text);
    assert_clean(&loaded);
    let spec = &loaded.manifests.pods[0].spec;
    assert_eq!(spec.restart_policy, RestartPolicy::Always);
    assert_eq!(
        spec.containers[0].image_pull_policy,
        PullPolicy::IfNotPresent
    );
    assert_eq!(spec.containers[0].ports[0].protocol, Protocol::Tcp);
}

#[test]
fn an_empty_service_protocol_means_tcp() {
    let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: 80\n    protocol: \"\"\n";
    assert_clean(&load_yaml(text));
}

#[test]
fn null_fields_mean_their_defaults() {
    let loaded = load_yaml(&pod_spec(
        "  restartPolicy:\n  terminationGracePeriodSeconds: ~\n  volumes: null\n",
    ));
    assert_clean(&loaded);
    assert_eq!(
        loaded.manifests.pods[0]
            .spec
            .termination_grace_period_seconds,
        30
    );
}

#[test]
fn a_relative_working_dir_is_refused_as_docker_would() {
    let loaded = load_yaml(&pod("    workingDir: app\n"));
    assert_error_at(
        &loaded,
        (9, 17),
        "spec.containers[0].workingDir",
        "absolute",
    );
    assert_valid(&load_yaml(&pod("    workingDir: /app\n")));
}

#[test]
fn a_negative_empty_dir_size_limit_is_an_error() {
    let loaded = load_yaml(&pod_spec(
        "  volumes:\n  - name: v\n    emptyDir:\n      sizeLimit: -1Gi\n",
    ));
    assert_error_at(&loaded, (9, 18), "spec.volumes[0].emptyDir.sizeLimit", "0");
}

#[test]
fn an_extended_resource_must_be_a_whole_number() {
    let extra = "    resources:\n      limits:\n        example.com/dongle: 1.5\n";
    let loaded = load_yaml(&pod(extra));
    assert_error_at(
        &loaded,
        (11, 29),
        "spec.containers[0].resources.limits[example.com/dongle]",
        "integer",
    );
}

#[test]
fn an_extended_resource_request_must_equal_its_limit() {
    let extra = "    resources:\n      limits:\n        example.com/dongle: 2\n      requests:\n        example.com/dongle: 1\n";
    let loaded = load_yaml(&pod(extra));
    assert_error_on(
        &loaded,
        "spec.containers[0].resources.requests[example.com/dongle]",
        "equal",
    );
}

#[test]
fn a_lowercase_host_path_type_is_not_supported() {
    let loaded = load_yaml(&pod_spec(
        "  volumes:\n  - name: v\n    hostPath:\n      path: /srv\n      type: directory\n",
    ));
    assert_error_at(
        &loaded,
        (10, 13),
        "spec.volumes[0].hostPath.type",
        "\"Directory\"",
    );
}

#[test]
fn the_same_host_port_in_two_containers_is_an_error_but_not_across_protocols() {
    let extra = "    ports:\n    - {containerPort: 80, hostPort: 8080}\n    - {containerPort: 81, hostPort: 8080, protocol: UDP}\n  - name: side\n    image: busybox\n    ports:\n    - {containerPort: 82, hostPort: 8080}\n";
    let loaded = load_yaml(&pod(extra));
    assert_eq!(loaded.errors().count(), 1, "{}", all(&loaded));
    assert_error_on(&loaded, "spec.containers[1].ports[0].hostPort", "duplicate");
}

#[test]
fn an_image_with_surrounding_spaces_is_an_error() {
    let loaded = load_yaml(&pod("").replace("image: busybox", "image: \"busybox \""));
    assert_error_at(&loaded, (8, 12), "spec.containers[0].image", "whitespace");
}

#[test]
fn a_node_selector_value_must_be_a_label_value() {
    let loaded = load_yaml(&pod_spec("  nodeSelector:\n    disk: \"fast ssd\"\n"));
    assert_error_at(
        &loaded,
        (7, 11),
        "spec.nodeSelector[disk]",
        "invalid label value",
    );
}

#[test]
fn a_namespace_of_64_characters_is_too_long() {
    let loaded = load_yaml(&pod_meta(&format!("  namespace: {}\n", "n".repeat(64))));
    assert_error_on(&loaded, "metadata.namespace", "no more than 63");
}

#[test]
fn items_that_are_not_a_list_or_metadata_that_is_a_list_are_type_errors() {
    let loaded = load_yaml("apiVersion: v1\nkind: List\nitems: {a: 1}\n");
    assert_error_at(&loaded, (3, 8), "items", "expected sequence");
    let loaded = load_yaml(
        "apiVersion: v1\nkind: Pod\nmetadata: [web]\nspec:\n  containers: [{name: c, image: i}]\n",
    );
    assert_error_at(&loaded, (3, 11), "metadata", "expected mapping");
}

#[test]
fn an_unhandled_group_kind_warns_and_is_refused_under_strict() {
    let text = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: d\n";
    let loaded = load_yaml(text);
    assert!(!loaded.has_errors(), "{}", all(&loaded));
    assert_eq!(loaded.warnings().count(), 1);
    let strict = load_text(
        Path::new("m.yaml"),
        text,
        LoadOptions {
            strict: true,
            ..Default::default()
        },
    );
    assert!(strict.has_errors());
}

#[test]
fn a_deployment_written_under_v1_names_its_api_group() {
    let loaded = load_yaml("apiVersion: v1\nkind: Deployment\nmetadata:\n  name: d\n");
    assert_error_at(&loaded, (2, 7), "kind", "apps/v1");
}

#[test]
fn json_errors_point_inside_flow_collections() {
    let text = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n \"metadata\": {\"name\": \"a\", \"labels\": {\"app\": \"-x\"}},\n \"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"i\"}]}}\n";
    let loaded = load_json(text);
    assert_error_at(
        &loaded,
        (2, 46),
        "metadata.labels[app]",
        "invalid label value",
    );
}

#[test]
fn a_json_syntax_error_names_its_line() {
    let loaded = load_json("{\n  \"apiVersion\": \"v1\",\n  \"kind\" \"Pod\"\n}\n");
    let first = loaded.errors().next().expect("an error");
    assert_eq!(first.source.line, 3, "{}", all(&loaded));
    assert!(first.to_string().starts_with("m.json:3:"), "{first}");
}

#[test]
fn a_service_port_name_in_uppercase_is_invalid() {
    let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - name: HTTP\n    port: 80\n";
    assert_error_at(&load_yaml(text), (7, 11), "spec.ports[0].name", "");
}

#[test]
fn a_whole_number_written_as_a_float_is_an_integer_as_kubectl_sends_it() {
    let text = "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: r}\nspec:\n  replicas: 3.0\n  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: i, ports: [{containerPort: 8e1}]}]}\n";
    let loaded = load_yaml(text);
    assert_clean(&loaded);
    let rc = &loaded.manifests.controllers[0];
    assert_eq!(rc.replicas, 3);
    assert_eq!(rc.template.spec.containers[0].ports[0].container_port, 80);
}

#[test]
fn numeric_quantities_keep_the_value_kubectl_reads() {
    let loaded = load_yaml(&pod(
        "    resources:\n      limits: {memory: 1_000, cpu: 0x2}\n",
    ));
    assert_valid(&loaded);
    let limits = &loaded.manifests.pods[0].spec.containers[0].resources.limits;
    assert_eq!(limits["memory"], "1000");
    assert_eq!(limits["cpu"], "2");
}

#[test]
fn a_wrong_name_does_not_hide_the_other_metadata_errors() {
    let loaded = load_yaml(&pod_meta("  labels:\n    a: \"-x\"\n").replace("name: web", "name: 5"));
    assert_error_on(&loaded, "metadata.name", "expected string");
    assert_error_on(&loaded, "metadata.labels[a]", "invalid label value");
    let loaded = load_yaml(&pod_meta("  labels:\n    a: \"-x\"\n").replace("  name: web\n", ""));
    assert_error_on(&loaded, "metadata.name", "required");
    assert_error_on(&loaded, "metadata.labels[a]", "invalid label value");
}

#[test]
fn what_kubectl_get_prints_for_defaults_loads_without_warnings() {
    let loaded = load_yaml(&pod_spec(
        "  dnsPolicy: ClusterFirst\n  enableServiceLinks: true\n  priority: 0\n  preemptionPolicy: PreemptLowerPriority\n  serviceAccountName: default\n  serviceAccount: default\n  schedulerName: default-scheduler\n  securityContext: {}\n  tolerations: []\n",
    ));
    assert_clean(&loaded);
}

#[test]
fn a_memory_limit_docker_would_refuse_is_warned_about_but_valid() {
    let loaded = load_yaml(&pod("    resources:\n      limits:\n        memory: 4Mi\n"));
    assert_valid(&loaded);
    let warning = loaded.warnings().next().expect("a warning").to_string();
    assert!(
        warning.starts_with(
            "m.yaml:11:17: spec.containers[0].resources.limits[memory]: Docker refuses"
        ),
        "{warning}"
    );
    assert_clean(&load_yaml(&pod(
        "    resources:\n      limits:\n        memory: 6Mi\n",
    )));
}

#[test]
fn an_empty_host_ip_or_node_name_means_none() {
    let text = pod_spec("  nodeName: \"\"\n").replace(
        "image: busybox\n",
        "image: busybox\n    ports:\n    - {containerPort: 80, hostPort: 8080, hostIP: \"\"}\n",
    );
    let loaded = load_yaml(&text);
    assert_clean(&loaded);
    let spec = &loaded.manifests.pods[0].spec;
    assert_eq!(spec.node_name, None);
    assert_eq!(spec.containers[0].ports[0].host_ip, None);
}

#[test]
fn resources_other_than_cpu_and_memory_are_warned_about_never_silently_ignored() {
    let extra =
        "    resources:\n      limits:\n        ephemeral-storage: 1Gi\n        cpu: 100m\n";
    let loaded = load_yaml(&pod(extra));
    assert_valid(&loaded);
    let warnings: Vec<String> = loaded.warnings().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        ["m.yaml:11:9: spec.containers[0].resources.limits[ephemeral-storage]: berth enforces and schedules only cpu and memory; ignored"]
    );
}

#[test]
fn what_berth_cannot_do_with_an_empty_dir_is_warned_about() {
    let text = pod_spec("  volumes:\n  - name: v\n    emptyDir: {sizeLimit: 1Gi}\n").replace(
        "image: busybox\n",
        "image: busybox\n    volumeMounts:\n    - {name: v, mountPath: /v, subPath: sub}\n",
    );
    let loaded = load_yaml(&text);
    assert_valid(&loaded);
    let warnings: Vec<String> = loaded.warnings().map(|d| d.path.clone()).collect();
    assert_eq!(
        warnings,
        [
            "spec.volumes[0].emptyDir.sizeLimit",
            "spec.containers[0].volumeMounts[0].subPath"
        ]
    );
}

#[test]
fn a_quantity_with_surrounding_spaces_is_trimmed_as_kubernetes_does() {
    let loaded = load_yaml(&pod("    resources:\n      limits: {cpu: \" 250m \"}\n"));
    assert_clean(&loaded);
    let limits = &loaded.manifests.pods[0].spec.containers[0].resources.limits;
    assert_eq!(limits["cpu"], "250m");
}

#[test]
fn huge_page_media_are_known_and_other_media_are_not() {
    let volume = |medium: &str| {
        pod_spec(&format!(
            "  volumes:\n  - name: v\n    emptyDir: {{medium: {medium}}}\n"
        ))
    };
    for known in ["HugePages", "HugePages-2Mi"] {
        let loaded = load_yaml(&volume(known));
        assert_valid(&loaded);
        assert_eq!(loaded.warnings().count(), 1, "{}", all(&loaded));
    }
    assert_error_on(
        &load_yaml(&volume("memory")),
        "spec.volumes[0].emptyDir.medium",
        "\"Memory\"",
    );
}

#[test]
fn the_same_container_port_twice_in_a_pod_is_warned_about() {
    let extra = "    ports:\n    - containerPort: 80\n  - name: side\n    image: busybox\n    ports:\n    - containerPort: 80\n    - {containerPort: 80, protocol: UDP}\n";
    let loaded = load_yaml(&pod(extra));
    assert_valid(&loaded);
    let warnings: Vec<String> = loaded.warnings().map(ToString::to_string).collect();
    assert_eq!(
        warnings,
        ["m.yaml:14:7: spec.containers[1].ports[0]: duplicate port definition with spec.containers[0].ports[0]"]
    );
}
