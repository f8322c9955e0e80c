//! Kubernetes-style events. Most are derived again, on every ask, from what
//! Docker still knows (container states, labels, its event stream), so they
//! survive a berth restart; the rest (image pulls, scheduling) live in the
//! bounded in-memory `EventLog`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::engine::{self, EngineEvent};
use crate::keys;
use crate::observed::{NodeProblem, ObservedContainer, ObservedPod};
use crate::timefmt::{format_rfc3339, parse_rfc3339};

pub use super::event_log::EventLog;
use super::CRASH_RUN_SECONDS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// One event, aggregated: `count` occurrences between `first_seen` and
/// `last_seen` (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub namespace: String,
    /// `pod/web`, `replicationcontroller/web`, `node/local`.
    pub object: String,
    pub kind: EventType,
    pub reason: String,
    pub message: String,
    pub count: u32,
    pub first_seen: i64,
    pub last_seen: i64,
    /// The container it is about, for pod events.
    pub container: Option<String>,
}

impl Event {
    /// One occurrence at `at`.
    pub fn new(
        namespace: &str,
        object: &str,
        kind: EventType,
        reason: &str,
        message: impl Into<String>,
        at: i64,
    ) -> Event {
        Event {
            namespace: namespace.to_string(),
            object: object.to_string(),
            kind,
            reason: reason.to_string(),
            message: message.into(),
            count: 1,
            first_seen: at,
            last_seen: at,
            container: None,
        }
    }

    pub fn in_container(mut self, container: &str) -> Event {
        self.container = Some(container.to_string());
        self
    }

    /// Same object, type, reason, message and container: one aggregated event.
    pub(super) fn same_as(&self, other: &Event) -> bool {
        (
            &self.namespace,
            &self.object,
            self.kind,
            &self.reason,
            &self.message,
            &self.container,
        ) == (
            &other.namespace,
            &other.object,
            other.kind,
            &other.reason,
            &other.message,
            &other.container,
        )
    }

    pub(super) fn absorb(&mut self, other: &Event) {
        self.count = self.count.saturating_add(other.count);
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
    }

    /// A Kubernetes `v1` Event object.
    pub fn to_k8s_json(&self) -> Value {
        let (kind, name) = self.object.split_once('/').unwrap_or(("pod", &self.object));
        let kind = match kind {
            "replicationcontroller" => "ReplicationController",
            "node" => "Node",
            "service" => "Service",
            _ => "Pod",
        };
        let mut involved =
            json!({ "kind": kind, "namespace": self.namespace, "name": name, "apiVersion": "v1" });
        if let Some(container) = &self.container {
            involved["fieldPath"] = json!(format!("spec.containers{{{container}}}"));
        }
        json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": { "name": format!("{name}.{:x}{:08x}", self.first_seen, self.digest()), "namespace": self.namespace },
            "involvedObject": involved,
            "reason": self.reason,
            "message": self.message,
            "type": self.kind.as_str(),
            "count": self.count,
            "firstTimestamp": format_rfc3339(self.first_seen),
            "lastTimestamp": format_rfc3339(self.last_seen),
            "source": { "component": "berth" },
        })
    }

    /// FNV-1a of what tells events apart, for stable, distinct names.
    fn digest(&self) -> u32 {
        let text = format!("{}|{}|{:?}", self.reason, self.message, self.container);
        text.bytes().fold(0x811c_9dc5u32, |h, b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        })
    }
}

/// Merges identical events and sorts by `last_seen` (then `first_seen`).
pub fn aggregate(events: impl IntoIterator<Item = Event>) -> Vec<Event> {
    let mut merged: Vec<Event> = Vec::new();
    for event in events {
        match merged.iter_mut().find(|e| e.same_as(&event)) {
            Some(existing) => existing.absorb(&event),
            None => merged.push(event),
        }
    }
    merged.sort_by(|a, b| {
        (a.last_seen, a.first_seen, &a.reason).cmp(&(b.last_seen, b.first_seen, &b.reason))
    });
    merged
}

/// The container (spec name) a Docker event is about, when it is about `pod`:
/// matched by its labels (so removed, re-created containers still count),
/// else by id.
fn container_of(pod: &ObservedPod, event: &EngineEvent) -> Option<String> {
    let attr = |key: &str| event.attributes.get(key).map(String::as_str);
    let labelled = attr(keys::NAMESPACE) == Some(&pod.namespace)
        && attr(keys::POD) == Some(&pod.name)
        && attr(keys::PROJECT).is_none_or(|p| p == pod.project);
    if labelled {
        return attr(keys::CONTAINER).map(str::to_string);
    }
    pod.containers
        .iter()
        .find(|(_, c)| !event.container_id.is_empty() && c.id() == event.container_id)
        .map(|(name, _)| name.clone())
}

fn exit_event(pod: &ObservedPod, container: &str, code: i64, at: i64) -> Event {
    let message = format!("container {container} exited with code {code}");
    let (kind, reason) = if code == 0 {
        (EventType::Normal, "Completed")
    } else {
        (EventType::Warning, "Failed")
    };
    pod_event(pod, kind, reason, message, at).in_container(container)
}

