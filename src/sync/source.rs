//! What a sync copies: the images of each source repository (skopeo's "repository
//! descriptors"), with skopeo's log lines and its choices of which failures skip a
//! repository and which stop the sync.

use anyhow::{Result, anyhow, bail};

use super::prune::{Managed, Selector, SourceRepository};
use super::yaml::{self, RegistryConfig};
use super::{Level, LogEntry, SourceKind};
use crate::copy::progress::Reporter;
use crate::reference::{DockerReference, ImageName, ReferenceError};
use crate::transport::docker;
use crate::types::SystemContext;

/// The images of one source, copied with one source context.
#[derive(Clone, Debug)]
pub(crate) struct Repo {
    /// For a `dir` source: the directory as given (destination names are relative to it).
    pub dir_base: Option<String>,
    pub images: Vec<ImageName>,
    pub ctx: SystemContext,
    /// The YAML file's `referrers: true` for this registry.
    pub referrers: bool,
    /// The source repository and which of its tags this sync mirrors (`--prune` deletes the
    /// others it would mirror); `None` for sources that name images one by one.
    pub managed: Option<Managed>,
}

fn cannot_obtain(transport: &str, reference: &str, err: impl std::fmt::Display) -> anyhow::Error {
    anyhow!(
        "Cannot obtain a valid image reference for transport {} and reference {}: {err}",
        crate::gotext::go_quote(transport),
        crate::gotext::go_quote(reference)
    )
}

/// Lists every image to copy from `source`.
pub(crate) async fn images_to_copy(
    kind: SourceKind,
    source: &str,
    ctx: &SystemContext,
    out: &dyn Reporter,
) -> Result<Vec<Repo>> {
    match kind {
        SourceKind::Docker => Ok(vec![docker_source(source, ctx, out).await?]),
        SourceKind::Dir => Ok(vec![dir_source(source, ctx)?]),
        SourceKind::Oci => super::layout::layout_source(source, ctx, out),
        SourceKind::Yaml => {
            let cfg = yaml::load(source)?;
            let mut repos = Vec::new();
            for (registry, rc) in &cfg.registries {
                repos.extend(yaml_registry(registry, rc, ctx, out).await);
            }
            Ok(repos)
        }
    }
}

/// `REGISTRY/REPO[:TAG|@DIGEST]`: one image, or every tag of the repository.
async fn docker_source(source: &str, ctx: &SystemContext, out: &dyn Reporter) -> Result<Repo> {
    let named = DockerReference::parse_normalized_named(source)
        .map_err(|e| cannot_obtain("docker", source, e))?;
    let tagged = !named.is_name_only();
    out.log(
        LogEntry::new(Level::Info, "Tag presence check")
            .field("imagename", source)
            .field("tagged", tagged.to_string()),
    );
    let images = if tagged {
        vec![docker_image(&named).map_err(|e| cannot_obtain("docker", &named.to_string(), e))?]
    } else {
        let images = images_from_repository(ctx, &named, out).await?;
        if images.is_empty() {
            bail!(
                "No images to sync found in {}",
                crate::gotext::go_quote(source)
            );
        }
        images
    };
    Ok(Repo {
        dir_base: None,
        images,
        ctx: ctx.clone(),
        referrers: false,
        managed: (!tagged).then(|| Managed {
            source: SourceRepository::Docker(named),
            selects: Selector::All,
        }),
    })
}

/// A `docker://` name for a tagged or digested reference (never both, as c/image's
/// docker references).
fn docker_image(r: &DockerReference) -> Result<ImageName, ReferenceError> {
    if r.tag().is_some() && r.digest().is_some() {
        return Err(ReferenceError::new(
            "Docker references with both a tag and digest are currently not supported",
        ));
    }
    Ok(ImageName::Docker(r.clone().with_default_tag()))
}

/// Every tag of `repo`, as images. A registry that refuses the tag list to these credentials
/// gives an empty list with a warning (skopeo 1.9.3).
async fn images_from_repository(
    ctx: &SystemContext,
    repo: &DockerReference,
    out: &dyn Reporter,
) -> Result<Vec<ImageName>> {
    images_listed(ctx, repo, out, None).await
}

