//! The ocicrypt core (`skiff::ocicrypt`) against skopeo 1.9.3 with `jwe` keys made by
//! openssl: layers skopeo encrypted are unwrapped and decrypted here, and layers encrypted
//! here are decrypted by skopeo.

use std::path::Path;

use serde_json::{Value, json};
use skiff::ocicrypt::{self, LayerCipher, PublicOptions, jwe};

use crate::support::fixtures::{self, ImageSpec};
use crate::support::*;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// An RSA key pair made by openssl: (private PEM path, public PEM path).
pub(crate) fn rsa_keys(dir: &Path, name: &str) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    if !require_tool("openssl") {
        return None;
    }
    let private = dir.join(format!("{name}.pem"));
    let public = dir.join(format!("{name}.pub.pem"));
    ok(std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&private));
    ok(std::process::Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&private)
        .arg("-out")
        .arg(&public));
    Some((private, public))
}

fn blob(layout: &Path, digest: &str) -> Vec<u8> {
    std::fs::read(layout.join("blobs/sha256").join(&digest["sha256:".len()..])).unwrap()
}

fn write_blob(layout: &Path, bytes: &[u8]) -> String {
    let digest = fixtures::sha256(bytes);
    let path = layout.join("blobs/sha256").join(&digest["sha256:".len()..]);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    digest
}

fn manifest_of(layout: &Path) -> Value {
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    serde_json::from_slice(&blob(
        layout,
        index["manifests"][0]["digest"].as_str().unwrap(),
    ))
    .unwrap()
}

#[test]
fn layers_skopeo_encrypted_with_jwe_decrypt_here() {
    let t = tempfile::tempdir().unwrap();
    let Some((private, public)) = rsa_keys(t.path(), "k") else {
        return;
    };
    let Some((other, _)) = rsa_keys(t.path(), "other") else {
        return;
    };
    let src = t.path().join("src");
    let built = fixtures::write_oci(&src, "v1", &ImageSpec::small(81));
    let enc = t.path().join("enc");
    let Some(mut s) = skopeo() else { return };
    ok(
        s.args(["--insecure-policy", "copy", "-q", "--encryption-key"])
            .arg(format!("jwe:{}", public.display()))
            .arg(format!("oci:{}:v1", src.display()))
            .arg(format!("oci:{}:v1", enc.display())),
    );
    let key = jwe::parse_private_key(&std::fs::read(&private).unwrap()).unwrap();
    let wrong = jwe::parse_private_key(&std::fs::read(&other).unwrap()).unwrap();
    let manifest = manifest_of(&enc);
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), built.blobs.len());
    for (layer, original) in layers.iter().zip(&built.blobs) {
        let mime = layer["mediaType"].as_str().unwrap();
        assert_eq!(
            ocicrypt::decrypted_media_type(mime),
            Some("application/vnd.oci.image.layer.v1.tar+gzip")
        );
        let annotations = &layer["annotations"];
        let wrapped = annotations[ocicrypt::ANNOTATION_JWE].as_str().unwrap();
        let err = jwe::unwrap(wrapped, std::slice::from_ref(&wrong)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "JWE: No suitable private key found for decryption"
        );
        let opts = jwe::unwrap(wrapped, &[wrong.clone(), key.clone()]).unwrap();
        assert_eq!(opts.digest, fixtures::sha256(original));
        let public = PublicOptions::from_annotation(
            annotations[ocicrypt::ANNOTATION_PUBOPTS].as_str().unwrap(),
        )
        .unwrap();
        assert_eq!(public.cipher, ocicrypt::CIPHER_AES_CTR);
        let mut data = blob(&enc, layer["digest"].as_str().unwrap());
        let mut cipher = LayerCipher::new_decryption(&opts).unwrap();
        for chunk in data.chunks_mut(1000) {
            cipher.apply(chunk);
        }
        cipher.finish_decryption(&public.hmac).unwrap();
        assert_eq!(&data, original);
    }
}

#[test]
fn layers_encrypted_here_decrypt_with_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let Some((private, public)) = rsa_keys(t.path(), "k") else {
        return;
    };
    let built = fixtures::build(&ImageSpec::small(82));
    let key = jwe::parse_public_key(&std::fs::read(&public).unwrap()).unwrap();
    let enc = t.path().join("enc");
    let config_digest = write_blob(&enc, &built.config);
    let mut layers = Vec::new();
    for plain in &built.blobs {
        let (mut cipher, opts) = LayerCipher::new_encryption(&fixtures::sha256(plain));
        let mut data = plain.clone();
        for chunk in data.chunks_mut(777) {
            cipher.apply(chunk);
        }
        let public = PublicOptions {
            cipher: ocicrypt::CIPHER_AES_CTR.into(),
            hmac: cipher.finish_encryption(),
            cipheroptions: Default::default(),
        };
        let digest = write_blob(&enc, &data);
        layers.push(json!({
            "mediaType": ocicrypt::encrypted_media_type("application/vnd.oci.image.layer.v1.tar+gzip"),
            "digest": digest,
            "size": data.len(),
            "annotations": {
                ocicrypt::ANNOTATION_JWE: jwe::wrap(&opts, std::slice::from_ref(&key)).unwrap(),
                ocicrypt::ANNOTATION_PUBOPTS: public.to_annotation(),
            },
        }));
    }
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": built.config.len(),
        },
        "layers": layers,
    }))
    .unwrap();
    write_blob(&enc, &manifest);
    fixtures::add_index_entry(&enc, OCI_MANIFEST, &manifest, "v1");
    let out = t.path().join("out");
    let Some(mut s) = skopeo() else { return };
    ok(
        s.args(["--insecure-policy", "copy", "-q", "--decryption-key"])
            .arg(&private)
            .arg(format!("oci:{}:v1", enc.display()))
            .arg(format!("dir:{}", out.display())),
    );
    for plain in &built.blobs {
        let digest = fixtures::sha256(plain);
        let got = std::fs::read(out.join(&digest["sha256:".len()..])).unwrap();
        assert_eq!(&got, plain);
    }
}
