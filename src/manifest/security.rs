//! Security at load: `securityContext` (pod and container) decoded and
//! merged as Kubernetes merges it (`runAsNonRoot` checked against the
//! `runAsUser` it meets), and what berth refuses unless the user
//! allows it — privileged containers, capabilities beyond Docker's default
//! set, the host's namespaces, and `hostPath` volumes of sensitive paths.

use std::path::{Component, Path, PathBuf};

use super::decode::{index, join, Decoder, Fields};
use super::schema::{CAPABILITIES, POD_SECURITY_CONTEXT, SECURITY_CONTEXT};
use super::security_model::Security;
use crate::yaml::Node;

/// The capabilities Docker grants a container by default; adding one of
/// these needs nothing more.
pub const DOCKER_DEFAULT_CAPABILITIES: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "FSETID",
    "FOWNER",
    "MKNOD",
    "NET_RAW",
    "SETGID",
    "SETUID",
    "SETFCAP",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "SYS_CHROOT",
    "KILL",
    "AUDIT_WRITE",
];

/// Every Linux capability, as Kubernetes writes them (no `CAP_`).
const LINUX_CAPABILITIES: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

/// Host paths a pod must not mount unless allowed: each, and anything
/// under it (`/` itself only).
const SENSITIVE_HOST_PATHS: &[&str] = &[
    "/etc",
    "/proc",
    "/sys",
    "/root",
    "/var/lib/docker",
    "/boot",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/containerd/containerd.sock",
];

/// The pod-level settings every container inherits.
#[derive(Debug, Default, Clone)]
pub struct PodSecurity<'n> {
    run_as_user: Option<i64>,
    run_as_group: Option<i64>,
    /// Where the pod's `runAsGroup` is, with its path.
    group_at: Option<(&'n Node, String)>,
    /// The pod's `runAsNonRoot`, where it is, with its path.
    non_root: Option<(bool, &'n Node, String)>,
    host_pid: bool,
    host_ipc: bool,
}

/// `spec.securityContext`, `hostPID`, `hostIPC` and `hostNetwork` of a pod
/// spec whose implemented fields are `fields`.
pub fn pod_security<'n>(d: &mut Decoder, fields: &Fields<'n>, path: &str) -> PodSecurity<'n> {
    let mut pod = PodSecurity::default();
    if let Some(node) = fields.get("securityContext") {
        let p = join(path, "securityContext");
        if let Some(context) = d.mapping(node, &p, &POD_SECURITY_CONTEXT, &[]) {
            pod.run_as_user = id(d, &context, &p, "runAsUser");
            pod.run_as_group = id(d, &context, &p, "runAsGroup");
            pod.group_at = context
                .get("runAsGroup")
                .map(|n| (n, join(&p, "runAsGroup")));
            pod.non_root = non_root(d, &context, &p);
        }
    }
    let allowed = d.allow.host_namespaces;
    for (field, what) in [
        ("hostPID", "the host's process namespace"),
        ("hostIPC", "the host's IPC namespace"),
        ("hostNetwork", "the host's network namespace"),
    ] {
        let Some(node) = fields.get(field) else {
            continue;
        };
        let p = join(path, field);
        if d.bool(node, &p) != Some(true) {
            continue;
        }
        if !allowed {
            let message = format!(
                "sharing {what} is refused by default (a pod can reach the host through it): \
                 pass --allow-host-namespaces to allow it"
            );
            d.error(node, &p, message);
        } else if field == "hostNetwork" {
            let message = "hostNetwork is not supported by berth (a pod's containers share \
                           its infra container's network on the project's network)";
            d.error(node, &p, message);
        } else if field == "hostPID" {
            pod.host_pid = true;
        } else {
            pod.host_ipc = true;
        }
    }
    pod
}

