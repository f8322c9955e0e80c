//! Security at load: what is refused by default (each error with its
//! file, line, column and field path), what each `--allow-*` flag lets
//! through, and how `securityContext` is merged and checked.

use std::path::Path;

use super::*;

fn load_with(text: &str, allow: Allow) -> Loaded {
    let options = LoadOptions {
        allow,
        ..Default::default()
    };
    load_text(Path::new("m.yaml"), text, options)
}

fn load_yaml(text: &str) -> Loaded {
    load_with(text, Allow::default())
}

fn errors(loaded: &Loaded) -> Vec<String> {
    loaded.errors().map(ToString::to_string).collect()
}

fn warnings(loaded: &Loaded) -> Vec<String> {
    loaded.warnings().map(ToString::to_string).collect()
}

/// A pod whose only container is followed by `container` (indented four
/// spaces, from line 9) and whose spec ends with `spec` (two spaces).
fn pod(container: &str, spec: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  \
         - name: app\n    image: busybox:1\n{container}{spec}"
    )
}

fn host_path_pod(path: &str) -> String {
    let spec = format!("  volumes:\n  - name: host\n    hostPath:\n      path: {path}\n");
    pod("", &spec)
}

fn security_of(loaded: &Loaded) -> &Security {
    assert!(!loaded.has_errors(), "{:?}", errors(loaded));
    &loaded.manifests.pods[0].spec.containers[0].security
}

const REFUSED_HOST_PATH: &str = "refused by default, since a pod mounting it can take over \
                                 the host: pass --allow-host-path PREFIX to allow it";

#[test]
fn a_host_path_of_etc_is_refused_naming_the_field() {
    let loaded = load_yaml(&host_path_pod("/etc"));
    assert_eq!(
        errors(&loaded),
        [format!(
            "m.yaml:12:13: spec.volumes[0].hostPath.path: \"/etc\" is a sensitive host path \
             (under /etc); {REFUSED_HOST_PATH}"
        )]
    );
}

#[test]
fn host_paths_under_sensitive_ones_and_engine_sockets_are_refused() {
    let socket = "a Docker or containerd socket";
    for (path, what) in [
        ("/", "the host's root directory"),
        ("/etc/ssl/", "a sensitive host path (under /etc)"),
        ("/proc/1/root", "a sensitive host path (under /proc)"),
        ("/sys", "a sensitive host path (under /sys)"),
        ("/root/.ssh", "a sensitive host path (under /root)"),
        (
            "/var/lib/docker/volumes",
            "a sensitive host path (under /var/lib/docker)",
        ),
        ("/boot", "a sensitive host path (under /boot)"),
        ("/run/containerd/containerd.sock", socket),
        ("/srv/docker.sock", socket),
        ("/opt/k/containerd.sock", socket),
    ] {
        let loaded = load_yaml(&host_path_pod(path));
        let want = format!("{path:?} is {what}; {REFUSED_HOST_PATH}");
        let got = errors(&loaded);
        assert!(
            got.len() == 1 && got[0].ends_with(&want),
            "{path}: want one error ending {want:?}, got {got:?}"
        );
    }
}

#[test]
fn ordinary_host_paths_pass() {
    for path in ["/srv/data", "/etcetera", "/var/lib/dockerd", "/tmp"] {
        let loaded = load_yaml(&host_path_pod(path));
        assert!(errors(&loaded).is_empty(), "{path}: {:?}", errors(&loaded));
    }
}

#[test]
fn a_host_path_that_resolves_to_a_sensitive_one_through_a_symlink_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("config");
    std::os::unix::fs::symlink("/etc", &link).unwrap();
    let link = link.to_str().unwrap();
    let loaded = load_yaml(&host_path_pod(link));
    assert_eq!(
        errors(&loaded),
        [format!(
            "m.yaml:12:13: spec.volumes[0].hostPath.path: \"{link}\" resolves to \"/etc\" on \
             berth's machine, which is a sensitive host path (under /etc); {REFUSED_HOST_PATH}"
        )]
    );
    let allowed = Allow {
        host_paths: vec!["/etc".into()],
        ..Allow::default()
    };
    assert!(errors(&load_with(&host_path_pod(link), allowed)).is_empty());
}

