//! Writing an image to a registry: blobs are checked with HEAD, mounted from another
//! repository of the same registry when the source is there, else uploaded (POST, one
//! streamed PATCH — or chunks when the registry sets a maximum — and PUT); the manifest is
//! PUT as the exact bytes given.

use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, anyhow};
use async_trait::async_trait;
use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE};
use tokio::io::AsyncReadExt;
use url::Url;

use super::challenge::Scope;
use super::client::{Body, Client, Request, Response};
use super::errors::{ErrorCode, RegistryError};
use super::memo::Answer;
use super::{attachments, lookaside, probe, repository_client, tag_or_digest};
use crate::config::registries::Registries;
use crate::contract::ManifestTypeRejected;
use crate::contract::retry::Transient;
use crate::digest::{Digest, Hasher};
use crate::manifest::media_type as mt;
use crate::reference::DockerReference;
use crate::signature::Signature;
use crate::transport::fsutil;
use crate::transport::{
    BlobOrigin, BlobPresent, BlobStream, DestinationProperties, ImageDestination, LayerCompression,
    UploadInfo,
};
use crate::types::{BlobInfo, SystemContext};

/// How much of a blob is read at once for a streamed upload.
const UPLOAD_READ: usize = 128 << 10;
/// Chunk size for registries that take uploads only in limited chunks.
const UPLOAD_BUFFER: usize = 1 << 20;
/// Tries of one chunk, resumed where the registry's upload stands.
const CHUNK_ATTEMPTS: u32 = 4;
/// Blobs up to this size are uploaded from memory, so that a failed PUT can be repeated.
const REPLAYABLE_UPLOAD: u64 = 4 << 20;

pub struct DockerDestination {
    reference: DockerReference,
    client: Arc<Client>,
    ctx: SystemContext,
    /// The digest of the top-level manifest once written (for signatures).
    manifest_digest: Mutex<Option<Digest>>,
    /// Upload sessions a refused mount opened, kept for the blob's upload.
    sessions: Mutex<std::collections::HashMap<Digest, Session>>,
    /// registries.d's `use-sigstore-attachments` for this repository.
    sigstore_attachments: bool,
    /// What the destination's name holds now, asked when the destination opens (see
    /// [`HeadAhead`]); taken by the first `existing_manifest_digest`.
    head_ahead: Mutex<Option<HeadAhead>>,
    /// Upload sessions opened beside a blob check that found the blob, being closed off the
    /// copy's path; `commit` waits for them, so that none outlives a successful copy.
    closing: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Whether the registry did not know the repository (asked as the destination opens).
    repository_new: Arc<tokio::sync::OnceCell<bool>>,
}

/// The HEAD of the destination's manifest, sent as the destination opens: it (and the ping
/// before it) crosses the network while the source's manifest is read, instead of after —
/// two round trips off a copy's critical path. A sync's up-to-date check may have asked
/// already: its answer is used instead.
enum HeadAhead {
    Known(Option<Digest>),
    Asking(tokio::task::JoinHandle<Result<Option<Digest>>>),
}

impl HeadAhead {
    fn start(client: &Arc<Client>, reference: &DockerReference) -> Option<HeadAhead> {
        let path = probe::manifest_path(reference).ok()?;
        if let Some(Answer::Head(digest)) = client.memo().take(&path) {
            return Some(HeadAhead::Known(digest));
        }
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let client = client.clone();
        Some(HeadAhead::Asking(runtime.spawn(async move {
            Ok(probe::head_at(&client, path).await?.map(|h| h.digest))
        })))
    }
}

impl Drop for DockerDestination {
    fn drop(&mut self) {
        let ahead = self.head_ahead.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(HeadAhead::Asking(task)) = ahead.take() {
            task.abort();
        }
    }
}

/// Opens an upload session in `repo` (owned arguments, so that it can run as its own task).
async fn open_session(client: Arc<Client>, repo: String) -> Result<Session> {
    let path = format!("/v2/{repo}/blobs/uploads/");
    let res = client
        .send(Request::new(Method::POST, path.clone()))
        .await?;
    if res.status() != 202 {
        let err = res.error().await;
        return Err(err.context(format!(
            "initiating layer upload to {path} in {}",
            client.registry
        )));
    }
    Session::from_response(&res)
}

