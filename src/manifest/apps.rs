//! `apps/v1` Deployment, ReplicaSet and DaemonSet: their model and decoders. Both
//! select pods with a label selector (`matchLabels`, `matchExpressions`)
//! that must select their template's labels, as the API server checks.

use super::decode::{index, join, Decoder};
use super::meta::{label_map, object_meta, NameRule};
use super::model::{Labels, ObjectMeta, PodTemplate, Source};
use super::objects::template;
use super::schema::{
    DAEMON_SET_ROLLING_UPDATE, DAEMON_SET_SPEC, DAEMON_SET_STRATEGY, DEPLOYMENT_SPEC,
    DEPLOYMENT_STRATEGY, LABEL_SELECTOR, OBJECT, REPLICA_SET_SPEC, ROLLING_UPDATE,
    SELECTOR_REQUIREMENT,
};
use crate::labels::{Requirement, Selector};
use crate::yaml::{self, Resolved};

/// An absolute number of pods or a percentage of `spec.replicas`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntOrPercent {
    Int(u32),
    Percent(u32),
}

impl IntOrPercent {
    /// The value for `replicas` pods; a percentage rounds up or down as
    /// Kubernetes does (maxSurge up, maxUnavailable down).
    pub fn scaled(self, replicas: u32, round_up: bool) -> u32 {
        match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => {
                let product = u64::from(p) * u64::from(replicas);
                let value = if round_up {
                    product.div_ceil(100)
                } else {
                    product / 100
                };
                value as u32
            }
        }
    }
}

impl std::fmt::Display for IntOrPercent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntOrPercent::Int(n) => write!(f, "{n}"),
            IntOrPercent::Percent(p) => write!(f, "{p}%"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    RollingUpdate {
        max_surge: IntOrPercent,
        max_unavailable: IntOrPercent,
    },
    Recreate,
}

impl Strategy {
    /// (maxSurge, maxUnavailable) in pods for `replicas`; both rounding to 0
    /// makes maxUnavailable 1, as in Kubernetes.
    pub fn rolling_limits(
        max_surge: IntOrPercent,
        max_unavailable: IntOrPercent,
        replicas: u32,
    ) -> (u32, u32) {
        let surge = max_surge.scaled(replicas, true);
        let unavailable = max_unavailable.scaled(replicas, false);
        if surge == 0 && unavailable == 0 {
            (0, 1)
        } else {
            (surge, unavailable)
        }
    }
}

pub const DEFAULT_MAX_SURGE: IntOrPercent = IntOrPercent::Percent(25);
pub const DEFAULT_MAX_UNAVAILABLE: IntOrPercent = IntOrPercent::Percent(25);
pub const DEFAULT_PROGRESS_DEADLINE_SECONDS: u32 = 600;
pub const DEFAULT_REVISION_HISTORY_LIMIT: u32 = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub meta: ObjectMeta,
    /// `spec.replicas`, default 1.
    pub replicas: u32,
    pub selector: Selector,
    pub template: PodTemplate,
    pub strategy: Strategy,
    pub min_ready_seconds: u32,
    pub progress_deadline_seconds: u32,
    pub paused: bool,
    pub revision_history_limit: u32,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaSet {
    pub meta: ObjectMeta,
    pub replicas: u32,
    pub selector: Selector,
    pub template: PodTemplate,
    pub min_ready_seconds: u32,
    pub source: Source,
}

/// The fields both kinds share.
struct Common {
    meta: Option<ObjectMeta>,
    replicas: Option<u32>,
    selector: Option<Selector>,
    template: Option<PodTemplate>,
    min_ready_seconds: Option<u32>,
}

