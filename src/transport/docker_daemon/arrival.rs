//! The engine's export as it arrives. The tar is written to a temporary file — read in place
//! once it is whole, like any docker-archive — and watched on the way in: when the data of a
//! layer file starts, the layer is offered as an [`EarlyBlob`] whose stream follows the
//! growing file, so the copy can compress and send it while the rest is still arriving.
//!
//! ```text
//!  engine ──▶ receiving thread ──▶ spool file ──(whole)──▶ Tarball: manifest, config, layers
//!                  │ tar headers        └──(as it grows)──▶ one stream per layer ──▶ copy
//!                  └──▶ "a layer starts at offset O, size S"
//! ```
//! Memory does not depend on the image's size: the bytes wait in the file, not in buffers.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use tempfile::TempPath;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::digest::Digest;
use crate::manifest::media_type as mt;
use crate::transport::docker_archive::reader::Tarball;
use crate::transport::spool::write_tar;
use crate::transport::tarindex::normalize_member;
use crate::transport::{BlobStream, EarlyBlob, EarlyBlobs};

/// Bytes a layer stream reads from the file at a time.
const FOLLOW_CHUNK: u64 = 1 << 20;

/// An export being received.
pub struct Arrival {
    /// The indexed tar, once all of it is here.
    pub tarball: tokio::task::JoinHandle<Result<Tarball>>,
    /// Its layers, as they start arriving.
    pub early: EarlyBlobs,
    /// The spool file's name. Dropping it removes the file at once, whatever the receiving
    /// thread is doing: a copy that fails mid-export leaves nothing behind when it exits.
    pub spool: TempPath,
    /// Dropping this ends the export's stream: the receiving thread stops and the
    /// connection to the engine closes (a copy that failed does not wait for the rest).
    pub stop: oneshot::Sender<()>,
}

/// Starts receiving `body` (the engine's `docker save` tar) into a file in `tmp_dir`;
/// `layers`: the diff IDs the engine listed for the image, if it was asked.
pub fn start<S>(body: S, tmp_dir: &Path, layers: Option<Vec<Digest>>) -> Result<Arrival>
where
    S: Stream<Item = io::Result<Bytes>> + Send + Unpin + 'static,
{
    let (file, spool) = tempfile::Builder::new()
        .prefix("docker-tar")
        .tempfile_in(tmp_dir)
        .context("creating temporary file")?
        .into_parts();
    let path = spool.to_path_buf();
    let (stop, stopped) = oneshot::channel::<()>();
    let mut input = SyncIoBridge::new(StreamReader::new(body.take_until(stopped)));
    let (offers, blobs) = mpsc::unbounded_channel();
    let tarball = tokio::task::spawn_blocking(move || receive_all(&mut input, file, &path, offers));
    Ok(Arrival {
        tarball,
        // The source lists each layer uncompressed, under its diff ID (the sha256 of the
        // layer file), in a schema 2 manifest it generates.
        early: EarlyBlobs {
            manifest_type: mt::DOCKER_V2_SCHEMA2,
            layer_media_type: mt::DOCKER_V2_SCHEMA2_LAYER,
            layers,
            blobs,
        },
        spool,
        stop,
    })
}

type Offers = mpsc::UnboundedSender<Result<EarlyBlob>>;

fn receive_all(input: &mut dyn Read, file: File, path: &Path, offers: Offers) -> Result<Tarball> {
    let (arrived, _) = watch::channel(0u64);
    let received = receive(input, file, path, &arrived, &offers);
    let received = received.context("loading image from docker engine");
    if let Err(e) = &received {
        let _ = offers.send(Err(anyhow!("{e:#}")));
    }
    // Only now do layer streams still waiting learn that no more bytes will come: the
    // error above is queued first, so the copy reports it rather than a short layer.
    drop(arrived);
    drop(offers);
    received?;
    Tarball::from_spooled(path)
}

/// Copies the tar into the spool file, offering each layer as its data starts.
fn receive(
    input: &mut dyn Read,
    file: File,
    path: &Path,
    arrived: &watch::Sender<u64>,
    offers: &Offers,
) -> Result<()> {
    // Engines send plain tars; a compressed one is only decompressed, nothing offered.
    write_tar(input, &file, path, |whole| {
        let spooled = Arc::new(file.try_clone()?);
        let recording = Recording {
            input: whole,
            file: &file,
            len: 0,
            arrived,
        };
        let offer = |offset, size| {
            let stream = follow(spooled.clone(), offset, size, arrived.subscribe());
            // Nobody listening (the copy does not take layers early) is fine.
            let _ = offers.send(Ok(EarlyBlob { size, stream }));
        };
        read_tar(recording, offer)
    })
}

