//! The layer cipher over async streams: each buffer is (de)crypted in place as it passes, so
//! memory does not depend on the layer's size.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

use super::LayerCipher;
use crate::digest::{Algorithm, Digest, Hasher};

/// What an encryption learnt once its input ended.
#[derive(Debug)]
pub struct Sealed {
    /// The ciphertext's HMAC (for `…enc.pubopts`).
    pub hmac: Vec<u8>,
    /// The plaintext's digest, when it was asked to compute it.
    pub plain_digest: Option<Digest>,
}

/// Where an [`Encrypting`] stream leaves its [`Sealed`] result at the end of its input.
pub type SealedSlot = Arc<Mutex<Option<Sealed>>>;

/// Encrypts `inner` as it is read.
pub struct Encrypting<R> {
    inner: R,
    cipher: Option<LayerCipher>,
    plain: Option<Hasher>,
    slot: SealedSlot,
}

impl<R> Encrypting<R> {
    /// `hash_plain`: also compute the plaintext's digest (when it is not known beforehand).
    pub fn new(inner: R, cipher: LayerCipher, hash_plain: bool) -> (Encrypting<R>, SealedSlot) {
        let slot = SealedSlot::default();
        let stream = Encrypting {
            inner,
            cipher: Some(cipher),
            plain: hash_plain.then(|| Hasher::new(Algorithm::Sha256)),
            slot: slot.clone(),
        };
        (stream, slot)
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Encrypting<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        let wanted = buf.remaining() > 0;
        std::task::ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        let new = &mut buf.filled_mut()[before..];
        if new.is_empty() {
            if wanted && let Some(cipher) = this.cipher.take() {
                let sealed = Sealed {
                    hmac: cipher.finish_encryption(),
                    plain_digest: this.plain.take().map(Hasher::finish),
                };
                *this.slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(sealed);
            }
            return Poll::Ready(Ok(()));
        }
        if let Some(h) = &mut this.plain {
            h.update(new);
        }
        match &mut this.cipher {
            Some(c) => c.apply(new),
            None => return Poll::Ready(Err(io::Error::other("data after the end of a layer"))),
        }
        Poll::Ready(Ok(()))
    }
}

/// Decrypts `inner` as it is read; at its end, fails unless the ciphertext's HMAC is the
/// one the layer's public options name.
pub struct Decrypting<R> {
    inner: R,
    cipher: Option<LayerCipher>,
    hmac: Vec<u8>,
}

impl<R> Decrypting<R> {
    pub fn new(inner: R, cipher: LayerCipher, hmac: Vec<u8>) -> Decrypting<R> {
        Decrypting {
            inner,
            cipher: Some(cipher),
            hmac,
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Decrypting<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        let wanted = buf.remaining() > 0;
        std::task::ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        let new = &mut buf.filled_mut()[before..];
        if new.is_empty() {
            if wanted && let Some(cipher) = this.cipher.take() {
                cipher
                    .finish_decryption(&this.hmac)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{e:#}")))?;
            }
            return Poll::Ready(Ok(()));
        }
        match &mut this.cipher {
            Some(c) => c.apply(new),
            None => return Poll::Ready(Err(io::Error::other("data after the end of a layer"))),
        }
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn streams_round_trip_and_report_the_plaintext_digest() {
        let plain: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
        let (cipher, opts) = LayerCipher::new_encryption("sha256:x");
        let (mut enc, slot) = Encrypting::new(std::io::Cursor::new(plain.clone()), cipher, true);
        let mut sealed_bytes = Vec::new();
        enc.read_to_end(&mut sealed_bytes).await.unwrap();
        let sealed = slot.lock().unwrap().take().unwrap();
        assert_eq!(sealed.plain_digest, Some(Digest::sha256_of(&plain)));
        let dec = LayerCipher::new_decryption(&opts).unwrap();
        let mut back = Vec::new();
        Decrypting::new(
            std::io::Cursor::new(sealed_bytes.clone()),
            dec,
            sealed.hmac.clone(),
        )
        .read_to_end(&mut back)
        .await
        .unwrap();
        assert!(back == plain);
        sealed_bytes[10] ^= 0xff;
        let dec = LayerCipher::new_decryption(&opts).unwrap();
        let err = Decrypting::new(std::io::Cursor::new(sealed_bytes), dec, sealed.hmac)
            .read_to_end(&mut back)
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("could not properly decrypt byte stream"),
            "{err}"
        );
    }
}
