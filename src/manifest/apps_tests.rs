//! Decoding and validation of apps/v1 Deployment and ReplicaSet.

use std::path::Path;

use super::apps::{IntOrPercent, Strategy};
use super::{load_text, LoadOptions, Loaded};

fn load(text: &str) -> Loaded {
    load_text(Path::new("d.yaml"), text, LoadOptions::default())
}

fn errors(text: &str) -> Vec<String> {
    load(text)
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            format!(
                "{}:{}: {}: {}",
                d.source.line, d.source.column, d.path, d.message
            )
        })
        .collect()
}

fn deployment(spec_extra: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec: {{containers: [{{name: c, image: i:1}}]}}\n{spec_extra}"
    )
}

#[test]
fn a_deployment_loads_with_kubernetes_defaults() {
    let loaded = load(&deployment(""));
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let d = &loaded.manifests.deployments[0];
    assert_eq!(d.replicas, 1);
    assert_eq!(d.progress_deadline_seconds, 600);
    assert_eq!(d.revision_history_limit, 10);
    assert!(!d.paused);
    assert_eq!(
        d.strategy,
        Strategy::RollingUpdate {
            max_surge: IntOrPercent::Percent(25),
            max_unavailable: IntOrPercent::Percent(25)
        }
    );
}

#[test]
fn surge_rounds_up_and_unavailable_rounds_down() {
    // (replicas, percent, surge, unavailable)
    let table = [
        (3, 25, 1, 0),
        (4, 25, 1, 1),
        (10, 25, 3, 2),
        (1, 25, 1, 0),
        (0, 25, 0, 0),
        (3, 50, 2, 1),
        (5, 100, 5, 5),
    ];
    for (replicas, pct, surge, unavailable) in table {
        let p = IntOrPercent::Percent(pct);
        assert_eq!(
            p.scaled(replicas, true),
            surge,
            "surge {pct}% of {replicas}"
        );
        assert_eq!(
            p.scaled(replicas, false),
            unavailable,
            "unavailable {pct}% of {replicas}"
        );
    }
    assert_eq!(IntOrPercent::Int(2).scaled(10, false), 2);
    // Both rounding to zero leaves one pod unavailable, as in Kubernetes.
    let pct = IntOrPercent::Percent(10);
    assert_eq!(
        Strategy::rolling_limits(IntOrPercent::Int(0), pct, 3),
        (0, 1)
    );
}

#[test]
fn rolling_update_reads_ints_and_percentages() {
    let loaded = load(&deployment(
        "  replicas: 3\n  strategy:\n    type: RollingUpdate\n    rollingUpdate: {maxSurge: 1, maxUnavailable: \"0%\"}\n",
    ));
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    assert_eq!(
        loaded.manifests.deployments[0].strategy,
        Strategy::RollingUpdate {
            max_surge: IntOrPercent::Int(1),
            max_unavailable: IntOrPercent::Percent(0)
        }
    );
}

#[test]
fn max_surge_and_max_unavailable_both_zero_is_an_error() {
    let e = errors(&deployment(
        "  strategy:\n    rollingUpdate: {maxSurge: 0, maxUnavailable: 0}\n",
    ));
    assert_eq!(
        e,
        ["11:50: spec.strategy.rollingUpdate.maxUnavailable: may not be 0 when `maxSurge` is 0"]
    );
}

#[test]
fn recreate_with_rolling_update_parameters_is_an_error() {
    let e = errors(&deployment(
        "  strategy:\n    type: Recreate\n    rollingUpdate: {maxSurge: 1}\n",
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].contains("spec.strategy.rollingUpdate: may not be specified"),
        "{e:?}"
    );
    let ok = load(&deployment("  strategy: {type: Recreate}\n"));
    assert_eq!(ok.manifests.deployments[0].strategy, Strategy::Recreate);
}

#[test]
fn a_bad_percentage_names_its_field() {
    let e = errors(&deployment(
        "  strategy:\n    rollingUpdate: {maxSurge: 25pc}\n",
    ));
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("11:31: spec.strategy.rollingUpdate.maxSurge: invalid value \"25pc\""),
        "{e:?}"
    );
}

#[test]
fn selector_that_does_not_select_the_template_is_refused_at_the_labels() {
    let text = deployment("").replace("matchLabels: {app: web}", "matchLabels: {app: db}");
    let e = errors(&text);
    assert_eq!(
        e,
        ["8:24: spec.template.metadata.labels: selector does not match template labels (spec.selector is app=db)"]
    );
}

#[test]
fn match_expressions_select_with_in_notin_exists_and_does_not_exist() {
    let text = deployment("").replace(
        "matchLabels: {app: web}",
        "matchExpressions:\n    - {key: app, operator: In, values: [web, api]}\n    - {key: tier, operator: NotIn, values: [db]}\n    - {key: app, operator: Exists}\n    - {key: legacy, operator: DoesNotExist}",
    );
    let loaded = load(&text);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let s = loaded.manifests.deployments[0].selector.to_string();
    assert!(
        s.contains("app in (api,web)") && s.contains("!legacy"),
        "{s}"
    );
    let bad = text.replace("operator: In, values: [web, api]", "operator: In");
    let e = errors(&bad);
    assert!(
        e.iter()
            .any(|e| e.contains("spec.selector.matchExpressions[0].values: must be specified")),
        "{e:?}"
    );
    let bad = text.replace("operator: Exists}", "operator: Exists, values: [x]}");
    assert!(errors(&bad)
        .iter()
        .any(|e| e.contains("may not be specified when `operator` is 'Exists'")));
    let bad = text.replace("operator: DoesNotExist", "operator: Nope");
    assert!(errors(&bad)
        .iter()
        .any(|e| e.contains("matchExpressions[3].operator: unsupported value \"Nope\"")));
}