/// Reads a tar stream to its end, calling `layer(offset, size)` when a layer file's data
/// starts.
fn read_tar(input: impl Read, mut layer: impl FnMut(u64, u64)) -> io::Result<()> {
    let mut archive = tar::Archive::new(input);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let regular = matches!(
            entry.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Continuous
        );
        if !regular || !names_a_layer(&entry.path()?) {
            continue;
        }
        let (offset, size) = (entry.raw_file_position(), entry.size());
        if starts_as_tar(&mut entry, size)? {
            layer(offset, size);
        }
    }
    // The end-of-archive blocks too: the file holds every byte the engine sent.
    io::copy(&mut archive.into_inner(), &mut io::sink())?;
    Ok(())
}

/// Layer files as engines name them: `ID/layer.tar` (before Docker 25) or `blobs/ALG/HEX`
/// (the OCI layout of Docker 25 and later, where configs are blobs too).
fn names_a_layer(path: &Path) -> bool {
    normalize_member(path)
        .is_some_and(|name| name.ends_with("/layer.tar") || name.starts_with("blobs/"))
}

/// Whether a file starts with a tar header, as an uncompressed layer does (reads its first
/// block). Compressed layers, configs and empty layers are left to the ordinary copy.
fn starts_as_tar(entry: &mut impl Read, size: u64) -> io::Result<bool> {
    let mut block = [0u8; 512];
    if size < block.len() as u64 {
        return Ok(false);
    }
    entry.read_exact(&mut block)?;
    Ok(&block[257..262] == b"ustar")
}

/// Passes a stream through, writing it to the spool file first and telling the layer
/// streams how far the file goes.
struct Recording<'a, R> {
    input: R,
    file: &'a File,
    len: u64,
    arrived: &'a watch::Sender<u64>,
}

impl<R: Read> Read for Recording<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.input.read(buf)?;
        let mut file = self.file;
        file.write_all(&buf[..n])?;
        self.len += n as u64;
        self.arrived.send_replace(self.len);
        Ok(n)
    }
}

/// Bytes `offset..offset + size` of the spool file, read as they land in it.
fn follow(file: Arc<File>, offset: u64, size: u64, arrived: watch::Receiver<u64>) -> BlobStream {
    let end = offset + size;
    let chunks = futures::stream::try_unfold((offset, arrived), move |(pos, mut arrived)| {
        let file = file.clone();
        async move {
            if pos >= end {
                return Ok(None);
            }
            let upto = end.min(pos + FOLLOW_CHUNK);
            let landed = arrived.wait_for(|len| *len >= upto).await.is_ok();
            if !landed {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the image stopped arriving before this layer was complete",
                ));
            }
            let chunk = tokio::task::spawn_blocking(move || read_at(&file, pos, upto - pos))
                .await
                .map_err(io::Error::other)??;
            Ok(Some((chunk, (upto, arrived))))
        }
    });
    Box::pin(StreamReader::new(chunks))
}

fn read_at(file: &File, pos: u64, len: u64) -> io::Result<Bytes> {
    let mut buf = vec![0u8; len as usize];
    file.read_exact_at(&mut buf, pos)?;
    Ok(Bytes::from(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap()
    }

    #[test]
    fn layers_are_found_by_name_and_content() {
        let layer = tar_of(&[("etc/hostname", b"box\n")]);
        let outer = tar_of(&[
            ("abc.json", b"{}"),
            ("a1/json", b"{}"),
            ("a1/layer.tar", &layer),
            ("blobs/sha256/0123", &layer),
            ("blobs/sha256/4567", b"{\"not\":\"a tar\"}"),
            ("a2/layer.tar", &[0u8; 1024]),
            ("manifest.json", b"[]"),
        ]);
        let mut found = Vec::new();
        read_tar(&outer[..], |offset, size| found.push((offset, size))).unwrap();
        assert_eq!(found.len(), 2, "{found:?}");
        for (offset, size) in found {
            let at = offset as usize;
            assert_eq!(&outer[at..at + size as usize], &layer[..]);
        }
    }

    #[test]
    fn a_tar_cut_short_is_an_error() {
        let layer = tar_of(&[("f", &[7u8; 4096])]);
        let outer = tar_of(&[("a1/layer.tar", &layer), ("manifest.json", b"[]")]);
        let cut = &outer[..3000];
        assert!(read_tar(cut, |_, _| {}).is_err());
    }

    #[tokio::test]
    async fn a_layer_stream_follows_the_file_and_fails_when_it_stops_growing() {
        use tokio::io::AsyncReadExt;
        let tmp = tempfile::tempfile().unwrap();
        let (arrived, _) = watch::channel(0u64);
        let file = Arc::new(tmp.try_clone().unwrap());
        let mut whole = follow(file.clone(), 3, 5, arrived.subscribe());
        let mut cut = follow(file, 3, 50, arrived.subscribe());
        let writer = tokio::task::spawn_blocking(move || {
            let mut f = &tmp;
            for b in [&b"abc"[..], b"de", b"fgh", b"ijk"] {
                f.write_all(b).unwrap();
                let now = *arrived.borrow() + b.len() as u64;
                arrived.send_replace(now);
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        });
        let mut got = Vec::new();
        whole.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"defgh");
        writer.await.unwrap();
        let err = cut.read_to_end(&mut Vec::new()).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}
