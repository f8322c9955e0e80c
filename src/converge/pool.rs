//! Converging a pool of nodes: one list call per reachable engine, all at
//! once; one plan for the whole project (controllers count their pods on
//! every node); then each node's share of it run on that node's engine, all
//! nodes at once. What the node controller knows decides what may happen
//! where: an unreachable node's pods are left as last seen, a lost node's
//! pods are Failed (a controller replaces them elsewhere), and a lost node
//! that is back has what it left removed before it takes pods again.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;

use super::{ConvergeError, Settings};
use crate::desired::{Desired, Note, RemoveWhy};
use crate::engine::Engine;
use crate::nodes::{NodeRecord, NodeSpec, NodeStatus, Probe};
use crate::observe::{self, Depth, InspectCache};
use crate::observed::{NodeProblem, Observed, ObservedPod};
use crate::plan::{self, Action, Plan};

/// One node of the pool.
#[derive(Debug)]
pub struct Member<'a, E> {
    pub status: NodeStatus,
    /// Its engine, when connected.
    pub engine: Option<&'a E>,
    /// The pods last seen on it (a long-running loop remembers them), shown
    /// and counted while the engine does not answer.
    pub last_seen: Vec<ObservedPod>,
}

/// The nodes a project runs on.
#[derive(Debug)]
pub struct Pool<'a, E> {
    pub members: Vec<Member<'a, E>>,
}

impl<'a, E: Engine> Pool<'a, E> {
    /// The implicit node `name` on `engine`, taken as Ready without a probe
    /// (its capacity is read only when a pod needs it).
    pub fn single(engine: &'a E, name: &str) -> Pool<'a, E> {
        let spec = NodeSpec {
            name: name.to_string(),
            endpoint: Some(engine.endpoint()),
            cert_path: None,
            labels: Default::default(),
            cpu_milli: None,
            memory_bytes: None,
            declared: false,
        };
        let status =
            crate::nodes::advance(None, &spec, Probe::Off, now(), std::time::Duration::ZERO);
        Pool {
            members: vec![Member {
                status,
                engine: Some(engine),
                last_seen: Vec::new(),
            }],
        }
    }

    /// Whether there are several nodes: actions then name their node, and
    /// the node controller keeps its records on the engines.
    pub fn is_multi(&self) -> bool {
        self.members.len() > 1
    }

    /// The members berth can act on now: connected and answering.
    fn reachable(&self) -> impl Iterator<Item = &Member<'a, E>> {
        self.members
            .iter()
            .filter(|m| m.engine.is_some() && m.status.is_reachable())
    }
}

pub(super) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// What one look at the pool found.
#[derive(Debug, Default)]
pub struct Looked {
    /// Every node's pods (each with the node it was found on), the
    /// controllers' records (one per controller), the node records.
    pub merged: Observed,
    /// What each reachable engine holds.
    pub per_node: BTreeMap<String, Observed>,
    /// Nodes whose engine failed the list call this time, with why.
    pub failed: BTreeMap<String, String>,
    /// Lost nodes found back and clean this time: they take pods again.
    pub cleaned: Vec<String>,
}

