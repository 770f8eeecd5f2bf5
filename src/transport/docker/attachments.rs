//! Sigstore signatures kept in the registry beside the image they sign, as cosign and c/image
//! keep them: an OCI manifest tagged `sha256-HEX.sig` whose layers are the signature payloads
//! (media type = the signature's MIME type, its annotations = the signature's annotations) and
//! whose config lists their digests as `rootfs.diff_ids`. Used only where registries.d says
//! `use-sigstore-attachments: true`.
//!
//! The manifest and config are re-encoded the way c/image's Go structs encode them (fields in
//! the struct's order, empty optional ones left out), so skiff and skopeo write the same bytes.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow, bail};
use bytes::Bytes;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::{Client, Request};
use crate::digest::Digest;
use crate::error::ImageNotFound;
use crate::manifest::media_type as mt;
use crate::reference::DockerReference;
use crate::signature::{Signature, SigstoreSignature};

/// c/image reads at most this much of one attachment payload, or of the config.
const MAX_ATTACHMENT_BODY: usize = 4 << 20;

/// The tag holding the attachments of the manifest `digest`.
pub fn tag(digest: &Digest) -> String {
    format!("{}-{}.sig", digest.algorithm().name(), digest.hex())
}

/// An OCI descriptor, fields in image-spec's order.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    pub digest: String,
    #[serde(default)]
    pub size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    urls: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "is_empty_map")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    platform: Option<Platform>,
    #[serde(
        rename = "artifactType",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    artifact_type: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
struct Platform {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    os_version: String,
    #[serde(
        rename = "os.features",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    os_features: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    variant: String,
}

fn is_empty_map(m: &Option<BTreeMap<String, String>>) -> bool {
    m.as_ref().is_none_or(BTreeMap::is_empty)
}

/// The attachment manifest (image-spec's Manifest struct).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(rename = "schemaVersion")]
    schema_version: i64,
    #[serde(
        rename = "mediaType",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    media_type: String,
    #[serde(
        rename = "artifactType",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    artifact_type: String,
    config: Descriptor,
    /// `null` when absent, as Go writes a nil slice.
    layers: Option<Vec<Descriptor>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject: Option<Descriptor>,
    #[serde(default, skip_serializing_if = "is_empty_map")]
    annotations: Option<BTreeMap<String, String>>,
}

impl Manifest {
    fn new() -> Manifest {
        Manifest {
            schema_version: 2,
            media_type: mt::OCI_MANIFEST.to_string(),
            artifact_type: String::new(),
            config: Descriptor {
                media_type: mt::OCI_CONFIG.to_string(),
                ..Default::default()
            },
            layers: None,
            subject: None,
            annotations: None,
        }
    }

    pub fn layers(&self) -> &[Descriptor] {
        self.layers.as_deref().unwrap_or_default()
    }
}

/// The attachment config (image-spec's Image struct); c/image reads the existing one and
/// writes it back with the new payload digests appended.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    author: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    os_version: String,
    #[serde(rename = "os.features", default, skip_serializing_if = "is_go_empty")]
    os_features: Value,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    variant: String,
    /// A struct in Go, so always written, with its own empty fields left out.
    #[serde(default)]
    config: ImageConfig,
    #[serde(default)]
    rootfs: RootFs,
    #[serde(default, skip_serializing_if = "is_go_empty")]
    history: Value,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct ImageConfig {
    #[serde(rename = "User", default, skip_serializing_if = "is_go_empty")]
    user: Value,
    #[serde(rename = "ExposedPorts", default, skip_serializing_if = "is_go_empty")]
    exposed_ports: Value,
    #[serde(rename = "Env", default, skip_serializing_if = "is_go_empty")]
    env: Value,
    #[serde(rename = "Entrypoint", default, skip_serializing_if = "is_go_empty")]
    entrypoint: Value,
    #[serde(rename = "Cmd", default, skip_serializing_if = "is_go_empty")]
    cmd: Value,
    #[serde(rename = "Volumes", default, skip_serializing_if = "is_go_empty")]
    volumes: Value,
    #[serde(rename = "WorkingDir", default, skip_serializing_if = "is_go_empty")]
    working_dir: Value,
    #[serde(rename = "Labels", default, skip_serializing_if = "is_go_empty")]
    labels: Value,
    #[serde(rename = "StopSignal", default, skip_serializing_if = "is_go_empty")]
    stop_signal: Value,
    #[serde(rename = "ArgsEscaped", default, skip_serializing_if = "is_go_empty")]
    args_escaped: Value,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct RootFs {
    #[serde(rename = "type", default)]
    kind: String,
    /// `null` when absent, as Go writes a nil slice.
    diff_ids: Option<Vec<String>>,
}

/// Go's `omitempty`: null, false, "", and empty arrays and objects are left out.
fn is_go_empty(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Bool(true) => false,
    }
}

