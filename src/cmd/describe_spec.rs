//! The spec half of `berth describe pod`, from the last applied pod spec the
//! infra container keeps: per container its ports, command, args, limits,
//! environment (a variable from a Secret or ConfigMap names its key, never
//! its value) and mounts, and the pod's volumes, laid out as kubectl does.

use crate::manifest::{
    Container, EnvFromRef, EnvFromSource, EnvVarSource, PodSpec, Probe, ProbeHandler, ProbePort,
    VolumeProjection, VolumeSource,
};
use crate::report::Field;

/// The pod spec berth last applied, if the infra container kept it.
pub(crate) fn last_applied_spec(last_applied: Option<&str>) -> Option<PodSpec> {
    let value: serde_json::Value = serde_json::from_str(last_applied?).ok()?;
    serde_json::from_value(value.get("spec")?.clone()).ok()
}

/// A probe as kubectl describes it: `exec [test -f /tmp/ready] delay=0s
/// timeout=1s period=10s #success=1 #failure=3`.
fn probe_line(p: &Probe) -> String {
    let port = |port: &ProbePort| match port {
        ProbePort::Number(n) => n.to_string(),
        ProbePort::Name(name) => name.clone(),
    };
    let handler = match &p.handler {
        ProbeHandler::Exec { command } => format!("exec [{}]", command.join(" ")),
        ProbeHandler::HttpGet(get) => format!("http-get http://:{}{}", port(&get.port), get.path),
        ProbeHandler::TcpSocket { port: p, .. } => format!("tcp-socket :{}", port(p)),
    };
    format!(
        "{handler} delay={}s timeout={}s period={}s #success={} #failure={}",
        p.initial_delay_seconds,
        p.timeout_seconds,
        p.period_seconds,
        p.success_threshold,
        p.failure_threshold
    )
}

/// What kubectl shows of a container's spec, below its `Image:`.
pub(crate) fn container_spec_fields(c: &Container) -> Vec<Field> {
    let mut fields = Vec::new();
    let ports = |host: bool| -> Vec<String> {
        c.ports
            .iter()
            .filter_map(|p| {
                let port = if host { p.host_port? } else { p.container_port };
                let protocol = p.protocol.docker().to_ascii_uppercase();
                Some(format!("{port}/{protocol}"))
            })
            .collect()
    };
    let (container_ports, host_ports) = (ports(false), ports(true));
    if !container_ports.is_empty() {
        fields.push(Field::new(2, "Port", container_ports.join(", ")));
        let host = if host_ports.is_empty() {
            "<none>".to_string()
        } else {
            host_ports.join(", ")
        };
        fields.push(Field::new(2, "Host Port", host));
    }
    for (label, words) in [("Command", &c.command), ("Args", &c.args)] {
        if !words.is_empty() {
            fields.push(Field::new(2, label, ""));
            fields.extend(words.iter().map(|w| Field::line(3, w)));
        }
    }
    if !c.resources.limits.is_empty() {
        fields.push(Field::new(2, "Limits", ""));
        for (name, value) in &c.resources.limits {
            fields.push(Field::new(3, name, value));
        }
    }
    for (label, probe) in [
        ("Liveness", &c.liveness_probe),
        ("Readiness", &c.readiness_probe),
        ("Startup", &c.startup_probe),
    ] {
        if let Some(probe) = probe {
            fields.push(Field::new(2, label, probe_line(probe)));
        }
    }
    if let Some(dir) = &c.working_dir {
        fields.push(Field::new(2, "Working Dir", dir));
    }
    if c.env.is_empty() && c.env_from.is_empty() {
        fields.push(Field::new(2, "Environment", "<none>"));
    } else {
        if !c.env_from.is_empty() {
            fields.push(Field::new(2, "Environment Variables from", ""));
            fields.extend(c.env_from.iter().map(|e| Field::line(3, env_from_text(e))));
        }
        fields.push(Field::new(2, "Environment", ""));
        for var in &c.env {
            let value = match &var.value_from {
                Some(source) => env_source_text(source),
                None => var.value.clone(),
            };
            fields.push(Field::new(3, &var.name, value));
        }
    }
    if c.volume_mounts.is_empty() {
        fields.push(Field::new(2, "Mounts", "<none>"));
    } else {
        fields.push(Field::new(2, "Mounts", ""));
        for m in &c.volume_mounts {
            let mode = if m.read_only { "ro" } else { "rw" };
            let line = format!("{} from {} ({mode})", m.mount_path, m.name);
            fields.push(Field::line(3, line));
        }
    }
    fields
}

