//! Copying one image (not a list): policy, signatures, layers, then the config and manifest —
//! converted and updated for the destination when needed, trying the next manifest type when
//! the destination rejects one.

use anyhow::{Context, Result, anyhow};
use bytes::Bytes;
use futures::StreamExt;
use std::collections::BTreeSet;

use super::Copier;
use super::blob::LayerRules;
use super::plan::{self, ConversionPlan};
use super::progress::{BlobKind, Event, Scope};
use crate::contract::ManifestTypeRejected;
use crate::digest::Digest;
use crate::manifest::convert::{self, Updates};
use crate::manifest::update::{self, LayerEdit, recognizes_layer_type};
use crate::manifest::{self, Manifest, MediaType, media_type as mt};
use crate::signature::Signature;

pub(crate) struct SingleCopied {
    pub manifest: Bytes,
    pub mime: MediaType,
    pub digest: Digest,
    /// Signatures made of the written manifest (`--sign-by…`).
    pub new_signatures: Vec<Signature>,
}

struct ImageCopy<'c, 'a> {
    bytes: Bytes,
    mime: MediaType,
    parsed: Manifest,
    plan: ImagePlan,
    updates: Updates,
    config: Option<Vec<u8>>,
    copier: &'c Copier<'a>,
}

/// A manifest's format, as far as it decides how the image's layers may be treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ImageFormat {
    Schema1,
    Schema2,
    Oci { image_config: bool },
}

impl ImageFormat {
    pub(crate) fn of(m: &Manifest) -> ImageFormat {
        match m {
            Manifest::Schema1(_) => ImageFormat::Schema1,
            Manifest::Schema2(_) => ImageFormat::Schema2,
            Manifest::Oci(m) => ImageFormat::Oci {
                image_config: m.config.media_type == mt::OCI_CONFIG,
            },
        }
    }

    fn compression_change_supported(self, media_type: &str) -> bool {
        match self {
            ImageFormat::Schema1 => true,
            ImageFormat::Schema2 => recognizes_layer_type(false, media_type),
            ImageFormat::Oci { image_config } => {
                image_config && recognizes_layer_type(true, media_type)
            }
        }
    }
}

/// What the copy of one image decides before it moves a layer: whether the manifest may
/// change, which type it is written as, and from that how every layer is treated. Made in
/// one place so that work started before the manifest is read (a daemon's layers, copied as
/// they arrive) is decided exactly as the copy itself decides.
#[derive(Clone, Debug)]
pub(crate) struct ImagePlan {
    pub format: ImageFormat,
    pub cannot_modify: Option<&'static str>,
    pub conversion: ConversionPlan,
    pub diff_ids_needed: bool,
    /// Encrypted layers are decrypted (`--decryption-key`).
    pub decrypting: bool,
}

impl ImagePlan {
    /// The manifest type the image is converted to first, when it is converted.
    pub(crate) fn target_type(&self) -> Option<&str> {
        let c = &self.conversion;
        c.preferred_needs_conversion.then_some(c.preferred.as_str())
    }

    pub(crate) fn layer_rules(&self, media_type: &str) -> LayerRules {
        LayerRules {
            can_modify: self.cannot_modify.is_none(),
            compression_change_supported: self.format.compression_change_supported(media_type),
            diff_id_needed: self.diff_ids_needed,
            oci_possible: self.conversion.preferred == mt::OCI_MANIFEST
                || self.conversion.others.iter().any(|t| t == mt::OCI_MANIFEST),
            encrypt: false,
            decrypt: self.decrypting && crate::ocicrypt::is_encrypted(media_type),
        }
    }
}