/// Whether the registry answers that it does not know `repo` (`NAME_UNKNOWN` for its tag
/// list). Any other answer, or none, counts as known.
async fn repository_unknown(client: &Client, repo: &str) -> bool {
    let req = Request::new(Method::GET, format!("/v2/{repo}/tags/list?n=1"));
    let Ok(res) = client.send(req).await else {
        return false;
    };
    if res.status() != 404 {
        return false;
    }
    res.error()
        .await
        .downcast_ref::<RegistryError>()
        .is_some_and(|e| e.has_code(ErrorCode::NameUnknown))
}

/// Deletes an upload session nobody will use; a failure only leaves it to the registry's
/// own purge of stale uploads.
async fn close_session(client: &Client, session: Session) {
    let _ = client
        .send(Request::to_url(Method::DELETE, session.location))
        .await;
}

/// An upload session the registry opened: where to send, and its chunk limit.
struct Session {
    location: Url,
    max_chunk: Option<usize>,
}

impl Session {
    fn from_response(res: &Response) -> Result<Session> {
        Ok(Session {
            location: res.location().context("determining upload URL")?,
            max_chunk: res
                .header("oci-chunk-max-length")
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|n| *n > 0),
        })
    }
}

impl DockerDestination {
    pub fn open(reference: &DockerReference, ctx: &SystemContext) -> Result<DockerDestination> {
        let registries = Registries::load(ctx).context("loading registries")?;
        let endpoint = registries.push_endpoint(reference)?;
        let client = Arc::new(repository_client(
            ctx,
            reference,
            endpoint.insecure,
            "pull,push",
        )?);
        let sigstore_attachments = lookaside::use_sigstore_attachments(ctx, reference)?;
        let head_ahead = HeadAhead::start(&client, reference);
        let repository_new = client.schedule().repository_new(reference.path());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (cell, client, repo) = (
                repository_new.clone(),
                client.clone(),
                reference.path().to_string(),
            );
            runtime.spawn(async move {
                cell.get_or_init(|| repository_unknown(&client, &repo))
                    .await;
            });
        }
        Ok(DockerDestination {
            repository_new,
            sigstore_attachments,
            reference: reference.clone(),
            client,
            ctx: ctx.clone(),
            manifest_digest: Mutex::new(None),
            sessions: Mutex::default(),
            closing: Mutex::default(),
            head_ahead: Mutex::new(head_ahead),
        })
    }

    /// Uploads a blob: POST, PATCH (whole or in the chunks the registry takes), PUT.
    async fn upload_blob(&self, stream: BlobStream, info: &UploadInfo) -> Result<BlobInfo> {
        // While it is uploaded, other tasks of this process wait to look for it here.
        let _link = match &info.digest {
            Some(d) => Some(self.client.blob_link(self.reference.path(), d).await),
            None => None,
        };
        let opened = info
            .digest
            .as_ref()
            .and_then(|d| self.sessions.lock().unwrap().remove(d));
        let Session {
            location,
            max_chunk,
        } = match opened {
            Some(s) => s,
            None => self.start_upload().await?,
        };
        // Digest and size known: the whole blob goes in the PUT that completes the upload,
        // one round trip fewer than PATCH then PUT (every registry takes this).
        if let (Some(digest), Some(size), None) = (&info.digest, info.size, max_chunk) {
            return self
                .put_monolithic(location, stream, digest, size, &info.media_type)
                .await;
        }
        let counter = Arc::new(Counter::new(info.digest.is_none()));
        let location = match max_chunk {
            Some(max) => {
                self.patch_chunks(location, stream, max, counter.clone())
                    .await?
            }
            None => {
                self.patch_stream(location, stream, info.size, counter.clone())
                    .await?
            }
        };
        let digest = match &info.digest {
            Some(d) => d.clone(),
            None => counter
                .hasher
                .lock()
                .unwrap()
                .take()
                .map(Hasher::finish)
                .ok_or_else(|| anyhow!("internal error: upload digest not computed"))?,
        };
        self.complete_upload(location, Body::Empty, &digest, &counter, &info.media_type)
            .await
    }

    /// The PUT that ends an upload (with the last bytes in `body`, or none). A retried PUT
    /// whose first attempt went through finds its upload gone: the blob being there is the
    /// success it hid.
    async fn complete_upload(
        &self,
        location: Url,
        body: Body,
        digest: &Digest,
        counter: &Counter,
        media_type: &str,
    ) -> Result<BlobInfo> {
        let mut put = location;
        put.query_pairs_mut()
            .append_pair("digest", &digest.to_string());
        let moves = match &body {
            Body::Stream(_, size) => *size,
            Body::Bytes(b) => Some(b.len() as u64),
            _ => None,
        };
        let req = Request::to_url(Method::PUT, put.clone())
            .header(CONTENT_TYPE, "application/octet-stream")
            .moving(moves)
            .body(body);
        let res = self.client.send(req).await?;
        let status = res.status();
        if status != 201 {
            let err = res.error().await;
            if matches!(self.blob_exists(digest).await, Ok(Some(_))) {
                crate::error::debug(&format!(
                    "upload of {digest} completed by an earlier attempt ({err:#})"
                ));
            } else {
                return Err(
                    upload_failure(err, status).context(format!("uploading layer to {put}"))
                );
            }
        }
        let size = Some(counter.size.load(std::sync::atomic::Ordering::Relaxed));
        self.client
            .schedule()
            .mark_present(self.reference.path(), digest, BlobPresent { size });
        Ok(BlobInfo::new(digest.clone(), size, media_type.to_string()))
    }

    /// `--dest-precompute-digests` (c/image's DockerRegistryPushPrecomputeDigests): a blob of
    /// unknown digest is spooled to a temporary file first, so its digest can be asked for
    /// before sending it; one the registry already has is not sent again.
    async fn put_blob_precomputed(
        &self,
        stream: BlobStream,
        info: &UploadInfo,
    ) -> Result<BlobInfo> {
        let dir = crate::transport::docker_archive::reader::big_files_dir(&self.ctx);
        let (spooled, digest) = fsutil::receive_stream(stream, &dir, None).await?;
        let size = spooled.len();
        if let Some(existing) = self.blob_exists(&digest).await? {
            let size = existing.size.unwrap_or(size);
            return Ok(BlobInfo::new(digest, Some(size), info.media_type.clone()));
        }
        let file = tokio::fs::File::from_std(spooled.reopen()?);
        let known = UploadInfo {
            digest: Some(digest),
            size: Some(size),
            ..info.clone()
        };
        // `spooled` (and so the file) lives until the upload is done.
        let uploaded = self.upload_blob(Box::pin(file), &known).await;
        drop(spooled);
        uploaded
    }

    fn blob_path(&self, repo: &str, digest: &Digest) -> String {
        format!("/v2/{repo}/blobs/{digest}")
    }

    /// HEADs a blob; whether it is there.
    async fn blob_exists(&self, digest: &Digest) -> Result<Option<BlobPresent>> {
        self.blob_exists_in(self.reference.path(), digest).await
    }

    /// HEADs a blob in `repo` (asking for pull access there when it is another repository).
    async fn blob_exists_in(&self, repo: &str, digest: &Digest) -> Result<Option<BlobPresent>> {
        let path = self.blob_path(repo, digest);
        let scope = (repo != self.reference.path()).then(|| Scope::repository(repo, "pull"));
        let res = self
            .client
            .send(Request::new(Method::HEAD, path).extra_scope(scope))
            .await?;
        match res.status() {
            200 => Ok(Some(BlobPresent {
                size: res.header("content-length").and_then(|v| v.parse().ok()),
            })),
            404 => Ok(None),
            401 => Err(res.error().await.context(format!(
                "checking whether a blob {digest} exists in {}",
                self.reference.name()
            ))),
            s => {
                let err = anyhow!(
                    "failed to read from destination repository {repo}: {s} ({})",
                    reqwest::StatusCode::from_u16(s)
                        .ok()
                        .and_then(|c| c.canonical_reason())
                        .unwrap_or("")
                );
                // Still failing after the client's own retries: `--retry-times` may help.
                if s >= 500 {
                    return Err(Transient(format!("{err:#}")).into());
                }
                Err(err)
            }
        }
    }

    /// Asks the registry to link `digest` from `from_repo`: true when it did.
    async fn mount(&self, from_repo: &str, digest: &Digest) -> Result<bool> {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("mount", &digest.to_string())
            .append_pair("from", from_repo)
            .finish();
        let path = format!("/v2/{}/blobs/uploads/?{query}", self.reference.path());
        let scope = Scope::repository(from_repo, "pull");
        let res = self
            .client
            .send(Request::new(Method::POST, path).extra_scope(Some(scope.clone())))
            .await?;
        match res.status() {
            201 => Ok(true),
            202 => {
                // The registry started an upload instead: the blob's upload will use it.
                if let Ok(session) = Session::from_response(&res) {
                    self.sessions
                        .lock()
                        .unwrap()
                        .insert(digest.clone(), session);
                }
                Ok(false)
            }
            _ => Ok(false),
        }
    }

    async fn start_upload(&self) -> Result<Session> {
        open_session(self.client.clone(), self.reference.path().to_string()).await
    }

    /// Sends the whole stream in one PATCH.
    async fn patch_stream(
        &self,
        location: Url,
        stream: BlobStream,
        size: Option<u64>,
        counter: Arc<Counter>,
    ) -> Result<Url> {
        let counted = CountingStream {
            inner: tokio_util::io::ReaderStream::with_capacity(stream, UPLOAD_READ),
            counter,
        };
        let req = Request::to_url(Method::PATCH, location)
            .header(CONTENT_TYPE, "application/octet-stream")
            .moving(size)
            .body(Body::Stream(Box::pin(counted), size));
        let res = self.client.send(req).await?;
        let status = res.status();
        if !(200..400).contains(&status) {
            let err = upload_failure(res.error().await, status);
            return Err(err.context("uploading layer chunked"));
        }
        res.location().context("determining upload URL")
    }

    /// Sends the stream in PATCHes of at most `max` bytes with `Content-Range`.
    async fn patch_chunks(
        &self,
        mut location: Url,
        mut stream: BlobStream,
        max: usize,
        counter: Arc<Counter>,
    ) -> Result<Url> {
        let mut offset = 0u64;
        let mut buf = Vec::with_capacity(max.min(UPLOAD_BUFFER * 8));
        loop {
            buf.clear();
            while buf.len() < max {
                let want = (max - buf.len()).min(UPLOAD_BUFFER);
                let start = buf.len();
                buf.resize(start + want, 0);
                let n = stream.read(&mut buf[start..]).await?;
                buf.truncate(start + n);
                if n == 0 {
                    break;
                }
            }
            if buf.is_empty() && offset > 0 {
                return Ok(location);
            }
            counter.add(&buf);
            let end = offset + buf.len() as u64;
            location = self.send_chunk(location, offset, &buf).await?;
            offset = end;
            if buf.len() < max {
                return Ok(location);
            }
        }
    }

    /// Sends one chunk that starts at `start`. A chunk that fails part-way (a reset, a 5xx)
    /// is resumed where the registry says its upload stands, so nothing is sent twice and
    /// the blob's bytes stay in order; the chunk is still in memory, so this is safe.
    async fn send_chunk(&self, mut location: Url, start: u64, chunk: &[u8]) -> Result<Url> {
        let end = start + chunk.len() as u64;
        let mut from = start;
        let mut attempt = 0;
        loop {
            let part = &chunk[(from - start) as usize..];
            let err = match self.patch_once(location.clone(), from, part).await {
                Ok(next) => return Ok(next),
                Err(e) => e,
            };
            attempt += 1;
            if attempt >= CHUNK_ATTEMPTS || part.is_empty() {
                return Err(err);
            }
            let Ok((next, received)) = self.upload_offset(&location).await else {
                return Err(err);
            };
            if !(start..=end).contains(&received) {
                return Err(err);
            }
            crate::error::debug(&format!(
                "chunk {start}-{end} failed at {received} ({err:#}); resuming"
            ));
            location = next;
            if received == end {
                return Ok(location);
            }
            from = received;
        }
    }

    /// One PATCH of `bytes` at `offset`; the next upload URL.
    async fn patch_once(&self, location: Url, offset: u64, bytes: &[u8]) -> Result<Url> {
        let mut req = Request::to_url(Method::PATCH, location)
            .header(CONTENT_TYPE, "application/octet-stream")
            .moving(Some(bytes.len() as u64))
            .body(Body::Bytes(Bytes::copy_from_slice(bytes)));
        // Replaying a PATCH blindly could repeat bytes: `send_chunk` resumes instead.
        req.retry = false;
        if !bytes.is_empty() {
            req = req
                .header(
                    CONTENT_RANGE,
                    &format!("{offset}-{}", offset + bytes.len() as u64 - 1),
                )
                .header(CONTENT_LENGTH, &bytes.len().to_string());
        }
        let res = self.client.send(req).await?;
        let status = res.status();
        if !(200..400).contains(&status) {
            let err = upload_failure(res.error().await, status);
            return Err(err.context("uploading layer chunked"));
        }
        res.location().context("determining upload URL")
    }

    /// How many bytes an upload holds, as the registry reports it (`Range: 0-LAST`), and
    /// its URL for the next request.
    async fn upload_offset(&self, location: &Url) -> Result<(Url, u64)> {
        let res = self
            .client
            .send(Request::to_url(Method::GET, location.clone()))
            .await?;
        if res.status() != 204 {
            return Err(res.error().await);
        }
        let range = res.header("range").unwrap_or_default();
        let last: u64 = range
            .strip_prefix("0-")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| anyhow!("invalid upload Range {range:?}"))?;
        let next = res.location().unwrap_or_else(|_| location.clone());
        // distribution says `0-0` for an empty upload too: resending a byte is refused and
        // fails cleanly, skipping one would not, so `0-0` counts as nothing received.
        let received = if last == 0 { 0 } else { last + 1 };
        Ok((next, received))
    }

    /// Completes an upload with the whole blob in one PUT.
    async fn put_monolithic(
        &self,
        location: Url,
        stream: BlobStream,
        digest: &Digest,
        size: u64,
        media_type: &str,
    ) -> Result<BlobInfo> {
        let counter = Arc::new(Counter::new(false));
        // A small blob is read into memory first, so a reset, a stall or a 5xx/429 on the
        // PUT is retried with the same bytes; a big one streams and such a failure ends
        // the copy (memory stays bounded).
        let body = if size <= REPLAYABLE_UPLOAD {
            let mut stream = stream;
            let mut bytes = Vec::with_capacity(size as usize);
            stream.read_to_end(&mut bytes).await?;
            counter.add(&bytes);
            Body::Bytes(Bytes::from(bytes))
        } else {
            let counted = CountingStream {
                inner: tokio_util::io::ReaderStream::with_capacity(stream, UPLOAD_READ),
                counter: counter.clone(),
            };
            Body::Stream(Box::pin(counted), Some(size))
        };
        self.complete_upload(location, body, digest, &counter, media_type)
            .await
    }

    /// Adds `signatures` to the attachments of `digest`: the existing layers are kept, one
    /// identical to a new signature is not added twice, then the payloads, the config and the
    /// manifest are uploaded (c/image's order).
    async fn put_sigstore_attachments(
        &self,
        signatures: &[&Signature],
        digest: &Digest,
    ) -> Result<()> {
        let mut update =
            attachments::fetch_for_update(&self.client, &self.reference, digest).await?;
        for sig in signatures {
            let Signature::Sigstore(sig) = sig else {
                continue;
            };
            if let Some(layer) = update.add(sig) {
                crate::error::debug(&format!(
                    "Adding new signature, digest {}",
                    layer.descriptor.digest
                ));
                self.put_small_blob(layer.payload, &layer.descriptor.media_type, false)
                    .await?;
            }
        }
        let config = update.config_bytes();
        self.put_small_blob(config.clone(), mt::OCI_CONFIG, true)
            .await?;
        let manifest = update.manifest_bytes(&config);
        self.put_manifest_bytes(&manifest, &attachments::tag(digest))
            .await
    }

    /// Uploads a blob held in memory.
    async fn put_small_blob(
        &self,
        bytes: Vec<u8>,
        media_type: &str,
        is_config: bool,
    ) -> Result<()> {
        let digest = Digest::sha256_of(&bytes);
        let info = UploadInfo {
            digest: Some(digest.clone()),
            size: Some(bytes.len() as u64),
            media_type: media_type.into(),
            is_config,
        };
        let stream: BlobStream = Box::pin(std::io::Cursor::new(bytes));
        self.upload_blob(stream, &info)
            .await
            .with_context(|| format!("writing blob {digest}"))?;
        Ok(())
    }

    async fn put_manifest_bytes(&self, bytes: &[u8], tail: &str) -> Result<()> {
        let path = format!("/v2/{}/manifests/{tail}", self.reference.path());
        let mime = crate::manifest::guess_mime_type(bytes);
        // distribution rewrites a blob's link file in place when an upload of a blob it has
        // completes again, so a manifest PUT that lands meanwhile finds the blob unknown.
        // This process serialises its own writes; another process (a sync shard, a second
        // copy) may be the writer: the same PUT is tried again after a short wait.
        let mut waits = [100u64, 300, 900, 2700].into_iter();
        loop {
            let mut req = Request::new(Method::PUT, path.clone())
                .body(Body::Bytes(Bytes::copy_from_slice(bytes)));
            if !mime.is_empty() {
                req = req.header(CONTENT_TYPE, &mime);
            }
            let res = self.client.send(req).await?;
            if (200..400).contains(&res.status()) {
                // A registry with the referrers API says so for a manifest with a `subject`;
                // without it the fallback tag must be updated (see `referrers`).
                if res.header("oci-subject").is_some() {
                    self.client.schedule().mark_subject_indexed(
                        self.reference.path(),
                        &crate::manifest::digest(bytes)?,
                    );
                }
                return Ok(());
            }
            let err = res.error().await;
            let registry_error = err.downcast_ref::<RegistryError>();
            if registry_error.is_some_and(|e| e.lists_code(ErrorCode::ManifestBlobUnknown))
                && let Some(ms) = waits.next()
            {
                crate::error::debug(&format!(
                    "manifest {tail}: the registry does not know a blob it names (another writer linking it?); trying again in {ms} ms"
                ));
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                continue;
            }
            // A registry that refuses the manifest's type: the engine may try another type.
            let rejected = registry_error.is_some_and(|e| {
                e.has_code(ErrorCode::ManifestInvalid)
                    || e.has_code(ErrorCode::TagInvalid)
                    || (e.has_code(ErrorCode::Unsupported)
                        && e.to_string().contains("Invalid JSON syntax"))
            });
            let msg = format!("uploading manifest {tail} to {}", self.reference.name());
            if rejected {
                return Err(ManifestTypeRejected(format!("{msg}: {err:#}")).into());
            }
            return Err(err.context(msg));
        }
    }
}

