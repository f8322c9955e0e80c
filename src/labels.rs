//! Labels and label selectors with Kubernetes semantics.

use std::fmt;

use crate::manifest::Labels;
use crate::names;

const NAME_MAX: usize = 63;

const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', \
     and must start and end with an alphanumeric character";

const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of \
     alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric \
     character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is \
     '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

const QUALIFIED_NAME_REGEX: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";

/// True when `text` matches `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
fn is_qualified_name_shape(text: &str) -> bool {
    let (Some(first), Some(last)) = (text.chars().next(), text.chars().last()) else {
        return false;
    };
    let inner = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() && text.chars().all(inner)
}

/// A label key: an optional DNS-1123 subdomain prefix (≤ 253) and `/`, then a
/// name of at most 63 characters (alphanumerics, `-`, `_`, `.`, starting and
/// ending alphanumeric).
pub fn validate_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.split_once('/') {
        Some((_, name)) if name.contains('/') => {
            return Err(format!(
                "a qualified name {QUALIFIED_NAME_MSG} (e.g. 'MyName',  or 'my.name',  or \
                 '123-abc', regex used for validation is '{QUALIFIED_NAME_REGEX}') with an \
                 optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ));
        }
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    match prefix {
        Some("") => return Err("prefix part must be non-empty".into()),
        Some(prefix) => names::dns1123_subdomain(prefix).map_err(|e| format!("prefix part {e}"))?,
        None => {}
    }
    if name.is_empty() {
        return Err("name part must be non-empty".into());
    }
    if name.len() > NAME_MAX {
        return Err(format!(
            "name part must be no more than {NAME_MAX} characters"
        ));
    }
    if !is_qualified_name_shape(name) {
        return Err(format!(
            "name part {QUALIFIED_NAME_MSG} (e.g. 'MyName',  or 'my.name',  or '123-abc', \
             regex used for validation is '{QUALIFIED_NAME_REGEX}')"
        ));
    }
    Ok(())
}

/// A label value: empty, or at most 63 characters of alphanumerics, `-`,
/// `_`, `.`, starting and ending alphanumeric.
pub fn validate_value(value: &str) -> Result<(), String> {
    if value.len() > NAME_MAX {
        return Err(format!("must be no more than {NAME_MAX} characters"));
    }
    if !value.is_empty() && !is_qualified_name_shape(value) {
        return Err(LABEL_VALUE_MSG.to_string());
    }
    Ok(())
}

mod parse;

/// A selector parse error: where (0-based character offset) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid selector {input:?} at character {position}: {message}")]
pub struct SelectorError {
    pub input: String,
    pub position: usize,
    pub message: String,
}

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
    /// `a>5`: the label's value, read as an integer, is greater.
    GreaterThan(String, i64),
    /// `a<5`: the label's value, read as an integer, is smaller.
    LessThan(String, i64),
}

impl Requirement {
    pub fn key(&self) -> &str {
        match self {
            Requirement::Equals(key, _)
            | Requirement::NotEquals(key, _)
            | Requirement::In(key, _)
            | Requirement::NotIn(key, _)
            | Requirement::Exists(key)
            | Requirement::DoesNotExist(key)
            | Requirement::GreaterThan(key, _)
            | Requirement::LessThan(key, _) => key,
        }
    }

    /// Kubernetes semantics: `!=` and `notin` also match when the key is absent.
    pub fn matches(&self, labels: &Labels) -> bool {
        let value = labels.get(self.key());
        match self {
            Requirement::Equals(_, want) => value == Some(want),
            Requirement::NotEquals(_, unwanted) => value != Some(unwanted),
            Requirement::In(_, set) => value.is_some_and(|v| set.contains(v)),
            Requirement::NotIn(_, set) => value.is_none_or(|v| !set.contains(v)),
            Requirement::Exists(_) => value.is_some(),
            Requirement::DoesNotExist(_) => value.is_none(),
            // An absent or non-integer value matches neither, as in Kubernetes.
            Requirement::GreaterThan(_, bound) => value
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v > *bound),
            Requirement::LessThan(_, bound) => value
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v < *bound),
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirement::Equals(key, value) => write!(f, "{key}={value}"),
            Requirement::NotEquals(key, value) => write!(f, "{key}!={value}"),
            Requirement::In(key, set) => write!(f, "{key} in ({})", sorted(set).join(",")),
            Requirement::NotIn(key, set) => write!(f, "{key} notin ({})", sorted(set).join(",")),
            Requirement::Exists(key) => write!(f, "{key}"),
            Requirement::DoesNotExist(key) => write!(f, "!{key}"),
            Requirement::GreaterThan(key, bound) => write!(f, "{key}>{bound}"),
            Requirement::LessThan(key, bound) => write!(f, "{key}<{bound}"),
        }
    }
}

fn sorted(set: &[String]) -> Vec<&str> {
    let mut values: Vec<&str> = set.iter().map(String::as_str).collect();
    values.sort_unstable();
    values.dedup();
    values
}

/// A label selector: requirements ANDed; empty matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

impl Selector {
    /// Parses the full grammar: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
    /// `a notin (x,y)`, `a`, `!a`, `a>1`, `a<1`, comma = AND, whitespace
    /// tolerated.
    /// Requirements come out sorted by key, as Kubernetes sorts them.
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let mut requirements = parse::Parser::new(text).parse()?;
        requirements.sort_by(|a, b| a.key().cmp(b.key()));
        Ok(Selector { requirements })
    }

    /// The equality selector of a map (`spec.selector` of an RC or Service).
    pub fn from_map(labels: &Labels) -> Selector {
        Selector {
            requirements: labels
                .iter()
                .map(|(k, v)| Requirement::Equals(k.clone(), v.clone()))
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, requirement) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{requirement}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
