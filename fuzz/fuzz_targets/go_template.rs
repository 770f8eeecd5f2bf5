#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| skiff::fuzzing::go_template(data));
