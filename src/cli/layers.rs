//! `skiff layers IMAGE [LAYER...]`: deprecated (and hidden) in skopeo, kept for old scripts.
//! Writes the image's blobs (or only the LAYER digests named) and its manifest, unchanged,
//! as a `dir:` image in a new `layers-*` directory of the current directory.

use anyhow::{Context, Result};
use clap::Args;

use super::GlobalFlags;
use super::flags::{ImageFlags, RetryFlags, SharedFlags};
use crate::contract::verify::VerifyingReader;
use crate::digest::Digest;
use crate::manifest::Manifest;
use crate::reference::ImageName;
use crate::transport::{self, UploadInfo};
use crate::types::BlobInfo;

#[derive(Args, Debug)]
#[command(after_help = "Example:\n  skiff layers docker://registry.example.com/team/app:v1")]
pub struct LayersArgs {
    #[arg(
        value_name = "IMAGE-NAME [LAYER...]",
        help = "the image (transport:details), then the digests of the blobs to fetch (default: every layer and the config)"
    )]
    pub args: Vec<String>,
    #[command(flatten)]
    pub shared: SharedFlags,
    #[command(flatten)]
    pub image: ImageFlags,
    #[command(flatten)]
    pub retry: RetryFlags,
}

impl LayersArgs {
    pub async fn run(self, g: &GlobalFlags) -> Result<()> {
        crate::stdio::err_line("DEPRECATED: skiff layers is deprecated in favor of skiff copy");
        let Some(image) = self.args.first() else {
            anyhow::bail!("Usage: layers imageReference [layer...]");
        };
        let mut ctx = g.system_context();
        self.image
            .image()
            .apply(self.shared.authfile.as_ref(), &mut ctx)?;
        let name = super::parse_image(image, "source")?;
        let src = transport::open_source(&name, &ctx).await?;
        let (manifest, mime) = src.manifest(None).await?.resolved();
        let parsed = Manifest::parse(&manifest, &mime)?;

        let mut wanted: Vec<Digest> = Vec::new();
        for given in &self.args[1..] {
            let full = if given.starts_with("sha256:") {
                given.clone()
            } else {
                format!("sha256:{given}")
            };
            wanted.push(full.parse().map_err(anyhow::Error::from)?);
        }
        if wanted.is_empty() {
            for layer in parsed.layer_infos() {
                if !wanted.contains(&layer.digest) {
                    wanted.push(layer.digest);
                }
            }
            wanted.extend(parsed.config_info().map(|c| c.digest));
        }

        // Made before anything is fetched, as skopeo makes it; removed again on a failure.
        let dir = tempfile::Builder::new()
            .prefix("layers-")
            .tempdir_in(".")
            .context("creating the layers directory")?;
        let dest =
            transport::open_destination(&ImageName::Dir(dir.path().to_path_buf()), &ctx).await?;
        for digest in wanted {
            let info = BlobInfo::new(digest.clone(), None, "");
            let stream = src.blob(&info).await?;
            let verified = Box::pin(VerifyingReader::new(stream, &digest, None));
            let upload = UploadInfo {
                digest: Some(digest),
                size: None,
                media_type: Default::default(),
                is_config: false,
            };
            dest.put_blob(verified, &upload).await?;
        }
        dest.put_manifest(&manifest, None).await?;
        dest.commit().await?;
        let _ = dir.keep();
        Ok(())
    }
}
