//! desired (to be written).
