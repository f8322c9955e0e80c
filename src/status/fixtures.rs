//! Test fixtures: observed pods and containers as builders, with times as
//! offsets from one fixed instant.

use std::collections::BTreeMap;

use crate::engine::{ContainerDetails, ContainerState, ContainerSummary, EngineEvent};
use crate::keys;
use crate::observed::{ObservedContainer, ObservedPod};
use crate::timefmt::{format_rfc3339, NEVER};

/// 2026-11-29T21:00:00Z.
pub const T0: i64 = 1_795_986_000;

pub fn at(offset: i64) -> String {
    format_rfc3339(T0 + offset)
}

pub struct PodBuilder(ObservedPod);

/// Pod `web` in `default`, with a running infra container at 172.18.0.5.
pub fn pod(name: &str) -> PodBuilder {
    let infra = container(&format!("{name}-infra"), keys::INFRA_NAME)
        .running(0)
        .ip("172.18.0.5")
        .gateway("172.18.0.1")
        .build();
    PodBuilder(ObservedPod {
        project: "demo".into(),
        namespace: "default".into(),
        name: name.into(),
        node: "local".into(),
        owner: None,
        spec_hash: None,
        labels: BTreeMap::new(),
        last_applied: None,
        infra: Some(infra),
        containers: BTreeMap::new(),
        node_problem: None,
        records: Vec::new(),
        init_containers: Default::default(),
    })
}

impl PodBuilder {
    pub fn spec(mut self, spec: serde_json::Value) -> PodBuilder {
        self.0.last_applied = Some(spec.to_string());
        self
    }

    pub fn with(mut self, c: ContainerBuilder) -> PodBuilder {
        let name = c.0.summary.labels[keys::CONTAINER].clone();
        let mut c = c.build();
        c.summary
            .labels
            .insert(keys::POD.into(), self.0.name.clone());
        self.0.containers.insert(name, c);
        self
    }

    /// An init container (`index` in the spec), as berth labels one.
    pub fn with_init(mut self, index: usize, c: ContainerBuilder) -> PodBuilder {
        let name = c.0.summary.labels[keys::CONTAINER].clone();
        let c = c.label(keys::INIT, &index.to_string()).build();
        self.0.init_containers.insert(name, c);
        self
    }

    pub fn without_infra(mut self) -> PodBuilder {
        self.0.infra = None;
        self
    }

    pub fn build(self) -> ObservedPod {
        self.0
    }
}

pub struct ContainerBuilder(ObservedContainer);

/// A container created at T0 and never started.
pub fn container(id: &str, name: &str) -> ContainerBuilder {
    let labels: BTreeMap<String, String> = [
        (keys::NAMESPACE.to_string(), "default".to_string()),
        (keys::PROJECT.to_string(), "demo".to_string()),
        (keys::CONTAINER.to_string(), name.to_string()),
    ]
    .into();
    ContainerBuilder(ObservedContainer {
        summary: ContainerSummary {
            id: id.into(),
            name: format!("berth_demo_default_web_{name}"),
            image: "busybox:test".into(),
            labels,
            state: ContainerState::Created,
            created: T0,
        },
        details: Some(ContainerDetails {
            id: id.into(),
            started_at: NEVER.into(),
            finished_at: NEVER.into(),
            ..ContainerDetails::default()
        }),
        probe: Default::default(),
    })
}

impl ContainerBuilder {
    fn details(&mut self) -> &mut ContainerDetails {
        self.0.details.get_or_insert_with(ContainerDetails::default)
    }

    /// Running since `started` seconds after T0.
    pub fn running(mut self, started: i64) -> ContainerBuilder {
        self.0.summary.state = ContainerState::Running;
        let details = self.details();
        details.running = true;
        details.started_at = at(started);
        self
    }

    /// Exited with `code` after running from `started` to `finished`.
    pub fn exited(mut self, code: i64, started: i64, finished: i64) -> ContainerBuilder {
        self.0.summary.state = ContainerState::Exited;
        let details = self.details();
        details.exit_code = code;
        details.started_at = at(started);
        details.finished_at = at(finished);
        self
    }

    /// Between two runs, the last from `started` to `finished`.
    pub fn restarting(self, code: i64, started: i64, finished: i64) -> ContainerBuilder {
        let mut b = self.exited(code, started, finished);
        b.0.summary.state = ContainerState::Restarting;
        b.details().restarting = true;
        b
    }

    pub fn oom(mut self) -> ContainerBuilder {
        self.details().oom_killed = true;
        self
    }

    pub fn restarts(mut self, count: u64) -> ContainerBuilder {
        self.details().restart_count = count;
        self
    }

    pub fn start_error(mut self, error: &str) -> ContainerBuilder {
        self.details().error = error.into();
        self
    }

    pub fn ip(mut self, ip: &str) -> ContainerBuilder {
        self.details()
            .ips
            .insert("berth_demo_default".into(), ip.into());
        self
    }

    /// The gateway of the pod's network: the node's address on it.
    pub fn gateway(mut self, ip: &str) -> ContainerBuilder {
        self.details()
            .gateways
            .insert("berth_demo_default".into(), ip.into());
        self
    }

    pub fn label(mut self, key: &str, value: &str) -> ContainerBuilder {
        self.0.summary.labels.insert(key.into(), value.into());
        self
    }

    /// What the container list said, when the inspect that followed it
    /// (the rest of the builder) saw something newer.
    pub fn listed(mut self, state: ContainerState) -> ContainerBuilder {
        self.0.summary.state = state;
        self
    }

    pub fn uninspected(mut self) -> ContainerBuilder {
        self.0.details = None;
        self
    }

    pub fn build(self) -> ObservedContainer {
        self.0
    }
}

/// A Docker event about container `name` of pod `web`, `offset` s after T0.
pub fn docker_event(action: &str, id: &str, name: &str, offset: i64) -> EngineEvent {
    let attributes: BTreeMap<String, String> = [
        (keys::NAMESPACE.to_string(), "default".to_string()),
        (keys::PROJECT.to_string(), "demo".to_string()),
        (keys::POD.to_string(), "web".to_string()),
        (keys::CONTAINER.to_string(), name.to_string()),
    ]
    .into();
    EngineEvent {
        action: action.into(),
        container_id: id.into(),
        attributes,
        time_nanos: (T0 + offset) * 1_000_000_000,
    }
}

pub fn die(id: &str, name: &str, code: i64, offset: i64) -> EngineEvent {
    let mut event = docker_event("die", id, name, offset);
    event.attributes.insert("exitCode".into(), code.to_string());
    event
}
