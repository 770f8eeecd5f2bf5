//! Reading an image from a registry: the endpoints registries.conf gives (mirrors first),
//! the manifest fetched once when the source opens (so a missing image fails there, as in
//! skopeo), blobs streamed with resume.

use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use async_trait::async_trait;
use reqwest::Method;

use super::client::{Client, MAX_SMALL_BODY, Request};
use super::errors::{ErrorCode, RegistryError};
use super::memo::Answer;
use super::{
    accept_manifests, attachments, lookaside, repository_client, simplify_content_type,
    tag_or_digest,
};
use crate::config::registries::Registries;
use crate::digest::Digest;
use crate::error::ImageNotFound;
use crate::manifest::RawManifest;
use crate::reference::DockerReference;
use crate::signature::Signature;
use crate::transport::{BlobOrigin, BlobStream, ImageSource};
use crate::types::{BlobInfo, SystemContext};

pub struct DockerSource {
    /// The reference as the user named it.
    logical: DockerReference,
    /// Where it is read from (a mirror, or the registry itself).
    physical: DockerReference,
    client: Arc<Client>,
    ctx: SystemContext,
    manifest: RawManifest,
}

impl DockerSource {
    pub async fn open(reference: &DockerReference, ctx: &SystemContext) -> Result<DockerSource> {
        let registries = Registries::load(ctx).context("loading registries configuration")?;
        let endpoints = registries.pull_endpoints(reference)?;
        let mut failures: Vec<(DockerReference, anyhow::Error)> = Vec::new();
        for ep in endpoints {
            match Self::open_at(reference, &ep.reference, ep.insecure, ctx).await {
                Ok(s) => return Ok(s),
                Err(e) => failures.push((ep.reference, e)),
            }
        }
        let Some((primary_ref, primary)) = failures.pop() else {
            return Err(anyhow!(
                "Internal error: newImageSource returned without trying any endpoint"
            ));
        };
        if failures.is_empty() {
            return Err(primary);
        }
        let extras: Vec<String> = failures
            .iter()
            .map(|(r, e)| format!("[{r}: {e:#}]"))
            .collect();
        Err(primary.context(format!(
            "(Mirrors also failed: {}): {primary_ref}",
            extras.join("\n")
        )))
    }

    async fn open_at(
        logical: &DockerReference,
        physical: &DockerReference,
        insecure: bool,
        ctx: &SystemContext,
    ) -> Result<DockerSource> {
        // Credentials given on the command line are for the registry the user named, never
        // for a mirror on another host.
        let mut endpoint_ctx = ctx.clone();
        if physical.domain() != logical.domain() {
            endpoint_ctx.credentials = None;
            endpoint_ctx.registry_token = None;
        }
        let client = Arc::new(repository_client(
            &endpoint_ctx,
            physical,
            insecure,
            "pull",
        )?);
        let tail = tag_or_digest(physical)?;
        // A sync's up-to-date check may have read it just before.
        let path = format!("/v2/{}/manifests/{tail}", physical.path());
        let manifest = match client.memo().take(&path) {
            Some(Answer::Body(manifest)) => manifest,
            _ => fetch_manifest(&client, physical, &tail).await?,
        };
        if let Some(d) = physical.digest() {
            let want: Digest = d.parse().map_err(|e| anyhow!("{e}"))?;
            if !crate::manifest::matches_digest(&manifest.bytes, &want)? {
                return Err(anyhow!(
                    "Manifest does not match provided manifest digest {want}"
                ));
            }
        }
        Ok(DockerSource {
            logical: logical.clone(),
            physical: physical.clone(),
            client,
            ctx: endpoint_ctx,
            manifest,
        })
    }

    /// The reference as the user named it.
    pub fn reference(&self) -> &DockerReference {
        &self.logical
    }

    /// A foreign layer from the first of its URLs that answers; `None` when no URL is
    /// http(s), so the registry is asked instead. Never sends credentials (CVE-2020-15157).
    async fn external_blob(&self, urls: &[String]) -> Result<Option<BlobStream>> {
        use futures::TryStreamExt;
        let mut failures = Vec::new();
        for u in urls {
            let Ok(url) = url::Url::parse(u) else {
                continue;
            };
            if url.scheme() != "http" && url.scheme() != "https" {
                continue;
            }
            let mut req = Request::to_url(Method::GET, url);
            req.auth = false;
            let res = match self.client.send(req).await {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{e:#}"));
                    continue;
                }
            };
            if res.status() != 200 {
                failures.push(format!(
                    "error fetching external blob from {u:?}: StatusCode: {}, {}",
                    res.status(),
                    super::errors::status_line(res.status())
                ));
                continue;
            }
            let stream = res
                .into_stream()
                .map_err(|e| std::io::Error::other(format!("{e:#}")));
            return Ok(Some(Box::pin(tokio_util::io::StreamReader::new(stream))));
        }
        if failures.is_empty() {
            return Ok(None);
        }
        Err(anyhow!(
            "failed fetching external blob from all urls: {}",
            failures.join(", ")
        ))
    }
}

