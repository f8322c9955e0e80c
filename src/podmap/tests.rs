//! The pod mapping, checked field by field.

use super::*;
use crate::desired::test_pod;
use crate::manifest::{EnvVar, HostPathSource, Volume, VolumeMount};

const T: Target = Target {
    project: "p",
    node: "local",
    infra_image: "pause:1",
};

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn expansion_follows_kubernetes_rules() {
    let e = env(&[("A", "x"), ("B", "y")]);
    assert_eq!(expand("$(A)-$(B)", &e), "x-y");
    assert_eq!(expand("$$(A)", &e), "$(A)");
    assert_eq!(expand("$(C) $A $(", &e), "$(C) $A $(");
    assert_eq!(expand("cost $5", &e), "cost $5");
}

#[test]
fn command_replaces_entrypoint_and_args_alone_keep_it() {
    let mut pod = test_pod("web");
    let c = &mut pod.spec.containers[0];
    c.env = vec![EnvVar {
        name: "PORT".into(),
        value: "80".into(),
        value_from: None,
    }];
    c.args = vec!["-p".into(), "$(PORT)".into()];
    let o = pod_objects(&T, &pod);
    assert_eq!(o.members[0].entrypoint, None);
    assert_eq!(
        o.members[0].cmd,
        Some(vec!["-p".to_string(), "80".to_string()])
    );
    pod.spec.containers[0].command = vec!["httpd".into()];
    pod.spec.containers[0].args.clear();
    let o = pod_objects(&T, &pod);
    assert_eq!(o.members[0].entrypoint, Some(vec!["httpd".to_string()]));
    assert_eq!(o.members[0].cmd, Some(vec![]));
}

#[test]
fn every_container_carries_ownership_labels_and_pod_labels() {
    let mut pod = test_pod("web");
    pod.labels.insert("app".into(), "web".into());
    pod.owner = Some("ReplicationController/web".into());
    let o = pod_objects(&T, &pod);
    assert_eq!(o.infra.name, "berth_p_default_web_POD");
    assert_eq!(o.members[0].name, "berth_p_default_web_app");
    for c in std::iter::once(&o.infra).chain(&o.members) {
        assert_eq!(c.labels["app"], "web");
        assert_eq!(c.labels[keys::MANAGED_BY], "berth");
        assert_eq!(c.labels[keys::PROJECT], "p");
        assert_eq!(c.labels[keys::NAMESPACE], "default");
        assert_eq!(c.labels[keys::POD], "web");
        assert_eq!(c.labels[keys::NODE], "local");
        assert_eq!(c.labels[keys::SPEC_HASH], o.spec_hash);
        assert_eq!(c.labels[keys::OWNER], "ReplicationController/web");
    }
    assert_eq!(o.infra.labels[keys::CONTAINER], "POD");
    assert!(o.infra.labels.contains_key(keys::LAST_APPLIED));
    assert_eq!(o.infra.stop_signal.as_deref(), Some("SIGKILL"));
    assert_eq!(
        o.members[0].network_mode.as_deref(),
        Some("container:berth_p_default_web_POD")
    );
    assert_eq!(
        o.infra.network,
        Some(("berth_p_default".to_string(), vec!["web".to_string()]))
    );
}

#[test]
fn spec_hash_is_stable_and_sensitive_to_the_spec() {
    let pod = test_pod("web");
    let a = pod_objects(&T, &pod).spec_hash;
    assert_eq!(a, pod_objects(&T, &pod).spec_hash);
    assert_eq!(a.len(), 16);
    let mut changed = pod.clone();
    changed.spec.containers[0].image = "other:2".into();
    assert_ne!(a, pod_objects(&T, &changed).spec_hash);
}

#[test]
fn host_ports_are_published_on_the_infra_container() {
    let mut pod = test_pod("web");
    pod.spec.containers[0].ports = vec![crate::manifest::ContainerPort {
        name: None,
        container_port: 80,
        host_port: Some(8080),
        host_ip: Some("127.0.0.1".into()),
        protocol: Default::default(),
    }];
    let o = pod_objects(&T, &pod);
    assert_eq!(o.infra.ports.len(), 1);
    assert_eq!(
        (
            o.infra.ports[0].host_port,
            o.infra.ports[0].host_ip.as_str()
        ),
        (8080, "127.0.0.1")
    );
    assert!(o.members[0].ports.is_empty());
}

#[test]
fn empty_dir_becomes_a_pod_volume_and_host_path_a_bind() {
    let mut pod = test_pod("web");
    pod.spec.volumes = vec![
        Volume {
            name: "cache".into(),
            source: VolumeSource::EmptyDir(crate::manifest::EmptyDirSource {
                medium: String::new(),
                size_limit: None,
            }),
            files: Vec::new(),
        },
        Volume {
            name: "data".into(),
            source: VolumeSource::HostPath(HostPathSource {
                path: "/srv/data".into(),
                kind: String::new(),
            }),
            files: Vec::new(),
        },
    ];
    pod.spec.containers[0].volume_mounts = vec![
        VolumeMount {
            name: "cache".into(),
            mount_path: "/cache".into(),
            read_only: false,
            sub_path: None,
        },
        VolumeMount {
            name: "data".into(),
            mount_path: "/data".into(),
            read_only: true,
            sub_path: None,
        },
    ];
    let o = pod_objects(&T, &pod);
    assert_eq!(o.volumes[0].0, "berth_p_default_web_cache");
    assert_eq!(o.host_dirs, vec!["/srv/data".to_string()]);
    let m = &o.members[0].mounts;
    assert_eq!(
        m[0].source,
        MountSource::Volume("berth_p_default_web_cache".into())
    );
    assert_eq!(
        (m[1].source.clone(), m[1].read_only),
        (MountSource::Bind("/srv/data".into()), true)
    );
}