/// Where a variable comes from, as kubectl describes it: never a
/// Secret's (or a ConfigMap's) value, only the key it is read from.
fn env_source_text(source: &EnvVarSource) -> String {
    let optional = |o: Option<bool>| o.unwrap_or(false);
    match source {
        EnvVarSource::SecretKeyRef(r) => format!(
            "<set to the key '{}' in secret '{}'>  Optional: {}",
            r.key,
            r.name,
            optional(r.optional)
        ),
        EnvVarSource::ConfigMapKeyRef(r) => format!(
            "<set to the key '{}' of config map '{}'>  Optional: {}",
            r.key,
            r.name,
            optional(r.optional)
        ),
        EnvVarSource::FieldRef(f) => format!(
            "({}:{})",
            f.api_version.as_deref().unwrap_or("v1"),
            f.field_path
        ),
        EnvVarSource::ResourceFieldRef(r) => {
            format!("{} ({}) ", r.resource, r.container_name)
        }
    }
}

/// One `envFrom` entry: `db  Secret  Optional: false`.
fn env_from_text(source: &EnvFromSource) -> String {
    let (name, kind, optional) = match &source.from {
        EnvFromRef::SecretRef(r) => (&r.name, "Secret", r.optional),
        EnvFromRef::ConfigMapRef(r) => (&r.name, "ConfigMap", r.optional),
    };
    let prefix = if source.prefix.is_empty() {
        String::new()
    } else {
        format!(" with prefix '{}'", source.prefix)
    };
    format!(
        "{name}  {kind}{prefix}  Optional: {}",
        optional.unwrap_or(false)
    )
}

/// The pod's `Volumes:` section.
pub(crate) fn volume_fields(spec: &PodSpec) -> Vec<Field> {
    if spec.volumes.is_empty() {
        return vec![Field::new(0, "Volumes", "<none>")];
    }
    let mut fields = vec![Field::new(0, "Volumes", "")];
    for v in &spec.volumes {
        fields.push(Field::new(1, &v.name, ""));
        match &v.source {
            VolumeSource::EmptyDir(e) => {
                let kind = "EmptyDir (a temporary directory that shares a pod's lifetime)";
                fields.push(Field::new(2, "Type", kind));
                let medium = if e.medium.is_empty() { "" } else { &e.medium };
                fields.push(Field::new(2, "Medium", medium));
            }
            VolumeSource::HostPath(h) => {
                fields.push(Field::new(
                    2,
                    "Type",
                    "HostPath (bare host directory volume)",
                ));
                fields.push(Field::new(2, "Path", &h.path));
                fields.push(Field::new(2, "HostPathType", &h.kind));
            }
            VolumeSource::ConfigMap(c) => {
                let kind = "ConfigMap (a volume populated by a ConfigMap)";
                fields.push(Field::new(2, "Type", kind));
                fields.push(Field::new(2, "Name", &c.name));
                fields.push(Field::new(2, "Optional", optional(c.optional)));
            }
            VolumeSource::Secret(c) => {
                let kind = "Secret (a volume populated by a Secret)";
                fields.push(Field::new(2, "Type", kind));
                fields.push(Field::new(2, "SecretName", &c.secret_name));
                fields.push(Field::new(2, "Optional", optional(c.optional)));
            }
            VolumeSource::DownwardApi(c) => {
                let kind = "DownwardAPI (a volume populated by information about the pod)";
                fields.push(Field::new(2, "Type", kind));
                fields.push(Field::new(2, "Items", ""));
                for item in &c.items {
                    fields.push(Field::line(3, downward_item(item)));
                }
            }
            VolumeSource::Projected(c) => {
                let kind = "Projected (a volume that contains injected data from multiple sources)";
                fields.push(Field::new(2, "Type", kind));
                for source in &c.sources {
                    match source {
                        VolumeProjection::ConfigMap(p) => {
                            fields.push(Field::new(2, "ConfigMapName", &p.name));
                            fields.push(Field::new(2, "ConfigMapOptional", nil(p.optional)));
                        }
                        VolumeProjection::Secret(p) => {
                            fields.push(Field::new(2, "SecretName", &p.name));
                            fields.push(Field::new(2, "SecretOptional", nil(p.optional)));
                        }
                        VolumeProjection::DownwardApi(_) => {
                            fields.push(Field::new(2, "DownwardAPI", "true"));
                        }
                    }
                }
            }
        }
    }
    fields
}

