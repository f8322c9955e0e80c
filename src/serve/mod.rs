//! The HTTP side of `watch`: the page, the Kubernetes-shaped API, health
//! and metrics, all read-only and all answered from the latest `Snapshot`
//! (never from Docker). Binds to loopback unless told otherwise.

mod api;
mod health;
mod metrics;
mod page;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::snapshot::Snapshot;

/// What every handler reads: the latest snapshot, replaced by the loop.
#[derive(Clone)]
pub struct ServeState {
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
}

impl ServeState {
    pub fn new(snapshots: watch::Receiver<Arc<Snapshot>>) -> ServeState {
        ServeState { snapshots }
    }

    /// The latest snapshot.
    pub fn current(&self) -> Arc<Snapshot> {
        self.snapshots.borrow().clone()
    }
}

/// Every route. Unknown paths answer a Kubernetes `Status` (404, or 405
/// for writes under `/api`).
pub fn router(state: ServeState) -> Router {
    Router::new()
        .merge(page::routes().with_state(state.clone()))
        .merge(api::routes(state.clone()))
        .merge(health::routes(state.clone()))
        .merge(metrics::routes(state))
        .fallback(api::fallback)
}

/// Serves `router(state)` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: ServeState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
