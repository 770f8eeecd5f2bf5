//! Image names: `transport:details` parsing and the docker reference grammar.
//!
//! Errors carry skopeo's messages verbatim (the text after skopeo's `Invalid source name X: `
//! / `Error parsing image name "X": ` prefixes).

pub mod docker;
pub mod goutil;
pub mod grammar;
pub mod path;

#[cfg(test)]
mod tests;

pub use docker::{DockerReference, is_valid_digest_string, validate_digest, validate_tag};
pub use path::resolve_path_fully_explicit;

use std::fmt;

/// An error from parsing an image name; `Display` is skopeo's message, verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReferenceError(String);

impl ReferenceError {
    /// Wraps a message.
    pub fn new(msg: impl Into<String>) -> Self {
        ReferenceError(msg.into())
    }

    /// The message.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReferenceError {}
