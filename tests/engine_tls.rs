//! `DockerEngine` over TCP and TLS: a second `dockerd` (its own network
//! namespace) listens with `--tlsverify` on an address the host reaches
//! through a veth; berth's client answers with the right certificates and
//! fails quickly, saying why, with the wrong ones or none. A plain TCP
//! engine answers without certificates.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use berth::engine::docker::Timeouts;
use berth::engine::{DockerEngine, Engine, EngineError};
use common::engine2::{ExtraEngine, Listen};
use common::{berth_with_env, TEST_IMAGE};

/// Short: the engine is local, a handshake takes milliseconds.
const TIMEOUTS: Timeouts = Timeouts {
    call: Duration::from_secs(10),
    image: Duration::from_secs(10),
};

/// How long a refused connection may take to say so.
const QUICK: Duration = Duration::from_secs(5);

/// The message of a `Connect` error; panics on success or another error.
fn connect_message(result: Result<DockerEngine, EngineError>, what: &str) -> String {
    match result {
        Ok(engine) => panic!("{what}: connected to {}", Engine::endpoint(&engine)),
        Err(EngineError::Connect { message, .. }) => message,
        Err(other) => panic!("{what}: not a Connect error: {other}"),
    }
}

/// Connects, timing it; the error (if any) and how long it took.
async fn timed_connect(
    endpoint: &str,
    cert_dir: Option<&Path>,
) -> (Result<DockerEngine, EngineError>, Duration) {
    let began = Instant::now();
    let result = DockerEngine::connect_endpoint(endpoint, cert_dir, TIMEOUTS).await;
    (result, began.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_engine_answers_with_its_certificates_and_refuses_the_wrong_ones() {
    let began = Instant::now();
    let engine = ExtraEngine::start_with("tls", Listen::Tls);
    let tcp = engine.tcp_host();
    let certs = engine.cert_dir();
    eprintln!("TLS engine at {tcp} up in {:?}", began.elapsed());

    // The harness's certificates are good for the docker CLI too: a failure
    // below is berth's, not the fixture's.
    let ca = certs.join("ca.pem").to_string_lossy().into_owned();
    let cert = certs.join("cert.pem").to_string_lossy().into_owned();
    let key = certs.join("key.pem").to_string_lossy().into_owned();
    let cli = common::try_docker(&[
        "--tlsverify",
        "--tlscacert",
        &ca,
        "--tlscert",
        &cert,
        "--tlskey",
        &key,
        "-H",
        &tcp,
        "info",
        "--format",
        "{{.ID}}",
    ]);
    assert!(cli.is_ok(), "the docker CLI over TLS: {cli:?}");

    // The right certificates: info and a listing, through the TLS port.
    engine.docker(&["create", "--name", "over-tls", TEST_IMAGE, "true"]);
    let (result, took) = timed_connect(&tcp, Some(&certs)).await;
    let client = result.unwrap_or_else(|e| panic!("connect over TLS: {e}"));
    eprintln!(
        "connected over TLS in {took:?}, API {}",
        client.api_version()
    );
    assert_eq!(Engine::endpoint(&client), tcp);
    let info = client.info().await.expect("info over TLS");
    assert!(!info.server_version.is_empty(), "{info:?}");
    let names: Vec<String> = client
        .list_containers(&[])
        .await
        .expect("list containers over TLS")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(
        names.iter().any(|n| n == "over-tls"),
        "the engine's container is listed over TLS: {names:?}"
    );
    let https = tcp.replacen("tcp://", "https://", 1);
    let (result, _) = timed_connect(&https, Some(&certs)).await;
    result.unwrap_or_else(|e| panic!("connect to {https}: {e}"));

    // Another CA: the engine's certificate does not verify; said quickly.
    let (result, took) = timed_connect(&tcp, Some(&engine.wrong_cert_dir())).await;
    let message = connect_message(result, "the wrong CA");
    eprintln!("wrong CA refused in {took:?}: {message}");
    assert!(took < QUICK, "the wrong CA took {took:?} to be refused");
    assert!(message.contains("TLS handshake failed"), "{message}");
    assert!(message.contains("certificate"), "{message}");

    // Our certificate signed by another CA: the engine refuses it; said
    // quickly too (with TLS 1.3 the refusal comes after our side is done).
    let (result, took) = timed_connect(&tcp, Some(&engine.untrusted_client_dir())).await;
    let message = connect_message(result, "an untrusted client certificate");
    eprintln!("untrusted client certificate refused in {took:?}: {message}");
    assert!(
        took < QUICK,
        "the untrusted client took {took:?} to be refused"
    );
    assert!(message.contains("TLS handshake failed"), "{message}");
    assert!(message.contains("certificate"), "{message}");

    // A closed port is not a certificate problem, and is not called one.
    let closed = tcp.replacen(":2376", ":2375", 1);
    let (result, took) = timed_connect(&closed, Some(&certs)).await;
    let message = connect_message(result, "a closed port");
    eprintln!("closed port refused in {took:?}: {message}");
    assert!(!message.contains("TLS"), "{message}");
    assert!(message.contains("refused"), "{message}");

    // No certificates at all on the TLS port: plain HTTP is refused, and
    // the message says the engine wants TLS.
    let (result, took) = timed_connect(&tcp, None).await;
    let message = connect_message(result, "plain HTTP to the TLS port");
    eprintln!("plain HTTP to the TLS port refused in {took:?}: {message}");
    assert!(took < QUICK, "plain HTTP took {took:?} to be refused");
    assert!(message.contains("speaks TLS"), "{message}");

    // https:// without a directory, and a directory without its key.
    let (result, _) = timed_connect(&https, None).await;
    let message = connect_message(result, "https:// without certificates");
    assert!(message.contains("no certificate directory"), "{message}");
    let partial = tempfile::tempdir().expect("a temporary directory");
    for name in ["ca.pem", "cert.pem"] {
        std::fs::copy(certs.join(name), partial.path().join(name)).expect("copy a certificate");
    }
    let (result, _) = timed_connect(&tcp, Some(partial.path())).await;
    let message = connect_message(result, "no key.pem");
    assert!(
        message.contains(&partial.path().join("key.pem").display().to_string()),
        "{message}"
    );

    // `berth` itself (DockerEngine::connect) reads the docker CLI's variables.
    let certs_text = certs.to_string_lossy().into_owned();
    let good = [
        ("DOCKER_HOST", tcp.as_str()),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", certs_text.as_str()),
    ];
    let output = berth_with_env(&["get", "nodes"], &good);
    assert!(
        output.success(),
        "berth get nodes over TLS from the environment:\n{}",
        output.stderr
    );
    let wrong_text = engine.wrong_cert_dir().to_string_lossy().into_owned();
    let wrong = [
        ("DOCKER_HOST", tcp.as_str()),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", wrong_text.as_str()),
    ];
    let output = berth_with_env(&["get", "nodes"], &wrong);
    assert!(!output.success(), "the wrong CA from the environment");
    assert!(
        output.stderr.contains("TLS handshake failed"),
        "berth says why:\n{}",
        output.stderr
    );
    eprintln!("whole test before clean-up: {:?}", began.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_tcp_engine_answers_without_certificates() {
    let began = Instant::now();
    let engine = ExtraEngine::start_with("tcp", Listen::Tcp);
    let tcp = engine.tcp_host();
    eprintln!("TCP engine at {tcp} up in {:?}", began.elapsed());
    let (result, took) = timed_connect(&tcp, None).await;
    let client = result.unwrap_or_else(|e| panic!("connect over plain TCP: {e}"));
    eprintln!(
        "connected over TCP in {took:?}, API {}",
        client.api_version()
    );
    let info = client.info().await.expect("info over plain TCP");
    assert!(!info.server_version.is_empty(), "{info:?}");
    client
        .list_containers(&[])
        .await
        .expect("list containers over plain TCP");
    let http = tcp.replacen("tcp://", "http://", 1);
    let (result, _) = timed_connect(&http, None).await;
    result.unwrap_or_else(|e| panic!("connect to {http}: {e}"));
    eprintln!("whole test before clean-up: {:?}", began.elapsed());
}
