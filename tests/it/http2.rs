//! HTTP/2 with registries that offer it over TLS (ALPN `h2`) for everything but blob bytes,
//! HTTP/1.1 with those that do not, never h2c on plain HTTP. What protocol each request used is read from the registry's
//! own access log (`"GET /v2/ HTTP/2.0" … "skiff/…"`), never from skiff; skopeo 1.9.3 (which
//! speaks HTTP/1.1 to registries: c/image's transport has its own dialer, which turns Go's
//! automatic HTTP/2 off) reads back what skiff wrote.

use std::time::{Duration, Instant};

use crate::support::connect_proxy::ConnectProxy;
use crate::support::fixtures::{self, ImageSpec, layer_tar, noise};
use crate::support::oracle;
use crate::support::registry::{Options, Registry};
use crate::support::*;

/// One line of the registry's access log.
#[derive(Debug)]
struct Logged {
    method: String,
    path: String,
    proto: String,
    status: u16,
    agent: String,
}

fn access_log(reg: &Registry) -> Vec<Logged> {
    let raw = std::fs::read(reg.dir.path().join("registry.log")).unwrap_or_default();
    String::from_utf8_lossy(&raw)
        .lines()
        .filter_map(|line| {
            // … "METHOD PATH PROTO" STATUS SIZE "REFERER" "AGENT"
            let (_, rest) = line.split_once('"')?;
            let (request, rest) = rest.split_once('"')?;
            let mut r = request.split(' ');
            let (method, path, proto) = (r.next()?, r.next()?, r.next()?);
            let status = rest.split_whitespace().next()?.parse().ok()?;
            let agent = rest.rsplit('"').nth(1)?.to_string();
            Some(Logged {
                method: method.into(),
                path: path.split('?').next()?.into(),
                proto: proto.into(),
                status,
                agent,
            })
        })
        .collect()
}

/// The registry's log lines of skiff's requests, once `done` holds for them: the registry
/// writes a request's line just after answering it, so the last may lag the client's exit.
fn skiff_requests(reg: &Registry, done: impl Fn(&[Logged]) -> bool) -> Vec<Logged> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let lines: Vec<Logged> = access_log(reg)
            .into_iter()
            .filter(|l| l.agent.starts_with("skiff/"))
            .collect();
        if done(&lines) || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn has(lines: &[Logged], method: &str, path_part: &str) -> bool {
    lines
        .iter()
        .any(|l| l.method == method && l.path.contains(path_part))
}

/// A request carrying blob bytes: an upload (its body may be big) or a download.
fn is_blob_transfer(l: &Logged) -> bool {
    let upload = matches!(l.method.as_str(), "PUT" | "PATCH") && l.path.contains("/blobs/uploads/");
    let download = l.method == "GET" && l.path.contains("/blobs/sha256:");
    upload || download
}

/// Five layers pushed side by side: two small (sent over HTTP/2), two of 1.5 MiB (from
/// memory) and one of 6 MiB (streamed), both over HTTP/1.1 (see `MAX_HTTP2_BODY`); blobs up
/// to 4 MiB are downloaded over HTTP/2, the 6 MiB one over HTTP/1.1 (`is_big_blob_download`).
fn layered(seed: u64) -> ImageSpec {
    let mut spec = ImageSpec::small(seed);
    spec.layers
        .push(layer_tar(&[("a.bin", &noise(1536 << 10, seed + 1))]));
    spec.layers
        .push(layer_tar(&[("b.bin", &noise(1536 << 10, seed + 2))]));
    spec.layers
        .push(layer_tar(&[("c.bin", &noise(6 << 20, seed + 3))]));
    spec
}

fn multi_arch(dir: &std::path::Path) -> Vec<u8> {
    let mut arm = layered(90);
    arm.architecture = "arm64".into();
    arm.variant = Some("v8".into());
    fixtures::write_oci_index(dir, "v1", &[layered(80), arm], false)
}

