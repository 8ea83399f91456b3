//! Runnable examples of the Woolly crates live beside this file; run one with
//! `cargo run -p woolly-examples --example NAME`.
