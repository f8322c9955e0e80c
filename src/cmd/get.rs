//! `berth get KIND [NAME]`: with `-f PATH` answered from the manifests
//! (no Docker), otherwise live from the engine (`get_live`). Both build a
//! `Listing` (see `listing`).
//!
//! Offline, nothing has been observed: pods show READY `0/N` and `-` for
//! STATUS, RESTARTS and AGE; controllers show CURRENT and READY 0.

use crate::cli::{GetArgs, GlobalArgs, Resource};
use crate::labels::Selector;
use crate::manifest::{Labels, Manifests};
use crate::report;

use crate::kube::objects::{self, DeclaredPod};
use crate::kube::{join, labels_text, none_if_empty, with_labels_column, Listed, Listing};

use super::listing::print_listing;
use super::{load_reported, ExitStatus, Io};

pub fn run(global: &GlobalArgs, args: &GetArgs, io: &mut Io<'_>) -> anyhow::Result<ExitStatus> {
    let Some(selector) = parse_selector(args.selector.as_deref(), io)? else {
        return Ok(ExitStatus::Error);
    };
    if args.resource == Resource::Events {
        if !args.files.is_empty() {
            report::error_message(
                io.err,
                "events are not declared in manifests; use `berth get events` without -f",
            )?;
            return Ok(ExitStatus::Error);
        }
        return super::events::run(global, &args.scope, args.output, io);
    }
    if args.files.is_empty() {
        return super::get_live::run(global, args, &selector, io);
    }
    let Some(loaded) = load_reported(&args.files, global.load_options(), io)? else {
        return Ok(ExitStatus::Error);
    };
    let namespace = args.scope.namespace();
    let listing = if args.resource == Resource::Endpoints {
        // The declared services' selectors over the pods that run now.
        let pods = super::get_live::live_pod_objects(global, io)?;
        let mut listing = offline_listing(&loaded.manifests, args.resource, namespace, &selector);
        listing.items = endpoint_items(&loaded.manifests, &pods, &listing.items);
        listing
    } else {
        offline_listing(&loaded.manifests, args.resource, namespace, &selector)
    };
    let listing = if args.show_labels {
        with_labels_column(listing)
    } else {
        listing
    };
    print_listing(listing, args.name.as_deref(), namespace, args.output, io)
}

/// Parses `-l`; on a bad selector prints the error (with its position) and
/// returns `None`.
pub(crate) fn parse_selector(
    text: Option<&str>,
    io: &mut Io<'_>,
) -> anyhow::Result<Option<Selector>> {
    match text.map(Selector::parse).transpose() {
        Ok(selector) => Ok(Some(selector.unwrap_or_default())),
        Err(error) => {
            report::error_message(io.err, &error.to_string())?;
            Ok(None)
        }
    }
}