#[test]
fn a_host_path_to_be_created_under_a_symlink_to_a_sensitive_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("config");
    std::os::unix::fs::symlink("/etc", &link).unwrap();
    let inside = link.join("berth-made-this");
    let inside = inside.to_str().unwrap();
    let got = errors(&load_yaml(&host_path_pod(inside)));
    let want = "resolves to \"/etc/berth-made-this\" on berth's machine, which is a \
                sensitive host path (under /etc)";
    assert!(got.len() == 1 && got[0].contains(want), "{got:?}");
}

#[test]
fn allow_host_path_lets_paths_under_its_prefix_through_and_no_others() {
    let allow = Allow {
        host_paths: vec!["/etc/".into(), "/var/run/docker.sock".into()],
        ..Allow::default()
    };
    for path in ["/etc", "/etc/ssl", "/var/run/docker.sock"] {
        let loaded = load_with(&host_path_pod(path), allow.clone());
        assert!(errors(&loaded).is_empty(), "{path}: {:?}", errors(&loaded));
    }
    for path in ["/proc", "/var/lib/docker", "/srv/docker.sock"] {
        let loaded = load_with(&host_path_pod(path), allow.clone());
        assert_eq!(errors(&loaded).len(), 1, "{path}");
    }
}

#[test]
fn a_privileged_container_is_refused_unless_allowed() {
    let text = pod("    securityContext:\n      privileged: true\n", "");
    assert_eq!(
        errors(&load_yaml(&text)),
        [
            "m.yaml:10:19: spec.containers[0].securityContext.privileged: privileged containers \
          are refused by default (they can take over the host): pass --allow-privileged to \
          allow them"
        ]
    );
    let allowed = load_with(
        &text,
        Allow {
            privileged: true,
            ..Allow::default()
        },
    );
    assert!(security_of(&allowed).privileged);
}

#[test]
fn capabilities_beyond_dockers_defaults_are_refused_unless_allowed() {
    let text = pod(
        "    securityContext:\n      capabilities:\n        add: [NET_BIND_SERVICE, SYS_ADMIN]\n",
        "",
    );
    assert_eq!(
        errors(&load_yaml(&text)),
        [
            "m.yaml:11:33: spec.containers[0].securityContext.capabilities.add[1]: capability \
          \"SYS_ADMIN\" is beyond Docker's default set and refused by default (it widens what \
          the container may do to the host): pass --allow-privileged to allow it"
        ]
    );
    let all = pod(
        "    securityContext:\n      capabilities:\n        add: [ALL]\n",
        "",
    );
    assert_eq!(errors(&load_yaml(&all)).len(), 1);
    let allow = Allow {
        privileged: true,
        ..Allow::default()
    };
    let allowed = load_with(&text, allow);
    assert_eq!(
        security_of(&allowed).capabilities.add,
        ["NET_BIND_SERVICE", "SYS_ADMIN"]
    );
}

#[test]
fn dockers_default_capabilities_may_be_added_without_a_flag() {
    let adds = DOCKER_DEFAULT_CAPABILITIES.join(", ");
    let text = pod(
        &format!("    securityContext:\n      capabilities:\n        add: [{adds}]\n"),
        "",
    );
    assert_eq!(security_of(&load_yaml(&text)).capabilities.add.len(), 14);
}

#[test]
fn host_pid_and_ipc_are_refused_unless_allowed_and_then_reach_every_container() {
    let text = pod("", "  hostPID: true\n  hostIPC: true\n");
    assert_eq!(
        errors(&load_yaml(&text)),
        [
            "m.yaml:9:12: spec.hostPID: sharing the host's process namespace is refused by \
             default (a pod can reach the host through it): pass --allow-host-namespaces to \
             allow it",
            "m.yaml:10:12: spec.hostIPC: sharing the host's IPC namespace is refused by \
             default (a pod can reach the host through it): pass --allow-host-namespaces to \
             allow it",
        ]
    );
    let allow = Allow {
        host_namespaces: true,
        ..Allow::default()
    };
    let security = security_of(&load_with(&text, allow)).clone();
    assert!(security.host_pid && security.host_ipc);
}

