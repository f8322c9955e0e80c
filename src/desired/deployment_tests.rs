//! The rollout step function, played out round by round.

use super::deployment::{rollout_step, suffix, template_hash, Decision, PodState};
use crate::manifest::{IntOrPercent, Strategy};

const SURGE_1: Strategy = Strategy::RollingUpdate {
    max_surge: IntOrPercent::Int(1),
    max_unavailable: IntOrPercent::Int(0),
};

fn pods(old_ready: usize, new_ready: usize, new_unready: usize) -> Vec<PodState> {
    let mut out = Vec::new();
    out.extend((0..new_unready).map(|_| PodState {
        new: true,
        ready: false,
    }));
    out.extend((0..old_ready).map(|_| PodState {
        new: false,
        ready: true,
    }));
    out.extend((0..new_ready).map(|_| PodState {
        new: true,
        ready: true,
    }));
    out
}

/// Plays a rollout to the end: each round applies the step (removals and
/// creations), checks the limits in every order they can land in, then
/// lets the new pods become ready. Returns the rounds taken.
fn play(replicas: usize, strategy: Strategy, max_total: usize, min_available: usize) -> usize {
    let mut state = pods(replicas, 0, 0);
    for round in 1..100 {
        let d = rollout_step(replicas as u32, strategy, false, &state);
        if d.is_empty() {
            assert!(state.iter().all(|p| p.new && p.ready), "stuck: {state:?}");
            assert_eq!(state.len(), replicas);
            return round;
        }
        let removed: Vec<PodState> = d.remove.iter().map(|&i| state[i]).collect();
        let kept: Vec<PodState> = (0..state.len())
            .filter(|i| !d.remove.contains(i))
            .map(|i| state[i])
            .collect();
        // Creations may land before removals: the total counts both.
        let worst_total = state.len() + d.create;
        assert!(
            worst_total <= max_total,
            "round {round}: {worst_total} pods"
        );
        let available = kept.iter().filter(|p| p.ready).count();
        assert!(
            available >= min_available,
            "round {round}: {available} available, removed {removed:?}"
        );
        state = kept;
        state.extend((0..d.create).map(|_| PodState {
            new: true,
            ready: false,
        }));
        // Time passes: the new pods run for minReadySeconds.
        for p in &mut state {
            p.ready = true;
        }
    }
    panic!("rollout never finished");
}

#[test]
fn rolling_three_replicas_with_surge_one_never_drops_below_three_or_exceeds_four() {
    let rounds = play(3, SURGE_1, 4, 3);
    assert!(rounds <= 8, "{rounds} rounds");
}

#[test]
fn rolling_with_the_default_25_percent_keeps_kubernetes_limits() {
    let default = Strategy::RollingUpdate {
        max_surge: IntOrPercent::Percent(25),
        max_unavailable: IntOrPercent::Percent(25),
    };
    // 10 replicas: surge 3 (rounded up), unavailable 2 (rounded down).
    play(10, default, 13, 8);
    // 3 replicas: surge 1, unavailable 0.
    play(3, default, 4, 3);
}

#[test]
fn rolling_with_unavailable_only_removes_before_creating() {
    let s = Strategy::RollingUpdate {
        max_surge: IntOrPercent::Int(0),
        max_unavailable: IntOrPercent::Int(1),
    };
    let d = rollout_step(3, s, false, &pods(3, 0, 0));
    assert_eq!(
        d,
        Decision {
            create: 0,
            remove: vec![0]
        }
    );
    play(3, s, 3, 2);
}

#[test]
fn the_first_step_of_a_surge_rollout_creates_one_and_removes_nothing() {
    let d = rollout_step(3, SURGE_1, false, &pods(3, 0, 0));
    assert_eq!(
        d,
        Decision {
            create: 1,
            remove: vec![]
        }
    );
    // The new pod not yet available: nothing to do but wait.
    assert!(rollout_step(3, SURGE_1, false, &pods(3, 0, 1)).is_empty());
    // Available: one old pod goes.
    let d = rollout_step(3, SURGE_1, false, &pods(3, 1, 0));
    assert_eq!(
        d,
        Decision {
            create: 0,
            remove: vec![0]
        }
    );
}

#[test]
fn an_unavailable_old_pod_goes_first() {
    let state = vec![
        PodState {
            new: false,
            ready: false,
        },
        PodState {
            new: false,
            ready: true,
        },
        PodState {
            new: false,
            ready: true,
        },
    ];
    let s = Strategy::RollingUpdate {
        max_surge: IntOrPercent::Int(1),
        max_unavailable: IntOrPercent::Int(1),
    };
    let d = rollout_step(3, s, false, &state);
    assert_eq!(d.remove, [0]);
}

