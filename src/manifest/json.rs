//! JSON files: what kubectl's JSON decoder refuses but YAML would read
//! quietly (comments, trailing commas), and streams of several JSON values.

use crate::yaml::{self, Node, Value, YamlError};

/// What YAML would read quietly in a JSON file but kubectl refuses: the
/// first comment (`//`, `/*`, `#`) and the first trailing comma (`,}` or
/// `,]`) outside strings, each as (line, column).
#[derive(Default)]
pub struct JsonScan {
    pub comment: Option<(usize, usize)>,
    pub trailing_comma: Option<(usize, usize)>,
}

/// Whether the characters read so far stand inside a JSON string.
#[derive(Default)]
struct Strings {
    inside: bool,
    escaped: bool,
}

impl Strings {
    /// Takes `c` when it belongs to a string (its closing quote included);
    /// `false` when `c` stands outside every string. The opening quote is
    /// the caller's to see: it sets `inside`.
    fn consume(&mut self, c: char) -> bool {
        if !self.inside {
            return false;
        }
        match (self.escaped, c) {
            (true, _) => self.escaped = false,
            (false, '\\') => self.escaped = true,
            (false, '"') => self.inside = false,
            _ => {}
        }
        true
    }
}

pub fn scan(text: &str) -> JsonScan {
    let mut scan = JsonScan::default();
    let (mut line, mut column) = (1, 0);
    let mut strings = Strings::default();
    let mut comma: Option<(usize, usize)> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        column += 1;
        if c == '\n' {
            (line, column) = (line + 1, 0);
            strings = Strings::default();
            continue;
        }
        if strings.consume(c) {
            continue;
        }
        match (c, chars.peek()) {
            ('#', _) | ('/', Some('/' | '*')) => {
                scan.comment = Some((line, column));
                return scan;
            }
            (c, _) if c.is_whitespace() => {}
            (',', _) => comma = Some((line, column)),
            ('}' | ']', _) if comma.is_some() => {
                scan.trailing_comma = scan.trailing_comma.or(comma.take());
            }
            ('"', _) => {
                strings.inside = true;
                comma = None;
            }
            _ => comma = None,
        }
    }
    scan
}

/// Several JSON values one after another (`{…}\n{…}`), as kubectl reads a
/// JSON stream: each value parsed on its own, positions kept. `None` when
/// the text is not such a stream (the YAML parser then reads it whole).
pub fn parse_values(text: &str, limits: yaml::Limits) -> Option<(Vec<Node>, Vec<YamlError>)> {
    let spans = top_level_spans(text);
    if spans.len() < 2 {
        return None;
    }
    let (mut documents, mut errors) = (Vec::new(), Vec::new());
    if limits.max_documents.is_some_and(|max| spans.len() > max) {
        let max = limits.max_documents.unwrap_or_default();
        let (start, _) = spans[max];
        let before = &text[..start];
        let error = YamlError {
            line: before.matches('\n').count() + 1,
            column: before.rsplit('\n').next().unwrap_or("").chars().count() + 1,
            message: format!(
                "more than {max} documents in one file; refused (the --max-objects cap)"
            ),
        };
        return Some((Vec::new(), vec![error]));
    }
    for (start, end) in spans {
        let before = &text[..start];
        let lines = before.matches('\n').count();
        let columns = before.rsplit('\n').next().unwrap_or("").chars().count();
        let (docs, errs) = yaml::parse_stream_with(&text[start..end], limits);
        for mut document in docs {
            shift(&mut document, lines, columns);
            documents.push(document);
        }
        for mut e in errs {
            if e.line == 1 {
                e.column += columns;
            }
            e.line += lines;
            errors.push(e);
        }
    }
    Some((documents, errors))
}

/// Moves a node parsed from a slice to where the slice starts in the file.
fn shift(node: &mut Node, lines: usize, columns: usize) {
    if node.line == 1 {
        node.column += columns;
    }
    node.line += lines;
    match &mut node.value {
        Value::Map(entries) => {
            for (key, value) in entries {
                shift(key, lines, columns);
                shift(value, lines, columns);
            }
        }
        Value::Seq(items) => items.iter_mut().for_each(|i| shift(i, lines, columns)),
        _ => {}
    }
}

/// The byte spans of the top-level objects and arrays; empty when anything
/// else stands at the top level or the brackets do not balance.
fn top_level_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    let mut strings = Strings::default();
    for (i, c) in text.char_indices() {
        if strings.consume(c) {
            continue;
        }
        match c {
            '"' => strings.inside = true,
            '{' | '[' => {
                if depth == 0 {
                    start = i;
                }
                depth += 1;
            }
            '}' | ']' if depth == 0 => return Vec::new(),
            '}' | ']' => {
                depth -= 1;
                if depth == 0 {
                    spans.push((start, i + 1));
                }
            }
            '\u{feff}' if i == 0 => {}
            c if depth == 0 && !c.is_whitespace() => return Vec::new(),
            _ => {}
        }
    }
    if depth == 0 {
        spans
    } else {
        Vec::new()
    }
}
