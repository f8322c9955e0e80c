//! `DockerEngine` against the real Docker engine: containers, networks,
//! volumes, images, events, the pause infra image, and timeouts.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use berth::engine::docker::Timeouts;
use berth::engine::rootfs::{ensure_image, pause_changes, pause_rootfs_tar};
use berth::engine::{
    ContainerConfig, ContainerDetails, ContainerState, DockerEngine, Engine, EngineError, Mount,
    MountSource,
};
use common::{engine, ensure_test_image, Project, TEST_IMAGE, TEST_PAUSE_IMAGE};

fn labels(project: &Project) -> BTreeMap<String, String> {
    project.labels().into_iter().collect()
}

/// A busybox container of `project` running `script` under `sh -c`, with no network.
fn shell(project: &Project, name: &str, script: &str) -> ContainerConfig {
    ContainerConfig {
        labels: labels(project),
        entrypoint: Some(vec!["sh".into(), "-c".into()]),
        cmd: Some(vec![script.to_string()]),
        network_mode: Some("none".into()),
        stop_timeout: Some(1),
        ..ContainerConfig::new(format!("{}-{name}", project.name), TEST_IMAGE)
    }
}

async fn run(engine: &DockerEngine, config: &ContainerConfig) -> String {
    let id = engine
        .create_container(config)
        .await
        .expect("create the container");
    engine
        .start_container(&id)
        .await
        .expect("start the container");
    id
}

