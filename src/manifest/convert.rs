//! Rewriting an image's manifest for its destination: conversions between schema 1, schema 2
//! and OCI (with the config re-encoded where the format needs it), then the copied layers'
//! digests and media types. Output bytes follow c/image (containers/image 5.23.1, image-spec
//! 1.1.0-rc2) so that the digests equal skopeo 1.9.3's.

use anyhow::{Context, Result, anyhow, bail};

use super::config::{GoTime, OciImage};
use super::docker::{Schema2, Schema2Descriptor};
use super::media_type as mt;
use super::oci::{Descriptor, OciManifest};
use super::rawjson::RawObject;
use super::schema1::{self, Schema1};
use super::update::LayerEdit;
use super::{Manifest, from_json};
use crate::digest::Digest;
use crate::gojson;
use crate::types::{BlobInfo, size_to_go};

/// What the copy asks of the manifest it writes.
#[derive(Clone, Debug, Default)]
pub struct Updates {
    /// Convert to this manifest type.
    pub manifest_type: Option<String>,
    /// The copied layers, when any digest changed (else the manifest keeps its layers).
    pub layer_infos: Option<Vec<LayerEdit>>,
    /// Information only: the layers as stored at the destination (always known after the
    /// layers were copied) and their uncompressed digests (when a conversion needs them).
    pub uploaded: Vec<LayerEdit>,
    pub diff_ids: Option<Vec<Digest>>,
    /// Name and tag written into a schema 1 manifest (the destination's reference, if any).
    pub schema1_reference: (String, String),
    /// A schema 1 manifest kept as schema 1 gets this name and tag (the destination's).
    pub embedded_reference: Option<(String, String)>,
}

impl Updates {
    /// Whether nothing would change: the original manifest bytes are written.
    pub fn is_empty(&self) -> bool {
        self.manifest_type.is_none()
            && self.layer_infos.is_none()
            && self.embedded_reference.is_none()
    }
}

/// An image as it will be written.
#[derive(Clone, Debug)]
pub struct Updated {
    pub manifest: Manifest,
    /// The config blob when the conversion created one (else the source's is copied).
    pub new_config: Option<Vec<u8>>,
    /// Blobs the new manifest refers to that the source does not have (schema 1's empty layer).
    pub extra_blobs: Vec<(BlobInfo, Vec<u8>)>,
}

/// gzip of an empty tar (1024 zero bytes) as docker/distribution wrote it for schema 1.
pub const GZIPPED_EMPTY_LAYER: [u8; 32] = [
    31, 139, 8, 0, 0, 9, 110, 136, 0, 255, 98, 24, 5, 163, 96, 20, 140, 88, 0, 8, 0, 0, 255, 255,
    46, 175, 181, 239, 0, 4, 0, 0,
];

/// Whether converting this manifest to `target` needs the layers' uncompressed digests.
pub fn needs_diff_ids(src: &Manifest, target: Option<&str>) -> bool {
    matches!(src, Manifest::Schema1(_)) && schema1_conversion_needs_diff_ids(target)
}

/// Whether converting a schema 1 manifest to `target` needs the layers' uncompressed digests
/// (the formats whose config lists them).
pub fn schema1_conversion_needs_diff_ids(target: Option<&str>) -> bool {
    matches!(target, Some(mt::DOCKER_V2_SCHEMA2) | Some(mt::OCI_MANIFEST))
}

fn non_image_artifact(config_type: &str) -> anyhow::Error {
    anyhow!("unsupported image-specific operation on artifact with type {config_type:?}")
}

/// Applies `updates` to the source image (`config` is its config blob, for formats with one).
pub fn updated_image(src: &Manifest, config: Option<&[u8]>, updates: &Updates) -> Result<Updated> {
    let mut updates = updates.clone();
    let mut out = Updated {
        manifest: src.clone(),
        new_config: None,
        extra_blobs: Vec::new(),
    };
    if let Some(target) = updates.manifest_type.take() {
        let same_family = match src {
            Manifest::Schema1(_) => {
                target == mt::DOCKER_V2_SCHEMA1 || target == mt::DOCKER_V2_SCHEMA1_SIGNED
            }
            Manifest::Schema2(_) => target == mt::DOCKER_V2_SCHEMA2,
            Manifest::Oci(_) => target == mt::OCI_MANIFEST,
        };
        if !same_family {
            out = convert(src, config, &target, &mut updates)?;
        }
    }
    if let Some(edits) = &updates.layer_infos {
        match &mut out.manifest {
            Manifest::Schema1(m) => m.update_layer_infos(edits)?,
            Manifest::Schema2(m) => m.update_layer_infos(edits)?,
            Manifest::Oci(m) => m.update_layer_infos(edits)?,
        }
    }
    if let (Manifest::Schema1(m), Some((name, tag))) =
        (&mut out.manifest, &updates.embedded_reference)
    {
        m.name = name.clone();
        m.tag = tag.clone();
    }
    Ok(out)
}

