//! Containers: names, ports, env, command, resources, volume mounts, pull
//! and restart policies.

use super::*;

#[test]
fn a_container_name_with_an_underscore_is_invalid() {
    let loaded = load_yaml(&pod("").replace("- name: main", "- name: app_1"));
    assert_error_at(
        &loaded,
        (7, 11),
        "spec.containers[0].name",
        "RFC 1123 label",
    );
}

#[test]
fn two_containers_with_the_same_name_are_an_error_at_the_second() {
    let loaded = load_yaml(&pod("  - name: main\n    image: busybox\n"));
    assert_error_at(&loaded, (9, 11), "spec.containers[1].name", "duplicate");
}

#[test]
fn duplicate_port_names_in_one_container_are_an_error() {
    let extra = "    ports:\n    - name: http\n      containerPort: 80\n    - name: http\n      containerPort: 81\n";
    let loaded = load_yaml(&pod(extra));
    assert_error_at(
        &loaded,
        (12, 13),
        "spec.containers[0].ports[1].name",
        "duplicate",
    );
}

#[test]
fn a_host_port_without_a_container_port_is_an_error() {
    let loaded = load_yaml(&pod("    ports:\n    - hostPort: 8080\n"));
    assert_error_at(
        &loaded,
        (10, 7),
        "spec.containers[0].ports[0].containerPort",
        "required",
    );
}

#[test]
fn container_ports_must_lie_between_1_and_65535() {
    let extra = "    ports:\n    - containerPort: 0\n    - containerPort: 65536\n    - containerPort: 65535\n";
    let loaded = load_yaml(&pod(extra));
    assert_error_at(
        &loaded,
        (10, 22),
        "spec.containers[0].ports[0].containerPort",
        "",
    );
    assert_error_at(
        &loaded,
        (11, 22),
        "spec.containers[0].ports[1].containerPort",
        "65535",
    );
    assert_eq!(loaded.errors().count(), 2, "{}", all(&loaded));
}

#[test]
fn a_container_port_written_as_a_string_is_a_type_error() {
    let loaded = load_yaml(&pod("    ports:\n    - containerPort: \"80\"\n"));
    assert_error_at(
        &loaded,
        (10, 22),
        "spec.containers[0].ports[0].containerPort",
        "expected integer",
    );
}

#[test]
fn a_host_port_error_names_the_second_container_and_its_path() {
    let extra = "  - name: side\n    image: busybox\n    ports:\n    - containerPort: 80\n      hostPort: 70000\n";
    let loaded = load_yaml(&pod(extra));
    assert_error_at(
        &loaded,
        (13, 17),
        "spec.containers[1].ports[0].hostPort",
        "65535",
    );
    let shown = loaded.errors().next().unwrap().to_string();
    assert!(
        shown.starts_with("m.yaml:13:17: spec.containers[1].ports[0].hostPort: "),
        "{shown}"
    );
}

#[test]
fn a_lowercase_protocol_is_not_supported() {
    let extra = "    ports:\n    - containerPort: 80\n      protocol: tcp\n";
    let loaded = load_yaml(&pod(extra));
    assert_error_at(
        &loaded,
        (11, 17),
        "spec.containers[0].ports[0].protocol",
        "\"TCP\"",
    );
}

#[test]
fn lowercase_pull_and_restart_policies_are_not_supported() {
    let loaded = load_yaml(&pod_spec("  restartPolicy: always\n").replace(
        "image: busybox\n",
        "image: busybox\n    imagePullPolicy: always\n",
    ));
    assert_error_at(&loaded, (6, 18), "spec.restartPolicy", "\"Always\"");
    assert_error_at(
        &loaded,
        (10, 22),
        "spec.containers[0].imagePullPolicy",
        "\"IfNotPresent\"",
    );
}

