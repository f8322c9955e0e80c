//! ConfigMaps and Secrets decoded from a document's root and validated as
//! the API server does: keys, base64, a key in both `data` and
//! `binaryData`, Secret types.

use std::collections::BTreeMap;

use super::config_model::{ConfigMap, Secret};
use super::decode::Decoder;
use super::meta::{object_meta, NameRule};
use super::schema::Schema;
use crate::yaml::{Node, Resolved};

const CONFIG_MAP: Schema = Schema {
    implemented: &[
        "apiVersion",
        "kind",
        "metadata",
        "data",
        "binaryData",
        "immutable",
    ],
    known: &[],
};

const SECRET: Schema = Schema {
    implemented: &[
        "apiVersion",
        "kind",
        "metadata",
        "data",
        "stringData",
        "type",
        "immutable",
    ],
    known: &[],
};

/// Kubernetes' limit on a key (`IsConfigMapKey`).
const KEY_MAX: usize = 253;

const KEY_MSG: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or \
                       '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for \
                       validation is '[-._a-zA-Z0-9]+')";

/// A ConfigMap or Secret key: `[-._a-zA-Z0-9]+`, at most 253 characters,
/// not `.` or `..` nor starting with `..`.
pub fn config_key(key: &str) -> Result<(), String> {
    if key.len() > KEY_MAX {
        return Err(format!("must be no more than {KEY_MAX} characters"));
    }
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err(KEY_MSG.to_string());
    }
    if key == "." {
        return Err("must not be '.'".to_string());
    }
    if key == ".." {
        return Err("must not be '..'".to_string());
    }
    if key.starts_with("..") {
        return Err("must not start with '..'".to_string());
    }
    Ok(())
}

pub fn config_map(d: &mut Decoder, root: &Node) -> Option<ConfigMap> {
    let fields = d.mapping(root, "", &CONFIG_MAP, &[])?;
    let meta = object_meta(d, root, fields.get("metadata"), NameRule::Subdomain);
    let data = fields
        .get("data")
        .map(|n| text_entries(d, n, "data"))
        .unwrap_or_default();
    let binary = fields
        .get("binaryData")
        .map(|n| base64_entries(d, n, "binaryData"))
        .unwrap_or_default();
    for (key_node, key, _) in &binary {
        if data.iter().any(|(_, k, _)| k == key) {
            let message = format!("duplicate of key {key:?} present in data");
            d.error(key_node, &format!("binaryData[{key}]"), message);
        }
    }
    let immutable = immutable(d, &fields);
    Some(ConfigMap {
        meta: meta?,
        data: data.into_iter().map(|(_, k, v)| (k, v)).collect(),
        binary_data: binary.into_iter().map(|(_, k, v)| (k, v)).collect(),
        immutable,
        source: d.source(root),
    })
}

pub fn secret(d: &mut Decoder, root: &Node) -> Option<Secret> {
    let fields = d.mapping(root, "", &SECRET, &[])?;
    let meta = object_meta(d, root, fields.get("metadata"), NameRule::Subdomain);
    let mut data: BTreeMap<String, Vec<u8>> = fields
        .get("data")
        .map(|n| base64_entries(d, n, "data"))
        .unwrap_or_default()
        .into_iter()
        .map(|(_, k, v)| (k, v))
        .collect();
    // stringData is merged into data, its values winning.
    let strings = fields
        .get("stringData")
        .map(|n| text_entries(d, n, "stringData"))
        .unwrap_or_default();
    for (_, key, value) in strings {
        data.insert(key, value.into_bytes());
    }
    let kind = match fields.get("type") {
        Some(n) => d.string(n, "type").unwrap_or_default(),
        None => String::new(),
    };
    let kind = if kind.is_empty() {
        "Opaque".to_string()
    } else {
        kind
    };
    let immutable = immutable(d, &fields);
    Some(Secret {
        meta: meta?,
        kind,
        data,
        immutable,
        source: d.source(root),
    })
}

fn immutable(d: &mut Decoder, fields: &super::decode::Fields) -> bool {
    fields
        .get("immutable")
        .and_then(|n| d.bool(n, "immutable"))
        .unwrap_or(false)
}

/// `data` / `stringData`: keys checked, values strings.
fn text_entries<'n>(
    d: &mut Decoder,
    node: &'n Node,
    path: &str,
) -> Vec<(&'n Node, String, String)> {
    let mut out = Vec::new();
    for (key_node, key, _, value) in d.string_map(node, path) {
        if check_key(d, key_node, path, &key) {
            out.push((key_node, key, value));
        }
    }
    out
}

/// `binaryData` / a Secret's `data`: keys checked, values base64.
fn base64_entries<'n>(
    d: &mut Decoder,
    node: &'n Node,
    path: &str,
) -> Vec<(&'n Node, String, Vec<u8>)> {
    let mut out = Vec::new();
    for (key_node, key, value_node, value) in d.string_map(node, path) {
        let entry_path = format!("{path}[{key}]");
        let valid_key = check_key(d, key_node, path, &key);
        // A number or a boolean is not base64 text either.
        if !matches!(
            value_node.resolve(),
            Some(Resolved::Str(_) | Resolved::Null)
        ) {
            continue;
        }
        match decode_base64(&value) {
            Ok(bytes) if valid_key => out.push((key_node, key, bytes)),
            Ok(_) => {}
            Err(message) => d.error(
                value_node,
                &entry_path,
                format!("illegal base64 data: {message}"),
            ),
        }
    }
    out
}

fn check_key(d: &mut Decoder, key_node: &Node, path: &str, key: &str) -> bool {
    match config_key(key) {
        Ok(()) => true,
        Err(message) => {
            let message = format!("invalid key {key:?}: {message}");
            d.error(key_node, &format!("{path}[{key}]"), message);
            false
        }
    }
}

/// Standard base64 with padding, as Go's `encoding/base64.StdEncoding`
/// (what the API server uses); whitespace (line breaks of folded YAML) is
/// ignored, as the JSON decoder's reader does not, but kubectl's YAML to
/// JSON step keeps it out.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let clean: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !clean.len().is_multiple_of(4) {
        return Err(format!(
            "length {} is not a multiple of 4 (is the value base64-encoded?)",
            clean.len()
        ));
    }
    let value = |c: u8| -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let chunks = clean.len() / 4;
    for (i, chunk) in clean.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != chunks) {
            return Err(format!("unexpected '=' at byte {}", i * 4 + 4 - pad));
        }
        let mut n = 0u32;
        for (j, &c) in chunk.iter().enumerate() {
            let v = if j >= 4 - pad {
                0
            } else {
                value(c).ok_or_else(|| {
                    format!("illegal character {:?} at byte {}", c as char, i * 4 + j)
                })?
            };
            n = (n << 6) | v;
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_padded_text_and_refuses_the_rest() {
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("aGk=").unwrap(), b"hi");
        assert_eq!(decode_base64("YWJj").unwrap(), b"abc");
        assert_eq!(decode_base64("").unwrap(), b"");
        assert!(decode_base64("aGVsbG8").is_err());
        assert!(decode_base64("aGVs!G8=").is_err());
        assert!(decode_base64("aG==aGVs").is_err());
    }

    #[test]
    fn config_keys_follow_kubernetes() {
        for ok in ["LOG_LEVEL", "app.properties", "a-b", "x"] {
            assert!(config_key(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", "..x", "a/b", "a b", &"k".repeat(254)] {
            assert!(config_key(bad).is_err(), "{bad}");
        }
    }
}
