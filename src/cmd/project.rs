//! The project name: given with `--project`, or derived from the manifest
//! directory's base name as compose does, made into a DNS-1123 label.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// The project to use: `explicit` when given (it must already be a valid
/// DNS-1123 label), else derived from the first path.
pub fn resolve_project(explicit: Option<&str>, paths: &[PathBuf]) -> anyhow::Result<String> {
    match explicit {
        Some(name) => {
            if sanitize_project(name).as_deref() != Some(name) {
                bail!(
                    "invalid project name {name:?}: a project name must be at most 63 \
                     lowercase alphanumerics or '-', starting and ending alphanumeric"
                );
            }
            Ok(name.to_string())
        }
        None => default_project(paths),
    }
}

/// The base name of the first path if it is a directory, else of its parent
/// directory, sanitised (see `sanitize_project`).
pub fn default_project(paths: &[PathBuf]) -> anyhow::Result<String> {
    let first = paths
        .first()
        .context("no manifest path given to derive the project name from")?;
    let absolute = std::path::absolute(first)
        .with_context(|| format!("cannot resolve {}", first.display()))?;
    let absolute = absolute.canonicalize().unwrap_or(absolute);
    let directory: &Path = if absolute.is_dir() {
        &absolute
    } else {
        absolute.parent().unwrap_or(&absolute)
    };
    let base = directory
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match sanitize_project(&base) {
        Some(project) => Ok(project),
        None => bail!(
            "cannot derive a project name from the directory {:?}; give one with --project NAME",
            directory.display().to_string()
        ),
    }
}

/// Lowercases, turns every run of characters outside `[a-z0-9]` into one
/// `-`, trims `-` at both ends and cuts to 63 characters. `None` when
/// nothing is left.
pub fn sanitize_project(name: &str) -> Option<String> {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out = out.trim_matches('-').to_string();
    out.truncate(63);
    let out = out.trim_end_matches('-').to_string();
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_names_become_dns1123_labels() {
        assert_eq!(
            sanitize_project("My_App.Config"),
            Some("my-app-config".into())
        );
        assert_eq!(sanitize_project("--web--"), Some("web".into()));
        assert_eq!(sanitize_project("web"), Some("web".into()));
        assert_eq!(sanitize_project("___"), None);
        assert_eq!(sanitize_project("日本"), None);
        assert_eq!(sanitize_project(&"a".repeat(80)).map(|s| s.len()), Some(63));
    }

    #[test]
    fn project_defaults_to_the_directory_or_the_files_parent() {
        let dir = tempfile::Builder::new()
            .prefix("Shop_Front")
            .tempdir()
            .unwrap();
        let file = dir.path().join("pod.yaml");
        std::fs::write(&file, "").unwrap();
        let from_dir = default_project(&[dir.path().to_path_buf()]).unwrap();
        let from_file = default_project(&[file]).unwrap();
        assert!(from_dir.starts_with("shop-front"), "{from_dir}");
        assert_eq!(from_dir, from_file);
    }

    #[test]
    fn explicit_project_must_be_a_valid_label() {
        assert_eq!(resolve_project(Some("shop"), &[]).unwrap(), "shop");
        let error = resolve_project(Some("Shop"), &[]).unwrap_err().to_string();
        assert!(error.contains("invalid project name"), "{error}");
    }
}