impl Copier<'_> {
    /// Copies the source image at `instance` (or the top level) to the destination, as a list
    /// instance when `as_instance` (else as the top-level image). `fetched` passes in a
    /// manifest already read.
    pub(crate) async fn copy_single(
        &self,
        instance: Option<&Digest>,
        as_instance: bool,
        fetched: Option<(Bytes, MediaType)>,
    ) -> Result<SingleCopied> {
        let (bytes, mime) = match fetched {
            Some(m) => m,
            None => self.source_manifest(instance).await?,
        };
        if mime.is_list() {
            return Err(anyhow!(
                "Unexpectedly received a manifest list instead of a manifest for a single image"
            ));
        }
        let read_for_policy = self.check_policy(instance, &bytes).await?;
        let parsed = Manifest::parse(&bytes, &mime).with_context(|| {
            format!(
                "initializing image from source {}",
                self.names.source.display
            )
        })?;
        self.check_digest_pinned_destination(&bytes)?;
        let signatures = self
            .signatures_read_once(instance, read_for_policy, Scope::Image)
            .await?;
        let (bytes, mime, parsed) = self
            .layers_as_served(instance, bytes, mime, parsed, !signatures.is_empty())
            .await?;

        // What the source's own records say (a store's layers and the blobs they were pulled
        // as) is worth knowing before the layers are looked up.
        if self.dest.cache_location().is_some() {
            for fact in self.src.cached_facts() {
                self.cache().record(fact);
            }
        }
        let src_encrypted = parsed
            .layer_infos()
            .iter()
            .any(|l| crate::ocicrypt::is_encrypted(&l.media_type));
        let plan = self.image_plan(
            ImageFormat::of(&parsed),
            &mime,
            !signatures.is_empty(),
            src_encrypted,
        )?;
        let cannot_modify = plan.cannot_modify;
        // Encrypting or decrypting changes layer digests, hence the manifest: refused before
        // anything is written when the manifest must stay as it is.
        let crypto = &self.options.crypto;
        let crypto_changes =
            crypto.encrypt.is_some() || (src_encrypted && crypto.decrypt.is_some());
        if crypto_changes && let Some(reason) = cannot_modify {
            return Err(anyhow!(
                "Internal error: copy needs an updated manifest but that was known to be forbidden: {reason:?}"
            ));
        }
        let mut updates = Updates {
            schema1_reference: self.schema1_reference(),
            ..Default::default()
        };
        // A schema 1 manifest names its repository and tag: a destination with another name
        // gets it updated (c/image's updateEmbeddedDockerReference), unless it prefers not to.
        if let (Manifest::Schema1(m), Some(r)) =
            (&parsed, self.names.dest.docker_reference.as_ref())
            && !self.dest.ignores_embedded_docker_reference()
        {
            let (name, tag) = self.schema1_reference();
            if m.name != name || m.tag != tag {
                if let Some(reason) = cannot_modify {
                    return Err(anyhow!(
                        "Copying a schema1 image with an embedded Docker reference to {} (Docker reference {r}) would change the manifest, which we cannot do: {reason:?}",
                        self.names.dest.display
                    ));
                }
                updates.embedded_reference = Some((name, tag));
            }
        }
        updates.manifest_type = plan.target_type().map(str::to_string);
        // Nothing to change and no signatures to add: if the destination already has this
        // exact manifest, the image is there (skopeo sync's "already present" check, done for
        // every copy). Forced recompression is left to run, as it asks for other bytes.
        if signatures.is_empty()
            && !crypto_changes
            && self.options.signing.signers.is_empty()
            && updates.is_empty()
            && !self.options.compression.force
            && let Some(existing) = self
                .dest
                .existing_manifest_digest(
                    as_instance
                        .then(|| manifest::digest(&bytes).ok())
                        .flatten()
                        .as_ref(),
                )
                .await
                .unwrap_or(None)
            && manifest::matches_digest(&bytes, &existing).unwrap_or(false)
        {
            self.emit(Event::ImageSkipped {
                digest: existing.clone(),
            });
            return Ok(SingleCopied {
                digest: existing,
                manifest: bytes,
                mime,
                new_signatures: Vec::new(),
            });
        }
        // The config goes beside the layers when it is copied as it is (no conversion).
        let config_ahead = parsed.config_info().filter(|_| {
            plan.target_type().is_none() && !plan.diff_ids_needed && self.config_ahead_pays()
        });
        let mut img = ImageCopy {
            bytes,
            mime,
            parsed,
            plan,
            updates,
            config: None,
            copier: self,
        };
        let ahead = async {
            if let Some(info) = &config_ahead {
                self.copy_config_ahead(info).await;
            }
        };
        // Layer indices and decryption keys are checked before anything is sent, the config
        // included.
        let to_encrypt = img.checked_crypto()?;
        let (layers, ()) = tokio::join!(img.copy_layers(&to_encrypt), ahead);
        layers?;
        // What the layers taught is written beside the manifest, not after it.
        self.flush_cache_behind();
        let mut written = img.write_manifest(as_instance).await?;

        let mut signatures = signatures;
        signatures.append(&mut written.new_signatures);
        if !signatures.is_empty() {
            self.emit(Event::SignaturesStoring {
                scope: Scope::Image,
                count: signatures.len(),
            });
            let target = as_instance.then_some(&written.digest);
            self.dest
                .put_signatures(&signatures, target)
                .await
                .context("writing signatures")?;
        }
        Ok(written)
    }

    /// Why the manifest must be written as it is, if it must.
    pub(crate) fn cannot_modify_reason(&self, has_signatures: bool) -> Option<&'static str> {
        if self.options.preserve_digests {
            Some("Instructed to preserve digests")
        } else if self.destination_digest().is_some() {
            Some("Destination specifies a digest")
        } else if has_signatures {
            Some("Would invalidate signatures")
        } else {
            None
        }
    }

    /// The plan for an image of type `mime` and `format` (see [`ImagePlan`]); `src_encrypted`
    /// says whether some of its layers are encrypted.
    pub(crate) fn image_plan(
        &self,
        format: ImageFormat,
        mime: &str,
        has_signatures: bool,
        src_encrypted: bool,
    ) -> Result<ImagePlan> {
        let cannot_modify = self.cannot_modify_reason(has_signatures);
        let crypto = &self.options.crypto;
        // Encrypted layers at the destination need a manifest type that can say so.
        let requires_encryption =
            crypto.encrypt.is_some() || (src_encrypted && crypto.decrypt.is_none());
        let conversion = plan::manifest_conversion(
            mime,
            &self.dest.properties().supported_manifest_types,
            self.options.force_manifest_type.as_deref(),
            cannot_modify.is_some(),
            requires_encryption,
        )?;
        let mut plan = ImagePlan {
            format,
            cannot_modify,
            conversion,
            diff_ids_needed: false,
            decrypting: crypto.decrypt.is_some(),
        };
        plan.diff_ids_needed = format == ImageFormat::Schema1
            && convert::schema1_conversion_needs_diff_ids(plan.target_type());
        Ok(plan)
    }

    /// The digest a `docker://…@sha256:…` destination pins.
    pub(crate) fn destination_digest(&self) -> Option<Digest> {
        self.names
            .dest
            .docker_reference
            .as_ref()
            .and_then(|r| r.digest())
            .and_then(|d| d.parse().ok())
    }

    fn check_digest_pinned_destination(&self, bytes: &[u8]) -> Result<()> {
        let Some(want) = self.destination_digest() else {
            return Ok(());
        };
        let matches = manifest::matches_digest(bytes, &want)
            .context("computing digest of source image's manifest")?;
        let list_matches = match self.top_manifest.get() {
            Some(top) => manifest::matches_digest(top, &want)
                .context("computing digest of source image's manifest")?,
            None => false,
        };
        if !matches && !list_matches {
            return Err(anyhow!(
                "Digest of source image's manifest would not match destination reference"
            ));
        }
        Ok(())
    }

    /// The name and tag a schema 1 manifest written here records.
    fn schema1_reference(&self) -> (String, String) {
        match self.names.dest.docker_reference.as_ref() {
            Some(r) => (r.path().to_string(), r.tag().unwrap_or("").to_string()),
            None => (String::new(), String::new()),
        }
    }

    /// Sources that serve their layers in another form than the manifest names them
    /// (c/image's LayerInfosForCopy: `containers-storage:` gives them uncompressed) get the
    /// manifest rewritten to name what is copied (a schema 1 manifest comes back signed).
    async fn layers_as_served(
        &self,
        instance: Option<&Digest>,
        bytes: Bytes,
        mime: MediaType,
        parsed: Manifest,
        has_signatures: bool,
    ) -> Result<(Bytes, MediaType, Manifest)> {
        let listed = parsed.layer_infos();
        let Some(served) = self.src.layer_infos_for_copy(instance).await? else {
            return Ok((bytes, mime, parsed));
        };
        if !crate::manifest::update::layers_differ(&listed, &served) {
            return Ok((bytes, mime, parsed));
        }
        if let Some(reason) = self.cannot_modify_reason(has_signatures) {
            return Err(anyhow!(
                "Copying this image would require changing layer representation, which we cannot do: {reason:?}"
            ));
        }
        let rewritten = crate::manifest::update::with_layer_infos(&bytes, &mime, &served)?;
        let mime = MediaType::from(manifest::guess_mime_type(&rewritten));
        let parsed = Manifest::parse(&rewritten, &mime)?;
        Ok((Bytes::from(rewritten), mime, parsed))
    }

    /// The trust policy's decision on the image at `instance` with manifest `bytes`
    /// (c/image checks it before reading anything else of the image). Returns the signatures
    /// it read, if it needed them.
    async fn check_policy(
        &self,
        instance: Option<&Digest>,
        bytes: &[u8],
    ) -> Result<Option<Vec<Signature>>> {
        let subject = &self.names.source_policy;
        let signatures = if self.policy.needs_signatures(subject) {
            Some(
                self.src
                    .signatures(instance)
                    .await
                    .map_err(|e| format!("{e:#}")),
            )
        } else {
            None
        };
        self.policy
            .evaluate(&crate::config::policy::PolicyImage {
                subject,
                docker_reference: self.names.source.docker_reference.as_ref(),
                manifest: bytes,
                signatures: signatures.clone(),
            })
            .context(crate::config::policy::SourceImageRejected)?;
        Ok(signatures.and_then(Result::ok))
    }

    pub(crate) async fn signatures_with_messages(
        &self,
        instance: Option<&Digest>,
        scope: Scope,
    ) -> Result<Vec<Signature>> {
        self.signatures_read_once(instance, None, scope).await
    }

    /// The source's signatures to copy; `already_read` are those the policy check read, so
    /// they are not fetched twice.
    async fn signatures_read_once(
        &self,
        instance: Option<&Digest>,
        already_read: Option<Vec<Signature>>,
        scope: Scope,
    ) -> Result<Vec<Signature>> {
        if self.options.remove_signatures {
            return Ok(Vec::new());
        }
        self.emit(Event::SignaturesReading { scope });
        let sigs = match already_read {
            Some(s) => s,
            None => self
                .src
                .signatures(instance)
                .await
                .context("reading signatures")?,
        };
        if !sigs.is_empty() {
            self.emit(Event::SignaturesChecking {
                scope,
                count: sigs.len(),
            });
            if let Err(reason) = self.dest.properties().supports_signatures {
                return Err(anyhow!(
                    "Can not copy signatures to {}: {reason}",
                    self.names.dest.display
                ));
            }
            // c/image finds this only after the manifest is written; found before instead.
            if sigs.iter().any(|s| matches!(s, Signature::Sigstore(_)))
                && let Some(why) = self.dest.refuses_sigstore_signatures()
            {
                return Err(anyhow!("writing signatures: {why}"));
            }
        }
        Ok(sigs)
    }
}

