//! Layer tarballs taken apart and put back together, bit for bit.
//!
//! containers/storage keeps, next to each layer's extracted files, a gzip'd "tar-split"
//! stream: one JSON object per line, either a *segment* (raw archive bytes that are not file
//! contents: headers, padding, the end-of-archive blocks, trailing bytes) or a *file* (a
//! path, its content size and a CRC-64/ISO of the content). Replaying the segments and
//! reading each file's contents from the extracted tree rebuilds the exact archive, so the
//! layer's digest comes out equal to the one recorded when it was stored.
//!
//! [`TarReader`] walks an archive block by block and reports, for every entry, the raw bytes
//! that preceded its contents — exactly the split the Go tar-split library makes, which the
//! on-disk format depends on.

use std::io::{self, BufRead, Read, Write};

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;

const BLOCK: usize = 512;
/// The largest PAX or GNU long-name record Go's archive/tar reads.
const MAX_SPECIAL: i64 = 1 << 20;

/// One archive member, as the extraction needs it.
#[derive(Clone, Debug, Default)]
pub struct Header {
    pub typeflag: u8,
    pub name: Vec<u8>,
    pub linkname: Vec<u8>,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// The size field (as reported in tar-split entries).
    pub size: i64,
    pub mtime: (i64, u32),
    pub atime: Option<(i64, u32)>,
    pub devmajor: u32,
    pub devminor: u32,
    /// `SCHILY.xattr.*` records, in archive order.
    pub xattrs: Vec<(String, Vec<u8>)>,
}

pub const TYPE_REG: u8 = b'0';
pub const TYPE_REG_A: u8 = 0;
pub const TYPE_LINK: u8 = b'1';
pub const TYPE_SYMLINK: u8 = b'2';
pub const TYPE_CHAR: u8 = b'3';
pub const TYPE_BLOCK: u8 = b'4';
pub const TYPE_DIR: u8 = b'5';
pub const TYPE_FIFO: u8 = b'6';
pub const TYPE_CONT: u8 = b'7';
pub const TYPE_GLOBAL: u8 = b'g';

impl Header {
    /// Types whose size field does not announce data in the archive.
    fn header_only(&self) -> bool {
        matches!(
            self.typeflag,
            TYPE_LINK | TYPE_SYMLINK | TYPE_CHAR | TYPE_BLOCK | TYPE_DIR | TYPE_FIFO
        )
    }
}

/// Reads an archive, collecting the raw bytes between entry contents.
pub struct TarReader<R> {
    r: R,
    raw: Vec<u8>,
    /// Content bytes of the current entry not yet read, and its padding.
    remaining: u64,
    pad: usize,
    done: bool,
}

fn parse_octal_or_binary(field: &[u8]) -> Result<i64> {
    if let Some(&first) = field.first()
        && first & 0x80 != 0
    {
        // base-256, two's complement (Go's parseNumeric).
        let inv: u8 = if first & 0x40 != 0 { 0xff } else { 0 };
        let mut x: u64 = 0;
        for (i, &b) in field.iter().enumerate() {
            let mut c = b ^ inv;
            if i == 0 {
                c &= 0x7f;
            }
            // Go refuses a value that does not fit an int64.
            if x >> 56 > 0 {
                bail!("archive/tar: invalid tar header");
            }
            x = (x << 8) | u64::from(c);
        }
        if x >> 63 > 0 {
            bail!("archive/tar: invalid tar header");
        }
        let v = if inv == 0xff { !(x as i64) } else { x as i64 };
        return Ok(v);
    }
    let s: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|&c| c == b' ' || c == 0)
        .take_while(|&c| c != b' ' && c != 0)
        .collect();
    if s.is_empty() {
        return Ok(0);
    }
    let s = std::str::from_utf8(&s).map_err(|_| anyhow!("archive/tar: invalid tar header"))?;
    i64::from_str_radix(s, 8).map_err(|_| anyhow!("archive/tar: invalid tar header"))
}

fn cstr(field: &[u8]) -> &[u8] {
    match field.iter().position(|&c| c == 0) {
        Some(i) => &field[..i],
        None => field,
    }
}

