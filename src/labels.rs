//! Labels and label selectors with Kubernetes semantics.

use std::fmt;

use crate::manifest::Labels;

/// A label key: an optional DNS-1123 subdomain prefix (≤ 253) and `/`, then a
/// name of at most 63 characters (alphanumerics, `-`, `_`, `.`, starting and
/// ending alphanumeric).
pub fn validate_key(key: &str) -> Result<(), String> {
    let _ = key;
    todo!()
}

/// A label value: empty, or at most 63 characters of alphanumerics, `-`,
/// `_`, `.`, starting and ending alphanumeric.
pub fn validate_value(value: &str) -> Result<(), String> {
    let _ = value;
    todo!()
}

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
}

/// A label selector: requirements ANDed; empty matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

impl Selector {
    /// Parses the full grammar: `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
    /// `a notin (x,y)`, `a`, `!a`, comma = AND, whitespace tolerated.
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let _ = text;
        todo!()
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
        let _ = labels;
        todo!()
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let _ = f;
        todo!()
    }
}
