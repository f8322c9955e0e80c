//! Hostile and broken input: a generated corpus of bad manifests, each
//! loaded from a real file and required to come back, quickly, with an
//! error that says what is wrong and where. Every failing case is named.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::load::read_file;
use super::*;

/// How long any one hostile file may take to be refused (debug build, a
/// shared machine: generous, yet far below what a hang or a blow-up costs).
const CASE_BUDGET: Duration = Duration::from_secs(5);

/// One bad input: the file's name and bytes, a text its error must hold,
/// and where (`line:column`) the error must point when the parser can tell.
struct Case {
    name: String,
    file: &'static str,
    bytes: Vec<u8>,
    want: String,
    at: Option<(usize, usize)>,
}

fn case(name: impl Into<String>, bytes: impl Into<Vec<u8>>, want: impl Into<String>) -> Case {
    Case {
        name: name.into(),
        file: "m.yaml",
        bytes: bytes.into(),
        want: want.into(),
        at: None,
    }
}

impl Case {
    fn at(mut self, line: usize, column: usize) -> Case {
        self.at = Some((line, column));
        self
    }

    fn json(mut self) -> Case {
        self.file = "m.json";
        self
    }
}

/// Loads every case from its own directory and names each one that loads
/// clean, says something else, points elsewhere or takes too long.
fn check(cases: Vec<Case>, options: LoadOptions) -> Duration {
    let mut failures = Vec::new();
    let mut worst = Duration::ZERO;
    let mut names = std::collections::HashSet::new();
    for c in &cases {
        assert!(names.insert(c.name.clone()), "case named twice: {}", c.name);
        let dir = tempfile::tempdir().expect("a temporary directory");
        fs::write(dir.path().join(c.file), &c.bytes).expect("write the case");
        let started = Instant::now();
        let loaded = load(&[dir.path().to_path_buf()], options.clone());
        let took = started.elapsed();
        worst = worst.max(took);
        let errors: Vec<String> = loaded.errors().map(ToString::to_string).collect();
        let place = c.at.map(|(l, col)| format!("{}:{l}:{col}: ", c.file));
        let hit = errors
            .iter()
            .any(|e| e.contains(&c.want) && place.as_ref().is_none_or(|p| e.contains(p.as_str())));
        if !hit || took > CASE_BUDGET {
            failures.push(format!(
                "{}: want {:?} at {:?} within {CASE_BUDGET:?}, took {took:?}, got {errors:#?}",
                c.name, c.want, place
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} hostile cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    worst
}

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: app
    image: busybox
";

/// A document with `{V}` standing where a value of type `expected` goes,
/// the field path diagnostics give that place.
struct Slot {
    template: &'static str,
    path: &'static str,
    expected: Kind,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Str,
    Int,
    Map,
    Seq,
    StrList,
    StrMap,
    Quantity,
}

fn slot(template: &'static str, path: &'static str, expected: Kind) -> Slot {
    Slot {
        template,
        path,
        expected,
    }
}

const POD_HEAD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n";

fn slots() -> Vec<Slot> {
    use Kind::*;
    vec![
        slot("apiVersion: v1\nkind: Pod\nmetadata: {V}\n", "metadata", Map),
        slot("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {V}\nspec: {containers: [{name: a, image: b}]}\n", "metadata.name", Str),
        slot("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: {V}\nspec: {containers: [{name: a, image: b}]}\n", "metadata.namespace", Str),
        slot("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {V}\nspec: {containers: [{name: a, image: b}]}\n", "metadata.labels", StrMap),
        slot("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  annotations: {V}\nspec: {containers: [{name: a, image: b}]}\n", "metadata.annotations", StrMap),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {V}\n", "spec", Map),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: {V}\n", "spec.containers", Seq),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  restartPolicy: {V}\n  containers: [{name: a, image: b}]\n", "spec.restartPolicy", Str),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  nodeSelector: {V}\n  containers: [{name: a, image: b}]\n", "spec.nodeSelector", StrMap),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  volumes: {V}\n  containers: [{name: a, image: b}]\n", "spec.volumes", Seq),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  volumes:\n  - name: v\n    hostPath:\n      path: {V}\n  containers: [{name: a, image: b}]\n", "spec.volumes[0].hostPath.path", Str),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - {V}\n", "spec.containers[0]", Map),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: {V}\n    image: b\n", "spec.containers[0].name", Str),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    image: {V}\n", "spec.containers[0].image", Str),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    image: b\n    command: {V}\n", "spec.containers[0].command", StrList),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    image: b\n    args: {V}\n", "spec.containers[0].args", StrList),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    image: b\n    workingDir: {V}\n", "spec.containers[0].workingDir", Str),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    image: b\n    ports: {V}\n", "spec.containers[0].ports", Seq),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    image: b\n    ports:\n    - containerPort: {V}\n", "spec.containers[0].ports[0].containerPort", Int),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    image: b\n    ports:\n    - containerPort: 80\n      hostPort: {V}\n", "spec.containers[0].ports[0].hostPort", Int),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    image: b\n    env: {V}\n", "spec.containers[0].env", Seq),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    image: b\n    env:\n    - name: {V}\n      value: x\n", "spec.containers[0].env[0].name", Str),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    image: b\n    env:\n    - name: X\n      value: {V}\n", "spec.containers[0].env[0].value", Str),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    image: b\n    volumeMounts: {V}\n", "spec.containers[0].volumeMounts", Seq),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    image: b\n    resources: {V}\n", "spec.containers[0].resources", Map),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    image: b\n    resources:\n      limits: {V}\n", "spec.containers[0].resources.limits", Map),
        slot("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - name: a\n    image: b\n    resources:\n      limits:\n        memory: {V}\n", "spec.containers[0].resources.limits[memory]", Quantity),
        slot("apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\nspec:\n  replicas: {V}\n  selector: {app: web}\n  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: a, image: b}]}}\n", "spec.replicas", Int),
        slot("apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\nspec:\n  replicas: 1\n  selector: {V}\n  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: a, image: b}]}}\n", "spec.selector", StrMap),
        slot("apiVersion: v1\nkind: Service\nmetadata: {name: svc}\nspec:\n  selector: {app: web}\n  ports:\n  - port: {V}\n", "spec.ports[0].port", Int),
        slot("apiVersion: v1\nkind: Service\nmetadata: {name: svc}\nspec:\n  selector: {V}\n  ports: [{port: 80}]\n", "spec.selector", StrMap),
        slot("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: {V}\n  selector: {matchLabels: {app: web}}\n  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: a, image: b}]}}\n", "spec.replicas", Int),
        slot("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  strategy: {V}\n  selector: {matchLabels: {app: web}}\n  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: a, image: b}]}}\n", "spec.strategy", Map),
        slot("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector:\n    matchLabels: {V}\n  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: a, image: b}]}}\n", "spec.selector.matchLabels", StrMap),
        slot("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {V}\n", "data", StrMap),
    ]
}