/// The Endpoints of the services `declared` lists (rows of services,
/// already filtered), over `pods` as `get pods -o json` shows them.
fn endpoint_items(
    manifests: &Manifests,
    pods: &[serde_json::Value],
    declared: &[Listed],
) -> Vec<Listed> {
    let services: Vec<serde_json::Value> = manifests
        .services
        .iter()
        .filter(|s| {
            declared
                .iter()
                .any(|d| d.namespace == s.meta.namespace && d.name == s.meta.name)
        })
        .map(objects::service_json)
        .collect();
    crate::kube::endpoints::endpoints(&services, pods)
        .into_iter()
        .map(|json| Listed {
            project: None,
            namespace: json["metadata"]["namespace"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            name: json["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            cells: vec![crate::kube::endpoints::endpoints_text(&json), "-".into()],
            wide: vec![],
            json,
        })
        .collect()
}

fn in_scope(namespace: Option<&str>, object_namespace: &str) -> bool {
    namespace.is_none_or(|ns| ns == object_namespace)
}

/// Every object of `resource` in `namespace` (all when `None`) whose labels
/// match `selector`, in (namespace, name) order.
fn offline_listing(
    manifests: &Manifests,
    resource: Resource,
    namespace: Option<&str>,
    selector: &Selector,
) -> Listing {
    let matches = |labels: &Labels| selector.is_empty() || selector.matches(labels);
    let keep = |ns: &str, labels: &Labels| in_scope(namespace, ns) && matches(labels);
    let mut listing = Listing {
        resource,
        headers: vec![],
        wide_headers: vec![],
        items: vec![],
        show_namespace: namespace.is_none() && resource != Resource::Nodes,
        show_project: false,
    };
    match resource {
        Resource::Pods => {
            listing.headers = vec!["READY", "STATUS", "RESTARTS", "AGE"];
            listing.wide_headers = vec!["IP", "NODE"];
            let pods = objects::declared_pods(manifests);
            let pods = pods
                .iter()
                .filter(|d| keep(&d.pod.meta.namespace, &d.pod.meta.labels));
            listing.items = pods.map(declared_pod_row).collect();
        }
        Resource::ReplicationControllers => {
            listing.headers = vec!["DESIRED", "CURRENT", "READY", "AGE"];
            listing.wide_headers = vec!["CONTAINERS", "IMAGES", "SELECTOR"];
            for rc in manifests
                .controllers
                .iter()
                .filter(|rc| keep(&rc.meta.namespace, &rc.meta.labels))
            {
                let containers = &rc.template.spec.containers;
                listing.items.push(Listed {
                    project: None,
                    namespace: rc.meta.namespace.clone(),
                    name: rc.meta.name.clone(),
                    cells: vec![rc.replicas.to_string(), "0".into(), "0".into(), "-".into()],
                    wide: vec![
                        join(containers.iter().map(|c| c.name.as_str())),
                        join(containers.iter().map(|c| c.image.as_str())),
                        labels_text(&rc.selector),
                    ],
                    json: objects::rc_json(rc),
                });
            }
        }
        Resource::Deployments | Resource::ReplicaSets => {
            let (headers, wide) = crate::kube::apps::headers(resource);
            (listing.headers, listing.wide_headers) = (headers, wide);
            listing.items = crate::kube::apps::offline_items(resource, manifests, &keep);
        }
        Resource::DaemonSets => {
            let (headers, wide) = crate::kube::daemonsets::headers();
            (listing.headers, listing.wide_headers) = (headers, wide);
            listing.items = crate::kube::daemonsets::offline_items(manifests, &keep);
        }
        Resource::ConfigMaps | Resource::Secrets => {
            listing.headers = crate::kube::config::headers(resource);
            listing.items = crate::kube::config::items(resource, manifests, &keep);
        }
        Resource::Services | Resource::Endpoints => {
            listing.headers = match resource {
                Resource::Endpoints => vec!["ENDPOINTS", "AGE"],
                _ => vec!["SELECTOR", "PORT(S)"],
            };
            for service in manifests
                .services
                .iter()
                .filter(|s| keep(&s.meta.namespace, &s.meta.labels))
            {
                let ports: Vec<String> = service
                    .ports
                    .iter()
                    .map(|p| format!("{}/{}", p.port, p.protocol.docker().to_uppercase()))
                    .collect();
                listing.items.push(Listed {
                    project: None,
                    namespace: service.meta.namespace.clone(),
                    name: service.meta.name.clone(),
                    cells: vec![
                        labels_text(&service.selector),
                        none_if_empty(ports.join(",")),
                    ],
                    wide: vec![],
                    json: objects::service_json(service),
                });
            }
        }
        Resource::Nodes | Resource::Events => {
            listing.headers = vec!["STATUS", "AGE"];
            listing.wide_headers = vec!["DOCKER-HOST", "LABELS"];
            for node in manifests.nodes.iter().filter(|n| matches(&n.meta.labels)) {
                listing.items.push(Listed {
                    project: None,
                    namespace: String::new(),
                    name: node.meta.name.clone(),
                    cells: vec!["-".into(), "-".into()],
                    wide: vec![
                        node.docker_host.clone().unwrap_or_else(|| "<none>".into()),
                        labels_text(&node.meta.labels),
                    ],
                    json: objects::node_json(node),
                });
            }
        }
    }
    listing
        .items
        .sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    listing
}

fn declared_pod_row(declared: &DeclaredPod) -> Listed {
    let spec = &declared.pod.spec;
    Listed {
        project: None,
        namespace: declared.pod.meta.namespace.clone(),
        name: declared.pod.meta.name.clone(),
        cells: vec![
            format!("0/{}", spec.containers.len()),
            "-".into(),
            "-".into(),
            "-".into(),
        ],
        wide: vec![
            "<none>".into(),
            spec.node_name.clone().unwrap_or_else(|| "<none>".into()),
        ],
        json: objects::pod_json(declared),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::OutputFormat;
    use crate::kube::objects::fixtures::*;
    use serde_json::Value;

    fn render(
        listing: Listing,
        name: Option<&str>,
        format: OutputFormat,
    ) -> (ExitStatus, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = print_listing(
            listing,
            name,
            Some("default"),
            format,
            &mut Io {
                out: &mut out,
                err: &mut err,
            },
        )
        .unwrap();
        let text =
            |b: Vec<u8>| anstream::adapter::strip_str(&String::from_utf8(b).unwrap()).to_string();
        (status, text(out), text(err))
    }

    fn manifests() -> Manifests {
        Manifests {
            pods: vec![
                pod("default", "solo", &[("app", "db")]),
                pod("other", "far", &[]),
            ],
            controllers: vec![rc("web", 2, &[("app", "web")])],
            ..Default::default()
        }
    }

    #[test]
    fn offline_pods_table_lists_expanded_controller_pods_of_the_namespace() {
        let listing = offline_listing(
            &manifests(),
            Resource::Pods,
            Some("default"),
            &Selector::default(),
        );
        let (status, out, _) = render(listing, None, OutputFormat::Table);
        assert_eq!(status, ExitStatus::Success);
        assert_eq!(
            out,
            "NAME    READY   STATUS   RESTARTS   AGE\n\
             solo    0/1     -        -          -\n\
             web-0   0/2     -        -          -\n\
             web-1   0/2     -        -          -\n"
        );
    }

    #[test]
    fn show_labels_adds_a_labels_column() {
        let listing = offline_listing(
            &manifests(),
            Resource::Pods,
            Some("default"),
            &Selector::default(),
        );
        let (_, out, _) = render(with_labels_column(listing), None, OutputFormat::Table);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].ends_with("AGE   LABELS"), "{out}");
        assert!(
            lines[1].starts_with("solo ") && lines[1].ends_with(" app=db"),
            "{out}"
        );
        assert!(lines[2].ends_with(" app=web"), "{out}");
    }

    #[test]
    fn all_namespaces_adds_a_namespace_column() {
        let listing = offline_listing(&manifests(), Resource::Pods, None, &Selector::default());
        let (_, out, _) = render(listing, None, OutputFormat::Table);
        assert!(out.starts_with("NAMESPACE   NAME"), "{out}");
        assert!(out.contains("other       far"), "{out}");
    }

    #[test]
    fn a_missing_name_is_not_found_with_exit_1() {
        let listing = offline_listing(
            &manifests(),
            Resource::Pods,
            Some("default"),
            &Selector::default(),
        );
        let (status, out, err) = render(listing, Some("nope"), OutputFormat::Table);
        assert_eq!(status, ExitStatus::Failure);
        assert_eq!(out, "");
        assert_eq!(err, "error: pods \"nope\" not found\n");
    }

    #[test]
    fn output_name_prefixes_the_kind() {
        let listing = offline_listing(
            &manifests(),
            Resource::ReplicationControllers,
            Some("default"),
            &Selector::default(),
        );
        let (_, out, _) = render(listing, None, OutputFormat::Name);
        assert_eq!(out, "replicationcontroller/web\n");
    }

    #[test]
    fn output_json_is_a_list_of_kubernetes_objects() {
        let listing = offline_listing(
            &manifests(),
            Resource::Pods,
            Some("default"),
            &Selector::default(),
        );
        let (_, out, _) = render(listing, None, OutputFormat::Json);
        let value: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["kind"], "List");
        let names: Vec<&str> = value["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["solo", "web-0", "web-1"]);
    }

    #[test]
    fn rc_table_shows_desired_replicas() {
        let listing = offline_listing(
            &manifests(),
            Resource::ReplicationControllers,
            Some("default"),
            &Selector::default(),
        );
        let (_, out, _) = render(listing, None, OutputFormat::Wide);
        assert_eq!(
            out,
            "NAME   DESIRED   CURRENT   READY   AGE   CONTAINERS    IMAGES                SELECTOR\n\
             web    2         0         0       -     app,sidecar   busybox:1,busybox:1   app=web\n"
        );
    }
}
