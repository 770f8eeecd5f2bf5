//! Go compatibility: where skiff must read or write what Go's standard library (as skopeo
//! uses it) reads or writes, byte for byte — one home for all of it.
//!
//! - [`text`]: `%q` quoting, number formatting, OS error texts, `*os.PathError`;
//! - [`json`]: `encoding/json`'s encoder and decoder behaviour;
//! - [`logrus`]: the lines skopeo's logger prints;
//! - [`pem`]: `encoding/pem`'s encoder;
//! - [`tar`]: `archive/tar`'s header reading, raw bytes kept;
//! - [`tarsplit`]: vbatts/tar-split's JSON records (c/storage layers, zstd:chunked).

pub mod json;
pub mod logrus;
pub mod pem;
pub mod tar;
pub mod tarsplit;
pub mod text;
