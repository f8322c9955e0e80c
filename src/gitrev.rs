//! The git revision of a manifest directory, read from the repository's own
//! files (no `git` process): the commit HEAD points at, its branch, and
//! whether the work tree differs from it.

mod index;
#[cfg(test)]
mod tests;
mod worktree;

use std::fs;
use std::path::{Path, PathBuf};

/// Where a checkout stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The full commit id HEAD resolves to.
    pub commit: String,
    /// The branch HEAD names; `None` when detached.
    pub branch: Option<String>,
    /// Whether the work tree differs from the index; `None` when unknown
    /// (no index, or an index berth cannot read: a split index, an unknown
    /// version).
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
///
/// `dirty` is `Some(true)` when a tracked file differs from the index (its
/// content, its type or its executable bit; a file only touched is not a
/// change), when a tracked file is missing, when the index holds a merge
/// conflict, or when a manifest file (`*.yaml`, `*.yml`, `*.json`, outside
/// hidden files and directories) under `path` is not tracked: such a file
/// changes what berth applies.
///
/// What is not looked at: `.gitignore` rules (an ignored, untracked
/// manifest still counts as dirty — berth would load it), changes staged in
/// the index but not committed (that needs the object database), and
/// content filters (`core.autocrlf`, clean filters): a file they would
/// normalise counts as changed.
pub fn read(path: &Path) -> Option<Revision> {
    let dirs = GitDirs::find(path)?;
    let head = fs::read_to_string(dirs.git_dir.join("HEAD")).ok()?;
    let head = head.trim();
    let (commit, branch) = match head.strip_prefix("ref: ") {
        Some(name) => (
            dirs.resolve_ref(name.trim())?,
            Some(
                name.trim()
                    .strip_prefix("refs/heads/")
                    .unwrap_or(name)
                    .to_string(),
            ),
        ),
        None => (head.to_string(), None),
    };
    if !is_object_id(&commit) {
        return None;
    }
    let dirty = worktree::is_dirty(&dirs, &fs::canonicalize(path).ok()?);
    Some(Revision {
        commit,
        branch,
        dirty,
    })
}

/// Where a work tree's repository lives.
#[derive(Debug)]
struct GitDirs {
    /// The top of the work tree (holding `.git`).
    work_tree: PathBuf,
    /// `HEAD` and `index`: `.git`, or `.git/worktrees/<name>` for a linked
    /// work tree.
    git_dir: PathBuf,
    /// Refs, `packed-refs` and `config`: `git_dir`, or the main repository's
    /// for a linked work tree (its `commondir` file says where).
    common_dir: PathBuf,
}

impl GitDirs {
    /// The repository of the work tree holding `path`: a `.git` directory,
    /// or a `.git` file saying `gitdir: …`, in `path` or any parent.
    fn find(path: &Path) -> Option<GitDirs> {
        let start = fs::canonicalize(path).ok()?;
        let (work_tree, git_dir) = start.ancestors().find_map(|dir| {
            let dot_git = dir.join(".git");
            if dot_git.is_dir() {
                return Some((dir.to_path_buf(), dot_git));
            }
            let text = fs::read_to_string(&dot_git).ok()?;
            let target = text.trim().strip_prefix("gitdir:")?.trim();
            Some((dir.to_path_buf(), dir.join(target)))
        })?;
        let common_dir = match fs::read_to_string(git_dir.join("commondir")) {
            Ok(text) => git_dir.join(text.trim()),
            Err(_) => git_dir.clone(),
        };
        Some(GitDirs {
            work_tree,
            git_dir,
            common_dir,
        })
    }

    /// A ref's commit id, from its loose file (which may itself name
    /// another ref) or `packed-refs`.
    fn resolve_ref(&self, name: &str) -> Option<String> {
        let mut name = name.to_string();
        for _ in 0..5 {
            let loose = [&self.git_dir, &self.common_dir]
                .iter()
                .find_map(|dir| fs::read_to_string(dir.join(&name)).ok());
            let Some(text) = loose else {
                return self.packed_ref(&name);
            };
            match text.trim().strip_prefix("ref: ") {
                Some(next) => name = next.trim().to_string(),
                None => return Some(text.trim().to_string()),
            }
        }
        None
    }

    fn packed_ref(&self, name: &str) -> Option<String> {
        let packed = fs::read_to_string(self.common_dir.join("packed-refs")).ok()?;
        packed
            .lines()
            .filter(|line| !line.starts_with('#') && !line.starts_with('^'))
            .find_map(|line| {
                let (id, r) = line.split_once(' ')?;
                (r.trim() == name).then(|| id.to_string())
            })
    }

    /// The repository's object hash: SHA-256 when its config says
    /// `objectformat = sha256`, SHA-1 otherwise.
    fn hash_kind(&self) -> index::HashKind {
        let config = fs::read_to_string(self.common_dir.join("config")).unwrap_or_default();
        let sha256 = config.lines().any(|line| {
            let line = line.trim().to_ascii_lowercase();
            line.starts_with("objectformat") && line.ends_with("sha256")
        });
        if sha256 {
            index::HashKind::Sha256
        } else {
            index::HashKind::Sha1
        }
    }
}

fn is_object_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}
