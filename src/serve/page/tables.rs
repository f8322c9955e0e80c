//! The page's object tables — pods, replication controllers, services,
//! nodes and recent events — computed from the snapshot with the same
//! status rules as `berth get`.

use crate::kube::nodes::{node_listing, trouble};
use crate::labels::Selector;
use crate::manifest::{Labels, Manifests};
use crate::nodes::{CondStatus, Condition, NodeStatus};
use crate::observed::{Observed, ObservedController, ObservedPod};
use crate::snapshot::Snapshot;
use crate::status::{self, Event, EventType, PodStatus};
use crate::timefmt::{age, format_rfc3339};

use super::html::{esc, label_chips, section, status_pill, table, td, td_text, when};

/// How many events the page lists.
pub(super) const EVENT_LIMIT: usize = 50;

/// The status of an observed pod now, with the exit codes of restarted
/// containers' previous runs taken from the Docker events.
fn status_of(snapshot: &Snapshot, pod: &ObservedPod, now: i64) -> PodStatus {
    let mut status = status::pod_status(pod, status::restart_policy_of(pod), now);
    status::apply_last_exits(&mut status, pod, &snapshot.docker_events);
    status
}

fn sorted_pods(observed: &Observed) -> Vec<&ObservedPod> {
    let mut pods: Vec<&ObservedPod> = observed.pods.iter().collect();
    pods.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    pods
}

