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

#[test]
fn busy_registries_are_retried() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    let built = fixtures::write_oci(&oci, "v1", &ImageSpec::small(52));
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", oci.display()),
        &reg.image("busy/img:v1"),
    ]));
    // 503 twice, then the answer: retried inside the request.
    let proxy = Proxy::start(
        reg.port,
        ProxyMode::Refuse {
            path: "/manifests/v1",
            times: 2,
            status: "503 Service Unavailable",
            headers: "",
        },
    );
    let img = format!("docker://{}/busy/img:v1", proxy.host());
    let raw = ok(skiff().args(["inspect", "--raw", "--tls-verify=false", &img]));
    assert_eq!(raw.stdout, built.manifest);
    // 429 with Retry-After: waited for, then retried.
    let proxy = Proxy::start(
        reg.port,
        ProxyMode::Refuse {
            path: "/manifests/v1",
            times: 1,
            status: "429 Too Many Requests",
            headers: "Retry-After: 1\r\n",
        },
    );
    let img = format!("docker://{}/busy/img:v1", proxy.host());
    let started = std::time::Instant::now();
    let raw = ok(skiff().args(["inspect", "--raw", "--tls-verify=false", &img]));
    assert_eq!(raw.stdout, built.manifest);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    // A registry that stays unavailable fails in the end; --retry-times tries again.
    let proxy = Proxy::start(
        reg.port,
        ProxyMode::Refuse {
            path: "/manifests/v1",
            times: 1000,
            status: "503 Service Unavailable",
            headers: "",
        },
    );
    let img = format!("docker://{}/busy/img:v1", proxy.host());
    let (code, err) = fails(skiff().args([
        "inspect",
        "--tls-verify=false",
        "--retry-times=1",
        "--retry-delay=100ms",
        &img,
    ]));
    assert_eq!(code, 1);
    assert!(
        fatal_message(&err).ends_with("received unexpected HTTP status: 503 Service Unavailable"),
        "{err}"
    );
    assert!(err.contains("retrying"), "{err}");
    // 3 tries inside each of the 2 attempts.
    assert_eq!(proxy.refused.load(std::sync::atomic::Ordering::SeqCst), 6);
    // 404 is an answer: never retried.
    let proxy = Proxy::start(
        reg.port,
        ProxyMode::Refuse {
            path: "/manifests/nope",
            times: 0,
            status: "200 OK",
            headers: "",
        },
    );
    let (code, _) = fails(skiff().args([
        "inspect",
        "--tls-verify=false",
        "--retry-times=3",
        &format!("docker://{}/busy/img:nope", proxy.host()),
    ]));
    assert_eq!(code, 2);
    assert_eq!(proxy.refused.load(std::sync::atomic::Ordering::SeqCst), 1);
}
