//! Fuzz target `sla_evaluate`: see `itsm_fuzz::sla_evaluate`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| itsm_fuzz::sla_evaluate(data));