fn convert(
    src: &Manifest,
    config: Option<&[u8]>,
    target: &str,
    updates: &mut Updates,
) -> Result<Updated> {
    match (src, target) {
        (Manifest::Schema2(m), mt::OCI_MANIFEST) => {
            let config = config.ok_or_else(|| anyhow!("Internal error: no config blob"))?;
            schema2_to_oci(m, config)
        }
        (Manifest::Schema2(m), mt::DOCKER_V2_SCHEMA1 | mt::DOCKER_V2_SCHEMA1_SIGNED) => {
            let config = config.ok_or_else(|| anyhow!("Internal error: no config blob"))?;
            schema2_to_schema1(m, config, updates)
        }
        (Manifest::Oci(m), mt::DOCKER_V2_SCHEMA2) => Ok(Updated {
            manifest: Manifest::Schema2(oci_to_schema2(m)?),
            new_config: None,
            extra_blobs: Vec::new(),
        }),
        (Manifest::Oci(m), mt::DOCKER_V2_SCHEMA1 | mt::DOCKER_V2_SCHEMA1_SIGNED) => {
            let s2 = oci_to_schema2(m)?;
            let config = config.ok_or_else(|| anyhow!("Internal error: no config blob"))?;
            schema2_to_schema1(&s2, config, updates)
        }
        (Manifest::Schema1(m), mt::DOCKER_V2_SCHEMA2) => schema1_to_schema2(m, updates),
        (Manifest::Schema1(m), mt::OCI_MANIFEST) => {
            let s2 = schema1_to_schema2(m, updates)?;
            let Manifest::Schema2(s2m) = &s2.manifest else {
                unreachable!("schema1_to_schema2 returns schema 2")
            };
            let config = s2.new_config.as_deref().unwrap_or_default();
            schema2_to_oci(s2m, config)
        }
        _ => bail!("Unsupported conversion type: {target}"),
    }
}

/// Docker schema 2 → OCI: the config is re-encoded as an OCI image config.
pub fn schema2_to_oci(m: &Schema2, config: &[u8]) -> Result<Updated> {
    let oci_config: OciImage = from_json(config)?;
    let config_bytes = gojson::try_to_vec_compact(&oci_config)?;
    let mut layers = Vec::with_capacity(m.layers.len());
    for l in &m.layers {
        let media_type = match l.media_type.as_str() {
            mt::DOCKER_V2_SCHEMA2_FOREIGN_LAYER_TAR => mt::OCI_LAYER_NONDIST,
            mt::DOCKER_V2_SCHEMA2_FOREIGN_LAYER => mt::OCI_LAYER_NONDIST_GZIP,
            mt::DOCKER_V2_SCHEMA2_LAYER_UNCOMPRESSED => mt::OCI_LAYER,
            mt::DOCKER_V2_SCHEMA2_LAYER => mt::OCI_LAYER_GZIP,
            other => bail!("Unknown media type during manifest conversion: {other:?}"),
        };
        layers.push(descriptor(media_type, &l.digest, l.size, l.urls.clone()));
    }
    let config_desc = descriptor(
        mt::OCI_CONFIG,
        &Digest::sha256_of(&config_bytes),
        config_bytes.len() as i64,
        Vec::new(),
    );
    Ok(Updated {
        manifest: Manifest::Oci(OciManifest {
            schema_version: 2,
            media_type: mt::OCI_MANIFEST.into(),
            artifact_type: String::new(),
            config: config_desc,
            layers,
            subject: None,
            annotations: None,
        }),
        new_config: Some(config_bytes),
        extra_blobs: Vec::new(),
    })
}

fn descriptor(media_type: &str, digest: &Digest, size: i64, urls: Vec<String>) -> Descriptor {
    Descriptor {
        media_type: media_type.into(),
        digest: digest.clone(),
        size,
        urls,
        annotations: None,
        data: None,
        platform: None,
        artifact_type: String::new(),
    }
}

