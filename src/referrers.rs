//! What travels with an image between registries on request: its OCI 1.1 referrers
//! (signatures, SBOMs, attestations — any manifest whose `subject` names it), recursively,
//! and cosign's legacy `sha256-HEX.sig` / `.att` / `.sbom` tags. Used by `copy` and `sync`
//! after an image is copied, and by `inspect --referrers`.
//!
//! Each referrer is copied by the engine as an image of its own, by digest and with digests
//! preserved, so its bytes (and so its digest and `subject`) stay exactly as they were;
//! the destination then gets the referrer indexed (see
//! [`crate::transport::docker::referrers`]).

use std::collections::HashSet;

use anyhow::{Context, Result, anyhow, bail};
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use crate::config::policy::Policy;
use crate::copy::progress::{Level, LogEntry, Reporter};
use crate::copy::{self, ListSelection, SharedBlobs};
use crate::digest::Digest;
use crate::manifest::{self, ManifestList};
use crate::reference::{DockerReference, ImageName};
use crate::transport::docker::referrers::{Listed, Referrer, Repository, fallback_tag, subject_of};
use crate::types::SystemContext;

/// cosign's legacy tags, after `sha256-HEX.`.
pub const COSIGN_SUFFIXES: [&str; 3] = ["sig", "att", "sbom"];
/// Referrer lists read, and referrers copied, at once.
const PARALLEL: usize = 4;

/// What to carry along with an image.
#[derive(Clone, Debug, Default)]
pub struct Wanted {
    /// OCI 1.1 referrers, recursively.
    pub referrers: bool,
    /// Only referrers of these artifact types (empty: every type), at every depth.
    pub artifact_types: Vec<String>,
    /// cosign's `sha256-HEX.sig`, `.att` and `.sbom` tags.
    pub cosign_tags: bool,
}

impl Wanted {
    pub fn any(&self) -> bool {
        self.referrers || self.cosign_tags
    }

    /// Refuses flag combinations that cannot work: a filter without `--referrers`, and
    /// names that are not both registry images.
    pub fn check(&self, source: &ImageName, dest: &ImageName) -> Result<()> {
        let registries =
            matches!(source, ImageName::Docker(_)) && matches!(dest, ImageName::Docker(_));
        self.check_flags(registries, "both images must be docker:// names")
    }

    /// [`Wanted::check`] for `sync`, where `local` says a side is a directory.
    pub fn check_for_sync(&self, local: bool) -> Result<()> {
        self.check_flags(!local, "they need --src docker or yaml and --dest docker")
    }

    fn check_flags(&self, registries: bool, needs: &str) -> Result<()> {
        if !self.artifact_types.is_empty() && !self.referrers {
            bail!("--referrers-artifact-type needs --referrers");
        }
        if let Some(t) = self.artifact_types.iter().find(|t| !valid_media_type(t)) {
            bail!("--referrers-artifact-type {t:?}: not a media type (type/subtype)");
        }
        if self.any() && !registries {
            bail!("--referrers and --cosign-tags copy between registries: {needs}");
        }
        Ok(())
    }
}

fn valid_media_type(t: &str) -> bool {
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    matches!(t.split_once('/'), Some((a, b)) if ok(a) && ok(b))
}

/// Whether `tag` names what `wanted` copies along with an image (a fallback tag
/// `sha256-HEX`, a cosign `sha256-HEX.sig`…), so a sync of every tag leaves it out.
pub fn travels_with_its_image(tag: &str, wanted: &Wanted) -> bool {
    let Some(rest) = tag.strip_prefix("sha256-") else {
        return false;
    };
    let (hex, suffix) = match rest.split_once('.') {
        Some((h, s)) => (h, Some(s)),
        None => (rest, None),
    };
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    match suffix {
        None => wanted.referrers,
        Some(s) => wanted.cosign_tags && COSIGN_SUFFIXES.contains(&s),
    }
}

/// What [`copy_attached`] copied.
#[derive(Debug, Default)]
pub struct Attached {
    /// Referrers copied (or found already there), every depth.
    pub referrers: usize,
    /// Fallback tags written at the destination.
    pub fallback_updates: usize,
    /// cosign tags copied.
    pub cosign_tags: usize,
}