/// Lists every reachable node's containers, all at once. A single node
/// that fails is an error (nothing can be known); one node of several that
/// fails is reported in `failed` and its pods are taken as last seen.
pub(super) async fn look<E: Engine>(
    pool: &mut Pool<'_, E>,
    settings: &Settings,
    cache: &mut InspectCache,
    depth: Depth,
) -> Result<Looked, ConvergeError> {
    let members: Vec<&Member<'_, E>> = pool.reachable().collect();
    let single = pool.members.len() == 1;
    // Each list runs with its own copy of the cache; the copies are merged
    // back after (container ids are unique across engines).
    let mut caches: Vec<InspectCache> = members.iter().map(|_| cache.fork()).collect();
    let lists = join_all(members.iter().zip(caches.iter_mut()).map(|(m, cache)| {
        let engine = m.engine.expect("reachable members have an engine");
        async move {
            let observe = observe::observe_with(engine, Some(&settings.project), cache, depth);
            // One node that hangs must not hold up the others for long.
            let limit = crate::nodes::LOOK_TIMEOUT;
            let result = if single {
                observe.await
            } else {
                tokio::time::timeout(limit, observe)
                    .await
                    .unwrap_or_else(|_| {
                        Err(crate::engine::EngineError::Timeout {
                            operation: "list containers".to_string(),
                            seconds: limit.as_secs(),
                        })
                    })
            };
            result.map_err(|source| ConvergeError::Observe {
                endpoint: engine.endpoint(),
                source,
            })
        }
    }))
    .await;
    for part in caches {
        cache.absorb(part);
    }
    let mut out = Looked::default();
    for (m, result) in members.iter().zip(lists) {
        let name = m.status.spec.name.clone();
        match result {
            Ok(mut observed) => {
                for p in &mut observed.pods {
                    p.node = name.clone();
                }
                for c in &mut observed.controllers {
                    c.node = name.clone();
                }
                out.per_node.insert(name, observed);
            }
            Err(e) if single => return Err(e),
            Err(ConvergeError::Observe { source, .. }) => {
                out.failed.insert(name, source.to_string());
            }
        }
    }
    // What the records say, and what failed now, goes into the statuses.
    let now = now();
    let records: Vec<NodeRecord> = out
        .per_node
        .values()
        .flat_map(|o| o.node_records.iter().cloned())
        .collect();
    for m in pool.members.iter_mut() {
        let name = m.status.spec.name.clone();
        if let Some(why) = out.failed.get(&name) {
            m.status = crate::nodes::advance(
                Some(&m.status),
                &m.status.spec.clone(),
                Probe::Unreachable(why.clone()),
                now,
                settings.node_grace,
            );
        }
        crate::nodes::recall(&mut m.status, &records, now, settings.node_grace);
        // A lost node that is back and runs nothing of the project is clean
        // again: it takes pods from this round on.
        let empty = out.per_node.get(&name).is_some_and(|o| o.pods.is_empty());
        if m.status.lost_at.is_some() && empty {
            m.status.lost_at = None;
            m.status.stale = false;
            m.status.unreachable_since = None;
            m.last_seen.clear();
            out.cleaned.push(name);
        }
    }
    out.merged = merge(pool, &out);
    Ok(out)
}

/// The whole project as one `Observed`.
fn merge<E>(pool: &Pool<'_, E>, looked: &Looked) -> Observed {
    let mut merged = Observed::default();
    for observed in looked.per_node.values() {
        merged
            .node_records
            .extend(observed.node_records.iter().cloned());
    }
    let mut seen_controllers = BTreeSet::new();
    for m in &pool.members {
        let name = &m.status.spec.name;
        match looked.per_node.get(name) {
            Some(observed) => {
                let stale = m.status.lost_at.is_some() || is_terminated(m);
                let since = m
                    .status
                    .lost_at
                    .unwrap_or(m.status.reachable.last_transition);
                for p in &observed.pods {
                    let mut p = p.clone();
                    if stale {
                        p.node_problem = Some(NodeProblem::Lost { since });
                    }
                    merged.pods.push(p);
                }
                for c in &observed.controllers {
                    let key = (c.kind.clone(), c.namespace.clone(), c.name.clone());
                    if seen_controllers.insert(key) {
                        merged.controllers.push(c.clone());
                    }
                }
            }
            None => {
                let problem = match m.status.lost_at {
                    Some(since) => NodeProblem::Lost { since },
                    None if is_terminated(m) => NodeProblem::Lost {
                        since: m.status.reachable.last_transition,
                    },
                    None => NodeProblem::Unreachable {
                        since: m
                            .status
                            .unreachable_since
                            .unwrap_or(m.status.reachable.last_transition),
                    },
                };
                let mut known: BTreeSet<(String, String)> = BTreeSet::new();
                for p in &m.last_seen {
                    let mut p = p.clone();
                    p.node = name.clone();
                    p.node_problem = Some(problem);
                    known.insert(p.key());
                    merged.pods.push(p);
                }
                // Nothing remembered (a restart, or one command after
                // another): the node records name the pods it ran.
                for (key, owner) in recorded_pods(&merged.node_records, name).unwrap_or_default() {
                    if known.insert(key.clone()) {
                        merged.pods.push(placeholder(name, key, owner, problem));
                    }
                }
            }
        }
    }
    merged.controllers.sort_by(|a, b| {
        (&a.project, &a.namespace, &a.name).cmp(&(&b.project, &b.namespace, &b.name))
    });
    merged
}

/// The pods the node records say `node` ran when last seen, with their
/// owners; `None` when no record has seen it.
fn recorded_pods(
    records: &[NodeRecord],
    node: &str,
) -> Option<BTreeMap<(String, String), Option<String>>> {
    let lists: Vec<&Vec<String>> = records
        .iter()
        .filter(|r| r.node == node)
        .filter_map(|r| r.pods.as_ref())
        .collect();
    if lists.is_empty() {
        return None;
    }
    let mut out = BTreeMap::new();
    for entry in lists.into_iter().flatten() {
        let (key, owner) = match entry.split_once('|') {
            Some((key, owner)) => (key, Some(owner.to_string())),
            None => (entry.as_str(), None),
        };
        if let Some((ns, name)) = key.split_once('/') {
            out.insert((ns.to_string(), name.to_string()), owner);
        }
    }
    Some(out)
}

