//! The integration tests of `http-sig` as one test binary: each module below is one file of
//! `tests/`. One binary links the crate once instead of once per file (build time and
//! disk). Run one file's tests with `cargo test -p http-sig --test integration <module>::`.

// Shared helpers.
mod common;

// The tests, one module per file.
mod cavage_vectors;
mod digest;
mod errors;
mod interop_activitypub_federation_rust;
mod keys;
mod mastodon_profile;
mod proptest_roundtrip;
mod rfc9421_vectors;
