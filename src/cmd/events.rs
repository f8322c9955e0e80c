//! `berth events` (and `berth get events`): reads the project's pods and
//! Docker's events of the last hour from the engine and prints the events
//! `kube::events` derives from them, as kubectl lists them.

use crate::cli::{GlobalArgs, OutputFormat, Scope};
use crate::engine::{Engine, EngineEvent};
use crate::keys;
use crate::kube::events::{event_cells, event_json, pod_events, PodEvent};
use crate::kube::objects;
use crate::observe::Depth;
use crate::observed::ObservedPod;
use crate::report::{self, Table};
use crate::status::Event;
use crate::timefmt::age;

use super::live::{block_on, now};
use super::{ExitStatus, Io};

/// How far back Docker's event stream is read.
pub(crate) const EVENT_WINDOW_SECONDS: i64 = 3600;

pub fn run(
    global: &GlobalArgs,
    scope: &Scope,
    output: OutputFormat,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    let project = global.project.as_deref();
    let namespace = scope.namespace();
    let now = now();
    // Every node's pods and events (a node that does not answer is a
    // warning; its pods' events are what berth knows of them).
    let options = global.node_options();
    let looked = block_on(async {
        let connected = crate::nodes::discover(&options, project, now).await;
        super::get_live::look_all(&connected, project, Depth::Full, true, now).await
    })??;
    for warning in looked.unreachable.iter().chain(&looked.failed) {
        report::warning(io.err, warning)?;
    }
    let events = pod_events(&looked.observed, &looked.docker_events, namespace);
    match output {
        OutputFormat::Json | OutputFormat::Yaml => {
            let items = events.iter().map(event_json).collect();
            let list = objects::list(items);
            if output == OutputFormat::Json {
                report::json(io.out, &list)?;
            } else {
                report::yaml(io.out, &list)?;
            }
        }
        OutputFormat::Name => {
            let names: Vec<String> = events
                .iter()
                .map(|e| {
                    format!(
                        "event/{}",
                        e.event.to_k8s_json()["metadata"]["name"]
                            .as_str()
                            .unwrap_or("")
                    )
                })
                .collect();
            report::lines(io.out, &names)?;
        }
        OutputFormat::Table | OutputFormat::Wide => {
            if events.is_empty() {
                let place = namespace
                    .map(|ns| format!(" in {ns} namespace"))
                    .unwrap_or_default();
                writeln!(io.err, "No events found{place}.")?;
            } else {
                events_table(&events, namespace.is_none(), now).write(io.out)?;
            }
        }
    }
    Ok(ExitStatus::Success)
}

/// Docker's container events of the last hour carrying `labels`.
pub(crate) async fn docker_events<E: Engine>(
    engine: &E,
    labels: Vec<(String, String)>,
    now: i64,
) -> anyhow::Result<Vec<EngineEvent>> {
    Ok(engine
        // `until` is whole seconds: ask one past now (the engine clamps it
        // to the present) so events of the current second are not lost.
        .container_events(now - EVENT_WINDOW_SECONDS, now + 1, &labels)
        .await?)
}

/// The labels that select one pod's containers.
pub(crate) fn pod_filter(pod: &ObservedPod) -> Vec<(String, String)> {
    let mut labels = keys::filter(Some(&pod.project));
    labels.push((keys::NAMESPACE.to_string(), pod.namespace.clone()));
    labels.push((keys::POD.to_string(), pod.name.clone()));
    labels
}

/// `kubectl get events`: LAST SEEN TYPE REASON OBJECT MESSAGE.
fn events_table(events: &[PodEvent], with_namespace: bool, now: i64) -> Table {
    let mut headers = vec![];
    if with_namespace {
        headers.push("NAMESPACE");
    }
    headers.extend(["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]);
    let mut table = Table::new(headers);
    for PodEvent { event, .. } in events {
        let mut row = vec![];
        if with_namespace {
            row.push(event.namespace.clone());
        }
        row.extend(event_cells(event, now));
        table.row(row);
    }
    table
}

/// An event's age as `kubectl describe` shows it: `5m`, or `5m (x3 over
/// 10m)` for a repeated one.
pub(crate) fn describe_age(event: &Event, now: i64) -> String {
    let when = age(Some(event.last_seen), now);
    match event.count {
        0 | 1 => when,
        n => format!("{when} (x{n} over {})", age(Some(event.first_seen), now)),
    }
}

/// The events of `kubectl describe`: TYPE REASON AGE FROM MESSAGE, the age
/// as `5m (x3 over 10m)` for repeated events.
pub(crate) fn describe_table(events: &[Event], now: i64) -> Table {
    let mut table = Table::new(["TYPE", "REASON", "AGE", "FROM", "MESSAGE"]);
    for event in events {
        table.row([
            event.kind.as_str().to_string(),
            event.reason.clone(),
            describe_age(event, now),
            "berth".into(),
            event.message.clone(),
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::EventType;

    #[test]
    fn repeated_events_show_their_count_and_span() {
        let mut event = Event::new(
            "default",
            "pod/web",
            EventType::Warning,
            "BackOff",
            "Back-off restarting",
            700,
        );
        event.count = 3;
        event.first_seen = 400;
        let mut out = Vec::new();
        describe_table(&[event], 1_000).write(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("Warning   BackOff   5m (x3 over 10m)   berth   Back-off restarting"),
            "{text}"
        );
    }

    #[test]
    fn event_list_has_kubectls_columns() {
        let event = Event::new(
            "default",
            "pod/web",
            EventType::Normal,
            "Started",
            "Started container app",
            990,
        );
        let event = PodEvent {
            project: "shop".into(),
            event,
        };
        let mut out = Vec::new();
        events_table(&[event], false, 1_000)
            .write(&mut out)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "LAST SEEN   TYPE     REASON    OBJECT    MESSAGE\n10s         Normal   Started   pod/web   Started container app\n"
        );
    }
}
