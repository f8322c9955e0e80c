//! Probe loading: handlers, Kubernetes' defaults, the API server's checks
//! with their file:line:column and field path.

use std::path::Path;

use super::*;

const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: busybox:1
    ports:
    - {name: http, containerPort: 8080}
";

fn load(extra: &str) -> Loaded {
    load_text(
        Path::new("m.yaml"),
        &format!("{POD}{extra}"),
        LoadOptions::default(),
    )
}

fn diagnostics(loaded: &Loaded) -> Vec<String> {
    loaded.diagnostics.iter().map(ToString::to_string).collect()
}

fn container(loaded: &Loaded) -> &Container {
    assert!(!loaded.has_errors(), "{:?}", diagnostics(loaded));
    &loaded.manifests.pods[0].spec.containers[0]
}

#[test]
fn an_exec_probe_gets_kubernetes_default_timings() {
    let loaded = load("    livenessProbe:\n      exec: {command: [test, -f, /tmp/alive]}\n");
    let probe = container(&loaded).liveness_probe.clone().expect("a probe");
    let command = ["test", "-f", "/tmp/alive"].map(String::from).to_vec();
    assert_eq!(probe, Probe::new(ProbeHandler::Exec { command }));
    assert_eq!(
        (
            probe.period_seconds,
            probe.timeout_seconds,
            probe.failure_threshold
        ),
        (10, 1, 3)
    );
    assert!(
        diagnostics(&loaded).is_empty(),
        "{:?}",
        diagnostics(&loaded)
    );
}

#[test]
fn an_http_probe_resolves_a_named_port_and_defaults_its_path() {
    let loaded = load(
        "    readinessProbe:\n      httpGet: {port: http, httpHeaders: [{name: X-A, value: b}]}\n      periodSeconds: 2\n      successThreshold: 2\n",
    );
    let probe = container(&loaded).readiness_probe.clone().expect("a probe");
    let ProbeHandler::HttpGet(get) = &probe.handler else {
        panic!("not httpGet: {probe:?}");
    };
    assert_eq!(get.path, "/");
    assert_eq!(get.port, ProbePort::Name("http".into()));
    assert_eq!(get.port_number, 8080);
    assert_eq!(get.http_headers[0].name, "X-A");
    assert_eq!((probe.period_seconds, probe.success_threshold), (2, 2));
}

#[test]
fn a_tcp_probe_takes_a_port_number() {
    let loaded =
        load("    startupProbe:\n      tcpSocket: {port: 9000}\n      failureThreshold: 30\n");
    let probe = container(&loaded).startup_probe.clone().expect("a probe");
    assert_eq!(
        probe.handler,
        ProbeHandler::TcpSocket {
            port: ProbePort::Number(9000),
            port_number: 9000
        }
    );
    assert_eq!(probe.failure_threshold, 30);
}

#[test]
fn a_probe_without_a_handler_is_refused_at_its_place() {
    let loaded = load("    livenessProbe:\n      periodSeconds: 5\n");
    assert_eq!(
        diagnostics(&loaded),
        vec!["m.yaml:12:7: spec.containers[0].livenessProbe: must specify a handler type"]
    );
}

#[test]
fn two_handlers_are_refused_with_the_api_servers_words() {
    let loaded = load(
        "    readinessProbe:\n      exec: {command: [\"true\"]}\n      tcpSocket: {port: 80}\n",
    );
    assert_eq!(
        diagnostics(&loaded),
        vec!["m.yaml:13:18: spec.containers[0].readinessProbe.tcpSocket: may not specify more than 1 handler type"]
    );
}

#[test]
fn liveness_and_startup_need_a_success_threshold_of_one() {
    for kind in ["livenessProbe", "startupProbe"] {
        let loaded = load(&format!(
            "    {kind}:\n      exec: {{command: [\"true\"]}}\n      successThreshold: 2\n"
        ));
        assert_eq!(
            diagnostics(&loaded),
            vec![format!(
                "m.yaml:13:25: spec.containers[0].{kind}.successThreshold: must be 1 (found 2)"
            )]
        );
    }
}

#[test]
fn timings_below_their_minimum_are_errors() {
    let loaded = load(
        "    readinessProbe:\n      exec: {command: [\"true\"]}\n      periodSeconds: -1\n      initialDelaySeconds: -5\n",
    );
    assert_eq!(
        diagnostics(&loaded),
        vec![
            "m.yaml:13:22: spec.containers[0].readinessProbe.periodSeconds: must be greater than or equal to 1 (found -1)",
            "m.yaml:14:28: spec.containers[0].readinessProbe.initialDelaySeconds: must be greater than or equal to 0 (found -5)",
        ]
    );
}

#[test]
fn an_unknown_port_name_says_what_to_do() {
    let loaded = load("    readinessProbe:\n      tcpSocket: {port: web}\n");
    assert_eq!(
        diagnostics(&loaded),
        vec!["m.yaml:12:25: spec.containers[0].readinessProbe.tcpSocket.port: no container port named \"web\": name one of the container's ports, or give a number"]
    );
}

#[test]
fn https_and_another_host_are_reported_unsupported() {
    let loaded =
        load("    readinessProbe:\n      httpGet: {port: 80, scheme: HTTPS, host: example.com}\n");
    let all = diagnostics(&loaded);
    assert!(!loaded.has_errors(), "{all:?}");
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(all[1].contains("readinessProbe.httpGet.host: probing another host"));
    assert!(all[0].contains("readinessProbe.httpGet.scheme: HTTPS probes are not supported"));
    assert_eq!(container(&loaded).readiness_probe, None);
}

#[test]
fn a_probe_is_part_of_the_spec_so_changing_it_changes_the_hash() {
    let one = load("    livenessProbe:\n      exec: {command: [\"true\"]}\n");
    let two =
        load("    livenessProbe:\n      exec: {command: [\"true\"]}\n      periodSeconds: 3\n");
    let json = |l: &Loaded| serde_json::to_string(&container(l)).unwrap();
    assert_ne!(json(&one), json(&two));
    assert!(
        json(&one)
            .contains(r#""livenessProbe":{"exec":{"command":["true"]},"initialDelaySeconds":0"#),
        "{}",
        json(&one)
    );
}
