//! Multi-image manifests (Docker manifest list, OCI index) and choosing the instance for a
//! platform.

use anyhow::{Result, bail};

use super::docker::{Schema2List, Schema2ManifestDescriptor, Schema2PlatformSpec};
use super::media_type as mt;
use super::oci::{Descriptor, OciIndex, Platform};
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
        // skopeo HEAD's wording: all three quoted (1.9.3 left architecture and OS bare).
        bail!(
            "no image found in {what} for architecture {:?}, variant {:?}, OS {:?}",
            w.architecture,
            w.variant,
            w.os
        )
    }
}

/// A list entry's new digest, size and type after its image was copied (c/image's ListUpdate).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceUpdate {
    pub digest: Digest,
    pub size: i64,
    pub media_type: String,
}

fn dup_vec(v: &[String]) -> Vec<String> {
    v.to_vec()
}

fn dup_map(
    m: &Option<std::collections::BTreeMap<String, String>>,
) -> Option<std::collections::BTreeMap<String, String>> {
    m.as_ref().filter(|m| !m.is_empty()).cloned()
}

impl ManifestList {
    /// Parses a list the way c/image does before editing it: an OCI index without a
    /// `mediaType` gets one.
    pub fn parse_for_edit(bytes: &[u8], mime: &str) -> Result<ManifestList> {
        let mut l = ManifestList::parse(bytes, mime).map_err(|e| {
            e.context(format!(
                "parsing manifest list {:?}",
                String::from_utf8_lossy(bytes)
            ))
        })?;
        if let ManifestList::Oci(i) = &mut l
            && i.media_type.is_empty()
        {
            i.media_type = mt::OCI_INDEX.into();
        }
        Ok(l)
    }

    /// A copy keeping only the fields c/image's list types carry.
    pub fn normalized_clone(&self) -> ManifestList {
        match self {
            ManifestList::Docker(l) => ManifestList::Docker(Schema2List {
                schema_version: 2,
                media_type: mt::DOCKER_V2_LIST.into(),
                manifests: l
                    .manifests
                    .iter()
                    .map(|d| Schema2ManifestDescriptor {
                        media_type: d.media_type.clone(),
                        size: d.size,
                        digest: d.digest.clone(),
                        urls: dup_vec(&d.urls),
                        platform: d.platform.clone(),
                    })
                    .collect(),
            }),
            ManifestList::Oci(i) => ManifestList::Oci(OciIndex {
                schema_version: 2,
                media_type: mt::OCI_INDEX.into(),
                artifact_type: String::new(),
                manifests: i
                    .manifests
                    .iter()
                    .map(|d| Descriptor {
                        media_type: d.media_type.clone(),
                        digest: d.digest.clone(),
                        size: d.size,
                        urls: dup_vec(&d.urls),
                        annotations: dup_map(&d.annotations),
                        data: None,
                        platform: d.platform.as_ref().map(|p| Platform {
                            architecture: p.architecture.clone(),
                            os: p.os.clone(),
                            os_version: p.os_version.clone(),
                            os_features: p.os_features.clone(),
                            variant: p.variant.clone(),
                        }),
                        artifact_type: String::new(),
                    })
                    .collect(),
                subject: None,
                annotations: dup_map(&i.annotations),
            }),
        }
    }

    /// Replaces every entry's digest, size and media type.
    pub fn update_instances(&mut self, updates: &[InstanceUpdate]) -> Result<()> {
        let (what, n) = match self {
            ManifestList::Docker(l) => ("Schema2List", l.manifests.len()),
            ManifestList::Oci(i) => ("OCI1Index", i.manifests.len()),
        };
        if updates.len() != n {
            bail!(
                "incorrect number of update entries passed to {what}.UpdateInstances: expected {n}, got {}",
                updates.len()
            );
        }
        for (i, u) in updates.iter().enumerate() {
            if u.size < 0 {
                bail!(
                    "update {} of {n} passed to {what}.UpdateInstances had an invalid size ({})",
                    i + 1,
                    u.size
                );
            }
            if u.media_type.is_empty() {
                bail!(
                    "update {} of {n} passed to {what}.UpdateInstances had no media type",
                    i + 1
                );
            }
            match self {
                ManifestList::Docker(l) => {
                    let d = &mut l.manifests[i];
                    d.digest = u.digest.clone();
                    d.size = u.size;
                    d.media_type = u.media_type.clone();
                }
                ManifestList::Oci(x) => {
                    let d = &mut x.manifests[i];
                    d.digest = u.digest.clone();
                    d.size = u.size;
                    d.media_type = u.media_type.clone();
                }
            }
        }
        Ok(())
    }

    /// The list in another list format (Docker list ⇄ OCI index), as c/image converts.
    pub fn convert_to(&self, mime: &str) -> Result<ManifestList> {
        match (self, mime) {
            (_, m) if m == self.mime_type() => Ok(self.normalized_clone()),
            (ManifestList::Docker(l), mt::OCI_INDEX) => Ok(ManifestList::Oci(OciIndex {
                schema_version: 2,
                media_type: mt::OCI_INDEX.into(),
                artifact_type: String::new(),
                manifests: l
                    .manifests
                    .iter()
                    .map(|d| Descriptor {
                        media_type: d.media_type.clone(),
                        digest: d.digest.clone(),
                        size: d.size,
                        urls: dup_vec(&d.urls),
                        annotations: None,
                        data: None,
                        platform: Some(Platform {
                            architecture: d.platform.architecture.clone(),
                            os: d.platform.os.clone(),
                            os_version: d.platform.os_version.clone(),
                            os_features: d.platform.os_features.clone(),
                            variant: d.platform.variant.clone(),
                        }),
                        artifact_type: String::new(),
                    })
                    .collect(),
                subject: None,
                annotations: None,
            })),
            (ManifestList::Oci(i), mt::DOCKER_V2_LIST) => Ok(ManifestList::Docker(Schema2List {
                schema_version: 2,
                media_type: mt::DOCKER_V2_LIST.into(),
                manifests: i
                    .manifests
                    .iter()
                    .map(|d| {
                        let p = d.platform.clone().unwrap_or_else(|| Platform {
                            architecture: super::platform::host_arch().into(),
                            os: super::platform::host_os().into(),
                            ..Default::default()
                        });
                        Schema2ManifestDescriptor {
                            media_type: d.media_type.clone(),
                            size: d.size,
                            digest: d.digest.clone(),
                            urls: dup_vec(&d.urls),
                            platform: Schema2PlatformSpec {
                                architecture: p.architecture,
                                os: p.os,
                                os_version: p.os_version,
                                os_features: p.os_features,
                                variant: p.variant,
                                features: Vec::new(),
                            },
                        }
                    })
                    .collect(),
            })),
            (l, m) if !mt::is_list(m) => {
                let what = match l {
                    ManifestList::Docker(_) => "manifest list",
                    ManifestList::Oci(_) => "image index",
                };
                bail!("Can not convert {what} to MIME type {m:?}, which is not a list type")
            }
            (_, m) => bail!("Unimplemented manifest list MIME type {m}"),
        }
    }

    /// The list as Go's encoder writes it.
    pub fn serialize(&self) -> Vec<u8> {
        match self {
            ManifestList::Docker(l) => crate::gojson::to_vec_compact(l),
            ManifestList::Oci(i) => crate::gojson::to_vec_compact(i),
        }
    }
}
