//! Pods on a real Docker engine through the `berth` binary (issue #3): a
//! pod's containers share localhost and volumes; diff and apply converge
//! and are idempotent; repairs, pruning, guards and bad input.

mod common;

use std::time::Duration;

use common::*;

/// Applies and panics unless berth exits 0.
fn applied(project: &Project, dir: &ManifestDir) -> Output {
    apply_ok(project, dir)
}

/// A pod whose `sleeper` containers run `sleep` (grace period 0).
fn sleeper_pod(name: &str, containers: usize) -> String {
    let mut text = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n  \
         terminationGracePeriodSeconds: 0\n  containers:\n"
    );
    for i in 0..containers {
        text.push_str(&format!(
            "  - name: c{i}\n    image: {TEST_IMAGE}\n    imagePullPolicy: Never\n    \
             command: [\"sleep\", \"3600\"]\n"
        ));
    }
    text
}

const SHARED: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  terminationGracePeriodSeconds: 0
  volumes:
  - name: shared
    emptyDir: {}
  containers:
  - name: server
    image: IMAGE
    imagePullPolicy: Never
    command: [sh, -c, 'echo hello > /www/index.html && exec httpd -f -p 8080 -h /www']
    volumeMounts:
    - {name: shared, mountPath: /www}
  - name: client
    image: IMAGE
    imagePullPolicy: Never
    command: [sh, -c, 'while true; do wget -q -O /data/got.txt http://127.0.0.1:8080/index.html; sleep 0.2; done']
    volumeMounts:
    - {name: shared, mountPath: /data}
";

#[test]
fn containers_of_a_pod_share_localhost_and_an_empty_dir() {
    let project = Project::new("share");
    let dir = ManifestDir::new();
    dir.write("web.yaml", &SHARED.replace("IMAGE", TEST_IMAGE));
    applied(&project, &dir);
    // The client fetched over 127.0.0.1 and wrote into the volume; the
    // server sees the file in its own mount of it.
    let server = container_name(&project, "web", "server");
    let seen = wait_until(Duration::from_secs(10), || {
        try_docker(&["exec", &server, "cat", "/www/got.txt"]).is_ok_and(|text| text == "hello")
    });
    assert!(
        seen,
        "the server never saw the client's fetch in the shared volume"
    );
}

/// `docker inspect NAME` as JSON.
fn inspect(name: &str) -> serde_json::Value {
    let text = docker(&["inspect", "--format", "{{json .}}", name]);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("inspect {name}: {e}: {text}"))
}

/// The raw response to `GET path` on 127.0.0.1:`port`, if any.
fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

const MAPPED: &str = "apiVersion: v1
kind: Pod
metadata:
  name: mapped
  labels: {app: mapped, tier: front}
spec:
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 3
  volumes:
  - {name: scratch, emptyDir: {}}
  - name: host
    hostPath: {path: HOSTDIR/made, type: DirectoryOrCreate}
  containers:
  - name: srv
    image: IMAGE
    imagePullPolicy: Never
    command: [sh, -c]
    args: ['echo $(GREETING) $$(GREETING) > /www/index.html; exec httpd -f -p 8080 -h /www']
    workingDir: /tmp
    env:
    - {name: GREETING, value: hello}
    - {name: DERIVED, value: $(GREETING)-world}
    ports:
    - {containerPort: 8080, hostPort: HOSTPORT}
    resources:
      limits: {memory: 64Mi, cpu: 500m}
    volumeMounts:
    - {name: scratch, mountPath: /www}
    - {name: host, mountPath: /host}
";

