//! Writing zstd:chunked layers, as c/storage at skopeo HEAD lays them out:
//!
//! ```text
//!  zstd frame: tar headers (and padding) up to the first file with content
//!  zstd frame(s): that file's content, one frame per chunk (see chunker.rs)
//!  zstd frame: the next headers …                      … the end-of-archive blocks
//!  skippable frame: the table of contents, zstd-compressed JSON (toc.rs)
//!  skippable frame: the layer's tar-split (zstd-compressed JSON lines, go/tarsplit.rs)
//!  skippable frame: footer — TOC offset, compressed and uncompressed length, type 1,
//!                   tar-split offset, compressed and uncompressed length, "GnUlInUx"
//! ```
//! A plain zstd decoder reads the whole as the original tar (skippable frames are skipped),
//! while a partial puller can fetch the TOC and then any file's frames by range, and rebuild
//! the exact tar from the tar-split. The layer's descriptor carries the TOC's digest and the
//! positions of the TOC and the tar-split as annotations; the TOC carries the tar-split's
//! digest.
//!
//! skopeo 1.9.3 (c/storage 1.43) wrote an older layout: `io.containers.` annotation names, no
//! tar-split, a 40-byte footer. [`Footer::parse`] reads both.
//!
//! The tar is parsed as it streams by; memory holds one buffer, the TOC entries (one per
//! member and per further chunk of a file) and the compressed tar-split (headers only, as
//! c/storage holds them), never a file's content.

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
use crate::go::tarsplit::{self, CRC64, Packer};

/// The digest of the compressed TOC (what c/storage checks after fetching it).
pub const CHECKSUM_ANNOTATION: &str = "io.github.containers.zstd-chunked.manifest-checksum";
/// `offset:compressed length:uncompressed length:type` of the TOC.
pub const POSITION_ANNOTATION: &str = "io.github.containers.zstd-chunked.manifest-position";
/// `offset:compressed length:uncompressed length` of the tar-split.
pub const TARSPLIT_POSITION_ANNOTATION: &str =
    "io.github.containers.zstd-chunked.tarsplit-position";

const SKIPPABLE_MAGIC: u32 = 0x184D_2A50;
const FOOTER_MAGIC: &[u8; 8] = b"GnUlInUx";
/// The TOC format c/storage calls "CRFS".
const TOC_TYPE: u64 = 1;
/// The footer frame: skippable header, seven little-endian u64, magic.
pub const FOOTER_LEN: usize = 8 + 7 * 8 + 8;
/// The footer frame skopeo 1.9.3 wrote: four u64 (no tar-split), magic.
const LEGACY_FOOTER_LEN: usize = 8 + 4 * 8 + 8;

/// Where a skippable frame's payload is: its offset and its compressed and uncompressed
/// lengths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extent {
    pub offset: u64,
    pub length: u64,
    pub uncompressed_length: u64,
}

/// Where the TOC and the tar-split are, as the footer and the annotations say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footer {
    pub toc: Extent,
    pub toc_type: u64,
    /// `None` in the layout skopeo 1.9.3 wrote.
    pub tar_split: Option<Extent>,
}

impl Footer {
    fn to_bytes(self) -> [u8; FOOTER_LEN] {
        let mut b = [0u8; FOOTER_LEN];
        b[..4].copy_from_slice(&SKIPPABLE_MAGIC.to_le_bytes());
        b[4..8].copy_from_slice(&((FOOTER_LEN - 8) as u32).to_le_bytes());
        let ts = self.tar_split.unwrap_or(Extent {
            offset: 0,
            length: 0,
            uncompressed_length: 0,
        });
        let fields = [
            self.toc.offset,
            self.toc.length,
            self.toc.uncompressed_length,
            self.toc_type,
            ts.offset,
            ts.length,
            ts.uncompressed_length,
        ];
        for (i, f) in fields.iter().enumerate() {
            b[8 + 8 * i..16 + 8 * i].copy_from_slice(&f.to_le_bytes());
        }
        b[FOOTER_LEN - 8..].copy_from_slice(FOOTER_MAGIC);
        b
    }

