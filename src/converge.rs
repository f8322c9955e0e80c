//! converge (to be written).
