//! `sync --prune`: after every image is copied, the destination tags that this sync would
//! mirror but the source no longer has are deleted.
//!
//! A tag is this sync's to delete only when it is at a destination the sync names, in a
//! repository it mirrors as a whole (a docker repository given without a tag, a YAML
//! repository listed with every tag, by regular expression or by semver range, a repository
//! of a source layout), and the tag passes the same selection (the YAML filter, then
//! `--include-tag`/`--exclude-tag`/`--semver`). Images named one by one manage no other tag;
//! a source repository that lists no tag is never pruned (an empty list is more likely a
//! fault than a deliberate emptying).
//!
//! How a tag goes: in a registry, `DELETE` by tag; where the registry refuses that
//! (distribution 2.8), `DELETE` of its manifest — only when no tag that stays names the same
//! manifest, else a warning says the tag stays and why. In a layout, its index entry, then the
//! blobs no remaining entry uses (under the layout's lock). In a directory, the tag's image
//! directory. With `--dry-run`, what would go is logged and nothing is deleted.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result, anyhow, bail};

use super::plan::destination_name;
use super::semver::{Constraints, Version};
use super::source::Repo;
use super::{DestKind, Level, LogEntry, SourceKind, SyncOptions};
use crate::copy::progress::Reporter;
use crate::digest::Digest;
use crate::reference::{DockerReference, ImageName};
use crate::transport::docker;

/// A whole source repository.
#[derive(Clone, Debug)]
pub(crate) enum SourceRepository {
    Docker(DockerReference),
    /// The images of a layout whose names have this repository part.
    Layout {
        path: PathBuf,
        repo: String,
    },
}

impl SourceRepository {
    fn image_with_tag(&self, tag: &str) -> Option<ImageName> {
        match self {
            SourceRepository::Docker(r) => r.with_tag(tag).ok().map(ImageName::Docker),
            SourceRepository::Layout { path, repo } => {
                Some(super::layout::layout_image(path, &format!("{repo}:{tag}")))
            }
        }
    }
}

/// Which tags of a source repository a sync mirrors.
#[derive(Clone, Debug)]
pub(crate) enum Selector {
    All,
    Regex(regex::Regex),
    Semver(Constraints),
}

impl Selector {
    fn selects(&self, tag: &str) -> bool {
        match self {
            Selector::All => true,
            Selector::Regex(re) => re.is_match(tag),
            Selector::Semver(c) => Version::parse(tag).is_ok_and(|v| c.matches(&v)),
        }
    }
}

/// A source repository a sync mirrors, and which of its tags.
#[derive(Clone, Debug)]
pub(crate) struct Managed {
    pub source: SourceRepository,
    pub selects: Selector,
}

impl Managed {
    pub fn all(r: &DockerReference) -> Managed {
        Managed {
            source: SourceRepository::Docker(r.clone()),
            selects: Selector::All,
        }
    }
}

/// Refuses `--prune` where it has no meaning, before anything is copied.
pub(crate) fn check_supported(opts: &SyncOptions) -> Result<()> {
    if !opts.prune {
        return Ok(());
    }
    if opts.source_kind == SourceKind::Dir {
        bail!("--prune needs --src docker, yaml or oci: images in a directory have no tags");
    }
    if opts.shard.is_some() {
        bail!("--prune cannot be used with --shard: each shard sees only part of the source");
    }
    if opts.source_kind == SourceKind::Docker
        && DockerReference::parse_normalized_named(&opts.source).is_ok_and(|r| !r.is_name_only())
    {
        bail!(
            "--prune mirrors whole repositories: {} names one image",
            crate::gotext::go_quote(&opts.source)
        );
    }
    Ok(())
}

/// A destination tag to delete.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Doomed {
    /// Its destination name, as the sync names destinations.
    name: String,
    tag: String,
}

