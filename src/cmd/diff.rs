//! `berth diff --base OLD_PATH NEW_PATH`: the difference between two
//! manifest sets, object by object, without Docker (for CI on a pull
//! request). Exit 0 no change, 1 changes, 2 either side invalid.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::cli::GlobalArgs;
use crate::manifest::Manifests;
use crate::report::{self, canonical, Counts, Mark};

use super::objects::{declared_objects, ObjectKey};
use super::{load_reported, ExitStatus, Io};

pub fn run_base(
    global: &GlobalArgs,
    base: &Path,
    paths: &[PathBuf],
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    let old = load_reported(&[base.to_path_buf()], global.load_options(), io)?;
    let new = load_reported(paths, global.load_options(), io)?;
    let (Some(old), Some(new)) = (old, new) else {
        return Ok(ExitStatus::Error);
    };
    let counts = render_diff(&old.manifests, &new.manifests, io.out)?;
    // No difference: nothing on stdout, as `kubectl diff`.
    if !counts.is_empty() {
        report::diff_summary(io.out, counts.added, counts.changed, counts.removed)?;
    }
    Ok(if counts.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// For every object added, changed or removed: a change line and the
/// unified diff of its canonical YAML.
pub(crate) fn render_diff(
    old: &Manifests,
    new: &Manifests,
    w: &mut dyn std::io::Write,
) -> std::io::Result<Counts> {
    let (old_manifests, new_manifests) = (old, new);
    let old = declared_objects(old);
    let new = declared_objects(new);
    let keys: BTreeSet<&ObjectKey> = old.keys().chain(new.keys()).collect();
    let mut counts = Counts::default();
    for key in keys {
        let mut before = old.get(key).map(|(value, _)| value.clone());
        let mut after = new.get(key).map(|(value, _)| value.clone());
        if key.kind == "secret" {
            let find = |m: &Manifests| {
                m.secrets
                    .iter()
                    .find(|s| s.meta.namespace == key.namespace && s.meta.name == key.name)
                    .map(|s| s.data.clone())
            };
            let (a, b) = secret_masks(find(old_manifests), find(new_manifests));
            for (value, masks) in [(&mut before, a), (&mut after, b)] {
                if let (Some(value), false) = (value.as_mut(), masks.is_empty()) {
                    value["data"] = serde_json::json!(masks);
                }
            }
        }
        let before = before.map(|value| canonical(&value));
        let after = after.map(|value| canonical(&value));
        let path = format!("{}/{}", key.kind, qualified(key));
        let (mark, old_label, new_label) = match (&before, &after) {
            (None, Some(_)) => (Mark::Added, "/dev/null".to_string(), format!("b/{path}")),
            (Some(_), None) => (Mark::Removed, format!("a/{path}"), "/dev/null".to_string()),
            (Some(b), Some(a)) if b != a => {
                (Mark::Changed, format!("a/{path}"), format!("b/{path}"))
            }
            _ => continue,
        };
        match mark {
            Mark::Added => counts.added += 1,
            Mark::Removed => counts.removed += 1,
            _ => counts.changed += 1,
        }
        report::change_line(w, mark, &key.to_string())?;
        let (before, after) = (before.unwrap_or_default(), after.unwrap_or_default());
        report::unified_diff(w, &old_label, &new_label, &before, &after)?;
    }
    Ok(counts)
}

/// A Secret's values as `diff` shows them, never the value itself, as
/// `kubectl diff` masks them: `(sensitive, N bytes)`, and where the value
/// changed, `(sensitive, N bytes, before)` against `(…, after)`.
fn secret_masks(
    old: Option<BTreeMap<String, Vec<u8>>>,
    new: Option<BTreeMap<String, Vec<u8>>>,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let (old, new) = (old.unwrap_or_default(), new.unwrap_or_default());
    let mask = |value: &[u8], suffix: &str| format!("(sensitive, {} bytes{suffix})", value.len());
    let mut before = BTreeMap::new();
    let mut after = BTreeMap::new();
    for (key, value) in &old {
        let changed = new.get(key).is_some_and(|other| other != value);
        let suffix = if changed { ", before" } else { "" };
        before.insert(key.clone(), mask(value, suffix));
    }
    for (key, value) in &new {
        let changed = old.get(key).is_some_and(|other| other != value);
        let suffix = if changed { ", after" } else { "" };
        after.insert(key.clone(), mask(value, suffix));
    }
    (before, after)
}

fn qualified(key: &ObjectKey) -> String {
    if key.namespace.is_empty() {
        key.name.clone()
    } else {
        format!("{}/{}", key.namespace, key.name)
    }
}

#[cfg(test)]
mod tests {
    use super::super::objects::fixtures::*;
    use super::*;

    fn diff(old: &Manifests, new: &Manifests) -> (Counts, String) {
        let mut out = Vec::new();
        let counts = render_diff(old, new, &mut out).unwrap();
        (
            counts,
            anstream::adapter::strip_str(&String::from_utf8(out).unwrap()).to_string(),
        )
    }

    #[test]
    fn identical_manifests_have_no_diff() {
        let manifests = Manifests {
            pods: vec![pod("default", "web", &[])],
            ..Default::default()
        };
        assert_eq!(
            diff(&manifests, &manifests),
            (Counts::default(), String::new())
        );
    }

    #[test]
    fn a_changed_image_shows_as_one_changed_line_pair() {
        let old = Manifests {
            pods: vec![pod("default", "web", &[])],
            ..Default::default()
        };
        let mut new = old.clone();
        new.pods[0].spec.containers[0].image = "busybox:2".into();
        let (counts, text) = diff(&old, &new);
        assert_eq!(
            counts,
            Counts {
                added: 0,
                changed: 1,
                removed: 0
            }
        );
        assert!(
            text.starts_with("~ pod default/web\n--- a/pod/default/web\n+++ b/pod/default/web\n@@"),
            "{text}"
        );
        assert!(
            text.contains("\n-    image: busybox:1\n+    image: busybox:2\n"),
            "{text}"
        );
    }

    #[test]
    fn added_and_removed_objects_diff_against_nothing() {
        let old = Manifests {
            pods: vec![pod("default", "old", &[])],
            ..Default::default()
        };
        let new = Manifests {
            controllers: vec![rc("web", 1, &[("app", "web")])],
            ..Default::default()
        };
        let (counts, text) = diff(&old, &new);
        assert_eq!(
            counts,
            Counts {
                added: 1,
                changed: 0,
                removed: 1
            }
        );
        assert!(
            text.contains("- pod default/old\n--- a/pod/default/old\n+++ /dev/null\n"),
            "{text}"
        );
        assert!(
            text.contains("+ replicationcontroller default/web\n--- /dev/null\n"),
            "{text}"
        );
        assert!(text.contains("+  replicas: 1\n"), "{text}");
    }

    fn load(text: &str) -> Manifests {
        let loaded = crate::manifest::load_text(
            std::path::Path::new("m.yaml"),
            text,
            crate::manifest::LoadOptions::default(),
        );
        assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
        loaded.manifests
    }

    const OBJECTS: &str = "apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {LEVEL: LEVEL_VALUE}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: PASSWORD_VALUE, user: admin}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: REPLICAS
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: busybox:1}]
";

    fn objects(level: &str, password: &str, replicas: &str) -> Manifests {
        load(
            &OBJECTS
                .replace("LEVEL_VALUE", level)
                .replace("PASSWORD_VALUE", password)
                .replace("REPLICAS", replicas),
        )
    }

    #[test]
    fn config_maps_secrets_and_deployments_are_compared_and_no_secret_value_shows() {
        let old = objects("debug", "hunter2", "2");
        let (counts, text) = diff(&old, &objects("info", "swordfish", "3"));
        assert_eq!(counts.changed, 3, "{text}");
        assert!(text.contains("-  LEVEL: debug\n+  LEVEL: info"), "{text}");
        assert!(
            text.contains("-  password: (sensitive, 7 bytes, before)\n+  password: (sensitive, 9 bytes, after)"),
            "{text}"
        );
        assert!(text.contains("-  replicas: 2\n+  replicas: 3"), "{text}");
        for secret in [
            "hunter2",
            "swordfish",
            "aHVudGVyMg",
            "c3dvcmRmaXNo",
            "admin",
        ] {
            assert!(!text.contains(secret), "{secret} in:\n{text}");
        }
        // A value changed to one of the same length still shows.
        let (counts, text) = diff(&old, &objects("debug", "hunter3", "2"));
        assert_eq!(counts.changed, 1, "{text}");
        assert!(text.contains("(sensitive, 7 bytes, after)"), "{text}");
        // Unchanged: nothing.
        assert!(diff(&old, &objects("debug", "hunter2", "2")).0.is_empty());
    }
}