/// Pushes and reads back through `reg` with skiff (a multi-layer image, a copy within the
/// registry, inspect, list-tags, a pull to `dir:`, `copy --all` of an index), checking each
/// result against the source and skopeo's reading. `certs` is the `--cert-dir` to use.
/// Returns the digest of the image's 6 MiB layer.
fn round_trip(reg: &Registry, certs: &std::path::Path, t: &std::path::Path) -> String {
    let certs = certs.to_str().unwrap();
    let oci = t.join("oci");
    let built = fixtures::write_oci(&oci, "v1", &layered(70));
    let src = format!("oci:{}:v1", oci.display());
    let app = reg.image("h2/app:v1");
    let cd = |flag: &'static str| [flag, certs];
    ok(skiff()
        .args(["--insecure-policy", "copy", "-q"])
        .args(cd("--dest-cert-dir"))
        .args([&src, &app]));
    // Within the registry (a mount), then inspect with the repository's tags.
    let copy = reg.image("h2/copy:v2");
    ok(skiff()
        .args(["--insecure-policy", "copy", "-q"])
        .args(cd("--src-cert-dir"))
        .args(cd("--dest-cert-dir"))
        .args([&app, &copy]));
    let raw = ok(skiff()
        .args(["inspect", "--raw"])
        .args(cd("--cert-dir"))
        .arg(&copy));
    assert_eq!(raw.stdout, built.manifest);
    let inspect: serde_json::Value =
        serde_json::from_slice(&ok(skiff().arg("inspect").args(cd("--cert-dir")).arg(&app)).stdout)
            .unwrap();
    assert_eq!(inspect["Digest"], built.manifest_digest);
    assert_eq!(inspect["RepoTags"], serde_json::json!(["v1"]));
    let tags = ok(skiff()
        .arg("list-tags")
        .args(cd("--cert-dir"))
        .arg(reg.image("h2/copy")));
    let tags: serde_json::Value = serde_json::from_slice(&tags.stdout).unwrap();
    assert_eq!(tags["Tags"], serde_json::json!(["v2"]));
    // A pull: the same files as skopeo's pull of the same image.
    let (ours, theirs) = oracle::copy_both(t, "pull", &cd("--src-cert-dir"), &app, "dir");
    if let Some(theirs) = theirs {
        assert_same_tree(&ours, &theirs);
    }
    // A whole list, read back by skopeo: the index bytes, and every instance copied.
    let multi_oci = t.join("multi");
    let index = multi_arch(&multi_oci);
    let multi = reg.image("h2/multi:v1");
    ok(skiff()
        .args(["--insecure-policy", "copy", "-q", "--all"])
        .args(cd("--dest-cert-dir"))
        .arg(format!("oci:{}:v1", multi_oci.display()))
        .arg(&multi));
    let ours = ok(skiff()
        .args(["inspect", "--raw"])
        .args(cd("--cert-dir"))
        .arg(&multi));
    assert_eq!(ours.stdout, index);
    if let Some(mut s) = skopeo() {
        let theirs = ok(s
            .args(["inspect", "--raw"])
            .args(cd("--cert-dir"))
            .arg(&multi));
        assert_eq!(theirs.stdout, index);
        let mut s = skopeo().unwrap();
        ok(s.args(["--insecure-policy", "copy", "-q", "--all"])
            .args(cd("--src-cert-dir"))
            .arg(&multi)
            .arg(format!("oci:{}:back", t.join("back").display())));
    }
    fixtures::sha256(&built.blobs[4])
}

/// Every request skiff sent that `round_trip` needs, in the registry's log.
fn round_trip_logged(lines: &[Logged]) -> bool {
    has(lines, "PUT", "/h2/multi/manifests/v1")
        && has(lines, "GET", "/h2/multi/manifests/v1")
        && has(lines, "GET", "/h2/copy/tags/list")
}

