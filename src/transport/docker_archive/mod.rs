//! `docker-archive:PATH[:NAME:TAG|:@N]` — the tar files `docker save` and `docker load` use.
//!
//! The format code here is shared with `docker-daemon:`, whose engine sends and takes the
//! same tar: [`reader`] reads archives in place by tar offset, [`writer`] writes them as
//! c/image does (byte for byte), [`dest`] is the destination both transports use.

pub mod dest;
pub mod format;
pub mod header;
pub mod reader;
pub mod writer;

use std::sync::Arc;

use anyhow::Result;

use crate::reference::ArchiveName;
use crate::transport::fsutil::few_reads;
use crate::types::SystemContext;
pub use dest::{TarballDestination, open_archive_destination};
pub use reader::{Tarball, TarballSource};

/// Opens `docker-archive:PATH[:NAME:TAG|:@N]` for reading: only `manifest.json` is read now;
/// the image is chosen when its manifest is asked for, as c/image does.
pub async fn open_source(name: &ArchiveName, ctx: &SystemContext) -> Result<TarballSource> {
    let tarball = open_tarball(name, ctx).await?;
    Ok(TarballSource::new(
        tarball,
        name.reference.clone(),
        name.source_index,
    ))
}

async fn open_tarball(name: &ArchiveName, ctx: &SystemContext) -> Result<Arc<Tarball>> {
    let (path, ctx) = (name.path.clone(), ctx.clone());
    // Opening a FIFO waits for its writer: only a regular file is opened and probed as a
    // few reads, and spooled (when compressed) from the file that probe opened.
    let tarball = if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
        match few_reads(move || Tarball::open_in_place(&path)).await? {
            Ok(tarball) => tarball,
            Err(file) => {
                tokio::task::spawn_blocking(move || Tarball::spooled_from(file, &ctx)).await??
            }
        }
    } else {
        tokio::task::spawn_blocking(move || Tarball::open_path(&path, &ctx)).await??
    };
    Ok(Arc::new(tarball))
}

/// `skopeo list-tags docker-archive:PATH`: every image's tags (`@N` for an untagged image);
/// `None` when the archive holds no image (skopeo prints `"Tags": null`). A name or index in
/// the argument is ignored, as skopeo ignores it.
pub async fn list_tags(name: &ArchiveName, ctx: &SystemContext) -> Result<Option<Vec<String>>> {
    open_tarball(name, ctx).await?.list_tags()
}
