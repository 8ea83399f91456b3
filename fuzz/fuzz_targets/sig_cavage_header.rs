#![no_main]
// Placeholder: the owning helper replaces this with the real target.
libfuzzer_sys::fuzz_target!(|_data: &[u8]| {});
