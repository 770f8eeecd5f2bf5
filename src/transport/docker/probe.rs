//! Cheap questions about images in registries, asked without opening them: the digest and
//! type of a manifest (one HEAD request), and whether lookaside storage has signatures for
//! it. `sync` uses them to skip an image the destination already has.

use anyhow::Result;
use reqwest::Method;

use super::client::{Client, Request};
use super::{accept_manifests, lookaside, repository_client, simplify_content_type, tag_or_digest};
use crate::config::registries::Registries;
use crate::digest::Digest;
use crate::reference::DockerReference;
use crate::types::SystemContext;

/// What a HEAD of a manifest says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestHead {
    pub digest: Digest,
    pub media_type: String,
}

async fn head(client: &Client, r: &DockerReference) -> Result<Option<ManifestHead>> {
    let path = format!("/v2/{}/manifests/{}", r.path(), tag_or_digest(r)?);
    let res = client
        .send(accept_manifests(Request::new(Method::HEAD, path)))
        .await?;
    if res.status() != 200 {
        return Ok(None);
    }
    let Some(digest) = res
        .header("docker-content-digest")
        .and_then(|d| d.parse::<Digest>().ok())
    else {
        return Ok(None);
    };
    let media_type = simplify_content_type(&res.header("content-type").unwrap_or_default());
    Ok(Some(ManifestHead { digest, media_type }))
}

/// The manifest `reference` names, as the registry it is read from would serve it; `None`
/// when it is missing, when the registry does not tell its digest, or when registries.conf
/// sends reads elsewhere (mirrors, a rewritten location): those are read the usual way.
pub async fn source_manifest(
    ctx: &SystemContext,
    reference: &DockerReference,
) -> Result<Option<ManifestHead>> {
    let registries = Registries::load(ctx)?;
    let endpoints = registries.pull_endpoints(reference)?;
    let [endpoint] = endpoints.as_slice() else {
        return Ok(None);
    };
    if endpoint.mirror || endpoint.reference != *reference {
        return Ok(None);
    }
    let client = repository_client(ctx, reference, endpoint.insecure, "pull")?;
    head(&client, reference).await
}

/// The manifest a destination `reference` has now, if any.
pub async fn destination_manifest(
    ctx: &SystemContext,
    reference: &DockerReference,
) -> Result<Option<ManifestHead>> {
    let registries = Registries::load(ctx)?;
    let endpoint = registries.push_endpoint(reference)?;
    let client = repository_client(ctx, reference, endpoint.insecure, "pull,push")?;
    head(&client, reference).await
}

/// Whether lookaside storage holds signatures of `digest` in `reference`'s repository.
pub async fn has_signatures(
    ctx: &SystemContext,
    reference: &DockerReference,
    digest: &Digest,
) -> Result<bool> {
    Ok(!lookaside::read_all(ctx, reference, digest)
        .await?
        .is_empty())
}
