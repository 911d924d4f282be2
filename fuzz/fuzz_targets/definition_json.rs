//! Fuzz target `definition_json`: see `itsm_fuzz::definition_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| itsm_fuzz::definition_json(data));
