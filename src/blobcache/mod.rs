//! The blob-info cache c/image keeps between copies, in its file and format: what each blob
//! digest is uncompressed, how it is compressed, and where (registry, repository) it was seen.
//! A push of an uncompressed layer (from containers-storage, a daemon, an archive) then finds
//! the compressed blob the registry already has and mounts it instead of compressing and
//! uploading again.
//!
//! The file is `blob-info-cache-v1.sqlite`, shared with skopeo, podman and buildah (c/image
//! 5.27 and later): same tables, columns, compressor names and timestamp text. A cache is a
//! hint, never a reason for a copy to fail: an unreadable file is reported once and started
//! afresh, and any later error just means "nothing known". Everything it says is confirmed at
//! the registry (HEAD, mount) before it is used.
//!
//! What the SQLite file does not know is looked up, read-only, in the BoltDB file
//! (`blob-info-cache-v1.boltdb`) older skopeo (1.9.3 among them: c/image before 5.27) wrote in the same
//! directory; see `facts`.

mod bolt;
mod candidates;
mod facts;
mod location;
mod schema;

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

pub use candidates::{Candidate, CandidateCompression, CandidateQuery};
pub use facts::BOLT_FILE_NAME;
pub use location::cache_dir;

use crate::compression::Algorithm;
use crate::digest::Digest;
use facts::{Facts, Layered};

/// The file name c/image uses for its SQLite cache (a new name on any incompatible change).
pub const FILE_NAME: &str = "blob-info-cache-v1.sqlite";

/// c/image's compressor name for a blob known to be uncompressed.
pub const UNCOMPRESSED: &str = "uncompressed";

/// Where a transport records blobs (c/image's transport name, scope and location reference):
/// for registries the transport is `docker`, the scope the registry host and the location the
/// repository's full name (`host/ns/repo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobLocation {
    pub transport: &'static str,
    pub scope: String,
    pub location: String,
}

/// One fact a copy learned, verified by the copy itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fact {
    /// `any` (compressed or not) decompresses to `uncompressed`.
    UncompressedPair { any: Digest, uncompressed: Digest },
    /// How `digest` is compressed: an algorithm, or uncompressed (`None`).
    Compressor {
        digest: Digest,
        algorithm: Option<Algorithm>,
    },
    /// `digest` exists at `at`.
    Location { at: BlobLocation, digest: Digest },
}

/// An open cache, for the length of one copy (as c/image opens it per copy). Facts are kept
/// in memory and written in one transaction when needed, so a copy costs one or two commits
/// rather than one per fact.
pub struct BlobInfoCache {
    /// `None` only if not even a memory database could be had: the cache then knows nothing.
    conn: Mutex<Option<Connection>>,
    pending: Mutex<Vec<Fact>>,
    /// An older tool's BoltDB cache beside the SQLite one, read (never written) for what
    /// the SQLite file does not know.
    bolt: Option<PathBuf>,
}

impl BlobInfoCache {
    /// Opens the cache at c/image's place for this user (see [`cache_dir`]); a cache that
    /// cannot be opened or created gives a memory-only one, as c/image falls back to.
    pub fn open_default(override_dir: Option<&Path>) -> BlobInfoCache {
        match cache_dir(override_dir) {
            Some(dir) => BlobInfoCache::open_in(&dir),
            None => BlobInfoCache::in_memory(),
        }
    }

    /// Opens (creating it when missing) the cache file in `dir`. A file that is not a
    /// readable SQLite cache is reported and replaced by a fresh one.
    pub fn open_in(dir: &Path) -> BlobInfoCache {
        let path = dir.join(FILE_NAME);
        // Created for its owner only, as c/image creates it.
        let created = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir);
        if created.is_err() {
            return BlobInfoCache::in_memory();
        }
        let bolt = Some(dir.join(BOLT_FILE_NAME)).filter(|p| p.is_file());
        let mut cache = match schema::open(&path) {
            Ok(conn) => BlobInfoCache::with(conn),
            Err(e) if schema::is_broken_file(&e) => {
                crate::error::warn(&format!(
                    "The blob info cache at {} is unreadable ({e}); starting a new one",
                    path.display()
                ));
                remove_database(&path);
                match schema::open(&path) {
                    Ok(conn) => BlobInfoCache::with(conn),
                    Err(_) => BlobInfoCache::in_memory(),
                }
            }
            // Locked beyond the busy timeout, no permission…: this copy goes without.
            Err(_) => BlobInfoCache::in_memory(),
        };
        cache.bolt = bolt;
        cache
    }

    /// A cache that lives only as long as this copy.
    pub fn in_memory() -> BlobInfoCache {
        let conn = Connection::open_in_memory().and_then(|c| schema::create(&c).map(|_| c));
        BlobInfoCache {
            conn: Mutex::new(conn.ok()),
            pending: Mutex::new(Vec::new()),
            bolt: None,
        }
    }

    fn with(conn: Connection) -> BlobInfoCache {
        BlobInfoCache {
            conn: Mutex::new(Some(conn)),
            pending: Mutex::new(Vec::new()),
            bolt: None,
        }
    }

    /// Notes a fact, written by the next [`flush`](Self::flush) (or before the next query).
    pub fn record(&self, fact: Fact) {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(fact);
    }

    /// Writes the facts noted so far in one transaction. Errors are swallowed: a cache that
    /// cannot be written only means the next copy knows less.
    pub fn flush(&self) {
        let facts = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        if facts.is_empty() {
            return;
        }
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(conn) = conn.as_mut() {
            // Facts the file already has are not written again: a copy that taught nothing
            // new (a repeated local copy) costs no commit and no fsync.
            let new: Vec<Fact> = facts
                .into_iter()
                .filter(|f| !already_known(conn, f).unwrap_or(false))
                .collect();
            if !new.is_empty() {
                let _ = write_facts(conn, &new);
            }
        }
    }

    /// The uncompressed digest of `digest`, if known (`digest` itself when it is known to
    /// be uncompressed).
    pub fn uncompressed_digest(&self, digest: &Digest) -> Option<Digest> {
        self.read(|conn| candidates::uncompressed_digest(conn, digest))
            .flatten()
    }

    /// c/image's CandidateLocations2: blobs that may stand for `query.digest` at `at`'s
    /// transport and scope, best first (at most 5 with a known location, then up to 2 with
    /// none, which mean "try the destination's own repository").
    pub fn candidates(&self, at: &BlobLocation, query: &CandidateQuery) -> Vec<Candidate> {
        self.read(|conn| candidates::find(conn, at, query))
            .unwrap_or_default()
    }

    /// Runs a query over the file and the facts not written yet (then the BoltDB file, for
    /// what they lack). The facts are inserted in a transaction that is rolled back: nothing
    /// reaches the disk in the middle of a copy.
    fn read<T>(&self, query: impl FnOnce(&dyn Facts) -> rusqlite::Result<T>) -> Option<T> {
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut guard = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let conn = guard.as_mut()?;
        let bolt_path = self.bolt.as_deref().unwrap_or(Path::new(""));
        let bolt = self.bolt.as_deref().and_then(facts::open_bolt);
        let res = if pending.is_empty() {
            // Read only: a deferred transaction never needs to upgrade its lock.
            conn.transaction_with_behavior(TransactionBehavior::Deferred)
                .and_then(|tx| {
                    query(&Layered {
                        sql: &tx,
                        bolt: bolt.as_ref(),
                        bolt_path,
                    })
                })
        } else {
            conn.transaction_with_behavior(TransactionBehavior::Immediate)
                .and_then(|tx| {
                    insert_facts(&tx, &pending, false)?;
                    query(&Layered {
                        sql: &tx,
                        bolt: bolt.as_ref(),
                        bolt_path,
                    })
                })
        };
        res.ok()
    }
}

