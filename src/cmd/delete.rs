//! `berth delete pod|rc|deploy|rs|ds NAME`: removes what berth created
//! for the object (containers, the pod's volumes, a controller's record
//! and pods; a Deployment's ReplicaSets with it), only ever touching
//! berth-labelled objects of the project.

use anyhow::bail;

use crate::cli::{DeleteArgs, GlobalArgs, Resource};
use crate::converge::{self, Settings, Verb};
use crate::desired::deployment::POD_TEMPLATE_HASH;
use crate::engine::Engine;
use crate::keys;
use crate::observe::Depth;
use crate::observed::{Observed, ObservedController, ObservedPod};
use crate::report;

use super::live::{block_on, now};
use super::{ExitStatus, Io};

pub fn run(global: &GlobalArgs, args: &DeleteArgs, io: &mut Io<'_>) -> anyhow::Result<ExitStatus> {
    let kind = match args.resource {
        Resource::Pods => Kind::Pod,
        Resource::ReplicationControllers => Kind::Controller(keys::KIND_RC),
        Resource::Deployments => Kind::Controller(keys::KIND_DEPLOYMENT),
        Resource::ReplicaSets => Kind::Controller(keys::KIND_REPLICA_SET),
        Resource::DaemonSets => Kind::Controller(keys::KIND_DAEMON_SET),
        other => {
            report::error_message(
                io.err,
                &format!(
                    "berth delete handles pods, rc, deploy, rs and ds, not {}",
                    other.plural()
                ),
            )?;
            return Ok(ExitStatus::Error);
        }
    };
    let project = global.project.as_deref();
    let options = global.node_options();
    block_on(async {
        // The object may have pods (and its controller records) on every
        // node: each answering node's engine removes its own.
        let connected = crate::nodes::discover(&options, project, now()).await;
        let looked =
            super::get_live::look_all(&connected, project, Depth::Quick, false, now()).await?;
        for warning in looked.unreachable.iter().chain(&looked.failed) {
            report::warning(io.err, warning)?;
        }
        let engines: Vec<&crate::engine::DockerEngine> = connected
            .members
            .iter()
            .filter(|(_, status)| status.is_reachable())
            .filter_map(|(engine, _)| engine.as_ref())
            .collect();
        let target = Target::new(kind, &args.namespace, &args.name);
        delete(&engines, &looked.observed, &global.infra_image, &target, io).await
    })?
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pod,
    /// A controller of this record kind (`keys::KIND_*`).
    Controller(&'static str),
}

/// What to delete.
struct Target<'a> {
    kind: Kind,
    namespace: &'a str,
    name: &'a str,
    /// A Deployment's ReplicaSet: its pods carry the Deployment as owner
    /// and the ReplicaSet's template hash (owner, hash).
    set_pods: Option<(String, String)>,
}

impl<'a> Target<'a> {
    fn new(kind: Kind, namespace: &'a str, name: &'a str) -> Target<'a> {
        Target {
            kind,
            namespace,
            name,
            set_pods: None,
        }
    }

    /// For a Deployment's ReplicaSet in `project`: whose pods it has.
    fn set_pods_in(&self, observed: &Observed, project: &str) -> Option<(String, String)> {
        if self.kind != Kind::Controller(keys::KIND_REPLICA_SET) {
            return None;
        }
        let set = observed
            .controllers
            .iter()
            .find(|c| c.project == project && self.is_named(c))?;
        Some((set.owner.clone()?, set.template_hash.clone()))
    }

    fn is_pod(&self, pod: &ObservedPod) -> bool {
        let named = self.kind == Kind::Pod && pod.name == self.name;
        let of_set = self.set_pods.as_ref().is_some_and(|(owner, hash)| {
            pod.owner.as_ref() == Some(owner) && pod.labels.get(POD_TEMPLATE_HASH) == Some(hash)
        });
        pod.namespace == self.namespace && (named || of_set)
    }

    /// The record of the object itself.
    fn is_named(&self, c: &ObservedController) -> bool {
        matches!(self.kind, Kind::Controller(kind) if kind == c.kind)
            && c.namespace == self.namespace
            && c.name == self.name
    }

    /// Its record, and for a Deployment its ReplicaSets' records.
    fn is_controller(&self, c: &ObservedController) -> bool {
        let deployment = format!("{}/{}", keys::KIND_DEPLOYMENT, self.name);
        let set_of_deployment = self.kind == Kind::Controller(keys::KIND_DEPLOYMENT)
            && c.kind == keys::KIND_REPLICA_SET
            && c.namespace == self.namespace
            && c.owner.as_deref() == Some(deployment.as_str());
        self.is_named(c) || set_of_deployment
    }

    fn singular(&self) -> &'static str {
        match self.kind {
            Kind::Pod => "pod",
            Kind::Controller(kind) => kind_singular(kind),
        }
    }

    fn plural(&self) -> String {
        match self.kind {
            Kind::Controller(keys::KIND_RC) => "replicationcontrollers".into(),
            Kind::Controller(kind) => {
                let (name, group) = kind_singular(kind).split_once('.').unwrap_or((kind, ""));
                format!("{name}s.{group}")
            }
            Kind::Pod => "pods".into(),
        }
    }

    fn object(&self) -> String {
        format!("{} {}/{}", self.singular(), self.namespace, self.name)
    }
}