#[test]
fn recreate_removes_every_old_pod_before_creating_new_ones() {
    let d = rollout_step(3, Strategy::Recreate, false, &pods(3, 0, 0));
    assert_eq!(
        d,
        Decision {
            create: 0,
            remove: vec![0, 1, 2]
        }
    );
    let d = rollout_step(3, Strategy::Recreate, false, &[]);
    assert_eq!(
        d,
        Decision {
            create: 3,
            remove: vec![]
        }
    );
}

#[test]
fn paused_makes_no_rollout_step_but_scales() {
    assert!(rollout_step(3, SURGE_1, true, &pods(3, 0, 0)).is_empty());
    assert!(rollout_step(3, Strategy::Recreate, true, &pods(3, 0, 0)).is_empty());
    // Scaling down still happens while paused.
    let d = rollout_step(2, SURGE_1, true, &pods(3, 0, 0));
    assert_eq!(
        d,
        Decision {
            create: 0,
            remove: vec![0]
        }
    );
    // With only current pods, paused scales up too.
    let d = rollout_step(5, SURGE_1, true, &pods(0, 3, 0));
    assert_eq!(
        d,
        Decision {
            create: 2,
            remove: vec![]
        }
    );
}

#[test]
fn without_old_pods_it_only_scales() {
    assert_eq!(rollout_step(3, SURGE_1, false, &[]).create, 3);
    assert_eq!(
        rollout_step(1, SURGE_1, false, &pods(0, 3, 0)).remove,
        [0, 1]
    );
    assert!(rollout_step(3, SURGE_1, false, &pods(0, 3, 0)).is_empty());
}

#[test]
fn names_are_short_stable_and_in_kubernetes_alphabet() {
    let t = crate::desired::test_rc("web", 1).template;
    let h = template_hash(&t);
    assert_eq!(h.len(), 10);
    assert_eq!(h, template_hash(&t));
    let s = suffix("web-abc", 0);
    assert_eq!(s.len(), 5);
    assert_eq!(s, suffix("web-abc", 0));
    assert_ne!(s, suffix("web-abc", 1));
    let alphabet = "bcdfghjkmnpqrstvwxz2456789";
    assert!(h.chars().chain(s.chars()).all(|c| alphabet.contains(c)));
    let mut changed = t.clone();
    changed.spec.containers[0].image = "busybox:2".into();
    assert_ne!(template_hash(&changed), h);
}

#[test]
fn offline_deployment_pods_are_named_by_template_hash_and_ordinal_suffix() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: i:1}]}\n";
    let loaded =
        crate::manifest::load_text(std::path::Path::new("d.yaml"), text, Default::default());
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    let hash = template_hash(&loaded.manifests.deployments[0].template);
    let pods = crate::desired::expand_offline(&loaded.manifests);
    let names: Vec<&str> = pods.iter().map(|p| p.name.as_str()).collect();
    let rs = format!("web-{hash}");
    let want: Vec<String> = (0..3).map(|n| format!("{rs}-{}", suffix(&rs, n))).collect();
    assert_eq!(names, want);
    assert_eq!(pods[0].labels.get("pod-template-hash"), Some(&hash));
    assert_eq!(pods[0].owner.as_deref(), Some("Deployment/web"));
}

mod expansion {
    use std::time::Duration;

    use crate::desired::{expand, Context};
    use crate::manifest::{load_text, Manifests};
    use crate::observed::{
        ContainerDetails, ContainerState, ContainerSummary, Observed, ObservedContainer,
        ObservedPod,
    };

