//! The page as HTML: the document shell (title, inline style and script)
//! and its live main section, put together in reading order; the top bar
//! and the footer.

use crate::snapshot::{Snapshot, SyncState};

use super::html::{esc, section, when};
use super::{changes, summary, tables, workloads};

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
            workloads::deployments(observed, now),
            workloads::daemon_sets(observed, now),
            tables::controllers(snapshot, observed, now),
            tables::services(snapshot, manifests, Some(observed)),
            workloads::config(manifests),
            tables::nodes(snapshot, manifests, Some(observed)),
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
            workloads::config(manifests),
            tables::nodes(snapshot, manifests, None),
        ]
        .concat(),
    };
    let reconcile = snapshot.last_reconcile.as_ref();
    [
        format!(r#"<div id="main" data-title="{}">"#, esc(&title(snapshot))),
        top_bar(snapshot),
        r#"<div class="wrap">"#.to_string(),
        summary::alerts(snapshot, now),
        summary::cards(snapshot, now),
        changes::pending(&snapshot.sync),
        objects,
        reconcile
            .map(|r| changes::reconcile(r, now))
            .unwrap_or_default(),
        observed
            .map(|o| tables::events(snapshot, o, now))
            .unwrap_or_default(),
        footer(snapshot, now),
        "</div></div>".to_string(),
    ]
    .concat()
}

pub(super) fn sync_pill(sync: &SyncState) -> &'static str {
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
