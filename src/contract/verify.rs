//! Digest and size verification while bytes stream past: every blob the engine moves goes
//! through here, so a corrupt or truncated blob fails the copy instead of being stored.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

use crate::digest::{Digest, Hasher, HashingReader};

/// Bytes that are not the blob they claim to be; the text is c/image's.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Mismatch(pub String);

/// Why verification failed, worded as c/image words it.
pub fn digest_mismatch(expected: &Digest, actual: &Digest) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        Mismatch(format!(
            "Digest did not match, expected {expected}, got {actual}"
        )),
    )
}

pub fn size_mismatch(digest: &Digest, expected: u64, actual: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        Mismatch(format!(
            "Size mismatch when copying {digest}, expected {expected}, got {actual}"
        )),
    )
}

/// A source's read failure as a destination passes it on (c/image's words). The text holds
/// the cause's, so it is not also a `source` (error chains would print it twice); the cause
/// stays reachable for [`is_mismatch`].
#[derive(Debug, thiserror::Error)]
#[error("happened during read: {0}")]
pub struct DuringRead(pub io::Error);

/// Whether verification failed somewhere in this error's causes (also inside I/O errors,
/// whose `source` skips the error they carry).
pub fn is_mismatch(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(err);
    while let Some(e) = cur {
        if e.is::<Mismatch>() {
            return true;
        }
        if let Some(inner) = e.downcast_ref::<io::Error>().and_then(|io| io.get_ref())
            && is_mismatch(inner)
        {
            return true;
        }
        if let Some(DuringRead(inner)) = e.downcast_ref::<DuringRead>()
            && is_mismatch(inner)
        {
            return true;
        }
        cur = e.source();
    }
    false
}

/// Incremental check of one blob's bytes against its expected digest and size.
pub struct Verifier {
    expected: Digest,
    expected_size: Option<u64>,
    hasher: Hasher,
    seen: u64,
}

impl Verifier {
    pub fn new(expected: &Digest, expected_size: Option<u64>) -> Verifier {
        Verifier {
            expected: expected.clone(),
            expected_size,
            hasher: Hasher::new(expected.algorithm()),
            seen: 0,
        }
    }

    pub fn update(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.seen += bytes.len() as u64;
        if let Some(want) = self.expected_size
            && self.seen > want
        {
            return Err(size_mismatch(&self.expected, want, self.seen));
        }
        self.hasher.update(bytes);
        Ok(())
    }

    /// Checks the totals once the stream has ended; returns the byte count.
    pub fn finish(self) -> io::Result<u64> {
        check_whole(&self.expected, self.expected_size, self.seen, || {
            self.hasher.finish()
        })?;
        Ok(self.seen)
    }
}

/// Checks a whole blob: its size first (c/image's order), then its digest.
fn check_whole(
    expected: &Digest,
    expected_size: Option<u64>,
    seen: u64,
    actual: impl FnOnce() -> Digest,
) -> io::Result<()> {
    if let Some(want) = expected_size
        && seen != want
    {
        return Err(size_mismatch(expected, want, seen));
    }
    let actual = actual();
    if actual != *expected {
        return Err(digest_mismatch(expected, &actual));
    }
    Ok(())
}

/// Wraps a blob stream so that reaching its end with the wrong bytes is a read error: the
/// destination sees the failure before it could commit anything. The hashing is the one
/// hash-while-reading adapter's ([`HashingReader`]); this adds the checks.
pub struct VerifyingReader<R> {
    inner: HashingReader<R>,
    expected: Digest,
    expected_size: Option<u64>,
    /// The end was reached and checked.
    ended: bool,
}

impl<R> VerifyingReader<R> {
    pub fn new(inner: R, expected: &Digest, expected_size: Option<u64>) -> Self {
        VerifyingReader {
            inner: HashingReader::new(inner, expected.algorithm()),
            expected: expected.clone(),
            expected_size,
            ended: false,
        }
    }

    /// Checks what was read after a read that gave `n` bytes (0: the end).
    fn check(&mut self, n: usize) -> io::Result<()> {
        let seen = self.inner.count();
        if n > 0 {
            return match self.expected_size {
                Some(want) if seen > want => Err(size_mismatch(&self.expected, want, seen)),
                _ => Ok(()),
            };
        }
        if std::mem::replace(&mut self.ended, true) {
            return Ok(());
        }
        let inner = &mut self.inner;
        check_whole(&self.expected, self.expected_size, seen, || {
            inner.take_digest().expect("hashing until the end")
        })
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for VerifyingReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len() - before;
                if let Err(e) = self.check(n) {
                    // A failed read hands out no bytes.
                    buf.set_filled(before);
                    return Poll::Ready(Err(e));
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn read_all(
        data: &'static [u8],
        expected: &Digest,
        size: Option<u64>,
    ) -> io::Result<Vec<u8>> {
        let mut r = VerifyingReader::new(data, expected, size);
        let mut out = Vec::new();
        r.read_to_end(&mut out).await?;
        Ok(out)
    }

    #[tokio::test]
    async fn passes_matching_bytes() {
        let d = Digest::sha256_of(b"hello");
        assert_eq!(read_all(b"hello", &d, Some(5)).await.unwrap(), b"hello");
        assert_eq!(read_all(b"hello", &d, None).await.unwrap(), b"hello");
    }

    #[tokio::test]
    async fn refuses_wrong_digest_or_size() {
        let d = Digest::sha256_of(b"hello");
        let err = read_all(b"hellO", &d, Some(5)).await.unwrap_err();
        assert!(
            err.to_string()
                .starts_with("Digest did not match, expected sha256:"),
            "{err}"
        );
        let err = read_all(b"hell", &d, Some(5)).await.unwrap_err();
        assert!(err.to_string().contains("expected 5, got 4"), "{err}");
        let err = read_all(b"hello!", &d, Some(5)).await.unwrap_err();
        assert!(err.to_string().contains("expected 5, got 6"), "{err}");
    }
}
