//! Placeholder: the owning helper replaces this with the real benchmark.
fn main() {}
