//! One image read from a source: its manifest (the platform's instance for a list), its
//! config, and the summary `inspect` prints.

use std::collections::BTreeMap;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use serde::Serialize;
use tokio::io::AsyncReadExt;

use crate::contract::verify::Verifier;
use crate::digest::Digest;
use crate::manifest::config::{DockerImage, GoTime, OciImage};
use crate::manifest::platform::PlatformChoice;
use crate::manifest::{self, Manifest, ManifestList, MediaType, media_type as mt};
use crate::transport::ImageSource;
use crate::types::BlobInfo;

/// The largest config blob read into memory.
const MAX_CONFIG_SIZE: u64 = 4 << 20;

/// A single image: for a list source, the instance chosen for the platform.
pub struct Image {
    pub manifest_bytes: Bytes,
    pub manifest: Manifest,
}

impl Image {
    /// Resolves the top-level manifest (of the resolved type `mime`) to one image, as
    /// c/image's FromUnparsedImage does.
    pub async fn from_source(
        src: &dyn ImageSource,
        top: &[u8],
        mime: &MediaType,
        platform: &PlatformChoice,
    ) -> Result<Image> {
        if !mime.is_list() {
            let manifest = Manifest::parse(top, mime)?;
            return Ok(Image {
                manifest_bytes: Bytes::copy_from_slice(top),
                manifest,
            });
        }
        let list = ManifestList::parse(top, mime).context("parsing primary manifest as list")?;
        let chosen = list
            .choose_instance(platform)
            .context("choosing image instance")?;
        let (bytes, inst_mime) = src
            .manifest(Some(&chosen))
            .await
            .context("fetching target platform image selected from manifest list")?
            .resolved();
        if !manifest::matches_digest(&bytes, &chosen).context("computing manifest digest")? {
            bail!("Image manifest does not match selected manifest digest {chosen}");
        }
        let manifest = Manifest::parse(&bytes, &inst_mime)?;
        Ok(Image {
            manifest_bytes: bytes,
            manifest,
        })
    }

    /// The config blob, verified against its digest; `None` for schema 1.
    pub async fn config_blob(&self, src: &dyn ImageSource) -> Result<Option<Vec<u8>>> {
        let Some(info) = self.manifest.config_info() else {
            return Ok(None);
        };
        Ok(Some(read_small_blob(src, &info).await?))
    }

    /// The OCI form of the config (`inspect --config`).
    pub async fn oci_config(&self, src: &dyn ImageSource) -> Result<OciImage> {
        if let Manifest::Oci(m) = &self.manifest
            && m.config.media_type != mt::OCI_CONFIG
        {
            return Err(non_image_artifact(&m.config.media_type));
        }
        let bytes = match (&self.manifest, self.config_blob(src).await?) {
            (_, Some(bytes)) => bytes,
            // Schema 1 has no config blob: c/image converts the manifest to schema 2 first.
            (Manifest::Schema1(m), None) => {
                crate::manifest::convert::schema1_config_without_layers(m)?
            }
            (_, None) => bail!("image has no configuration"),
        };
        crate::manifest::from_json(&bytes)
    }

    /// What `skopeo inspect` reports about the image (without Name/Digest/RepoTags, which
    /// come from the reference and the top-level manifest).
    pub async fn inspect(&self, src: &dyn ImageSource) -> Result<InspectInfo> {
        let layers = self.manifest.layer_infos();
        let mut info = InspectInfo {
            layers: layers.iter().map(|l| l.digest.to_string()).collect(),
            layers_data: layers.iter().map(LayerData::from).collect(),
            ..Default::default()
        };
        match &self.manifest {
            Manifest::Oci(m) => {
                if m.config.media_type != mt::OCI_CONFIG {
                    return Err(non_image_artifact(&m.config.media_type));
                }
                let blob = read_small_blob(src, &m.config.to_blob_info()).await?;
                let oci: OciImage = manifest::from_json(&blob)?;
                let docker: DockerImage = manifest::from_json(&blob)?;
                info.created = oci.created;
                info.docker_version = docker.docker_version;
                info.labels = oci.config.labels;
                info.architecture = oci.architecture;
                info.variant = oci.variant;
                info.os = oci.os;
                info.env = oci.config.env;
            }
            Manifest::Schema2(m) => {
                let blob = read_small_blob(src, &m.config.to_blob_info()).await?;
                let docker: DockerImage = manifest::from_json(&blob)?;
                info.fill_from_docker(docker);
            }
            Manifest::Schema1(m) => {
                let first = m
                    .history
                    .first()
                    .map(|h| h.v1_compatibility.as_str())
                    .unwrap_or("{}");
                let docker: DockerImage = manifest::from_json(first.as_bytes())?;
                info.fill_from_docker(docker);
                info.tag = m.tag.clone();
            }
        }
        Ok(info)
    }
}

