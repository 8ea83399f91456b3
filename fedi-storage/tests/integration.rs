//! The integration tests of `fedi-storage` as one test binary: each module below is one file of
//! `tests/`. One binary links the crate once instead of once per file (build time and
//! disk). Run one file's tests with `cargo test -p fedi-storage --test integration <module>::`.

// Shared helpers.
mod support;

// The tests, one module per file.
mod conformance;
mod corruption;
mod counting;
mod crash;
mod defaults;
mod journal;
mod journal_crash;
mod media_conformance;
mod media_crash;
mod media_fs_etag;
mod media_properties;
