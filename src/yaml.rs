//! YAML (and JSON, which is YAML) parsed into a tree that remembers where
//! every node came from, on top of yaml-rust2's event parser.
//!
//! Scalars are resolved the way kubectl reads them (sigs.k8s.io/yaml, i.e.
//! go-yaml v2's YAML 1.1 rules): quoted scalars are strings; plain scalars
//! are null (`~`, `null`, empty), booleans (`true`/`false` and YAML 1.1's
//! `yes`, `no`, `on`, `off`, `y`, `n` in their three casings), integers
//! (`0644` octal, `0x`, `0o`, `0b`, `_` separators), floats, and strings
//! otherwise. So `value: yes` where Kubernetes wants a string is a type
//! error, exactly as `kubectl apply` reports it. A leading byte order mark
//! is dropped. Duplicate keys in one mapping are errors (as in Kubernetes),
//! aliases are expanded with a budget so an alias bomb is refused at once.

use std::collections::HashMap;
use std::fmt;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// How many nodes one document may expand to through aliases.
pub const NODE_BUDGET: usize = 100_000;

/// How deep collections may nest. Real manifests stay under 20 levels;
/// the cap keeps the recursive builder (and the drop of its tree) off the
/// end of the stack whatever the input.
pub const MAX_DEPTH: usize = 200;

/// Bounds on one stream beyond the alias budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    /// Documents past this many stop the parse with an error (`None`: no cap).
    pub max_documents: Option<usize>,
}

/// A node of the tree with its position (line and column count from 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Entries in document order: (key, value).
    Map(Vec<(Node, Node)>),
    Seq(Vec<Node>),
    Scalar(Scalar),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    pub style: Style,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unquoted: subject to resolution (null, bool, int, float, string).
    Plain,
    /// Quoted or block (`|`, `>`): always a string.
    Quoted,
}

/// A scalar as the schema sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Resolved<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

