//! One replication controller's next step: count the matching pods, create
//! missing replicas at the lowest free ordinals, remove extra owned pods
//! (Failed, then Pending, then old template, then highest ordinal) and roll
//! a changed template over one pod at a time.

use std::collections::{BTreeMap, BTreeSet};

use super::health::{self, Coarse};
use super::{owner_of, selects, Context, DesiredController, DesiredPod, Note, PodKey, RemoveWhy};
use crate::fingerprint;
use crate::manifest::{Manifests, Pod, ReplicationController};
use crate::observed::{Observed, ObservedPod};

#[derive(Debug, Default)]
pub(super) struct Step {
    pub pods: Vec<DesiredPod>,
    pub removals: Vec<(PodKey, RemoveWhy)>,
    pub waiting: Vec<Note>,
    pub halted: Vec<Note>,
}

/// The record that remembers `rc` on the engine.
pub(super) fn record(
    rc: &ReplicationController,
    m: &Manifests,
    infra_image: &str,
) -> DesiredController {
    let t = &rc.template;
    let template_pod = DesiredPod::from_template(rc, String::new(), &m.services);
    DesiredController {
        kind: crate::keys::KIND_RC.to_string(),
        owner: None,
        namespace: rc.meta.namespace.clone(),
        name: rc.meta.name.clone(),
        replicas: rc.replicas,
        selector: rc.selector.clone(),
        template_hash: template_pod.hash(infra_image),
        template_json: fingerprint::last_applied(&t.spec, &t.labels),
        env_sources: fingerprint::env_sources(&t.spec),
    }
}

/// What every controller's step looks up, built once per expansion so that
/// many controllers over many pods stay linear, not quadratic.
pub(super) struct Index<'a> {
    /// Declared pods by (namespace, label key, label value).
    by_label: BTreeMap<(&'a str, &'a str, &'a str), Vec<&'a Pod>>,
    /// Declared pods: (namespace, name).
    declared: BTreeSet<(&'a str, &'a str)>,
    /// Declared controllers as owners: (namespace, `ReplicationController/<name>`).
    owners: BTreeSet<(&'a str, String)>,
    /// Observed pods that have Succeeded or Failed: (namespace, name).
    finished: BTreeSet<(&'a str, &'a str)>,
}

impl<'a> Index<'a> {
    pub(super) fn new(m: &'a Manifests, observed: &'a Observed) -> Index<'a> {
        let mut by_label: BTreeMap<_, Vec<&Pod>> = BTreeMap::new();
        for pod in &m.pods {
            for (k, v) in &pod.meta.labels {
                let key = (pod.meta.namespace.as_str(), k.as_str(), v.as_str());
                by_label.entry(key).or_default().push(pod);
            }
        }
        Index {
            by_label,
            declared: m
                .pods
                .iter()
                .map(|p| (p.meta.namespace.as_str(), p.meta.name.as_str()))
                .collect(),
            owners: m
                .controllers
                .iter()
                .map(|c| (c.meta.namespace.as_str(), owner_of(&c.meta.name)))
                .collect(),
            finished: observed
                .pods
                .iter()
                .filter(|p| matches!(health::coarse(p), Coarse::Succeeded | Coarse::Failed))
                .map(|p| (p.namespace.as_str(), p.name.as_str()))
                .collect(),
        }
    }

    /// Declared pods of `ns` that `selector` selects.
    fn selected(&self, ns: &str, selector: &crate::manifest::Labels) -> Vec<&'a Pod> {
        let Some((k, v)) = selector.iter().next() else {
            return Vec::new();
        };
        self.by_label
            .get(&(ns, k.as_str(), v.as_str()))
            .into_iter()
            .flatten()
            .copied()
            .filter(|p| selects(selector, &p.meta.labels))
            .collect()
    }
}

/// Pods matching the selector that the controller does not own but counts.
/// As in Kubernetes, only active pods count: one that has Succeeded or
/// Failed does not.
fn others(rc: &ReplicationController, index: &Index, observed: &Observed, ctx: &Context) -> usize {
    let ns = rc.meta.namespace.as_str();
    let owner = owner_of(&rc.meta.name);
    let mut names: BTreeSet<&str> = index
        .selected(ns, &rc.selector)
        .into_iter()
        .map(|p| p.meta.name.as_str())
        .collect();
    for p in &observed.pods {
        let counts = match p.owner.as_deref() {
            Some(o) if o == owner => false,
            Some(o) => index.owners.contains(&(ns, o.to_string())) || !ctx.prune,
            None => !ctx.prune,
        };
        if p.namespace == ns && counts && selects(&rc.selector, &p.labels) {
            names.insert(&p.name);
        }
    }
    names.retain(|name| !index.finished.contains(&(ns, name)));
    names.len()
}

