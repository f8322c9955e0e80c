//! quantity (to be written).
