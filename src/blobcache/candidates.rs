//! c/image's CandidateLocations2: which blobs may stand in for a digest at a destination,
//! and in which order to try them.

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};

use super::facts::Facts;
use super::{BlobLocation, UNCOMPRESSED};
use crate::compression::Algorithm;
use crate::digest::Digest;

/// Candidates with a known location tried at most, and those without one.
const MAX_CANDIDATES: usize = 5;
const MAX_UNKNOWN_LOCATION: usize = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CandidateCompression {
    Uncompressed,
    Compressed(Algorithm),
}

/// A blob to try at the destination instead of sending the one asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub digest: Digest,
    pub compression: CandidateCompression,
    /// Where it was seen (a location of the destination's transport and scope); `None`:
    /// nowhere known, worth a look in the destination's own repository.
    pub location: Option<String>,
}

/// What a copy may accept in place of `digest`.
#[derive(Clone, Debug)]
pub struct CandidateQuery {
    pub digest: Digest,
    /// Another blob with the same uncompressed content will do (the manifest may change).
    pub can_substitute: bool,
    /// Only blobs compressed with this algorithm (`--dest-force-compress-format`).
    pub required: Option<Algorithm>,
    /// One of the manifest types the copy may write can name zstd layers (OCI).
    pub zstd_allowed: bool,
    /// The blob is not a layer (a config): only the very digest will do, whatever the
    /// cache says of its compression (c/image's CandidateLocations without options).
    pub opaque: bool,
}

struct Timed {
    candidate: Candidate,
    last_seen: Option<DateTime<FixedOffset>>,
}

pub(super) fn uncompressed_digest(
    facts: &dyn Facts,
    digest: &Digest,
) -> rusqlite::Result<Option<Digest>> {
    if let Some(u) = facts.uncompressed_of(digest)? {
        return Ok(Some(u));
    }
    // Recorded as some blob's uncompressed form: it is uncompressed itself.
    let is_uncompressed = !facts.compressed_forms(digest)?.is_empty();
    Ok(is_uncompressed.then(|| digest.clone()))
}

/// Run inside a transaction (see `BlobInfoCache::read`).
pub(super) fn find(
    facts: &dyn Facts,
    at: &BlobLocation,
    q: &CandidateQuery,
) -> rusqlite::Result<Vec<Candidate>> {
    let mut found = Vec::new();
    append(facts, at, q, &q.digest, &mut found)?;
    let mut uncompressed = None;
    if q.can_substitute {
        uncompressed = uncompressed_digest(facts, &q.digest)?;
        if let Some(u) = &uncompressed {
            for other in facts.compressed_forms(u)? {
                if other != q.digest && other != *u {
                    append(facts, at, q, &other, &mut found)?;
                }
            }
            if *u != q.digest {
                append(facts, at, q, u, &mut found)?;
            }
        }
    }
    Ok(prioritize(found, &q.digest, uncompressed.as_ref()))
}

/// Adds `digest`'s locations (or one without a location) when its compression suits `q`.
fn append(
    facts: &dyn Facts,
    at: &BlobLocation,
    q: &CandidateQuery,
    digest: &Digest,
    out: &mut Vec<Timed>,
) -> rusqlite::Result<()> {
    // A layer whose compression is not known cannot be described in a manifest.
    let compression = if q.opaque {
        CandidateCompression::Uncompressed
    } else {
        match facts
            .compressor(digest)?
            .as_deref()
            .and_then(|c| usable(c, q))
        {
            Some(c) => c,
            None => return Ok(()),
        }
    };
    let before = out.len();
    for (location, last_seen) in facts.locations(at, digest)? {
        out.push(Timed {
            candidate: Candidate {
                digest: digest.clone(),
                compression,
                location: Some(location),
            },
            last_seen,
        });
    }
    if out.len() == before {
        out.push(Timed {
            candidate: Candidate {
                digest: digest.clone(),
                compression,
                location: None,
            },
            last_seen: None,
        });
    }
    Ok(())
}

/// A recorded compressor, if a blob so compressed may be used under `q`'s conditions
/// (c/image's CandidateCompressionMatchesReuseConditions).
fn usable(compressor: &str, q: &CandidateQuery) -> Option<CandidateCompression> {
    if compressor == UNCOMPRESSED {
        return q
            .required
            .is_none()
            .then_some(CandidateCompression::Uncompressed);
    }
    let algorithm = match compressor {
        "gzip" => Algorithm::Gzip,
        "zstd" => Algorithm::Zstd,
        "zstd:chunked" => Algorithm::ZstdChunked,
        // bzip2 and xz layers fit no manifest type; "unknown" and others say nothing.
        _ => return None,
    };
    if let Some(r) = q.required
        && r.name() != algorithm.name()
        && r.name() != algorithm.mime_name()
    {
        return None;
    }
    if algorithm != Algorithm::Gzip && !q.zstd_allowed {
        return None;
    }
    Some(CandidateCompression::Compressed(algorithm))
}

/// c/image's order: the digest asked for first, the uncompressed one last, the rest by
/// when they were last seen (newest first); then the known locations, at most 5, before at
/// most 2 without one.
fn prioritize(
    mut found: Vec<Timed>,
    primary: &Digest,
    uncompressed: Option<&Digest>,
) -> Vec<Candidate> {
    found.sort_by(|a, b| compare(a, b, primary, uncompressed));
    let (known, unknown): (Vec<_>, Vec<_>) = found
        .into_iter()
        .partition(|t| t.candidate.location.is_some());
    let known_used = known.len().min(MAX_CANDIDATES);
    let unknown_used = unknown
        .len()
        .min(MAX_UNKNOWN_LOCATION)
        .min(MAX_CANDIDATES - known_used);
    known
        .into_iter()
        .take(known_used)
        .chain(unknown.into_iter().take(unknown_used))
        .map(|t| t.candidate)
        .collect()
}

fn compare(a: &Timed, b: &Timed, primary: &Digest, uncompressed: Option<&Digest>) -> Ordering {
    let (da, db) = (&a.candidate.digest, &b.candidate.digest);
    if da != db {
        if da == primary {
            return Ordering::Less;
        }
        if db == primary {
            return Ordering::Greater;
        }
        if uncompressed == Some(da) {
            return Ordering::Greater;
        }
        if uncompressed == Some(db) {
            return Ordering::Less;
        }
    }
    b.last_seen
        .cmp(&a.last_seen)
        .then_with(|| da.to_string().cmp(&db.to_string()))
}
