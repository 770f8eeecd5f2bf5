//! `tarball:FILE[:FILE…]` — c/image's makeshift image: each file (a tar archive, perhaps
//! compressed) is a layer as it is, under an OCI manifest and a config c/image would build.
//!
//! Read only. Opening reads every file once: its digest, and the digest of the tar inside
//! (the diff ID). The config's `created` is the newest file's modification time, each
//! layer's history entry its own file's; os and architecture are the host's. gzip files are
//! `tar+gzip` layers, as in c/image. c/image takes any other file for an uncompressed tar,
//! so a zstd file there gets a diff ID that is not its tar's (containers-storage refuses
//! such an image); skiff makes it a `tar+zstd` layer with its real diff ID instead, and
//! refuses what OCI has no layer type for (bzip2, xz) and what is not a tar at all.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Result, anyhow};
use async_trait::async_trait;
use bytes::Bytes;
use serde_json::json;

use super::synth::{
    self, Described, HashingWriter, MEDIA_TYPE_CONFIG, MEDIA_TYPE_LAYER, MEDIA_TYPE_LAYER_GZIP,
    MEDIA_TYPE_LAYER_ZSTD, MEDIA_TYPE_MANIFEST, TarShape,
};
use super::{BlobStream, ImageSource, LocalBlob};
use crate::compression::{self, Algorithm};
use crate::digest::Digest;
use crate::gotext::go_quote;
use crate::manifest::RawManifest;
use crate::manifest::platform::{host_arch, host_os};
use crate::signature::Signature;
use crate::types::BlobInfo;

/// What a layer file turned out to hold.
struct Layer {
    described: Described,
    diff_id: Digest,
    modified: SystemTime,
    path: PathBuf,
}

pub struct TarballSource {
    manifest: Bytes,
    config: (Digest, Bytes),
    layers: HashMap<Digest, (PathBuf, u64)>,
    /// Standard input, spooled, when a file was `-`.
    _stdin: Option<tempfile::NamedTempFile>,
}

impl TarballSource {
    pub async fn open(files: &[String]) -> Result<TarballSource> {
        let files = files.to_vec();
        tokio::task::spawn_blocking(move || Self::open_blocking(&files)).await?
    }

    fn open_blocking(files: &[String]) -> Result<TarballSource> {
        let mut stdin = None;
        let mut layers = Vec::new();
        for name in files {
            let (path, modified) = if name == "-" {
                // c/image buffers standard input once, however often `-` is named.
                if stdin.is_none() {
                    stdin = Some(spool_stdin()?);
                }
                let spooled = stdin.as_ref().map(|f: &tempfile::NamedTempFile| f.path());
                (spooled.unwrap().to_path_buf(), SystemTime::now())
            } else {
                let meta = std::fs::metadata(name)?;
                (PathBuf::from(name), meta.modified()?)
            };
            let file = File::open(&path)?;
            let (described, diff_id) =
                scan_layer(file).map_err(|e| anyhow!("error reading {}: {e}", go_quote(name)))?;
            layers.push(Layer {
                described,
                diff_id,
                modified,
                path,
            });
        }
        let created = layers
            .iter()
            .map(|l| l.modified)
            .max()
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let history: Vec<_> = layers
            .iter()
            .map(|l| {
                json!({
                    "created": synth::go_local_time(l.modified),
                    "created_by": format!("/bin/sh -c #(nop) ADD file:{} in /", l.diff_id.hex()),
                    "comment": "imported from tarball",
                })
            })
            .collect();
        let config = json!({
            "created": synth::go_local_time(created),
            "architecture": host_arch(),
            "os": host_os(),
            "config": {},
            "rootfs": {
                "type": "layers",
                "diff_ids": layers.iter().map(|l| l.diff_id.to_string()).collect::<Vec<_>>(),
            },
            "history": history,
        });
        let config = Bytes::from(crate::gojson::to_vec_compact(&config));
        let config_desc = Described {
            media_type: MEDIA_TYPE_CONFIG,
            digest: Digest::sha256_of(&config),
            size: config.len() as u64,
        };
        let descs: Vec<Described> = layers.iter().map(|l| l.described.clone()).collect();
        let manifest = Bytes::from(synth::manifest(&config_desc, &descs));
        Ok(TarballSource {
            manifest,
            config: (config_desc.digest, config),
            layers: layers
                .into_iter()
                .map(|l| (l.described.digest, (l.path, l.described.size)))
                .collect(),
            _stdin: stdin,
        })
    }
}