#[test]
fn a_pod_maps_to_docker_as_kubernetes_says() {
    let project = Project::new("mapped");
    let dir = ManifestDir::new();
    let host = tempfile::tempdir().unwrap();
    let port = 20000 + std::process::id() % 20000;
    let text = MAPPED
        .replace("IMAGE", TEST_IMAGE)
        .replace("HOSTDIR", host.path().to_str().unwrap())
        .replace("HOSTPORT", &port.to_string());
    dir.write("pod.yaml", &text);
    applied(&project, &dir);
    assert!(
        host.path().join("made").is_dir(),
        "DirectoryOrCreate made the directory"
    );
    let srv = inspect(&container_name(&project, "mapped", "srv"));
    let infra = inspect(&container_name(&project, "mapped", "POD"));
    let config = &srv["Config"];
    assert_eq!(config["Entrypoint"], serde_json::json!(["sh", "-c"]));
    let script = "echo hello $(GREETING) > /www/index.html; exec httpd -f -p 8080 -h /www";
    assert_eq!(config["Cmd"], serde_json::json!([script]));
    assert_eq!(config["WorkingDir"], "/tmp");
    let env: Vec<&str> = config["Env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        env.contains(&"GREETING=hello") && env.contains(&"DERIVED=hello-world"),
        "{env:?}"
    );
    let host_config = &srv["HostConfig"];
    assert_eq!(host_config["Memory"], 64 * 1024 * 1024);
    assert_eq!(host_config["NanoCpus"], 500_000_000);
    assert_eq!(host_config["RestartPolicy"]["Name"], "on-failure");
    assert_eq!(config["StopTimeout"], 3);
    let labels = &config["Labels"];
    for (key, value) in [
        ("io.berth.managed-by", "berth"),
        ("io.berth.project", project.name.as_str()),
        ("io.berth.namespace", "default"),
        ("io.berth.pod", "mapped"),
        ("io.berth.container", "srv"),
        ("io.berth.node", "local"),
        ("app", "mapped"),
        ("tier", "front"),
    ] {
        assert_eq!(labels[key], value, "label {key}");
    }
    assert_eq!(infra["Config"]["Labels"]["io.berth.container"], "POD");
    let bindings = &infra["HostConfig"]["PortBindings"]["8080/tcp"][0];
    assert_eq!(bindings["HostPort"], port.to_string());
    let served = wait_until(Duration::from_secs(10), || {
        http_get(port as u16, "/index.html").is_some_and(|r| r.ends_with("hello\n"))
    });
    assert!(served, "nothing answers on the host port {port}");
    let by_label = docker(&[
        "ps",
        "-q",
        "--filter",
        "label=app=mapped",
        "--filter",
        &format!("label={}", project.label()),
    ]);
    assert_eq!(
        by_label.lines().count(),
        2,
        "infra and srv carry the pod's labels"
    );
}

/// Pod `name` running once the project's image (ENTRYPOINT `echo EP`, CMD
/// `imgcmd`) with `fields` (`command:`/`args:` lines, or none).
fn echo_pod(project: &Project, name: &str, fields: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  restartPolicy: Never\n  \
         terminationGracePeriodSeconds: 0\n  containers:\n  - name: c\n    image: {}\n    \
         imagePullPolicy: Never\n{fields}",
        project.image()
    )
}

#[test]
fn command_and_args_replace_the_image_entrypoint_and_cmd_as_kubernetes_says() {
    let project = Project::new("cmd-args");
    import_busybox_as(
        &project.image(),
        &[
            r#"ENTRYPOINT ["/bin/busybox", "echo", "EP"]"#,
            r#"CMD ["imgcmd"]"#,
        ],
    );
    let dir = ManifestDir::new();
    let command = "    command: [/bin/busybox, echo, C]\n";
    let args = "    args: [A, $(X), $$(X)]\n    env: [{name: X, value: x}]\n";
    let cases = [
        ("neither", String::new(), "EP imgcmd"),
        ("command", command.to_string(), "C"),
        ("args", args.to_string(), "EP A x $(X)"),
        ("both", format!("{command}{args}"), "C A x $(X)"),
    ];
    for (name, fields, _) in &cases {
        dir.write(&format!("{name}.yaml"), &echo_pod(&project, name, fields));
    }
    applied(&project, &dir);
    for (name, _, said) in cases {
        let container = container_name(&project, name, "c");
        let logs = || try_docker(&["logs", &container]).unwrap_or_default();
        let done = wait_until(Duration::from_secs(10), || !logs().is_empty());
        assert!(done, "{name} printed nothing");
        assert_eq!(logs(), said, "{name}");
    }
}

#[test]
fn diff_is_clean_after_apply_and_shows_an_edit() {
    let project = Project::new("diff");
    let dir = ManifestDir::new();
    dir.write("pod.yaml", &sleeper_pod("calm", 1));
    let before = diff(&project, &dir);
    assert_exit(&before, 1);
    assert_says(&before.stdout, "+ pod default/calm");
    applied(&project, &dir);
    let after = diff(&project, &dir);
    assert_exit(&after, 0);
    assert_eq!(
        after.stdout, "",
        "in sync, diff prints nothing (as kubectl)"
    );
    dir.write(
        "pod.yaml",
        &sleeper_pod("calm", 1).replace("\"3600\"", "\"7200\""),
    );
    let edited = diff(&project, &dir);
    assert_exit(&edited, 1);
    assert_says(&edited.stdout, "~ pod default/calm");
    assert!(
        edited
            .stdout
            .lines()
            .any(|l| l.starts_with('+') && l.contains("7200")),
        "{}",
        edited.stdout
    );
    assert!(
        edited
            .stdout
            .lines()
            .any(|l| l.starts_with('-') && l.contains("3600")),
        "{}",
        edited.stdout
    );
}

