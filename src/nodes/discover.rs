//! Which nodes a command that reads live state looks at when it has no
//! manifests to say so (`berth get`, `berth describe`): the `--machines`,
//! the default engine (`DOCKER_HOST` or the local socket), and every node
//! the node records on those engines name — so a node that only the
//! project's manifests declare is still found, as long as one engine it
//! shared a project with answers. Each is connected and probed once, all
//! at once.

use std::path::PathBuf;

use futures_util::future::join_all;

use super::{connect_all, node_records, recall, Connected, NodeOptions, NodeRecord, NodeSpec};
use crate::engine::docker::{default_cert_dir, default_endpoint, DockerEngine};
use crate::engine::Engine;
use crate::keys;

/// The nodes to look at, before the records are read: each `--machines`
/// endpoint (named after its host) and the default engine, `local` (unless
/// a machine is that endpoint already, or that name is taken).
pub fn starting_nodes(machines: &[String], default_endpoint: &str) -> Vec<NodeSpec> {
    let mut specs: Vec<NodeSpec> = if machines.iter().any(|m| !m.trim().is_empty()) {
        super::declared(&Default::default(), machines, default_endpoint)
    } else {
        Vec::new()
    };
    if !specs
        .iter()
        .any(|s| s.endpoint.as_deref() == Some(default_endpoint))
    {
        let name = if specs.iter().any(|s| s.name == "local") {
            super::machine_name(default_endpoint)
        } else {
            "local".to_string()
        };
        specs.push(NodeSpec {
            name,
            endpoint: Some(default_endpoint.to_string()),
            cert_path: default_cert_dir(default_endpoint),
            labels: Default::default(),
            cpu_milli: None,
            memory_bytes: None,
            declared: false,
        });
    }
    specs.sort_by(|a, b| a.name.cmp(&b.name));
    specs
}

/// What the records add to `specs`: each node they name that is not there
/// yet. The default engine takes the name the records give its endpoint
/// (the implicit `local` of one command is node `n1` of a project), so
/// one engine is never listed twice; a record without an endpoint is a
/// node berth can never contact (it stays Pending). `specs` keep their
/// order.
pub fn add_recorded(specs: &mut [NodeSpec], records: &[NodeRecord]) -> Vec<NodeSpec> {
    let mut records: Vec<&NodeRecord> = records.iter().collect();
    records.sort_by(|a, b| a.node.cmp(&b.node));
    let mut added = Vec::new();
    for record in records {
        if specs.iter().chain(&added).any(|s| s.name == record.node) {
            continue;
        }
        let same_engine = |s: &&mut NodeSpec| {
            record.endpoint.is_some() && s.endpoint.as_deref() == record.endpoint.as_deref()
        };
        if let Some(spec) = specs.iter_mut().find(same_engine) {
            if !spec.declared {
                spec.name = record.node.clone();
                spec.declared = true;
            }
            continue;
        }
        added.push(NodeSpec {
            name: record.node.clone(),
            endpoint: record.endpoint.clone(),
            cert_path: record.cert_path.as_ref().map(PathBuf::from),
            labels: Default::default(),
            cpu_milli: None,
            memory_bytes: None,
            declared: true,
        });
    }
    added
}

/// The node records of `project` (every project when `None`) on `engine`;
/// none when the engine does not answer (its nodes are then not known
/// from it, which is no error of the command).
async fn records_on(engine: &DockerEngine, project: Option<&str>) -> Vec<NodeRecord> {
    let mut filter = keys::filter(project);
    filter.push((
        keys::KIND.to_string(),
        super::records::KIND_NODE.to_string(),
    ));
    match tokio::time::timeout(super::PROBE_TIMEOUT, engine.list_containers(&filter)).await {
        Ok(Ok(summaries)) => node_records(&summaries),
        _ => Vec::new(),
    }
}

/// The nodes of `project` (every project when `None`), connected and
/// probed, sorted by name: `starting_nodes`, then the nodes their records
/// name. What the records say of a node (since when it has not answered,
/// whether it was lost) is added to its status, as a restarted loop would.
pub async fn discover(options: &NodeOptions, project: Option<&str>, now: i64) -> Connected {
    let mut specs = starting_nodes(&options.machines, &default_endpoint());
    let mut members = connect_all(&specs, options, &[], now).await;
    let answering = members
        .iter()
        .filter_map(|(engine, status)| engine.as_ref().filter(|_| status.is_reachable()));
    let records: Vec<NodeRecord> = join_all(answering.map(|e| records_on(e, project)))
        .await
        .into_iter()
        .flatten()
        .collect();
    let added = add_recorded(&mut specs, &records);
    // `connect_all` keeps the order of `specs`; the default engine may
    // have taken the name its records give it.
    for ((_, status), spec) in members.iter_mut().zip(&specs) {
        status.spec.name = spec.name.clone();
        status.spec.declared = spec.declared;
    }
    members.extend(connect_all(&added, options, &[], now).await);
    for (_, status) in &mut members {
        recall(status, &records, now, options.grace);
    }
    members.sort_by(|a, b| a.1.spec.name.cmp(&b.1.spec.name));
    Connected { members }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOCKET: &str = "unix:///var/run/docker.sock";

    fn record(node: &str, endpoint: Option<&str>) -> NodeRecord {
        NodeRecord {
            node: node.to_string(),
            endpoint: endpoint.map(str::to_string),
            ..Default::default()
        }
    }

    fn names(specs: &[NodeSpec]) -> Vec<&str> {
        specs.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn the_default_engine_is_local_beside_the_machines() {
        let specs = starting_nodes(&[], SOCKET);
        assert_eq!(names(&specs), vec!["local"]);
        assert!(!specs[0].declared);
        let machines = ["tcp://10.0.0.2:2376".to_string()];
        assert_eq!(
            names(&starting_nodes(&machines, SOCKET)),
            vec!["10.0.0.2", "local"]
        );
        // The default engine listed as a machine is that machine.
        let machines = [SOCKET.to_string(), "tcp://10.0.0.2:2376".to_string()];
        let specs = starting_nodes(&machines, SOCKET);
        assert_eq!(names(&specs), vec!["10.0.0.2", "local"]);
        assert!(specs.iter().all(|s| s.declared));
    }

    #[test]
    fn records_add_their_nodes_and_name_the_default_engine() {
        let mut specs = starting_nodes(&[], SOCKET);
        let records = vec![
            record("n2", Some("tcp://10.0.0.2:2376")),
            record("n1", Some(SOCKET)),
            record("n2", Some("tcp://10.0.0.2:2376")),
            record("far", None),
        ];
        let added = add_recorded(&mut specs, &records);
        assert_eq!(names(&specs), vec!["n1"]);
        assert_eq!(names(&added), vec!["far", "n2"]);
        assert_eq!(added[0].endpoint, None);
        assert_eq!(added[1].endpoint.as_deref(), Some("tcp://10.0.0.2:2376"));
    }

    #[test]
    fn a_machine_keeps_its_name_over_the_records() {
        let machines = ["tcp://10.0.0.2:2376".to_string()];
        let mut specs = starting_nodes(&machines, SOCKET);
        let added = add_recorded(&mut specs, &[record("n2", Some("tcp://10.0.0.2:2376"))]);
        assert!(added.is_empty());
        assert_eq!(names(&specs), vec!["10.0.0.2", "local"]);
    }
}
