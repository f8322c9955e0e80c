//! The decoding context: typed reads of located YAML nodes with field paths,
//! schema checks (implemented / known-unsupported / unknown fields), and the
//! diagnostics they produce.

use std::path::Path;

use super::diag::Diagnostic;
use super::model::Source;
use super::schema::{Schema, DEFAULT_VALUES};
use crate::yaml::{Node, Resolved, Value};

/// `path.field`, or `field` at the top.
pub fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

/// `path[index]`.
pub fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// Collects diagnostics for one file.
pub struct Decoder<'f> {
    file: &'f Path,
    strict: bool,
    /// What the user allows beyond the security defaults.
    pub allow: super::security_model::Allow,
    /// Prepended to every path (`items[3]` inside a List).
    pub prefix: String,
    /// Fields named by a "did you mean" in a mapping (at line, column): a
    /// typo'd required field is reported once, as the typo.
    suggested: Vec<(usize, usize, &'static str)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The implemented fields of one mapping, after its keys were checked.
pub struct Fields<'n> {
    /// The mapping itself: where "required" errors point.
    pub node: &'n Node,
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    /// The value of an implemented field; `None` when absent or null.
    pub fn get(&self, name: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, v)| *k == name && !v.is_null())
            .map(|(_, _, v)| *v)
    }
}

