//! The questions the candidate search asks a cache, answered from the SQLite file and, for
//! what it does not know, from the BoltDB file older skopeo (c/image < 5.27, skopeo 1.9.3)
//! kept beside it. c/image itself never reads the old file again once it uses SQLite (it
//! neither migrates nor merges it); skiff only reads it, never writes it, so what older tools
//! learned still saves uploads. Every candidate is confirmed at the destination before use,
//! so a stale or odd BoltDB entry costs at most a HEAD.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, FixedOffset};
use rusqlite::{Connection, OptionalExtension};

use super::bolt::{BoltError, Bucket, Db, Entry};
use super::{BlobLocation, schema};
use crate::digest::Digest;

/// The file name c/image before 5.27 used for its BoltDB cache.
pub const BOLT_FILE_NAME: &str = "blob-info-cache-v1.boltdb";

/// A location and when it was last seen (if the time is readable).
pub type Seen = (String, Option<DateTime<FixedOffset>>);

pub(super) trait Facts {
    /// The recorded uncompressed form of `any` (possibly `any` itself).
    fn uncompressed_of(&self, any: &Digest) -> rusqlite::Result<Option<Digest>>;
    /// Blobs recorded as decompressing to `uncompressed` (possibly itself).
    fn compressed_forms(&self, uncompressed: &Digest) -> rusqlite::Result<Vec<Digest>>;
    /// The recorded compressor name of `digest` (`uncompressed`, `gzip`, …).
    fn compressor(&self, digest: &Digest) -> rusqlite::Result<Option<String>>;
    /// Where `digest` was seen within `at`'s transport and scope.
    fn locations(&self, at: &BlobLocation, digest: &Digest) -> rusqlite::Result<Vec<Seen>>;
}

