//! Loader tests: kinds, defaults, legacy refusal, never-silent fields,
//! validation with exact locations, files and directories.

use std::path::Path;

use super::*;

fn load_yaml(text: &str) -> Loaded {
    load_text(Path::new("m.yaml"), text, LoadOptions::default())
}

fn load_strict(text: &str) -> Loaded {
    load_text(
        Path::new("m.yaml"),
        text,
        LoadOptions {
            strict: true,
            ..Default::default()
        },
    )
}

fn lines(loaded: &Loaded, severity: Severity) -> Vec<String> {
    loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .map(ToString::to_string)
        .collect()
}

fn errors(loaded: &Loaded) -> Vec<String> {
    lines(loaded, Severity::Error)
}

fn warnings(loaded: &Loaded) -> Vec<String> {
    lines(loaded, Severity::Warning)
}

/// Asserts that exactly one error contains `needle`.
#[track_caller]
fn assert_error(loaded: &Loaded, needle: &str) {
    let all = errors(loaded);
    let hits = all.iter().filter(|e| e.contains(needle)).count();
    assert_eq!(
        hits,
        1,
        "want one error containing {needle:?}, got:\n{}",
        all.join("\n")
    );
}

#[track_caller]
fn assert_clean(loaded: &Loaded) {
    let all: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
    assert!(
        all.is_empty(),
        "unexpected diagnostics:\n{}",
        all.join("\n")
    );
}

const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: main
    image: busybox
";

/// `POD` with `extra` appended to the container (indented 4 spaces).
fn pod_with_container(extra: &str) -> String {
    format!("{POD}{extra}")
}

#[test]
fn a_minimal_pod_loads_with_kubernetes_defaults() {
    let loaded = load_yaml(POD);
    assert_clean(&loaded);
    let pod = &loaded.manifests.pods[0];
    assert_eq!(pod.meta.name, "web");
    assert_eq!(pod.meta.namespace, "default");
    assert_eq!(pod.spec.restart_policy, RestartPolicy::Always);
    assert_eq!(pod.spec.termination_grace_period_seconds, 30);
    assert_eq!(pod.spec.containers[0].image_pull_policy, PullPolicy::Always);
    assert_eq!((pod.source.line, pod.source.column), (1, 1));
}

#[test]
fn a_tagged_image_defaults_to_if_not_present() {
    let loaded = load_yaml(&POD.replace("image: busybox", "image: busybox:1.36"));
    assert_eq!(
        loaded.manifests.pods[0].spec.containers[0].image_pull_policy,
        PullPolicy::IfNotPresent
    );
}

#[test]
fn a_full_pod_decodes_every_implemented_field() {
    let loaded = load_yaml(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: full
  namespace: team-a
  annotations:
    example.com/note: hi
spec:
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 5
  nodeSelector:
    disk: ssd
  nodeName: n1
  volumes:
  - name: data
    emptyDir: {}
  - name: host
    hostPath:
      path: /srv
      type: Directory
  - name: scratch
  containers:
  - name: app
    image: app:2
    imagePullPolicy: Never
    command: [sh, -c]
    args: ["echo hi"]
    workingDir: /work
    env:
    - name: MODE
      value: "5"
    ports:
    - name: http
      containerPort: 8080
      hostPort: 80
      protocol: UDP
      hostIP: 127.0.0.1
    resources:
      limits:
        cpu: 500m
        memory: 64Mi
      requests:
        cpu: 100m
    volumeMounts:
    - name: host
      mountPath: /data
      readOnly: true
      subPath: sub
"#,
    );
    assert_clean(&loaded);
    let pod = &loaded.manifests.pods[0];
    assert_eq!(pod.meta.namespace, "team-a");
    assert_eq!(pod.meta.annotations["example.com/note"], "hi");
    assert_eq!(pod.spec.restart_policy, RestartPolicy::OnFailure);
    assert_eq!(pod.spec.termination_grace_period_seconds, 5);
    assert_eq!(pod.spec.node_selector["disk"], "ssd");
    assert_eq!(pod.spec.node_name.as_deref(), Some("n1"));
    assert_eq!(pod.spec.volumes.len(), 3);
    assert!(
        matches!(&pod.spec.volumes[1].source, VolumeSource::HostPath(h) if h.path == "/srv" && h.kind == "Directory")
    );
    assert!(
        matches!(pod.spec.volumes[2].source, VolumeSource::EmptyDir(_)),
        "a volume without a source is an emptyDir"
    );
    let c = &pod.spec.containers[0];
    assert_eq!(c.image_pull_policy, PullPolicy::Never);
    assert_eq!(
        (c.command.clone(), c.args.clone()),
        (
            vec!["sh".to_string(), "-c".to_string()],
            vec!["echo hi".to_string()]
        )
    );
    assert_eq!(c.working_dir.as_deref(), Some("/work"));
    assert_eq!(
        c.env,
        vec![EnvVar {
            name: "MODE".into(),
            value: "5".into(),
            value_from: None,
        }]
    );
    let port = &c.ports[0];
    assert_eq!(
        (port.container_port, port.host_port, port.protocol),
        (8080, Some(80), Protocol::Udp)
    );
    assert_eq!(c.resources.requests["cpu"], "100m");
    assert_eq!(
        c.resources.requests["memory"], "64Mi",
        "requests default to limits"
    );
    assert_eq!(c.volume_mounts[0].sub_path.as_deref(), Some("sub"));
    assert!(c.volume_mounts[0].read_only);
}