/// [`images_from_repository`], with the tag list already asked for (`listed`) when given.
async fn images_listed(
    ctx: &SystemContext,
    repo: &DockerReference,
    out: &dyn Reporter,
    listed: Option<Result<Vec<String>>>,
) -> Result<Vec<ImageName>> {
    let name = repo.name();
    out.log(LogEntry::new(Level::Info, "Getting tags").field("image", name.clone()));
    let listed = match listed {
        Some(l) => l,
        None => docker::repository_tags(ctx, &repo.clone().with_default_tag()).await,
    };
    let tags = match listed {
        Ok(t) => t,
        Err(e) if e.chain().any(|c| c.is::<docker::errors::Unauthorized>()) => {
            out.log(LogEntry::new(
                Level::Warning,
                format!("Registry disallows tag list retrieval: {e:#}"),
            ));
            Vec::new()
        }
        Err(e) => {
            return Err(e.context(format!(
                "Error determining repository tags for image {name}"
            )));
        }
    };
    tags.iter()
        .map(|tag| {
            let tagged = repo.with_tag(tag).map_err(|e| {
                anyhow!(
                    "Error creating a reference for repository {name} and tag {}: {e}",
                    crate::gotext::go_quote(tag)
                )
            })?;
            Ok(ImageName::Docker(tagged))
        })
        .collect()
}

/// A directory: every `dir:` image below it.
fn dir_source(source: &str, ctx: &SystemContext) -> Result<Repo> {
    if let Err(e) = std::fs::metadata(source) {
        bail!(
            "Invalid source directory specified: {}",
            crate::gotext::go_path_error("stat", std::path::Path::new(source), &e)
        );
    }
    let images = super::dirwalk::image_dirs(source).map_err(|e| {
        anyhow!(
            "Error walking the path {}: {e}",
            crate::gotext::go_quote(source)
        )
    })?;
    if images.is_empty() {
        bail!(
            "No images to sync found in {}",
            crate::gotext::go_quote(source)
        );
    }
    Ok(Repo {
        dir_base: Some(source.to_string()),
        images: images
            .into_iter()
            .map(|p| ImageName::Dir(p.into()))
            .collect(),
        ctx: ctx.clone(),
        referrers: false,
        managed: None,
    })
}

/// The source context for one registry of the YAML file: its certificates directory always,
/// its credentials and `tls-verify` when given (newer skopeo: a missing `tls-verify` keeps
/// `--src-tls-verify`).
fn registry_context(rc: &RegistryConfig, base: &SystemContext) -> SystemContext {
    let mut ctx = base.clone();
    ctx.docker_cert_path = (!rc.cert_dir.is_empty()).then(|| rc.cert_dir.clone().into());
    if let Some(verify) = rc.tls_verify {
        ctx.tls_verify = Some(verify);
    }
    if !rc.username.is_empty() || !rc.password.is_empty() {
        ctx.credentials = Some((rc.username.clone(), rc.password.clone()));
    }
    ctx
}

/// `REGISTRY/REPO` that must name a repository, not an image.
fn repository(registry: &str, repo: &str) -> Result<DockerReference, String> {
    let r = DockerReference::parse_normalized_named(&format!("{registry}/{repo}"))
        .map_err(|e| e.to_string())?;
    if !r.is_name_only() {
        return Err("input names a reference, not a repository".into());
    }
    Ok(r)
}

fn repo_entry(level: Level, msg: impl Into<String>, registry: &str, repo: &str) -> LogEntry {
    LogEntry::new(level, msg)
        .field("registry", registry)
        .field("repo", repo)
}

/// The repository, or `None` after logging why it is skipped.
fn repository_or_log(registry: &str, repo: &str, out: &dyn Reporter) -> Option<DockerReference> {
    match repository(registry, repo) {
        Ok(r) => Some(r),
        Err(e) => {
            out.log(repo_entry(
                Level::Error,
                "Error parsing repository name, skipping",
                registry,
                repo,
            ));
            out.log(LogEntry::new(Level::Error, e));
            None
        }
    }
}

/// Tag lists asked for side by side, before they are used one after the other (each is a
/// round trip across a WAN; skopeo asks them one by one).
type TagLists = std::collections::HashMap<String, Result<Vec<String>>>;

/// How many tag lists are asked for at once.
const TAG_LISTS_AT_ONCE: usize = 32;

/// The tag lists of every repository of `repos` that names one, asked for at once.
async fn tag_lists_ahead<'a>(
    registry: &str,
    repos: impl Iterator<Item = &'a String>,
    ctx: &SystemContext,
) -> TagLists {
    use futures::StreamExt;
    let named: Vec<(String, DockerReference)> = repos
        .filter_map(|repo| Some((repo.clone(), repository(registry, repo).ok()?)))
        .collect();
    futures::stream::iter(named)
        .map(|(repo, r)| async move {
            let tags = docker::repository_tags(ctx, &r.with_default_tag()).await;
            (repo, tags)
        })
        .buffer_unordered(TAG_LISTS_AT_ONCE)
        .collect()
        .await
}