#[test]
fn an_env_value_written_as_a_number_is_a_type_error() {
    let loaded = load_yaml(&pod("    env:\n    - name: NUM\n      value: 5\n"));
    assert_error_at(
        &loaded,
        (11, 14),
        "spec.containers[0].env[0].value",
        "expected string",
    );
}

#[test]
fn an_env_value_written_yes_is_a_boolean_as_kubectl_reads_it() {
    let loaded = load_yaml(&pod("    env:\n    - name: DEBUG\n      value: yes\n"));
    assert_error_at(
        &loaded,
        (11, 14),
        "spec.containers[0].env[0].value",
        "boolean",
    );
}

#[test]
fn env_names_follow_current_kubernetes_printable_ascii_rule() {
    let extra =
        "    env:\n    - name: 1ABC\n    - name: my.var-1\n    - name: \"A=B\"\n    - name: \"\"\n";
    let loaded = load_yaml(&pod(extra));
    assert_error_at(&loaded, (12, 13), "spec.containers[0].env[2].name", "'='");
    assert_error_on(&loaded, "spec.containers[0].env[3].name", "");
    assert_eq!(loaded.errors().count(), 2, "{}", all(&loaded));
}

#[test]
fn a_command_written_as_a_string_is_a_type_error() {
    let loaded = load_yaml(&pod("    command: \"sleep 10\"\n"));
    assert_error_at(
        &loaded,
        (9, 14),
        "spec.containers[0].command",
        "expected sequence",
    );
}

#[test]
fn an_argument_written_as_a_number_is_a_type_error() {
    let loaded = load_yaml(&pod("    args: [sleep, 10]\n"));
    assert_error_at(
        &loaded,
        (9, 19),
        "spec.containers[0].args[1]",
        "expected string",
    );
}

#[test]
fn memory_in_gb_is_not_a_quantity() {
    let loaded = load_yaml(&pod("    resources:\n      limits:\n        memory: 1Gb\n"));
    assert_error_at(
        &loaded,
        (11, 17),
        "spec.containers[0].resources.limits[memory]",
        "quantities must match",
    );
}

#[test]
fn usual_quantities_are_valid() {
    let extra = "    resources:\n      limits: {cpu: 0.5, memory: 1e3}\n      requests: {cpu: 500m, memory: 1e3}\n";
    let loaded = load_yaml(&pod(extra));
    assert_valid(&loaded);
    let resources = &loaded.manifests.pods[0].spec.containers[0].resources;
    assert_eq!(resources.limits["cpu"], "0.5");
    assert_eq!(resources.requests["cpu"], "500m");
}

#[test]
fn requests_above_limits_are_an_error_at_the_request() {
    let extra =
        "    resources:\n      limits:\n        cpu: 500m\n      requests:\n        cpu: \"1\"\n";
    let loaded = load_yaml(&pod(extra));
    assert_error_at(
        &loaded,
        (13, 14),
        "spec.containers[0].resources.requests[cpu]",
        "less than or equal to cpu limit",
    );
}

#[test]
fn an_unknown_resource_name_is_an_error() {
    let loaded = load_yaml(&pod("    resources:\n      limits:\n        gpu: 1\n"));
    assert_error_at(
        &loaded,
        (11, 9),
        "spec.containers[0].resources.limits[gpu]",
        "gpu",
    );
}

#[test]
fn a_mount_of_an_undeclared_volume_is_an_error() {
    let loaded = load_yaml(&pod(
        "    volumeMounts:\n    - name: data\n      mountPath: /data\n",
    ));
    assert_error_at(
        &loaded,
        (10, 13),
        "spec.containers[0].volumeMounts[0].name",
        "not found",
    );
}

#[test]
fn the_same_mount_path_twice_is_an_error() {
    let text = pod_spec("  volumes:\n  - name: a\n  - name: b\n").replace(
        "image: busybox\n",
        "image: busybox\n    volumeMounts:\n    - {name: a, mountPath: /d}\n    - {name: b, mountPath: /d}\n",
    );
    let loaded = load_yaml(&text);
    assert_error_on(
        &loaded,
        "spec.containers[0].volumeMounts[1].mountPath",
        "unique",
    );
}

