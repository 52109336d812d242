#![no_main]
//! Fuzz target `shell_line`: see `harness::shell_line`.

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::shell_line(data));
