//! The previous run of a restarted container, from Docker's `die` events.
//!
//! Docker resets a restarted container's exit code to 0 while it runs again;
//! its last `die` event still tells how the previous run ended.

use super::{ContainerState, PodStatus};
use crate::engine::EngineEvent;
use crate::observed::ObservedPod;

/// Fills in (or corrects) each restarted container's `last_state` from the
/// newest `die` event of that container. An OOM kill already known from
/// inspect is kept: Docker's `die` after an OOM kill says 137 as well.
pub fn apply_last_exits(status: &mut PodStatus, pod: &ObservedPod, events: &[EngineEvent]) {
    for container in &mut status.containers {
        let Some(observed) = pod.containers.get(&container.name) else {
            continue;
        };
        if container.restart_count == 0 {
            continue;
        }
        let Some(last_die) = events
            .iter()
            .filter(|e| e.action == "die" && e.container_id == observed.id())
            .max_by_key(|e| e.time_nanos)
        else {
            continue;
        };
        let Some(code) = last_die
            .attributes
            .get("exitCode")
            .and_then(|c| c.parse::<i64>().ok())
        else {
            continue;
        };
        let finished = Some(last_die.time_nanos.div_euclid(1_000_000_000));
        let reason = if code == 0 { "Completed" } else { "Error" };
        match container.last_state.as_mut() {
            Some(ContainerState::Terminated {
                exit_code,
                reason: known,
                ..
            }) if known != "OOMKilled" => {
                *exit_code = code;
                *known = reason.to_string();
            }
            Some(_) => {}
            None => {
                container.last_state = Some(ContainerState::Terminated {
                    exit_code: code,
                    reason: reason.to_string(),
                    started_at: None,
                    finished_at: finished,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::engine::{ContainerDetails, ContainerState as Docker, ContainerSummary};
    use crate::manifest::RestartPolicy;
    use crate::observed::ObservedContainer;

    fn pod_with_restarted_container() -> ObservedPod {
        let summary = ContainerSummary {
            id: "c1".into(),
            name: "berth_p_default_web_app".into(),
            image: "busybox".into(),
            labels: BTreeMap::new(),
            state: Docker::Running,
            created: 100,
        };
        let details = ContainerDetails {
            id: "c1".into(),
            exit_code: 0,
            restart_count: 2,
            started_at: "2026-11-29T21:00:10Z".into(),
            finished_at: "2026-11-29T21:00:09Z".into(),
            running: true,
            ..ContainerDetails::default()
        };
        let mut containers = BTreeMap::new();
        containers.insert(
            "app".to_string(),
            ObservedContainer {
                summary,
                details: Some(details),
                probe: Default::default(),
            },
        );
        ObservedPod {
            project: "p".into(),
            namespace: "default".into(),
            name: "web".into(),
            node: "local".into(),
            owner: None,
            spec_hash: None,
            labels: BTreeMap::new(),
            last_applied: None,
            infra: None,
            containers,
            node_problem: None,
            records: Vec::new(),
            init_containers: Default::default(),
        }
    }

    fn die(id: &str, code: &str, second: i64) -> EngineEvent {
        EngineEvent {
            action: "die".into(),
            container_id: id.into(),
            attributes: BTreeMap::from([("exitCode".to_string(), code.to_string())]),
            time_nanos: second * 1_000_000_000,
        }
    }

    #[test]
    fn a_running_again_container_gets_its_last_exit_code_from_the_newest_die_event() {
        let pod = pod_with_restarted_container();
        let mut status = super::super::pod_status(&pod, RestartPolicy::Always, 200);
        apply_last_exits(
            &mut status,
            &pod,
            &[
                die("c1", "3", 150),
                die("c1", "7", 120),
                die("other", "9", 160),
            ],
        );
        match &status.containers[0].last_state {
            Some(ContainerState::Terminated {
                exit_code,
                reason,
                finished_at,
                ..
            }) => {
                assert_eq!(
                    (*exit_code, reason.as_str(), *finished_at),
                    (3, "Error", Some(150))
                );
            }
            other => panic!("expected a terminated last state, got {other:?}"),
        }
    }

    #[test]
    fn without_die_events_nothing_is_invented() {
        let pod = pod_with_restarted_container();
        let mut status = super::super::pod_status(&pod, RestartPolicy::Always, 200);
        let before = status.clone();
        apply_last_exits(&mut status, &pod, &[]);
        assert_eq!(status, before);
    }
}