/// Values of the wrong type for `kind`, each with how the error names it.
fn wrong_values(kind: Kind) -> Vec<(&'static str, &'static str)> {
    let all = [
        ("[1, 2]", "seq"),
        ("{a: 1}", "map"),
        ("42", "int"),
        ("true", "bool"),
        ("word", "str"),
    ];
    all.into_iter()
        .filter(|(_, what)| {
            !matches!(
                (kind, *what),
                (Kind::Str | Kind::StrList, "str")
                    | (Kind::Int, "int")
                    | (Kind::Map | Kind::StrMap, "map")
                    | (Kind::Seq | Kind::StrList, "seq")
                    | (Kind::Quantity, "str" | "int")
            )
        })
        .collect()
}

fn wrong_type_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (i, slot) in slots().into_iter().enumerate() {
        for (value, what) in wrong_values(slot.expected) {
            let text = slot.template.replacen("{V}", value, 1);
            let offset = slot.template.find("{V}").expect("a {V} in the template");
            let before = &slot.template[..offset];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            let want = format!("{}: expected", slot.path);
            let c = case(format!("{i:02} {} = {what}", slot.path), text, want);
            // A map of strings points at the bad value inside the map.
            cases.push(match slot.expected {
                Kind::StrMap | Kind::Quantity => c,
                _ => c.at(line, column),
            });
        }
    }
    cases
}