const RC: &str = "\
apiVersion: v1
kind: ReplicationController
metadata:
  name: web
spec:
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: main
        image: busybox
";

#[test]
fn a_controller_defaults_to_one_replica_selected_by_its_template_labels() {
    let loaded = load_yaml(RC);
    assert_clean(&loaded);
    let rc = &loaded.manifests.controllers[0];
    assert_eq!(rc.replicas, 1);
    assert_eq!(rc.selector, rc.template.labels);
    assert_eq!(rc.template.labels["app"], "web");
}

const SERVICE: &str = "\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
";

#[test]
fn a_service_port_targets_itself_over_tcp_by_default() {
    let loaded = load_yaml(SERVICE);
    assert_clean(&loaded);
    let port = &loaded.manifests.services[0].ports[0];
    assert_eq!(
        (port.port, port.target_port.as_str(), port.protocol),
        (80, "80", Protocol::Tcp)
    );
}

#[test]
fn a_service_whose_port_differs_from_its_target_is_warned_about() {
    let loaded = load_yaml(&format!("{SERVICE}    targetPort: 8080\n"));
    assert!(!loaded.has_errors());
    assert!(
        warnings(&loaded)[0].contains("cannot remap ports"),
        "{:?}",
        warnings(&loaded)
    );
}

#[test]
fn the_seed_minion_example_loads_as_a_node_trailing_commas_and_all() {
    let text = include_str!("testdata/seed-minion.json");
    let loaded = load_text(Path::new("node.json"), text, LoadOptions::default());
    assert_clean(&loaded);
    let node = &loaded.manifests.nodes[0];
    assert_eq!(node.meta.name, "10.1.2.3");
    assert_eq!(node.meta.namespace, "");
    assert_eq!(node.meta.labels["name"], "my-first-k8s-node");
    assert_eq!(
        node.capacity["cpu"], "1000m",
        "v1beta1 cpu counts millicores"
    );
    assert_eq!(node.capacity["memory"], "1073741824");
}

#[test]
fn a_v1_node_reads_capacity_and_docker_host() {
    let loaded = load_yaml(
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: n2\n  annotations:\n    berth.io/docker-host: unix:///tmp/n2.sock\n\
status:\n  capacity:\n    cpu: \"2\"\n    memory: 2Gi\n    pods: \"110\"\n",
    );
    assert_clean(&loaded);
    let node = &loaded.manifests.nodes[0];
    assert_eq!(node.docker_host.as_deref(), Some("unix:///tmp/n2.sock"));
    assert_eq!(node.capacity["memory"], "2Gi");
}

#[test]
fn a_list_loads_each_item_and_locates_errors_inside_it() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n  spec:\n    ports: [{port: 80}]\n\
- apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n  spec:\n    containers:\n    - name: c\n      image: \"\"\n";
    let loaded = load_yaml(text);
    assert_eq!(loaded.manifests.services.len(), 1);
    assert_error(
        &loaded,
        "m.yaml:15:14: items[1].spec.containers[0].image: required field is empty",
    );
}

#[test]
fn several_documents_in_one_file_all_load() {
    let loaded = load_yaml(&format!(
        "{POD}---\n{}---\n",
        POD.replace("name: web\n  labels", "name: api\n  labels")
    ));
    assert_clean(&loaded);
    assert_eq!(loaded.manifests.pods.len(), 2);
    assert_eq!(loaded.manifests.pods[1].source.line, 12);
}

#[test]
fn duplicate_objects_in_one_file_are_errors_naming_the_first() {
    let loaded = load_yaml(&format!("{POD}---\n{POD}"));
    assert_error(
        &loaded,
        "m.yaml:12:1: metadata.name: duplicate Pod \"default/web\": also defined at m.yaml:1:1",
    );
}

#[test]
fn duplicate_keys_are_refused_with_both_lines() {
    let loaded = load_yaml(&POD.replace("  name: web\n", "  name: web\n  name: api\n"));
    assert_error(
        &loaded,
        "m.yaml:5:3: duplicate key \"name\" (first at line 4)",
    );
}

#[test]
fn a_yaml_syntax_error_names_file_line_and_column() {
    let loaded = load_yaml("apiVersion: v1\nkind: [Pod\n");
    let all = errors(&loaded);
    assert_eq!(all.len(), 1);
    assert!(
        all[0].starts_with("m.yaml:") && !all[0].starts_with("m.yaml:0"),
        "{all:?}"
    );
}

