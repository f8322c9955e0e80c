//! Pod status: phase, container states, events.

pub mod phase;
