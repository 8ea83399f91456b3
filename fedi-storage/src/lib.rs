//! Storage traits for a fediverse server, with `memory` and `sled` backends and one
//! conformance suite every backend passes.
//!
//! Filled by the storage issue.
