//! The planner's share of init containers: while a pod's init sequence
//! is not over, the one step to take (start the next init container, or
//! the app containers once all completed), or the note saying what it
//! waits for or what stopped it.

use super::{Action, Note};
use crate::desired::{health, DesiredPod};
use crate::init_progress;
use crate::observed::ObservedPod;

/// What a pod's init containers wait for (the running one: `apply` waits
/// for it, bounded by its `--timeout`) and what stops them (a failure, for
/// good under restartPolicy Never, else until its back-off is over).
#[derive(Debug, Default)]
pub(super) struct InitNotes {
    pub waiting: Vec<Note>,
    pub errors: Vec<Note>,
}

/// Where the pod's init sequence stands, when it is not over: its infra
/// container runs and no app container was created yet. (A pod whose
/// infra container is gone is recreated whole by `repair_reason`, and its
/// init containers run again, as after a new pod sandbox.)
pub(super) fn init_step(
    pod: &DesiredPod,
    old: &ObservedPod,
    now: i64,
) -> Option<init_progress::Step> {
    if pod.spec.init_containers.is_empty() || !old.containers.is_empty() {
        return None;
    }
    let running = old
        .infra
        .as_ref()
        .is_some_and(|infra| !health::is_exited(infra));
    if !running {
        return None;
    }
    let names: Vec<String> = pod
        .spec
        .init_containers
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let policy = pod.spec.restart_policy;
    Some(init_progress::step(
        &names,
        &old.init_containers,
        false,
        policy,
        now,
    ))
}

/// The action (or the note) for a pod in its init sequence at `step`.
pub(super) fn init_action(
    pod: &DesiredPod,
    old: &ObservedPod,
    step: init_progress::Step,
    now: i64,
    notes: &mut InitNotes,
) -> Option<Action> {
    use init_progress::Step;
    let total = pod.spec.init_containers.len();
    let name = |index: usize| pod.spec.init_containers[index].name.clone();
    let note = |message: String| Note {
        object: format!("pod {}", pod.key()),
        message,
    };
    let initialize = |index: usize, restarts: u64, message: String| {
        Some(Action::Initialize {
            pod: pod.clone(),
            old: old.clone(),
            index,
            restarts,
            message,
        })
    };
    match step {
        Step::Done => initialize(
            total,
            0,
            "init containers completed; app containers created".to_string(),
        ),
        Step::Run { index, restarts: 0 } => initialize(
            index,
            0,
            format!(
                "init container {} started: Init:{index}/{total}",
                name(index)
            ),
        ),
        Step::Run { index, restarts } => initialize(
            index,
            restarts,
            format!(
                "init container {} run again after its back-off (restart {restarts})",
                name(index)
            ),
        ),
        Step::Running { index } => {
            let message = format!(
                "init container {} is running: Init:{index}/{total}",
                name(index)
            );
            notes.waiting.push(note(message));
            None
        }
        Step::BackOff {
            index, code, at, ..
        } => {
            let message = format!(
                "init container {} exited with code {code} (Init:CrashLoopBackOff); \
                 berth runs it again after its back-off, in {}s",
                name(index),
                (at - now).max(0)
            );
            notes.errors.push(note(message));
            None
        }
        Step::Failed { index, code } => {
            let message = format!(
                "init container {} exited with code {code}: the pod failed \
                 (Init:Error; restartPolicy Never)",
                name(index)
            );
            notes.errors.push(note(message));
            None
        }
    }
}
