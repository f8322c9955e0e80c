//! Validation by Kubernetes' rules, each error at its exact place.

use super::*;

#[test]
fn a_controller_selector_must_match_its_template_labels() {
    let loaded = load_yaml(&RC.replace(
        "spec:\n  template:",
        "spec:\n  replicas: 3\n  selector:\n    app: api\n  template:",
    ));
    assert_error(
        &loaded,
        "m.yaml:12:9: spec.template.metadata.labels: selector does not match template labels (spec.selector is app=api)",
    );
}

#[test]
fn a_controller_needs_a_selector_or_template_labels() {
    let loaded = load_yaml(&RC.replace("      labels:\n        app: web\n", "      {}\n"));
    assert_error(&loaded, "spec.selector: required");
}

#[test]
fn a_controller_refuses_negative_replicas_and_non_always_restart() {
    let text = RC
        .replace("spec:\n  template:", "spec:\n  replicas: -1\n  template:")
        .replace(
            "    spec:\n      containers:",
            "    spec:\n      restartPolicy: Never\n      containers:",
        );
    let loaded = load_yaml(&text);
    assert_error(&loaded, "m.yaml:6:13: spec.replicas: must be between 0 and");
    assert_error(
        &loaded,
        "spec.template.spec.restartPolicy: unsupported value \"Never\"",
    );
}

#[test]
fn a_service_needs_ports_in_range_with_names_when_several() {
    assert_error(
        &load_yaml(&SERVICE.replace("  ports:\n  - port: 80\n", "  ports: []\n")),
        "spec.ports: required",
    );
    let loaded = load_yaml(&SERVICE.replace(
        "  - port: 80\n",
        "  - port: 70000\n  - port: 81\n    targetPort: bad_name\n",
    ));
    assert_error(
        &loaded,
        "m.yaml:9:11: spec.ports[0].port: must be between 1 and 65535",
    );
    assert_error(&loaded, "spec.ports[0].name: required");
    assert_error(
        &loaded,
        "spec.ports[1].targetPort: invalid targetPort \"bad_name\"",
    );
}

#[test]
fn type_errors_name_the_path_and_what_was_expected() {
    let loaded = load_yaml(&pod_with_container(
        "    ports:\n    - containerPort: \"80\"\n    env:\n    - name: NUM\n      value: 5\n    - name: BOOL\n      value: yes\n    stdin: yes\n",
    ));
    assert_error(&loaded, "m.yaml:12:22: spec.containers[0].ports[0].containerPort: expected integer, found string \"80\"");
    assert_error(
        &loaded,
        "m.yaml:15:14: spec.containers[0].env[0].value: expected string, found integer 5",
    );
    assert_error(
        &loaded,
        "m.yaml:17:14: spec.containers[0].env[1].value: expected string, found boolean yes (YAML 1.1 reads it as true",
    );
    assert_eq!(
        errors(&loaded).len(),
        3,
        "`value: yes` is a boolean, as kubectl reads it"
    );
    assert_eq!(
        warnings(&loaded),
        vec!["m.yaml:18:5: spec.containers[0].stdin: not supported by berth; ignored"]
    );
}

#[test]
fn a_plain_yes_where_a_boolean_is_expected_is_true_as_kubectl_reads_it() {
    let text = format!("{POD}    volumeMounts:\n    - name: v\n      mountPath: /v\n      readOnly: yes\n  volumes:\n  - name: v\n");
    let loaded = load_yaml(&text);
    assert_clean(&loaded);
    assert!(loaded.manifests.pods[0].spec.containers[0].volume_mounts[0].read_only);
}

#[test]
fn label_values_must_be_strings() {
    let loaded = load_yaml(&POD.replace("app: web", "version: 1"));
    assert_error(
        &loaded,
        "m.yaml:6:14: metadata.labels[version]: expected string, found integer 1",
    );
}

