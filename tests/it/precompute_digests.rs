//! `--dest-precompute-digests`: a layer compressed on the way to a registry has no digest
//! until it is compressed; with the flag it is compressed to a temporary file first and not
//! sent when the registry has it. Upload counts come from the registry's access log and are
//! compared with skopeo's for the same two pushes.

use std::path::Path;

use crate::support::fixtures::{self, ImageSpec};
use crate::support::registry::Registry;
use crate::support::*;

/// Uploads the registry completed for `repo` (the PUT that ends each; mounts and sessions
/// opened but never used do not count).
fn uploads(reg: &Registry, repo: &str) -> usize {
    let wanted = format!("\"PUT /v2/{repo}/blobs/uploads/");
    reg.log().lines().filter(|l| l.contains(&wanted)).count()
}

/// A `dir:` image with uncompressed layers (so a registry push compresses them on the way).
fn uncompressed_dir(t: &Path, seed: u64) -> String {
    let oci = t.join(format!("oci-{seed}"));
    fixtures::write_oci(&oci, "v1", &ImageSpec::small(seed));
    let dir = t.join(format!("dir-{seed}"));
    let mut cmd = skopeo().unwrap_or_else(skiff);
    ok(cmd.args([
        "--insecure-policy",
        "copy",
        "--dest-decompress",
        &format!("oci:{}:v1", oci.display()),
        &format!("dir:{}", dir.display()),
    ]));
    format!("dir:{}", dir.display())
}

fn push(mut cmd: std::process::Command, src: &str, dest: &str, precompute: bool) {
    cmd.args(["--insecure-policy", "copy", "--dest-tls-verify=false"]);
    if precompute {
        cmd.arg("--dest-precompute-digests");
    }
    ok(cmd.args([src, dest]));
}

#[test]
fn precomputed_digests_skip_layers_the_registry_has_like_skopeo() {
    let Some(reg) = Registry::start() else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    // Both images start with the same layer.
    let first = uncompressed_dir(t.path(), 91);
    let second = uncompressed_dir(t.path(), 92);

    let second_push = |tool: &str, precompute: bool| {
        let repo = format!("{tool}-{precompute}/img");
        // Each skiff push gets an empty blob-info cache of its own (c/image's rootless
        // location), so what is measured is the flag, not what an earlier push taught.
        let pushes = std::sync::atomic::AtomicUsize::new(0);
        let cmd = || {
            if tool == "skopeo" {
                skopeo().unwrap()
            } else {
                let n = pushes.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let mut c = skiff();
                private_blob_cache(&mut c, &t.path().join(format!("cache-{repo}-{n}")));
                c
            }
        };
        push(cmd(), &first, &reg.image(&format!("{repo}:1")), false);
        let before = uploads(&reg, &repo);
        assert_eq!(before, 3, "{tool}: two layers and a config");
        push(cmd(), &second, &reg.image(&format!("{repo}:2")), precompute);
        uploads(&reg, &repo) - before
    };
    let ours = second_push("skiff", true);
    // The shared layer is not sent again: the new layer and the new config are.
    assert_eq!(ours, 2);
    if skopeo().is_some() {
        assert_eq!(ours, second_push("skopeo", true));
    }
    // Without the flag the compressed layer's digest is unknown until it is sent.
    assert_eq!(second_push("skiff", false), 3);
    // What was pushed reads back.
    ok(skiff().args([
        "inspect",
        "--tls-verify=false",
        &reg.image("skiff-true/img:2"),
    ]));
}