/// Deletes (or, dry, lists) the destination tags the source no longer has.
pub(crate) async fn prune(
    opts: &SyncOptions,
    repos: &[Repo],
    started: SystemTime,
    out: &dyn Reporter,
) -> Result<()> {
    // Every destination this sync wrote (or would have written).
    let planned: HashSet<String> = repos
        .iter()
        .flat_map(|r| r.images.iter().map(|i| destination_name(opts, i, r)))
        .collect();
    // Doomed tags by the destination "head" they share (the name up to the tag).
    let mut doomed: BTreeMap<String, BTreeSet<Doomed>> = BTreeMap::new();
    for repo in repos.iter().filter(|r| !r.images.is_empty()) {
        let Some(managed) = &repo.managed else {
            continue;
        };
        let Some(head) = name_head(opts, repo, managed) else {
            continue;
        };
        for tag in existing_tags(opts, &head).await? {
            let Some(image) = managed.source.image_with_tag(&tag) else {
                continue;
            };
            let name = destination_name(opts, &image, repo);
            let ours = name == format!("{head}{tag}{}", opts.append_suffix);
            if ours
                && managed.selects.selects(&tag)
                && opts.tag_filter.keeps_tag(&tag)
                && !planned.contains(&name)
            {
                doomed
                    .entry(head.clone())
                    .or_default()
                    .insert(Doomed { name, tag });
            }
        }
    }
    let mut pruned = 0;
    for (head, tags) in doomed {
        pruned += match opts.dest_kind {
            DestKind::Docker => prune_registry(opts, &head, &tags, out).await?,
            DestKind::Oci => prune_layout(opts, &tags, started, out)?,
            DestKind::Dir => prune_dirs(opts, &tags, out)?,
        };
    }
    let what = if opts.dry_run {
        "Would have pruned"
    } else {
        "Pruned"
    };
    out.log(LogEntry::new(Level::Info, format!("{what} {pruned} tags")));
    Ok(())
}

/// The destination name of `repo`'s images up to their tag (`registry/ns/app:`, `app:`,
/// `/mirror/app:`), found by naming an image with a made-up tag; `None` if the naming does
/// not end with that tag (then no tag can be matched to a name).
fn name_head(opts: &SyncOptions, repo: &Repo, managed: &Managed) -> Option<String> {
    const PROBE: &str = "skiff-prune-probe";
    let image = managed.source.image_with_tag(PROBE)?;
    let name = destination_name(opts, &image, repo);
    let head = name.strip_suffix(&format!("{PROBE}{}", opts.append_suffix))?;
    head.ends_with(':').then(|| head.to_string())
}

/// The tags (with `--append-suffix` taken off) the destination has under `head`.
async fn existing_tags(opts: &SyncOptions, head: &str) -> Result<Vec<String>> {
    let names: Vec<String> = match opts.dest_kind {
        DestKind::Docker => {
            let repo = DockerReference::parse_normalized_named(&head[..head.len() - 1])
                .map_err(|e| anyhow!("{e}"))?;
            match docker::repository_tags(&opts.copy.dest_ctx, &repo.clone().with_default_tag())
                .await
            {
                Ok(tags) => tags.into_iter().map(|t| format!("{head}{t}")).collect(),
                Err(e) if not_found(&e) => Vec::new(),
                Err(e) => {
                    return Err(e.context(format!("listing the tags of {repo} to prune")));
                }
            }
        }
        DestKind::Oci => layout_names(Path::new(&opts.destination), opts)?,
        DestKind::Dir => image_dirs_beside(head)?,
    };
    Ok(names
        .into_iter()
        .filter_map(|n| {
            let tag = n
                .strip_prefix(head)?
                .strip_suffix(opts.append_suffix.as_str())?;
            crate::reference::validate_tag(tag)
                .is_ok()
                .then(|| tag.to_string())
        })
        .collect())
}

fn not_found(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<docker::errors::RegistryError>()
            .is_some_and(|r| r.has_code(docker::errors::ErrorCode::NameUnknown))
    })
}

/// The ref names of a layout's index (none when it has no index yet).
fn layout_names(layout: &Path, opts: &SyncOptions) -> Result<Vec<String>> {
    use crate::transport::oci::{DirFiles, LayoutFiles, REF_NAME_ANNOTATION, parse_index};
    if !layout.join("index.json").exists() {
        return Ok(Vec::new());
    }
    let files = DirFiles::new(layout, opts.copy.dest_ctx.oci_shared_blob_dir.as_deref());
    let index = parse_index(&files.read_index()?)?;
    Ok(index
        .manifests
        .iter()
        .filter_map(|d| d.annotations.as_ref()?.get(REF_NAME_ANNOTATION).cloned())
        .collect())
}

/// The image directories (with a `manifest.json`) in the directory `head` names its images
/// in, as names built like `head`.
fn image_dirs_beside(head: &str) -> Result<Vec<String>> {
    let (parent, prefix) = match head.rfind('/') {
        Some(i) => (&head[..i], &head[..=i]),
        None => (".", ""),
    };
    let entries = match std::fs::read_dir(if parent.is_empty() { "/" } else { parent }) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("listing {parent} to prune")),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry?;
        if entry.path().join("manifest.json").is_file() {
            names.push(format!("{prefix}{}", entry.file_name().to_string_lossy()));
        }
    }
    Ok(names)
}

fn pruning(opts: &SyncOptions, dest: String) -> LogEntry {
    let what = if opts.dry_run {
        "Would have pruned tag"
    } else {
        "Pruning tag"
    };
    LogEntry::new(Level::Info, what).field("ref", dest)
}