#[test]
fn a_second_apply_touches_no_container() {
    let project = Project::new("idem");
    let dir = ManifestDir::new();
    dir.write("a.yaml", &sleeper_pod("a", 2));
    dir.write("b.yaml", &sleeper_pod("b", 1));
    applied(&project, &dir);
    let ids = container_ids(&project);
    let (touched, second) = container_actions_during(&project, || applied(&project, &dir));
    assert_says(&second.stdout, "0 created");
    assert!(
        touched.is_empty(),
        "second apply touched containers: {touched:?}"
    );
    assert_eq!(container_ids(&project), ids);
}

/// The full id of container `name`.
fn id_of(name: &str) -> String {
    docker(&["inspect", "--format", "{{.Id}}", name])
}

#[test]
fn members_stopped_or_removed_are_repaired_in_place_and_a_lost_infra_recreates_the_pod() {
    let project = Project::new("heal-in-place");
    let dir = ManifestDir::new();
    dir.write("pod.yaml", &sleeper_pod("trio", 3));
    applied(&project, &dir);
    let name = |c: &str| container_name(&project, "trio", c);
    let (infra, calm) = (id_of(&name("POD")), id_of(&name("c0")));
    docker(&["stop", "-t", "0", &name("c1")]);
    docker(&["rm", "-f", &name("c2")]);
    let output = applied(&project, &dir);
    assert_says(&output.stdout, "0 unchanged, 1 repaired");
    assert_eq!(
        id_of(&name("POD")),
        infra,
        "the pod keeps its infra container"
    );
    assert_eq!(id_of(&name("c0")), calm, "a healthy member is left alone");
    for c in ["c1", "c2"] {
        let running = docker(&["inspect", "--format", "{{.State.Running}}", &name(c)]);
        assert_eq!(running, "true", "{c} runs again");
    }
    let heals: Vec<String> = live_events(&project)
        .iter()
        .filter(|e| e["reason"] == "SelfHeal")
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(heals.len(), 2, "one self-heal event per repair: {heals:?}");
    docker(&["rm", "-f", &name("POD")]);
    applied(&project, &dir);
    assert_ne!(
        id_of(&name("c0")),
        calm,
        "without its infra the whole pod is recreated"
    );
    let ids = container_ids(&project);
    assert_eq!(ids.len(), 4);
    let (touched, again) = container_actions_during(&project, || applied(&project, &dir));
    assert_says(
        &again.stdout,
        "0 created, 0 recreated, 0 removed, 1 unchanged",
    );
    assert!(
        touched.is_empty(),
        "the apply after the repair touched {touched:?}"
    );
    assert_eq!(container_ids(&project), ids);
}

#[test]
fn a_broken_file_stops_apply_before_anything_changes() {
    let project = Project::new("broken");
    let dir = ManifestDir::new();
    dir.write("good.yaml", &sleeper_pod("good", 1));
    applied(&project, &dir);
    let ids = container_ids(&project);
    let bad = dir.write("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n  - name: x\n    imagee: y\n");
    std::fs::remove_file(dir.path().join("good.yaml")).unwrap();
    let output = apply(&project, &dir);
    assert_exit(&output, 2);
    let located = format!("{}:8:", bad.display());
    assert!(
        output.stderr.contains(&located),
        "no {located} in: {}",
        output.stderr
    );
    assert_eq!(
        container_ids(&project),
        ids,
        "containers changed although the input was invalid"
    );
}

#[test]
fn removing_a_file_removes_its_pod_and_leaves_other_projects_alone() {
    let (mine, theirs) = (Project::new("prune-mine"), Project::new("prune-theirs"));
    let (dir, other) = (ManifestDir::new(), ManifestDir::new());
    dir.write("keep.yaml", &sleeper_pod("keep", 1));
    dir.write("gone.yaml", &sleeper_pod("gone", 1));
    other.write("gone.yaml", &sleeper_pod("gone", 1));
    applied(&mine, &dir);
    applied(&theirs, &other);
    let their_ids = container_ids(&theirs);
    dir.remove("gone.yaml");
    let output = applied(&mine, &dir);
    assert_says(&output.stdout, "- pod default/gone");
    assert!(try_docker(&["inspect", &container_name(&mine, "gone", "c0")]).is_err());
    assert!(try_docker(&["inspect", &container_name(&mine, "keep", "c0")]).is_ok());
    assert_eq!(container_ids(&theirs), their_ids);
}

