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
use super::errors::RegistryError;
use super::{accept_manifests, lookaside, repository_client, tag_or_digest};
use crate::config::registries::Registries;
use crate::copy::ManifestTypeRejected;
use crate::digest::{Digest, Hasher};
use crate::manifest::media_type as mt;
use crate::reference::DockerReference;
use crate::signature::Signature;
use crate::transport::{
    BlobOrigin, BlobStream, DestinationProperties, ImageDestination, LayerCompression, UploadInfo,
};
use crate::types::{BlobInfo, SystemContext};

/// How much of a blob is read at once for a streamed upload.
const UPLOAD_READ: usize = 128 << 10;
/// Chunk size for registries that take uploads only in limited chunks.
const UPLOAD_BUFFER: usize = 1 << 20;

pub struct DockerDestination {
    reference: DockerReference,
    client: Arc<Client>,
    ctx: SystemContext,
    /// The digest of the top-level manifest once written (for signatures).
    manifest_digest: Mutex<Option<Digest>>,
}

impl DockerDestination {
    pub fn open(reference: &DockerReference, ctx: &SystemContext) -> Result<DockerDestination> {
        let registries = Registries::load(ctx).context("loading registries")?;
        let endpoint = registries.push_endpoint(reference)?;
        let client = repository_client(ctx, reference, endpoint.insecure, "pull,push")?;
        Ok(DockerDestination {
            reference: reference.clone(),
            client: Arc::new(client),
            ctx: ctx.clone(),
            manifest_digest: Mutex::new(None),
        })
    }

    fn blob_path(&self, repo: &str, digest: &Digest) -> String {
        format!("/v2/{repo}/blobs/{digest}")
    }

    /// HEADs a blob; its size when it is there.
    async fn blob_exists(&self, digest: &Digest) -> Result<Option<i64>> {
        self.blob_exists_in(self.reference.path(), digest).await
    }

    /// HEADs a blob in `repo` (asking for pull access there when it is another repository).
    async fn blob_exists_in(&self, repo: &str, digest: &Digest) -> Result<Option<i64>> {
        let path = self.blob_path(repo, digest);
        let scope = (repo != self.reference.path()).then(|| Scope::repository(repo, "pull"));
        let res = self
            .client
            .send(Request::new(Method::HEAD, path).extra_scope(scope))
            .await?;
        match res.status() {
            200 => Ok(Some(
                res.header("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(-1),
            )),
            404 => Ok(None),
            401 => Err(res.error().await.context(format!(
                "checking whether a blob {digest} exists in {}",
                self.reference.name()
            ))),
            s => Err(anyhow!(
                "failed to read from destination repository {repo}: {s} ({})",
                reqwest::StatusCode::from_u16(s)
                    .ok()
                    .and_then(|c| c.canonical_reason())
                    .unwrap_or("")
            )),
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
                // The registry started an upload instead: cancel it.
                if let Ok(loc) = res.location() {
                    drop(res);
                    let _ = self
                        .client
                        .send(Request::to_url(Method::DELETE, loc).extra_scope(Some(scope)))
                        .await;
                }
                Ok(false)
            }
            _ => Ok(false),
        }
    }

    async fn start_upload(&self) -> Result<Response> {
        let path = format!("/v2/{}/blobs/uploads/", self.reference.path());
        let res = self
            .client
            .send(Request::new(Method::POST, path.clone()))
            .await?;
        if res.status() != 202 {
            let err = res.error().await;
            return Err(err.context(format!(
                "initiating layer upload to {path} in {}",
                self.client.registry
            )));
        }
        Ok(res)
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
        let body = reqwest::Body::wrap_stream(counted);
        let req = Request::to_url(Method::PATCH, location)
            .header(CONTENT_TYPE, "application/octet-stream")
            .body(Body::Stream(body, size));
        let res = self.client.send(req).await?;
        if !(200..400).contains(&res.status()) {
            return Err(res.error().await.context("uploading layer chunked"));
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
            let mut req = Request::to_url(Method::PATCH, location)
                .header(CONTENT_TYPE, "application/octet-stream")
                .body(Body::Bytes(Bytes::copy_from_slice(&buf)));
            if !buf.is_empty() {
                req = req
                    .header(CONTENT_RANGE, &format!("{offset}-{}", end - 1))
                    .header(CONTENT_LENGTH, &buf.len().to_string());
            }
            let res = self.client.send(req).await?;
            if !(200..400).contains(&res.status()) {
                return Err(res.error().await.context("uploading layer chunked"));
            }
            location = res.location().context("determining upload URL")?;
            offset = end;
            if buf.len() < max {
                return Ok(location);
            }
        }
    }

