//! Multi-image manifests (Docker manifest list, OCI index) and choosing the instance for a
//! platform.

use anyhow::{Result, bail};

use super::docker::Schema2List;
use super::media_type as mt;
use super::oci::OciIndex;
use super::platform::PlatformChoice;
use super::{from_json, validate_unambiguous};
use crate::digest::Digest;

/// A Docker manifest list or an OCI index. (Few exist at once, so the variants' size
/// difference does not matter.)
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum ManifestList {
    Docker(Schema2List),
    Oci(OciIndex),
}

/// One entry of a list, in a form common to both list formats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    pub digest: Digest,
    pub size: i64,
    pub media_type: String,
    /// (os, architecture, variant); OCI index entries may have no platform.
    pub platform: Option<(String, String, String)>,
    /// An OCI instance marked as the zstd variant of another (c/image's annotation).
    pub is_zstd: bool,
}

const ZSTD_ANNOTATION: &str = "io.github.containers.compression.zstd";

impl ManifestList {
    pub fn parse(bytes: &[u8], mime: &str) -> Result<ManifestList> {
        match mime {
            mt::DOCKER_V2_LIST => {
                let l: Schema2List = from_json(bytes)?;
                validate_unambiguous(bytes, mt::DOCKER_V2_LIST, &["manifests"])?;
                Ok(ManifestList::Docker(l))
            }
            mt::OCI_INDEX => {
                let l: OciIndex = from_json(bytes)?;
                validate_unambiguous(bytes, mt::OCI_INDEX, &["manifests"])?;
                Ok(ManifestList::Oci(l))
            }
            other => bail!("Unimplemented manifest list MIME type {other}"),
        }
    }

    pub fn mime_type(&self) -> &'static str {
        match self {
            ManifestList::Docker(_) => mt::DOCKER_V2_LIST,
            ManifestList::Oci(_) => mt::OCI_INDEX,
        }
    }

    pub fn instances(&self) -> Vec<Instance> {
        match self {
            ManifestList::Docker(l) => l
                .manifests
                .iter()
                .map(|d| Instance {
                    digest: d.digest.clone(),
                    size: d.size,
                    media_type: d.media_type.clone(),
                    platform: Some((
                        d.platform.os.clone(),
                        d.platform.architecture.clone(),
                        d.platform.variant.clone(),
                    )),
                    is_zstd: false,
                })
                .collect(),
            ManifestList::Oci(l) => l
                .manifests
                .iter()
                .map(|d| Instance {
                    digest: d.digest.clone(),
                    size: d.size,
                    media_type: d.media_type.clone(),
                    platform: d
                        .platform
                        .as_ref()
                        .map(|p| (p.os.clone(), p.architecture.clone(), p.variant.clone())),
                    is_zstd: d
                        .annotations
                        .as_ref()
                        .and_then(|a| a.get(ZSTD_ANNOTATION))
                        .is_some_and(|v| v == "true"),
                })
                .collect(),
        }
    }

    /// The instance to use for `choice`: the best platform match; for an OCI index, entries
    /// without a platform are a fallback, and among equals a zstd variant is preferred as
    /// c/image does.
    pub fn choose_instance(&self, choice: &PlatformChoice) -> Result<Digest> {
        let wanted = choice.wanted();
        let instances = self.instances();
        let rank = |i: &Instance| -> Option<usize> {
            match &i.platform {
                Some((os, arch, variant)) => {
                    wanted.iter().position(|w| w.matches(os, arch, variant))
                }
                None => matches!(self, ManifestList::Oci(_)).then_some(usize::MAX),
            }
        };
        let best = match self {
            // Docker lists: first platform in preference order, then first in the list.
            ManifestList::Docker(_) => instances
                .iter()
                .filter_map(|i| rank(i).filter(|r| *r != usize::MAX).map(|r| (r, i)))
                .min_by_key(|(r, _)| *r),
            ManifestList::Oci(_) => instances
                .iter()
                .filter_map(|i| rank(i).map(|r| (r, i)))
                .min_by_key(|(r, i)| (*r, !i.is_zstd)),
        };
        if let Some((_, i)) = best {
            return Ok(i.digest.clone());
        }
        let w = &wanted[0];
        let what = match self {
            ManifestList::Docker(_) => "manifest list",
            ManifestList::Oci(_) => "image index",
        };
        bail!(
            "no image found in {what} for architecture {:?}, variant {:?}, OS {:?}",
            w.architecture,
            w.variant,
            w.os
        )
    }
}
