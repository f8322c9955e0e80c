//! Maps berth's `ContainerConfig` onto Docker's container-create body (pure).

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, EndpointSettings, HealthConfig, HostConfig, Mount as DockerMount,
    MountType, NetworkingConfig, PortBinding as DockerPortBinding, RestartPolicy,
    RestartPolicyNameEnum,
};

use crate::engine::{
    ContainerConfig, ContainerSecurity, Healthcheck, Mount, MountSource, PortBinding, RestartMode,
};

/// The body of `POST /containers/create` for `config`.
///
/// Decisions beyond a literal mapping:
/// - a port with `host_port == 0` is exposed but not published (Kubernetes
///   publishes only ports with a `hostPort`);
/// - a memory limit also sets the swap limit to the same value, so the
///   container gets no swap, as under the kubelet.
pub fn container_body(config: &ContainerConfig) -> ContainerCreateBody {
    let (exposed_ports, port_bindings) = ports(&config.ports);
    let network_mode = config
        .network_mode
        .clone()
        .or_else(|| config.network.as_ref().map(|(name, _)| name.clone()));
    let host_config = HostConfig {
        network_mode,
        port_bindings,
        memory: config.memory_bytes,
        memory_swap: config.memory_bytes,
        nano_cpus: config.nano_cpus,
        mounts: (!config.mounts.is_empty()).then(|| config.mounts.iter().map(mount).collect()),
        restart_policy: Some(restart_policy(config.restart)),
        ..security(&config.security)
    };
    ContainerCreateBody {
        image: Some(config.image.clone()),
        labels: Some(
            config
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        entrypoint: config.entrypoint.clone(),
        cmd: config.cmd.clone(),
        env: (!config.env.is_empty()).then(|| config.env.clone()),
        working_dir: config.working_dir.clone(),
        user: config.security.user.clone(),
        hostname: config.hostname.clone(),
        exposed_ports,
        stop_timeout: config.stop_timeout,
        stop_signal: config.stop_signal.clone(),
        healthcheck: config.healthcheck.as_ref().map(healthcheck),
        host_config: Some(host_config),
        networking_config: config.network.as_ref().map(networking_config),
        ..Default::default()
    }
}

/// The host-config fields of `security`; the rest left to Docker.
fn security(security: &ContainerSecurity) -> HostConfig {
    let list = |names: &[String]| (!names.is_empty()).then(|| names.to_vec());
    let host = |on: bool| on.then(|| "host".to_string());
    HostConfig {
        privileged: security.privileged.then_some(true),
        readonly_rootfs: security.read_only_rootfs.then_some(true),
        security_opt: security
            .no_new_privileges
            .then(|| vec!["no-new-privileges".to_string()]),
        cap_add: list(&security.cap_add),
        cap_drop: list(&security.cap_drop),
        pid_mode: host(security.host_pid),
        ipc_mode: host(security.host_ipc),
        ..Default::default()
    }
}

type PortMap = HashMap<String, Option<Vec<DockerPortBinding>>>;

/// `ExposedPorts` and `PortBindings`, keyed `<port>/<protocol>`.
fn ports(ports: &[PortBinding]) -> (Option<Vec<String>>, Option<PortMap>) {
    if ports.is_empty() {
        return (None, None);
    }
    let mut exposed: Vec<String> = Vec::new();
    let mut bindings = PortMap::new();
    for port in ports {
        let protocol = if port.protocol.is_empty() {
            "tcp"
        } else {
            port.protocol.as_str()
        };
        let key = format!("{}/{}", port.container_port, protocol.to_ascii_lowercase());
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        if port.host_port == 0 {
            continue;
        }
        let binding = DockerPortBinding {
            host_ip: (!port.host_ip.is_empty()).then(|| port.host_ip.clone()),
            host_port: Some(port.host_port.to_string()),
        };
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(binding);
    }
    (Some(exposed), (!bindings.is_empty()).then_some(bindings))
}

fn mount(mount: &Mount) -> DockerMount {
    let (typ, source, subpath) = match &mount.source {
        MountSource::Volume(name) => (MountType::VOLUME, name, None),
        MountSource::Bind(path) => (MountType::BIND, path, None),
        // Left unresolved: Docker's own sub-path option (API 1.45 and up).
        MountSource::VolumePath { volume, path } => (MountType::VOLUME, volume, Some(path)),
    };
    DockerMount {
        typ: Some(typ),
        source: Some(source.clone()),
        target: Some(mount.target.clone()),
        read_only: Some(mount.read_only),
        volume_options: subpath.map(|path| bollard::models::MountVolumeOptions {
            subpath: Some(path.clone()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Exec form (`CMD`, no shell), Docker's durations in nanoseconds.
fn healthcheck(check: &Healthcheck) -> HealthConfig {
    let nanos = |d: std::time::Duration| Some(d.as_nanos().min(i64::MAX as u128) as i64);
    let mut test = vec!["CMD".to_string()];
    test.extend(check.command.iter().cloned());
    HealthConfig {
        test: Some(test),
        interval: nanos(check.interval),
        timeout: nanos(check.timeout),
        retries: Some(i64::from(check.retries)),
        start_period: nanos(check.start_period),
        start_interval: None,
    }
}

fn restart_policy(mode: RestartMode) -> RestartPolicy {
    let name = match mode {
        RestartMode::No => RestartPolicyNameEnum::NO,
        RestartMode::Always => RestartPolicyNameEnum::ALWAYS,
        RestartMode::OnFailure => RestartPolicyNameEnum::ON_FAILURE,
    };
    RestartPolicy {
        name: Some(name),
        maximum_retry_count: None,
    }
}

fn networking_config((network, aliases): &(String, Vec<String>)) -> NetworkingConfig {
    let endpoint = EndpointSettings {
        aliases: (!aliases.is_empty()).then(|| aliases.clone()),
        ..Default::default()
    };
    NetworkingConfig {
        endpoints_config: Some(HashMap::from([(network.clone(), endpoint)])),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn config() -> ContainerConfig {
        ContainerConfig {
            name: "berth_p_default_web_app".into(),
            image: "busybox:1".into(),
            labels: BTreeMap::from([("app".to_string(), "web".to_string())]),
            entrypoint: Some(vec!["sh".into()]),
            cmd: Some(vec!["-c".into(), "sleep 1".into()]),
            env: vec!["A=1".into()],
            working_dir: Some("/tmp".into()),
            network_mode: None,
            network: Some(("berth_p_default".into(), vec!["web".into()])),
            hostname: Some("web".into()),
            ports: vec![
                PortBinding {
                    container_port: 80,
                    protocol: "TCP".into(),
                    host_port: 8080,
                    host_ip: String::new(),
                },
                PortBinding {
                    container_port: 53,
                    protocol: "udp".into(),
                    host_port: 0,
                    host_ip: String::new(),
                },
            ],
            memory_bytes: Some(16 << 20),
            nano_cpus: Some(500_000_000),
            mounts: vec![
                Mount {
                    source: MountSource::Volume("v".into()),
                    target: "/data".into(),
                    read_only: false,
                },
                Mount {
                    source: MountSource::Bind("/srv".into()),
                    target: "/srv".into(),
                    read_only: true,
                },
            ],
            restart: RestartMode::OnFailure,
            stop_timeout: Some(5),
            stop_signal: Some("SIGKILL".into()),
            healthcheck: None,
            security: ContainerSecurity::default(),
        }
    }

    #[test]
    fn security_settings_map_to_user_host_config_and_security_options() {
        let mut config = config();
        config.security = ContainerSecurity {
            user: Some("1000:2000".into()),
            read_only_rootfs: true,
            no_new_privileges: true,
            privileged: true,
            cap_add: vec!["NET_ADMIN".into()],
            cap_drop: vec!["ALL".into()],
            host_pid: true,
            host_ipc: true,
        };
        let body = container_body(&config);
        assert_eq!(body.user.as_deref(), Some("1000:2000"));
        let host = body.host_config.unwrap();
        assert_eq!(host.readonly_rootfs, Some(true));
        assert_eq!(host.privileged, Some(true));
        assert_eq!(host.security_opt, Some(vec!["no-new-privileges".into()]));
        assert_eq!(host.cap_add, Some(vec!["NET_ADMIN".into()]));
        assert_eq!(host.cap_drop, Some(vec!["ALL".into()]));
        assert_eq!(host.pid_mode.as_deref(), Some("host"));
        assert_eq!(host.ipc_mode.as_deref(), Some("host"));
        // The rest of the host config is still there.
        assert_eq!(host.memory, Some(16 << 20));
    }

    #[test]
    fn default_security_leaves_everything_to_docker() {
        let body = container_body(&config());
        assert_eq!(body.user, None);
        let host = body.host_config.unwrap();
        let unset = (
            host.privileged,
            host.readonly_rootfs,
            host.security_opt,
            host.cap_add,
            host.cap_drop,
            host.pid_mode,
            host.ipc_mode,
        );
        assert_eq!(unset, (None, None, None, None, None, None, None));
    }

    #[test]
    fn network_attachment_sets_mode_and_aliases() {
        let body = container_body(&config());
        let host = body.host_config.unwrap();
        assert_eq!(host.network_mode.as_deref(), Some("berth_p_default"));
        let endpoints = body.networking_config.unwrap().endpoints_config.unwrap();
        assert_eq!(
            endpoints["berth_p_default"].aliases,
            Some(vec!["web".to_string()])
        );
    }

    #[test]
    fn joined_container_uses_the_given_network_mode_without_endpoints() {
        let mut config = config();
        config.network_mode = Some("container:abc".into());
        config.network = None;
        let body = container_body(&config);
        assert_eq!(
            body.host_config.unwrap().network_mode.as_deref(),
            Some("container:abc")
        );
        assert!(body.networking_config.is_none());
    }

    #[test]
    fn only_ports_with_a_host_port_are_published_but_all_are_exposed() {
        let body = container_body(&config());
        assert_eq!(
            body.exposed_ports,
            Some(vec!["80/tcp".to_string(), "53/udp".to_string()])
        );
        let bindings = body.host_config.unwrap().port_bindings.unwrap();
        assert_eq!(bindings.len(), 1);
        let binding = &bindings["80/tcp"].as_ref().unwrap()[0];
        assert_eq!(binding.host_port.as_deref(), Some("8080"));
        assert_eq!(binding.host_ip, None);
    }

    #[test]
    fn resources_restart_policy_and_stop_settings_are_mapped() {
        let body = container_body(&config());
        assert_eq!(body.stop_timeout, Some(5));
        assert_eq!(body.stop_signal.as_deref(), Some("SIGKILL"));
        let host = body.host_config.unwrap();
        assert_eq!(
            (host.memory, host.memory_swap, host.nano_cpus),
            (Some(16 << 20), Some(16 << 20), Some(500_000_000))
        );
        assert_eq!(
            host.restart_policy.unwrap().name,
            Some(RestartPolicyNameEnum::ON_FAILURE)
        );
    }

    #[test]
    fn volumes_and_binds_become_typed_mounts() {
        let mounts = container_body(&config())
            .host_config
            .unwrap()
            .mounts
            .unwrap();
        assert_eq!(mounts[0].typ, Some(MountType::VOLUME));
        assert_eq!(mounts[0].read_only, Some(false));
        assert_eq!(mounts[1].typ, Some(MountType::BIND));
        assert_eq!(
            (mounts[1].source.as_deref(), mounts[1].read_only),
            (Some("/srv"), Some(true))
        );
    }

    #[test]
    fn process_fields_are_copied() {
        let body = container_body(&config());
        assert_eq!(body.entrypoint, Some(vec!["sh".to_string()]));
        assert_eq!(
            body.cmd,
            Some(vec!["-c".to_string(), "sleep 1".to_string()])
        );
        assert_eq!(body.env, Some(vec!["A=1".to_string()]));
        assert_eq!(body.working_dir.as_deref(), Some("/tmp"));
        assert_eq!(body.hostname.as_deref(), Some("web"));
        assert_eq!(body.labels.unwrap()["app"], "web");
    }

    #[test]
    fn a_healthcheck_is_sent_in_exec_form_with_nanosecond_durations() {
        let mut config = config();
        config.healthcheck = Some(Healthcheck {
            command: vec!["test".into(), "-f".into(), "/tmp/alive".into()],
            interval: std::time::Duration::from_secs(10),
            timeout: std::time::Duration::from_secs(1),
            retries: 3,
            start_period: std::time::Duration::from_secs(5),
        });
        let check = container_body(&config).healthcheck.expect("a healthcheck");
        let test: Vec<&str> = check
            .test
            .as_deref()
            .unwrap()
            .iter()
            .map(String::as_str)
            .collect();
        assert_eq!(test, ["CMD", "test", "-f", "/tmp/alive"]);
        assert_eq!(check.interval, Some(10_000_000_000));
        assert_eq!(check.timeout, Some(1_000_000_000));
        assert_eq!(check.retries, Some(3));
        assert_eq!(check.start_period, Some(5_000_000_000));
        assert!(container_body(&super::tests::config())
            .healthcheck
            .is_none());
    }
}