fn s2_descriptor(
    media_type: &str,
    digest: &Digest,
    size: i64,
    urls: Vec<String>,
) -> Schema2Descriptor {
    Schema2Descriptor {
        media_type: media_type.into(),
        size,
        digest: digest.clone(),
        urls,
    }
}

/// OCI → Docker schema 2: only media types change; the config blob stays as it is.
pub fn oci_to_schema2(m: &OciManifest) -> Result<Schema2> {
    if m.config.media_type != mt::OCI_CONFIG {
        return Err(non_image_artifact(&m.config.media_type));
    }
    let mut layers = Vec::with_capacity(m.layers.len());
    for l in &m.layers {
        let media_type = match l.media_type.as_str() {
            mt::OCI_LAYER_NONDIST => mt::DOCKER_V2_SCHEMA2_FOREIGN_LAYER_TAR,
            mt::OCI_LAYER_NONDIST_GZIP => mt::DOCKER_V2_SCHEMA2_FOREIGN_LAYER,
            mt::OCI_LAYER => mt::DOCKER_V2_SCHEMA2_LAYER_UNCOMPRESSED,
            mt::OCI_LAYER_GZIP => mt::DOCKER_V2_SCHEMA2_LAYER,
            mt::OCI_LAYER_NONDIST_ZSTD | mt::OCI_LAYER_ZSTD => bail!(
                "Error during manifest conversion: {:?}: zstd compression is not supported for docker images",
                l.media_type
            ),
            other => bail!("Unknown media type during manifest conversion: {other:?}"),
        };
        layers.push(s2_descriptor(media_type, &l.digest, l.size, l.urls.clone()));
    }
    Ok(Schema2 {
        schema_version: 2,
        media_type: mt::DOCKER_V2_SCHEMA2.into(),
        config: s2_descriptor(
            mt::DOCKER_V2_SCHEMA2_CONFIG,
            &m.config.digest,
            m.config.size,
            m.config.urls.clone(),
        ),
        layers,
    })
}

/// A schema 2 config history entry (docker's field order).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
struct Schema2History {
    #[serde(default)]
    created: GoTime,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    author: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    created_by: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    comment: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    empty_layer: bool,
}

#[derive(serde::Serialize)]
struct Schema2RootFs<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    diff_ids: &'a [String],
}

/// Schema 1 → schema 2: the config is built from the top history entry, with the history and
/// the layers' uncompressed digests (computed while copying) added.
fn schema1_to_schema2(m: &Schema1, updates: &mut Updates) -> Result<Updated> {
    let n = m.fs_layers.len();
    if m.extracted.is_empty() {
        bail!(
            "Cannot convert an image with 0 history entries to {}",
            mt::DOCKER_V2_SCHEMA2
        );
    }
    if !updates.uploaded.is_empty() && updates.uploaded.len() != n {
        bail!(
            "Internal error: uploaded {} blobs, but schema1 manifest has {n} fsLayers",
            updates.uploaded.len()
        );
    }
    let diff_ids = updates.diff_ids.clone().unwrap_or_default();
    if !diff_ids.is_empty() && diff_ids.len() != n {
        bail!(
            "Internal error: collected {} DiffID values, but schema1 manifest has {n} fsLayers",
            diff_ids.len()
        );
    }
    let mut layers = Vec::new();
    let mut kept_ids = Vec::new();
    let mut kept_edits = Vec::new();
    for v1 in (0..n).rev() {
        let v2 = n - 1 - v1;
        if m.extracted[v1].throwaway {
            continue;
        }
        let size = updates
            .uploaded
            .get(v2)
            .map_or(0, |u| size_to_go(u.info.size));
        layers.push(s2_descriptor(
            mt::DOCKER_V2_SCHEMA2_LAYER,
            &m.fs_layers[v1].blob_sum,
            size,
            Vec::new(),
        ));
        if let Some(edits) = &updates.layer_infos {
            kept_edits.push(edits[v2].clone());
        }
        if let Some(d) = diff_ids.get(v2) {
            kept_ids.push(d.clone());
        }
    }
    let kept_ids: Vec<String> = kept_ids.iter().map(Digest::to_string).collect();
    let config = schema1_config(m, &kept_ids)?;
    if updates.layer_infos.is_some() {
        updates.layer_infos = Some(kept_edits);
    }
    let config_desc = s2_descriptor(
        mt::DOCKER_V2_SCHEMA2_CONFIG,
        &Digest::sha256_of(&config),
        config.len() as i64,
        Vec::new(),
    );
    Ok(Updated {
        manifest: Manifest::Schema2(Schema2 {
            schema_version: 2,
            media_type: mt::DOCKER_V2_SCHEMA2.into(),
            config: config_desc,
            layers,
        }),
        new_config: Some(config),
        extra_blobs: Vec::new(),
    })
}

