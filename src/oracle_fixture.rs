//! Test-only: an OCI layout the unit tests build themselves, so the recorded skopeo tables
//! (policy errors, `inspect --format` output) can be re-checked against the installed skopeo.
//!
//! Tag `v2` describes the image the template tables were recorded on: the same config (created
//! time, author, labels, history, diff IDs) and the same layer digests. Its layer blobs are
//! absent, which `inspect` never reads; its manifest digest differs, so callers substitute it.
//! Tag `latest` is a complete one-layer image that `skopeo copy` can read.

use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

/// The manifest digest the template tables were recorded with.
pub const RECORDED_DIGEST: &str =
    "sha256:6699e863784b2bd8264448ce9f6ad51bdaf5a9dea1ddbca61bced6b67cf312ea";

const RECORDED_CONFIG: &str = r#"{"created":"2026-11-22T04:42:31.938715174Z","author":"me <me@x>","architecture":"amd64","os":"linux","config":{"Env":["FOO=bar"],"Cmd":["/hello"],"Labels":{"a":"b","io.buildah.version":"1.28.2","x":"<y>&"}},"rootfs":{"type":"layers","diff_ids":["sha256:0c79c76d775e445096fac719fe866e45ffa9b99a1d3878c680f035b122c75fae","sha256:cfcc49c2e64f6e120c2f158de0b7d06b2e627349e70c3a180d688f0618607eda"]},"history":[{"created":"2026-11-22T04:42:26.635381298Z","created_by":"/bin/sh"},{"created":"2026-11-22T04:42:32.000983421Z","created_by":"my step","author":"me <me@x>","comment":"FROM localhost/hello:latest"}]}"#;

const RECORDED_LAYERS: [&str; 2] = [
    "sha256:6f3b082e3181f258b6daaaa357d7c5d11a50e008de2e8e3de4014bf69a88b091",
    "sha256:7ef5a0e8e219ebacbb0df6bb331dcca94c6dbee45695527491fef4d585684a96",
];

fn put_blob(root: &Path, bytes: &[u8]) -> (String, usize) {
    let hex = hex::encode(Sha256::digest(bytes));
    fs::write(root.join("blobs/sha256").join(&hex), bytes).expect("write blob");
    (format!("sha256:{hex}"), bytes.len())
}

fn descriptor(media_type: &str, (digest, size): &(String, usize)) -> String {
    format!(r#"{{"mediaType":"{media_type}","digest":"{digest}","size":{size}}}"#)
}

fn manifest(config: &(String, usize), layers: &[String]) -> String {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[{}]}}"#,
        descriptor("application/vnd.oci.image.config.v1+json", config),
        layers.join(",")
    )
}

/// Writes the layout at `root` and returns the manifest digest of tag `v2`.
pub fn build(root: &Path) -> String {
    fs::create_dir_all(root.join("blobs/sha256")).expect("mkdir");
    fs::write(
        root.join("oci-layout"),
        r#"{"imageLayoutVersion": "1.0.0"}"#,
    )
    .expect("layout");

    let config = put_blob(root, RECORDED_CONFIG.as_bytes());
    // Sizes are made up: `inspect` reports digests only and never opens these blobs.
    let layers: Vec<String> = RECORDED_LAYERS
        .iter()
        .map(|d| {
            descriptor(
                "application/vnd.oci.image.layer.v1.tar+gzip",
                &(d.to_string(), 100),
            )
        })
        .collect();
    let v2 = put_blob(root, manifest(&config, &layers).as_bytes());

    // A real tar with one file, so `copy` can read every blob.
    let mut tar = vec![0u8; 512];
    tar[..5].copy_from_slice(b"hello");
    tar[100..108].copy_from_slice(b"0000644\0");
    tar[124..136].copy_from_slice(b"00000000000\0");
    tar[156] = b'0';
    tar[257..263].copy_from_slice(b"ustar\0");
    tar[263..265].copy_from_slice(b"00");
    tar[148..156].copy_from_slice(b"        ");
    let sum: u32 = tar.iter().map(|&b| u32::from(b)).sum();
    tar[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    tar.extend_from_slice(&[0u8; 1024]);
    let layer = put_blob(root, &tar);
    let layer_diff = layer.0.clone();
    let small_config = put_blob(
        root,
        format!(r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{layer_diff}"]}}}}"#)
            .as_bytes(),
    );
    let latest = put_blob(
        root,
        manifest(
            &small_config,
            &[descriptor("application/vnd.oci.image.layer.v1.tar", &layer)],
        )
        .as_bytes(),
    );

    let entry = |m: &(String, usize), tag: &str| {
        format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"{tag}"}}}}"#,
            m.0, m.1
        )
    };
    fs::write(
        root.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{},{}]}}"#,
            entry(&v2, "v2"),
            entry(&latest, "latest")
        ),
    )
    .expect("index");
    v2.0
}

/// Whether skopeo is here to ask; without it the oracle tests fail under CI=true and
/// otherwise say they did not run.
pub fn skopeo_available(test: &str) -> bool {
    let found = std::process::Command::new("skopeo")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{test}: skopeo (the oracle) is not installed"
        );
        eprintln!("{test}: SKIPPED, skopeo (the oracle) is not installed");
    }
    found
}
