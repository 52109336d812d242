#![no_main]
//! Fuzz target `patch`: see `harness::patch`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::patch(data));
