//! The page as HTML: the document shell and its live main section — the top
//! bar, the alerts (engine unreachable, invalid manifests), the summary
//! cards, the pending diff, the last reconcile and the object tables.

use std::time::Duration;

use crate::snapshot::{ReconcileReport, ReconcileResult, Snapshot, SyncState};

use super::html::{ago, esc, section, utc, when};
use super::tables;

const STYLE: &str = include_str!("style.css");
const SCRIPT: &str = include_str!("live.js");

/// The whole page at `now` (Unix seconds).
pub(crate) fn document(snapshot: &Snapshot, now: i64) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><title>{}</title><style>{STYLE}</style></head><body><div id="live" class="live on" role="status"><i></i><span>live</span></div>{}<script>{SCRIPT}</script></body></html>"#,
        esc(&title(snapshot)),
        main(snapshot, now)
    )
}

/// `berth · shop · in sync`: the project and the sync state, with what is
/// most wrong first.
pub(crate) fn title(snapshot: &Snapshot) -> String {
    let state = if snapshot.engine.reachable == Some(false) {
        "engine unreachable"
    } else if !snapshot.manifests.valid && snapshot.manifests.loaded_at.is_some() {
        "invalid manifests"
    } else {
        match snapshot.sync {
            SyncState::InSync => "in sync",
            SyncState::OutOfSync(_) => "out of sync",
            SyncState::Unknown => "starting",
        }
    };
    format!("berth · {} · {state}", snapshot.project)
}

/// The part that the live stream replaces: everything but the shell.
pub(crate) fn main(snapshot: &Snapshot, now: i64) -> String {
    let manifests = snapshot.manifests.last_good.as_deref();
    let observed = snapshot.observed.as_deref();
    let objects = match observed {
        Some(observed) => [
            tables::pods(snapshot, observed, now),
            tables::controllers(snapshot, observed, now),
            tables::services(snapshot, manifests, Some(observed)),
            tables::nodes(snapshot, manifests, Some(observed)),
            tables::events(snapshot, observed, now),
        ]
        .concat(),
        None => [
            section(
                "pods",
                "Pods",
                None,
                r#"<p class="empty">The engine has not answered yet: nothing observed.</p>"#,
            ),
            tables::services(snapshot, manifests, None),
            tables::nodes(snapshot, manifests, None),
        ]
        .concat(),
    };
    format!(
        r#"<div id="main" data-title="{}">{}<div class="wrap">{}{}{}{}{objects}{}</div></div>"#,
        esc(&title(snapshot)),
        top_bar(snapshot),
        alerts(snapshot, now),
        cards(snapshot, now),
        pending(&snapshot.sync),
        snapshot
            .last_reconcile
            .as_ref()
            .map(|r| reconcile(r, now))
            .unwrap_or_default(),
        footer(snapshot, now),
    )
}

fn sync_pill(sync: &SyncState) -> &'static str {
    match sync {
        SyncState::InSync => r#"<span class="pill big ok">✓ In sync</span>"#,
        SyncState::OutOfSync(_) => r#"<span class="pill big warn">● Out of sync</span>"#,
        SyncState::Unknown => r#"<span class="pill big muted-pill">Not reconciled yet</span>"#,
    }
}

fn top_bar(snapshot: &Snapshot) -> String {
    let revision = match &snapshot.revision {
        Some(rev) => {
            let dirty = match rev.dirty {
                Some(true) => r#" <span class="pill warn">modified</span>"#,
                _ => "",
            };
            format!(
                r#"<span class="rev" title="{}"><span class="muted">{}</span> <code>{}</code>{dirty}</span>"#,
                esc(&rev.commit),
                esc(rev.branch.as_deref().unwrap_or("detached")),
                esc(rev.short()),
            )
        }
        None => String::new(),
    };
    format!(
        r#"<header class="top"><div class="wrap bar"><div class="brand"><span class="logo">berth</span><span class="project">{}</span></div><div class="badges">{revision}{}</div></div></header>"#,
        esc(&snapshot.project),
        sync_pill(&snapshot.sync),
    )
}