/// A failed upload that another attempt, in a new upload session, can fix is marked
/// transient, so the engine copies the blob again from its source (the request itself
/// could not be sent twice, or its session is spoilt): a 500, which distribution gives for
/// races on its own storage, and an upload session the registry no longer takes (a retried
/// PUT after a connection lost mid-body finds it so).
fn upload_failure(err: anyhow::Error, status: u16) -> anyhow::Error {
    let session_spoilt = err.downcast_ref::<RegistryError>().is_some_and(|e| {
        e.has_code(ErrorCode::BlobUploadInvalid) || e.has_code(ErrorCode::BlobUploadUnknown)
    });
    if (status == 500 || session_spoilt) && !err.is::<Transient>() {
        return Transient(format!("{err:#}")).into();
    }
    err
}

/// Hashes and counts what an upload sends, for digests the engine did not know.
#[derive(Default)]
struct Counter {
    hasher: Mutex<Option<Hasher>>,
    size: std::sync::atomic::AtomicU64,
}

impl Counter {
    fn new(hash: bool) -> Counter {
        Counter {
            hasher: Mutex::new(hash.then(|| Hasher::new(crate::digest::Algorithm::Sha256))),
            size: Default::default(),
        }
    }

    fn add(&self, bytes: &[u8]) {
        self.size
            .fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
        if let Some(h) = self.hasher.lock().unwrap().as_mut() {
            h.update(bytes);
        }
    }
}