/// kubectl's name of a kind in messages: `deployment.apps`.
fn kind_singular(kind: &str) -> &'static str {
    match kind {
        keys::KIND_DEPLOYMENT => "deployment.apps",
        keys::KIND_REPLICA_SET => "replicaset.apps",
        keys::KIND_DAEMON_SET => "daemonset.apps",
        keys::KIND_RC => "replicationcontroller",
        _ => "pod",
    }
}

/// The kind behind `plan::short_kind` (`rc`, `deployment`, `rs`,
/// `daemonset`) in a change's object.
fn short_kind_singular(short: &str) -> Option<&'static str> {
    match short {
        "pod" => Some("pod"),
        "rc" => Some("replicationcontroller"),
        "deployment" => Some("deployment.apps"),
        "rs" => Some("replicaset.apps"),
        "daemonset" => Some("daemonset.apps"),
        _ => None,
    }
}

/// The one project a (namespace, name) lives in, or why there is not one.
fn one_project<'a>(mut projects: Vec<&'a str>, what: &str) -> anyhow::Result<Option<&'a str>> {
    projects.sort();
    projects.dedup();
    match projects.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        many => bail!(
            "{what} exists in several projects ({}); choose one with --project",
            many.join(", ")
        ),
    }
}

/// Finds the object's project, removes it through `converge::delete` (a
/// controller with the pods it owns) and says what the next apply does.
async fn delete<E: Engine>(
    engines: &[&E],
    observed: &Observed,
    infra_image: &str,
    target: &Target<'_>,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    let pods = observed
        .pods
        .iter()
        .filter(|p| target.is_pod(p))
        .map(|p| p.project.as_str());
    let controllers = observed
        .controllers
        .iter()
        .filter(|c| target.is_controller(c))
        .map(|c| c.project.as_str());
    let Some(project) = one_project(pods.chain(controllers).collect(), &target.object())? else {
        report::error_message(
            io.err,
            &format!("{} {:?} not found", target.plural(), target.name),
        )?;
        return Ok(ExitStatus::Failure);
    };
    let target = &Target {
        set_pods: target.set_pods_in(observed, project),
        ..*target
    };
    let owner = observed
        .pods
        .iter()
        .find(|p| p.project == project && target.is_pod(p))
        .and_then(|p| p.owner.clone());
    let mut settings = Settings::new(project);
    settings.infra_image = infra_image.to_string();
    let mut outcome = converge::Outcome::default();
    let mut said = std::collections::BTreeSet::new();
    for engine in engines {
        let one = converge::delete(
            *engine,
            &settings,
            &|p| target.is_pod(p),
            &|c| target.is_controller(c),
            &mut |_| {},
        )
        .await?;
        // A controller's record is on every node: say its removal once.
        for change in one.changes {
            if said.insert((change.verb.as_str(), change.object.clone())) {
                outcome.changes.push(change);
            }
        }
        outcome.failures.extend(one.failures);
    }
    for change in &outcome.changes {
        let (short, key) = change.object.split_once(' ').unwrap_or_default();
        match (change.verb, short_kind_singular(short)) {
            (Verb::Removed, Some(kind)) => writeln!(io.out, "{kind} {:?} deleted", name_of(key))?,
            (Verb::Failed, _) => {
                report::error_message(io.err, &format!("{}: {}", change.object, change.detail))?
            }
            _ => {}
        }
    }
    if !outcome.failures.is_empty() {
        return Ok(ExitStatus::Failure);
    }
    let owner = owner.or_else(|| {
        let set = observed
            .controllers
            .iter()
            .find(|c| c.project == project && target.is_named(c));
        set.and_then(|c| c.owner.clone())
    });
    let note = match owner.as_deref().and_then(|o| o.split_once('/')) {
        Some((kind, name)) => format!(
            "{} {}/{name} owns {}; the next apply recreates it",
            kind_singular(kind),
            target.namespace,
            target.object()
        ),
        None => format!(
            "the manifest still declares {}; the next apply brings it back unless you remove it",
            target.object()
        ),
    };
    report::note(io.err, &note)?;
    Ok(ExitStatus::Success)
}

