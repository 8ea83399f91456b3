//! The integration tests of `webfinger` as one test binary: each module below is one file of
//! `tests/`. One binary links the crate once instead of once per file (build time and
//! disk). Run one file's tests with `cargo test -p webfinger --test integration <module>::`.

mod client;
mod fixtures;
mod properties;
mod server;
