//! The copy engine: the one place that moves images between transports. It verifies every
//! blob and manifest digest while streaming, asks the destination before sending anything,
//! copies layers in parallel, and commits the destination only when everything succeeded.

mod blob;
mod cached;
mod crypto;
mod early;
mod multiple;
mod pipeline;
mod plan;
pub mod progress;
mod shared;
mod sign;
mod single;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{Context, Result, anyhow};
use bytes::Bytes;

use crate::compression;
use crate::config::policy::{Policy, PolicySubject};
use crate::digest::Digest;
use crate::manifest::update::LayerEdit;
use crate::manifest::{self, ManifestList, MediaType, media_type as mt};
use crate::reference::{DockerReference, ImageName};
use crate::transport::{self, ImageDestination, ImageSource};
use crate::types::{BlobInfo, SystemContext};
pub use crypto::Crypto;
use progress::{BlobKind, BlobTracker, Event, Report, Reporter};
pub use shared::SharedBlobs;

/// Which images of a multi-image source to copy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ListSelection {
    /// Only the instance for this machine (or the `--override-*` choice).
    #[default]
    System,
    /// Every instance, and the list.
    All,
    /// Only the list itself.
    IndexOnly,
    /// The instances for these platforms (os, architecture, variant), and the list.
    Platforms(Vec<PlatformSpec>),
}

/// One platform of a `--multi-arch os/arch[/variant],…` list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformSpec {
    pub os: String,
    pub architecture: String,
    pub variant: String,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub source_ctx: SystemContext,
    pub dest_ctx: SystemContext,
    pub remove_signatures: bool,
    pub preserve_digests: bool,
    /// How many blobs of one image move at once (`--image-parallel-copies`).
    pub parallel_copies: usize,
    pub list_selection: ListSelection,
    /// `--format`: the manifest type the destination must get.
    pub force_manifest_type: Option<String>,
    /// `--dest-compress-format` / `--dest-compress-level`.
    pub compression: compression::Settings,
    /// How many images of a list are copied at once.
    pub parallel_images: usize,
    /// Signatures to add to every manifest written (`--sign-by…`).
    pub signing: Signing,
    /// Layers to encrypt or decrypt (`--encryption-key`, `--decryption-key`).
    pub crypto: Crypto,
}

/// The signers of a copy and the identity their signatures name (default: the destination's
/// Docker reference).
#[derive(Clone, Default)]
pub struct Signing {
    pub signers: Vec<Arc<dyn crate::signature::sign::Signer>>,
    pub identity: Option<crate::reference::DockerReference>,
}

impl std::fmt::Debug for Signing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signing")
            .field("signers", &self.signers.len())
            .field("identity", &self.identity)
            .finish()
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            source_ctx: SystemContext::default(),
            dest_ctx: SystemContext::default(),
            remove_signatures: false,
            preserve_digests: false,
            parallel_copies: DEFAULT_PARALLEL_COPIES,
            list_selection: ListSelection::System,
            force_manifest_type: None,
            compression: compression::Settings::default(),
            parallel_images: DEFAULT_PARALLEL_IMAGES,
            signing: Signing::default(),
            crypto: Crypto::default(),
        }
    }
}

/// skopeo's default number of concurrent blob copies.
pub const DEFAULT_PARALLEL_COPIES: usize = 6;
/// Images of a list copied at once (their layers share the per-image limit each).
pub const DEFAULT_PARALLEL_IMAGES: usize = 4;

/// A layer as copied, shared by every image of a list that has it.
#[derive(Clone, Debug)]
pub(crate) struct LayerCopied {
    pub edit: LayerEdit,
    pub diff_id: Option<Digest>,
}

type SharedLayer = Arc<tokio::sync::OnceCell<LayerCopied>>;

/// What a finished copy wrote.
pub struct Copied {
    /// The top-level manifest as stored at the destination.
    pub manifest: Bytes,
}

impl Copied {
    pub fn digest(&self) -> Result<Digest> {
        manifest::digest(&self.manifest)
    }
}

/// How one image is named, as far as the engine uses its name: in messages, and for the
/// docker reference it carries (a registry's, a named daemon image's …).
#[derive(Clone, Debug)]
pub struct ImageLabel {
    /// `transport:details`, as the user wrote it after parsing (`ImageName`'s text).
    pub display: String,
    /// The transport's name (`dir`, `docker`, …).
    pub transport: String,
    pub docker_reference: Option<DockerReference>,
}