#[test]
fn no_prune_keeps_an_undeclared_pod_and_says_so() {
    let project = Project::new("noprune");
    let dir = ManifestDir::new();
    dir.write("keep.yaml", &sleeper_pod("keep", 1));
    dir.write("left.yaml", &sleeper_pod("left", 1));
    applied(&project, &dir);
    let ids = container_ids(&project);
    dir.remove("left.yaml");
    let output = apply_with(&project, &dir, &["--no-prune"]);
    assert_exit(&output, 0);
    assert_says(
        &output.stdout,
        "= pod default/left kept (not declared; --no-prune)",
    );
    assert_says(&output.stdout, ", 1 kept (not declared)");
    assert_eq!(container_ids(&project), ids);
}

#[test]
fn an_empty_directory_deletes_nothing_without_allow_empty() {
    let project = Project::new("empty");
    let dir = ManifestDir::new();
    dir.write("pod.yaml", &sleeper_pod("lonely", 1));
    applied(&project, &dir);
    let ids = container_ids(&project);
    dir.remove("pod.yaml");
    let preview = diff(&project, &dir);
    assert_exit(&preview, 1);
    assert_says(&preview.stderr, "unless given --allow-empty");
    let refused = apply(&project, &dir);
    assert_exit(&refused, 2);
    assert_says(&refused.stderr, "--allow-empty");
    assert_eq!(container_ids(&project), ids);
    let allowed = apply_with(&project, &dir, &["--allow-empty"]);
    assert_exit(&allowed, 0);
    assert!(container_ids(&project).is_empty());
}

#[test]
fn a_missing_image_with_pull_policy_never_leaves_the_pod_pending() {
    let project = Project::new("noimage");
    let dir = ManifestDir::new();
    let missing = format!("localhost/{}-missing:1", project.name);
    dir.write(
        "pod.yaml",
        &sleeper_pod("ghost", 1).replace(TEST_IMAGE, &missing),
    );
    let output = apply(&project, &dir);
    assert_exit(&output, 1);
    let said = &output.stderr;
    assert!(
        said.contains("pod default/ghost stays Pending (ErrImageNeverPull)"),
        "{said}"
    );
    assert!(said.contains(&missing), "{said}");
    // Only the infra container holds the pod's place (see tests/images.rs).
    assert_eq!(
        project.containers(),
        [container_name(&project, "ghost", "POD")],
        "{:?}",
        project.containers()
    );
}

#[test]
fn a_pod_whose_node_selector_matches_no_node_stays_pending_until_the_node_carries_the_label() {
    let project = Project::new("select");
    let dir = ManifestDir::new();
    let pod = sleeper_pod("picky", 1).replace("spec:\n", "spec:\n  nodeSelector:\n    disk: ssd\n");
    dir.write("pod.yaml", &pod);
    let refused = apply(&project, &dir);
    assert_exit(&refused, 1);
    assert_says(
        &refused.stderr,
        "stays Pending (Unschedulable): 0/1 nodes are available: \
         1 node(s) didn't match Pod's node affinity/selector.",
    );
    assert!(container_ids(&project).is_empty());
    dir.write(
        "node.yaml",
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: local\n  labels:\n    disk: ssd\n",
    );
    applied(&project, &dir);
    assert_eq!(container_ids(&project).len(), 2);
}

#[test]
fn a_pod_requesting_more_cpu_than_the_machine_has_stays_pending_and_one_that_fits_runs() {
    let project = Project::new("capacity");
    let dir = ManifestDir::new();
    let requesting = |name: &str, cpu: &str| {
        sleeper_pod(name, 1).replace(
            "    imagePullPolicy: Never\n",
            &format!("    imagePullPolicy: Never\n    resources:\n      requests:\n        cpu: \"{cpu}\"\n"),
        )
    };
    dir.write("greedy.yaml", &requesting("greedy", "512"));
    dir.write("modest.yaml", &requesting("modest", "100m"));
    let refused = apply(&project, &dir);
    assert_exit(&refused, 1);
    let why = "stays Pending (Unschedulable): 0/1 nodes are available: 1 Insufficient cpu.";
    let line = refused.stderr.lines().find(|l| l.contains(why));
    assert!(
        line.is_some_and(|l| l.contains("pod default/greedy")),
        "no {why:?} about pod default/greedy in:\n{}",
        refused.stderr
    );
    assert_eq!(
        project.containers(),
        [
            container_name(&project, "modest", "POD"),
            container_name(&project, "modest", "c0"),
        ]
    );
    wait_for_pod(
        &project,
        "modest",
        Duration::from_secs(20),
        "Running",
        |pod| pod["status"]["phase"] == "Running",
    );
}
