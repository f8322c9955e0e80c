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
        let handler = move |event: notify::Result<notify::Event>| {
            let relevant = match &event {
                Ok(event) => is_change(&event.kind),
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
            roots: roots.to_vec(),
            watched: BTreeMap::new(),
        };
        for root in roots {
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

    #[tokio::test]
    async fn reading_the_files_makes_no_notice_and_writing_one_does() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pod.yaml");
        std::fs::write(&file, "a: 1\n").unwrap();
        let (tx, mut rx) = mpsc::channel(16);
        let _watch = FileWatch::start(&[dir.path().to_path_buf()], tx).unwrap();
        std::fs::read_to_string(&file).unwrap();
        assert_eq!(notices(&mut rx).await, 0);
        std::fs::write(&file, "a: 2\n").unwrap();
        assert!(notices(&mut rx).await > 0);
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
