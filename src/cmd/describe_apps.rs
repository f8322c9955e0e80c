//! `berth describe deploy|rs|ds NAME`: what kubectl describe shows of a
//! workload, live from its record and pods on the engines, read from the
//! same objects `berth get -o json` prints (`kube::apps`,
//! `kube::daemonsets`). A Deployment's strategy is not on the engine: it
//! comes from the manifests when `-f PATH` names them. `berth describe
//! cm|secret NAME -f PATH` reads the manifests; a Secret's values are
//! never printed, only each key's size (`describe_config`).

use serde_json::Value;

use crate::cli::{DescribeArgs, GlobalArgs, Resource};
use crate::keys;
use crate::kube::{apps, daemonsets, labels_text, Listing};
use crate::labels::Selector;
use crate::manifest::Labels;
use crate::observe::Depth;
use crate::observed::Observed;
use crate::report::{self, Field};
use crate::status::Phase;

use super::describe_spec::{container_spec_fields, last_applied_spec};
use super::get_live::{look_all, status_of};
use super::live::{block_on, now};
use super::{load_reported, ExitStatus, Io};

pub fn run(
    global: &GlobalArgs,
    args: &DescribeArgs,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    let manifests = if args.files.is_empty() {
        None
    } else {
        match load_reported(&args.files, global.load_options(), io)? {
            Some(loaded) => Some(loaded.manifests),
            None => return Ok(ExitStatus::Error),
        }
    };
    if matches!(args.resource, Resource::ConfigMaps | Resource::Secrets) {
        let Some(manifests) = manifests else {
            let plural = args.resource.plural();
            let message = format!(
                "{plural} live only in the manifests; use `berth describe {} NAME -f PATH`",
                args.resource.singular()
            );
            report::error_message(io.err, &message)?;
            return Ok(ExitStatus::Error);
        };
        return super::describe_config::run(args, &manifests, io);
    }
    let project = global.project.as_deref();
    let now = now();
    let options = global.node_options();
    let looked = block_on(async {
        let connected = crate::nodes::discover(&options, project, now).await;
        look_all(&connected, project, Depth::Full, false, now).await
    })??;
    for warning in looked.unreachable.iter().chain(&looked.failed) {
        report::warning(io.err, warning)?;
    }
    let observed = &looked.observed;
    let listing = listing(args.resource, observed, &args.namespace, now);
    let found: Vec<&Value> = listing
        .items
        .iter()
        .filter(|item| item.name == args.name)
        .map(|item| &item.json)
        .collect();
    let mut object = match found.as_slice() {
        [one] => (*one).clone(),
        [] => {
            let message = format!("{} {:?} not found", args.resource.plural(), args.name);
            report::error_message(io.err, &message)?;
            return Ok(ExitStatus::Failure);
        }
        _ => anyhow::bail!(
            "{} {}/{} exists in several projects; choose one with --project",
            args.resource.singular(),
            args.namespace,
            args.name
        ),
    };
    let declared = manifests.as_ref().and_then(|m| {
        m.deployments
            .iter()
            .find(|d| d.meta.namespace == args.namespace && d.meta.name == args.name)
    });
    if let (Resource::Deployments, Some(declared)) = (args.resource, declared) {
        // The strategy is in the manifest only: served as the API serves it.
        apps::add_declared(&mut object, declared);
    }
    let fields = match args.resource {
        Resource::Deployments => deployment_fields(&object, &listing_sets(observed, now)),
        Resource::ReplicaSets => replica_set_fields(&object, observed, now),
        _ => daemon_set_fields(&object, observed, now),
    };
    report::fields(io.out, &fields)?;
    Ok(ExitStatus::Success)
}

fn listing(resource: Resource, observed: &Observed, namespace: &str, now: i64) -> Listing {
    let all = Selector::default();
    match resource {
        Resource::DaemonSets => daemonsets::live_listing(observed, Some(namespace), &all, now),
        _ => apps::live_listing(resource, observed, Some(namespace), &all, now),
    }
}