#[test]
fn every_wrong_type_at_every_level_names_its_field_and_place() {
    let cases = wrong_type_cases();
    assert!(cases.len() >= 100, "{} cases", cases.len());
    check(cases, LoadOptions::default());
}

fn syntax_cases() -> Vec<Case> {
    vec![
        case(
            "unclosed flow mapping",
            "metadata: {name: web\n",
            "syntax error",
        ),
        case("unclosed flow sequence", "items: [a, b\n", "syntax error"),
        case("unclosed double quote", "name: \"web\n", "syntax error"),
        case("unclosed single quote", "name: 'web\n", "syntax error"),
        case("bad indentation", "a:\n  b: 1\n c: 2\n", "syntax error").at(3, 3),
        case("mapping in plain scalar", "a: b: c\n", "syntax error").at(1, 5),
        case("tab indentation", "a:\n\tb: 1\n", "tabs disallowed").at(2, 2),
        case("stray closing bracket", "a: ]\n", "syntax error"),
        case("unknown alias", "a: *nowhere\n", "unknown anchor").at(1, 4),
        case("bad escape", "a: \"\\q\"\n", "syntax error"),
        case(
            "unknown directive, then no kind",
            "%FOO bar\n---\na: 1\n",
            "apiVersion: required field is missing",
        )
        .at(3, 1),
        case("only a scalar", "hello\n", "a Kubernetes object"),
        case("a sequence at the top", "- a\n- b\n", "a Kubernetes object"),
        case(
            "duplicate key",
            format!("{POD}kind: Pod\n"),
            "duplicate key \"kind\"",
        )
        .at(10, 1),
        case(
            "duplicate key nested",
            POD.replace("  name: web\n", "  name: web\n  name: api\n"),
            "duplicate key \"name\"",
        )
        .at(5, 3),
        case(
            "json missing brace",
            "{\"apiVersion\": \"v1\"",
            "syntax error",
        )
        .json(),
        case(
            "json trailing comma",
            "{\"apiVersion\": \"v1\", \"kind\": \"Pod\",}",
            "trailing comma",
        )
        .json(),
        case("json comment", "// hi\n{\"kind\": \"Pod\"}", "comments")
            .json()
            .at(1, 1),
        case("json single quotes", "{'kind': 'Pod'", "syntax error").json(),
        case("json unclosed string", "{\"kind\": \"Pod}", "syntax error").json(),
        case(
            "json bare word",
            "{\"kind\": Pod, \"apiVersion\": v1, \"metadata\": []}",
            "metadata: expected mapping",
        )
        .json(),
        case("json array at top", "[1, 2, 3]", "a Kubernetes object").json(),
    ]
}

#[test]
fn yaml_and_json_syntax_errors_point_at_the_place() {
    check(syntax_cases(), LoadOptions::default());
}

fn encoding_cases() -> Vec<Case> {
    let utf16 = |little: bool, text: &str| {
        let mut bytes = if little {
            vec![0xff, 0xfe]
        } else {
            vec![0xfe, 0xff]
        };
        for unit in text.encode_utf16() {
            bytes.extend(if little {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            });
        }
        bytes
    };
    let mut latin1 = POD.as_bytes().to_vec();
    latin1.extend(b"  annotations: {note: caf\xe9}\n");
    let mut odd_utf16 = utf16(true, "kind: Pod\n");
    odd_utf16.extend([0x00, 0xd8, 0x41, 0x00]); // an unpaired surrogate
    vec![
        case(
            "binary garbage",
            vec![0u8, 1, 2, 0xff, 0xfe, 0x80, 0x81],
            "not valid UTF-8",
        )
        .at(1, 4),
        case("latin-1 byte", latin1, "not valid UTF-8").at(10, 26),
        case(
            "a PNG header",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            "not valid UTF-8",
        )
        .at(1, 1),
        case(
            "utf-16 with a bad name",
            utf16(true, &POD.replace("web", "Web")),
            "metadata.name",
        )
        .at(4, 9),
        case(
            "utf-16 big-endian bad",
            utf16(false, &POD.replace("name: app", "name: A_p")),
            "spec.containers[0].name",
        ),
        case("utf-16 unpaired surrogate", odd_utf16, "not valid UTF-16"),
        case(
            "utf-16 without a BOM",
            "k\0i\0n\0d\0:\0 \0P\0o\0d\0".as_bytes().to_vec(),
            "control character U+0000",
        )
        .at(1, 2),
        case(
            "CRLF with a bad name",
            POD.replace("web\n", "Web\n").replace('\n', "\r\n"),
            "metadata.name",
        )
        .at(4, 9),
        case(
            "BOM with a bad name",
            format!("\u{feff}{}", POD.replace("name: web", "name: Web")),
            "metadata.name",
        )
        .at(4, 9),
        case(
            "NUL in a value",
            POD.replace("image: busybox", "image: \"busy\\0box\""),
            "a NUL character in a string",
        )
        .at(9, 12),
        case(
            "raw NUL byte",
            POD.replace("image: busybox", "image: busy\0box"),
            "control character U+0000",
        )
        .at(9, 16),
        case(
            "NUL in a label value",
            POD.replace("{app: web}", "{app: \"w\\0eb\"}"),
            "a NUL character in a string",
        )
        .at(5, 17),
        case(
            "control character in name",
            POD.replace("name: web", "name: \"w\\u0007eb\""),
            "metadata.name",
        ),
    ]
}

