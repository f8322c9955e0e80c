//! `describe deploy|rs|ds|secret` as text, on records and pods built in
//! memory.

use std::path::Path;

use serde_json::json;

use super::*;
use crate::manifest::Manifests;
use crate::observed::{ObservedController, ObservedPod};
use crate::status::fixtures::{container, pod, T0};

fn record(kind: &str, name: &str, owner: Option<&str>, replicas: u32) -> ObservedController {
    let template = json!({
        "metadata": { "labels": { "app": "web" } },
        "spec": {
            "containers": [{ "name": "app", "image": "busybox:test", "imagePullPolicy": "IfNotPresent" }],
            "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
        },
    });
    ObservedController {
        kind: kind.into(),
        owner: owner.map(String::from),
        project: "demo".into(),
        namespace: "default".into(),
        name: name.into(),
        replicas,
        selector: [("app".to_string(), "web".to_string())].into(),
        template_hash: "abc".into(),
        template_json: Some(template.to_string()),
        container_id: format!("{name}-record"),
        created: T0,
        node: String::new(),
    }
}

fn running(name: &str, owner: &str, label: &str) -> ObservedPod {
    let mut p = pod(name)
        .spec(json!({ "containers": [{ "name": "app", "image": "busybox:test" }] }))
        .with(container(&format!("{name}-app"), "app").running(1))
        .build();
    p.owner = Some(owner.into());
    p.labels.insert("app".into(), "web".into());
    p.labels.insert(label.into(), "abc".into());
    p
}

/// Deployment `web` of 3 with ReplicaSet `web-abc` and 2 running pods;
/// DaemonSet `agent` with 1.
fn observed() -> Observed {
    let hash = "pod-template-hash";
    Observed {
        pods: vec![
            running("web-abc-1", "Deployment/web", hash),
            running("web-abc-2", "Deployment/web", hash),
            running("agent-1", "DaemonSet/agent", "controller-revision-hash"),
        ],
        controllers: vec![
            record(keys::KIND_DEPLOYMENT, "web", None, 3),
            record(keys::KIND_REPLICA_SET, "web-abc", Some("Deployment/web"), 3),
            record(keys::KIND_DAEMON_SET, "agent", None, 1),
        ],
        ..Observed::default()
    }
}

fn render(fields: &[Field]) -> String {
    let mut out = Vec::new();
    report::fields(&mut out, fields).unwrap();
    String::from_utf8(out).unwrap()
}

fn object(resource: Resource, name: &str) -> Value {
    let listing = listing(resource, &observed(), "default", T0 + 60);
    let item = listing.items.into_iter().find(|i| i.name == name);
    item.expect("the object is listed").json
}

fn loaded(text: &str) -> Manifests {
    let loaded = crate::manifest::load_text(Path::new("m.yaml"), text, Default::default());
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    loaded.manifests
}

#[test]
fn a_deployment_reads_like_kubectl_describe_with_its_declared_strategy() {
    let manifests = loaded(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n  \
         strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1}}\n  selector: {matchLabels: {app: web}}\n  \
         template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: app, image: 'busybox:test'}]}\n",
    );
    let mut web = object(Resource::Deployments, "web");
    let sets = listing_sets(&observed(), T0 + 60);
    let without = render(&deployment_fields(&web, &sets));
    assert!(!without.contains("StrategyType"), "{without}");
    apps::add_declared(&mut web, &manifests.deployments[0]);
    let text = render(&deployment_fields(&web, &sets));
    for line in [
        "Name:                   web\n",
        "Selector:               app=web\n",
        "Replicas:               3 desired | 2 updated | 2 total | 2 available | 1 unavailable\n",
        "StrategyType:           RollingUpdate\n",
        "MinReadySeconds:        0\n",
        "RollingUpdateStrategy:  25% max unavailable, 1 max surge\n",
        "Pod Template:\n  Labels:  app=web\n  Containers:\n   app:\n    Image:",
        "  Type         Status  Reason\n  ----         ------  ------\n  Available    False   MinimumReplicasUnavailable\n  Progressing  True    ReplicaSetUpdated\n",
        "OldReplicaSets:         <none>\n",
        "NewReplicaSet:          web-abc (2/3 replicas created)\n",
        "Events:                 <none>\n",
    ] {
        assert!(text.contains(line), "no {line:?} in:\n{text}");
    }
}

#[test]
fn a_replica_set_and_a_daemon_set_count_their_pods() {
    let rs = render(&replica_set_fields(
        &object(Resource::ReplicaSets, "web-abc"),
        &observed(),
        T0 + 60,
    ));
    for line in [
        "Controlled By:      Deployment/web\n",
        "Replicas:           2 current / 3 desired\n",
        "Pods Status:        2 Running / 0 Waiting / 0 Succeeded / 0 Failed\n",
    ] {
        assert!(rs.contains(line), "no {line:?} in:\n{rs}");
    }
    let ds = render(&daemon_set_fields(
        &object(Resource::DaemonSets, "agent"),
        &observed(),
        T0 + 60,
    ));
    for line in [
        "Node-Selector:",
        "Desired Number of Nodes Scheduled:               1\n",
        "Number of Nodes Misscheduled:                    0\n",
        "Pods Status:                                     1 Running / 0 Waiting",
    ] {
        assert!(ds.contains(line), "no {line:?} in:\n{ds}");
    }
}

#[test]
fn describe_secret_prints_each_keys_size_and_never_a_value() {
    let manifests = loaded(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: hunter2}\n---\n\
         apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: fast}\n",
    );
    let describe = |resource: Resource, name: &str| {
        let args = DescribeArgs {
            resource,
            name: name.into(),
            namespace: "default".into(),
            files: vec![],
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut io = Io {
            out: &mut out,
            err: &mut err,
        };
        let status = crate::cmd::describe_config::run(&args, &manifests, &mut io).unwrap();
        (status, String::from_utf8(out).unwrap())
    };
    let (status, secret) = describe(Resource::Secrets, "db");
    assert_eq!(status, ExitStatus::Success);
    assert!(!secret.contains("hunter2"), "{secret}");
    assert!(secret.contains("Type:"), "{secret}");
    assert!(
        secret.ends_with("\nData\n====\npassword:  7 bytes\n"),
        "{secret}"
    );
    let (_, config) = describe(Resource::ConfigMaps, "settings");
    assert!(
        config.contains("Data\n====\nmode:\n----\nfast\n"),
        "{config}"
    );
    let (status, _) = describe(Resource::Secrets, "nope");
    assert_eq!(status, ExitStatus::Failure);
}
