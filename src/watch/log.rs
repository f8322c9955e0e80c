//! The loop's log lines, through `tracing`: human lines on a terminal, one
//! JSON object per line for machines. Every action and error is one line
//! carrying the project and, for a pod, its namespace and name.

use std::io::IsTerminal;

use crate::converge::{Change, Verb};

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Sends `tracing` lines to stderr in `format` (`BERTH_LOG=debug` shows
/// more). Colour only on a terminal and without `NO_COLOR`.
pub fn init(format: LogFormat) {
    let level = match std::env::var("BERTH_LOG").ok().as_deref() {
        Some("debug") => tracing::Level::DEBUG,
        Some("trace") => tracing::Level::TRACE,
        Some("warn") => tracing::Level::WARN,
        _ => tracing::Level::INFO,
    };
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => {
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            builder.with_ansi(colour).try_init()
        }
    };
}

/// (`pod`, `default`, `web`) from `pod default/web`; other objects have no
/// namespace (`network berth_p_default`, `image busybox`).
pub fn split_object(object: &str) -> (&str, Option<&str>, &str) {
    let (kind, rest) = object.split_once(' ').unwrap_or(("", object));
    match rest.split_once('/') {
        Some((ns, name)) if kind != "image" => (kind, Some(ns), name),
        _ => (kind, None, rest),
    }
}

/// One line for one change, worded as `apply` prints it.
pub fn change(project: &str, change: &Change) {
    let (kind, namespace, name) = split_object(&change.object);
    let pod = (kind == "pod").then_some(name);
    let text = change.text();
    let object = change.object.as_str();
    match change.verb {
        Verb::Failed | Verb::PullFailed => {
            tracing::error!(project, namespace, pod, object, "{text}")
        }
        Verb::Warning => {
            tracing::warn!(
                project,
                namespace,
                pod,
                object,
                "{}: {}",
                object,
                change.detail
            )
        }
        _ => tracing::info!(project, namespace, pod, object, "{text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_split_into_kind_namespace_and_name() {
        assert_eq!(
            split_object("pod default/web"),
            ("pod", Some("default"), "web")
        );
        assert_eq!(split_object("rc shop/api"), ("rc", Some("shop"), "api"));
        assert_eq!(
            split_object("network berth_p_default"),
            ("network", None, "berth_p_default")
        );
        assert_eq!(
            split_object("image localhost/x:1"),
            ("image", None, "localhost/x:1")
        );
    }
}
