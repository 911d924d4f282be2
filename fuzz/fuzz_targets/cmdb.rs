//! Fuzz target `cmdb`: see `itsm_fuzz::cmdb`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| itsm_fuzz::cmdb(data));
