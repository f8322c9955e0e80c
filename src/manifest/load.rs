//! Loading paths into `Manifests` (placeholder signature; filled in by the loader work).

use std::path::PathBuf;

use super::diag::Diagnostic;
use super::model::Manifests;

#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Unsupported-but-known fields and unknown kinds become errors.
    pub strict: bool,
}

/// The result of loading: the objects, and every diagnostic in file order.
/// `manifests` must not be used when `has_errors()`.
#[derive(Debug, Default)]
pub struct Loaded {
    pub manifests: Manifests,
    pub diagnostics: Vec<Diagnostic>,
    /// How many manifest files were read.
    pub files: usize,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Load every manifest under `paths` (files or directories).
pub fn load(paths: &[PathBuf], options: LoadOptions) -> Loaded {
    let _ = (paths, options);
    todo!("loader")
}