/// A container's `securityContext` (at `path`, the container's path)
/// merged over the pod's settings.
pub fn container_security(
    d: &mut Decoder,
    node: Option<&Node>,
    path: &str,
    pod: &PodSecurity,
) -> Security {
    let mut security = Security {
        run_as_user: pod.run_as_user,
        run_as_group: pod.run_as_group,
        host_pid: pod.host_pid,
        host_ipc: pod.host_ipc,
        ..Security::default()
    };
    let p = join(path, "securityContext");
    let fields = node.and_then(|node| d.mapping(node, &p, &SECURITY_CONTEXT, &[]));
    let mut group_at = pod.group_at.clone();
    let mut non_root_at = pod.non_root.clone();
    if let Some(fields) = &fields {
        if let Some(uid) = id(d, fields, &p, "runAsUser") {
            security.run_as_user = Some(uid);
        }
        if let Some(gid) = id(d, fields, &p, "runAsGroup") {
            security.run_as_group = Some(gid);
        }
        if let Some(n) = fields.get("runAsGroup") {
            group_at = Some((n, join(&p, "runAsGroup")));
        }
        if let Some(own) = non_root(d, fields, &p) {
            non_root_at = Some(own);
        }
        let flag = |d: &mut Decoder, name: &str| {
            fields
                .get(name)
                .and_then(|n| d.bool(n, &join(&p, name)).map(|b| (n, b)))
        };
        security.read_only_root_filesystem =
            flag(d, "readOnlyRootFilesystem").is_some_and(|(_, b)| b);
        let escalation = flag(d, "allowPrivilegeEscalation");
        security.no_new_privileges = escalation.is_some_and(|(_, b)| !b);
        if let Some((n, true)) = flag(d, "privileged") {
            security.privileged = true;
            let pp = join(&p, "privileged");
            if !d.allow.privileged {
                let message = "privileged containers are refused by default (they can take \
                               over the host): pass --allow-privileged to allow them";
                d.error(n, &pp, message);
            }
            if security.no_new_privileges {
                let message =
                    "cannot set `allowPrivilegeEscalation` to false and `privileged` to true";
                d.error(fields.node, &p, message);
            }
        }
        if let Some(n) = fields.get("capabilities") {
            capabilities(d, n, &join(&p, "capabilities"), &mut security);
        }
        let sys_admin = security.capabilities.add.iter().any(|c| c == "SYS_ADMIN");
        if security.no_new_privileges && sys_admin {
            let message =
                "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN";
            d.error(fields.node, &p, message);
        }
    }
    if security.run_as_user.is_none() && security.run_as_group.is_some() {
        let message = "runAsGroup without runAsUser is not supported by berth \
                       (Docker sets a group only with a user); ignored";
        if let Some((at, at_path)) = group_at {
            unsupported_once(d, at, &at_path, message);
        }
        security.run_as_group = None;
    }
    if let Some((true, at, at_path)) = non_root_at {
        match security.run_as_user {
            // What the kubelet refuses (CreateContainerConfigError).
            Some(0) => {
                let message = "runAsNonRoot is true but runAsUser is 0: the container would \
                               run as root, which the kubelet refuses";
                d.error(at, &at_path, message);
            }
            Some(_) => {}
            None => {
                let message = "runAsNonRoot without runAsUser is not checked by berth (it \
                               does not inspect the image's user); ignored";
                unsupported_once(d, at, &at_path, message);
            }
        }
    }
    security
}

/// `runAsNonRoot` of a securityContext, with where it is.
fn non_root<'n>(
    d: &mut Decoder,
    fields: &Fields<'n>,
    path: &str,
) -> Option<(bool, &'n Node, String)> {
    let node = fields.get("runAsNonRoot")?;
    let p = join(path, "runAsNonRoot");
    let value = d.bool(node, &p)?;
    Some((value, node, p))
}

/// A warning about a pod-level field, said once however many containers
/// inherit it.
fn unsupported_once(d: &mut Decoder, at: &Node, path: &str, message: &str) {
    let (source, full) = (d.source(at), d.full_path(path));
    let said = d
        .diagnostics
        .iter()
        .any(|x| x.source == source && x.path == full);
    if !said {
        d.unsupported(at, path, message);
    }
}

/// `runAsUser` or `runAsGroup`: an ID from 0 to 2147483647, as the API
/// server checks it.
fn id(d: &mut Decoder, fields: &Fields, path: &str, name: &str) -> Option<i64> {
    let node = fields.get(name)?;
    d.int_in(node, &join(path, name), 0, i64::from(i32::MAX))
}

