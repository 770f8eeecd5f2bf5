//! A streaming tar reader that reads headers the way Go's archive/tar does, keeping every raw
//! byte that is not member content. Two consumers need exactly that: zstd:chunked writes the
//! original header bytes into its frames and describes each member in a TOC built from Go's
//! view of the header (c/storage), and containers-storage records the same bytes as
//! tar-split segments so the layer can be rebuilt bit for bit.
//!
//! [`TarReader::next_header`] skips what is left of the previous member, then reads special
//! headers (PAX, GNU long names) and the member's header; [`TarReader::take_raw`] hands back
//! everything read since the last call except content read through [`Read`].

use std::collections::BTreeMap;
use std::io::{self, Read};

pub const BLOCK: usize = 512;
/// Go refuses PAX and GNU long-name records larger than this; it also bounds memory.
const MAX_SPECIAL: u64 = 1 << 20;

pub const TYPE_REG: u8 = b'0';
pub const TYPE_LINK: u8 = b'1';
pub const TYPE_SYMLINK: u8 = b'2';
pub const TYPE_CHAR: u8 = b'3';
pub const TYPE_BLOCK: u8 = b'4';
pub const TYPE_DIR: u8 = b'5';
pub const TYPE_FIFO: u8 = b'6';
pub const TYPE_CONT: u8 = b'7';
pub const TYPE_GLOBAL: u8 = b'g';
pub const TYPE_SPARSE: u8 = b'S';

/// A time as Go's `time.Unix(secs, nanos)` holds it (for times before 1970 with a fraction,
/// `nanos` is negative, as Go's PAX parser passes it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnixTime {
    pub secs: i64,
    pub nanos: i64,
}

impl UnixTime {
    /// Seconds and a nanosecond part in `0..1e9`, as Go normalises a `time.Time`.
    pub fn normalized(self) -> (i64, u32) {
        if self.nanos < 0 {
            (self.secs - 1, (self.nanos + 1_000_000_000) as u32)
        } else {
            (self.secs, self.nanos as u32)
        }
    }
}

/// One archive member as Go's tar reader reports it (PAX and GNU extensions applied).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub typeflag: u8,
    pub name: Vec<u8>,
    pub link_name: Vec<u8>,
    pub mode: i64,
    pub uid: i64,
    pub gid: i64,
    /// The size field (PAX `size` applied), whatever the type.
    pub size: i64,
    pub mtime: UnixTime,
    pub atime: Option<UnixTime>,
    pub ctime: Option<UnixTime>,
    pub dev_major: i64,
    pub dev_minor: i64,
    /// `SCHILY.xattr.*` records (a map, as in Go: the last record of a name wins).
    pub xattrs: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl Header {
    /// Types whose size field announces no data in the archive (Go reads none for links,
    /// devices, dirs, fifos, whatever their size says).
    pub fn is_header_only(&self) -> bool {
        (TYPE_LINK..=TYPE_FIFO).contains(&self.typeflag)
    }

    /// Bytes of data that follow the header.
    pub fn data_len(&self) -> u64 {
        if self.is_header_only() {
            0
        } else {
            self.size as u64
        }
    }
}

pub fn invalid_header() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "archive/tar: invalid tar header",
    )
}

fn unexpected_eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "unexpected EOF")
}

/// Reads an archive header by header, collecting the raw bytes between member contents.
pub struct TarReader<R> {
    input: R,
    raw: Vec<u8>,
    /// Content bytes of the current member not yet read, and its padding.
    remaining: u64,
    pad: u64,
    done: bool,
}

impl<R: Read> TarReader<R> {
    pub fn new(input: R) -> Self {
        TarReader {
            input,
            raw: Vec::with_capacity(4 * BLOCK),
            remaining: 0,
            pad: 0,
            done: false,
        }
    }

