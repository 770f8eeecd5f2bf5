//! Changing a blob while it streams: (de)compressing and computing the uncompressed digest
//! (diff ID) of a layer, on blocking threads so that the async side only moves buffers.
//!
//! ```text
//!  verified source ──▶ [tee ──▶ diff-ID thread: decompress + sha256]
//!                       └──▶ step: copy | compress | decompress | decompress ▶ compress
//!                                                                  └──▶ channel ──▶ destination
//! ```
//! Every stage holds a bounded number of buffers, so memory does not depend on blob size.

use std::io::{self, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use tokio::sync::oneshot;
use tokio_util::io::SyncIoBridge;

use crate::compression::{self, Algorithm, Annotations};
use crate::digest::{Digest, Hasher};
use crate::transport::BlobStream;

/// Bytes per buffer passed between stages.
const CHUNK: usize = 256 << 10;
/// Buffers in flight between two stages.
const DEPTH: usize = 4;

/// What happens to the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Copy,
    Compress(Algorithm, Option<i32>),
    Decompress(Algorithm),
    Recompress {
        from: Algorithm,
        to: Algorithm,
        level: Option<i32>,
    },
}

/// What a finished pipeline learnt on the way.
#[derive(Debug, Default)]
pub(crate) struct Finished {
    /// The digest of the uncompressed input, when asked for.
    pub diff_id: Option<Digest>,
    /// Annotations the compressor wants on the layer's descriptor (zstd:chunked).
    pub annotations: Annotations,
}

/// Runs `step` over `input` on a blocking thread. `diff_id` asks for the digest of the
/// uncompressed input (`Some(None)` when the input is not compressed). The returned receiver
/// reports the end of the work (the diff ID, annotations) once the output stream has been
/// read whole.
pub(crate) fn spawn(
    input: BlobStream,
    step: Step,
    diff_id: Option<Option<Algorithm>>,
) -> (BlobStream, oneshot::Receiver<io::Result<Finished>>) {
    let bridge = SyncIoBridge::new(input);
    let (mut out, stream) = crate::transport::bridge::channel(DEPTH, CHUNK);
    let (done_tx, done_rx) = oneshot::channel();
    tokio::task::spawn_blocking(move || {
        let res = run(bridge, &mut out, step, diff_id).and_then(|d| out.finish().map(|_| d));
        if let Err(e) = &res {
            out.fail(io::Error::new(e.kind(), e.to_string()));
        }
        let _ = done_tx.send(res);
    });
    (stream, done_rx)
}

fn run(
    input: impl Read,
    out: &mut (dyn Write + Send),
    step: Step,
    diff_id: Option<Option<Algorithm>>,
) -> io::Result<Finished> {
    std::thread::scope(|scope| {
        let (tee, hasher) = match diff_id {
            Some(algo) => {
                let (tx, rx) = sync_channel::<Vec<u8>>(DEPTH);
                let h = scope.spawn(move || diff_digest(rx, algo));
                (
                    Tee {
                        inner: input,
                        copy: Some(tx),
                    },
                    Some(h),
                )
            }
            None => (
                Tee {
                    inner: input,
                    copy: None,
                },
                None,
            ),
        };
        // Consumers read in small pieces (io::copy: 8 KiB); each read of the source is a trip
        // to tokio's blocking pool, so it is read, and teed to the diff ID, a chunk at a time.
        let mut input = io::BufReader::with_capacity(CHUNK, tee);
        let mut annotations = Annotations::new();
        match step {
            Step::Copy => {
                io::copy(&mut input, out)?;
            }
            Step::Compress(algo, level) => {
                annotations = compression::compress(algo, level, &mut input, out)?;
            }
            Step::Decompress(algo) => {
                compression::decompress(algo, &mut input, out)?;
            }
            Step::Recompress { from, to, level } => {
                let (tx, rx) = sync_channel::<Vec<u8>>(DEPTH);
                let compressor = scope.spawn(move || {
                    let mut r = PipeReader {
                        rx,
                        current: Vec::new(),
                        pos: 0,
                    };
                    compression::compress(to, level, &mut r, out)
                });
                let mut w = PipeWriter {
                    tx: Some(tx),
                    buf: Vec::with_capacity(CHUNK),
                };
                let decompressed = compression::decompress(from, &mut input, &mut w);
                let flushed = decompressed.and_then(|_| w.close());
                drop(w);
                let compressed = compressor
                    .join()
                    .map_err(|_| io::Error::other("compression thread panicked"))?;
                annotations = match (flushed, compressed) {
                    // The compressor stopped reading (a zstd:chunked input that is not a
                    // tar): its error is the one that explains.
                    (Err(e), Err(c)) if e.kind() == io::ErrorKind::BrokenPipe => return Err(c),
                    (Err(e), _) => return Err(e),
                    (Ok(()), c) => c?,
                };
            }
        }
        // A decompressor may stop at the end of its data: read the rest so the source is
        // verified whole (and the diff ID sees every byte).
        io::copy(&mut input, &mut io::sink())?;
        input.get_mut().copy = None;
        let diff_id = match hasher {
            Some(h) => Some(
                h.join()
                    .map_err(|_| io::Error::other("diff ID thread panicked"))??,
            ),
            None => None,
        };
        Ok(Finished {
            diff_id,
            annotations,
        })
    })
}

