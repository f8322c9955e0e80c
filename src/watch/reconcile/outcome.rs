//! After the files loaded: converge the engine to them (the empty-set guard
//! first), then work out the sync state — in sync, or what `berth diff`
//! would still show and why — and when to look again.

use std::sync::Arc;
use std::time::Duration;

use crate::converge::{self, Change, Outcome};
use crate::engine::Engine;
use crate::manifest::Manifests;
use crate::observed::Observed;
use crate::plan::{Action, Plan};
use crate::snapshot::{PendingDiff, ReconcileReport, ReconcileResult, SyncState};

use super::super::counted::Counted;
use super::super::log;
use super::{Next, Reconciler};

impl<E: Engine + 'static> Reconciler<E> {
    pub(super) async fn converge(
        &mut self,
        engine: &Counted<E>,
        manifests: &Manifests,
        report: &mut ReconcileReport,
    ) -> Next {
        let settings = self.config.settings.clone();
        if manifests.is_empty() && settings.prune && !self.config.allow_empty {
            if let Some(next) = self.refuse_empty(engine, manifests, report).await {
                return next;
            }
        }
        let project = settings.project.clone();
        let mut log_change = |c: &Change| log::change(&project, c);
        let outcome = converge::apply_cached(
            engine,
            manifests,
            &settings,
            &mut self.cache,
            &mut log_change,
        )
        .await;
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(e) => {
                let text = format!(
                    "{e}: {}",
                    std::error::Error::source(&e)
                        .map(|s| s.to_string())
                        .unwrap_or_default()
                );
                self.engine_down(&text, report);
                return None;
            }
        };
        self.engine_up(engine.endpoint());
        if let Some(set) = self.nodes.as_mut() {
            // Nodes the engine's records name that no manifest declares:
            // the next reconcile drives them as a pool, to delete their pods.
            set.note_terminated(&outcome.undeclared);
        }
        self.after(engine, manifests, outcome, report).await
    }

    /// Sync state and the next look, from what `apply` did.
    async fn after(
        &mut self,
        engine: &Counted<E>,
        manifests: &Manifests,
        outcome: Outcome,
        report: &mut ReconcileReport,
    ) -> Next {
        let Some((next, mut reasons)) = self.judge(&outcome, report) else {
            self.snapshot.observed = Some(Arc::new(outcome.observed));
            return None;
        };
        // What is still to do, as `berth diff` would show it.
        let mut pool = converge::single(engine, manifests, &self.config.settings);
        match converge::look(&mut pool, manifests, &self.config.settings, &mut self.cache).await {
            Ok(planned) => {
                self.snapshot.observed = Some(Arc::new(planned.looked.merged));
                self.snapshot.sync = pending(&planned.plan, reasons);
            }
            Err(e) => {
                self.snapshot.observed = Some(Arc::new(outcome.observed));
                reasons.push(e.to_string());
                self.snapshot.sync = SyncState::OutOfSync(PendingDiff {
                    reasons,
                    ..PendingDiff::default()
                });
            }
        }
        Some(next)
    }

    /// The manifests declare nothing: refuse to remove everything (the
    /// empty-directory guard), unless there is nothing to remove.
    async fn refuse_empty(
        &mut self,
        engine: &Counted<E>,
        manifests: &Manifests,
        report: &mut ReconcileReport,
    ) -> Option<Next> {
        let mut pool = converge::single(engine, manifests, &self.config.settings);
        let looked =
            converge::look(&mut pool, manifests, &self.config.settings, &mut self.cache).await;
        let (observed, plan) = match looked {
            Ok(planned) => (planned.looked.merged, planned.plan),
            Err(e) => {
                self.engine_down(&e.to_string(), report);
                return Some(None);
            }
        };
        self.engine_up(engine.endpoint());
        if !converge::would_remove_everything(manifests, &plan) {
            return None;
        }
        self.refuse(observed, &plan, report);
        Some(None)
    }

    /// Refuses to remove every pod because the manifests declare nothing
    /// (the empty-directory guard): says so in the log, the report and the
    /// sync state, with what the plan would have done.
    pub(super) fn refuse(&mut self, observed: Observed, plan: &Plan, report: &mut ReconcileReport) {
        let project = &self.config.settings.project;
        let message = format!(
            "the manifests declare no objects; refusing to remove every pod of project {project} \
             (start watch with --allow-empty to allow it)"
        );
        tracing::error!(project = %project, "{message}");
        report.result = ReconcileResult::Refused;
        report.errors.push(message.clone());
        self.snapshot.observed = Some(Arc::new(observed));
        self.snapshot.sync = pending(plan, vec![message]);
    }

    /// What `apply` did, into the report (its changes, its failures as
    /// errors). Converged: in sync, and the retry backoff starts over
    /// (`None`). Otherwise the result, when to look again, and why: the
    /// caller then shows what is still pending.
    pub(super) fn judge(
        &mut self,
        outcome: &Outcome,
        report: &mut ReconcileReport,
    ) -> Option<(Duration, Vec<String>)> {
        let failed: Vec<String> = outcome
            .changes
            .iter()
            .filter(|c| c.verb == converge::Verb::Failed)
            .map(Change::text)
            .collect();
        report.changes = outcome.changes.clone();
        report.errors.extend(failed.iter().cloned());
        if outcome.failures.is_empty() && outcome.waiting.is_none() {
            self.snapshot.sync = SyncState::InSync;
            self.retry_backoff.reset();
            return None;
        }
        let mut reasons = failed;
        let next = match &outcome.waiting {
            Some(wait) if outcome.failures.is_empty() => {
                report.result = ReconcileResult::Progressing;
                reasons.push(format!("{}: {}", wait.object, wait.message));
                self.config.poll
            }
            _ => {
                report.result = ReconcileResult::Failed;
                self.retry_backoff.next_delay()
            }
        };
        Some((next, reasons))
    }
}

/// Out of sync with `plan` pending (or in sync when it is empty and
/// nothing is wrong).
pub(super) fn pending(plan: &Plan, reasons: Vec<String>) -> SyncState {
    if plan.is_empty() && reasons.is_empty() {
        return SyncState::InSync;
    }
    let lines = plan
        .actions
        .iter()
        .map(|a| {
            let mark = match a {
                Action::Create { .. } | Action::CreateController { .. } => "+",
                Action::Remove { .. } | Action::RemoveController { .. } => "-",
                _ => "~",
            };
            format!("{mark} {}", a.object())
        })
        .collect();
    SyncState::OutOfSync(PendingDiff {
        lines,
        text: crate::report::plan_text(plan),
        reasons,
    })
}
