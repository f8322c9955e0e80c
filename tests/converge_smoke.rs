//! The converge loop against the real Docker engine: create, no-op, repair,
//! scale and roll a replication controller over, prune.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use berth::converge::{apply, Outcome, Settings, Verb};
use berth::engine::DockerEngine;
use berth::manifest::{
    Container, Labels, Manifests, ObjectMeta, Pod, PodSpec, PodTemplate, PullPolicy,
    ReplicationController, RestartPolicy, Source,
};
use common::{
    docker, engine, ensure_test_image, ensure_test_pause_image, Project, TEST_IMAGE,
    TEST_PAUSE_IMAGE,
};

fn spec(marker: &str) -> PodSpec {
    PodSpec {
        containers: vec![Container {
            name: "app".into(),
            image: TEST_IMAGE.into(),
            command: vec!["sleep".into()],
            args: vec!["3600".into()],
            env_from: vec![],
            env: vec![berth::manifest::EnvVar {
                name: "MARKER".into(),
                value: marker.into(),
                value_from: None,
            }],
            ports: vec![],
            resources: Default::default(),
            volume_mounts: vec![],
            working_dir: None,
            image_pull_policy: PullPolicy::Never,
            liveness_probe: None,
            readiness_probe: None,
            startup_probe: None,
            resolved_env: vec![],
            security: Default::default(),
        }],
        init_containers: Vec::new(),
        volumes: vec![],
        restart_policy: RestartPolicy::Always,
        termination_grace_period_seconds: 0,
        node_selector: Labels::new(),
        node_name: None,
    }
}

