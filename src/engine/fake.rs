//! In-memory engine (to be written).
pub struct FakeEngine;
