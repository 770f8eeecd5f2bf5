//! The SQLite file as c/image writes it: its tables, the connection settings its processes
//! rely on when they share the file, and its timestamp text.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Local, Timelike};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

/// The tables and index of c/image's current schema, in its order of creation. c/image
/// never migrates a cache (a new schema gets a new file name): when the last item exists,
/// the file is taken as complete.
const ITEMS: &[(&str, &str)] = &[
    (
        "DigestUncompressedPairs",
        "CREATE TABLE IF NOT EXISTS DigestUncompressedPairs(
            anyDigest TEXT PRIMARY KEY NOT NULL,
            uncompressedDigest TEXT NOT NULL)",
    ),
    (
        "DigestUncompressedPairs_index_uncompressedDigest",
        "CREATE INDEX IF NOT EXISTS DigestUncompressedPairs_index_uncompressedDigest
            ON DigestUncompressedPairs(uncompressedDigest)",
    ),
    (
        "DigestCompressors",
        "CREATE TABLE IF NOT EXISTS DigestCompressors(
            digest TEXT PRIMARY KEY NOT NULL,
            compressor TEXT NOT NULL)",
    ),
    (
        "KnownLocations",
        "CREATE TABLE IF NOT EXISTS KnownLocations(
            transport TEXT NOT NULL,
            scope TEXT NOT NULL,
            digest TEXT NOT NULL,
            location TEXT NOT NULL,
            time TIMESTAMP NOT NULL,
            PRIMARY KEY (transport, scope, digest, location))",
    ),
    (
        "DigestTOCUncompressedPairs",
        "CREATE TABLE IF NOT EXISTS DigestTOCUncompressedPairs(
            tocDigest TEXT PRIMARY KEY NOT NULL,
            uncompressedDigest TEXT NOT NULL)",
    ),
    (
        "DigestSpecificVariantCompressors",
        "CREATE TABLE IF NOT EXISTS DigestSpecificVariantCompressors(
            digest TEXT PRIMARY KEY NOT NULL,
            specificVariantCompressor TEXT NOT NULL,
            specificVariantAnnotations BLOB NOT NULL)",
    ),
];

/// How long a process waits for another one's lock (go-sqlite3's default, which c/image
/// relies on).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens `path` (created if missing) with c/image's settings, making sure it has the schema.
pub fn open(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Every commit reaches the disk, as c/image asks (_sync=FULL); foreign keys on, as its
    // connections have them. The journal mode is left as the file has it (c/image does not
    // change it), so every tool sharing the file keeps working with it.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", 1)?;
    create(&conn)?;
    Ok(conn)
}

/// Adds the schema's tables and index unless the file has them.
pub fn create(conn: &Connection) -> rusqlite::Result<()> {
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Exclusive)?;
    let last = ITEMS[ITEMS.len() - 1].0;
    let present = tx
        .prepare("SELECT 1 FROM sqlite_schema WHERE name = ?1")?
        .exists([last])?;
    if !present {
        for (_, sql) in ITEMS {
            tx.execute(sql, [])?;
        }
    }
    tx.commit()
}

/// Whether opening failed because the file is not a usable database (as opposed to being
/// busy or not accessible): such a file is replaced.
pub fn is_broken_file(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    ) || matches!(e, rusqlite::Error::SqliteFailure(_, Some(m)) if m.contains("malformed"))
}

/// A time as go-sqlite3 stores a Go `time.Time`: local time, nanoseconds without trailing
/// zeros, and the zone offset (`2006-01-02 15:04:05.999999999-07:00`).
pub fn go_timestamp(t: DateTime<Local>) -> String {
    let mut frac = format!("{:09}", t.nanosecond() % 1_000_000_000);
    while frac.ends_with('0') {
        frac.pop();
    }
    let dot = if frac.is_empty() { "" } else { "." };
    format!(
        "{}{dot}{frac}{}",
        t.format("%Y-%m-%d %H:%M:%S"),
        t.format("%:z")
    )
}

/// Reads a `time` column as go-sqlite3 would: its text formats, or Unix seconds.
pub fn parse_time(v: ValueRef<'_>) -> Option<DateTime<FixedOffset>> {
    match v {
        ValueRef::Integer(secs) => DateTime::from_timestamp(secs, 0).map(|t| t.fixed_offset()),
        ValueRef::Real(secs) => DateTime::from_timestamp(secs as i64, 0).map(|t| t.fixed_offset()),
        ValueRef::Text(t) => parse_time_text(std::str::from_utf8(t).ok()?),
        _ => None,
    }
}

fn parse_time_text(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    let s = s
        .strip_suffix('Z')
        .map_or(s.to_string(), |s| format!("{s}+00:00"));
    for f in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M%:z",
        "%Y-%m-%dT%H:%M%:z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(&s, f) {
            return Some(t);
        }
    }
    // Without a zone: c/image's _loc=auto takes it as local time.
    let naive = s.strip_suffix("+00:00").unwrap_or(&s);
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(naive, f) {
            return t
                .and_local_timezone(Local)
                .earliest()
                .map(|t| t.fixed_offset());
        }
    }
    None
}
