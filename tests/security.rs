//! Security on a real Docker engine through the `berth` binary: a pod's
//! securityContext holds inside its container, and a manifest that would
//! mount the host's /etc is refused until the user allows it.

mod common;

use std::time::Duration;

use common::*;

const LOCKED_DOWN: &str = "apiVersion: v1
kind: Pod
metadata:
  name: locked
spec:
  terminationGracePeriodSeconds: 0
  securityContext:
    runAsUser: 1000
  containers:
  - name: app
    image: IMAGE
    imagePullPolicy: Never
    command: [sleep, '3600']
    securityContext:
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
      capabilities:
        drop: [ALL]
";

/// `docker exec NAME sh -c SCRIPT`, trimmed; `Err` when it fails.
fn exec(name: &str, script: &str) -> Result<String, String> {
    try_docker(&["exec", name, "sh", "-c", script]).map(|out| out.trim().to_string())
}

#[test]
fn a_locked_down_security_context_holds_inside_the_container() {
    let project = Project::new("sec-ctx");
    let dir = ManifestDir::new();
    dir.write("locked.yaml", &LOCKED_DOWN.replace("IMAGE", TEST_IMAGE));
    apply_ok(&project, &dir);
    let app = container_name(&project, "locked", "app");
    let running = wait_until(Duration::from_secs(10), || exec(&app, "true").is_ok());
    assert!(running, "the container never ran");
    assert_eq!(exec(&app, "id -u").as_deref(), Ok("1000"));
    assert!(
        exec(&app, "echo x > /written").is_err(),
        "wrote to the root file system"
    );
    assert_eq!(
        docker(&[
            "inspect",
            "--format",
            "{{.HostConfig.ReadonlyRootfs}}",
            &app
        ])
        .trim(),
        "true"
    );
    let status = |field: &str| exec(&app, &format!("grep {field} /proc/self/status"));
    assert_eq!(status("NoNewPrivs").as_deref(), Ok("NoNewPrivs:\t1"));
    assert_eq!(status("CapEff").as_deref(), Ok("CapEff:\t0000000000000000"));
    // Dropping ALL empties the bounding set too, which running as a user
    // other than root alone would not.
    assert_eq!(status("CapBnd").as_deref(), Ok("CapBnd:\t0000000000000000"));
}

const HOST_ETC: &str = "apiVersion: v1
kind: Pod
metadata:
  name: reader
spec:
  terminationGracePeriodSeconds: 0
  volumes:
  - name: etc
    hostPath:
      path: /etc
  containers:
  - name: app
    image: IMAGE
    imagePullPolicy: Never
    command: [sleep, '3600']
    volumeMounts:
    - {name: etc, mountPath: /host-etc, readOnly: true}
";

#[test]
fn a_host_path_of_etc_is_refused_until_allowed() {
    let project = Project::new("sec-etc");
    let dir = ManifestDir::new();
    dir.write("locked.yaml", &LOCKED_DOWN.replace("IMAGE", TEST_IMAGE));
    apply_ok(&project, &dir);
    let before = container_ids(&project);
    let file = dir.write("reader.yaml", &HOST_ETC.replace("IMAGE", TEST_IMAGE));
    dir.remove("locked.yaml");
    let refused = apply(&project, &dir);
    assert_exit(&refused, 2);
    assert_says(
        &refused.stderr,
        &format!(
            "{}:10:13: spec.volumes[0].hostPath.path: \"/etc\" is a sensitive host path \
             (under /etc); refused by default",
            file.display()
        ),
    );
    assert_eq!(
        container_ids(&project),
        before,
        "a refused manifest changed the engine"
    );
    let allowed = apply_with(&project, &dir, &["--allow-host-path", "/etc"]);
    assert_exit(&allowed, 0);
    let app = container_name(&project, "reader", "app");
    let mounted = wait_until(Duration::from_secs(10), || {
        exec(&app, "test -f /host-etc/passwd").is_ok()
    });
    assert!(mounted, "the allowed /etc was never mounted");
}