fn oom_event(pod: &ObservedPod, container: &str, at: i64) -> Event {
    let message = format!("container {container} was killed: out of memory");
    pod_event(pod, EventType::Warning, "OOMKilled", message, at).in_container(container)
}

fn pod_event(pod: &ObservedPod, kind: EventType, reason: &str, message: String, at: i64) -> Event {
    Event::new(
        &pod.namespace,
        &format!("pod/{}", pod.name),
        kind,
        reason,
        message,
        at,
    )
}

/// Events from Docker's event stream: created, started, exits, OOM kills.
fn from_docker_events(pod: &ObservedPod, docker_events: &[EngineEvent]) -> Vec<Event> {
    let mut in_order: Vec<&EngineEvent> = docker_events.iter().collect();
    in_order.sort_by_key(|e| e.time_nanos);
    // Containers asked to stop (`kill`): their next `die` is no failure.
    let mut stopping: BTreeSet<&str> = BTreeSet::new();
    let mut events = Vec::new();
    for event in in_order {
        let Some(container) = container_of(pod, event) else {
            continue;
        };
        if container == keys::INFRA_NAME {
            continue;
        }
        let at = event.time_nanos.div_euclid(1_000_000_000);
        let normal = |reason: &str, verb: &str| {
            let message = format!("{verb} container {container}");
            pod_event(pod, EventType::Normal, reason, message, at).in_container(&container)
        };
        let id = event.container_id.as_str();
        match event.action.as_str() {
            "create" => events.push(normal("Created", "Created")),
            "start" => {
                stopping.remove(id);
                events.push(normal("Started", "Started"));
            }
            "kill" if stopping.insert(id) => events.push(normal("Killing", "Stopping")),
            "oom" => events.push(oom_event(pod, &container, at)),
            "die" if stopping.remove(id) => {}
            "die" => {
                let code = event
                    .attributes
                    .get("exitCode")
                    .and_then(|c| c.parse().ok());
                events.push(exit_event(pod, &container, code.unwrap_or(-1), at));
            }
            _ => {}
        }
    }
    events
}

/// What a container's inspected state says happened to it, in Unix seconds.
struct Facts {
    created: i64,
    started: Option<i64>,
    finished: Option<i64>,
    running: bool,
}

impl Facts {
    fn of(c: &ObservedContainer) -> Facts {
        let details = c.details.as_ref();
        let running = matches!(
            super::container::docker_state(c),
            engine::ContainerState::Running | engine::ContainerState::Paused
        );
        let started = details.and_then(|d| parse_rfc3339(&d.started_at));
        Facts {
            created: c.summary.created,
            started: started.or(running.then_some(c.summary.created)),
            finished: details.and_then(|d| parse_rfc3339(&d.finished_at)),
            running,
        }
    }

    fn short_last_run(&self) -> bool {
        matches!((self.started, self.finished), (Some(s), Some(f)) if f >= s && f - s < CRASH_RUN_SECONDS)
    }
}

/// Events read from a container's state, for whatever Docker's event
/// stream did not cover (`covered`: reasons already seen for it).
fn from_state(
    pod: &ObservedPod,
    name: &str,
    c: &ObservedContainer,
    covered: &[&str],
) -> Vec<Event> {
    let facts = Facts::of(c);
    let uncovered = |reason: &str| !covered.contains(&reason);
    let event = |kind, reason: &str, message: String, at| {
        pod_event(pod, kind, reason, message, at).in_container(name)
    };
    let mut events = Vec::new();
    if uncovered("Created") {
        events.push(event(
            EventType::Normal,
            "Created",
            format!("Created container {name}"),
            facts.created,
        ));
    }
    if let (true, Some(at)) = (uncovered("Started"), facts.started) {
        events.push(event(
            EventType::Normal,
            "Started",
            format!("Started container {name}"),
            at,
        ));
    }
    let Some(d) = c.details.as_ref() else {
        return events;
    };
    if !d.error.is_empty() {
        let message = format!("Error: failed to start container {name}: {}", d.error);
        events.push(event(
            EventType::Warning,
            "Failed",
            message,
            facts.finished.unwrap_or(facts.created),
        ));
    }
    if let (Some(at), false) = (facts.finished, facts.running) {
        if uncovered("Completed") && uncovered("Failed") {
            events.push(exit_event(pod, name, d.exit_code, at));
        }
        if d.oom_killed && uncovered("OOMKilled") {
            events.push(oom_event(pod, name, at));
        }
    }
    if d.restart_count > 0 {
        let message = format!("container {name} restarted {} times", d.restart_count);
        let at = facts.started.or(facts.finished).unwrap_or(facts.created);
        events.push(event(EventType::Warning, "Restarted", message, at));
        let restarting = super::container::docker_state(c) == engine::ContainerState::Restarting;
        if restarting && facts.short_last_run() {
            let message = format!("Back-off restarting failed container {name}");
            events.push(event(
                EventType::Warning,
                "BackOff",
                message,
                facts.finished.unwrap_or(at),
            ));
        }
    }
    events
}