/// The attachments of one manifest being updated: what the registry had, plus new payloads.
pub struct Update {
    pub manifest: Manifest,
    config: Config,
}

/// A payload the update adds, to upload before the manifest.
pub struct NewLayer {
    pub descriptor: Descriptor,
    pub payload: Vec<u8>,
}

impl Update {
    /// Starts from the registry's attachments, or from nothing.
    pub fn new(existing: Option<(Manifest, Config)>) -> Update {
        match existing {
            Some((manifest, config)) => Update { manifest, config },
            None => Update {
                manifest: Manifest::new(),
                config: Config {
                    rootfs: RootFs {
                        kind: "layers".to_string(),
                        diff_ids: None,
                    },
                    ..Default::default()
                },
            },
        }
    }

    /// Adds `sig` unless an identical layer is there already (same type, bytes and
    /// annotations); the layer to upload when it is new.
    pub fn add(&mut self, sig: &SigstoreSignature) -> Option<NewLayer> {
        let digest = Digest::sha256_of(&sig.payload).to_string();
        let same = |l: &Descriptor| {
            l.media_type == sig.mime_type
                && l.size == sig.payload.len() as i64
                && l.digest == digest
                && l.annotations.clone().unwrap_or_default()
                    == sig.annotations.clone().unwrap_or_default()
        };
        if self.manifest.layers().iter().any(same) {
            crate::error::debug(&format!(
                "Signature with digest {digest} already exists on the registry"
            ));
            return None;
        }
        let descriptor = Descriptor {
            media_type: sig.mime_type.clone(),
            digest: digest.clone(),
            size: sig.payload.len() as i64,
            annotations: sig.annotations.clone(),
            ..Default::default()
        };
        self.manifest
            .layers
            .get_or_insert_default()
            .push(descriptor.clone());
        self.config
            .rootfs
            .diff_ids
            .get_or_insert_default()
            .push(digest);
        Some(NewLayer {
            descriptor,
            payload: sig.payload.clone(),
        })
    }

    /// The config to upload.
    pub fn config_bytes(&self) -> Vec<u8> {
        crate::gojson::to_vec_compact(&self.config)
    }

    /// The manifest naming the uploaded config.
    pub fn manifest_bytes(mut self, config: &[u8]) -> Vec<u8> {
        self.manifest.config = Descriptor {
            media_type: mt::OCI_CONFIG.to_string(),
            digest: Digest::sha256_of(config).to_string(),
            size: config.len() as i64,
            ..Default::default()
        };
        crate::gojson::to_vec_compact(&self.manifest)
    }
}

