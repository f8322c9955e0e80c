//! A `Listing`: the objects `get` shows, each with its table cells (after
//! NAME), its `-o wide` cells and its Kubernetes JSON. Built offline from
//! manifests (`cmd::get`) or live (`live`); printed by `cmd::listing`.

use serde_json::Value;

use crate::cli::Resource;
use crate::manifest::Labels;

/// One object ready to print in every format.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Shown in a PROJECT column when the listing spans projects.
    pub project: Option<String>,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
    /// The table cells after NAME.
    pub cells: Vec<String>,
    /// The extra cells of `-o wide`.
    pub wide: Vec<String>,
    pub json: Value,
}

/// What `get` found, with the column headers after NAME.
#[derive(Debug, Clone)]
pub struct Listing {
    pub resource: Resource,
    pub headers: Vec<&'static str>,
    pub wide_headers: Vec<&'static str>,
    pub items: Vec<Listed>,
    /// Show a NAMESPACE column (`-A`).
    pub show_namespace: bool,
    /// Show a PROJECT column (live, no `--project`).
    pub show_project: bool,
}

pub fn join<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    parts.collect::<Vec<_>>().join(",")
}

pub fn none_if_empty(text: String) -> String {
    if text.is_empty() {
        "<none>".into()
    } else {
        text
    }
}

/// `app=web,tier=db`, or `<none>`.
pub fn labels_text(labels: &Labels) -> String {
    none_if_empty(
        labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// The listing with a last LABELS column (`--show-labels`), from each
/// object's `metadata.labels`.
pub fn with_labels_column(mut listing: Listing) -> Listing {
    listing.headers.push("LABELS");
    for item in &mut listing.items {
        let labels: Labels = item.json["metadata"]["labels"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        item.cells.push(labels_text(&labels));
    }
    listing
}