impl ImageLabel {
    pub fn of(name: &ImageName) -> ImageLabel {
        ImageLabel {
            display: name.to_string(),
            transport: name.transport().name().to_string(),
            docker_reference: name.docker_reference().cloned(),
        }
    }
}

/// The two images' names as the core [`copy`] sees them: it takes any source and destination
/// (a test's in-memory one has no `ImageName`), so what it needs of their names is handed in.
#[derive(Clone, Debug)]
pub struct Names {
    pub source: ImageLabel,
    pub dest: ImageLabel,
    /// How the trust policy sees the source.
    pub source_policy: PolicySubject,
}

/// Everything one copy needs, shared by the per-image and per-blob steps.
pub(crate) struct Copier<'a> {
    pub src: Box<dyn ImageSource>,
    pub dest: Box<dyn ImageDestination>,
    pub names: &'a Names,
    pub policy: &'a Policy,
    pub options: &'a Options,
    pub reporter: &'a dyn Reporter,
    /// The source's top-level manifest, once read.
    pub top_manifest: OnceLock<Bytes>,
    /// Layers copied so far in this copy, by source digest and treatment: a blob shared by
    /// several images of a list is sent once.
    layers: Mutex<HashMap<(Digest, blob::LayerRules), SharedLayer>>,
    /// Layers in `layers` that were sent while the source was still receiving the image.
    sent_early: Mutex<HashSet<Digest>>,
    /// Configs sent beside the layers (see `copy_config_ahead`), with how their copy ended.
    configs_ahead: Mutex<HashMap<Digest, (BlobInfo, progress::Ending)>>,
    /// Blobs shared with other copies running at the same time (a sync's images).
    pub shared: Option<&'a SharedBlobs>,
    /// The blob-info cache, opened when first needed; written once the layers are copied
    /// (beside the manifest write) and when the copy ends.
    cache: OnceLock<Arc<crate::blobcache::BlobInfoCache>>,
    /// Cache writes running beside the copy, waited for before it ends.
    cache_flushes: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// The source's name, attached to every event of this copy.
    pub image: Option<Arc<str>>,
}

/// Copies the image `src_name` to `dest_name`.
pub async fn copy_image(
    policy: &Policy,
    src_name: &ImageName,
    dest_name: &ImageName,
    options: &Options,
    reporter: &dyn Reporter,
) -> Result<Copied> {
    copy_image_sharing(policy, src_name, dest_name, options, reporter, None).await
}

/// Like [`copy_image`], for one of several copies running at once: a blob that another copy
/// sharing `shared` sends to the same registry is sent only once.
///
/// Only opens the two names and hands them to [`copy`].
pub async fn copy_image_sharing(
    policy: &Policy,
    src_name: &ImageName,
    dest_name: &ImageName,
    options: &Options,
    reporter: &dyn Reporter,
    shared: Option<&SharedBlobs>,
) -> Result<Copied> {
    // Destination first, as c/image does: a destination that cannot be written fails fast.
    let dest = transport::open_destination(dest_name, &options.dest_ctx)
        .await
        .with_context(|| format!("initializing destination {dest_name}"))?;
    sign::check_destination(dest.as_ref(), dest_name, &options.signing)?;
    let src = transport::open_source(src_name, &options.source_ctx)
        .await
        .with_context(|| format!("initializing source {src_name}"))?;
    // After opening: a containers-storage name's policy identity names the store it opened.
    let names = Names {
        source: ImageLabel::of(src_name),
        dest: ImageLabel::of(dest_name),
        source_policy: transport::policy_subject(src_name),
    };
    copy(src, dest, &names, policy, options, reporter, shared).await
}

