//! Prints a `kube::Listing` in every format `get` knows: an aligned table
//! (kubectl's columns), a Kubernetes `List` in JSON or YAML, or
//! `kind/name` lines.

use serde_json::Value;

use crate::cli::{OutputFormat, Resource};
use crate::kube::{objects, Listing};
use crate::report::{self, Table};

use super::{ExitStatus, Io};

/// Prints a listing in `format`; with a `name`, only that object (exit 1
/// when it does not exist, as kubectl).
pub(crate) fn print_listing(
    mut listing: Listing,
    name: Option<&str>,
    namespace: Option<&str>,
    format: OutputFormat,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    if let Some(name) = name {
        listing.items.retain(|item| item.name == name);
        if listing.items.is_empty() {
            report::error_message(
                io.err,
                &format!("{} {name:?} not found", listing.resource.plural()),
            )?;
            return Ok(ExitStatus::Failure);
        }
    }
    let single = name.is_some() && listing.items.len() == 1;
    match format {
        OutputFormat::Json | OutputFormat::Yaml => {
            let mut items: Vec<Value> = listing.items.into_iter().map(|item| item.json).collect();
            let value = if single {
                items.remove(0)
            } else {
                let mut list = objects::list(items);
                // Nodes are one kind from one place (the node controller):
                // a typed `NodeList`, as the API serves them.
                if listing.resource == Resource::Nodes {
                    list["kind"] = "NodeList".into();
                }
                list
            };
            if format == OutputFormat::Json {
                report::json(io.out, &value)?;
            } else {
                report::yaml(io.out, &value)?;
            }
        }
        OutputFormat::Name => {
            let prefix = listing.resource.singular();
            let lines: Vec<String> = listing
                .items
                .iter()
                .map(|item| format!("{prefix}/{}", item.name))
                .collect();
            report::lines(io.out, &lines)?;
        }
        OutputFormat::Table | OutputFormat::Wide => {
            if listing.items.is_empty() {
                let place = match namespace {
                    Some(ns) if listing.resource != Resource::Nodes => {
                        format!(" in {ns} namespace")
                    }
                    _ => String::new(),
                };
                writeln!(io.err, "No resources found{place}.")?;
            } else {
                table(&listing, format == OutputFormat::Wide).write(io.out)?;
            }
        }
    }
    Ok(ExitStatus::Success)
}

fn table(listing: &Listing, wide: bool) -> Table {
    let mut headers = Vec::new();
    if listing.show_project {
        headers.push("PROJECT");
    }
    if listing.show_namespace {
        headers.push("NAMESPACE");
    }
    headers.push("NAME");
    headers.extend(&listing.headers);
    if wide {
        headers.extend(&listing.wide_headers);
    }
    let mut table = Table::new(headers);
    for item in &listing.items {
        let mut row = Vec::new();
        if listing.show_project {
            row.push(item.project.clone().unwrap_or_default());
        }
        if listing.show_namespace {
            row.push(item.namespace.clone());
        }
        row.push(item.name.clone());
        row.extend(item.cells.iter().cloned());
        if wide {
            row.extend(item.wide.iter().cloned());
        }
        table.row(row);
    }
    table
}
