//! The one bridge from blocking code to async readers: what a blocking thread writes into a
//! [`ChunkWriter`] comes out of a [`BlobStream`], in chunks, through a bounded channel (memory
//! stays at `depth` chunks whatever the size); an error the writer reports is the reader's
//! read error.

use std::io::{self, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::mpsc;

use super::BlobStream;

/// The blocking side: buffers writes into chunks of about `chunk` bytes.
pub struct ChunkWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
    chunk: usize,
}

/// A writer for a blocking thread and the stream that reads what it writes.
pub fn channel(depth: usize, chunk: usize) -> (ChunkWriter, BlobStream) {
    let (tx, rx) = mpsc::channel(depth);
    let writer = ChunkWriter {
        tx,
        buf: Vec::with_capacity(chunk),
        chunk,
    };
    let reader = ChunkReader {
        rx,
        current: Bytes::new(),
    };
    (writer, Box::pin(reader))
}

/// Runs `work` on a blocking thread; the returned stream reads what it writes, then its
/// error if it fails.
pub fn spawn_writer(
    chunk: usize,
    work: impl FnOnce(&mut ChunkWriter) -> io::Result<()> + Send + 'static,
) -> BlobStream {
    let (mut w, stream) = channel(4, chunk);
    tokio::task::spawn_blocking(move || {
        if let Err(e) = work(&mut w).and_then(|_| w.finish()) {
            w.fail(e);
        }
    });
    stream
}

fn reader_gone() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "reader gone")
}

impl ChunkWriter {
    /// Sends what is buffered (the end of the data).
    pub fn finish(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(self.chunk));
        self.tx
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| reader_gone())
    }

    /// Makes the reader's next read fail with `e`.
    pub fn fail(&self, e: io::Error) {
        let _ = self.tx.blocking_send(Err(e));
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= self.chunk {
            self.finish()?;
        }
        Ok(data.len())
    }

    /// Chunks go out when full or at [`ChunkWriter::finish`], not on every flush.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct ChunkReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl AsyncRead for ChunkReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        while self.current.is_empty() {
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(Ok(b))) => self.current = b,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
        let n = buf.remaining().min(self.current.len());
        let chunk = self.current.split_to(n);
        buf.put_slice(&chunk);
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bytes_then_the_writers_error_reach_the_reader() {
        let mut s = spawn_writer(4, |w| w.write_all(b"0123456789"));
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, b"0123456789");
        let mut s = spawn_writer(4, |w| {
            w.write_all(b"abcdef")?;
            Err(io::Error::other("broken input"))
        });
        let mut first = [0u8; 4];
        s.read_exact(&mut first).await.unwrap();
        assert_eq!(&first, b"abcd", "full chunks arrive before the error");
        let err = s.read_to_end(&mut Vec::new()).await.unwrap_err();
        assert_eq!(err.to_string(), "broken input");
    }
}