    /// Reads the footer at the end of a layer, in HEAD's layout or 1.9.3's (`None` when it
    /// is not a zstd:chunked layer).
    pub fn parse(tail: &[u8]) -> Option<Footer> {
        Self::parse_sized(tail, FOOTER_LEN).or_else(|| Self::parse_sized(tail, LEGACY_FOOTER_LEN))
    }

    fn parse_sized(tail: &[u8], len: usize) -> Option<Footer> {
        let b = tail.get(tail.len().checked_sub(len)?..)?;
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap_or_default());
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
        if u32_at(0) != SKIPPABLE_MAGIC
            || u32_at(4) as usize != len - 8
            || &b[len - 8..] != FOOTER_MAGIC
        {
            return None;
        }
        let extent = |at: usize| Extent {
            offset: u64_at(at),
            length: u64_at(at + 8),
            uncompressed_length: u64_at(at + 16),
        };
        Some(Footer {
            toc: extent(8),
            toc_type: u64_at(32),
            tar_split: (len == FOOTER_LEN).then(|| extent(40)),
        })
    }

    /// The manifest-position annotation's value.
    pub fn position(&self) -> String {
        let t = self.toc;
        format!(
            "{}:{}:{}:{}",
            t.offset, t.length, t.uncompressed_length, self.toc_type
        )
    }

    /// The tarsplit-position annotation's value (`None` in 1.9.3's layout).
    pub fn tar_split_position(&self) -> Option<String> {
        self.tar_split
            .map(|t| format!("{}:{}:{}", t.offset, t.length, t.uncompressed_length))
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
    let mut split = TarSplit::new(level)?;
    let mut tar = TarReader::new(input);
    let mut entries: Vec<Entry> = Vec::new();
    let mut buf = vec![0u8; 256 << 10];
    while let Some(h) = tar.next_header()? {
        // The header bytes (and the previous member's padding) go out as they were read.
        let raw = tar.take_raw();
        frames.write(&raw)?;
        split.segment(&raw)?;
        toc::kind(h.typeflag)?;
        let len = h.data_len();
        let content = if len > 0 {
            Some(write_content(&mut tar, &mut frames, len, &mut buf)?)
        } else {
            None
        };
        // tar-split checksums whatever the member's size promises (an empty read for types
        // without content).
        let crc = (h.size > 0).then(|| {
            content
                .as_ref()
                .map_or(CRC64.checksum(b"").to_be_bytes(), |c| c.crc)
        });
        split.file(&h.name, h.size, crc)?;
        let described = content
            .as_ref()
            .map(|c| (c.digest.clone(), c.start, c.end, c.chunks.as_slice()));
        entries.extend(toc::member(&h, described)?);
    }
    // The end-of-archive blocks and whatever follows them are kept as they are, so the
    // layer decompresses to the very bytes it was made of.
    let raw = tar.take_raw();
    frames.write(&raw)?;
    split.segment(&raw)?;
    let mut rest = tar.into_inner();
    tarsplit::pack_trailer(&mut split.packer, &mut rest, |piece| frames.write(piece))
        .map_err(io::Error::other)?;
    frames.end_frame()?;
    write_metadata(&mut frames, &entries, split.finish()?, level)
}

/// The layer's tar-split as it streams by: zstd-compressed JSON lines, kept in memory until
/// the end (they hold headers, never contents).
struct TarSplit {
    packer: Packer<super::CountingWriter<zstd::stream::write::Encoder<'static, Vec<u8>>>>,
}

/// The finished tar-split: compressed bytes and uncompressed length.
struct TarSplitData {
    compressed: Vec<u8>,
    uncompressed_length: u64,
}

impl TarSplit {
    fn new(level: i32) -> io::Result<Self> {
        let mut enc = zstd::stream::write::Encoder::new(Vec::new(), level)?;
        enc.include_checksum(true)?;
        Ok(TarSplit {
            packer: Packer::new(super::CountingWriter { inner: enc, n: 0 }),
        })
    }

    fn segment(&mut self, raw: &[u8]) -> io::Result<()> {
        if raw.is_empty() {
            return Ok(());
        }
        self.packer.segment(raw).map_err(io::Error::other)
    }

