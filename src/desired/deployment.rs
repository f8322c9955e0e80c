//! apps/v1 Deployments and ReplicaSets: pod and ReplicaSet names from
//! stable short hashes, and each one's next step. A Deployment rolls a
//! changed template under its strategy (RollingUpdate within maxSurge and
//! maxUnavailable, or Recreate); a ReplicaSet only counts and scales, as in
//! Kubernetes. The step itself is `rollout_step`, a pure function.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::health::{self, Coarse};
use super::{aliases, DesiredController, DesiredPod, Note, PodKey, RemoveWhy};
use super::{controller::Step, Context};
use crate::fingerprint;
use crate::keys;
use crate::manifest::apps::match_labels;
use crate::manifest::{Deployment, Labels, Manifests, PodTemplate, ReplicaSet, Strategy};
use crate::observed::{Observed, ObservedPod};

/// Kubernetes' alphabet for generated names (no vowels, no look-alikes).
const ALPHABET: &[u8] = b"bcdfghjkmnpqrstvwxz2456789";

/// The label naming a Deployment's ReplicaSet on its pods.
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";

fn fnv64(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn encode(mut h: u64, len: usize) -> String {
    let n = ALPHABET.len() as u64;
    (0..len)
        .map(|_| {
            let c = ALPHABET[(h % n) as usize] as char;
            h /= n;
            c
        })
        .collect()
}

/// The 10-character hash of a pod template: a Deployment's ReplicaSet is
/// `<deployment>-<hash>` and its pods carry `pod-template-hash=<hash>`.
/// The values its env reads from ConfigMaps and Secrets count (as digests):
/// a changed value rolls the Deployment as a changed template does.
pub fn template_hash(t: &PodTemplate) -> String {
    let mut text = fingerprint::last_applied(&t.spec, &t.labels);
    if let Some(sources) = fingerprint::env_sources_label(&t.spec) {
        text.push_str(&sources);
    }
    encode(fnv64(&text), 10)
}

/// The stable 5-character suffix of `owner`'s pod number `ordinal`.
pub fn suffix(owner: &str, ordinal: u64) -> String {
    encode(fnv64(&format!("{owner}/{ordinal}")), 5)
}

/// The lowest-numbered `<prefix>-<suffix>` not used in the namespace.
fn next_name(prefix: &str, used: &mut BTreeSet<String>) -> String {
    let name = (0..)
        .map(|n| format!("{prefix}-{}", suffix(prefix, n)))
        .find(|n| !used.contains(n))
        .unwrap_or_default();
    used.insert(name.clone());
    name
}

/// What the step function needs to know of one existing pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodState {
    /// Of the current template.
    pub new: bool,
    /// Available: running for minReadySeconds.
    pub ready: bool,
}

/// One step: how many new-template pods to create, and which pods (indices
/// into the input) to remove.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    pub create: usize,
    pub remove: Vec<usize>,
}

impl Decision {
    pub fn is_empty(&self) -> bool {
        self.create == 0 && self.remove.is_empty()
    }
}