struct CountingStream<S> {
    inner: S,
    counter: Arc<Counter>,
}

impl<S> futures::Stream for CountingStream<S>
where
    S: futures::Stream<Item = std::io::Result<Bytes>> + Unpin,
{
    type Item = std::io::Result<Bytes>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        let res = std::pin::Pin::new(&mut self.inner).poll_next(cx);
        if let std::task::Poll::Ready(Some(Ok(b))) = &res {
            self.counter.add(b);
        }
        res
    }
}

#[async_trait]
impl ImageDestination for DockerDestination {
    fn properties(&self) -> DestinationProperties {
        DestinationProperties {
            supported_manifest_types: vec![
                mt::OCI_MANIFEST,
                mt::DOCKER_V2_SCHEMA2,
                mt::OCI_INDEX,
                mt::DOCKER_V2_LIST,
                mt::DOCKER_V2_SCHEMA1_SIGNED,
                mt::DOCKER_V2_SCHEMA1,
            ],
            desired_layer_compression: LayerCompression::Compress,
            accepts_foreign_layer_urls: true,
            has_thread_safe_put_blob: true,
            supports_signatures: Ok(()),
        }
    }

    async fn try_reuse_blob(&self, info: &BlobInfo) -> Result<Option<BlobInfo>> {
        self.try_reuse_blob_from(info, None).await
    }