/// The tags of a repository from the YAML file, or `None` after logging why it is skipped.
async fn listed_or_log(
    registry: &str,
    repo: &str,
    r: &DockerReference,
    ctx: &SystemContext,
    out: &dyn Reporter,
    ahead: &mut TagLists,
) -> Option<Vec<ImageName>> {
    out.log(repo_entry(
        Level::Info,
        "Querying registry for image tags",
        registry,
        repo,
    ));
    match images_listed(ctx, r, out, ahead.remove(repo)).await {
        Ok(images) => Some(images),
        Err(e) => {
            out.log(repo_entry(
                Level::Error,
                "Error processing repo, skipping",
                registry,
                repo,
            ));
            out.log(LogEntry::new(Level::Error, format!("{e:#}")));
            None
        }
    }
}

fn tag_of(image: &ImageName) -> Option<&str> {
    image.docker_reference().and_then(|r| r.tag())
}

/// One registry of the YAML file: `images` (tags and digests, or every tag), then
/// `images-by-tag-regex`, then `images-by-semver`. A repository that cannot be listed or
/// parsed is skipped with an error line; the sync goes on.
async fn yaml_registry(
    registry: &str,
    rc: &RegistryConfig,
    base: &SystemContext,
    out: &dyn Reporter,
) -> Vec<Repo> {
    let ctx = registry_context(rc, base);
    let mut repos = Vec::new();
    if rc.images.is_empty() && rc.images_by_tag_regex.is_empty() && rc.images_by_semver.is_empty() {
        out.log(
            LogEntry::new(Level::Warning, "No images specified for registry")
                .field("registry", registry),
        );
        return repos;
    }
    let listed = rc
        .images
        .iter()
        .filter(|(_, refs)| refs.is_empty())
        .map(|(repo, _)| repo)
        .chain(rc.images_by_tag_regex.iter().map(|(repo, _)| repo))
        .chain(rc.images_by_semver.iter().map(|(repo, _)| repo));
    let mut ahead = tag_lists_ahead(registry, listed, &ctx).await;
    let mut push =
        |images: Vec<ImageName>, managed: Option<Managed>, repo: &str, out: &dyn Reporter| {
            if images.is_empty() {
                out.log(repo_entry(
                    Level::Warning,
                    "No refs to sync found",
                    registry,
                    repo,
                ));
            } else {
                repos.push(Repo {
                    dir_base: None,
                    images,
                    ctx: ctx.clone(),
                    referrers: rc.referrers,
                    managed,
                });
            }
        };

    for (repo, refs) in &rc.images {
        let Some(r) = repository_or_log(registry, repo, out) else {
            continue;
        };
        out.log(repo_entry(Level::Info, "Processing repo", registry, repo));
        let (images, managed) = if refs.is_empty() {
            match listed_or_log(registry, repo, &r, &ctx, out, &mut ahead).await {
                Some(i) => (i, Some(Managed::all(&r))),
                None => continue,
            }
        } else {
            // Images named one by one: no other tag is this sync's to delete.
            let images = refs
                .iter()
                .filter_map(|reference| image_for_ref(&r, reference, out))
                .collect();
            (images, None)
        };
        push(images, managed, repo, out);
    }

    for (repo, pattern) in &rc.images_by_tag_regex {
        let Some(r) = repository_or_log(registry, repo, out) else {
            continue;
        };
        out.log(repo_entry(Level::Info, "Processing repo", registry, repo));
        let re = match regex::Regex::new(pattern) {
            Ok(re) => re,
            Err(e) => {
                out.log(
                    repo_entry(
                        Level::Error,
                        "Error parsing regex, skipping",
                        registry,
                        repo,
                    )
                    .field("regex", pattern.clone()),
                );
                out.log(LogEntry::new(Level::Error, go_regex_error(pattern, &e)));
                continue;
            }
        };
        let Some(all) = listed_or_log(registry, repo, &r, &ctx, out, &mut ahead).await else {
            continue;
        };
        out.log(repo_entry(
            Level::Info,
            format!("Start filtering using the regular expression: {pattern}"),
            registry,
            repo,
        ));
        let images = all
            .into_iter()
            .filter(|i| tag_of(i).is_some_and(|t| re.is_match(t)))
            .collect();
        let managed = Managed {
            selects: Selector::Regex(re),
            ..Managed::all(&r)
        };
        push(images, Some(managed), repo, out);
    }

    // Newer skopeo: every constraint is parsed first; one bad constraint skips them all.
    let constraints: Result<Vec<_>, String> = rc
        .images_by_semver
        .iter()
        .map(|(repo, c)| Ok((repo, super::semver::Constraints::parse(c)?)))
        .collect();
    match constraints {
        Err(e) => out.log(LogEntry::new(Level::Error, e)),
        Ok(constraints) => {
            for (repo, constraint) in constraints {
                let Some(r) = repository_or_log(registry, repo, out) else {
                    continue;
                };
                out.log(repo_entry(Level::Info, "Processing repo", registry, repo));
                let Some(all) = listed_or_log(registry, repo, &r, &ctx, out, &mut ahead).await
                else {
                    continue;
                };
                let images = all
                    .into_iter()
                    .filter(|i| {
                        tag_of(i)
                            .and_then(|t| super::semver::Version::parse(t).ok())
                            .is_some_and(|v| constraint.matches(&v))
                    })
                    .collect();
                let managed = Managed {
                    selects: Selector::Semver(constraint),
                    ..Managed::all(&r)
                };
                push(images, Some(managed), repo, out);
            }
        }
    }
    repos
}

