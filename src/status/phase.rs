//! The pod phase table (to be written).
