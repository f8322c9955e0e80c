//! A plan rendered instead of executed: one change line per action and, for
//! a changed pod, the unified diff of its last applied spec against the
//! desired one. `berth diff` writes it to the terminal; the watch page shows
//! it as plain text.

use std::io::{self, Write};

use serde_json::Value;

use super::{change_line, error_message, unified_diff, Mark};
use crate::plan::{Action, Plan, RecreateWhy, RemoveWhy};

/// How many objects a diff adds, changes and removes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
}

impl Counts {
    pub fn is_empty(&self) -> bool {
        self.added + self.changed + self.removed == 0
    }
}

/// The unified diff of a pod's last-applied spec and its desired one.
fn spec_diff(out: &mut dyn Write, object: &str, old_json: &str, new_json: &str) -> io::Result<()> {
    let path = object.replace(' ', "/");
    unified_diff(
        out,
        &format!("a/{path}"),
        &format!("b/{path}"),
        &yaml(old_json),
        &yaml(new_json),
    )
}

/// Renders every action of `plan` (and its notes); returns the counts.
pub fn render_plan(plan: &Plan, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<Counts> {
    let mut counts = Counts::default();
    for action in &plan.actions {
        let object = match (plan.show_nodes, action.node()) {
            (true, Some(node)) => format!("{} on {node}", action.object()),
            _ => action.object(),
        };
        match action {
            Action::Create { .. } | Action::CreateController { .. } => {
                counts.added += 1;
                change_line(out, Mark::Added, &object)?;
            }
            Action::Recreate {
                why: RecreateWhy::SpecChanged { old_json, new_json },
                ..
            } => {
                counts.changed += 1;
                change_line(out, Mark::Changed, &format!("{object} (spec changed)"))?;
                spec_diff(out, &action.object(), old_json, new_json)?;
            }
            Action::Recreate {
                why:
                    RecreateWhy::EnvSourcesChanged {
                        old_json,
                        new_json,
                        changes,
                    },
                ..
            } => {
                counts.changed += 1;
                let what = format!("{object} (env source changed)");
                change_line(out, Mark::Changed, &what)?;
                for change in changes {
                    writeln!(out, "    {change}")?;
                }
                if old_json != new_json {
                    spec_diff(out, &action.object(), old_json, new_json)?;
                }
            }
            Action::Repair { message, .. } => {
                counts.changed += 1;
                change_line(
                    out,
                    Mark::Repaired,
                    &format!("{object} (repair: {message})"),
                )?;
            }
            Action::Initialize { message, .. } => {
                counts.changed += 1;
                change_line(out, Mark::Changed, &format!("{object} ({message})"))?;
            }
            Action::UpdatePod { changes, .. } => {
                counts.changed += 1;
                let what = format!("{object} (updated in place, no restart)");
                change_line(out, Mark::Changed, &what)?;
                for change in changes {
                    writeln!(out, "    {change}")?;
                }
            }
            Action::Retry {
                reason, message, ..
            } => {
                counts.changed += 1;
                change_line(
                    out,
                    Mark::Failed,
                    &format!("{object} (waiting: {reason}: {message}; apply retries it)"),
                )?;
            }
            Action::UpdateController {
                controller,
                old,
                changes,
            } => {
                counts.changed += 1;
                let what = if old.template_hash == controller.template_hash {
                    format!("replicas {} → {}", old.replicas, controller.replicas)
                } else if changes.is_empty() {
                    "template changed".to_string()
                } else if old.template_json.as_deref() == Some(controller.template_json.as_str()) {
                    // The pods' own wording, for the rollout they make.
                    "rollout: env source changed".to_string()
                } else {
                    "rollout: template and env source changed".to_string()
                };
                change_line(out, Mark::Changed, &format!("{object} ({what})"))?;
                for change in changes {
                    writeln!(out, "    {change}")?;
                }
            }
            Action::Remove { why, .. } => {
                counts.removed += 1;
                change_line(
                    out,
                    Mark::Removed,
                    &format!("{object} ({})", why_removed(*why)),
                )?;
            }
            Action::RemoveController { .. } => {
                counts.removed += 1;
                change_line(
                    out,
                    Mark::Removed,
                    &format!("{object} (no longer declared)"),
                )?;
            }
        }
    }
    for network in &plan.remove_networks {
        change_line(
            out,
            Mark::Removed,
            &format!("network {network} (no pods left)"),
        )?;
    }
    for note in &plan.waiting {
        change_line(
            out,
            Mark::Waiting,
            &format!("{} waiting ({})", note.object, note.message),
        )?;
    }
    for note in &plan.errors {
        error_message(err, &format!("{}: {}", note.object, note.message))?;
    }
    Ok(counts)
}

/// The pending diff of `plan` as plain text (colours stripped): the change
/// lines, then the halted rollouts' errors, as `berth diff` shows them.
pub fn plan_text(plan: &Plan) -> String {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    // Writing into memory cannot fail.
    let _ = render_plan(plan, &mut out, &mut err);
    out.extend(err);
    anstream::adapter::strip_str(&String::from_utf8_lossy(&out)).to_string()
}

fn why_removed(why: RemoveWhy) -> &'static str {
    match why {
        RemoveWhy::NotDeclared => "no longer declared",
        RemoveWhy::ScaledDown => "scaled down",
        RemoveWhy::Replaced => "replaced by the new template",
        RemoveWhy::Failed => "failed; its controller replaces it",
        RemoveWhy::NodeLost => "left on a node that was lost",
        RemoveWhy::NodeRemoved => "its node is no longer declared",
    }
}

