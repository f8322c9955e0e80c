//! `berth describe cm|secret NAME -f PATH`, from the manifests (these
//! objects are never on the engine): a ConfigMap's data as written, a
//! Secret's keys with their sizes as kubectl prints them, never a value.

use serde_json::Value;

use crate::cli::{DescribeArgs, Resource};
use crate::kube::config;
use crate::manifest::{Labels, Manifests};
use crate::report::{self, Field};

use super::describe_apps::identity;
use super::{ExitStatus, Io};

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// `describe cm|secret NAME -f PATH`: identity, then the data — a
/// ConfigMap's as written, a Secret's as `key:  N bytes`.
pub(super) fn run(
    args: &DescribeArgs,
    manifests: &Manifests,
    io: &mut Io<'_>,
) -> anyhow::Result<ExitStatus> {
    let keep = |ns: &str, _: &Labels| ns == args.namespace;
    let items = config::items(args.resource, manifests, &keep);
    let Some(item) = items.iter().find(|i| i.name == args.name) else {
        let message = format!("{} {:?} not found", args.resource.plural(), args.name);
        report::error_message(io.err, &message)?;
        return Ok(ExitStatus::Failure);
    };
    let mut fields = identity(&item.json);
    fields.remove(2);
    let text = if args.resource == Resource::Secrets {
        fields.push(Field::new(0, "", ""));
        fields.push(Field::new(0, "Type", text(&item.json["type"])));
        let secret = manifests
            .secrets
            .iter()
            .find(|s| s.meta.namespace == args.namespace && s.meta.name == args.name);
        secret.map(config::describe_data).unwrap_or_default()
    } else {
        config_map_data(&item.json)
    };
    report::fields(io.out, &fields)?;
    write!(io.out, "\n{text}")?;
    Ok(ExitStatus::Success)
}

/// kubectl's `Data` section of a ConfigMap: each key, a rule, its value.
fn config_map_data(config: &Value) -> String {
    let mut out = String::from("Data\n====\n");
    for (key, value) in config["data"].as_object().into_iter().flatten() {
        out.push_str(&format!("{key}:\n----\n{}\n\n", text(value)));
    }
    out.push_str("\nBinaryData\n====\n");
    for (key, value) in config["binaryData"].as_object().into_iter().flatten() {
        let encoded = text(value);
        let padding = encoded.chars().rev().take_while(|c| *c == '=').count();
        let bytes = (encoded.len() / 4 * 3).saturating_sub(padding);
        out.push_str(&format!("{key}: {bytes} bytes\n"));
    }
    out
}
