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
