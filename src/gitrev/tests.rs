//! Revisions of real repositories, made in temporary directories with the
//! `git` command (the tests may run git; berth never does).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use super::read;

/// A repository in a temporary directory, with one commit on `main`.
struct Repo {
    _temp: tempfile::TempDir,
    home: PathBuf,
    dir: PathBuf,
}

impl Repo {
    fn new(init: &[&str]) -> Repo {
        let temp = tempfile::tempdir().unwrap();
        let home = temp.path().join("home");
        let dir = temp.path().join("work");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        let repo = Repo {
            _temp: temp,
            home,
            dir,
        };
        let mut args = vec!["init", "-q", "-b", "main"];
        args.extend_from_slice(init);
        repo.git(&args);
        repo
    }

    /// A repository holding `files`, committed.
    fn with(files: &[(&str, &str)]) -> Repo {
        let repo = Repo::new(&[]);
        for (path, text) in files {
            repo.write(path, text);
        }
        repo.commit("first");
        repo
    }

    fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.dir, args)
    }

    fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let output = Command::new("git")
            .args([
                "-c",
                "user.name=Berth Test",
                "-c",
                "user.email=test@berth.invalid",
            ])
            .args(args)
            .current_dir(dir)
            .env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("run git");
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    }

    /// Writes `text` to `path` with an mtime a day back, so that the index
    /// git writes next is not racy about it.
    fn write(&self, path: &str, text: &str) {
        let full = self.dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, text).unwrap();
        set_mtime(&full, SystemTime::now() - Duration::from_secs(86_400));
    }

    fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }
}

fn set_mtime(path: &Path, at: SystemTime) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(at).unwrap();
}

#[test]
fn clean_checkout_gives_commit_branch_and_not_dirty() {
    let repo = Repo::with(&[("web.yaml", "kind: Pod\n"), ("sub/db.json", "{}\n")]);
    let revision = read(&repo.dir).expect("a revision");
    assert_eq!(revision.commit, repo.head());
    assert_eq!(revision.branch.as_deref(), Some("main"));
    assert_eq!(revision.dirty, Some(false));
    assert_eq!(revision.short(), &repo.head()[..12]);
}

#[test]
fn a_subdirectory_reads_the_checkout_above_it() {
    let repo = Repo::with(&[("app/web.yaml", "kind: Pod\n")]);
    let revision = read(&repo.dir.join("app")).unwrap();
    assert_eq!(revision.commit, repo.head());
    assert_eq!(revision.dirty, Some(false));
}

#[test]
fn a_directory_outside_any_checkout_has_no_revision() {
    let temp = tempfile::tempdir().unwrap();
    assert_eq!(read(temp.path()), None);
}

#[test]
fn a_modified_file_of_the_same_size_is_dirty() {
    let repo = Repo::with(&[("web.yaml", "replicas: 1\n")]);
    std::fs::write(repo.dir.join("web.yaml"), "replicas: 2\n").unwrap();
    assert_eq!(read(&repo.dir).unwrap().dirty, Some(true));
}

#[test]
fn a_modified_file_of_another_size_is_dirty() {
    let repo = Repo::with(&[("notes.txt", "a\n")]);
    repo.write("notes.txt", "a longer text\n");
    assert_eq!(read(&repo.dir).unwrap().dirty, Some(true));
}

#[test]
fn a_touched_file_with_the_same_content_is_not_dirty() {
    let repo = Repo::with(&[("web.yaml", "kind: Pod\n")]);
    set_mtime(&repo.dir.join("web.yaml"), SystemTime::now());
    assert_eq!(read(&repo.dir).unwrap().dirty, Some(false));
}

#[test]
fn a_file_made_executable_is_dirty() {
    use std::os::unix::fs::PermissionsExt;
    let repo = Repo::with(&[("run.sh", "echo\n")]);
    let path = repo.dir.join("run.sh");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(read(&repo.dir).unwrap().dirty, Some(true));
}

#[test]
fn a_deleted_file_is_dirty() {
    let repo = Repo::with(&[("web.yaml", "kind: Pod\n"), ("db.yaml", "kind: Pod\n")]);
    std::fs::remove_file(repo.dir.join("db.yaml")).unwrap();
    assert_eq!(read(&repo.dir).unwrap().dirty, Some(true));
}

#[test]
fn an_untracked_manifest_is_dirty_but_other_untracked_files_are_not() {
    let repo = Repo::with(&[("web.yaml", "kind: Pod\n")]);
    repo.write("README.txt", "hello\n");
    repo.write(".hidden/extra.yaml", "kind: Pod\n");
    repo.write(".extra.yaml", "kind: Pod\n");
    assert_eq!(read(&repo.dir).unwrap().dirty, Some(false));
    repo.write("more/extra.yml", "kind: Pod\n");
    assert_eq!(read(&repo.dir).unwrap().dirty, Some(true));
}