fn capabilities(d: &mut Decoder, node: &Node, path: &str, security: &mut Security) {
    let Some(fields) = d.mapping(node, path, &CAPABILITIES, &[]) else {
        return;
    };
    for (list, adding) in [("add", true), ("drop", false)] {
        let Some(list_node) = fields.get(list) else {
            continue;
        };
        let list_path = join(path, list);
        for (i, item) in d.seq(list_node, &list_path).iter().enumerate() {
            let item_path = index(&list_path, i);
            let Some(name) = d.string(item, &item_path) else {
                continue;
            };
            if name == "ALL" {
                if adding && !d.allow.privileged {
                    let message = "adding ALL capabilities is refused by default (it can take \
                                   over the host): pass --allow-privileged to allow it";
                    d.error(item, &item_path, message);
                }
            } else if let Some(bare) = name.strip_prefix("CAP_") {
                let message = format!("write capabilities without the CAP_ prefix ({bare:?})");
                d.error(item, &item_path, message);
                continue;
            } else if !LINUX_CAPABILITIES.contains(&name.as_str()) {
                let message = format!(
                    "unknown capability {name:?}: expected a Linux capability name such as \
                     \"NET_ADMIN\" (upper case, without CAP_), or \"ALL\""
                );
                d.error(item, &item_path, message);
                continue;
            } else if adding
                && !DOCKER_DEFAULT_CAPABILITIES.contains(&name.as_str())
                && !d.allow.privileged
            {
                let message = format!(
                    "capability {name:?} is beyond Docker's default set and refused by default \
                     (it widens what the container may do to the host): pass --allow-privileged \
                     to allow it"
                );
                d.error(item, &item_path, message);
            }
            let target = match adding {
                true => &mut security.capabilities.add,
                false => &mut security.capabilities.drop,
            };
            if !target.contains(&name) {
                target.push(name);
            }
        }
    }
}

/// Refuses a sensitive `hostPath` (the `path` field at `node`) unless the
/// user allows a prefix it is under. The path is also resolved through
/// symlinks on this machine, where it exists (for a remote engine the
/// engine's machine is what counts; berth can only look at its own).
pub fn check_host_path(d: &mut Decoder, node: &Node, path: &str, host: &str) {
    let lexical = normalize(Path::new(host));
    let resolved = resolve(&lexical).filter(|real| *real != lexical);
    // An allowed prefix counts as written and as it resolves here, so
    // allowing /var/run/docker.sock also allows the /run/docker.sock it is.
    let prefixes: Vec<PathBuf> = d
        .allow
        .host_paths
        .iter()
        .flat_map(|a| [Some(normalize(a)), std::fs::canonicalize(a).ok()])
        .flatten()
        .collect();
    let allowed = |p: &Path| prefixes.iter().any(|a| p.starts_with(a));
    let mut refusal = None;
    if let Some(what) = sensitive(&lexical).filter(|_| !allowed(&lexical)) {
        refusal = Some(format!("{host:?} is {what}"));
    } else if let Some(real) = &resolved {
        if let Some(what) = sensitive(real).filter(|_| !allowed(real)) {
            let real = real.display().to_string();
            refusal = Some(format!(
                "{host:?} resolves to {real:?} on berth's machine, which is {what}"
            ));
        }
    }
    if let Some(what) = refusal {
        let message = format!(
            "{what}; refused by default, since a pod mounting it can take over the host: \
             pass --allow-host-path PREFIX to allow it"
        );
        d.error(node, path, message);
    }
}

/// What makes `path` sensitive, in words; `None` when it is not.
fn sensitive(path: &Path) -> Option<String> {
    if path == Path::new("/") {
        return Some("the host's root directory".to_string());
    }
    if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
        if name.ends_with("docker.sock") || name.ends_with("containerd.sock") {
            return Some("a Docker or containerd socket".to_string());
        }
    }
    SENSITIVE_HOST_PATHS
        .iter()
        .find(|s| path.starts_with(s))
        .map(|s| format!("a sensitive host path (under {s})"))
}

/// `path` with its longest existing ancestor resolved through symlinks on
/// this machine, the rest as written: a path Docker would create
/// (`DirectoryOrCreate`) under a symlink lands where the symlink points.
fn resolve(path: &Path) -> Option<PathBuf> {
    path.ancestors().find_map(|ancestor| {
        let real = std::fs::canonicalize(ancestor).ok()?;
        let rest = path.strip_prefix(ancestor).ok()?;
        Some(if rest.as_os_str().is_empty() {
            real
        } else {
            real.join(rest)
        })
    })
}

/// `path` without `.` components, repeated or trailing slashes.
fn normalize(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_paths_cover_what_is_under_them_and_sockets_anywhere() {
        for p in [
            "/",
            "/etc",
            "/etc/ssl",
            "/proc/1",
            "/var/lib/docker/volumes",
            "/srv/docker.sock",
            "/tmp/x/containerd.sock",
        ] {
            assert!(sensitive(&normalize(Path::new(p))).is_some(), "{p}");
        }
        for p in ["/etcx", "/srv/data", "/var/lib/dockerd", "/home"] {
            assert_eq!(sensitive(&normalize(Path::new(p))), None, "{p}");
        }
    }

    #[test]
    fn normalizing_drops_dots_and_extra_slashes() {
        assert_eq!(normalize(Path::new("//etc/./ssl/")), Path::new("/etc/ssl"));
    }
}
