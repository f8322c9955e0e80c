//! Pod events as `berth events` and the API show them: derived from each
//! observed pod and Docker's recent events (`status::all_pod_events`), as
//! `v1` Event objects whose `involvedObject` names the pod by its uid, and
//! as the cells of kubectl's event table.

use serde_json::{json, Value};

use crate::engine::EngineEvent;
use crate::observed::Observed;
use crate::status::{self, Event};
use crate::timefmt::age;

use super::uid;

/// One event with the project of the pod it is about (which the pod's uid
/// needs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodEvent {
    pub project: String,
    pub event: Event,
}

/// The events of every observed pod in `namespace` (all when `None`),
/// oldest last-seen first.
pub fn pod_events(
    observed: &Observed,
    docker_events: &[EngineEvent],
    namespace: Option<&str>,
) -> Vec<PodEvent> {
    let mut events: Vec<PodEvent> = observed
        .pods
        .iter()
        .filter(|pod| namespace.is_none_or(|ns| ns == pod.namespace))
        .flat_map(|pod| {
            status::all_pod_events(pod, docker_events)
                .into_iter()
                .map(|event| PodEvent {
                    project: pod.project.clone(),
                    event,
                })
        })
        .collect();
    events.sort_by_key(|e| (e.event.last_seen, e.event.first_seen));
    events
}

/// A Kubernetes `v1` Event; `involvedObject.uid` is the uid the object
/// itself carries, so `kubectl describe` finds the events of a pod.
pub fn event_json(event: &PodEvent) -> Value {
    let mut value = event.event.to_k8s_json();
    let involved = &value["involvedObject"];
    let field = |key: &str| involved[key].as_str().unwrap_or_default().to_string();
    let (kind, namespace, name) = (field("kind"), field("namespace"), field("name"));
    let object_uid = uid(&event.project, &kind, &namespace, &name);
    value["involvedObject"]["uid"] = json!(object_uid);
    let event_name = value["metadata"]["name"].as_str().unwrap_or_default();
    let own_uid = uid(&event.project, "Event", &namespace, event_name);
    value["metadata"]["uid"] = json!(own_uid);
    value["metadata"]["creationTimestamp"] = value["firstTimestamp"].clone();
    value
}

/// `kubectl get events`: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE.
pub fn event_cells(event: &Event, now: i64) -> Vec<String> {
    vec![
        age(Some(event.last_seen), now),
        event.kind.as_str().to_string(),
        event.reason.clone(),
        event.object.clone(),
        event.message.clone(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::EventType;

    #[test]
    fn event_json_names_the_pod_by_its_uid() {
        let event = PodEvent {
            project: "shop".into(),
            event: Event::new(
                "default",
                "pod/web",
                EventType::Normal,
                "Started",
                "Started container app",
                990,
            ),
        };
        let value = event_json(&event);
        assert_eq!(
            value["involvedObject"]["uid"],
            uid("shop", "Pod", "default", "web")
        );
        assert_eq!(value["involvedObject"]["kind"], "Pod");
        assert_eq!(value["source"]["component"], "berth");
        assert_eq!(
            value["metadata"]["creationTimestamp"],
            value["firstTimestamp"]
        );
    }
}
