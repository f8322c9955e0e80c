//! Nodes as the node controller knows them (`NodeStatus`), as a `Listing`
//! with Kubernetes `Node` JSON: what `berth get nodes` prints, what the API
//! serves and what the page shows, from one place. What each node has
//! allocated comes from the observed pods on it, as the scheduler counts it
//! (the requests of its pods that still run or will).

use serde_json::{json, Map, Value};

use crate::cli::Resource;
use crate::desired::health::{self, Coarse};
use crate::labels::Selector;
use crate::manifest::{PodSpec, DOCKER_HOST_ANNOTATION};
use crate::nodes::{CondStatus, Condition, NodeStatus, CERT_PATH_ANNOTATION};
use crate::observed::{Observed, ObservedPod};
use crate::schedule::{requests_of, Resources};
use crate::timefmt::format_rfc3339;

use super::listing::{Listed, Listing};
use super::live::applied_spec;
use super::uid;

/// The pods a node takes, as Kubernetes' default `--max-pods`: berth does
/// not limit them, but clients expect `pods` in capacity.
pub const MAX_PODS: &str = "110";

/// The pods on `node` that hold resources (not Succeeded or Failed), in
/// (project, namespace, name) order, each with what it requests.
pub fn node_pods<'a>(observed: &'a Observed, node: &str) -> Vec<(&'a ObservedPod, Resources)> {
    let mut pods: Vec<(&ObservedPod, Resources)> = observed
        .pods
        .iter()
        .filter(|p| p.node == node)
        .filter(|p| !matches!(health::coarse(p), Coarse::Succeeded | Coarse::Failed))
        .map(|p| (p, requests(p)))
        .collect();
    pods.sort_by(|a, b| {
        (&a.0.project, &a.0.namespace, &a.0.name).cmp(&(&b.0.project, &b.0.namespace, &b.0.name))
    });
    pods
}

/// What a pod requests, read from its last applied spec (nothing when that
/// is missing or unreadable: the scheduler counts it the same way).
pub fn requests(pod: &ObservedPod) -> Resources {
    serde_json::from_value::<PodSpec>(applied_spec(pod))
        .map(|spec| requests_of(&spec))
        .unwrap_or_default()
}

/// The sum of what `pods` request.
pub fn allocated(pods: &[(&ObservedPod, Resources)]) -> Resources {
    pods.iter()
        .fold(Resources::default(), |sum, (_, r)| Resources {
            cpu_milli: sum.cpu_milli.saturating_add(r.cpu_milli),
            memory_bytes: sum.memory_bytes.saturating_add(r.memory_bytes),
        })
}

/// Cpu as a Kubernetes quantity: `4`, `250m`.
pub fn cpu_text(milli: i64) -> String {
    if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    }
}

/// Memory as a Kubernetes quantity with the largest binary suffix that
/// keeps it exact (`8Gi`, `128Mi`, `15936016Ki`, `100`).
pub fn memory_text(bytes: i64) -> String {
    for (shift, suffix) in [(30, "Gi"), (20, "Mi"), (10, "Ki")] {
        if bytes != 0 && bytes % (1 << shift) == 0 {
            return format!("{}{suffix}", bytes >> shift);
        }
    }
    bytes.to_string()
}

/// Memory for a table column: exact where that is short (`8Gi`, `128Mi`),
/// else rounded to Mi (`15562Mi`), as a person reads it.
fn memory_short(bytes: i64) -> String {
    if bytes == 0 || bytes % (1 << 20) == 0 || bytes < (1 << 20) {
        memory_text(bytes)
    } else {
        format!("{}Mi", (bytes + (1 << 19)) >> 20)
    }
}

/// Why the node is not Ready (or, Ready, why its engine is not answering
/// now), `None` when all is well: the node's own reason when Pending or
/// Terminated, else the failing condition's.
pub fn trouble(status: &NodeStatus) -> Option<String> {
    if !status.reason.is_empty() {
        return Some(status.reason.clone());
    }
    if status.stale {
        return Some("NodeStale".to_string());
    }
    if status.ready.status != CondStatus::True && !status.ready.reason.is_empty() {
        return Some(status.ready.reason.clone());
    }
    if status.reachable.status == CondStatus::False {
        return Some(status.reachable.reason.clone());
    }
    None
}