    fn blob_origin(&self) -> Option<BlobOrigin> {
        Some(BlobOrigin::Registry {
            registry: self.client.registry.clone(),
            repository: self.reference.path().to_string(),
        })
    }

    fn cache_location(&self) -> Option<crate::blobcache::BlobLocation> {
        Some(super::cache_location(&self.reference))
    }

    /// c/image's candidate check: HEAD the blob where the cache saw it, then mount it from
    /// there when that is another repository. Any failure only means "not this candidate".
    async fn try_reuse_cached(
        &self,
        digest: &Digest,
        location: Option<&str>,
    ) -> Result<Option<BlobPresent>> {
        let repo = match location {
            None => self.reference.path().to_string(),
            Some(l) => match DockerReference::parse_normalized_named(l) {
                Ok(r) if r.domain() == self.reference.domain() => r.path().to_string(),
                _ => return Ok(None),
            },
        };
        let Ok(Some(present)) = self.blob_exists_in(&repo, digest).await else {
            return Ok(None);
        };
        if repo != self.reference.path() && !self.mount(&repo, digest).await.unwrap_or(false) {
            return Ok(None);
        }
        Ok(Some(present))
    }

    async fn try_reuse_blob_from(
        &self,
        info: &BlobInfo,
        origin: Option<&BlobOrigin>,
    ) -> Result<Option<BlobInfo>> {
        // Nobody else in this process writes this blob here while we look and mount.
        let _link = self
            .client
            .blob_link(self.reference.path(), &info.digest)
            .await;
        let repo = self.reference.path();
        let found = |present: BlobPresent| {
            self.client
                .schedule()
                .mark_present(repo, &info.digest, present);
            Some(BlobInfo::new(
                info.digest.clone(),
                present.size,
                info.media_type.clone(),
            ))
        };
        if let Some(present) = self.client.schedule().known_present(repo, &info.digest) {
            return Ok(found(present));
        }
        // Another repository of this registry has it: a mount answers whether it is here
        // (or now is) in one round trip, without a HEAD first.
        if let Some(BlobOrigin::Registry {
            registry,
            repository,
        }) = origin
            && *registry == self.client.registry
            && repository != self.reference.path()
            && self.mount(repository, &info.digest).await.unwrap_or(false)
        {
            return Ok(found(BlobPresent { size: info.size }));
        }
        // In a repository the registry did not know (a cold copy), every blob this process
        // does not know about is missing: its upload session is opened while the HEAD is in
        // flight, and its upload starts a round trip sooner. Elsewhere most blobs are there,
        // and a session opened for nothing stays on the registry's disk after its DELETE
        // (distribution keeps the directory), so the HEAD goes alone, as c/image sends it.
        let speculate = !self.sessions.lock().unwrap().contains_key(&info.digest)
            && *self
                .repository_new
                .get_or_init(|| repository_unknown(&self.client, repo))
                .await;
        let opening = speculate.then(|| {
            let path = self.reference.path().to_string();
            tokio::spawn(open_session(self.client.clone(), path))
        });
        let exists = self.blob_exists(&info.digest).await;
        if !matches!(exists, Ok(None)) {
            if let Some(opening) = opening {
                let client = self.client.clone();
                let closing = tokio::spawn(async move {
                    if let Ok(Ok(unused)) = opening.await {
                        close_session(&client, unused).await;
                    }
                });
                self.closing.lock().unwrap().push(closing);
            }
            return Ok(exists?.and_then(found));
        }
        let session = match opening {
            Some(opening) => opening.await.ok().and_then(Result::ok),
            None => None,
        };
        if let Some(session) = session {
            self.sessions
                .lock()
                .unwrap()
                .insert(info.digest.clone(), session);
        }
        Ok(None)
    }