fn ordinal(rc: &str, pod: &str) -> Option<u64> {
    pod.strip_prefix(rc)?.strip_prefix('-')?.parse().ok()
}

/// The lowest `<rc>-<n>` not used by any pod of the namespace.
fn next_name(rc: &str, used: &mut BTreeSet<String>) -> String {
    let name = (0..)
        .map(|n| format!("{rc}-{n}"))
        .find(|n| !used.contains(n))
        .unwrap_or_default();
    used.insert(name.clone());
    name
}

pub(super) fn step(
    rc: &ReplicationController,
    m: &Manifests,
    index: &Index,
    observed: &Observed,
    ctx: &Context,
    used: &mut BTreeSet<String>,
) -> Step {
    let name = &rc.meta.name;
    let object = format!("rc {}/{}", rc.meta.namespace, name);
    let owner = owner_of(name);
    let hash = record(rc, m, ctx.infra_image).template_hash;
    let target = (rc.replicas as usize).saturating_sub(others(rc, index, observed, ctx));
    let mut out = Step::default();
    let mut keep: Vec<&ObservedPod> = Vec::new();
    for p in observed
        .pods
        .iter()
        .filter(|p| p.namespace == rc.meta.namespace && p.owner.as_deref() == Some(&owner))
        // A pod declared on its own under the same name is that pod's now.
        .filter(|p| {
            !index
                .declared
                .contains(&(p.namespace.as_str(), p.name.as_str()))
        })
    {
        if health::coarse(p) == Coarse::Failed {
            out.removals.push((key(p), RemoveWhy::Failed));
        } else {
            keep.push(p);
        }
    }
    let is_new = |p: &ObservedPod| p.spec_hash.as_deref() == Some(hash.as_str());
    let old = keep.iter().filter(|p| !is_new(p)).count();
    let unready: Vec<&ObservedPod> = keep
        .iter()
        .copied()
        .filter(|p| is_new(p) && !health::is_ready(p, ctx.now, ctx.min_ready))
        .collect();
    let mut creates = 0;
    if keep.len() < target {
        creates = target - keep.len();
    } else if old > 0 && !unready.is_empty() {
        wait_or_halt(&object, &unready, &mut out);
    } else if keep.len() > target {
        keep.sort_by_key(|p| removal_rank(name, p, is_new(p)));
        let rolling = keep.iter().any(|p| is_new(p)) && old > 0;
        for p in keep.drain(..keep.len() - target) {
            let why = if rolling && !is_new(p) {
                RemoveWhy::Replaced
            } else {
                RemoveWhy::ScaledDown
            };
            out.removals.push((key(p), why));
        }
    } else if old > 0 {
        creates = 1;
    }
    for p in keep {
        out.pods
            .push(DesiredPod::from_template(rc, p.name.clone(), &m.services));
    }
    for _ in 0..creates {
        out.pods.push(DesiredPod::from_template(
            rc,
            next_name(name, used),
            &m.services,
        ));
    }
    out
}

/// Sort key: the first pods in this order are removed first.
fn removal_rank(
    rc: &str,
    p: &ObservedPod,
    new: bool,
) -> (bool, bool, std::cmp::Reverse<Option<u64>>) {
    let pending = health::coarse(p) == Coarse::Pending;
    (!pending, new, std::cmp::Reverse(ordinal(rc, &p.name)))
}

fn wait_or_halt(object: &str, unready: &[&ObservedPod], out: &mut Step) {
    let first = unready[0];
    match unready
        .iter()
        .find_map(|p| health::broken(p).map(|why| (p, why)))
    {
        Some((p, why)) => out.halted.push(Note {
            object: object.to_string(),
            message: format!(
                "rollout halted: new pod {}/{} is broken: {why}",
                p.namespace, p.name
            ),
        }),
        None => out.waiting.push(Note {
            object: object.to_string(),
            message: format!(
                "waiting for new pod {}/{} to be ready",
                first.namespace, first.name
            ),
        }),
    }
}

fn key(p: &ObservedPod) -> PodKey {
    PodKey {
        namespace: p.namespace.clone(),
        name: p.name.clone(),
    }
}
