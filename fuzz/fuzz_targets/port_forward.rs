#![no_main]
//! Fuzz target `port_forward`: see `harness::port_forward`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::port_forward(data));