#[test]
fn tls_registry_offering_http2_gets_it_with_client_certificates() {
    let Some(reg) = Registry::start_with(Options {
        tls: true,
        client_certs: true,
        ..Default::default()
    }) else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let certs = reg.certs.as_ref().unwrap();
    let big_layer = round_trip(&reg, &certs.client_cert_dir, t.path());
    let lines = skiff_requests(&reg, round_trip_logged);
    assert!(round_trip_logged(&lines), "{lines:#?}");
    // Everything but big blobs went over HTTP/2: pings, manifests (read, HEAD, written),
    // blob HEADs, upload sessions, mounts, tag lists, small blob downloads.
    for (method, part) in [
        ("GET", "/v2/"),
        ("HEAD", "/h2/app/manifests/v1"),
        ("HEAD", "/h2/app/blobs/"),
        ("POST", "/h2/app/blobs/uploads/"),
        ("POST", "/h2/copy/blobs/uploads/"),
        ("PUT", "/h2/app/manifests/v1"),
        ("GET", "/h2/app/manifests/v1"),
        ("GET", "/h2/app/tags/list"),
        ("GET", "/h2/copy/tags/list"),
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.method == method && l.path.contains(part) && l.proto == "HTTP/2.0"),
            "no {method} {part} over HTTP/2 in {lines:#?}"
        );
    }
    for l in lines.iter().filter(|l| !is_blob_transfer(l)) {
        assert_eq!(l.proto, "HTTP/2.0", "{l:?}");
    }
    // Small blobs (the config, the small layers) are uploaded over HTTP/2 too, big ones over
    // HTTP/1.1 connections; downloads likewise, as the registry saw them.
    let uploads: Vec<&Logged> = lines
        .iter()
        .filter(|l| is_blob_transfer(l) && l.method != "GET")
        .collect();
    assert!(
        uploads.iter().any(|l| l.proto == "HTTP/2.0"),
        "{uploads:#?}"
    );
    assert!(
        uploads.iter().any(|l| l.proto == "HTTP/1.1"),
        "{uploads:#?}"
    );
    assert!(uploads.iter().all(|l| l.status == 201 || l.status == 202));
    let downloads: Vec<&Logged> = lines
        .iter()
        .filter(|l| is_blob_transfer(l) && l.method == "GET")
        .collect();
    let (big, small): (Vec<&&Logged>, Vec<&&Logged>) =
        downloads.iter().partition(|l| l.path.ends_with(&big_layer));
    assert!(!big.is_empty() && !small.is_empty(), "{downloads:#?}");
    assert!(big.iter().all(|l| l.proto == "HTTP/1.1"), "{big:#?}");
    assert!(small.iter().all(|l| l.proto == "HTTP/2.0"), "{small:#?}");
}

