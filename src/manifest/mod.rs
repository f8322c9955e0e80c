//! Manifests: files → typed objects with source locations, validated as a
//! whole. No Docker, no tokio.

pub mod diag;
pub mod model;

mod load;

pub use diag::{Diagnostic, Severity};
pub use load::{load, LoadOptions, Loaded};
pub use model::*;
