//! Manifests: media types, detection, digests, and the typed forms of each format.
//!
//! Manifests that are copied unchanged keep their exact bytes everywhere in skiff; the typed
//! structs here are for reading fields and, where a conversion is asked for, for writing new
//! bytes the way Go's encoder writes them.

pub mod config;
pub mod convert;
pub mod docker;
pub mod list;
pub mod oci;
pub mod platform;
pub mod rawjson;
pub mod schema1;
pub mod update;

use anyhow::{Result, bail};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::digest::Digest;
use crate::types::BlobInfo;

pub use list::ManifestList;
pub use media_type::MediaType;

pub mod media_type {
    pub const DOCKER_V2_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
    pub const DOCKER_V2_SCHEMA1_SIGNED: &str =
        "application/vnd.docker.distribution.manifest.v1+prettyjws";
    pub const DOCKER_V2_SCHEMA2: &str = "application/vnd.docker.distribution.manifest.v2+json";
    pub const DOCKER_V2_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
    pub const DOCKER_V2_SCHEMA2_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
    pub const DOCKER_V2_SCHEMA2_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    pub const DOCKER_V2_SCHEMA2_FOREIGN_LAYER: &str =
        "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    pub const DOCKER_V2_SCHEMA2_FOREIGN_LAYER_TAR: &str =
        "application/vnd.docker.image.rootfs.foreign.diff.tar";
    pub const DOCKER_V2_SCHEMA2_LAYER_UNCOMPRESSED: &str =
        "application/vnd.docker.image.rootfs.diff.tar";
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
    pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
    pub const OCI_LAYER_NONDIST: &str = "application/vnd.oci.image.layer.nondistributable.v1.tar";
    pub const OCI_LAYER_NONDIST_GZIP: &str =
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    pub const OCI_LAYER_NONDIST_ZSTD: &str =
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";
    pub const OCI_DESCRIPTOR: &str = "application/vnd.oci.descriptor.v1+json";
    pub const OCI_LAYOUT_HEADER: &str = "application/vnd.oci.layout.header.v1+json";
    pub const OCI_LAYER_ENC: &str = "application/vnd.oci.image.layer.v1.tar+encrypted";
    pub const OCI_LAYER_GZIP_ENC: &str = "application/vnd.oci.image.layer.v1.tar+gzip+encrypted";

    /// Every manifest type a registry may answer with, for `Accept` headers.
    pub const ALL_MANIFESTS: [&str; 6] = [
        OCI_MANIFEST,
        DOCKER_V2_SCHEMA2,
        DOCKER_V2_SCHEMA1_SIGNED,
        DOCKER_V2_SCHEMA1,
        DOCKER_V2_LIST,
        OCI_INDEX,
    ];

    pub fn is_list(mime: &str) -> bool {
        mime == DOCKER_V2_LIST || mime == OCI_INDEX
    }

    /// A media type, kept as the exact string it was read as (a type skiff does not know is
    /// carried along unchanged) and serialised as that bare string. May be empty where a format
    /// leaves it out (a schema 1 layer, an old OCI descriptor). Compares equal to the constants
    /// above, and reads as a `&str` wherever one is expected; `{:?}` quotes it as a string's does
    /// (messages print it so).
    #[derive(
        Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
    )]
    #[serde(transparent)]
    pub struct MediaType(String);

    impl MediaType {
        pub fn as_str(&self) -> &str {
            &self.0
        }

        /// Whether this names a manifest list or an image index.
        pub fn is_list(&self) -> bool {
            is_list(&self.0)
        }
    }

    impl std::ops::Deref for MediaType {
        type Target = str;
        fn deref(&self) -> &str {
            &self.0
        }
    }

    impl AsRef<str> for MediaType {
        fn as_ref(&self) -> &str {
            &self.0
        }
    }

    impl std::fmt::Debug for MediaType {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            std::fmt::Debug::fmt(&self.0, f)
        }
    }

    impl std::fmt::Display for MediaType {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl From<&str> for MediaType {
        fn from(s: &str) -> MediaType {
            MediaType(s.to_string())
        }
    }

    impl From<String> for MediaType {
        fn from(s: String) -> MediaType {
            MediaType(s)
        }
    }

    impl From<&String> for MediaType {
        fn from(s: &String) -> MediaType {
            MediaType(s.clone())
        }
    }

    impl From<MediaType> for String {
        fn from(m: MediaType) -> String {
            m.0
        }
    }

    impl PartialEq<str> for MediaType {
        fn eq(&self, other: &str) -> bool {
            self.0 == other
        }
    }

    impl PartialEq<&str> for MediaType {
        fn eq(&self, other: &&str) -> bool {
            self.0 == *other
        }
    }

    impl PartialEq<String> for MediaType {
        fn eq(&self, other: &String) -> bool {
            &self.0 == other
        }
    }

    impl PartialEq<MediaType> for &str {
        fn eq(&self, other: &MediaType) -> bool {
            *self == other.0
        }
    }

    impl PartialEq<MediaType> for str {
        fn eq(&self, other: &MediaType) -> bool {
            self == other.0
        }
    }
}

