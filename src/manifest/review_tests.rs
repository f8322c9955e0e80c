//! An outside reviewer's tests: behaviours a Kubernetes user expects from
//! `kubectl apply --validate=strict`, each error checked for its file, line,
//! column and field path.
//!
//! Decisions, where Kubernetes leaves room:
//! - plain `yes`/`no`/`on`/`off`/`y`/`n` are booleans, as kubectl's go-yaml v2
//!   reads them (`value: yes` is a type error; `!!str` or quotes make strings);
//! - environment variable names follow the relaxed rule of current
//!   Kubernetes (printable ASCII except `=`; `1ABC` is valid);
//! - a negative `terminationGracePeriodSeconds` is accepted and becomes 1;
//! - what the API server stores but no container runtime can run is refused
//!   at load (relative `hostPath.path`, `mountPath`, `workingDir`: OCI wants
//!   absolute paths, Kubernetes ends in CreateContainerError); what only
//!   Docker refuses is a warning (memory limits under 6MB), and so is an
//!   image reference Docker cannot parse (the kubelet's InvalidImageName);
//! - whole floats (`3.0`, `1e3`) are integers, as kubectl re-encodes them.

use std::path::Path;

use super::*;

fn load_yaml(text: &str) -> Loaded {
    load_text(Path::new("m.yaml"), text, LoadOptions::default())
}

fn load_json(text: &str) -> Loaded {
    load_text(Path::new("m.json"), text, LoadOptions::default())
}

fn all(loaded: &Loaded) -> String {
    let lines: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

/// Asserts an error at `line:column` on `path` whose message contains `needle`.
#[track_caller]
fn assert_error_at(loaded: &Loaded, (line, column): (usize, usize), path: &str, needle: &str) {
    let hit = loaded.errors().any(|d| {
        (d.source.line, d.source.column) == (line, column)
            && d.path == path
            && d.message.contains(needle)
    });
    assert!(
        hit,
        "want an error at {line}:{column} {path}: …{needle}…, got:\n{}",
        all(loaded)
    );
}

/// Asserts an error on `path` whose message contains `needle`, anywhere.
#[track_caller]
fn assert_error_on(loaded: &Loaded, path: &str, needle: &str) {
    let hit = loaded
        .errors()
        .any(|d| d.path == path && d.message.contains(needle));
    assert!(
        hit,
        "want an error on {path}: …{needle}…, got:\n{}",
        all(loaded)
    );
}

#[track_caller]
fn assert_valid(loaded: &Loaded) {
    assert!(!loaded.has_errors(), "unexpected errors:\n{}", all(loaded));
}

#[track_caller]
fn assert_clean(loaded: &Loaded) {
    assert!(
        loaded.diagnostics.is_empty(),
        "unexpected diagnostics:\n{}",
        all(loaded)
    );
}

/// A pod whose only container is at line 7; `extra` continues the container
/// (indented 4 spaces) from line 9 on.
fn pod(extra: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: main\n    image: busybox\n{extra}"
    )
}

/// A pod with `spec_extra` (indented 2 spaces) from line 6, before containers.
fn pod_spec(spec_extra: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n{spec_extra}  containers:\n  - name: main\n    image: busybox\n"
    )
}

/// A pod with `meta_extra` (indented 2 spaces) from line 5, inside metadata.
fn pod_meta(meta_extra: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n{meta_extra}spec:\n  containers:\n  - name: main\n    image: busybox\n"
    )
}

mod containers;
mod controllers;
mod defaults;
mod documents;
mod init_containers;
mod labels;