impl Facts for Connection {
    fn uncompressed_of(&self, any: &Digest) -> rusqlite::Result<Option<Digest>> {
        let found: Option<String> = self
            .query_row(
                "SELECT uncompressedDigest FROM DigestUncompressedPairs WHERE anyDigest = ?1",
                [any.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        Ok(found.and_then(|u| u.parse().ok()))
    }

    fn compressed_forms(&self, uncompressed: &Digest) -> rusqlite::Result<Vec<Digest>> {
        let all: Vec<String> = self
            .prepare_cached(
                "SELECT anyDigest FROM DigestUncompressedPairs WHERE uncompressedDigest = ?1",
            )?
            .query_map([uncompressed.to_string()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(all.iter().filter_map(|d| d.parse().ok()).collect())
    }

    fn compressor(&self, digest: &Digest) -> rusqlite::Result<Option<String>> {
        self.query_row(
            "SELECT compressor FROM DigestCompressors WHERE digest = ?1",
            [digest.to_string()],
            |r| r.get(0),
        )
        .optional()
    }

    fn locations(&self, at: &BlobLocation, digest: &Digest) -> rusqlite::Result<Vec<Seen>> {
        let mut stmt = self.prepare_cached(
            "SELECT location, time FROM KnownLocations WHERE transport = ?1 AND scope = ?2 AND digest = ?3",
        )?;
        let rows = stmt.query_map(
            rusqlite::params![at.transport, at.scope, digest.to_string()],
            |r| Ok((r.get::<_, String>(0)?, schema::parse_time(r.get_ref(1)?))),
        )?;
        rows.collect()
    }
}

/// The BoltDB file as c/image 5.23 lays it out: `uncompressedDigest` (any → uncompressed),
/// `digestByUncompressed` (uncompressed → a bucket of blob digests), `digestCompressor`
/// (digest → compressor name) and `knownLocations` (transport → scope → digest → a bucket of
/// location → time, in Go's `time.Time` binary form).
pub struct BoltFacts {
    db: Db,
}

const UNCOMPRESSED_DIGEST: &[u8] = b"uncompressedDigest";
const DIGEST_BY_UNCOMPRESSED: &[u8] = b"digestByUncompressed";
const DIGEST_COMPRESSOR: &[u8] = b"digestCompressor";
const KNOWN_LOCATIONS: &[u8] = b"knownLocations";

impl BoltFacts {
    pub fn new(db: Db) -> BoltFacts {
        BoltFacts { db }
    }

    fn value(&self, bucket: &[u8], key: &Digest) -> Result<Option<String>, BoltError> {
        let Some(b) = self.db.bucket_path(&[bucket])? else {
            return Ok(None);
        };
        let v = self.db.get(&b, key.to_string().as_bytes())?;
        Ok(v.and_then(|v| String::from_utf8(v).ok()))
    }

    /// The values of `b` (not its nested buckets).
    fn values(&self, b: &Bucket) -> Result<Vec<Entry>, BoltError> {
        let mut all = self.db.entries(b)?;
        all.retain(|e| !e.is_bucket);
        Ok(all)
    }

    pub fn uncompressed_of(&self, any: &Digest) -> Result<Option<Digest>, BoltError> {
        Ok(self
            .value(UNCOMPRESSED_DIGEST, any)?
            .and_then(|u| u.parse().ok()))
    }

    pub fn compressed_forms(&self, uncompressed: &Digest) -> Result<Vec<Digest>, BoltError> {
        let key = uncompressed.to_string();
        let path: [&[u8]; 2] = [DIGEST_BY_UNCOMPRESSED, key.as_bytes()];
        let Some(b) = self.db.bucket_path(&path)? else {
            return Ok(Vec::new());
        };
        Ok(self
            .values(&b)?
            .into_iter()
            .filter_map(|e| String::from_utf8(e.key).ok()?.parse().ok())
            .collect())
    }

    pub fn compressor(&self, digest: &Digest) -> Result<Option<String>, BoltError> {
        // c/image 5.23 reads an empty value as "unknown".
        Ok(self
            .value(DIGEST_COMPRESSOR, digest)?
            .filter(|c| !c.is_empty()))
    }

    pub fn locations(&self, at: &BlobLocation, digest: &Digest) -> Result<Vec<Seen>, BoltError> {
        let key = digest.to_string();
        let path: [&[u8]; 4] = [
            KNOWN_LOCATIONS,
            at.transport.as_bytes(),
            at.scope.as_bytes(),
            key.as_bytes(),
        ];
        let Some(b) = self.db.bucket_path(&path)? else {
            return Ok(Vec::new());
        };
        Ok(self
            .values(&b)?
            .into_iter()
            .filter_map(|e| Some((String::from_utf8(e.key).ok()?, go_binary_time(&e.value))))
            .collect())
    }
}

/// A Go `time.Time` in its `MarshalBinary` form: version 1 (or 2, with seconds in the zone
/// offset), seconds since year 1 and nanoseconds, big-endian, then the zone offset in
/// minutes (-1: UTC).
pub fn go_binary_time(b: &[u8]) -> Option<DateTime<FixedOffset>> {
    const UNIX_TO_GO: i64 = 62_135_596_800;
    let (&version, rest) = b.split_first()?;
    let want = match version {
        1 => 14,
        2 => 15,
        _ => return None,
    };
    if rest.len() != want {
        return None;
    }
    let secs = i64::from_be_bytes(rest[0..8].try_into().ok()?);
    let nanos = u32::from_be_bytes(rest[8..12].try_into().ok()?);
    let minutes = i16::from_be_bytes(rest[12..14].try_into().ok()?);
    let extra = if version == 2 {
        rest[14] as i8 as i32
    } else {
        0
    };
    let offset = if minutes == -1 {
        0
    } else {
        minutes as i32 * 60 + extra
    };
    let utc = DateTime::from_timestamp(secs.checked_sub(UNIX_TO_GO)?, nanos)?;
    Some(utc.with_timezone(&FixedOffset::east_opt(offset)?))
}

/// The SQLite answers first; what they lack, from the BoltDB file (if there is one and it is
/// readable: a damaged one is reported once and then left alone).
pub(super) struct Layered<'a> {
    pub sql: &'a Connection,
    pub bolt: Option<&'a BoltFacts>,
    pub bolt_path: &'a Path,
}

impl Layered<'_> {
    fn bolt<T: Default>(&self, ask: impl FnOnce(&BoltFacts) -> Result<T, BoltError>) -> T {
        let Some(b) = self.bolt else {
            return T::default();
        };
        ask(b).unwrap_or_else(|e| {
            report_broken(self.bolt_path, &e);
            T::default()
        })
    }
}

impl Facts for Layered<'_> {
    fn uncompressed_of(&self, any: &Digest) -> rusqlite::Result<Option<Digest>> {
        Ok(match self.sql.uncompressed_of(any)? {
            Some(u) => Some(u),
            None => self.bolt(|b| b.uncompressed_of(any)),
        })
    }

    fn compressed_forms(&self, uncompressed: &Digest) -> rusqlite::Result<Vec<Digest>> {
        let mut all = self.sql.compressed_forms(uncompressed)?;
        for d in self.bolt(|b| b.compressed_forms(uncompressed)) {
            if !all.contains(&d) {
                all.push(d);
            }
        }
        Ok(all)
    }

    fn compressor(&self, digest: &Digest) -> rusqlite::Result<Option<String>> {
        Ok(match self.sql.compressor(digest)? {
            Some(c) => Some(c),
            None => self.bolt(|b| b.compressor(digest)),
        })
    }

    fn locations(&self, at: &BlobLocation, digest: &Digest) -> rusqlite::Result<Vec<Seen>> {
        let mut all = self.sql.locations(at, digest)?;
        for (location, time) in self.bolt(|b| b.locations(at, digest)) {
            match all.iter_mut().find(|(l, _)| *l == location) {
                // Seen by both: the later sighting counts.
                Some((_, t)) => *t = (*t).max(time),
                None => all.push((location, time)),
            }
        }
        Ok(all)
    }
}

/// Opens the BoltDB file for one query (c/image opened it per operation too, so skopeo 1.9.3
/// writers wait for no longer than a query). `None`: no file, busy, or already reported.
pub(super) fn open_bolt(path: &Path) -> Option<BoltFacts> {
    if already_reported(path) {
        return None;
    }
    match Db::open(path) {
        Ok(db) => db.map(BoltFacts::new),
        Err(e) => {
            report_broken(path, &e);
            None
        }
    }
}

static REPORTED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

fn already_reported(path: &Path) -> bool {
    let reported = REPORTED.lock().unwrap_or_else(|e| e.into_inner());
    reported.as_ref().is_some_and(|r| r.contains(path))
}

/// Says once per process that the file is unreadable; it is not read again.
fn report_broken(path: &Path, e: &BoltError) {
    let mut reported = REPORTED.lock().unwrap_or_else(|e| e.into_inner());
    if reported.get_or_insert_default().insert(path.to_path_buf()) {
        crate::error::warn(&format!(
            "The blob info cache at {} is unreadable ({e}); ignoring it",
            path.display()
        ));
    }
}

/// Every bucket and value of a BoltDB file, and the cache's questions about its digests
/// (the fuzz target's entry: it must never panic).
pub(super) fn fuzz(data: &[u8]) {
    fn walk(db: &Db, b: &Bucket, depth: usize, digests: &mut Vec<Digest>) {
        let Ok(entries) = db.entries(b) else { return };
        for e in entries {
            if let Some(d) = std::str::from_utf8(&e.key)
                .ok()
                .and_then(|k| k.parse().ok())
            {
                digests.push(d);
            }
            if e.is_bucket && depth < 5 {
                if let Ok(Some(child)) = db.bucket(b, &e.key) {
                    walk(db, &child, depth + 1, digests);
                }
            } else {
                let _ = db.get(b, &e.key);
                let _ = go_binary_time(&e.value);
            }
        }
    }
    let Ok(db) = Db::from_bytes(data.to_vec()) else {
        return;
    };
    let mut digests = vec![Digest::sha256_of(b"")];
    walk(&db, &db.root_bucket(), 0, &mut digests);
    let facts = BoltFacts::new(db);
    let at = BlobLocation {
        transport: "docker",
        scope: "127.0.0.1:5000".into(),
        location: "127.0.0.1:5000/a/b".into(),
    };
    for d in digests.iter().take(64) {
        let _ = facts.uncompressed_of(d);
        let _ = facts.compressed_forms(d);
        let _ = facts.compressor(d);
        let _ = facts.locations(&at, d);
    }
}
