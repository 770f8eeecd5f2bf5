//! Moving one blob: reuse it if the destination has it, else copy it — straight from the
//! source's file when both ends are local and nothing changes (the destination verifies as it
//! copies: `put_local_blob`'s contract), else as a verified stream that may be
//! (de)compressed on the way and whose uncompressed digest may be computed.

use std::io::Cursor;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::pipeline::{self, Step};
use super::progress::{BlobKind, BlobTracker, SkipReason};
use super::{Copier, LayerCopied};
use crate::compression::{Algorithm, MAGIC_LEN};
use crate::contract::verify::{DuringRead, VerifyingReader, is_mismatch};
use crate::digest::Digest;
use crate::manifest::MediaType;
use crate::manifest::media_type as mt;
use crate::manifest::update::{CompressionOp, CryptoOp, LayerEdit};
use crate::transport::{BlobOrigin, BlobStream, LayerCompression, UploadInfo};
use crate::types::BlobInfo;

/// How a layer may be treated, decided per image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct LayerRules {
    /// The manifest may change (no signatures, no pinned digest, no --preserve-digests).
    pub can_modify: bool,
    /// The source format lets this layer's compression change (by its media type).
    pub compression_change_supported: bool,
    /// The uncompressed digest is needed (schema 1 conversions).
    pub diff_id_needed: bool,
    /// The manifest may be written as OCI (the only type that can name zstd layers).
    pub oci_possible: bool,
    /// The layer is encrypted on its way (`--encryption-key`).
    pub encrypt: bool,
    /// The layer is encrypted and decrypted on its way (`--decryption-key`).
    pub decrypt: bool,
}

/// c/image's choice for one layer's compression: what the bytes go through, how the
/// manifest's layer entry changes, and the compression the stored bytes are in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CompressionChoice {
    pub step: Step,
    pub op: CompressionOp,
    /// `None` when uncompressed or when the source format cannot say (unknown media type).
    pub algorithm: Option<Algorithm>,
}

impl CompressionChoice {
    fn new(step: Step, op: CompressionOp, algorithm: Option<Algorithm>) -> CompressionChoice {
        CompressionChoice {
            step,
            op,
            algorithm,
        }
    }
}

/// What the destination is told about a layer being sent, and what the copy knows of it.
pub(crate) struct SentLayer {
    pub upload: UploadInfo,
    /// The source's annotations, kept only when the bytes do not change.
    pub annotations: Option<std::collections::BTreeMap<String, String>>,
    /// The compression the source bytes are in.
    pub detected: Option<Algorithm>,
    /// Encrypt what is sent for these recipients; the plaintext's digest when known.
    pub encrypt: Option<(
        Arc<crate::ocicrypt::keys::EncryptConfig>,
        Option<crate::digest::Digest>,
    )>,
}

/// The compression a media type claims (used when the bytes are not looked at).
pub(crate) fn algorithm_of_media_type(mime: &str) -> Option<Algorithm> {
    match mime {
        mt::DOCKER_V2_SCHEMA2_LAYER | mt::OCI_LAYER_GZIP => Some(Algorithm::Gzip),
        mt::OCI_LAYER_ZSTD => Some(Algorithm::Zstd),
        _ => None,
    }
}

