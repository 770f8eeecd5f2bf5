//! OCI 1.1 referrers in a registry (distribution spec 1.1, "Listing Referrers" and
//! "Referrers Tag Schema"): the manifests whose `subject` names a given manifest.
//!
//! - Listing asks `GET /v2/NAME/referrers/DIGEST` (following `Link` pages). A registry that
//!   answers 404 has no such API: the list is then the OCI index tagged `ALG-HEX` (the
//!   fallback tag), which the clients that pushed the referrers keep up to date. An
//!   `artifactType` filter the registry did not apply (no `OCI-Filters-Applied:
//!   artifactType`) is applied here.
//! - After a referrer's manifest is pushed, a registry that did not answer `OCI-Subject`
//!   gets the fallback tag updated: read, add the referrer's descriptor if missing, write —
//!   one task of this process at a time per tag (see [`super::schedule`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::{Deserialize, Serialize};

use super::client::{Body, Client, MAX_SMALL_BODY, Request};
use super::errors::{ErrorCode, RegistryError};
use super::repository_client;
use crate::config::registries::Registries;
use crate::digest::Digest;
use crate::manifest::media_type as mt;
use crate::reference::DockerReference;
use crate::types::SystemContext;

/// A referrer as the referrers API (or the fallback index) lists it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Referrer {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    pub digest: Digest,
    pub size: i64,
    #[serde(
        rename = "artifactType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub artifact_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl Referrer {
    /// The descriptor a referrers list holds for `manifest` (the spec's rules: its
    /// `artifactType`, else an image manifest's config media type; its annotations).
    pub fn describe(manifest: &[u8]) -> Result<Referrer> {
        #[derive(Deserialize)]
        struct Fields {
            #[serde(rename = "mediaType", default)]
            media_type: String,
            #[serde(rename = "artifactType", default)]
            artifact_type: Option<String>,
            #[serde(default)]
            config: Option<Config>,
            #[serde(default)]
            annotations: Option<BTreeMap<String, String>>,
        }
        #[derive(Deserialize)]
        struct Config {
            #[serde(rename = "mediaType", default)]
            media_type: String,
        }
        let f: Fields =
            serde_json::from_slice(manifest).context("parsing a referrer's manifest")?;
        let media_type = crate::manifest::RawManifest::reported(
            bytes::Bytes::copy_from_slice(manifest),
            &f.media_type,
        )
        .resolved_type()
        .into();
        let artifact_type = f
            .artifact_type
            .filter(|t| !t.is_empty())
            .or_else(|| f.config.map(|c| c.media_type).filter(|t| !t.is_empty()));
        Ok(Referrer {
            media_type,
            digest: crate::manifest::digest(manifest)?,
            size: manifest.len() as i64,
            artifact_type,
            annotations: f.annotations.filter(|a| !a.is_empty()),
        })
    }

    /// Whether `artifact_types` (empty: any) takes this referrer.
    pub fn wanted(&self, artifact_types: &[String]) -> bool {
        artifact_types.is_empty()
            || self
                .artifact_type
                .as_ref()
                .is_some_and(|t| artifact_types.contains(t))
    }
}

/// The subject named by a manifest's `subject` field, if any.
pub fn subject_of(manifest: &[u8]) -> Option<Digest> {
    #[derive(Deserialize)]
    struct Fields {
        subject: Option<Subject>,
    }
    #[derive(Deserialize)]
    struct Subject {
        digest: Digest,
    }
    serde_json::from_slice::<Fields>(manifest)
        .ok()?
        .subject
        .map(|s| s.digest)
}

