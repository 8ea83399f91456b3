//! The integration tests of `loadgen` as one test binary: each module below is one file of
//! `tests/`. One binary links the crate once instead of once per file (build time and
//! disk). Run one file's tests with `cargo test -p loadgen --test integration <module>::`.

mod closed_loop;
mod deliveries;
mod media;
mod seed;
