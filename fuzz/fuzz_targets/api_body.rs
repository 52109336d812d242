#![no_main]
//! Fuzz target `api_body`: see `harness::api_body`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::api_body(data));
