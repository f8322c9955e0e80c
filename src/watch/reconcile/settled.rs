//! Reading the manifests for a reconcile: the whole set, or nothing when a
//! file changed while it was read (the loop looks again once it settles),
//! so a half-written file is never applied.

use std::path::PathBuf;
use std::time::SystemTime;

use crate::manifest;

use super::Config;

/// (length, modification time) of every manifest file: what a write changes.
type Stamps = Vec<(PathBuf, u64, Option<SystemTime>)>;

fn stamps(paths: &[PathBuf]) -> Stamps {
    manifest::manifest_files(paths)
        .into_iter()
        .map(|p| {
            let meta = std::fs::metadata(&p).ok();
            let len = meta.as_ref().map_or(0, |m| m.len());
            let modified = meta.and_then(|m| m.modified().ok());
            (p, len, modified)
        })
        .collect()
}

/// What one load found.
pub(super) enum Load {
    Valid(manifest::Loaded),
    Invalid(manifest::Loaded),
}

/// Loads the manifests; `None` when a file changed while they were read
/// (look again once they settle).
pub(super) fn load(config: &Config) -> Option<Load> {
    let before = stamps(&config.paths);
    let loaded = manifest::load(&config.paths, config.load.clone());
    if stamps(&config.paths) != before {
        return None;
    }
    Some(if loaded.has_errors() {
        Load::Invalid(loaded)
    } else {
        Load::Valid(loaded)
    })
}
