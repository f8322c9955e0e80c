//! The top of the page: the banners that must not be missed (engine
//! unreachable, invalid manifests, warnings) and the summary cards (sync,
//! engine, last reconcile, revision, pods).

use crate::snapshot::{Snapshot, SyncState};

use super::changes::result_class;
use super::html::{elapsed, esc, short_duration, when};
use super::render::sync_pill;

/// The banners that must not be missed: the engine does not answer, the
/// manifests do not load; warnings folded.
pub(super) fn alerts(snapshot: &Snapshot, now: i64) -> String {
    let mut out = String::new();
    let engine = &snapshot.engine;
    match engine.reachable {
        Some(false) => {
            let retry = engine
                .retry_in
                .map(|d| retry_text(snapshot.taken_at, d, now))
                .unwrap_or_default();
            out.push_str(&format!(
                r#"<div class="banner bad" id="engine-down"><strong>Docker engine unreachable</strong> at <code>{}</code> for {}.{retry} Nothing is being reconciled; what is shown below is as last observed.{}</div>"#,
                esc(&engine.endpoint),
                elapsed(engine.since, now),
                engine
                    .error
                    .as_deref()
                    .map(|e| format!(r#"<pre class="error">{}</pre>"#, esc(e)))
                    .unwrap_or_default(),
            ));
        }
        None => out.push_str(&format!(
            r#"<div class="banner info">Connecting to the Docker engine at <code>{}</code>…</div>"#,
            esc(&engine.endpoint)
        )),
        Some(true) => {}
    }
    let manifests = &snapshot.manifests;
    if !manifests.valid && !manifests.errors.is_empty() {
        let enforced = if manifests.last_good.is_some() {
            "Nothing changes on the engine until they are fixed: the last good set is still enforced."
        } else {
            "No valid set has loaded yet, so nothing is enforced."
        };
        out.push_str(&format!(
            r#"<div class="banner bad" id="manifest-errors"><strong>Manifests invalid: {}.</strong> {enforced}<ul class="diag">{}</ul></div>"#,
            crate::report::plural(manifests.errors.len(), "error"),
            diagnostic_items(&manifests.errors),
        ));
    }
    if !manifests.warnings.is_empty() {
        out.push_str(&format!(
            r#"<details class="banner warn" id="manifest-warnings"><summary>{}</summary><ul class="diag">{}</ul></details>"#,
            crate::report::plural(manifests.warnings.len(), "warning"),
            diagnostic_items(&manifests.warnings),
        ));
    }
    out
}

/// ` Retrying in 4s.` — counted down from when the snapshot was taken.
fn retry_text(taken_at: i64, retry_in: std::time::Duration, now: i64) -> String {
    let due = taken_at + retry_in.as_secs_f64().ceil() as i64;
    match due - now {
        left if left > 0 => format!(" Retrying in {}.", crate::timefmt::human_duration(left)),
        _ => " Retrying now.".to_string(),
    }
}

/// `file:line:col: path: message`, the location set apart.
fn diagnostic_items(lines: &[String]) -> String {
    lines
        .iter()
        .map(|line| match split_location(line) {
            Some((location, rest)) => format!(
                r#"<li><span class="loc">{}</span> {}</li>"#,
                esc(location),
                esc(rest)
            ),
            None => format!("<li>{}</li>", esc(line)),
        })
        .collect()
}

/// `("a.yaml:3:5:", "spec: bad")` from `a.yaml:3:5: spec: bad`.
fn split_location(line: &str) -> Option<(&str, &str)> {
    let end = line.find(": ")?;
    let location = &line[..end];
    let numbered = location
        .rsplit(':')
        .take(2)
        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    numbered.then(|| (&line[..end + 1], &line[end + 2..]))
}

fn card(label: &str, value: &str, sub: &str) -> String {
    format!(
        r#"<div class="card"><div class="label">{}</div><div class="value">{value}</div><div class="sub">{sub}</div></div>"#,
        esc(label)
    )
}

/// Sync, engine, last reconcile, revision and pods at a glance.
pub(super) fn cards(snapshot: &Snapshot, now: i64) -> String {
    let sync_sub = match &snapshot.sync {
        SyncState::InSync => "the engine matches the manifests".to_string(),
        SyncState::OutOfSync(diff) => {
            format!(
                "{} pending",
                crate::report::plural(diff.lines.len(), "change")
            )
        }
        SyncState::Unknown => "waiting for the first reconcile".to_string(),
    };
    let engine_value = match snapshot.engine.reachable {
        Some(true) => r#"<span class="pill big ok">Reachable</span>"#,
        Some(false) => r#"<span class="pill big bad">Unreachable</span>"#,
        None => r#"<span class="pill big muted-pill">Connecting</span>"#,
    };
    [
        r#"<div class="cards">"#.to_string(),
        card("Sync", sync_pill(&snapshot.sync), &esc(&sync_sub)),
        card("Engine", engine_value, &esc(&snapshot.engine.endpoint)),
        reconcile_card(snapshot, now),
        revision_card(snapshot),
        pods_card(snapshot, now),
        "</div>".to_string(),
    ]
    .concat()
}

fn reconcile_card(snapshot: &Snapshot, now: i64) -> String {
    let Some(report) = &snapshot.last_reconcile else {
        return card("Last reconcile", "—", "none yet");
    };
    let value = format!(
        r#"<span class="pill big {}">{}</span> <span class="muted">#{}</span>"#,
        result_class(report.result),
        report.result.as_str().replace('_', " "),
        report.number
    );
    let sub = format!(
        "{} · took {}",
        when(report.started_at_ms.div_euclid(1000), now),
        short_duration(report.duration)
    );
    card("Last reconcile", &value, &sub)
}

fn revision_card(snapshot: &Snapshot) -> String {
    let Some(revision) = &snapshot.revision else {
        return card("Revision", "—", "not a git checkout");
    };
    let branch = esc(revision.branch.as_deref().unwrap_or("detached HEAD"));
    let sub = match revision.dirty {
        Some(true) => format!(r#"{branch} · <span class="warn-text">uncommitted changes</span>"#),
        Some(false) => format!("{branch} · clean"),
        None => branch,
    };
    let value = format!(r#"<code>{}</code>"#, esc(revision.short()));
    card("Revision", &value, &sub)
}

fn pods_card(snapshot: &Snapshot, now: i64) -> String {
    let Some(observed) = snapshot.observed.as_deref() else {
        return card("Pods", "—", "not observed yet");
    };
    let statuses: Vec<_> = observed
        .pods
        .iter()
        .map(|p| crate::status::pod_status(p, crate::status::restart_policy_of(p), now))
        .collect();
    let ready = statuses.iter().filter(|s| s.is_ready()).count();
    let failed = statuses
        .iter()
        .filter(|s| super::html::status_class(&s.status_column()) == "failed")
        .count();
    let sub = if failed > 0 {
        format!(r#"<span class="bad-text">{failed} failing</span>"#)
    } else if ready == statuses.len() {
        "all ready".to_string()
    } else {
        format!("{} not ready", statuses.len() - ready)
    };
    let value = format!(
        r#"<span class="big-num">{ready}<span class="muted">/{}</span></span>"#,
        statuses.len()
    );
    card("Pods ready", &value, &sub)
}