#[test]
fn binary_and_odd_encodings_are_refused_or_read_as_kubectl_reads_them() {
    check(encoding_cases(), LoadOptions::default());
}

fn name_and_label_cases() -> Vec<Case> {
    let name = |n: &str| POD.replace("name: web", &format!("name: \"{n}\""));
    let label = |k: &str, v: &str| POD.replace("{app: web}", &format!("{{\"{k}\": \"{v}\"}}"));
    let long = "a".repeat(300);
    vec![
        case("300-character name", name(&long), "metadata.name").at(4, 9),
        case(
            "254-character name",
            name(&"b".repeat(254)),
            "metadata.name",
        )
        .at(4, 9),
        case("Cyrillic a in a name", name("w\u{0430}b"), "metadata.name").at(4, 9),
        case(
            "Greek omicron in a name",
            name("p\u{03bf}d"),
            "metadata.name",
        )
        .at(4, 9),
        case(
            "fullwidth letters in a name",
            name("\u{ff57}eb"),
            "metadata.name",
        )
        .at(4, 9),
        case(
            "zero-width space in a name",
            name("we\u{200b}b"),
            "metadata.name",
        )
        .at(4, 9),
        case("uppercase name", name("Web"), "metadata.name").at(4, 9),
        case("underscore name", name("my_web"), "metadata.name").at(4, 9),
        case("leading dash name", name("-web"), "metadata.name").at(4, 9),
        case("empty name", name(""), "metadata.name"),
        case("slash in name", name("a/b"), "metadata.name").at(4, 9),
        case(
            "300-character container name",
            POD.replace("name: app", &format!("name: {long}")),
            "spec.containers[0].name",
        ),
        case(
            "Cyrillic container name",
            POD.replace("name: app", "name: \u{0430}pp"),
            "spec.containers[0].name",
        ),
        case(
            "label value too long",
            label("app", &"v".repeat(64)),
            "metadata.labels",
        ),
        case(
            "label key with two slashes",
            label("a/b/c", "x"),
            "metadata.labels",
        ),
        case(
            "label key prefix too long",
            label(&format!("{}.io/app", "p".repeat(260)), "x"),
            "metadata.labels",
        ),
        case(
            "label name too long",
            label(&"k".repeat(64), "x"),
            "metadata.labels",
        ),
        case(
            "label value with a space",
            label("app", "we b"),
            "metadata.labels",
        ),
        case(
            "Cyrillic label value",
            label("app", "w\u{0430}b"),
            "metadata.labels",
        ),
        case("empty label key", label("", "x"), "metadata.labels"),
        case(
            "label value NUL",
            label("app", "a\\0b"),
            "a NUL character in a string",
        ),
        case(
            "bad namespace",
            POD.replace("  name: web\n", "  name: web\n  namespace: Prod_1\n"),
            "metadata.namespace",
        )
        .at(5, 14),
    ]
}

#[test]
fn invalid_names_and_labels_are_named_with_their_field() {
    check(name_and_label_cases(), LoadOptions::default());
}

