//! The git revision of a manifest directory, read from the repository's own
//! files (no `git` process): the commit HEAD points at, its branch, and
//! whether the work tree differs from it.

use std::fs;
use std::path::{Path, PathBuf};

/// Where a checkout stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The full commit id HEAD resolves to.
    pub commit: String,
    /// The branch HEAD names; `None` when detached.
    pub branch: Option<String>,
    /// Whether tracked files differ from the index; `None` when unknown.
    pub dirty: Option<bool>,
}

impl Revision {
    /// The first 12 characters of the commit id.
    pub fn short(&self) -> &str {
        &self.commit[..self.commit.len().min(12)]
    }
}

/// The revision of the checkout holding `path` (a file or directory inside a
/// work tree), or `None` when it is not in one or HEAD resolves to nothing.
pub fn read(path: &Path) -> Option<Revision> {
    let git_dir = find_git_dir(path)?;
    let head = fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let head = head.trim();
    let (commit, branch) = match head.strip_prefix("ref: ") {
        Some(name) => (
            resolve_ref(&git_dir, name)?,
            Some(name.strip_prefix("refs/heads/").unwrap_or(name).to_string()),
        ),
        None => (head.to_string(), None),
    };
    is_object_id(&commit).then_some(Revision {
        commit,
        branch,
        dirty: None,
    })
}

/// The `.git` directory of the work tree holding `path`: a `.git` directory,
/// or a `.git` file saying `gitdir: …`, in `path` or any parent.
fn find_git_dir(path: &Path) -> Option<PathBuf> {
    let start = fs::canonicalize(path).ok()?;
    for dir in start.ancestors() {
        let dot_git = dir.join(".git");
        if dot_git.is_dir() {
            return Some(dot_git);
        }
        if let Ok(text) = fs::read_to_string(&dot_git) {
            let target = text.trim().strip_prefix("gitdir:")?.trim().to_string();
            return Some(dir.join(target));
        }
    }
    None
}

/// A ref's commit id, from its loose file or `packed-refs`.
fn resolve_ref(git_dir: &Path, name: &str) -> Option<String> {
    if let Ok(text) = fs::read_to_string(git_dir.join(name)) {
        return Some(text.trim().to_string());
    }
    let packed = fs::read_to_string(git_dir.join("packed-refs")).ok()?;
    packed.lines().find_map(|line| {
        let (id, r) = line.split_once(' ')?;
        (r == name).then(|| id.to_string())
    })
}

fn is_object_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}