/// Polls until the container is neither running nor restarting (20 s at most).
async fn wait_for_exit(engine: &DockerEngine, id: &str) -> ContainerDetails {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let details = engine
            .inspect_container(id)
            .await
            .expect("inspect the container");
        if !details.running && !details.restarting {
            return details;
        }
        assert!(
            Instant::now() < deadline,
            "container {id} still runs after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn connects_and_negotiates_an_api_version_the_engine_speaks() {
    let project = Project::new("connect");
    let engine = engine().await;
    let version = engine.api_version();
    let minor: u32 = version
        .strip_prefix("1.")
        .and_then(|m| m.parse().ok())
        .expect("a 1.x API version");
    assert!(minor >= 41, "negotiated {version}");
    assert!(!engine.endpoint().is_empty());
    assert_eq!(
        engine.list_containers(&project.labels()).await.unwrap(),
        Vec::new()
    );
}

#[tokio::test]
async fn a_wedged_engine_is_a_timeout_not_a_hang() {
    // Accepts connections (through the backlog) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("tcp://{}", silent.local_addr().unwrap());
    let timeouts = Timeouts {
        call: Duration::from_secs(1),
        image: Duration::from_secs(1),
    };
    let started = Instant::now();
    let error = DockerEngine::connect_with(&endpoint, timeouts)
        .await
        .unwrap_err();
    assert!(
        matches!(error, EngineError::Timeout { seconds: 1, .. }),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_container_with_env_volume_bind_and_alias_serves_its_network_peer() {
    ensure_test_image();
    let project = Project::new("serve");
    let engine = engine().await;
    let network = project.name.clone();
    engine
        .create_network(&network, &labels(&project))
        .await
        .unwrap();
    let volume = format!("{}-data", project.name);
    engine
        .create_volume(&volume, &labels(&project))
        .await
        .unwrap();
    let host_dir = tempfile::tempdir().unwrap();

    let mut web = shell(
        &project,
        "web",
        "echo $GREETING > /data/index.html && cp /data/index.html /host/copy && exec httpd -f -p 8080 -h /data",
    );
    web.env = vec!["GREETING=hello-from-web".into()];
    web.network_mode = None;
    web.network = Some((network.clone(), vec!["web-alias".into()]));
    web.memory_bytes = Some(64 << 20);
    web.mounts = vec![
        Mount {
            source: MountSource::Volume(volume.clone()),
            target: "/data".into(),
            read_only: false,
        },
        Mount {
            source: MountSource::Bind(host_dir.path().display().to_string()),
            target: "/host".into(),
            read_only: false,
        },
    ];
    let web_id = run(&engine, &web).await;

    let listed = engine.list_containers(&project.labels()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].id.as_str(), listed[0].name.as_str()),
        (web_id.as_str(), web.name.as_str())
    );
    assert_eq!(listed[0].state, ContainerState::Running);
    let details = engine.inspect_container(&web_id).await.unwrap();
    assert!(
        details.ips.get(&network).is_some_and(|ip| !ip.is_empty()),
        "{:?}",
        details.ips
    );
    assert_eq!(details.labels, labels(&project));
    let memory = common::docker(&["inspect", "--format", "{{.HostConfig.Memory}}", &web_id]);
    assert_eq!(memory, (64 << 20).to_string());
    let copy = host_dir.path().join("copy");
    assert!(
        common::wait_until(Duration::from_secs(10), || copy.exists()),
        "the bind mount got no file"
    );
    assert_eq!(
        std::fs::read_to_string(&copy).unwrap().trim(),
        "hello-from-web"
    );

    let fetch = "for i in $(seq 50); do wget -q -O - http://web-alias:8080/index.html | grep -q hello-from-web && exit 0; sleep 0.2; done; exit 1";
    let mut client = shell(&project, "client", fetch);
    client.network_mode = None;
    client.network = Some((network.clone(), Vec::new()));
    let client_id = run(&engine, &client).await;
    assert_eq!(
        wait_for_exit(&engine, &client_id).await.exit_code,
        0,
        "the peer could not fetch through the alias"
    );
    assert_eq!(
        project.containers(),
        vec![client.name.clone(), web.name.clone()]
    );
    assert_eq!(
        engine.list_volumes(&project.labels()).await.unwrap(),
        vec![volume]
    );
    let networks = engine.list_networks(&project.labels()).await.unwrap();
    assert_eq!(networks, vec![(network, labels(&project))]);
}

#[tokio::test]
async fn a_failing_container_reports_its_exit_code() {
    ensure_test_image();
    let project = Project::new("exit");
    let engine = engine().await;
    let id = run(&engine, &shell(&project, "fail", "exit 3")).await;
    let details = wait_for_exit(&engine, &id).await;
    assert_eq!(
        (details.exit_code, details.oom_killed, details.running),
        (3, false, false)
    );
    assert!(
        !details.finished_at.starts_with("0001-"),
        "{}",
        details.finished_at
    );
    let listed = engine.list_containers(&project.labels()).await.unwrap();
    assert_eq!(listed[0].state, ContainerState::Exited);
}

#[tokio::test]
async fn a_greedy_container_under_16_mebibytes_is_oom_killed() {
    ensure_test_image();
    let project = Project::new("oom");
    let engine = engine().await;
    let mut greedy = shell(&project, "greedy", "tail /dev/zero");
    greedy.memory_bytes = Some(16 << 20);
    let id = run(&engine, &greedy).await;
    let details = wait_for_exit(&engine, &id).await;
    assert!(details.oom_killed, "exit code {}", details.exit_code);
    assert_eq!(details.exit_code, 137);
}

#[tokio::test]
async fn pause_infra_shares_localhost_with_its_members_and_stops_at_once() {
    ensure_test_image();
    let project = Project::new("pause");
    let engine = engine().await;
    ensure_image(
        &engine,
        TEST_PAUSE_IMAGE,
        pause_rootfs_tar,
        &pause_changes(),
    )
    .await
    .unwrap();
    engine
        .create_network(&project.name, &labels(&project))
        .await
        .unwrap();
    let mut infra = shell(&project, "POD", "");
    (infra.image, infra.entrypoint, infra.cmd) = (TEST_PAUSE_IMAGE.to_string(), None, None);
    (infra.network_mode, infra.network) = (None, Some((project.name.clone(), Vec::new())));
    infra.stop_signal = Some("SIGKILL".into());
    let infra_id = run(&engine, &infra).await;
    let joined = Some(format!("container:{infra_id}"));

    let mut web = shell(
        &project,
        "web",
        "echo member > /tmp/who && exec httpd -f -p 8080 -h /tmp",
    );
    web.network_mode = joined.clone();
    run(&engine, &web).await;
    let fetch = "for i in $(seq 50); do wget -q -O - http://127.0.0.1:8080/who | grep -q member && exit 0; sleep 0.2; done; exit 1";
    let mut probe = shell(&project, "probe", fetch);
    probe.network_mode = joined;
    let probe_id = run(&engine, &probe).await;
    assert_eq!(
        wait_for_exit(&engine, &probe_id).await.exit_code,
        0,
        "the member was not reachable on localhost"
    );

    let details = engine.inspect_container(&infra_id).await.unwrap();
    assert!(
        details.running && details.ips.contains_key(&project.name),
        "{details:?}"
    );
    let started = Instant::now();
    engine.stop_container(&infra_id, None).await.unwrap();
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "stopping the infra container took {took:?}"
    );
    assert!(!engine.inspect_container(&infra_id).await.unwrap().running);
}

#[tokio::test]
async fn container_events_report_a_death_with_its_exit_code_promptly() {
    ensure_test_image();
    let project = Project::new("events");
    let engine = engine().await;
    let since = unix_now() - 1;
    let id = run(&engine, &shell(&project, "dies", "exit 7")).await;
    wait_for_exit(&engine, &id).await;
    let started = Instant::now();
    // An `until` in the future must not make the engine wait for it.
    let events = engine
        .container_events(since, unix_now() + 600, &project.labels())
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "events took {:?}",
        started.elapsed()
    );
    let die = events
        .iter()
        .find(|e| e.action == "die")
        .unwrap_or_else(|| panic!("no die event in {events:?}"));
    assert_eq!(die.container_id, id);
    assert_eq!(
        die.attributes.get("exitCode").map(String::as_str),
        Some("7")
    );
    assert_eq!(
        die.attributes.get(common::PROJECT_LABEL),
        Some(&project.name)
    );
    assert!(die.time_nanos >= since * 1_000_000_000);
    assert!(events
        .iter()
        .any(|e| e.action == "start" && e.container_id == id));
    let other = Project::new("events-other");
    assert_eq!(
        engine
            .container_events(since, unix_now(), &other.labels())
            .await
            .unwrap(),
        Vec::new()
    );
}

