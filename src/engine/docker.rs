//! Docker through bollard (to be written).
pub struct DockerEngine;