/// `Optional:` as kubectl prints a `*bool` it defaults to false.
fn optional(value: Option<bool>) -> String {
    value.unwrap_or(false).to_string()
}

/// A `*bool` as kubectl prints it unset: `<nil>`.
fn nil(value: Option<bool>) -> String {
    value.map_or_else(|| "<nil>".to_string(), |v| v.to_string())
}

/// `metadata.labels -> labels`, `limits.cpu -> cpu_limit`.
fn downward_item(item: &crate::manifest::DownwardApiFile) -> String {
    match (&item.field_ref, &item.resource_field_ref) {
        (Some(f), _) => format!("{} -> {}", f.field_path, item.path),
        (None, Some(r)) => format!("{} -> {}", r.resource, item.path),
        (None, None) => item.path.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report;

    const LAST_APPLIED: &str = r#"{"metadata":{},"spec":{"containers":[{"name":"srv",
        "image":"busybox:1","command":["sh","-c"],"args":["httpd -f"],
        "env":[{"name":"A","value":"1"},
          {"name":"PASSWORD","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}}],
        "envFrom":[{"configMapRef":{"name":"settings"}}],
        "ports":[{"containerPort":8080,"hostPort":18080,"protocol":"TCP"}],
        "resources":{"limits":{"cpu":"500m","memory":"64Mi"}},
        "volumeMounts":[{"name":"scratch","mountPath":"/data","readOnly":true}],
        "imagePullPolicy":"IfNotPresent"}],
        "volumes":[{"name":"scratch","emptyDir":{}}],
        "restartPolicy":"Always","terminationGracePeriodSeconds":30}}"#;

    fn render(fields: &[Field]) -> String {
        let mut out = Vec::new();
        report::fields(&mut out, fields).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_containers_spec_reads_like_kubectl_describe() {
        let spec = last_applied_spec(Some(LAST_APPLIED)).expect("a pod spec");
        let text = render(&container_spec_fields(&spec.containers[0]));
        for line in [
            "    Port:       8080/TCP\n",
            "    Host Port:  18080/TCP\n",
            "    Command:\n      sh\n      -c\n",
            "    Args:\n      httpd -f\n",
            "    Limits:\n      cpu:       500m\n      memory:    64Mi\n",
            "    Environment Variables from:\n      settings  ConfigMap  Optional: false\n",
            "    Environment:\n      A:         1\n      PASSWORD:  <set to the key 'password' in secret 'db'>  Optional: false\n",
            "    Mounts:\n      /data from scratch (ro)\n",
        ] {
            assert!(text.contains(line), "no {line:?} in:\n{text}");
        }
        let volumes = render(&volume_fields(&spec));
        assert!(
            volumes.starts_with("Volumes:\n  scratch:\n    Type:"),
            "{volumes}"
        );
        assert!(volumes.contains("EmptyDir"), "{volumes}");
    }

    #[test]
    fn probes_read_like_kubectl_describe() {
        let with_probes = LAST_APPLIED.replace(
            r#""imagePullPolicy":"IfNotPresent"}"#,
            r#""imagePullPolicy":"IfNotPresent",
            "livenessProbe":{"exec":{"command":["test","-f","/tmp/alive"]},"initialDelaySeconds":0,
                "periodSeconds":10,"timeoutSeconds":1,"successThreshold":1,"failureThreshold":3},
            "readinessProbe":{"httpGet":{"path":"/ready","port":"http"},"initialDelaySeconds":5,
                "periodSeconds":2,"timeoutSeconds":1,"successThreshold":2,"failureThreshold":3}}"#,
        );
        let spec = last_applied_spec(Some(&with_probes)).expect("a pod spec");
        let text = render(&container_spec_fields(&spec.containers[0]));
        for line in [
            "exec [test -f /tmp/alive] delay=0s timeout=1s period=10s #success=1 #failure=3\n",
            "http-get http://:http/ready delay=5s timeout=1s period=2s #success=2 #failure=3\n",
        ] {
            assert!(text.contains(line), "no {line:?} in:\n{text}");
        }
        assert!(text.contains("    Liveness:"), "{text}");
    }
}
