//! The manifest-type fallback with a destination that rejects types (as registries do),
//! through the core [`copy`].

use std::sync::Arc;

use async_trait::async_trait;

use super::*;
use crate::blobcache::{BlobLocation, Fact};
use crate::contract::ManifestTypeRejected;
use crate::signature::Signature;
use crate::transport::dir::{DirDestination, DirSource};
use crate::transport::{
    BlobOrigin, BlobPresent, BlobStream, DestinationProperties, LocalBlob, UploadInfo,
};
use crate::types::BlobInfo;

struct Picky {
    inner: DirDestination,
    accept: Vec<&'static str>,
    tried: Arc<Mutex<Vec<String>>>,
}

#[async_trait]
impl ImageDestination for Picky {
    fn properties(&self) -> DestinationProperties {
        DestinationProperties {
            supported_manifest_types: vec![
                mt::OCI_MANIFEST,
                mt::DOCKER_V2_SCHEMA2,
                mt::DOCKER_V2_SCHEMA1_SIGNED,
                mt::DOCKER_V2_SCHEMA1,
            ],
            ..self.inner.properties()
        }
    }
    // Every other method is forwarded, so the decorator changes only manifest acceptance.
    fn ignores_embedded_docker_reference(&self) -> bool {
        self.inner.ignores_embedded_docker_reference()
    }
    async fn try_reuse_blob(&self, info: &BlobInfo) -> Result<Option<BlobInfo>> {
        self.inner.try_reuse_blob(info).await
    }
    fn blob_origin(&self) -> Option<BlobOrigin> {
        self.inner.blob_origin()
    }
    fn cache_location(&self) -> Option<BlobLocation> {
        self.inner.cache_location()
    }
    fn cached_facts(&self) -> Vec<Fact> {
        self.inner.cached_facts()
    }
    async fn try_reuse_cached(
        &self,
        d: &Digest,
        location: Option<&str>,
    ) -> Result<Option<BlobPresent>> {
        self.inner.try_reuse_cached(d, location).await
    }
    async fn try_reuse_blob_from(
        &self,
        info: &BlobInfo,
        origin: Option<&BlobOrigin>,
    ) -> Result<Option<BlobInfo>> {
        self.inner.try_reuse_blob_from(info, origin).await
    }
    async fn existing_manifest_digest(&self, instance: Option<&Digest>) -> Result<Option<Digest>> {
        self.inner.existing_manifest_digest(instance).await
    }
    async fn put_blob(&self, stream: BlobStream, info: &UploadInfo) -> Result<BlobInfo> {
        self.inner.put_blob(stream, info).await
    }
    async fn put_local_blob(&self, l: &LocalBlob, info: &BlobInfo) -> Result<Option<BlobInfo>> {
        self.inner.put_local_blob(l, info).await
    }
    async fn put_manifest(&self, bytes: &[u8], instance: Option<&Digest>) -> Result<()> {
        let t = manifest::guess_mime_type(bytes);
        self.tried.lock().unwrap().push(t.clone());
        if !self.accept.contains(&t.as_str()) {
            return Err(ManifestTypeRejected(format!("manifest type {t} is not accepted")).into());
        }
        self.inner.put_manifest(bytes, instance).await
    }
    async fn put_signatures(&self, s: &[Signature], i: Option<&Digest>) -> Result<()> {
        self.inner.put_signatures(s, i).await
    }
    async fn commit(self: Box<Self>) -> Result<()> {
        Box::new(self.inner).commit().await
    }
}

/// A small OCI image in a `dir:`.
fn oci_dir(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).unwrap();
    let mut tar = vec![0u8; 1024];
    tar[..5].copy_from_slice(b"hello");
    let mut gz = Vec::new();
    crate::compression::compress(
        crate::compression::Algorithm::Gzip,
        None,
        &mut &tar[..],
        &mut gz,
    )
    .unwrap();
    let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"history":[{"created_by":"x"}]}"#;
    for b in [&gz[..], &config[..]] {
        std::fs::write(dir.join(Digest::sha256_of(b).hex()), b).unwrap();
    }
    let m = serde_json::json!({
        "schemaVersion": 2, "mediaType": mt::OCI_MANIFEST,
        "config": {"mediaType": mt::OCI_CONFIG, "digest": Digest::sha256_of(config), "size": config.len()},
        "layers": [{"mediaType": mt::OCI_LAYER_GZIP, "digest": Digest::sha256_of(&gz), "size": gz.len()}],
    });
    std::fs::write(dir.join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    std::fs::write(dir.join("version"), "Directory Transport Version: 1.1\n").unwrap();
}

async fn copy_to_picky(accept: Vec<&'static str>) -> (Result<Bytes>, Vec<String>) {
    let t = tempfile::tempdir().unwrap();
    let src_path = t.path().join("src");
    oci_dir(&src_path);
    let dest_path = t.path().join("dest");
    let src_name = ImageName::Dir(src_path.clone());
    let dest_name = ImageName::Dir(dest_path.clone());
    let ctx = SystemContext::default();
    let tried = Arc::new(Mutex::new(Vec::new()));
    let dest = Picky {
        inner: DirDestination::open(&dest_path, &ctx).unwrap(),
        accept,
        tried: tried.clone(),
    };
    let mut options = Options::default();
    options.dest_ctx.blob_info_cache_dir = Some(t.path().join("cache"));
    let policy = Policy::insecure_accept_anything();
    let names = Names {
        source: ImageLabel::of(&src_name),
        dest: ImageLabel::of(&dest_name),
        source_policy: transport::policy_subject(&src_name),
    };
    let res = copy(
        Box::new(DirSource::open(&src_path).unwrap()),
        Box::new(dest),
        &names,
        &policy,
        &options,
        &progress::Silent,
        None,
    )
    .await
    .map(|c| c.manifest);
    let tried = tried.lock().unwrap().clone();
    (res, tried)
}

#[tokio::test]
async fn rejected_type_falls_back_in_c_image_order() {
    let (res, tried) = copy_to_picky(vec![mt::DOCKER_V2_SCHEMA2]).await;
    let written = res.unwrap();
    assert_eq!(manifest::guess_mime_type(&written), mt::DOCKER_V2_SCHEMA2);
    assert_eq!(tried, vec![mt::OCI_MANIFEST, mt::DOCKER_V2_SCHEMA2]);
}

#[tokio::test]
async fn every_type_rejected_lists_the_attempts() {
    let (res, tried) = copy_to_picky(vec![]).await;
    let err = format!("{:#}", res.unwrap_err());
    assert!(
        err.starts_with(&format!(
            "Uploading manifest failed, attempted the following formats: {}(writing manifest: manifest type {} is not accepted), {}(",
            mt::OCI_MANIFEST,
            mt::OCI_MANIFEST,
            mt::DOCKER_V2_SCHEMA2
        )),
        "{err}"
    );
    // Every candidate is tried, as c/image does: OCI, schema 2, then schema 1 signed and
    // unsigned (both written signed).
    assert_eq!(tried.len(), 4, "{tried:?}");
    assert!(err.contains(mt::DOCKER_V2_SCHEMA1_SIGNED));
}