fn selector_cases() -> Vec<Case> {
    let deployment = |selector: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d}}\nspec:\n  selector:\n{selector}  template: {{metadata: {{labels: {{app: web}}}}, spec: {{containers: [{{name: a, image: b}}]}}}}\n"
        )
    };
    let rc = |selector: &str| {
        format!(
            "apiVersion: v1\nkind: ReplicationController\nmetadata: {{name: rc}}\nspec:\n  selector: {selector}\n  template: {{metadata: {{labels: {{app: web}}}}, spec: {{containers: [{{name: a, image: b}}]}}}}\n"
        )
    };
    vec![
        case(
            "operator unknown",
            deployment("    matchExpressions: [{key: app, operator: Like, values: [web]}]\n"),
            "spec.selector.matchExpressions[0].operator",
        ),
        case(
            "In without values",
            deployment("    matchExpressions: [{key: app, operator: In, values: []}]\n"),
            "spec.selector.matchExpressions[0].values",
        ),
        case(
            "Exists with values",
            deployment("    matchExpressions: [{key: app, operator: Exists, values: [x]}]\n"),
            "spec.selector.matchExpressions[0].values",
        ),
        case(
            "bad key in expression",
            deployment("    matchExpressions: [{key: \"a b\", operator: In, values: [x]}]\n"),
            "spec.selector.matchExpressions[0].key",
        ),
        case(
            "expressions not a list",
            deployment("    matchExpressions: {key: app}\n"),
            "spec.selector.matchExpressions: expected",
        ),
        case(
            "empty deployment selector",
            deployment("    {}\n"),
            "spec.selector",
        ),
        case(
            "selector misses template",
            deployment("    matchLabels: {app: api}\n"),
            "spec.template.metadata.labels",
        ),
        case(
            "rc selector bad value",
            rc("{app: \"we b\"}"),
            "spec.selector",
        ),
        case(
            "rc selector misses template",
            rc("{app: api}"),
            "spec.template.metadata.labels",
        ),
        case(
            "rc selector bad key",
            rc("{\"-app\": web}"),
            "spec.selector",
        ),
    ]
}

#[test]
fn invalid_selectors_are_named_with_their_field() {
    check(selector_cases(), LoadOptions::default());
}

fn number_cases() -> Vec<Case> {
    let port = |v: &str| {
        format!("{POD_HEAD}  - name: a\n    image: b\n    ports: [{{containerPort: {v}}}]\n")
    };
    let memory = |v: &str| {
        format!("{POD_HEAD}  - name: a\n    image: b\n    resources: {{limits: {{memory: {v}}}}}\n")
    };
    let cpu = |v: &str| {
        format!("{POD_HEAD}  - name: a\n    image: b\n    resources: {{limits: {{cpu: {v}}}}}\n")
    };
    let replicas = |v: &str| {
        format!("apiVersion: v1\nkind: ReplicationController\nmetadata: {{name: rc}}\nspec:\n  replicas: {v}\n  selector: {{app: web}}\n  template: {{metadata: {{labels: {{app: web}}}}, spec: {{containers: [{{name: a, image: b}}]}}}}\n")
    };
    vec![
        case("port 0", port("0"), "containerPort").at(8, 29),
        case("port 65536", port("65536"), "containerPort").at(8, 29),
        case("negative port", port("-80"), "containerPort").at(8, 29),
        case(
            "huge port",
            port("99999999999999999999999"),
            "containerPort",
        )
        .at(8, 29),
        case("port as float", port("80.5"), "containerPort").at(8, 29),
        case("port as infinity", port(".inf"), "containerPort").at(8, 29),
        case("port as NaN", port(".nan"), "containerPort").at(8, 29),
        case("negative replicas", replicas("-1"), "spec.replicas").at(5, 13),
        case("huge replicas", replicas("1e300"), "spec.replicas").at(5, 13),
        case(
            "replicas past i64",
            replicas("9223372036854775808"),
            "spec.replicas",
        )
        .at(5, 13),
        case(
            "invalid memory quantity",
            memory("lots"),
            "resources.limits[memory]",
        ),
        case(
            "negative memory",
            memory("-1Gi"),
            "resources.limits[memory]",
        ),
        case(
            "memory unit typo",
            memory("1GB"),
            "resources.limits[memory]",
        ),
        case(
            "memory huge",
            memory("99999999999999999999999999Ei"),
            "resources.limits[memory]",
        ),
        case("cpu junk", cpu("two"), "resources.limits[cpu]"),
        case("cpu negative", cpu("-500m"), "resources.limits[cpu]"),
        case("cpu with two dots", cpu("1.2.3"), "resources.limits[cpu]"),
    ]
}