    fn file(&mut self, name: &[u8], size: i64, crc: Option<[u8; 8]>) -> io::Result<()> {
        self.packer
            .file(name, size, crc)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
    }

    fn finish(self) -> io::Result<TarSplitData> {
        let counted = self.packer.into_inner();
        Ok(TarSplitData {
            uncompressed_length: counted.n,
            compressed: counted.inner.finish()?,
        })
    }
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

/// A regular file's content as written: its digest and CRC, the extent of its frames, its
/// chunks.
struct Content {
    digest: String,
    crc: [u8; 8],
    start: u64,
    end: u64,
    chunks: Vec<Chunk>,
}

/// One regular file's content, in frames of one chunk each.
fn write_content(
    tar: &mut TarReader<&mut dyn Read>,
    frames: &mut Frames,
    len: u64,
    buf: &mut [u8],
) -> io::Result<Content> {
    let start = frames.end_frame()?;
    let mut sink = ContentSink {
        frames,
        file: sha256(),
        crc: CRC64.digest(),
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
    Ok(Content {
        digest: sink.file.finish().to_string(),
        crc: sink.crc.finalize().to_be_bytes(),
        start,
        end,
        chunks: sink.chunks,
    })
}

fn sha256() -> Hasher {
    Hasher::new(DigestAlgorithm::Sha256)
}

/// Hashes a file's content and closes a frame at each chunk end.
struct ContentSink<'f, 'o> {
    frames: &'f mut Frames<'o>,
    file: Hasher,
    /// tar-split's checksum of the content.
    crc: crc::Digest<'static, u64, crc::Table<16>>,
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
        self.crc.update(bytes);
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

/// The TOC (zstd-compressed JSON) and the tar-split in skippable frames, then the footer;
/// returns the layer's annotations.
fn write_metadata(
    frames: &mut Frames,
    entries: &[Entry],
    split: TarSplitData,
    level: i32,
) -> io::Result<BTreeMap<String, String>> {
    let tar_split_digest = crate::digest::Digest::sha256_of(&split.compressed).to_string();
    let (toc, toc_length) = compressed_toc(entries, &tar_split_digest, level)?;
    let toc_extent = frames.skippable(&toc, toc_length)?;
    let tar_split = frames.skippable(&split.compressed, split.uncompressed_length)?;
    let footer = Footer {
        toc: toc_extent,
        toc_type: TOC_TYPE,
        tar_split: Some(tar_split),
    };
    frames.raw(&footer.to_bytes())?;
    frames.out.flush()?;
    Ok(BTreeMap::from([
        (
            CHECKSUM_ANNOTATION.to_string(),
            crate::digest::Digest::sha256_of(&toc).to_string(),
        ),
        (POSITION_ANNOTATION.to_string(), footer.position()),
        (
            TARSPLIT_POSITION_ANNOTATION.to_string(),
            footer.tar_split_position().unwrap_or_default(),
        ),
    ]))
}

/// The TOC as Go's encoder writes it, zstd-compressed; with its uncompressed length.
fn compressed_toc(
    entries: &[Entry],
    tar_split_digest: &str,
    level: i32,
) -> io::Result<(Vec<u8>, u64)> {
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
            tar_split_digest,
        },
        &mut ser,
    )
    .map_err(io::Error::other)?;
    let uncompressed_length = counted.n;
    Ok((enc.finish()?, uncompressed_length))
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

    /// `payload` in a skippable frame; returns where the payload sits.
    fn skippable(&mut self, payload: &[u8], uncompressed_length: u64) -> io::Result<Extent> {
        let frame_len = u32::try_from(payload.len())
            .map_err(|_| io::Error::other("zstd:chunked: metadata frame too large"))?;
        let mut header = [0u8; 8];
        header[..4].copy_from_slice(&SKIPPABLE_MAGIC.to_le_bytes());
        header[4..].copy_from_slice(&frame_len.to_le_bytes());
        self.raw(&header)?;
        let offset = self.offset;
        self.raw(payload)?;
        Ok(Extent {
            offset,
            length: payload.len() as u64,
            uncompressed_length,
        })
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
