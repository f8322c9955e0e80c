//! The watch page: `GET /` renders the latest snapshot as one HTML page
//! (inline CSS, a few lines of inline JS, no front-end build), and
//! `GET /ui/stream` sends its main section again, as a server-sent event,
//! on every new snapshot and every few seconds (so relative times stay
//! true); the page swaps it in.

mod changes;
mod html;
mod render;
mod summary;
mod tables;
#[cfg(test)]
mod tests;
mod workloads;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;
use futures_util::Stream;
use tokio::sync::watch;

use super::ServeState;
use crate::snapshot::Snapshot;

use render::{document, main};

/// How often the stream re-sends the main section without a new snapshot.
const REFRESH: Duration = Duration::from_secs(5);
/// How long a browser waits before reconnecting a broken stream.
const RECONNECT: Duration = Duration::from_secs(2);

/// `/` and `/ui/stream`.
pub(crate) fn routes() -> Router<ServeState> {
    Router::new()
        .route("/", get(page))
        .route("/ui/stream", get(stream))
}

/// Unix seconds now, never before the snapshot was taken.
fn now(snapshot: &Snapshot) -> i64 {
    let clock = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    clock.max(snapshot.taken_at)
}

async fn page(State(state): State<ServeState>) -> impl IntoResponse {
    let snapshot = state.current();
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(document(&snapshot, now(&snapshot))),
    )
}

async fn stream(State(state): State<ServeState>) -> impl IntoResponse {
    let events = main_sections(state.snapshots.clone());
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Sse::new(events).keep_alive(KeepAlive::default()),
    )
}

/// The main section now, then again after every new snapshot or `REFRESH`;
/// ends when the snapshot sender is gone.
fn main_sections(
    receiver: watch::Receiver<Arc<Snapshot>>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold((receiver, true), |(mut receiver, first)| async move {
        if !first {
            tokio::select! {
                changed = receiver.changed() => changed.ok()?,
                _ = tokio::time::sleep(REFRESH) => {}
            }
        }
        let snapshot = receiver.borrow_and_update().clone();
        let mut event = Event::default()
            .event("main")
            .id(snapshot.generation.to_string())
            .data(main(&snapshot, now(&snapshot)));
        if first {
            event = event.retry(RECONNECT);
        }
        Some((Ok(event), (receiver, false)))
    })
}
