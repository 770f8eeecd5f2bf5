//! Layer tarballs taken apart and put back together, bit for bit.
//!
//! containers/storage keeps, next to each layer's extracted files, a gzip'd "tar-split"
//! stream: one JSON object per line, either a *segment* (raw archive bytes that are not file
//! contents: headers, padding, the end-of-archive blocks, trailing bytes) or a *file* (a
//! path, its content size and a CRC-64/ISO of the content). Replaying the segments and
//! reading each file's contents from the extracted tree rebuilds the exact archive, so the
//! layer's digest comes out equal to the one recorded when it was stored.
//!
//! The archive is walked by the Go-compatible reader in [`crate::go::tar`], which reports, for
//! every entry, the raw bytes that preceded its contents — exactly the split the Go tar-split
//! library makes, which the on-disk format depends on.

use std::io::{BufRead, Read, Write};

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;

/// tar-split's content checksum: CRC-64 with the ISO polynomial, as Go's `hash/crc64`
/// computes it; written big-endian, as Go's `Sum(nil)`.
pub static CRC64: crc::Crc<u64, crc::Table<16>> =
    crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_GO_ISO);

/// Writes tar-split entries (JSON lines) to `w`.
pub struct Packer<W: Write> {
    w: W,
    pos: u64,
    seen: std::collections::HashSet<Vec<u8>>,
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

impl<W: Write> Packer<W> {
    pub fn new(w: W) -> Self {
        Packer {
            w,
            pos: 0,
            seen: Default::default(),
        }
    }

    pub fn segment(&mut self, raw: &[u8]) -> Result<()> {
        writeln!(
            self.w,
            "{{\"type\":2,\"payload\":\"{}\",\"position\":{}}}",
            B64.encode(raw),
            self.pos
        )?;
        self.pos += 1;
        Ok(())
    }

    pub fn file(&mut self, name: &[u8], size: i64, crc: Option<[u8; 8]>) -> Result<()> {
        let clean = clean_path(name);
        if !self.seen.insert(clean) {
            bail!("duplicates of file paths not supported");
        }
        let mut line = String::from("{\"type\":1,");
        match std::str::from_utf8(name) {
            Ok(s) => line.push_str(&format!("\"name\":{},", json_str(s))),
            Err(_) => line.push_str(&format!("\"name_raw\":\"{}\",", B64.encode(name))),
        }
        if size != 0 {
            line.push_str(&format!("\"size\":{size},"));
        }
        match crc {
            Some(c) => line.push_str(&format!("\"payload\":\"{}\",", B64.encode(c))),
            None => line.push_str("\"payload\":null,"),
        }
        line.push_str(&format!("\"position\":{}}}\n", self.pos));
        self.w.write_all(line.as_bytes())?;
        self.pos += 1;
        Ok(())
    }

    pub fn into_inner(self) -> W {
        self.w
    }
}

/// Records what follows the end-of-archive marker as tar-split does: pieces of up to 1 MiB,
/// then an empty segment that marks the end of the stream. `seen` gets every piece too.
pub fn pack_trailer<W: Write>(
    packer: &mut Packer<W>,
    rest: &mut impl Read,
    mut seen: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> Result<()> {
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        let mut got = 0;
        while got < chunk.len() {
            let n = rest.read(&mut chunk[got..])?;
            if n == 0 {
                break;
            }
            got += n;
        }
        seen(&chunk[..got])?;
        packer.segment(&chunk[..got])?;
        if got == 0 {
            return Ok(());
        }
    }
}

/// `filepath.Clean` on bytes (for duplicate detection and path joins).
pub fn clean_path(p: &[u8]) -> Vec<u8> {
    let rooted = p.first() == Some(&b'/');
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in p.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                if parts.last().is_some_and(|l| *l != b"..") {
                    parts.pop();
                } else if !rooted {
                    parts.push(part);
                }
            }
            _ => parts.push(part),
        }
    }
    let mut out = Vec::new();
    if rooted {
        out.push(b'/');
    }
    out.extend(parts.join(&b'/'));
    if out.is_empty() {
        out.push(b'.');
    }
    out
}

