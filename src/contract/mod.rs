//! What the copy engine and the transports agree on, kept below both so that neither imports
//! the other: how blob bytes are verified (and how a mismatch is told apart from other
//! failures), how a failure is marked worth retrying, and how a destination says it refuses
//! a manifest type. The traits themselves live in `transport`; the engine in `copy`.

pub mod retry;
pub mod verify;

/// What the destination's manifest write reported as "this type is not accepted here": the
/// engine then tries the next manifest type. Transports return it in an error's chain.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ManifestTypeRejected(pub String);