#[test]
fn a_relative_mount_path_is_an_error() {
    let text = pod_spec("  volumes:\n  - name: a\n").replace(
        "image: busybox\n",
        "image: busybox\n    volumeMounts:\n    - name: a\n      mountPath: data\n",
    );
    let loaded = load_yaml(&text);
    assert_error_at(
        &loaded,
        (13, 18),
        "spec.containers[0].volumeMounts[0].mountPath",
        "absolute",
    );
}

#[test]
fn a_relative_host_path_is_an_error() {
    let loaded = load_yaml(&pod_spec(
        "  volumes:\n  - name: h\n    hostPath:\n      path: srv/data\n",
    ));
    assert_error_at(
        &loaded,
        (9, 13),
        "spec.volumes[0].hostPath.path",
        "absolute",
    );
}

#[test]
fn a_negative_grace_period_is_accepted_and_becomes_one_second() {
    let loaded = load_yaml(&pod_spec("  terminationGracePeriodSeconds: -1\n"));
    assert_valid(&loaded);
    let spec = &loaded.manifests.pods[0].spec;
    assert_eq!(spec.termination_grace_period_seconds, 1);
}

#[test]
fn a_zero_grace_period_stays_zero() {
    let loaded = load_yaml(&pod_spec("  terminationGracePeriodSeconds: 0\n"));
    assert_valid(&loaded);
    assert_eq!(
        loaded.manifests.pods[0]
            .spec
            .termination_grace_period_seconds,
        0
    );
}

#[test]
fn every_error_of_a_pod_is_reported_not_only_the_first() {
    let extra = "    imagePullPolicy: always\n    ports:\n    - containerPort: 0\n    env:\n    - name: \"A=B\"\n  - name: Side\n    image: busybox\n";
    let loaded = load_yaml(&pod(extra));
    assert_eq!(loaded.errors().count(), 4, "{}", all(&loaded));
}

#[test]
fn warnings_never_make_a_load_fail() {
    let loaded = load_yaml(&pod(
        "    lifecycle:\n      preStop: {exec: {command: [true]}}\n",
    ));
    assert!(loaded.warnings().count() == 1, "{}", all(&loaded));
    assert!(!loaded.has_errors());
    assert_eq!(loaded.manifests.pods.len(), 1);
}

#[test]
fn an_image_docker_cannot_parse_is_warned_about_at_its_place() {
    let loaded = load_yaml(&pod("").replace("image: busybox", "image: Busybox:1"));
    assert_valid(&loaded);
    let warning = loaded.warnings().next().expect("a warning").to_string();
    assert!(
        warning.starts_with("m.yaml:8:12: spec.containers[0].image: invalid reference format"),
        "{warning}"
    );
}

#[test]
fn the_default_pull_policy_follows_the_tag_as_in_kubernetes() {
    let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let cases = [
        ("busybox".to_string(), PullPolicy::Always),
        ("busybox:latest".to_string(), PullPolicy::Always),
        ("busybox:1.36".to_string(), PullPolicy::IfNotPresent),
        ("localhost:5000/busybox".to_string(), PullPolicy::Always),
        (
            "localhost:5000/busybox:2".to_string(),
            PullPolicy::IfNotPresent,
        ),
        (format!("busybox@{digest}"), PullPolicy::IfNotPresent),
        (format!("busybox:latest@{digest}"), PullPolicy::Always),
    ];
    for (image, want) in cases {
        let loaded = load_yaml(&pod("").replace("image: busybox", &format!("image: {image}")));
        assert_clean(&loaded);
        let got = loaded.manifests.pods[0].spec.containers[0].image_pull_policy;
        assert_eq!(got, want, "{image}");
    }
}
