//! Fuzz target `store_payload`: see `itsm_fuzz::store_payload`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| itsm_fuzz::store_payload(data));
