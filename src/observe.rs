//! Reads what Docker really runs into `Observed`: one container list, then
//! inspects only where the list cannot tell (stopped containers, or all of
//! them when asked for depth), with exited containers' inspects cached.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures_util::future::{BoxFuture, FutureExt};
use futures_util::stream::{self, StreamExt};

use crate::engine::{ContainerDetails, ContainerState, ContainerSummary, Engine, EngineError};
use crate::keys;
use crate::manifest::Labels;
use crate::observed::{Observed, ObservedContainer, ObservedController, ObservedPod, PodRecord};

/// How closely to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Depth {
    /// Inspect only containers that are not running (exit code, OOM).
    #[default]
    Quick,
    /// Inspect every container (pod IPs, restart counts).
    Full,
}

/// Inspect results by container id, with the state the list showed when
/// they were taken. Exited containers never change, so theirs are always
/// kept. A running container's can change without the list showing it (a
/// restart in between), so theirs are kept only by a cache that follows
/// Docker's events (`following_events`), which `forget`s a container as
/// soon as an event says it changed.
#[derive(Debug, Default)]
pub struct InspectCache {
    entries: HashMap<String, (ContainerState, ContainerDetails)>,
    follows_events: bool,
}

impl InspectCache {
    /// A cache that keeps every container's inspect until `forget` (the
    /// watch loop calls it for each Docker event about the container).
    pub fn following_events() -> InspectCache {
        InspectCache {
            entries: HashMap::new(),
            follows_events: true,
        }
    }

    /// Drops what is known of container `id`.
    pub fn forget(&mut self, id: &str) {
        self.entries.remove(id);
    }

    /// Drops every running container's inspect and stops keeping them (the
    /// event stream was lost: nothing would say they changed), or starts
    /// keeping them again.
    pub fn set_following_events(&mut self, follows: bool) {
        if !follows {
            self.entries
                .retain(|_, (state, _)| *state == ContainerState::Exited);
        }
        self.follows_events = follows;
    }

    /// A copy, for one of several engines listed at once.
    pub fn fork(&self) -> InspectCache {
        InspectCache {
            entries: self.entries.clone(),
            follows_events: self.follows_events,
        }
    }

    /// Takes in what a fork learned.
    pub fn absorb(&mut self, other: InspectCache) {
        self.entries.extend(other.entries);
    }

    /// The kept inspect of `s`, when it is still good for the state listed.
    fn get(&self, s: &ContainerSummary) -> Option<&ContainerDetails> {
        let (state, details) = self.entries.get(&s.id)?;
        (*state == s.state).then_some(details)
    }

    fn keep(&mut self, s: &ContainerSummary, details: &ContainerDetails) {
        if s.state == ContainerState::Exited || self.follows_events {
            self.entries
                .insert(s.id.clone(), (s.state, details.clone()));
        }
    }
}

const INSPECT_CONCURRENCY: usize = 8;

/// Everything berth manages in `project` (every project when `None`).
pub async fn observe<E: Engine>(
    engine: &E,
    project: Option<&str>,
    cache: &mut InspectCache,
) -> Result<Observed, EngineError> {
    observe_with(engine, project, cache, Depth::Quick).await
}

pub async fn observe_with<E: Engine>(
    engine: &E,
    project: Option<&str>,
    cache: &mut InspectCache,
    depth: Depth,
) -> Result<Observed, EngineError> {
    let filter = keys::filter(project);
    let summaries = engine.list_containers(&filter).await?;
    let details = inspect_where_needed(engine, &summaries, cache, depth).await?;
    let mut observed = group(summaries, details);
    crate::probe::store::fill(&mut observed);
    Ok(observed)
}

/// Fills in `observed.networks`: berth's networks of `project`. Not part of
/// `observe` because only a plan with something to do needs them (a network
/// goes idle only when its last pod goes), so a converged project costs one
/// list call.
pub async fn add_networks<E: Engine>(
    engine: &E,
    project: Option<&str>,
    observed: &mut Observed,
) -> Result<(), EngineError> {
    let networks = engine.list_networks(&keys::filter(project)).await?;
    observed.networks = networks.into_iter().map(|(name, _)| name).collect();
    observed.networks.sort();
    Ok(())
}

fn needs_inspect(s: &ContainerSummary, depth: Depth) -> bool {
    let record = s.labels.contains_key(keys::KIND);
    !record && (depth == Depth::Full || s.state != ContainerState::Running)
}

