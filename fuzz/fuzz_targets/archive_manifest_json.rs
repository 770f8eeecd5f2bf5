#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| skiff::fuzzing::archive_manifest_json(data));
