//! Writing zstd:chunked layers, as c/storage (skopeo 1.9.3) lays them out:
//!
//! ```text
//!  zstd frame: tar headers (and padding) up to the first file with content
//!  zstd frame(s): that file's content, one frame per chunk (see chunker.rs)
//!  zstd frame: the next headers …                      … the end-of-archive blocks
//!  skippable frame: the table of contents, zstd-compressed JSON (toc.rs)
//!  skippable frame: footer — TOC offset, compressed and uncompressed length, type 1,
//!                   "GnUlInUx"
//! ```
//! A plain zstd decoder reads the whole as the original tar (skippable frames are skipped),
//! while a partial puller can fetch the TOC and then any file's frames by range. The layer's
//! descriptor carries the TOC's digest and position as annotations.
//!
//! The tar is parsed as it streams by; memory holds one buffer and the TOC entries (one per
//! member and per further chunk of a file), never a file's content.

mod chunker;
mod toc;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use zstd::stream::raw::{CParameter, Encoder, InBuffer, Operation, OutBuffer};

use self::chunker::{ChunkSink, Chunker};
use self::toc::{Chunk, Entry, Toc};
use crate::digest::{Algorithm as DigestAlgorithm, Hasher};
use crate::go::tar::TarReader;

/// The digest of the compressed TOC (what c/storage checks after fetching it).
pub const CHECKSUM_ANNOTATION: &str = "io.containers.zstd-chunked.manifest-checksum";
/// `offset:compressed length:uncompressed length:type` of the TOC.
pub const POSITION_ANNOTATION: &str = "io.containers.zstd-chunked.manifest-position";

const SKIPPABLE_MAGIC: u32 = 0x184D_2A50;
const FOOTER_MAGIC: &[u8; 8] = b"GnUlInUx";
/// The TOC format c/storage calls "CRFS".
const TOC_TYPE: u64 = 1;
/// The footer frame: skippable header, four little-endian u64, magic.
pub const FOOTER_LEN: usize = 8 + 4 * 8 + 8;

/// Where the TOC is, as the footer and the position annotation say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footer {
    pub offset: u64,
    pub length: u64,
    pub uncompressed_length: u64,
    pub toc_type: u64,
}

impl Footer {
    fn to_bytes(self) -> [u8; FOOTER_LEN] {
        let mut b = [0u8; FOOTER_LEN];
        b[..4].copy_from_slice(&SKIPPABLE_MAGIC.to_le_bytes());
        b[4..8].copy_from_slice(&((FOOTER_LEN - 8) as u32).to_le_bytes());
        let fields = [
            self.offset,
            self.length,
            self.uncompressed_length,
            self.toc_type,
        ];
        for (i, f) in fields.iter().enumerate() {
            b[8 + 8 * i..16 + 8 * i].copy_from_slice(&f.to_le_bytes());
        }
        b[40..].copy_from_slice(FOOTER_MAGIC);
        b
    }

    /// Reads the footer at the end of a layer (`None` when it is not a zstd:chunked one).
    pub fn parse(tail: &[u8]) -> Option<Footer> {
        let b = tail.get(tail.len().checked_sub(FOOTER_LEN)?..)?;
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap_or_default());
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
        if u32_at(0) != SKIPPABLE_MAGIC
            || u32_at(4) as usize != FOOTER_LEN - 8
            || &b[40..] != FOOTER_MAGIC
        {
            return None;
        }
        Some(Footer {
            offset: u64_at(8),
            length: u64_at(16),
            uncompressed_length: u64_at(24),
            toc_type: u64_at(32),
        })
    }

    /// The manifest-position annotation's value.
    pub fn position(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.offset, self.length, self.uncompressed_length, self.toc_type
        )
    }
}

