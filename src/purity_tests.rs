//! The arrows of DESIGN.md §1 as a test: the pure modules (`manifest`,
//! `labels`, `desired`, `plan`) never name the engine, bollard or tokio, and
//! `desired` does not reach into `podmap` (which depends on it).

use std::fs;
use std::path::{Path, PathBuf};

/// What no pure module may mention.
const IMPURE: [&str; 3] = ["crate::engine", "bollard", "tokio"];

/// What `desired` may not mention on top: `podmap` imports `desired`.
const NOT_IN_DESIRED: [&str; 1] = ["podmap"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top file of a module and everything under its directory.
fn module(name: &str) -> Vec<PathBuf> {
    let mut files = vec![src().join(format!("{name}.rs"))];
    rust_files(&src().join(name), &mut files);
    files.retain(|f| f.exists());
    files.sort();
    files
}

/// `file:line: mentions `word``, for every line that names a forbidden word
/// outside a comment.
fn mentions(files: &[PathBuf], forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for file in files {
        let text = fs::read_to_string(file)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", file.display()));
        let shown = file
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(file);
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for word in forbidden.iter().filter(|w| code.contains(**w)) {
                found.push(format!("{}:{}: mentions `{word}`", shown.display(), n + 1));
            }
        }
    }
    found
}

#[test]
fn pure_modules_never_name_the_engine_bollard_or_tokio() {
    let mut files = Vec::new();
    for name in ["manifest", "labels", "desired", "plan"] {
        files.extend(module(name));
    }
    assert!(
        files.len() > 5,
        "no sources found under {}",
        src().display()
    );
    let found = mentions(&files, &IMPURE);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn desired_does_not_reach_into_podmap() {
    let found = mentions(&module("desired"), &NOT_IN_DESIRED);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn a_mention_is_named_with_its_file_and_line_but_a_comment_is_not() {
    let dir = std::env::temp_dir().join(format!("berth-purity-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let file = dir.join("x.rs");
    fs::write(&file, "//! no tokio here\nuse crate::engine::Engine;\n").unwrap();
    let found = mentions(std::slice::from_ref(&file), &IMPURE);
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].ends_with("x.rs:2: mentions `crate::engine`"),
        "{found:?}"
    );
}