    fn manifests(extra: &str) -> Manifests {
        let text = format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: 3\n  selector: {{matchLabels: {{app: web}}}}\n  strategy: {{rollingUpdate: {{maxSurge: 1, maxUnavailable: 0}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec: {{containers: [{{name: c, image: i:1}}]}}\n{extra}");
        let loaded = load_text(std::path::Path::new("d.yaml"), &text, Default::default());
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        loaded.manifests
    }

    fn container(created: i64) -> ObservedContainer {
        ObservedContainer {
            summary: ContainerSummary {
                id: "id".into(),
                name: "n".into(),
                image: "i:1".into(),
                labels: Default::default(),
                state: ContainerState::Running,
                created,
            },
            details: Some(ContainerDetails::default()),
            probe: Default::default(),
        }
    }

    fn pod(name: &str, spec_hash: &str, created: i64) -> ObservedPod {
        ObservedPod {
            project: "p".into(),
            namespace: "default".into(),
            name: name.into(),
            node: "local".into(),
            owner: Some("Deployment/web".into()),
            spec_hash: Some(spec_hash.into()),
            labels: Default::default(),
            last_applied: None,
            infra: Some(container(created)),
            containers: [("c".to_string(), container(created))].into(),
            node_problem: None,
            records: Vec::new(),
            init_containers: Default::default(),
        }
    }

    fn ctx(now: i64) -> Context<'static> {
        Context {
            project: "p",
            node: "local",
            infra_image: "pause:1",
            prune: true,
            now,
            min_ready: Duration::ZERO,
            nodes: &[],
        }
    }

    /// The spec hash the current template's pods have.
    fn new_hash(m: &Manifests) -> String {
        let pods = expand(m, &Observed::default(), &ctx(0)).pods;
        pods[0].hash("pause:1")
    }

    fn old_pods() -> Vec<ObservedPod> {
        (0..3)
            .map(|n| pod(&format!("web-old-{n}"), "old", 0))
            .collect()
    }

    #[test]
    fn a_changed_template_first_surges_one_new_pod() {
        let m = manifests("");
        let observed = Observed {
            pods: old_pods(),
            ..Default::default()
        };
        let d = expand(&m, &observed, &ctx(1000));
        assert_eq!(d.pods.len(), 4);
        assert!(d.removals.is_empty() && d.waiting.is_empty() && d.halted.is_empty());
    }

    #[test]
    fn a_rollout_waits_for_its_new_pod_then_fails_past_the_progress_deadline() {
        let m = manifests("  progressDeadlineSeconds: 60\n");
        let mut pods = old_pods();
        let mut new = pod("web-new-0", &new_hash(&m), 100);
        new.containers.get_mut("c").unwrap().summary.state = ContainerState::Created;
        pods.push(new);
        let observed = Observed {
            pods,
            ..Default::default()
        };
        let d = expand(&m, &observed, &ctx(130));
        assert_eq!(d.waiting.len(), 1, "{:?}", d.waiting);
        assert!(d.halted.is_empty());
        let d = expand(&m, &observed, &ctx(200));
        assert_eq!(d.halted.len(), 1);
        assert_eq!(
            d.halted[0].message,
            "deployment \"web\" exceeded its progress deadline"
        );
    }

    #[test]
    fn a_paused_deployment_makes_no_rollout_step() {
        let m = manifests("  paused: true\n");
        let observed = Observed {
            pods: old_pods(),
            ..Default::default()
        };
        let d = expand(&m, &observed, &ctx(1000));
        assert_eq!(d.pods.len(), 3);
        assert!(d.removals.is_empty() && d.waiting.is_empty());
    }

    #[test]
    fn records_name_the_deployment_and_its_replica_set() {
        let m = manifests("");
        let d = expand(&m, &Observed::default(), &ctx(0));
        let records: Vec<(&str, &str, u32)> = d
            .controllers
            .iter()
            .map(|c| (c.kind.as_str(), c.name.as_str(), c.replicas))
            .collect();
        let hash = super::template_hash(&m.deployments[0].template);
        let rs = format!("web-{hash}");
        assert_eq!(
            records,
            [("Deployment", "web", 3), ("ReplicaSet", rs.as_str(), 3)]
        );
    }
}

#[test]
fn a_changed_config_map_value_read_by_the_template_changes_its_hash() {
    use crate::manifest::{load_text, LoadOptions};
    let text = |level: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg}}\ndata: {{LEVEL: {level}}}\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  selector:\n    \
             matchLabels: {{app: web}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      \
             containers:\n      - name: app\n        image: i:1\n        env:\n        - name: LEVEL\n          \
             valueFrom: {{configMapKeyRef: {{name: cfg, key: LEVEL}}}}\n"
        )
    };
    let hash = |level: &str| {
        let loaded = load_text(
            std::path::Path::new("d.yaml"),
            &text(level),
            LoadOptions::default(),
        );
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        template_hash(&loaded.manifests.deployments[0].template)
    };
    assert_eq!(hash("info"), hash("info"));
    assert_ne!(
        hash("info"),
        hash("debug"),
        "a changed value rolls the Deployment"
    );
}