/// The record entry of a pod: `namespace/name`, `|owner` for a
/// controller's.
fn pod_entry(p: &ObservedPod) -> String {
    match &p.owner {
        Some(owner) => format!("{}/{}|{owner}", p.namespace, p.name),
        None => format!("{}/{}", p.namespace, p.name),
    }
}

/// A pod known only from the node records, on node `node`.
fn placeholder(
    node: &str,
    (namespace, name): (String, String),
    owner: Option<String>,
    problem: NodeProblem,
) -> ObservedPod {
    ObservedPod {
        project: String::new(),
        namespace,
        name,
        node: node.to_string(),
        owner,
        spec_hash: None,
        labels: Default::default(),
        last_applied: None,
        infra: None,
        containers: Default::default(),
        node_problem: Some(problem),
        records: Vec::new(),
        init_containers: Default::default(),
    }
}

/// Makes the plan fit the nodes:
/// - every pod left on a stale node (lost, now back) is removed, and
///   nothing else happens to it;
/// - no action touches a node berth cannot reach: what it would do waits,
///   with why;
/// - while an unreachable node's pods are unknown (a record names the node
///   but never saw it, and nothing is remembered),
///   no pod is created anywhere, since it may run there already.
pub(super) fn fit_to_nodes<E>(plan: &mut Plan, pool: &Pool<'_, E>, looked: &Looked) {
    let now = now();
    let status = |node: &str| pool.members.iter().find(|m| m.status.spec.name == node);
    let reachable = |node: &str| looked.per_node.contains_key(node);
    let mut errors = Vec::new();
    let stale: BTreeSet<&str> = pool
        .members
        .iter()
        .filter(|m| {
            (m.status.lost_at.is_some() || is_terminated(m)) && reachable(&m.status.spec.name)
        })
        .map(|m| m.status.spec.name.as_str())
        .collect();
    let terminated = |node: &str| status(node).is_some_and(|m| is_terminated(m));
    // Stale and removed nodes: remove everything, whatever else was planned.
    plan.actions
        .retain(|a| !a.node().is_some_and(|n| stale.contains(n)));
    for p in &looked.merged.pods {
        if stale.contains(p.node.as_str()) {
            let why = match terminated(&p.node) {
                true => RemoveWhy::NodeRemoved,
                false => RemoveWhy::NodeLost,
            };
            plan.actions.push(Action::Remove {
                pod: p.clone(),
                why,
            });
            plan.unchanged
                .retain(|k| (k.namespace.as_str(), k.name.as_str()) != (&p.namespace, &p.name));
        }
    }
    let unknown: Vec<&str> = pool
        .members
        .iter()
        .filter(|m| {
            let name = m.status.spec.name.as_str();
            m.status.spec.endpoint.is_some()
                && !reachable(name)
                && m.status.lost_at.is_none()
                && m.last_seen.is_empty()
                && recorded_pods(&looked.merged.node_records, name).is_none()
                // A node no record names was never part of the project's
                // pool: nothing of it runs there.
                && looked.merged.node_records.iter().any(|r| r.node == name)
        })
        .map(|m| m.status.spec.name.as_str())
        .collect();
    plan.actions.retain(|a| {
        let Some(node) = a.node() else {
            return true;
        };
        if reachable(node) {
            if let (Action::Create { .. }, Some(first)) = (a, unknown.first()) {
                errors.push(Note {
                    object: a.object(),
                    message: format!(
                        "waits: node {first} does not answer and may run this pod already; \
                         it is created once the node answers or is lost"
                    ),
                });
                return false;
            }
            return true;
        }
        let m = status(node);
        let lost = m.is_some_and(|m| m.status.lost_at.is_some());
        let since = m
            .and_then(|m| m.status.unreachable_since)
            .map(|t| format!(" for {}s", now - t))
            .unwrap_or_default();
        let message = match a {
            Action::Remove {
                why: RemoveWhy::Failed,
                ..
            } if lost => return false,
            _ if lost => format!(
                "stays Failed (NodeLost): node {node} was lost; a pod is not moved, \
                 it comes back when its node does"
            ),
            _ => format!("left as last seen: node {node} has not answered{since}"),
        };
        errors.push(Note {
            object: a.object(),
            message,
        });
        false
    });
    // A lost node's pods that nothing plans for (a standalone pod shows
    // as Failed): say why they do not run.
    for p in &looked.merged.pods {
        let lost = p.node_problem.is_some_and(NodeProblem::is_lost)
            && !stale.contains(p.node.as_str())
            && !terminated(&p.node);
        let object = format!("pod {}/{}", p.namespace, p.name);
        if lost && p.owner.is_none() && !errors.iter().any(|e| e.object == object) {
            errors.push(Note {
                object,
                message: format!(
                    "stays Failed (NodeLost): node {} was lost; a pod is not moved, \
                     it comes back when its node does",
                    p.node
                ),
            });
        }
    }
    plan.unchanged.retain(|k| {
        let object = format!("pod {}/{}", k.namespace, k.name);
        !errors.iter().any(|e| e.object == object)
    });
    plan.actions.sort_by_key(Action::object);
    plan.errors.extend(errors);
}