fn meta(name: &str, labels: &[(&str, &str)]) -> ObjectMeta {
    ObjectMeta {
        name: name.into(),
        namespace: "default".into(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        annotations: BTreeMap::new(),
    }
}

fn pod(name: &str) -> Pod {
    Pod {
        meta: meta(name, &[("app", name)]),
        spec: spec("1"),
        source: Source::default(),
    }
}

fn rc(replicas: u32, marker: &str) -> ReplicationController {
    let labels: Labels = [("app".to_string(), "rc".to_string())].into();
    ReplicationController {
        meta: meta("rc", &[]),
        replicas,
        selector: labels.clone(),
        template: PodTemplate {
            labels,
            annotations: BTreeMap::new(),
            spec: spec(marker),
        },
        source: Source::default(),
    }
}

async fn setup(prefix: &str) -> (Project, DockerEngine, Settings) {
    ensure_test_image();
    ensure_test_pause_image();
    let project = Project::new(prefix);
    let settings = Settings {
        infra_image: TEST_PAUSE_IMAGE.into(),
        min_ready: Duration::from_secs(1),
        rollout_timeout: Duration::from_secs(20),
        ..Settings::new(&project.name)
    };
    (project, engine().await, settings)
}

async fn run(engine: &DockerEngine, m: &Manifests, s: &Settings) -> Outcome {
    let out = apply(engine, m, s, &mut |_| {}).await.expect("apply");
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    out
}

fn controllers(list: Vec<ReplicationController>) -> Manifests {
    Manifests {
        controllers: list,
        ..Default::default()
    }
}

fn pods(list: Vec<Pod>) -> Manifests {
    Manifests {
        pods: list,
        ..Default::default()
    }
}

fn verbs(out: &Outcome) -> Vec<(Verb, String)> {
    out.changes
        .iter()
        .map(|c| (c.verb, c.object.clone()))
        .collect()
}

#[tokio::test]
async fn apply_creates_then_does_nothing_then_repairs_a_removed_container() {
    let (project, engine, settings) = setup("converge-pods").await;
    let m = pods(vec![pod("web"), pod("db")]);
    let started = Instant::now();
    let out = run(&engine, &m, &settings).await;
    assert_eq!(
        verbs(&out),
        [
            (Verb::Created, "pod default/db".into()),
            (Verb::Created, "pod default/web".into())
        ]
    );
    let before = docker(&[
        "ps",
        "-aq",
        "--no-trunc",
        "--filter",
        &format!("label={}", project.label()),
    ]);
    assert_eq!(before.lines().count(), 4);

    let out = run(&engine, &m, &settings).await;
    assert!(out.changes.is_empty(), "{:?}", out.changes);
    let after = docker(&[
        "ps",
        "-aq",
        "--no-trunc",
        "--filter",
        &format!("label={}", project.label()),
    ]);
    assert_eq!(
        before, after,
        "a no-op apply leaves every container as it was"
    );

    let app = format!("berth_{}_default_web_app", project.name);
    docker(&["rm", "-f", &app]);
    let out = run(&engine, &m, &settings).await;
    assert_eq!(verbs(&out), [(Verb::Repaired, "pod default/web".into())]);
    let repair = docker(&[
        "inspect",
        "--format",
        "{{index .Config.Labels \"io.berth.repair\"}}",
        &app,
    ]);
    assert!(repair.contains("removed behind berth's back"), "{repair}");
    let state = docker(&["inspect", "--format", "{{.State.Status}}", &app]);
    assert_eq!(state.trim(), "running");

    let out = run(&engine, &Manifests::default(), &settings).await;
    assert_eq!(
        out.changes
            .iter()
            .filter(|c| c.verb == Verb::Removed)
            .count(),
        3,
        "{:?}",
        out.changes
    );
    assert!(project.containers().is_empty());
    eprintln!("pods scenario took {:?}", started.elapsed());
}

#[tokio::test]
async fn rc_scales_and_rolls_its_template_one_pod_at_a_time() {
    let (project, engine, settings) = setup("converge-rc").await;
    let started = Instant::now();
    run(&engine, &controllers(vec![rc(2, "1")]), &settings).await;
    let pods = |p: &Project| {
        p.containers()
            .into_iter()
            .filter(|n| n.ends_with("_POD"))
            .count()
    };
    assert_eq!(pods(&project), 2);
    let mut live = 2i32;
    let mut lowest = 2;
    let mut track = |c: &berth::converge::Change| {
        if c.object.starts_with("pod ") {
            match c.verb {
                Verb::Created => live += 1,
                Verb::Removed => live -= 1,
                _ => {}
            }
            lowest = lowest.min(live);
        }
    };
    let changed = controllers(vec![rc(2, "2")]);
    let out = apply(&engine, &changed, &settings, &mut track)
        .await
        .expect("apply");
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    assert_eq!(
        lowest, 2,
        "never fewer pods than replicas during the rollout"
    );
    assert_eq!(pods(&project), 2);
    let out = run(&engine, &controllers(vec![rc(1, "2")]), &settings).await;
    assert!(
        verbs(&out).contains(&(Verb::Scaled, "rc default/rc".into())),
        "{:?}",
        out.changes
    );
    assert_eq!(pods(&project), 1);
    run(&engine, &Manifests::default(), &settings).await;
    assert!(project.containers().is_empty());
    eprintln!("rc scenario took {:?}", started.elapsed());
}

#[tokio::test]
async fn pod_containers_share_localhost_and_an_empty_dir_with_limits_applied() {
    use berth::manifest::{EmptyDirSource, Volume, VolumeMount, VolumeSource};
    let (project, engine, settings) = setup("converge-share").await;
    let mut shared = spec("1");
    let mount = VolumeMount {
        name: "data".into(),
        mount_path: "/data".into(),
        read_only: false,
        sub_path: None,
    };
    shared.volumes = vec![Volume {
        name: "data".into(),
        source: VolumeSource::EmptyDir(EmptyDirSource {
            medium: String::new(),
            size_limit: None,
        }),
        files: Vec::new(),
    }];
    let server = &mut shared.containers[0];
    server.name = "server".into();
    server.command = vec!["sh".into(), "-c".into()];
    server.args = vec!["echo $(MARKER) > /data/x && exec httpd -f -p 8080 -h /data".into()];
    server.volume_mounts = vec![mount.clone()];
    server.resources.limits = [
        ("memory".to_string(), "64Mi".to_string()),
        ("cpu".to_string(), "500m".to_string()),
    ]
    .into();
    let mut client = spec("1").containers.remove(0);
    client.name = "client".into();
    client.command = vec!["sh".into(), "-c".into()];
    client.args = vec![
        "until wget -qO /data/got http://localhost:8080/x; do sleep 0.2; done; exec sleep 3600"
            .into(),
    ];
    client.volume_mounts = vec![mount];
    shared.containers.push(client);
    let m = Manifests {
        pods: vec![Pod {
            meta: meta("duo", &[("app", "duo")]),
            spec: shared,
            source: Source::default(),
        }],
        ..Default::default()
    };
    run(&engine, &m, &settings).await;
    let client = format!("berth_{}_default_duo_client", project.name);
    let got = (0..50).find_map(|_| {
        std::thread::sleep(Duration::from_millis(100));
        common::try_docker(&["exec", &client, "cat", "/data/got"]).ok()
    });
    assert_eq!(
        got.as_deref().map(str::trim),
        Some("1"),
        "the client read the server's file over localhost"
    );
    let server = format!("berth_{}_default_duo_server", project.name);
    let limits = docker(&[
        "inspect",
        "--format",
        "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.RestartPolicy.Name}}",
        &server,
    ]);
    assert_eq!(limits.trim(), "67108864 500000000 always");
    let volume = format!("berth_{}_default_duo_data", project.name);
    assert!(docker(&["volume", "ls", "-q"]).lines().any(|v| v == volume));
    run(&engine, &Manifests::default(), &settings).await;
    assert!(
        !docker(&["volume", "ls", "-q"]).lines().any(|v| v == volume),
        "the emptyDir goes with its pod"
    );
}

#[tokio::test]
async fn a_service_name_resolves_to_its_pods_from_another_pod() {
    use berth::manifest::{Service, ServicePort};
    let (project, engine, settings) = setup("converge-svc").await;
    let service = Service {
        meta: meta("front", &[]),
        selector: [("app".to_string(), "web".to_string())].into(),
        ports: vec![ServicePort {
            name: None,
            port: 80,
            target_port: "80".into(),
            protocol: Default::default(),
        }],
        source: Source::default(),
    };
    let m = Manifests {
        pods: vec![pod("web"), pod("probe")],
        services: vec![service],
        ..Default::default()
    };
    run(&engine, &m, &settings).await;
    let probe = format!("berth_{}_default_probe_app", project.name);
    let web_ip = docker(&[
        "inspect",
        "--format",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
        &format!("berth_{}_default_web_POD", project.name),
    ]);
    let answer =
        common::try_docker(&["exec", &probe, "nslookup", "front"]).expect("nslookup front");
    assert!(
        answer.contains(web_ip.trim()),
        "front resolves to web's IP {web_ip}: {answer}"
    );
    let answer = common::try_docker(&["exec", &probe, "nslookup", "web"]).expect("nslookup web");
    assert!(
        answer.contains(web_ip.trim()),
        "a pod's name resolves too: {answer}"
    );
}

#[tokio::test]
async fn apply_imports_berths_own_infra_image_when_it_is_missing() {
    let (project, engine, settings) = setup("converge-infra").await;
    let settings = Settings {
        infra_image: project.image(),
        ..settings
    };
    assert!(common::try_docker(&["image", "inspect", &project.image()]).is_err());
    run(&engine, &pods(vec![pod("web")]), &settings).await;
    let infra = format!("berth_{}_default_web_POD", project.name);
    let state = docker(&[
        "inspect",
        "--format",
        "{{.State.Status}} {{.Config.Image}}",
        &infra,
    ]);
    assert_eq!(state.trim(), format!("running {}", project.image()));
    run(&engine, &Manifests::default(), &settings).await;
}

#[tokio::test]
async fn a_crash_looping_new_template_halts_the_rollout_and_keeps_the_old_pods() {
    let (project, engine, settings) = setup("converge-halt").await;
    run(&engine, &controllers(vec![rc(2, "1")]), &settings).await;
    let mut broken = rc(2, "2");
    broken.template.spec.containers[0].command = vec!["sh".into(), "-c".into(), "exit 3".into()];
    broken.template.spec.containers[0].args.clear();
    let m = controllers(vec![broken]);
    let out = apply(&engine, &m, &settings, &mut |_| {})
        .await
        .expect("apply");
    assert_eq!(out.failures.len(), 1, "{:?}", out.changes);
    assert!(
        out.failures[0].1.contains("rollout halted"),
        "{:?}",
        out.failures
    );
    let running = |name: &str| {
        docker(&[
            "inspect",
            "--format",
            "{{.State.Status}}",
            &format!("berth_{}_default_{name}_app", project.name),
        ])
    };
    assert_eq!(running("rc-0").trim(), "running");
    assert_eq!(running("rc-1").trim(), "running");
}
