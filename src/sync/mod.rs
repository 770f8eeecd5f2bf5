//! `sync`: copying every image of a source — a registry repository, a tree of `dir:` images,
//! or a YAML list of registries and repositories — to a destination registry or directory,
//! as skopeo sync does, with images copied concurrently.
//!
//! - [`source`]: what to copy (tag lists, directory walks, the YAML file and its filters);
//! - [`plan`]: where each image goes (skopeo's destination naming);
//! - [`runner`]: the copies, several at once, with skopeo's log lines kept in image order;
//! - [`uptodate`]: an image the destination already has is skipped after two HEAD requests;
//! - [`layout`]: one OCI layout as a source or destination of many repositories;
//! - [`prune`]: `--prune`, the destination tags the source no longer has, deleted.
//!
//! The library reports typed events (its log records are [`LogEntry`] events); the CLI
//! decides how they look.

mod dirwalk;
pub mod filter;
mod layout;
mod plan;
mod prune;
mod runner;
pub mod semver;
pub mod shard;
mod source;
mod uptodate;
pub mod yaml;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;

use crate::config::policy::Policy;
use crate::contract::retry::RetryOptions;
use crate::copy::progress::Reporter;
pub use crate::copy::progress::{Level, LogEntry};
use crate::reference::DockerReference;
use crate::types::SystemContext;

/// Where images come from (`--src`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    Docker,
    Dir,
    Yaml,
    /// Every tagged image of one OCI layout (see [`layout`]).
    Oci,
}

/// Where images go (`--dest`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DestKind {
    Docker,
    Dir,
    /// One OCI layout holding every image (see [`layout`]).
    Oci,
}

/// Everything `sync` needs besides the policy.
#[derive(Clone, Debug)]
pub struct SyncOptions {
    pub source_kind: SourceKind,
    pub dest_kind: DestKind,
    /// The SOURCE argument: a repository or image, a directory, or a YAML file.
    pub source: String,
    /// The DESTINATION argument: a registry (and namespace) or a directory.
    pub destination: String,
    pub source_ctx: SystemContext,
    /// The settings of every copy; the source context is replaced per source repository.
    pub copy: crate::copy::Options,
    /// Name destinations with the whole source path (`--scoped`).
    pub scoped: bool,
    /// Appended to every destination name (`--append-suffix`).
    pub append_suffix: String,
    pub dry_run: bool,
    pub keep_going: bool,
    /// `--digestfile`: one `DIGEST DESTINATION` line per copied image.
    pub digest_file: Option<PathBuf>,
    /// How many images are copied at once.
    pub parallel_images: usize,
    pub retry: RetryOptions,
    /// `--shard I/N`: copy only this share of the plan.
    pub shard: Option<shard::Shard>,
    /// `--report`: where the JSON report goes (`-`: stdout).
    pub report: Option<PathBuf>,
    /// `--include-tag`, `--exclude-tag`, `--semver`.
    pub tag_filter: filter::TagFilter,
    /// `--referrers`, `--referrers-artifact-type`, `--cosign-tags` (a YAML registry's
    /// `referrers: true` adds referrers for its images).
    pub attached: crate::referrers::Wanted,
    /// `--prune`: delete the destination tags the source no longer has (see [`prune`]).
    pub prune: bool,
}

/// Images copied at once by default: enough to keep a registry's connections busy with small
/// images, few enough that large ones do not all stream at the same time.
pub const DEFAULT_PARALLEL_IMAGES: usize = 6;

/// Pings the destination registry beside the listing of the sources (a round trip off the
/// first image's path). Its failure is left to the copies, which ping again and say why.
fn ping_destination_early(opts: &SyncOptions) {
    if opts.dest_kind != DestKind::Docker || opts.dry_run {
        return;
    }
    let Ok(reference) = DockerReference::parse_normalized_named(&format!(
        "{}/ping",
        opts.destination.trim_end_matches('/')
    )) else {
        return;
    };
    let ctx = opts.copy.dest_ctx.clone();
    tokio::spawn(async move {
        let _ = crate::transport::docker::probe::ping_destination(&ctx, &reference).await;
    });
}

/// Runs a sync: lists the source's images, names their destinations, then copies them
/// (or, with `dry_run`, says what it would copy).
pub async fn sync(policy: &Policy, opts: &SyncOptions, out: Arc<dyn Reporter>) -> Result<()> {
    let started = std::time::SystemTime::now();
    prune::check_supported(opts)?;
    ping_destination_early(opts);
    let repos = crate::contract::retry::if_necessary(opts.retry, || {
        source::images_to_copy(
            opts.source_kind,
            &opts.source,
            &opts.source_ctx,
            out.as_ref(),
        )
    })
    .await?;
    let mut repos = repos;
    if !opts.tag_filter.is_empty() {
        for repo in &mut repos {
            repo.images.retain(|i| opts.tag_filter.keeps(i));
        }
    }
    if opts.dry_run {
        out.log(LogEntry::new(Level::Warning, "Running in dry-run mode"));
    }
    // Tags that hold referrers lists or cosign's artifacts travel with their images when
    // those flags are on: they are not images to copy on their own.
    for repo in &mut repos {
        let wanted = crate::referrers::Wanted {
            referrers: opts.attached.referrers || repo.referrers,
            ..opts.attached.clone()
        };
        repo.images.retain(|i| {
            let tag = i.docker_reference().and_then(|r| r.tag()).unwrap_or("");
            !crate::referrers::travels_with_its_image(tag, &wanted)
        });
    }
    if opts.dest_kind != DestKind::Docker && repos.iter().any(|r| r.referrers) {
        anyhow::bail!(
            "referrers: true in the YAML file copies between registries: it needs --dest docker"
        );
    }
    let jobs = plan::plan(opts, &repos)?;
    runner::run(policy, opts, &repos, jobs, out.clone()).await?;
    // Only after every image is there: a failed sync deletes nothing.
    if opts.prune {
        prune::prune(opts, &repos, started, out.as_ref()).await?;
    }
    Ok(())
}
