//! The only place that prints: diagnostics, errors, aligned tables, unified
//! diffs, change lines and plans (`plan.rs`). Everything writes into a `&mut dyn Write`; colour
//! is written as ANSI styles and stripped by the caller's stream (anstream)
//! when the output is not a terminal, so tests render into a buffer.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use similar::{ChangeTag, TextDiff};

use crate::manifest::{Diagnostic, Severity};

mod plan;

pub use plan::{canonical, plan_text, render_plan, Counts};

const RED: Style = AnsiColor::Red.on_default();
const GREEN: Style = AnsiColor::Green.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const CYAN: Style = AnsiColor::Cyan.on_default();
const BOLD: Style = Style::new().bold();

/// `error: file:line:col: path: message` (or `warning: …`), one per line.
pub fn diagnostics(w: &mut dyn Write, diagnostics: &[Diagnostic]) -> io::Result<()> {
    for diagnostic in diagnostics {
        let (style, word) = match diagnostic.severity {
            Severity::Error => (RED.bold(), "error"),
            Severity::Warning => (YELLOW.bold(), "warning"),
        };
        writeln!(w, "{style}{word}{style:#}: {diagnostic}")?;
    }
    Ok(())
}

/// `12 objects in 5 files: valid` (with `, 1 warning`) or `…: 2 errors, 1 warning`.
pub fn validate_summary(
    w: &mut dyn Write,
    objects: usize,
    files: usize,
    errors: usize,
    warnings: usize,
) -> io::Result<()> {
    let head = format!("{} in {}", plural(objects, "object"), plural(files, "file"));
    if errors == 0 {
        write!(w, "{head}: {GREEN}valid{GREEN:#}")?;
        if warnings > 0 {
            write!(w, ", {}", plural(warnings, "warning"))?;
        }
        writeln!(w)
    } else {
        write!(w, "{head}: {RED}{}{RED:#}", plural(errors, "error"))?;
        if warnings > 0 {
            write!(w, ", {}", plural(warnings, "warning"))?;
        }
        writeln!(w)
    }
}

/// `1 object`, `2 objects`.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// `error: message`, then each cause on its own line.
pub fn error(w: &mut dyn Write, error: &anyhow::Error) -> io::Result<()> {
    let style = RED.bold();
    writeln!(w, "{style}error{style:#}: {error}")?;
    for cause in error.chain().skip(1) {
        writeln!(w, "  caused by: {cause}")?;
    }
    Ok(())
}

/// `error: message` for an error that is not a Rust error value.
pub fn error_message(w: &mut dyn Write, message: &str) -> io::Result<()> {
    let style = RED.bold();
    writeln!(w, "{style}error{style:#}: {message}")
}

/// `note: message`.
pub fn note(w: &mut dyn Write, message: &str) -> io::Result<()> {
    writeln!(w, "{BOLD}note{BOLD:#}: {message}")
}

/// `warning: message`.
pub fn warning(w: &mut dyn Write, message: &str) -> io::Result<()> {
    let style = YELLOW.bold();
    writeln!(w, "{style}warning{style:#}: {message}")
}

/// A table with kubectl's look: upper-case headers, columns separated by
/// three spaces, the last column not padded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Table {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    pub fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if i < widths.len() {
                    widths[i] = widths[i].max(cell.chars().count());
                }
            }
        }
        write_row(w, &self.headers, &widths)?;
        for row in &self.rows {
            write_row(w, row, &widths)?;
        }
        Ok(())
    }
}

fn write_row(w: &mut dyn Write, cells: &[String], widths: &[usize]) -> io::Result<()> {
    let mut line = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i + 1 == cells.len() {
            line.push_str(cell);
        } else {
            let pad = widths
                .get(i)
                .copied()
                .unwrap_or(0)
                .saturating_sub(cell.chars().count());
            line.push_str(cell);
            line.push_str(&" ".repeat(pad + 3));
        }
    }
    writeln!(w, "{}", line.trim_end())
}

/// One line of a `describe` page: `key:` then the value, indented by
/// `depth` levels of two spaces. An empty key continues the value above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub depth: usize,
    pub key: String,
    pub value: String,
    /// A bare line (`key` as written, no colon, no value): list items.
    pub bare: bool,
}

impl Field {
    pub fn new(depth: usize, key: impl Into<String>, value: impl Into<String>) -> Field {
        Field {
            depth,
            key: key.into(),
            value: value.into(),
            bare: false,
        }
    }