/// One entry of an `images` list: a digest if it parses as one, else a tag. A bad entry is
/// skipped with an error line.
fn image_for_ref(repo: &DockerReference, reference: &str, out: &dyn Reporter) -> Option<ImageName> {
    let (named, what) = if crate::reference::is_valid_digest_string(reference) {
        (
            repo.with_digest(reference),
            "Error processing ref, skipping",
        )
    } else {
        out.log(
            LogEntry::new(
                Level::Debug,
                format!(
                    "Ref was not a digest, trying as a tag: {}",
                    digest_parse_error(reference)
                ),
            )
            .field("ref", reference),
        );
        (repo.with_tag(reference), "Error parsing ref, skipping")
    };
    match named {
        Ok(n) => Some(ImageName::Docker(n)),
        Err(e) => {
            out.log(LogEntry::new(Level::Error, what).field("ref", reference));
            out.log(LogEntry::new(Level::Error, e.to_string()));
            None
        }
    }
}

/// go-digest's complaint about a string that is not a digest.
fn digest_parse_error(s: &str) -> String {
    match crate::reference::validate_digest(s) {
        Err(e) => e.to_string(),
        Ok(()) => String::new(),
    }
}

/// A regular expression error in Go's shape: `error parsing regexp: …`.
pub(crate) fn go_regex_error(pattern: &str, e: &regex::Error) -> String {
    let detail = match e {
        regex::Error::Syntax(s) => s
            .lines()
            .rev()
            .find(|l| l.starts_with("error: "))
            .map(|l| l.trim_start_matches("error: ").to_string())
            .unwrap_or_else(|| s.clone()),
        other => other.to_string(),
    };
    format!("error parsing regexp: {detail}: `{pattern}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_context_overrides() {
        let base = SystemContext {
            tls_verify: Some(false),
            docker_cert_path: Some("/cli".into()),
            credentials: Some(("cli".into(), "pw".into())),
            ..Default::default()
        };
        let rc = RegistryConfig::default();
        let ctx = registry_context(&rc, &base);
        assert_eq!(ctx.tls_verify, Some(false));
        assert_eq!(ctx.docker_cert_path, None);
        assert_eq!(ctx.credentials, Some(("cli".into(), "pw".into())));
        let rc = RegistryConfig {
            tls_verify: Some(true),
            cert_dir: "/yaml".into(),
            username: "u".into(),
            ..Default::default()
        };
        let ctx = registry_context(&rc, &base);
        assert_eq!(ctx.tls_verify, Some(true));
        assert_eq!(ctx.docker_cert_path, Some("/yaml".into()));
        assert_eq!(ctx.credentials, Some(("u".into(), String::new())));
    }

    #[test]
    fn repositories_must_be_bare() {
        assert!(repository("quay.io", "a/b").is_ok());
        assert_eq!(
            repository("quay.io", "a:1").unwrap_err(),
            "input names a reference, not a repository"
        );
        assert_eq!(
            repository("quay.io", "A").unwrap_err(),
            "invalid reference format: repository name must be lowercase"
        );
    }
}
