//! Commands (to be written).