/// Each reachable node's share of `plan`: the pod actions bound to it, and
/// its own controller records brought to `desired`'s controllers.
pub(super) fn split<E>(
    plan: &Plan,
    desired: &Desired,
    pool: &Pool<'_, E>,
    looked: &Looked,
    ctx: &crate::desired::Context,
) -> BTreeMap<String, Plan> {
    let mut out = BTreeMap::new();
    for m in &pool.members {
        let name = &m.status.spec.name;
        let Some(observed) = looked.per_node.get(name) else {
            continue;
        };
        let mut node_plan = Plan {
            actions: plan
                .actions
                .iter()
                .filter(|a| a.node() == Some(name.as_str()))
                .cloned()
                .collect(),
            ..Plan::default()
        };
        if is_terminated(m) {
            // A node that left the project keeps none of its records.
            let removals = observed
                .controllers
                .iter()
                .map(|old| Action::RemoveController { old: old.clone() });
            node_plan.actions.extend(removals);
        } else {
            let mut records = Plan::default();
            plan::controller_actions(desired, observed, ctx, &mut records);
            node_plan.actions.extend(records.actions);
        }
        out.insert(name.clone(), node_plan);
    }
    out
}

/// The networks of `observed` (one node's, read) that no pod on that node
/// needs once `node_plan` has run.
pub(super) fn idle_networks(observed: &Observed, node_plan: &Plan, project: &str) -> Vec<String> {
    let leaving: BTreeSet<(&str, &str)> = node_plan
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Remove { pod, .. } => Some((pod.namespace.as_str(), pod.name.as_str())),
            _ => None,
        })
        .collect();
    let mut needed: BTreeSet<String> = observed
        .pods
        .iter()
        .filter(|p| !leaving.contains(&(p.namespace.as_str(), p.name.as_str())))
        .map(|p| crate::podmap::network_name(project, &p.namespace))
        .collect();
    for a in &node_plan.actions {
        if let Action::Create { pod } = a {
            needed.insert(crate::podmap::network_name(project, &pod.namespace));
        }
    }
    observed
        .networks
        .iter()
        .filter(|n| !needed.contains(*n))
        .cloned()
        .collect()
}

