//! `berth rollout status|history|undo deployment/NAME`, as kubectl words
//! them, from the records on the engine: the Deployment's record, its
//! ReplicaSets' (old ones kept up to `revisionHistoryLimit`) and its pods.
//!
//! A ReplicaSet's revision is its place in the order of creation (the
//! records keep the creation time of their first write), except that the
//! Deployment's current ReplicaSet is always the newest revision, as
//! Kubernetes bumps `deployment.kubernetes.io/revision` of a ReplicaSet it
//! rolls back to. Nothing here changes the engine: berth's desired state is
//! the manifest files, so `undo` only shows the template to commit.

use serde_json::Value;

use crate::desired::deployment::{deployment_owner, POD_TEMPLATE_HASH};
use crate::keys;
use crate::observed::{Observed, ObservedController};

use super::status_of;

/// `deployment/web`, `deploy/web`, `deployments/web`, `deployment.apps/web`
/// (or the kind and the name as two words): the Deployment's name.
pub fn parse_target(resource: &str, name: Option<&str>) -> Result<String, String> {
    let (kind, name) = match (resource.split_once('/'), name) {
        (Some(_), Some(extra)) => {
            return Err(format!(
                "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (got {extra:?})"
            ))
        }
        (Some((kind, name)), None) => (kind, name),
        (None, Some(name)) => (resource, name),
        (None, None) => {
            return Err(format!(
                "expected deployment/NAME (or `deployment NAME`), got {resource:?}"
            ))
        }
    };
    let kind = kind.to_ascii_lowercase();
    let kind = kind.strip_suffix(".apps").unwrap_or(&kind);
    if !matches!(kind, "deployment" | "deployments" | "deploy") {
        return Err(format!(
            "no rollout for {kind:?}: berth rolls out deployments only (deployment/NAME)"
        ));
    }
    if name.is_empty() {
        return Err("the Deployment's name is empty".to_string());
    }
    Ok(name.to_string())
}

/// The Deployment `name` of `namespace`; an error text when it has no
/// record, or has one in several projects.
pub fn find_deployment<'o>(
    observed: &'o Observed,
    namespace: &str,
    name: &str,
) -> Result<&'o ObservedController, String> {
    let found: Vec<&ObservedController> = observed
        .controllers
        .iter()
        .filter(|c| c.kind == keys::KIND_DEPLOYMENT && c.namespace == namespace && c.name == name)
        .collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "deployments.apps {name:?} not found in namespace {namespace:?}"
        )),
        many => {
            let projects: Vec<&str> = many.iter().map(|c| c.project.as_str()).collect();
            Err(format!(
                "deployment {name:?} is in several projects ({}): pass --project",
                projects.join(", ")
            ))
        }
    }
}

/// One entry of a Deployment's history.
#[derive(Debug, Clone, Copy)]
pub struct Revision<'o> {
    /// 1 for the oldest kept ReplicaSet.
    pub number: u32,
    pub replica_set: &'o ObservedController,
}

/// The ReplicaSets of `deployment`, oldest first, numbered from 1; the one
/// of the Deployment's current template last.
pub fn revisions<'o>(observed: &'o Observed, deployment: &ObservedController) -> Vec<Revision<'o>> {
    let owner = deployment_owner(&deployment.name);
    let mut sets: Vec<&ObservedController> = observed
        .controllers
        .iter()
        .filter(|c| {
            c.kind == keys::KIND_REPLICA_SET
                && c.project == deployment.project
                && c.namespace == deployment.namespace
                && c.owner.as_deref() == Some(owner.as_str())
        })
        .collect();
    sets.sort_by(|a, b| {
        let current = |c: &ObservedController| c.template_hash == deployment.template_hash;
        (current(a), a.created, &a.name).cmp(&(current(b), b.created, &b.name))
    });
    sets.into_iter()
        .zip(1..)
        .map(|(replica_set, number)| Revision {
            number,
            replica_set,
        })
        .collect()
}

/// What `rollout status` weighs, as a Deployment's status counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// spec.replicas.
    pub desired: u32,
    /// Pods of any of its ReplicaSets.
    pub replicas: u32,
    /// Pods of the current template.
    pub updated: u32,
    /// Ready pods.
    pub available: u32,
}