/// `web` of `default/web`.
fn name_of(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::super::objects::fixtures;
    use super::*;
    use crate::converge::{self, Settings};
    use crate::engine::FakeEngine;
    use crate::manifest::{EmptyDirSource, Manifests, Volume, VolumeSource};

    /// Project `p` with pods `web` (an emptyDir) and `db`, converged on a fake engine.
    async fn engine_with_pods() -> FakeEngine {
        let engine = FakeEngine::new();
        engine.add_image("busybox:1");
        engine.add_image(crate::cli::DEFAULT_INFRA_IMAGE);
        let mut web = fixtures::pod("default", "web", &[]);
        web.spec.volumes = vec![Volume {
            name: "cache".into(),
            source: VolumeSource::EmptyDir(EmptyDirSource {
                medium: String::new(),
                size_limit: None,
            }),
            files: Vec::new(),
        }];
        let manifests = Manifests {
            pods: vec![web, fixtures::pod("default", "db", &[])],
            ..Default::default()
        };
        converge::apply(&engine, &manifests, &Settings::new("p"), &mut |_| {})
            .await
            .unwrap();
        engine
    }

    #[test]
    fn deleting_a_pod_removes_its_containers_and_volumes_and_nothing_else() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let (status, names, volumes) = crate::cmd::live::block_on(async {
            let engine = engine_with_pods().await;
            assert_eq!(engine.volumes().len(), 1);
            let observed = crate::observe::observe(
                &engine,
                Some("p"),
                &mut crate::observe::InspectCache::default(),
            )
            .await
            .unwrap();
            let mut io = Io {
                out: &mut out,
                err: &mut err,
            };
            let status = delete(
                &[&engine],
                &observed,
                "img",
                &Target::new(Kind::Pod, "default", "web"),
                &mut io,
            )
            .await
            .unwrap();
            (status, engine.container_names(), engine.volumes())
        })
        .unwrap();
        assert_eq!(status, ExitStatus::Success);
        assert_eq!(String::from_utf8(out).unwrap(), "pod \"web\" deleted\n");
        assert!(String::from_utf8(err)
            .unwrap()
            .contains("the next apply brings it back"));
        assert!(names.iter().all(|n| !n.contains("_web_")), "{names:?}");
        assert!(names.iter().any(|n| n.contains("_db_")), "{names:?}");
        assert!(volumes.is_empty(), "{volumes:?}");
    }

    #[test]
    fn deleting_a_missing_pod_is_not_found_with_exit_1() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let status = crate::cmd::live::block_on(async {
            let engine = engine_with_pods().await;
            let observed = crate::observe::observe(
                &engine,
                Some("p"),
                &mut crate::observe::InspectCache::default(),
            )
            .await
            .unwrap();
            let mut io = Io {
                out: &mut out,
                err: &mut err,
            };
            delete(
                &[&engine],
                &observed,
                "img",
                &Target::new(Kind::Pod, "default", "nope"),
                &mut io,
            )
            .await
            .unwrap()
        })
        .unwrap();
        assert_eq!(status, ExitStatus::Failure);
        assert!(String::from_utf8(err)
            .unwrap()
            .contains("pods \"nope\" not found"));
    }

    /// Deployment `web` (2 pods), ReplicationController `web` (1 pod) and
    /// DaemonSet `web` (1 pod), converged on a fake engine; then `target`
    /// deleted. (exit, stdout,
    /// stderr, the containers left).
    fn delete_beside_an_rc_of_the_same_name(
        target: Target<'_>,
    ) -> (ExitStatus, String, String, Vec<String>) {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: 'busybox:1'}]}\n---\napiVersion: v1\nkind: ReplicationController\nmetadata: {name: web}\nspec:\n  replicas: 1\n  selector: {app: old}\n  template:\n    metadata: {labels: {app: old}}\n    spec: {containers: [{name: c, image: 'busybox:1'}]}\n---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec: {containers: [{name: c, image: 'busybox:1'}]}\n";
        let loaded =
            crate::manifest::load_text(std::path::Path::new("web.yaml"), text, Default::default());
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let (status, names) = crate::cmd::live::block_on(async {
            let engine = FakeEngine::new();
            engine.add_image("busybox:1");
            engine.add_image(crate::cli::DEFAULT_INFRA_IMAGE);
            let settings = Settings::new("p");
            converge::apply(&engine, &loaded.manifests, &settings, &mut |_| {})
                .await
                .unwrap();
            let observed = crate::observe::observe(
                &engine,
                Some("p"),
                &mut crate::observe::InspectCache::default(),
            )
            .await
            .unwrap();
            let mut io = Io {
                out: &mut out,
                err: &mut err,
            };
            let status = delete(&[&engine], &observed, "img", &target, &mut io)
                .await
                .unwrap();
            (status, engine.container_names())
        })
        .unwrap();
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
        (status, text(out), text(err), names)
    }

    #[test]
    fn deleting_a_deployment_takes_its_replica_sets_and_pods_but_not_an_rc_of_that_name() {
        let target = Target::new(Kind::Controller(keys::KIND_DEPLOYMENT), "default", "web");
        let (status, out, err, names) = delete_beside_an_rc_of_the_same_name(target);
        assert_eq!(status, ExitStatus::Success);
        assert!(out.contains("deployment.apps \"web\" deleted"), "{out}");
        assert!(out.contains("replicaset.apps \"web-"), "{out}");
        assert_eq!(out.matches("pod \"web-").count(), 2, "{out}");
        assert!(err.contains("the manifest still declares deployment.apps default/web"));
        let pods = |prefix: &str| names.iter().filter(|n| n.contains(prefix)).count();
        // What is left is the RC's pod (infra and member) and its record,
        // and the DaemonSet's pod and record.
        assert_eq!(pods("_web-0_"), 2, "{names:?}");
        assert!(names
            .iter()
            .all(|n| !n.ends_with("_DEPLOY") && !n.ends_with("_RS")));
        assert!(names.iter().any(|n| n.ends_with("_DS")), "{names:?}");
        assert_eq!(names.len(), 6, "{names:?}");
    }

    #[test]
    fn a_deployments_replica_set_is_deleted_with_its_pods_and_the_deployment_recreates_it() {
        let (_, out, _, _) = delete_beside_an_rc_of_the_same_name(Target::new(
            Kind::Controller(keys::KIND_DEPLOYMENT),
            "default",
            "nope",
        ));
        assert!(out.is_empty(), "{out}");
        let (status, _, err, before) = delete_beside_an_rc_of_the_same_name(Target::new(
            Kind::Controller(keys::KIND_DAEMON_SET),
            "default",
            "nope",
        ));
        assert_eq!(status, ExitStatus::Failure);
        assert!(err.contains("daemonsets.apps \"nope\" not found"), "{err}");
        let set = before
            .iter()
            .find_map(|n| n.strip_suffix("_RS"))
            .and_then(|n| n.rsplit('_').next())
            .expect("a ReplicaSet record")
            .to_string();
        let target = Target::new(Kind::Controller(keys::KIND_REPLICA_SET), "default", &set);
        let (status, out, err, names) = delete_beside_an_rc_of_the_same_name(target);
        assert_eq!(status, ExitStatus::Success);
        assert!(
            out.contains(&format!("replicaset.apps {set:?} deleted")),
            "{out}"
        );
        assert_eq!(out.matches("pod \"web-").count(), 2, "{out}");
        assert!(
            err.contains("deployment.apps default/web owns replicaset.apps"),
            "{err}"
        );
        assert!(names.iter().any(|n| n.ends_with("_DEPLOY")), "{names:?}");
    }

    #[test]
    fn deleting_a_daemon_set_takes_its_pod_and_record_only() {
        let target = Target::new(Kind::Controller(keys::KIND_DAEMON_SET), "default", "web");
        let (status, out, _, names) = delete_beside_an_rc_of_the_same_name(target);
        assert_eq!(status, ExitStatus::Success);
        assert!(out.contains("daemonset.apps \"web\" deleted"), "{out}");
        assert_eq!(out.matches("pod \"").count(), 1, "{out}");
        assert!(names.iter().all(|n| !n.ends_with("_DS")), "{names:?}");
        assert!(names.iter().any(|n| n.ends_with("_DEPLOY")), "{names:?}");
        assert!(names.iter().any(|n| n.contains("_web-0_")), "{names:?}");
    }

    #[test]
    fn a_pod_name_in_two_projects_needs_a_project() {
        let error = one_project(vec!["a", "b", "a"], "pod default/web")
            .unwrap_err()
            .to_string();
        assert!(error.contains("several projects (a, b)"), "{error}");
        assert_eq!(one_project(vec!["a", "a"], "x").unwrap(), Some("a"));
        assert_eq!(one_project(vec![], "x").unwrap(), None);
    }
}
