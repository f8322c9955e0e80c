//! The downward API on a real engine: every env `fieldRef` berth supports
//! and `resourceFieldRef` (with a limit, and without one: the node's
//! allocatable) read inside the container with `docker exec … env` equal
//! what `berth get pod NAME -o json` and `docker info` report.

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::Value;

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: downward
  labels: {k: label-value}
  annotations: {k: annotation-value}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: main
    image: IMAGE
    imagePullPolicy: Never
    command: [sleep, '3600']
    resources:
      limits: {memory: 64Mi}
    env:
    - {name: NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}
    - {name: LABEL, valueFrom: {fieldRef: {fieldPath: \"metadata.labels['k']\"}}}
    - {name: ANNOTATION, valueFrom: {fieldRef: {fieldPath: \"metadata.annotations['k']\"}}}
    - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
    - {name: SA, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: POD_IPS, valueFrom: {fieldRef: {fieldPath: status.podIPs}}}
    - {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}
    - {name: HOST_IPS, valueFrom: {fieldRef: {fieldPath: status.hostIPs}}}
    - {name: HOST_URL, value: 'http://$(HOST_IP):8125'}
    - {name: MEM_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: CPU, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
    - {name: CPU_M, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}}
    - {name: SIDE_MEM_MI, valueFrom: {resourceFieldRef: {containerName: side, resource: limits.memory, divisor: 1Mi}}}
    - {name: SIDE_REQ_CPU_M, valueFrom: {resourceFieldRef: {containerName: side, resource: requests.cpu, divisor: 1m}}}
  - name: side
    image: IMAGE
    imagePullPolicy: Never
    command: [sleep, '3600']
";

/// The container's environment as `env` prints it, by name.
fn env_of(container: &str) -> BTreeMap<String, String> {
    docker(&["exec", container, "env"])
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `berth get pod NAME -o json`.
fn get_pod(project: &Project, name: &str) -> Value {
    let out = in_project(project, &["get", "pod", name, "-o", "json"]);
    assert_exit(&out, 0);
    serde_json::from_str(&out.stdout).expect("get pod -o json is JSON")
}

/// The engine's cpus and memory (`docker info`): the node's allocatable.
fn engine_cpus_and_memory() -> (i128, i128) {
    let info = docker(&["info", "--format", "{{.NCPU}} {{.MemTotal}}"]);
    let mut words = info.split_whitespace().map(|w| w.parse::<i128>().unwrap());
    (words.next().unwrap(), words.next().unwrap())
}

#[test]
fn env_from_the_downward_api_agrees_with_get_pod_json() {
    let project = Project::new("downward");
    let dir = ManifestDir::new();
    dir.write("pod.yaml", &POD.replace("IMAGE", TEST_IMAGE));
    apply_ok(&project, &dir);
    let env = env_of(&container_name(&project, "downward", "main"));
    let got = |k: &str| {
        env.get(k)
            .cloned()
            .unwrap_or_else(|| panic!("{k} not in the env: {env:?}"))
    };
    let pod = get_pod(&project, "downward");
    let reported = |pointer: &str| {
        pod.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("get -o json has no {pointer}: {pod:#}"))
            .to_string()
    };
    assert_eq!(got("NAME"), reported("/metadata/name"));
    assert_eq!(got("NAMESPACE"), reported("/metadata/namespace"));
    assert_eq!(got("UID"), reported("/metadata/uid"));
    assert_eq!(got("LABEL"), reported("/metadata/labels/k"));
    assert_eq!(got("ANNOTATION"), reported("/metadata/annotations/k"));
    assert_eq!(got("ANNOTATION"), "annotation-value");
    assert_eq!(got("NODE"), reported("/spec/nodeName"));
    assert_eq!(got("SA"), "default", "berth has no service accounts");
    assert_eq!(got("POD_IP"), reported("/status/podIP"));
    assert_eq!(got("POD_IPS"), reported("/status/podIPs/0/ip"));
    assert_eq!(got("HOST_IP"), reported("/status/hostIP"));
    assert_eq!(got("HOST_IPS"), reported("/status/hostIPs/0/ip"));
    assert_eq!(got("HOST_URL"), format!("http://{}:8125", got("HOST_IP")));
    // The host's address is the pod network's gateway: the pod reaches it.
    let gateway = docker(&[
        "network",
        "inspect",
        "--format",
        "{{range .IPAM.Config}}{{.Gateway}}{{end}}",
        &format!("berth_{}_default", project.name),
    ]);
    assert_eq!(got("HOST_IP"), gateway.trim());
    assert_ne!(got("HOST_IP"), got("POD_IP"));

    let (cpus, memory) = engine_cpus_and_memory();
    // The implicit node `local` reports its engine's cpus as allocatable.
    let nodes = in_project(&project, &["get", "nodes", "-o", "json"]);
    let nodes: Value = serde_json::from_str(&nodes.stdout).expect("get nodes -o json");
    let local = &nodes["items"][0];
    assert_eq!(local["metadata"]["name"], "local");
    assert_eq!(local["status"]["allocatable"]["cpu"], cpus.to_string());
    assert_eq!(got("MEM_MI"), "64", "the container's own limit");
    assert_eq!(
        got("CPU"),
        cpus.to_string(),
        "no cpu limit: the node's cpus"
    );
    assert_eq!(got("CPU_M"), (cpus * 1000).to_string());
    let mebi = 1 << 20;
    let side_mem = (memory + mebi - 1) / mebi;
    assert_eq!(got("SIDE_MEM_MI"), side_mem.to_string(), "rounded up");
    assert_eq!(got("SIDE_REQ_CPU_M"), "0", "no request and no limit");

    // The node's values are not part of the spec hash: nothing to do.
    assert_exit(&diff(&project, &dir), 0);
}

#[test]
fn a_declared_nodes_capacity_is_the_allocatable_a_pod_without_limits_reads() {
    let project = Project::new("downnode");
    let dir = ManifestDir::new();
    let endpoint = berth::engine::docker::default_endpoint();
    let (cpus, _) = engine_cpus_and_memory();
    // A capacity unlike the engine's, so the test tells them apart.
    let declared = cpus + 3;
    dir.write(
        "node.yaml",
        &format!(
            "apiVersion: v1
kind: Node
metadata:
  name: n1
  annotations:
    berth.io/docker-host: {endpoint}
status:
  capacity: {{cpu: '{declared}', memory: 5Gi}}
"
        ),
    );
    dir.write(
        "pod.yaml",
        &format!(
            "apiVersion: v1
kind: Pod
metadata:
  name: sized
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: main
    image: {TEST_IMAGE}
    imagePullPolicy: Never
    command: [sleep, '3600']
    env:
    - {{name: CPU, valueFrom: {{resourceFieldRef: {{resource: limits.cpu}}}}}}
    - {{name: MEM_MI, valueFrom: {{resourceFieldRef: {{resource: limits.memory, divisor: 1Mi}}}}}}
    - {{name: NODE, valueFrom: {{fieldRef: {{fieldPath: spec.nodeName}}}}}}
    - {{name: HOST_IP, valueFrom: {{fieldRef: {{fieldPath: status.hostIP}}}}}}
"
        ),
    );
    apply_ok(&project, &dir);
    let env = env_of(&container_name(&project, "sized", "main"));
    let got = |k: &str| env.get(k).map(String::as_str);
    let declared = declared.to_string();
    assert_eq!(got("CPU"), Some(declared.as_str()), "the Node's capacity");
    assert_eq!(got("MEM_MI"), Some("5120"));
    assert_eq!(got("NODE"), Some("n1"));
    let pod = get_pod(&project, "sized");
    assert_eq!(got("HOST_IP"), pod["status"]["hostIP"].as_str());
    // What berth shows for the declared node.
    let path = dir.path().to_str().unwrap();
    let nodes = berth(&["get", "nodes", "-f", path, "-o", "json"]);
    let nodes: Value = serde_json::from_str(&nodes.stdout).expect("get nodes -o json");
    assert_eq!(nodes["items"][0]["status"]["capacity"]["cpu"], declared);
}
