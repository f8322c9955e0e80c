//! `/healthz` and `/readyz`, kube style: `ok` when every check passes;
//! with `?verbose` (or on failure) one line per check, `[+]name ok` or
//! `[-]name failed: reason`, then `… check passed|failed`.
//!
//! `/healthz` says whether the daemon is alive: the loop still publishes
//! and the engine has not been found unreachable. Invalid manifests are
//! listed in its verbose body but do not fail it: the daemon is alive and
//! keeps enforcing the last good set; restarting it would not fix the
//! files. `/readyz` says whether berth's answers can be trusted: it fails
//! (503) until the first reconcile, and while the engine is unreachable or
//! the manifests are invalid.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::snapshot::Snapshot;

use super::ServeState;

/// One named check; `Err` carries the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub result: Result<(), String>,
    /// A failure fails the endpoint (otherwise it is only reported).
    pub critical: bool,
}

impl Check {
    fn new(name: &'static str, result: Result<(), String>, critical: bool) -> Check {
        Check {
            name,
            result,
            critical,
        }
    }
}

pub(super) fn routes(state: ServeState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state)
}

#[derive(Debug, Default, Deserialize)]
struct HealthQuery {
    verbose: Option<String>,
}

async fn healthz(State(state): State<ServeState>, Query(query): Query<HealthQuery>) -> Response {
    let checks = health_checks(&state.current(), publishing(&state));
    respond(
        "healthz",
        &checks,
        query.verbose.is_some(),
        StatusCode::INTERNAL_SERVER_ERROR,
    )
}

async fn readyz(State(state): State<ServeState>, Query(query): Query<HealthQuery>) -> Response {
    let checks = ready_checks(&state.current(), publishing(&state));
    respond(
        "readyz",
        &checks,
        query.verbose.is_some(),
        StatusCode::SERVICE_UNAVAILABLE,
    )
}

/// The loop is alive while its end of the snapshot channel is.
fn publishing(state: &ServeState) -> bool {
    state.snapshots.has_changed().is_ok()
}

fn loop_check(publishing: bool) -> Result<(), String> {
    if publishing {
        Ok(())
    } else {
        Err("the reconcile loop stopped publishing".into())
    }
}

fn engine_check(snapshot: &Snapshot, ready: bool) -> Result<(), String> {
    let engine = &snapshot.engine;
    match engine.reachable {
        Some(true) => Ok(()),
        None if !ready => Ok(()),
        None => Err(format!("{} not contacted yet", engine.endpoint)),
        Some(false) => Err(format!(
            "{} unreachable: {}",
            engine.endpoint,
            engine.error.as_deref().unwrap_or("no answer")
        )),
    }
}

fn manifests_check(snapshot: &Snapshot) -> Result<(), String> {
    let manifests = &snapshot.manifests;
    if manifests.valid {
        return Ok(());
    }
    let mut reason = match manifests.errors.len() {
        1 => "1 error".to_string(),
        n => format!("{n} errors"),
    };
    for error in &manifests.errors {
        reason.push_str("\n    ");
        reason.push_str(error);
    }
    Err(reason)
}

/// Liveness: the loop and the engine fail it; the manifests are reported.
pub fn health_checks(snapshot: &Snapshot, publishing: bool) -> Vec<Check> {
    vec![
        Check::new("loop", loop_check(publishing), true),
        Check::new("engine", engine_check(snapshot, false), true),
        Check::new("manifests", manifests_check(snapshot), false),
    ]
}

/// Readiness: a first reconcile, a reachable engine and valid manifests.
pub fn ready_checks(snapshot: &Snapshot, publishing: bool) -> Vec<Check> {
    let reconciled = match &snapshot.last_reconcile {
        Some(_) => Ok(()),
        None => Err("no reconcile has finished yet".to_string()),
    };
    vec![
        Check::new("loop", loop_check(publishing), true),
        Check::new("reconciled", reconciled, true),
        Check::new("engine", engine_check(snapshot, true), true),
        Check::new("manifests", manifests_check(snapshot), true),
    ]
}

