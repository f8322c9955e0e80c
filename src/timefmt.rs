//! timefmt (to be written).
