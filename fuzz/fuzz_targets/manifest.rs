#![no_main]
//! Fuzz target `manifest`: see `harness::manifest`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::manifest(data));
