//! DaemonSets as `get ds` lists them: live from their records and pods on
//! the engines, or offline from manifests (one pod per Node manifest its
//! `nodeSelector` matches, or the implicit node `local`).

use serde_json::{json, Value};

use crate::desired::daemonset::{daemon_set_owner, wanted_on, CONTROLLER_REVISION_HASH};
use crate::keys;
use crate::manifest::apps::match_labels;
use crate::manifest::{Labels, Manifests};
use crate::observed::{Observed, ObservedPod};
use crate::timefmt::{age, format_rfc3339};

use super::listing::{join, labels_text, Listed, Listing};
use super::{status_of, uid};

/// The column headers (after NAME) and `-o wide` headers.
pub fn headers() -> (Vec<&'static str>, Vec<&'static str>) {
    (
        vec![
            "DESIRED",
            "CURRENT",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "NODE SELECTOR",
            "AGE",
        ],
        vec!["CONTAINERS", "IMAGES", "SELECTOR"],
    )
}

fn template_cells(template: Option<&Value>) -> (String, String, Labels) {
    let containers = template
        .and_then(|t| t["spec"]["containers"].as_array().cloned())
        .unwrap_or_default();
    let field = |f: &str| join(containers.iter().filter_map(|c| c[f].as_str()));
    let node_selector: Labels = template
        .and_then(|t| t["spec"]["nodeSelector"].as_object().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| Some((k, v.as_str()?.to_string())))
        .collect();
    (field("name"), field("image"), node_selector)
}

fn object_json(meta: Value, selector: Value, template: Option<Value>, status: Value) -> Value {
    let mut spec = json!({ "selector": selector });
    if let Some(t) = template {
        spec["template"] = t;
    }
    json!({ "apiVersion": "apps/v1", "kind": keys::KIND_DAEMON_SET, "metadata": meta, "spec": spec, "status": status })
}

/// `get ds` live: one row per DaemonSet record.
pub fn live_listing(
    observed: &Observed,
    namespace: Option<&str>,
    selector: &crate::labels::Selector,
    now: i64,
) -> Listing {
    let mut items = Vec::new();
    for c in observed.controllers.iter().filter(|c| {
        c.kind == keys::KIND_DAEMON_SET
            && namespace.is_none_or(|ns| ns == c.namespace)
            && (selector.is_empty() || selector.matches(&c.selector))
    }) {
        let owner = daemon_set_owner(&c.name);
        let pods: Vec<&ObservedPod> = observed
            .pods
            .iter()
            .filter(|p| {
                p.project == c.project
                    && p.namespace == c.namespace
                    && p.owner.as_deref() == Some(owner.as_str())
            })
            .collect();
        let ready = pods.iter().filter(|p| status_of(p, now).is_ready()).count();
        let updated = pods
            .iter()
            .filter(|p| p.labels.get(CONTROLLER_REVISION_HASH) == Some(&c.template_hash))
            .count();
        let template: Option<Value> = c
            .template_json
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok());
        let (containers, images, node_selector) = template_cells(template.as_ref());
        // The selector's labels stand for the object's own (see `apps`).
        let meta = json!({
            "name": c.name, "namespace": c.namespace, "generation": 1, "labels": c.selector,
            "uid": uid(&c.project, keys::KIND_DAEMON_SET, &c.namespace, &c.name),
            "creationTimestamp": format_rfc3339(c.created),
            "annotations": { "berth.io/project": c.project },
        });
        let status = json!({
            "desiredNumberScheduled": c.replicas,
            "currentNumberScheduled": pods.len(),
            "numberReady": ready,
            "updatedNumberScheduled": updated,
            "numberAvailable": ready,
            "numberMisscheduled": 0,
            "observedGeneration": 1,
        });
        let mut status = status;
        let unavailable = (c.replicas as usize).saturating_sub(ready);
        if unavailable > 0 {
            status["numberUnavailable"] = json!(unavailable);
        }
        items.push(Listed {
            project: Some(c.project.clone()),
            namespace: c.namespace.clone(),
            name: c.name.clone(),
            cells: vec![
                c.replicas.to_string(),
                pods.len().to_string(),
                ready.to_string(),
                updated.to_string(),
                ready.to_string(),
                labels_text(&node_selector),
                age(Some(c.created), now),
            ],
            wide: vec![containers, images, labels_text(&c.selector)],
            json: object_json(meta, json!({ "matchLabels": c.selector }), template, status),
        });
    }
    items.sort_by(|a, b| {
        (&a.project, &a.namespace, &a.name).cmp(&(&b.project, &b.namespace, &b.name))
    });
    let (headers, wide_headers) = headers();
    Listing {
        resource: crate::cli::Resource::DaemonSets,
        headers,
        wide_headers,
        items,
        show_namespace: namespace.is_none(),
        show_project: false,
    }
}

/// `get ds -f`: the declared DaemonSets, nothing running yet; DESIRED is
/// the number of declared nodes (or `local`) they would run on.
pub fn offline_items(manifests: &Manifests, keep: &dyn Fn(&str, &Labels) -> bool) -> Vec<Listed> {
    let nodes = crate::desired::offline_nodes(manifests);
    let mut rows = Vec::new();
    for ds in manifests
        .daemon_sets
        .iter()
        .filter(|d| keep(&d.meta.namespace, &d.meta.labels))
    {
        let t = &ds.template;
        let desired = nodes.iter().filter(|n| wanted_on(&t.spec, n)).count();
        let containers = &t.spec.containers;
        let mut meta = json!({ "name": ds.meta.name, "namespace": ds.meta.namespace });
        if !ds.meta.labels.is_empty() {
            meta["labels"] = json!(ds.meta.labels);
        }
        let template =
            serde_json::from_str(&crate::fingerprint::last_applied(&t.spec, &t.labels)).ok();
        rows.push(Listed {
            project: None,
            namespace: ds.meta.namespace.clone(),
            name: ds.meta.name.clone(),
            cells: vec![
                desired.to_string(),
                "0".into(),
                "0".into(),
                "0".into(),
                "0".into(),
                labels_text(&t.spec.node_selector),
                "-".into(),
            ],
            wide: vec![
                join(containers.iter().map(|c| c.name.as_str())),
                join(containers.iter().map(|c| c.image.as_str())),
                ds.selector.to_string(),
            ],
            json: object_json(
                meta,
                json!({ "matchLabels": match_labels(&ds.selector) }),
                template,
                json!({}),
            ),
        });
    }
    rows
}
