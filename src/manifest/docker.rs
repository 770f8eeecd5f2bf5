//! Docker image manifest v2 schema 2 and manifest list, with Go's field order.

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use super::media_type as mt;
use super::null_default;
use crate::digest::Digest;
use crate::types::{BlobInfo, size_from_go};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema2Descriptor {
    #[serde(rename = "mediaType", default, deserialize_with = "null_default")]
    pub media_type: String,
    #[serde(default, deserialize_with = "null_default")]
    pub size: i64,
    pub digest: Digest,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub urls: Vec<String>,
}

impl Schema2Descriptor {
    pub fn to_blob_info(&self) -> BlobInfo {
        BlobInfo {
            digest: self.digest.clone(),
            size: size_from_go(self.size),
            media_type: self.media_type.as_str().into(),
            urls: self.urls.clone(),
            annotations: None,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Schema2 {
    #[serde(rename = "schemaVersion", default, deserialize_with = "null_default")]
    pub schema_version: i64,
    #[serde(rename = "mediaType", default, deserialize_with = "null_default")]
    pub media_type: String,
    pub config: Schema2Descriptor,
    #[serde(default, deserialize_with = "null_default")]
    pub layers: Vec<Schema2Descriptor>,
}

/// The media types a schema 2 manifest and its layers may carry.
pub fn supported_schema2_media_type(m: &str) -> Result<()> {
    match m {
        mt::DOCKER_V2_SCHEMA1
        | mt::DOCKER_V2_SCHEMA1_SIGNED
        | mt::DOCKER_V2_SCHEMA2_CONFIG
        | mt::DOCKER_V2_SCHEMA2_FOREIGN_LAYER
        | mt::DOCKER_V2_SCHEMA2_FOREIGN_LAYER_TAR
        | mt::DOCKER_V2_SCHEMA2_LAYER
        | mt::DOCKER_V2_SCHEMA2_LAYER_UNCOMPRESSED
        | mt::DOCKER_V2_LIST
        | mt::DOCKER_V2_SCHEMA2 => Ok(()),
        _ => bail!("unsupported docker v2s2 media type: {m:?}"),
    }
}

impl Schema2 {
    pub fn check_media_types(&self) -> Result<()> {
        supported_schema2_media_type(&self.media_type)?;
        for layer in &self.layers {
            supported_schema2_media_type(&layer.media_type)?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema2PlatformSpec {
    #[serde(default, deserialize_with = "null_default")]
    pub architecture: String,
    #[serde(default, deserialize_with = "null_default")]
    pub os: String,
    #[serde(
        rename = "os.version",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub os_version: String,
    #[serde(
        rename = "os.features",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub os_features: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub variant: String,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub features: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema2ManifestDescriptor {
    #[serde(rename = "mediaType", default, deserialize_with = "null_default")]
    pub media_type: String,
    #[serde(default, deserialize_with = "null_default")]
    pub size: i64,
    pub digest: Digest,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub urls: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub platform: Schema2PlatformSpec,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Schema2List {
    #[serde(rename = "schemaVersion", default, deserialize_with = "null_default")]
    pub schema_version: i64,
    #[serde(rename = "mediaType", default, deserialize_with = "null_default")]
    pub media_type: String,
    #[serde(default, deserialize_with = "null_default")]
    pub manifests: Vec<Schema2ManifestDescriptor>,
}