/// After the image whose top-level manifest is `top` was copied from `src` to `dest`:
/// copies what `wanted` asks for of every manifest of it the destination now has.
#[allow(clippy::too_many_arguments)]
pub async fn copy_attached(
    policy: &Policy,
    src: &DockerReference,
    dest: &DockerReference,
    top: &Digest,
    wanted: &Wanted,
    options: &copy::Options,
    reporter: &dyn Reporter,
    shared: Option<&SharedBlobs>,
) -> Result<Attached> {
    let src_repo = Repository::open(src, &options.source_ctx, false)?;
    let dest_repo = Repository::open(dest, &options.dest_ctx, true)?;
    let top = dest_repo
        .manifest(&top.to_string())
        .await?
        .ok_or_else(|| anyhow!("manifest {top} is not in {} after the copy", dest.name()))?;
    let subjects = subjects(&top, &options.list_selection, &dest_repo).await?;
    // A referrer is an image of its own to the engine: copied by digest, byte for byte.
    let mut one = options.clone();
    one.preserve_digests = true;
    one.list_selection = ListSelection::All;
    one.force_manifest_type = None;
    one.signing = copy::Signing::default();
    let ctx = Ctx {
        policy,
        src,
        dest,
        options: &one,
        reporter,
        shared,
        dest_repo: &dest_repo,
    };
    let mut done = Attached::default();
    if wanted.referrers {
        let mut seen: HashSet<Digest> = subjects.iter().cloned().collect();
        let mut level = subjects.clone();
        // Referrers of referrers, level by level, until a level finds nothing new.
        while !level.is_empty() {
            let lists: Vec<(Digest, Vec<Referrer>)> = futures::stream::iter(level)
                .map(|subject| {
                    let src_repo = &src_repo;
                    async move {
                        let (list, _) =
                            src_repo.referrers(&subject, &wanted.artifact_types).await?;
                        Ok::<_, anyhow::Error>((subject, list))
                    }
                })
                .buffer_unordered(PARALLEL)
                .try_collect()
                .await?;
            let mut todo = Vec::new();
            for (subject, list) in lists {
                for r in list {
                    if seen.insert(r.digest.clone()) {
                        todo.push((subject.clone(), r));
                    }
                }
            }
            let copied: Vec<(Digest, bool)> = futures::stream::iter(todo)
                .map(|(subject, r)| ctx.copy_referrer(subject, r))
                .buffer_unordered(PARALLEL)
                .try_collect()
                .await?;
            done.referrers += copied.len();
            done.fallback_updates += copied.iter().filter(|(_, w)| *w).count();
            level = copied.into_iter().map(|(d, _)| d).collect();
        }
    }
    if wanted.cosign_tags {
        for subject in &subjects {
            for suffix in COSIGN_SUFFIXES {
                let tag = format!("{}.{suffix}", fallback_tag(subject));
                if src_repo.manifest(&tag).await?.is_some() {
                    ctx.copy_tag(&tag).await?;
                    done.cosign_tags += 1;
                }
            }
        }
    }
    Ok(done)
}

/// The manifests of a copied image that referrers may name: the top-level one and, for a
/// list, its instances the destination has (all of them after `--all`).
async fn subjects(top: &[u8], selection: &ListSelection, dest: &Repository) -> Result<Vec<Digest>> {
    let mut out = vec![manifest::digest(top)?];
    let mime = manifest::guess_mime_type(top);
    if !crate::manifest::media_type::is_list(&mime) {
        return Ok(out);
    }
    let list = ManifestList::parse(top, &mime).context("parsing the copied list")?;
    for instance in list.instances() {
        if *selection == ListSelection::All || dest.has_manifest(&instance.digest).await? {
            out.push(instance.digest);
        }
    }
    Ok(out)
}

/// What copying one referrer needs.
struct Ctx<'a> {
    policy: &'a Policy,
    src: &'a DockerReference,
    dest: &'a DockerReference,
    options: &'a copy::Options,
    reporter: &'a dyn Reporter,
    shared: Option<&'a SharedBlobs>,
    dest_repo: &'a Repository,
}

impl Ctx<'_> {
    /// Copies `r` (a referrer of `subject`) and has the destination index it; its digest,
    /// and whether a fallback tag was written.
    async fn copy_referrer(&self, subject: Digest, r: Referrer) -> Result<(Digest, bool)> {
        let mut entry = LogEntry::new(Level::Info, "Copying referrer")
            .field("digest", r.digest.to_string())
            .field("subject", subject.to_string());
        if let Some(t) = &r.artifact_type {
            entry = entry.field("artifactType", t.clone());
        }
        self.reporter.log(entry);
        let tail = format!("@{}", r.digest);
        let copied = self.copy_named(&tail).await?;
        if !manifest::matches_digest(&copied, &r.digest)? {
            bail!(
                "copying referrer {}: the manifest written has another digest",
                r.digest
            );
        }
        // The index is keyed by the manifest's own `subject`.
        let subject = subject_of(&copied).unwrap_or(subject);
        let wrote = self
            .dest_repo
            .record_referrer(&subject, &copied)
            .await
            .with_context(|| format!("recording referrer {} of {subject}", r.digest))?;
        Ok((r.digest, wrote))
    }

    /// Copies the tag `tag` as it is.
    async fn copy_tag(&self, tag: &str) -> Result<()> {
        self.reporter
            .log(LogEntry::new(Level::Info, "Copying cosign tag").field("tag", tag.to_string()));
        self.copy_named(&format!(":{tag}")).await.map(|_| ())
    }

    /// Copies `SRC-REPO<tail>` to `DEST-REPO<tail>` (`tail`: `:TAG` or `@DIGEST`); the
    /// manifest written.
    async fn copy_named(&self, tail: &str) -> Result<bytes::Bytes> {
        let name = |r: &DockerReference| {
            let text = format!("docker://{}{tail}", r.name());
            ImageName::parse(&text).map_err(|e| anyhow!("{text}: {e}"))
        };
        let (src, dest) = (name(self.src)?, name(self.dest)?);
        let copied = copy::copy_image_sharing(
            self.policy,
            &src,
            &dest,
            self.options,
            self.reporter,
            self.shared,
        )
        .await?;
        Ok(copied.manifest)
    }
}

