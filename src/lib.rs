//! skiff: a drop-in replacement for skopeo.
//!
//! The binary (`src/main.rs`) only parses arguments and renders errors; everything else lives
//! in this library so the integration tests and later transports share one engine.

pub mod auth;
pub mod blobcache;
pub mod cli;
pub mod compression;
pub mod config;
#[cfg(any(test, feature = "conformance"))]
#[doc(hidden)]
pub mod conformance;
pub mod contract;
pub mod copy;
mod der;
pub mod digest;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod go;
// The Go helpers' older paths, kept so that code written against them still reads well.
pub use go::{json as gojson, text as gotext};
pub mod image;
pub mod manifest;
pub mod ocicrypt;
pub mod proxy;
pub mod reference;
pub mod referrers;
pub mod report;
pub mod signature;
pub mod stdio;
pub mod sync;
pub mod template;
pub mod transport;
pub mod types;

#[cfg(test)]
mod oracle_fixture;
