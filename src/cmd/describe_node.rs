//! `berth describe node NAME`: what kubectl describe shows of a node —
//! identity, labels, the endpoint, conditions, capacity, the engine's
//! system, the pods on it with what they request, what that allocates,
//! and the recent events of those pods. The node is found as `berth get
//! nodes` finds it (`nodes::discover`) and its engine alone is listed.

use crate::cli::{DescribeArgs, GlobalArgs};
use crate::engine::EngineEvent;
use crate::keys;
use crate::kube::nodes::{allocated, cpu_text, memory_text, node_json, node_pods};
use crate::nodes::{Condition, NodeStatus};
use crate::observe::{self, Depth, InspectCache};
use crate::observed::Observed;
use crate::report::{self, Field, Table};
use crate::status::{all_pod_events, Event};
use crate::timefmt::format_rfc3339;

use std::io::Write;

use super::live::{block_on, now};
use super::{ExitStatus, Io};

/// How many of the node's pods' events the page shows, newest last.
const EVENT_LIMIT: usize = 20;

pub fn run(
    global: &GlobalArgs,
    args: &DescribeArgs,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    let project = global.project.as_deref();
    let now = now();
    let options = global.node_options();
    let found = block_on(async {
        let connected = crate::nodes::discover(&options, project, now).await;
        let Some((engine, status)) = connected
            .members
            .into_iter()
            .find(|(_, s)| s.spec.name == args.name)
        else {
            return anyhow::Ok(None);
        };
        let engine = engine.filter(|_| status.is_reachable());
        let Some(engine) = engine else {
            return Ok(Some((status, None)));
        };
        let mut observed =
            observe::observe_with(&engine, project, &mut InspectCache::default(), Depth::Full)
                .await?;
        for pod in &mut observed.pods {
            pod.node = status.spec.name.clone();
        }
        // A read: a failure here only loses the events.
        let events = super::events::docker_events(&engine, keys::filter(project), now)
            .await
            .unwrap_or_default();
        Ok(Some((status, Some((observed, events)))))
    })??;
    let Some((status, listed)) = found else {
        report::error_message(io.err, &format!("nodes {:?} not found", args.name))?;
        return Ok(ExitStatus::Failure);
    };
    let text = page(
        &status,
        listed.as_ref().map(|(o, e)| (o, e.as_slice())),
        project.is_none(),
        now,
    )?;
    write!(io.out, "{text}")?;
    Ok(ExitStatus::Success)
}

fn time(unix: i64) -> String {
    format_rfc3339(unix)
}

/// `cpu 750m (18%)`: the requests and their share of what is allocatable.
fn share(requested: i64, allocatable: Option<i64>, text: fn(i64) -> String) -> String {
    match allocatable.filter(|a| *a > 0) {
        Some(total) => format!(
            "{} ({}%)",
            text(requested),
            (i128::from(requested) * 100 / i128::from(total))
        ),
        None => text(requested),
    }
}

fn labels_fields(key: &str, entries: Vec<String>) -> Vec<Field> {
    let mut entries = entries.into_iter();
    let mut fields = vec![Field::new(
        0,
        key,
        entries.next().unwrap_or_else(|| "<none>".into()),
    )];
    fields.extend(entries.map(|e| Field::new(0, "", e)));
    fields
}

