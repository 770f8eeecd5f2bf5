//! A streaming tar reader that reads headers the way Go's archive/tar does (c/storage builds
//! its table of contents from Go's view of each header) and hands back every raw byte it
//! consumed, so the writer can put the original bytes, unchanged, into the layer.

use std::collections::BTreeMap;
use std::io::{self, Read};

pub(super) const BLOCK: usize = 512;
/// Go refuses PAX and GNU long-name records larger than this; it also bounds memory.
const MAX_SPECIAL: u64 = 1 << 20;

/// A time as Go's `time.Unix(secs, nanos)` holds it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct UnixTime {
    pub secs: i64,
    pub nanos: i64,
}

/// One archive member as Go's tar reader reports it (PAX and GNU extensions applied).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Header {
    pub typeflag: u8,
    pub name: Vec<u8>,
    pub link_name: Vec<u8>,
    pub mode: i64,
    pub uid: i64,
    pub gid: i64,
    pub size: i64,
    pub mtime: UnixTime,
    pub atime: Option<UnixTime>,
    pub ctime: Option<UnixTime>,
    pub dev_major: i64,
    pub dev_minor: i64,
    pub xattrs: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl Header {
    /// Bytes of data that follow the header (Go reads none for links, devices, dirs, fifos,
    /// whatever their size field says).
    pub fn data_len(&self) -> u64 {
        match self.typeflag {
            b'1'..=b'6' => 0,
            _ => self.size as u64,
        }
    }
}

pub(super) fn invalid_header() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "archive/tar: invalid tar header",
    )
}

fn unexpected_eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "unexpected EOF")
}

/// Reads `input` block by block; [`TarReader::next_header`] appends what it consumed to `raw`.
pub(super) struct TarReader<R> {
    input: R,
}

impl<R: Read> TarReader<R> {
    pub fn new(input: R) -> Self {
        TarReader { input }
    }

    pub fn into_inner(self) -> R {
        self.input
    }

    /// Fills `buf` whole; `Ok(false)` at a clean end of input before the first byte.
    fn read_block(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        let mut got = 0;
        while got < buf.len() {
            match self.input.read(&mut buf[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => return Err(unexpected_eof()),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Reads exactly `buf.len()` bytes of member data.
    pub fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        if !self.read_block(buf)? && !buf.is_empty() {
            return Err(unexpected_eof());
        }
        Ok(())
    }

    /// The next member's header, or `None` at the end of the archive (end marker or end of
    /// input). Every byte read, special headers and the end marker included, goes to `raw`.
    pub fn next_header(&mut self, raw: &mut Vec<u8>) -> io::Result<Option<Header>> {
        let mut pax: Option<BTreeMap<Vec<u8>, Vec<u8>>> = None;
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        loop {
            let mut block = [0u8; BLOCK];
            if !self.read_block(&mut block)? {
                // Go accepts an archive that just stops between members.
                return Ok(None);
            }
            raw.extend_from_slice(&block);
            if block.iter().all(|&b| b == 0) {
                return Ok(None);
            }
            let format = format_of(&block).ok_or_else(invalid_header)?;
            let typeflag = block[156];
            match typeflag {
                b'x' | b'L' | b'K' => {
                    let data = self.read_special(&block, raw)?;
                    match typeflag {
                        b'x' => pax = Some(parse_pax(&data)?),
                        b'L' => long_name = Some(c_string(&data).to_vec()),
                        _ => long_link = Some(c_string(&data).to_vec()),
                    }
                }
                _ => {
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
                        h.typeflag = if h.name.ends_with(b"/") { b'5' } else { b'0' };
                    }
                    if h.size < 0 {
                        return Err(invalid_header());
                    }
                    return Ok(Some(h));
                }
            }
        }
    }

    /// The data of a PAX or GNU long-name member (with its padding, into `raw`).
    fn read_special(&mut self, block: &[u8; BLOCK], raw: &mut Vec<u8>) -> io::Result<Vec<u8>> {
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
        let padded = (size as usize).div_ceil(BLOCK) * BLOCK;
        let start = raw.len();
        raw.resize(start + padded, 0);
        self.read_exact(&mut raw[start..])?;
        Ok(raw[start..start + size as usize].to_vec())
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
        mtime: UnixTime {
            secs: numeric(&b[136..148])?,
            nanos: 0,
        },
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
pub(super) mod tests {
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
        assert!(parse_pax(b"99 path=x\n").is_err());
        assert!(parse_pax(b"9 pathx\n").is_err());
    }
}