/// The pods table: kubectl's columns (READY, STATUS, RESTARTS, AGE, IP,
/// NODE) plus labels, the owner under the name.
pub(super) fn pods(snapshot: &Snapshot, observed: &Observed, now: i64) -> String {
    let rows: Vec<String> = sorted_pods(observed)
        .into_iter()
        .map(|pod| {
            let status = status_of(snapshot, pod, now);
            let owner = pod
                .owner
                .as_deref()
                .map(|o| format!(r#"<div class="sub">{}</div>"#, esc(o)))
                .unwrap_or_default();
            let restarts = match status.last_restart {
                Some(at) if status.restarts > 0 => {
                    format!("{} ({} ago)", status.restarts, age(Some(at), now))
                }
                _ => status.restarts.to_string(),
            };
            let restart_class = if status.restarts > 0 {
                "num warn"
            } else {
                "num"
            };
            let message = status.message.as_deref().unwrap_or_default();
            [
                format!(r#"<tr><td class="name">{}{owner}</td>"#, esc(&pod.name)),
                format!(
                    r#"<td title="{}">{}</td>"#,
                    esc(message),
                    status_pill(&status.status_column())
                ),
                td_text("num", &status.ready_column()),
                td_text(restart_class, &restarts),
                td_text("num", &age(status.start_time, now)),
                td_text("", &pod.namespace),
                td_text("mono", status.pod_ip.as_deref().unwrap_or("<none>")),
                td_text("", &pod.node),
                td(label_chips(&pod.labels)),
                "</tr>".to_string(),
            ]
            .concat()
        })
        .collect();
    let headers = [
        "Name",
        "Status",
        "Ready",
        "Restarts",
        "Age",
        "Namespace",
        "IP",
        "Node",
        "Labels",
    ];
    let body = table(&headers, &rows, "No pods run on the engine.");
    section("pods", "Pods", Some(rows.len()), &body)
}

/// The pods of `rc`'s project and namespace its selector matches.
fn pods_of<'a>(observed: &'a Observed, rc: &ObservedController) -> Vec<&'a ObservedPod> {
    let selector = Selector::from_map(&rc.selector);
    observed
        .pods
        .iter()
        .filter(|p| {
            p.project == rc.project && p.namespace == rc.namespace && selector.matches(&p.labels)
        })
        .collect()
}

/// The replication controllers: desired replicas, current (matching pods)
/// and ready ones.
pub(super) fn controllers(snapshot: &Snapshot, observed: &Observed, now: i64) -> String {
    // Deployments' and ReplicaSets' records are not replication controllers.
    let mut controllers: Vec<&ObservedController> = observed
        .controllers
        .iter()
        .filter(|c| c.kind == crate::keys::KIND_RC)
        .collect();
    controllers.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let rows: Vec<String> = controllers
        .into_iter()
        .map(|rc| {
            let pods = pods_of(observed, rc);
            let ready = pods
                .iter()
                .filter(|p| status_of(snapshot, p, now).is_ready())
                .count();
            let desired = rc.replicas as usize;
            let class = |n: usize| if n == desired { "num" } else { "num warn" };
            [
                format!(r#"<tr><td class="name">{}</td>"#, esc(&rc.name)),
                td_text("", &rc.namespace),
                td_text("num", &desired.to_string()),
                td_text(class(pods.len()), &pods.len().to_string()),
                td_text(class(ready), &ready.to_string()),
                td(label_chips(&rc.selector)),
                td_text("num", &age(Some(rc.created), now)),
                "</tr>".to_string(),
            ]
            .concat()
        })
        .collect();
    let headers = [
        "Name",
        "Namespace",
        "Desired",
        "Current",
        "Ready",
        "Selector",
        "Age",
    ];
    let body = table(&headers, &rows, "No replication controllers.");
    section(
        "controllers",
        "Replication controllers",
        Some(rows.len()),
        &body,
    )
}

/// The services of the enforced manifests, with the running pods they
/// select.
pub(super) fn services(
    snapshot: &Snapshot,
    manifests: Option<&Manifests>,
    observed: Option<&Observed>,
) -> String {
    let mut services: Vec<_> = manifests
        .map(|m| m.services.iter().collect())
        .unwrap_or_default();
    services.sort_by(|a: &&crate::manifest::Service, b| {
        (&a.meta.namespace, &a.meta.name).cmp(&(&b.meta.namespace, &b.meta.name))
    });
    let rows: Vec<String> = services
        .into_iter()
        .map(|service| {
            let ports: Vec<String> = service
                .ports
                .iter()
                .map(|p| {
                    let target = if p.target_port == p.port.to_string() {
                        String::new()
                    } else {
                        format!("→{}", p.target_port)
                    };
                    format!("{}{target}/{}", p.port, p.protocol.docker().to_uppercase())
                })
                .collect();
            let endpoints = endpoints(
                snapshot,
                observed,
                &service.meta.namespace,
                &service.selector,
            );
            [
                format!(r#"<tr><td class="name">{}</td>"#, esc(&service.meta.name)),
                td_text("", &service.meta.namespace),
                td(label_chips(&service.selector)),
                td_text("mono", &ports.join(", ")),
                td_text("mono", &endpoints),
                "</tr>".to_string(),
            ]
            .concat()
        })
        .collect();
    let headers = ["Name", "Namespace", "Selector", "Ports", "Endpoints"];
    let body = table(&headers, &rows, "No services declared.");
    section("services", "Services", Some(rows.len()), &body)
}

/// The IPs of the running pods of `namespace` that `selector` picks, or
/// `<none>`.
fn endpoints(
    snapshot: &Snapshot,
    observed: Option<&Observed>,
    namespace: &str,
    selector: &Labels,
) -> String {
    let Some(observed) = observed.filter(|_| !selector.is_empty()) else {
        return "<none>".to_string();
    };
    let selector = Selector::from_map(selector);
    let ips: Vec<String> = sorted_pods(observed)
        .into_iter()
        .filter(|p| p.namespace == namespace && selector.matches(&p.labels))
        .filter_map(|p| status_of(snapshot, p, snapshot.taken_at).pod_ip)
        .collect();
    if ips.is_empty() {
        "<none>".to_string()
    } else {
        ips.join(", ")
    }
}

/// The nodes: as the node controller last saw them once it has probed;
/// before that `local` (the engine berth talks to), the nodes pods are
/// bound to, and the Node manifests.
pub(super) fn nodes(
    snapshot: &Snapshot,
    manifests: Option<&Manifests>,
    observed: Option<&Observed>,
) -> String {
    if !snapshot.nodes.is_empty() {
        return probed_nodes(&snapshot.nodes, observed);
    }
    let pods = observed.map(|o| o.pods.as_slice()).unwrap_or_default();
    let declared = manifests.map(|m| m.nodes.as_slice()).unwrap_or_default();
    let mut names: Vec<&str> = pods.iter().map(|p| p.node.as_str()).collect();
    names.push("local");
    names.extend(declared.iter().map(|n| n.meta.name.as_str()));
    names.sort();
    names.dedup();
    let engine_status = match snapshot.engine.reachable {
        Some(true) => "Ready",
        Some(false) => "NotReady",
        None => "Unknown",
    };
    let rows: Vec<String> = names
        .into_iter()
        .map(|name| {
            let manifest = declared.iter().find(|n| n.meta.name == name);
            let on_engine = name == "local" || pods.iter().any(|p| p.node == name);
            let (status, endpoint) = match manifest {
                _ if on_engine => (engine_status, snapshot.engine.endpoint.clone()),
                Some(node) => match &node.docker_host {
                    Some(host) => ("Unknown", host.clone()),
                    None => ("Pending", "<none>".to_string()),
                },
                None => ("Unknown", String::new()),
            };
            let labels = manifest.map(|n| n.meta.labels.clone()).unwrap_or_else(|| {
                Labels::from([("kubernetes.io/hostname".to_string(), name.to_string())])
            });
            let count = pods.iter().filter(|p| p.node == name).count();
            let capacity = match (&snapshot.engine.info, manifest) {
                (_, Some(node)) if !node.capacity.is_empty() => node
                    .capacity
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                (Some(info), _) if on_engine => format!(
                    "{} cpu, {:.1} GiB",
                    info.cpus,
                    info.memory_bytes as f64 / (1u64 << 30) as f64
                ),
                _ => String::new(),
            };
            let pill = match status {
                "Ready" => r#"<span class="pill phase-running">Ready</span>"#.to_string(),
                "NotReady" => r#"<span class="pill phase-failed">NotReady</span>"#.to_string(),
                other => format!(r#"<span class="pill phase-pending">{other}</span>"#),
            };
            [
                format!(r#"<tr><td class="name">{}</td>"#, esc(name)),
                td(pill),
                td_text("mono", &endpoint),
                td_text("", &capacity),
                td_text("num", &count.to_string()),
                td(label_chips(&labels)),
                "</tr>".to_string(),
            ]
            .concat()
        })
        .collect();
    let headers = ["Name", "Status", "Endpoint", "Capacity", "Pods", "Labels"];
    let body = table(&headers, &rows, "No nodes.");
    section("nodes", "Nodes", Some(rows.len()), &body)
}

/// A condition as a line: `Reachable True · EngineAnswered`, its message
/// (and since when it holds) on hover.
fn condition_line(kind: &str, c: &Condition) -> String {
    let class = match c.status {
        CondStatus::True => "sub",
        _ => "sub warn-text",
    };
    let mut title = c.message.clone();
    if !title.is_empty() {
        title.push_str(" — ");
    }
    title.push_str(&format!("since {}", format_rfc3339(c.last_transition)));
    let reason = if c.reason.is_empty() {
        String::new()
    } else {
        format!(" · {}", esc(&c.reason))
    };
    format!(
        r#"<div class="{class}" title="{}">{kind} {}{reason}</div>"#,
        esc(&title),
        c.status.as_str()
    )
}

/// The nodes the node controller knows: kubectl's STATUS (and why not
/// Ready), the endpoint, both conditions with their reasons, what the pods
/// on each allocate of its capacity, the pod count and the labels.
fn probed_nodes(statuses: &[NodeStatus], observed: Option<&Observed>) -> String {
    let empty = Observed::default();
    let observed = observed.unwrap_or(&empty);
    let listing = node_listing(statuses, observed, &Selector::default());
    let rows: Vec<String> = listing
        .items
        .iter()
        .filter_map(|item| {
            let status = statuses.iter().find(|s| s.spec.name == item.name)?;
            let text = status.status_text();
            let class = match text.as_str() {
                "Ready" => "phase-running",
                t if t.starts_with("NotReady") => "phase-failed",
                _ => "phase-pending",
            };
            let why = trouble(status)
                .map(|r| format!(r#"<div class="sub">{}</div>"#, esc(&r)))
                .unwrap_or_default();
            let pill = format!(r#"<span class="pill {class}">{}</span>{why}"#, esc(&text));
            let conditions = [
                condition_line("Reachable", &status.reachable),
                condition_line("Ready", &status.ready),
            ]
            .concat();
            // PODS, CPU and MEMORY of `berth get nodes`.
            let (pods, cpu, memory) = (&item.cells[2], &item.cells[3], &item.cells[4]);
            Some(
                [
                    format!(r#"<tr><td class="name">{}</td>"#, esc(&item.name)),
                    td(pill),
                    td_text("mono", &status.spec.endpoint_text()),
                    td(conditions),
                    td(format!(
                        r#"{} cpu<div class="sub">{} memory</div>"#,
                        esc(cpu),
                        esc(memory)
                    )),
                    td_text("num", pods),
                    td(label_chips(&status.labels())),
                    "</tr>".to_string(),
                ]
                .concat(),
            )
        })
        .collect();
    let headers = [
        "Name",
        "Status",
        "Endpoint",
        "Conditions",
        "Allocated",
        "Pods",
        "Labels",
    ];
    let body = table(&headers, &rows, "No nodes.");
    section("nodes", "Nodes", Some(rows.len()), &body)
}

/// The most recent pod events, newest first.
pub(super) fn recent_events(snapshot: &Snapshot, observed: &Observed) -> Vec<Event> {
    let mut events: Vec<Event> = observed
        .pods
        .iter()
        .flat_map(|pod| status::all_pod_events(pod, &snapshot.docker_events))
        .collect();
    // Each pod's events come oldest first: reversed, a stable sort by time
    // keeps the later of two events of one second first too.
    events.reverse();
    events.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
    events.truncate(EVENT_LIMIT);
    events
}

/// The events table.
pub(super) fn events(snapshot: &Snapshot, observed: &Observed, now: i64) -> String {
    let rows: Vec<String> = recent_events(snapshot, observed)
        .iter()
        .map(|event| {
            let kind = match event.kind {
                EventType::Warning => r#"<span class="pill phase-failed">Warning</span>"#,
                EventType::Normal => r#"<span class="pill muted-pill">Normal</span>"#,
            };
            let name = event.object.strip_prefix("pod/").unwrap_or(&event.object);
            let container = event
                .container
                .as_deref()
                .map(|c| format!(r#" <span class="muted">{}</span>"#, esc(c)))
                .unwrap_or_default();
            let object = format!("{}/{}{container}", esc(&event.namespace), esc(name));
            let count = if event.count > 1 {
                format!(r#" <span class="muted">×{}</span>"#, event.count)
            } else {
                String::new()
            };
            [
                format!("<tr>{}", td(when(event.last_seen, now))),
                td(kind),
                td_text("name", &event.reason),
                format!(r#"<td class="mono">{object}</td>"#),
                td(format!("{}{count}", esc(&event.message))),
                "</tr>".to_string(),
            ]
            .concat()
        })
        .collect();
    let headers = ["Last seen", "Type", "Reason", "Object", "Message"];
    let body = table(&headers, &rows, "No events yet.");
    section("events", "Recent events", Some(rows.len()), &body)
}