fn parse_pax_time(v: &str) -> Option<(i64, u32)> {
    let (secs, frac) = match v.split_once('.') {
        Some((s, f)) => (s, f),
        None => (v, ""),
    };
    let secs: i64 = secs.parse().ok()?;
    let mut nanos = String::from(frac);
    nanos.truncate(9);
    while nanos.len() < 9 {
        nanos.push('0');
    }
    let n: u32 = if frac.is_empty() {
        0
    } else {
        nanos.parse().ok()?
    };
    if v.starts_with('-') && n > 0 {
        Some((secs.checked_sub(1)?, 1_000_000_000 - n))
    } else {
        Some((secs, n))
    }
}

/// PAX records: `LEN key=value\n`.
fn parse_pax(data: &[u8]) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        if rest.iter().all(|&b| b == 0) {
            break;
        }
        let sp = rest
            .iter()
            .position(|&b| b == b' ')
            .ok_or_else(|| anyhow!("archive/tar: invalid tar header"))?;
        let len: usize = std::str::from_utf8(&rest[..sp])
            .ok()
            .and_then(|s| s.parse().ok())
            .filter(|&l| l > sp + 1 && l <= rest.len())
            .ok_or_else(|| anyhow!("archive/tar: invalid tar header"))?;
        let rec = &rest[sp + 1..len];
        let rec = rec.strip_suffix(b"\n").unwrap_or(rec);
        let eq = rec
            .iter()
            .position(|&b| b == b'=')
            .ok_or_else(|| anyhow!("archive/tar: invalid tar header"))?;
        out.push((
            String::from_utf8_lossy(&rec[..eq]).into_owned(),
            rec[eq + 1..].to_vec(),
        ));
        rest = &rest[len..];
    }
    Ok(out)
}

impl<R: Read> TarReader<R> {
    pub fn new(r: R) -> Self {
        TarReader {
            r,
            raw: Vec::with_capacity(2 * BLOCK),
            remaining: 0,
            pad: 0,
            done: false,
        }
    }

