//! Loading ten thousand small objects from a thousand files: every object
//! arrives, in order, and the time is printed (release: well under a second).
//! Each object ends with an empty `status:` so empty values are located too.

use std::time::Instant;

use berth::manifest::{load, LoadOptions};

fn pod(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n  containers:\n  - name: main\n    image: busybox:1\n    ports:\n    - containerPort: 80\n    resources:\n      limits: {{cpu: 100m, memory: 32Mi}}\nstatus:\n"
    )
}

#[test]
fn ten_thousand_objects_load_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    for file in 0..1000 {
        let docs: Vec<String> = (0..10).map(|i| pod(&format!("p-{file:04}-{i}"))).collect();
        std::fs::write(
            dir.path().join(format!("f{file:04}.yaml")),
            docs.join("---\n"),
        )
        .unwrap();
    }
    let started = Instant::now();
    let loaded = load(&[dir.path().to_path_buf()], LoadOptions::default());
    let elapsed = started.elapsed();
    println!(
        "loaded {} objects from {} files in {elapsed:?}",
        loaded.manifests.object_count(),
        loaded.files
    );
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics.first());
    assert_eq!(loaded.manifests.pods.len(), 10_000);
    assert_eq!(loaded.manifests.pods[10].meta.name, "p-0001-0");
}

#[test]
fn ten_thousand_documents_in_one_file_load() {
    let dir = tempfile::tempdir().unwrap();
    let docs: Vec<String> = (0..10_000).map(|i| pod(&format!("p-{i:05}"))).collect();
    let file = dir.path().join("all.yaml");
    std::fs::write(&file, docs.join("---\n")).unwrap();
    let started = Instant::now();
    let loaded = load(&[file], LoadOptions::default());
    println!(
        "loaded {} objects from one file in {:?}",
        loaded.manifests.object_count(),
        started.elapsed()
    );
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics.first());
    assert_eq!(loaded.manifests.pods[9_999].meta.name, "p-09999");
    assert_eq!(loaded.manifests.pods[9_999].source.line, 9_999 * 16 + 1);
}
