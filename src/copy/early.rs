//! Layers copied while the source is still receiving the image. A daemon's export arrives as
//! one tar with the manifest last; each layer in it is compressed and sent as its bytes land,
//! so the copy ends soon after the export does instead of a whole compression later.
//!
//! An early copy is the ordinary one: the same [`ImagePlan`] decides each layer's treatment,
//! [`Copier::send_layer`] sends it, and the result goes into the copy's layer map under the
//! digest of the bytes sent, where the copy that follows the manifest finds it. Early copies
//! run only where they cannot differ from that copy — a source the policy accepts, a
//! destination that takes blobs in any order, layers the copy re-encodes anyway (the slow
//! step worth overlapping), none the blob-info cache may find at the destination already —
//! and anything else is left to the ordinary copy. A layer the ordinary copy treats otherwise
//! after all is copied again; the early blob is then an unreferenced one at the destination,
//! never part of an image.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use anyhow::{Result, anyhow};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::mpsc::UnboundedReceiver;

use super::Copier;
use super::blob::{CompressionChoice, LayerRules, SentLayer};
use super::pipeline::Step;
use super::progress::BlobTracker;
use super::single::{ImageFormat, ImagePlan};
use crate::digest::{self, Digest, HashingReader};
use crate::manifest::media_type as mt;
use crate::transport::{BlobStream, EarlyBlob, EarlyBlobs, UploadInfo};

/// How every early layer is treated: the rules and the compression step.
type Treatment = (LayerRules, CompressionChoice);

impl Copier<'_> {
    /// Copies the layers the source offers before its manifest; returns once the image has
    /// arrived whole and every layer offered is at the destination.
    pub(crate) async fn copy_early_blobs(&self) -> Result<()> {
        let Some(mut early) = self.src.early_blobs() else {
            return Ok(());
        };
        let Some(treatment) = self.early_treatment(&early).await else {
            return Ok(());
        };
        let limit = self.options.parallel_copies.max(1);
        let mut running = FuturesUnordered::new();
        let mut arriving = true;
        while arriving || !running.is_empty() {
            tokio::select! {
                next = early.blobs.recv(), if arriving && running.len() < limit => match next {
                    Some(Ok(blob)) => {
                        running.push(self.copy_early_blob(blob, early.layer_media_type, treatment))
                    }
                    Some(Err(e)) => return Err(e),
                    None => arriving = false,
                },
                Some(sent) = running.next(), if !running.is_empty() => {
                    if let Err(e) = sent {
                        // A source that stopped receiving the image explains the failure
                        // better than the layer copy that ran into it.
                        return Err(source_failure(&mut early.blobs).unwrap_or(e));
                    }
                }
            }
        }
        Ok(())
    }

    /// How the offered layers will be treated, when copying them early cannot differ from
    /// the ordinary copy and is worth it; `None` leaves them to the ordinary copy.
    async fn early_treatment(&self, early: &EarlyBlobs) -> Option<Treatment> {
        // A refused image is refused by the ordinary copy, before anything is sent.
        self.policy.check_source(&self.names.source_policy).ok()?;
        // Encrypted layers are decided per index, once the manifest is read.
        let crypto = &self.options.crypto;
        if crypto.encrypt.is_some() || crypto.decrypt.is_some() {
            return None;
        }
        // Early layers reach the destination in arrival order, beside each other.
        if !self.dest.properties().has_thread_safe_put_blob {
            return None;
        }
        let format = match early.manifest_type {
            mt::DOCKER_V2_SCHEMA2 => ImageFormat::Schema2,
            _ => return None,
        };
        let has_signatures =
            !self.options.remove_signatures && !self.src.signatures(None).await.ok()?.is_empty();
        let plan: ImagePlan = self
            .image_plan(format, early.manifest_type, has_signatures, false)
            .ok()?;
        let rules = plan.layer_rules(early.layer_media_type);
        // The layers offered are uncompressed.
        let choice = self.compression_step(None, rules).ok()?;
        if choice.step == Step::Copy {
            return None;
        }
        // c/image asks the blob-info cache before compressing a layer: a blob it names may
        // already be at the destination. Such layers are the ordinary copy's, which asks;
        // a source that cannot say which layers are coming leaves them all to it.
        let cache_may_know = match &early.layers {
            Some(layers) => self.cache_knows_any(layers, rules),
            None => self.dest.cache_location().is_some(),
        };
        (!cache_may_know).then_some((rules, choice))
    }

    /// Copies one early layer and leaves the result where the ordinary copy looks for it.
    async fn copy_early_blob(
        &self,
        blob: EarlyBlob,
        media_type: &str,
        (rules, choice): Treatment,
    ) -> Result<()> {
        let digest = Arc::new(Mutex::new(None));
        let hashed: BlobStream = Box::pin(Digesting {
            inner: HashingReader::new(blob.stream, digest::Algorithm::Sha256),
            expected_size: blob.size,
            digest: digest.clone(),
        });
        let sent = SentLayer {
            upload: UploadInfo {
                digest: None,
                size: None,
                media_type: media_type.into(),
                is_config: false,
            },
            annotations: None,
            detected: None,
            encrypt: None,
        };
        // Reported when the ordinary copy reaches the layer, under its digest.
        let progress = BlobTracker::detached();
        let copied = self
            .send_layer(hashed, sent, choice, rules, &progress)
            .await?;
        let digest = digest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| anyhow!("Internal error: early layer was not read to its end"))?;
        // Early layers are uncompressed tars (see EarlyBlobs).
        self.learn_sent(&digest, None, &choice.step, &copied);
        let cell = self.shared_layer(&digest, rules);
        if cell.set(copied).is_ok() {
            self.sent_early
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(digest);
        }
        Ok(())
    }

    /// Whether `digest` was sent early (answered once).
    pub(crate) fn take_sent_early(&self, digest: &Digest) -> bool {
        self.sent_early
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(digest)
    }
}

/// The source's own error, when it stopped receiving the image.
fn source_failure(blobs: &mut UnboundedReceiver<Result<EarlyBlob>>) -> Option<anyhow::Error> {
    while let Ok(next) = blobs.try_recv() {
        if let Err(e) = next {
            return Some(e);
        }
    }
    None
}

/// Computes the digest of a stream that has none to be checked against yet: it names the
/// bytes once they have all passed, and a stream of the wrong length fails.
struct Digesting {
    inner: HashingReader<BlobStream>,
    expected_size: u64,
    digest: Arc<Mutex<Option<Digest>>>,
}

impl AsyncRead for Digesting {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if !matches!(res, Poll::Ready(Ok(()))) || buf.filled().len() > before {
            return res;
        }
        let this = &mut *self;
        let seen = this.inner.count();
        if seen != this.expected_size {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("layer ended after {seen} of {} bytes", this.expected_size),
            )));
        }
        if let Some(d) = this.inner.take_digest() {
            *this.digest.lock().unwrap_or_else(|e| e.into_inner()) = Some(d);
        }
        Poll::Ready(Ok(()))
    }
}
