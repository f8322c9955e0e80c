//! Configuration deployed by `git push`: a bare repository whose
//! `post-receive` hook (`examples/git/post-receive`) checks the pushed
//! branch out into the watched directory. After every push the directory
//! holds exactly the pushed commit and reads, for the watch page, as that
//! commit and clean; `berth watch` on it converges to each pushed commit
//! and its page shows the commit.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A bare repository with berth's hook, the directory it deploys into (the
/// one `berth watch` would read) and a developer's clone that pushes.
struct GitPush {
    _temp: tempfile::TempDir,
    home: PathBuf,
    bare: PathBuf,
    watched: PathBuf,
    clone: PathBuf,
}

impl GitPush {
    /// Sets everything up as `examples/git/README.md` says, deploying
    /// `main`.
    fn new() -> GitPush {
        let temp = tempfile::tempdir().expect("a temporary directory");
        let root = temp.path().to_path_buf();
        let setup = GitPush {
            home: root.join("home"),
            bare: root.join("berth.git"),
            watched: root.join("manifests"),
            clone: root.join("dev"),
            _temp: temp,
        };
        std::fs::create_dir_all(&setup.home).unwrap();
        setup.git(&root, &["init", "-q", "--bare", "-b", "main", "berth.git"]);
        setup.git(&root, &["clone", "-q", "berth.git", "manifests"]);
        setup.git(&root, &["clone", "-q", "berth.git", "dev"]);
        let hook = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/git/post-receive");
        let installed = setup.bare.join("hooks/post-receive");
        std::fs::copy(&hook, &installed).expect("install the hook");
        let watched = setup.watched.to_str().unwrap().to_string();
        setup.git(&setup.bare, &["config", "berth.worktree", &watched]);
        setup
    }

    /// Runs git in `dir` as a test user with its own empty `HOME`; panics
    /// unless it succeeds; returns what it printed.
    fn git(&self, dir: &Path, args: &[&str]) -> String {
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
            .env_remove("GIT_DIR")
            .output()
            .expect("run git");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "git {args:?} in {dir:?}: {said}");
        said
    }

    /// In the developer's clone: writes the files given with `Some(text)`,
    /// deletes those given with `None`, commits everything and pushes
    /// `branch`. Returns the commit id and what the push printed (the
    /// hook's output among it).
    fn push(&self, branch: &str, files: &[(&str, Option<&str>)]) -> (String, String) {
        for (path, text) in files {
            let full = self.clone.join(path);
            match text {
                Some(text) => {
                    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
                    std::fs::write(&full, text).unwrap();
                }
                None => std::fs::remove_file(&full).unwrap(),
            }
        }
        self.git(&self.clone, &["checkout", "-q", "-B", branch]);
        self.git(&self.clone, &["add", "-A"]);
        self.git(&self.clone, &["commit", "-q", "-m", "change"]);
        let commit = self
            .git(&self.clone, &["rev-parse", "HEAD"])
            .trim()
            .to_string();
        let said = self.git(&self.clone, &["push", "-q", "origin", branch]);
        (commit, said)
    }

    /// The files of `commit` (path → content), as the clone has them.
    fn files_of(&self, commit: &str) -> BTreeMap<String, Vec<u8>> {
        let listing = self.git(&self.clone, &["ls-tree", "-r", "--name-only", commit]);
        listing
            .lines()
            .map(|path| {
                let output = Command::new("git")
                    .args(["show", &format!("{commit}:{path}")])
                    .current_dir(&self.clone)
                    .output()
                    .unwrap();
                (path.to_string(), output.stdout)
            })
            .collect()
    }
}

/// Every file under `dir` but `.git` (path → content).
fn files_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, found: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if entry.file_name() == ".git" {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, found);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_str().unwrap();
                found.insert(relative.to_string(), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut found = BTreeMap::new();
    walk(dir, dir, &mut found);
    found
}

/// The watched directory holds exactly `commit` and reads as it, clean.
fn assert_deployed(setup: &GitPush, commit: &str) {
    assert_eq!(files_in(&setup.watched), setup.files_of(commit));
    let revision = berth::gitrev::read(&setup.watched).expect("a git revision");
    assert_eq!(revision.commit, commit);
    assert_eq!(revision.branch.as_deref(), Some("main"));
    assert_eq!(revision.dirty, Some(false));
}

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - {name: app, image: busybox}\n";
const RC: &str = "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: api}\nspec:\n  replicas: 2\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers:\n      - {name: app, image: busybox}\n";