/// The schema 2 config of a schema 1 image whose layers were not read (`inspect --config`):
/// c/image then records an empty digest for each non-empty layer.
pub fn schema1_config_without_layers(m: &Schema1) -> Result<Vec<u8>> {
    let unknown: Vec<String> = m
        .extracted
        .iter()
        .filter(|c| !c.throwaway)
        .map(|_| String::new())
        .collect();
    schema1_config(m, &unknown)
}

/// The schema 2 config a schema 1 image converts to, given its non-empty layers' diff IDs
/// (base first).
pub fn schema1_config(m: &Schema1, diff_ids: &[String]) -> Result<Vec<u8>> {
    let top = m
        .history
        .first()
        .ok_or_else(|| anyhow!("image has no layers"))?;
    let docker_version = serde_json::from_str::<serde_json::Value>(&top.v1_compatibility)
        .ok()
        .and_then(|v| {
            v.get("docker_version")
                .and_then(|d| d.as_str().map(str::to_string))
        })
        .unwrap_or_default();
    if !docker_version.is_empty() && version_less_than(&docker_version, "1.8.3") {
        return Err(crate::error::not_implemented(
            "converting schema 1 images made by docker older than 1.8.3",
        ));
    }
    let history: Vec<Schema2History> = m
        .extracted
        .iter()
        .rev()
        .map(|c| Schema2History {
            created: c.created,
            author: c.author.clone(),
            created_by: c.container_config.cmd.join(" "),
            comment: c.comment.clone(),
            empty_layer: c.throwaway,
        })
        .collect();
    let mut raw = RawObject::parse(top.v1_compatibility.as_bytes())
        .map_err(|e| e.context("re-decoding compat image config"))?;
    for k in ["id", "parent", "parent_id", "layer_id", "throwaway", "Size"] {
        raw.remove(k);
    }
    raw.set(
        "rootfs",
        gojson::try_to_vec_compact(&Schema2RootFs {
            kind: "layers",
            diff_ids,
        })?,
    );
    raw.set("history", gojson::try_to_vec_compact(&history)?);
    Ok(raw.marshal())
}

/// Docker's version comparison (dotted numbers; missing parts are 0).
fn version_less_than(v: &str, other: &str) -> bool {
    let parts = |s: &str| -> Vec<u64> { s.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    let (a, b) = (parts(v), parts(other));
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x < y;
        }
    }
    false
}

#[derive(serde::Deserialize)]
struct Schema2ImageHistory {
    #[serde(default, deserialize_with = "super::null_default")]
    history: Vec<Schema2History>,
    #[serde(default, deserialize_with = "super::null_default")]
    architecture: String,
}

#[derive(serde::Serialize)]
struct V1CompatContainerConfig<'a> {
    #[serde(rename = "Cmd")]
    cmd: [&'a str; 1],
}

#[derive(serde::Serialize)]
struct V1Compat<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    parent: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    comment: &'a str,
    created: GoTime,
    container_config: V1CompatContainerConfig<'a>,
    #[serde(skip_serializing_if = "str::is_empty")]
    author: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    throwaway: bool,
}

fn v1_id(blob: &Digest, others: &[&str]) -> String {
    let mut parts = vec![blob.hex().to_string()];
    parts.extend(others.iter().map(|s| s.to_string()));
    Digest::sha256_of(parts.join(" ").as_bytes())
        .hex()
        .to_string()
}

