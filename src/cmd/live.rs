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

/// The project's nodes, connected and probed once: the declared ones (Node
/// manifests, `--machines`), each reported rather than failing the command
/// when it does not answer; else the implicit `local`, which must answer.
pub(crate) async fn connect_nodes(
    global: &crate::cli::GlobalArgs,
    manifests: &crate::manifest::Manifests,
    settings: &crate::converge::Settings,
) -> anyhow::Result<crate::nodes::Connected> {
    let options = global.node_options();
    let specs = crate::nodes::declared(
        manifests,
        &options.machines,
        &crate::engine::docker::default_endpoint(),
    );
    if specs.iter().any(|s| s.declared) {
        let members = crate::nodes::connect_all(&specs, &options, &[], now()).await;
        // Nothing can be known (nor done) when no node answers: the same
        // error as one engine that does not answer.
        if !members.iter().any(|(engine, _)| engine.is_some()) {
            let reasons: Vec<String> = members
                .iter()
                .map(|(_, s)| format!("node {}: {}", s.spec.name, s.reachable.message))
                .collect();
            return Err(anyhow::anyhow!(reasons.join("; ")).context(
                "cannot reach the Docker engine of any node (is dockerd running? \
                 check the nodes' berth.io/docker-host and --machines)",
            ));
        }
        return Ok(crate::nodes::Connected { members });
    }
    let engine = connect().await?;
    let status = {
        let pool = crate::converge::single(&engine, manifests, settings);
        pool.members[0].status.clone()
    };
    Ok(crate::nodes::Connected {
        members: vec![(Some(engine), status)],
    })
}

/// Unix seconds now.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