/// Copies standard input into a temporary file (not into memory: it may be a whole layer).
fn spool_stdin() -> Result<tempfile::NamedTempFile> {
    let mut file = tempfile::Builder::new()
        .prefix("skiff-tarball-")
        .tempfile_in(std::env::temp_dir())?;
    io::copy(&mut io::stdin().lock(), &mut file)
        .map_err(|e| anyhow!("error buffering stdin: {e}"))?;
    Ok(file)
}

/// Reads a layer file once: its digest and size, its compression, and the digest of the
/// tar inside, which must be a whole tar archive.
fn scan_layer(mut file: File) -> io::Result<(Described, Digest)> {
    let mut magic = [0u8; compression::MAGIC_LEN];
    let n = read_up_to(&mut file, &mut magic)?;
    let algo = Algorithm::detect(&magic[..n]);
    let media_type = match algo {
        None => MEDIA_TYPE_LAYER,
        Some(Algorithm::Gzip) => MEDIA_TYPE_LAYER_GZIP,
        Some(Algorithm::Zstd | Algorithm::ZstdChunked) => MEDIA_TYPE_LAYER_ZSTD,
        Some(other) => {
            return Err(io::Error::other(format!(
                "{} compression has no OCI layer type; decompress the file or use gzip or zstd",
                other.name()
            )));
        }
    };
    let mut raw = RawHashing {
        prefix: magic[..n].to_vec(),
        file,
        hashed: HashingWriter::new(io::sink()),
        at_end: false,
    };
    let mut tar = HashingWriter::new(TarShape::default());
    match algo {
        None => {
            io::copy(&mut raw, &mut tar)?;
        }
        Some(algo) => {
            if let Err(e) = compression::decompress(algo, &mut raw, &mut tar) {
                // A compressed stream that stops with the file is a cut-short file.
                return Err(if raw.at_end {
                    io::Error::new(io::ErrorKind::UnexpectedEof, "unexpected EOF")
                } else {
                    e
                });
            }
            // Bytes after the compressed stream still belong to the blob.
            io::copy(&mut raw, &mut io::sink())?;
        }
    }
    let (shape, diff_id, _) = tar.finish();
    shape.finish().map_err(io::Error::other)?;
    let (_, digest, size) = raw.hashed.finish();
    let described = Described {
        media_type,
        digest,
        size,
    };
    Ok((described, diff_id))
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The file's bytes (the already-read prefix first), hashed as they are read.
struct RawHashing {
    prefix: Vec<u8>,
    file: File,
    hashed: HashingWriter<io::Sink>,
    at_end: bool,
}

impl Read for RawHashing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.len());
            buf[..n].copy_from_slice(&self.prefix[..n]);
            self.prefix.drain(..n);
            n
        } else {
            self.file.read(buf)?
        };
        self.at_end |= n == 0 && !buf.is_empty();
        self.hashed.write_all(&buf[..n])?;
        Ok(n)
    }
}

#[async_trait]
impl ImageSource for TarballSource {
    async fn manifest(&self, instance: Option<&Digest>) -> Result<RawManifest> {
        if instance.is_some() {
            anyhow::bail!("manifest lists are not supported by the \"tarball\" transport");
        }
        Ok(RawManifest::new(self.manifest.clone(), MEDIA_TYPE_MANIFEST))
    }

    async fn blob(&self, info: &BlobInfo) -> Result<BlobStream> {
        if info.digest == self.config.0 {
            return Ok(Box::pin(io::Cursor::new(self.config.1.clone())));
        }
        match self.layers.get(&info.digest) {
            Some((path, _)) => Ok(Box::pin(tokio::fs::File::open(path).await?)),
            None => Err(anyhow!(
                "no blob with digest {} found",
                go_quote(&info.digest.to_string())
            )),
        }
    }

    fn local_blob(&self, info: &BlobInfo) -> Option<LocalBlob> {
        let (path, len) = self.layers.get(&info.digest)?;
        Some(LocalBlob {
            path: path.clone(),
            offset: 0,
            len: *len,
        })
    }

    async fn signatures(&self, _instance: Option<&Digest>) -> Result<Vec<Signature>> {
        Ok(Vec::new())
    }
}

/// `skopeo delete tarball:…` removes the files, as c/image does.
pub fn delete_files(files: &[String]) -> Result<()> {
    for file in files.iter().filter(|f| *f != "-") {
        match std::fs::remove_file(Path::new(file)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(anyhow!(
                    "error removing {}: {}",
                    go_quote(file),
                    crate::gotext::go_path_error("remove", Path::new(file), &e)
                ));
            }
            _ => {}
        }
    }
    Ok(())
}
