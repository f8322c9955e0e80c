//! Small pieces of the page's HTML: escaping, times, status colours, label
//! chips, sections and tables. Every text that reaches the page passes
//! through `esc`.

use crate::manifest::Labels;
use crate::timefmt::{format_rfc3339, human_duration};

/// `text` with `& < > " '` escaped, safe in element content and in quoted
/// attribute values; carriage returns dropped.
pub(super) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // A carriage return means nothing in HTML and would split a
            // streamed event's data line.
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// `5s ago`, `3m20s ago`, `in 4s` (kubectl's duration format).
pub(super) fn ago(at: i64, now: i64) -> String {
    if at > now {
        format!("in {}", human_duration(at - now))
    } else {
        format!("{} ago", human_duration(now - at))
    }
}

/// `2026-11-29 21:00:00 UTC`.
pub(super) fn utc(at: i64) -> String {
    format_rfc3339(at).replace('T', " ").replace('Z', " UTC")
}

/// A relative time with its absolute UTC time as the tooltip.
pub(super) fn when(at: i64, now: i64) -> String {
    format!(
        r#"<time datetime="{}" title="{}">{}</time>"#,
        format_rfc3339(at),
        utc(at),
        ago(at, now)
    )
}

/// The time since `at`, with `since <UTC time>` as the tooltip.
pub(super) fn elapsed(at: i64, now: i64) -> String {
    format!(
        r#"<time datetime="{}" title="since {}">{}</time>"#,
        format_rfc3339(at),
        utc(at),
        human_duration(now - at)
    )
}

/// The colour class of a pod's STATUS column (or phase): `running`,
/// `pending`, `failed` or `succeeded`.
pub(super) fn status_class(status: &str) -> &'static str {
    match status {
        "Running" => "running",
        "Succeeded" | "Completed" => "succeeded",
        "Pending" | "ContainerCreating" | "NotReady" | "Terminating" | "Unknown" => "pending",
        "Failed" | "CrashLoopBackOff" | "Error" | "OOMKilled" | "ErrImagePull"
        | "ImagePullBackOff" | "ErrImageNeverPull" | "NodeLost" | "ContainerCannotRun" => "failed",
        s if s.starts_with("ExitCode:") || s.starts_with("Err") => "failed",
        _ => "pending",
    }
}

/// A coloured status pill.
pub(super) fn status_pill(status: &str) -> String {
    format!(
        r#"<span class="pill phase-{}">{}</span>"#,
        status_class(status),
        esc(status)
    )
}

/// `app=web` chips, or a muted `<none>`.
pub(super) fn label_chips(labels: &Labels) -> String {
    if labels.is_empty() {
        return r#"<span class="muted">&lt;none&gt;</span>"#.to_string();
    }
    labels
        .iter()
        .map(|(k, v)| format!(r#"<span class="chip">{}={}</span>"#, esc(k), esc(v)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A titled panel; `count` is shown beside the title.
pub(super) fn section(id: &str, title: &str, count: Option<usize>, body: &str) -> String {
    let count = count
        .map(|n| format!(r#" <span class="count">{n}</span>"#))
        .unwrap_or_default();
    format!(
        r#"<section class="panel" id="{id}"><h2>{}{count}</h2>{body}</section>"#,
        esc(title)
    )
}

/// A table that scrolls sideways on narrow screens; `rows` are whole
/// `<tr>` elements; `empty` is said instead of an empty table.
pub(super) fn table(headers: &[&str], rows: &[String], empty: &str) -> String {
    if rows.is_empty() {
        return format!(r#"<p class="empty">{}</p>"#, esc(empty));
    }
    let head: String = headers
        .iter()
        .map(|h| format!("<th>{}</th>", esc(h)))
        .collect();
    format!(
        r#"<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{}</tbody></table></div>"#,
        rows.concat()
    )
}

/// A `<td>` holding already-escaped HTML.
pub(super) fn td(html: impl AsRef<str>) -> String {
    format!("<td>{}</td>", html.as_ref())
}

/// A `<td class=…>` holding text, escaped.
pub(super) fn td_text(class: &str, text: &str) -> String {
    format!(r#"<td class="{class}">{}</td>"#, esc(text))
}

/// `120 ms`, `1.5 s`, `4s`.
pub(super) fn short_duration(d: std::time::Duration) -> String {
    if d < std::time::Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if d < std::time::Duration::from_secs(10) {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        crate::timefmt::human_duration(d.as_secs() as i64)
    }
}