use media_type as mt;

/// Looks a field up as Go's encoding/json does: an exact match first, else a case-insensitive one.
pub(crate) fn go_field<'a>(
    obj: &'a serde_json::Map<String, Value>,
    name: &str,
) -> Option<&'a Value> {
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn string_field(obj: &serde_json::Map<String, Value>, name: &str) -> String {
    match go_field(obj, name) {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// A manifest as a source serves it: its exact bytes, and the media type the transport
/// recorded for them — `None` when it records none (`dir:`, containers-storage), so the type
/// is guessed from the bytes, as c/image does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawManifest {
    pub bytes: bytes::Bytes,
    pub media_type: Option<MediaType>,
}

impl RawManifest {
    /// A manifest whose transport records its type.
    pub fn new(bytes: impl Into<bytes::Bytes>, media_type: impl Into<MediaType>) -> RawManifest {
        RawManifest {
            bytes: bytes.into(),
            media_type: Some(media_type.into()),
        }
    }

    /// A manifest whose transport does not record its type.
    pub fn untyped(bytes: impl Into<bytes::Bytes>) -> RawManifest {
        RawManifest {
            bytes: bytes.into(),
            media_type: None,
        }
    }

    /// A manifest with the type a format reported, where an empty string (no
    /// `Content-Type`, a descriptor without `mediaType`) means the type is not known.
    pub fn reported(bytes: impl Into<bytes::Bytes>, reported: &str) -> RawManifest {
        RawManifest {
            bytes: bytes.into(),
            media_type: (!reported.is_empty()).then(|| reported.into()),
        }
    }

    /// The media type: the one recorded, else the one guessed from the bytes (empty when
    /// they are not a recognisable manifest). The one place that settles "unknown".
    pub fn resolved_type(&self) -> MediaType {
        match &self.media_type {
            Some(t) => t.clone(),
            None => guess_mime_type(&self.bytes).into(),
        }
    }

    /// The bytes with their [resolved](Self::resolved_type) type.
    pub fn resolved(self) -> (bytes::Bytes, MediaType) {
        let media_type = self.resolved_type();
        (self.bytes, media_type)
    }
}

/// Guesses a manifest's media type from its contents, as c/image does when a transport
/// does not record it (also for OCI manifests that predate the `mediaType` field).
/// Returns "" when the bytes are not a recognisable manifest.
pub fn guess_mime_type(manifest: &[u8]) -> String {
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(manifest) else {
        return String::new();
    };
    let media_type = string_field(&obj, "mediaType");
    if [
        mt::DOCKER_V2_SCHEMA2,
        mt::DOCKER_V2_LIST,
        mt::OCI_MANIFEST,
        mt::OCI_INDEX,
    ]
    .contains(&media_type.as_str())
    {
        return media_type;
    }
    let schema_version = go_field(&obj, "schemaVersion").and_then(Value::as_i64);
    match schema_version {
        Some(1) => {
            let signed = matches!(go_field(&obj, "signatures"), Some(v) if !v.is_null());
            if signed {
                mt::DOCKER_V2_SCHEMA1_SIGNED.into()
            } else {
                mt::DOCKER_V2_SCHEMA1.into()
            }
        }
        Some(2) => {
            let config_type = match go_field(&obj, "config") {
                Some(Value::Object(c)) => string_field(c, "mediaType"),
                _ => String::new(),
            };
            match config_type.as_str() {
                mt::OCI_CONFIG => return mt::OCI_MANIFEST.into(),
                mt::DOCKER_V2_SCHEMA2_CONFIG => return mt::DOCKER_V2_SCHEMA2.into(),
                _ => {}
            }
            let has_manifests =
                matches!(go_field(&obj, "manifests"), Some(Value::Array(a)) if !a.is_empty());
            if has_manifests {
                if config_type.is_empty() {
                    mt::OCI_INDEX.into()
                } else {
                    config_type
                }
            } else {
                mt::OCI_MANIFEST.into()
            }
        }
        _ => String::new(),
    }
}

/// Maps a transport-reported type to one skiff knows; unknown values are treated as
/// schema 1, which is what registries that answer `text/plain` really serve.
pub fn normalized_mime_type(input: &str) -> &str {
    match input {
        mt::DOCKER_V2_SCHEMA1
        | mt::DOCKER_V2_SCHEMA1_SIGNED
        | mt::OCI_MANIFEST
        | mt::OCI_INDEX
        | mt::DOCKER_V2_SCHEMA2
        | mt::DOCKER_V2_LIST => input,
        _ => mt::DOCKER_V2_SCHEMA1_SIGNED,
    }
}

/// The digest that identifies a manifest: for signed schema 1 the JWS signatures are removed
/// first, so the digest is the same before and after signing.
pub fn digest(manifest: &[u8]) -> Result<Digest> {
    digest_with(manifest, crate::digest::Algorithm::Sha256)
}

/// [`digest`] with another algorithm (c/image's DigestWithAlgorithm).
pub fn digest_with(manifest: &[u8], algorithm: crate::digest::Algorithm) -> Result<Digest> {
    let mut h = crate::digest::Hasher::new(algorithm);
    if guess_mime_type(manifest) == mt::DOCKER_V2_SCHEMA1_SIGNED {
        h.update(&schema1::jws_payload(manifest)?);
    } else {
        h.update(manifest);
    }
    Ok(h.finish())
}

/// Whether `manifest` has `expected` as its digest (computed with the same algorithm).
pub fn matches_digest(manifest: &[u8], expected: &Digest) -> Result<bool> {
    if guess_mime_type(manifest) == mt::DOCKER_V2_SCHEMA1_SIGNED {
        let payload = schema1::jws_payload(manifest)?;
        return Ok(&expected.same_algorithm_of(&payload) == expected);
    }
    Ok(&expected.same_algorithm_of(manifest) == expected)
}

/// One image's manifest, in any of the single-image formats. (Few exist at once, so the
/// variants' size difference does not matter.)
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Manifest {
    Schema1(schema1::Schema1),
    Schema2(docker::Schema2),
    Oci(oci::OciManifest),
}

/// Decodes JSON into a manifest struct; truncated input is named the way Go names it.
pub(crate) fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        if e.is_eof() {
            anyhow::anyhow!("unexpected end of JSON input")
        } else {
            anyhow::anyhow!("{e}")
        }
    })
}

