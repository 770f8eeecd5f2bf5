//! containers-storage ↔ docker-registry: images buildah built pushed by skiff and skopeo are
//! the same image; a registry image pulled into the store is what podman and skopeo expect.
//!
//! Store layers are uncompressed, so a push gzips them. skiff's gzip stream is not
//! byte-identical to Go's (pgzip), so the compressed layer digests, and with them the
//! manifest digest, differ from skopeo's; everything else is compared byte for byte, and
//! skopeo itself checks that skiff's layers decompress to the config's diff IDs.

use crate::storage::{Store, buildah_images, peers};
use crate::support::fixtures::{self, ImageSpec};
use crate::support::registry::Registry;
use crate::support::{self, ok, stdout};

/// The manifest digest a registry holds for `image` (as skopeo reports it).
fn registry_digest(image: &str) -> String {
    let out = ok(std::process::Command::new("skopeo").args([
        "inspect",
        "--tls-verify=false",
        "--format",
        "{{.Digest}}",
        image,
    ]));
    stdout(&out).trim().to_string()
}

/// The raw manifest a registry holds for `image`.
fn registry_manifest(image: &str) -> Vec<u8> {
    ok(
        std::process::Command::new("skopeo").args([
            "inspect",
            "--tls-verify=false",
            "--raw",
            image,
        ]),
    )
    .stdout
}

/// A manifest with its layers' compressed digests and sizes blanked.
fn without_layer_blobs(manifest: &[u8]) -> serde_json::Value {
    let mut m: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    for l in m["layers"].as_array_mut().unwrap() {
        l["digest"] = "…".into();
        l["size"] = 0.into();
    }
    m
}

/// `mine` and `theirs` (two pushes of one image) are the same image but for the bytes of the
/// compressed layers, and skopeo accepts `mine`'s layers as the config's diff IDs.
fn assert_same_pushed_image(mine: &str, theirs: &str) {
    assert_eq!(
        without_layer_blobs(&registry_manifest(mine)),
        without_layer_blobs(&registry_manifest(theirs)),
    );
    let config = |image: &str| {
        ok(std::process::Command::new("skopeo").args([
            "inspect",
            "--tls-verify=false",
            "--config",
            "--raw",
            image,
        ]))
        .stdout
    };
    assert_eq!(config(mine), config(theirs), "the same config");
    // c/image checks each layer's uncompressed digest against the config when it writes a
    // store: a layer that did not decompress to its diff ID fails this copy.
    let check = Store::new("vfs");
    ok(check.skopeo().args([
        "copy",
        "-q",
        "--src-tls-verify=false",
        mine,
        "containers-storage:localhost/check:1",
    ]));
}

#[test]
fn buildah_images_pushed_by_skiff_match_skopeos_pushes() {
    if !peers() {
        return;
    }
    let Some(reg) = Registry::start() else { return };
    let store = Store::new("vfs");
    buildah_images(&store);
    for (name, repo) in [("localhost/app:2", "app:2"), ("localhost/base:1", "base:1")] {
        let src = format!("containers-storage:{name}");
        let mine = reg.image(&format!("skiff/{repo}"));
        let theirs = reg.image(&format!("skopeo/{repo}"));
        ok(store
            .skiff()
            .args(["copy", "-q", "--dest-tls-verify=false", &src, &mine]));
        ok(store
            .skopeo()
            .args(["copy", "-q", "--dest-tls-verify=false", &src, &theirs]));
        assert_same_pushed_image(&mine, &theirs);
        // Without compression (--dest-oci-accept-uncompressed-layers) an OCI layout holds
        // the same files as skopeo's.
        let (a, b) = (store.path("skiff-oci"), store.path("skopeo-oci"));
        let _ = std::fs::remove_dir_all(&a);
        let _ = std::fs::remove_dir_all(&b);
        let plain = ["copy", "-q", "--dest-oci-accept-uncompressed-layers", &src];
        ok(store
            .skiff()
            .args(plain)
            .arg(format!("oci:{}:x", a.display())));
        ok(store
            .skopeo()
            .args(plain)
            .arg(format!("oci:{}:x", b.display())));
        support::assert_same_tree(&a, &b);
    }
}

#[test]
fn registry_image_pulled_into_the_store_is_what_podman_and_skopeo_expect() {
    if !peers() {
        return;
    }
    let Some(reg) = Registry::start() else { return };
    let store = Store::new("vfs");
    let layout = store.path("layout");
    let spec = ImageSpec::small(41);
    let built = fixtures::write_oci(&layout, "t", &spec);
    let remote = reg.image("pull/img:1");
    ok(support::skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &format!("oci:{}:t", layout.display()),
        &remote,
    ]));
    let pushed_digest = registry_digest(&remote);

    ok(store.skiff().args([
        "copy",
        "-q",
        "--src-tls-verify=false",
        &remote,
        "containers-storage:localhost/pulled:1",
    ]));
    let out = ok(store.podman().args([
        "image",
        "inspect",
        "--format",
        "{{.Id}} {{.Digest}} {{json .RootFS.Layers}}",
        "localhost/pulled:1",
    ]));
    let config_digest = fixtures::sha256(&built.config);
    let diff_ids: Vec<String> = spec.layers.iter().map(|l| fixtures::sha256(l)).collect();
    assert_eq!(
        stdout(&out).trim(),
        format!(
            "{} {pushed_digest} {}",
            &config_digest["sha256:".len()..],
            serde_json::to_string(&diff_ids).unwrap()
        )
    );
    // skopeo reads back the manifest the registry served, and pushes it unchanged.
    let raw =
        ok(store
            .skopeo()
            .args(["inspect", "--raw", "containers-storage:localhost/pulled:1"]))
        .stdout;
    assert_eq!(raw, registry_manifest(&remote));
    let back = reg.image("pull/back:1");
    ok(store.skopeo().args([
        "copy",
        "-q",
        "--dest-tls-verify=false",
        "containers-storage:localhost/pulled:1",
        &back,
    ]));
    let back_skiff = reg.image("pull/back-skiff:1");
    ok(store.skiff().args([
        "copy",
        "-q",
        "--dest-tls-verify=false",
        "containers-storage:localhost/pulled:1",
        &back_skiff,
    ]));
    assert_same_pushed_image(&back_skiff, &back);
}