#[tokio::test]
async fn a_missing_image_is_absent_and_pulling_it_fails_quickly() {
    let engine = engine().await;
    assert!(!engine.image_exists("localhost/nope:1").await.unwrap());
    let started = Instant::now();
    let error = engine.pull_image("localhost/nope:1").await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the pull took {:?}",
        started.elapsed()
    );
    let message = error.to_string();
    assert!(
        message.starts_with("cannot pull image localhost/nope:1: "),
        "{message}"
    );
    assert!(matches!(error, EngineError::Api { .. }), "{message}");
}

#[tokio::test]
async fn creating_a_container_from_a_missing_image_is_not_found() {
    let project = Project::new("noimage");
    let engine = engine().await;
    let mut config = shell(&project, "ghost", "true");
    config.image = "localhost/nope:1".into();
    let error = engine.create_container(&config).await.unwrap_err();
    assert!(error.is_not_found(), "{error}");
}

#[tokio::test]
async fn ensure_image_imports_only_when_the_image_is_missing() {
    let project = Project::new("import");
    let engine = engine().await;
    let image = project.image();
    assert!(
        ensure_image(&engine, &image, pause_rootfs_tar, &pause_changes())
            .await
            .unwrap()
    );
    assert!(engine.image_exists(&image).await.unwrap());
    let entrypoint = common::docker(&[
        "image",
        "inspect",
        "--format",
        "{{json .Config.Entrypoint}}",
        &image,
    ]);
    assert_eq!(entrypoint, r#"["/pause"]"#);
    let never = || -> Result<Vec<u8>, String> { panic!("an image present must not be rebuilt") };
    assert!(!ensure_image(&engine, &image, never, &pause_changes())
        .await
        .unwrap());
}

#[tokio::test]
async fn start_stop_and_remove_are_idempotent() {
    ensure_test_image();
    let project = Project::new("idem");
    let engine = engine().await;
    let mut sleeper = shell(&project, "sleeper", "sleep 30");
    sleeper.stop_signal = Some("SIGKILL".into());
    let id = run(&engine, &sleeper).await;
    engine
        .start_container(&id)
        .await
        .expect("starting a running container is fine");
    engine
        .stop_container(&id, Some(Duration::from_secs(1)))
        .await
        .unwrap();
    engine
        .stop_container(&id, Some(Duration::from_secs(1)))
        .await
        .expect("stopping a stopped container is fine");
    engine.remove_container(&id).await.unwrap();
    engine
        .remove_container(&id)
        .await
        .expect("removing a missing container is fine");
    assert!(engine
        .inspect_container(&id)
        .await
        .unwrap_err()
        .is_not_found());
    let volume = format!("{}-v", project.name);
    engine
        .create_volume(&volume, &labels(&project))
        .await
        .unwrap();
    engine.remove_volume(&volume).await.unwrap();
    engine
        .remove_volume(&volume)
        .await
        .expect("removing a missing volume is fine");
    engine
        .remove_network(&project.name)
        .await
        .expect("removing a missing network is fine");
}

#[tokio::test]
async fn networks_refuse_duplicates_and_removal_while_in_use() {
    ensure_test_image();
    let project = Project::new("net");
    let engine = engine().await;
    engine
        .create_network(&project.name, &labels(&project))
        .await
        .unwrap();
    let again = engine
        .create_network(&project.name, &labels(&project))
        .await
        .unwrap_err();
    assert!(again.to_string().contains("already exists"), "{again}");
    assert_eq!(
        engine.list_networks(&project.labels()).await.unwrap().len(),
        1
    );
    let mut member = shell(&project, "member", "sleep 30");
    (member.network_mode, member.network) = (None, Some((project.name.clone(), Vec::new())));
    member.stop_signal = Some("SIGKILL".into());
    let id = run(&engine, &member).await;
    let in_use = engine.remove_network(&project.name).await.unwrap_err();
    assert!(matches!(in_use, EngineError::Api { .. }), "{in_use}");
    engine.remove_container(&id).await.unwrap();
    engine.remove_network(&project.name).await.unwrap();
    assert_eq!(
        engine.list_networks(&project.labels()).await.unwrap(),
        Vec::new()
    );
}

#[tokio::test]
async fn concurrent_creations_of_one_network_leave_exactly_one() {
    let project = Project::new("race");
    let engine = engine().await;
    let labels = labels(&project);
    let (a, b, c) = tokio::join!(
        engine.create_network(&project.name, &labels),
        engine.create_network(&project.name, &labels),
        engine.create_network(&project.name, &labels),
    );
    let succeeded = [&a, &b, &c].iter().filter(|r| r.is_ok()).count();
    assert_eq!(succeeded, 1, "{a:?} {b:?} {c:?}");
    let named = common::docker(&[
        "network",
        "ls",
        "-q",
        "--filter",
        &format!("label={}", project.label()),
    ]);
    assert_eq!(named.lines().count(), 1, "{named}");
}
