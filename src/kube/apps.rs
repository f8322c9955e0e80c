//! Deployments and ReplicaSets as `get deploy` / `get rs` list them: live
//! from their records and pods on the engine, or offline from manifests.

use serde_json::{json, Value};

use crate::cli::Resource;
use crate::desired::deployment::{deployment_owner, replica_set_owner, POD_TEMPLATE_HASH};
use crate::keys;
use crate::manifest::apps::match_labels;
use crate::manifest::{Deployment, IntOrPercent, Labels, Manifests, PodTemplate, Strategy};
use crate::observed::{Observed, ObservedController, ObservedPod};
use crate::timefmt::{age, format_rfc3339};

use super::listing::{join, labels_text, Listed, Listing};
use super::{status_of, uid};

/// The column headers (after NAME) and `-o wide` headers of `resource`.
pub fn headers(resource: Resource) -> (Vec<&'static str>, Vec<&'static str>) {
    match resource {
        Resource::Deployments => (
            vec!["READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
            vec!["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
        _ => (
            vec!["DESIRED", "CURRENT", "READY", "AGE"],
            vec!["CONTAINERS", "IMAGES", "SELECTOR"],
        ),
    }
}

fn kind_of(resource: Resource) -> &'static str {
    match resource {
        Resource::Deployments => keys::KIND_DEPLOYMENT,
        _ => keys::KIND_REPLICA_SET,
    }
}

/// The pods a record's object owns.
fn pods_of<'o>(c: &ObservedController, observed: &'o Observed) -> Vec<&'o ObservedPod> {
    let (owner, hash) = match (c.kind.as_str(), &c.owner) {
        (keys::KIND_DEPLOYMENT, _) => (deployment_owner(&c.name), None),
        (_, Some(owner)) => (owner.clone(), Some(c.template_hash.as_str())),
        _ => (replica_set_owner(&c.name), None),
    };
    observed
        .pods
        .iter()
        .filter(|p| {
            p.project == c.project
                && p.namespace == c.namespace
                && p.owner.as_deref() == Some(owner.as_str())
                && hash
                    .is_none_or(|h| p.labels.get(POD_TEMPLATE_HASH).map(String::as_str) == Some(h))
        })
        .collect()
}

fn template_cells(template: Option<&Value>) -> (String, String) {
    let containers = template
        .and_then(|t| t["spec"]["containers"].as_array().cloned())
        .unwrap_or_default();
    let field = |f: &str| join(containers.iter().filter_map(|c| c[f].as_str()));
    (field("name"), field("image"))
}

