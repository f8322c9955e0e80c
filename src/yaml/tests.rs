//! YAML tree tests: positions, scalar resolution as kubectl reads it,
//! streams, duplicate keys, aliases and merges.

use super::*;

fn one(text: &str) -> Node {
    parse_documents(text).unwrap().remove(0)
}

#[test]
fn positions_count_lines_and_columns_from_one() {
    let doc = one("a: 1\nb:\n  c: x\n");
    let (key, value) = &doc.entries().unwrap()[1];
    assert_eq!((key.line, key.column), (2, 1));
    assert_eq!((doc.line, doc.column), (1, 1));
    assert_eq!(
        (value.line, value.column),
        (3, 3),
        "a block mapping starts at its first key"
    );
    let (inner_key, inner_value) = &value.entries().unwrap()[0];
    assert_eq!((inner_key.line, inner_key.column), (3, 3));
    assert_eq!((inner_value.line, inner_value.column), (3, 6));
}

#[test]
fn plain_scalars_resolve_like_kubernetes_and_quoted_stay_strings() {
    let doc = one("a: 5\nb: \"5\"\nc: true\nd: yes\ne: ~\nf: 1.5\ng: 0x10\nh: 1e3\ni: 1.2.3\n");
    let get = |k| doc.get(k).unwrap().resolve().unwrap();
    assert_eq!(get("a"), Resolved::Int(5));
    assert_eq!(get("b"), Resolved::Str("5"));
    assert_eq!(get("c"), Resolved::Bool(true));
    assert_eq!(get("d"), Resolved::Bool(true), "YAML 1.1, as kubectl");
    assert_eq!(get("e"), Resolved::Null);
    assert_eq!(get("f"), Resolved::Float(1.5));
    assert_eq!(get("g"), Resolved::Int(16));
    assert_eq!(get("h"), Resolved::Float(1000.0));
    assert_eq!(get("i"), Resolved::Str("1.2.3"));
    assert_eq!(resolve_plain("0644"), Resolved::Int(420), "YAML 1.1 octal");
    for t in ["y", "Y", "yes", "Yes", "YES", "on", "On", "ON"] {
        assert_eq!(resolve_plain(t), Resolved::Bool(true), "{t}");
    }
    for f in ["n", "N", "no", "No", "NO", "off", "Off", "OFF"] {
        assert_eq!(resolve_plain(f), Resolved::Bool(false), "{f}");
    }
    assert_eq!(resolve_plain("yEs"), Resolved::Str("yEs"));
    assert_eq!(resolve_plain("1_000"), Resolved::Int(1000));
    assert_eq!(resolve_plain("0b101"), Resolved::Int(5));
    assert_eq!(resolve_plain("_1"), Resolved::Str("_1"));
    let tagged = one("a: !!str 5\nb: !!str yes\n");
    assert_eq!(tagged.get("a").unwrap().resolve(), Some(Resolved::Str("5")));
    assert_eq!(
        tagged.get("b").unwrap().resolve(),
        Some(Resolved::Str("yes"))
    );
}

#[test]
fn an_empty_value_points_at_what_introduced_it() {
    let doc = one("args:\n- a\n-  # nothing here\n# comment\nnext:\nlast: 1\n");
    let args = doc.get("args").unwrap();
    let Value::Seq(items) = &args.value else {
        panic!("{args:?}")
    };
    assert_eq!((items[1].line, items[1].column), (3, 1));
    let next = doc.get("next").unwrap();
    assert_eq!((next.line, next.column), (5, 5));
}

#[test]
fn several_documents_are_read_and_empty_ones_are_null() {
    let docs = parse_documents("a: 1\n---\n---\nb: 2\n").unwrap();
    assert_eq!(docs.len(), 3);
    assert!(docs[1].is_null());
    assert_eq!(docs[2].line, 4);
}

#[test]
fn json_with_trailing_commas_parses() {
    let doc = one("{\n  \"a\": {\"b\": 1,},\n  \"c\": [1, 2,],\n}\n");
    assert_eq!(
        doc.get("a").unwrap().get("b").unwrap().resolve(),
        Some(Resolved::Int(1))
    );
}

#[test]
fn duplicate_keys_are_errors_naming_both_lines() {
    let errors = parse_documents("a: 1\nb: 2\na: 3\n").unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].line, errors[0].column), (3, 1));
    assert!(
        errors[0].message.contains("first at line 1"),
        "{}",
        errors[0].message
    );
}

#[test]
fn aliases_expand_to_copies_of_their_anchor() {
    let doc = one("a: &x {k: v}\nb: *x\n");
    assert_eq!(doc.get("b").unwrap().get("k").unwrap().text(), Some("v"));
}

#[test]
fn merge_keys_fill_in_without_overriding_explicit_keys() {
    let doc = one("base: &b {image: x, name: base}\nc:\n  name: c\n  <<: *b\n");
    let c = doc.get("c").unwrap();
    assert_eq!(c.get("name").unwrap().text(), Some("c"));
    assert_eq!(c.get("image").unwrap().text(), Some("x"));
    assert_eq!(c.entries().unwrap().len(), 2);
}

#[test]
fn a_byte_order_mark_and_crlf_line_ends_are_accepted() {
    let doc = one("\u{feff}a: 1\r\nb: two\r\n");
    assert_eq!(
        doc.get("a").unwrap().text(),
        Some("1"),
        "the mark is not part of a key"
    );
    assert_eq!(doc.get("b").unwrap().text(), Some("two"));
    assert_eq!(doc.get("b").unwrap().line, 2);
}

#[test]
fn an_alias_bomb_is_refused_quickly() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let started = std::time::Instant::now();
    let errors = parse_documents(&text).unwrap_err();
    assert!(
        errors[0].message.contains("alias bomb"),
        "{}",
        errors[0].message
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn a_syntax_error_has_a_position_and_the_parser_message() {
    let errors = parse_documents("ok: 1\na: b: c\n").unwrap_err();
    let want = YamlError {
        line: 2,
        column: 5,
        message: "syntax error: mapping values are not allowed in this context".to_string(),
    };
    assert_eq!(errors, vec![want]);
}