#[test]
fn each_push_to_main_leaves_the_watched_directory_at_that_commit_and_clean() {
    let setup = GitPush::new();
    let (first, said) = setup.push(
        "main",
        &[("web.yaml", Some(POD)), ("apps/api.yaml", Some(RC))],
    );
    assert!(said.contains("berth: "), "the hook spoke: {said}");
    assert_deployed(&setup, &first);

    let (second, _) = setup.push(
        "main",
        &[
            ("web.yaml", Some(&POD.replace("busybox", "busybox:2"))),
            ("apps/api.yaml", None),
            (
                "db/db.json",
                Some("{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": []}\n"),
            ),
        ],
    );
    assert_ne!(first, second);
    assert_deployed(&setup, &second);
    assert!(
        !setup.watched.join("apps").exists(),
        "emptied directories go"
    );
}

#[test]
fn files_left_in_the_watched_directory_are_replaced_by_the_next_push() {
    let setup = GitPush::new();
    let (first, _) = setup.push("main", &[("web.yaml", Some(POD))]);
    std::fs::write(setup.watched.join("web.yaml"), "edited by hand\n").unwrap();
    std::fs::write(setup.watched.join("stray.yaml"), "kind: Pod\n").unwrap();
    assert_eq!(
        berth::gitrev::read(&setup.watched).unwrap().dirty,
        Some(true)
    );
    let (second, _) = setup.push("main", &[("rc.yaml", Some(RC))]);
    assert_ne!(first, second);
    assert_deployed(&setup, &second);
}

#[test]
fn pushes_to_other_branches_leave_the_watched_directory_alone() {
    let setup = GitPush::new();
    let (first, _) = setup.push("main", &[("web.yaml", Some(POD))]);
    let (other, _) = setup.push("feature", &[("rc.yaml", Some(RC))]);
    assert_ne!(first, other);
    assert_deployed(&setup, &first);
}

/// A pod of one `sleep` container on the test image, its env set to `v`.
fn sleeper(name: &str, v: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  terminationGracePeriodSeconds: 0\n  \
         containers:\n  - name: app\n    image: {image}\n    imagePullPolicy: Never\n    \
         command: [sleep, \"3600\"]\n    env: [{{name: V, value: \"{v}\"}}]\n",
        image = common::TEST_IMAGE
    )
}

#[test]
fn berth_watch_converges_to_each_pushed_commit_and_its_page_shows_it() {
    use common::watch::{http_get, Watcher};
    use common::{container_name, try_docker, wait_until, Project};
    use std::time::Duration;

    let project = Project::new("git-push");
    let setup = GitPush::new();
    let (first, _) = setup.push("main", &[("web.yaml", Some(&sleeper("web", "one")))]);
    let watch = Watcher::start(&project, &setup.watched, &[]);
    let web = container_name(&project, "web", "app");
    let api = container_name(&project, "api", "app");
    let env_of = |name: &str| {
        try_docker(&[
            "inspect",
            "--format",
            "{{.State.Running}} {{json .Config.Env}}",
            name,
        ])
        .unwrap_or_default()
    };
    let page_shows = |commit: &str| {
        http_get(&format!("{}/", watch.base_url()))
            .1
            .contains(&commit[..12])
    };
    assert!(
        wait_until(Duration::from_secs(60), || env_of(&web).starts_with("true")
            && env_of(&web).contains("V=one")
            && page_shows(&first)),
        "the first commit did not converge:\n{}",
        watch.log()
    );

    let (second, _) = setup.push(
        "main",
        &[
            ("web.yaml", Some(&sleeper("web", "two"))),
            ("api.yaml", Some(&sleeper("api", "two"))),
        ],
    );
    assert!(
        wait_until(Duration::from_secs(60), || env_of(&web).contains("V=two")
            && env_of(&web).starts_with("true")
            && env_of(&api).starts_with("true")
            && page_shows(&second)),
        "the second commit did not converge:\n{}",
        watch.log()
    );
}
