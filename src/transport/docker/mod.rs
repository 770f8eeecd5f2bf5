//! `docker://`: images in container registries (the Docker Registry HTTP API v2 / OCI
//! distribution spec), with skopeo's choices of endpoints, credentials, TLS and wording.
//!
//! - [`client`]: connection pools, ping, authentication (Basic, Bearer tokens per scope),
//!   retries;
//! - [`source`] / [`dest`]: the image source and destination the copy engine drives;
//! - [`body`]: blob downloads that resume with `Range` after a dropped connection;
//! - [`schedule`]: what every task agrees on per registry (one writer per blob and
//!   repository, pauses after 429); [`idle`]: the idle timeout of every request;
//! - [`tokens`]: bearer tokens, one per credentials and scope set per process;
//! - [`referrers`]: OCI 1.1 referrers (the API, or the fallback tag schema);
//! - list-tags, delete and login's credential check are here too.

mod attachments;
mod body;
mod certinfo;
pub mod challenge;
pub mod client;
mod dest;
pub mod errors;
mod idle;
pub(crate) mod lookaside;
mod memo;
pub mod probe;
pub mod proxy;
pub mod referrers;
mod schedule;
mod slots;
mod source;
pub(crate) mod tls;
mod tokens;

use anyhow::{Context, Result, anyhow, bail};
use reqwest::Method;

use crate::auth::Credentials;
use crate::config::registries::Registries;
use crate::reference::DockerReference;
use crate::types::SystemContext;
use challenge::Scope;
use client::{Client, ClientOptions, Request};

pub use dest::DockerDestination;
pub use source::DockerSource;

/// The User-Agent of registry requests: `[PREFIX ]skiff/VERSION`.
pub fn user_agent(ctx: &SystemContext) -> String {
    let base = format!("skiff/{}", env!("CARGO_PKG_VERSION"));
    match ctx.user_agent_prefix.as_deref() {
        Some(p) if !p.is_empty() => format!("{p} {base}"),
        _ => base,
    }
}

/// The tag or digest that names the image within its repository.
pub fn tag_or_digest(r: &DockerReference) -> Result<String> {
    if let Some(d) = r.digest() {
        return Ok(d.to_string());
    }
    r.tag().map(str::to_string).ok_or_else(|| {
        anyhow!(
            "Internal inconsistency: Reference {} unexpectedly has neither a digest nor a tag",
            r.familiar_string()
        )
    })
}

/// Whether to skip TLS verification (and allow plain HTTP): `--tls-verify` decides when
/// given, else registries.conf's `insecure`.
fn insecure(ctx: &SystemContext, configured: bool) -> bool {
    match ctx.tls_verify {
        Some(verify) => !verify,
        None => configured,
    }
}

/// A client for `reference`'s repository with `actions` (`pull`, `pull,push`, `*`).
fn repository_client(
    ctx: &SystemContext,
    reference: &DockerReference,
    configured_insecure: bool,
    actions: &str,
) -> Result<Client> {
    let registry = reference.domain().to_string();
    let credentials = crate::auth::lookup(ctx, &registry, Some(&reference.name()))
        .context("getting username and password")?;
    let tls_files = crate::config::certs::tls_files(ctx, &registry)?;
    Client::new(ClientOptions {
        registry,
        tls_files,
        insecure: insecure(ctx, configured_insecure),
        credentials,
        registry_token: ctx.registry_token.clone(),
        scope: Some(Scope::repository(reference.path(), actions)),
        user_agent: user_agent(ctx),
    })
}

/// A client for the registry `reference` is written to (registries.conf's push endpoint,
/// no mirrors), asking for `actions`.
fn push_client(ctx: &SystemContext, reference: &DockerReference, actions: &str) -> Result<Client> {
    let registries = Registries::load(ctx)?;
    let endpoint = registries.push_endpoint(reference)?;
    repository_client(ctx, reference, endpoint.insecure, actions)
}

/// The tags of `reference`'s repository, following `Link` pagination (skopeo's
/// `GetRepositoryTags`).
pub async fn repository_tags(
    ctx: &SystemContext,
    reference: &DockerReference,
) -> Result<Vec<String>> {
    let registries = Registries::load(ctx)?;
    let endpoint = registries.push_endpoint(reference)?;
    let insecure = registries.is_insecure(reference.domain()) || endpoint.insecure;
    let client =
        repository_client(ctx, reference, insecure, "pull").context("failed to create client")?;
    #[derive(serde::Deserialize)]
    struct Page {
        #[serde(default, alias = "Tags")]
        tags: Option<Vec<String>>,
    }
    let first = format!("/v2/{}/tags/list", reference.path());
    every_page(&client, first, "fetching tags list", |p: Page| {
        p.tags.unwrap_or_default()
    })
    .await
}

