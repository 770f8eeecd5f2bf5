//! skiff: a drop-in replacement for skopeo.
//!
//! The binary (`src/main.rs`) only parses arguments and renders errors; everything else lives
//! in this library so the integration tests and later transports share one engine.

pub mod config;
pub mod gojson;
pub mod reference;
pub mod template;
