//! Loader tests: kinds, defaults, legacy refusal, never-silent fields,
//! validation with exact locations, files and directories.

use std::path::{Path, PathBuf};

use super::*;

fn load_yaml(text: &str) -> Loaded {
    load_text(Path::new("m.yaml"), text, LoadOptions::default())
}

fn load_strict(text: &str) -> Loaded {
    load_text(Path::new("m.yaml"), text, LoadOptions { strict: true })
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
    - name: data
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
            value: "5".into()
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

#[test]
fn a_controller_selector_must_match_its_template_labels() {
    let loaded = load_yaml(&RC.replace(
        "spec:\n  template:",
        "spec:\n  replicas: 3\n  selector:\n    app: api\n  template:",
    ));
    assert_error(
        &loaded,
        "m.yaml:8:5: spec.selector: selector does not match template labels",
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
    assert!(started.elapsed() < std::time::Duration::from_millis(500));
    assert_error(&loaded, "alias bomb");
}

#[test]
fn an_unknown_field_is_an_error_with_a_suggestion() {
    let loaded = load_yaml(&pod_with_container("    imagePullPolicyy: Always\n"));
    assert_error(&loaded, "m.yaml:11:5: spec.containers[0].imagePullPolicyy: unknown field \"imagePullPolicyy\" (did you mean \"imagePullPolicy\"?)");
}

#[test]
fn a_known_unsupported_field_is_a_warning_and_an_error_under_strict() {
    let text = pod_with_container("    livenessProbe:\n      exec: {command: [true]}\n");
    let loaded = load_yaml(&text);
    assert!(!loaded.has_errors());
    assert_eq!(
        warnings(&loaded),
        vec!["m.yaml:11:5: spec.containers[0].livenessProbe: not supported by berth; ignored"]
    );
    assert_error(
        &load_strict(&text),
        "spec.containers[0].livenessProbe: not supported by berth",
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
        "{POD}    volumeMounts:\n    - name: cfg\n      mountPath: /etc/cfg\n  volumes:\n  - name: cfg\n    configMap:\n      name: app\n"
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
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n";
    let loaded = load_yaml(text);
    assert_eq!(
        warnings(&loaded),
        vec!["m.yaml:2:7: kind Deployment (apps/v1) is not supported by berth; ignored"]
    );
    assert!(load_strict(text).has_errors());
    assert_eq!(
        warnings(&load_yaml("apiVersion: v1\nkind: ConfigMap\n")).len(),
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
fn type_errors_name_the_path_and_what_was_expected() {
    let loaded = load_yaml(&pod_with_container(
        "    ports:\n    - containerPort: \"80\"\n    env:\n    - name: N\n      value: 5\n    - name: B\n      value: yes\n    stdin: yes\n",
    ));
    assert_error(&loaded, "m.yaml:12:22: spec.containers[0].ports[0].containerPort: expected integer, found string \"80\"");
    assert_error(
        &loaded,
        "m.yaml:15:14: spec.containers[0].env[0].value: expected string, found integer 5",
    );
    assert_eq!(
        errors(&loaded).len(),
        2,
        "`value: yes` is the string \"yes\""
    );
    assert_eq!(
        warnings(&loaded),
        vec!["m.yaml:18:5: spec.containers[0].stdin: not supported by berth; ignored"]
    );
}

#[test]
fn a_plain_yes_where_a_boolean_is_expected_is_a_type_error() {
    let text = format!("{POD}    volumeMounts:\n    - name: v\n      mountPath: /v\n      readOnly: yes\n  volumes:\n  - name: v\n");
    assert_error(
        &load_yaml(&text),
        "volumeMounts[0].readOnly: expected boolean (true or false), found string \"yes\"",
    );
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
    - name: 1BAD
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
        "m.yaml:23:13: spec.containers[0].env[0].name: invalid environment variable name \"1BAD\"",
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
fn json_indented_with_tabs_loads() {
    let text = "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Pod\",\n\t\"metadata\": {\"name\": \"t\"},\n\t\"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"i\"}]}\n}\n";
    let loaded = load_text(Path::new("p.json"), text, LoadOptions::default());
    assert_clean(&loaded);
}

struct Tree(tempfile::TempDir);

impl Tree {
    fn new(files: &[(&str, &str)]) -> Tree {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Tree(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

#[test]
fn a_directory_is_read_recursively_in_sorted_order_skipping_hidden_and_other_files() {
    let named = |name: &str| POD.replace("name: web", &format!("name: {name}"));
    let tree = Tree::new(&[
        ("b.yaml", &named("b")),
        ("a/z.yml", &named("az")),
        ("c.json", &named("c")),
        (".hidden.yaml", &named("hidden")),
        (".git/x.yaml", &named("git")),
        ("d.yaml-bak", &named("bak")),
        ("notes.txt", "not yaml"),
    ]);
    let loaded = load(&[tree.0.path().to_path_buf()], LoadOptions::default());
    assert_clean(&loaded);
    let names: Vec<&str> = loaded
        .manifests
        .pods
        .iter()
        .map(|p| p.meta.name.as_str())
        .collect();
    assert_eq!(names, ["az", "b", "c"]);
    assert_eq!(loaded.files, 3);
}

#[test]
fn an_explicitly_named_file_is_read_whatever_its_name_and_a_missing_path_is_an_error() {
    let tree = Tree::new(&[("pod.txt", POD)]);
    let loaded = load(
        &[tree.path("pod.txt"), tree.path("absent.yaml")],
        LoadOptions::default(),
    );
    assert_eq!(loaded.manifests.pods.len(), 1);
    assert_error(&loaded, "absent.yaml:0:0: cannot read");
}

#[test]
fn duplicates_across_files_name_both_files() {
    let tree = Tree::new(&[("a.yaml", POD), ("b.yaml", POD)]);
    let loaded = load(&[tree.0.path().to_path_buf()], LoadOptions::default());
    let a = tree.path("a.yaml").display().to_string();
    let b = tree.path("b.yaml").display().to_string();
    assert_error(
        &loaded,
        &format!("{b}:1:1: metadata.name: duplicate Pod \"default/web\": also defined at {a}:1:1"),
    );
}

#[test]
fn many_files_load_in_order_on_several_threads() {
    let files: Vec<(String, String)> = (0..64)
        .map(|i| {
            (
                format!("p{i:02}.yaml"),
                POD.replace("name: web", &format!("name: web-{i:02}")),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let tree = Tree::new(&refs);
    let loaded = load(&[tree.0.path().to_path_buf()], LoadOptions::default());
    assert_clean(&loaded);
    let names: Vec<String> = loaded
        .manifests
        .pods
        .iter()
        .map(|p| p.meta.name.clone())
        .collect();
    let want: Vec<String> = (0..64).map(|i| format!("web-{i:02}")).collect();
    assert_eq!(names, want);
}