/// `250m/4` and `128Mi/8Gi`: requested over capacity (`<unknown>` while
/// the engine has never answered and the manifest declares nothing).
fn usage_cells(status: &NodeStatus, used: Resources) -> (String, String) {
    let capacity = status.capacity();
    let cpu = capacity.map_or("<unknown>".to_string(), |c| cpu_text(c.cpu_milli));
    let memory = capacity.map_or("<unknown>".to_string(), |c| memory_short(c.memory_bytes));
    (
        format!("{}/{cpu}", cpu_text(used.cpu_milli)),
        format!("{}/{memory}", memory_short(used.memory_bytes)),
    )
}

/// Every node of `statuses` whose labels match `selector`, by name:
/// `NAME STATUS PHASE PODS CPU MEMORY` (`-o wide`: `ENDPOINT REASON
/// OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME`), each with its `Node`.
pub fn node_listing(statuses: &[NodeStatus], observed: &Observed, selector: &Selector) -> Listing {
    let mut statuses: Vec<&NodeStatus> = statuses
        .iter()
        .filter(|s| selector.is_empty() || selector.matches(&s.labels()))
        .collect();
    statuses.sort_by(|a, b| a.spec.name.cmp(&b.spec.name));
    let items = statuses
        .into_iter()
        .map(|status| {
            let pods = node_pods(observed, &status.spec.name);
            let used = allocated(&pods);
            let (cpu, memory) = usage_cells(status, used);
            let info = status.info.as_ref();
            let known = |text: Option<&str>| match text {
                Some(t) if !t.is_empty() => t.to_string(),
                _ => "<unknown>".to_string(),
            };
            Listed {
                project: None,
                namespace: String::new(),
                name: status.spec.name.clone(),
                cells: vec![
                    status.status_text(),
                    status.phase.as_str().to_string(),
                    pods.len().to_string(),
                    cpu,
                    memory,
                ],
                wide: vec![
                    status.spec.endpoint_text(),
                    trouble(status).unwrap_or_else(|| "<none>".to_string()),
                    known(info.map(|i| i.os.as_str())),
                    known(info.map(|i| i.kernel_version.as_str())),
                    known(
                        info.map(|i| i.server_version.as_str())
                            .map(runtime)
                            .as_deref(),
                    ),
                ],
                json: node_json(status),
            }
        })
        .collect();
    Listing {
        resource: Resource::Nodes,
        headers: vec!["STATUS", "PHASE", "PODS", "CPU", "MEMORY"],
        wide_headers: vec![
            "ENDPOINT",
            "REASON",
            "OS-IMAGE",
            "KERNEL-VERSION",
            "CONTAINER-RUNTIME",
        ],
        items,
        show_namespace: false,
        show_project: false,
    }
}

/// `docker://20.10.24`, as kubelet names a container runtime.
fn runtime(version: &str) -> String {
    format!("docker://{version}")
}

fn condition_json(kind: &str, c: &Condition) -> Value {
    json!({
        "type": kind,
        "status": c.status.as_str(),
        "reason": c.reason,
        "message": c.message,
        "lastHeartbeatTime": format_rfc3339(c.last_probe),
        "lastTransitionTime": format_rfc3339(c.last_transition),
    })
}

/// `Ready` as kubectl reads it: `NodeReady`, except that a node back from
/// being lost is not Ready until the pods it left are removed.
fn ready_condition(status: &NodeStatus) -> Value {
    let mut ready = condition_json("Ready", &status.ready);
    if status.stale {
        ready["status"] = json!("False");
        ready["reason"] = json!("NodeStale");
        ready["message"] = json!(
            "the node was lost and is back: it takes no pods until the ones it left are removed"
        );
    }
    ready
}