fn object_json(
    kind: &str,
    meta: Value,
    selector: &Labels,
    replicas: u32,
    template: Option<Value>,
    status: Value,
) -> Value {
    let mut spec = json!({ "replicas": replicas, "selector": { "matchLabels": selector } });
    if let Some(t) = template {
        spec["template"] = t;
    }
    json!({ "apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec, "status": status })
}

/// `get deploy` or `get rs` live: one row per record of that kind.
pub fn live_listing(
    resource: Resource,
    observed: &Observed,
    namespace: Option<&str>,
    selector: &crate::labels::Selector,
    now: i64,
) -> Listing {
    let kind = kind_of(resource);
    let mut items = Vec::new();
    for c in observed.controllers.iter().filter(|c| {
        c.kind == kind
            && namespace.is_none_or(|ns| ns == c.namespace)
            && (selector.is_empty() || selector.matches(&c.selector))
    }) {
        let pods = pods_of(c, observed);
        let ready = pods.iter().filter(|p| status_of(p, now).is_ready()).count();
        let updated = pods
            .iter()
            .filter(|p| p.labels.get(POD_TEMPLATE_HASH) == Some(&c.template_hash))
            .count();
        let template: Option<Value> = c
            .template_json
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok());
        let (containers, images) = template_cells(template.as_ref());
        let mut meta = json!({
            "name": c.name, "namespace": c.namespace,
            "uid": uid(&c.project, kind, &c.namespace, &c.name),
            "creationTimestamp": format_rfc3339(c.created),
            "annotations": { "berth.io/project": c.project },
        });
        // The record keeps the selector, not the object's own labels: the
        // selector's labels stand for them (what `get -l` matches), and a
        // Deployment's ReplicaSet adds its template hash, as Kubernetes does.
        meta["labels"] = json!(c.selector);
        if let Some(owner) = &c.owner {
            let (owner_kind, owner_name) = owner.split_once('/').unwrap_or(("Deployment", owner));
            let owner_uid = uid(&c.project, owner_kind, &c.namespace, owner_name);
            meta["ownerReferences"] = json!([{
                "apiVersion": "apps/v1", "kind": owner_kind, "name": owner_name,
                "uid": owner_uid, "controller": true, "blockOwnerDeletion": true,
            }]);
            meta["labels"][POD_TEMPLATE_HASH] = json!(c.template_hash);
        }
        let (cells, status) = if resource == Resource::Deployments {
            (
                vec![
                    format!("{ready}/{}", c.replicas),
                    updated.to_string(),
                    ready.to_string(),
                    age(Some(c.created), now),
                ],
                deployment_status(c, observed, pods.len(), updated, ready),
            )
        } else {
            (
                vec![
                    c.replicas.to_string(),
                    pods.len().to_string(),
                    ready.to_string(),
                    age(Some(c.created), now),
                ],
                json!({
                    "replicas": pods.len(), "fullyLabeledReplicas": pods.len(),
                    "readyReplicas": ready, "availableReplicas": ready,
                    "observedGeneration": 1,
                }),
            )
        };
        meta["generation"] = json!(1);
        if resource == Resource::Deployments {
            let revision = super::rollout::revisions(observed, c).len().max(1);
            meta["annotations"][REVISION] = json!(revision.to_string());
        }
        items.push(Listed {
            project: Some(c.project.clone()),
            namespace: c.namespace.clone(),
            name: c.name.clone(),
            cells,
            wide: vec![containers, images, labels_text(&c.selector)],
            json: object_json(kind, meta, &c.selector, c.replicas, template, status),
        });
    }
    items.sort_by(|a, b| {
        (&a.project, &a.namespace, &a.name).cmp(&(&b.project, &b.namespace, &b.name))
    });
    let (headers, wide_headers) = headers(resource);
    Listing {
        resource,
        headers,
        wide_headers,
        items,
        show_namespace: namespace.is_none(),
        show_project: false,
    }
}

/// An int-or-percent as Kubernetes writes it: `1` or `"25%"`.
fn int_or_percent(value: IntOrPercent) -> Value {
    match value {
        IntOrPercent::Int(n) => json!(n),
        IntOrPercent::Percent(p) => json!(format!("{p}%")),
    }
}

/// Adds to a served Deployment what its manifest declares and its record
/// on the engine does not keep: the strategy, `minReadySeconds`,
/// `progressDeadlineSeconds`, `revisionHistoryLimit`, `paused`, and its own
/// labels when it has any.
pub fn add_declared(object: &mut Value, declared: &Deployment) {
    let strategy = match declared.strategy {
        Strategy::Recreate => json!({ "type": "Recreate" }),
        Strategy::RollingUpdate {
            max_surge,
            max_unavailable,
        } => json!({
            "type": "RollingUpdate",
            "rollingUpdate": {
                "maxUnavailable": int_or_percent(max_unavailable),
                "maxSurge": int_or_percent(max_surge),
            },
        }),
    };
    let spec = &mut object["spec"];
    spec["strategy"] = strategy;
    spec["minReadySeconds"] = json!(declared.min_ready_seconds);
    spec["progressDeadlineSeconds"] = json!(declared.progress_deadline_seconds);
    spec["revisionHistoryLimit"] = json!(declared.revision_history_limit);
    if declared.paused {
        spec["paused"] = json!(true);
    }
    if !declared.meta.labels.is_empty() {
        object["metadata"]["labels"] = json!(declared.meta.labels);
    }
}

/// The annotation Kubernetes numbers a Deployment's revisions with.
pub const REVISION: &str = "deployment.kubernetes.io/revision";

/// A Deployment's status as its controller fills it: the counts, and the
/// `Available` and `Progressing` conditions with the reasons and messages
/// Kubernetes gives them. Their times are the record's creation, so an
/// unchanged Deployment serves an unchanged object.
fn deployment_status(
    c: &ObservedController,
    observed: &Observed,
    replicas: usize,
    updated: usize,
    available: usize,
) -> Value {
    let desired = c.replicas as usize;
    // The default maxUnavailable (25%, rounded down) when the record does
    // not say which strategy it follows.
    let max_unavailable = desired / 4;
    let minimum = available + max_unavailable >= desired;
    let since = format_rfc3339(c.created);
    let condition = |kind: &str, status: bool, reason: &str, message: String| {
        json!({
            "type": kind, "status": if status { "True" } else { "False" },
            "lastUpdateTime": since, "lastTransitionTime": since,
            "reason": reason, "message": message,
        })
    };
    let available_condition = if minimum {
        condition(
            "Available",
            true,
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.".into(),
        )
    } else {
        condition(
            "Available",
            false,
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.".into(),
        )
    };
    let revisions = super::rollout::revisions(observed, c);
    let new_set = revisions
        .last()
        .filter(|r| r.replica_set.template_hash == c.template_hash)
        .map_or(c.name.clone(), |r| r.replica_set.name.clone());
    let complete = updated == desired && replicas == desired && available == desired;
    let progressing = if complete {
        condition(
            "Progressing",
            true,
            "NewReplicaSetAvailable",
            format!("ReplicaSet {new_set:?} has successfully progressed."),
        )
    } else {
        condition(
            "Progressing",
            true,
            "ReplicaSetUpdated",
            format!("ReplicaSet {new_set:?} is progressing."),
        )
    };
    let mut status = json!({
        "observedGeneration": 1,
        "replicas": replicas,
        "updatedReplicas": updated,
        "readyReplicas": available,
        "availableReplicas": available,
        "conditions": [available_condition, progressing],
    });
    let unavailable = desired.saturating_sub(available);
    if unavailable > 0 {
        status["unavailableReplicas"] = json!(unavailable);
    }
    status
}

fn template_json(t: &PodTemplate) -> Option<Value> {
    serde_json::from_str(&crate::fingerprint::last_applied(&t.spec, &t.labels)).ok()
}

/// `get deploy -f` / `get rs -f`: the declared objects, nothing running yet.
pub fn offline_items(
    resource: Resource,
    manifests: &Manifests,
    keep: &dyn Fn(&str, &Labels) -> bool,
) -> Vec<Listed> {
    let kind = kind_of(resource);
    let mut rows = Vec::new();
    let declared = manifests
        .deployments
        .iter()
        .map(|d| (&d.meta, d.replicas, &d.selector, &d.template))
        .filter(|_| resource == Resource::Deployments);
    let sets = manifests
        .replica_sets
        .iter()
        .map(|r| (&r.meta, r.replicas, &r.selector, &r.template))
        .filter(|_| resource == Resource::ReplicaSets);
    for (meta, replicas, selector, template) in declared.chain(sets) {
        if !keep(&meta.namespace, &meta.labels) {
            continue;
        }
        let containers = &template.spec.containers;
        let cells = if resource == Resource::Deployments {
            vec![format!("0/{replicas}"), "0".into(), "0".into(), "-".into()]
        } else {
            vec![replicas.to_string(), "0".into(), "0".into(), "-".into()]
        };
        let mut json_meta = json!({ "name": meta.name, "namespace": meta.namespace });
        if !meta.labels.is_empty() {
            json_meta["labels"] = json!(meta.labels);
        }
        let mut json = object_json(
            kind,
            json_meta,
            &match_labels(selector),
            replicas,
            template_json(template),
            json!({}),
        );
        json["spec"]["selector"] = selector_json(selector);
        rows.push(Listed {
            project: None,
            namespace: meta.namespace.clone(),
            name: meta.name.clone(),
            cells,
            wide: vec![
                join(containers.iter().map(|c| c.name.as_str())),
                join(containers.iter().map(|c| c.image.as_str())),
                selector.to_string(),
            ],
            json,
        });
    }
    rows
}

/// A selector as Kubernetes writes it: matchLabels and matchExpressions.
fn selector_json(selector: &crate::labels::Selector) -> Value {
    use crate::labels::Requirement;
    let mut labels = serde_json::Map::new();
    let mut expressions = Vec::new();
    for r in &selector.requirements {
        match r {
            Requirement::Equals(k, v) => {
                labels.insert(k.clone(), json!(v));
            }
            Requirement::In(k, v) => {
                expressions.push(json!({ "key": k, "operator": "In", "values": v }))
            }
            Requirement::NotIn(k, v) => {
                expressions.push(json!({ "key": k, "operator": "NotIn", "values": v }))
            }
            Requirement::Exists(k) => expressions.push(json!({ "key": k, "operator": "Exists" })),
            Requirement::DoesNotExist(k) => {
                expressions.push(json!({ "key": k, "operator": "DoesNotExist" }))
            }
            _ => {}
        }
    }
    let mut out = json!({ "matchLabels": labels });
    if !expressions.is_empty() {
        out["matchExpressions"] = json!(expressions);
    }
    out
}
