//! Names, namespaces, label keys and values by Kubernetes' rules.

use super::*;

#[test]
fn a_label_key_may_carry_a_lowercase_dns_prefix() {
    assert_valid(&load_yaml(&pod_meta(
        "  labels:\n    example.com/app: web\n    app.kubernetes.io/name: x\n",
    )));
}

#[test]
fn a_label_key_prefix_with_uppercase_is_invalid_at_the_key() {
    let loaded = load_yaml(&pod_meta("  labels:\n    Example.com/app: web\n"));
    assert_error_at(
        &loaded,
        (6, 5),
        "metadata.labels[Example.com/app]",
        "prefix part",
    );
}

#[test]
fn a_label_key_with_an_empty_prefix_or_two_slashes_is_invalid() {
    let loaded = load_yaml(&pod_meta("  labels:\n    /app: web\n    a/b/c: x\n"));
    assert_error_at(&loaded, (6, 5), "metadata.labels[/app]", "prefix part");
    assert_error_at(&loaded, (7, 5), "metadata.labels[a/b/c]", "qualified name");
}

#[test]
fn a_label_key_name_may_have_63_characters_but_not_64() {
    let ok = format!("  labels:\n    {}: v\n", "a".repeat(63));
    assert_valid(&load_yaml(&pod_meta(&ok)));
    let long = "b".repeat(64);
    let loaded = load_yaml(&pod_meta(&format!("  labels:\n    {long}: v\n")));
    assert_error_on(
        &loaded,
        &format!("metadata.labels[{long}]"),
        "no more than 63",
    );
}

#[test]
fn a_label_value_must_start_alphanumeric_but_may_be_empty() {
    let loaded = load_yaml(&pod_meta("  labels:\n    a: \"-a\"\n    b: \"\"\n    c:\n"));
    assert_error_at(&loaded, (6, 8), "metadata.labels[a]", "invalid label value");
    assert_eq!(loaded.errors().count(), 1, "{}", all(&loaded));
}

#[test]
fn a_label_value_of_64_characters_is_invalid() {
    let text = pod_meta(&format!("  labels:\n    a: {}\n", "x".repeat(64)));
    assert_error_on(&load_yaml(&text), "metadata.labels[a]", "no more than 63");
}

#[test]
fn a_label_value_written_as_a_number_or_boolean_is_not_a_string() {
    let loaded = load_yaml(&pod_meta("  labels:\n    version: 1\n    on: true\n"));
    assert_error_at(
        &loaded,
        (6, 14),
        "metadata.labels[version]",
        "expected string",
    );
    assert_error_at(&loaded, (7, 9), "metadata.labels[on]", "expected string");
}

#[test]
fn pod_names_with_uppercase_underscores_or_a_leading_dash_are_invalid() {
    for bad in ["Web", "my_pod", "-web", "web-", "web..x"] {
        let loaded = load_yaml(&pod("").replace("name: web", &format!("name: \"{bad}\"")));
        assert_error_at(&loaded, (4, 9), "metadata.name", "RFC 1123 subdomain");
    }
}

#[test]
fn a_pod_name_may_have_253_characters_but_not_254() {
    let name = |n: usize| {
        let mut s = "a".repeat(n);
        for i in (50..n).step_by(50) {
            s.replace_range(i..=i, ".");
        }
        s
    };
    let ok = pod("").replace("name: web", &format!("name: {}", name(253)));
    assert_valid(&load_yaml(&ok));
    let bad = pod("").replace("name: web", &format!("name: {}", name(254)));
    assert_error_on(&load_yaml(&bad), "metadata.name", "no more than 253");
}

#[test]
fn a_numeric_name_is_a_type_error_but_a_quoted_one_is_a_valid_name() {
    let loaded = load_yaml(&pod("").replace("name: web", "name: 123"));
    assert_error_at(&loaded, (4, 9), "metadata.name", "expected string");
    assert_valid(&load_yaml(&pod("").replace("name: web", "name: \"123\"")));
}

#[test]
fn the_namespace_default_with_a_capital_is_invalid() {
    let loaded = load_yaml(&pod_meta("  namespace: Default\n"));
    assert_error_at(&loaded, (5, 14), "metadata.namespace", "RFC 1123 label");
}

#[test]
fn a_dotted_namespace_is_invalid_because_namespaces_are_labels() {
    let loaded = load_yaml(&pod_meta("  namespace: team.a\n"));
    assert_error_on(&loaded, "metadata.namespace", "RFC 1123 label");
}

#[test]
fn generate_name_without_a_name_is_a_clear_error() {
    let text = pod("").replace("  name: web\n", "  generateName: web-\n");
    let loaded = load_yaml(&text);
    assert_error_on(&loaded, "metadata.name", "generateName");
}

#[test]
fn annotation_values_may_be_any_string_but_not_a_number() {
    let loaded = load_yaml(&pod_meta(
        "  annotations:\n    note: \"Hello, World! -_-\"\n    count: 3\n",
    ));
    assert_error_at(
        &loaded,
        (7, 12),
        "metadata.annotations[count]",
        "expected string",
    );
    assert_eq!(loaded.errors().count(), 1, "{}", all(&loaded));
}

#[test]
fn annotations_over_256_kib_in_all_are_an_error() {
    let big = "x".repeat(200 * 1024);
    let text = pod_meta(&format!("  annotations:\n    a: {big}\n    b: {big}\n"));
    assert_error_at(
        &load_yaml(&text),
        (6, 5),
        "metadata.annotations",
        "262144 bytes",
    );
    let fits = pod_meta(&format!("  annotations:\n    a: {big}\n"));
    assert_clean(&load_yaml(&fits));
}

#[test]
fn a_label_key_in_berths_own_prefix_is_refused_because_berth_owns_it() {
    let loaded = load_yaml(&pod_meta("  labels:\n    io.berth.project: other\n"));
    assert_error_at(
        &loaded,
        (6, 5),
        "metadata.labels[io.berth.project]",
        "reserved",
    );
}