#[test]
fn every_error_of_a_file_is_reported_at_once_with_its_position() {
    let text = "\
apiVersion: v1
kind: Pod
metadata:
  name: Web_1
  labels:
    -bad: x
spec:
  restartPolicy: Sometimes
  volumes:
  - name: v
  - name: v
  containers:
  - name: Main
    image: busybox
    ports:
    - containerPort: 0
      protocol: tcp
      name: http
    - containerPort: 81
      name: http
      hostPort: 70000
    env:
    - name: A=B
    resources:
      limits: {cpu: 100m, memory: lots}
      requests: {cpu: 200m}
    volumeMounts:
    - name: missing
      mountPath: relative
    - name: v
      mountPath: /a
    - name: v
      mountPath: /a
  - name: Main
";
    let loaded = load_yaml(text);
    let want = [
        "m.yaml:4:9: metadata.name: invalid name \"Web_1\"",
        "m.yaml:6:5: metadata.labels[-bad]: invalid label key",
        "m.yaml:8:18: spec.restartPolicy: unsupported value \"Sometimes\"",
        "m.yaml:11:11: spec.volumes[1].name: duplicate volume name \"v\"",
        "m.yaml:13:11: spec.containers[0].name: invalid container name \"Main\"",
        "m.yaml:16:22: spec.containers[0].ports[0].containerPort: must be between 1 and 65535",
        "m.yaml:17:17: spec.containers[0].ports[0].protocol: unsupported value \"tcp\"",
        "m.yaml:20:13: spec.containers[0].ports[1].name: duplicate port name \"http\"",
        "m.yaml:21:17: spec.containers[0].ports[1].hostPort: must be between 1 and 65535",
        "m.yaml:23:13: spec.containers[0].env[0].name: invalid environment variable name \"A=B\"",
        "m.yaml:25:35: spec.containers[0].resources.limits[memory]: invalid quantity \"lots\"",
        "m.yaml:26:23: spec.containers[0].resources.requests[cpu]: must be less than or equal to cpu limit of 100m",
        "m.yaml:28:13: spec.containers[0].volumeMounts[0].name: volume \"missing\" not found",
        "m.yaml:29:18: spec.containers[0].volumeMounts[0].mountPath: must be an absolute path",
        "m.yaml:33:18: spec.containers[0].volumeMounts[2].mountPath: must be unique",
        "m.yaml:34:5: spec.containers[1].image: required field is missing",
        "m.yaml:34:11: spec.containers[1].name: duplicate container name \"Main\"",
    ];
    let all = errors(&loaded);
    for needle in want {
        assert_error(&loaded, needle);
    }
    assert_eq!(all.len(), want.len() + 1, "{}", all.join("\n"));
    assert_error(&loaded, "spec.containers[1].name: invalid container name");
}

#[test]
fn host_ports_must_be_unique_within_a_pod() {
    let text = format!(
        "{}  - name: second\n    image: busybox\n    ports:\n    - {{containerPort: 81, hostPort: 8080}}\n",
        pod_with_container("    ports:\n    - {containerPort: 80, hostPort: 8080}\n")
    );
    assert_error(
        &load_yaml(&text),
        "spec.containers[1].ports[0].hostPort: duplicate hostPort 8080/tcp",
    );
}

#[test]
fn a_pod_needs_containers_with_images() {
    assert_error(
        &load_yaml(&POD.replace(
            "containers:\n  - name: main\n    image: busybox\n",
            "containers: []\n",
        )),
        "spec.containers: a pod needs at least one container",
    );
    assert_error(
        &load_yaml(&POD.replace("    image: busybox\n", "")),
        "m.yaml:9:5: spec.containers[0].image: required field is missing",
    );
    assert_error(
        &load_yaml(&POD.replace("metadata:\n  name: web\n", "metadata:\n")),
        "metadata.name: required field is missing",
    );
}

#[test]
fn an_emptydir_in_memory_is_warned_about() {
    let text = format!("{POD}  volumes:\n  - name: m\n    emptyDir:\n      medium: Memory\n      sizeLimit: 64Mi\n");
    let loaded = load_yaml(&text);
    assert!(!loaded.has_errors());
    assert!(warnings(&loaded)[0].contains("spec.volumes[0].emptyDir.medium"));
}

#[test]
fn service_names_are_dns_1035_labels() {
    assert_error(
        &load_yaml(&SERVICE.replace("name: web", "name: 1web")),
        "m.yaml:4:9: metadata.name: invalid name \"1web\": a DNS-1035 label",
    );
    assert_error(
        &load_yaml(&SERVICE.replace("name: web", "name: web.app")),
        "invalid name \"web.app\"",
    );
    assert_clean(&load_yaml(&SERVICE.replace("name: web", "name: web-2")));
}

#[test]
fn a_zero_or_empty_target_port_means_the_port() {
    for target in ["0", "\"\""] {
        let loaded = load_yaml(&format!("{SERVICE}    targetPort: {target}\n"));
        assert_clean(&loaded);
        assert_eq!(loaded.manifests.services[0].ports[0].target_port, "80");
    }
}

#[test]
fn label_rules_apply_to_selectors_node_selectors_and_annotation_keys() {
    let text = format!(
        "{}  nodeSelector:\n    disk: \"-ssd\"\n",
        POD.replace("  labels:", "  annotations:\n    bad key: x\n  labels:")
    );
    let loaded = load_yaml(&text);
    assert_error(
        &loaded,
        "m.yaml:6:5: metadata.annotations[bad key]: invalid annotation key",
    );
    assert_error(
        &loaded,
        "m.yaml:14:11: spec.nodeSelector[disk]: invalid label value \"-ssd\"",
    );
    let loaded = load_yaml(&SERVICE.replace("app: web", "app/x/y: web"));
    assert_error(
        &loaded,
        "m.yaml:7:5: spec.selector[app/x/y]: invalid label key",
    );
}

