//! Following the manifest paths: inotify (through `notify`) on every path,
//! recursively, and on each path's parent so that a directory removed and
//! created again, or a symlink swapped to another checkout, is seen and
//! watched again. Events only say "something changed": the reconcile reads
//! the disk afresh. Reading a file (our own loads) is an access event and is
//! ignored.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;

/// Watches the manifest paths; sends `()` on `tx` for every change.
pub struct FileWatch {
    watcher: RecommendedWatcher,
    roots: Vec<PathBuf>,
    /// Each root's (device, inode) as last watched: a different one means
    /// the root was replaced and must be watched again.
    watched: BTreeMap<PathBuf, (u64, u64)>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot watch {path} for changes: {source}")]
pub struct WatchError {
    path: String,
    #[source]
    source: notify::Error,
}

/// Whether a notify event says the files may differ now.
pub fn is_change(kind: &EventKind) -> bool {
    match kind {
        // Our own reads open and close the files: never a change. A write
        // that ends is.
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

impl FileWatch {
    /// Starts watching `roots`; change notices go to `tx` (never blocking:
    /// when the channel is full a notice is already pending).
    pub fn start(roots: &[PathBuf], tx: mpsc::Sender<()>) -> Result<FileWatch, WatchError> {
        let roots: Vec<PathBuf> = roots
            .iter()
            .map(|r| std::path::absolute(r).unwrap_or_else(|_| r.clone()))
            .collect();
        let inside = roots.clone();
        let handler = move |event: notify::Result<notify::Event>| {
            let relevant = match &event {
                // The parents are watched only for the roots themselves
                // (a checkout swapped by rename), not for their siblings.
                Ok(event) => {
                    is_change(&event.kind)
                        && (event.need_rescan() || event.paths.iter().any(|p| concerns(&inside, p)))
                }
                // A lost event (queue overflow) could be anything.
                Err(_) => true,
            };
            if relevant {
                let _ = tx.try_send(());
            }
        };
        let watcher = notify::recommended_watcher(handler).map_err(|source| WatchError {
            path: roots
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            source,
        })?;
        let mut watch = FileWatch {
            watcher,
            roots: roots.clone(),
            watched: BTreeMap::new(),
        };
        for root in &roots {
            if let Some(parent) = parent_of(root) {
                watch
                    .watcher
                    .watch(&parent, RecursiveMode::NonRecursive)
                    .map_err(|source| WatchError {
                        path: parent.display().to_string(),
                        source,
                    })?;
            }
        }
        watch.ensure_watched();
        Ok(watch)
    }

    /// Watches again every root that was replaced (removed and created
    /// again, renamed over, a symlink pointed elsewhere) or that appeared.
    /// Returns whether anything was (re)watched.
    pub fn ensure_watched(&mut self) -> bool {
        let mut changed = false;
        for root in self.roots.clone() {
            let identity = std::fs::metadata(&root).ok().map(|m| (m.dev(), m.ino()));
            match identity {
                None => {
                    if self.watched.remove(&root).is_some() {
                        let _ = self.watcher.unwatch(&root);
                        changed = true;
                    }
                }
                Some(id) if self.watched.get(&root) != Some(&id) => {
                    let _ = self.watcher.unwatch(&root);
                    if self.watcher.watch(&root, RecursiveMode::Recursive).is_ok() {
                        self.watched.insert(root, id);
                    }
                    changed = true;
                }
                Some(_) => {}
            }
        }
        changed
    }
}

/// Whether a change at `path` can matter: it is a root or inside one, not
/// in a hidden file or directory (an editor's swap file), and not a file
/// the loader skips by its extension (a log written beside the manifests
/// would otherwise wake the loop with every line it logs). A name without
/// an extension counts: it may be a directory. `.git` counts: a commit
/// changes the revision the page shows.
fn concerns(roots: &[PathBuf], path: &Path) -> bool {
    roots.iter().any(|root| match path.strip_prefix(root) {
        Ok(relative) => {
            let mut parts = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy());
            match parts.next() {
                Some(first) if first == ".git" => true,
                Some(first) => {
                    let read =
                        path.extension().is_none() || crate::manifest::is_manifest_name(path);
                    read && !first.starts_with('.') && parts.all(|p| !p.starts_with('.'))
                }
                None => true,
            }
        }
        Err(_) => false,
    })
}

/// The directory holding `path` (`.` for a bare relative name).
fn parent_of(path: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(path).ok()?;
    absolute.parent().map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn notices(rx: &mut mpsc::Receiver<()>) -> usize {
        let mut n = 0;
        while let Ok(Some(())) = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await {
            n += 1;
        }
        n
    }

    #[test]
    fn reads_are_not_changes_but_finished_writes_are() {
        use notify::event::{CreateKind, ModifyKind};
        assert!(!is_change(&EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!is_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(is_change(&EventKind::Access(AccessKind::Close(
            AccessMode::Write
        ))));
        assert!(is_change(&EventKind::Create(CreateKind::File)));
        assert!(is_change(&EventKind::Modify(ModifyKind::Any)));
    }

    #[test]
    fn changes_matter_inside_the_roots_but_not_in_hidden_files_except_git() {
        let roots = vec![PathBuf::from("/srv/m")];
        assert!(concerns(&roots, Path::new("/srv/m")));
        assert!(concerns(&roots, Path::new("/srv/m/web.yaml")));
        assert!(concerns(&roots, Path::new("/srv/m/apps/web.yaml")));
        assert!(concerns(&roots, Path::new("/srv/m/.git/HEAD")));
        assert!(!concerns(&roots, Path::new("/srv/m/.web.yaml.swp")));
        assert!(!concerns(&roots, Path::new("/srv/m/apps/.cache/x")));
        assert!(!concerns(&roots, Path::new("/srv/other.yaml")));
        assert!(!concerns(&roots, Path::new("/srv/m2/web.yaml")));
        assert!(concerns(&roots, Path::new("/srv/m/apps")));
        assert!(concerns(&roots, Path::new("/srv/m/web.json")));
        assert!(!concerns(&roots, Path::new("/srv/m/watch.log")));
        assert!(!concerns(&roots, Path::new("/srv/m/README.md")));
    }

    #[tokio::test]
    async fn reading_the_files_makes_no_notice_and_writing_one_does() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pod.yaml");
        std::fs::write(&file, "a: 1\n").unwrap();
        let (tx, mut rx) = mpsc::channel(16);
        let _watch = FileWatch::start(&[dir.path().to_path_buf()], tx).unwrap();
        std::fs::read_to_string(&file).unwrap();
        assert_eq!(notices(&mut rx).await, 0);
        // The parent is watched for the root itself, not for its siblings.
        let sibling = tempfile::NamedTempFile::new_in(dir.path().parent().unwrap()).unwrap();
        std::fs::write(sibling.path(), "x").unwrap();
        assert_eq!(notices(&mut rx).await, 0);
        std::fs::write(&file, "a: 2\n").unwrap();
        assert!(notices(&mut rx).await > 0);
    }

    #[tokio::test]
    async fn a_single_file_saved_by_rename_stays_watched() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("web.yaml");
        std::fs::write(&file, "a: 1\n").unwrap();
        let (tx, mut rx) = mpsc::channel(16);
        let mut watch = FileWatch::start(std::slice::from_ref(&file), tx).unwrap();
        // An editor's save: a new file renamed over the old one.
        let staged = dir.path().join(".web.yaml.tmp");
        std::fs::write(&staged, "a: 2\n").unwrap();
        std::fs::rename(&staged, &file).unwrap();
        assert!(notices(&mut rx).await > 0, "the save is seen");
        assert!(watch.ensure_watched(), "the new file is watched");
        std::fs::write(&file, "a: 3\n").unwrap();
        assert!(
            notices(&mut rx).await > 0,
            "a write to the new file is seen"
        );
    }

    #[tokio::test]
    async fn a_directory_removed_and_created_again_is_watched_again() {
        let top = tempfile::tempdir().unwrap();
        let root = top.path().join("manifests");
        std::fs::create_dir(&root).unwrap();
        let (tx, mut rx) = mpsc::channel(16);
        let mut watch = FileWatch::start(std::slice::from_ref(&root), tx).unwrap();
        // A checkout swapped by rename: the old directory goes, a new one
        // takes its name.
        let staged = top.path().join("staged");
        std::fs::create_dir(&staged).unwrap();
        std::fs::rename(&root, top.path().join("old")).unwrap();
        std::fs::rename(&staged, &root).unwrap();
        assert!(notices(&mut rx).await > 0, "the parent sees the swap");
        assert!(watch.ensure_watched(), "the new directory is watched");
        std::fs::write(root.join("pod.yaml"), "a: 1\n").unwrap();
        assert!(
            notices(&mut rx).await > 0,
            "a write in the new directory is seen"
        );
        assert!(!watch.ensure_watched(), "nothing to do when nothing moved");
    }
}
