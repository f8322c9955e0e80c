//! Watch streams: newline-delimited `{"type": …, "object": …}` events
//! (ADDED, MODIFIED, DELETED, ERROR), read from the store's history after
//! every published snapshot. Each watcher only filters the shared history:
//! an object that starts matching its selectors is ADDED for it, one that
//! stops matching is DELETED. With a `Table` Accept, each event's object is
//! a one-row table, as kubectl's `get -w` expects.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::snapshot::Snapshot;

use super::resource::ApiResource;
use super::select::Filter;
use super::status::ApiError;
use super::store::{Change, Stored};
use super::table::{self, IncludeObject};
use super::{now, ApiState, Format};

/// How long a watch lasts without `timeoutSeconds` (the API server's
/// default is between 30 and 60 minutes).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

/// What one watcher asked for.
pub struct WatchRequest {
    pub resource: ApiResource,
    pub filter: Filter,
    pub format: Format,
    pub include: IncludeObject,
    /// Send only changes after this version; `None`: first an ADDED event
    /// for every current object.
    pub since: Option<u64>,
    pub timeout: Option<u64>,
    /// `allowWatchBookmarks`: after a snapshot that brought this watcher
    /// nothing, a BOOKMARK carries the new version, so that it can resume
    /// from there rather than from a version the history may forget.
    pub bookmarks: bool,
}

struct Watcher {
    state: ApiState,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    request: WatchRequest,
    /// The last version this watcher has seen.
    rv: u64,
    deadline: Instant,
    pending: VecDeque<Bytes>,
    done: bool,
}

/// Starts a watch; a version older than the history is a 410 `Expired`.
pub fn stream(state: ApiState, request: WatchRequest) -> Result<Response, ApiError> {
    let mut snapshots = state.serve.snapshots.clone();
    snapshots.borrow_and_update();
    let mut pending = VecDeque::new();
    let rv = {
        let store = state.store();
        match request.since {
            None => {
                for object in store.list(request.resource, request.filter.namespace.as_deref()) {
                    let json = object.json();
                    if request.filter.matches(&object, &json) {
                        pending.push_back(line("ADDED", &request, json));
                    }
                }
            }
            Some(since) => {
                let changes = store
                    .changes_since(request.resource, since)
                    .map_err(ApiError::expired)?;
                pending.extend(changes.iter().filter_map(|c| event(&request, c)));
            }
        }
        store.generation()
    };
    let timeout = request.timeout.map_or(DEFAULT_TIMEOUT, Duration::from_secs);
    let watcher = Watcher {
        state,
        snapshots,
        request,
        rv,
        deadline: Instant::now() + timeout,
        pending,
        done: false,
    };
    let body = Body::from_stream(futures_util::stream::unfold(watcher, next));
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The next line of the stream; `None` ends it (timeout, or the loop
/// stopped publishing).
async fn next(mut watcher: Watcher) -> Option<(Result<Bytes, Infallible>, Watcher)> {
    loop {
        if let Some(line) = watcher.pending.pop_front() {
            return Some((Ok(line), watcher));
        }
        if watcher.done {
            return None;
        }
        let changed = tokio::time::timeout_at(watcher.deadline, watcher.snapshots.changed()).await;
        if !matches!(changed, Ok(Ok(()))) {
            return None;
        }
        watcher.snapshots.borrow_and_update();
        let store = watcher.state.store();
        match store.changes_since(watcher.request.resource, watcher.rv) {
            Ok(changes) => {
                let lines = changes.iter().filter_map(|c| event(&watcher.request, c));
                watcher.pending.extend(lines);
                let advanced = store.generation() != watcher.rv;
                watcher.rv = store.generation();
                if watcher.pending.is_empty() && advanced && watcher.request.bookmarks {
                    watcher
                        .pending
                        .push_back(bookmark(&watcher.request, watcher.rv));
                }
            }
            Err(expired) => {
                let status = ApiError::expired(expired).to_json();
                watcher.pending.push_back(raw_line("ERROR", status));
                watcher.done = true;
            }
        }
    }
}

/// The event one change is for this watcher, if any.
pub(super) fn event(request: &WatchRequest, change: &Change) -> Option<Bytes> {
    let matching = |object: &Option<Arc<Stored>>| {
        object.as_ref().and_then(|o| {
            let json = o.json();
            request.filter.matches(o, &json).then_some(json)
        })
    };
    let (before, after) = (matching(&change.old), matching(&change.new));
    match (before, after) {
        (None, Some(json)) => Some(line("ADDED", request, json)),
        (Some(_), Some(json)) => Some(line("MODIFIED", request, json)),
        (Some(old), None) => {
            // Gone, or no longer matching: the last state, at the version
            // of its deletion.
            let mut json = change.new.as_ref().map_or(old, |new| new.json());
            json["metadata"]["resourceVersion"] = json!(change.rv.to_string());
            Some(line("DELETED", request, json))
        }
        (None, None) => None,
    }
}

fn line(kind: &str, request: &WatchRequest, object: Value) -> Bytes {
    let object = match request.format {
        Format::Json => object,
        Format::Table(version) => {
            let rv = object["metadata"]["resourceVersion"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .unwrap_or_default();
            table::table(
                request.resource,
                version,
                rv,
                &[object],
                request.include,
                now(),
            )
        }
    };
    raw_line(kind, object)
}

/// A BOOKMARK: an object of the watched kind with only its version (tables
/// get none: kubectl does not ask for bookmarks).
fn bookmark(request: &WatchRequest, rv: u64) -> Bytes {
    let object = json!({
        "kind": request.resource.kind(),
        "apiVersion": request.resource.api_version(),
        "metadata": { "resourceVersion": rv.to_string() },
    });
    raw_line("BOOKMARK", object)
}

fn raw_line(kind: &str, object: Value) -> Bytes {
    let mut text = json!({ "type": kind, "object": object }).to_string();
    text.push('\n');
    Bytes::from(text)
}