/// The engine's core: copies what `src` serves to `dest` and commits `dest` only when
/// everything succeeded (dropping it uncommitted otherwise, which discards what was written).
pub async fn copy(
    src: Box<dyn ImageSource>,
    dest: Box<dyn ImageDestination>,
    names: &Names,
    policy: &Policy,
    options: &Options,
    reporter: &dyn Reporter,
    shared: Option<&SharedBlobs>,
) -> Result<Copied> {
    let started = std::time::Instant::now();
    let image: Option<Arc<str>> = Some(Arc::from(names.source.display.as_str()));
    reporter.report(Report {
        image: image.clone(),
        event: Event::ImageStarted {
            source: names.source.display.clone(),
            destination: names.dest.display.clone(),
        },
    });
    let copier = Copier {
        src,
        dest,
        names,
        policy,
        options,
        reporter,
        top_manifest: OnceLock::new(),
        layers: Mutex::new(HashMap::new()),
        sent_early: Mutex::new(HashSet::new()),
        configs_ahead: Mutex::new(HashMap::new()),
        shared,
        cache: OnceLock::new(),
        cache_flushes: Mutex::new(Vec::new()),
        image,
    };
    let manifest = copier.run().await;
    if manifest.is_ok() {
        for fact in copier.dest.cached_facts() {
            copier.cache().record(fact);
        }
    }
    // What was verified stays true whether or not the copy finished.
    copier.flush_cache().await;
    let manifest = manifest?;
    copier
        .dest
        .commit()
        .await
        .context("committing the finished image")?;
    let copied = Copied { manifest };
    if let Ok(digest) = copied.digest() {
        reporter.report(Report {
            image: copier.image,
            event: Event::ImageDone {
                digest,
                duration: started.elapsed(),
            },
        });
    }
    Ok(copied)
}

/// Whether a destination can store a list (it names a list type, or takes any type).
fn supports_multiple_images(types: &[&str]) -> bool {
    types.is_empty() || types.iter().any(|t| mt::is_list(t))
}

impl Copier<'_> {
    /// Reports an event of this copy.
    pub(crate) fn emit(&self, event: Event) {
        self.reporter.report(Report {
            image: self.image.clone(),
            event,
        });
    }

    /// Reports a blob's copy as started; the tracker reports how it ends.
    pub(crate) fn track(&self, kind: BlobKind, info: &BlobInfo) -> BlobTracker<'_> {
        BlobTracker::start(self.reporter, &self.image, kind, info)
    }

    async fn run(&self) -> Result<Bytes> {
        self.copy_early_blobs().await?;
        let (top, mime) = self
            .src
            .manifest(None)
            .await
            .with_context(|| {
                format!(
                    "determining manifest MIME type for {}",
                    self.names.source.display
                )
            })?
            .resolved();
        let _ = self.top_manifest.set(top.clone());
        if !mime.is_list() {
            return Ok(self
                .copy_single(None, false, Some((top, mime)))
                .await?
                .manifest);
        }
        match &self.options.list_selection {
            ListSelection::System => {
                let list = ManifestList::parse(&top, &mime).with_context(|| {
                    format!(
                        "parsing primary manifest as list for {}",
                        self.names.source.display
                    )
                })?;
                let instance = list
                    .choose_instance(&self.options.source_ctx.platform)
                    .with_context(|| {
                        format!(
                            "choosing an image from manifest list {}",
                            self.names.source.display
                        )
                    })?;
                let single = self
                    .copy_single(Some(&instance), false, None)
                    .await
                    .context("copying system image from manifest list")?;
                Ok(single.manifest)
            }
            _ => {
                if !supports_multiple_images(&self.dest.properties().supported_manifest_types) {
                    return Err(anyhow!(
                        "copying multiple images: destination transport {:?} does not support copying multiple images as a group",
                        self.names.dest.transport
                    ));
                }
                self.copy_multiple(top, mime).await
            }
        }
    }

    /// The shared slot for one layer of this copy.
    pub(crate) fn shared_layer(&self, digest: &Digest, rules: blob::LayerRules) -> SharedLayer {
        let mut map = self.layers.lock().unwrap_or_else(|e| e.into_inner());
        map.entry((digest.clone(), rules)).or_default().clone()
    }

    /// Fetches a manifest, checking it against the digest it was asked for by.
    pub(crate) async fn source_manifest(
        &self,
        instance: Option<&Digest>,
    ) -> Result<(Bytes, MediaType)> {
        let (bytes, mime) = self.src.manifest(instance).await?.resolved();
        if let Some(want) = instance
            && !manifest::matches_digest(&bytes, want)?
        {
            return Err(anyhow!(
                "Manifest does not match provided manifest digest {want}"
            ));
        }
        Ok((bytes, mime))
    }
}

#[cfg(test)]
mod tests;
