//! JSON-LD normalization against contexts bundled in the crate (filled by the JSON-LD helper).
