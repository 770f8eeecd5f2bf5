//! Go compatibility: where skiff must read or write what Go's standard library (as skopeo
//! uses it) reads or writes, byte for byte.

pub mod tar;