/// Every ReplicaSet, as `get rs -o json` shows it.
fn listing_sets(observed: &Observed, now: i64) -> Vec<Value> {
    let all = Selector::default();
    let sets = apps::live_listing(Resource::ReplicaSets, observed, None, &all, now);
    sets.items.into_iter().map(|item| item.json).collect()
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

fn count(value: &Value) -> u64 {
    value.as_u64().unwrap_or(0)
}

fn map_of(value: &Value) -> Labels {
    let pairs = value.as_object().into_iter().flatten();
    pairs
        .map(|(k, v)| (k.clone(), text(v).to_string()))
        .collect()
}

/// Name, Namespace, CreationTimestamp, then `rest`, then Labels and
/// Annotations one per line as kubectl lays them out.
pub(super) fn identity(object: &Value) -> Vec<Field> {
    let meta = &object["metadata"];
    let created = meta["creationTimestamp"].as_str().unwrap_or("<unknown>");
    let mut fields = vec![
        Field::new(0, "Name", text(&meta["name"])),
        Field::new(0, "Namespace", text(&meta["namespace"])),
        Field::new(0, "CreationTimestamp", created),
    ];
    for (key, value) in [("Labels", "labels"), ("Annotations", "annotations")] {
        let pairs = map_of(&meta[value]);
        let separator = if value == "labels" { "=" } else { ": " };
        let mut lines = pairs.iter().map(|(k, v)| format!("{k}{separator}{v}"));
        fields.push(Field::new(0, key, lines.next().unwrap_or("<none>".into())));
        fields.extend(lines.map(|line| Field::new(0, "", line)));
    }
    fields
}

/// The selector of a `LabelSelector` (`matchLabels`).
fn selector_text(object: &Value) -> String {
    labels_text(&map_of(&object["spec"]["selector"]["matchLabels"]))
}

/// `Pod Template:` with its labels and containers.
fn pod_template(object: &Value) -> Vec<Field> {
    let template = &object["spec"]["template"];
    let mut fields = vec![
        Field::new(0, "Pod Template", ""),
        Field::new(
            1,
            "Labels",
            labels_text(&map_of(&template["metadata"]["labels"])),
        ),
    ];
    let spec = last_applied_spec(Some(&template.to_string()));
    let Some(spec) = spec else {
        fields.push(Field::new(1, "Containers", "<unknown>"));
        return fields;
    };
    fields.push(Field::new(1, "Containers", ""));
    for c in &spec.containers {
        // kubectl indents a container's name by one space more.
        fields.push(Field::line(1, format!(" {}:", c.name)));
        fields.push(Field::new(2, "Image", &c.image));
        fields.extend(container_spec_fields(c));
    }
    fields
}

/// `25%` or `1`, as kubectl prints an int-or-percent.
fn int_or_percent(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// StrategyType, MinReadySeconds and RollingUpdateStrategy, when the
/// object carries its declared strategy (none without `-f`).
fn strategy_fields(object: &Value) -> Vec<Field> {
    let spec = &object["spec"];
    let Some(kind) = spec["strategy"]["type"].as_str() else {
        return Vec::new();
    };
    let mut fields = vec![
        Field::new(0, "StrategyType", kind),
        Field::new(
            0,
            "MinReadySeconds",
            count(&spec["minReadySeconds"]).to_string(),
        ),
    ];
    let rolling = &spec["strategy"]["rollingUpdate"];
    if rolling.is_object() {
        let text = format!(
            "{} max unavailable, {} max surge",
            int_or_percent(&rolling["maxUnavailable"]),
            int_or_percent(&rolling["maxSurge"])
        );
        fields.push(Field::new(0, "RollingUpdateStrategy", text));
    }
    fields
}

/// `describe deploy`: identity, Selector, Replicas, the strategy (when
/// the manifests are given), Pod Template, Conditions, OldReplicaSets,
/// NewReplicaSet, Events.
fn deployment_fields(object: &Value, sets: &[Value]) -> Vec<Field> {
    let (spec, status) = (&object["spec"], &object["status"]);
    let mut fields = identity(object);
    fields.push(Field::new(0, "Selector", selector_text(object)));
    let desired = count(&spec["replicas"]);
    let available = count(&status["availableReplicas"]);
    let replicas = format!(
        "{desired} desired | {} updated | {} total | {available} available | {} unavailable",
        count(&status["updatedReplicas"]),
        count(&status["replicas"]),
        desired.saturating_sub(available)
    );
    fields.push(Field::new(0, "Replicas", replicas));
    fields.extend(strategy_fields(object));
    fields.extend(pod_template(object));
    fields.push(Field::new(0, "Conditions", ""));
    let conditions = status["conditions"].as_array().cloned().unwrap_or_default();
    let width = |key: &str, head: &str| {
        let cells = conditions.iter().map(|c| text(&c[key]).len());
        cells.chain([head.len()]).max().unwrap_or(0)
    };
    let (w_type, w_status) = (width("type", "Type"), width("status", "Status"));
    let row = |a: &str, b: &str, c: &str| format!("{a:<w_type$}  {b:<w_status$}  {c}");
    fields.push(Field::line(1, row("Type", "Status", "Reason")));
    fields.push(Field::line(1, row("----", "------", "------")));
    for c in &conditions {
        let line = row(text(&c["type"]), text(&c["status"]), text(&c["reason"]));
        fields.push(Field::line(1, line));
    }
    let name = text(&object["metadata"]["name"]);
    let namespace = &object["metadata"]["namespace"];
    let owned: Vec<&Value> = sets
        .iter()
        .filter(|s| {
            &s["metadata"]["namespace"] == namespace
                && s["metadata"]["ownerReferences"][0]["name"] == name
                && s["metadata"]["ownerReferences"][0]["kind"] == keys::KIND_DEPLOYMENT
        })
        .collect();
    let new_set = new_set_name(object);
    let describe = |s: &Value| {
        format!(
            "{} ({}/{} replicas created)",
            text(&s["metadata"]["name"]),
            count(&s["status"]["replicas"]),
            count(&s["spec"]["replicas"])
        )
    };
    let (new, old): (Vec<&Value>, Vec<&Value>) = owned
        .into_iter()
        .partition(|s| Some(text(&s["metadata"]["name"])) == new_set.as_deref());
    let none = || "<none>".to_string();
    let old_text: Vec<String> = old.into_iter().map(describe).collect();
    let old_text = if old_text.is_empty() {
        none()
    } else {
        old_text.join(", ")
    };
    fields.push(Field::new(0, "OldReplicaSets", old_text));
    let new_text = new.first().map_or_else(none, |s| describe(s));
    fields.push(Field::new(0, "NewReplicaSet", new_text));
    fields.push(Field::new(0, "Events", "<none>"));
    fields
}

/// The ReplicaSet the `Progressing` condition names.
fn new_set_name(deployment: &Value) -> Option<String> {
    let conditions = deployment["status"]["conditions"].as_array()?;
    let progressing = conditions.iter().find(|c| c["type"] == "Progressing")?;
    let message = text(&progressing["message"]);
    let quoted = message.split('"').nth(1)?;
    Some(quoted.to_string())
}

/// `Pods Status:` of the pods of `owner` (with the template `hash` under
/// `label` when given).
fn pods_status(
    observed: &Observed,
    object: &Value,
    owner: &str,
    hash: Option<(&str, &str)>,
    now: i64,
) -> String {
    let namespace = text(&object["metadata"]["namespace"]);
    let mut counts = [0usize; 4];
    for pod in observed.pods.iter().filter(|p| {
        p.namespace == namespace
            && p.owner.as_deref() == Some(owner)
            && hash.is_none_or(|(label, h)| p.labels.get(label).map(String::as_str) == Some(h))
    }) {
        let slot = match status_of(pod, now).phase {
            Phase::Running => 0,
            Phase::Pending => 1,
            Phase::Succeeded => 2,
            Phase::Failed => 3,
        };
        counts[slot] += 1;
    }
    let [running, waiting, succeeded, failed] = counts;
    format!("{running} Running / {waiting} Waiting / {succeeded} Succeeded / {failed} Failed")
}

/// `describe rs`: identity, Selector, Controlled By, Replicas, Pods Status,
/// Pod Template, Events.
fn replica_set_fields(object: &Value, observed: &Observed, now: i64) -> Vec<Field> {
    let mut fields = identity(object);
    let owner_ref = &object["metadata"]["ownerReferences"][0];
    let name = text(&object["metadata"]["name"]);
    let (owner, hash) = match owner_ref["name"].as_str() {
        Some(deployment) => {
            let owner = format!("{}/{deployment}", keys::KIND_DEPLOYMENT);
            let hash =
                text(&object["metadata"]["labels"][crate::desired::deployment::POD_TEMPLATE_HASH]);
            fields.push(Field::new(0, "Controlled By", &owner));
            (owner, Some(hash))
        }
        None => (format!("{}/{name}", keys::KIND_REPLICA_SET), None),
    };
    fields.insert(3, Field::new(0, "Selector", selector_text(object)));
    let replicas = format!(
        "{} current / {} desired",
        count(&object["status"]["replicas"]),
        count(&object["spec"]["replicas"])
    );
    fields.push(Field::new(0, "Replicas", replicas));
    let label = crate::desired::deployment::POD_TEMPLATE_HASH;
    let status = pods_status(observed, object, &owner, hash.map(|h| (label, h)), now);
    fields.push(Field::new(0, "Pods Status", status));
    fields.extend(pod_template(object));
    fields.push(Field::new(0, "Events", "<none>"));
    fields
}

/// `describe ds`: identity, Selector, Node-Selector, the node counts, Pods
/// Status, Pod Template, Events.
fn daemon_set_fields(object: &Value, observed: &Observed, now: i64) -> Vec<Field> {
    let status = &object["status"];
    let mut fields = identity(object);
    fields.insert(3, Field::new(0, "Selector", selector_text(object)));
    let node_selector = map_of(&object["spec"]["template"]["spec"]["nodeSelector"]);
    fields.insert(
        4,
        Field::new(0, "Node-Selector", labels_text(&node_selector)),
    );
    for (key, field) in [
        (
            "Desired Number of Nodes Scheduled",
            "desiredNumberScheduled",
        ),
        (
            "Current Number of Nodes Scheduled",
            "currentNumberScheduled",
        ),
        (
            "Number of Nodes Scheduled with Up-to-date Pods",
            "updatedNumberScheduled",
        ),
        (
            "Number of Nodes Scheduled with Available Pods",
            "numberAvailable",
        ),
        ("Number of Nodes Misscheduled", "numberMisscheduled"),
    ] {
        fields.push(Field::new(0, key, count(&status[field]).to_string()));
    }
    let owner = format!(
        "{}/{}",
        keys::KIND_DAEMON_SET,
        text(&object["metadata"]["name"])
    );
    fields.push(Field::new(
        0,
        "Pods Status",
        pods_status(observed, object, &owner, None, now),
    ));
    fields.extend(pod_template(object));
    fields.push(Field::new(0, "Events", "<none>"));
    fields
}

#[cfg(test)]
#[path = "describe_apps_tests.rs"]
mod tests;