fn common<'n>(
    d: &mut Decoder,
    root: &'n yaml::Node,
    schema: &super::schema::Schema,
) -> Option<(Common, super::decode::Fields<'n>, &'n yaml::Node)> {
    let fields = d.mapping(root, "", &OBJECT, &[])?;
    let meta = object_meta(d, root, fields.get("metadata"), NameRule::Subdomain);
    let Some(spec_node) = fields.get("spec") else {
        d.required(root, "spec");
        return None;
    };
    let spec = d.mapping(spec_node, "spec", schema, &[])?;
    let replicas = match spec
        .get("replicas")
        .filter(|_| schema.implemented.contains(&"replicas"))
    {
        Some(n) => d
            .int_in(n, "spec.replicas", 0, i64::from(i32::MAX))
            .map(|r| r as u32),
        None => Some(1),
    };
    let min_ready_seconds = seconds(d, spec.get("minReadySeconds"), "spec.minReadySeconds", 0);
    let template = match spec.get("template") {
        Some(n) => template(d, n),
        None => {
            d.required(spec_node, "spec.template");
            None
        }
    };
    let selector = match spec.get("selector") {
        Some(n) => label_selector(d, n, "spec.selector"),
        None => {
            d.required(spec_node, "spec.selector");
            None
        }
    };
    if let (Some(selector), Some(template)) = (&selector, &template) {
        if selector.is_empty() {
            let at = spec.get("selector").unwrap_or(spec_node);
            let kind = if schema.implemented.contains(&"updateStrategy") {
                "daemonset"
            } else {
                "deployment"
            };
            d.error(
                at,
                "spec.selector",
                format!("empty selector is invalid for {kind}"),
            );
        } else if !selector.matches(&template.labels) {
            let template_node = spec_node.get("template").unwrap_or(spec_node);
            let metadata = template_node.get("metadata");
            let at = metadata
                .and_then(|m| m.get("labels"))
                .or(metadata)
                .unwrap_or(template_node);
            let message =
                format!("selector does not match template labels (spec.selector is {selector})");
            d.error(at, "spec.template.metadata.labels", message);
        }
    }
    let common = Common {
        meta,
        replicas,
        selector,
        template,
        min_ready_seconds,
    };
    Some((common, spec, spec_node))
}

/// A non-negative number of seconds (absent: `default`).
fn seconds(d: &mut Decoder, node: Option<&yaml::Node>, path: &str, default: u32) -> Option<u32> {
    match node {
        Some(n) => d.int_in(n, path, 0, i64::from(i32::MAX)).map(|v| v as u32),
        None => Some(default),
    }
}

pub fn deployment(d: &mut Decoder, root: &yaml::Node) -> Option<Deployment> {
    let (c, spec, spec_node) = common(d, root, &DEPLOYMENT_SPEC)?;
    let strategy = match spec.get("strategy") {
        Some(n) => strategy(d, n),
        None => Some(Strategy::RollingUpdate {
            max_surge: DEFAULT_MAX_SURGE,
            max_unavailable: DEFAULT_MAX_UNAVAILABLE,
        }),
    };
    let deadline = seconds(
        d,
        spec.get("progressDeadlineSeconds"),
        "spec.progressDeadlineSeconds",
        DEFAULT_PROGRESS_DEADLINE_SECONDS,
    );
    if let (Some(deadline), Some(min_ready)) = (deadline, c.min_ready_seconds) {
        if deadline <= min_ready {
            let at = spec.get("progressDeadlineSeconds").unwrap_or(spec_node);
            d.error(
                at,
                "spec.progressDeadlineSeconds",
                "must be greater than minReadySeconds",
            );
        }
    }
    let paused = match spec.get("paused") {
        Some(n) => d.bool(n, "spec.paused"),
        None => Some(false),
    };
    let history = seconds(
        d,
        spec.get("revisionHistoryLimit"),
        "spec.revisionHistoryLimit",
        DEFAULT_REVISION_HISTORY_LIMIT,
    );
    Some(Deployment {
        meta: c.meta?,
        replicas: c.replicas?,
        selector: c.selector?,
        template: c.template?,
        strategy: strategy?,
        min_ready_seconds: c.min_ready_seconds?,
        progress_deadline_seconds: deadline?,
        paused: paused?,
        revision_history_limit: history?,
        source: d.source(root),
    })
}

