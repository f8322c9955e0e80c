//! Selector and label rule tests, from the Kubernetes labels documentation
//! and apimachinery's selector tests.

use super::*;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn sel(text: &str) -> Selector {
    Selector::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

fn s(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

#[test]
fn keys_accept_optional_subdomain_prefixes() {
    for ok in [
        "app",
        "App_1",
        "a.b-c_d",
        "example.com/MyName",
        "kubernetes.io/os",
        "x/y",
        &"k".repeat(63),
    ] {
        assert_eq!(validate_key(ok), Ok(()), "{ok}");
    }
}

#[test]
fn keys_reject_bad_prefixes_and_names() {
    let cases = [
        ("", "name part must be non-empty"),
        ("/app", "prefix part must be non-empty"),
        ("example.com/", "name part must be non-empty"),
        (
            "Example.com/app",
            "prefix part a lowercase RFC 1123 subdomain",
        ),
        ("a/b/c", "a qualified name must consist of"),
        ("-app", "name part must consist of alphanumeric characters"),
        ("app_", "name part must consist of alphanumeric characters"),
        ("a b", "name part must consist of alphanumeric characters"),
    ];
    for (bad, want) in cases {
        let err = validate_key(bad).unwrap_err();
        assert!(err.starts_with(want), "{bad}: {err}");
    }
    let long = "k".repeat(64);
    assert_eq!(
        validate_key(&long).unwrap_err(),
        "name part must be no more than 63 characters"
    );
    let long_prefix = format!("{}/app", "p".repeat(254));
    assert_eq!(
        validate_key(&long_prefix).unwrap_err(),
        "prefix part must be no more than 253 characters"
    );
}

#[test]
fn values_may_be_empty_but_not_malformed_or_long() {
    for ok in ["", "MyValue", "my_value", "12345", "a.b-c", &"v".repeat(63)] {
        assert_eq!(validate_value(ok), Ok(()), "{ok}");
    }
    for bad in ["-x", "x-", "a b", "a/b", "é"] {
        assert!(validate_value(bad)
            .unwrap_err()
            .starts_with("a valid label must be an empty string"));
    }
    assert_eq!(
        validate_value(&"v".repeat(64)).unwrap_err(),
        "must be no more than 63 characters"
    );
}

#[test]
fn docs_equality_examples_parse_and_match() {
    let selector = sel("environment=production,tier!=frontend");
    assert_eq!(
        selector.requirements,
        vec![
            Requirement::Equals("environment".into(), "production".into()),
            Requirement::NotEquals("tier".into(), "frontend".into()),
        ]
    );
    assert!(selector.matches(&labels(&[
        ("environment", "production"),
        ("tier", "backend")
    ])));
    assert!(selector.matches(&labels(&[("environment", "production")])));
    assert!(!selector.matches(&labels(&[
        ("environment", "production"),
        ("tier", "frontend")
    ])));
    assert!(!selector.matches(&labels(&[("tier", "backend")])));
    assert_eq!(
        sel("environment==production"),
        sel("environment=production")
    );
}

#[test]
fn docs_set_examples_parse_and_match() {
    let env = sel("environment in (production, qa)");
    assert_eq!(
        env.requirements,
        vec![Requirement::In(
            "environment".into(),
            s(&["production", "qa"])
        )]
    );
    assert!(env.matches(&labels(&[("environment", "qa")])));
    assert!(!env.matches(&labels(&[("environment", "dev")])));
    assert!(!env.matches(&labels(&[])));

    let tier = sel("tier notin (frontend, backend)");
    assert!(tier.matches(&labels(&[("tier", "cache")])));
    assert!(
        tier.matches(&labels(&[])),
        "notin matches when the key is absent"
    );
    assert!(!tier.matches(&labels(&[("tier", "backend")])));
}

#[test]
fn docs_existence_examples_parse_and_match() {
    let has = sel("partition");
    assert_eq!(
        has.requirements,
        vec![Requirement::Exists("partition".into())]
    );
    assert!(has.matches(&labels(&[("partition", "")])));
    assert!(!has.matches(&labels(&[])));

    let lacks = sel("!partition");
    assert_eq!(
        lacks.requirements,
        vec![Requirement::DoesNotExist("partition".into())]
    );
    assert!(lacks.matches(&labels(&[("other", "x")])));
    assert!(!lacks.matches(&labels(&[("partition", "a")])));

    let both = sel("partition,environment notin (qa)");
    assert!(both.matches(&labels(&[
        ("partition", "customerA"),
        ("environment", "production")
    ])));
    assert!(!both.matches(&labels(&[
        ("partition", "customerA"),
        ("environment", "qa")
    ])));
}

#[test]
fn empty_selector_matches_everything() {
    for text in ["", "   "] {
        let selector = sel(text);
        assert!(selector.is_empty());
        assert!(selector.matches(&labels(&[])));
        assert!(selector.matches(&labels(&[("a", "b")])));
        assert_eq!(selector.to_string(), "");
    }
}

#[test]
fn whitespace_is_tolerated_anywhere_between_tokens() {
    let spaced = sel("  a = b ,  c != d , e in ( x , y ) , ! f ");
    assert_eq!(spaced, sel("a=b,c!=d,e in (x,y),!f"));
    assert_eq!(spaced.to_string(), "a=b,c!=d,e in (x,y),!f");
}

#[test]
fn display_is_canonical_sorted_by_key_with_sorted_sets() {
    let selector = sel("z notin (b,a,b), !f, a==1, c, e in (y,x)");
    assert_eq!(selector.to_string(), "a=1,c,e in (x,y),!f,z notin (a,b)");
    assert_eq!(
        sel(&selector.to_string()),
        selector,
        "the canonical form parses back"
    );
}

#[test]
fn empty_values_are_allowed_as_kubernetes_allows_them() {
    assert_eq!(
        sel("a=").requirements,
        vec![Requirement::Equals("a".into(), "".into())]
    );
    assert_eq!(
        sel("a!=,b").requirements[0],
        Requirement::NotEquals("a".into(), "".into())
    );
    assert_eq!(
        sel("a in ()").requirements,
        vec![Requirement::In("a".into(), s(&[""]))]
    );
    assert_eq!(
        sel("a in (x,)").requirements,
        vec![Requirement::In("a".into(), s(&["", "x"]))]
    );
    assert_eq!(
        sel("a in (,x)").requirements,
        vec![Requirement::In("a".into(), s(&["", "x"]))]
    );
    assert!(sel("a=").matches(&labels(&[("a", "")])));
    assert!(!sel("a=").matches(&labels(&[])));
}

#[test]
fn keywords_are_plain_keys_and_values_outside_operator_position() {
    assert_eq!(
        sel("in=x").requirements,
        vec![Requirement::Equals("in".into(), "x".into())]
    );
    assert_eq!(
        sel("x,notin").requirements[0],
        Requirement::Exists("notin".into())
    );
    assert_eq!(
        sel("in in (in)").requirements,
        vec![Requirement::In("in".into(), s(&["in"]))]
    );
}

#[test]
fn keywords_are_plain_values_after_an_operator() {
    assert_eq!(
        sel("a=in").requirements,
        vec![Requirement::Equals("a".into(), "in".into())]
    );
    assert_eq!(
        sel("a in (notin)").requirements,
        vec![Requirement::In("a".into(), s(&["notin"]))]
    );
}

#[test]
fn prefixed_keys_work_in_selectors() {
    let selector = sel("example.com/tier in (web),kubernetes.io/os=linux");
    assert!(selector.matches(&labels(&[
        ("example.com/tier", "web"),
        ("kubernetes.io/os", "linux")
    ])));
}

fn error(text: &str) -> SelectorError {
    Selector::parse(text).expect_err(text)
}

#[test]
fn syntax_errors_say_what_was_found_where() {
    let cases = [
        (
            "a=b,",
            4,
            "found 'end of string', expected: identifier after ','",
        ),
        (
            ",a",
            0,
            "found ',', expected: !, identifier, or 'end of string'",
        ),
        (
            "a b",
            2,
            "found 'b', expected: '=', '!=', '==', '>', '<', 'in', 'notin'",
        ),
        ("a in x", 5, "found 'x', expected: '('"),
        ("a in (x", 7, "found 'end of string', expected: ',' or ')'"),
        ("a in (x y)", 8, "found 'y', expected: ',' or ')'"),
        ("a in (=)", 6, "found '=', expected: ',', ')' or identifier"),
        ("a==(", 3, "found '(', expected: identifier"),
        ("!a=b", 2, "found '=', expected: ',' or 'end of string'"),
        ("!", 1, "found 'end of string', expected: identifier"),
        ("a=b c=d", 4, "found 'c', expected: ',' or 'end of string'"),
        (
            "=a",
            0,
            "found '=', expected: !, identifier, or 'end of string'",
        ),
        (
            "a>x",
            1,
            "for '>' and '<' operators, the value must be an integer (found \"x\")",
        ),
    ];
    for (text, position, message) in cases {
        let err = error(text);
        assert_eq!(
            (err.position, err.message.as_str()),
            (position, message),
            "{text}"
        );
    }
}

#[test]
fn invalid_keys_and_values_are_errors_at_their_position() {
    let err = error("x, -app=web");
    assert_eq!(err.position, 3);
    assert!(
        err.message
            .starts_with("invalid label key \"-app\": name part must consist"),
        "{err}"
    );
    let err = error("app in (web, -x)");
    assert_eq!(err.position, 13);
    assert!(
        err.message
            .starts_with("invalid label value: \"-x\": at key: \"app\": a valid label must be"),
        "{err}"
    );
    let long = format!("app={}", "v".repeat(64));
    assert_eq!(
        error(&long).message,
        format!(
            "invalid label value: {:?}: at key: \"app\": must be no more than 63 characters",
            "v".repeat(64)
        )
    );
    assert_eq!(error("app=é").to_string(), "invalid selector \"app=é\" at character 4: invalid label value: \"é\": at key: \"app\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
}

#[test]
fn positions_count_characters_not_bytes() {
    assert_eq!(error("é=1").position, 0);
    assert_eq!(error("a=é").position, 2);
    assert_eq!(error("ä=b,é=1").position, 0);
    assert_eq!(error("a=b,é=1").position, 4);
}

#[test]
fn from_map_selects_by_equality_on_every_entry() {
    let selector = Selector::from_map(&labels(&[("app", "web"), ("tier", "fe")]));
    assert_eq!(selector.to_string(), "app=web,tier=fe");
    assert!(selector.matches(&labels(&[("app", "web"), ("tier", "fe"), ("x", "y")])));
    assert!(!selector.matches(&labels(&[("app", "web")])));
}

#[test]
fn review_malformed_selectors_are_refused() {
    for bad in [
        "a=b=c",
        "a in x",
        "!a=b",
        "a,",
        ",a",
        "a=b,,c=d",
        "a in (x y)",
        "x=-a",
        "a b",
        "a=(b)",
        "!",
        "a notin",
        "a in (x,",
        "=b",
        "a=b c=d",
    ] {
        assert!(Selector::parse(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn review_whitespace_only_selects_everything_and_contradictions_select_nothing() {
    assert!(Selector::parse("  \t ").unwrap().is_empty());
    let contradiction = Selector::parse("app=web,app=api").unwrap();
    assert!(!contradiction.matches(&labels(&[("app", "web")])));
    let set = Selector::parse("tier in (front, back), !legacy, env != prod").unwrap();
    assert!(set.matches(&labels(&[("tier", "front")])));
    assert!(!set.matches(&labels(&[("tier", "front"), ("legacy", "")])));
    assert!(!set.matches(&labels(&[("tier", "back"), ("env", "prod")])));
    assert_eq!(set.to_string(), "env!=prod,!legacy,tier in (back,front)");
}

#[test]
fn greater_and_less_than_compare_integer_values_as_kubernetes_does() {
    let gt = sel("replicas>2");
    assert!(gt.matches(&labels(&[("replicas", "3")])));
    assert!(!gt.matches(&labels(&[("replicas", "2")])));
    assert!(
        !gt.matches(&labels(&[("replicas", "many")])),
        "not an integer"
    );
    assert!(!gt.matches(&labels(&[])), "absent");
    let lt = sel("tier < 10, app");
    assert!(lt.matches(&labels(&[("tier", "-4"), ("app", "x")])));
    assert!(!lt.matches(&labels(&[("tier", "10"), ("app", "x")])));
    assert_eq!(lt.to_string(), "app,tier<10");
    assert!(Selector::parse("a<").is_err());
    assert!(Selector::parse("a>1.5").is_err());
    assert!(sel("a>-1").matches(&labels(&[("a", "0")])));
}
