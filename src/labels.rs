//! labels (to be written).