#[test]
fn host_network_is_refused_by_default_and_not_supported_when_allowed() {
    let text = pod("", "  hostNetwork: true\n");
    assert_eq!(
        errors(&load_yaml(&text)),
        [
            "m.yaml:9:16: spec.hostNetwork: sharing the host's network namespace is refused by \
          default (a pod can reach the host through it): pass --allow-host-namespaces to allow \
          it"
        ]
    );
    let allow = Allow {
        host_namespaces: true,
        ..Allow::default()
    };
    assert_eq!(
        errors(&load_with(&text, allow)),
        [
            "m.yaml:9:16: spec.hostNetwork: hostNetwork is not supported by berth (a pod's \
          containers share its infra container's network on the project's network)"
        ]
    );
}

#[test]
fn false_host_namespaces_and_privileged_false_need_no_flag() {
    let text = pod(
        "    securityContext:\n      privileged: false\n",
        "  hostPID: false\n  hostIPC: false\n  hostNetwork: false\n",
    );
    assert!(security_of(&load_yaml(&text)).is_empty());
}

#[test]
fn the_containers_security_context_wins_over_the_pods() {
    let text = pod(
        "    securityContext:\n      runAsUser: 2000\n      readOnlyRootFilesystem: true\n      \
         allowPrivilegeEscalation: false\n      capabilities:\n        drop: [ALL]\n",
        "  securityContext:\n    runAsUser: 1000\n    runAsGroup: 3000\n",
    );
    let loaded = load_yaml(&text);
    let security = security_of(&loaded);
    assert_eq!(
        *security,
        Security {
            run_as_user: Some(2000),
            run_as_group: Some(3000),
            read_only_root_filesystem: true,
            no_new_privileges: true,
            capabilities: Capabilities {
                add: vec![],
                drop: vec!["ALL".into()],
            },
            ..Security::default()
        }
    );
    assert_eq!(security.docker_user().as_deref(), Some("2000:3000"));
}

#[test]
fn init_containers_inherit_the_pods_security_context_too() {
    let text = pod(
        "",
        "  initContainers:\n  - name: setup\n    image: busybox:1\n  securityContext:\n    \
         runAsUser: 1000\n",
    );
    let loaded = load_yaml(&text);
    assert!(!loaded.has_errors(), "{:?}", errors(&loaded));
    let spec = &loaded.manifests.pods[0].spec;
    assert_eq!(spec.init_containers[0].security.run_as_user, Some(1000));
    assert_eq!(spec.containers[0].security.run_as_user, Some(1000));
}

#[test]
fn security_context_values_are_checked_as_the_api_server_checks_them() {
    let text = pod(
        "    securityContext:\n      runAsUser: -1\n      capabilities:\n        \
         drop: [CAP_NET_RAW, net_admin]\n",
        "",
    );
    assert_eq!(
        errors(&load_yaml(&text)),
        [
            "m.yaml:10:18: spec.containers[0].securityContext.runAsUser: must be between 0 and \
             2147483647, inclusive (found -1)",
            "m.yaml:12:16: spec.containers[0].securityContext.capabilities.drop[0]: write \
             capabilities without the CAP_ prefix (\"NET_RAW\")",
            "m.yaml:12:29: spec.containers[0].securityContext.capabilities.drop[1]: unknown \
             capability \"net_admin\": expected a Linux capability name such as \"NET_ADMIN\" \
             (upper case, without CAP_), or \"ALL\"",
        ]
    );
}