impl Drop for BlobInfoCache {
    fn drop(&mut self) {
        self.flush();
    }
}

/// The name c/image records for a compression (its base variant: zstd:chunked is zstd).
pub fn compressor_name(algorithm: Option<Algorithm>) -> &'static str {
    match algorithm {
        None => UNCOMPRESSED,
        Some(a) => a.mime_name(),
    }
}

/// Whether the file already says exactly this (a location is always written again, as
/// c/image does: its time tells which candidate is freshest).
fn already_known(conn: &Connection, fact: &Fact) -> rusqlite::Result<bool> {
    let (sql, a, b) = match fact {
        Fact::UncompressedPair { any, uncompressed } => (
            "SELECT 1 FROM DigestUncompressedPairs WHERE anyDigest = ?1 AND uncompressedDigest = ?2",
            any.to_string(),
            uncompressed.to_string(),
        ),
        Fact::Compressor { digest, algorithm } => (
            "SELECT 1 FROM DigestCompressors WHERE digest = ?1 AND compressor = ?2",
            digest.to_string(),
            compressor_name(*algorithm).to_string(),
        ),
        Fact::Location { .. } => return Ok(false),
    };
    conn.prepare_cached(sql)?.exists([a, b])
}

fn write_facts(conn: &mut Connection, facts: &[Fact]) -> rusqlite::Result<()> {
    // Exclusive from the start, as c/image does: a deferred transaction that later needs to
    // write can fail with SQLITE_BUSY when another process holds a read lock.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
    insert_facts(&tx, facts, true)?;
    tx.commit()
}

/// Inserts `facts` as c/image records them (`warn`: say when a recorded uncompressed digest
/// changes, as c/image does).
fn insert_facts(tx: &Connection, facts: &[Fact], warn: bool) -> rusqlite::Result<()> {
    for fact in facts {
        match fact {
            Fact::UncompressedPair { any, uncompressed } => {
                let previous: Option<String> = tx
                    .query_row(
                        "SELECT uncompressedDigest FROM DigestUncompressedPairs WHERE anyDigest = ?1",
                        [any.to_string()],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(p) = previous
                    && warn
                    && p != uncompressed.to_string()
                {
                    crate::error::warn(&format!(
                        "Uncompressed digest for blob {any} previously recorded as {p}, now {uncompressed}"
                    ));
                }
                tx.execute(
                    "INSERT OR REPLACE INTO DigestUncompressedPairs(anyDigest, uncompressedDigest) VALUES (?1, ?2)",
                    params![any.to_string(), uncompressed.to_string()],
                )?;
            }
            Fact::Compressor { digest, algorithm } => {
                tx.execute(
                    "INSERT OR REPLACE INTO DigestCompressors(digest, compressor) VALUES (?1, ?2)",
                    params![digest.to_string(), compressor_name(*algorithm)],
                )?;
            }
            Fact::Location { at, digest } => {
                tx.execute(
                    "INSERT OR REPLACE INTO KnownLocations(transport, scope, digest, location, time) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        at.transport,
                        at.scope,
                        digest.to_string(),
                        at.location,
                        schema::go_timestamp(chrono::Local::now())
                    ],
                )?;
            }
        }
    }
    Ok(())
}

/// Reads a BoltDB cache file as a copy would (`fuzzing::blobcache_bolt`).
#[doc(hidden)]
pub fn fuzz_bolt(data: &[u8]) {
    facts::fuzz(data);
}

/// Removes a broken database and the journal files beside it.
fn remove_database(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut p: PathBuf = path.as_os_str().to_owned().into();
        p.as_mut_os_string().push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

#[cfg(test)]
mod tests;
