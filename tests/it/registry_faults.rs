//! A registry whose connection drops in the middle of a blob: the download resumes with
//! `Range` where it stopped and the copy still verifies.

use crate::support::fixtures::{self, ImageSpec};
use crate::support::registry::{Proxy, ProxyMode, Registry};
use crate::support::*;

#[test]
fn dropped_blob_download_resumes_with_range() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    let spec = ImageSpec {
        layers: vec![fixtures::layer_tar(&[(
            "big.bin",
            &fixtures::noise(3 << 20, 51),
        )])],
        ..ImageSpec::small(51)
    };
    let built = fixtures::write_oci(&oci, "v1", &spec);
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", oci.display()),
        &reg.image("flaky/img:v1"),
    ]));
    let proxy = Proxy::start(reg.port, ProxyMode::CutFirstBlobAfter(1_500_000));
    let out = t.path().join("out");
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--src-tls-verify=false",
        &format!("docker://{}/flaky/img:v1", proxy.host()),
        &format!("dir:{}", out.display()),
    ]));
    assert_eq!(proxy.cuts.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(
        proxy
            .range_requests
            .load(std::sync::atomic::Ordering::SeqCst)
            >= 1
    );
    assert_eq!(
        std::fs::read(out.join("manifest.json")).unwrap(),
        built.manifest
    );
    let layer = &built.blobs[0];
    let name = &fixtures::sha256(layer)["sha256:".len()..];
    assert_eq!(&std::fs::read(out.join(name)).unwrap(), layer);
}