/// The next step of a Deployment of `replicas` over `pods`, given in the
/// order they should go (the first go first). Without old-template pods it
/// scales; `paused` makes no rollout step (it only scales down); Recreate
/// removes every old pod before creating any new one; RollingUpdate keeps
/// the total within replicas + maxSurge and the available pods at least
/// replicas − maxUnavailable, as Kubernetes' deployment controller does.
pub fn rollout_step(
    replicas: u32,
    strategy: Strategy,
    paused: bool,
    pods: &[PodState],
) -> Decision {
    let r = replicas as usize;
    let total = pods.len();
    let old: Vec<usize> = (0..total).filter(|&i| !pods[i].new).collect();
    let new = total - old.len();
    if old.is_empty() || paused {
        return Decision {
            create: if old.is_empty() {
                r.saturating_sub(total)
            } else {
                0
            },
            remove: (0..total.saturating_sub(r)).collect(),
        };
    }
    let (max_surge, max_unavailable) = match strategy {
        Strategy::Recreate => {
            return Decision {
                create: 0,
                remove: old,
            }
        }
        Strategy::RollingUpdate {
            max_surge,
            max_unavailable,
        } => Strategy::rolling_limits(max_surge, max_unavailable, replicas),
    };
    let create = (r + max_surge as usize)
        .saturating_sub(total)
        .min(r.saturating_sub(new));
    let min_available = r.saturating_sub(max_unavailable as usize);
    let new_ready = pods.iter().filter(|p| p.new && p.ready).count();
    let old_ready = pods.iter().filter(|p| !p.new && p.ready).count();
    let max_down = total as i64 - min_available as i64 - (new - new_ready) as i64;
    let mut remove = Vec::new();
    if max_down > 0 {
        let max_down = max_down as usize;
        remove.extend(
            old.iter()
                .copied()
                .filter(|&i| !pods[i].ready)
                .take(max_down),
        );
        let room = (old_ready + new_ready).saturating_sub(min_available);
        let more = room.min(max_down - remove.len());
        remove.extend(old.iter().copied().filter(|&i| pods[i].ready).take(more));
    }
    Decision { create, remove }
}

/// A pod of `template` named `name` owned by `owner` with `labels`.
pub(super) fn pod_of(
    meta: &crate::manifest::ObjectMeta,
    template: &PodTemplate,
    labels: &Labels,
    owner: &str,
    name: String,
    m: &Manifests,
    source: &crate::manifest::Source,
) -> DesiredPod {
    DesiredPod {
        namespace: meta.namespace.clone(),
        name,
        labels: labels.clone(),
        annotations: template.annotations.clone(),
        spec: template.spec.clone(),
        owner: Some(owner.to_string()),
        aliases: aliases(&m.services, &meta.namespace, labels),
        source: source.clone(),
        node: String::new(),
    }
}

fn key(p: &ObservedPod) -> PodKey {
    PodKey {
        namespace: p.namespace.clone(),
        name: p.name.clone(),
    }
}

/// The observed pods `owner` owns in `ns` (less those a manifest declares on
/// their own): Failed ones go to `removals`, the rest are returned.
pub(super) fn owned<'o>(
    ns: &str,
    owner: &str,
    m: &Manifests,
    observed: &'o Observed,
    out: &mut Step,
) -> Vec<&'o ObservedPod> {
    let declared: BTreeSet<(&str, &str)> = m
        .pods
        .iter()
        .map(|p| (p.meta.namespace.as_str(), p.meta.name.as_str()))
        .collect();
    let mut keep = Vec::new();
    for p in observed.pods.iter().filter(|p| {
        p.namespace == ns
            && p.owner.as_deref() == Some(owner)
            && !declared.contains(&(p.namespace.as_str(), p.name.as_str()))
    }) {
        if health::coarse(p) == Coarse::Failed {
            out.removals.push((key(p), RemoveWhy::Failed));
        } else {
            keep.push(p);
        }
    }
    keep
}

/// The owner label value of a Deployment's pods.
pub fn deployment_owner(name: &str) -> String {
    format!("{}/{name}", keys::KIND_DEPLOYMENT)
}

/// The owner label value of a standalone ReplicaSet's pods.
pub fn replica_set_owner(name: &str) -> String {
    format!("{}/{name}", keys::KIND_REPLICA_SET)
}