/// The node records each reachable engine should hold (one per declared
/// node: its endpoint, and when it was lost with the pods it ran), against
/// what each holds: (holder, records to remove by container id, records to
/// create). Nothing when no node is declared.
pub(super) fn record_changes<E: Engine>(
    pool: &Pool<'_, E>,
    looked: &Looked,
    node_plans: &BTreeMap<String, Plan>,
) -> Vec<(String, Vec<String>, Vec<NodeRecord>)> {
    if !pool.is_multi() {
        // One node keeps no records: those left from when there were more
        // (about itself, or its engine under another name) go.
        return pool
            .members
            .iter()
            .filter_map(|m| {
                let held = &looked.per_node.get(&m.status.spec.name)?.node_records;
                let own: Vec<String> = held
                    .iter()
                    .filter(|r| {
                        r.node == m.status.spec.name
                            || (r.endpoint.is_some() && r.endpoint == m.status.spec.endpoint)
                    })
                    .map(|r| r.container_id.clone())
                    .collect();
                (!own.is_empty()).then(|| (m.status.spec.name.clone(), own, Vec::new()))
            })
            .collect();
    }
    // Records about the nodes that stay matter only while there are several;
    // one about a node that left, until it runs nothing of the project.
    let staying = pool.members.iter().filter(|m| !is_terminated(m)).count();
    let wanted: Vec<NodeRecord> = pool
        .members
        .iter()
        .filter(|m| match is_terminated(m) {
            true => !is_clean(m, looked),
            false => staying > 1,
        })
        .map(|m| {
            let s = &m.status;
            let pods: Option<Vec<String>> = match looked.per_node.get(&s.spec.name) {
                // Written before the round runs, with the pods it is about
                // to create there: a crash after a creation and before the
                // next look leaves no pod unrecorded.
                Some(observed) => {
                    let mut pods: Vec<String> = observed.pods.iter().map(pod_entry).collect();
                    let creating = node_plans.get(&s.spec.name).into_iter().flat_map(|p| {
                        p.actions.iter().filter_map(|a| match a {
                            Action::Create { pod } => Some(match &pod.owner {
                                Some(owner) => format!("{}/{}|{owner}", pod.namespace, pod.name),
                                None => format!("{}/{}", pod.namespace, pod.name),
                            }),
                            _ => None,
                        })
                    });
                    pods.extend(creating);
                    Some(pods)
                }
                None if !m.last_seen.is_empty() => {
                    Some(m.last_seen.iter().map(pod_entry).collect())
                }
                None => recorded_pods(&looked.merged.node_records, &s.spec.name).map(|known| {
                    known
                        .into_iter()
                        .map(|((ns, name), owner)| match owner {
                            Some(owner) => format!("{ns}/{name}|{owner}"),
                            None => format!("{ns}/{name}"),
                        })
                        .collect()
                }),
            };
            let pods = pods.map(|mut p| {
                p.sort();
                p
            });
            NodeRecord {
                node: s.spec.name.clone(),
                endpoint: s.spec.endpoint.clone(),
                cert_path: s.spec.cert_path.as_ref().map(|p| p.display().to_string()),
                unreachable_since: s.unreachable_since,
                lost_at: s.lost_at,
                pods,
                written: Some(now()),
                holder: String::new(),
                container_id: String::new(),
            }
        })
        .collect();
    let mut out = Vec::new();
    for m in &pool.members {
        let holder = &m.status.spec.name;
        if m.status.lost_at.is_some() && !m.status.stale {
            continue;
        }
        let Some(observed) = looked.per_node.get(holder) else {
            continue;
        };
        let held = &observed.node_records;
        if is_terminated(m) {
            let remove: Vec<String> = held.iter().map(|r| r.container_id.clone()).collect();
            if !remove.is_empty() {
                out.push((holder.clone(), remove, Vec::new()));
            }
            continue;
        }
        let remove: Vec<String> = held
            .iter()
            .filter(|r| !wanted.iter().any(|w| w.same_content(r)))
            .map(|r| r.container_id.clone())
            .collect();
        let create: Vec<NodeRecord> = wanted
            .iter()
            .filter(|w| !held.iter().any(|r| w.same_content(r)))
            .cloned()
            .collect();
        if !remove.is_empty() || !create.is_empty() {
            out.push((holder.clone(), remove, create));
        }
    }
    out
}

/// Adds to `observed` a placeholder for every pod `node_plans` created that
/// it does not hold: created, perhaps started, never seen.
pub(super) fn add_attempted(observed: &mut Observed, node_plans: &BTreeMap<String, Plan>) {
    for (node, plan) in node_plans {
        for action in &plan.actions {
            let Action::Create { pod } = action else {
                continue;
            };
            let known = observed
                .pods
                .iter()
                .any(|p| p.namespace == pod.namespace && p.name == pod.name);
            if !known {
                let mut p = placeholder(
                    node,
                    (pod.namespace.clone(), pod.name.clone()),
                    pod.owner.clone(),
                    NodeProblem::Unreachable { since: 0 },
                );
                p.node_problem = None;
                observed.pods.push(p);
            }
        }
    }
}

fn is_terminated<E>(m: &Member<'_, E>) -> bool {
    m.status.phase == crate::nodes::NodePhase::Terminated
}

/// Whether a node that left the project runs nothing of it any more.
fn is_clean<E>(m: &Member<'_, E>, looked: &Looked) -> bool {
    // A node without an endpoint was never contacted: it holds nothing.
    m.status.spec.endpoint.is_none()
        || looked
            .per_node
            .get(&m.status.spec.name)
            .is_some_and(|o| o.pods.is_empty() && o.controllers.is_empty())
}

/// The records about nodes that are not in the pool (one per node).
pub(super) fn undeclared<E>(pool: &Pool<'_, E>, looked: &Looked) -> Vec<NodeRecord> {
    let mut out: Vec<NodeRecord> = Vec::new();
    for r in &looked.merged.node_records {
        // A record about a member, or about an engine that is a member
        // under another name now, names no node that left.
        let member = pool.members.iter().any(|m| {
            m.status.spec.name == r.node
                || (r.endpoint.is_some() && m.status.spec.endpoint == r.endpoint)
        });
        if !member && !out.iter().any(|o| o.node == r.node) {
            out.push(r.clone());
        }
    }
    out
}