/// The order in which layers start: the manifest's, unless there are more layers than
/// copies at once; then the biggest start first, so that the longest transfers do not begin
/// last and decide when the copy ends (sizes a manifest leaves out count as 0).
fn start_order(layers: &[crate::types::BlobInfo], parallel: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..layers.len()).collect();
    if layers.len() > parallel {
        order.sort_by_key(|&i| std::cmp::Reverse(layers[i].size.unwrap_or(0)));
    }
    order
}

impl ImageCopy<'_, '_> {
    /// Which layers are to be encrypted; fails when an index is out of range or an encrypted
    /// layer cannot be decrypted with the keys given.
    fn checked_crypto(&self) -> Result<BTreeSet<usize>> {
        let c = self.copier;
        let layers = self.parsed.layer_infos();
        let to_encrypt = c.options.crypto.layers_to_encrypt(layers.len())?;
        if let Some(keys) = &c.options.crypto.decrypt {
            for l in &layers {
                if self.plan.layer_rules(&l.media_type).decrypt {
                    super::crypto::unwrap_layer(l, keys)?;
                }
            }
        }
        Ok(to_encrypt)
    }

    async fn copy_layers(&mut self, to_encrypt: &BTreeSet<usize>) -> Result<()> {
        let c = self.copier;
        let layers = self.parsed.layer_infos();
        // A destination that takes blobs one at a time writes them in manifest order (an
        // archive's entries are skopeo's byte for byte).
        let thread_safe = c.dest.properties().has_thread_safe_put_blob;
        let parallel = if thread_safe {
            c.options.parallel_copies.max(1)
        } else {
            1
        };
        let rules: Vec<LayerRules> = layers
            .iter()
            .enumerate()
            .map(|(i, l)| LayerRules {
                encrypt: to_encrypt.contains(&i) && !crate::ocicrypt::is_encrypted(&l.media_type),
                ..self.plan.layer_rules(&l.media_type)
            })
            .collect();
        // Collected first: a lazy `map` here keeps the copy's future from being provably
        // `Send` (a sync runs each image's copy in its own task).
        let order = match thread_safe {
            true => start_order(&layers, parallel),
            false => (0..layers.len()).collect(),
        };
        let jobs: Vec<_> = order
            .into_iter()
            .map(|i| {
                let (layer, rules) = (&layers[i], rules[i]);
                async move { (i, c.copy_layer_blob(layer, rules).await) }
            })
            .collect();
        let mut running = futures::stream::iter(jobs).buffer_unordered(parallel);
        let mut by_index: Vec<Option<Result<_>>> = layers.iter().map(|_| None).collect();
        let mut copied = Vec::with_capacity(layers.len());
        // Results are taken in manifest order, so that a failure is the one skopeo reports:
        // the first layer in the manifest whose copy failed.
        while copied.len() < layers.len() {
            while let Some(done) = by_index.get_mut(copied.len()).and_then(Option::take) {
                copied.push(done?);
            }
            if copied.len() == layers.len() {
                break;
            }
            let Some((i, result)) = running.next().await else {
                break;
            };
            by_index[i] = Some(result);
        }
        drop(running);
        let edits: Vec<LayerEdit> = copied.iter().map(|l| l.edit.clone()).collect();
        if self.plan.diff_ids_needed {
            let ids = copied
                .iter()
                .map(|l| {
                    l.diff_id
                        .clone()
                        .ok_or_else(|| anyhow!("Internal error: no DiffID computed"))
                })
                .collect::<Result<Vec<_>>>()?;
            self.updates.diff_ids = Some(ids);
        }
        let digests_differ = layers
            .iter()
            .zip(&edits)
            .any(|(a, b)| a.digest != b.info.digest);
        if digests_differ {
            self.updates.layer_infos = Some(edits.clone());
        }
        self.updates.uploaded = edits;
        Ok(())
    }

