//! `docker-daemon:NAME:TAG|NAME@DIGEST|sha256:ID` — images in a Docker engine, moved through
//! its API as `docker save`/`docker load` tars.
//!
//! Reading streams `GET /images/get` into one temporary file (the engine sends
//! `manifest.json` last, so nothing can be copied before the whole tar has arrived) and reads
//! it in place. Writing streams the tar into `POST /images/load` as the copy produces it:
//! layers go as the source has them (the engine decompresses), so nothing is spooled.

pub mod client;

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use futures::TryStreamExt;

use crate::reference::DaemonName;
use crate::transport::LayerCompression;
use crate::transport::docker_archive::reader::{Tarball, TarballSource, big_files_dir, spool};
use crate::transport::docker_archive::writer::{BodyChunk, Out};
use crate::transport::docker_archive::{TarballDestination, dest::Finish};
use crate::types::SystemContext;
use client::Engine;

/// Opens a daemon's image for reading: the engine's tar is received in full first.
pub async fn open_source(name: &DaemonName, ctx: &SystemContext) -> Result<TarballSource> {
    let mut engine = Engine::new(ctx).context("initializing docker engine client")?;
    let resp = async {
        engine.negotiate().await?;
        engine.save(&name.string_within_transport()).await
    }
    .await
    .context("loading image from docker engine")?;
    let body =
        tokio_util::io::StreamReader::new(resp.bytes_stream().map_err(std::io::Error::other));
    let mut bridge = tokio_util::io::SyncIoBridge::new(body);
    let tmp_dir = big_files_dir(ctx);
    let tarball = tokio::task::spawn_blocking(move || {
        let spooled = spool(&mut bridge, &tmp_dir)?;
        Tarball::from_spool(spooled)
    })
    .await??;
    Ok(TarballSource::new(Arc::new(tarball), None, None))
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
        LayerCompression::Preserve,
        big_files_dir(ctx),
    ))
}
