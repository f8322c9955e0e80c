//! podmap (to be written).
