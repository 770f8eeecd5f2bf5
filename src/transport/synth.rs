//! Pieces shared by the sources that make an image up from other files (`tarball:`, `sif:`):
//! a hashing writer, a check that bytes are a tar archive, Go's timestamps, and the OCI
//! manifest c/image writes for such images.

use std::io::{self, Write};
use std::time::SystemTime;

use chrono::{DateTime, Local};
use serde_json::json;

use crate::digest::{Algorithm, Digest, Hasher};
use crate::gojson::go_time_rfc3339nano;

pub const MEDIA_TYPE_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const MEDIA_TYPE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const MEDIA_TYPE_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
pub const MEDIA_TYPE_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const MEDIA_TYPE_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

/// A blob the manifest lists: what a descriptor holds.
#[derive(Clone, Debug)]
pub struct Described {
    pub media_type: &'static str,
    pub digest: Digest,
    pub size: u64,
}

/// The OCI manifest c/image's `tarball:` source marshals: schema version, config, layers,
/// in Go's field order, no media type field and no annotations.
pub fn manifest(config: &Described, layers: &[Described]) -> Vec<u8> {
    manifest_json(None, config, layers)
}

/// The same with the manifest's own media type recorded, as c/image's `sif:` source writes
/// it.
pub fn manifest_with_media_type(config: &Described, layers: &[Described]) -> Vec<u8> {
    manifest_json(Some(MEDIA_TYPE_MANIFEST), config, layers)
}

fn manifest_json(media_type: Option<&str>, config: &Described, layers: &[Described]) -> Vec<u8> {
    let descriptor = |d: &Described| json!({"mediaType": d.media_type, "digest": d.digest.to_string(), "size": d.size});
    let mut value = serde_json::Map::new();
    value.insert("schemaVersion".into(), json!(2));
    if let Some(m) = media_type {
        value.insert("mediaType".into(), json!(m));
    }
    value.insert("config".into(), descriptor(config));
    let layers: Vec<_> = layers.iter().map(descriptor).collect();
    value.insert("layers".into(), json!(layers));
    crate::gojson::to_vec_compact(&value)
}

/// A time as Go's JSON encoder writes a `time.Time` read from the file system: in the local
/// zone, nanoseconds without trailing zeros.
pub fn go_local_time(t: SystemTime) -> String {
    let local: DateTime<Local> = t.into();
    go_time_rfc3339nano(&local.fixed_offset())
}

/// Counts and hashes what passes through, then hands it on.
pub struct HashingWriter<W> {
    pub inner: W,
    hasher: Hasher,
    pub len: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Hasher::new(Algorithm::Sha256),
            len: 0,
        }
    }

    pub fn finish(self) -> (W, Digest, u64) {
        (self.inner, self.hasher.finish(), self.len)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

const BLOCK: u64 = 512;

/// Follows a tar stream as it is written, header by header, to tell whether the bytes are a
/// tar archive: every header's checksum must hold and every member's data must be there.
/// The archive may end with zero blocks or, as some writers leave it, right after a member.
#[derive(Default)]
pub struct TarShape {
    header: Vec<u8>,
    /// Bytes of member data (and padding) still to skip.
    skip: u64,
    ended: bool,
    broken: Option<&'static str>,
    /// Whether a whole header has been seen: a stream cut before that is no tar at all.
    seen_header: bool,
}

impl TarShape {
    /// `Ok` when what was written is a whole tar archive.
    pub fn finish(&self) -> Result<(), &'static str> {
        match self.broken {
            Some(why) => Err(why),
            None if !self.seen_header && !self.header.is_empty() => Err("not a tar archive"),
            None if self.skip > 0 || !self.header.is_empty() => Err("unexpected EOF"),
            None => Ok(()),
        }
    }

    fn check_header(&mut self) {
        let h = &self.header;
        if h.iter().all(|&b| b == 0) {
            self.ended = true;
            return;
        }
        let stored = octal(&h[148..156]);
        let sum: u64 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    b as u64
                }
            })
            .sum();
        let size = if h[124] & 0x80 != 0 {
            // base-256, as GNU and Go write sizes of 8 GiB and more
            h[125..136].iter().fold(0u64, |n, &b| (n << 8) | b as u64)
        } else {
            octal(&h[124..136]).unwrap_or(u64::MAX)
        };
        if stored != Some(sum) || size == u64::MAX {
            self.broken = Some("not a tar archive");
            return;
        }
        // Only these types have data after the header.
        let has_data = !matches!(h[156], b'1' | b'2' | b'3' | b'4' | b'5' | b'6');
        self.skip = if has_data {
            size.div_ceil(BLOCK) * BLOCK
        } else {
            0
        };
    }
}

fn octal(field: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(field).ok()?;
    let text = text.trim_matches(|c| c == ' ' || c == '\0');
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

impl Write for TarShape {
    fn write(&mut self, mut buf: &[u8]) -> io::Result<usize> {
        let n = buf.len();
        while !buf.is_empty() && !self.ended && self.broken.is_none() {
            if self.skip > 0 {
                let k = (self.skip.min(buf.len() as u64)) as usize;
                self.skip -= k as u64;
                buf = &buf[k..];
                continue;
            }
            let k = (BLOCK as usize - self.header.len()).min(buf.len());
            self.header.extend_from_slice(&buf[..k]);
            buf = &buf[k..];
            if self.header.len() == BLOCK as usize {
                self.seen_header = true;
                self.check_header();
                self.header.clear();
            }
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(bytes: &[u8]) -> Result<(), &'static str> {
        let mut s = TarShape::default();
        // Odd chunk sizes: headers arrive split.
        for chunk in bytes.chunks(77) {
            s.write_all(chunk).unwrap();
        }
        s.finish()
    }

    fn archive() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(700);
        h.set_cksum();
        b.append_data(&mut h, "a", &[7u8; 700][..]).unwrap();
        b.into_inner().unwrap()
    }

    #[test]
    fn tar_shapes() {
        let whole = archive();
        assert_eq!(shape(&whole), Ok(()));
        assert_eq!(shape(&[]), Ok(()));
        // Without the end-of-archive blocks, right after a member.
        assert_eq!(shape(&whole[..512 + 1024]), Ok(()));
        assert_eq!(shape(&whole[..1000]), Err("unexpected EOF"));
        assert_eq!(shape(&whole[..100]), Err("not a tar archive"));
        assert_eq!(shape(b"notatar\n"), Err("not a tar archive"));
        assert_eq!(shape(&[b'x'; 2048]), Err("not a tar archive"));
    }

    #[test]
    fn go_times() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::new(1_600_000_001, 120_000_000);
        // The local zone decides the suffix; the fraction is Go's, trailing zeros dropped.
        let s = go_local_time(t);
        assert!(s.contains(".12"), "{s}");
        assert!(!s.contains(".120"), "{s}");
    }
}