/// One referrer in `inspect --referrers`' output, with its own referrers.
#[derive(Debug, Serialize)]
pub struct Listing {
    #[serde(rename = "Digest")]
    pub digest: Digest,
    #[serde(rename = "MediaType")]
    pub media_type: String,
    #[serde(rename = "ArtifactType")]
    pub artifact_type: String,
    #[serde(rename = "Size")]
    pub size: i64,
    #[serde(rename = "Annotations")]
    pub annotations: Option<std::collections::BTreeMap<String, String>>,
    #[serde(rename = "Referrers")]
    pub referrers: Vec<Listing>,
}

/// `inspect --referrers`' output.
#[derive(Debug, Serialize)]
pub struct Inspected {
    #[serde(rename = "Subject")]
    pub subject: Digest,
    /// `api` (the referrers API answered) or `tag` (the fallback tag schema).
    #[serde(rename = "ListedBy")]
    pub listed_by: &'static str,
    #[serde(rename = "Referrers")]
    pub referrers: Vec<Listing>,
}

/// The referrers of `subject` in `reference`'s repository, each with its own, recursively
/// (a referrer already listed higher up is not listed again).
pub async fn inspect(
    reference: &DockerReference,
    ctx: &SystemContext,
    subject: Digest,
    artifact_types: &[String],
) -> Result<Inspected> {
    let repo = Repository::open(reference, ctx, false)?;
    let mut seen = HashSet::from([subject.clone()]);
    let (list, how) = repo.referrers(&subject, artifact_types).await?;
    let referrers = listing(&repo, list, artifact_types, &mut seen).await?;
    Ok(Inspected {
        subject,
        listed_by: match how {
            Listed::Api => "api",
            Listed::FallbackTag => "tag",
        },
        referrers,
    })
}

async fn listing(
    repo: &Repository,
    list: Vec<Referrer>,
    artifact_types: &[String],
    seen: &mut HashSet<Digest>,
) -> Result<Vec<Listing>> {
    let mut out = Vec::new();
    for r in list {
        if !seen.insert(r.digest.clone()) {
            continue;
        }
        let (nested, _) = repo.referrers(&r.digest, artifact_types).await?;
        let referrers = Box::pin(listing(repo, nested, artifact_types, seen)).await?;
        out.push(Listing {
            digest: r.digest,
            media_type: r.media_type,
            artifact_type: r.artifact_type.unwrap_or_default(),
            size: r.size,
            annotations: r.annotations,
            referrers,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_flag_combinations() {
        let docker = ImageName::parse("docker://example.com/a:b").unwrap();
        let dir = ImageName::parse("dir:/tmp/x").unwrap();
        let filter_only = Wanted {
            artifact_types: vec!["application/x".into()],
            ..Default::default()
        };
        assert_eq!(
            filter_only.check(&docker, &docker).unwrap_err().to_string(),
            "--referrers-artifact-type needs --referrers"
        );
        let referrers = Wanted {
            referrers: true,
            ..Default::default()
        };
        assert!(referrers.check(&docker, &dir).is_err());
        assert!(referrers.check(&docker, &docker).is_ok());
        let bad_type = Wanted {
            referrers: true,
            artifact_types: vec!["nonsense".into()],
            ..Default::default()
        };
        assert!(bad_type.check(&docker, &docker).is_err());
    }

    #[test]
    fn tags_that_travel_with_images() {
        let hex = "a".repeat(64);
        let both = Wanted {
            referrers: true,
            cosign_tags: true,
            ..Default::default()
        };
        assert!(travels_with_its_image(&format!("sha256-{hex}"), &both));
        assert!(travels_with_its_image(&format!("sha256-{hex}.sig"), &both));
        assert!(!travels_with_its_image(&format!("sha256-{hex}.x"), &both));
        assert!(!travels_with_its_image("sha256-abc", &both));
        assert!(!travels_with_its_image("v1", &both));
        assert!(!travels_with_its_image(
            &format!("sha256-{hex}"),
            &Wanted::default()
        ));
    }
}