/// Compresses the tar `input` into `out` as zstd:chunked; returns the annotations the
/// layer's descriptor must carry.
pub fn compress(
    level: i32,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> io::Result<BTreeMap<String, String>> {
    let mut frames = Frames::new(out, level)?;
    let mut tar = TarReader::new(input);
    let mut entries: Vec<Entry> = Vec::new();
    let mut buf = vec![0u8; 256 << 10];
    while let Some(h) = tar.next_header()? {
        // The header bytes (and the previous member's padding) go out as they were read.
        frames.write(&tar.take_raw())?;
        toc::kind(h.typeflag)?;
        let len = h.data_len();
        let content = if len > 0 {
            Some(write_content(&mut tar, &mut frames, len, &mut buf)?)
        } else {
            None
        };
        let described = content
            .as_ref()
            .map(|(d, start, end, chunks)| (d.clone(), *start, *end, chunks.as_slice()));
        entries.extend(toc::member(&h, described)?);
    }
    // The end-of-archive blocks and whatever follows them are kept as they are, so the
    // layer decompresses to the very bytes it was made of.
    frames.write(&tar.take_raw())?;
    let rest = tar.into_inner();
    loop {
        let n = rest.read(&mut buf)?;
        if n == 0 {
            break;
        }
        frames.write(&buf[..n])?;
    }
    frames.end_frame()?;
    write_toc(&mut frames, &entries, level)
}

/// Fuzzing entry point: every header of the tar `input` as the Go-compatible reader reads
/// it, turned into its TOC entries, with the data skipped as `compress` reads it.
#[doc(hidden)]
pub fn fuzz_tar_headers(mut input: &[u8]) {
    let mut tar = TarReader::new(&mut input as &mut dyn Read);
    let mut buf = [0u8; 4096];
    while let Ok(Some(h)) = tar.next_header() {
        tar.take_raw();
        let len = h.data_len();
        let content = (len > 0).then(|| (String::new(), 0, 0, &[][..]));
        if toc::member(&h, content).is_err() {
            return;
        }
        // Read the content as `compress` does; the padding is skipped by the reader.
        let mut left = len;
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            if tar.read_exact(&mut buf[..n]).is_err() {
                return;
            }
            left -= n as u64;
        }
    }
}

/// One regular file's content, in frames of one chunk each. Returns its digest, the extent
/// of its frames and its chunks.
fn write_content(
    tar: &mut TarReader<&mut dyn Read>,
    frames: &mut Frames,
    len: u64,
    buf: &mut [u8],
) -> io::Result<(String, u64, u64, Vec<Chunk>)> {
    let start = frames.end_frame()?;
    let mut sink = ContentSink {
        frames,
        file: sha256(),
        chunk: sha256(),
        chunks: Vec::new(),
        chunk_start: start,
        pos: 0,
        chunk_pos: 0,
    };
    let mut chunker = Chunker::new();
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        tar.read_exact(&mut buf[..n])?;
        chunker.feed(&buf[..n], &mut sink)?;
        left -= n as u64;
    }
    chunker.finish(&mut sink)?;
    let end = sink.frames.end_frame()?;
    Ok((sink.file.finish().to_string(), start, end, sink.chunks))
}

fn sha256() -> Hasher {
    Hasher::new(DigestAlgorithm::Sha256)
}

/// Hashes a file's content and closes a frame at each chunk end.
struct ContentSink<'f, 'o> {
    frames: &'f mut Frames<'o>,
    file: Hasher,
    chunk: Hasher,
    chunks: Vec<Chunk>,
    /// Where the current chunk's frame starts (compressed) and the chunk (in the file).
    chunk_start: u64,
    chunk_pos: u64,
    pos: u64,
}

impl ChunkSink for ContentSink<'_, '_> {
    fn data(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.update(bytes);
        self.chunk.update(bytes);
        self.pos += bytes.len() as u64;
        self.frames.write(bytes)
    }