impl Copier<'_> {
    /// Copies a layer (shared by every image of a list that has it: the first copy's result
    /// is reused).
    pub(crate) async fn copy_layer_blob(
        &self,
        info: &BlobInfo,
        rules: LayerRules,
    ) -> Result<LayerCopied> {
        let props = self.dest.properties();
        if props.accepts_foreign_layer_urls && !info.urls.is_empty() {
            if rules.diff_id_needed {
                return Err(anyhow!(
                    "getting DiffID for foreign layers is unimplemented"
                ));
            }
            return Ok(LayerCopied {
                edit: LayerEdit {
                    info: info.clone(),
                    op: CompressionOp::Preserve,
                    algorithm: algorithm_of_media_type(&info.media_type),
                    crypto: CryptoOp::None,
                },
                diff_id: None,
            });
        }
        let progress = self.track(BlobKind::Blob, info);
        let progress = &progress;
        let cell = self.shared_layer(&info.digest, rules);
        let mut ran = false;
        let copied = cell
            .get_or_try_init(|| {
                ran = true;
                async {
                    let send = self.again_if_worth_it(info, || {
                        self.copy_layer_uncached(info, rules, progress)
                    });
                    let (copied, reused) =
                        self.through_ledger(&info.digest, Some(rules), send).await?;
                    if reused {
                        progress.skipped(SkipReason::Shared);
                    }
                    Ok::<_, anyhow::Error>(copied)
                }
            })
            .await?;
        if !ran {
            if self.take_sent_early(&info.digest) {
                // Sent while the image was still arriving: reported now, as the copy it was.
                progress.advance(info.size.unwrap_or(0));
                progress.done();
            } else {
                // Another image of this copy sent it: it is present at the destination.
                progress.skipped(SkipReason::Shared);
            }
        }
        Ok(copied.clone())
    }

    async fn copy_layer_uncached(
        &self,
        info: &BlobInfo,
        rules: LayerRules,
        progress: &BlobTracker<'_>,
    ) -> Result<LayerCopied> {
        if rules.encrypt || rules.decrypt {
            return self.copy_layer_crypto(info, rules, progress).await;
        }
        progress.restart();
        let src_algorithm = algorithm_of_media_type(&info.media_type);
        let settings = self.options.compression;
        let reuse_allowed = !settings.force
            || settings.format.map(Algorithm::mime_name) == src_algorithm.map(Algorithm::mime_name);
        let exact_tried = !rules.diff_id_needed && reuse_allowed;
        let (reused, read_ahead) = if exact_tried {
            self.try_reuse_reading_ahead(info).await?
        } else {
            (None, None)
        };
        if let Some(reused) = reused {
            progress.skipped(SkipReason::Present);
            self.learn_locations(None, &reused.digest);
            return Ok(LayerCopied {
                edit: LayerEdit {
                    info: stored(&reused, None),
                    op: CompressionOp::Preserve,
                    algorithm: src_algorithm,
                    crypto: CryptoOp::None,
                },
                diff_id: None,
            });
        }
        if !rules.diff_id_needed
            && let Some(found) = self.try_reuse_cached(info, rules, exact_tried).await
        {
            progress.skipped(SkipReason::Cached);
            return Ok(found);
        }

        let local = self.src.local_blob(info);
        let magic = match &local {
            Some(l) => read_magic_at(&l.path, l.offset, l.len)?,
            None => Vec::new(),
        };
        let (stream, magic) = if local.is_some() {
            (None, magic)
        } else {
            let stream = match read_ahead {
                Some(read) => read,
                None => self.src.blob(info).await,
            }
            .with_context(|| format!("reading blob {}", info.digest))?;
            let (magic, stream) = peek(stream).await?;
            (Some(stream), magic)
        };
        let detected = Algorithm::detect(&magic);
        let choice = self.compression_step(detected, rules)?;

        // Unchanged bytes between local files: the destination copies (and verifies) them.
        if let (Some(l), Step::Copy, false) = (&local, choice.step, rules.diff_id_needed)
            && let Some(done) = self
                .dest
                .put_local_blob(l, info)
                .await
                .context("writing blob")?
        {
            progress.advance(l.len);
            progress.done();
            let copied = LayerCopied {
                edit: LayerEdit {
                    info: stored(&done, info.annotations.clone()),
                    op: CompressionOp::Preserve,
                    algorithm: choice.algorithm,
                    crypto: CryptoOp::None,
                },
                diff_id: None,
            };
            self.learn_sent(&info.digest, detected, &choice.step, &copied);
            return Ok(copied);
        }
        let stream = match stream {
            Some(s) => s,
            None => self
                .src
                .blob(info)
                .await
                .with_context(|| format!("reading blob {}", info.digest))?,
        };
        let verified: BlobStream = Box::pin(VerifyingReader::new(stream, &info.digest, info.size));
        let changes = choice.step != Step::Copy;
        let upload = UploadInfo {
            digest: (!changes).then(|| info.digest.clone()),
            size: if changes { None } else { info.size },
            media_type: info.media_type.clone(),
            is_config: false,
        };
        let annotations = if changes {
            None
        } else {
            info.annotations.clone()
        };
        let sent = SentLayer {
            upload,
            annotations,
            detected,
            encrypt: None,
        };
        let kind = choice.step;
        let copied = self
            .send_layer(verified, sent, choice, rules, progress)
            .await?;
        self.learn_sent(&info.digest, detected, &kind, &copied);
        Ok(copied)
    }

    /// Streams a layer's (verified) bytes through `choice` to the destination, computing the
    /// diff ID on the way when the rules need it.
    pub(crate) async fn send_layer(
        &self,
        verified: BlobStream,
        sent: SentLayer,
        choice: CompressionChoice,
        rules: LayerRules,
        progress: &BlobTracker<'_>,
    ) -> Result<LayerCopied> {
        let counted: BlobStream = Box::pin(Counting {
            inner: verified,
            bytes: progress.counter(),
        });
        let CompressionChoice {
            step,
            op,
            algorithm,
        } = choice;
        let changes = step != Step::Copy;
        let (upload_stream, done) = if changes || rules.diff_id_needed {
            let diff = rules.diff_id_needed.then_some(sent.detected);
            let (s, done) = pipeline::spawn(counted, step, diff);
            (s, Some(done))
        } else {
            (counted, None)
        };
        let (upload_stream, encryption) = match sent.encrypt {
            Some((config, plain)) => {
                let (s, e) = super::crypto::encrypt_stream(upload_stream, plain.as_ref(), config);
                (s, Some(e))
            }
            None => (upload_stream, None),
        };
        let put = self
            .dest
            .put_blob(annotate_read_errors(upload_stream), &sent.upload)
            .await;
        let finished = match done {
            Some(done) => Some(
                done.await
                    .map_err(|_| anyhow!("Internal error: layer pipeline vanished"))?,
            ),
            None => None,
        };
        let (stored_info, finished) = match (put, finished) {
            (Err(e), _) => return Err(e.context("writing blob")),
            (Ok(_), Some(Err(e))) => {
                return Err(anyhow::Error::from(e).context("computing layer DiffID"));
            }
            (Ok(s), Some(Ok(f))) => (s, f),
            (Ok(s), None) => (s, pipeline::Finished::default()),
        };
        progress.done();
        // New bytes carry only what their compressor says about them (c/image drops the
        // source's annotations then); unchanged bytes keep the source's.
        let mut annotations = if changes {
            Some(finished.annotations).filter(|a| !a.is_empty())
        } else {
            sent.annotations
        };
        if let Some(encryption) = encryption {
            annotations
                .get_or_insert_with(Default::default)
                .extend(encryption.finish()?);
        }
        let diff_id = finished.diff_id;
        Ok(LayerCopied {
            edit: LayerEdit {
                info: stored(&stored_info, annotations),
                op,
                algorithm,
                crypto: CryptoOp::None,
            },
            diff_id,
        })
    }

    /// c/image's choice of what to do with a layer's compression.
    pub(crate) fn compression_step(
        &self,
        detected: Option<Algorithm>,
        rules: LayerRules,
    ) -> Result<CompressionChoice> {
        let desired = self.dest.properties().desired_layer_compression;
        let settings = self.options.compression;
        let level = settings.level;
        if rules.can_modify && rules.compression_change_supported {
            match (desired, detected) {
                (LayerCompression::Compress, None) => {
                    let to = settings.format.unwrap_or(Algorithm::Gzip);
                    return Ok(CompressionChoice::new(
                        Step::Compress(to, level),
                        CompressionOp::Compress,
                        Some(to),
                    ));
                }
                (LayerCompression::Compress, Some(from))
                    if settings.format.is_some_and(|to| to.name() != from.name()) =>
                {
                    let to = settings.format.unwrap_or(from);
                    return Ok(CompressionChoice::new(
                        Step::Recompress { from, to, level },
                        CompressionOp::Preserve,
                        Some(to),
                    ));
                }
                (LayerCompression::Decompress, Some(from)) => {
                    return Ok(CompressionChoice::new(
                        Step::Decompress(from),
                        CompressionOp::Decompress,
                        None,
                    ));
                }
                _ => {}
            }
        }
        let algorithm = if rules.compression_change_supported {
            detected
        } else {
            None
        };
        Ok(CompressionChoice::new(
            Step::Copy,
            CompressionOp::Preserve,
            algorithm,
        ))
    }

    /// A blob whose copy failed part way is copied once more when that can help and the
    /// source can be read again (a registry, or a file on disk): a registry that served bytes
    /// which are not the blob (a broken cache or proxy on the way) is asked once more; a
    /// transient failure (a 5xx or a reset on an upload too big to replay from memory) is
    /// tried up to twice more after a short, jittered pause. Streams that cannot be read
    /// twice (a daemon's tarball, a pipe) fail at once, as before.
    async fn again_if_worth_it<T, F, Fut>(&self, info: &BlobInfo, mut op: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let digest = &info.digest;
        let rereadable = self.src.blob_origin().is_some() || self.src.local_blob(info).is_some();
        let mut transient_left = 2u32;
        let mut mismatch_left = 1u32;
        loop {
            match op().await {
                Err(e) if rereadable && mismatch_left > 0 && is_mismatch(e.as_ref()) => {
                    mismatch_left -= 1;
                    crate::error::debug(&format!("{e:#}; downloading {digest} once more"));
                }
                Err(e)
                    if rereadable
                        && transient_left > 0
                        && !is_mismatch(e.as_ref())
                        && crate::contract::retry::is_retryable(&e) =>
                {
                    transient_left -= 1;
                    let pause = crate::contract::retry::backoff(5 - transient_left);
                    crate::error::debug(&format!(
                        "{e:#}; copying {digest} again in {}",
                        crate::contract::retry::go_duration(pause)
                    ));
                    tokio::time::sleep(pause).await;
                }
                other => return other,
            }
        }
    }

    /// [`try_reuse`](Self::try_reuse), with the source's read of the blob started meanwhile
    /// when both ends are registries (not the same one, which may mount it instead): the
    /// blob's bytes are on their way a round trip sooner when the destination lacks it. When
    /// it has it, the read is dropped unread, without waiting for the source's answer.
    async fn try_reuse_reading_ahead(
        &self,
        info: &BlobInfo,
    ) -> Result<(Option<BlobInfo>, Option<Result<BlobStream>>)> {
        let ahead = match (self.src.blob_origin(), self.dest.blob_origin()) {
            (
                Some(BlobOrigin::Registry { registry: from, .. }),
                Some(BlobOrigin::Registry { registry: to, .. }),
            ) => from != to && self.src.local_blob(info).is_none(),
            _ => false,
        };
        if !ahead {
            return Ok((self.try_reuse(info).await?, None));
        }
        // The answer about the destination decides: when it has the blob, the read is dropped
        // at once rather than awaited (a busy source answers the read later than the check).
        let reuse = self.try_reuse(info);
        let read = self.src.blob(info);
        tokio::pin!(reuse, read);
        let mut answered = None;
        let reused = loop {
            tokio::select! {
                r = &mut reuse => break r?,
                r = &mut read, if answered.is_none() => answered = Some(r),
            }
        };
        if reused.is_some() {
            return Ok((reused, None));
        }
        let read = match answered {
            Some(r) => r,
            None => read.await,
        };
        Ok((None, Some(read)))
    }

    /// Whether the destination has the blob already (the one place blobs are reused).
    /// The source says where it keeps the blob, so a registry can mount it from another
    /// repository instead of receiving it.
    pub(crate) async fn try_reuse(&self, info: &BlobInfo) -> Result<Option<BlobInfo>> {
        let origin = self.src.blob_origin();
        self.dest
            .try_reuse_blob_from(info, origin.as_ref())
            .await
            .with_context(|| format!("trying to reuse blob {} at destination", info.digest))
    }

    /// Copies a blob unchanged (configs; layers go through `copy_layer_blob`): reused if the
    /// destination has it, copied from file to file (the destination verifies) between local
    /// ends, else streamed and verified. A config sent beside the layers is reported now.
    pub(crate) async fn copy_blob(&self, info: &BlobInfo, kind: BlobKind) -> Result<BlobInfo> {
        let progress = self.track(kind, info);
        let ahead = self
            .configs_ahead
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&info.digest);
        if let Some((stored, ending)) = ahead {
            progress.replay(ending);
            return Ok(stored);
        }
        self.copy_blob_tracked(info, kind, &progress).await
    }

    /// A registry destination gets the config while the layers move, instead of after them:
    /// its round trips (check, read, upload) leave the copy's critical path. Reported when the
    /// copy reaches the config ([`copy_blob`](Self::copy_blob)); a failure here is forgotten,
    /// and the config copied then as usual.
    pub(crate) async fn copy_config_ahead(&self, info: &BlobInfo) {
        let progress = BlobTracker::unseen(BlobKind::Config, info);
        let copied = self
            .copy_blob_tracked(info, BlobKind::Config, &progress)
            .await;
        if let (Ok(stored), Some(ending)) = (copied, progress.ending()) {
            self.configs_ahead
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(info.digest.clone(), (stored, ending));
        }
    }

    /// Whether the destination is a registry: sending the config ahead saves round trips.
    pub(crate) fn config_ahead_pays(&self) -> bool {
        matches!(self.dest.blob_origin(), Some(BlobOrigin::Registry { .. }))
            && self.dest.properties().has_thread_safe_put_blob
    }

    async fn copy_blob_tracked(
        &self,
        info: &BlobInfo,
        kind: BlobKind,
        progress: &BlobTracker<'_>,
    ) -> Result<BlobInfo> {
        let send = async {
            let stored = self
                .again_if_worth_it(info, || self.copy_blob_unshared(info, kind, progress))
                .await?;
            Ok(LayerCopied {
                edit: LayerEdit {
                    info: stored,
                    op: CompressionOp::Preserve,
                    algorithm: None,
                    crypto: CryptoOp::None,
                },
                diff_id: None,
            })
        };
        let (copied, reused) = self.through_ledger(&info.digest, None, send).await?;
        if reused {
            progress.skipped(SkipReason::Shared);
        }
        Ok(copied.edit.info)
    }

    async fn copy_blob_unshared(
        &self,
        info: &BlobInfo,
        kind: BlobKind,
        progress: &BlobTracker<'_>,
    ) -> Result<BlobInfo> {
        progress.restart();
        let (reused, read_ahead) = self.try_reuse_reading_ahead(info).await?;
        if let Some(reused) = reused {
            progress.skipped(SkipReason::Present);
            self.learn_locations(None, &reused.digest);
            return Ok(reused);
        }
        if let Some(reused) = self.try_reuse_cached_blob(info).await {
            progress.skipped(SkipReason::Cached);
            return Ok(reused);
        }
        if let Some(local) = self.src.local_blob(info)
            && let Some(done) = self
                .dest
                .put_local_blob(&local, info)
                .await
                .context("writing blob")?
        {
            progress.advance(local.len);
            progress.done();
            self.learn_locations(Some(&info.digest), &done.digest);
            return Ok(done);
        }
        let stream = match read_ahead {
            Some(read) => read,
            None => self.src.blob(info).await,
        }
        .with_context(|| format!("reading blob {}", info.digest))?;
        let verified = VerifyingReader::new(stream, &info.digest, info.size);
        let counted: BlobStream = Box::pin(Counting {
            inner: verified,
            bytes: progress.counter(),
        });
        let stored = self
            .dest
            .put_blob(
                annotate_read_errors(counted),
                &upload_info(info, kind == BlobKind::Config),
            )
            .await
            .context("writing blob")?;
        progress.done();
        self.learn_locations(Some(&info.digest), &stored.digest);
        Ok(stored)
    }

    /// Stores a blob the copy made (a converted config, schema 1's empty layer).
    pub(crate) async fn put_new_blob(
        &self,
        bytes: Vec<u8>,
        media_type: &str,
        is_config: bool,
    ) -> Result<BlobInfo> {
        let digest = Digest::sha256_of(&bytes);
        let info = BlobInfo::new(digest.clone(), Some(bytes.len() as u64), media_type);
        let kind = if is_config {
            BlobKind::Config
        } else {
            BlobKind::Blob
        };
        let progress = self.track(kind, &info);
        if let Some(reused) = self.try_reuse(&info).await? {
            progress.skipped(SkipReason::Present);
            return Ok(reused);
        }
        let len = bytes.len() as u64;
        let stream: BlobStream = Box::pin(Cursor::new(bytes));
        let stored = self
            .dest
            .put_blob(stream, &upload_info(&info, is_config))
            .await
            .context("writing blob")?;
        progress.advance(len);
        progress.done();
        if stored.digest != digest {
            return Err(anyhow!(
                "Internal error: copying uncompressed config blob {digest} changed digest to {}",
                stored.digest
            ));
        }
        Ok(stored)
    }
}

