//! Files and directories: discovery order, hidden entries, missing paths,
//! duplicates across files, parallel reading.

use std::path::PathBuf;

use super::*;

struct Tree(tempfile::TempDir);

impl Tree {
    fn new(files: &[(&str, &str)]) -> Tree {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Tree(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

#[test]
fn a_directory_is_read_recursively_in_sorted_order_skipping_hidden_and_other_files() {
    let named = |name: &str| POD.replace("name: web", &format!("name: {name}"));
    let tree = Tree::new(&[
        ("b.yaml", &named("b")),
        ("a/z.yml", &named("az")),
        ("c.json", &named("c")),
        (".hidden.yaml", &named("hidden")),
        (".git/x.yaml", &named("git")),
        ("d.yaml-bak", &named("bak")),
        ("notes.txt", "not yaml"),
    ]);
    let loaded = load(&[tree.0.path().to_path_buf()], LoadOptions::default());
    assert_clean(&loaded);
    let names: Vec<&str> = loaded
        .manifests
        .pods
        .iter()
        .map(|p| p.meta.name.as_str())
        .collect();
    assert_eq!(names, ["az", "b", "c"]);
    assert_eq!(loaded.files, 3);
}

#[test]
fn an_explicitly_named_file_is_read_whatever_its_name_and_a_missing_path_is_an_error() {
    let tree = Tree::new(&[("pod.txt", POD)]);
    let loaded = load(
        &[tree.path("pod.txt"), tree.path("absent.yaml")],
        LoadOptions::default(),
    );
    assert_eq!(loaded.manifests.pods.len(), 1);
    assert_error(&loaded, "absent.yaml:0:0: cannot read");
}

#[test]
fn duplicates_across_files_name_both_files() {
    let tree = Tree::new(&[("a.yaml", POD), ("b.yaml", POD)]);
    let loaded = load(&[tree.0.path().to_path_buf()], LoadOptions::default());
    let a = tree.path("a.yaml").display().to_string();
    let b = tree.path("b.yaml").display().to_string();
    assert_error(
        &loaded,
        &format!("{b}:1:1: metadata.name: duplicate Pod \"default/web\": also defined at {a}:1:1"),
    );
}

#[test]
fn many_files_load_in_order_on_several_threads() {
    let files: Vec<(String, String)> = (0..64)
        .map(|i| {
            (
                format!("p{i:02}.yaml"),
                POD.replace("name: web", &format!("name: web-{i:02}")),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let tree = Tree::new(&refs);
    let loaded = load(&[tree.0.path().to_path_buf()], LoadOptions::default());
    assert_clean(&loaded);
    let names: Vec<String> = loaded
        .manifests
        .pods
        .iter()
        .map(|p| p.meta.name.clone())
        .collect();
    let want: Vec<String> = (0..64).map(|i| format!("web-{i:02}")).collect();
    assert_eq!(names, want);
}

#[test]
fn an_unreadable_entry_is_reported_in_path_order_and_the_walk_goes_on() {
    let tree = Tree::new(&[
        ("a.yaml", POD),
        ("c.yaml", &POD.replace("name: web", "name: c")),
    ]);
    std::os::unix::fs::symlink(tree.path("gone.yaml"), tree.path("b.yaml")).unwrap();
    std::os::unix::fs::symlink(tree.path("gone.txt"), tree.path("b.txt")).unwrap();
    let loaded = load(&[tree.0.path().to_path_buf()], LoadOptions::default());
    assert_eq!(loaded.manifests.pods.len(), 2);
    let all = errors(&loaded);
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all[0].contains("b.yaml:0:0: cannot read"), "{all:?}");
}
