//! Reaching the engine from a command: a small tokio runtime, the
//! connection with a clear error when the engine does not answer, and the
//! clock.

use std::future::Future;

use anyhow::Context;

use crate::engine::DockerEngine;

/// Runs `future` to completion on a current-thread runtime.
pub(crate) fn block_on<F: Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(runtime.block_on(future))
}

/// Connects to `DOCKER_HOST` or the local socket.
pub(crate) async fn connect() -> anyhow::Result<DockerEngine> {
    DockerEngine::connect().await.context(
        "cannot reach the Docker engine (is dockerd running? DOCKER_HOST selects another engine)",
    )
}

/// Unix seconds now.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
