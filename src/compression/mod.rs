//! Layer compression: recognising a format by its first bytes, and streaming (de)compressors.
//!
//! Everything here is synchronous and pushes bytes from a reader into a writer; the copy
//! engine runs it on blocking threads. Compressing is the slowest step of a conversion, so
//! gzip is written by several threads at once ([`gzip::ParallelGzipWriter`], pigz-style, one
//! gzip member) and zstd uses libzstd's own worker threads. Memory stays bounded by a few
//! blocks per stream whatever the blob size. zstd:chunked ([`zstd_chunked`]) parses the tar
//! as it streams, to give each file its own frames and describe them in a table of contents.

pub mod gzip;
pub mod zstd_chunked;

use std::collections::BTreeMap;
use std::io::{self, BufReader, Read, Write};

use anyhow::{Result, bail};

/// The compression formats c/image knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Gzip,
    Zstd,
    /// zstd with c/storage's table of contents (partial pulls).
    ZstdChunked,
    Bzip2,
    Xz,
}

/// Bytes that identify a compressed stream (as c/image looks for them).
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b, 0x08];
const BZIP2_MAGIC: &[u8] = b"BZh";
const XZ_MAGIC: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0x00];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// How many leading bytes [`Algorithm::detect`] needs.
pub const MAGIC_LEN: usize = 8;

impl Algorithm {
    /// The name users pass to `--dest-compress-format` and c/image records.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Gzip => "gzip",
            Algorithm::Zstd => "zstd",
            Algorithm::ZstdChunked => "zstd:chunked",
            Algorithm::Bzip2 => "bzip2",
            Algorithm::Xz => "xz",
        }
    }

    /// The name that selects a layer media type: zstd:chunked layers are zstd layers.
    pub fn mime_name(self) -> &'static str {
        match self {
            Algorithm::ZstdChunked => "zstd",
            other => other.name(),
        }
    }

    /// `--dest-compress-format` values, with c/image's error for unknown ones. (skopeo 1.9.3
    /// does not offer xz here, though it reads xz layers.)
    pub fn by_name(name: &str) -> Result<Algorithm> {
        Ok(match name {
            "gzip" => Algorithm::Gzip,
            "zstd" => Algorithm::Zstd,
            "zstd:chunked" => Algorithm::ZstdChunked,
            "bzip2" => Algorithm::Bzip2,
            _ => bail!("cannot find compressor for {name:?}"),
        })
    }

    /// The format of a stream starting with `prefix`, by its bytes alone (never by a media
    /// type). zstd:chunked streams are zstd streams.
    pub fn detect(prefix: &[u8]) -> Option<Algorithm> {
        [
            (GZIP_MAGIC, Algorithm::Gzip),
            (BZIP2_MAGIC, Algorithm::Bzip2),
            (XZ_MAGIC, Algorithm::Xz),
            (ZSTD_MAGIC, Algorithm::Zstd),
        ]
        .into_iter()
        .find(|(magic, _)| prefix.starts_with(magic))
        .map(|(_, a)| a)
    }
}

/// Compression settings from `--dest-compress-format` / `--dest-compress-level`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub format: Option<Algorithm>,
    pub level: Option<i32>,
    /// `--dest-force-compress-format`: layers must end up in `format` (no reuse of blobs
    /// compressed otherwise).
    pub force: bool,
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// Checks that `level` is usable with `algo` before any byte moves.
pub fn check_level(algo: Algorithm, level: Option<i32>) -> io::Result<()> {
    match (algo, level) {
        (_, None) => Ok(()),
        (Algorithm::Gzip, Some(l)) if !(-1..=9).contains(&l) => {
            Err(invalid(format!("gzip: invalid compression level: {l}")))
        }
        _ => Ok(()),
    }
}

/// Writes the decompressed form of `input` (compressed with `algo`) to `out`.
/// Returns the number of decompressed bytes.
pub fn decompress(algo: Algorithm, input: &mut dyn Read, out: &mut dyn Write) -> io::Result<u64> {
    let buffered = BufReader::with_capacity(1 << 16, input);
    match algo {
        Algorithm::Gzip => io::copy(&mut flate2::bufread::MultiGzDecoder::new(buffered), out),
        Algorithm::Zstd | Algorithm::ZstdChunked => {
            let mut d = zstd::stream::read::Decoder::with_buffer(buffered)?;
            io::copy(&mut d, out)
        }
        Algorithm::Bzip2 => io::copy(&mut bzip2::bufread::MultiBzDecoder::new(buffered), out),
        Algorithm::Xz => {
            let mut counting = CountingWriter { inner: out, n: 0 };
            let mut buffered = buffered;
            lzma_rs::xz_decompress(&mut buffered, &mut counting).map_err(|e| match e {
                lzma_rs::error::Error::IoError(e) => e,
                other => io::Error::new(io::ErrorKind::InvalidData, format!("xz: {other}")),
            })?;
            Ok(counting.n)
        }
    }
}