/// The page. `listed`: the node's engine's objects and Docker events, when
/// it answered; `show_project`: the pods span projects (no `--project`).
pub(crate) fn page(
    status: &NodeStatus,
    listed: Option<(&Observed, &[EngineEvent])>,
    show_project: bool,
    now: i64,
) -> std::io::Result<String> {
    let node = node_json(status);
    let mut out = Vec::new();
    let mut fields = vec![Field::new(0, "Name", &status.spec.name)];
    fields.extend(labels_fields(
        "Labels",
        status
            .labels()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
    ));
    let annotations = node["metadata"]["annotations"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    fields.extend(labels_fields("Annotations", annotations));
    let mut phase = status.phase.as_str().to_string();
    if !status.reason.is_empty() {
        phase = format!("{phase} ({})", status.reason);
    }
    fields.push(Field::new(0, "Phase", phase));
    fields.push(Field::new(0, "Status", status.status_text()));
    fields.push(Field::new(0, "Endpoint", status.spec.endpoint_text()));
    fields.push(Field::new(
        0,
        "Unschedulable",
        if status.is_ready() { "false" } else { "true" },
    ));
    if let Some(since) = status.unreachable_since {
        fields.push(Field::new(0, "Unreachable Since", time(since)));
    }
    if let Some(lost) = status.lost_at {
        fields.push(Field::new(0, "Lost At", time(lost)));
    }
    report::fields(&mut out, &fields)?;
    writeln!(out, "Conditions:")?;
    let mut conditions = Table::new([
        "Type",
        "Status",
        "LastHeartbeatTime",
        "LastTransitionTime",
        "Reason",
        "Message",
    ]);
    let row = |kind: &str, c: &Condition| {
        [
            kind.to_string(),
            c.status.as_str().to_string(),
            time(c.last_probe),
            time(c.last_transition),
            c.reason.clone(),
            c.message.clone(),
        ]
    };
    let ready = &node["status"]["conditions"][0];
    conditions.row([
        "Ready".to_string(),
        ready["status"].as_str().unwrap_or_default().to_string(),
        time(status.ready.last_probe),
        time(status.ready.last_transition),
        ready["reason"].as_str().unwrap_or_default().to_string(),
        ready["message"].as_str().unwrap_or_default().to_string(),
    ]);
    conditions.row(row("NodeReachable", &status.reachable));
    conditions.row(row("NodeReady", &status.ready));
    report::indented_table(&mut out, &conditions)?;
    let mut fields = vec![Field::new(0, "Addresses", "")];
    for address in node["status"]["addresses"].as_array().into_iter().flatten() {
        fields.push(Field::new(
            1,
            address["type"].as_str().unwrap_or_default(),
            address["address"].as_str().unwrap_or_default(),
        ));
    }
    for (key, title) in [("capacity", "Capacity"), ("allocatable", "Allocatable")] {
        match node["status"][key].as_object() {
            Some(map) => {
                fields.push(Field::new(0, title, ""));
                for (k, v) in map {
                    fields.push(Field::new(1, k, v.as_str().unwrap_or_default()));
                }
            }
            None => fields.push(Field::new(0, title, "<unknown>")),
        }
    }
    let info = &node["status"]["nodeInfo"];
    fields.push(Field::new(0, "System Info", ""));
    for (key, title) in [
        ("operatingSystem", "Operating System"),
        ("architecture", "Architecture"),
        ("osImage", "OS Image"),
        ("kernelVersion", "Kernel Version"),
        ("containerRuntimeVersion", "Container Runtime Version"),
        ("kubeletVersion", "Kubelet Version"),
    ] {
        let value = info[key].as_str().filter(|v| !v.is_empty());
        fields.push(Field::new(1, title, value.unwrap_or("<unknown>")));
    }
    report::fields(&mut out, &fields)?;
    let Some((observed, docker_events)) = listed else {
        let why = "<unknown: the node's engine does not answer>";
        writeln!(out, "Non-terminated Pods:  {why}")?;
        writeln!(out, "Allocated resources:  {why}")?;
        writeln!(out, "Events:               <none>")?;
        return Ok(String::from_utf8_lossy(&out).into_owned());
    };
    let pods = node_pods(observed, &status.spec.name);
    writeln!(out, "Non-terminated Pods:  ({} in total)", pods.len())?;
    let capacity = status.capacity();
    if !pods.is_empty() {
        let mut headers = vec!["Namespace", "Name", "CPU Requests", "Memory Requests"];
        if show_project {
            headers.insert(0, "Project");
        }
        let mut table = Table::new(headers);
        for (pod, requests) in &pods {
            let mut row = vec![
                pod.namespace.clone(),
                pod.name.clone(),
                share(requests.cpu_milli, capacity.map(|c| c.cpu_milli), cpu_text),
                share(
                    requests.memory_bytes,
                    capacity.map(|c| c.memory_bytes),
                    memory_text,
                ),
            ];
            if show_project {
                row.insert(0, pod.project.clone());
            }
            table.row(row);
        }
        report::indented_table(&mut out, &table)?;
    }
    let used = allocated(&pods);
    writeln!(out, "Allocated resources:")?;
    let mut table = Table::new(["Resource", "Requests"]);
    table.row([
        "cpu".to_string(),
        share(used.cpu_milli, capacity.map(|c| c.cpu_milli), cpu_text),
    ]);
    table.row([
        "memory".to_string(),
        share(
            used.memory_bytes,
            capacity.map(|c| c.memory_bytes),
            memory_text,
        ),
    ]);
    report::indented_table(&mut out, &table)?;
    writeln!(out, "Events:")?;
    let mut events: Vec<Event> = observed
        .pods
        .iter()
        .filter(|p| p.node == status.spec.name)
        .flat_map(|p| all_pod_events(p, docker_events))
        .collect();
    events.sort_by_key(|e| e.last_seen);
    let skip = events.len().saturating_sub(EVENT_LIMIT);
    if events.is_empty() {
        writeln!(out, "  <none>")?;
    } else {
        let mut table = Table::new(["Type", "Reason", "Age", "Pod", "Message"]);
        for event in &events[skip..] {
            table.row([
                event.kind.as_str().to_string(),
                event.reason.clone(),
                super::events::describe_age(event, now),
                match event.object.strip_prefix("pod/") {
                    Some(name) => format!("{}/{name}", event.namespace),
                    None => event.object.clone(),
                },
                event.message.clone(),
            ]);
        }
        report::indented_table(&mut out, &table)?;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::FakeEngine;
    use crate::nodes::{advance, NodeSpec, Probe};

    const GRACE: Duration = Duration::from_secs(40);

    fn spec(name: &str, endpoint: &str) -> NodeSpec {
        let mut spec = crate::nodes::starting_nodes(&[endpoint.to_string()], endpoint).remove(0);
        spec.name = name.to_string();
        spec.cpu_milli = Some(2000);
        spec
    }

    fn pod(name: &str, cpu: &str) -> crate::observed::ObservedPod {
        crate::kube::nodes::pod_on("n1", name, cpu, "256Mi")
    }

    #[test]
    fn a_ready_node_shows_conditions_capacity_pods_and_allocation() {
        let now = 10_000;
        let probe = Probe::Answered(FakeEngine::default_info());
        let status = advance(None, &spec("n1", "tcp://10.0.0.2:2376"), probe, now, GRACE);
        let observed = Observed {
            pods: vec![pod("web-0", "500m"), pod("web-1", "1")],
            ..Default::default()
        };
        let text = page(&status, Some((&observed, &[])), false, now).unwrap();
        assert!(text.starts_with("Name:"), "{text}");
        assert!(
            text.contains("                kubernetes.io/hostname=n1\n"),
            "{text}"
        );
        assert!(
            text.contains("Annotations:    berth.io/docker-host: tcp://10.0.0.2:2376\n"),
            "{text}"
        );
        assert!(text.contains("Phase:          Running\n"), "{text}");
        let when = format_rfc3339(now);
        assert!(
            text.contains(&format!(
                "  NodeReachable   True     {when}   {when}   EngineAnswered"
            )),
            "{text}"
        );
        assert!(
            text.contains("\n  cpu:                        2\n"),
            "{text}"
        );
        assert!(
            text.contains("  OS Image:                   Fake OS\n"),
            "{text}"
        );
        assert!(
            text.contains("Non-terminated Pods:  (2 in total)\n"),
            "{text}"
        );
        assert!(
            text.contains("  default     web-0   500m (25%)     256Mi (3%)\n"),
            "{text}"
        );
        assert!(text.contains("  cpu        1500m (75%)\n"), "{text}");
        assert!(text.contains("  memory     512Mi (6%)\n"), "{text}");
        let events = &text[text.find("Events:").unwrap()..];
        assert!(
            events.contains("Scheduled   150m   default/web-1   Successfully assigned"),
            "{text}"
        );
    }

    #[test]
    fn a_node_that_does_not_answer_says_so() {
        let probe = Probe::Unreachable("connection refused".into());
        let status = advance(None, &spec("n2", "tcp://10.0.0.3:2376"), probe, 100, GRACE);
        let text = page(&status, None, false, 100).unwrap();
        assert!(
            text.contains("Phase:              Pending (EngineUnreachable)\n"),
            "{text}"
        );
        assert!(text.contains("NodeReachable   False"), "{text}");
        assert!(text.contains("connection refused"), "{text}");
        assert!(text.contains("Capacity:     <unknown>\n"), "{text}");
        assert!(text.contains("Non-terminated Pods:  <unknown"), "{text}");
    }
}
