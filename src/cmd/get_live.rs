//! `berth get pods|rc|nodes` without `-f`: live from the engine (observe +
//! status). Without `--project` every project is listed, with a PROJECT
//! column.

use serde_json::{json, Map, Value};

use crate::cli::{GetArgs, GlobalArgs, Resource};
use crate::engine::EngineEvent;
use crate::keys;
use crate::labels::Selector;
use crate::observe::{self, Depth, InspectCache};
use crate::observed::{Observed, ObservedPod};
use crate::report;
use crate::status::{self, PodStatus};
use crate::timefmt::{age, format_rfc3339};

use super::listing::{labels_text, print_listing, Listed, Listing};
use super::live::{block_on, connect, now};
use super::{ExitStatus, Io};

pub fn run(
    global: &GlobalArgs,
    args: &GetArgs,
    selector: &Selector,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    if args.resource == Resource::Services {
        report::error_message(
            io.err,
            "services live only in the manifests (as network aliases on the engine); use `berth get services -f PATH`",
        )?;
        return Ok(ExitStatus::Error);
    }
    let project = global.project.as_deref();
    let now = now();
    let wants_pods = !matches!(
        args.resource,
        Resource::ReplicationControllers | Resource::Nodes
    );
    let (observed, docker_events) = block_on(async {
        let engine = connect().await?;
        let observed =
            observe::observe_with(&engine, project, &mut InspectCache::default(), Depth::Full)
                .await?;
        // The exit codes of restarted containers' previous runs (a read; a
        // failure here only loses `lastState`).
        let events = if wants_pods {
            super::events::docker_events(&engine, keys::filter(project), now)
                .await
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        anyhow::Ok((observed, events))
    })??;
    let namespace = args.scope.namespace();
    let listing = match args.resource {
        Resource::ReplicationControllers => rc_listing(&observed, namespace, selector, now),
        Resource::Nodes => node_listing(&observed, selector),
        _ => pod_listing(&observed, &docker_events, namespace, selector, now),
    };
    let listing = Listing {
        show_project: project.is_none() && args.resource != Resource::Nodes,
        ..listing
    };
    print_listing(listing, args.name.as_deref(), namespace, args.output, io)
}

fn in_scope(namespace: Option<&str>, object: &str) -> bool {
    namespace.is_none_or(|ns| ns == object)
}

/// The status of an observed pod now, under its declared restart policy.
pub(crate) fn status_of(pod: &ObservedPod, now: i64) -> PodStatus {
    status::pod_status(pod, status::restart_policy_of(pod), now)
}

/// `3`, or kubectl's `3 (5m ago)` when the last restart is known.
fn restarts_text(status: &PodStatus, now: i64) -> String {
    match status.last_restart {
        Some(at) if status.restarts > 0 => {
            format!("{} ({} ago)", status.restarts, age(Some(at), now))
        }
        _ => status.restarts.to_string(),
    }
}

pub(crate) fn pod_listing(
    observed: &Observed,
    docker_events: &[EngineEvent],
    namespace: Option<&str>,
    selector: &Selector,
    now: i64,
) -> Listing {
    let mut items = Vec::new();
    for pod in &observed.pods {
        if !in_scope(namespace, &pod.namespace)
            || !(selector.is_empty() || selector.matches(&pod.labels))
        {
            continue;
        }
        let mut status = status_of(pod, now);
        status::apply_last_exits(&mut status, pod, docker_events);
        items.push(Listed {
            project: Some(pod.project.clone()),
            namespace: pod.namespace.clone(),
            name: pod.name.clone(),
            cells: vec![
                status.ready_column(),
                status.status_column(),
                restarts_text(&status, now),
                age(status.start_time, now),
            ],
            wide: vec![
                status.pod_ip.clone().unwrap_or_else(|| "<none>".into()),
                pod.node.clone(),
            ],
            json: pod_json(pod, &status),
        });
    }
    items.sort_by(|a, b| {
        (&a.project, &a.namespace, &a.name).cmp(&(&b.project, &b.namespace, &b.name))
    });
    Listing {
        resource: Resource::Pods,
        headers: vec!["READY", "STATUS", "RESTARTS", "AGE"],
        wide_headers: vec!["IP", "NODE"],
        items,
        show_namespace: namespace.is_none(),
        show_project: false,
    }
}

/// The last applied spec (a Pod object's `spec`, or a bare spec).
pub(crate) fn applied_spec(pod: &ObservedPod) -> Value {
    let parsed = pod
        .last_applied
        .as_deref()
        .and_then(|text| serde_json::from_str::<Value>(text).ok());
    match parsed {
        Some(Value::Object(mut map)) if map.get("spec").is_some_and(Value::is_object) => {
            map.remove("spec").unwrap_or_default()
        }
        Some(value) => value,
        None => json!({}),
    }
}

/// A Kubernetes `Pod`: metadata (with creationTimestamp and, for a
/// controller's pod, ownerReferences), spec from the last applied one,
/// status as Kubernetes reports it.
pub(crate) fn pod_json(pod: &ObservedPod, status: &PodStatus) -> Value {
    let mut meta = Map::new();
    meta.insert("name".into(), json!(pod.name));
    meta.insert("namespace".into(), json!(pod.namespace));
    if !pod.labels.is_empty() {
        meta.insert("labels".into(), json!(pod.labels));
    }
    meta.insert(
        "annotations".into(),
        json!({ "berth.io/project": pod.project, "berth.io/node": pod.node }),
    );
    if let Some(created) = status.start_time {
        meta.insert("creationTimestamp".into(), json!(format_rfc3339(created)));
    }
    if let Some((kind, name)) = pod.owner.as_deref().and_then(|o| o.split_once('/')) {
        meta.insert(
            "ownerReferences".into(),
            json!([{ "apiVersion": "v1", "kind": kind, "name": name, "controller": true }]),
        );
    }
    let mut spec = applied_spec(pod);
    if let Some(map) = spec.as_object_mut() {
        map.insert("nodeName".into(), json!(pod.node));
    }
    json!({ "apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status::to_k8s_json(status) })
}

fn rc_listing(
    observed: &Observed,
    namespace: Option<&str>,
    selector: &Selector,
    now: i64,
) -> Listing {
    let mut items = Vec::new();
    for rc in &observed.controllers {
        if !in_scope(namespace, &rc.namespace)
            || !(selector.is_empty() || selector.matches(&rc.selector))
        {
            continue;
        }
        let rc_selector = Selector::from_map(&rc.selector);
        let pods: Vec<&ObservedPod> = observed
            .pods
            .iter()
            .filter(|p| {
                p.project == rc.project
                    && p.namespace == rc.namespace
                    && rc_selector.matches(&p.labels)
            })
            .collect();
        let ready = pods.iter().filter(|p| status_of(p, now).is_ready()).count();
        let json = json!({
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "metadata": {
                "name": rc.name, "namespace": rc.namespace,
                "creationTimestamp": format_rfc3339(rc.created),
                "annotations": { "berth.io/project": rc.project },
            },
            "spec": { "replicas": rc.replicas, "selector": rc.selector },
            "status": { "replicas": pods.len(), "readyReplicas": ready },
        });
        items.push(Listed {
            project: Some(rc.project.clone()),
            namespace: rc.namespace.clone(),
            name: rc.name.clone(),
            cells: vec![
                rc.replicas.to_string(),
                pods.len().to_string(),
                ready.to_string(),
                age(Some(rc.created), now),
            ],
            wide: vec![labels_text(&rc.selector)],
            json,
        });
    }
    items.sort_by(|a, b| {
        (&a.project, &a.namespace, &a.name).cmp(&(&b.project, &b.namespace, &b.name))
    });
    Listing {
        resource: Resource::ReplicationControllers,
        headers: vec!["DESIRED", "CURRENT", "READY", "AGE"],
        wide_headers: vec!["SELECTOR"],
        items,
        show_namespace: namespace.is_none(),
        show_project: false,
    }
}

/// The engine berth talks to is the node `local` (plus any node named on
/// pods), Ready since it answered.
fn node_listing(observed: &Observed, selector: &Selector) -> Listing {
    let mut names: Vec<&str> = observed.pods.iter().map(|p| p.node.as_str()).collect();
    names.push("local");
    names.sort();
    names.dedup();
    let labels = |name: &str| {
        crate::manifest::Labels::from([("kubernetes.io/hostname".to_string(), name.to_string())])
    };
    let items = names
        .into_iter()
        .filter(|name| selector.is_empty() || selector.matches(&labels(name)))
        .map(|name| {
            let pods = observed.pods.iter().filter(|p| p.node == name).count();
            Listed {
                project: None,
                namespace: String::new(),
                name: name.to_string(),
                cells: vec!["Ready".into(), pods.to_string()],
                wide: vec![labels_text(&labels(name))],
                json: json!({
                    "apiVersion": "v1", "kind": "Node",
                    "metadata": { "name": name, "labels": labels(name) },
                    "spec": {},
                    "status": { "conditions": [{ "type": "Ready", "status": "True" }] },
                }),
            }
        })
        .collect();
    Listing {
        resource: Resource::Nodes,
        headers: vec!["STATUS", "PODS"],
        wide_headers: vec!["LABELS"],
        items,
        show_namespace: false,
        show_project: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{ContainerDetails, ContainerState, ContainerSummary};
    use crate::observed::ObservedContainer;

    fn container(id: &str, name: &str, running: bool, restarts: u64) -> ObservedContainer {
        let state = if running {
            ContainerState::Running
        } else {
            ContainerState::Created
        };
        ObservedContainer {
            summary: ContainerSummary {
                id: id.into(),
                name: name.into(),
                image: "busybox".into(),
                labels: Default::default(),
                state,
                created: 1_000,
            },
            details: Some(ContainerDetails {
                id: id.into(),
                running,
                restart_count: restarts,
                started_at: "1970-01-01T00:16:40Z".into(),
                ips: [("berth_p_default".to_string(), "10.1.0.5".to_string())].into(),
                ..Default::default()
            }),
        }
    }

    fn pod(project: &str, name: &str, owner: Option<&str>) -> ObservedPod {
        let spec = r#"{"containers":[{"name":"app","image":"busybox"},{"name":"side","image":"busybox"}],"restartPolicy":"Always"}"#;
        ObservedPod {
            project: project.into(),
            namespace: "default".into(),
            name: name.into(),
            node: "local".into(),
            owner: owner.map(str::to_string),
            spec_hash: None,
            labels: [("app".to_string(), "web".to_string())].into(),
            last_applied: Some(spec.into()),
            infra: Some(container("i", "infra", true, 0)),
            containers: [
                ("app".to_string(), container("a", "app", true, 0)),
                ("side".to_string(), container("s", "side", true, 2)),
            ]
            .into(),
        }
    }

    #[test]
    fn live_pods_show_ready_status_restarts_and_age() {
        let observed = Observed {
            pods: vec![pod("shop", "web", None)],
            ..Default::default()
        };
        let listing = pod_listing(
            &observed,
            &[],
            Some("default"),
            &Selector::default(),
            1_000 + 300,
        );
        let item = &listing.items[0];
        assert_eq!(item.cells[0], "2/2");
        assert_eq!(item.cells[1], "Running");
        assert!(item.cells[2].starts_with('2'), "{:?}", item.cells);
        assert_eq!(item.cells[3], "5m");
        assert_eq!(item.wide, vec!["10.1.0.5", "local"]);
    }

    #[test]
    fn live_pod_json_carries_owner_spec_and_status() {
        let observed = pod("shop", "web-0", Some("ReplicationController/web"));
        let value = pod_json(&observed, &status_of(&observed, 1_300));
        assert_eq!(value["kind"], "Pod");
        assert_eq!(value["metadata"]["ownerReferences"][0]["name"], "web");
        assert_eq!(
            value["metadata"]["creationTimestamp"],
            "1970-01-01T00:16:40Z"
        );
        assert_eq!(value["spec"]["containers"][1]["name"], "side");
        assert_eq!(value["status"]["phase"], "Running");
        assert_eq!(value["status"]["podIP"], "10.1.0.5");
        assert_eq!(value["status"]["containerStatuses"][1]["restartCount"], 2);
    }
}
