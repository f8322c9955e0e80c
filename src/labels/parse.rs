//! The selector parser: a lexer and a recursive-descent parser following
//! k8s.io/apimachinery `labels.Parse`, with character positions in errors.

use super::{validate_key, validate_value, Requirement, SelectorError};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Not,
    Eq,
    DoubleEq,
    NotEq,
    Gt,
    Lt,
    Open,
    Close,
    Comma,
    End,
}

impl Tok {
    fn literal(&self) -> String {
        match self {
            Tok::Ident(s) => s.clone(),
            Tok::Not => "!".into(),
            Tok::Eq => "=".into(),
            Tok::DoubleEq => "==".into(),
            Tok::NotEq => "!=".into(),
            Tok::Gt => ">".into(),
            Tok::Lt => "<".into(),
            Tok::Open => "(".into(),
            Tok::Close => ")".into(),
            Tok::Comma => ",".into(),
            Tok::End => "end of string".into(),
        }
    }

    /// An identifier where a key may stand (`in` and `notin` are keywords
    /// only where an operator is expected, as in Kubernetes).
    fn key(&self) -> Option<&str> {
        match self {
            Tok::Ident(s) => Some(s),
            _ => None,
        }
    }
}

fn is_special(c: char) -> bool {
    matches!(c, '=' | '!' | '(' | ')' | ',' | '<' | '>')
}

/// Splits the input into tokens, each with its 0-based character offset.
fn lex(text: &str) -> Vec<(Tok, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let (tok, len) = match (c, next) {
            (c, _) if c.is_whitespace() => {
                i += 1;
                continue;
            }
            ('!', Some('=')) => (Tok::NotEq, 2),
            ('=', Some('=')) => (Tok::DoubleEq, 2),
            ('!', _) => (Tok::Not, 1),
            ('=', _) => (Tok::Eq, 1),
            ('(', _) => (Tok::Open, 1),
            (')', _) => (Tok::Close, 1),
            (',', _) => (Tok::Comma, 1),
            ('>', _) => (Tok::Gt, 1),
            ('<', _) => (Tok::Lt, 1),
            _ => {
                let len = chars[i..]
                    .iter()
                    .take_while(|c| !c.is_whitespace() && !is_special(**c))
                    .count();
                (Tok::Ident(chars[i..i + len].iter().collect()), len)
            }
        };
        tokens.push((tok, i));
        i += len;
    }
    tokens.push((Tok::End, chars.len()));
    tokens
}