    /// The raw bytes read since the last call (headers, padding, unread content, the end
    /// marker).
    pub fn take_raw(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.raw)
    }

    /// The input, positioned after the end-of-archive marker once `next_header` said `None`.
    pub fn into_inner(self) -> R {
        self.input
    }

    /// Fills `buf` whole, into `raw`; `Ok(false)` at a clean end of input before the first
    /// byte.
    fn read_block(&mut self, buf: &mut [u8; BLOCK]) -> io::Result<bool> {
        let mut got = 0;
        while got < BLOCK {
            match self.input.read(&mut buf[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => return Err(unexpected_eof()),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.raw.extend_from_slice(buf);
        Ok(true)
    }

    /// Reads `n` bytes into `raw`, in pieces (the size comes from the archive).
    fn read_raw(&mut self, mut n: u64) -> io::Result<()> {
        while n > 0 {
            let piece = n.min(1 << 20) as usize;
            let start = self.raw.len();
            self.raw.resize(start + piece, 0);
            self.input
                .read_exact(&mut self.raw[start..])
                .map_err(|e| match e.kind() {
                    io::ErrorKind::UnexpectedEof => unexpected_eof(),
                    _ => e,
                })?;
            n -= piece as u64;
        }
        Ok(())
    }

    /// Skips what is left of the current member's content (into `raw`) and its padding.
    fn finish_member(&mut self) -> io::Result<()> {
        let left = std::mem::take(&mut self.remaining) + std::mem::take(&mut self.pad);
        self.read_raw(left)
    }

    /// The next member's header, or `None` at the end of the archive (two zero blocks, or
    /// the end of input between members, which Go accepts).
    pub fn next_header(&mut self) -> io::Result<Option<Header>> {
        if self.done {
            return Ok(None);
        }
        self.finish_member()?;
        let mut pax: Option<BTreeMap<Vec<u8>, Vec<u8>>> = None;
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        let mut block = [0u8; BLOCK];
        loop {
            if !self.read_block(&mut block)? {
                self.done = true;
                return Ok(None);
            }
            if block.iter().all(|&b| b == 0) {
                // The end marker is two zero blocks; a lone one followed by more is not.
                self.done = true;
                if !self.read_block(&mut block)? || block.iter().all(|&b| b == 0) {
                    return Ok(None);
                }
                return Err(invalid_header());
            }
            let format = format_of(&block).ok_or_else(invalid_header)?;
            let typeflag = block[156];
            if let b'x' | b'L' | b'K' = typeflag {
                let data = self.read_special(&block)?;
                match typeflag {
                    b'x' => pax = Some(parse_pax(&data)?),
                    b'L' => long_name = Some(c_string(&data).to_vec()),
                    _ => long_link = Some(c_string(&data).to_vec()),
                }
                continue;
            }
            let mut h = parse_block(&block, format)?;
            if let Some(records) = &pax {
                merge_pax(&mut h, records)?;
            }
            if let Some(n) = long_name {
                h.name = n;
            }
            if let Some(l) = long_link {
                h.link_name = l;
            }
            if h.typeflag == 0 {
                // Old archives mark directories by a trailing slash alone.
                h.typeflag = if h.name.ends_with(b"/") {
                    TYPE_DIR
                } else {
                    TYPE_REG
                };
            }
            if !h.is_header_only() && h.size < 0 {
                return Err(invalid_header());
            }
            self.remaining = h.data_len();
            self.pad = self.remaining.next_multiple_of(BLOCK as u64) - self.remaining;
            return Ok(Some(h));
        }
    }

    /// The data of a PAX or GNU long-name member (it and its padding go to `raw`).
    fn read_special(&mut self, block: &[u8; BLOCK]) -> io::Result<Vec<u8>> {
        let size = numeric(&block[124..136])?;
        if size < 0 {
            return Err(invalid_header());
        }
        if size as u64 > MAX_SPECIAL {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "archive/tar: header field too long",
            ));
        }
        let start = self.raw.len();
        self.read_raw((size as u64).next_multiple_of(BLOCK as u64))?;
        Ok(self.raw[start..start + size as usize].to_vec())
    }
}

