//! Root file systems for images (stand-in on the converge branch; the real
//! one comes from main and replaces this file on merge).

/// The Dockerfile-style changes that make the infra image runnable.
pub const PAUSE_CHANGES: &[&str] = &["ENTRYPOINT [\"/pause\"]"];

/// The infra image's root file system as a tar.
pub fn pause_rootfs_tar() -> Result<Vec<u8>, String> {
    Err("the infra image root file system is not built on this branch".to_string())
}