/// The names of every page of a paginated list (tags, the catalog), following `Link`.
async fn every_page<P: serde::de::DeserializeOwned>(
    client: &Client,
    first: String,
    what: &str,
    names: impl Fn(P) -> Vec<String>,
) -> Result<Vec<String>> {
    let mut path = first;
    let mut all = Vec::new();
    // Pages already read: a registry whose `Link` leads back to one of them would be followed
    // forever (skopeo does).
    let mut seen = std::collections::HashSet::new();
    loop {
        if !seen.insert(path.clone()) {
            bail!("{what}: the registry's Link header leads back to {path}, a page already read");
        }
        let res = client.send(Request::new(Method::GET, path.clone())).await?;
        let status = res.status();
        let link = res.header("link");
        if status != 200 {
            let challenges = challenge::from_headers(res.inner.headers());
            let body = res.bytes_limited(client::MAX_SMALL_BODY).await?;
            return Err(
                errors::http_response_error(status, &challenges, &body, what)
                    .unwrap_or_else(|| anyhow!("{what}")),
            );
        }
        let body = res.bytes_limited(64 << 20).await?;
        let page: P = serde_json::from_slice(&body).map_err(|e| anyhow!("{e}"))?;
        all.extend(names(page));
        let Some(link) = link.filter(|l| !l.is_empty()) else {
            break;
        };
        path = next_page_path(&client.url("/").await?, &link)?;
    }
    Ok(all)
}

/// The repositories of `registry` (`/v2/_catalog`, every page; `page_size` asks for pages
/// of that many names with `?n=`).
pub async fn repository_catalog(
    ctx: &SystemContext,
    registry: &str,
    page_size: Option<u32>,
) -> Result<Vec<String>> {
    let registries = Registries::load(ctx)?;
    let credentials =
        crate::auth::lookup(ctx, registry, None).context("getting username and password")?;
    let client = Client::new(ClientOptions {
        registry: registry.to_string(),
        tls_files: crate::config::certs::tls_files(ctx, registry)?,
        insecure: insecure(ctx, registries.is_insecure(registry)),
        credentials,
        registry_token: ctx.registry_token.clone(),
        scope: Some(Scope {
            resource_type: "registry".into(),
            remote_name: "catalog".into(),
            actions: "*".into(),
        }),
        user_agent: user_agent(ctx),
    })
    .context("failed to create client")?;
    let first = match page_size {
        Some(n) => format!("/v2/_catalog?n={n}"),
        None => "/v2/_catalog".to_string(),
    };
    #[derive(serde::Deserialize)]
    struct Page {
        #[serde(default)]
        repositories: Option<Vec<String>>,
    }
    every_page(&client, first, "fetching catalog", |p: Page| {
        p.repositories.unwrap_or_default()
    })
    .await
}

/// The path and query of the next page a `Link` header (`<URL>; rel="next"`) names, relative
/// to `base`, as c/image reads it: only the first `;`-separated part, `<`/`>` trimmed.
pub fn next_page_path(base: &url::Url, link: &str) -> Result<String> {
    let first = link.split(';').next().unwrap_or("");
    let target = first.trim().trim_matches(|c| c == '<' || c == '>');
    let next = base
        .join(target)
        .map_err(|e| anyhow!("parse {target:?}: {e}"))?;
    let mut path = next.path().to_string();
    if let Some(q) = next.query().filter(|q| !q.is_empty()) {
        path.push('?');
        path.push_str(q);
    }
    Ok(path)
}

/// Deletes the image `reference` names: resolves it to its manifest digest and deletes that
/// manifest (skopeo's `delete docker://…`).
pub async fn delete_image(ctx: &SystemContext, reference: &DockerReference) -> Result<()> {
    let client = push_client(ctx, reference, "*")?;
    let tail = tag_or_digest(reference)?;
    let get = client
        .send(accept_manifests(Request::new(
            Method::GET,
            format!("/v2/{}/manifests/{tail}", reference.path()),
        )))
        .await?;
    match get.status() {
        200 => {}
        404 => {
            return Err(anyhow!(
                "Unable to delete {reference}. Image may not exist or is not stored with a v2 Schema in a v2 registry"
            ));
        }
        _ => return Err(get.error().await.context(format!("deleting {reference}"))),
    }
    let body = get.bytes_limited(client::MAX_SMALL_BODY).await?;
    let digest = crate::manifest::digest(&body).context("computing manifest digest")?;
    let del = client
        .send(accept_manifests(Request::new(
            Method::DELETE,
            format!("/v2/{}/manifests/{digest}", reference.path()),
        )))
        .await?;
    if del.status() != 202 {
        return Err(del.error().await.context(format!("deleting {reference}")));
    }
    lookaside::delete_all(ctx, reference, &digest)
}