pub fn replica_set(d: &mut Decoder, root: &yaml::Node) -> Option<ReplicaSet> {
    let (c, _, _) = common(d, root, &REPLICA_SET_SPEC)?;
    Some(ReplicaSet {
        meta: c.meta?,
        replicas: c.replicas?,
        selector: c.selector?,
        template: c.template?,
        min_ready_seconds: c.min_ready_seconds?,
        source: d.source(root),
    })
}

/// `matchLabels` and `matchExpressions`, ANDed.
fn label_selector(d: &mut Decoder, node: &yaml::Node, path: &str) -> Option<Selector> {
    let fields = d.mapping(node, path, &LABEL_SELECTOR, &[])?;
    let mut requirements: Vec<Requirement> = fields
        .get("matchLabels")
        .map(|n| label_map(d, n, &join(path, "matchLabels")))
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| Requirement::Equals(k, v))
        .collect();
    let mut ok = true;
    if let Some(list) = fields.get("matchExpressions") {
        let list_path = join(path, "matchExpressions");
        for (i, item) in d.seq(list, &list_path).iter().enumerate() {
            match requirement(d, item, &index(&list_path, i)) {
                Some(r) => requirements.push(r),
                None => ok = false,
            }
        }
    }
    requirements.sort_by(|a, b| a.key().cmp(b.key()));
    ok.then_some(Selector { requirements })
}

fn requirement(d: &mut Decoder, item: &yaml::Node, path: &str) -> Option<Requirement> {
    let fields = d.mapping(item, path, &SELECTOR_REQUIREMENT, &[])?;
    let key = match fields.get("key") {
        Some(n) => d.string(n, &join(path, "key")),
        None => {
            d.required(item, &join(path, "key"));
            None
        }
    };
    if let (Some(k), Some(n)) = (&key, fields.get("key")) {
        if let Err(message) = crate::labels::validate_key(k) {
            d.error(
                n,
                &join(path, "key"),
                format!("invalid label key {k:?}: {message}"),
            );
        }
    }
    let operator = match fields.get("operator") {
        Some(n) => d.string(n, &join(path, "operator")).map(|o| (o, n)),
        None => {
            d.required(item, &join(path, "operator"));
            None
        }
    };
    let values_path = join(path, "values");
    let values = fields.get("values").map(|n| d.string_list(n, &values_path));
    let (key, (operator, operator_node)) = (key?, operator?);
    // An unknown operator is the error, whatever `values` holds.
    if !matches!(
        operator.as_str(),
        "In" | "NotIn" | "Exists" | "DoesNotExist"
    ) {
        let message = format!(
            "unsupported value {operator:?}: supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\""
        );
        d.error(operator_node, &join(path, "operator"), message);
        return None;
    }
    let values_at = fields.get("values").unwrap_or(item);
    let needs_values = matches!(operator.as_str(), "In" | "NotIn");
    match (&values, needs_values) {
        (None, true) | (Some(_), true) if values.as_ref().is_none_or(Vec::is_empty) => {
            d.error(
                values_at,
                &values_path,
                "must be specified when `operator` is 'In' or 'NotIn'",
            );
            return None;
        }
        (Some(v), false) if !v.is_empty() => {
            d.error(
                values_at,
                &values_path,
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            );
            return None;
        }
        _ => {}
    }
    let values = values.unwrap_or_default();
    match operator.as_str() {
        "In" => Some(Requirement::In(key, values)),
        "NotIn" => Some(Requirement::NotIn(key, values)),
        "Exists" => Some(Requirement::Exists(key)),
        _ => Some(Requirement::DoesNotExist(key)),
    }
}

