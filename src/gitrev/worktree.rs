//! Whether a work tree differs from its index: tracked files changed or
//! missing, and manifest files git does not track.

use std::collections::HashSet;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::index::{self, Entry, HashKind};
use super::GitDirs;

/// `Some(true)` when a tracked file differs from the index or is missing,
/// or when a manifest file under `manifests` is untracked; `None` when the
/// index cannot be read.
pub(super) fn is_dirty(dirs: &GitDirs, manifests: &Path) -> Option<bool> {
    let index_path = dirs.git_dir.join("index");
    let bytes = fs::read(&index_path).ok()?;
    let index_mtime = fs::metadata(&index_path).ok()?.modified().ok()?;
    let index_mtime = index_mtime
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    let hash = dirs.hash_kind();
    let entries = index::parse(&bytes, hash)?;
    let tracked_changed = entries
        .iter()
        .any(|entry| entry_changed(&dirs.work_tree, entry, index_mtime, hash));
    if tracked_changed {
        return Some(true);
    }
    let tracked: HashSet<&[u8]> = entries.iter().map(|e| e.path.as_slice()).collect();
    let relative = manifests.strip_prefix(&dirs.work_tree).ok()?;
    Some(has_untracked_manifest(manifests, relative, &tracked))
}

/// Whether the work tree's copy of `entry` differs from what the index
/// recorded. Size and mtime decide when they can; otherwise (a same-size
/// file with another mtime, or one written in the index's own second, which
/// git cannot tell apart) the file is hashed as a blob.
fn entry_changed(work_tree: &Path, entry: &Entry, index_mtime: u64, hash: HashKind) -> bool {
    if entry.stage != 0 {
        return true;
    }
    let kind = entry.mode & index::MODE_TYPE;
    if entry.skip_worktree || kind == index::MODE_GITLINK || kind == index::MODE_DIRECTORY {
        return false;
    }
    let path = work_tree.join(std::ffi::OsStr::from_bytes(&entry.path));
    let Ok(meta) = fs::symlink_metadata(&path) else {
        return true;
    };
    let is_symlink = kind == index::MODE_SYMLINK;
    if meta.file_type().is_symlink() != is_symlink || !(is_symlink || meta.is_file()) {
        return true;
    }
    if !is_symlink && (meta.mode() & 0o100 != 0) != (entry.mode & 0o100 != 0) {
        return true;
    }
    if entry.size != 0 && meta.size() as u32 != entry.size {
        return true;
    }
    let same_stat = meta.size() as u32 == entry.size
        && meta.mtime() as u32 == entry.mtime_seconds
        && (entry.mtime_nanos == 0 || meta.mtime_nsec() as u32 == entry.mtime_nanos);
    let racy = u64::from(entry.mtime_seconds) >= index_mtime;
    if same_stat && !racy {
        return false;
    }
    let content = if is_symlink {
        fs::read_link(&path).map(|target| target.as_os_str().as_bytes().to_vec())
    } else {
        fs::read(&path)
    };
    match content {
        Ok(content) => hash.blob_id(&content) != entry.id,
        Err(_) => true,
    }
}

/// Whether `dir` (at `relative` from the top of the work tree) holds a
/// `*.yaml`, `*.yml` or `*.json` file the index does not track, skipping
/// hidden files and directories (as the manifest loader does) and nested
/// repositories.
fn has_untracked_manifest(dir: &Path, relative: &Path, tracked: &HashSet<&[u8]>) -> bool {
    let Ok(meta) = fs::metadata(dir) else {
        return false;
    };
    if meta.is_file() {
        return is_manifest(dir) && !tracked.contains(relative.as_os_str().as_bytes());
    }
    let Ok(listing) = fs::read_dir(dir) else {
        return false;
    };
    listing.flatten().any(|item| {
        let name = item.file_name();
        if name.as_bytes().starts_with(b".") {
            return false;
        }
        let path = item.path();
        let inner = relative.join(&name);
        match item.file_type() {
            Ok(t) if t.is_dir() => {
                !path.join(".git").exists() && has_untracked_manifest(&path, &inner, tracked)
            }
            Ok(_) => {
                is_manifest(&path)
                    && path.is_file()
                    && !tracked.contains(inner.as_os_str().as_bytes())
            }
            Err(_) => false,
        }
    })
}

fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}