/// The fallback tag of `digest`: `ALG-ENCODED`, the algorithm cut to 32 characters and the
/// encoded part to 64, characters a tag cannot hold replaced by `-`.
pub fn fallback_tag(digest: &Digest) -> String {
    let text = digest.to_string();
    let (alg, encoded) = text.split_once(':').unwrap_or(("", &text));
    let clean = |s: &str, n: usize| -> String {
        s.chars()
            .take(n)
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    format!("{}-{}", clean(alg, 32), clean(encoded, 64))
}

/// One repository of a registry, for listing and recording referrers.
pub struct Repository {
    client: Arc<Client>,
    reference: DockerReference,
    /// Whether the registry answers the referrers API, once asked.
    has_api: tokio::sync::OnceCell<bool>,
}

/// How one listing was answered.
#[derive(Debug, PartialEq, Eq)]
pub enum Listed {
    /// By the referrers API.
    Api,
    /// By the fallback tag (the registry has no referrers API).
    FallbackTag,
}

impl Repository {
    /// `reference`'s repository, read with `pull` or written with `pull,push` access.
    pub fn open(reference: &DockerReference, ctx: &SystemContext, write: bool) -> Result<Self> {
        let registries = Registries::load(ctx).context("loading registries configuration")?;
        let endpoint = registries.push_endpoint(reference)?;
        let actions = if write { "pull,push" } else { "pull" };
        let client = repository_client(ctx, reference, endpoint.insecure, actions)?;
        Ok(Repository {
            client: Arc::new(client),
            reference: reference.clone(),
            has_api: tokio::sync::OnceCell::new(),
        })
    }

    fn path(&self) -> &str {
        self.reference.path()
    }

    /// The referrers of `subject` that `artifact_types` (empty: any) takes, and how they
    /// were found.
    pub async fn referrers(
        &self,
        subject: &Digest,
        artifact_types: &[String],
    ) -> Result<(Vec<Referrer>, Listed)> {
        let (listed, how, filtered) = match self.referrers_api(subject, artifact_types).await? {
            Some((list, filtered)) => (list, Listed::Api, filtered),
            None => (
                self.fallback_index(subject).await?,
                Listed::FallbackTag,
                false,
            ),
        };
        let wanted = listed
            .into_iter()
            .filter(|r| filtered || r.wanted(artifact_types))
            .collect();
        Ok((wanted, how))
    }

    /// The referrers API's answer, every page; `None` when the registry has no such API
    /// (404). The flag says whether the registry applied the `artifactType` filter.
    async fn referrers_api(
        &self,
        subject: &Digest,
        artifact_types: &[String],
    ) -> Result<Option<(Vec<Referrer>, bool)>> {
        let mut path = format!("/v2/{}/referrers/{subject}", self.path());
        // The API takes one artifactType; several are filtered here.
        if let [only] = artifact_types {
            let q = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("artifactType", only)
                .finish();
            path = format!("{path}?{q}");
        }
        let mut all = Vec::new();
        let mut filtered = artifact_types.len() == 1;
        let mut seen = std::collections::HashSet::new();
        loop {
            if !seen.insert(path.clone()) {
                bail!(
                    "listing referrers of {subject}: the registry's Link header leads back to {path}, a page already read"
                );
            }
            let res = self
                .client
                .send(Request::new(Method::GET, path.clone()).header(ACCEPT, mt::OCI_INDEX))
                .await?;
            let status = res.status();
            if status == 404 && all.is_empty() {
                return Ok(None);
            }
            if status != 200 {
                return Err(res
                    .error()
                    .await
                    .context(format!("listing referrers of {subject} in {}", self.name())));
            }
            filtered &= res
                .header("oci-filters-applied")
                .is_some_and(|h| h.split(',').any(|f| f.trim() == "artifactType"));
            let link = res.header("link").filter(|l| !l.is_empty());
            let body = res.bytes_limited(MAX_SMALL_BODY).await?;
            all.extend(parse_index(&body).with_context(|| {
                format!(
                    "reading the referrers of {subject} in {}: the registry's answer is not an OCI image index",
                    self.name()
                )
            })?);
            let Some(link) = link else { break };
            path = super::next_page_path(&self.client.url("/").await?, &link)?;
        }
        Ok(Some((all, filtered)))
    }

    /// The referrers the fallback tag of `subject` lists: none when the tag is missing or,
    /// as the spec has it, holds no valid image index (said in a warning: nothing is
    /// copied from it).
    async fn fallback_index(&self, subject: &Digest) -> Result<Vec<Referrer>> {
        let tag = fallback_tag(subject);
        match self.manifest(&tag).await? {
            None => Ok(Vec::new()),
            Some(body) => match parse_index(&body) {
                Ok(list) => Ok(list),
                Err(e) => {
                    crate::error::warn(&format!(
                        "tag {tag} in {} is not an OCI image index ({e:#}): taken as no referrers of {subject}",
                        self.name()
                    ));
                    Ok(Vec::new())
                }
            },
        }
    }

    /// A manifest by tag or digest; `None` when the registry does not have it.
    pub async fn manifest(&self, tag_or_digest: &str) -> Result<Option<Bytes>> {
        let path = format!("/v2/{}/manifests/{tag_or_digest}", self.path());
        let res = self
            .client
            .send(super::accept_manifests(Request::new(Method::GET, path)))
            .await?;
        match res.status() {
            200 => Ok(Some(res.bytes_limited(MAX_SMALL_BODY).await?)),
            404 => {
                let err = res.error().await;
                let unknown = err.downcast_ref::<RegistryError>().is_none_or(|e| {
                    e.has_code(ErrorCode::ManifestUnknown) || !matches!(e, RegistryError::Codes(_))
                });
                if unknown {
                    Ok(None)
                } else {
                    Err(err.context(format!(
                        "reading manifest {tag_or_digest} in {}",
                        self.name()
                    )))
                }
            }
            _ => Err(res.error().await.context(format!(
                "reading manifest {tag_or_digest} in {}",
                self.name()
            ))),
        }
    }

    /// Whether the registry has the manifest `digest` here.
    pub async fn has_manifest(&self, digest: &Digest) -> Result<bool> {
        let path = format!("/v2/{}/manifests/{digest}", self.path());
        let res = self
            .client
            .send(super::accept_manifests(Request::new(Method::HEAD, path)))
            .await?;
        Ok(res.status() == 200)
    }

    /// After `manifest` (a referrer of `subject`) was pushed here: a registry that indexed
    /// its subject (`OCI-Subject` on the PUT, or a referrers API that answers) needs nothing
    /// more; any other gets `subject`'s fallback tag updated to list it. True when the tag
    /// was written.
    pub async fn record_referrer(&self, subject: &Digest, manifest: &[u8]) -> Result<bool> {
        let digest = crate::manifest::digest(manifest)?;
        if self.client.schedule().subject_indexed(self.path(), &digest) {
            return Ok(false);
        }
        // No `OCI-Subject` (or the PUT was skipped, the manifest being here already): the
        // spec has the client check that the API exists before falling back.
        let has_api = self
            .has_api
            .get_or_try_init(|| async {
                Ok::<_, anyhow::Error>(self.referrers_api(subject, &[]).await?.is_some())
            })
            .await?;
        if *has_api {
            return Ok(false);
        }
        self.add_to_fallback_index(subject, Referrer::describe(manifest)?)
            .await
    }

    /// Adds `referrer` to `subject`'s fallback index (read, modify, write), unless it is
    /// listed already. Tasks of this process take turns per tag; other processes writing
    /// the same tag at the same moment can still lose an entry (distribution 2.8 has no
    /// conditional PUT), as the spec warns.
    pub async fn add_to_fallback_index(
        &self,
        subject: &Digest,
        referrer: Referrer,
    ) -> Result<bool> {
        let tag = fallback_tag(subject);
        let _turn = self.client.schedule().tag(self.path(), &tag).await;
        let mut index: serde_json::Value = match self.manifest(&tag).await? {
            Some(body) => {
                parse_index(&body).with_context(|| {
                    format!(
                        "updating the referrers of {subject} in {}: tag {tag} is not an OCI image index",
                        self.name()
                    )
                })?;
                serde_json::from_slice(&body)?
            }
            None => serde_json::json!({
                "schemaVersion": 2,
                "mediaType": mt::OCI_INDEX,
                "manifests": [],
            }),
        };
        let manifests = index
            .get_mut("manifests")
            .and_then(|m| m.as_array_mut())
            .ok_or_else(|| anyhow!("internal error: referrers index without manifests"))?;
        let listed = manifests.iter().any(|m| {
            m.get("digest").and_then(|d| d.as_str()) == Some(&referrer.digest.to_string())
        });
        if listed {
            return Ok(false);
        }
        manifests.push(serde_json::to_value(&referrer)?);
        let body = serde_json::to_vec(&index)?;
        let path = format!("/v2/{}/manifests/{tag}", self.path());
        let req = Request::new(Method::PUT, path)
            .header(CONTENT_TYPE, mt::OCI_INDEX)
            .body(Body::Bytes(Bytes::from(body)));
        let res = self.client.send(req).await?;
        if !(200..300).contains(&res.status()) {
            return Err(res.error().await.context(format!(
                "updating the referrers of {subject} in {} (tag {tag})",
                self.name()
            )));
        }
        Ok(true)
    }

    fn name(&self) -> String {
        self.reference.name()
    }
}

/// The descriptors of an OCI image index (a referrers list).
pub fn parse_index(body: &[u8]) -> Result<Vec<Referrer>> {
    #[derive(Deserialize)]
    struct Index {
        #[serde(rename = "schemaVersion")]
        schema_version: i64,
        #[serde(rename = "mediaType", default)]
        media_type: Option<String>,
        manifests: Option<Vec<Referrer>>,
    }
    let index: Index = serde_json::from_slice(body).map_err(|e| anyhow!("{e}"))?;
    if index.schema_version != 2 {
        bail!("schemaVersion {} (2 expected)", index.schema_version);
    }
    if let Some(t) = index
        .media_type
        .filter(|t| !t.is_empty() && t != mt::OCI_INDEX)
    {
        bail!("mediaType {t:?}");
    }
    Ok(index.manifests.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_tags_as_the_spec_gives_them() {
        let a: Digest = format!("sha256:{}", "a".repeat(64)).parse().unwrap();
        assert_eq!(fallback_tag(&a), format!("sha256-{}", "a".repeat(64)));
        let b: Digest = format!("sha512:{}", "b".repeat(128)).parse().unwrap();
        assert_eq!(fallback_tag(&b), format!("sha512-{}", "b".repeat(64)));
    }

    #[test]
    fn descriptors_follow_the_spec() {
        let artifact = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/spdx+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[],"annotations":{"k":"v"}}"#;
        let d = Referrer::describe(artifact).unwrap();
        assert_eq!(d.artifact_type.as_deref(), Some("application/spdx+json"));
        assert_eq!(d.media_type, mt::OCI_MANIFEST);
        assert_eq!(d.size, artifact.len() as i64);
        assert_eq!(d.annotations.unwrap()["k"], "v");
        // No artifactType: the config's media type stands in.
        let old = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.dev.cosign.artifact.sig.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
        let d = Referrer::describe(old).unwrap();
        assert_eq!(
            d.artifact_type.as_deref(),
            Some("application/vnd.dev.cosign.artifact.sig.v1+json")
        );
        assert!(d.annotations.is_none());
        assert!(d.wanted(&[]));
        assert!(!d.wanted(&["x".to_string()]));
    }

    #[test]
    fn garbage_indexes_are_refused() {
        assert!(parse_index(b"nope").is_err());
        assert!(parse_index(br#"{"schemaVersion":1,"manifests":[]}"#).is_err());
        assert!(
            parse_index(br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}"#)
                .is_err()
        );
        assert_eq!(
            parse_index(br#"{"schemaVersion":2,"manifests":[]}"#).unwrap(),
            Vec::new()
        );
    }
}