    /// The raw bytes gathered since the last call.
    pub fn take_raw(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.raw)
    }

    pub fn into_inner(self) -> R {
        self.r
    }

    fn read_block(&mut self, blk: &mut [u8; BLOCK]) -> Result<bool> {
        let mut got = 0;
        while got < BLOCK {
            let n = match self.r.read(&mut blk[got..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if n == 0 {
                break;
            }
            got += n;
        }
        self.raw.extend_from_slice(&blk[..got]);
        match got {
            0 => Ok(false),
            BLOCK => Ok(true),
            _ => bail!("unexpected EOF"),
        }
    }

    fn read_exact_raw(&mut self, n: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; n];
        self.r
            .read_exact(&mut buf)
            .map_err(|_| anyhow!("unexpected EOF"))?;
        self.raw.extend_from_slice(&buf);
        Ok(buf)
    }

    /// Skips what is left of the current entry's contents (counted as raw bytes, which only
    /// happens for content nobody read) and its padding.
    fn finish_entry(&mut self) -> Result<()> {
        // In pieces: the size comes from the archive and may be anything.
        while self.remaining > 0 {
            let n = self.remaining.min(1 << 20);
            self.remaining -= n;
            self.read_exact_raw(n as usize)?;
        }
        if self.pad > 0 {
            let p = self.pad;
            self.pad = 0;
            self.read_exact_raw(p)?;
        }
        Ok(())
    }

    /// The next entry, or `None` at the end of the archive.
    pub fn next_header(&mut self) -> Result<Option<Header>> {
        if self.done {
            return Ok(None);
        }
        self.finish_entry()?;
        let mut pax: Vec<(String, Vec<u8>)> = Vec::new();
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        let mut blk = [0u8; BLOCK];
        loop {
            if !self.read_block(&mut blk)? {
                self.done = true;
                return Ok(None);
            }
            if blk.iter().all(|&b| b == 0) {
                // End of archive: a second zero block is expected.
                if !self.read_block(&mut blk)? {
                    self.done = true;
                    return Ok(None);
                }
                if blk.iter().all(|&b| b == 0) {
                    self.done = true;
                    return Ok(None);
                }
                bail!("archive/tar: invalid tar header");
            }
            verify_checksum(&blk)?;
            let typeflag = blk[156];
            let size = parse_octal_or_binary(&blk[124..136])?;
            match typeflag {
                b'x' | b'L' | b'K' => {
                    if size < 0 {
                        bail!("archive/tar: invalid tar header");
                    }
                    // Go's limit on special records; it also bounds memory.
                    if size > MAX_SPECIAL {
                        bail!("archive/tar: header field too long");
                    }
                    let data = self.read_exact_raw(size as usize)?;
                    let pad = (BLOCK - (size as usize % BLOCK)) % BLOCK;
                    self.read_exact_raw(pad)?;
                    match typeflag {
                        b'x' => pax.extend(parse_pax(&data)?),
                        b'L' => long_name = Some(cstr(&data).to_vec()),
                        _ => long_link = Some(cstr(&data).to_vec()),
                    }
                    continue;
                }
                _ => {}
            }
            let hdr = self.build_header(&blk, typeflag, size, pax, long_name, long_link)?;
            let physical = if hdr.header_only() {
                0
            } else if hdr.typeflag == TYPE_GLOBAL {
                hdr.size.max(0) as u64
            } else {
                if hdr.size < 0 {
                    bail!("archive/tar: invalid tar header");
                }
                hdr.size as u64
            };
            self.remaining = physical;
            self.pad = ((BLOCK as u64 - physical % BLOCK as u64) % BLOCK as u64) as usize;
            if hdr.typeflag == b'S' {
                bail!("sparse files in layers are not supported");
            }
            return Ok(Some(hdr));
        }
    }

    fn build_header(
        &self,
        blk: &[u8; BLOCK],
        typeflag: u8,
        size: i64,
        pax: Vec<(String, Vec<u8>)>,
        long_name: Option<Vec<u8>>,
        long_link: Option<Vec<u8>>,
    ) -> Result<Header> {
        let magic = &blk[257..265];
        let ustar = &magic[..6] == b"ustar\0";
        let mut name = cstr(&blk[0..100]).to_vec();
        if ustar {
            let prefix = cstr(&blk[345..500]);
            if !prefix.is_empty() {
                let mut full = prefix.to_vec();
                full.push(b'/');
                full.extend_from_slice(&name);
                name = full;
            }
        }
        let mut h = Header {
            typeflag,
            name,
            linkname: cstr(&blk[157..257]).to_vec(),
            mode: parse_octal_or_binary(&blk[100..108])? as u32,
            uid: parse_octal_or_binary(&blk[108..116])? as u64,
            gid: parse_octal_or_binary(&blk[116..124])? as u64,
            size,
            mtime: (parse_octal_or_binary(&blk[136..148])?, 0),
            atime: None,
            devmajor: parse_octal_or_binary(&blk[329..337])? as u32,
            devminor: parse_octal_or_binary(&blk[337..345])? as u32,
            xattrs: Vec::new(),
        };
        if let Some(n) = long_name {
            h.name = n;
        }
        if let Some(l) = long_link {
            h.linkname = l;
        }
        for (k, v) in pax {
            let text = || String::from_utf8_lossy(&v).into_owned();
            match k.as_str() {
                "path" => h.name = v.clone(),
                "linkpath" => h.linkname = v.clone(),
                "size" => h.size = text().parse().map_err(|_| anyhow!("invalid PAX size"))?,
                "uid" => h.uid = text().parse().unwrap_or(h.uid),
                "gid" => h.gid = text().parse().unwrap_or(h.gid),
                "mtime" => h.mtime = parse_pax_time(&text()).unwrap_or(h.mtime),
                "atime" => h.atime = parse_pax_time(&text()),
                _ => {
                    if let Some(attr) = k.strip_prefix("SCHILY.xattr.") {
                        h.xattrs.push((attr.to_string(), v.clone()));
                    }
                }
            }
        }
        // Old archives mark directories only by a trailing slash.
        if h.typeflag == TYPE_REG_A && h.name.ends_with(b"/") {
            h.typeflag = TYPE_DIR;
        }
        Ok(h)
    }
}

impl<R: Read> Read for TarReader<R> {
    /// Reads the current entry's contents (not counted as raw bytes).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            return Ok(0);
        }
        let want = buf.len().min(self.remaining as usize);
        let n = self.r.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "unexpected EOF",
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

