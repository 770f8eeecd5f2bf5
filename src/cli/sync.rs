//! `skiff sync --src docker|dir|yaml --dest docker|dir SOURCE DESTINATION`
//!
//! skopeo's flags (plus `--parallel-images` and the progress flags), its checks in its
//! order; its log lines are events drawn by `progress` (logrus' text format off a terminal,
//! its short form on one).

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

use super::copy::{CopyFlags, ReferrerFlags};
use super::flags::{
    DeprecatedTlsVerify, DestImageFlags, PrefixedAuthfiles, RetryFlags, SharedFlags, SrcImageFlags,
};
use super::{GlobalFlags, ImageFlagValues, expect_args, progress};
use crate::copy::{self, ListSelection};
use crate::sync::filter::TagFilter;
use crate::sync::shard::Shard;
use crate::sync::{self, DestKind, SourceKind, SyncOptions};

#[derive(Args, Debug)]
#[command(
    long_about = "Copy all the images from a SOURCE to a DESTINATION.\n\nAllowed SOURCE transports (specified with --src): docker, dir, yaml, oci.\nAllowed DESTINATION transports (specified with --dest): docker, dir, oci.\n\nWith --dest oci, DESTINATION is one OCI layout directory holding every image (blobs stored once), each named in index.json as below a registry or directory, without it: the source's last path element and tag (app:v1), or with --scoped its whole reference (registry.example.com/team/app:v1). With --src oci, every named image of the layout SOURCE is copied, its name read as REPOSITORY:TAG.",
    after_help = "Examples:\n  skiff sync --src docker --dest dir --scoped registry.example.com/busybox /media/usb\n  skiff sync --src yaml --dest docker images.yaml registry.example.com/mirror\n  skiff sync --src docker --dest oci registry.example.com/team/app /media/usb/layout\n  skiff sync --src oci --dest docker --prune /media/usb/layout mirror.example.com/team"
)]
pub struct SyncArgs {
    #[arg(
        value_name = "SOURCE DESTINATION",
        help = "what to copy (a repository, a directory or a YAML file, as --src says), then where (a registry namespace or a directory, as --dest says)"
    )]
    pub args: Vec<String>,
    #[command(flatten)]
    pub shared: SharedFlags,
    #[command(flatten)]
    pub authfiles: PrefixedAuthfiles,
    #[command(flatten)]
    pub src: SrcImageFlags,
    #[command(flatten)]
    pub dest: DestImageFlags,
    #[command(flatten)]
    pub deprecated_tls_verify: DeprecatedTlsVerify,
    #[command(flatten)]
    pub retry: RetryFlags,
    #[command(flatten)]
    pub copy: CopyFlags,
    #[command(flatten)]
    pub referrers: ReferrerFlags,
    #[arg(
        short = 's',
        long = "src",
        value_name = "TRANSPORT",
        help = "SOURCE transport: docker, dir, yaml or oci"
    )]
    pub source_transport: Option<String>,
    #[arg(
        short = 'd',
        long = "dest",
        value_name = "TRANSPORT",
        help = "DESTINATION transport: docker, dir or oci"
    )]
    pub dest_transport: Option<String>,
    #[arg(
        long,
        help = "name destination images with the full source path as scope"
    )]
    pub scoped: bool,
    #[arg(
        long = "append-suffix",
        value_name = "SUFFIX",
        allow_hyphen_values = true,
        help = "add SUFFIX to destination image names"
    )]
    pub append_suffix: Option<String>,
    #[arg(short = 'a', long, help = "copy every image of a list, and the list")]
    pub all: bool,
    #[arg(long = "dry-run", help = "show what would be copied without copying")]
    pub dry_run: bool,
    #[arg(long = "keep-going", help = "go on after an image fails to copy")]
    pub keep_going: bool,
    #[arg(
        long = "digestfile",
        value_name = "PATH",
        help = "write the digest and name of every copied image to PATH, one per line"
    )]
    pub digestfile: Option<PathBuf>,
    #[command(flatten)]
    pub progress: progress::ProgressFlags,
    #[arg(
        long = "parallel-images",
        value_name = "N",
        help = "how many images to copy at once (default 6)"
    )]
    pub parallel_images: Option<usize>,
    #[arg(
        long,
        value_name = "I/N",
        help = "copy only share I (0 to N-1) of N; N processes with I = 0…N-1 copy every image once (default: JOB_COMPLETION_INDEX/JOB_COMPLETIONS when set)"
    )]
    pub shard: Option<String>,
    #[arg(
        long,
        value_name = "FILE",
        help = "write a JSON report (each image's source, destination, digest, result, bytes, duration) to FILE (- for stdout)"
    )]
    pub report: Option<PathBuf>,
    #[arg(
        long = "include-tag",
        value_name = "REGEX",
        help = "copy only tags matching REGEX (matched anywhere in the tag; anchor with ^…$)"
    )]
    pub include_tag: Option<String>,
    #[arg(
        long = "exclude-tag",
        value_name = "REGEX",
        help = "do not copy tags matching REGEX"
    )]
    pub exclude_tag: Option<String>,
    #[arg(
        long,
        value_name = "RANGE",
        help = "copy only tags that are semantic versions within RANGE (e.g. \">=1.2, <2\", as images-by-semver)"
    )]
    pub semver: Option<String>,
    #[arg(
        long,
        help = "delete the destination tags of the mirrored repositories that the source no longer has (with --dry-run: list them)"
    )]
    pub prune: bool,
}

