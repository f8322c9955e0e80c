//! The scheduler: which node each pod goes to, decided as the kube-scheduler
//! decides it, over any number of nodes (berth drives one today, `local`).
//!
//! Pure: the nodes, the pods already bound to them and the pods to place go
//! in; one placement per pod comes out. Every node is tried with the
//! kube-scheduler's filters, in its order, stopping at the first that fails:
//! the requested node name (`nodeName`, or the node a recreated pod is bound
//! to), readiness, `nodeSelector`, then cpu and memory requests against what
//! the node has left. Among the nodes that pass, the least allocated wins,
//! ties broken by name. A pod no node takes stays Pending with the
//! kube-scheduler's own reason, e.g. `0/3 nodes are available: 1
//! Insufficient memory, 2 node(s) didn't match Pod's node affinity/selector.`

use std::collections::BTreeMap;

use crate::manifest::{Container, Labels, Manifests, PodSpec};
use crate::quantity::{self, Quantity};

/// The requested node name is another node's (NodeName plugin).
pub const NODE_NAME_MISMATCH: &str = "node(s) didn't match the requested node name";
/// A node that is not Ready carries the `node.kubernetes.io/not-ready`
/// taint, which pods do not tolerate (TaintToleration plugin).
pub const NOT_READY: &str = "node(s) had untolerated taint(s)";
/// The node's labels do not match `nodeSelector` (NodeAffinity plugin).
pub const SELECTOR_MISMATCH: &str = "node(s) didn't match Pod's node affinity/selector";
/// What is left of the node's cpu or memory is less than the pod requests
/// (NodeResourcesFit plugin).
pub const INSUFFICIENT_CPU: &str = "Insufficient cpu";
pub const INSUFFICIENT_MEMORY: &str = "Insufficient memory";
/// The kube-scheduler's answer when there is no node at all.
pub const NO_NODES: &str = "no nodes available to schedule pods";

/// What a pod without a cpu request counts for when nodes are ranked (not
/// when they are filtered): Kubernetes' `DefaultMilliCPURequest`.
const DEFAULT_CPU_MILLI: i64 = 100;
/// Likewise for memory: `DefaultMemoryRequest`, 200 MiB.
const DEFAULT_MEMORY_BYTES: i64 = 200 * 1024 * 1024;

/// Cpu in millicores and memory in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resources {
    pub cpu_milli: i64,
    pub memory_bytes: i64,
}

impl Resources {
    pub fn is_zero(self) -> bool {
        self.cpu_milli == 0 && self.memory_bytes == 0
    }

    fn plus(self, other: Resources) -> Resources {
        Resources {
            cpu_milli: self.cpu_milli.saturating_add(other.cpu_milli),
            memory_bytes: self.memory_bytes.saturating_add(other.memory_bytes),
        }
    }
}

/// A node as the scheduler sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedNode {
    pub name: String,
    pub labels: Labels,
    /// Whether the node's engine answers healthy: a node that is not Ready
    /// takes no new pod.
    pub ready: bool,
    /// Allocatable cpu and memory (berth reserves nothing for itself, so
    /// allocatable equals capacity). `None`, unknown: the node fits any
    /// request, and ranks as fully allocated, behind every node whose
    /// capacity is known.
    pub capacity: Option<Resources>,
}

impl SchedNode {
    /// The node called `name` that berth runs on today: Ready (its engine
    /// answered), labelled as every Kubernetes node is
    /// (`kubernetes.io/hostname`, `kubernetes.io/os`, `kubernetes.io/arch`)
    /// plus the labels of a Node manifest of that name. Its capacity: the
    /// manifest's `capacity.cpu` and `capacity.memory` where given, else
    /// `engine` (what the engine reports of its machine); unknown when
    /// neither says.
    pub fn local(manifests: &Manifests, name: &str, engine: Option<Resources>) -> SchedNode {
        let mut labels = Labels::from([
            ("kubernetes.io/hostname".to_string(), name.to_string()),
            (
                "kubernetes.io/os".to_string(),
                std::env::consts::OS.to_string(),
            ),
            ("kubernetes.io/arch".to_string(), go_arch().to_string()),
        ]);
        let declared = manifests.nodes.iter().find(|n| n.meta.name == name);
        if let Some(node) = declared {
            labels.extend(node.meta.labels.clone());
        }
        let (cpu, memory) = declared_capacity(manifests, name);
        let cpu = cpu.or(engine.map(|e| e.cpu_milli));
        let memory = memory.or(engine.map(|e| e.memory_bytes));
        SchedNode {
            name: name.to_string(),
            labels,
            ready: true,
            capacity: cpu.zip(memory).map(|(cpu_milli, memory_bytes)| Resources {
                cpu_milli,
                memory_bytes,
            }),
        }
    }
}