fn verify_checksum(blk: &[u8; BLOCK]) -> Result<()> {
    let want = parse_octal_or_binary(&blk[148..156])?;
    let mut unsigned: i64 = 0;
    let mut signed: i64 = 0;
    for (i, &b) in blk.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += i64::from(b);
        signed += i64::from(b as i8);
    }
    if want != unsigned && want != signed {
        bail!("archive/tar: invalid tar header");
    }
    Ok(())
}

/// CRC-64 with the ISO polynomial, as Go's hash/crc64 computes it (slicing by 8).
pub struct Crc64 {
    crc: u64,
}

fn crc_tables() -> &'static [[u64; 256]; 8] {
    static T: std::sync::OnceLock<Box<[[u64; 256]; 8]>> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        const POLY: u64 = 0xD800_0000_0000_0000;
        let mut t = Box::new([[0u64; 256]; 8]);
        for i in 0..256 {
            let mut crc = i as u64;
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ POLY
                } else {
                    crc >> 1
                };
            }
            t[0][i] = crc;
        }
        for i in 0..256 {
            let mut crc = t[0][i];
            for k in 1..8 {
                crc = t[0][(crc & 0xff) as usize] ^ (crc >> 8);
                t[k][i] = crc;
            }
        }
        t
    })
}

impl Default for Crc64 {
    fn default() -> Self {
        Self::new()
    }
}

impl Crc64 {
    pub fn new() -> Self {
        Crc64 { crc: 0 }
    }

    pub fn update(&mut self, mut p: &[u8]) {
        let t = crc_tables();
        let mut crc = !self.crc;
        while p.len() >= 8 {
            crc ^= u64::from_le_bytes(p[..8].try_into().expect("8 bytes"));
            crc = t[7][(crc & 0xff) as usize]
                ^ t[6][((crc >> 8) & 0xff) as usize]
                ^ t[5][((crc >> 16) & 0xff) as usize]
                ^ t[4][((crc >> 24) & 0xff) as usize]
                ^ t[3][((crc >> 32) & 0xff) as usize]
                ^ t[2][((crc >> 40) & 0xff) as usize]
                ^ t[1][((crc >> 48) & 0xff) as usize]
                ^ t[0][(crc >> 56) as usize];
            p = &p[8..];
        }
        for &b in p {
            crc = t[0][((crc as u8) ^ b) as usize] ^ (crc >> 8);
        }
        self.crc = !crc;
    }

    /// Big-endian, as Go's `Sum(nil)`.
    pub fn sum(&self) -> [u8; 8] {
        self.crc.to_be_bytes()
    }
}

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

    #[test]
    fn crc64_matches_go() {
        // Go: crc64.Checksum([]byte("hello\n"), crc64.MakeTable(crc64.ISO))
        let mut c = Crc64::new();
        c.update(b"hello\n");
        let mut d = Crc64::new();
        d.update(b"hel");
        d.update(b"lo\n");
        assert_eq!(c.sum(), d.sum());
        let mut long = Crc64::new();
        long.update(&[7u8; 100]);
        let mut bytewise = Crc64::new();
        for _ in 0..100 {
            bytewise.update(&[7u8]);
        }
        assert_eq!(long.sum(), bytewise.sum());
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
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "a/very/long/".repeat(12) + "file", &b"hello"[..])
            .unwrap();
        let mut d = tar::Header::new_ustar();
        d.set_entry_type(tar::EntryType::Directory);
        d.set_size(0);
        d.set_cksum();
        b.append_data(&mut d, "dir/", &[][..]).unwrap();
        let mut data = b.into_inner().unwrap();
        data.extend_from_slice(&[0u8; 1000]);

        let mut tr = TarReader::new(&data[..]);
        let mut p = Packer::new(Vec::new());
        let mut contents = std::collections::HashMap::new();
        while let Some(h) = tr.next_header().unwrap() {
            p.segment(&tr.take_raw()).unwrap();
            let mut c = Vec::new();
            tr.read_to_end(&mut c).unwrap();
            let mut crc = Crc64::new();
            crc.update(&c);
            p.file(&h.name, h.size, (h.size > 0).then(|| crc.sum()))
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
