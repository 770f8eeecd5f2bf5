//! A gzip writer that compresses on every core: the input is cut into blocks, each block is
//! deflated on a shared worker pool with the previous 32 KiB as its preset dictionary and
//! ends on a byte boundary (sync flush), and the blocks are written in order as one deflate
//! stream inside one gzip member (what pigz does). The CRC is computed per block and combined.
//! At most a few blocks per stream are in memory at once.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, OnceLock};

use flate2::{Compress, Compression, FlushCompress, Status};

/// gzip's usual default.
pub const DEFAULT_LEVEL: u32 = 6;
/// Input bytes per block.
const BLOCK: usize = 256 << 10;
/// The deflate window: how much of the previous block a block may refer to.
const DICT: usize = 32 << 10;

type Job = Box<dyn FnOnce() + Send>;

/// The process-wide pool that deflates blocks (one thread per core).
fn pool() -> &'static Mutex<SyncSender<Job>> {
    static POOL: OnceLock<Mutex<SyncSender<Job>>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = mpsc::sync_channel::<Job>(64);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..super::worker_threads() {
            let rx = rx.clone();
            let _ = std::thread::Builder::new()
                .name(format!("skiff-gzip-{i}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
        }
        Mutex::new(tx)
    })
}

fn submit(job: Job) -> io::Result<()> {
    let tx = pool()
        .lock()
        .map_err(|_| io::Error::other("gzip worker pool poisoned"))?
        .clone();
    tx.send(job)
        .map_err(|_| io::Error::other("gzip worker pool stopped"))
}

struct Done {
    deflated: Vec<u8>,
    crc: crc32fast::Hasher,
    len: u64,
}

/// Deflates one block, continuing a stream whose previous input ended with `dict`.
fn deflate_block(level: u32, dict: &[u8], input: &[u8], last: bool) -> io::Result<Vec<u8>> {
    let mut c = Compress::new(Compression::new(level), false);
    if !dict.is_empty() {
        c.set_dictionary(dict)
            .map_err(|e| io::Error::other(format!("deflate dictionary: {e}")))?;
    }
    let mut out = Vec::with_capacity(input.len() + input.len() / 16 + 64);
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    loop {
        let consumed = c.total_in() as usize;
        let status = c
            .compress_vec(&input[consumed..], &mut out, flush)
            .map_err(|e| io::Error::other(format!("deflate: {e}")))?;
        let done_input = c.total_in() as usize == input.len();
        match status {
            Status::StreamEnd => break,
            Status::Ok | Status::BufError => {
                // With room left after consuming everything, a sync flush is complete.
                if done_input && !last && out.len() < out.capacity() {
                    break;
                }
                out.reserve(out.capacity().max(4096));
            }
        }
    }
    Ok(out)
}

/// A `Write` that produces one gzip member, deflating blocks in parallel.
pub struct ParallelGzipWriter<W: Write> {
    out: W,
    level: u32,
    block: Vec<u8>,
    dict: Arc<Vec<u8>>,
    pending: VecDeque<Receiver<io::Result<Done>>>,
    max_pending: usize,
    crc: crc32fast::Hasher,
    len: u64,
    header_written: bool,
}

impl<W: Write> ParallelGzipWriter<W> {
    pub fn new(out: W, level: u32) -> Self {
        ParallelGzipWriter {
            out,
            level: level.min(9),
            block: Vec::with_capacity(BLOCK),
            dict: Arc::new(Vec::new()),
            pending: VecDeque::new(),
            max_pending: 2 * super::worker_threads() + 1,
            crc: crc32fast::Hasher::new(),
            len: 0,
            header_written: false,
        }
    }

    fn write_header(&mut self) -> io::Result<()> {
        if !self.header_written {
            // No name, no mtime, "unknown" OS: the bytes depend only on the content.
            let xfl = match self.level {
                9 => 2,
                1 => 4,
                _ => 0,
            };
            self.out
                .write_all(&[0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, xfl, 0xff])?;
            self.header_written = true;
        }
        Ok(())
    }

    fn dispatch(&mut self, last: bool) -> io::Result<()> {
        let block = std::mem::replace(&mut self.block, Vec::with_capacity(BLOCK));
        let next_dict = Arc::new(block[block.len().saturating_sub(DICT)..].to_vec());
        let dict = std::mem::replace(&mut self.dict, next_dict);
        let level = self.level;
        let (tx, rx) = mpsc::sync_channel(1);
        submit(Box::new(move || {
            let res = deflate_block(level, &dict, &block, last).map(|deflated| {
                let mut crc = crc32fast::Hasher::new();
                crc.update(&block);
                Done {
                    deflated,
                    crc,
                    len: block.len() as u64,
                }
            });
            let _ = tx.send(res);
        }))?;
        self.pending.push_back(rx);
        while self.pending.len() >= self.max_pending {
            self.collect_one()?;
        }
        Ok(())
    }

    fn collect_one(&mut self) -> io::Result<()> {
        let Some(rx) = self.pending.pop_front() else {
            return Ok(());
        };
        let done = rx
            .recv()
            .map_err(|_| io::Error::other("gzip worker vanished"))??;
        self.write_header()?;
        self.out.write_all(&done.deflated)?;
        self.crc.combine(&done.crc);
        self.len += done.len;
        Ok(())
    }

    /// Writes the last block and the gzip trailer; returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.dispatch(true)?;
        while !self.pending.is_empty() {
            self.collect_one()?;
        }
        self.write_header()?;
        let crc = self.crc.clone().finalize();
        self.out.write_all(&crc.to_le_bytes())?;
        self.out.write_all(&(self.len as u32).to_le_bytes())?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for ParallelGzipWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = BLOCK - self.block.len();
        let n = room.min(buf.len());
        self.block.extend_from_slice(&buf[..n]);
        if self.block.len() == BLOCK {
            self.dispatch(false)?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
