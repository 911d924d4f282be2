//! Fuzz target `interop`: see `itsm_fuzz::interop`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| itsm_fuzz::interop(data));
