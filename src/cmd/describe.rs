//! `berth describe pod NAME`: what kubectl describe shows — identity,
//! labels, status, IP, owner, each container's state and the pod's events.
//! The pod is looked for on every node (as `berth get pods` lists them).
//! `berth describe node NAME` is `describe_node`; workloads, ConfigMaps
//! and Secrets are `describe_apps`.

use crate::cli::{DescribeArgs, GlobalArgs, Resource};
use crate::manifest::Container;
use crate::observe::Depth;
use crate::observed::ObservedPod;
use crate::report::{self, Field};
use crate::status::{ContainerState, ContainerStatus, PodStatus};
use crate::timefmt::format_rfc3339;

use super::describe_spec::{container_spec_fields, last_applied_spec, volume_fields};
use super::events::{describe_table, docker_events, pod_filter};
use super::get_live::{look_all, status_of};
use super::live::{block_on, now};
use super::{ExitStatus, Io};

pub fn run(
    global: &GlobalArgs,
    args: &DescribeArgs,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    if args.resource == Resource::Nodes {
        return super::describe_node::run(global, args, io);
    }
    if args.resource == Resource::Services {
        return super::describe_service::run(global, args, io);
    }
    if matches!(
        args.resource,
        Resource::Deployments
            | Resource::ReplicaSets
            | Resource::DaemonSets
            | Resource::ConfigMaps
            | Resource::Secrets
    ) {
        return super::describe_apps::run(global, args, io);
    }
    if args.resource != Resource::Pods {
        report::error_message(
            io.err,
            &format!(
                "berth describe handles pods, nodes, services, deploy, rs, ds, cm and secrets, not {}",
                args.resource.plural()
            ),
        )?;
        return Ok(ExitStatus::Error);
    }
    let project = global.project.as_deref();
    let now = now();
    let options = global.node_options();
    let (warnings, found) = block_on(async {
        // The pod is looked for on every node, as `berth get pods` lists it.
        let connected = crate::nodes::discover(&options, project, now).await;
        let looked = look_all(&connected, project, Depth::Full, false, now).await?;
        let warnings: Vec<String> = looked
            .unreachable
            .into_iter()
            .chain(looked.failed)
            .collect();
        let mut pods: Vec<ObservedPod> = looked
            .observed
            .pods
            .into_iter()
            .filter(|p| p.namespace == args.namespace && p.name == args.name)
            .collect();
        if pods.len() > 1 {
            let places: Vec<String> = pods
                .iter()
                .map(|p| format!("{} on node {}", p.project, p.node))
                .collect();
            anyhow::bail!(
                "pod {}/{} exists in several projects or nodes ({}); choose one with --project",
                args.namespace,
                args.name,
                places.join(", ")
            );
        }
        let Some(pod) = pods.pop() else {
            return Ok((warnings, None));
        };
        let engine = connected
            .members
            .iter()
            .find(|(_, s)| s.spec.name == pod.node)
            .and_then(|(engine, _)| engine.as_ref())
            .ok_or_else(|| {
                anyhow::anyhow!("node {} of pod {} is not connected", pod.node, pod.name)
            })?;
        let mut docker_events = docker_events(engine, pod_filter(&pod), now).await?;
        // Events of an earlier pod of that name (before this pod's infra
        // container) are that pod's: kubectl ties events to a pod's uid.
        if let Some(infra) = &pod.infra {
            let born = infra.summary.created * 1_000_000_000;
            docker_events.retain(|e| e.time_nanos >= born);
        }
        anyhow::Ok((warnings, Some((docker_events, pod))))
    })??;
    for warning in &warnings {
        report::warning(io.err, warning)?;
    }
    let Some((docker_events, pod)) = found else {
        report::error_message(io.err, &format!("pods {:?} not found", args.name))?;
        return Ok(ExitStatus::Failure);
    };
    let events = crate::status::all_pod_events(&pod, &docker_events);
    let mut status = status_of(&pod, now);
    crate::status::apply_last_exits(&mut status, &pod, &docker_events);
    report::fields(io.out, &page(&pod, &status))?;
    writeln!(io.out, "Events:")?;
    if events.is_empty() {
        writeln!(io.out, "  <none>")?;
    } else {
        report::indented_table(io.out, &describe_table(&events, now))?;
    }
    Ok(ExitStatus::Success)
}

fn time(unix: Option<i64>) -> String {
    unix.map(format_rfc3339)
        .unwrap_or_else(|| "<unknown>".into())
}