#[test]
fn an_alias_bomb_is_refused_fast() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let started = std::time::Instant::now();
    let loaded = load_yaml(&text);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_error(&loaded, "alias bomb");
}

#[test]
fn an_unknown_field_is_an_error_with_a_suggestion() {
    let loaded = load_yaml(&pod_with_container("    imagePullPolicyy: Always\n"));
    assert_error(&loaded, "m.yaml:11:5: spec.containers[0].imagePullPolicyy: unknown field \"imagePullPolicyy\" (did you mean \"imagePullPolicy\"?)");
}

#[test]
fn a_known_unsupported_field_is_a_warning_and_an_error_under_strict() {
    let text = pod_with_container("    lifecycle:\n      preStop: {exec: {command: [true]}}\n");
    let loaded = load_yaml(&text);
    assert!(!loaded.has_errors());
    assert_eq!(
        warnings(&loaded),
        vec!["m.yaml:11:5: spec.containers[0].lifecycle: not supported by berth; ignored"]
    );
    assert_error(
        &load_strict(&text),
        "spec.containers[0].lifecycle: not supported by berth",
    );
}

#[test]
fn known_fields_restating_defaults_pass_silently() {
    let text = format!(
        "{}status: {{}}\n",
        pod_with_container("    terminationMessagePath: /dev/termination-log\n    tty: false\n")
    );
    assert_clean(&load_strict(&text));
}

#[test]
fn an_unsupported_volume_warns_and_its_mount_is_ignored() {
    let text = format!(
        "{POD}    volumeMounts:\n    - name: cfg\n      mountPath: /etc/cfg\n  volumes:\n  - name: cfg\n    nfs:\n      server: 127.0.0.1\n      path: /x\n"
    );
    let loaded = load_yaml(&text);
    assert!(!loaded.has_errors(), "{:?}", errors(&loaded));
    assert_eq!(warnings(&loaded).len(), 2);
    assert!(loaded.manifests.pods[0].spec.containers[0]
        .volume_mounts
        .is_empty());
}

#[test]
fn legacy_layouts_are_refused_naming_the_v1_equivalent() {
    let loaded =
        load_yaml("apiVersion: v1beta1\nkind: Pod\nid: web\ndesiredState:\n  manifest: {}\n");
    assert_error(
        &loaded,
        "m.yaml:1:13: apiVersion: apiVersion v1beta1 (Pod) is the pre-1.0 (2014) Kubernetes format",
    );
    assert_error(&loaded, "m.yaml:4:1: desiredState: `desiredState` is the v1beta1/v1beta2 layout; use apiVersion: v1 with `spec`");
    let loaded = load_yaml(&format!("{POD}desiredState: {{}}\n"));
    assert_error(
        &loaded,
        "desiredState: `desiredState` is the v1beta1/v1beta2 layout",
    );
}

#[test]
fn kinds_berth_does_not_handle_are_warned_about_and_refused_under_strict() {
    let text = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: x}\n";
    let loaded = load_yaml(text);
    assert_eq!(
        warnings(&loaded),
        vec!["m.yaml:2:7: kind StatefulSet (apps/v1) is not supported by berth; ignored"]
    );
    assert!(load_strict(text).has_errors());
    assert_eq!(
        warnings(&load_yaml("apiVersion: v1\nkind: Namespace\n")).len(),
        1
    );
}

#[test]
fn an_unknown_kind_or_missing_type_fields_are_errors() {
    assert_error(
        &load_yaml("apiVersion: v1\nkind: Pood\n"),
        "m.yaml:2:7: kind: unknown kind \"Pood\" for apiVersion v1 (did you mean \"Pod\"?)",
    );
    assert_error(
        &load_yaml("apiVersion: v1\nkind: Deployment\n"),
        "use apiVersion: apps/v1",
    );
    let loaded = load_yaml("metadata: {name: x}\n");
    assert_error(&loaded, "m.yaml:1:1: apiVersion: required field is missing");
    assert_error(&loaded, "m.yaml:1:1: kind: required field is missing");
}

#[test]
fn json_indented_with_tabs_loads() {
    let text = "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Pod\",\n\t\"metadata\": {\"name\": \"t\"},\n\t\"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"i\"}]}\n}\n";
    let loaded = load_text(Path::new("p.json"), text, LoadOptions::default());
    assert_clean(&loaded);
}

#[test]
fn a_false_that_asks_for_something_is_still_warned_about() {
    let loaded = load_yaml(&POD.replace("spec:\n", "spec:\n  hostUsers: false\n"));
    assert_eq!(
        warnings(&loaded),
        vec!["m.yaml:8:3: spec.hostUsers: not supported by berth; ignored"]
    );
}

#[test]
fn a_typed_list_reads_like_a_list() {
    let text = "apiVersion: v1\nkind: PodList\nmetadata: {}\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    containers: [{name: c, image: i}]\n";
    let loaded = load_yaml(text);
    assert_clean(&loaded);
    assert_eq!(loaded.manifests.pods[0].source.line, 5);
}

mod files;
mod validate;
