//! Every manifest of the public corpus either loads or is refused with a
//! located error; loaded files give the pod count their replicas imply.

use std::path::{Path, PathBuf};

use berth::manifest::{load, LoadOptions};

/// `BERTH_CORPUS` if set, else `../shared/corpus/k8s-manifests` beside the
/// checkout, else the workplace's shared copy.
fn corpus_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("BERTH_CORPUS").map(PathBuf::from),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/k8s-manifests")),
        Some(PathBuf::from("/work/shared/corpus/k8s-manifests")),
    ];
    candidates.into_iter().flatten().find(|dir| dir.is_dir())
}

fn manifest_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            manifest_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(path);
        }
    }
}

/// The pods a file implies, read independently of the loader: 1 per Pod,
/// `spec.replicas` (default 1) per ReplicationController, inside Lists too.
fn implied_pods(value: &serde_yaml::Value) -> u64 {
    let kind = value
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or_default();
    match kind {
        "Pod" => 1,
        "ReplicationController" => value
            .get("spec")
            .and_then(|s| s.get("replicas"))
            .and_then(|r| r.as_u64())
            .unwrap_or(1),
        "List" => value
            .get("items")
            .and_then(|i| i.as_sequence())
            .map_or(0, |items| items.iter().map(implied_pods).sum()),
        _ => 0,
    }
}

fn implied_pods_in_file(path: &Path) -> u64 {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| {
            serde::Deserialize::deserialize(doc).map_or(0, |v: serde_yaml::Value| implied_pods(&v))
        })
        .sum()
}

#[test]
fn every_corpus_file_loads_or_is_refused_with_a_located_error() {
    let Some(dir) = corpus_dir() else {
        eprintln!("corpus not found (set BERTH_CORPUS); skipped");
        return;
    };
    let mut files = Vec::new();
    manifest_files(&dir, &mut files);
    let (mut loaded, mut refused) = (0, 0);
    for file in &files {
        let result = load(std::slice::from_ref(file), LoadOptions::default());
        let short = file.strip_prefix(&dir).unwrap().display().to_string();
        for d in &result.diagnostics {
            eprintln!("  {d}");
        }
        if result.has_errors() {
            refused += 1;
            for error in result.errors() {
                assert!(error.source.line > 0, "{short}: unlocated error {error}");
                assert!(
                    !error.path.is_empty(),
                    "{short}: the error names no field or format: {error}"
                );
            }
            eprintln!("refused {short}");
        } else {
            loaded += 1;
            let m = &result.manifests;
            let pods = m.pods.len() as u64
                + m.controllers
                    .iter()
                    .map(|c| u64::from(c.replicas))
                    .sum::<u64>();
            assert_eq!(pods, implied_pods_in_file(file), "{short}: pod count");
            eprintln!("loaded  {short}: {pods} pods, {} objects", m.object_count());
        }
    }
    println!(
        "corpus: {} files, {loaded} loaded, {refused} refused",
        files.len()
    );
    assert_eq!(loaded + refused, files.len());
}

#[test]
fn the_example_manifests_load_without_errors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    if !dir.is_dir() {
        eprintln!("no examples directory; skipped");
        return;
    }
    let loaded = load(&[dir], LoadOptions::default());
    let rendered: Vec<String> = loaded.diagnostics.iter().map(ToString::to_string).collect();
    assert!(!loaded.has_errors(), "{}", rendered.join("\n"));
    assert!(!loaded.manifests.is_empty());
    println!(
        "examples: {} objects, {} warnings",
        loaded.manifests.object_count(),
        rendered.len()
    );
}