fn non_image_artifact(config_type: &str) -> anyhow::Error {
    anyhow!("unsupported image-specific operation on artifact with type {config_type:?}")
}

/// Reads a small blob whole, checking its digest and size.
pub async fn read_small_blob(src: &dyn ImageSource, info: &BlobInfo) -> Result<Vec<u8>> {
    let mut stream = src.blob(info).await?;
    let mut out = Vec::new();
    (&mut stream)
        .take(MAX_CONFIG_SIZE + 1)
        .read_to_end(&mut out)
        .await?;
    if out.len() as u64 > MAX_CONFIG_SIZE {
        bail!(
            "config blob {} is larger than {MAX_CONFIG_SIZE} bytes",
            info.digest
        );
    }
    let mut v = Verifier::new(&info.digest, info.size);
    v.update(&out)?;
    v.finish()?;
    Ok(out)
}

#[derive(Clone, Debug, Default)]
pub struct InspectInfo {
    pub tag: String,
    pub created: Option<GoTime>,
    pub docker_version: String,
    pub labels: Option<BTreeMap<String, String>>,
    pub architecture: String,
    pub variant: String,
    pub os: String,
    pub layers: Vec<String>,
    pub layers_data: Vec<LayerData>,
    pub env: Option<Vec<String>>,
}

impl InspectInfo {
    fn fill_from_docker(&mut self, d: DockerImage) {
        self.created = Some(d.created);
        self.docker_version = d.docker_version;
        self.architecture = d.architecture;
        self.variant = d.variant;
        self.os = d.os;
        if let Some(c) = d.config {
            self.labels = c.labels;
            self.env = c.env;
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct LayerData {
    #[serde(rename = "MIMEType")]
    pub mime_type: String,
    #[serde(rename = "Digest")]
    pub digest: Digest,
    #[serde(rename = "Size")]
    pub size: i64,
    #[serde(rename = "Annotations")]
    pub annotations: Option<BTreeMap<String, String>>,
}

impl From<&BlobInfo> for LayerData {
    fn from(b: &BlobInfo) -> Self {
        LayerData {
            mime_type: b.media_type.to_string(),
            digest: b.digest.clone(),
            size: crate::types::size_to_go(b.size),
            annotations: b.annotations.clone(),
        }
    }
}

/// `skopeo inspect`'s JSON document, fields in skopeo's order.
#[derive(Clone, Debug, Serialize)]
pub struct InspectOutput {
    #[serde(rename = "Name", skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(rename = "Tag", skip_serializing_if = "String::is_empty")]
    pub tag: String,
    #[serde(rename = "Digest")]
    pub digest: Digest,
    /// `null` when the registry refused to list tags.
    #[serde(rename = "RepoTags")]
    pub repo_tags: Option<Vec<String>>,
    #[serde(rename = "Created")]
    pub created: Option<GoTime>,
    #[serde(rename = "DockerVersion")]
    pub docker_version: String,
    #[serde(rename = "Labels")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "Architecture")]
    pub architecture: String,
    #[serde(rename = "Os")]
    pub os: String,
    #[serde(rename = "Layers")]
    pub layers: Vec<String>,
    #[serde(rename = "LayersData")]
    pub layers_data: Vec<LayerData>,
    #[serde(rename = "Env")]
    pub env: Option<Vec<String>>,
}

impl InspectOutput {
    pub fn new(
        name: String,
        digest: Digest,
        repo_tags: Option<Vec<String>>,
        i: InspectInfo,
    ) -> Self {
        InspectOutput {
            name,
            tag: i.tag,
            digest,
            repo_tags,
            created: i.created,
            docker_version: i.docker_version,
            labels: i.labels,
            architecture: i.architecture,
            os: i.os,
            layers: i.layers,
            layers_data: i.layers_data,
            env: i.env,
        }
    }
}
