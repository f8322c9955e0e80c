//! The page's workload and configuration tables — Deployments with their
//! ReplicaSets, ReplicaSets of their own, DaemonSets, ConfigMaps and
//! Secrets — from the same listings `berth get` prints (`kube::apps`,
//! `kube::daemonsets`, `kube::config`). A Secret shows its type and how
//! many keys it holds, never a value.

use serde_json::Value;

use crate::cli::Resource;
use crate::keys;
use crate::kube::{apps, config, daemonsets, Listed};
use crate::labels::Selector;
use crate::manifest::{Labels, Manifests};
use crate::observed::Observed;

use super::html::{esc, label_chips, section, table, td, td_text};

fn number(value: &Value) -> u64 {
    value.as_u64().unwrap_or(0)
}

/// `num`, or `num warn` when `n` falls short of `want`.
fn class(n: u64, want: u64) -> &'static str {
    if n >= want {
        "num"
    } else {
        "num warn"
    }
}

fn labels_of(value: &Value) -> Labels {
    let pairs = value.as_object().into_iter().flatten();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    pairs.map(|(k, v)| (k.clone(), text(v))).collect()
}

fn age_cell(item: &Listed) -> String {
    td_text("num", item.cells.last().map_or("-", String::as_str))
}

/// One line under a Deployment's name per ReplicaSet it owns: its name
/// and `pods/desired`, the current template's first.
fn replica_set_lines(deployment: &Listed, sets: &[Listed]) -> String {
    let mut owned: Vec<&Listed> = sets
        .iter()
        .filter(|s| {
            let owner = &s.json["metadata"]["ownerReferences"][0];
            s.project == deployment.project
                && s.namespace == deployment.namespace
                && owner["kind"] == keys::KIND_DEPLOYMENT
                && owner["name"] == deployment.name.as_str()
        })
        .collect();
    owned.sort_by_key(|s| std::cmp::Reverse(number(&s.json["spec"]["replicas"])));
    owned
        .iter()
        .map(|s| {
            let (spec, status) = (&s.json["spec"], &s.json["status"]);
            format!(
                r#"<div class="sub">rs {} · {}/{}</div>"#,
                esc(&s.name),
                number(&status["replicas"]),
                number(&spec["replicas"])
            )
        })
        .collect()
}

/// The Deployments (each with its ReplicaSets under its name): READY,
/// UP-TO-DATE and AVAILABLE as `get deploy` counts them; then the
/// ReplicaSets no Deployment owns, when there are any.
pub(super) fn deployments(observed: &Observed, now: i64) -> String {
    let all = Selector::default();
    let listing = |r: Resource| apps::live_listing(r, observed, None, &all, now).items;
    let (deployments, sets) = (
        listing(Resource::Deployments),
        listing(Resource::ReplicaSets),
    );
    let rows: Vec<String> = deployments
        .iter()
        .map(|d| {
            let (spec, status) = (&d.json["spec"], &d.json["status"]);
            let desired = number(&spec["replicas"]);
            let ready = number(&status["readyReplicas"]);
            let updated = number(&status["updatedReplicas"]);
            let available = number(&status["availableReplicas"]);
            [
                format!(
                    r#"<tr><td class="name">{}{}</td>"#,
                    esc(&d.name),
                    replica_set_lines(d, &sets)
                ),
                td_text("", &d.namespace),
                td_text(class(ready, desired), &format!("{ready}/{desired}")),
                td_text(class(updated, desired), &updated.to_string()),
                td_text(class(available, desired), &available.to_string()),
                td(label_chips(&labels_of(&spec["selector"]["matchLabels"]))),
                age_cell(d),
                "</tr>".to_string(),
            ]
            .concat()
        })
        .collect();
    let headers = [
        "Name",
        "Namespace",
        "Ready",
        "Up-to-date",
        "Available",
        "Selector",
        "Age",
    ];
    let body = table(&headers, &rows, "No deployments.");
    let own: Vec<&Listed> = sets
        .iter()
        .filter(|s| s.json["metadata"]["ownerReferences"].is_null())
        .collect();
    let deployments = section("deployments", "Deployments", Some(rows.len()), &body);
    if own.is_empty() {
        return deployments;
    }
    deployments + &replica_sets(&own)
}

