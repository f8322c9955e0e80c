//! Files and documents: streams, lists, kinds, encodings, duplicates.

use super::*;

const MINI: &str =
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers: [{name: c, image: i}]\n";

#[test]
fn an_empty_document_between_separators_is_skipped() {
    let text = format!("---\n---\n{MINI}---\n---\n");
    let loaded = load_yaml(&text);
    assert_clean(&loaded);
    assert_eq!(loaded.manifests.pods.len(), 1);
}

#[test]
fn a_file_with_only_comments_holds_no_objects_and_no_errors() {
    let loaded = load_yaml("# nothing yet\n# really\n");
    assert_clean(&loaded);
    assert!(loaded.manifests.is_empty());
    assert_clean(&load_yaml(""));
}

#[test]
fn a_document_that_is_a_scalar_or_a_list_is_an_error() {
    let loaded = load_yaml(&format!("hello\n---\n- a\n- b\n---\n{MINI}"));
    assert_error_at(&loaded, (1, 1), "", "Kubernetes object");
    assert_error_at(&loaded, (3, 1), "", "Kubernetes object");
    assert_eq!(loaded.manifests.pods.len(), 1);
}

#[test]
fn an_invalid_list_item_is_located_by_its_index() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec:\n    containers: [{name: c, image: i}]\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: b}\n  spec:\n    containers:\n    - name: c\n      image: i\n      ports:\n      - containerPort: 0\n";
    let loaded = load_yaml(text);
    assert_error_at(
        &loaded,
        (17, 24),
        "items[1].spec.containers[0].ports[0].containerPort",
        "",
    );
}

#[test]
fn a_lowercase_kind_is_an_error_suggesting_the_right_one() {
    let loaded = load_yaml(&MINI.replace("kind: Pod", "kind: pod"));
    assert_error_at(&loaded, (2, 7), "kind", "did you mean \"Pod\"");
}

#[test]
fn a_misspelt_top_level_field_is_an_error_suggesting_spec() {
    let loaded = load_yaml(&MINI.replace("spec:", "specs:"));
    assert_error_at(&loaded, (5, 1), "specs", "did you mean \"spec\"");
    assert_eq!(loaded.errors().count(), 1, "{}", all(&loaded));
}

#[test]
fn a_byte_order_mark_crlf_and_tabs_inside_values_are_fine() {
    let text = format!("\u{feff}{}", MINI.replace('\n', "\r\n"));
    let loaded = load_yaml(&text);
    assert_clean(&loaded);
    let tabbed = MINI.replace("name: a", "name: a\n  annotations: {note: \"a\tb\"}");
    assert_clean(&load_yaml(&tabbed));
}

#[test]
fn a_tab_used_for_indentation_is_a_located_syntax_error() {
    let loaded = load_yaml(&MINI.replace("  name: a", "\tname: a"));
    let first = loaded.errors().next().expect("an error");
    assert_eq!(first.source.line, 4, "{}", all(&loaded));
}

#[test]
fn a_duplicate_object_in_one_file_is_an_error_at_the_second() {
    let loaded = load_yaml(&format!("{MINI}---\n{MINI}"));
    assert_error_at(&loaded, (8, 1), "metadata.name", "m.yaml:1:1");
}

#[test]
fn the_same_name_in_another_namespace_or_kind_is_fine() {
    let other_ns = MINI.replace("name: a\n", "name: a\n  namespace: other\n");
    let service =
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  ports: [{port: 80}]\n";
    let loaded = load_yaml(&format!("{MINI}---\n{other_ns}---\n{service}"));
    assert_clean(&loaded);
    assert_eq!(loaded.manifests.object_count(), 3);
}

#[test]
fn an_explicit_default_namespace_duplicates_an_implicit_one() {
    let explicit = MINI.replace("name: a\n", "name: a\n  namespace: default\n");
    let loaded = load_yaml(&format!("{MINI}---\n{explicit}"));
    assert_error_on(&loaded, "metadata.name", "duplicate");
}

#[test]
fn json_manifests_load_and_locate_errors() {
    let text = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"a\"},\n  \"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"i\", \"ports\": [{\"containerPort\": 80.5}]}]}\n}\n";
    let loaded = load_json(text);
    assert_error_on(
        &loaded,
        "spec.containers[0].ports[0].containerPort",
        "expected integer",
    );
}