    /// The engine has asked `try_reuse_blob` just before, so there is no second HEAD here —
    /// except for a blob whose digest only the upload would tell, with
    /// `--dest-precompute-digests`: it is spooled to learn its digest, and not sent if the
    /// registry has it (c/image's PutBlob).
    async fn put_blob(&self, stream: BlobStream, info: &UploadInfo) -> Result<BlobInfo> {
        if info.digest.is_none() && self.ctx.docker_registry_push_precompute_digests {
            return self.put_blob_precomputed(stream, info).await;
        }
        self.upload_blob(stream, info).await
    }

    async fn existing_manifest_digest(&self, instance: Option<&Digest>) -> Result<Option<Digest>> {
        let tail = match instance {
            Some(d) => d.to_string(),
            None => {
                let ahead = self.head_ahead.lock().unwrap().take();
                match ahead {
                    Some(HeadAhead::Known(digest)) => return Ok(digest),
                    Some(HeadAhead::Asking(task)) => {
                        if let Ok(answer) = task.await {
                            return answer;
                        }
                    }
                    None => {}
                }
                tag_or_digest(&self.reference)?
            }
        };
        let path = format!("/v2/{}/manifests/{tail}", self.reference.path());
        Ok(probe::head_at(&self.client, path).await?.map(|h| h.digest))
    }