/// The cpu (millicores) and memory (bytes) the Node manifest called `name`
/// declares in its `capacity`, each when given.
pub fn declared_capacity(manifests: &Manifests, name: &str) -> (Option<i64>, Option<i64>) {
    let Some(node) = manifests.nodes.iter().find(|n| n.meta.name == name) else {
        return (None, None);
    };
    let cpu = node.capacity.get("cpu").and_then(|t| cpu_milli(t));
    let memory = node
        .capacity
        .get("memory")
        .and_then(|t| quantity::memory_bytes(t));
    (cpu, memory)
}

/// A pod to place.
#[derive(Debug, Clone, Copy)]
pub struct ToPlace<'a> {
    pub spec: &'a PodSpec,
    /// The node the pod is bound to already (a pod recreated in place): a
    /// pod that exists is never moved, so it may go to that node only.
    pub bound_to: Option<&'a str>,
}

impl<'a> ToPlace<'a> {
    /// A new pod: any node that fits.
    pub fn new(spec: &'a PodSpec) -> ToPlace<'a> {
        ToPlace {
            spec,
            bound_to: None,
        }
    }
}

/// Where a pod goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// To this node.
    Bound(String),
    /// Nowhere: the pod stays Pending, for this reason.
    Unschedulable(String),
}

/// Places `pods` in order on `nodes`. `bound` are the pods already on a
/// node, (node name, spec): they count toward that node's allocation. So
/// does every pod placed earlier in the same call, so that a replication
/// controller's pods spread.
pub fn schedule(
    pods: &[ToPlace<'_>],
    nodes: &[SchedNode],
    bound: &[(&str, &PodSpec)],
) -> Vec<Placement> {
    let mut loads: BTreeMap<&str, Load> = BTreeMap::new();
    for &(node, spec) in bound {
        loads.entry(node).or_default().add(demand(spec));
    }
    pods.iter()
        .map(|pod| {
            let asks = demand(pod.spec);
            let placement = place(pod, asks, nodes, &loads);
            if let Placement::Bound(name) = &placement {
                if let Some(node) = nodes.iter().find(|n| &n.name == name) {
                    loads.entry(node.name.as_str()).or_default().add(asks);
                }
            }
            placement
        })
        .collect()
}

/// The pod's cpu and memory requests summed over its containers; where a
/// container has a limit but no request, the limit is its request (as the
/// Kubernetes API defaults it).
pub fn requests_of(spec: &PodSpec) -> Resources {
    demand(spec).requests
}

/// What a pod asks of a node.
#[derive(Debug, Clone, Copy, Default)]
struct Demand {
    /// What must fit.
    requests: Resources,
    /// What ranks nodes: the requests, with Kubernetes' defaults for each
    /// container that requests no cpu or no memory, so that pods without
    /// requests still spread.
    scored: Resources,
}

/// A node's allocation: the demands of the pods on it.
#[derive(Debug, Clone, Copy, Default)]
struct Load {
    requested: Resources,
    scored: Resources,
}

impl Load {
    fn add(&mut self, d: Demand) {
        self.requested = self.requested.plus(d.requests);
        self.scored = self.scored.plus(d.scored);
    }
}

fn demand(spec: &PodSpec) -> Demand {
    spec.containers
        .iter()
        .fold(Demand::default(), |sum, container| {
            let cpu = request(container, "cpu").map(|t| cpu_milli(t).unwrap_or(0));
            let memory =
                request(container, "memory").map(|t| quantity::memory_bytes(t).unwrap_or(0));
            let requests = Resources {
                cpu_milli: cpu.unwrap_or(0),
                memory_bytes: memory.unwrap_or(0),
            };
            let scored = Resources {
                cpu_milli: cpu.unwrap_or(DEFAULT_CPU_MILLI),
                memory_bytes: memory.unwrap_or(DEFAULT_MEMORY_BYTES),
            };
            Demand {
                requests: sum.requests.plus(requests),
                scored: sum.scored.plus(scored),
            }
        })
}

/// The container's request of `resource`, its limit standing in.
fn request<'c>(container: &'c Container, resource: &str) -> Option<&'c str> {
    let r = &container.resources;
    r.requests
        .get(resource)
        .or_else(|| r.limits.get(resource))
        .map(String::as_str)
}