/// The body of a health endpoint and whether it passed.
pub fn render(endpoint: &str, checks: &[Check], verbose: bool) -> (bool, String) {
    let passed = checks.iter().all(|c| c.result.is_ok() || !c.critical);
    if passed && !verbose {
        return (true, "ok".into());
    }
    let mut body = String::new();
    for check in checks {
        match &check.result {
            Ok(()) => body.push_str(&format!("[+]{} ok\n", check.name)),
            Err(reason) => body.push_str(&format!("[-]{} failed: {reason}\n", check.name)),
        }
    }
    let verdict = if passed { "passed" } else { "failed" };
    body.push_str(&format!("{endpoint} check {verdict}\n"));
    (passed, body)
}

fn respond(endpoint: &str, checks: &[Check], verbose: bool, failure: StatusCode) -> Response {
    let (passed, body) = render(endpoint, checks, verbose);
    let code = if passed { StatusCode::OK } else { failure };
    (
        code,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{ReconcileReport, ReconcileResult};
    use std::time::Duration;

    fn healthy() -> Snapshot {
        let mut snapshot = Snapshot::default();
        snapshot.engine.endpoint = "unix:///var/run/docker.sock".into();
        snapshot.engine.reachable = Some(true);
        snapshot.manifests.valid = true;
        snapshot.last_reconcile = Some(ReconcileReport {
            number: 1,
            started_at_ms: 0,
            duration: Duration::from_millis(5),
            triggers: vec![],
            result: ReconcileResult::Converged,
            changes: vec![],
            errors: vec![],
        });
        snapshot
    }

    #[test]
    fn a_healthy_daemon_answers_ok() {
        let (passed, body) = render("healthz", &health_checks(&healthy(), true), false);
        assert!(passed);
        assert_eq!(body, "ok");
        let (passed, body) = render("readyz", &ready_checks(&healthy(), true), true);
        assert!(passed);
        assert_eq!(
            body,
            "[+]loop ok\n[+]reconciled ok\n[+]engine ok\n[+]manifests ok\nreadyz check passed\n"
        );
    }

    #[test]
    fn invalid_manifests_are_listed_but_the_daemon_stays_alive() {
        let mut snapshot = healthy();
        snapshot.manifests.valid = false;
        snapshot.manifests.errors = vec!["web.yaml:3:5: spec.containers: missing field".into()];
        let (passed, body) = render("healthz", &health_checks(&snapshot, true), true);
        assert!(passed);
        assert!(
            body.contains(
                "[-]manifests failed: 1 error\n    web.yaml:3:5: spec.containers: missing field\n"
            ),
            "{body}"
        );
        let (ready, _) = render("readyz", &ready_checks(&snapshot, true), false);
        assert!(!ready);
    }

    #[test]
    fn not_ready_before_the_first_reconcile() {
        let (ready, body) = render("readyz", &ready_checks(&Snapshot::default(), true), false);
        assert!(!ready);
        assert!(
            body.contains("[-]reconciled failed: no reconcile has finished yet"),
            "{body}"
        );
        assert!(body.ends_with("readyz check failed\n"), "{body}");
        let (alive, _) = render("healthz", &health_checks(&Snapshot::default(), true), false);
        assert!(alive);
    }

    #[test]
    fn an_unreachable_engine_or_a_stopped_loop_fails_health() {
        let mut snapshot = healthy();
        snapshot.engine.reachable = Some(false);
        snapshot.engine.error = Some("connection refused".into());
        let (alive, body) = render("healthz", &health_checks(&snapshot, true), false);
        assert!(!alive);
        assert!(
            body.contains(
                "[-]engine failed: unix:///var/run/docker.sock unreachable: connection refused"
            ),
            "{body}"
        );
        let (alive, body) = render("healthz", &health_checks(&healthy(), false), false);
        assert!(!alive);
        assert!(body.contains("[-]loop failed"), "{body}");
    }
}
