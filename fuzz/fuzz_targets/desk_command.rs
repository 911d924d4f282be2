//! Fuzz target `desk_command`: see `itsm_fuzz::desk_command`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| itsm_fuzz::desk_command(data));