/// Go decodes JSON `null` into a field as its zero value; serde needs to be told.
pub(crate) fn null_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The fields whose presence tells the manifest formats apart; a manifest carrying fields of
/// another format is refused instead of being read with a guess.
fn validate_unambiguous(bytes: &[u8], expected: &str, allowed: &[&str]) -> Result<()> {
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(bytes) else {
        return Ok(());
    };
    let unexpected: Vec<String> = ["config", "fsLayers", "history", "layers", "manifests"]
        .iter()
        .filter(|f| !allowed.contains(f))
        .filter(|f| matches!(obj.get(**f), Some(v) if !v.is_null()))
        .map(|f| format!("{f:?}"))
        .collect();
    if !unexpected.is_empty() {
        bail!(
            "rejecting ambiguous manifest, unexpected fields []string{{{}}} in supposedly {expected}",
            unexpected.join(", ")
        );
    }
    Ok(())
}

impl Manifest {
    /// Parses a single-image manifest of the given (normalised) media type.
    pub fn parse(bytes: &[u8], mime: &str) -> Result<Manifest> {
        match normalized_mime_type(mime) {
            mt::DOCKER_V2_SCHEMA1 | mt::DOCKER_V2_SCHEMA1_SIGNED => {
                Ok(Manifest::Schema1(schema1::Schema1::parse(bytes)?))
            }
            mt::OCI_MANIFEST => {
                let m: oci::OciManifest = from_json(bytes)?;
                validate_unambiguous(bytes, mt::OCI_MANIFEST, &["config", "layers"])?;
                Ok(Manifest::Oci(m))
            }
            mt::DOCKER_V2_SCHEMA2 => {
                let m: docker::Schema2 = from_json(bytes)?;
                validate_unambiguous(bytes, mt::DOCKER_V2_SCHEMA2, &["config", "layers"])?;
                m.check_media_types()?;
                Ok(Manifest::Schema2(m))
            }
            _ => bail!("Treating manifest lists as individual manifests is not implemented"),
        }
    }

    pub fn mime_type(&self) -> &'static str {
        match self {
            Manifest::Schema1(m) if m.is_signed() => mt::DOCKER_V2_SCHEMA1_SIGNED,
            Manifest::Schema1(_) => mt::DOCKER_V2_SCHEMA1,
            Manifest::Schema2(_) => mt::DOCKER_V2_SCHEMA2,
            Manifest::Oci(_) => mt::OCI_MANIFEST,
        }
    }

    /// The config blob; schema 1 has none (its config lives in the manifest's history).
    pub fn config_info(&self) -> Option<BlobInfo> {
        match self {
            Manifest::Schema1(_) => None,
            Manifest::Schema2(m) => Some(m.config.to_blob_info()),
            Manifest::Oci(m) => Some(m.config.to_blob_info()),
        }
    }

    /// The layers, base layer first.
    pub fn layer_infos(&self) -> Vec<BlobInfo> {
        match self {
            Manifest::Schema1(m) => m.layer_infos(),
            Manifest::Schema2(m) => m.layers.iter().map(|l| l.to_blob_info()).collect(),
            Manifest::Oci(m) => m.layers.iter().map(|l| l.to_blob_info()).collect(),
        }
    }
}

#[cfg(test)]
mod tests;
