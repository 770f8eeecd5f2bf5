//! Cutting a file's content into chunks where c/storage cuts it, so that identical content
//! makes identical chunks (and partial pulls can reuse them):
//! - a run of at least [`HOLE_MIN`] zero bytes is a chunk of its own ("zeros");
//! - elsewhere a chunk ends after a byte where bup's rolling checksum over the last 64 bytes
//!   has its low 16 bits all set (chunks of ~64 KiB on average).
//!
//! The rolling sum starts afresh for each file and runs on across chunk ends.

use std::io;

/// Shortest run of zeros that makes a "zeros" chunk.
pub(super) const HOLE_MIN: u64 = 1024;
const WINDOW: usize = 64;
const CHAR_OFFSET: u32 = 31;
const SPLIT_MASK: u32 = (1 << 16) - 1;

/// bup's rolling checksum (rsync's, with a character offset).
#[derive(Clone)]
struct RollSum {
    s1: u32,
    s2: u32,
    window: [u8; WINDOW],
    pos: usize,
}

impl RollSum {
    fn new() -> Self {
        let w = WINDOW as u32;
        RollSum {
            s1: w * CHAR_OFFSET,
            s2: w * (w - 1) * CHAR_OFFSET,
            window: [0; WINDOW],
            pos: 0,
        }
    }

    /// Adds `b` to the window; true when a chunk should end after it.
    fn roll(&mut self, b: u8) -> bool {
        let drop = u32::from(self.window[self.pos]);
        self.window[self.pos] = b;
        self.pos = (self.pos + 1) % WINDOW;
        self.s1 = self.s1.wrapping_add(u32::from(b)).wrapping_sub(drop);
        self.s2 = self
            .s2
            .wrapping_add(self.s1)
            .wrapping_sub((WINDOW as u32).wrapping_mul(drop + CHAR_OFFSET));
        self.s2 & SPLIT_MASK == SPLIT_MASK
    }
}

/// Where chunk bytes and chunk ends go.
pub(super) trait ChunkSink {
    /// More bytes of the current chunk.
    fn data(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// The current chunk (never empty) is complete; `zeros` when it is a run of zeros.
    fn end_chunk(&mut self, zeros: bool) -> io::Result<()>;
}

/// Splits one file's content, fed in any pieces, into chunks.
pub(super) struct Chunker {
    roll: RollSum,
    /// Zeros seen but not yet passed on: they become a hole or data once the run ends.
    zeros: u64,
    chunk_len: u64,
}

static ZEROS: [u8; 64 << 10] = [0; 64 << 10];

impl Chunker {
    pub fn new() -> Self {
        Chunker {
            roll: RollSum::new(),
            zeros: 0,
            chunk_len: 0,
        }
    }

    pub fn feed(&mut self, buf: &[u8], sink: &mut impl ChunkSink) -> io::Result<()> {
        // buf[start..i] has been rolled but not yet passed to the sink.
        let mut start = 0;
        for (i, &b) in buf.iter().enumerate() {
            if b == 0 {
                if self.zeros == 0 {
                    self.emit(&buf[start..i], sink)?;
                }
                self.zeros += 1;
                start = i + 1;
                continue;
            }
            if self.zeros > 0 {
                self.flush_zeros(sink)?;
            }
            if self.roll.roll(b) {
                self.emit(&buf[start..=i], sink)?;
                self.end(false, sink)?;
                start = i + 1;
            }
        }
        if self.zeros == 0 {
            self.emit(&buf[start..], sink)?;
        }
        Ok(())
    }

    /// Ends the last chunk at the end of the file.
    pub fn finish(mut self, sink: &mut impl ChunkSink) -> io::Result<()> {
        self.flush_zeros(sink)?;
        self.end(false, sink)
    }

    /// The pending run of zeros: a chunk of its own when long enough, else ordinary data.
    fn flush_zeros(&mut self, sink: &mut impl ChunkSink) -> io::Result<()> {
        let n = std::mem::take(&mut self.zeros);
        if n >= HOLE_MIN {
            self.end(false, sink)?;
            self.emit_zeros(n, sink)?;
            self.end(true, sink)?;
            // Rolling 64 or more zeros leaves the sum exactly as a new one.
            self.roll = RollSum::new();
            return Ok(());
        }
        let mut pending = 0;
        for _ in 0..n {
            pending += 1;
            if self.roll.roll(0) {
                self.emit_zeros(pending, sink)?;
                self.end(false, sink)?;
                pending = 0;
            }
        }
        self.emit_zeros(pending, sink)
    }