/// `delete --tag-only`: removes the tag `reference` names and nothing else (`DELETE
/// /v2/NAME/manifests/TAG`, which the distribution spec leaves optional). A registry that
/// does not delete tags (distribution 2.8 answers 400 DIGEST_INVALID, others 405 or
/// UNSUPPORTED) is refused in so many words: deleting the manifest would take every other
/// tag naming it too.
pub async fn delete_tag(ctx: &SystemContext, reference: &DockerReference) -> Result<()> {
    let Some(tag) = reference.tag().filter(|_| reference.digest().is_none()) else {
        bail!("--tag-only needs a reference with a tag and no digest, not {reference}");
    };
    if let Some(answer) = try_delete_tag(ctx, reference, tag).await? {
        bail!(
            "Registry {} does not delete a tag alone (it answered {answer}); nothing was deleted. `skiff delete` without --tag-only deletes the manifest and every tag that names it",
            reference.domain(),
        );
    }
    Ok(())
}

/// Deletes `tag` of `reference`'s repository alone; `Ok(Some(answer))` (what the registry
/// answered) when the registry does not delete tags alone.
pub async fn try_delete_tag(
    ctx: &SystemContext,
    reference: &DockerReference,
    tag: &str,
) -> Result<Option<String>> {
    let client = push_client(ctx, reference, "*")?;
    let res = client
        .send(Request::new(
            Method::DELETE,
            format!("/v2/{}/manifests/{tag}", reference.path()),
        ))
        .await?;
    let status = res.status();
    if (200..300).contains(&status) {
        return Ok(None);
    }
    let err = res.error().await;
    let refused = status == 405
        || err
            .downcast_ref::<errors::RegistryError>()
            .is_some_and(|e| {
                e.has_code(errors::ErrorCode::DigestInvalid)
                    || e.has_code(errors::ErrorCode::Unsupported)
            });
    if refused {
        return Ok(Some(format!("{}: {err:#}", errors::status_line(status))));
    }
    Err(err.context(format!("deleting tag {reference}")))
}

/// skopeo's `CheckAuth`: logs in to `registry`'s `/v2/` with `creds`.
pub async fn check_auth(ctx: &SystemContext, registry: &str, creds: Credentials) -> Result<()> {
    let registries = Registries::load(ctx)?;
    let client = Client::new(ClientOptions {
        registry: registry.to_string(),
        tls_files: crate::config::certs::tls_files(ctx, registry)?,
        insecure: insecure(ctx, registries.is_insecure(registry)),
        credentials: Some(creds),
        registry_token: None,
        scope: None,
        user_agent: user_agent(ctx),
    })?;
    client.check_auth().await
}

/// Asks for every manifest type skiff understands.
fn accept_manifests(mut req: Request) -> Request {
    for t in crate::manifest::media_type::ALL_MANIFESTS {
        req = req.header(reqwest::header::ACCEPT, t);
    }
    req
}

/// `Content-Type` without parameters, as Go's `mime.ParseMediaType` leaves it.
fn simplify_content_type(ct: &str) -> String {
    let base = ct.split(';').next().unwrap_or("").trim();
    if base.is_empty() || !base.contains('/') {
        return String::new();
    }
    base.to_ascii_lowercase()
}

/// c/image's blob-info cache keys for a registry repository: transport `docker`, the
/// registry as scope, the full repository name as location.
pub(crate) fn cache_location(r: &DockerReference) -> crate::blobcache::BlobLocation {
    crate::blobcache::BlobLocation {
        transport: "docker",
        scope: r.domain().to_string(),
        location: r.name(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(
            simplify_content_type("application/json; charset=utf-8"),
            "application/json"
        );
        assert_eq!(simplify_content_type(""), "");
    }

    #[test]
    fn agents() {
        let ctx = SystemContext {
            user_agent_prefix: Some("ci".into()),
            ..Default::default()
        };
        assert!(user_agent(&ctx).starts_with("ci skiff/"));
    }
}