#[test]
fn a_huge_integer_is_refused_not_wrapped() {
    let loaded = load_yaml(&format!(
        "{MINI}  terminationGracePeriodSeconds: 99999999999999999999\n"
    ));
    assert_error_on(&loaded, "spec.terminationGracePeriodSeconds", "");
    let text = "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: r}\nspec:\n  replicas: 4294967297\n  template:\n    metadata: {labels: {a: b}}\n    spec: {containers: [{name: c, image: i}]}\n";
    assert_error_on(&load_yaml(text), "spec.replicas", "");
}

#[test]
fn an_unknown_field_deep_inside_is_an_error_with_its_path() {
    let text = MINI.replace("image: i}", "image: i, imagePullPolicyy: Always}");
    let loaded = load_yaml(&text);
    assert_error_on(
        &loaded,
        "spec.containers[0].imagePullPolicyy",
        "did you mean \"imagePullPolicy\"",
    );
}

#[test]
fn a_field_with_the_wrong_case_is_unknown_as_with_strict_decoding() {
    let text = MINI.replace("image: i}", "Image: i}");
    let loaded = load_yaml(&text);
    assert_error_on(
        &loaded,
        "spec.containers[0].Image",
        "did you mean \"image\"",
    );
}

#[test]
fn invalid_utf8_is_an_error_at_the_first_bad_byte_and_utf16_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    let mut bytes = MINI.as_bytes().to_vec();
    bytes.splice(25..25, [0xffu8]);
    std::fs::write(&bad, bytes).unwrap();
    let loaded = load(std::slice::from_ref(&bad), LoadOptions::default());
    let first = loaded.errors().next().expect("an error");
    assert_eq!(first.source.file, bad);
    assert_eq!((first.source.line, first.source.column), (3, 1), "{first}");
    assert!(first.message.contains("UTF-8"), "{first}");

    let wide = dir.path().join("wide.yaml");
    let mut bytes = vec![0xffu8, 0xfe];
    bytes.extend(MINI.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&wide, bytes).unwrap();
    let loaded = load(&[wide], LoadOptions::default());
    assert_clean(&loaded);
    assert_eq!(loaded.manifests.pods.len(), 1);
}

#[test]
fn a_field_removed_from_kubernetes_is_unknown() {
    let text = MINI.replace("name: a\n", "name: a\n  clusterName: c1\n");
    assert_error_on(&load_yaml(&text), "metadata.clusterName", "unknown field");
}

#[test]
fn comments_in_json_are_refused_at_their_place() {
    let cases = [
        ("{\n  // note\n  \"apiVersion\": \"v1\"\n}\n", (2, 3)),
        (
            "{\"apiVersion\": \"v1\", /* c */ \"kind\": \"Pod\"}\n",
            (1, 22),
        ),
        ("{\n  \"apiVersion\": \"v1\" # c\n}\n", (2, 22)),
    ];
    for (text, (line, column)) in cases {
        assert_error_at(
            &load_json(text),
            (line, column),
            "",
            "JSON does not allow comments",
        );
    }
    let in_strings = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"a\", \"annotations\": {\"u\": \"http://x/#a \\\" // b\"}}, \"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"i\"}]}}\n";
    assert_clean(&load_json(in_strings));
}

#[test]
fn a_list_as_kubectl_get_prints_it_loads_without_warnings() {
    let text = format!(
        "apiVersion: v1\nkind: List\nmetadata:\n  resourceVersion: \"\"\nitems:\n- {}\n",
        MINI.trim_end().replace('\n', "\n  ")
    );
    let loaded = load_yaml(&text);
    assert_clean(&loaded);
    assert_eq!(loaded.manifests.pods.len(), 1);
}

#[test]
fn what_kubectl_dry_run_prints_loads_cleanly() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  creationTimestamp: null\n  labels:\n    run: web\n  name: web\nspec:\n  containers:\n  - image: nginx\n    name: web\n    resources: {}\n  dnsPolicy: ClusterFirst\n  restartPolicy: Always\nstatus: {}\n";
    assert_clean(&load_yaml(pod));
    let service = "apiVersion: v1\nkind: Service\nmetadata:\n  creationTimestamp: null\n  labels:\n    app: web\n  name: web\nspec:\n  ports:\n  - name: 80-80\n    port: 80\n    protocol: TCP\n    targetPort: 80\n  selector:\n    app: web\n  type: ClusterIP\nstatus:\n  loadBalancer: {}\n";
    assert_clean(&load_yaml(service));
}