fn strategy(d: &mut Decoder, node: &yaml::Node) -> Option<Strategy> {
    let path = "spec.strategy";
    let fields = d.mapping(node, path, &DEPLOYMENT_STRATEGY, &[])?;
    let kind = match fields.get("type") {
        Some(n) => d.string(n, "spec.strategy.type")?,
        None => "RollingUpdate".to_string(),
    };
    let rolling = fields.get("rollingUpdate");
    match kind.as_str() {
        "Recreate" => {
            if let Some(n) = rolling.filter(|n| !n.is_null()) {
                d.error(
                    n,
                    "spec.strategy.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                );
                return None;
            }
            Some(Strategy::Recreate)
        }
        "RollingUpdate" => {
            let (surge, unavailable) = match rolling {
                Some(n) => rolling_update(d, n)?,
                None => (DEFAULT_MAX_SURGE, DEFAULT_MAX_UNAVAILABLE),
            };
            Some(Strategy::RollingUpdate {
                max_surge: surge,
                max_unavailable: unavailable,
            })
        }
        other => {
            let at = fields.get("type").unwrap_or(node);
            let message = format!(
                "unsupported value {other:?}: supported values: \"Recreate\", \"RollingUpdate\""
            );
            d.error(at, "spec.strategy.type", message);
            None
        }
    }
}

fn rolling_update(d: &mut Decoder, node: &yaml::Node) -> Option<(IntOrPercent, IntOrPercent)> {
    let path = "spec.strategy.rollingUpdate";
    let Some(fields) = d.mapping(node, path, &ROLLING_UPDATE, &[]) else {
        return Some((DEFAULT_MAX_SURGE, DEFAULT_MAX_UNAVAILABLE));
    };
    let surge_path = join(path, "maxSurge");
    let unavailable_path = join(path, "maxUnavailable");
    let surge = match fields.get("maxSurge") {
        Some(n) => int_or_percent(d, n, &surge_path),
        None => Some(DEFAULT_MAX_SURGE),
    };
    let unavailable = match fields.get("maxUnavailable") {
        Some(n) => int_or_percent(d, n, &unavailable_path),
        None => Some(DEFAULT_MAX_UNAVAILABLE),
    };
    let (surge, unavailable) = (surge?, unavailable?);
    let at = fields.get("maxUnavailable").unwrap_or(node);
    if let IntOrPercent::Percent(p) = unavailable {
        if p > 100 {
            d.error(at, &unavailable_path, "must not be greater than 100%");
            return None;
        }
    }
    let zero = |v: IntOrPercent| matches!(v, IntOrPercent::Int(0) | IntOrPercent::Percent(0));
    if zero(surge) && zero(unavailable) {
        d.error(at, &unavailable_path, "may not be 0 when `maxSurge` is 0");
        return None;
    }
    Some((surge, unavailable))
}

/// `3` or `"25%"`.
fn int_or_percent(d: &mut Decoder, node: &yaml::Node, path: &str) -> Option<IntOrPercent> {
    match node.resolve() {
        Some(Resolved::Int(_)) => d
            .int_in(node, path, 0, i64::from(i32::MAX))
            .map(|n| IntOrPercent::Int(n as u32)),
        Some(Resolved::Str(s)) => match s.strip_suffix('%').map(str::parse::<u32>) {
            Some(Ok(p)) => Some(IntOrPercent::Percent(p)),
            _ => {
                let message =
                    format!("invalid value {s:?}: must be an integer or percentage (e.g. '5%')");
                d.error(node, path, message);
                None
            }
        },
        _ => {
            d.expected(node, path, "integer or percentage (e.g. '25%')");
            None
        }
    }
}

/// The selector's equality part (`matchLabels`), for records.
pub fn match_labels(selector: &Selector) -> Labels {
    selector
        .requirements
        .iter()
        .filter_map(|r| match r {
            Requirement::Equals(k, v) => Some((k.clone(), v.clone())),
            _ => None,
        })
        .collect()
}

/// A DaemonSet's `spec.updateStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonSetStrategy {
    /// Replace pods node by node, at most `max_unavailable` nodes without
    /// an available pod at a time.
    RollingUpdate { max_unavailable: IntOrPercent },
    /// A changed template applies to pods created after the old ones are
    /// deleted by hand.
    OnDelete,
}