#[test]
fn huge_negative_and_malformed_numbers_are_refused() {
    check(number_cases(), LoadOptions::default());
}

fn structure_cases() -> Vec<Case> {
    let two = format!("{POD}---\n{POD}");
    vec![
        case(
            "duplicate pod in one file",
            two,
            "duplicate Pod \"default/web\"",
        ),
        case(
            "unknown field typo",
            POD.replace("image: busybox", "imgae: busybox"),
            "unknown field \"imgae\"",
        ),
        case(
            "unknown top-level field",
            format!("{POD}extra: 1\n"),
            "unknown field \"extra\"",
        )
        .at(10, 1),
        case(
            "unknown kind",
            POD.replace("kind: Pod", "kind: Pood"),
            "Pood",
        ),
        case(
            "unknown apiVersion",
            POD.replace("apiVersion: v1", "apiVersion: v9"),
            "v9",
        ),
        case(
            "missing containers",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {}\n",
            "spec.containers",
        ),
        case(
            "missing name",
            "apiVersion: v1\nkind: Pod\nmetadata: {}\nspec: {containers: [{name: a, image: b}]}\n",
            "metadata.name",
        ),
        case(
            "duplicate container names",
            format!("{POD}  - name: app\n    image: b\n"),
            "spec.containers[1].name",
        ),
        case(
            "List items not a list",
            "apiVersion: v1\nkind: List\nitems: {a: 1}\n",
            "items: expected",
        ),
        case(
            "List item not an object",
            "apiVersion: v1\nkind: List\nitems: [5]\n",
            "items[0]",
        ),
        case("bad merge key", "<<: 5\nkind: Pod\n", "merge key"),
    ]
}

#[test]
fn duplicates_and_unknown_fields_are_refused() {
    check(structure_cases(), LoadOptions::default());
}

/// The alias bomb ("billion laughs"): ten levels of ten aliases each.
fn billion_laughs() -> String {
    let mut text = String::from("a0: &a0 [lol]\n");
    for i in 1..10 {
        let refs: Vec<String> = (0..10).map(|_| format!("*a{}", i - 1)).collect();
        text += &format!("a{i}: &a{i} [{}]\n", refs.join(", "));
    }
    text
}

fn bomb_cases() -> Vec<Case> {
    let deep_seq = format!("a: {}{}\n", "[".repeat(1000), "]".repeat(1000));
    let deep_map = format!("a: {}{}\n", "{b: ".repeat(1000), "}".repeat(1000));
    let mut deep_block = String::new();
    for i in 0..1000 {
        deep_block += &format!("{}k:\n", " ".repeat(i));
    }
    let deep_unclosed = "[".repeat(100_000);
    // Aliases nesting each other: shallow as written, deep as expanded.
    let mut alias_deep = String::from("a0: &a0 [[[[[[[[[[x]]]]]]]]]]\n");
    for i in 1..40 {
        alias_deep += &format!("a{i}: &a{i} [[[[[[[[[[*a{}]]]]]]]]]]\n", i - 1);
    }
    let objects: String = (0..100_000)
        .map(|i| format!("---\n{{apiVersion: v1, kind: ConfigMap, metadata: {{name: c{i}}}}}\n"))
        .collect();
    let items: String = (0..20_000)
        .map(|i| format!("- {{apiVersion: v1, kind: ConfigMap, metadata: {{name: c{i}}}}}\n"))
        .collect();
    let big = format!("{POD}# {}\n", "x".repeat(10 * 1024 * 1024));
    vec![
        case("billion laughs", billion_laughs(), "alias bomb"),
        case(
            "1000-deep flow sequences",
            deep_seq,
            "nest deeper than the parser allows",
        ),
        case(
            "1000-deep flow mappings",
            deep_map,
            "collections nest deeper than 200 levels",
        )
        .at(1, 800),
        case(
            "1000-deep block mappings",
            deep_block,
            "collections nest deeper than 200 levels",
        )
        .at(201, 202),
        case(
            "50000 compact block sequences",
            format!("{}x\n", "- ".repeat(50_000)),
            "collections nest deeper than 200 levels",
        )
        .at(1, 401),
        case(
            "100000 unclosed brackets",
            deep_unclosed,
            "nest deeper than the parser allows",
        ),
        case(
            "aliases nest deep",
            alias_deep,
            "aliases nest collections deeper",
        ),
        case(
            "100000 objects",
            objects,
            "more than 10000 documents in one file",
        ),
        case(
            "20000 List items",
            format!("apiVersion: v1\nkind: List\nitems:\n{items}"),
            "more than 10000 objects",
        ),
        case("10 MB file", big, "more than the cap of 8388608 bytes"),
        case(
            "100000 JSON values",
            (0..100_000).map(|_| "{}\n").collect::<String>(),
            "more than 10000 documents",
        )
        .json(),
    ]
}

