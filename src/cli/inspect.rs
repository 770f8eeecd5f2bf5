//! `skiff inspect IMAGE-NAME`

use std::io::Write;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;

use super::flags::{ImageFlags, RetryFlags, SharedFlags};
use super::{GlobalFlags, expect_args};
use crate::contract::retry;
use crate::digest::{Algorithm, Digest};
use crate::image::{Image, InspectOutput};
use crate::reference::ImageName;
use crate::transport;

#[derive(Args, Debug)]
#[command(after_help = super::after_help(&[
    "skiff inspect docker://registry.example.com/team/app:v1",
    "skiff inspect --raw --config oci:/srv/images/app:v1",
]))]
pub struct InspectArgs {
    #[arg(
        value_name = "IMAGE-NAME",
        help = "the image to inspect (transport:details)"
    )]
    pub images: Vec<String>,
    #[command(flatten)]
    pub shared: SharedFlags,
    #[command(flatten)]
    pub image: ImageFlags,
    #[command(flatten)]
    pub retry: RetryFlags,
    #[arg(
        long,
        help = "print the raw manifest (or, with --config, the raw configuration)"
    )]
    pub raw: bool,
    #[arg(long, help = "print the image configuration")]
    pub config: bool,
    #[arg(
        short = 'f',
        long,
        value_name = "TEMPLATE",
        help = "format the output with a Go template"
    )]
    pub format: Option<String>,
    #[arg(
        short = 'n',
        long = "no-tags",
        help = "do not list the repository's tags in the output"
    )]
    pub no_tags: bool,
    #[arg(
        long = "manifest-digest",
        value_name = "ALGORITHM",
        help = "algorithm of the printed manifest digest (sha256, sha512; experimental in skopeo); default: the config digest's"
    )]
    pub manifest_digest: Option<String>,
    #[arg(
        long = "referrers",
        help = "list the image's OCI 1.1 referrers, recursively, as JSON (registries only; not in skopeo)",
        long_help = "List the OCI 1.1 referrers of the manifest the name resolves to (a list's own digest for a list), each with its own referrers, as JSON (registries only; not in skopeo): {\"Subject\": DIGEST, \"ListedBy\": \"api\" (the referrers API) or \"tag\" (the fallback tag sha256-HEX), \"Referrers\": [{\"Digest\", \"MediaType\", \"ArtifactType\" (its artifactType, else its config's media type), \"Size\", \"Annotations\" (null when none), \"Referrers\": [...]}]}"
    )]
    pub referrers: bool,
    #[arg(
        long = "referrers-artifact-type",
        value_name = "TYPE",
        help = "with --referrers, only referrers of this artifact type (repeatable; not in skopeo)"
    )]
    pub referrers_artifact_types: Vec<String>,
}

/// skopeo HEAD's choice of the manifest digest's algorithm: the one asked for (empty means
/// sha256), else the config digest's, else sha256.
fn manifest_digest(top: &[u8], asked: Option<&str>, img: &Image) -> Result<Digest> {
    let algorithm = match asked {
        Some("") => Algorithm::Sha256,
        Some(name) => Algorithm::from_name(name)
            .ok_or_else(|| anyhow!("digest algorithm {name:?} is not available"))?,
        None => img
            .manifest
            .config_info()
            .map_or(Algorithm::Sha256, |c| c.digest.algorithm()),
    };
    crate::manifest::digest_with(top, algorithm)
}

