//! `berth get pods|rc|nodes` without `-f`: live from the engine (observe +
//! status). Without `--project` every project is listed, with a PROJECT
//! column.

use crate::cli::{GetArgs, GlobalArgs, Resource};
use crate::engine::Engine;
use crate::keys;
use crate::kube::{node_listing, pod_listing, rc_listing, with_labels_column, Listing};
use crate::labels::Selector;
use crate::observe::{self, Depth, InspectCache};
use crate::report;

pub(crate) use crate::kube::status_of;

use super::listing::print_listing;
use super::live::{block_on, connect, now};
use super::{ExitStatus, Io};

pub fn run(
    global: &GlobalArgs,
    args: &GetArgs,
    selector: &Selector,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    if args.resource == Resource::Services {
        report::error_message(
            io.err,
            "services live only in the manifests (as network aliases on the engine); use `berth get services -f PATH`",
        )?;
        return Ok(ExitStatus::Error);
    }
    let project = global.project.as_deref();
    let now = now();
    let wants_pods = !matches!(
        args.resource,
        Resource::ReplicationControllers | Resource::Nodes
    );
    let (observed, docker_events, info) = block_on(async {
        let engine = connect().await?;
        let observed =
            observe::observe_with(&engine, project, &mut InspectCache::default(), Depth::Full)
                .await?;
        // Node `local`'s capacity and system (a read; a failure here only
        // loses them).
        let info = match args.resource {
            Resource::Nodes => engine.info().await.ok(),
            _ => None,
        };
        // The exit codes of restarted containers' previous runs (a read; a
        // failure here only loses `lastState`).
        let events = if wants_pods {
            super::events::docker_events(&engine, keys::filter(project), now)
                .await
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        anyhow::Ok((observed, events, info))
    })??;
    let namespace = args.scope.namespace();
    let listing = match args.resource {
        Resource::ReplicationControllers => rc_listing(&observed, namespace, selector, now),
        Resource::Nodes => node_listing(&observed, &[], selector, info.as_ref()),
        _ => pod_listing(&observed, &docker_events, namespace, selector, now),
    };
    let listing = Listing {
        show_project: project.is_none() && args.resource != Resource::Nodes,
        ..listing
    };
    let listing = if args.show_labels {
        with_labels_column(listing)
    } else {
        listing
    };
    print_listing(listing, args.name.as_deref(), namespace, args.output, io)
}