/// The counts of `deployment` from its pods on the engines.
pub fn counts(observed: &Observed, deployment: &ObservedController, now: i64) -> Counts {
    let owner = deployment_owner(&deployment.name);
    let pods = observed.pods.iter().filter(|p| {
        p.project == deployment.project
            && p.namespace == deployment.namespace
            && p.owner.as_deref() == Some(owner.as_str())
    });
    let mut counts = Counts {
        desired: deployment.replicas,
        ..Counts::default()
    };
    for pod in pods {
        counts.replicas += 1;
        if pod.labels.get(POD_TEMPLATE_HASH) == Some(&deployment.template_hash) {
            counts.updated += 1;
        }
        if status_of(pod, now).is_ready() {
            counts.available += 1;
        }
    }
    counts
}

/// kubectl's message for a Deployment's rollout, and whether it is done.
pub fn status_message(name: &str, c: Counts) -> (String, bool) {
    let waiting = |what: String| {
        (
            format!("Waiting for deployment {name:?} rollout to finish: {what}..."),
            false,
        )
    };
    if c.updated < c.desired {
        return waiting(format!(
            "{} out of {} new replicas have been updated",
            c.updated, c.desired
        ));
    }
    if c.replicas > c.updated {
        return waiting(format!(
            "{} old replicas are pending termination",
            c.replicas - c.updated
        ));
    }
    if c.available < c.updated {
        return waiting(format!(
            "{} of {} updated replicas are available",
            c.available, c.updated
        ));
    }
    (format!("deployment {name:?} successfully rolled out"), true)
}

