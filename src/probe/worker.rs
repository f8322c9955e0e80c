//! One probe's result, counted as the kubelet's probe worker counts it: a
//! result replaces the previous one only after `successThreshold` successes
//! or `failureThreshold` failures in a row.

use crate::manifest::{Probe, ProbeKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeResult {
    /// No result yet (a startup probe before its first verdict).
    Unknown,
    Success,
    Failure,
}

/// The counting state of one probe of one container run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    /// The result the probe stands at.
    pub result: ProbeResult,
    last: Option<bool>,
    run: u32,
}

impl Counter {
    /// The kubelet's initial results: readiness fails until it passes,
    /// liveness succeeds until it fails, startup knows nothing.
    pub fn new(kind: ProbeKind) -> Counter {
        let result = match kind {
            ProbeKind::Readiness => ProbeResult::Failure,
            ProbeKind::Liveness => ProbeResult::Success,
            ProbeKind::Startup => ProbeResult::Unknown,
        };
        Counter {
            result,
            last: None,
            run: 0,
        }
    }

    /// Counts one check (`passed`) and returns the result it stands at.
    pub fn record(&mut self, probe: &Probe, passed: bool) -> ProbeResult {
        if self.last == Some(passed) {
            self.run = self.run.saturating_add(1);
        } else {
            self.last = Some(passed);
            self.run = 1;
        }
        let (threshold, outcome) = if passed {
            (probe.success_threshold, ProbeResult::Success)
        } else {
            (probe.failure_threshold, ProbeResult::Failure)
        };
        if self.run >= threshold.max(1) {
            self.result = outcome;
        }
        self.result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ProbeHandler;

    fn probe(success: u32, failure: u32) -> Probe {
        Probe {
            success_threshold: success,
            failure_threshold: failure,
            ..Probe::new(ProbeHandler::Exec {
                command: vec!["true".into()],
            })
        }
    }

    #[test]
    fn readiness_starts_failed_and_passes_after_its_success_threshold() {
        let p = probe(2, 3);
        let mut c = Counter::new(ProbeKind::Readiness);
        assert_eq!(c.result, ProbeResult::Failure);
        assert_eq!(c.record(&p, true), ProbeResult::Failure);
        assert_eq!(c.record(&p, true), ProbeResult::Success);
    }

    #[test]
    fn liveness_fails_only_after_failure_threshold_failures_in_a_row() {
        let p = probe(1, 3);
        let mut c = Counter::new(ProbeKind::Liveness);
        assert_eq!(c.record(&p, false), ProbeResult::Success);
        assert_eq!(c.record(&p, false), ProbeResult::Success);
        // A success in between starts the count again.
        assert_eq!(c.record(&p, true), ProbeResult::Success);
        assert_eq!(c.record(&p, false), ProbeResult::Success);
        assert_eq!(c.record(&p, false), ProbeResult::Success);
        assert_eq!(c.record(&p, false), ProbeResult::Failure);
        assert_eq!(c.record(&p, true), ProbeResult::Success);
    }

    #[test]
    fn startup_is_unknown_until_its_first_verdict() {
        let p = probe(1, 2);
        let mut c = Counter::new(ProbeKind::Startup);
        assert_eq!(c.result, ProbeResult::Unknown);
        assert_eq!(c.record(&p, false), ProbeResult::Unknown);
        assert_eq!(c.record(&p, false), ProbeResult::Failure);
    }
}