/// Self-heal events from the repair labels berth puts on what it repaired.
fn repairs(pod: &ObservedPod) -> Vec<Event> {
    let mut events = Vec::new();
    for c in pod.all_containers() {
        let Some(message) = c.summary.labels.get(keys::REPAIR) else {
            continue;
        };
        let at = c
            .summary
            .labels
            .get(keys::REPAIR_TIME)
            .and_then(|t| t.parse().ok())
            .unwrap_or(c.summary.created);
        let event = pod_event(pod, EventType::Normal, "SelfHeal", message.clone(), at);
        let container = c
            .summary
            .labels
            .get(keys::CONTAINER)
            .filter(|name| *name != keys::INFRA_NAME);
        events.push(match container {
            Some(name) => event.in_container(name),
            None => event,
        });
    }
    events
}

/// Events the infra container's creation and labels tell: the pod was
/// scheduled (assigned to its node) and, for a pod left waiting for its
/// image, why the image could not be had.
pub fn infra_events(pod: &ObservedPod) -> Vec<Event> {
    let Some(infra) = &pod.infra else {
        return Vec::new();
    };
    let message = format!(
        "Successfully assigned {}/{} to {}",
        pod.namespace, pod.name, pod.node
    );
    let created = infra.summary.created;
    let mut events = vec![pod_event(
        pod,
        EventType::Normal,
        "Scheduled",
        message,
        created,
    )];
    let labels = &infra.summary.labels;
    if let Some(reason) = labels.get(keys::WAITING_REASON) {
        let at = labels
            .get(keys::WAITING_TIME)
            .and_then(|t| t.parse().ok())
            .unwrap_or(created);
        let message = match labels.get(keys::WAITING_MESSAGE) {
            Some(why) => format!("Error: {reason}: {why}"),
            None => format!("Error: {reason}"),
        };
        events.push(pod_event(pod, EventType::Warning, "Failed", message, at));
    }
    events
}

/// The events of `pod`, from Docker's events (`die` with `exitCode`, `oom`,
/// `start`, `create`, `kill`: a `die` after a `kill` is a stop, not a failure) and, where those are missing, from the containers'
/// inspected state; plus self-heal repairs. Aggregated, by `last_seen`.
pub fn pod_events(pod: &ObservedPod, docker_events: &[EngineEvent]) -> Vec<Event> {
    let streamed = from_docker_events(pod, docker_events);
    let mut covered: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for event in &streamed {
        if let Some(container) = &event.container {
            covered
                .entry(container.as_str())
                .or_default()
                .push(event.reason.as_str());
        }
    }
    let mut events = Vec::new();
    for (name, container) in &pod.containers {
        let seen = covered.get(name.as_str()).map_or(&[][..], Vec::as_slice);
        events.extend(from_state(pod, name, container, seen));
    }
    events.extend(repairs(pod));
    events.extend(node_event(pod));
    events.extend(probe_events(pod));
    aggregate(streamed.into_iter().chain(events))
}

/// What the prober of a watch recorded (`Unhealthy`, `Killing`).
fn probe_events(pod: &ObservedPod) -> Vec<Event> {
    pod.containers
        .values()
        .flat_map(|c| &c.probe.events)
        .map(|e| {
            let kind = if e.warning {
                EventType::Warning
            } else {
                EventType::Normal
            };
            let mut event = pod_event(pod, kind, &e.reason, e.message.clone(), e.first_seen)
                .in_container(&e.container);
            event.count = e.count;
            event.last_seen = e.last_seen;
            event
        })
        .collect()
}

/// What the node controller says of the pod: its node does not answer
/// (`NodeNotReady`), or was lost (`NodeLost`, the pod Failed).
fn node_event(pod: &ObservedPod) -> Option<Event> {
    let (reason, message, at) = match pod.node_problem? {
        NodeProblem::Unreachable { since } => (
            "NodeNotReady",
            format!(
                "Node {} does not answer; the pod is shown as last seen",
                pod.node
            ),
            since,
        ),
        NodeProblem::Lost { since } => (
            "NodeLost",
            format!(
                "Node {} which was running pod {} is unresponsive",
                pod.node, pod.name
            ),
            since,
        ),
    };
    Some(pod_event(pod, EventType::Warning, reason, message, at))
}

/// Every event of `pod`: `pod_events` and the `infra_events`, aggregated,
/// by `last_seen`. What `berth events` and `describe` list.
pub fn all_pod_events(pod: &ObservedPod, docker_events: &[EngineEvent]) -> Vec<Event> {
    let mut events = aggregate(
        pod_events(pod, docker_events)
            .into_iter()
            .chain(infra_events(pod)),
    );
    // Within one second a pod is scheduled before anything else happens.
    events.sort_by_key(|e| (e.last_seen, e.first_seen, e.reason != "Scheduled"));
    events
}