    /// A line of its own under a key (`sh`, `/data from scratch (rw)`).
    pub fn line(depth: usize, text: impl Into<String>) -> Field {
        Field {
            bare: true,
            ..Field::new(depth, text, "")
        }
    }
}

/// kubectl's describe layout: values of the fields at one depth aligned.
pub fn fields(w: &mut dyn Write, fields: &[Field]) -> io::Result<()> {
    let width = |depth: usize| {
        fields
            .iter()
            .filter(|f| f.depth == depth && !f.value.is_empty() && !f.bare)
            .map(|f| f.key.chars().count() + 1)
            .max()
            .unwrap_or(0)
    };
    for field in fields {
        let indent = "  ".repeat(field.depth);
        if field.bare {
            writeln!(w, "{indent}{}", field.key)?;
            continue;
        }
        let key = if field.key.is_empty() {
            String::new()
        } else {
            format!("{}:", field.key)
        };
        let line = if field.value.is_empty() {
            format!("{indent}{key}")
        } else {
            format!(
                "{indent}{key:<pad$}  {}",
                field.value,
                pad = width(field.depth)
            )
        };
        writeln!(w, "{}", line.trim_end())?;
    }
    Ok(())
}

/// A table under a `describe` page, indented by two spaces.
pub fn indented_table(w: &mut dyn Write, table: &Table) -> io::Result<()> {
    let mut buffer = Vec::new();
    table.write(&mut buffer)?;
    for line in String::from_utf8_lossy(&buffer).lines() {
        writeln!(w, "  {line}")?;
    }
    Ok(())
}

/// What happened (or would happen) to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Added,
    Changed,
    Removed,
    Repaired,
    Waiting,
    Failed,
    /// Left as it is on purpose.
    Kept,
}

impl Mark {
    fn sign_and_style(self) -> (&'static str, Style) {
        match self {
            Mark::Added => ("+", GREEN),
            Mark::Changed => ("~", YELLOW),
            Mark::Removed => ("-", RED),
            Mark::Repaired => ("!", CYAN),
            Mark::Waiting => ("*", CYAN),
            Mark::Failed => ("x", RED.bold()),
            Mark::Kept => ("=", Style::new()),
        }
    }
}

/// `+ pod default/web created`: the sign in colour, then the text.
pub fn change_line(w: &mut dyn Write, mark: Mark, text: &str) -> io::Result<()> {
    let (sign, style) = mark.sign_and_style();
    writeln!(w, "{style}{sign}{style:#} {text}")
}

/// A unified diff (3 lines of context) from `old` to `new`: `---`/`+++`
/// headers, cyan `@@` hunk headers, red removals, green additions. Writes
/// nothing when the texts are equal.
pub fn unified_diff(
    w: &mut dyn Write,
    old_label: &str,
    new_label: &str,
    old: &str,
    new: &str,
) -> io::Result<()> {
    if old == new {
        return Ok(());
    }
    let diff = TextDiff::from_lines(old, new);
    writeln!(w, "{BOLD}--- {old_label}{BOLD:#}")?;
    writeln!(w, "{BOLD}+++ {new_label}{BOLD:#}")?;
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        writeln!(w, "{CYAN}{}{CYAN:#}", hunk.header())?;
        for change in hunk.iter_changes() {
            let (sign, style) = match change.tag() {
                ChangeTag::Delete => ("-", RED),
                ChangeTag::Insert => ("+", GREEN),
                ChangeTag::Equal => (" ", Style::new()),
            };
            let text = change.value().strip_suffix('\n').unwrap_or(change.value());
            writeln!(w, "{style}{sign}{text}{style:#}")?;
            if change.missing_newline() {
                writeln!(w, "\\ No newline at end of file")?;
            }
        }
    }
    Ok(())
}

/// `+ 1 added, ~ 2 changed, - 1 removed`.
pub fn diff_summary(
    w: &mut dyn Write,
    added: usize,
    changed: usize,
    removed: usize,
) -> io::Result<()> {
    writeln!(
        w,
        "{GREEN}+{GREEN:#} {added} added, {YELLOW}~{YELLOW:#} {changed} changed, {RED}-{RED:#} {removed} removed"
    )
}

/// A JSON value, pretty-printed, with a final newline.
pub fn json(w: &mut dyn Write, value: &serde_json::Value) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, value)?;
    writeln!(w)
}