impl<R: Read> Read for TarReader<R> {
    /// Reads the current member's content (not counted as raw bytes).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(self.remaining.min(usize::MAX as u64) as usize);
        let n = self.input.read(&mut buf[..want])?;
        if n == 0 {
            return Err(unexpected_eof());
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    V7,
    Ustar,
    Gnu,
    Star,
}

/// The header format, or `None` when the checksum is wrong (Go accepts the unsigned and the
/// signed sum, the checksum field counted as spaces).
fn format_of(block: &[u8; BLOCK]) -> Option<Format> {
    let stored = octal(&block[148..156]).ok()?;
    let (mut unsigned, mut signed) = (0i64, 0i64);
    for (i, &b) in block.iter().enumerate() {
        let b = if (148..156).contains(&i) { b' ' } else { b };
        unsigned += i64::from(b);
        signed += i64::from(b as i8);
    }
    if stored != unsigned && stored != signed {
        return None;
    }
    let magic = &block[257..263];
    let version = &block[263..265];
    Some(if magic == b"ustar\0" && &block[508..512] == b"tar\0" {
        Format::Star
    } else if magic == b"ustar\0" {
        Format::Ustar
    } else if magic == b"ustar " && version == b" \0" {
        Format::Gnu
    } else {
        Format::V7
    })
}

fn parse_block(b: &[u8; BLOCK], format: Format) -> io::Result<Header> {
    let mut h = Header {
        typeflag: b[156],
        name: c_string(&b[0..100]).to_vec(),
        link_name: c_string(&b[157..257]).to_vec(),
        mode: numeric(&b[100..108])?,
        uid: numeric(&b[108..116])?,
        gid: numeric(&b[116..124])?,
        size: numeric(&b[124..136])?,
        mtime: unix(numeric(&b[136..148])?),
        ..Header::default()
    };
    if format != Format::V7 {
        h.dev_major = numeric(&b[329..337])?;
        h.dev_minor = numeric(&b[337..345])?;
    }
    let prefix = match format {
        Format::Ustar => c_string(&b[345..500]),
        Format::Star => {
            h.atime = Some(unix(numeric(&b[476..488])?));
            h.ctime = Some(unix(numeric(&b[488..500])?));
            c_string(&b[345..476])
        }
        Format::Gnu => {
            // GNU tar fills these only in incremental mode; NUL means "not recorded".
            if b[345] != 0 {
                h.atime = Some(unix(numeric(&b[345..357])?));
            }
            if b[357] != 0 {
                h.ctime = Some(unix(numeric(&b[357..369])?));
            }
            &[]
        }
        Format::V7 => &[],
    };
    if !prefix.is_empty() {
        let mut name = prefix.to_vec();
        name.push(b'/');
        name.extend_from_slice(&h.name);
        h.name = name;
    }
    Ok(h)
}

fn unix(secs: i64) -> UnixTime {
    UnixTime { secs, nanos: 0 }
}

/// Up to the first NUL.
fn c_string(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

/// A numeric field: octal text, or base-256 when the high bit of the first byte is set.
fn numeric(b: &[u8]) -> io::Result<i64> {
    match b.first() {
        Some(&first) if first & 0x80 != 0 => base256(b),
        _ => octal(b),
    }
}

fn octal(b: &[u8]) -> io::Result<i64> {
    let trimmed = trim(b);
    let text = c_string(trimmed);
    if text.is_empty() {
        return Ok(0);
    }
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| u64::from_str_radix(s, 8).ok())
        .map(|v| v as i64)
        .ok_or_else(invalid_header)
}

fn trim(b: &[u8]) -> &[u8] {
    let pad = |c: &u8| *c == b' ' || *c == 0;
    let start = b.iter().position(|c| !pad(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !pad(c)).map_or(start, |e| e + 1);
    &b[start..end]
}

/// Two's complement big-endian, the first byte's top bit being the marker.
fn base256(b: &[u8]) -> io::Result<i64> {
    let negative = b[0] & 0x40 != 0;
    let inv: u8 = if negative { 0xff } else { 0 };
    let mut x: u64 = 0;
    for (i, &c) in b.iter().enumerate() {
        let mut c = c ^ inv;
        if i == 0 {
            c &= 0x7f;
        }
        if x >> 56 > 0 {
            return Err(invalid_header());
        }
        x = (x << 8) | u64::from(c);
    }
    if x >> 63 > 0 {
        return Err(invalid_header());
    }
    Ok(if negative { !(x as i64) } else { x as i64 })
}

/// PAX records: `"%d %s=%s\n"`, the length counting the whole record.
fn parse_pax(mut data: &[u8]) -> io::Result<BTreeMap<Vec<u8>, Vec<u8>>> {
    let mut records = BTreeMap::new();
    while !data.is_empty() {
        let sp = data
            .iter()
            .position(|&c| c == b' ')
            .ok_or_else(invalid_header)?;
        let len: usize = std::str::from_utf8(&data[..sp])
            .ok()
            .and_then(|s| s.parse().ok())
            .filter(|&n| n > sp + 1 && n <= data.len())
            .ok_or_else(invalid_header)?;
        let record = &data[sp + 1..len];
        let record = record.strip_suffix(b"\n").ok_or_else(invalid_header)?;
        let eq = record
            .iter()
            .position(|&c| c == b'=')
            .ok_or_else(invalid_header)?;
        records.insert(record[..eq].to_vec(), record[eq + 1..].to_vec());
        data = &data[len..];
    }
    Ok(records)
}

const XATTR_PREFIX: &[u8] = b"SCHILY.xattr.";

fn merge_pax(h: &mut Header, records: &BTreeMap<Vec<u8>, Vec<u8>>) -> io::Result<()> {
    for (k, v) in records {
        match k.as_slice() {
            b"path" => h.name = v.clone(),
            b"linkpath" => h.link_name = v.clone(),
            b"uid" => h.uid = decimal(v)?,
            b"gid" => h.gid = decimal(v)?,
            b"size" => h.size = decimal(v)?,
            b"mtime" => h.mtime = pax_time(v)?,
            b"atime" => h.atime = Some(pax_time(v)?),
            b"ctime" => h.ctime = Some(pax_time(v)?),
            _ => {
                if let Some(name) = k.strip_prefix(XATTR_PREFIX) {
                    h.xattrs.insert(name.to_vec(), v.clone());
                }
            }
        }
    }
    Ok(())
}

fn decimal(v: &[u8]) -> io::Result<i64> {
    std::str::from_utf8(v)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(invalid_header)
}

/// `secs[.fraction]`: the fraction is cut or padded to nanoseconds; for negative times it
/// counts back from `secs`, as Go does.
fn pax_time(v: &[u8]) -> io::Result<UnixTime> {
    let (secs, frac) = match v.iter().position(|&c| c == b'.') {
        Some(p) => (&v[..p], &v[p + 1..]),
        None => (v, &[][..]),
    };
    let s = decimal(secs)?;
    if frac.is_empty() {
        return Ok(unix(s));
    }
    if !frac.iter().all(u8::is_ascii_digit) {
        return Err(invalid_header());
    }
    let mut digits = frac[..frac.len().min(9)].to_vec();
    digits.resize(9, b'0');
    let n = decimal(&digits)?;
    let nanos = if secs.first() == Some(&b'-') { -n } else { n };
    Ok(UnixTime { secs: s, nanos })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn numbers_as_go_reads_them() {
        assert_eq!(numeric(b"0000644\0").unwrap(), 0o644);
        assert_eq!(numeric(b"  644 \0").unwrap(), 0o644);
        assert_eq!(numeric(b"\0\0\0\0").unwrap(), 0);
        assert_eq!(
            numeric(&[0x80, 0, 0, 0, 0, 0, 0x2d, 0xc6, 0xc0]).unwrap(),
            3_000_000
        );
        assert_eq!(numeric(&[0xff; 8]).unwrap(), -1);
        assert!(numeric(b"0009\0").is_err());
    }

    #[test]
    fn pax_records_and_times() {
        let r = parse_pax(b"30 mtime=1600000000.123456789\n10 uid=42\n").unwrap();
        let mut h = Header::default();
        merge_pax(&mut h, &r).unwrap();
        assert_eq!(h.uid, 42);
        assert_eq!(
            h.mtime,
            UnixTime {
                secs: 1_600_000_000,
                nanos: 123_456_789
            }
        );
        assert_eq!(pax_time(b"1.5").unwrap().nanos, 500_000_000);
        assert_eq!(
            pax_time(b"-1.25").unwrap(),
            UnixTime {
                secs: -1,
                nanos: -250_000_000
            }
        );
        assert_eq!(pax_time(b"-1.25").unwrap().normalized(), (-2, 750_000_000));
        assert!(parse_pax(b"99 path=x\n").is_err());
        assert!(parse_pax(b"9 pathx\n").is_err());
    }

    /// A GNU member with a long name and content, a ustar directory, and 1000 bytes of
    /// zeros after the end marker.
    pub(crate) fn sample_archive() -> Vec<u8> {
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
        data
    }

    #[test]
    fn raw_bytes_and_contents_rebuild_the_archive() {
        let data = sample_archive();
        let mut tr = TarReader::new(&data[..]);
        let mut rebuilt = Vec::new();
        let mut names = Vec::new();
        while let Some(h) = tr.next_header().unwrap() {
            rebuilt.extend(tr.take_raw());
            tr.read_to_end(&mut rebuilt).unwrap();
            names.push(h.name);
        }
        rebuilt.extend(tr.take_raw());
        tr.into_inner().read_to_end(&mut rebuilt).unwrap();
        assert_eq!(rebuilt, data);
        assert_eq!(names[0], ("a/very/long/".repeat(12) + "file").into_bytes());
        assert_eq!(names[1], b"dir/");
    }

    #[test]
    fn a_lone_zero_block_followed_by_more_is_refused() {
        let mut data = vec![0u8; BLOCK];
        data.extend_from_slice(&[1u8; BLOCK]);
        let mut tr = TarReader::new(&data[..]);
        assert_eq!(
            tr.next_header().unwrap_err().to_string(),
            "archive/tar: invalid tar header"
        );
    }
}
