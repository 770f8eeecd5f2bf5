//! Copying one image (not a list): policy, signatures, layers and config, then the manifest.

use anyhow::{Context, Result, anyhow};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};

use super::Copier;
use super::progress::BlobKind;
use crate::digest::Digest;
use crate::error::not_implemented;
use crate::manifest::Manifest;
use crate::signature::Signature;
use crate::types::BlobInfo;

pub(crate) struct SingleCopied {
    pub manifest: Bytes,
}

impl Copier<'_> {
    /// Copies the source image at `instance` (or the top level) to the destination's
    /// `target` instance (or its top level). `fetched` passes in a manifest already read.
    pub(crate) async fn copy_single(
        &self,
        instance: Option<&Digest>,
        target: Option<&Digest>,
        fetched: Option<(Bytes, String)>,
    ) -> Result<SingleCopied> {
        let (bytes, mime) = match fetched {
            Some(m) => m,
            None => self.source_manifest(instance).await?,
        };
        let parsed = Manifest::parse(&bytes, &mime)
            .with_context(|| format!("initializing image from source {}", self.src_name))?;
        self.policy
            .check_source(&crate::transport::policy_subject(self.src_name))
            .context("Source image rejected")?;
        let signatures = self.source_signatures(instance).await?;
        self.check_manifest_type(&mime)?;

        // Hook for sources that give their layers in another form than the manifest names
        // them (c/image's LayerInfosForCopy); the manifest is rewritten to match.
        let mut layers = parsed.layer_infos();
        let mut bytes = bytes;
        if let Some(for_copy) = self.src.layer_infos_for_copy(instance).await?
            && crate::manifest::update::layers_differ(&layers, &for_copy)
        {
            if !signatures.is_empty() {
                return Err(anyhow!(
                    "Copying this image would require changing layer representation, which we cannot do: \"Would invalidate signatures\""
                ));
            }
            bytes = Bytes::from(crate::manifest::update::with_layer_infos(
                &bytes, &mime, &for_copy,
            )?);
            layers = for_copy;
        }
        let parallel = if self.dest.properties().has_thread_safe_put_blob {
            self.options.parallel_copies.max(1)
        } else {
            1
        };
        futures::stream::iter(layers.iter().map(|l| self.copy_layer(l)))
            .buffered(parallel)
            .try_collect::<Vec<BlobInfo>>()
            .await?;
        if let Some(config) = parsed.config_info() {
            self.copy_config(&config).await?;
        }

        self.reporter
            .message("Writing manifest to image destination");
        self.dest
            .put_manifest(&bytes, target)
            .await
            .context("writing manifest")?;
        if !signatures.is_empty() {
            self.reporter.message("Storing signatures");
            self.dest
                .put_signatures(&signatures, target)
                .await
                .context("writing signatures")?;
        }
        Ok(SingleCopied { manifest: bytes })
    }

    async fn source_signatures(&self, instance: Option<&Digest>) -> Result<Vec<Signature>> {
        if self.options.remove_signatures {
            return Ok(Vec::new());
        }
        self.reporter.message("Getting image source signatures");
        let sigs = self
            .src
            .signatures(instance)
            .await
            .context("reading signatures")?;
        if !sigs.is_empty() {
            self.reporter
                .message("Checking if image destination supports signatures");
            if let Err(reason) = self.dest.properties().supports_signatures {
                return Err(anyhow!(
                    "Can not copy signatures to {}: {reason}",
                    self.dest_name
                ));
            }
        }
        Ok(sigs)
    }

    /// The manifest is written unchanged when the destination stores its type; anything else
    /// needs a conversion.
    fn check_manifest_type(&self, mime: &str) -> Result<()> {
        let supported = self.dest.properties().supported_manifest_types;
        let forced = self.options.force_manifest_type.as_deref();
        let fits =
            forced.is_none_or(|f| f == mime) && (supported.is_empty() || supported.contains(&mime));
        if fits {
            return Ok(());
        }
        Err(not_implemented(format!(
            "converting a {mime} manifest for {}",
            self.dest_name
        )))
    }

    async fn copy_layer(&self, info: &BlobInfo) -> Result<BlobInfo> {
        self.copy_blob(info, BlobKind::Blob)
            .await
            .context("copying layer")
    }

    async fn copy_config(&self, info: &BlobInfo) -> Result<BlobInfo> {
        self.copy_blob(info, BlobKind::Config)
            .await
            .context("copying config")
    }
}