    fn emit_zeros(&mut self, mut n: u64, sink: &mut impl ChunkSink) -> io::Result<()> {
        while n > 0 {
            let k = n.min(ZEROS.len() as u64) as usize;
            self.emit(&ZEROS[..k], sink)?;
            n -= k as u64;
        }
        Ok(())
    }

    fn emit(&mut self, bytes: &[u8], sink: &mut impl ChunkSink) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.chunk_len += bytes.len() as u64;
        sink.data(bytes)
    }

    fn end(&mut self, zeros: bool, sink: &mut impl ChunkSink) -> io::Result<()> {
        if std::mem::take(&mut self.chunk_len) > 0 {
            sink.end_chunk(zeros)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records chunks as (length, zeros).
    #[derive(Default)]
    struct Record {
        len: usize,
        bytes: Vec<u8>,
        chunks: Vec<(usize, bool)>,
    }

    impl ChunkSink for Record {
        fn data(&mut self, bytes: &[u8]) -> io::Result<()> {
            self.len += bytes.len();
            self.bytes.extend_from_slice(bytes);
            Ok(())
        }
        fn end_chunk(&mut self, zeros: bool) -> io::Result<()> {
            self.chunks.push((std::mem::take(&mut self.len), zeros));
            Ok(())
        }
    }

    fn chunks(data: &[u8], piece: usize) -> Vec<(usize, bool)> {
        let mut c = Chunker::new();
        let mut r = Record::default();
        for p in data.chunks(piece.max(1)) {
            c.feed(p, &mut r).unwrap();
        }
        c.finish(&mut r).unwrap();
        assert!(r.bytes == data, "the content passes unchanged");
        assert_eq!(r.len, 0, "every byte is in a chunk");
        r.chunks
    }

    fn noise(len: usize, seed: u32) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x % 255) as u8 + 1
            })
            .collect()
    }

    /// Where the rolling sum first says "split" in `data`.
    fn first_split(data: &[u8]) -> usize {
        let mut r = RollSum::new();
        data.iter().position(|&b| r.roll(b)).unwrap()
    }

    #[test]
    fn random_data_splits_by_the_rolling_sum_whatever_the_pieces() {
        let data = noise(1 << 20, 7);
        let whole = chunks(&data, data.len());
        assert!(whole.len() > 4, "{whole:?}");
        assert!(whole.iter().all(|&(_, z)| !z));
        assert_eq!(whole[0].0, first_split(&data) + 1);
        assert_eq!(chunks(&data, 1000), whole);
        assert_eq!(chunks(&data, 1), whole[..].to_vec());
    }

    #[test]
    fn zero_runs_become_chunks_from_1024_bytes() {
        let a = noise(100, 1);
        let b = noise(100, 2);
        for (run, hole) in [(1023, false), (1024, true), (5000, true)] {
            let data = [&a[..], &vec![0; run], &b[..]].concat();
            let expect = if hole {
                vec![(100, false), (run, true), (100, false)]
            } else {
                vec![(200 + run, false)]
            };
            assert_eq!(chunks(&data, 333), expect, "run of {run}");
        }
        assert_eq!(chunks(&[0; 2000], 100), vec![(2000, true)]);
        assert_eq!(chunks(&[0; 500], 100), vec![(500, false)]);
        let tail = [&a[..], &[0; 3000]].concat();
        assert_eq!(chunks(&tail, 7), vec![(100, false), (3000, true)]);
    }

    #[test]
    fn a_split_on_the_last_byte_makes_no_empty_chunk() {
        let data = noise(300_000, 9);
        let end = first_split(&data) + 1;
        assert_eq!(chunks(&data[..end], 4096), vec![(end, false)]);
        let before_hole = [&data[..end], &[0; 2048], &data[end..end + 10]].concat();
        assert_eq!(
            chunks(&before_hole, 4096),
            vec![(end, false), (2048, true), (10, false)]
        );
    }
}