/// ReplicaSets of their own: DESIRED, CURRENT and READY.
fn replica_sets(sets: &[&Listed]) -> String {
    let rows: Vec<String> = sets
        .iter()
        .map(|s| {
            let (spec, status) = (&s.json["spec"], &s.json["status"]);
            let desired = number(&spec["replicas"]);
            let current = number(&status["replicas"]);
            let ready = number(&status["readyReplicas"]);
            [
                format!(r#"<tr><td class="name">{}</td>"#, esc(&s.name)),
                td_text("", &s.namespace),
                td_text("num", &desired.to_string()),
                td_text(class(current, desired), &current.to_string()),
                td_text(class(ready, desired), &ready.to_string()),
                td(label_chips(&labels_of(&spec["selector"]["matchLabels"]))),
                age_cell(s),
                "</tr>".to_string(),
            ]
            .concat()
        })
        .collect();
    let headers = [
        "Name",
        "Namespace",
        "Desired",
        "Current",
        "Ready",
        "Selector",
        "Age",
    ];
    let body = table(&headers, &rows, "No replica sets.");
    section("replicasets", "Replica sets", Some(rows.len()), &body)
}

/// The DaemonSets: one pod per node they select, counted as `get ds`
/// counts them.
pub(super) fn daemon_sets(observed: &Observed, now: i64) -> String {
    let listing = daemonsets::live_listing(observed, None, &Selector::default(), now);
    let rows: Vec<String> = listing
        .items
        .iter()
        .map(|d| {
            let status = &d.json["status"];
            let desired = number(&status["desiredNumberScheduled"]);
            let count = |key: &str| {
                let n = number(&status[key]);
                td_text(class(n, desired), &n.to_string())
            };
            let node_selector = &d.json["spec"]["template"]["spec"]["nodeSelector"];
            [
                format!(r#"<tr><td class="name">{}</td>"#, esc(&d.name)),
                td_text("", &d.namespace),
                td_text("num", &desired.to_string()),
                count("currentNumberScheduled"),
                count("numberReady"),
                count("updatedNumberScheduled"),
                count("numberAvailable"),
                td(label_chips(&labels_of(node_selector))),
                age_cell(d),
                "</tr>".to_string(),
            ]
            .concat()
        })
        .collect();
    let headers = [
        "Name",
        "Namespace",
        "Desired",
        "Current",
        "Ready",
        "Up-to-date",
        "Available",
        "Node selector",
        "Age",
    ];
    let body = table(&headers, &rows, "No daemon sets.");
    section("daemonsets", "Daemon sets", Some(rows.len()), &body)
}

/// The declared ConfigMaps and Secrets: kind, type (Secrets) and how many
/// keys each holds. No value of either is shown.
pub(super) fn config(manifests: Option<&Manifests>) -> String {
    let everything = |_: &str, _: &Labels| true;
    let items = |r: Resource| {
        manifests
            .map(|m| config::items(r, m, &everything))
            .unwrap_or_default()
    };
    let maps = items(Resource::ConfigMaps)
        .into_iter()
        .map(|i| ("ConfigMap", i));
    let secrets = items(Resource::Secrets).into_iter().map(|i| ("Secret", i));
    let rows: Vec<String> = maps
        .chain(secrets)
        .map(|(kind, item)| {
            // ConfigMap cells: DATA, AGE; Secret cells: TYPE, DATA, AGE.
            let (kind_type, keys) = match item.cells.as_slice() {
                [kind_type, keys, _] => (kind_type.as_str(), keys.as_str()),
                [keys, _] => ("—", keys.as_str()),
                _ => ("—", "0"),
            };
            [
                format!(r#"<tr><td class="name">{}</td>"#, esc(&item.name)),
                td_text("", &item.namespace),
                td_text("", kind),
                td_text("mono", kind_type),
                td_text("num", keys),
                "</tr>".to_string(),
            ]
            .concat()
        })
        .collect();
    let headers = ["Name", "Namespace", "Kind", "Type", "Keys"];
    let body = table(&headers, &rows, "No config maps or secrets declared.");
    section("config", "Config maps and secrets", Some(rows.len()), &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::api::fixtures::workloads;
    use crate::status::fixtures::T0;

    #[test]
    fn a_deployment_row_lists_its_replica_sets_and_warns_when_short() {
        let snapshot = workloads(1);
        let html = deployments(snapshot.observed.as_deref().unwrap(), T0 + 60);
        assert!(
            html.contains(r#"<td class="name">web<div class="sub">rs web-abc · 2/3</div></td>"#),
            "{html}"
        );
        assert!(html.contains(r#"<td class="num warn">2/3</td>"#), "{html}");
        assert!(!html.contains("Replica sets"), "{html}");
        let html = daemon_sets(snapshot.observed.as_deref().unwrap(), T0 + 60);
        assert!(html.contains(r#"<td class="name">agent</td>"#), "{html}");
    }

    #[test]
    fn secrets_show_their_type_and_key_count_and_no_value() {
        let snapshot = workloads(1);
        let html = config(snapshot.manifests.last_good.as_deref());
        assert!(
            !html.contains("hunter2") && !html.contains("admin"),
            "{html}"
        );
        assert!(
            !html.contains("fast"),
            "a ConfigMap's values stay off the page: {html}"
        );
        assert!(
            html.contains(r#"<td class="name">db</td><td class="">default</td><td class="">Secret</td><td class="mono">Opaque</td><td class="num">2</td>"#),
            "{html}"
        );
        assert!(
            html.contains(
                r#"<td class="">ConfigMap</td><td class="mono">—</td><td class="num">1</td>"#
            ),
            "{html}"
        );
    }
}
