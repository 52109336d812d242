#![no_main]
//! Fuzz target `kubectl_args`: see `harness::kubectl_args`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::kubectl_args(data));