/// The sha256 of the uncompressed form of the bytes arriving on `rx`.
fn diff_digest(rx: Receiver<Vec<u8>>, algo: Option<Algorithm>) -> io::Result<Digest> {
    let mut r = PipeReader {
        rx,
        current: Vec::new(),
        pos: 0,
    };
    let mut h = HashWriter(Hasher::new(crate::digest::Algorithm::Sha256));
    match algo {
        Some(a) => {
            compression::decompress(a, &mut r, &mut h)?;
            // Whatever follows the compressed data does not count, but must be drained.
            io::copy(&mut r, &mut io::sink())?;
        }
        None => {
            io::copy(&mut r, &mut h)?;
        }
    }
    Ok(h.0.finish())
}

struct HashWriter(Hasher);

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads `inner`, sending a copy of every byte to `copy` while it is set.
struct Tee<R> {
    inner: R,
    copy: Option<SyncSender<Vec<u8>>>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0
            && let Some(tx) = &self.copy
            && tx.send(buf[..n].to_vec()).is_err()
        {
            // The diff ID thread failed; its error is reported when it is joined.
            self.copy = None;
        }
        Ok(n)
    }
}

struct PipeWriter {
    tx: Option<SyncSender<Vec<u8>>>,
    buf: Vec<u8>,
}

impl PipeWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        match &self.tx {
            Some(tx) => tx.send(chunk).map_err(|_| broken()),
            None => Err(broken()),
        }
    }

    fn close(&mut self) -> io::Result<()> {
        self.send()?;
        self.tx = None;
        Ok(())
    }
}

fn broken() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "pipeline stage stopped")
}

impl Write for PipeWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct PipeReader {
    rx: Receiver<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
}

impl Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.current.len() {
            match self.rx.recv() {
                Ok(c) => {
                    self.current = c;
                    self.pos = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn through(
        data: Vec<u8>,
        step: Step,
        diff: Option<Option<Algorithm>>,
    ) -> (Vec<u8>, Option<Digest>) {
        let input: BlobStream = Box::pin(std::io::Cursor::new(data));
        let (mut out, done) = spawn(input, step, diff);
        let mut v = Vec::new();
        out.read_to_end(&mut v).await.unwrap();
        (v, done.await.unwrap().unwrap().diff_id)
    }

    #[tokio::test]
    async fn steps_compose() {
        let raw: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
        let raw_digest = Digest::sha256_of(&raw);
        let (gz, d) = through(
            raw.clone(),
            Step::Compress(Algorithm::Gzip, None),
            Some(None),
        )
        .await;
        assert_eq!(d, Some(raw_digest.clone()));
        let (zst, d) = through(
            gz.clone(),
            Step::Recompress {
                from: Algorithm::Gzip,
                to: Algorithm::Zstd,
                level: None,
            },
            Some(Some(Algorithm::Gzip)),
        )
        .await;
        assert_eq!(d, Some(raw_digest.clone()));
        assert_eq!(Algorithm::detect(&zst), Some(Algorithm::Zstd));
        let (back, d) = through(zst, Step::Decompress(Algorithm::Zstd), None).await;
        assert_eq!(d, None);
        assert!(back == raw);
        let (same, d) = through(gz.clone(), Step::Copy, Some(Some(Algorithm::Gzip))).await;
        assert!(same == gz);
        assert_eq!(d, Some(raw_digest));
    }

    #[tokio::test]
    async fn errors_reach_the_reader() {
        let input: BlobStream = Box::pin(std::io::Cursor::new(b"not gzip at all".to_vec()));
        let (mut out, done) = spawn(input, Step::Decompress(Algorithm::Gzip), None);
        let mut v = Vec::new();
        assert!(out.read_to_end(&mut v).await.is_err());
        assert!(done.await.unwrap().is_err());
    }
}