#[test]
fn tls_registry_without_http2_and_plain_http_registry_get_http1() {
    let Some(reg) = Registry::start_with(Options {
        tls: true,
        http2_disabled: true,
        ..Default::default()
    }) else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let _ = round_trip(&reg, &reg.certs.as_ref().unwrap().cert_dir, t.path());
    let lines = skiff_requests(&reg, round_trip_logged);
    assert!(round_trip_logged(&lines), "{lines:#?}");
    for l in &lines {
        assert_eq!(l.proto, "HTTP/1.1", "{l:?}");
    }
    // Plain HTTP, HTTPS tried first (--tls-verify=false): HTTP/1.1 only, no h2c (an h2c
    // client's preface would show as `PRI * HTTP/2.0`).
    let Some(plain) = Registry::start() else {
        return;
    };
    let oci = t.path().join("plain-oci");
    let built = fixtures::write_oci(&oci, "v1", &layered(60));
    let dest = plain.image("plain/app:v1");
    ok(skiff()
        .args(["--insecure-policy", "copy", "-q", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:v1", oci.display()))
        .arg(&dest));
    let raw = ok(skiff().args(["inspect", "--raw", "--tls-verify=false", &dest]));
    assert_eq!(raw.stdout, built.manifest);
    let lines = skiff_requests(&plain, |l| has(l, "GET", "/plain/app/manifests/v1"));
    assert!(has(&lines, "PUT", "/plain/app/manifests/v1"), "{lines:#?}");
    for l in &lines {
        assert_eq!(l.proto, "HTTP/1.1", "{l:?}");
    }
    assert!(!plain.log().contains("HTTP/2.0"), "{}", plain.log());
}

#[test]
fn registry_refusal_over_http2_reads_as_skopeo_reads_it_over_http1() {
    let Some(reg) = Registry::start_with(Options {
        tls: true,
        ..Default::default()
    }) else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("multi");
    multi_arch(&oci);
    let cert_dir = reg
        .certs
        .as_ref()
        .unwrap()
        .cert_dir
        .to_str()
        .unwrap()
        .to_string();
    // The index alone: its instances are not in the registry, which refuses it (400).
    let dest = reg.image("h2/refused:v1");
    let src = format!("oci:{}:v1", oci.display());
    let failure = oracle::same_failure(
        &[
            "--insecure-policy",
            "copy",
            "-q",
            "--multi-arch",
            "index-only",
            "--dest-cert-dir",
            &cert_dir,
            &src,
            &dest,
        ],
        false,
    );
    assert_eq!(failure.code, 1);
    assert!(
        failure.message.contains("manifest blob unknown"),
        "{}",
        failure.message
    );
    // Every refusal the registry logged was an HTTP/2 answer (skiff tries the index in
    // more than one format, as skopeo does).
    let lines = skiff_requests(&reg, |l| has(l, "PUT", "/h2/refused/manifests/v1"));
    let puts: Vec<(&str, u16)> = lines
        .iter()
        .filter(|l| l.method == "PUT" && l.path.contains("/h2/refused/manifests/"))
        .map(|l| (l.proto.as_str(), l.status))
        .collect();
    assert!(!puts.is_empty(), "{lines:#?}");
    assert!(puts.iter().all(|p| *p == ("HTTP/2.0", 400)), "{puts:?}");
}

#[test]
fn http2_runs_through_an_https_proxy_tunnel_and_without_verification() {
    // `localhost` and loopback addresses are never proxied: the registry gets a name that
    // only the proxy resolves, and a certificate for it (self-signed, trusted by --cert-dir).
    let t = tempfile::tempdir().unwrap();
    let (cert, key) = (t.path().join("tls.crt"), t.path().join("tls.key"));
    if !require_tool("openssl") {
        return;
    }
    ok(std::process::Command::new("openssl")
        .args(["req", "-newkey", "rsa:2048", "-nodes", "-keyout"])
        .arg(&key)
        .args(["-x509", "-days", "2", "-out"])
        .arg(&cert)
        .args(["-subj", "/CN=h2.skiff.test", "-addext"])
        .arg("subjectAltName=DNS:h2.skiff.test,IP:127.0.0.1"));
    let cert_dir = t.path().join("cert-dir");
    std::fs::create_dir_all(&cert_dir).unwrap();
    std::fs::copy(&cert, cert_dir.join("h2.crt")).unwrap();
    let Some(reg) = Registry::start_with(Options {
        tls_cert: Some((cert, key)),
        ..Default::default()
    }) else {
        return;
    };
    let oci = t.path().join("oci");
    let built = fixtures::write_oci(&oci, "v1", &ImageSpec::small(50));
    ok(skiff()
        .args(["--insecure-policy", "copy", "-q", "--dest-cert-dir"])
        .arg(&cert_dir)
        .arg(format!("oci:{}:v1", oci.display()))
        .arg(reg.image("h2/tunnel:v1")));
    let name = format!("h2.skiff.test:{}", reg.port);
    let proxy = ConnectProxy::start(&[("h2.skiff.test", "127.0.0.1")]);
    let raw = ok(skiff()
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("HTTPS_PROXY", proxy.url())
        .args(["inspect", "--raw", "--cert-dir"])
        .arg(&cert_dir)
        .arg(format!("docker://{name}/h2/tunnel:v1")));
    assert_eq!(raw.stdout, built.manifest);
    assert!(proxy.seen().contains(&name), "{:?}", proxy.seen());
    // And directly with --tls-verify=false (no certificate checked, ALPN the same).
    let raw = ok(skiff()
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(reg.image("h2/tunnel:v1")));
    assert_eq!(raw.stdout, built.manifest);
    let manifest_gets = |l: &[Logged]| -> Vec<String> {
        l.iter()
            .filter(|l| l.method == "GET" && l.path == "/v2/h2/tunnel/manifests/v1")
            .map(|l| l.proto.clone())
            .collect()
    };
    let lines = skiff_requests(&reg, |l| manifest_gets(l).len() == 2);
    assert_eq!(
        manifest_gets(&lines),
        ["HTTP/2.0", "HTTP/2.0"],
        "{lines:#?}"
    );
}