/// The node's addresses: its engine's host name, and the IP of a TCP
/// endpoint given as an address (kubectl's INTERNAL-IP).
fn addresses(status: &NodeStatus) -> Vec<Value> {
    let mut out = Vec::new();
    let host = status
        .spec
        .endpoint
        .as_deref()
        .and_then(|e| e.split_once("://"))
        .filter(|(scheme, _)| matches!(*scheme, "tcp" | "https" | "http"))
        .map(|(_, rest)| rest.split('/').next().unwrap_or(rest));
    let ip = host.and_then(|h| {
        h.parse::<std::net::SocketAddr>()
            .map(|a| a.ip())
            .or_else(|_| h.parse::<std::net::IpAddr>())
            .ok()
    });
    if let Some(ip) = ip {
        out.push(json!({ "type": "InternalIP", "address": ip.to_string() }));
    }
    let hostname = status
        .info
        .as_ref()
        .map(|i| i.name.as_str())
        .filter(|n| !n.is_empty());
    out.push(json!({ "type": "Hostname", "address": hostname.unwrap_or(&status.spec.name) }));
    out
}

/// A Kubernetes `Node` from what the node controller knows: labels (the
/// well-known ones and the manifest's), the endpoint as annotations, the
/// phase, the conditions `Ready`, `NodeReachable` and `NodeReady`,
/// capacity (= allocatable) and the engine's system. `nodeInfo` carries
/// every field Kubernetes requires, empty where the engine never answered,
/// as kubectl shows `<unknown>` for it.
pub fn node_json(status: &NodeStatus) -> Value {
    let spec = &status.spec;
    let info = status.info.as_ref();
    let mut annotations = Map::new();
    if let Some(endpoint) = &spec.endpoint {
        annotations.insert(DOCKER_HOST_ANNOTATION.into(), json!(endpoint));
    }
    if let Some(path) = &spec.cert_path {
        annotations.insert(
            CERT_PATH_ANNOTATION.into(),
            json!(path.display().to_string()),
        );
    }
    let mut meta = Map::new();
    meta.insert("name".into(), json!(spec.name));
    meta.insert("uid".into(), json!(uid("", "Node", "", &spec.name)));
    meta.insert("labels".into(), json!(status.labels()));
    if !annotations.is_empty() {
        meta.insert("annotations".into(), Value::Object(annotations));
    }
    let text = |f: fn(&crate::engine::EngineInfo) -> &str| info.map(f).unwrap_or_default();
    let architecture = status
        .labels()
        .get("kubernetes.io/arch")
        .cloned()
        .unwrap_or_else(|| crate::schedule::go_arch().to_string());
    let mut body = json!({
        "phase": status.phase.as_str(),
        "conditions": [
            ready_condition(status),
            condition_json("NodeReachable", &status.reachable),
            condition_json("NodeReady", &status.ready),
        ],
        "addresses": addresses(status),
        "nodeInfo": {
            "architecture": architecture,
            "operatingSystem": info.map_or(std::env::consts::OS, |i| i.os_type.as_str()),
            "kubeletVersion": concat!("berth-v", env!("CARGO_PKG_VERSION")),
            "kubeProxyVersion": "",
            "containerRuntimeVersion": info.map_or("docker".to_string(), |i| runtime(&i.server_version)),
            "kernelVersion": text(|i| &i.kernel_version),
            "osImage": text(|i| &i.os),
            "bootID": "",
            "machineID": "",
            "systemUUID": "",
        },
    });
    if let Some(capacity) = status.capacity() {
        let capacity = json!({
            "cpu": cpu_text(capacity.cpu_milli),
            "memory": format!("{}Ki", capacity.memory_bytes / 1024),
            "pods": MAX_PODS,
        });
        body["capacity"] = capacity.clone();
        body["allocatable"] = capacity;
    }
    let mut node_spec = json!({});
    if status.stale {
        node_spec["unschedulable"] = json!(true);
    }
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": meta,
        "spec": node_spec,
        "status": body,
    })
}

/// Node statuses for tests of what shows them (API, page).
#[cfg(test)]
pub(crate) mod fixtures {
    /// A node that answered at `at`, and one unreachable since `at - 100`
    /// (lost: past the 40 s grace period).
    pub fn probed_nodes(at: i64) -> Vec<crate::nodes::NodeStatus> {
        use crate::nodes::{advance, starting_nodes, Probe};
        let grace = std::time::Duration::from_secs(40);
        let machines = [
            "tcp://10.0.0.2:2376".to_string(),
            "tcp://n2:2376".to_string(),
        ];
        let specs = starting_nodes(&machines, "unix:///var/run/docker.sock");
        let answered = || Probe::Answered(crate::engine::FakeEngine::default_info());
        let refused = || Probe::Unreachable("connection refused".to_string());
        let spec = |name: &str| specs.iter().find(|s| s.name == name).unwrap();
        let up = advance(None, spec("10.0.0.2"), answered(), at, grace);
        let seen = advance(None, spec("n2"), answered(), at - 110, grace);
        let failing = advance(Some(&seen), spec("n2"), refused(), at - 100, grace);
        let lost = advance(Some(&failing), spec("n2"), refused(), at, grace);
        vec![up, lost]
    }
}

