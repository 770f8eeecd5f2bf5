//! The table of contents: c/storage's JSON (a CRFS-style "version 1" manifest), one entry per
//! archive member plus one per further chunk of a file, with Go's field order, its
//! `omitempty` rules and its encoding of names and times.

use std::collections::BTreeMap;
use std::io;

use chrono::TimeZone;
use serde::Serialize;

use crate::go::tar::{Header, UnixTime};

/// A chunk of a regular file as written: where its frame starts, where it sits in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Chunk {
    pub offset: u64,
    pub chunk_offset: u64,
    pub size: u64,
    pub digest: String,
    pub zeros: bool,
}

#[derive(Serialize)]
pub(super) struct Toc<'a> {
    pub version: u32,
    pub entries: &'a [Entry],
    /// The digest of the compressed tar-split frame.
    #[serde(rename = "tarSplitDigest", skip_serializing_if = "str::is_empty")]
    pub tar_split_digest: &'a str,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(super) struct Entry {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
    #[serde(rename = "linkName", skip_serializing_if = "String::is_empty")]
    pub link_name: String,
    #[serde(skip_serializing_if = "is_zero")]
    pub mode: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub size: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub uid: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub gid: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modtime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accesstime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changetime: Option<String>,
    #[serde(rename = "devMajor", skip_serializing_if = "is_zero")]
    pub dev_major: i64,
    #[serde(rename = "devMinor", skip_serializing_if = "is_zero")]
    pub dev_minor: i64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub xattrs: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub digest: String,
    #[serde(skip_serializing_if = "is_zero")]
    pub offset: i64,
    #[serde(rename = "endOffset", skip_serializing_if = "is_zero")]
    pub end_offset: i64,
    #[serde(rename = "chunkSize", skip_serializing_if = "is_zero")]
    pub chunk_size: i64,
    #[serde(rename = "chunkOffset", skip_serializing_if = "is_zero")]
    pub chunk_offset: i64,
    #[serde(rename = "chunkDigest", skip_serializing_if = "String::is_empty")]
    pub chunk_digest: String,
    #[serde(rename = "chunkType", skip_serializing_if = "String::is_empty")]
    pub chunk_type: String,
}

/// The entry type c/storage names a tar type flag with.
pub(super) fn kind(typeflag: u8) -> io::Result<&'static str> {
    Ok(match typeflag {
        b'0' => "reg",
        b'1' => "hardlink",
        b'2' => "symlink",
        b'3' => "char",
        b'4' => "block",
        b'5' => "dir",
        b'6' => "fifo",
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("unknown tarball type: {other}"),
            ));
        }
    })
}

/// The entry of a member (for a regular file with content, `content` gives its digest, its
/// frames' extent and its chunks).
pub(super) fn member(
    h: &Header,
    content: Option<(String, u64, u64, &[Chunk])>,
) -> io::Result<Vec<Entry>> {
    let mut main = Entry {
        kind: kind(h.typeflag)?,
        name: go_string(&h.name),
        link_name: go_string(&h.link_name),
        mode: h.mode,
        size: h.size,
        uid: h.uid,
        gid: h.gid,
        modtime: Some(go_time(h.mtime)?),
        // Unset times are left out (skopeo 1.9.3 wrote Go's zero time instead).
        accesstime: h.atime.map(go_time).transpose()?,
        changetime: h.ctime.map(go_time).transpose()?,
        dev_major: h.dev_major,
        dev_minor: h.dev_minor,
        xattrs: h
            .xattrs
            .iter()
            .map(|(k, v)| (go_string(k), base64_std(v)))
            .collect(),
        ..Entry::default()
    };
    let Some((digest, start, end, chunks)) = content else {
        return Ok(vec![main]);
    };
    main.digest = digest;
    main.offset = start as i64;
    main.end_offset = end as i64;
    // A file of one chunk says nothing about chunks; otherwise the first chunk is described
    // by the file's own entry and each further one by an entry of type "chunk".
    if chunks.len() < 2 {
        return Ok(vec![main]);
    }
    let name = main.name.clone();
    let mut entries = Vec::with_capacity(chunks.len());
    for (i, c) in chunks.iter().enumerate() {
        let mut e = if i == 0 {
            std::mem::take(&mut main)
        } else {
            Entry {
                kind: "chunk",
                name: name.clone(),
                ..Entry::default()
            }
        };
        e.offset = c.offset as i64;
        e.chunk_size = c.size as i64;
        e.chunk_offset = c.chunk_offset as i64;
        e.chunk_digest = c.digest.clone();
        if c.zeros {
            e.chunk_type = "zeros".into();
        }
        entries.push(e);
    }
    Ok(entries)
}

/// Bytes as Go's JSON encoder writes a string: each byte that is not part of valid UTF-8
/// becomes U+FFFD.
pub(super) fn go_string(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    let mut rest = b;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                let n = e.error_len().unwrap_or(bad.len());
                out.extend(std::iter::repeat_n('\u{FFFD}', n));
                rest = &bad[n..];
            }
        }
    }
    out
}

/// A time as Go's JSON encoder writes the `time.Unix` value tar gives: in the local zone.
fn go_time(t: UnixTime) -> io::Result<String> {
    let (secs, nanos) = t.normalized();
    let local = chrono::Local
        .timestamp_opt(secs, nanos)
        .single()
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("archive/tar: time {secs} out of range"),
            )
        })?;
    Ok(crate::gojson::go_time_rfc3339nano(&local.fixed_offset()))
}

fn base64_std(v: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(v)
}
