//! One `watch` per project and engine: an advisory lock on a file named
//! after both, held for the life of the process (the kernel lets go of it
//! when the process dies, however it dies). The file says who holds it, so
//! a second `watch` can name the running one.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::PathBuf;

use sha2::{Digest, Sha256};

/// The held lock; dropping it lets go.
#[derive(Debug)]
pub struct ProjectLock {
    file: File,
    pub path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "project {project} is already watched on {endpoint} by {holder}; \
         stop that one first, or watch another --project"
    )]
    Held {
        project: String,
        endpoint: String,
        holder: String,
    },
    #[error("cannot use the lock file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// The directory of the lock files: `$XDG_RUNTIME_DIR/berth`, else
/// `<tmp>/berth-<uid>`.
pub(crate) fn lock_dir() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("berth"),
        _ => {
            let uid = std::fs::metadata("/proc/self")
                .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
                .unwrap_or(0);
            std::env::temp_dir().join(format!("berth-{uid}"))
        }
    }
}

/// The lock file of (`project`, `endpoint`).
pub fn lock_path(project: &str, endpoint: &str) -> PathBuf {
    let digest = Sha256::digest(endpoint.as_bytes());
    let tag: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    lock_dir().join(format!("watch-{project}-{tag}.lock"))
}

impl ProjectLock {
    /// Takes the lock of (`project`, `endpoint`) and writes `holder` (who
    /// we are: pid, page address, paths) into it; fails naming the holder
    /// when another process has it.
    pub fn acquire(project: &str, endpoint: &str, holder: &str) -> Result<ProjectLock, LockError> {
        let path = lock_path(project, endpoint);
        let shown = path.display().to_string();
        let io = |source| LockError::Io {
            path: shown.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let holder = text.trim();
                return Err(LockError::Held {
                    project: project.to_string(),
                    endpoint: endpoint.to_string(),
                    holder: if holder.is_empty() {
                        "another berth watch".to_string()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let mut lock = ProjectLock { file, path };
        lock.describe(holder).map_err(io)?;
        Ok(lock)
    }

    /// Rewrites who holds the lock (e.g. once the page's port is known).
    pub fn describe(&mut self, holder: &str) -> std::io::Result<()> {
        self.file.set_len(0)?;
        self.file.rewind()?;
        self.file.write_all(holder.as_bytes())?;
        self.file.write_all(b"\n")?;
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_description() {
        let project = format!("locktest{}", std::process::id());
        let endpoint = "unix:///test.sock";
        let first = ProjectLock::acquire(
            &project,
            endpoint,
            "berth watch (pid 1) on http://127.0.0.1:1",
        )
        .unwrap();
        let second = ProjectLock::acquire(&project, endpoint, "pid 2").unwrap_err();
        let text = second.to_string();
        assert!(text.contains("pid 1"), "{text}");
        assert!(text.contains("http://127.0.0.1:1"), "{text}");
        assert!(text.contains(&project), "{text}");
        // Another engine is another lock.
        let other = ProjectLock::acquire(&project, "tcp://127.0.0.1:2375", "pid 3");
        assert!(other.is_ok());
        drop(first);
        let again = ProjectLock::acquire(&project, endpoint, "pid 4");
        assert!(again.is_ok(), "free once the holder is gone");
        let _ = std::fs::remove_file(lock_path(&project, endpoint));
        let _ = std::fs::remove_file(lock_path(&project, "tcp://127.0.0.1:2375"));
    }
}