/// The attachment manifest of `digest` in `r`'s repository; `None` when there is none.
pub async fn fetch_manifest(
    client: &Client,
    r: &DockerReference,
    digest: &Digest,
) -> Result<Option<Manifest>> {
    let tag = tag(digest);
    crate::error::debug(&format!(
        "Looking for sigstore attachments in {}:{tag}",
        r.name()
    ));
    let (bytes, mime) = match super::source::fetch_manifest(client, r, &tag).await {
        Ok(m) => (m.bytes, m.media_type.unwrap_or_default()),
        Err(e) if e.is::<ImageNotFound>() => {
            crate::error::debug(&format!(
                "Fetching sigstore attachment manifest failed, assuming it does not exist: {e:#}"
            ));
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let name = format!("{}:{tag}", r.name());
    if mime != mt::OCI_MANIFEST {
        bail!("unexpected MIME type for sigstore attachment manifest {name}: {mime:?}");
    }
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|e| anyhow!("parsing manifest {name}: {e}"))?;
    if !manifest.media_type.is_empty() && manifest.media_type != mt::OCI_MANIFEST {
        bail!(
            "parsing manifest {name}: unexpected media type {:?}",
            manifest.media_type
        );
    }
    Ok(Some(manifest))
}

/// A small blob named by `desc`, checked against its digest.
pub async fn fetch_blob(client: &Client, r: &DockerReference, desc: &Descriptor) -> Result<Bytes> {
    let digest: Digest = desc
        .digest
        .parse()
        .map_err(|e| anyhow!("invalid digest {:?}: {e}", desc.digest))?;
    let path = format!("/v2/{}/blobs/{digest}", r.path());
    let res = client.send(Request::new(Method::GET, path)).await?;
    if res.status() != 200 {
        return Err(res.http_error("Error fetching blob").await);
    }
    let bytes = res
        .bytes_limited(MAX_ATTACHMENT_BODY)
        .await
        .map_err(|e| anyhow!("reading blob {} in {}: {e:#}", desc.digest, r.name()))?;
    let actual = digest.same_algorithm_of(&bytes);
    if actual != digest {
        bail!("digest mismatch, expected {digest:?}, got {actual:?}");
    }
    Ok(bytes)
}

/// Every attachment of `digest` as a sigstore signature (attestations and other attachments
/// too: the policy tells signatures apart by their MIME type).
pub async fn read_all(
    client: &Client,
    r: &DockerReference,
    digest: &Digest,
) -> Result<Vec<Signature>> {
    let Some(manifest) = fetch_manifest(client, r, digest).await? else {
        return Ok(Vec::new());
    };
    let layers = manifest.layers();
    crate::error::debug(&format!(
        "Found a sigstore attachment manifest with {} layers",
        layers.len()
    ));
    let mut out = Vec::with_capacity(layers.len());
    for layer in layers {
        let payload = fetch_blob(client, r, layer).await?;
        out.push(Signature::Sigstore(SigstoreSignature {
            mime_type: layer.media_type.clone(),
            payload: payload.to_vec(),
            annotations: layer.annotations.clone().filter(|a| !a.is_empty()),
        }));
    }
    Ok(out)
}

/// The existing attachments of `digest` with their config, to add to.
pub async fn fetch_for_update(
    client: &Client,
    r: &DockerReference,
    digest: &Digest,
) -> Result<Update> {
    let Some(manifest) = fetch_manifest(client, r, digest).await? else {
        return Ok(Update::new(None));
    };
    crate::error::debug(&format!(
        "Fetching sigstore attachment config {}",
        manifest.config.digest
    ));
    let bytes = fetch_blob(client, r, &manifest.config).await?;
    let config: Config = serde_json::from_slice(&bytes).map_err(|e| {
        anyhow!(
            "parsing sigstore attachment config {} in {}: {e}",
            manifest.config.digest,
            r.name()
        )
    })?;
    Ok(Update::new(Some((manifest, config))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(payload: &[u8], annotation: &str) -> SigstoreSignature {
        SigstoreSignature {
            mime_type: crate::signature::sigstore::SIGNATURE_MIME_TYPE.to_string(),
            payload: payload.to_vec(),
            annotations: Some(BTreeMap::from([(
                crate::signature::sigstore::SIGNATURE_ANNOTATION.to_string(),
                annotation.to_string(),
            )])),
        }
    }

    #[test]
    fn a_new_attachment_is_written_as_c_image_writes_it() {
        let mut u = Update::new(None);
        assert!(u.add(&sig(b"{}", "c2ln")).is_some());
        assert!(u.add(&sig(b"{}", "c2ln")).is_none(), "identical: not twice");
        let config = u.config_bytes();
        let d = Digest::sha256_of(b"{}").to_string();
        assert_eq!(
            String::from_utf8(config.clone()).unwrap(),
            format!(
                r#"{{"architecture":"","os":"","config":{{}},"rootfs":{{"type":"layers","diff_ids":["{d}"]}}}}"#
            )
        );
        let m = String::from_utf8(u.manifest_bytes(&config)).unwrap();
        assert_eq!(
            m,
            format!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest":"{d}","size":2,"annotations":{{"dev.cosignproject.cosign/signature":"c2ln"}}}}]}}"#,
                Digest::sha256_of(&config),
                config.len()
            )
        );
    }

    #[test]
    fn an_existing_attachment_keeps_its_layers_and_config_fields() {
        let m: Manifest = serde_json::from_str(r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":1,"digest":"sha256:aa"},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":2,"digest":"sha256:bb","annotations":{"dev.cosignproject.cosign/signature":"x"}}],"unknown":1}"#).unwrap();
        let c: Config = serde_json::from_str(r#"{"architecture":"","created":"0001-01-01T00:00:00Z","config":{"Env":[]},"rootfs":{"type":"layers","diff_ids":["sha256:bb"]},"os":""}"#).unwrap();
        let mut u = Update::new(Some((m, c)));
        assert!(u.add(&sig(b"new", "y")).is_some());
        let config = String::from_utf8(u.config_bytes()).unwrap();
        assert!(
            config.starts_with(r#"{"created":"0001-01-01T00:00:00Z","architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:bb","sha256:"#),
            "{config}"
        );
        assert_eq!(u.manifest.layers().len(), 2);
        assert_eq!(u.manifest.layers()[0].digest, "sha256:bb");
    }

    #[test]
    fn attachment_tags() {
        let d = Digest::sha256_of(b"");
        assert_eq!(tag(&d), format!("sha256-{}.sig", d.hex()));
    }
}
