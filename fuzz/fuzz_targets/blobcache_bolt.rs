#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| skiff::fuzzing::blobcache_bolt(data));
