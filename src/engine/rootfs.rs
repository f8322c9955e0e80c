//! Root file systems for images (to be written).
