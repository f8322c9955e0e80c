//! `berth get pods|rc|nodes` without `-f`: live from the nodes' engines
//! (`nodes::discover`: `--machines`, the default engine and the nodes their
//! records name), each listed at once and merged. Without `--project`
//! every project is listed, with a PROJECT column. A node that does not
//! answer is a warning: the others are still worth seeing.

use anyhow::anyhow;
use futures_util::future::join_all;

use crate::cli::{GetArgs, GlobalArgs, Resource};
use crate::engine::{DockerEngine, EngineEvent};
use crate::keys;
use crate::kube::{node_listing, pod_listing, rc_listing, with_labels_column, Listing};
use crate::labels::Selector;
use crate::nodes::Connected;
use crate::observe::{self, Depth, InspectCache};
use crate::observed::Observed;
use crate::report;

pub(crate) use crate::kube::status_of;

use super::listing::print_listing;
use super::live::{block_on, now};
use super::{ExitStatus, Io};

pub fn run(
    global: &GlobalArgs,
    args: &GetArgs,
    selector: &Selector,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    if args.resource == Resource::Endpoints {
        report::error_message(
            io.err,
            "endpoints join the manifests' services to the engine's pods; use `berth get endpoints -f PATH`",
        )?;
        return Ok(ExitStatus::Error);
    }
    if args.resource == Resource::Services {
        report::error_message(
            io.err,
            "services live only in the manifests (as network aliases on the engine); use `berth get services -f PATH`",
        )?;
        return Ok(ExitStatus::Error);
    }
    if matches!(args.resource, Resource::ConfigMaps | Resource::Secrets) {
        let message = format!(
            "{} live only in the manifests (never as containers on the engine); use `berth get {} -f PATH`",
            args.resource.plural(),
            args.resource.plural()
        );
        report::error_message(io.err, &message)?;
        return Ok(ExitStatus::Error);
    }
    let project = global.project.as_deref();
    let now = now();
    let depth = match args.resource {
        // What a node has allocated needs only its pods' phases and specs.
        Resource::Nodes => Depth::Quick,
        _ => Depth::Full,
    };
    // The exit codes of restarted containers' previous runs.
    let with_events = !matches!(
        args.resource,
        Resource::ReplicationControllers | Resource::Nodes
    );
    let options = global.node_options();
    let (connected, looked) = block_on(async {
        let connected = crate::nodes::discover(&options, project, now).await;
        let looked = look_all(&connected, project, depth, with_events, now).await;
        (connected, looked)
    })?;
    let looked = looked?;
    // `get nodes` shows the nodes that do not answer in its table.
    let silent = args.resource == Resource::Nodes;
    for warning in looked.unreachable.iter().filter(|_| !silent) {
        report::warning(io.err, warning)?;
    }
    for warning in &looked.failed {
        report::warning(io.err, warning)?;
    }
    let namespace = args.scope.namespace();
    let statuses: Vec<_> = connected.members.into_iter().map(|(_, s)| s).collect();
    let listing = match args.resource {
        Resource::ReplicationControllers => rc_listing(&looked.observed, namespace, selector, now),
        Resource::Deployments | Resource::ReplicaSets => crate::kube::apps::live_listing(
            args.resource,
            &looked.observed,
            namespace,
            selector,
            now,
        ),
        Resource::DaemonSets => {
            crate::kube::daemonsets::live_listing(&looked.observed, namespace, selector, now)
        }
        Resource::Nodes => node_listing(&statuses, &looked.observed, selector),
        _ => pod_listing(
            &looked.observed,
            &looked.docker_events,
            namespace,
            selector,
            now,
        ),
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

/// The pods the nodes run now, as `get pods -o json` shows them; none
/// (with a warning) when no engine answers.
pub(crate) fn live_pod_objects(
    global: &GlobalArgs,
    io: &mut Io<'_>,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let project = global.project.as_deref();
    let now = now();
    let options = global.node_options();
    let looked = block_on(async {
        let connected = crate::nodes::discover(&options, project, now).await;
        look_all(&connected, project, Depth::Full, true, now).await
    })?;
    let looked = match looked {
        Ok(looked) => looked,
        Err(e) => {
            report::warning(io.err, &format!("no pods: {e}"))?;
            return Ok(Vec::new());
        }
    };
    let all = Selector::default();
    let listing = pod_listing(&looked.observed, &looked.docker_events, None, &all, now);
    Ok(listing.items.into_iter().map(|item| item.json).collect())
}

/// What the nodes' engines hold, merged.
#[derive(Debug, Default)]
pub(crate) struct Looked {
    /// Every answering node's pods (each with the node it was found on) and
    /// controllers (a controller recorded on several nodes once).
    pub observed: Observed,
    /// The Docker events of every answering node (when asked for).
    pub docker_events: Vec<EngineEvent>,
    /// One line per node whose engine does not answer.
    pub unreachable: Vec<String>,
    /// One line per node that answered the probe but failed to list.
    pub failed: Vec<String>,
}

/// Lists every reachable node of `connected`, all at once, and merges what
/// they hold. A node that does not answer is a warning; none answering is
/// the error a single engine would give.
pub(crate) async fn look_all(
    connected: &Connected,
    project: Option<&str>,
    depth: Depth,
    with_events: bool,
    now: i64,
) -> anyhow::Result<Looked> {
    let reachable: Vec<(&DockerEngine, &str)> = connected
        .members
        .iter()
        .filter(|(_, status)| status.is_reachable())
        .filter_map(|(engine, status)| engine.as_ref().map(|e| (e, status.spec.name.as_str())))
        .collect();
    let mut looked = Looked::default();
    for (_, status) in &connected.members {
        if status.spec.endpoint.is_some() && !status.is_reachable() {
            looked.unreachable.push(format!(
                "node {} ({}) does not answer, its objects are not listed: {}",
                status.spec.name,
                status.spec.endpoint_text(),
                status.reachable.message
            ));
        }
    }
    let results = join_all(reachable.iter().map(|(engine, _)| async move {
        let observed =
            observe::observe_with(*engine, project, &mut InspectCache::default(), depth).await?;
        // A read: a failure here only loses `lastState`.
        let events = if with_events {
            super::events::docker_events(*engine, keys::filter(project), now)
                .await
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        anyhow::Ok((observed, events))
    }))
    .await;
    let mut first_error = None;
    let mut answered = 0;
    for ((engine, node), result) in reachable.iter().zip(results) {
        match result {
            Ok((observed, events)) => {
                answered += 1;
                merge(&mut looked.observed, observed, node);
                looked.docker_events.extend(events);
            }
            Err(e) => {
                looked.failed.push(format!(
                    "node {node} ({}) failed to list its containers: {e:#}",
                    crate::engine::Engine::endpoint(*engine)
                ));
                first_error.get_or_insert(e);
            }
        }
    }
    if answered == 0 {
        return Err(first_error.unwrap_or_else(|| none_answered(connected)));
    }
    looked.docker_events.sort_by_key(|event| event.time_nanos);
    Ok(looked)
}

/// Adds what `node`'s engine holds: its pods, on that node; its controller
/// records, unless another node's record of the controller came first.
fn merge(into: &mut Observed, mut observed: Observed, node: &str) {
    for pod in &mut observed.pods {
        pod.node = node.to_string();
    }
    into.pods.extend(observed.pods);
    for mut rc in observed.controllers {
        let known = into.controllers.iter().any(|c| {
            (&c.kind, &c.project, &c.namespace, &c.name)
                == (&rc.kind, &rc.project, &rc.namespace, &rc.name)
        });
        if !known {
            rc.node = node.to_string();
            into.controllers.push(rc);
        }
    }
    into.node_records.extend(observed.node_records);
}

/// The error when no node answers: as with one engine, each node's reason.
fn none_answered(connected: &Connected) -> anyhow::Error {
    let reasons: Vec<String> = connected
        .members
        .iter()
        .filter(|(_, s)| s.spec.endpoint.is_some())
        .map(|(_, s)| match connected.members.len() {
            1 => s.reachable.message.clone(),
            _ => format!("node {}: {}", s.spec.name, s.reachable.message),
        })
        .collect();
    let why = if reasons.is_empty() {
        "no node has a Docker endpoint".to_string()
    } else {
        reasons.join("; ")
    };
    anyhow!(why).context(
        "cannot reach the Docker engine (is dockerd running? DOCKER_HOST selects another engine)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observed::ObservedController;

    fn rc(name: &str) -> ObservedController {
        ObservedController {
            kind: crate::keys::KIND_RC.to_string(),
            owner: None,
            project: "shop".into(),
            namespace: "default".into(),
            name: name.into(),
            replicas: 2,
            selector: Default::default(),
            template_hash: String::new(),
            template_json: None,
            container_id: String::new(),
            created: 0,
            node: "local".into(),
        }
    }

    #[test]
    fn merged_controllers_are_listed_once_and_pods_keep_their_node() {
        let mut into = Observed::default();
        let mut pod = crate::observed::ObservedPod {
            project: "shop".into(),
            namespace: "default".into(),
            name: "web-0".into(),
            node: "local".into(),
            owner: None,
            spec_hash: None,
            labels: Default::default(),
            last_applied: None,
            infra: None,
            containers: Default::default(),
            node_problem: None,
            records: Vec::new(),
            init_containers: Default::default(),
        };
        let first = Observed {
            pods: vec![pod.clone()],
            controllers: vec![rc("web")],
            ..Default::default()
        };
        pod.name = "web-1".into();
        let second = Observed {
            pods: vec![pod],
            controllers: vec![rc("web")],
            ..Default::default()
        };
        merge(&mut into, first, "n1");
        merge(&mut into, second, "n2");
        let nodes: Vec<&str> = into.pods.iter().map(|p| p.node.as_str()).collect();
        assert_eq!(nodes, vec!["n1", "n2"]);
        assert_eq!(into.controllers.len(), 1);
        assert_eq!(into.controllers[0].node, "n1");
    }
}