/// A parse failure at a position (line and column count from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl Node {
    /// The scalar resolved by the rules above; `None` for collections.
    pub fn resolve(&self) -> Option<Resolved<'_>> {
        match &self.value {
            Value::Null => Some(Resolved::Null),
            Value::Scalar(s) if s.style == Style::Quoted => Some(Resolved::Str(&s.text)),
            Value::Scalar(s) => Some(resolve_plain(&s.text)),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.resolve(), Some(Resolved::Null))
    }

    /// The text of a scalar key or value, as written.
    pub fn text(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(&s.text),
            Value::Null => Some(""),
            _ => None,
        }
    }

    pub fn entries(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value of the entry whose scalar key is `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.text() == Some(key))
            .map(|(_, v)| v)
    }

    /// What the node is, for messages: `string "abc"`, `integer 5`, `mapping`.
    pub fn describe(&self) -> String {
        let written = self.text().unwrap_or_default();
        match (&self.value, self.resolve()) {
            (Value::Map(_), _) => "mapping".to_string(),
            (Value::Seq(_), _) => "sequence".to_string(),
            (_, Some(Resolved::Null)) => "null".to_string(),
            (_, Some(Resolved::Bool(b))) if written.eq_ignore_ascii_case(&b.to_string()) => format!("boolean {b}"),
            (_, Some(Resolved::Bool(b))) => format!(
                "boolean {written} (YAML 1.1 reads it as {b}, as kubectl does; quote it for a string: \"{written}\")"
            ),
            (_, Some(Resolved::Int(_))) => format!("integer {written}"),
            (_, Some(Resolved::Float(_))) => format!("number {written}"),
            (_, Some(Resolved::Str(s))) => format!("string {s:?}"),
            (_, None) => "value".to_string(),
        }
    }

    fn size(&self) -> usize {
        match &self.value {
            Value::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.size() + v.size())
                    .sum::<usize>()
            }
            Value::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            _ => 1,
        }
    }

    /// Collection levels from this node down (0 for a scalar).
    fn height(&self) -> usize {
        match &self.value {
            Value::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.height().max(v.height()))
                    .max()
                    .unwrap_or(0)
            }
            Value::Seq(items) => 1 + items.iter().map(Node::height).max().unwrap_or(0),
            _ => 0,
        }
    }
}

/// Resolves a plain scalar as go-yaml v2 (YAML 1.1), which kubectl uses.
pub fn resolve_plain(text: &str) -> Resolved<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "y" | "Y" | "on" | "On" | "ON" => {
            return Resolved::Bool(true)
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "n" | "N" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false)
        }
        ".inf" | "+.inf" | ".Inf" | "+.Inf" | ".INF" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    if let Some(i) = parse_int(text) {
        return Resolved::Int(i);
    }
    if looks_like_float(text) {
        if let Ok(f) = text.parse::<f64>() {
            return Resolved::Float(f);
        }
    }
    Resolved::Str(text)
}

fn parse_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    // go-yaml v2 drops `_` separators (`1_000`) before reading a number.
    let owned;
    let digits = if digits.contains('_') && !digits.starts_with('_') && !digits.ends_with('_') {
        owned = digits.replace('_', "");
        owned.as_str()
    } else {
        digits
    };
    let magnitude = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else if let Some(bin) = digits.strip_prefix("0b") {
        i64::from_str_radix(bin, 2).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        // YAML 1.1, as Kubernetes' go-yaml reads it: 0644 is octal.
        i64::from_str_radix(&digits[1..], 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<i64>().ok()?
    } else {
        return None;
    };
    Some(if negative { -magnitude } else { magnitude })
}

fn looks_like_float(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).count();
    let dots = mantissa.bytes().filter(|&b| b == b'.').count();
    let mantissa_ok = digits > 0 && dots <= 1 && digits + dots == mantissa.len();
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

/// Parses every document of a stream. Empty documents come back as `Null`
/// nodes. Duplicate keys are all reported; a syntax error stops the parse.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, Vec<YamlError>> {
    match parse_stream(text) {
        (documents, errors) if errors.is_empty() => Ok(documents),
        (_, errors) => Err(errors),
    }
}

/// Like `parse_documents`, but keeps the documents when the only errors are
/// duplicate keys or bad merges, so the caller can go on checking them
/// (every error at once). After a syntax error no document comes back.
pub fn parse_stream(text: &str) -> (Vec<Node>, Vec<YamlError>) {
    parse_stream_with(text, Limits::default())
}

/// `parse_stream` under `limits`: a stream with too many documents stops
/// at the first one past the cap, before the rest is parsed.
pub fn parse_stream_with(text: &str, limits: Limits) -> (Vec<Node>, Vec<YamlError>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut builder = Builder {
        text,
        line_starts: None,
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
        expanded: 0,
        depth: 0,
        limits,
        errors: Vec::new(),
    };
    match builder.stream() {
        Ok(documents) => (documents, builder.errors),
        Err(fatal) => {
            builder.errors.push(fatal);
            (Vec::new(), builder.errors)
        }
    }
}

struct Builder<'a> {
    text: &'a str,
    /// Byte offsets where lines start, computed at the first empty scalar.
    line_starts: Option<Vec<usize>>,
    parser: Parser<std::str::Chars<'a>>,
    anchors: HashMap<usize, Node>,
    /// Nodes added to the current document through aliases.
    expanded: usize,
    /// Collections open around the node being built.
    depth: usize,
    limits: Limits,
    errors: Vec<YamlError>,
}

fn position(mark: &Marker) -> (usize, usize) {
    (mark.line(), mark.col() + 1)
}

fn error_at(mark: &Marker, message: impl Into<String>) -> YamlError {
    let (line, column) = position(mark);
    YamlError {
        line,
        column,
        message: message.into(),
    }
}

impl Builder<'_> {
    fn next(&mut self) -> Result<(Event, Marker), YamlError> {
        self.parser.next_token().map_err(|e| {
            let message = match e.info() {
                "recursion limit exceeded" => {
                    "collections nest deeper than the parser allows; refused".to_string()
                }
                info => format!("syntax error: {info}"),
            };
            error_at(e.marker(), message)
        })
    }

    fn stream(&mut self) -> Result<Vec<Node>, YamlError> {
        let mut documents = Vec::new();
        loop {
            match self.next()? {
                (Event::StreamStart, _) | (Event::DocumentEnd, _) | (Event::Nothing, _) => {}
                (Event::StreamEnd, _) => return Ok(documents),
                (Event::DocumentStart, mark) => {
                    if let Some(max) = self.limits.max_documents {
                        if documents.len() >= max {
                            return Err(error_at(
                                &mark,
                                format!("more than {max} documents in one file; refused (the --max-objects cap)"),
                            ));
                        }
                    }
                    self.anchors.clear();
                    self.expanded = 0;
                    let (event, mark) = self.next()?;
                    documents.push(self.node(event, mark)?);
                }
                (event, mark) => return Err(error_at(&mark, format!("unexpected {event:?}"))),
            }
        }
    }

    fn node(&mut self, event: Event, mark: Marker) -> Result<Node, YamlError> {
        let (mut line, mut column) = position(&mark);
        let (value, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => {
                // `!!str 5` is the string "5", as go-yaml reads it.
                let string_tag = tag.is_some_and(|t| {
                    t.suffix == "str" && (t.handle == "!!" || t.handle == "tag:yaml.org,2002:")
                });
                let style = if style == TScalarStyle::Plain && !string_tag {
                    Style::Plain
                } else {
                    Style::Quoted
                };
                if style == Style::Plain && text.is_empty() {
                    (line, column) = self.empty_scalar_position(line, column);
                }
                // Docker, labels and file names are C strings: a NUL
                // (written `\0` in a quoted string) can only do harm.
                if text.contains('\0') {
                    self.errors.push(YamlError {
                        line,
                        column,
                        message: "a NUL character in a string; refused".to_string(),
                    });
                }
                let value =
                    if style == Style::Plain && matches!(resolve_plain(&text), Resolved::Null) {
                        Value::Null
                    } else {
                        Value::Scalar(Scalar { text, style })
                    };
                (value, anchor)
            }
            Event::SequenceStart(anchor, _) => {
                self.enter(&mark)?;
                let items = self.sequence();
                self.depth -= 1;
                (Value::Seq(items?), anchor)
            }
            Event::MappingStart(anchor, _) => {
                self.enter(&mark)?;
                let entries = self.mapping();
                self.depth -= 1;
                (Value::Map(entries?), anchor)
            }
            Event::Alias(id) => return self.alias(id, &mark),
            other => return Err(error_at(&mark, format!("unexpected {other:?}"))),
        };
        // yaml-rust2 marks a block collection after its first entry starts;
        // point at the first entry instead (a flow collection's bracket
        // comes first and stays).
        let first = match &value {
            Value::Map(entries) => entries.first().map(|(k, _)| (k.line, k.column)),
            Value::Seq(items) => items.first().map(|i| (i.line, i.column)),
            _ => None,
        };
        let (line, column) = first.map_or((line, column), |f| f.min((line, column)));
        let node = Node {
            value,
            line,
            column,
        };
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }

    /// yaml-rust2 marks an empty scalar (`- ` or `key:` with nothing after
    /// it) at the next token; point at the `-` or `:` that introduced it:
    /// the last character before the mark, comments and blanks skipped.
    fn empty_scalar_position(&mut self, line: usize, column: usize) -> (usize, usize) {
        let text = self.text;
        let starts = self.line_starts.get_or_insert_with(|| {
            let breaks = text.match_indices('\n').map(|(i, _)| i + 1);
            std::iter::once(0).chain(breaks).collect()
        });
        let mut limit = column.saturating_sub(1);
        for number in (1..=line.min(starts.len())).rev() {
            let start = starts[number - 1];
            let end = starts.get(number).copied().unwrap_or(text.len());
            let whole = text[start..end].trim_end_matches(['\n', '\r']);
            let before = whole
                .char_indices()
                .nth(limit)
                .map_or(whole, |(i, _)| &whole[..i]);
            let content = strip_comment(before).trim_end();
            if !content.is_empty() {
                return (number, content.chars().count());
            }
            limit = usize::MAX;
        }
        (line, column)
    }

    /// One more collection level, refused past `MAX_DEPTH`.
    fn enter(&mut self, mark: &Marker) -> Result<(), YamlError> {
        if self.depth >= MAX_DEPTH {
            return Err(error_at(
                mark,
                format!("collections nest deeper than {MAX_DEPTH} levels; refused"),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn alias(&mut self, id: usize, mark: &Marker) -> Result<Node, YamlError> {
        let Some(target) = self.anchors.get(&id) else {
            return Err(error_at(mark, "alias to an unknown anchor"));
        };
        self.expanded += target.size();
        if self.expanded > NODE_BUDGET {
            return Err(error_at(
                mark,
                format!("aliases expand to more than {NODE_BUDGET} nodes (alias bomb?); refused"),
            ));
        }
        // An alias nests its target's levels where it stands.
        if self.depth + target.height() > MAX_DEPTH {
            return Err(error_at(
                mark,
                format!("aliases nest collections deeper than {MAX_DEPTH} levels; refused"),
            ));
        }
        let (line, column) = position(mark);
        Ok(Node {
            value: target.value.clone(),
            line,
            column,
        })
    }

    fn sequence(&mut self) -> Result<Vec<Node>, YamlError> {
        let mut items = Vec::new();
        loop {
            match self.next()? {
                (Event::SequenceEnd, _) => return Ok(items),
                (event, mark) => items.push(self.node(event, mark)?),
            }
        }
    }

    fn mapping(&mut self) -> Result<Vec<(Node, Node)>, YamlError> {
        let mut entries: Vec<(Node, Node)> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut merged: Vec<(Node, Node)> = Vec::new();
        loop {
            let (event, mark) = self.next()?;
            if event == Event::MappingEnd {
                break;
            }
            let key = self.node(event, mark)?;
            let (event, mark) = self.next()?;
            let value = self.node(event, mark)?;
            if is_merge_key(&key) {
                self.merge(value, &mut merged);
                continue;
            }
            if let Some(text) = key.text() {
                if let Some(&first) = seen.get(text) {
                    let message = format!(
                        "duplicate key {text:?} (first at line {first}); Kubernetes rejects duplicate keys"
                    );
                    self.errors.push(YamlError {
                        line: key.line,
                        column: key.column,
                        message,
                    });
                } else {
                    seen.insert(text.to_string(), key.line);
                }
            }
            entries.push((key, value));
        }
        // Merged keys (`<<: *base`) never override explicit ones; among
        // several merged mappings the first wins (YAML merge key rules).
        for (key, value) in merged {
            if let Some(text) = key.text() {
                if seen.insert(text.to_string(), key.line).is_some() {
                    continue;
                }
            }
            entries.push((key, value));
        }
        Ok(entries)
    }

    /// The value of a `<<` key: a mapping or a sequence of mappings.
    fn merge(&mut self, value: Node, merged: &mut Vec<(Node, Node)>) {
        let (line, column) = (value.line, value.column);
        match value.value {
            Value::Map(entries) => merged.extend(entries),
            Value::Seq(items) if items.iter().all(|i| matches!(i.value, Value::Map(_))) => {
                for item in items {
                    if let Value::Map(entries) = item.value {
                        merged.extend(entries);
                    }
                }
            }
            _ => self.errors.push(YamlError {
                line,
                column,
                message: "a merge key (<<) needs a mapping or a sequence of mappings".to_string(),
            }),
        }
    }
}

/// A line without its comment (`#` at the start or after a blank).
fn strip_comment(line: &str) -> &str {
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        if c == '#' && previous.is_whitespace() {
            return &line[..i];
        }
        previous = c;
    }
    line
}

fn is_merge_key(key: &Node) -> bool {
    matches!(&key.value, Value::Scalar(s) if s.style == Style::Plain && s.text == "<<")
}

#[cfg(test)]
mod tests;
