//! The prober's state across checks, pure: which probes are due for which
//! container run (after `initialDelaySeconds`, then every `periodSeconds`;
//! a startup probe holds the other two back until it passes), what each
//! outcome changes (counted by `Counter`), and what must then be done:
//! events to record, a container to restart, readiness to share.
//! The watch drives it with a clock and an engine (`watch::probes`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use tokio::time::Instant;

use super::check::Outcome;
use super::store::ProbeEvent;
use super::targets::Target;
use super::worker::{Counter, ProbeResult};
use crate::manifest::{Probe, ProbeKind};

/// A check to run now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub target: Target,
    pub kind: ProbeKind,
    pub probe: Probe,
}

/// What an outcome asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Record(ProbeEvent),
    /// Restart container `id` (stop, then start).
    Restart {
        id: String,
    },
}

struct Worker {
    /// The container run it counts for (`Target::started_at`).
    run: String,
    counter: Counter,
    next: Instant,
}

/// Every probe worker, by (container id, probe).
#[derive(Default)]
pub struct Prober {
    workers: HashMap<(String, ProbeKind), Worker>,
    /// Container runs restarted for failing a probe: not probed again
    /// until the new run shows.
    killed: HashSet<(String, String)>,
}

fn probes(t: &Target) -> impl Iterator<Item = (ProbeKind, &Probe)> {
    [
        (ProbeKind::Startup, t.startup.as_ref()),
        (ProbeKind::Liveness, t.liveness.as_ref()),
        (ProbeKind::Readiness, t.readiness.as_ref()),
    ]
    .into_iter()
    .filter_map(|(kind, p)| p.map(|p| (kind, p)))
}

impl Prober {
    /// Follows `targets` (new runs start afresh, gone ones are dropped)
    /// and returns the checks due at `now`.
    pub fn due(&mut self, targets: &[Target], now: Instant) -> Vec<Due> {
        let live: HashSet<(&str, &str)> = targets
            .iter()
            .map(|t| (t.id.as_str(), t.started_at.as_str()))
            .collect();
        self.killed
            .retain(|(id, run)| live.contains(&(id.as_str(), run.as_str())));
        let mut keep = HashSet::new();
        let mut due = Vec::new();
        for t in targets {
            if self.killed.contains(&(t.id.clone(), t.started_at.clone())) {
                continue;
            }
            let started = self.started(t);
            for (kind, probe) in probes(t) {
                let key = (t.id.clone(), kind);
                keep.insert(key.clone());
                let worker = self.workers.entry(key).or_insert_with(|| Worker {
                    run: t.started_at.clone(),
                    counter: Counter::new(kind),
                    next: now + secs(probe.initial_delay_seconds),
                });
                if worker.run != t.started_at {
                    *worker = Worker {
                        run: t.started_at.clone(),
                        counter: Counter::new(kind),
                        next: now + secs(probe.initial_delay_seconds),
                    };
                }
                // Liveness and readiness wait for the startup probe.
                let held = kind != ProbeKind::Startup && !started;
                // A passed startup probe is not run again for this run.
                let done = kind == ProbeKind::Startup && started;
                if worker.next <= now && !held && !done {
                    worker.next = now + secs(probe.period_seconds);
                    due.push(Due {
                        target: t.clone(),
                        kind,
                        probe: probe.clone(),
                    });
                }
            }
        }
        self.workers.retain(|key, _| keep.contains(key));
        due
    }

    /// Counts `outcome` of `due` at `at` (Unix seconds): what to do.
    pub fn record(&mut self, due: &Due, outcome: &Outcome, at: i64) -> Vec<Action> {
        let key = (due.target.id.clone(), due.kind);
        let Some(worker) = self.workers.get_mut(&key) else {
            return Vec::new();
        };
        if worker.run != due.target.started_at {
            return Vec::new();
        }
        let result = worker.counter.record(&due.probe, outcome.passed());
        let mut actions = Vec::new();
        let container = &due.target.container;
        let event = |warning, reason: &str, message: String| {
            Action::Record(ProbeEvent {
                container_id: due.target.id.clone(),
                container: container.clone(),
                warning,
                reason: reason.to_string(),
                message,
                count: 1,
                first_seen: at,
                last_seen: at,
            })
        };
        if let Outcome::Failure(why) = outcome {
            let message = format!("{} probe failed: {why}", due.kind.as_str());
            actions.push(event(true, "Unhealthy", message));
        }
        let kills = matches!(due.kind, ProbeKind::Liveness | ProbeKind::Startup);
        if kills && result == ProbeResult::Failure {
            let which = due.kind.as_str().to_ascii_lowercase();
            let message = format!("Container {container} failed {which} probe, will be restarted");
            actions.push(event(false, "Killing", message));
            actions.push(Action::Restart {
                id: due.target.id.clone(),
            });
            self.killed
                .insert((due.target.id.clone(), due.target.started_at.clone()));
            self.workers.retain(|(id, _), _| *id != due.target.id);
        }
        actions
    }

    /// Whether the startup probe of `t` passed (or it has none).
    fn started(&self, t: &Target) -> bool {
        t.startup.is_none()
            || self
                .workers
                .get(&(t.id.clone(), ProbeKind::Startup))
                .is_some_and(|w| w.run == t.started_at && w.counter.result == ProbeResult::Success)
    }

    /// The readiness of every target, by container id: started, and its
    /// readiness probe (if any) at Success.
    pub fn readiness(&self, targets: &[Target]) -> BTreeMap<String, bool> {
        targets
            .iter()
            .map(|t| {
                let ready_probe = t.readiness.is_none()
                    || self
                        .workers
                        .get(&(t.id.clone(), ProbeKind::Readiness))
                        .is_some_and(|w| {
                            w.run == t.started_at && w.counter.result == ProbeResult::Success
                        });
                let killed = self.killed.contains(&(t.id.clone(), t.started_at.clone()));
                (t.id.clone(), self.started(t) && ready_probe && !killed)
            })
            .collect()
    }
}

fn secs(s: u32) -> Duration {
    Duration::from_secs(s.into())
}

#[cfg(test)]
#[path = "prober_tests.rs"]
mod tests;
