//! Fuzz target `workflow`: see `itsm_fuzz::workflow`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| itsm_fuzz::workflow(data));