fn upload_info(info: &BlobInfo, is_config: bool) -> UploadInfo {
    UploadInfo {
        digest: Some(info.digest.clone()),
        size: info.size,
        media_type: info.media_type.clone(),
        is_config,
    }
}

/// A layer as the destination reports it: c/image keeps only the digest and size of what was
/// stored (and the source's annotations when the bytes did not change).
fn stored(
    b: &BlobInfo,
    annotations: Option<std::collections::BTreeMap<String, String>>,
) -> BlobInfo {
    BlobInfo {
        digest: b.digest.clone(),
        size: b.size,
        media_type: MediaType::default(),
        urls: Vec::new(),
        annotations,
    }
}

fn read_magic_at(path: &std::path::Path, offset: u64, len: u64) -> Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; MAGIC_LEN.min(len as usize)];
    let n = f.read_at(&mut buf, offset)?;
    buf.truncate(n);
    Ok(buf)
}

/// Reads the first bytes of a stream and gives back a stream that still starts with them.
pub(crate) async fn peek(mut stream: BlobStream) -> Result<(Vec<u8>, BlobStream)> {
    let mut magic = Vec::with_capacity(MAGIC_LEN);
    while magic.len() < MAGIC_LEN {
        let mut byte = [0u8; MAGIC_LEN];
        let n = stream.read(&mut byte[..MAGIC_LEN - magic.len()]).await?;
        if n == 0 {
            break;
        }
        magic.extend_from_slice(&byte[..n]);
    }
    let rest: BlobStream = Box::pin(Cursor::new(magic.clone()).chain(stream));
    Ok((magic, rest))
}

/// Read failures passed through a destination are named as such (c/image's words), so they
/// are not taken for the destination's own failures.
fn annotate_read_errors(inner: BlobStream) -> BlobStream {
    Box::pin(ReadErrors { inner })
}

struct ReadErrors {
    inner: BlobStream,
}

impl AsyncRead for ReadErrors {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.inner.as_mut().poll_read(cx, buf) {
            std::task::Poll::Ready(Err(e)) => {
                std::task::Poll::Ready(Err(std::io::Error::new(e.kind(), DuringRead(e))))
            }
            other => other,
        }
    }
}

/// Reports bytes to the progress display as they pass.
struct Counting<R> {
    inner: R,
    bytes: Arc<std::sync::atomic::AtomicU64>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Counting<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let res = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        if n > 0 {
            self.bytes
                .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        }
        res
    }
}