/// A running pod `name` on `node` of one container requesting `cpu` and
/// `memory`, for tests.
#[cfg(test)]
pub(crate) fn pod_on(
    node: &str,
    name: &str,
    cpu: &str,
    memory: &str,
) -> crate::observed::ObservedPod {
    let spec = format!(
        r#"{{"spec":{{"containers":[{{"name":"app","image":"busybox","imagePullPolicy":"IfNotPresent","resources":{{"requests":{{"cpu":"{cpu}","memory":"{memory}"}}}}}}],"terminationGracePeriodSeconds":30}}}}"#
    );
    let running = crate::observed::ObservedContainer {
        summary: crate::engine::ContainerSummary {
            id: format!("{name}-c"),
            name: name.into(),
            image: "busybox".into(),
            labels: Default::default(),
            state: crate::engine::ContainerState::Running,
            created: 1_000,
        },
        details: None,
        probe: Default::default(),
    };
    crate::observed::ObservedPod {
        project: "shop".into(),
        namespace: "default".into(),
        name: name.into(),
        node: node.into(),
        owner: None,
        spec_hash: None,
        labels: Default::default(),
        last_applied: Some(spec),
        infra: Some(running.clone()),
        containers: [("app".to_string(), running)].into(),
        node_problem: None,
        records: Vec::new(),
        init_containers: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::pod_on;
    use std::time::Duration;

    use super::*;
    use crate::engine::FakeEngine;
    use crate::nodes::{advance, NodeSpec, Probe};

    const GRACE: Duration = Duration::from_secs(40);

    pub(crate) fn spec(name: &str, endpoint: &str) -> NodeSpec {
        let mut spec = crate::nodes::declared(
            &crate::manifest::Manifests::default(),
            &[endpoint.to_string()],
            endpoint,
        )
        .remove(0);
        spec.name = name.to_string();
        spec
    }

    fn up(name: &str, endpoint: &str, now: i64) -> NodeStatus {
        let probe = Probe::Answered(FakeEngine::default_info());
        advance(None, &spec(name, endpoint), probe, now, GRACE)
    }

    fn down(name: &str, endpoint: &str, since: i64, now: i64) -> NodeStatus {
        let first = up(name, endpoint, since - 10);
        let probe = || Probe::Unreachable("connection refused".to_string());
        let mid = advance(Some(&first), &first.spec, probe(), since, GRACE);
        advance(Some(&mid), &first.spec, probe(), now, GRACE)
    }

    #[test]
    fn quantities_are_kubernetes_ones() {
        assert_eq!(cpu_text(4000), "4");
        assert_eq!(cpu_text(250), "250m");
        assert_eq!(memory_text(8 << 30), "8Gi");
        assert_eq!(memory_text(128 << 20), "128Mi");
        assert_eq!(memory_text(15_936_016 * 1024), "15936016Ki");
        assert_eq!(memory_short(15_936_016 * 1024), "15563Mi");
        assert_eq!(memory_text(0), "0");
    }

    #[test]
    fn the_table_shows_status_phase_pods_and_allocation() {
        let now = 10_000;
        let statuses = vec![
            up("b", "tcp://10.0.0.2:2376", now),
            down("a", "tcp://10.0.0.1:2376", now - 100, now),
        ];
        let observed = Observed {
            pods: vec![
                pod_on("b", "web-0", "250m", "128Mi"),
                pod_on("b", "web-1", "500m", "64Mi"),
                pod_on("a", "db", "1", "1Gi"),
            ],
            ..Default::default()
        };
        let listing = node_listing(&statuses, &observed, &Selector::default());
        let names: Vec<&str> = listing.items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, vec!["a", "b"]);
        let b = &listing.items[1];
        assert_eq!(
            b.cells,
            vec!["Ready", "Running", "2", "750m/4", "192Mi/8Gi"]
        );
        assert_eq!(
            b.wide,
            vec![
                "tcp://10.0.0.2:2376",
                "<none>",
                "Fake OS",
                "6.1.0",
                "docker://20.10.24"
            ]
        );
        let a = &listing.items[0];
        assert_eq!(a.cells[0], "NotReady");
        assert_eq!(a.cells[2], "1");
        assert_eq!(a.wide[1], "NodeLost");
        let picked = node_listing(
            &statuses,
            &observed,
            &Selector::parse("kubernetes.io/hostname=a").unwrap(),
        );
        assert_eq!(picked.items.len(), 1);
    }

    #[test]
    fn a_node_is_kubernetes_shaped() {
        let now = 10_000;
        let node = node_json(&up("n1", "tcp://10.0.0.2:2376", now));
        assert_eq!(node["kind"], "Node");
        assert_eq!(node["metadata"]["name"], "n1");
        assert_eq!(node["metadata"]["labels"]["kubernetes.io/hostname"], "n1");
        assert_eq!(node["metadata"]["labels"]["kubernetes.io/arch"], "amd64");
        assert_eq!(
            node["metadata"]["annotations"]["berth.io/docker-host"],
            "tcp://10.0.0.2:2376"
        );
        assert_eq!(node["status"]["phase"], "Running");
        let types: Vec<&str> = node["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, vec!["Ready", "NodeReachable", "NodeReady"]);
        let ready = &node["status"]["conditions"][0];
        assert_eq!(ready["status"], "True");
        assert_eq!(ready["reason"], "EngineReady");
        assert_eq!(ready["lastHeartbeatTime"], format_rfc3339(now));
        assert_eq!(ready["lastTransitionTime"], format_rfc3339(now));
        assert_eq!(node["status"]["capacity"]["cpu"], "4");
        assert_eq!(node["status"]["capacity"]["memory"], "8388608Ki");
        assert_eq!(node["status"]["allocatable"]["pods"], "110");
        assert_eq!(
            node["status"]["nodeInfo"]["containerRuntimeVersion"],
            "docker://20.10.24"
        );
        assert_eq!(node["status"]["nodeInfo"]["osImage"], "Fake OS");
        assert_eq!(node["status"]["addresses"][0]["type"], "InternalIP");
        assert_eq!(node["status"]["addresses"][0]["address"], "10.0.0.2");
        assert_eq!(node["status"]["addresses"][1]["address"], "fake");
    }

    #[test]
    fn a_lost_node_is_not_ready_and_keeps_when_it_changed() {
        let now = 10_000;
        let node = node_json(&down("n1", "tcp://10.0.0.1:2376", now - 100, now));
        let conditions = &node["status"]["conditions"];
        assert_eq!(conditions[0]["status"], "Unknown");
        assert_eq!(conditions[0]["reason"], "NodeLost");
        assert_eq!(conditions[1]["status"], "False");
        assert_eq!(conditions[1]["reason"], "EngineUnreachable");
        assert_eq!(
            conditions[1]["lastTransitionTime"],
            format_rfc3339(now - 100)
        );
        assert_eq!(conditions[1]["lastHeartbeatTime"], format_rfc3339(now));
        assert!(conditions[1]["message"]
            .as_str()
            .unwrap()
            .contains("connection refused"));
    }

    #[test]
    fn a_node_never_reached_has_no_capacity() {
        let probe = Probe::Unreachable("connection refused".to_string());
        let status = advance(None, &spec("n1", "tcp://10.0.0.1:2376"), probe, 100, GRACE);
        let listing = node_listing(
            std::slice::from_ref(&status),
            &Observed::default(),
            &Selector::default(),
        );
        assert_eq!(
            listing.items[0].cells,
            vec!["Unknown", "Pending", "0", "0/<unknown>", "0/<unknown>"]
        );
        assert_eq!(listing.items[0].wide[1], "EngineUnreachable");
        assert!(listing.items[0].json["status"]["capacity"].is_null());
        assert_eq!(listing.items[0].json["status"]["phase"], "Pending");
    }
}