    /// Writes config and manifest as planned; on a rejection, tries the other candidates.
    async fn write_manifest(&mut self, is_instance: bool) -> Result<SingleCopied> {
        let plan = self.plan.conversion.clone();
        let first = self.write_as(None, is_instance).await;
        let err = match first {
            Ok(done) => return Ok(done),
            Err(e) => e,
        };
        let retryable = is_rejection(&err) || update::is_compression_incompatible(&err);
        if !retryable || plan.others.is_empty() {
            return Err(err);
        }
        if let Some(reason) = self.plan.cannot_modify {
            return Err(err.context(format!(
                "writing manifest failed and we cannot try conversions: {reason:?}"
            )));
        }
        let mut errs = vec![format!("{}({err:#})", plan.preferred)];
        for t in &plan.others {
            match self.write_as(Some(t), is_instance).await {
                Ok(done) => return Ok(done),
                Err(e) => errs.push(format!("{t}({e:#})")),
            }
        }
        Err(anyhow!(
            "Uploading manifest failed, attempted the following formats: {}",
            errs.join(", ")
        ))
    }

    async fn write_as(
        &mut self,
        manifest_type: Option<&str>,
        is_instance: bool,
    ) -> Result<SingleCopied> {
        let c = self.copier;
        let mut updates = self.updates.clone();
        if let Some(t) = manifest_type {
            updates.manifest_type = (t != self.mime).then(|| t.to_string());
        }
        let (bytes, mime) = if updates.is_empty() {
            c.copy_config_of(&self.parsed).await?;
            (self.bytes.clone(), self.mime.clone())
        } else {
            if let Some(reason) = self.plan.cannot_modify {
                return Err(anyhow!(
                    "Internal error: copy needs an updated manifest but that was known to be forbidden: {reason:?}"
                ));
            }
            if !self.plan.diff_ids_needed
                && convert::needs_diff_ids(&self.parsed, updates.manifest_type.as_deref())
            {
                return Err(anyhow!(
                    "Can not convert image to {}, preparing DiffIDs for this case is not supported",
                    updates.manifest_type.as_deref().unwrap_or_default()
                ));
            }
            self.load_source_config_if_needed(&updates).await?;
            let updated = convert::updated_image(&self.parsed, self.config.as_deref(), &updates)
                .context("creating an updated image manifest")?;
            let bytes = convert::serialize(&updated.manifest)
                .context("creating an updated image manifest")?;
            for (info, blob) in &updated.extra_blobs {
                c.put_new_blob(blob.clone(), &info.media_type, false)
                    .await
                    .context("uploading empty layer")?;
            }
            match &updated.new_config {
                Some(cfg) => {
                    let media_type = updated
                        .manifest
                        .config_info()
                        .map(|i| i.media_type)
                        .unwrap_or_default();
                    c.put_new_blob(cfg.clone(), &media_type, true).await?;
                }
                None => c.copy_config_of(&updated.manifest).await?,
            }
            (
                Bytes::from(bytes),
                convert::serialized_mime_type(&updated.manifest).into(),
            )
        };
        c.emit(Event::ManifestWriting {
            scope: Scope::Image,
        });
        // Signed before it is written: a failed signature leaves no unsigned image behind.
        let new_signatures = c.create_signatures(&bytes, Scope::Image).await?;
        let digest = manifest::digest(&bytes)?;
        let target = is_instance.then_some(&digest);
        c.dest
            .put_manifest(&bytes, target)
            .await
            .context("writing manifest")?;
        c.emit(Event::ManifestWritten {
            scope: Scope::Image,
            digest: digest.clone(),
            size: bytes.len() as u64,
            media_type: mime.to_string(),
        });
        Ok(SingleCopied {
            manifest: bytes,
            mime,
            digest,
            new_signatures,
        })
    }

    /// The source config blob, read once, when a conversion re-encodes it.
    async fn load_source_config_if_needed(&mut self, updates: &Updates) -> Result<()> {
        let needs = matches!(
            (&self.parsed, updates.manifest_type.as_deref()),
            (Manifest::Schema2(_), Some(mt::OCI_MANIFEST))
                | (
                    Manifest::Schema2(_) | Manifest::Oci(_),
                    Some(mt::DOCKER_V2_SCHEMA1 | mt::DOCKER_V2_SCHEMA1_SIGNED)
                )
        );
        if needs
            && self.config.is_none()
            && let Some(info) = self.parsed.config_info()
        {
            let blob = crate::image::read_small_blob(self.copier.src.as_ref(), &info)
                .await
                .with_context(|| format!("reading config blob {}", info.digest))?;
            self.config = Some(blob);
        }
        Ok(())
    }
}

impl Copier<'_> {
    async fn copy_config_of(&self, m: &Manifest) -> Result<()> {
        if let Some(config) = m.config_info() {
            self.copy_blob(&config, BlobKind::Config).await?;
        }
        Ok(())
    }
}

fn is_rejection(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.is::<ManifestTypeRejected>())
}