/// A Deployment's step, and the records of it and of its ReplicaSets.
pub(super) fn step_deployment(
    d: &Deployment,
    m: &Manifests,
    observed: &Observed,
    ctx: &Context,
    used: &mut BTreeSet<String>,
) -> (Step, Vec<DesiredController>) {
    let name = &d.meta.name;
    let ns = &d.meta.namespace;
    let object = format!("deployment {ns}/{name}");
    let owner = deployment_owner(name);
    let hash = template_hash(&d.template);
    let rs_name = format!("{name}-{hash}");
    let mut labels = d.template.labels.clone();
    labels.insert(POD_TEMPLATE_HASH.to_string(), hash.clone());
    let make = |pod_name: String| {
        pod_of(
            &d.meta,
            &d.template,
            &labels,
            &owner,
            pod_name,
            m,
            &d.source,
        )
    };
    let spec_hash = make(String::new()).hash(ctx.infra_image);
    let min_ready = Duration::from_secs(u64::from(d.min_ready_seconds)).max(ctx.min_ready);
    let mut out = Step::default();
    let mut keep = owned(ns, &owner, m, observed, &mut out);
    let is_new = |p: &ObservedPod| p.spec_hash.as_deref() == Some(spec_hash.as_str());
    let ready = |p: &ObservedPod| health::is_ready(p, ctx.now, min_ready);
    keep.sort_by_key(|p| (ready(p), is_new(p), std::cmp::Reverse(p.name.clone())));
    let states: Vec<PodState> = keep
        .iter()
        .map(|p| PodState {
            new: is_new(p),
            ready: ready(p),
        })
        .collect();
    let decision = rollout_step(d.replicas, d.strategy, d.paused, &states);
    let rolling = states.iter().any(|s| !s.new);
    for &i in &decision.remove {
        let why = if rolling && !states[i].new {
            RemoveWhy::Replaced
        } else {
            RemoveWhy::ScaledDown
        };
        out.removals.push((key(keep[i]), why));
    }
    let removed: BTreeSet<usize> = decision.remove.iter().copied().collect();
    let mut remaining: BTreeMap<String, u32> = BTreeMap::new();
    for (i, p) in keep
        .iter()
        .enumerate()
        .filter(|(i, _)| !removed.contains(i))
    {
        out.pods.push(make(p.name.clone()));
        let h = p.labels.get(POD_TEMPLATE_HASH).cloned().unwrap_or_default();
        *remaining
            .entry(if states[i].new { hash.clone() } else { h })
            .or_default() += 1;
    }
    for _ in 0..decision.create {
        out.pods.push(make(next_name(&rs_name, used)));
    }
    *remaining.entry(hash.clone()).or_default() += decision.create as u32;
    if decision.is_empty() && rolling && !d.paused {
        note(d, &object, &keep, &states, ctx, &mut out);
    }
    let records = records(d, &hash, &rs_name, &remaining, observed);
    (out, records)
}

/// Why a rollout makes no step: waiting for new pods, or failed (a broken
/// new pod, or no progress within progressDeadlineSeconds).
fn note(
    d: &Deployment,
    object: &str,
    pods: &[&ObservedPod],
    states: &[PodState],
    ctx: &Context,
    out: &mut Step,
) {
    let name = &d.meta.name;
    let new: Vec<&ObservedPod> = pods
        .iter()
        .zip(states)
        .filter(|(_, s)| s.new)
        .map(|(p, _)| *p)
        .collect();
    let last_progress = pods
        .iter()
        .filter_map(|p| p.infra.as_ref().map(|c| c.summary.created))
        .max()
        .unwrap_or(ctx.now);
    let broken = new
        .iter()
        .find_map(|p| health::broken(p).map(|why| (p, why)));
    let message = if let Some((p, why)) = broken {
        format!(
            "rollout halted: new pod {}/{} is broken: {why}",
            p.namespace, p.name
        )
    } else if ctx.now - last_progress > i64::from(d.progress_deadline_seconds) {
        format!("deployment {name:?} exceeded its progress deadline")
    } else {
        let available = states.iter().filter(|s| s.new && s.ready).count();
        out.waiting.push(Note {
            object: object.to_string(),
            message: format!(
                "waiting for deployment {name:?} rollout to finish: {available} of {} updated replicas are available",
                d.replicas
            ),
        });
        return;
    };
    out.halted.push(Note {
        object: object.to_string(),
        message,
    });
}