    fn end_chunk(&mut self, zeros: bool) -> io::Result<()> {
        let next = self.frames.end_frame()?;
        let digest = std::mem::replace(&mut self.chunk, sha256()).finish();
        self.chunks.push(Chunk {
            offset: self.chunk_start,
            chunk_offset: self.chunk_pos,
            size: self.pos - self.chunk_pos,
            digest: digest.to_string(),
            zeros,
        });
        self.chunk_start = next;
        self.chunk_pos = self.pos;
        Ok(())
    }
}

/// The TOC (zstd-compressed JSON) in a skippable frame, then the footer.
fn write_toc(
    frames: &mut Frames,
    entries: &[Entry],
    level: i32,
) -> io::Result<BTreeMap<String, String>> {
    let mut enc = zstd::stream::write::Encoder::new(Vec::new(), level)?;
    enc.include_checksum(true)?;
    let mut counted = super::CountingWriter {
        inner: &mut enc,
        n: 0,
    };
    let mut ser = serde_json::Serializer::with_formatter(
        &mut counted,
        crate::gojson::GoFormatter::new(serde_json::ser::CompactFormatter),
    );
    serde::Serialize::serialize(
        &Toc {
            version: 1,
            entries,
        },
        &mut ser,
    )
    .map_err(io::Error::other)?;
    let uncompressed_length = counted.n;
    let compressed = enc.finish()?;
    let frame_len = u32::try_from(compressed.len())
        .map_err(|_| io::Error::other("zstd:chunked: table of contents too large"))?;
    let mut header = [0u8; 8];
    header[..4].copy_from_slice(&SKIPPABLE_MAGIC.to_le_bytes());
    header[4..].copy_from_slice(&frame_len.to_le_bytes());
    frames.raw(&header)?;
    let footer = Footer {
        offset: frames.offset,
        length: compressed.len() as u64,
        uncompressed_length,
        toc_type: TOC_TYPE,
    };
    frames.raw(&compressed)?;
    frames.raw(&footer.to_bytes())?;
    frames.out.flush()?;
    Ok(BTreeMap::from([
        (
            CHECKSUM_ANNOTATION.to_string(),
            crate::digest::Digest::sha256_of(&compressed).to_string(),
        ),
        (POSITION_ANNOTATION.to_string(), footer.position()),
    ]))
}

/// Independent zstd frames written one after another with one reused context; knows the
/// offset of every byte it writes. A frame given no input is not written at all.
struct Frames<'o> {
    out: &'o mut dyn Write,
    offset: u64,
    enc: Encoder<'static>,
    buf: Vec<u8>,
    open: bool,
}

impl<'o> Frames<'o> {
    fn new(out: &'o mut dyn Write, level: i32) -> io::Result<Self> {
        let mut enc = Encoder::new(level)?;
        enc.set_parameter(CParameter::ChecksumFlag(true))?;
        Ok(Frames {
            out,
            offset: 0,
            enc,
            buf: Vec::with_capacity(zstd::zstd_safe::CCtx::out_size()),
            open: false,
        })
    }

    fn write(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            self.open = true;
            let mut input = InBuffer::around(data);
            self.buf.clear();
            self.enc
                .run(&mut input, &mut OutBuffer::around(&mut self.buf))?;
            data = &data[input.pos()..];
            self.drain()?;
        }
        Ok(())
    }

    /// Closes the current frame; returns the offset the next one starts at.
    fn end_frame(&mut self) -> io::Result<u64> {
        if self.open {
            loop {
                self.buf.clear();
                let left = self
                    .enc
                    .finish(&mut OutBuffer::around(&mut self.buf), true)?;
                self.drain()?;
                if left == 0 {
                    break;
                }
            }
            self.enc.reinit()?;
            self.open = false;
        }
        Ok(self.offset)
    }

    /// Bytes outside any zstd frame (skippable frames).
    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.end_frame()?;
        self.out.write_all(bytes)?;
        self.offset += bytes.len() as u64;
        Ok(())
    }

    fn drain(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.offset += self.buf.len() as u64;
        Ok(())
    }
}
