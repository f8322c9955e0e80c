//! Following Docker's event stream for the project: each event about one of
//! its containers is kept (recent ones feed pod events and exit codes),
//! makes the inspect cache forget that container, and — for the actions
//! that can mean drift (start, die, oom, stop, destroy) — asks for a
//! reconcile. A lost stream is reconnected with backoff, and a reconnect is
//! followed by a full reconcile (events may have been missed meanwhile).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{mpsc, watch};

use crate::engine::{Engine, EngineEvent};
use crate::keys;
use crate::snapshot::Trigger;

use super::counted::Ledger;
use super::wake::{Backoff, Wake};

/// Actions berth keeps (what pod events are derived from).
pub const KEPT: [&str; 7] = ["create", "start", "kill", "die", "oom", "stop", "destroy"];
/// Actions that can mean the engine drifted from the manifests.
pub const DRIFT: [&str; 5] = ["start", "die", "oom", "stop", "destroy"];
/// Recent events kept.
const KEEP: usize = 2000;
/// How far back the first look goes (as `berth events`).
const HISTORY_SECONDS: i64 = 3600;

/// What the follower shares with the reconciler.
#[derive(Debug, Default)]
pub struct Followed {
    events: Mutex<VecDeque<EngineEvent>>,
    /// Containers an event was seen about since the reconciler last asked.
    changed: Mutex<Vec<String>>,
    /// The stream is open.
    up: AtomicBool,
    /// Grows with every (re)connect: a reconciler that saw another epoch
    /// must not trust what it cached before (events may have been missed).
    epoch: AtomicU64,
    /// Rung when the engine answers again, so a reconnect waiting out its
    /// backoff tries at once.
    engine_back: tokio::sync::Notify,
}

impl Followed {
    /// The recent events, oldest first.
    pub fn events(&self) -> Vec<EngineEvent> {
        lock(&self.events).iter().cloned().collect()
    }

    /// The containers an event was seen about since the last call.
    pub fn take_changed(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.changed))
    }

    /// The engine answers again after an outage: reconnect now.
    pub fn engine_answered(&self) {
        self.engine_back.notify_one();
    }

    /// (stream open, epoch).
    pub fn state(&self) -> (bool, u64) {
        (
            self.up.load(Ordering::SeqCst),
            self.epoch.load(Ordering::SeqCst),
        )
    }

    /// Keeps `event` unless it is already kept (a history fetch overlaps
    /// the stream by a moment).
    fn keep(&self, event: EngineEvent) {
        let mut events = lock(&self.events);
        let seen = events.iter().rev().take(64).any(|e| {
            e.time_nanos == event.time_nanos
                && e.container_id == event.container_id
                && e.action == event.action
        });
        if seen {
            return;
        }
        lock(&self.changed).push(event.container_id.clone());
        events.push_back(event);
        while events.len() > KEEP {
            events.pop_front();
        }
    }

    /// Unix seconds of the newest kept event.
    fn newest(&self) -> Option<i64> {
        lock(&self.events)
            .back()
            .map(|e| e.time_nanos / 1_000_000_000)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Follows the events of `project` on the engine `engines` hands over
/// (once connected), until the process ends. `drift` receives a notice per
/// drift event that is no echo of berth's own changes (`ledger`), debounced
/// into reconciles elsewhere; `wake` is rung after every (re)connect.
pub async fn follow<E: Engine + 'static>(
    mut engines: watch::Receiver<Option<Arc<E>>>,
    project: String,
    shared: Arc<Followed>,
    drift: mpsc::Sender<()>,
    wake: Arc<Wake>,
    ledger: Arc<Ledger>,
    backoff: Backoff,
) {
    let engine = loop {
        if let Some(engine) = engines.borrow_and_update().clone() {
            break engine;
        }
        if engines.changed().await.is_err() {
            return;
        }
    };
    let filter = keys::filter(Some(&project));
    let mut backoff = backoff;
    let mut connects = 0u64;
    loop {
        let mut stream = engine.event_stream(&filter, &KEPT);
        let since = shared.newest().unwrap_or(now() - HISTORY_SECONDS);
        match engine.container_events(since, now() + 1, &filter).await {
            Ok(history) => {
                for event in history {
                    shared.keep(event);
                }
                shared.epoch.fetch_add(1, Ordering::SeqCst);
                shared.up.store(true, Ordering::SeqCst);
                // Whatever happened before the stream opened (or while it
                // was lost) is only seen by a look at everything.
                connects += 1;
                if connects > 1 {
                    tracing::info!(project = %project, "following Docker events again; looking at everything");
                }
                wake.trigger(Trigger::Docker);
                while let Some(item) = stream.next().await {
                    match item {
                        Ok(event) => {
                            backoff.reset();
                            // berth's own changes echo back as events:
                            // only what someone else did is drift.
                            let is_drift = DRIFT.contains(&event.action.as_str())
                                && !ledger.is_echo(&event.container_id, &event.action);
                            shared.keep(event);
                            if is_drift {
                                let _ = drift.try_send(());
                            }
                        }
                        Err(e) => {
                            tracing::warn!(project = %project, error = %e, "lost Docker's event stream");
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(project = %project, error = %e, "cannot read Docker's events");
            }
        }
        shared.up.store(false, Ordering::SeqCst);
        let delay = backoff.next_delay();
        tracing::debug!(project = %project, ?delay, "reconnecting to Docker's event stream");
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shared.engine_back.notified() => {}
        }
    }
}

/// The backoff of reconnects: 250 ms doubling up to 10 s.
pub fn reconnect_backoff() -> Backoff {
    Backoff::new(Duration::from_millis(250), Duration::from_secs(10))
}
