//! Manifests: files → typed objects with source locations, validated as a
//! whole. No Docker, no tokio.

pub mod apps;
#[cfg(test)]
mod apps_tests;
pub mod config_model;
pub mod diag;
pub mod model;
pub mod probe_model;
pub mod security_model;
pub mod volume_model;

mod config;
#[cfg(test)]
mod config_tests;
mod container;
mod decode;
mod env_source;
mod envrefs;
#[cfg(test)]
mod hostile_tests;
pub use envrefs::ceil_div;
mod json;
mod kinds;
mod load;
mod meta;
mod nodes;
mod objects;
mod pod;
mod probe;
#[cfg(test)]
mod probe_tests;
mod resources;
#[cfg(test)]
mod review_tests;
mod schema;
mod security;
#[cfg(test)]
mod security_tests;
mod specs;
#[cfg(test)]
mod tests;
mod volume_files;
mod volume_sources;
#[cfg(test)]
mod volume_tests;

pub use apps::{DaemonSet, DaemonSetStrategy, Deployment, IntOrPercent, ReplicaSet, Strategy};
pub use config_model::*;
pub use diag::{Diagnostic, Severity};
pub use load::{
    is_manifest_name, load, load_text, manifest_files, LoadOptions, Loaded, DEFAULT_MAX_FILE_SIZE,
    DEFAULT_MAX_OBJECTS,
};
pub use model::*;
pub use probe_model::*;
pub use security::DOCKER_DEFAULT_CAPABILITIES;
pub use security_model::{Allow, Capabilities, Security};
pub use volume_files::format_map as format_labels_file;
pub use volume_model::*;