impl DaemonSetStrategy {
    /// maxUnavailable in nodes for `scheduled` nodes: a percentage rounds
    /// up, as the DaemonSet controller does, and 0 makes 1.
    pub fn max_unavailable(max_unavailable: IntOrPercent, scheduled: u32) -> u32 {
        max_unavailable.scaled(scheduled, true).max(1)
    }
}

impl std::fmt::Display for DaemonSetStrategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DaemonSetStrategy::RollingUpdate { .. } => write!(f, "RollingUpdate"),
            DaemonSetStrategy::OnDelete => write!(f, "OnDelete"),
        }
    }
}

pub const DEFAULT_DAEMON_SET_MAX_UNAVAILABLE: IntOrPercent = IntOrPercent::Int(1);

/// `apps/v1` DaemonSet: one pod on each Ready node its template's
/// `nodeSelector` matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonSet {
    pub meta: ObjectMeta,
    pub selector: Selector,
    pub template: PodTemplate,
    pub strategy: DaemonSetStrategy,
    pub min_ready_seconds: u32,
    pub source: Source,
}

pub fn daemon_set(d: &mut Decoder, root: &yaml::Node) -> Option<DaemonSet> {
    let (c, spec, _) = common(d, root, &DAEMON_SET_SPEC)?;
    let strategy = match spec.get("updateStrategy") {
        Some(n) => daemon_set_strategy(d, n),
        None => Some(DaemonSetStrategy::RollingUpdate {
            max_unavailable: DEFAULT_DAEMON_SET_MAX_UNAVAILABLE,
        }),
    };
    Some(DaemonSet {
        meta: c.meta?,
        selector: c.selector?,
        template: c.template?,
        strategy: strategy?,
        min_ready_seconds: c.min_ready_seconds?,
        source: d.source(root),
    })
}

fn daemon_set_strategy(d: &mut Decoder, node: &yaml::Node) -> Option<DaemonSetStrategy> {
    let path = "spec.updateStrategy";
    let fields = d.mapping(node, path, &DAEMON_SET_STRATEGY, &[])?;
    let kind = match fields.get("type") {
        Some(n) => d.string(n, "spec.updateStrategy.type")?,
        None => "RollingUpdate".to_string(),
    };
    let rolling = fields.get("rollingUpdate").filter(|n| !n.is_null());
    match kind.as_str() {
        "OnDelete" => {
            if let Some(n) = rolling {
                d.error(
                    n,
                    "spec.updateStrategy.rollingUpdate",
                    "may not be specified when strategy `type` is 'OnDelete'",
                );
                return None;
            }
            Some(DaemonSetStrategy::OnDelete)
        }
        "RollingUpdate" => {
            let max_unavailable = match rolling {
                Some(n) => daemon_set_rolling_update(d, n)?,
                None => DEFAULT_DAEMON_SET_MAX_UNAVAILABLE,
            };
            Some(DaemonSetStrategy::RollingUpdate { max_unavailable })
        }
        other => {
            let at = fields.get("type").unwrap_or(node);
            let message = format!(
                "unsupported value {other:?}: supported values: \"OnDelete\", \"RollingUpdate\""
            );
            d.error(at, "spec.updateStrategy.type", message);
            None
        }
    }
}

fn daemon_set_rolling_update(d: &mut Decoder, node: &yaml::Node) -> Option<IntOrPercent> {
    let path = "spec.updateStrategy.rollingUpdate";
    let fields = d.mapping(node, path, &DAEMON_SET_ROLLING_UPDATE, &[])?;
    let unavailable_path = join(path, "maxUnavailable");
    let Some(n) = fields.get("maxUnavailable") else {
        return Some(DEFAULT_DAEMON_SET_MAX_UNAVAILABLE);
    };
    let unavailable = int_or_percent(d, n, &unavailable_path)?;
    match unavailable {
        IntOrPercent::Percent(p) if p > 100 => {
            d.error(n, &unavailable_path, "must not be greater than 100%");
            None
        }
        IntOrPercent::Int(0) | IntOrPercent::Percent(0) => {
            d.error(n, &unavailable_path, "may not be 0 when `maxSurge` is 0");
            None
        }
        v => Some(v),
    }
}