#[test]
fn the_selector_is_required_and_unknown_fields_are_errors() {
    let text = deployment("").replace("  selector:\n    matchLabels: {app: web}\n", "");
    assert_eq!(
        errors(&text),
        ["5:3: spec.selector: required field is missing"]
    );
    let e = errors(&deployment("  replica: 3\n"));
    assert!(
        e.iter()
            .any(|e| e.contains("unknown field \"replica\" (did you mean \"replicas\"?)")),
        "{e:?}"
    );
}

#[test]
fn a_replica_set_loads_with_its_selector() {
    let text = deployment("  replicas: 2\n").replace("kind: Deployment", "kind: ReplicaSet");
    let loaded = load(&text);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    assert_eq!(loaded.manifests.replica_sets[0].replicas, 2);
    let e = errors(&deployment("  paused: true\n").replace("kind: Deployment", "kind: ReplicaSet"));
    assert!(
        e.iter().any(|e| e.contains("unknown field \"paused\"")),
        "{e:?}"
    );
}

#[test]
fn progress_deadline_must_exceed_min_ready() {
    let e = errors(&deployment(
        "  minReadySeconds: 10\n  progressDeadlineSeconds: 10\n",
    ));
    assert!(
        e.iter()
            .any(|e| e
                .contains("spec.progressDeadlineSeconds: must be greater than minReadySeconds")),
        "{e:?}"
    );
}

mod daemon_sets {
    use super::{errors, load};
    use crate::manifest::{DaemonSetStrategy, IntOrPercent};

    fn ds(spec_extra: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: agent}}\nspec:\n  selector:\n    matchLabels: {{app: agent}}\n  template:\n    metadata: {{labels: {{app: agent}}}}\n    spec: {{containers: [{{name: c, image: i:1}}]}}\n{spec_extra}"
        )
    }

    #[test]
    fn a_daemon_set_loads_with_kubernetes_defaults() {
        let loaded = load(&ds("  minReadySeconds: 5\n"));
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let d = &loaded.manifests.daemon_sets[0];
        assert_eq!(d.min_ready_seconds, 5);
        assert_eq!(
            d.strategy,
            DaemonSetStrategy::RollingUpdate {
                max_unavailable: IntOrPercent::Int(1)
            }
        );
        let loaded = load(&ds(
            "  updateStrategy:\n    rollingUpdate: {maxUnavailable: 50%}\n",
        ));
        assert_eq!(
            loaded.manifests.daemon_sets[0].strategy,
            DaemonSetStrategy::RollingUpdate {
                max_unavailable: IntOrPercent::Percent(50)
            }
        );
        let loaded = load(&ds("  updateStrategy: {type: OnDelete}\n"));
        assert_eq!(
            loaded.manifests.daemon_sets[0].strategy,
            DaemonSetStrategy::OnDelete
        );
    }

    #[test]
    fn daemon_set_errors_are_reported_as_the_api_server_words_them() {
        assert_eq!(
            errors(&ds("  updateStrategy: {type: Always}\n")),
            ["10:26: spec.updateStrategy.type: unsupported value \"Always\": supported values: \"OnDelete\", \"RollingUpdate\""]
        );
        assert_eq!(
            errors(&ds("  updateStrategy:\n    rollingUpdate: {maxUnavailable: 0}\n")),
            ["11:37: spec.updateStrategy.rollingUpdate.maxUnavailable: may not be 0 when `maxSurge` is 0"]
        );
        assert_eq!(
            errors(&ds("  updateStrategy:\n    rollingUpdate: {maxUnavailable: 150%}\n")),
            ["11:37: spec.updateStrategy.rollingUpdate.maxUnavailable: must not be greater than 100%"]
        );
        assert_eq!(
            errors(&ds("  updateStrategy:\n    type: OnDelete\n    rollingUpdate: {maxUnavailable: 1}\n")),
            ["12:20: spec.updateStrategy.rollingUpdate: may not be specified when strategy `type` is 'OnDelete'"]
        );
        let replicas = errors(&ds("  replicas: 3\n"));
        assert_eq!(replicas.len(), 1, "{replicas:?}");
        assert!(replicas[0].contains("spec.replicas"), "{replicas:?}");
        let unmatched =
            errors(&ds("").replace("matchLabels: {app: agent}", "matchLabels: {app: x}"));
        assert_eq!(unmatched.len(), 1, "{unmatched:?}");
        assert!(unmatched[0].contains("selector does not match template labels"));
        let no_selector =
            errors(&ds("").replace("  selector:\n    matchLabels: {app: agent}\n", ""));
        assert_eq!(no_selector.len(), 1, "{no_selector:?}");
        assert!(no_selector[0].contains("spec.selector"), "{no_selector:?}");
    }
}
