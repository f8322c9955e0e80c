//! `berth delete pod|rc NAME`: removes what berth created for the object
//! (containers, the pod's volumes, a controller's record and pods), only
//! ever touching berth-labelled objects of the project.

use anyhow::bail;

use crate::cli::{DeleteArgs, GlobalArgs, Resource};
use crate::converge::{self, Settings, Verb};
use crate::engine::Engine;
use crate::observe::Depth;
use crate::observed::{Observed, ObservedController, ObservedPod};
use crate::report;

use super::live::{block_on, now};
use super::{ExitStatus, Io};

pub fn run(global: &GlobalArgs, args: &DeleteArgs, io: &mut Io<'_>) -> anyhow::Result<ExitStatus> {
    let kind = match args.resource {
        Resource::Pods => Kind::Pod,
        Resource::ReplicationControllers => Kind::Controller,
        other => {
            report::error_message(
                io.err,
                &format!("berth delete handles pods and rc, not {}", other.plural()),
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
        let target = Target {
            kind,
            namespace: &args.namespace,
            name: &args.name,
        };
        delete(&engines, &looked.observed, &global.infra_image, &target, io).await
    })?
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pod,
    Controller,
}

/// What to delete.
struct Target<'a> {
    kind: Kind,
    namespace: &'a str,
    name: &'a str,
}

impl Target<'_> {
    fn is_pod(&self, pod: &ObservedPod) -> bool {
        self.kind == Kind::Pod && pod.namespace == self.namespace && pod.name == self.name
    }

    fn is_controller(&self, rc: &ObservedController) -> bool {
        self.kind == Kind::Controller
            && rc.kind == crate::keys::KIND_RC
            && rc.namespace == self.namespace
            && rc.name == self.name
    }

    fn plural(&self) -> &'static str {
        match self.kind {
            Kind::Pod => "pods",
            Kind::Controller => "replicationcontrollers",
        }
    }

    fn object(&self) -> String {
        match self.kind {
            Kind::Pod => format!("pod {}/{}", self.namespace, self.name),
            Kind::Controller => format!("replicationcontroller {}/{}", self.namespace, self.name),
        }
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
        match (change.verb, change.object.split_once(' ')) {
            (Verb::Removed, Some(("pod", key))) => {
                writeln!(io.out, "pod {:?} deleted", name_of(key))?
            }
            (Verb::Removed, Some(("rc", key))) => {
                writeln!(io.out, "replicationcontroller {:?} deleted", name_of(key))?
            }
            (Verb::Failed, _) => {
                report::error_message(io.err, &format!("{}: {}", change.object, change.detail))?
            }
            _ => {}
        }
    }
    if !outcome.failures.is_empty() {
        return Ok(ExitStatus::Failure);
    }
    let note = match owner
        .as_deref()
        .and_then(|o| o.strip_prefix("ReplicationController/"))
    {
        Some(rc) => format!(
            "replicationcontroller {}/{rc} owns {}; the next apply recreates it",
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
                &Target {
                    kind: Kind::Pod,
                    namespace: "default",
                    name: "web",
                },
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
                &Target {
                    kind: Kind::Pod,
                    namespace: "default",
                    name: "nope",
                },
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
