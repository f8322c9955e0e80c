//! Waking the reconcile loop: triggers carry no payload, only "look again"
//! and why. Triggers that arrive while a reconcile runs coalesce into
//! exactly one more. Also the debounce of bursty sources (file saves, a
//! `docker rm -f`'s kill/die/destroy) and the capped backoff of retries.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;

use crate::snapshot::Trigger;

/// The pending triggers and the bell that rings when one arrives.
#[derive(Debug, Default)]
pub struct Wake {
    pending: Mutex<BTreeSet<Trigger>>,
    bell: Notify,
}

impl Wake {
    pub fn new() -> Arc<Wake> {
        Arc::new(Wake::default())
    }

    /// Asks for one more reconcile.
    pub fn trigger(&self, why: Trigger) {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(why);
        self.bell.notify_one();
    }

    /// Waits until at least one trigger is pending and takes them all.
    pub async fn wait(&self) -> Vec<Trigger> {
        loop {
            let taken =
                std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
            if !taken.is_empty() {
                return taken.into_iter().collect();
            }
            self.bell.notified().await;
        }
    }
}

/// Turns bursts on `rx` into single triggers: one `why` once the source has
/// been quiet for `quiet`, or at the latest `max` after the burst began (a
/// source that never stops still gets looked at). Ends when `rx` closes.
pub async fn debounce(
    mut rx: mpsc::Receiver<()>,
    quiet: Duration,
    max: Duration,
    wake: Arc<Wake>,
    why: Trigger,
) {
    while rx.recv().await.is_some() {
        let began = Instant::now();
        loop {
            let deadline = (Instant::now() + quiet).min(began + max);
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(())) => continue,
                Ok(None) => {
                    wake.trigger(why);
                    return;
                }
                Err(_) => break,
            }
        }
        wake.trigger(why);
    }
}

/// Capped exponential backoff: `first`, twice that, … up to `cap`.
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    cap: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(first: Duration, cap: Duration) -> Backoff {
        Backoff {
            first,
            cap,
            next: first,
        }
    }

    /// The delay before the next attempt; each call doubles the one after.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(self.cap);
        delay
    }

    /// After a success: start again from `first`.
    pub fn reset(&mut self) {
        self.next = self.first;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn triggers_during_a_reconcile_coalesce_into_exactly_one_more() {
        let wake = Wake::new();
        wake.trigger(Trigger::Files);
        assert_eq!(wake.wait().await, vec![Trigger::Files]);
        // A reconcile runs; meanwhile three triggers of two kinds arrive.
        wake.trigger(Trigger::Docker);
        wake.trigger(Trigger::Files);
        wake.trigger(Trigger::Docker);
        assert_eq!(wake.wait().await, vec![Trigger::Files, Trigger::Docker]);
        // Nothing more is pending: the next wait blocks.
        let more = tokio::time::timeout(Duration::from_secs(60), wake.wait()).await;
        assert!(more.is_err(), "no further reconcile was asked for");
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_file_events_gives_one_trigger_after_the_quiet_period() {
        let wake = Wake::new();
        let (tx, rx) = mpsc::channel(64);
        let quiet = Duration::from_millis(50);
        tokio::spawn(debounce(
            rx,
            quiet,
            Duration::from_secs(2),
            wake.clone(),
            Trigger::Files,
        ));
        let start = Instant::now();
        // git checkout: 20 files rewritten 5 ms apart.
        for _ in 0..20 {
            tx.send(()).await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let last = Instant::now();
        assert_eq!(wake.wait().await, vec![Trigger::Files]);
        let woke = Instant::now();
        assert!(
            woke >= last + quiet - Duration::from_millis(5),
            "not before the burst settled"
        );
        assert!(
            woke <= last + quiet + Duration::from_millis(1),
            "right after it settled"
        );
        assert!(woke - start < Duration::from_millis(200));
        let more = tokio::time::timeout(Duration::from_secs(10), wake.wait()).await;
        assert!(more.is_err(), "one burst, one trigger");
    }

    #[tokio::test(start_paused = true)]
    async fn a_source_that_never_goes_quiet_is_still_looked_at_after_max() {
        let wake = Wake::new();
        let (tx, rx) = mpsc::channel(64);
        let max = Duration::from_secs(1);
        tokio::spawn(debounce(
            rx,
            Duration::from_millis(50),
            max,
            wake.clone(),
            Trigger::Docker,
        ));
        let start = Instant::now();
        let writer = tokio::spawn(async move {
            for _ in 0..400 {
                if tx.send(()).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        assert_eq!(wake.wait().await, vec![Trigger::Docker]);
        let waited = Instant::now() - start;
        assert!(
            waited >= max && waited < max + Duration::from_millis(20),
            "{waited:?}"
        );
        writer.abort();
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_and_resets_after_success() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
        let seen: Vec<u64> = (0..5).map(|_| b.next_delay().as_secs()).collect();
        assert_eq!(seen, vec![1, 2, 4, 5, 5]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_secs(1));
    }
}
