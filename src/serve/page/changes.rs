//! What is pending and what was done: the pending diff, coloured like a
//! code review, and the last reconcile with its changes and errors.

use crate::snapshot::{ReconcileReport, ReconcileResult, SyncState};

use super::html::{ago, esc, section, short_duration, utc};

/// How many changes of one reconcile the page lists.
const CHANGE_LIMIT: usize = 40;

pub(super) fn result_class(result: ReconcileResult) -> &'static str {
    match result {
        ReconcileResult::Converged => "ok",
        ReconcileResult::Progressing => "info",
        ReconcileResult::Refused => "warn",
        ReconcileResult::Failed | ReconcileResult::Invalid | ReconcileResult::EngineError => "bad",
    }
}

/// The pending diff, as `berth diff` shows it, coloured like a code review.
pub(super) fn pending(sync: &SyncState) -> String {
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
pub(super) fn reconcile(report: &ReconcileReport, now: i64) -> String {
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
    let mut changes: String = report
        .changes
        .iter()
        .take(CHANGE_LIMIT)
        .map(|c| {
            let symbol = c.verb.symbol();
            // A failure's detail names the object again: say it once.
            let detail = c
                .detail
                .strip_prefix(&format!("{}: ", c.object))
                .unwrap_or(&c.detail);
            let detail = if detail.is_empty() {
                String::new()
            } else {
                format!(r#" <span class="muted">{}</span>"#, esc(detail))
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
    if report.changes.len() > CHANGE_LIMIT {
        changes.push_str(&format!(
            r#"<li class="muted">… and {} more</li>"#,
            report.changes.len() - CHANGE_LIMIT
        ));
    }
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