/// The Deployment's record, its current ReplicaSet's, and its old ones'
/// that still have pods or are within revisionHistoryLimit (newest kept).
fn records(
    d: &Deployment,
    hash: &str,
    rs_name: &str,
    remaining: &BTreeMap<String, u32>,
    observed: &Observed,
) -> Vec<DesiredController> {
    let owner = deployment_owner(&d.meta.name);
    let selector = match_labels(&d.selector);
    let template_json = fingerprint::last_applied(&d.template.spec, &d.template.labels);
    let mut rs_selector = selector.clone();
    rs_selector.insert(POD_TEMPLATE_HASH.to_string(), hash.to_string());
    let mut out = vec![
        DesiredController {
            kind: keys::KIND_DEPLOYMENT.to_string(),
            owner: None,
            namespace: d.meta.namespace.clone(),
            name: d.meta.name.clone(),
            replicas: d.replicas,
            selector,
            template_hash: hash.to_string(),
            template_json: template_json.clone(),
            env_sources: fingerprint::env_sources(&d.template.spec),
        },
        DesiredController {
            kind: keys::KIND_REPLICA_SET.to_string(),
            owner: Some(owner.clone()),
            namespace: d.meta.namespace.clone(),
            name: rs_name.to_string(),
            replicas: remaining.get(hash).copied().unwrap_or(0),
            selector: rs_selector,
            template_hash: hash.to_string(),
            template_json,
            env_sources: fingerprint::env_sources(&d.template.spec),
        },
    ];
    let mut old: Vec<_> = observed
        .controllers
        .iter()
        .filter(|c| {
            c.kind == keys::KIND_REPLICA_SET
                && c.namespace == d.meta.namespace
                && c.owner.as_deref() == Some(owner.as_str())
                && c.name != rs_name
        })
        .collect();
    old.sort_by_key(|c| std::cmp::Reverse(c.created));
    let mut history = 0;
    for c in old {
        let replicas = remaining.get(&c.template_hash).copied().unwrap_or(0);
        if replicas == 0 {
            if history >= d.revision_history_limit {
                continue;
            }
            history += 1;
        }
        out.push(DesiredController {
            kind: c.kind.clone(),
            owner: c.owner.clone(),
            namespace: c.namespace.clone(),
            name: c.name.clone(),
            replicas,
            selector: c.selector.clone(),
            template_hash: c.template_hash.clone(),
            template_json: c.template_json.clone().unwrap_or_default(),
            env_sources: BTreeMap::new(),
        });
    }
    out
}

/// A standalone ReplicaSet's step (count and scale; a changed template
/// applies to new pods only, as in Kubernetes), and its record.
pub(super) fn step_replica_set(
    rs: &ReplicaSet,
    m: &Manifests,
    observed: &Observed,
    ctx: &Context,
    used: &mut BTreeSet<String>,
) -> (Step, DesiredController) {
    let name = &rs.meta.name;
    let owner = replica_set_owner(name);
    let labels = &rs.template.labels;
    let make = |pod_name: String| {
        pod_of(
            &rs.meta,
            &rs.template,
            labels,
            &owner,
            pod_name,
            m,
            &rs.source,
        )
    };
    let spec_hash = make(String::new()).hash(ctx.infra_image);
    let min_ready = Duration::from_secs(u64::from(rs.min_ready_seconds)).max(ctx.min_ready);
    let mut out = Step::default();
    let mut keep = owned(&rs.meta.namespace, &owner, m, observed, &mut out);
    keep.sort_by_key(|p| {
        (
            health::is_ready(p, ctx.now, min_ready),
            std::cmp::Reverse(p.name.clone()),
        )
    });
    let r = rs.replicas as usize;
    let extra = keep.len().saturating_sub(r);
    for p in keep.drain(..extra) {
        out.removals.push((key(p), RemoveWhy::ScaledDown));
    }
    for p in &keep {
        out.pods.push(make(p.name.clone()));
    }
    for _ in keep.len()..r {
        out.pods.push(make(next_name(name, used)));
    }
    let record = DesiredController {
        kind: keys::KIND_REPLICA_SET.to_string(),
        owner: None,
        namespace: rs.meta.namespace.clone(),
        name: name.clone(),
        replicas: rs.replicas,
        selector: match_labels(&rs.selector),
        template_hash: spec_hash,
        template_json: fingerprint::last_applied(&rs.template.spec, labels),
        env_sources: fingerprint::env_sources(&rs.template.spec),
    };
    (out, record)
}
