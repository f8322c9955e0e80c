//! `berth get nodes` and `berth describe node` when the nodes do not
//! answer: the default engine and a `--machines` node on closed loopback
//! ports. No Docker needed: what berth says of nodes it cannot reach.

use std::process::{Command, Output, Stdio};

/// A loopback TCP endpoint nothing listens on.
fn closed_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("tcp://127.0.0.1:{port}")
}

/// Runs `berth ARGS` against `docker_host`, without colour or TLS.
fn berth(docker_host: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("DOCKER_HOST", docker_host)
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CERT_PATH")
        .env_remove("BERTH_PROJECT")
        .stdin(Stdio::null())
        .output()
        .expect("berth runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn no_node_answering_is_the_engines_error() {
    let host = closed_endpoint();
    for resource in ["nodes", "pods", "rc"] {
        let output = berth(&host, &["get", resource]);
        assert_eq!(output.status.code(), Some(2), "get {resource}");
        let err = text(&output.stderr);
        assert!(err.contains("cannot reach the Docker engine"), "{err}");
        assert!(err.contains(&host), "names the endpoint: {err}");
    }
}

#[test]
fn describe_node_shows_a_node_that_does_not_answer_and_refuses_an_unknown_one() {
    let host = closed_endpoint();
    let output = berth(&host, &["describe", "node", "local"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let page = text(&output.stdout);
    assert!(page.starts_with("Name:"), "{page}");
    assert!(page.contains("Pending (EngineUnreachable)"), "{page}");
    assert!(
        page.contains(&format!("Endpoint:           {host}")),
        "{page}"
    );
    assert!(page.contains("NodeReachable   False"), "{page}");
    assert!(
        page.contains("<unknown: the node's engine does not answer>"),
        "{page}"
    );

    let output = berth(&host, &["describe", "node", "nope"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("nodes \"nope\" not found"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn apply_and_diff_over_nodes_none_of_which_answers_change_nothing_and_say_why() {
    let (host, machine) = (closed_endpoint(), closed_endpoint());
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(
        dir.path().join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: i:1}]}\n",
    )
    .expect("write the pod");
    let path = dir.path().to_str().expect("a UTF-8 path");
    for command in ["apply", "diff"] {
        let output = berth(&host, &[command, path, "--machines", &machine]);
        assert_eq!(output.status.code(), Some(2), "{command}");
        let err = text(&output.stderr);
        assert!(
            err.contains("cannot reach the Docker engine of any node"),
            "{command}: {err}"
        );
        assert!(err.contains("node 127.0.0.1:"), "each node's reason: {err}");
    }
}