/// A value as YAML (serde_yaml's rendering).
pub fn yaml(w: &mut dyn Write, value: &serde_json::Value) -> io::Result<()> {
    let text = serde_yaml::to_string(value).map_err(io::Error::other)?;
    w.write_all(text.as_bytes())
}

/// Plain lines (`-o name`).
pub fn lines(w: &mut dyn Write, lines: &[String]) -> io::Result<()> {
    for line in lines {
        writeln!(w, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Source;

    fn render(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> String {
        let mut buffer = Vec::new();
        f(&mut buffer).unwrap();
        anstream::adapter::strip_str(&String::from_utf8(buffer).unwrap()).to_string()
    }

    #[test]
    fn table_columns_are_aligned_with_three_spaces() {
        let mut table = Table::new(["NAME", "READY", "STATUS"]);
        table.row(["web", "0/2", "-"]);
        table.row(["database-0", "1/1", "Running"]);
        let text = render(|w| table.write(w));
        assert_eq!(
            text,
            "NAME         READY   STATUS\nweb          0/2     -\ndatabase-0   1/1     Running\n"
        );
    }

    #[test]
    fn diagnostics_name_severity_file_line_and_column() {
        let source = Source {
            file: "pods/web.yaml".into(),
            line: 7,
            column: 9,
        };
        let diagnostics = vec![
            Diagnostic::error(source.clone(), "spec.containers[0].image", "missing field"),
            Diagnostic::warning(source, "", "unsupported"),
        ];
        let text = render(|w| super::diagnostics(w, &diagnostics));
        assert_eq!(
            text,
            "error: pods/web.yaml:7:9: spec.containers[0].image: missing field\n\
             warning: pods/web.yaml:7:9: unsupported\n"
        );
    }

    #[test]
    fn unified_diff_shows_removed_and_added_lines_in_hunks() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\n";
        let text = render(|w| unified_diff(w, "a/pod", "b/pod", old, new));
        assert_eq!(
            text,
            "--- a/pod\n+++ b/pod\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"
        );
    }

    #[test]
    fn unified_diff_of_equal_texts_is_empty() {
        assert_eq!(render(|w| unified_diff(w, "a", "b", "x\n", "x\n")), "");
    }

    #[test]
    fn unified_diff_colours_removals_red_and_additions_green() {
        let mut buffer = Vec::new();
        unified_diff(&mut buffer, "a", "b", "x\n", "y\n").unwrap();
        let text = String::from_utf8(buffer).unwrap();
        assert!(text.contains(&format!("{RED}-x{RED:#}")), "{text:?}");
        assert!(text.contains(&format!("{GREEN}+y{GREEN:#}")), "{text:?}");
        assert!(text.contains(&format!("{CYAN}@@")), "{text:?}");
    }

    #[test]
    fn validate_summary_counts_objects_files_errors_and_warnings() {
        assert_eq!(
            render(|w| validate_summary(w, 12, 5, 0, 0)),
            "12 objects in 5 files: valid\n"
        );
        assert_eq!(
            render(|w| validate_summary(w, 1, 1, 0, 1)),
            "1 object in 1 file: valid, 1 warning\n"
        );
        assert_eq!(
            render(|w| validate_summary(w, 3, 2, 2, 1)),
            "3 objects in 2 files: 2 errors, 1 warning\n"
        );
    }

    #[test]
    fn describe_fields_align_values_per_depth() {
        let page = [
            Field::new(0, "Name", "web"),
            Field::new(0, "Namespace", "default"),
            Field::new(0, "Containers", ""),
            Field::new(1, "app", ""),
            Field::new(2, "Image", "busybox"),
            Field::new(2, "Restart Count", "0"),
        ];
        let text = render(|w| fields(w, &page));
        assert_eq!(
            text,
            "Name:       web\nNamespace:  default\nContainers:\n  app:\n    Image:          busybox\n    Restart Count:  0\n"
        );
    }

    #[test]
    fn change_lines_start_with_their_sign() {
        let text = render(|w| change_line(w, Mark::Removed, "pod default/web removed"));
        assert_eq!(text, "- pod default/web removed\n");
    }

    #[test]
    fn error_chain_is_printed_cause_by_cause() {
        let error = anyhow::anyhow!("socket refused").context("cannot reach the Docker engine");
        let text = render(|w| super::error(w, &error));
        assert_eq!(
            text,
            "error: cannot reach the Docker engine\n  caused by: socket refused\n"
        );
    }
}