/// Calls `consume` with a reader of the decompressed form of `input` (compressed with
/// `algo`), for consumers that pull (a tar extractor). xz has no pull decoder here, so it is
/// decoded on a second thread into a pipe.
pub fn read_decompressed<T>(
    algo: Algorithm,
    input: &mut (dyn Read + Send),
    consume: impl FnOnce(&mut dyn Read) -> Result<T>,
) -> Result<T> {
    match algo {
        Algorithm::Gzip => consume(&mut flate2::read::MultiGzDecoder::new(input)),
        Algorithm::Zstd | Algorithm::ZstdChunked => {
            consume(&mut zstd::stream::read::Decoder::new(input)?)
        }
        Algorithm::Bzip2 => consume(&mut bzip2::read::MultiBzDecoder::new(input)),
        Algorithm::Xz => {
            let (mut reader, writer) = io::pipe()?;
            std::thread::scope(|scope| {
                let decoder = scope.spawn(move || {
                    let mut writer = io::BufWriter::with_capacity(1 << 16, writer);
                    decompress(Algorithm::Xz, input, &mut writer)?;
                    writer.flush()
                });
                let consumed = consume(&mut reader);
                // The decoder stops with a broken pipe when the consumer gave up early.
                drop(reader);
                let decoded = decoder
                    .join()
                    .map_err(|_| anyhow::anyhow!("xz decoder thread panicked"))?;
                let value = consumed?;
                decoded?;
                Ok(value)
            })
        }
    }
}

/// Annotations a compressor asks for on the layer's descriptor (zstd:chunked's TOC position).
pub type Annotations = BTreeMap<String, String>;

/// Writes `input` compressed with `algo` to `out`; returns the annotations the layer needs
/// (none but for zstd:chunked).
pub fn compress(
    algo: Algorithm,
    level: Option<i32>,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> io::Result<Annotations> {
    check_level(algo, level)?;
    match algo {
        Algorithm::ZstdChunked => {
            zstd_chunked::compress(level.unwrap_or(ZSTD_DEFAULT_LEVEL), input, out)
        }
        other => compress_plain(other, level, input, out).map(|()| Annotations::new()),
    }
}

fn compress_plain(
    algo: Algorithm,
    level: Option<i32>,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> io::Result<()> {
    match algo {
        Algorithm::Gzip => {
            let level = match level {
                None | Some(-1) => gzip::DEFAULT_LEVEL,
                Some(l) => l as u32,
            };
            let mut w = gzip::ParallelGzipWriter::new(out, level);
            io::copy(input, &mut w)?;
            w.finish()?;
            Ok(())
        }
        Algorithm::Zstd => {
            let level = level.unwrap_or(ZSTD_DEFAULT_LEVEL);
            let mut enc = zstd::stream::write::Encoder::new(out, level)?;
            enc.include_checksum(true)?;
            let workers = worker_threads();
            if workers > 1 {
                enc.multithread(workers as u32)?;
                // Small jobs keep each stream's buffers to a few MiB (libzstd's default
                // job is several windows long), so parallel layers stay light.
                enc.set_parameter(zstd::stream::raw::CParameter::JobSize(ZSTD_JOB_SIZE))?;
            }
            io::copy(input, &mut enc)?;
            enc.finish()?;
            Ok(())
        }
        Algorithm::ZstdChunked => Err(io::Error::other(
            "Internal error: zstd:chunked is written by its own writer",
        )),
        Algorithm::Bzip2 => Err(invalid("bzip2 compression not supported".into())),
        Algorithm::Xz => {
            let mut buffered = BufReader::with_capacity(1 << 16, input);
            lzma_rs::xz_compress(&mut buffered, &mut { out })
        }
    }
}

/// libzstd level used when none is given (close to what c/image's default encoder does).
pub const ZSTD_DEFAULT_LEVEL: i32 = 3;
/// Input bytes per libzstd worker job.
const ZSTD_JOB_SIZE: u32 = 1 << 20;

/// How many threads one compression stream may use.
pub fn worker_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Passes writes on to `inner`, counting the bytes.
pub(crate) struct CountingWriter<W> {
    pub inner: W,
    pub n: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Deterministic bytes that look random (xorshift), for tests.
#[cfg(test)]
pub(crate) fn noise(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[cfg(test)]
mod tests;
