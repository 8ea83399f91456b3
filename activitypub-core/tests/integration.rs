//! The integration tests of `activitypub-core` as one test binary: each module below is one file of
//! `tests/`. One binary links the crate once instead of once per file (build time and
//! disk). Run one file's tests with `cargo test -p activitypub-core --test integration <module>::`.

// Shared helpers.
mod support;

// The tests, one module per file.
mod emoji_corpus;
mod engine_attacks;
mod engine_delivery;
mod engine_federation;
mod engine_fetch;
mod engine_inbox_retry;
mod engine_journal_crash;
mod engine_journal_inbox;
mod engine_key_fetch;
mod engine_media_inbox;
mod engine_service;
mod engine_ssrf;
mod engine_verify_get;
mod jsonld_fixtures;
mod jsonld_proptest;
mod media_corpus;
mod transport_hyper;
mod transport_roots;
mod vocab_builders;
mod vocab_fixtures;
mod vocab_props;