#[test]
fn a_detached_head_has_no_branch() {
    let repo = Repo::with(&[("web.yaml", "kind: Pod\n")]);
    let first = repo.head();
    repo.write("web.yaml", "kind: Pod # two\n");
    repo.commit("second");
    repo.git(&["checkout", "-q", "--detach", &first]);
    let revision = read(&repo.dir).unwrap();
    assert_eq!(revision.commit, first);
    assert_eq!(revision.branch, None);
    assert_eq!(revision.dirty, Some(false));
}

#[test]
fn packed_refs_resolve() {
    let repo = Repo::with(&[("web.yaml", "kind: Pod\n")]);
    repo.git(&["pack-refs", "--all"]);
    assert!(!repo.dir.join(".git/refs/heads/main").exists());
    let revision = read(&repo.dir).unwrap();
    assert_eq!(revision.commit, repo.head());
    assert_eq!(revision.branch.as_deref(), Some("main"));
}

#[test]
fn an_index_of_version_3_with_skip_worktree_entries_reads() {
    let repo = Repo::with(&[("web.yaml", "kind: Pod\n"), ("db.yaml", "kind: Pod\n")]);
    repo.git(&["update-index", "--skip-worktree", "db.yaml"]);
    let index = std::fs::read(repo.dir.join(".git/index")).unwrap();
    assert_eq!(index[4..8], [0, 0, 0, 3]);
    std::fs::remove_file(repo.dir.join("db.yaml")).unwrap();
    assert_eq!(read(&repo.dir).unwrap().dirty, Some(false));
    std::fs::write(repo.dir.join("web.yaml"), "kind: Pad\n").unwrap();
    assert_eq!(read(&repo.dir).unwrap().dirty, Some(true));
}

#[test]
fn an_index_of_version_4_reads_its_compressed_paths() {
    let repo = Repo::with(&[
        ("apps/web/pod.yaml", "kind: Pod\n"),
        ("apps/web/rc.yaml", "kind: ReplicationController\n"),
        ("apps/worker/pod.yaml", "kind: Pod\n"),
        ("base.json", "{}\n"),
    ]);
    repo.git(&["update-index", "--index-version", "4"]);
    let index = std::fs::read(repo.dir.join(".git/index")).unwrap();
    assert_eq!(index[4..8], [0, 0, 0, 4]);
    assert_eq!(read(&repo.dir).unwrap().dirty, Some(false));
    std::fs::write(repo.dir.join("apps/worker/pod.yaml"), "kind: Pad\n").unwrap();
    assert_eq!(read(&repo.dir).unwrap().dirty, Some(true));
}

#[test]
fn a_linked_worktree_whose_git_is_a_file_reads() {
    let repo = Repo::with(&[("web.yaml", "kind: Pod\n")]);
    let linked = repo.dir.parent().unwrap().join("linked");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "deploy",
        linked.to_str().unwrap(),
    ]);
    assert!(linked.join(".git").is_file());
    let revision = read(&linked).unwrap();
    assert_eq!(revision.commit, repo.head());
    assert_eq!(revision.branch.as_deref(), Some("deploy"));
    assert_eq!(revision.dirty, Some(false));
    std::fs::remove_file(linked.join("web.yaml")).unwrap();
    assert_eq!(read(&linked).unwrap().dirty, Some(true));
}

#[test]
fn a_sha256_repository_reads() {
    let repo = Repo::new(&["--object-format=sha256"]);
    repo.write("web.yaml", "kind: Pod\n");
    let head = repo.commit("first");
    assert_eq!(head.len(), 64);
    std::fs::write(repo.dir.join("web.yaml"), "kind: Pad\n").unwrap();
    let revision = read(&repo.dir).unwrap();
    assert_eq!(revision.commit, head);
    assert_eq!(revision.dirty, Some(true));
    std::fs::write(repo.dir.join("web.yaml"), "kind: Pod\n").unwrap();
    assert_eq!(read(&repo.dir).unwrap().dirty, Some(false));
}

/// A guard against pathological slowness (a file read per entry, a
/// process), not a benchmark: unit tests share two cores with the rest of
/// the suite, so the bound is loose.
#[test]
fn a_thousand_unchanged_files_read_without_pathological_cost() {
    let repo = Repo::new(&[]);
    for i in 0..1000 {
        repo.write(&format!("d{}/pod-{i}.yaml", i % 20), "kind: Pod\n");
    }
    repo.commit("many");
    assert_eq!(read(&repo.dir).unwrap().dirty, Some(false));
    let started = Instant::now();
    let revision = read(&repo.dir).unwrap();
    let took = started.elapsed();
    assert_eq!(revision.dirty, Some(false));
    assert!(took < Duration::from_secs(1), "took {took:?}");
}
