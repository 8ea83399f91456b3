//! Shared helpers for the Woolly benchmarks; the benchmarks themselves are the `[[bench]]`
//! targets beside this file. Run them with `cargo bench -p woolly-benches`.