#[test]
fn no_privilege_escalation_with_privileged_is_refused_even_when_allowed() {
    let text = pod(
        "    securityContext:\n      privileged: true\n      allowPrivilegeEscalation: false\n",
        "",
    );
    let allow = Allow {
        privileged: true,
        ..Allow::default()
    };
    assert_eq!(
        errors(&load_with(&text, allow)),
        [
            "m.yaml:10:7: spec.containers[0].securityContext: cannot set \
          `allowPrivilegeEscalation` to false and `privileged` to true"
        ]
    );
}

#[test]
fn security_context_fields_berth_does_not_map_are_warned_about() {
    let text = pod(
        "    securityContext:\n      runAsNonRoot: true\n      seccompProfile:\n        \
         type: RuntimeDefault\n",
        "  securityContext:\n    fsGroup: 2000\n    runAsGroup: 3000\n",
    );
    let loaded = load_yaml(&text);
    assert!(!loaded.has_errors(), "{:?}", errors(&loaded));
    assert_eq!(
        warnings(&loaded),
        [
            "m.yaml:10:21: spec.containers[0].securityContext.runAsNonRoot: runAsNonRoot \
             without runAsUser is not checked by berth (it does not inspect the image's user); \
             ignored",
            "m.yaml:11:7: spec.containers[0].securityContext.seccompProfile: not supported by \
             berth; ignored",
            "m.yaml:14:5: spec.securityContext.fsGroup: not supported by berth; ignored",
            "m.yaml:15:17: spec.securityContext.runAsGroup: runAsGroup without runAsUser is \
             not supported by berth (Docker sets a group only with a user); ignored",
        ]
    );
    assert!(loaded.manifests.pods[0].spec.containers[0]
        .security
        .is_empty());
}

#[test]
fn the_pods_run_as_group_without_a_user_is_warned_about_once() {
    let text = pod(
        "  - name: second\n    image: busybox:1\n",
        "  securityContext:\n    runAsGroup: 3000\n",
    );
    let loaded = load_yaml(&text);
    assert_eq!(
        warnings(&loaded),
        [
            "m.yaml:12:17: spec.securityContext.runAsGroup: runAsGroup without runAsUser is not \
          supported by berth (Docker sets a group only with a user); ignored"
        ]
    );
}

#[test]
fn run_as_non_root_refuses_user_0_and_is_satisfied_by_another_user() {
    let text = pod(
        "    securityContext:\n      runAsUser: 0\n",
        "  securityContext:\n    runAsNonRoot: true\n",
    );
    assert_eq!(
        errors(&load_yaml(&text)),
        [
            "m.yaml:12:19: spec.securityContext.runAsNonRoot: runAsNonRoot is true but \
          runAsUser is 0: the container would run as root, which the kubelet refuses"
        ]
    );
    let text = pod(
        "    securityContext:\n      runAsUser: 1000\n",
        "  securityContext:\n    runAsNonRoot: true\n",
    );
    let loaded = load_yaml(&text);
    assert!(loaded.diagnostics.is_empty(), "{:?}", warnings(&loaded));
    // The container's own `false` wins over the pod's `true`.
    let text = pod(
        "    securityContext:\n      runAsUser: 0\n      runAsNonRoot: false\n",
        "  securityContext:\n    runAsNonRoot: true\n",
    );
    assert!(load_yaml(&text).diagnostics.is_empty());
}

#[test]
fn a_changed_security_context_changes_the_spec_hash_and_none_leaves_it_alone() {
    let hash = |text: &str| {
        let loaded = load_yaml(text);
        assert!(!loaded.has_errors(), "{:?}", errors(&loaded));
        let pod = &loaded.manifests.pods[0];
        crate::fingerprint::spec_hash(&pod.spec, &pod.meta.labels, None, &[], "pause")
    };
    let plain = hash(&pod("", ""));
    let user = |uid: u32| {
        hash(&pod(
            &format!("    securityContext:\n      runAsUser: {uid}\n"),
            "",
        ))
    };
    assert_ne!(user(1000), plain);
    assert_ne!(user(1000), user(1001));
    // An empty securityContext is no change at all.
    assert_eq!(hash(&pod("    securityContext: {}\n", "")), plain);
}