    async fn put_manifest(&self, bytes: &[u8], instance: Option<&Digest>) -> Result<()> {
        let tail = match instance {
            Some(d) => {
                if !crate::manifest::matches_digest(bytes, d)? {
                    let actual = crate::manifest::digest(bytes)?;
                    return Err(anyhow!(
                        "Attempted to PutManifest using an explicitly specified digest ({:?}) that didn't match the manifest's digest ({:?})",
                        d.to_string(),
                        actual.to_string()
                    ));
                }
                d.to_string()
            }
            None => {
                *self.manifest_digest.lock().unwrap() = Some(crate::manifest::digest(bytes)?);
                tag_or_digest(&self.reference)?
            }
        };
        self.put_manifest_bytes(bytes, &tail).await
    }

    async fn put_signatures(
        &self,
        signatures: &[Signature],
        instance: Option<&Digest>,
    ) -> Result<()> {
        let digest = match instance {
            Some(d) => d.clone(),
            None => self
                .manifest_digest
                .lock()
                .unwrap()
                .clone()
                .ok_or_else(|| anyhow!("Unknown manifest digest, can't add signatures"))?,
        };
        let (sigstore, others): (Vec<&Signature>, Vec<&Signature>) = signatures
            .iter()
            .partition(|s| matches!(s, Signature::Sigstore(_)));
        if !sigstore.is_empty() {
            if let Some(why) = self.refuses_sigstore_signatures() {
                return Err(anyhow!(why));
            }
            self.put_sigstore_attachments(&sigstore, &digest).await?;
        }
        if others.is_empty() {
            return Ok(());
        }
        let others: Vec<Signature> = others.into_iter().cloned().collect();
        lookaside::write_all(&self.ctx, &self.reference, &digest, &others)
    }

    fn refuses_sigstore_signatures(&self) -> Option<String> {
        (!self.sigstore_attachments)
            .then(|| "writing sigstore attachments is disabled by configuration".to_string())
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        let closing = std::mem::take(&mut *self.closing.lock().unwrap());
        futures::future::join_all(closing).await;
        Ok(())
    }
}