/// A cpu quantity in millicores (`2` → 2000, `100m` → 100).
fn cpu_milli(text: &str) -> Option<i64> {
    i64::try_from(Quantity::parse(text).ok()?.milli()).ok()
}

fn place(
    pod: &ToPlace<'_>,
    asks: Demand,
    nodes: &[SchedNode],
    loads: &BTreeMap<&str, Load>,
) -> Placement {
    let load = |node: &SchedNode| loads.get(node.name.as_str()).copied().unwrap_or_default();
    let mut reasons: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut best: Option<(f64, &SchedNode)> = None;
    for node in nodes {
        match misfit(pod, asks, node, load(node)) {
            Some(why) => why
                .into_iter()
                .for_each(|r| *reasons.entry(r).or_default() += 1),
            None => {
                let score = allocated(node, load(node), asks);
                // Nodes come in any order: lower allocation, then name, wins.
                let better = best.is_none_or(|(s, b)| {
                    score
                        .total_cmp(&s)
                        .then_with(|| node.name.cmp(&b.name))
                        .is_lt()
                });
                if better {
                    best = Some((score, node));
                }
            }
        }
    }
    match best {
        Some((_, node)) => Placement::Bound(node.name.clone()),
        None => Placement::Unschedulable(fit_error(nodes.len(), &reasons)),
    }
}

/// Why `node` cannot take the pod — the reasons of the first filter that
/// fails, as the kube-scheduler stops there — or `None` when it can.
fn misfit(
    pod: &ToPlace<'_>,
    asks: Demand,
    node: &SchedNode,
    load: Load,
) -> Option<Vec<&'static str>> {
    let named = [pod.spec.node_name.as_deref(), pod.bound_to];
    if named.into_iter().flatten().any(|want| want != node.name) {
        return Some(vec![NODE_NAME_MISMATCH]);
    }
    if !node.ready {
        return Some(vec![NOT_READY]);
    }
    let selected = pod
        .spec
        .node_selector
        .iter()
        .all(|(k, v)| node.labels.get(k) == Some(v));
    if !selected {
        return Some(vec![SELECTOR_MISMATCH]);
    }
    let capacity = node.capacity?;
    let (want, used) = (asks.requests, load.requested);
    let mut short = Vec::new();
    if want.cpu_milli > 0 && want.cpu_milli > capacity.cpu_milli.saturating_sub(used.cpu_milli) {
        short.push(INSUFFICIENT_CPU);
    }
    if want.memory_bytes > 0
        && want.memory_bytes > capacity.memory_bytes.saturating_sub(used.memory_bytes)
    {
        short.push(INSUFFICIENT_MEMORY);
    }
    (!short.is_empty()).then_some(short)
}

/// Kubernetes' LeastAllocated score, inverted: the mean over cpu and memory
/// of requested/allocatable once the pod is placed, between 0 (empty) and 1
/// (full, over-full, or of unknown capacity). Lower is better.
fn allocated(node: &SchedNode, load: Load, asks: Demand) -> f64 {
    let after = load.scored.plus(asks.scored);
    let fraction = |requested: i64, allocatable: Option<i64>| match allocatable {
        Some(allocatable) if allocatable > 0 => (requested as f64 / allocatable as f64).min(1.0),
        _ => 1.0,
    };
    let cpu = fraction(after.cpu_milli, node.capacity.map(|c| c.cpu_milli));
    let memory = fraction(after.memory_bytes, node.capacity.map(|c| c.memory_bytes));
    (cpu + memory) / 2.0
}

/// The kube-scheduler's `FitError` message: each reason with the number of
/// nodes that gave it, `<count> <reason>`, sorted as strings and joined.
fn fit_error(nodes: usize, reasons: &BTreeMap<&str, usize>) -> String {
    if nodes == 0 {
        return NO_NODES.to_string();
    }
    let mut counted: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
    counted.sort();
    let mut message = format!("0/{nodes} nodes are available:");
    if !counted.is_empty() {
        message.push_str(&format!(" {}.", counted.join(", ")));
    }
    message
}

/// Kubernetes' spelling of the architecture (`amd64`, `arm64`).
pub(crate) fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

#[cfg(test)]
#[path = "schedule/tests.rs"]
mod tests;
