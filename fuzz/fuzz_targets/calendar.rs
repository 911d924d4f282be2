//! Fuzz target `calendar`: see `itsm_fuzz::calendar`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| itsm_fuzz::calendar(data));
