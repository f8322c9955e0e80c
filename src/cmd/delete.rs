//! `berth delete pod|rc NAME`: removes what berth created for the object
//! (containers, the pod's volumes, a controller's record and pods), only
//! ever touching berth-labelled objects of the project.

use anyhow::bail;

use crate::cli::{DeleteArgs, GlobalArgs, Resource};
use crate::engine::Engine;
use crate::keys;
use crate::observe::{self, InspectCache};
use crate::observed::{Observed, ObservedPod};
use crate::report;

use super::live::{block_on, connect};
use super::{ExitStatus, Io};

pub fn run(global: &GlobalArgs, args: &DeleteArgs, io: &mut Io<'_>) -> anyhow::Result<ExitStatus> {
    match args.resource {
        Resource::Pods | Resource::ReplicationControllers => {}
        other => {
            report::error_message(
                io.err,
                &format!("berth delete handles pods and rc, not {}", other.plural()),
            )?;
            return Ok(ExitStatus::Error);
        }
    }
    block_on(async {
        let engine = connect().await?;
        let observed = observe::observe(
            &engine,
            global.project.as_deref(),
            &mut InspectCache::default(),
        )
        .await?;
        match args.resource {
            Resource::Pods => delete_pod(&engine, &observed, &args.namespace, &args.name, io).await,
            _ => delete_rc(&engine, &observed, &args.namespace, &args.name, io).await,
        }
    })?
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

async fn delete_pod<E: Engine>(
    engine: &E,
    observed: &Observed,
    namespace: &str,
    name: &str,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    let matching = |p: &&ObservedPod| p.namespace == namespace && p.name == name;
    let projects = observed
        .pods
        .iter()
        .filter(matching)
        .map(|p| p.project.as_str())
        .collect();
    let Some(project) = one_project(projects, &format!("pod {namespace}/{name}"))? else {
        report::error_message(io.err, &format!("pods {name:?} not found"))?;
        return Ok(ExitStatus::Failure);
    };
    let pod = observed
        .pods
        .iter()
        .find(|p| matching(p) && p.project == project)
        .expect("found above");
    remove_pod(engine, pod).await?;
    writeln!(io.out, "pod {name:?} deleted")?;
    let note = match &pod.owner {
        Some(owner) => format!(
            "{} owns pod {namespace}/{name}; the next apply recreates it",
            owner.replace("ReplicationController/", &format!("replicationcontroller {namespace}/"))
        ),
        None => format!(
            "the manifest still declares pod {namespace}/{name}; the next apply brings it back unless you remove it"
        ),
    };
    report::note(io.err, &note)?;
    Ok(ExitStatus::Success)
}

async fn delete_rc<E: Engine>(
    engine: &E,
    observed: &Observed,
    namespace: &str,
    name: &str,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    let matching =
        |c: &&crate::observed::ObservedController| c.namespace == namespace && c.name == name;
    let projects = observed
        .controllers
        .iter()
        .filter(matching)
        .map(|c| c.project.as_str())
        .collect();
    let Some(project) = one_project(
        projects,
        &format!("replicationcontroller {namespace}/{name}"),
    )?
    else {
        report::error_message(
            io.err,
            &format!("replicationcontrollers {name:?} not found"),
        )?;
        return Ok(ExitStatus::Failure);
    };
    let owner = crate::desired::owner_of(name);
    let owned = observed.pods.iter().filter(|p| {
        p.project == project
            && p.namespace == namespace
            && p.owner.as_deref() == Some(owner.as_str())
    });
    for pod in owned {
        remove_pod(engine, pod).await?;
        writeln!(io.out, "pod {:?} deleted", pod.name)?;
    }
    let record = observed
        .controllers
        .iter()
        .find(|c| matching(c) && c.project == project)
        .expect("found above");
    engine.remove_container(&record.container_id).await?;
    writeln!(io.out, "replicationcontroller {name:?} deleted")?;
    report::note(
        io.err,
        &format!(
            "the manifest still declares replicationcontroller {namespace}/{name}; the next apply brings it back unless you remove it"
        ),
    )?;
    Ok(ExitStatus::Success)
}

/// Removes the pod's members, then its infra container, then its volumes.
pub(crate) async fn remove_pod<E: Engine>(engine: &E, pod: &ObservedPod) -> anyhow::Result<()> {
    for container in pod.containers.values().chain(pod.infra.iter()) {
        engine.remove_container(container.id()).await?;
    }
    let mut labels = keys::filter(Some(&pod.project));
    labels.push((keys::NAMESPACE.to_string(), pod.namespace.clone()));
    labels.push((keys::POD.to_string(), pod.name.clone()));
    for volume in engine.list_volumes(&labels).await? {
        engine.remove_volume(&volume).await?;
    }
    Ok(())
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
            let observed = observe::observe(&engine, Some("p"), &mut InspectCache::default())
                .await
                .unwrap();
            let mut io = Io {
                out: &mut out,
                err: &mut err,
            };
            let status = delete_pod(&engine, &observed, "default", "web", &mut io)
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
            let observed = observe::observe(&engine, Some("p"), &mut InspectCache::default())
                .await
                .unwrap();
            let mut io = Io {
                out: &mut out,
                err: &mut err,
            };
            delete_pod(&engine, &observed, "default", "nope", &mut io)
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