fn source_kind(v: Option<&str>) -> Result<SourceKind> {
    match v.unwrap_or("") {
        "" => bail!("A source transport must be specified"),
        "docker" => Ok(SourceKind::Docker),
        "dir" => Ok(SourceKind::Dir),
        "yaml" => Ok(SourceKind::Yaml),
        "oci" => Ok(SourceKind::Oci),
        other => bail!(
            "{} is not a valid source transport",
            crate::gotext::go_quote(other)
        ),
    }
}

fn dest_kind(v: Option<&str>) -> Result<DestKind> {
    match v.unwrap_or("") {
        "" => bail!("A destination transport must be specified"),
        "docker" => Ok(DestKind::Docker),
        "dir" => Ok(DestKind::Dir),
        "oci" => Ok(DestKind::Oci),
        other => bail!(
            "{} is not a valid destination transport",
            crate::gotext::go_quote(other)
        ),
    }
}

impl SyncArgs {
    pub async fn run(self, g: &GlobalFlags) -> Result<()> {
        expect_args(&self.args, 2)?;
        self.deprecated_tls_verify.warn_if_used();
        let policy = g.policy()?;
        let source_kind = source_kind(self.source_transport.as_deref())?;
        let dest_kind = dest_kind(self.dest_transport.as_deref())?;
        if source_kind == SourceKind::Dir && dest_kind == DestKind::Dir {
            bail!("sync from 'dir' to 'dir' not implemented, consider using rsync instead");
        }
        let mut source_ctx = g.system_context();
        self.deprecated_tls_verify.apply(&mut source_ctx);
        ImageFlagValues {
            authfile: self.authfiles.src.clone(),
            ..self.src.image()
        }
        .apply(self.shared.authfile.as_ref(), &mut source_ctx)?;
        let force_manifest_type = self.copy.manifest_type()?;
        let mut dest_ctx = g.system_context();
        self.deprecated_tls_verify.apply(&mut dest_ctx);
        ImageFlagValues {
            authfile: self.authfiles.dest.clone(),
            ..self.dest.image()
        }
        .apply(self.shared.authfile.as_ref(), &mut dest_ctx)?;
        let signers = self.copy.signers()?;
        if let Some(path) = &self.report {
            crate::report::check_path(path)?;
        }
        let tag_filter = TagFilter::parse(
            self.include_tag.as_deref(),
            self.exclude_tag.as_deref(),
            self.semver.as_deref(),
        )?;
        if !tag_filter.is_empty() && source_kind == SourceKind::Dir {
            bail!(
                "--include-tag, --exclude-tag and --semver filter tags: they need --src docker or yaml"
            );
        }
        let attached = self.referrers.wanted();
        attached.check_for_sync(source_kind == SourceKind::Dir || dest_kind == DestKind::Dir)?;
        let shard = match &self.shard {
            Some(s) => Some(Shard::parse(s)?),
            None => Shard::from_env(
                std::env::var("JOB_COMPLETION_INDEX").ok(),
                std::env::var("JOB_COMPLETIONS").ok(),
            )?,
        };

        let opts = SyncOptions {
            source_kind,
            dest_kind,
            source: self.args[0].clone(),
            destination: self.args[1].clone(),
            copy: copy::Options {
                source_ctx: source_ctx.clone(),
                dest_ctx,
                remove_signatures: self.copy.remove_signatures,
                preserve_digests: self.copy.preserve_digests,
                force_manifest_type,
                list_selection: if self.all {
                    ListSelection::All
                } else {
                    ListSelection::System
                },
                signing: copy::Signing {
                    signers,
                    identity: None,
                },
                ..copy::Options::default()
            },
            source_ctx,
            scoped: self.scoped,
            append_suffix: self.append_suffix.clone().unwrap_or_default(),
            dry_run: self.dry_run,
            keep_going: self.keep_going,
            digest_file: self.digestfile.clone(),
            parallel_images: self
                .parallel_images
                .filter(|n| *n > 0)
                .unwrap_or(sync::DEFAULT_PARALLEL_IMAGES),
            retry: self.retry.options(),
            shard,
            report: self.report.clone(),
            tag_filter,
            attached,
            prune: self.prune,
        };
        let out = self
            .progress
            .reporter(false, progress::Command::Sync { debug: g.debug })?;
        sync::sync(&policy, &opts, out).await
    }
}