async fn inspect_where_needed<E: Engine>(
    engine: &E,
    summaries: &[ContainerSummary],
    cache: &mut InspectCache,
    depth: Depth,
) -> Result<HashMap<String, ContainerDetails>, EngineError> {
    let mut found = HashMap::new();
    let mut wanted = Vec::new();
    for s in summaries.iter().filter(|s| needs_inspect(s, depth)) {
        match cache.get(s) {
            Some(d) => {
                found.insert(s.id.clone(), d.clone());
            }
            None => wanted.push(s),
        }
    }
    // Boxed one by one: a closure inside the stream's type would make this
    // future lose `Send` in generic callers (rust-lang/rust#102211).
    let inspects: Vec<BoxFuture<'_, _>> = wanted
        .into_iter()
        .map(|s| async move { (s, engine.inspect_container(&s.id).await) }.boxed())
        .collect();
    let results: Vec<_> = stream::iter(inspects)
        .buffer_unordered(INSPECT_CONCURRENCY)
        .collect()
        .await;
    for (s, result) in results {
        match result {
            Ok(d) => {
                cache.keep(s, &d);
                found.insert(s.id.clone(), d);
            }
            // Removed between the list and the inspect: it is simply gone.
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    let live: HashSet<&str> = summaries.iter().map(|s| s.id.as_str()).collect();
    cache.entries.retain(|id, _| live.contains(id.as_str()));
    Ok(found)
}

/// Groups containers into pods by (project, namespace, pod).
fn group(
    summaries: Vec<ContainerSummary>,
    mut details: HashMap<String, ContainerDetails>,
) -> Observed {
    let mut pods: BTreeMap<(String, String, String), ObservedPod> = BTreeMap::new();
    let mut controllers = Vec::new();
    let node_records = crate::nodes::node_records(&summaries);
    let mut files: Vec<ContainerSummary> = Vec::new();
    for s in summaries {
        let l = &s.labels;
        let get = |k: &str| l.get(k).cloned().unwrap_or_default();
        if l.get(keys::KIND)
            .is_some_and(|k| keys::is_controller_kind(k))
        {
            controllers.push(controller(&s));
            continue;
        }
        if l.get(keys::KIND).map(String::as_str) == Some(keys::KIND_POD_RECORD) {
            files.push(s);
            continue;
        }
        let (Some(pod), Some(container)) = (l.get(keys::POD), l.get(keys::CONTAINER)) else {
            continue;
        };
        let entry = pods
            .entry((get(keys::PROJECT), get(keys::NAMESPACE), pod.clone()))
            .or_insert_with(|| ObservedPod {
                project: get(keys::PROJECT),
                namespace: get(keys::NAMESPACE),
                name: pod.clone(),
                node: get(keys::NODE),
                owner: l.get(keys::OWNER).cloned(),
                spec_hash: l.get(keys::SPEC_HASH).cloned(),
                labels: own_labels(l),
                last_applied: None,
                infra: None,
                containers: BTreeMap::new(),
                node_problem: None,
                records: Vec::new(),
                init_containers: Default::default(),
            });
        let container = container.clone();
        let is_infra = container == keys::INFRA_NAME;
        let is_init = l.contains_key(keys::INIT);
        if is_infra {
            entry.spec_hash = l.get(keys::SPEC_HASH).cloned();
            entry.owner = l.get(keys::OWNER).cloned();
            entry.labels = own_labels(l);
            entry.last_applied = l.get(keys::LAST_APPLIED).cloned();
        }
        let observed = ObservedContainer {
            details: details.remove(&s.id),
            summary: s,
            probe: Default::default(),
        };
        if is_infra {
            entry.infra = Some(observed);
        } else if is_init {
            entry.init_containers.insert(container, observed);
        } else {
            entry.containers.insert(container, observed);
        }
    }
    // A pod's records, oldest first; one whose pod has no container
    // left makes a pod of its own, to be removed with it.
    files.sort_by_key(|s| (s.created, s.id.clone()));
    for s in files {
        let l = &s.labels;
        let get = |k: &str| l.get(k).cloned().unwrap_or_default();
        let entry = pods
            .entry((get(keys::PROJECT), get(keys::NAMESPACE), get(keys::POD)))
            .or_insert_with(|| ObservedPod {
                project: get(keys::PROJECT),
                namespace: get(keys::NAMESPACE),
                name: get(keys::POD),
                node: get(keys::NODE),
                owner: l.get(keys::OWNER).cloned(),
                spec_hash: None,
                labels: Labels::new(),
                last_applied: None,
                infra: None,
                containers: BTreeMap::new(),
                node_problem: None,
                records: Vec::new(),
                init_containers: Default::default(),
            });
        entry.records.push(PodRecord {
            id: s.id.clone(),
            labels: s.labels.clone(),
        });
    }
    // A pod whose labels were changed in place: its record has them.
    for pod in pods.values_mut() {
        let recorded = pod
            .records
            .last()
            .and_then(|r| r.labels.get(keys::POD_LABELS));
        if let Some(labels) = recorded.and_then(|text| serde_json::from_str(text).ok()) {
            pod.labels = labels;
        }
    }
    controllers.sort_by(|a: &ObservedController, b| {
        (&a.project, &a.namespace, &a.name).cmp(&(&b.project, &b.namespace, &b.name))
    });
    Observed {
        pods: pods.into_values().collect(),
        controllers,
        networks: Vec::new(),
        node_records,
    }
}

/// The pod's own labels: everything but berth's `io.berth.*` keys.
fn own_labels(labels: &BTreeMap<String, String>) -> Labels {
    labels
        .iter()
        .filter(|(k, _)| !k.starts_with("io.berth."))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn controller(s: &ContainerSummary) -> ObservedController {
    let get = |k: &str| s.labels.get(k).cloned().unwrap_or_default();
    ObservedController {
        kind: get(keys::KIND),
        owner: s.labels.get(keys::OWNER).cloned(),
        project: get(keys::PROJECT),
        namespace: get(keys::NAMESPACE),
        name: get(keys::RC_NAME),
        replicas: get(keys::RC_REPLICAS).parse().unwrap_or(0),
        selector: serde_json::from_str(&get(keys::RC_SELECTOR)).unwrap_or_default(),
        template_hash: get(keys::RC_TEMPLATE_HASH),
        template_json: s.labels.get(keys::LAST_APPLIED).cloned(),
        container_id: s.id.clone(),
        created: get(keys::RC_CREATED).parse().unwrap_or(s.created),
        node: get(keys::NODE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::test_pod;
    use crate::engine::fake::{Call, FakeEngine};
    use crate::podmap::{pod_objects, Target};

    const T: Target = Target {
        project: "p",
        node: "local",
        infra_image: "pause:1",
    };

    fn put_pod(engine: &FakeEngine, project: &str, name: &str) {
        let mut pod = test_pod(name);
        pod.labels.insert("app".into(), "web".into());
        let o = pod_objects(&Target { project, ..T }, &pod);
        engine.insert(o.infra, ContainerState::Running);
        for m in o.members {
            engine.insert(m, ContainerState::Running);
        }
    }

    #[tokio::test]
    async fn containers_are_grouped_into_pods_of_the_project_only() {
        let engine = FakeEngine::new();
        put_pod(&engine, "p", "web");
        put_pod(&engine, "other", "web");
        let o = observe(&engine, Some("p"), &mut InspectCache::default())
            .await
            .unwrap();
        assert_eq!(o.pods.len(), 1);
        let pod = &o.pods[0];
        assert_eq!((pod.project.as_str(), pod.name.as_str()), ("p", "web"));
        assert!(pod.infra.is_some());
        assert_eq!(pod.containers.keys().collect::<Vec<_>>(), ["app"]);
        assert_eq!(
            pod.labels,
            Labels::from([("app".to_string(), "web".to_string())])
        );
        assert!(pod.last_applied.is_some());
    }

    #[tokio::test]
    async fn only_stopped_containers_are_inspected_and_exited_ones_once() {
        let engine = FakeEngine::new();
        put_pod(&engine, "p", "web");
        let mut cache = InspectCache::default();
        observe(&engine, Some("p"), &mut cache).await.unwrap();
        assert!(!engine
            .calls()
            .iter()
            .any(|c| matches!(c, Call::Inspect { .. })));
        engine.stop_behind_back("berth_p_default_web_app");
        let o = observe(&engine, Some("p"), &mut cache).await.unwrap();
        assert_eq!(
            o.pods[0].containers["app"]
                .details
                .as_ref()
                .map(|d| d.exit_code),
            Some(137)
        );
        engine.clear_calls();
        observe(&engine, Some("p"), &mut cache).await.unwrap();
        assert_eq!(engine.calls(), vec![Call::List]);
    }
}