    /// Uploads a blob: POST, the bytes in one PATCH (or chunks), PUT with its digest.
    async fn upload(&self, stream: BlobStream, info: &UploadInfo) -> Result<BlobInfo> {
        let started = self.start_upload().await?;
        let location = started.location().context("determining upload URL")?;
        let max_chunk = started
            .header("oci-chunk-max-length")
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|n| *n > 0);
        drop(started);
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
        let mut put = location.clone();
        put.query_pairs_mut()
            .append_pair("digest", &digest.to_string());
        let req = Request::to_url(Method::PUT, put.clone())
            .header(CONTENT_TYPE, "application/octet-stream");
        let res = self.client.send(req).await?;
        if res.status() != 201 {
            let err = res.error().await;
            return Err(err.context(format!("uploading layer to {put}")));
        }
        let size = counter.size.load(std::sync::atomic::Ordering::Relaxed) as i64;
        Ok(BlobInfo::new(digest, size, info.media_type.clone()))
    }

    async fn put_manifest_bytes(&self, bytes: &[u8], tail: &str) -> Result<()> {
        let path = format!("/v2/{}/manifests/{tail}", self.reference.path());
        let mut req =
            Request::new(Method::PUT, path).body(Body::Bytes(Bytes::copy_from_slice(bytes)));
        let mime = crate::manifest::guess_mime_type(bytes);
        if !mime.is_empty() {
            req = req.header(CONTENT_TYPE, &mime);
        }
        let res = self.client.send(req).await?;
        if !(200..400).contains(&res.status()) {
            let err = res.error().await;
            // A registry that refuses the manifest's type: the engine may try another type.
            let rejected = err.downcast_ref::<RegistryError>().is_some_and(|e| {
                e.has_code("MANIFEST_INVALID")
                    || e.has_code("TAG_INVALID")
                    || (e.has_code("UNSUPPORTED") && e.to_string().contains("Invalid JSON syntax"))
            });
            let msg = format!("uploading manifest {tail} to {}", self.reference.name());
            if rejected {
                return Err(ManifestTypeRejected(format!("{msg}: {err:#}")).into());
            }
            return Err(err.context(msg));
        }
        Ok(())
    }
}

/// Copies a stream into an unnamed temporary file in `dir`, hashing it: the file (read from
/// its start), the digest and the size.
async fn spool_digesting(
    mut stream: BlobStream,
    dir: &std::path::Path,
) -> Result<(tokio::fs::File, Digest, u64)> {
    use tokio::io::{AsyncSeekExt, AsyncWriteExt};
    let file = tempfile::tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    let mut file = tokio::fs::File::from_std(file);
    let mut hasher = Hasher::new(crate::digest::Algorithm::Sha256);
    let mut buf = vec![0u8; UPLOAD_READ];
    let mut size = 0u64;
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        file.write_all(&buf[..n]).await?;
        size += n as u64;
    }
    file.flush().await?;
    file.seek(std::io::SeekFrom::Start(0)).await?;
    Ok((file, hasher.finish(), size))
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
    ) -> Result<Option<i64>> {
        let repo = match location {
            None => self.reference.path().to_string(),
            Some(l) => match DockerReference::parse_normalized_named(l) {
                Ok(r) if r.domain() == self.reference.domain() => r.path().to_string(),
                _ => return Ok(None),
            },
        };
        let Ok(Some(size)) = self.blob_exists_in(&repo, digest).await else {
            return Ok(None);
        };
        if repo != self.reference.path() && !self.mount(&repo, digest).await.unwrap_or(false) {
            return Ok(None);
        }
        Ok(Some(size))
    }

    async fn try_reuse_blob_from(
        &self,
        info: &BlobInfo,
        origin: Option<&BlobOrigin>,
    ) -> Result<Option<BlobInfo>> {
        if let Some(size) = self.blob_exists(&info.digest).await? {
            return Ok(Some(BlobInfo::new(
                info.digest.clone(),
                size,
                info.media_type.clone(),
            )));
        }
        if let Some(BlobOrigin::Registry {
            registry,
            repository,
        }) = origin
            && *registry == self.client.registry
            && repository != self.reference.path()
            && self.mount(repository, &info.digest).await.unwrap_or(false)
        {
            return Ok(Some(BlobInfo::new(
                info.digest.clone(),
                info.size,
                info.media_type.clone(),
            )));
        }
        Ok(None)
    }

    /// The engine has asked `try_reuse_blob` just before, so there is no second HEAD here —
    /// except for a blob whose digest only the upload would tell, with
    /// `--dest-precompute-digests`: it is spooled to learn its digest, and not sent if the
    /// registry has it (c/image's PutBlob).
    async fn put_blob(&self, stream: BlobStream, info: &UploadInfo) -> Result<BlobInfo> {
        if info.digest.is_none() && self.ctx.docker_registry_push_precompute_digests {
            let dir = crate::transport::docker_archive::reader::big_files_dir(&self.ctx);
            let (file, digest, size) = spool_digesting(stream, &dir).await?;
            if let Some(found) = self.blob_exists(&digest).await? {
                return Ok(BlobInfo::new(digest, found, info.media_type.clone()));
            }
            let known = UploadInfo {
                digest: Some(digest),
                size: Some(size),
                ..info.clone()
            };
            return self.upload(Box::pin(file), &known).await;
        }
        self.upload(stream, info).await
    }

    async fn existing_manifest_digest(&self, instance: Option<&Digest>) -> Result<Option<Digest>> {
        let tail = match instance {
            Some(d) => d.to_string(),
            None => tag_or_digest(&self.reference)?,
        };
        let path = format!("/v2/{}/manifests/{tail}", self.reference.path());
        let res = self
            .client
            .send(accept_manifests(Request::new(Method::HEAD, path)))
            .await?;
        if res.status() != 200 {
            return Ok(None);
        }
        Ok(res
            .header("docker-content-digest")
            .and_then(|d| d.parse::<Digest>().ok()))
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
        if signatures.is_empty() {
            return Ok(());
        }
        if signatures
            .iter()
            .any(|s| matches!(s, Signature::Sigstore(_)))
        {
            return Err(anyhow!(
                "writing sigstore attachments is disabled by configuration"
            ));
        }
        lookaside::write_all(&self.ctx, &self.reference, &digest, signatures)
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}