impl<'f> Decoder<'f> {
    pub fn new(file: &'f Path, strict: bool) -> Self {
        Decoder {
            file,
            strict,
            allow: Default::default(),
            prefix: String::new(),
            suggested: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    pub fn source(&self, node: &Node) -> Source {
        Source {
            file: self.file.to_path_buf(),
            line: node.line,
            column: node.column,
        }
    }

    /// `path` as diagnostics print it (with the List item prefix).
    pub fn full_path(&self, path: &str) -> String {
        match (self.prefix.is_empty(), path.is_empty()) {
            (true, _) => path.to_string(),
            (false, true) => self.prefix.clone(),
            (false, false) => join(&self.prefix, path),
        }
    }

    pub fn error(&mut self, node: &Node, path: &str, message: impl Into<String>) {
        let path = self.full_path(path);
        self.diagnostics
            .push(Diagnostic::error(self.source(node), path, message));
    }

    pub fn warning(&mut self, node: &Node, path: &str, message: impl Into<String>) {
        let path = self.full_path(path);
        self.diagnostics
            .push(Diagnostic::warning(self.source(node), path, message));
    }

    /// A warning, or an error under `--strict`.
    pub fn unsupported(&mut self, node: &Node, path: &str, message: impl Into<String>) {
        let message = message.into();
        if self.strict {
            let what = message.strip_suffix("; ignored").unwrap_or(&message);
            self.error(node, path, format!("{what} (an error under --strict)"));
        } else {
            self.warning(node, path, message);
        }
    }

    pub fn required(&mut self, parent: &Node, path: &str) {
        // `metdata` (did you mean "metadata"?) already explains a missing
        // `metadata.name`, as `imge` explains a missing `image`.
        let field = path.rsplit('.').next().unwrap_or(path);
        let head = path.split('.').next().unwrap_or(path);
        let at = (parent.line, parent.column);
        if self
            .suggested
            .iter()
            .any(|&(l, c, f)| (l, c) == at && (f == field || f == head))
        {
            return;
        }
        self.error(parent, path, "required field is missing");
    }

    /// Checks a mapping's keys against `schema` and returns its implemented
    /// fields. `hints` turn some unknown fields into pointed advice. Null is
    /// an absent mapping; anything else than a mapping is a type error.
    pub fn mapping<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        schema: &Schema,
        hints: &[(&str, &str)],
    ) -> Option<Fields<'n>> {
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => return None,
            _ => {
                self.expected(node, path, "mapping");
                return None;
            }
        };
        let mut fields = Fields {
            node,
            entries: Vec::new(),
        };
        for (key, value) in entries {
            let Some(name) = key.text() else {
                self.error(key, path, "keys must be strings");
                continue;
            };
            let field_path = join(path, name);
            if schema.is_implemented(name) {
                fields.entries.push((name, key, value));
            } else if schema.is_known(name) {
                if !means_default(name, value) {
                    self.unsupported(key, &field_path, "not supported by berth; ignored");
                }
            } else if let Some((_, hint)) = hints.iter().find(|(field, _)| *field == name) {
                self.error(key, &field_path, *hint);
            } else {
                let message = match schema.suggest(name) {
                    Some(near) => {
                        self.suggested.push((node.line, node.column, near));
                        format!("unknown field {name:?} (did you mean {near:?}?)")
                    }
                    None => format!("unknown field {name:?}"),
                };
                self.error(key, &field_path, message);
            }
        }
        Some(fields)
    }

    pub fn expected(&mut self, node: &Node, path: &str, what: &str) {
        let found = node.describe();
        self.error(node, path, format!("expected {what}, found {found}"));
    }

    pub fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match node.resolve() {
            Some(Resolved::Str(s)) => Some(s.to_string()),
            _ => {
                self.expected(node, path, "string");
                None
            }
        }
    }

    /// An integer; a whole float (`3.0`, `1e3`) counts, as kubectl re-encodes
    /// it as `3` before the API server reads it.
    pub fn int(&mut self, node: &Node, path: &str) -> Option<i64> {
        const LIMIT: f64 = 9_223_372_036_854_775_807.0;
        match node.resolve() {
            Some(Resolved::Int(i)) => Some(i),
            Some(Resolved::Float(f)) if f.fract() == 0.0 && f.abs() < LIMIT => Some(f as i64),
            _ => {
                self.expected(node, path, "integer");
                None
            }
        }
    }

    /// An integer that must lie in `min..=max`.
    pub fn int_in(&mut self, node: &Node, path: &str, min: i64, max: i64) -> Option<i64> {
        let value = self.int(node, path)?;
        if value < min || value > max {
            self.error(
                node,
                path,
                format!("must be between {min} and {max}, inclusive (found {value})"),
            );
            return None;
        }
        Some(value)
    }

    pub fn bool(&mut self, node: &Node, path: &str) -> Option<bool> {
        match node.resolve() {
            Some(Resolved::Bool(b)) => Some(b),
            _ => {
                self.expected(node, path, "boolean (true or false)");
                None
            }
        }
    }

    /// A sequence's items (empty for null).
    pub fn seq<'n>(&mut self, node: &'n Node, path: &str) -> &'n [Node] {
        match &node.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => {
                self.expected(node, path, "sequence");
                &[]
            }
        }
    }

    pub fn string_list(&mut self, node: &Node, path: &str) -> Vec<String> {
        if let Some(Resolved::Str(text)) = node.resolve() {
            // `command: "sleep 10"`: say how to write it.
            let words: Vec<String> = text.split_whitespace().map(|w| format!("{w:?}")).collect();
            let found = node.describe();
            let message = format!(
                "expected sequence of strings, found {found} (write a list: [{}])",
                words.join(", ")
            );
            self.error(node, path, message);
            return Vec::new();
        }
        let items = self.seq(node, path);
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| self.string(item, &index(path, i)))
            .collect()
    }

    /// A map of strings with every key and value node, for validation at
    /// the exact place.
    pub fn string_map<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
    ) -> Vec<(&'n Node, String, &'n Node, String)> {
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => return Vec::new(),
            _ => {
                self.expected(node, path, "mapping of strings");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (key, value) in entries {
            let Some(name) = key.text() else {
                self.error(key, path, "keys must be strings");
                continue;
            };
            let entry_path = format!("{path}[{name}]");
            let text = match value.resolve() {
                Some(Resolved::Str(s)) => s.to_string(),
                Some(Resolved::Null) => String::new(),
                _ => {
                    self.expected(value, &entry_path, "string");
                    continue;
                }
            };
            out.push((key, name.to_string(), value, text));
        }
        out
    }

    /// A quantity as written: a string, or a number (JSON and YAML allow
    /// `cpu: 1` and `memory: 1073741824`).
    pub fn quantity_text(&mut self, node: &Node, path: &str) -> Option<String> {
        match node.resolve() {
            // Kubernetes trims a quantity string before parsing it.
            Some(Resolved::Str(s)) => Some(s.trim().to_string()),
            // `1_000`, `0x10` and `0644` are numbers to kubectl: keep the value.
            Some(Resolved::Int(i)) => Some(i.to_string()),
            Some(Resolved::Float(_)) => node.text().map(str::to_string),
            _ => {
                self.expected(
                    node,
                    path,
                    "quantity (a string such as \"500m\" or \"1Gi\", or a number)",
                );
                None
            }
        }
    }
}

/// Values of known fields that carry no meaning beyond Kubernetes' default:
/// null, `{}`, `[]`, `false`, and the defaults listed in the schema.
/// Known boolean fields whose Kubernetes default is true, where `false`
/// asks for something berth does not do (user namespaces).
const TRUE_BY_DEFAULT: &[&str] = &["hostUsers"];

fn means_default(field: &str, value: &Node) -> bool {
    match &value.value {
        Value::Null => true,
        // `status: {loadBalancer: {}}`, `securityContext: {privileged: false}`
        Value::Map(entries) => entries
            .iter()
            .all(|(k, v)| k.text().is_some_and(|k| means_default(k, v))),
        Value::Seq(items) => items.is_empty(),
        Value::Scalar(_) => {
            (value.resolve() == Some(Resolved::Bool(false)) && !TRUE_BY_DEFAULT.contains(&field))
                || DEFAULT_VALUES
                    .iter()
                    .any(|(f, v)| *f == field && value.text() == Some(*v))
        }
    }
}