/// The fields of the page, events aside.
fn page(pod: &ObservedPod, status: &PodStatus) -> Vec<Field> {
    let mut fields = vec![
        Field::new(0, "Name", &pod.name),
        Field::new(0, "Namespace", &pod.namespace),
        Field::new(0, "Project", &pod.project),
        Field::new(0, "Node", &pod.node),
        Field::new(0, "Start Time", time(status.start_time)),
    ];
    let mut labels = pod.labels.iter().map(|(k, v)| format!("{k}={v}"));
    fields.push(Field::new(
        0,
        "Labels",
        labels.next().unwrap_or_else(|| "<none>".into()),
    ));
    fields.extend(labels.map(|label| Field::new(0, "", label)));
    let mut phase = status.phase.as_str().to_string();
    if let Some(reason) = &status.reason {
        phase = format!("{phase} ({reason})");
    }
    fields.push(Field::new(0, "Status", phase));
    if let Some(message) = &status.message {
        fields.push(Field::new(0, "Message", message));
    }
    fields.push(Field::new(
        0,
        "IP",
        status.pod_ip.clone().unwrap_or_else(|| "<none>".into()),
    ));
    fields.push(Field::new(
        0,
        "Controlled By",
        pod.owner.clone().unwrap_or_else(|| "<none>".into()),
    ));
    let spec = last_applied_spec(pod.last_applied.as_deref());
    let declared = |name: &str| {
        spec.as_ref()
            .and_then(|s| s.containers.iter().find(|c| c.name == name))
    };
    // In spec order, as kubectl describe.
    let mut containers: Vec<&ContainerStatus> = status.containers.iter().collect();
    if let Some(spec) = &spec {
        containers.sort_by_key(|c| spec.containers.iter().position(|d| d.name == c.name));
    }
    if !status.init_containers.is_empty() {
        let declared_init = |name: &str| {
            spec.as_ref()
                .and_then(|s| s.init_containers.iter().find(|c| c.name == name))
        };
        fields.push(Field::new(0, "Init Containers", ""));
        for container in &status.init_containers {
            fields.extend(container_fields(container, declared_init(&container.name)));
        }
    }
    fields.push(Field::new(0, "Containers", ""));
    for container in containers {
        fields.extend(container_fields(container, declared(&container.name)));
    }
    if let Some(spec) = &spec {
        fields.extend(volume_fields(spec));
    }
    fields
}

fn container_fields(container: &ContainerStatus, spec: Option<&Container>) -> Vec<Field> {
    let mut fields = vec![Field::new(1, &container.name, "")];
    let id = container
        .container_id
        .clone()
        .unwrap_or_else(|| "<none>".into());
    fields.push(Field::new(2, "Container ID", id));
    fields.push(Field::new(2, "Image", &container.image));
    fields.extend(spec.map(container_spec_fields).unwrap_or_default());
    fields.extend(state_fields("State", &container.state));
    match &container.last_state {
        Some(last) => fields.extend(state_fields("Last State", last)),
        None => fields.push(Field::new(2, "Last State", "<none>")),
    }
    fields.push(Field::new(
        2,
        "Ready",
        if container.ready { "True" } else { "False" },
    ));
    fields.push(Field::new(
        2,
        "Restart Count",
        container.restart_count.to_string(),
    ));
    fields
}

fn state_fields(label: &str, state: &ContainerState) -> Vec<Field> {
    match state {
        ContainerState::Waiting { reason, message } => {
            let mut fields = vec![Field::new(2, label, "Waiting")];
            if !reason.is_empty() {
                fields.push(Field::new(3, "Reason", reason));
            }
            if !message.is_empty() {
                fields.push(Field::new(3, "Message", message));
            }
            fields
        }
        ContainerState::Running { started_at } => {
            vec![
                Field::new(2, label, "Running"),
                Field::new(3, "Started", time(*started_at)),
            ]
        }
        ContainerState::Terminated {
            exit_code,
            reason,
            started_at,
            finished_at,
        } => vec![
            Field::new(2, label, "Terminated"),
            Field::new(3, "Reason", reason),
            Field::new(3, "Exit Code", exit_code.to_string()),
            Field::new(3, "Started", time(*started_at)),
            Field::new(3, "Finished", time(*finished_at)),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restarted_container_shows_its_last_exit_code() {
        let container = ContainerStatus {
            name: "app".into(),
            ready: true,
            restart_count: 3,
            state: ContainerState::Running {
                started_at: Some(0),
            },
            last_state: Some(ContainerState::Terminated {
                exit_code: 2,
                reason: "Error".into(),
                started_at: Some(0),
                finished_at: Some(60),
            }),
            image: "busybox:1".into(),
            container_id: Some("docker://abc".into()),
            started: true,
        };
        let mut out = Vec::new();
        report::fields(&mut out, &container_fields(&container, None)).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("    Last State:     Terminated\n"), "{text}");
        assert!(text.contains("      Exit Code:  2\n"), "{text}");
        assert!(text.contains("    Restart Count:  3\n"), "{text}");
    }
}
