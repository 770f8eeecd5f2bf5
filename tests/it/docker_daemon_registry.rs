//! registry → docker-daemon → registry/oci round trips through a local `docker-registry`.

use crate::support::dockerd;
use crate::support::fixtures::{self, ImageSpec};
use crate::support::registry::Registry;
use crate::support::*;

#[test]
fn registry_to_daemon_to_registry_and_oci() {
    let Some(d) = dockerd::shared() else { return };
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let spec = ImageSpec::small(31);
    let diff_ids: Vec<String> = spec.layers.iter().map(|l| fixtures::sha256(l)).collect();
    let built = fixtures::write_oci(&t.path().join("src"), "v1", &spec);
    let src = format!("oci:{}:v1", t.path().join("src").display());
    let remote = reg.image("rt/img:1");
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &src,
        &remote,
    ]));
    ok(skiff().env("DOCKER_HOST", &d.host).args([
        "--insecure-policy",
        "copy",
        "-q",
        "--src-tls-verify=false",
        &remote,
        "docker-daemon:localhost/reg:1",
    ]));
    assert_eq!(
        d.image_id("localhost/reg:1"),
        Some(fixtures::sha256(&built.config))
    );
    assert_eq!(d.diff_ids("localhost/reg:1"), diff_ids);
    let back = reg.image("rt/back:1");
    ok(skiff().env("DOCKER_HOST", &d.host).args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        "docker-daemon:localhost/reg:1",
        &back,
    ]));
    let oci = t.path().join("oci");
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--src-tls-verify=false",
        &back,
        &format!("oci:{}:x", oci.display()),
    ]));
    let cfg = ok(skiff().args(["inspect", "--config", &format!("oci:{}:x", oci.display())]));
    let cfg: serde_json::Value = serde_json::from_slice(&cfg.stdout).unwrap();
    assert_eq!(cfg["rootfs"]["diff_ids"], serde_json::json!(diff_ids));
    // skopeo reads both of skiff's results, the registry's and the layout, to the same layers.
    for (name, extra) in [
        (back.clone(), &["--src-tls-verify=false"][..]),
        (format!("oci:{}:x", oci.display()), &[][..]),
    ] {
        if let Some(theirs) = crate::support::skopeo_diff_ids(&name, extra) {
            assert_eq!(theirs, diff_ids, "{name}");
        }
    }
}
