//! `/metrics` in the Prometheus text format 0.0.4, from the snapshot's
//! counters and observed pods: reconciles by result, reconcile durations,
//! pods by phase, Docker calls by kind, the last successful reconcile and
//! whether the manifests are valid.

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::kube::status_of;
use crate::snapshot::{ReconcileResult, Snapshot};

use super::ServeState;

pub(super) fn routes(state: ServeState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn metrics(State(state): State<ServeState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&state.current()),
    )
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A number as Prometheus writes it (`+Inf`, no trailing `.0` needed).
fn number(value: f64) -> String {
    if value.is_infinite() {
        "+Inf".into()
    } else {
        format!("{value}")
    }
}

/// The whole exposition.
pub fn render(snapshot: &Snapshot) -> String {
    let metrics = &snapshot.metrics;
    let mut out = String::new();
    family(
        &mut out,
        "berth_reconciles_total",
        "counter",
        "Reconciles by result.",
    );
    for result in ReconcileResult::ALL {
        let count = metrics.reconciles.get(&result).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "berth_reconciles_total{{result=\"{}\"}} {count}",
            result.as_str()
        );
    }
    let name = "berth_reconcile_duration_seconds";
    family(&mut out, name, "histogram", "How long reconciles took.");
    let histogram = &metrics.duration;
    for (bound, count) in histogram.bounds.iter().zip(&histogram.counts) {
        let _ = writeln!(out, "{name}_bucket{{le=\"{}\"}} {count}", number(*bound));
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", histogram.count);
    let _ = writeln!(out, "{name}_sum {}", number(histogram.sum));
    let _ = writeln!(out, "{name}_count {}", histogram.count);
    family(&mut out, "berth_pods", "gauge", "Observed pods by phase.");
    for (phase, count) in pods_by_phase(snapshot) {
        let _ = writeln!(out, "berth_pods{{phase=\"{phase}\"}} {count}");
    }
    family(
        &mut out,
        "berth_docker_calls_total",
        "counter",
        "Docker API calls by kind.",
    );
    for (kind, count) in &metrics.docker_calls {
        let _ = writeln!(out, "berth_docker_calls_total{{kind=\"{kind}\"}} {count}");
    }
    let name = "berth_last_successful_reconcile_timestamp_seconds";
    family(
        &mut out,
        name,
        "gauge",
        "Unix time of the last reconcile that converged (0: none yet).",
    );
    let _ = writeln!(
        out,
        "{name} {}",
        number(metrics.last_success.unwrap_or(0.0))
    );
    family(
        &mut out,
        "berth_manifests_valid",
        "gauge",
        "1 when the latest load of the manifests had no errors.",
    );
    let _ = writeln!(
        out,
        "berth_manifests_valid {}",
        u8::from(snapshot.manifests.valid)
    );
    out
}

/// Every Kubernetes phase with its count of observed pods, zeros included
/// (berth never reports `Unknown`: a pod it cannot see is not listed).
fn pods_by_phase(snapshot: &Snapshot) -> Vec<(&'static str, usize)> {
    let phases = ["Pending", "Running", "Succeeded", "Failed", "Unknown"];
    let pods = snapshot.observed.iter().flat_map(|o| o.pods.iter());
    let observed: Vec<&str> = pods
        .map(|p| status_of(p, snapshot.taken_at).phase.as_str())
        .collect();
    phases
        .into_iter()
        .map(|phase| (phase, observed.iter().filter(|p| **p == phase).count()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observed::Observed;
    use crate::status::fixtures::{container, pod};
    use std::sync::Arc;

    #[test]
    fn every_family_has_help_and_type_and_every_result_a_line() {
        let mut snapshot = Snapshot::default();
        snapshot
            .metrics
            .reconciles
            .insert(ReconcileResult::Converged, 3);
        snapshot.metrics.duration.observe(0.02);
        snapshot.metrics.docker_calls.insert("list_containers", 7);
        snapshot.metrics.last_success = Some(1_700_000_000.5);
        snapshot.manifests.valid = true;
        let text = render(&snapshot);
        for family in [
            "berth_reconciles_total counter",
            "berth_reconcile_duration_seconds histogram",
            "berth_pods gauge",
            "berth_docker_calls_total counter",
            "berth_last_successful_reconcile_timestamp_seconds gauge",
            "berth_manifests_valid gauge",
        ] {
            assert!(
                text.contains(&format!("# TYPE {family}\n")),
                "{family}\n{text}"
            );
        }
        assert!(
            text.contains("berth_reconciles_total{result=\"converged\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("berth_reconciles_total{result=\"engine_error\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("berth_reconcile_duration_seconds_bucket{le=\"0.025\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("berth_reconcile_duration_seconds_bucket{le=\"+Inf\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("berth_reconcile_duration_seconds_count 1\n"),
            "{text}"
        );
        assert!(
            text.contains("berth_docker_calls_total{kind=\"list_containers\"} 7\n"),
            "{text}"
        );
        assert!(
            text.contains("berth_last_successful_reconcile_timestamp_seconds 1700000000.5\n"),
            "{text}"
        );
        assert!(text.contains("berth_manifests_valid 1\n"), "{text}");
    }

    #[test]
    fn pods_are_counted_by_phase_with_zeros() {
        let running = pod("web").with(container("a", "app").running(0)).build();
        let snapshot = Snapshot {
            observed: Some(Arc::new(Observed {
                pods: vec![running],
                ..Default::default()
            })),
            ..Default::default()
        };
        let text = render(&snapshot);
        assert!(text.contains("berth_pods{phase=\"Running\"} 1\n"), "{text}");
        assert!(text.contains("berth_pods{phase=\"Failed\"} 0\n"), "{text}");
    }
}
