//! `docker-daemon:NAME:TAG|NAME@DIGEST|sha256:ID` — images in a Docker engine, moved through
//! its API as `docker save`/`docker load` tars.
//!
//! Reading streams `GET /images/get` into one temporary file and reads it in place once it is
//! whole (the engine sends `manifest.json` last). Layers do not wait for that: each is
//! offered to the copy as its bytes arrive ([`arrival`]), so a copy that compresses layers
//! does it while the export is still coming in. Writing streams the tar into
//! `POST /images/load` as the copy produces it. Layers go uncompressed, as skopeo sends them
//! (the engine loads those faster than gzip ones it must inflate itself); a tar entry needs
//! its size first, so a layer decompressed on the way is spooled to a temporary file, several
//! side by side, and sent when complete.

pub mod arrival;
pub mod client;

use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, anyhow, bail};
use async_trait::async_trait;
use futures::TryStreamExt;
use futures::future::{BoxFuture, FutureExt, Shared};

use crate::digest::Digest;
use crate::manifest::RawManifest;
use crate::reference::DaemonName;
use crate::signature::Signature;
use crate::transport::docker_archive::reader::{TarballSource, big_files_dir};
use crate::transport::docker_archive::writer::{BodyChunk, Out};
use crate::transport::docker_archive::{TarballDestination, dest::Finish};
use crate::transport::{BlobStream, EarlyBlobs, ImageSource, LayerCompression, LocalBlob};
use crate::types::{BlobInfo, SystemContext};
use client::Engine;

type Arriving = Shared<BoxFuture<'static, Result<Arc<TarballSource>, Arc<anyhow::Error>>>>;

/// An image being received from the engine. Its layers are offered as they arrive; the
/// manifest, config and blobs are read from the whole tar once it is here.
pub struct DaemonSource {
    image: Arriving,
    early: Mutex<Option<EarlyBlobs>>,
    /// Removes the spool file when the source goes.
    _spool: tempfile::TempPath,
    /// Dropped with the source: a copy that ends early also ends the export.
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Opens a daemon's image for reading: the engine has answered and its tar is on the way.
pub async fn open_source(name: &DaemonName, ctx: &SystemContext) -> Result<DaemonSource> {
    let mut engine = Engine::new(ctx).context("initializing docker engine client")?;
    let name = name.string_within_transport();
    engine
        .negotiate()
        .await
        .context("loading image from docker engine")?;
    // The image's layer list, asked beside the export: with it the copy knows before the
    // layers arrive whether the blob-info cache may have them. Without it, nothing is lost
    // but speed.
    let (layers, resp) = tokio::join!(engine.layers(&name), engine.save(&name));
    let resp = resp.context("loading image from docker engine")?;
    let body = resp.bytes_stream().map_err(std::io::Error::other);
    let arrival = arrival::start(body, &big_files_dir(ctx), layers.ok())
        .context("loading image from docker engine")?;
    let tarball = arrival.tarball;
    let image = async move {
        let tarball = tarball
            .await
            .map_err(|e| Arc::new(anyhow!("loading image from docker engine: {e}")))?
            .map_err(Arc::new)?;
        Ok(Arc::new(TarballSource::new(Arc::new(tarball), None, None)))
    };
    Ok(DaemonSource {
        image: image.boxed().shared(),
        early: Mutex::new(Some(arrival.early)),
        _spool: arrival.spool,
        _stop: arrival.stop,
    })
}

impl DaemonSource {
    /// The image, once the whole tar has arrived.
    async fn image(&self) -> Result<Arc<TarballSource>> {
        self.image.clone().await.map_err(|e| anyhow!("{e:#}"))
    }
}

#[async_trait]
impl ImageSource for DaemonSource {
    async fn manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        self.image().await?.manifest(instance).await
    }

    async fn blob(&self, info: &BlobInfo) -> Result<BlobStream> {
        self.image().await?.blob(info).await
    }

    fn local_blob(&self, info: &BlobInfo) -> Option<LocalBlob> {
        self.image.peek()?.as_ref().ok()?.local_blob(info)
    }

    /// An engine's images carry no signatures (known without waiting for the tar).
    async fn signatures(&self, _instance: Option<&Digest>) -> Result<Vec<Signature>> {
        Ok(Vec::new())
    }

    fn early_blobs(&self) -> Option<EarlyBlobs> {
        self.early.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// Opens a daemon for writing `NAME:TAG`: the load request starts now and receives the tar
/// as it is written; it completes at commit.
pub async fn open_destination(
    name: &DaemonName,
    ctx: &SystemContext,
) -> Result<TarballDestination> {
    let reference = match name {
        DaemonName::Reference(r) if r.tag().is_some() => r.clone(),
        _ => bail!(
            "Invalid destination docker-daemon:{}: a destination must be a name:tag",
            name.string_within_transport()
        ),
    };
    let mut engine = Engine::new(ctx).context("initializing docker engine client")?;
    engine
        .negotiate()
        .await
        .context("saving image to docker engine")?;
    let (tx, rx) = tokio::sync::mpsc::channel::<BodyChunk>(8);
    // The body ends cleanly only after `End`; a sender dropped before that (a failed or
    // interrupted copy) fails the request so the engine loads nothing.
    let chunks = futures::stream::unfold(Some(rx), |rx| async move {
        let mut rx = rx?;
        match rx.recv().await {
            Some(BodyChunk::Data(b)) => Some((Ok(b), Some(rx))),
            Some(BodyChunk::End) => None,
            None => Some((
                Err(std::io::Error::other(
                    "Aborting upload, daemonImageDestination closed without a previous .Commit()",
                )),
                None,
            )),
        }
    });
    let body = reqwest::Body::wrap_stream(chunks);
    let task = tokio::spawn(async move { engine.load(body).await });
    Ok(TarballDestination::new(
        Out::Channel(tx),
        Finish::Daemon(task),
        vec![reference],
        // Uncompressed, as skopeo sends them: the engine loads them ~30 % faster than gzip
        // layers it has to inflate itself (700 MB: 8.5–9.5 s against 12.0–12.6 s).
        LayerCompression::Decompress,
        big_files_dir(ctx),
    ))
}
