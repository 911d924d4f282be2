//! Fuzz target `record_json`: see `itsm_fuzz::record_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| itsm_fuzz::record_json(data));