/// How often a manifest whose body broke off (a reset, a stall, fewer bytes than promised)
/// is asked for again: the client retries only up to the response's headers.
const MANIFEST_BODY_ATTEMPTS: u32 = 3;

/// GETs a manifest by tag or digest, with every manifest type in `Accept`; a body that
/// breaks off is fetched again (a GET is safe to repeat).
pub(super) async fn fetch_manifest(
    client: &Client,
    r: &DockerReference,
    tag_or_digest: &str,
) -> Result<RawManifest> {
    let mut attempt = 1;
    loop {
        match fetch_manifest_once(client, r, tag_or_digest).await {
            Err(e) if attempt < MANIFEST_BODY_ATTEMPTS && e.is::<BodyBroke>() => {
                crate::error::debug(&format!(
                    "reading manifest {tag_or_digest} again after: {e:#}"
                ));
                attempt += 1;
            }
            Err(e) => return Err(e.downcast::<BodyBroke>().map_or_else(|e| e, |b| b.0)),
            ok => return ok,
        }
    }
}

/// A transient failure while reading a manifest's body.
#[derive(Debug, thiserror::Error)]
#[error("{0:#}")]
struct BodyBroke(anyhow::Error);

async fn fetch_manifest_once(
    client: &Client,
    r: &DockerReference,
    tag_or_digest: &str,
) -> Result<RawManifest> {
    let path = format!("/v2/{}/manifests/{tag_or_digest}", r.path());
    let res = client
        .send(accept_manifests(Request::new(Method::GET, path)))
        .await?;
    let status = res.status();
    if status != 200 {
        let err = res.error().await;
        let missing = status == 404
            && err.downcast_ref::<RegistryError>().is_none_or(|e| {
                e.has_code(ErrorCode::ManifestUnknown) || !matches!(e, RegistryError::Codes(_))
            });
        let msg = format!("reading manifest {tag_or_digest} in {}", r.name());
        if missing {
            return Err(anyhow::Error::new(ImageNotFound(format!("{msg}: {err:#}"))));
        }
        return Err(err.context(msg));
    }
    let mime = simplify_content_type(&res.header("content-type").unwrap_or_default());
    let sent_digest = res.header("docker-content-digest");
    let bytes = match res.bytes_limited(MAX_SMALL_BODY).await {
        Ok(b) => b,
        Err(e) if crate::contract::retry::is_retryable(&e) => return Err(BodyBroke(e).into()),
        Err(e) => return Err(e),
    };
    // By tag, the registry's Docker-Content-Digest is the only digest known: a body that
    // does not match it was damaged or swapped on the way. (By digest, the caller checks.)
    if !tag_or_digest.contains(':')
        && let Some(want) = sent_digest.and_then(|d| d.trim().parse::<Digest>().ok())
        && !crate::manifest::matches_digest(&bytes, &want)?
    {
        return Err(anyhow!(
            "Manifest does not match the registry's Docker-Content-Digest {want}"
        ));
    }
    Ok(RawManifest::reported(bytes, &mime))
}

#[async_trait]
impl ImageSource for DockerSource {
    async fn manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        match instance {
            None => Ok(self.manifest.clone()),
            Some(d) => fetch_manifest(&self.client, &self.physical, &d.to_string()).await,
        }
    }

    async fn blob(&self, info: &BlobInfo) -> Result<BlobStream> {
        if !info.urls.is_empty()
            && let Some(stream) = self.external_blob(&info.urls).await?
        {
            return Ok(stream);
        }
        let path = format!("/v2/{}/blobs/{}", self.physical.path(), info.digest);
        let res = self
            .client
            .send(Request::new(Method::GET, path.clone()).answer_size(info.size))
            .await?;
        if res.status() != 200 {
            return Err(res.http_error("Error fetching blob").await);
        }
        Ok(super::body::resumable(
            self.client.clone(),
            path,
            res.into_stream(),
        ))
    }

    fn blob_origin(&self) -> Option<BlobOrigin> {
        Some(BlobOrigin::Registry {
            registry: self.physical.domain().to_string(),
            repository: self.physical.path().to_string(),
        })
    }

    fn cache_location(&self) -> Option<crate::blobcache::BlobLocation> {
        Some(super::cache_location(&self.physical))
    }

    async fn signatures(&self, instance: Option<&Digest>) -> Result<Vec<Signature>> {
        let digest = match instance {
            Some(d) => d.clone(),
            None => match self.physical.digest() {
                Some(d) if d.starts_with("sha256:") => d.parse().map_err(|e| anyhow!("{e}"))?,
                _ => crate::manifest::digest(&self.manifest.bytes)?,
            },
        };
        let mut signatures = lookaside::read_all(&self.ctx, &self.physical, &digest).await?;
        if lookaside::use_sigstore_attachments(&self.ctx, &self.physical)? {
            signatures.extend(attachments::read_all(&self.client, &self.physical, &digest).await?);
        }
        Ok(signatures)
    }
}
