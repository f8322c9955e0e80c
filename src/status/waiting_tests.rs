//! A pod left waiting for its image: Pending with the waiting reason, and
//! the events its infra container's creation and labels tell.

use serde_json::json;

use super::fixtures::{container, pod, T0};
use super::{all_pod_events, pod_status, EventType, Phase};
use crate::keys;
use crate::manifest::RestartPolicy;
use crate::observed::ObservedPod;

const WHY: &str = "cannot pull image \"localhost:5999/nope:1\": connection refused";

fn waiting_pod() -> ObservedPod {
    let spec =
        json!({ "spec": { "containers": [{ "name": "app", "image": "localhost:5999/nope:1" }] } });
    let mut web = pod("web").spec(spec).build();
    let labels = &mut web.infra.as_mut().expect("infra").summary.labels;
    labels.insert(keys::WAITING_REASON.into(), "ErrImagePull".into());
    labels.insert(keys::WAITING_MESSAGE.into(), WHY.into());
    labels.insert(keys::WAITING_TIME.into(), T0.to_string());
    web
}

#[test]
fn a_pod_whose_image_cannot_be_had_is_pending_with_err_image_pull() {
    let status = pod_status(&waiting_pod(), RestartPolicy::Always, T0 + 5);
    assert_eq!(status.phase, Phase::Pending);
    assert_eq!(status.reason.as_deref(), Some("ErrImagePull"));
    assert_eq!(status.status_column(), "ErrImagePull");
    assert_eq!(
        status.containers[0].state,
        super::ContainerState::Waiting {
            reason: "ErrImagePull".into(),
            message: WHY.into()
        }
    );
}

#[test]
fn once_its_members_exist_the_waiting_label_no_longer_counts() {
    let mut web = waiting_pod();
    let app = container("c1", "app").running(3).build();
    web.containers.insert("app".into(), app);
    let status = pod_status(&web, RestartPolicy::Always, T0 + 5);
    assert_eq!((status.phase, status.reason), (Phase::Running, None));
}

#[test]
fn the_pod_was_scheduled_and_then_its_image_failed_as_events() {
    let events = all_pod_events(&waiting_pod(), &[]);
    let seen: Vec<(EventType, &str, &str, i64)> = events
        .iter()
        .map(|e| {
            (
                e.kind,
                e.reason.as_str(),
                e.message.as_str(),
                e.last_seen - T0,
            )
        })
        .collect();
    let failed = format!("Error: ErrImagePull: {WHY}");
    assert_eq!(
        seen,
        [
            (
                EventType::Normal,
                "Scheduled",
                "Successfully assigned default/web to local",
                0
            ),
            (EventType::Warning, "Failed", failed.as_str(), 0),
        ]
    );
}
