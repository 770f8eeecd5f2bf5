//! Test images built in code: deterministic OCI layouts and `dir:` images, so tests need no
//! network and no image builder. skopeo reads them like any other image.

use std::io::Write;
use std::path::Path;

use sha2::{Digest as _, Sha256};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A tar of the given files, with fixed owners and times so the bytes are reproducible.
pub fn layer_tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_600_000_000);
        h.set_uid(0);
        h.set_gid(0);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Deterministic pseudo-random bytes (incompressible test data).
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// What an image is made of.
pub struct ImageSpec {
    /// Uncompressed layer tars, base first; stored gzip-compressed.
    pub layers: Vec<Vec<u8>>,
    pub labels: Vec<(String, String)>,
    pub env: Vec<String>,
    pub architecture: String,
    pub os: String,
    pub variant: Option<String>,
    /// Docker schema 2 media types instead of OCI ones.
    pub docker: bool,
}

impl ImageSpec {
    pub fn small(tag_seed: u64) -> ImageSpec {
        ImageSpec {
            layers: vec![
                layer_tar(&[("hello.txt", b"hello\n")]),
                layer_tar(&[("data.bin", &noise(4096, tag_seed))]),
            ],
            labels: vec![("a".into(), "b".into()), ("x".into(), "<y>&".into())],
            env: vec!["FOO=bar".into()],
            architecture: "amd64".into(),
            os: "linux".into(),
            variant: None,
            docker: false,
        }
    }
}

/// The blobs and manifest of an image, ready to be written in any layout.
pub struct Built {
    pub manifest: Vec<u8>,
    pub manifest_digest: String,
    pub config: Vec<u8>,
    pub blobs: Vec<Vec<u8>>,
}

pub fn build(spec: &ImageSpec) -> Built {
    let compressed: Vec<Vec<u8>> = spec.layers.iter().map(|l| gzip(l)).collect();
    let diff_ids: Vec<String> = spec.layers.iter().map(|l| sha256(l)).collect();
    let labels: serde_json::Map<String, serde_json::Value> = spec
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let mut config = serde_json::json!({
        "created": "2023-04-05T06:07:08.123456789Z",
        "architecture": spec.architecture,
        "os": spec.os,
        "config": {"Env": spec.env, "Labels": labels, "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2023-04-05T06:07:08Z", "created_by": "test"}],
    });
    if let Some(v) = &spec.variant {
        config["variant"] = serde_json::Value::String(v.clone());
    }
    let config = serde_json::to_vec(&config).unwrap();
    let (mt, cfg_mt, layer_mt) = if spec.docker {
        (DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER_GZIP)
    } else {
        (OCI_MANIFEST, OCI_CONFIG, OCI_LAYER_GZIP)
    };
    let layers: Vec<serde_json::Value> = compressed
        .iter()
        .map(|b| serde_json::json!({"mediaType": layer_mt, "digest": sha256(b), "size": b.len()}))
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": mt,
        "config": {"mediaType": cfg_mt, "digest": sha256(&config), "size": config.len()},
        "layers": layers,
    }))
    .unwrap();
    Built {
        manifest_digest: sha256(&manifest),
        manifest,
        config,
        blobs: compressed,
    }
}

fn write_blob(dir: &Path, bytes: &[u8]) {
    let d = sha256(bytes);
    let p = dir.join("blobs/sha256").join(&d["sha256:".len()..]);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// Writes an OCI layout with one tagged image; returns the manifest digest.
pub fn write_oci(dir: &Path, tag: &str, spec: &ImageSpec) -> Built {
    let built = build(spec);
    for b in &built.blobs {
        write_blob(dir, b);
    }
    write_blob(dir, &built.config);
    write_blob(dir, &built.manifest);
    let mt = if spec.docker {
        DOCKER_MANIFEST
    } else {
        OCI_MANIFEST
    };
    add_index_entry(dir, mt, &built.manifest, tag);
    built
}

/// Adds a tagged entry to a layout's index.json (creating the layout files as needed).
pub fn add_index_entry(dir: &Path, media_type: &str, manifest: &[u8], tag: &str) {
    std::fs::write(
        dir.join("oci-layout"),
        br#"{"imageLayoutVersion": "1.0.0"}"#,
    )
    .unwrap();
    let index_path = dir.join("index.json");
    let mut index: serde_json::Value = std::fs::read(&index_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| serde_json::json!({"schemaVersion": 2, "manifests": []}));
    index["manifests"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "mediaType": media_type,
            "digest": sha256(manifest),
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }));
    std::fs::write(index_path, serde_json::to_vec(&index).unwrap()).unwrap();
}

/// Writes a multi-platform image: each spec becomes an instance of an OCI index (or Docker
/// manifest list) tagged `tag`. Returns the index bytes.
pub fn write_oci_index(dir: &Path, tag: &str, specs: &[ImageSpec], docker_list: bool) -> Vec<u8> {
    let mut entries = Vec::new();
    for spec in specs {
        let built = build(spec);
        for b in &built.blobs {
            write_blob(dir, b);
        }
        write_blob(dir, &built.config);
        write_blob(dir, &built.manifest);
        let mut platform = serde_json::json!({"architecture": spec.architecture, "os": spec.os});
        if let Some(v) = &spec.variant {
            platform["variant"] = serde_json::Value::String(v.clone());
        }
        let mt = if spec.docker {
            DOCKER_MANIFEST
        } else {
            OCI_MANIFEST
        };
        entries.push(serde_json::json!({
            "mediaType": mt, "digest": built.manifest_digest, "size": built.manifest.len(), "platform": platform,
        }));
    }
    let list_mt = if docker_list {
        "application/vnd.docker.distribution.manifest.list.v2+json"
    } else {
        OCI_INDEX
    };
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": list_mt, "manifests": entries,
    }))
    .unwrap();
    write_blob(dir, &index);
    add_index_entry(dir, list_mt, &index, tag);
    index
}

/// Writes a `dir:` image.
pub fn write_dir(dir: &Path, spec: &ImageSpec) -> Built {
    let built = build(spec);
    std::fs::create_dir_all(dir).unwrap();
    for b in built.blobs.iter().chain(std::iter::once(&built.config)) {
        std::fs::write(dir.join(&sha256(b)["sha256:".len()..]), b).unwrap();
    }
    std::fs::write(dir.join("manifest.json"), &built.manifest).unwrap();
    std::fs::write(dir.join("version"), "Directory Transport Version: 1.1\n").unwrap();
    built
}