#[test]
fn bombs_deep_nesting_and_huge_files_are_refused_quickly() {
    let worst = check(bomb_cases(), LoadOptions::default());
    eprintln!("worst hostile case took {worst:?}");
}

#[test]
fn caps_are_lifted_by_their_options() {
    let objects: String = (0..20)
        .map(|i| format!("---\n{{apiVersion: v1, kind: ConfigMap, metadata: {{name: c{i}}}}}\n"))
        .collect();
    let few = LoadOptions {
        max_objects: 10,
        ..LoadOptions::default()
    };
    check(
        vec![case("11th object", objects.clone(), "--max-objects").at(21, 1)],
        few,
    );
    let small = LoadOptions {
        max_file_size: 64,
        ..LoadOptions::default()
    };
    check(
        vec![case("65-byte file", "#".repeat(65), "--max-file-size").at(0, 0)],
        small,
    );
    let roomy = LoadOptions {
        max_objects: 20,
        max_file_size: 1 << 20,
        ..LoadOptions::default()
    };
    let loaded = load_text(Path::new("m.yaml"), &objects, roomy);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    assert_eq!(loaded.manifests.config_maps.len(), 20);
}

#[test]
fn objects_past_the_cap_over_several_files_are_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for f in 0..3 {
        let text: String = (0..4)
            .map(|i| {
                format!("---\n{{apiVersion: v1, kind: ConfigMap, metadata: {{name: c{f}-{i}}}}}\n")
            })
            .collect();
        fs::write(dir.path().join(format!("{f}.yaml")), text).expect("write");
    }
    let options = LoadOptions {
        max_objects: 10,
        ..LoadOptions::default()
    };
    let loaded = load(&[dir.path().to_path_buf()], options);
    let errors: Vec<String> = loaded.errors().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("2.yaml:6:1: more than 10 objects"),
        "{errors:#?}"
    );
}

fn errors_of(paths: &[PathBuf]) -> Vec<String> {
    let started = Instant::now();
    let loaded = load(paths, LoadOptions::default());
    assert!(
        started.elapsed() < CASE_BUDGET,
        "took {:?}",
        started.elapsed()
    );
    loaded.errors().map(ToString::to_string).collect()
}

#[test]
fn a_symlink_loop_ends_with_an_error() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    std::os::unix::fs::symlink(d.join("b.yaml"), d.join("a.yaml")).expect("symlink");
    std::os::unix::fs::symlink(d.join("a.yaml"), d.join("b.yaml")).expect("symlink");
    // A directory that links to its own parent: walked once.
    std::os::unix::fs::symlink(d, d.join("again")).expect("symlink");
    let errors = errors_of(&[d.to_path_buf()]);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(errors[0].contains("a.yaml:0:0: cannot read"), "{errors:#?}");
    assert!(
        errors.iter().all(|e| e.contains("symbolic links")),
        "{errors:#?}"
    );
}