#[test]
fn a_kind_under_a_group_that_does_not_serve_it_is_an_error() {
    let loaded = load_yaml(&MINI.replace("apiVersion: v1", "apiVersion: apps/v1"));
    assert_error_at(&loaded, (1, 13), "apiVersion", "use apiVersion: v1");
    let loaded = load_yaml("apiVersion: batch/v1\nkind: Deployment\nmetadata: {name: d}\n");
    assert_error_at(&loaded, (1, 13), "apiVersion", "apps/v1");
    let ok = load_yaml("apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: c}\n");
    assert!(!ok.has_errors(), "{}", all(&ok));
    assert_eq!(ok.warnings().count(), 1);
}

#[test]
fn a_duplicate_key_does_not_hide_the_other_errors_of_the_file() {
    let text = MINI.replace("name: a\n", "name: a\n  name: b\n  labels: {x: \"-\"}\n");
    let loaded = load_yaml(&text);
    assert_error_at(&loaded, (5, 3), "", "duplicate key \"name\"");
    assert_error_on(&loaded, "metadata.labels[x]", "invalid label value");
}

#[test]
fn an_empty_list_item_is_an_error_not_a_skipped_document() {
    let loaded = load_yaml("apiVersion: v1\nkind: List\nitems:\n- \n");
    assert_error_at(
        &loaded,
        (4, 1),
        "items[0]",
        "expected a Kubernetes object, found null",
    );
}

#[test]
fn a_misspelt_metadata_is_reported_once_as_the_typo() {
    let loaded = load_yaml(&MINI.replace("metadata:", "metdata:"));
    assert_error_at(&loaded, (3, 1), "metdata", "did you mean \"metadata\"");
    assert_eq!(loaded.errors().count(), 1, "{}", all(&loaded));
}

#[test]
fn errors_of_every_file_are_reported_in_path_then_position_order() {
    let dir = tempfile::tempdir().unwrap();
    let bad = MINI.replace("name: a", "name: A");
    std::fs::write(
        dir.path().join("b.yaml"),
        format!("{bad}---\n{}", bad.replace("A", "B")),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        MINI.replace("kind: Pod", "kind: Pdo"),
    )
    .unwrap();
    let warn_only = MINI.replace("name: a\n", "name: w\n  finalizers: [x]\n");
    std::fs::write(dir.path().join("c.yaml"), warn_only).unwrap();
    let loaded = load(&[dir.path().to_path_buf()], LoadOptions::default());
    let shown: Vec<String> = loaded
        .diagnostics
        .iter()
        .map(|d| {
            let file = d
                .source
                .file
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            format!(
                "{file}:{}:{} {:?}",
                d.source.line, d.source.column, d.severity
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            "a.yaml:2:7 Error",
            "b.yaml:4:9 Error",
            "b.yaml:11:9 Error",
            "c.yaml:5:3 Warning"
        ]
    );
    assert_eq!(loaded.files, 3);
}

#[test]
fn a_trailing_comma_in_json_is_refused_except_in_the_seed_minion() {
    let text = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\",\n \"metadata\": {\"name\": \"a\",},\n \"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"i\"}]}}\n";
    let loaded = load_json(text);
    assert_error_at(&loaded, (2, 26), "", "trailing comma");
    let fine = text.replace("\"a\",}", "\"a\" }");
    assert_clean(&load_json(&fine));
    let list = "{\"kind\": \"List\", \"apiVersion\": \"v1\", \"items\": [\n {\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}, \"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"i\"}]}},\n ]}\n";
    assert_error_at(&load_json(list), (2, 119), "", "trailing comma");
}

#[test]
fn a_stream_of_json_objects_loads_like_several_documents() {
    let pod = |name: &str| {
        format!("{{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {{\"name\": \"{name}\"}}, \"spec\": {{\"containers\": [{{\"name\": \"c\", \"image\": \"i\"}}]}}}}")
    };
    let text = format!("{}\n{}\n  {}\n", pod("a"), pod("b"), pod("C"));
    let loaded = load_json(&text);
    let pods: Vec<(&str, usize, usize)> = loaded
        .manifests
        .pods
        .iter()
        .map(|p| (p.meta.name.as_str(), p.source.line, p.source.column))
        .collect();
    assert_eq!(pods, [("a", 1, 1), ("b", 2, 1), ("C", 3, 3)]);
    assert_error_at(&loaded, (3, 60), "metadata.name", "RFC 1123");
}

#[test]
fn a_syntax_error_in_the_second_json_object_is_located_in_the_file() {
    let text = "{\"apiVersion\": \"v1\"}\n{\"apiVersion\" \"v1\"}\n";
    let loaded = load_json(text);
    assert_error_at(&loaded, (2, 15), "", "syntax error");
}