pub(super) struct Parser<'a> {
    input: &'a str,
    tokens: Vec<(Tok, usize)>,
    next: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn new(input: &'a str) -> Parser<'a> {
        Parser {
            input,
            tokens: lex(input),
            next: 0,
        }
    }

    fn peek(&self) -> &Tok {
        &self.tokens[self.next].0
    }

    fn consume(&mut self) -> (Tok, usize) {
        let item = self.tokens[self.next].clone();
        if item.0 != Tok::End {
            self.next += 1;
        }
        item
    }

    fn error(&self, position: usize, message: String) -> SelectorError {
        SelectorError {
            input: self.input.to_string(),
            position,
            message,
        }
    }

    fn unexpected(&self, (tok, position): &(Tok, usize), expected: &str) -> SelectorError {
        self.error(
            *position,
            format!("found '{}', expected: {expected}", tok.literal()),
        )
    }

    /// requirement (',' requirement)* | empty
    pub(super) fn parse(mut self) -> Result<Vec<Requirement>, SelectorError> {
        let mut requirements = Vec::new();
        if *self.peek() == Tok::End {
            return Ok(requirements);
        }
        loop {
            if self.peek().key().is_none() && *self.peek() != Tok::Not {
                let tok = self.consume();
                return Err(self.unexpected(&tok, "!, identifier, or 'end of string'"));
            }
            requirements.push(self.requirement()?);
            let tok = self.consume();
            match tok.0 {
                Tok::End => return Ok(requirements),
                Tok::Comma if self.peek().key().is_some() || *self.peek() == Tok::Not => {}
                Tok::Comma => {
                    let tok = self.consume();
                    return Err(self.unexpected(&tok, "identifier after ','"));
                }
                _ => return Err(self.unexpected(&tok, "',' or 'end of string'")),
            }
        }
    }

    fn requirement(&mut self) -> Result<Requirement, SelectorError> {
        let negated = *self.peek() == Tok::Not;
        if negated {
            self.consume();
        }
        let tok = self.consume();
        let Some(key) = tok.0.key().map(str::to_string) else {
            return Err(self.unexpected(&tok, "identifier"));
        };
        validate_key(&key)
            .map_err(|e| self.error(tok.1, format!("invalid label key {key:?}: {e}")))?;
        if negated {
            return Ok(Requirement::DoesNotExist(key));
        }
        if matches!(self.peek(), Tok::End | Tok::Comma) {
            return Ok(Requirement::Exists(key));
        }
        let op = self.consume();
        match &op.0 {
            Tok::Eq | Tok::DoubleEq => {
                let value = self.exact_value(&key)?;
                Ok(Requirement::Equals(key, value))
            }
            Tok::NotEq => {
                let value = self.exact_value(&key)?;
                Ok(Requirement::NotEquals(key, value))
            }
            Tok::Ident(word) if word == "in" => {
                let values = self.value_set(&key)?;
                Ok(Requirement::In(key, values))
            }
            Tok::Ident(word) if word == "notin" => {
                let values = self.value_set(&key)?;
                Ok(Requirement::NotIn(key, values))
            }
            Tok::Gt | Tok::Lt => {
                // An integer, not a label value: `a>-1` is valid.
                let value = match self.peek().clone() {
                    Tok::Ident(value) => {
                        self.consume();
                        value
                    }
                    _ => String::new(),
                };
                let Ok(bound) = value.parse::<i64>() else {
                    let message = format!(
                        "for '>' and '<' operators, the value must be an integer (found {value:?})"
                    );
                    return Err(self.error(op.1, message));
                };
                Ok(if op.0 == Tok::Gt {
                    Requirement::GreaterThan(key, bound)
                } else {
                    Requirement::LessThan(key, bound)
                })
            }
            _ => Err(self.unexpected(&op, "'=', '!=', '==', '>', '<', 'in', 'notin'")),
        }
    }

    /// The value after `=`, `==` or `!=`; nothing before `,` or the end is "".
    fn exact_value(&mut self, key: &str) -> Result<String, SelectorError> {
        if matches!(self.peek(), Tok::End | Tok::Comma) {
            return Ok(String::new());
        }
        let tok = self.consume();
        match &tok.0 {
            Tok::Ident(value) => self.checked_value(key, value.clone(), tok.1),
            _ => Err(self.unexpected(&tok, "identifier")),
        }
    }

    /// `( value? (, value?)* )`: an empty item is the empty string, sorted
    /// and without duplicates.
    fn value_set(&mut self, key: &str) -> Result<Vec<String>, SelectorError> {
        let open = self.consume();
        if open.0 != Tok::Open {
            return Err(self.unexpected(&open, "'('"));
        }
        let mut values = Vec::new();
        loop {
            let value = match self.peek().clone() {
                Tok::Ident(value) => {
                    let position = self.consume().1;
                    self.checked_value(key, value, position)?
                }
                Tok::Comma | Tok::Close => String::new(),
                _ => {
                    let tok = self.consume();
                    return Err(self.unexpected(&tok, "',', ')' or identifier"));
                }
            };
            values.push(value);
            let tok = self.consume();
            match tok.0 {
                Tok::Comma => {}
                Tok::Close => break,
                _ => return Err(self.unexpected(&tok, "',' or ')'")),
            }
        }
        values.sort();
        values.dedup();
        Ok(values)
    }

    fn checked_value(
        &self,
        key: &str,
        value: String,
        position: usize,
    ) -> Result<String, SelectorError> {
        let message = |e| format!("invalid label value: {value:?}: at key: {key:?}: {e}");
        validate_value(&value).map_err(|e| self.error(position, message(e)))?;
        Ok(value)
    }
}