/// kubectl's `rollout history` text: the object, then `REVISION
/// CHANGE-CAUSE` (berth keeps no change cause: `<none>`).
pub fn history_text(name: &str, revisions: &[Revision<'_>]) -> String {
    let width = revisions
        .iter()
        .map(|r| r.number.to_string().len())
        .max()
        .unwrap_or(0)
        .max("REVISION".len());
    let mut text = format!("deployment.apps/{name}\n");
    text.push_str(&format!("{:<width$}  CHANGE-CAUSE\n", "REVISION"));
    for r in revisions {
        text.push_str(&format!("{:<width$}  <none>\n", r.number));
    }
    text
}

/// A record's template, parsed (`{"metadata": …, "spec": …}`).
pub fn template_of(c: &ObservedController) -> Option<Value> {
    serde_json::from_str(c.template_json.as_deref()?).ok()
}

/// What `rollout undo` would roll back to.
#[derive(Debug)]
pub enum Undo<'o> {
    /// The current template already is revision `number`'s.
    AlreadyThere(u32),
    /// Roll back to this revision.
    To(Revision<'o>),
}

/// The revision `undo` goes back to: `to_revision`, else the one before
/// the current.
pub fn undo_target<'o>(
    name: &str,
    revisions: &[Revision<'o>],
    deployment: &ObservedController,
    to_revision: Option<u32>,
) -> Result<Undo<'o>, String> {
    let target = match to_revision.filter(|n| *n != 0) {
        Some(n) => revisions
            .iter()
            .find(|r| r.number == n)
            .copied()
            .ok_or_else(|| format!("unable to find specified revision {n} in history"))?,
        None => {
            let before_current = revisions
                .iter()
                .rev()
                .find(|r| r.replica_set.template_hash != deployment.template_hash);
            *before_current.ok_or_else(|| {
                format!("no rollout history found for deployment {name:?}: no previous revision")
            })?
        }
    };
    if target.replica_set.template_hash == deployment.template_hash {
        return Ok(Undo::AlreadyThere(target.number));
    }
    Ok(Undo::To(target))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Labels;

    fn record(kind: &str, name: &str, hash: &str, created: i64) -> ObservedController {
        ObservedController {
            kind: kind.to_string(),
            owner: (kind == keys::KIND_REPLICA_SET).then(|| "Deployment/web".to_string()),
            project: "shop".into(),
            namespace: "default".into(),
            name: name.into(),
            replicas: 3,
            selector: Labels::new(),
            template_hash: hash.into(),
            template_json: Some(format!(
                r#"{{"metadata":{{"labels":{{"app":"web"}}}},"spec":{{"containers":[{{"name":"main","image":"img:{hash}"}}]}}}}"#
            )),
            container_id: String::new(),
            created,
            node: "local".into(),
        }
    }

    fn observed(current: &str) -> Observed {
        let mut other_owner = record(keys::KIND_REPLICA_SET, "api-zzz", "zzz", 5);
        other_owner.owner = Some("Deployment/api".into());
        Observed {
            controllers: vec![
                record(keys::KIND_DEPLOYMENT, "web", current, 10),
                record(keys::KIND_REPLICA_SET, "web-bbb", "bbb", 20),
                record(keys::KIND_REPLICA_SET, "web-aaa", "aaa", 10),
                record(keys::KIND_REPLICA_SET, "web-ccc", "ccc", 30),
                other_owner,
            ],
            ..Observed::default()
        }
    }

    fn numbered(revisions: &[Revision<'_>]) -> Vec<(u32, String)> {
        revisions
            .iter()
            .map(|r| (r.number, r.replica_set.name.clone()))
            .collect()
    }

    #[test]
    fn revisions_follow_creation_with_the_current_replica_set_last() {
        let o = observed("ccc");
        let d = find_deployment(&o, "default", "web").unwrap();
        assert_eq!(
            numbered(&revisions(&o, d)),
            [
                (1, "web-aaa".into()),
                (2, "web-bbb".into()),
                (3, "web-ccc".into())
            ]
        );
        // Rolled back in the files to the first template: it is newest.
        let o = observed("aaa");
        let d = find_deployment(&o, "default", "web").unwrap();
        assert_eq!(
            numbered(&revisions(&o, d)),
            [
                (1, "web-bbb".into()),
                (2, "web-ccc".into()),
                (3, "web-aaa".into())
            ]
        );
    }

    #[test]
    fn history_is_kubectls_table() {
        let o = observed("ccc");
        let d = find_deployment(&o, "default", "web").unwrap();
        assert_eq!(
            history_text("web", &revisions(&o, d)),
            "deployment.apps/web\n\
             REVISION  CHANGE-CAUSE\n\
             1         <none>\n\
             2         <none>\n\
             3         <none>\n"
        );
    }

    #[test]
    fn status_messages_are_kubectls() {
        let c = |desired, replicas, updated, available| Counts {
            desired,
            replicas,
            updated,
            available,
        };
        assert_eq!(
            status_message("web", c(3, 4, 1, 3)),
            (
                "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated...".into(),
                false
            )
        );
        assert_eq!(
            status_message("web", c(3, 4, 3, 3)).0,
            "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination..."
        );
        assert_eq!(
            status_message("web", c(3, 3, 3, 1)).0,
            "Waiting for deployment \"web\" rollout to finish: 1 of 3 updated replicas are available..."
        );
        assert_eq!(
            status_message("web", c(3, 3, 3, 3)),
            ("deployment \"web\" successfully rolled out".into(), true)
        );
        assert!(status_message("web", c(0, 0, 0, 0)).1);
    }

    #[test]
    fn undo_goes_to_the_revision_before_the_current_or_the_one_asked() {
        let o = observed("ccc");
        let d = find_deployment(&o, "default", "web").unwrap();
        let revs = revisions(&o, d);
        match undo_target("web", &revs, d, None).unwrap() {
            Undo::To(r) => assert_eq!((r.number, r.replica_set.name.as_str()), (2, "web-bbb")),
            other => panic!("{other:?}"),
        }
        match undo_target("web", &revs, d, Some(1)).unwrap() {
            Undo::To(r) => assert_eq!(r.replica_set.name, "web-aaa"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            undo_target("web", &revs, d, Some(3)).unwrap(),
            Undo::AlreadyThere(3)
        ));
        assert_eq!(
            undo_target("web", &revs, d, Some(9)).unwrap_err(),
            "unable to find specified revision 9 in history"
        );
        assert!(undo_target("web", &revs[2..], d, None).is_err());
        assert_eq!(
            template_of(revs[0].replica_set).unwrap()["spec"]["containers"][0]["image"],
            "img:aaa"
        );
    }

    #[test]
    fn targets_are_deployments_in_kubectls_spellings() {
        for t in [
            "deployment/web",
            "deploy/web",
            "deployments/web",
            "deployment.apps/web",
        ] {
            assert_eq!(parse_target(t, None).unwrap(), "web", "{t}");
        }
        assert_eq!(parse_target("deploy", Some("web")).unwrap(), "web");
        assert!(parse_target("rc/web", None).is_err());
        assert!(parse_target("web", None).is_err());
        assert!(parse_target("deploy/web", Some("x")).is_err());
    }

    #[test]
    fn a_missing_deployment_is_not_found() {
        let o = observed("ccc");
        assert!(find_deployment(&o, "default", "api")
            .unwrap_err()
            .contains("not found"));
        assert!(find_deployment(&o, "prod", "web").is_err());
    }
}
