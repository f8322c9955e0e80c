//! What the prober of a running `berth watch` found, shared with every
//! other berth command of the project: a small JSON file beside the watch
//! lock (`probes-<project>.json`), rewritten whole on each change. The
//! readiness in it counts only while the watch that wrote it runs; its
//! events (`Unhealthy`, `Killing`) stay as history.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The reason of the event recorded with each restart the prober makes.
pub const RESTART_REASON: &str = "Killing";

/// The most events kept; the least recently seen go first.
const MAX_EVENTS: usize = 200;

/// One event of the prober, about one container run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeEvent {
    pub container_id: String,
    pub container: String,
    pub warning: bool,
    pub reason: String,
    pub message: String,
    pub count: u32,
    /// Unix seconds.
    pub first_seen: i64,
    pub last_seen: i64,
}

/// What the prober says about one container.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProbeFacts {
    /// Its readiness (its startup and readiness probes passed); `None`
    /// when no prober is running or it has no result yet.
    pub ready: Option<bool>,
    /// Since when (Unix seconds) it has been ready, when it is.
    pub ready_since: Option<i64>,
    /// Restarts the prober made (Docker counts only its restart policy's).
    pub restarts: u64,
    pub events: Vec<ProbeEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProbeFile {
    /// The watch that writes it.
    pub pid: u32,
    /// Readiness by container id.
    pub ready: BTreeMap<String, bool>,
    /// Since when each ready container has been ready (Unix seconds).
    #[serde(default)]
    pub ready_since: BTreeMap<String, i64>,
    pub events: Vec<ProbeEvent>,
}

impl ProbeFile {
    /// What the file says about container `id`.
    pub fn facts(&self, id: &str) -> ProbeFacts {
        let events: Vec<ProbeEvent> = self
            .events
            .iter()
            .filter(|e| e.container_id == id)
            .cloned()
            .collect();
        ProbeFacts {
            ready: self.ready.get(id).copied(),
            ready_since: self
                .ready_since
                .get(id)
                .copied()
                .filter(|_| self.ready.get(id) == Some(&true)),
            restarts: events
                .iter()
                .filter(|e| e.reason == RESTART_REASON)
                .map(|e| u64::from(e.count))
                .sum(),
            events,
        }
    }

    /// Records `event`, counting it into the same one seen before.
    /// Takes `ready` as the readiness now (at `at`): keeps when each
    /// container became ready. Says whether anything changed.
    pub fn set_ready(&mut self, ready: BTreeMap<String, bool>, at: i64) -> bool {
        if ready == self.ready {
            return false;
        }
        self.ready_since
            .retain(|id, _| ready.get(id) == Some(&true));
        for (id, _) in ready.iter().filter(|(_, r)| **r) {
            self.ready_since.entry(id.clone()).or_insert(at);
        }
        self.ready = ready;
        true
    }

    pub fn record(&mut self, event: ProbeEvent) {
        let same = self.events.iter_mut().find(|e| {
            (&e.container_id, &e.reason, &e.message)
                == (&event.container_id, &event.reason, &event.message)
        });
        if let Some(same) = same {
            same.count += event.count;
            same.last_seen = same.last_seen.max(event.last_seen);
            return;
        }
        self.events.push(event);
        if self.events.len() > MAX_EVENTS {
            self.events.sort_by_key(|e| e.last_seen);
            self.events.remove(0);
        }
    }
}

/// The file of `project`.
pub fn path(project: &str) -> PathBuf {
    crate::watch::lock::lock_dir().join(format!("probes-{project}.json"))
}

/// Writes `file` in one rename, so a reader never sees half of it.
pub fn write(project: &str, file: &ProbeFile) -> std::io::Result<()> {
    let path = path(project);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("json.{}", std::process::id()));
    let text = serde_json::to_vec(file).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &path)
}

/// The file of `project` (empty when there is none or it cannot be read);
/// its readiness dropped when the watch that wrote it no longer runs.
pub fn read(project: &str) -> ProbeFile {
    let Ok(text) = std::fs::read(path(project)) else {
        return ProbeFile::default();
    };
    let mut file: ProbeFile = serde_json::from_slice(&text).unwrap_or_default();
    let alive = file.pid != 0 && std::path::Path::new(&format!("/proc/{}", file.pid)).exists();
    if !alive {
        file.ready.clear();
        file.ready_since.clear();
    }
    file
}

/// Sets what the prober found on every container of `observed`, from the
/// file of each pod's project.
pub fn fill(observed: &mut crate::observed::Observed) {
    let mut files: BTreeMap<String, ProbeFile> = BTreeMap::new();
    for pod in &mut observed.pods {
        let file = files
            .entry(pod.project.clone())
            .or_insert_with(|| read(&pod.project));
        if file.ready.is_empty() && file.events.is_empty() {
            continue;
        }
        for container in pod.containers.values_mut() {
            container.probe = file.facts(container.id());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, at: i64) -> ProbeEvent {
        ProbeEvent {
            container_id: id.into(),
            container: "app".into(),
            warning: true,
            reason: "Unhealthy".into(),
            message: "Liveness probe failed: no".into(),
            count: 1,
            first_seen: at,
            last_seen: at,
        }
    }

    #[test]
    fn the_same_event_again_is_counted_not_repeated() {
        let mut file = ProbeFile::default();
        file.record(event("a", 10));
        file.record(event("a", 20));
        file.record(event("b", 30));
        assert_eq!(file.events.len(), 2);
        assert_eq!((file.events[0].count, file.events[0].last_seen), (2, 20));
        assert_eq!(file.facts("a").events.len(), 1);
        assert_eq!(file.facts("a").restarts, 0);
        file.record(ProbeEvent {
            reason: RESTART_REASON.into(),
            count: 2,
            ..event("a", 40)
        });
        assert_eq!(file.facts("a").restarts, 2);
        assert_eq!(file.facts("a").ready, None);
    }

    #[test]
    fn readiness_keeps_since_when_a_container_has_been_ready() {
        let mut file = ProbeFile::default();
        let ready = |pairs: &[(&str, bool)]| {
            pairs
                .iter()
                .map(|(id, r)| (id.to_string(), *r))
                .collect::<BTreeMap<_, _>>()
        };
        assert!(file.set_ready(ready(&[("a", true), ("b", false)]), 10));
        assert!(!file.set_ready(ready(&[("a", true), ("b", false)]), 20));
        assert!(file.set_ready(ready(&[("a", true), ("b", true)]), 30));
        assert_eq!(file.facts("a").ready_since, Some(10));
        assert_eq!(file.facts("b").ready_since, Some(30));
        assert!(file.set_ready(ready(&[("a", false), ("b", true)]), 40));
        assert_eq!(file.facts("a").ready_since, None);
        assert_eq!(file.facts("a").ready, Some(false));
    }
}