#[test]
fn node_capacity_quantities_and_resource_names_are_checked() {
    let loaded = load_yaml("apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus:\n  capacity:\n    cpu: two\n    gpus: \"1\"\n");
    assert_error(
        &loaded,
        "m.yaml:6:10: status.capacity[cpu]: invalid quantity \"two\"",
    );
    assert_error(
        &loaded,
        "m.yaml:7:5: status.capacity[gpus]: unknown resource name",
    );
}

#[test]
fn an_empty_namespace_means_the_default_one() {
    let loaded = load_yaml(&POD.replace("  name: web\n", "  name: web\n  namespace: \"\"\n"));
    assert_clean(&loaded);
    assert_eq!(loaded.manifests.pods[0].meta.namespace, "default");
}

#[test]
fn a_controller_selector_in_deployment_style_is_explained() {
    let loaded = load_yaml(&RC.replace(
        "spec:\n  template:",
        "spec:\n  selector:\n    matchLabels: {app: web}\n  template:",
    ));
    assert_error(
        &loaded,
        "m.yaml:7:5: spec.selector: a ReplicationController selector is a plain map of labels",
    );
}

#[test]
fn an_env_var_takes_a_value_or_value_from_not_both() {
    let text = pod_with_container("    env:\n    - name: A\n      value: x\n      valueFrom: {fieldRef: {fieldPath: metadata.name}}\n");
    assert_error(&load_yaml(&text), "m.yaml:13:14: spec.containers[0].env[0].value: may not be specified together with valueFrom");
}

#[test]
fn a_misspelt_api_version_is_an_error_with_a_hint() {
    assert_error(
        &load_yaml("apiVersion: V1\nkind: Pod\n"),
        "m.yaml:1:13: apiVersion: unknown apiVersion \"V1\"",
    );
}

#[test]
fn service_ports_and_their_names_are_unique() {
    let text = SERVICE.replace("  - port: 80\n", "  - {name: a, port: 80}\n  - {name: a, port: 80}\n  - {name: c, port: 80, protocol: UDP}\n");
    let loaded = load_yaml(&text);
    assert_error(
        &loaded,
        "m.yaml:10:12: spec.ports[1].name: duplicate port name \"a\" (also spec.ports[0])",
    );
    assert_error(
        &loaded,
        "m.yaml:10:21: spec.ports[1].port: duplicate port 80/tcp (also spec.ports[0])",
    );
    assert_eq!(errors(&loaded).len(), 2);
}

#[test]
fn a_typo_in_a_required_field_is_reported_once_as_the_typo() {
    let loaded = load_yaml(&POD.replace("    image: busybox", "    imagee: busybox"));
    assert_eq!(
        errors(&loaded),
        vec!["m.yaml:10:5: spec.containers[0].imagee: unknown field \"imagee\" (did you mean \"image\"?)"]
    );
    let loaded = load_yaml(&POD.replace("apiVersion", "apiversion"));
    assert_eq!(
        errors(&loaded),
        vec!["m.yaml:1:1: apiversion: unknown field \"apiversion\" (did you mean \"apiVersion\"?)"]
    );
}

#[test]
fn containers_given_as_a_mapping_is_one_type_error() {
    let loaded =
        load_yaml(&POD.replace("  - name: main\n    image: busybox\n", "    name: main\n"));
    assert_eq!(
        errors(&loaded),
        vec!["m.yaml:9:5: spec.containers: expected sequence, found mapping"]
    );
}

#[test]
fn a_node_docker_endpoint_must_be_a_docker_url() {
    let node = |host: &str| {
        format!("apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n  annotations:\n    berth.io/docker-host: \"{host}\"\n")
    };
    assert_clean(&load_yaml(&node("tcp://10.0.0.2:2376")));
    assert_clean(&load_yaml(&node("unix:///tmp/n2/docker.sock")));
    assert_error(
        &load_yaml(&node("10.0.0.2:2376")),
        "m.yaml:6:27: metadata.annotations[berth.io/docker-host]: invalid Docker endpoint \"10.0.0.2:2376\"",
    );
}

#[test]
fn namespaces_volume_names_and_template_labels_follow_kubernetes_rules() {
    let loaded = load_yaml(&POD.replace("  name: web\n", "  name: web\n  namespace: Team.A\n"));
    assert_error(
        &loaded,
        "m.yaml:5:14: metadata.namespace: invalid namespace \"Team.A\"",
    );
    let loaded = load_yaml(&format!("{POD}  volumes:\n  - name: Data_1\n"));
    assert_error(
        &loaded,
        "m.yaml:12:11: spec.volumes[0].name: invalid volume name \"Data_1\"",
    );
    let loaded = load_yaml(&RC.replace("app: web", "app: \"web!\""));
    assert_error(
        &loaded,
        "m.yaml:9:14: spec.template.metadata.labels[app]: invalid label value \"web!\"",
    );
}
