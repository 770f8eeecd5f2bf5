//! Cheap questions about images in registries, asked without opening them: the digest and
//! type of a manifest (one request), and whether lookaside storage has signatures for it.
//! `sync` uses them to skip an image the destination already has; when it does not skip, the
//! copy that follows takes the answers instead of asking again ([`Probed::keep_for_copy`]).

use anyhow::Result;
use reqwest::Method;

use super::client::{Client, Request};
use super::memo::Answer;
use super::{
    accept_manifests, lookaside, push_client, repository_client, simplify_content_type,
    tag_or_digest,
};
use crate::config::registries::Registries;
use crate::digest::Digest;
use crate::manifest::MediaType;
use crate::reference::DockerReference;
use crate::types::SystemContext;

/// What a HEAD of a manifest says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestHead {
    pub digest: Digest,
    /// The type the answer named (`Content-Type`, a layout's descriptor), if it named one.
    pub media_type: Option<MediaType>,
}

async fn head(client: &Client, r: &DockerReference) -> Result<Option<ManifestHead>> {
    head_at(client, manifest_path(r)?).await
}

/// The path of the manifest `r` names.
pub(super) fn manifest_path(r: &DockerReference) -> Result<String> {
    Ok(format!("/v2/{}/manifests/{}", r.path(), tag_or_digest(r)?))
}

/// HEADs the manifest at `path` (`/v2/NAME/manifests/TAG_OR_DIGEST`).
pub(super) async fn head_at(client: &Client, path: String) -> Result<Option<ManifestHead>> {
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
    let content_type = simplify_content_type(&res.header("content-type").unwrap_or_default());
    let media_type = (!content_type.is_empty()).then(|| content_type.into());
    Ok(Some(ManifestHead { digest, media_type }))
}

/// A probe's answer, which the copy that follows may take instead of asking again.
pub struct Probed<T> {
    pub answer: T,
    client: Client,
    path: String,
    kept: Answer,
}

impl<T> Probed<T> {
    /// Leaves the answer for the copy of this image that follows (taken once).
    pub fn keep_for_copy(self) {
        self.client.memo().put(self.path, self.kept);
    }
}

/// The manifest `reference` names, as the registry it is read from serves it (read whole:
/// a manifest is small, and a copy that follows needs it); `None` when it is missing or when
/// registries.conf sends reads elsewhere (mirrors, a rewritten location): those are read the
/// usual way.
pub async fn source_manifest(
    ctx: &SystemContext,
    reference: &DockerReference,
) -> Result<Option<Probed<ManifestHead>>> {
    let registries = Registries::load(ctx)?;
    let endpoints = registries.pull_endpoints(reference)?;
    let [endpoint] = endpoints.as_slice() else {
        return Ok(None);
    };
    if endpoint.mirror || endpoint.reference != *reference {
        return Ok(None);
    }
    let client = repository_client(ctx, reference, endpoint.insecure, "pull")?;
    let tail = tag_or_digest(reference)?;
    let Ok(manifest) = super::source::fetch_manifest(&client, reference, &tail).await else {
        return Ok(None);
    };
    let digest = crate::manifest::digest(&manifest.bytes)?;
    Ok(Some(Probed {
        answer: ManifestHead {
            digest,
            media_type: manifest.media_type.clone(),
        },
        client,
        path: manifest_path(reference)?,
        kept: Answer::Body(manifest),
    }))
}

/// The manifest a destination `reference` has now, if any.
pub async fn destination_manifest(
    ctx: &SystemContext,
    reference: &DockerReference,
) -> Result<Probed<Option<ManifestHead>>> {
    let client = push_client(ctx, reference, "pull,push")?;
    let head = head(&client, reference).await?;
    let kept = Answer::Head(head.as_ref().map(|h| h.digest.clone()));
    Ok(Probed {
        answer: head,
        client,
        path: manifest_path(reference)?,
        kept,
    })
}

/// Pings the registry `reference` would be pushed to; a sync sends this while it lists its
/// sources, so that the destination's first check does not wait for the ping.
pub async fn ping_destination(ctx: &SystemContext, reference: &DockerReference) -> Result<()> {
    push_client(ctx, reference, "pull,push")?.ping_once().await
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