/// The banners that must not be missed: the engine does not answer, the
/// manifests do not load; warnings folded.
fn alerts(snapshot: &Snapshot, now: i64) -> String {
    let mut out = String::new();
    let engine = &snapshot.engine;
    match engine.reachable {
        Some(false) => {
            let retry = engine
                .retry_in
                .map(|d| format!(" Retrying in {}.", short_duration(d)))
                .unwrap_or_default();
            out.push_str(&format!(
                r#"<div class="banner bad" id="engine-down"><strong>Docker engine unreachable</strong> at <code>{}</code> since {}.{retry} Nothing is being reconciled; what is shown below is as last observed.{}</div>"#,
                esc(&engine.endpoint),
                when(engine.since, now),
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

/// `120 ms`, `1.5 s`, `4s`.
fn short_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if d < Duration::from_secs(10) {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        crate::timefmt::human_duration(d.as_secs() as i64)
    }
}

fn result_class(result: ReconcileResult) -> &'static str {
    match result {
        ReconcileResult::Converged => "ok",
        ReconcileResult::Progressing => "info",
        ReconcileResult::Refused => "warn",
        ReconcileResult::Failed | ReconcileResult::Invalid | ReconcileResult::EngineError => "bad",
    }
}

fn card(label: &str, value: &str, sub: &str) -> String {
    format!(
        r#"<div class="card"><div class="label">{}</div><div class="value">{value}</div><div class="sub">{sub}</div></div>"#,
        esc(label)
    )
}

/// Sync, engine, last reconcile, revision and pods at a glance.
fn cards(snapshot: &Snapshot, now: i64) -> String {
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
    let (reconcile_value, reconcile_sub) = match &snapshot.last_reconcile {
        Some(r) => (
            format!(
                r#"<span class="pill big {}">{}</span> <span class="muted">#{}</span>"#,
                result_class(r.result),
                r.result.as_str().replace('_', " "),
                r.number
            ),
            format!(
                "{} · took {}",
                when(r.started_at_ms.div_euclid(1000), now),
                short_duration(r.duration)
            ),
        ),
        None => ("—".to_string(), "none yet".to_string()),
    };
    let (revision_value, revision_sub) = match &snapshot.revision {
        Some(rev) => (
            format!(r#"<code>{}</code>"#, esc(rev.short())),
            match rev.dirty {
                Some(true) => format!(
                    r#"{} · <span class="warn-text">uncommitted changes</span>"#,
                    esc(rev.branch.as_deref().unwrap_or("detached HEAD"))
                ),
                Some(false) => format!(
                    "{} · clean",
                    esc(rev.branch.as_deref().unwrap_or("detached HEAD"))
                ),
                None => esc(rev.branch.as_deref().unwrap_or("detached HEAD")),
            },
        ),
        None => ("—".to_string(), "not a git checkout".to_string()),
    };
    [
        r#"<div class="cards">"#.to_string(),
        card("Sync", sync_pill(&snapshot.sync), &esc(&sync_sub)),
        card("Engine", engine_value, &esc(&snapshot.engine.endpoint)),
        card("Last reconcile", &reconcile_value, &reconcile_sub),
        card("Revision", &revision_value, &revision_sub),
        pods_card(snapshot, now),
        "</div>".to_string(),
    ]
    .concat()
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

/// The pending diff, as `berth diff` shows it, coloured like a code review.
fn pending(sync: &SyncState) -> String {
    let SyncState::OutOfSync(diff) = sync else {
        return String::new();
    };
    let reasons: String = diff
        .reasons
        .iter()
        .map(|r| format!("<li>{}</li>", esc(r)))
        .collect();
    let reasons = if reasons.is_empty() {
        String::new()
    } else {
        format!(r#"<ul class="reasons">{reasons}</ul>"#)
    };
    let text = if diff.text.trim().is_empty() {
        diff.lines.join("\n")
    } else {
        diff.text.clone()
    };
    let lines: String = text
        .lines()
        .map(|line| format!(r#"<span class="{}">{}</span>"#, diff_class(line), esc(line)))
        .collect();
    let body = format!(r#"{reasons}<pre class="diff">{lines}</pre>"#);
    section("pending", "Pending changes", Some(diff.lines.len()), &body)
}

/// The colour of one line of `berth diff` output.
pub(super) fn diff_class(line: &str) -> &'static str {
    if line.starts_with("+++ ") || line.starts_with("--- ") {
        "d-file"
    } else if line.starts_with("@@") {
        "d-hunk"
    } else if line.starts_with('+') {
        "d-add"
    } else if line.starts_with('-') {
        "d-del"
    } else if line.starts_with('~') {
        "d-mod"
    } else if line.starts_with('!') || line.starts_with("x ") {
        "d-bad"
    } else {
        "d-ctx"
    }
}

/// The last reconcile: when, how long, why, how it ended, what it changed.
fn reconcile(report: &ReconcileReport, now: i64) -> String {
    let started = report.started_at_ms.div_euclid(1000);
    let triggers: Vec<&str> = report.triggers.iter().map(|t| t.as_str()).collect();
    let meta = format!(
        r#"<p class="meta"><span class="pill {}">{}</span> {} <span class="muted">({})</span> · took {} · triggered by {}</p>"#,
        result_class(report.result),
        report.result.as_str().replace('_', " "),
        ago(started, now),
        utc(started),
        short_duration(report.duration),
        esc(&triggers.join(", ")),
    );
    let changes: String = report
        .changes
        .iter()
        .map(|c| {
            let symbol = c.verb.symbol();
            let detail = if c.detail.is_empty() {
                String::new()
            } else {
                format!(r#" <span class="muted">{}</span>"#, esc(&c.detail))
            };
            format!(
                r#"<li><span class="sym {}">{}</span> <span class="verb">{}</span> <code>{}</code>{detail}</li>"#,
                diff_class(symbol),
                esc(symbol),
                esc(c.verb.as_str()),
                esc(&c.object),
            )
        })
        .collect();
    let changes = if changes.is_empty() {
        r#"<p class="empty">Nothing changed.</p>"#.to_string()
    } else {
        format!(r#"<ul class="changes">{changes}</ul>"#)
    };
    let errors: String = report
        .errors
        .iter()
        .map(|e| format!("<li>{}</li>", esc(e)))
        .collect();
    let errors = if errors.is_empty() {
        String::new()
    } else {
        format!(r#"<ul class="errors">{errors}</ul>"#)
    };
    let title = format!("Last reconcile #{}", report.number);
    section(
        "reconcile",
        &title,
        None,
        &format!("{meta}{errors}{changes}"),
    )
}

fn footer(snapshot: &Snapshot, now: i64) -> String {
    let paths: Vec<String> = snapshot
        .paths
        .iter()
        .map(|p| format!("<code>{}</code>", esc(&p.display().to_string())))
        .collect();
    let loaded = match snapshot.manifests.loaded_at {
        Some(at) => format!(
            " · {} loaded {}",
            crate::report::plural(snapshot.manifests.files, "file"),
            when(at, now)
        ),
        None => String::new(),
    };
    format!(
        r#"<footer>Watching {}{loaded} · watch started {} · snapshot #{} taken {}</footer>"#,
        if paths.is_empty() {
            "—".to_string()
        } else {
            paths.join(", ")
        },
        when(snapshot.started_at, now),
        snapshot.generation,
        when(snapshot.taken_at, now),
    )
}