impl InspectArgs {
    pub async fn run(self, g: &GlobalFlags) -> Result<()> {
        expect_args(&self.images, 1)?;
        let format = self.format.clone().unwrap_or_default();
        if self.raw && !format.is_empty() {
            bail!("raw output does not support format option");
        }
        let image_name = &self.images[0];
        if !self.referrers_artifact_types.is_empty() && !self.referrers {
            bail!("--referrers-artifact-type needs --referrers");
        }
        if self.referrers && (self.raw || self.config || !format.is_empty()) {
            bail!("--referrers cannot be used with --raw, --config or --format");
        }
        if self.referrers && !image_name.starts_with("docker:") {
            bail!("--referrers lists referrers in registries: it needs a docker:// name");
        }
        let mut ctx = g.system_context();
        self.image
            .image()
            .apply(self.shared.authfile.as_ref(), &mut ctx)?;
        let opts = self.retry.options();

        let name = ImageName::parse(image_name)
            .map_err(anyhow::Error::from)
            .and_then(transport::complete_name)
            .map_err(|e| anyhow!("Error parsing image name {image_name:?}: {e:#}"));
        let src = retry::if_necessary(opts, || async {
            let name = name.as_ref().map_err(|e| anyhow!("{e:#}"))?;
            transport::open_source(name, &ctx).await
        })
        .await
        .map_err(|e| {
            if name.is_err() {
                e
            } else {
                e.context(format!("Error parsing image name {image_name:?}"))
            }
        })?;
        let name = name?;
        let src = src.as_ref();

        let (top, mime) = retry::if_necessary(opts, || src.manifest(None))
            .await
            .context("Error retrieving manifest for image")?
            .resolved();
        let mut stdout = crate::stdio::stdout();
        if self.referrers {
            let ImageName::Docker(r) = &name else {
                bail!("--referrers lists referrers in registries: it needs a docker:// name");
            };
            // The manifest the name resolves to (a list's own digest, not an instance's).
            let subject = crate::manifest::digest(&top)?;
            let types = &self.referrers_artifact_types;
            let listed = retry::if_necessary(opts, || {
                crate::referrers::inspect(r, &ctx, subject.clone(), types)
            })
            .await?;
            let out = format!("{}\n", crate::gojson::to_string_pretty(&listed));
            stdout.write_all(out.as_bytes())?;
            return Ok(());
        }
        if self.raw && !self.config {
            stdout
                .write_all(&top)
                .context("Error writing manifest to standard output")?;
            return Ok(());
        }
        let img = Image::from_source(src, &top, &mime, &ctx.platform)
            .await
            .context("Error parsing manifest for image")?;

        if self.config && self.raw {
            let blob = retry::if_necessary(opts, || img.config_blob(src))
                .await
                .context("Error reading configuration blob")?
                .unwrap_or_default();
            stdout
                .write_all(&blob)
                .context("Error writing configuration blob to standard output")?;
            return Ok(());
        }
        if self.config {
            let config = retry::if_necessary(opts, || img.oci_config(src))
                .await
                .context("Error reading OCI-formatted configuration data")?;
            let out = if format.is_empty() || super::template_data::is_json_format(&format) {
                format!("{}\n", crate::gojson::to_string_pretty(&config))
            } else {
                super::template_data::render_config(&format, &config)?
            };
            stdout
                .write_all(out.as_bytes())
                .context("Error writing OCI-formatted configuration data to standard output")?;
            return Ok(());
        }

        // The tag list does not depend on the image: ask for it while the config is read.
        let tags = async {
            match &name {
                ImageName::Docker(r) if !self.no_tags => {
                    let mut tag_ctx = g.system_context();
                    self.image
                        .image()
                        .apply(self.shared.authfile.as_ref(), &mut tag_ctx)?;
                    match transport::docker::repository_tags(&tag_ctx, r).await {
                        Ok(tags) => Ok(Some(tags)),
                        // skopeo 1.9.3 recognises a refusal by the status in the message.
                        Err(e) if ["401", "403"].iter().any(|s| format!("{e:#}").contains(s)) => {
                            crate::error::warn("Registry disallows tag list retrieval; skipping");
                            Ok(None)
                        }
                        Err(e) => Err(e.context("Error determining repository tags")),
                    }
                }
                _ => Ok(Some(Vec::new())),
            }
        };
        let (info, repo_tags) = tokio::join!(retry::if_necessary(opts, || img.inspect(src)), tags);
        let info = info?;
        let digest = manifest_digest(&top, self.manifest_digest.as_deref(), &img)
            .context("Error computing manifest digest")?;
        let docker_name = name
            .docker_reference()
            .map(|r| r.name())
            .unwrap_or_default();
        let repo_tags: Option<Vec<String>> = repo_tags?;
        let output = InspectOutput::new(docker_name, digest, repo_tags, info);
        let out = if format.is_empty() || super::template_data::is_json_format(&format) {
            format!("{}\n", crate::gojson::to_string_pretty(&output))
        } else {
            super::template_data::render_inspect(&format, &output)?
        };
        stdout.write_all(out.as_bytes())?;
        Ok(())
    }
}