#[test]
fn a_symlink_out_of_the_tree_is_not_followed() {
    let outside = tempfile::tempdir().expect("a temporary directory");
    fs::write(outside.path().join("secret.yaml"), POD).expect("write");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let d = dir.path();
    std::os::unix::fs::symlink(outside.path().join("secret.yaml"), d.join("web.yaml"))
        .expect("symlink");
    std::os::unix::fs::symlink(outside.path(), d.join("elsewhere")).expect("symlink");
    let errors = errors_of(&[d.to_path_buf()]);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0].contains("elsewhere:0:0: symbolic link to"),
        "{errors:#?}"
    );
    assert!(
        errors[1].contains("web.yaml:0:0: symbolic link to"),
        "{errors:#?}"
    );
    assert!(errors
        .iter()
        .all(|e| e.contains("points outside the manifest tree; not followed")));
    // Inside the tree a link is followed, and naming the target works.
    let dir2 = tempfile::tempdir().expect("a temporary directory");
    fs::write(dir2.path().join("real.yaml"), POD.replace("web", "api")).expect("write");
    std::os::unix::fs::symlink(dir2.path().join("real.yaml"), dir2.path().join("link.yml"))
        .expect("symlink");
    let loaded = load(&[dir2.path().to_path_buf()], LoadOptions::default());
    assert_eq!(loaded.files, 2);
    assert!(loaded.errors().any(|e| e.message.contains("duplicate Pod")));
    let named = load(
        &[outside.path().join("secret.yaml")],
        LoadOptions::default(),
    );
    assert!(!named.has_errors(), "{:?}", named.diagnostics);
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success());
}

#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    mkfifo(&dir.path().join("pipe.yaml"));
    let errors = errors_of(&[dir.path().to_path_buf()]);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("pipe.yaml:0:0: not a regular file (a FIFO); refused"),
        "{errors:#?}"
    );
    // Named on the command line, too.
    let errors = errors_of(&[dir.path().join("pipe.yaml")]);
    assert!(
        errors[0].contains("not a regular file (a FIFO)"),
        "{errors:#?}"
    );
}

#[test]
fn a_file_swapped_for_a_fifo_after_the_walk_is_refused_without_blocking() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("web.yaml");
    mkfifo(&path);
    let started = Instant::now();
    let (objects, diagnostics) = read_file(&path, &LoadOptions::default());
    assert!(started.elapsed() < CASE_BUDGET);
    assert!(objects.is_empty());
    assert!(
        diagnostics[0]
            .message
            .contains("not a regular file (a FIFO)"),
        "{diagnostics:?}"
    );
}

#[test]
fn a_file_that_vanishes_between_listing_and_reading_is_an_error_of_that_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("web.yaml");
    fs::write(&path, POD).expect("write");
    assert_eq!(
        manifest_files(&[dir.path().to_path_buf()]),
        vec![path.clone()]
    );
    fs::remove_file(&path).expect("remove");
    let (objects, diagnostics) = read_file(&path, &LoadOptions::default());
    assert!(objects.is_empty());
    assert_eq!(diagnostics.len(), 1);
    let shown = diagnostics[0].to_string();
    assert!(
        shown.contains("web.yaml:0:0: cannot read: No such file"),
        "{shown}"
    );
}

#[test]
fn a_file_that_grows_past_the_cap_while_read_is_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("web.yaml");
    fs::write(&path, POD).expect("write");
    // Listed small, then grown before the read.
    let options = LoadOptions {
        max_file_size: 200,
        ..LoadOptions::default()
    };
    fs::write(&path, format!("{POD}#{}\n", "x".repeat(300))).expect("grow");
    let (_, diagnostics) = read_file(&path, &options);
    assert!(
        diagnostics[0].message.contains("--max-file-size"),
        "{diagnostics:?}"
    );
}

/// The whole corpus, counted: the issue asks for at least 150 cases.
#[test]
fn the_hostile_corpus_has_at_least_150_cases() {
    let count = wrong_type_cases().len()
        + syntax_cases().len()
        + encoding_cases().len()
        + name_and_label_cases().len()
        + selector_cases().len()
        + number_cases().len()
        + structure_cases().len()
        + bomb_cases().len();
    eprintln!("{count} hostile cases");
    assert!(count >= 150, "{count} cases");
}