/// A JSON spec as YAML, so a diff shows one field per line.
fn yaml(json: &str) -> String {
    match serde_json::from_str::<Value>(json) {
        Ok(value) => canonical(&value),
        Err(_) => format!("{json}\n"),
    }
}

/// The object as YAML, keys in their Kubernetes order.
pub fn canonical(value: &Value) -> String {
    serde_yaml::to_string(value).unwrap_or_else(|error| format!("# cannot render: {error}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Note;

    #[test]
    fn a_recreate_for_a_changed_env_source_names_the_key() {
        let pod = crate::desired::test_pod("app");
        let old = crate::status::fixtures::pod("app").build();
        let json = "{\"spec\": {}}".to_string();
        let plan = Plan {
            actions: vec![Action::Recreate {
                pod,
                old,
                why: RecreateWhy::EnvSourcesChanged {
                    old_json: json.clone(),
                    new_json: json,
                    changes: vec!["ConfigMap default/app-config key LOG_LEVEL changed".into()],
                },
            }],
            ..Default::default()
        };
        assert_eq!(
            plan_text(&plan),
            "~ pod default/app (env source changed)\n    ConfigMap default/app-config key LOG_LEVEL changed\n"
        );
    }

    #[test]
    fn a_rollout_for_a_changed_env_source_names_the_key() {
        let old = crate::observed::ObservedController {
            kind: "Deployment".into(),
            owner: None,
            project: "p".into(),
            namespace: "default".into(),
            name: "web".into(),
            replicas: 3,
            selector: Default::default(),
            template_hash: "h1".into(),
            template_json: Some(String::new()),
            container_id: "c".into(),
            created: 0,
            node: "local".into(),
        };
        let controller = crate::desired::DesiredController {
            kind: "Deployment".into(),
            owner: None,
            namespace: "default".into(),
            name: "web".into(),
            replicas: 3,
            selector: Default::default(),
            template_hash: "h2".into(),
            template_json: String::new(),
            env_sources: Default::default(),
        };
        let update = |changes: Vec<String>| Plan {
            actions: vec![Action::UpdateController {
                controller: controller.clone(),
                old: old.clone(),
                changes,
            }],
            ..Default::default()
        };
        let changes = vec!["ConfigMap default/app-config key LOG_LEVEL changed".into()];
        assert_eq!(
            plan_text(&update(changes)),
            "~ deployment default/web (rollout: env source changed)\n    ConfigMap default/app-config key LOG_LEVEL changed\n"
        );
        assert_eq!(
            plan_text(&update(Vec::new())),
            "~ deployment default/web (template changed)\n"
        );
        let mut edited = update(vec!["ConfigMap default/app-config key MODE now read".into()]);
        if let Action::UpdateController { old, .. } = &mut edited.actions[0] {
            old.template_json = Some("{\"spec\": {}}".into());
        }
        assert_eq!(
            plan_text(&edited),
            "~ deployment default/web (rollout: template and env source changed)\n    ConfigMap default/app-config key MODE now read\n"
        );
    }

    #[test]
    fn plan_text_is_empty_for_an_empty_plan() {
        assert_eq!(plan_text(&Plan::default()), "");
    }

    #[test]
    fn plan_text_has_the_change_lines_then_the_errors_without_colour() {
        let plan = Plan {
            remove_networks: vec!["berth_p_old".into()],
            errors: vec![Note {
                object: "rc default/web".into(),
                message: "rollout halted".into(),
            }],
            ..Default::default()
        };
        assert_eq!(
            plan_text(&plan),
            "- network berth_p_old (no pods left)\nerror: rc default/web: rollout halted\n"
        );
    }
}