#[derive(Deserialize)]
struct RawEntry {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    name_raw: Option<String>,
    #[serde(default)]
    size: i64,
    #[serde(default)]
    payload: Option<String>,
}

/// One tar-split record.
pub enum Entry {
    Segment(Vec<u8>),
    File { name: Vec<u8>, size: u64 },
}

/// Reads tar-split records from (decompressed) JSON lines.
pub struct Unpacker<R> {
    r: R,
    line: String,
}

impl<R: BufRead> Unpacker<R> {
    pub fn new(r: R) -> Self {
        Unpacker {
            r,
            line: String::new(),
        }
    }

    pub fn next_entry(&mut self) -> Result<Option<Entry>> {
        loop {
            self.line.clear();
            if self.r.read_line(&mut self.line)? == 0 {
                return Ok(None);
            }
            if self.line.trim().is_empty() {
                continue;
            }
            let e: RawEntry = serde_json::from_str(&self.line).context("parsing tar-split")?;
            let decode = |s: &str| B64.decode(s).context("parsing tar-split payload");
            return Ok(Some(match e.kind {
                2 => Entry::Segment(match e.payload {
                    Some(p) => decode(&p)?,
                    None => Vec::new(),
                }),
                1 => {
                    let name = match (e.name_raw, e.name) {
                        (Some(raw), _) if !raw.is_empty() => decode(&raw)?,
                        (_, Some(n)) => n.into_bytes(),
                        _ => Vec::new(),
                    };
                    Entry::File {
                        name,
                        size: e.size.max(0) as u64,
                    }
                }
                k => bail!("unknown tar-split entry type {k}"),
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::go::tar::TarReader;
    use std::io::Read;

    #[test]
    fn crc64_matches_go() {
        // Go: crc64.Checksum(data, crc64.MakeTable(crc64.ISO)), big-endian.
        assert_eq!(CRC64.checksum(b"123456789"), 0xb909_56c7_75a4_1001);
        assert_eq!(
            CRC64.checksum(b"hello\n").to_be_bytes(),
            [0x61, 0x4c, 0x3e, 0xee, 0xe2, 0xd8, 0x10, 0x00]
        );
        let mut pieces = CRC64.digest();
        pieces.update(b"hel");
        pieces.update(b"lo\n");
        assert_eq!(pieces.finalize(), CRC64.checksum(b"hello\n"));
    }

    #[test]
    fn clean_paths_like_go() {
        assert_eq!(clean_path(b"./a//b/../c/"), b"a/c");
        assert_eq!(clean_path(b"/"), b"/");
        assert_eq!(clean_path(b"./"), b".");
        assert_eq!(clean_path(b"../x"), b"../x");
    }

    #[test]
    fn split_and_pack_round_trip() {
        let data = crate::go::tar::tests::sample_archive();
        let mut tr = TarReader::new(&data[..]);
        let mut p = Packer::new(Vec::new());
        let mut contents = std::collections::HashMap::new();
        while let Some(h) = tr.next_header().unwrap() {
            p.segment(&tr.take_raw()).unwrap();
            let mut c = Vec::new();
            tr.read_to_end(&mut c).unwrap();
            let crc = CRC64.checksum(&c).to_be_bytes();
            p.file(&h.name, h.size, (h.size > 0).then_some(crc))
                .unwrap();
            contents.insert(h.name.clone(), c);
        }
        let raw = tr.take_raw();
        p.segment(&raw).unwrap();
        let mut rest = Vec::new();
        tr.into_inner().read_to_end(&mut rest).unwrap();
        p.segment(&rest).unwrap();
        let json = p.into_inner();

        let mut u = Unpacker::new(&json[..]);
        let mut rebuilt = Vec::new();
        while let Some(e) = u.next_entry().unwrap() {
            match e {
                Entry::Segment(s) => rebuilt.extend(s),
                Entry::File { name, size } => {
                    let c = &contents[&name];
                    assert_eq!(c.len() as u64, size);
                    rebuilt.extend_from_slice(c);
                }
            }
        }
        assert_eq!(rebuilt, data);
    }
}