/// Schema 2 → schema 1 (docker/distribution's config builder): one history entry per config
/// history item, empty layers as a shared gzipped empty tar.
fn schema2_to_schema1(m: &Schema2, config: &[u8], updates: &mut Updates) -> Result<Updated> {
    if let Some(edits) = &updates.layer_infos
        && edits.len() != m.layers.len()
    {
        bail!(
            "Error converting image: layer edits for {} layers vs {} existing layers",
            edits.len(),
            m.layers.len()
        );
    }
    let image: Schema2ImageHistory = from_json(config)?;
    if image.history.is_empty() {
        bail!(
            "Cannot convert an image with 0 history entries to {}",
            mt::DOCKER_V2_SCHEMA1_SIGNED
        );
    }
    let empty = BlobInfo::new(
        Digest::sha256_of(&GZIPPED_EMPTY_LAYER),
        Some(GZIPPED_EMPTY_LAYER.len() as u64),
        "",
    );
    let n = image.history.len();
    let mut fs_layers = vec![String::new(); n];
    let mut history = vec![String::new(); n];
    let mut blob_sums: Vec<Digest> = vec![empty.digest.clone(); n];
    let mut extra_blobs = Vec::new();
    let mut converted_edits = Vec::new();
    let mut nonempty = 0;
    let mut parent = String::new();
    let mut id = String::new();
    for (v2, h) in image.history.iter().enumerate() {
        parent = id.clone();
        let v1 = n - 1 - v2;
        let blob = if h.empty_layer {
            if extra_blobs.is_empty() {
                extra_blobs.push((empty.clone(), GZIPPED_EMPTY_LAYER.to_vec()));
            }
            if updates.layer_infos.is_some() {
                converted_edits.push(LayerEdit {
                    info: empty.clone(),
                    op: Default::default(),
                    algorithm: None,
                    crypto: Default::default(),
                });
            }
            empty.digest.clone()
        } else {
            let Some(l) = m.layers.get(nonempty) else {
                bail!(
                    "Invalid image configuration, needs more than the {} distributed layers",
                    m.layers.len()
                );
            };
            if let Some(edits) = &updates.layer_infos {
                converted_edits.push(edits[nonempty].clone());
            }
            nonempty += 1;
            l.digest.clone()
        };
        id = v1_id(&blob, &[&parent]);
        let compat = V1Compat {
            id: &id,
            parent: &parent,
            comment: &h.comment,
            created: h.created,
            container_config: V1CompatContainerConfig {
                cmd: [&h.created_by],
            },
            author: &h.author,
            throwaway: h.empty_layer,
        };
        fs_layers[v1] = blob.to_string();
        history[v1] = String::from_utf8(gojson::try_to_vec_compact(&compat)?)?;
        blob_sums[v1] = blob;
    }
    // The top entry carries the whole config.
    let config_text = std::str::from_utf8(config).context("config is not UTF-8")?;
    let top_id = v1_id(&blob_sums[0], &[&parent, config_text]);
    let mut raw = RawObject::parse(config)?;
    raw.remove("rootfs");
    raw.remove("history");
    raw.set("id", gojson::try_to_vec_compact(&top_id)?);
    if !parent.is_empty() {
        raw.set("parent", gojson::try_to_vec_compact(&parent)?);
    }
    if image.history[n - 1].empty_layer {
        raw.set("throwaway", b"true".to_vec());
    }
    history[0] = String::from_utf8(raw.marshal())?;
    if updates.layer_infos.is_some() {
        updates.layer_infos = Some(converted_edits);
    }
    let (name, tag) = updates.schema1_reference.clone();
    let m1 = Schema1::from_components(name, tag, image.architecture, blob_sums, history)?;
    drop(fs_layers);
    Ok(Updated {
        manifest: Manifest::Schema1(m1),
        new_config: None,
        extra_blobs,
    })
}

/// The bytes of a manifest produced by a conversion or update.
pub fn serialize(m: &Manifest) -> Result<Vec<u8>> {
    Ok(match m {
        Manifest::Schema2(m) => gojson::try_to_vec_compact(m)?,
        Manifest::Oci(m) => gojson::try_to_vec_compact(m)?,
        Manifest::Schema1(m) => schema1::sign_with_dummy_key(&gojson::try_to_vec_compact(m)?)?,
    })
}

/// The type a manifest produced by a conversion or update is written as.
pub fn serialized_mime_type(m: &Manifest) -> &'static str {
    match m {
        Manifest::Schema1(_) => mt::DOCKER_V2_SCHEMA1_SIGNED,
        Manifest::Schema2(_) => mt::DOCKER_V2_SCHEMA2,
        Manifest::Oci(_) => mt::OCI_MANIFEST,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_versions_compare_numerically() {
        assert!(version_less_than("1.8.2", "1.8.3"));
        assert!(version_less_than("1.7", "1.8.3"));
        assert!(!version_less_than("1.10.0", "1.8.3"));
        assert!(!version_less_than("1.8.3", "1.8.3"));
    }

    #[test]
    fn v1_ids_hash_the_parts() {
        let d = Digest::sha256_of(b"x");
        assert_eq!(
            v1_id(&d, &[""]),
            Digest::sha256_of(format!("{} ", d.hex()).as_bytes())
                .hex()
                .to_string()
        );
    }
}
