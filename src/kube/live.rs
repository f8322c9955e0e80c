//! Live objects: pods, controllers and nodes as the engine runs them (an
//! `Observed`, fully inspected), as `Listing`s with Kubernetes JSON. What
//! `berth get` prints live and what the API serves.

use serde_json::{json, Map, Value};

use crate::cli::Resource;
use crate::engine::{EngineEvent, EngineInfo};
use crate::labels::Selector;
use crate::manifest::Labels;
use crate::observed::{Observed, ObservedPod};
use crate::status::{self, PodStatus};
use crate::timefmt::{age, format_rfc3339};

use super::listing::{labels_text, Listed, Listing};
use super::uid;

fn in_scope(namespace: Option<&str>, object: &str) -> bool {
    namespace.is_none_or(|ns| ns == object)
}

/// The status of an observed pod now, under its declared restart policy.
pub fn status_of(pod: &ObservedPod, now: i64) -> PodStatus {
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

pub fn pod_listing(
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
pub fn applied_spec(pod: &ObservedPod) -> Value {
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

/// The pod's own annotations as it was created, and berth's: its project
/// and node.
fn annotations(pod: &ObservedPod) -> Value {
    let recorded = pod.infra.as_ref().and_then(|infra| {
        let text = infra.summary.labels.get(crate::keys::ANNOTATIONS)?;
        serde_json::from_str::<Map<String, Value>>(text).ok()
    });
    let mut out = recorded.unwrap_or_default();
    out.insert("berth.io/project".into(), json!(pod.project));
    out.insert("berth.io/node".into(), json!(pod.node));
    Value::Object(out)
}

/// A Kubernetes `Pod`: metadata (with creationTimestamp and, for a
/// controller's pod, ownerReferences), spec from the last applied one,
/// status as Kubernetes reports it.
pub fn pod_json(pod: &ObservedPod, status: &PodStatus) -> Value {
    let mut meta = Map::new();
    meta.insert("name".into(), json!(pod.name));
    meta.insert("namespace".into(), json!(pod.namespace));
    meta.insert(
        "uid".into(),
        json!(uid(&pod.project, "Pod", &pod.namespace, &pod.name)),
    );
    if !pod.labels.is_empty() {
        meta.insert("labels".into(), json!(pod.labels));
    }
    meta.insert("annotations".into(), annotations(pod));
    if let Some(created) = status.start_time {
        meta.insert("creationTimestamp".into(), json!(format_rfc3339(created)));
    }
    if let Some((kind, name)) = pod.owner.as_deref().and_then(|o| o.split_once('/')) {
        let owner_uid = uid(&pod.project, kind, &pod.namespace, name);
        meta.insert(
            "ownerReferences".into(),
            json!([{ "apiVersion": "v1", "kind": kind, "name": name, "uid": owner_uid, "controller": true }]),
        );
    }
    let mut spec = applied_spec(pod);
    if let Some(map) = spec.as_object_mut() {
        map.insert("nodeName".into(), json!(pod.node));
    }
    let mut status = status::to_k8s_json(status);
    with_image_ids(&mut status);
    json!({ "apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status })
}

/// Kubernetes requires `imageID` on every container status; berth does not
/// resolve image digests, so it is the image as named (`docker-pullable://`
/// would claim a digest berth never read).
fn with_image_ids(status: &mut Value) {
    let Some(containers) = status["containerStatuses"].as_array_mut() else {
        return;
    };
    for container in containers {
        let image = container["image"].clone();
        if let Some(map) = container.as_object_mut() {
            map.entry("imageID").or_insert(image);
        }
    }
}

pub fn rc_listing(
    observed: &Observed,
    namespace: Option<&str>,
    selector: &Selector,
    now: i64,
) -> Listing {
    let mut items = Vec::new();
    for rc in &observed.controllers {
        if rc.kind != crate::keys::KIND_RC
            || !in_scope(namespace, &rc.namespace)
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
        let mut spec = json!({ "replicas": rc.replicas, "selector": rc.selector });
        let template = rc.template_json.as_deref();
        if let Some(template) = template.and_then(|t| serde_json::from_str::<Value>(t).ok()) {
            spec["template"] = template;
        }
        let json = json!({
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "metadata": {
                "name": rc.name, "namespace": rc.namespace,
                "uid": uid(&rc.project, "ReplicationController", &rc.namespace, &rc.name),
                "creationTimestamp": format_rfc3339(rc.created),
                "annotations": { "berth.io/project": rc.project },
            },
            "spec": spec,
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

/// The nodes before the node controller has reported any (a snapshot of a
/// loop that has not probed yet): the engine berth talks to is the node
/// `local` (plus any node named on pods or in `declared`, the Node
/// manifests), Ready since it answered. Once statuses are known,
/// `nodes::node_listing` says more.
pub fn engine_node_listing(
    observed: &Observed,
    declared: &[&str],
    selector: &Selector,
    local: Option<&EngineInfo>,
) -> Listing {
    let mut names: Vec<&str> = observed.pods.iter().map(|p| p.node.as_str()).collect();
    names.extend(declared);
    names.push("local");
    names.sort();
    names.dedup();
    let labels =
        |name: &str| Labels::from([("kubernetes.io/hostname".to_string(), name.to_string())]);
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
                json: node_json(name, &labels(name), local.filter(|_| name == "local")),
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

/// A Kubernetes `Node`. `nodeInfo` carries every field Kubernetes requires;
/// for the node whose engine berth asked (`info`), its capacity (cpus and
/// memory; `allocatable` equals it), host name, OS, kernel and Docker
/// version, else empty, as kubectl shows `<unknown>` for it.
fn node_json(name: &str, labels: &Labels, info: Option<&EngineInfo>) -> Value {
    let text = |f: fn(&EngineInfo) -> &str| info.map(f).unwrap_or_default().to_string();
    let mut status = json!({
        "conditions": [{ "type": "Ready", "status": "True", "reason": "EngineAnswers" }],
        "nodeInfo": {
            "architecture": crate::schedule::go_arch(),
            "operatingSystem": info.map_or(std::env::consts::OS, |i| i.os_type.as_str()),
            "kubeletVersion": concat!("berth-v", env!("CARGO_PKG_VERSION")),
            "kubeProxyVersion": "",
            "containerRuntimeVersion": info.map_or("docker".to_string(), |i| format!("docker://{}", i.server_version)),
            "kernelVersion": text(|i| &i.kernel_version),
            "osImage": text(|i| &i.os),
            "bootID": "",
            "machineID": "",
            "systemUUID": "",
        },
    });
    if let Some(info) = info {
        let capacity = json!({
            "cpu": info.cpus.to_string(),
            "memory": format!("{}Ki", info.memory_bytes / 1024),
        });
        status["capacity"] = capacity.clone();
        status["allocatable"] = capacity;
        status["addresses"] = json!([{ "type": "Hostname", "address": info.name }]);
    }
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": { "name": name, "uid": uid("", "Node", "", name), "labels": labels },
        "spec": {},
        "status": status,
    })
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
            probe: Default::default(),
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
            node_problem: None,
            records: Vec::new(),
            init_containers: Default::default(),
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
            value["metadata"]["ownerReferences"][0]["uid"],
            uid("shop", "ReplicationController", "default", "web")
        );
        assert_eq!(
            value["metadata"]["uid"],
            uid("shop", "Pod", "default", "web-0")
        );
        assert_eq!(
            value["status"]["containerStatuses"][0]["imageID"],
            "busybox"
        );
        assert_eq!(
            value["metadata"]["creationTimestamp"],
            "1970-01-01T00:16:40Z"
        );
        assert_eq!(value["spec"]["containers"][1]["name"], "side");
        assert_eq!(value["status"]["phase"], "Running");
        assert_eq!(value["status"]["podIP"], "10.1.0.5");
        assert_eq!(value["status"]["containerStatuses"][1]["restartCount"], 2);
    }

    #[test]
    fn live_pod_json_carries_the_pods_own_annotations_and_berths() {
        let mut observed = pod("shop", "web-0", None);
        let plain = pod_json(&observed, &status_of(&observed, 1_300));
        let berths = json!({ "berth.io/project": "shop", "berth.io/node": "local" });
        assert_eq!(plain["metadata"]["annotations"], berths);
        let infra = observed.infra.as_mut().expect("an infra container");
        infra.summary.labels.insert(
            crate::keys::ANNOTATIONS.into(),
            r#"{"team":"blue","berth.io/node":"spoofed"}"#.into(),
        );
        let value = pod_json(&observed, &status_of(&observed, 1_300));
        let want = json!({ "team": "blue", "berth.io/project": "shop", "berth.io/node": "local" });
        assert_eq!(value["metadata"]["annotations"], want);
    }

    #[test]
    fn node_local_carries_the_engines_capacity_and_system() {
        let info = crate::engine::FakeEngine::default_info();
        let listing =
            engine_node_listing(&Observed::default(), &[], &Selector::default(), Some(&info));
        let node = &listing.items[0].json;
        assert_eq!(node["metadata"]["name"], "local");
        assert_eq!(node["status"]["capacity"]["cpu"], "4");
        assert_eq!(node["status"]["allocatable"]["memory"], "8388608Ki");
        assert_eq!(
            node["status"]["nodeInfo"]["containerRuntimeVersion"],
            "docker://20.10.24"
        );
        assert_eq!(node["status"]["nodeInfo"]["osImage"], "Fake OS");
        assert_eq!(node["status"]["addresses"][0]["address"], "fake");
        let unknown = engine_node_listing(&Observed::default(), &[], &Selector::default(), None);
        assert!(unknown.items[0].json["status"]["capacity"].is_null());
    }
}