/// Deletes tags of one registry repository (`head` is `registry/repo:`).
async fn prune_registry(
    opts: &SyncOptions,
    head: &str,
    doomed: &BTreeSet<Doomed>,
    out: &dyn Reporter,
) -> Result<usize> {
    let ctx = &opts.copy.dest_ctx;
    let repo = DockerReference::parse_normalized_named(&head[..head.len() - 1])
        .map_err(|e| anyhow!("{e}"))?;
    let tagged = |tag: &str| repo.with_tag(tag).map_err(|e| anyhow!("{e}"));
    // Tags the registry would not delete alone, to be deleted with their manifest.
    let mut by_manifest = Vec::new();
    let mut pruned = 0;
    for d in doomed {
        if opts.dry_run {
            by_manifest.push(d);
            continue;
        }
        let r = tagged(&d.tag)?;
        match docker::try_delete_tag(ctx, &r, &d.tag).await? {
            None => {
                out.log(pruning(opts, format!("docker://{r}")));
                pruned += 1;
            }
            Some(_) => by_manifest.push(d),
        }
    }
    if by_manifest.is_empty() {
        return Ok(pruned);
    }
    // Which manifest every tag of the repository names now.
    let doomed_tags: HashSet<&str> = doomed.iter().map(|d| d.tag.as_str()).collect();
    let all_tags = docker::repository_tags(ctx, &repo.clone().with_default_tag()).await?;
    let mut kept_by_digest: BTreeMap<Digest, Vec<String>> = BTreeMap::new();
    let mut digest_of = BTreeMap::new();
    for tag in &all_tags {
        let Some(head) = docker::probe::destination_manifest(ctx, &tagged(tag)?)
            .await?
            .answer
        else {
            continue;
        };
        if doomed_tags.contains(tag.as_str()) {
            digest_of.insert(tag.clone(), head.digest);
        } else {
            kept_by_digest
                .entry(head.digest)
                .or_default()
                .push(tag.clone());
        }
    }
    let mut deleted: HashSet<Digest> = HashSet::new();
    for d in by_manifest {
        let Some(digest) = digest_of.get(&d.tag) else {
            continue; // gone meanwhile
        };
        let r = tagged(&d.tag)?;
        if let Some(kept) = kept_by_digest.get(digest) {
            out.log(LogEntry::new(
                Level::Warning,
                format!(
                    "Cannot prune tag docker://{r}: the registry deletes a tag only with its manifest {digest}, which tag {} (kept) also names",
                    kept.join(", ")
                ),
            ));
            continue;
        }
        out.log(pruning(opts, format!("docker://{r}")));
        pruned += 1;
        if !opts.dry_run && deleted.insert(digest.clone()) {
            let pinned = repo
                .with_digest(&digest.to_string())
                .map_err(|e| anyhow!("{e}"))?;
            docker::delete_image(ctx, &pinned)
                .await
                .with_context(|| format!("pruning {r}"))?;
        }
    }
    Ok(pruned)
}

/// Removes entries of the destination layout.
fn prune_layout(
    opts: &SyncOptions,
    doomed: &BTreeSet<Doomed>,
    started: SystemTime,
    out: &dyn Reporter,
) -> Result<usize> {
    let layout = Path::new(&opts.destination);
    let entry = |name: &str| format!("oci:{}:{name}", layout.display());
    if opts.dry_run {
        for d in doomed {
            out.log(pruning(opts, entry(&d.name)));
        }
        return Ok(doomed.len());
    }
    let names = doomed.iter().map(|d| d.name.clone()).collect();
    let removed =
        crate::transport::oci::delete::prune_names(layout, &names, &opts.copy.dest_ctx, started)?;
    for name in &removed {
        out.log(pruning(opts, entry(name)));
    }
    Ok(removed.len())
}

/// Removes image directories: each is first moved into a staging directory of its parent
/// (so that it disappears at once), then removed.
fn prune_dirs(opts: &SyncOptions, doomed: &BTreeSet<Doomed>, out: &dyn Reporter) -> Result<usize> {
    use crate::transport::dir::STAGING_PREFIX;
    use crate::transport::dirlock::OwnedStaging;
    for d in doomed {
        out.log(pruning(opts, format!("dir:{}", d.name)));
        if opts.dry_run {
            continue;
        }
        let dir = Path::new(&d.name);
        let parent = dir.parent().unwrap_or(Path::new("."));
        let staging = OwnedStaging::create_in(parent, STAGING_PREFIX)?;
        std::fs::rename(dir, staging.path.join("pruned"))
            .with_context(|| format!("pruning {}", dir.display()))?;
        std::fs::remove_dir_all(&staging.path)
            .with_context(|| format!("removing {}", staging.path.display()))?;
    }
    Ok(doomed.len())
}
