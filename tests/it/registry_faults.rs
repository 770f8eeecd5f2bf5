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
    // A gateway's or a busy registry's answer twice, then the answer: retried inside the
    // request.
    for status in [
        "502 Bad Gateway",
        "503 Service Unavailable",
        "504 Gateway Timeout",
    ] {
        let proxy = Proxy::start(
            reg.port,
            ProxyMode::Refuse {
                path: "/manifests/v1",
                times: 2,
                status,
                headers: "",
            },
        );
        let img = format!("docker://{}/busy/img:v1", proxy.host());
        let raw = ok(skiff().args(["inspect", "--raw", "--tls-verify=false", &img]));
        assert_eq!(raw.stdout, built.manifest, "{status}");
        assert_eq!(
            proxy.refused.load(std::sync::atomic::Ordering::SeqCst),
            3,
            "{status}"
        );
    }
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
    // 5 tries inside each of the 2 attempts.
    assert_eq!(proxy.refused.load(std::sync::atomic::Ordering::SeqCst), 10);
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

/// A minimal registry that takes uploads only in chunks of at most `max` bytes
/// (`OCI-Chunk-Max-Length`), checking each chunk's `Content-Range`.
struct ChunkedRegistry {
    port: u16,
    chunks: std::sync::Arc<std::sync::Mutex<Vec<usize>>>,
    stored: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>>,
}

impl ChunkedRegistry {
    fn start(max: usize) -> ChunkedRegistry {
        ChunkedRegistry::start_with(max, None)
    }

    /// With `cut`: the first PATCH keeps only its first `cut` bytes and the connection
    /// drops without an answer (a reset mid-chunk after part of it arrived).
    fn start_with(max: usize, cut: Option<usize>) -> ChunkedRegistry {
        use std::io::{BufRead, BufReader, Read, Write};
        use std::sync::{Arc, Mutex};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let chunks = Arc::new(Mutex::new(Vec::new()));
        let stored = Arc::new(Mutex::new(std::collections::HashMap::new()));
        let uploads: Arc<Mutex<std::collections::HashMap<String, Vec<u8>>>> = Arc::default();
        let (c2, s2) = (chunks.clone(), stored.clone());
        let cut_pending = Arc::new(std::sync::atomic::AtomicBool::new(cut.is_some()));
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (chunks, stored, uploads) = (c2.clone(), s2.clone(), uploads.clone());
                let cut_pending = cut_pending.clone();
                std::thread::spawn(move || {
                    let mut w = conn.try_clone().unwrap();
                    let mut r = BufReader::new(conn);
                    loop {
                        let mut line = String::new();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let mut headers = std::collections::HashMap::new();
                        loop {
                            let mut h = String::new();
                            r.read_line(&mut h).unwrap();
                            if h == "\r\n" {
                                break;
                            }
                            let (k, v) = h.split_once(':').unwrap();
                            headers.insert(k.to_ascii_lowercase(), v.trim().to_string());
                        }
                        let len: usize = headers
                            .get("content-length")
                            .map_or(0, |v| v.parse().unwrap());
                        let mut body = vec![0; len];
                        r.read_exact(&mut body).unwrap();
                        let mut parts = line.split_whitespace();
                        let (method, target) = (parts.next().unwrap(), parts.next().unwrap());
                        let (path, query) = target.split_once('?').unwrap_or((target, ""));
                        let mut extra = String::new();
                        let status = match (method, path) {
                            ("GET", "/v2/") => "200 OK",
                            ("POST", p) if p.ends_with("/blobs/uploads/") => {
                                let id = format!("u{}", uploads.lock().unwrap().len());
                                uploads.lock().unwrap().insert(id.clone(), Vec::new());
                                extra = format!(
                                    "Location: /upload/{id}\r\nOCI-Chunk-Max-Length: {max}\r\n"
                                );
                                "202 Accepted"
                            }
                            ("GET", p) if p.starts_with("/upload/") => {
                                let id = &p["/upload/".len()..];
                                let held = uploads.lock().unwrap().get(id).map_or(0, Vec::len);
                                extra = format!(
                                    "Location: /upload/{id}\r\nRange: 0-{}\r\n",
                                    held.saturating_sub(1)
                                );
                                "204 No Content"
                            }
                            ("PATCH", p) if p.starts_with("/upload/") => {
                                let id = &p["/upload/".len()..];
                                let mut ups = uploads.lock().unwrap();
                                let data = ups.get_mut(id).unwrap();
                                if let Some(n) = cut
                                    && cut_pending.swap(false, std::sync::atomic::Ordering::SeqCst)
                                {
                                    data.extend_from_slice(&body[..n.min(body.len())]);
                                    return;
                                }
                                let range =
                                    headers.get("content-range").cloned().unwrap_or_default();
                                let expected =
                                    format!("{}-{}", data.len(), data.len() + body.len() - 1);
                                if body.len() > max || range != expected {
                                    "416 Range Not Satisfiable"
                                } else {
                                    chunks.lock().unwrap().push(body.len());
                                    data.extend_from_slice(&body);
                                    extra = format!("Location: /upload/{id}\r\n");
                                    "202 Accepted"
                                }
                            }
                            ("PUT", p) if p.starts_with("/upload/") => {
                                let id = &p["/upload/".len()..];
                                let data = uploads.lock().unwrap().remove(id).unwrap();
                                let digest =
                                    query.strip_prefix("digest=").unwrap().replace("%3A", ":");
                                if fixtures::sha256(&data) == digest {
                                    stored.lock().unwrap().insert(digest, data);
                                    "201 Created"
                                } else {
                                    "400 Bad Request"
                                }
                            }
                            ("PUT", p) if p.contains("/manifests/") => {
                                stored.lock().unwrap().insert(p.to_string(), body.clone());
                                "201 Created"
                            }
                            _ => "404 Not Found",
                        };
                        let _ = write!(w, "HTTP/1.1 {status}\r\n{extra}Content-Length: 0\r\n\r\n");
                    }
                });
            }
        });
        ChunkedRegistry {
            port,
            chunks,
            stored,
        }
    }
}

#[test]
fn registries_that_take_limited_chunks_get_chunks() {
    let reg = ChunkedRegistry::start(1000);
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    let spec = ImageSpec {
        layers: vec![fixtures::layer_tar(&[(
            "x.bin",
            &fixtures::noise(5000, 53),
        )])],
        ..ImageSpec::small(53)
    };
    let built = fixtures::write_oci(&oci, "v1", &spec);
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", oci.display()),
        &format!("docker://127.0.0.1:{}/chunked/img:v1", reg.port),
    ]));
    let stored = reg.stored.lock().unwrap();
    for blob in built.blobs.iter().chain([&built.config]) {
        assert_eq!(stored.get(&fixtures::sha256(blob)), Some(blob));
    }
    assert_eq!(
        stored.get("/v2/chunked/img/manifests/v1"),
        Some(&built.manifest)
    );
    let chunks = reg.chunks.lock().unwrap();
    assert!(chunks.iter().all(|c| *c <= 1000), "{chunks:?}");
    assert!(chunks.len() > built.blobs.len() + 1, "{chunks:?}");
}

/// An image with one 3 MiB layer pushed to `reg` as `repo:v1`; returns the layer's bytes and
/// the manifest, as the fixture built them.
fn push_big_layer_image(reg: &Registry, repo: &str, seed: u64) -> (Vec<u8>, Vec<u8>) {
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    let spec = ImageSpec {
        layers: vec![fixtures::layer_tar(&[(
            "big.bin",
            &fixtures::noise(3 << 20, seed),
        )])],
        ..ImageSpec::small(seed)
    };
    let built = fixtures::write_oci(&oci, "v1", &spec);
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", oci.display()),
        &reg.image(&format!("{repo}:v1")),
    ]));
    (built.blobs[0].clone(), built.manifest)
}

fn pull_to_dir(proxy: &Proxy, repo: &str, out: &std::path::Path) -> std::process::Output {
    run(skiff().args([
        "--insecure-policy",
        "--idle-timeout=1s",
        "copy",
        "-q",
        "--src-tls-verify=false",
        &format!("docker://{}/{repo}:v1", proxy.host()),
        &format!("dir:{}", out.display()),
    ]))
}

#[test]
fn a_blob_body_that_stalls_is_resumed_after_the_idle_timeout() {
    let Some(reg) = Registry::start() else { return };
    let (layer, manifest) = push_big_layer_image(&reg, "stall/body", 53);
    let proxy = Proxy::start(reg.port, ProxyMode::StallFirstBlobAfter(1_000_000));
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let o = pull_to_dir(&proxy, "stall/body", &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(proxy.cuts.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(
        proxy
            .range_requests
            .load(std::sync::atomic::Ordering::SeqCst)
            >= 1
    );
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), manifest);
    let name = &fixtures::sha256(&layer)["sha256:".len()..];
    assert_eq!(std::fs::read(out.join(name)).unwrap(), layer);
}

#[test]
fn a_registry_silent_before_its_headers_is_asked_again() {
    let Some(reg) = Registry::start() else { return };
    let (_, manifest) = push_big_layer_image(&reg, "stall/head", 54);
    let proxy = Proxy::start(reg.port, ProxyMode::StallFirst("/manifests/v1"));
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let o = pull_to_dir(&proxy, "stall/head", &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The silent request and at least the one that replaced it.
    assert!(proxy.cuts.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), manifest);
}

#[test]
fn a_corrupt_blob_download_is_fetched_once_more() {
    let Some(reg) = Registry::start() else { return };
    let (layer, _) = push_big_layer_image(&reg, "corrupt/once", 55);
    let proxy = Proxy::start(reg.port, ProxyMode::CorruptFirstBlobAt(1_000_000));
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let o = pull_to_dir(&proxy, "corrupt/once", &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(proxy.cuts.load(std::sync::atomic::Ordering::SeqCst), 1);
    // The corrupt download and the fresh one (the config is a blob GET too).
    assert_eq!(proxy.refused.load(std::sync::atomic::Ordering::SeqCst), 3);
    let name = &fixtures::sha256(&layer)["sha256:".len()..];
    assert_eq!(std::fs::read(out.join(name)).unwrap(), layer);
}

#[test]
fn a_chunk_cut_part_way_is_resumed_where_the_registry_stands() {
    // A stand-in registry: no registry here limits chunks, and none lets a test cut a PATCH
    // after part of its body was stored.
    let reg = ChunkedRegistry::start_with(1000, Some(300));
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    let spec = ImageSpec {
        layers: vec![fixtures::layer_tar(&[(
            "x.bin",
            &fixtures::noise(5000, 56),
        )])],
        ..ImageSpec::small(56)
    };
    let built = fixtures::write_oci(&oci, "v1", &spec);
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", oci.display()),
        &format!("docker://127.0.0.1:{}/chunked/img:v1", reg.port),
    ]));
    let stored = reg.stored.lock().unwrap();
    // The PUT checked each blob's digest against the bytes the registry pieced together.
    for blob in built.blobs.iter().chain([&built.config]) {
        assert_eq!(stored.get(&fixtures::sha256(blob)), Some(blob));
    }
    // Every byte was sent once: the 300 the cut PATCH left, then the rest after it.
    let chunks = reg.chunks.lock().unwrap();
    let total: usize = built.blobs.iter().map(Vec::len).sum::<usize>() + built.config.len();
    assert_eq!(chunks.iter().sum::<usize>() + 300, total, "{chunks:?}");
}

#[test]
fn a_manifest_cut_short_is_fetched_again() {
    let Some(reg) = Registry::start() else { return };
    let (_, manifest) = push_big_layer_image(&reg, "cut/manifest", 56);
    let proxy = Proxy::start(reg.port, ProxyMode::TruncateFirst("/manifests/v1"));
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let o = pull_to_dir(&proxy, "cut/manifest", &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The cut answer and at least the one that replaced it.
    assert!(proxy.cuts.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), manifest);
}

#[test]
fn a_refused_blob_upload_is_sent_again() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    let built = fixtures::write_oci(&oci, "v1", &ImageSpec::small(57));
    // The first two PUTs (blobs: the manifest goes last) get a 503 after their body arrived.
    let proxy = Proxy::start(
        reg.port,
        ProxyMode::Refuse {
            path: "PUT /v2/retry/put/blobs/uploads/",
            times: 2,
            status: "503 Service Unavailable",
            headers: "",
        },
    );
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", oci.display()),
        &format!("docker://{}/retry/put:v1", proxy.host()),
    ]));
    // Every blob's PUT (config and layers) once, plus the two refused.
    assert_eq!(
        proxy.refused.load(std::sync::atomic::Ordering::SeqCst),
        built.blobs.len() + 1 + 2
    );
    let (status, got) = crate::support::registry::http(
        &reg.host,
        "GET",
        "/v2/retry/put/manifests/v1",
        &[("Accept", "application/vnd.oci.image.manifest.v1+json")],
        b"",
    );
    assert_eq!(status, 200);
    assert_eq!(got, built.manifest);
}

/// A layer too big to keep in memory for a replay (it streams from its source) whose upload
/// is refused is copied again from the source, which can be read twice.
#[test]
fn a_refused_big_blob_upload_is_copied_again_from_the_source() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let oci = t.path().join("oci");
    let spec = ImageSpec {
        layers: vec![fixtures::layer_tar(&[(
            "big.bin",
            &fixtures::noise(6 << 20, 58),
        )])],
        ..ImageSpec::small(58)
    };
    let built = fixtures::write_oci(&oci, "v1", &spec);
    assert!(built.blobs[0].len() > 4 << 20, "the layer streams");
    let proxy = Proxy::start(
        reg.port,
        ProxyMode::Refuse {
            path: "PUT /v2/retry/big/blobs/uploads/",
            times: 2,
            status: "500 Internal Server Error",
            headers: "",
        },
    );
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", oci.display()),
        &format!("docker://{}/retry/big:v1", proxy.host()),
    ]));
    assert_eq!(
        proxy.refused.load(std::sync::atomic::Ordering::SeqCst),
        built.blobs.len() + 1 + 2
    );
    // The registry holds exactly the layer's bytes.
    let (status, got) = crate::support::registry::http(
        &reg.host,
        "GET",
        &format!("/v2/retry/big/blobs/{}", fixtures::sha256(&built.blobs[0])),
        &[],
        b"",
    );
    assert_eq!(status, 200);
    assert!(got == built.blobs[0], "the layer's bytes");
}

/// A connection lost part way through a layer's upload: the layer is sent again (a small one
/// from memory by the request's own retry, a big one from its source by the engine) and the
/// registry ends up with the exact bytes.
#[test]
fn a_connection_lost_mid_upload_is_recovered() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let image = |name: &str, len: usize, seed: u64| {
        let dir = t.path().join(name);
        let spec = ImageSpec {
            layers: vec![fixtures::layer_tar(&[(
                "data.bin",
                &fixtures::noise(len, seed),
            )])],
            ..ImageSpec::small(seed)
        };
        (fixtures::write_oci(&dir, "v1", &spec), dir)
    };
    let small = image("small", 300 << 10, 59);
    let big = image("big", 6 << 20, 60);
    for ((built, oci), after, repo) in
        [(small, 100 << 10, "drop/small"), (big, 2 << 20, "drop/big")]
    {
        let proxy = Proxy::start(
            reg.port,
            ProxyMode::CutFirstUpload {
                path: "/blobs/uploads/",
                after,
            },
        );
        ok(skiff().args([
            "--insecure-policy",
            "copy",
            "-q",
            "--dest-tls-verify=false",
            &format!("oci:{}:v1", oci.display()),
            &format!("docker://{}/{repo}:v1", proxy.host()),
        ]));
        assert_eq!(
            proxy.cuts.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "{repo}"
        );
        for blob in &built.blobs {
            let (status, got) = crate::support::registry::http(
                &reg.host,
                "GET",
                &format!("/v2/{repo}/blobs/{}", fixtures::sha256(blob)),
                &[],
                b"",
            );
            assert_eq!(status, 200, "{repo}");
            assert!(got == *blob, "{repo}: the blob's bytes");
        }
    }
}

/// The `level=… msg=…` parts of skopeo/skiff's log lines, without their times.
fn log_messages(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.split_once(" level=").map(|(_, rest)| rest.to_string()))
        .collect()
}

#[test]
fn refused_connections_are_retried_only_by_retry_times_like_skopeo() {
    // Nothing listens on a port just freed.
    let port = crate::support::registry::free_port();
    let name = format!("docker://127.0.0.1:{port}/nothing/here:v1");
    let args = ["inspect", "--retry-times", "1", "--tls-verify=false", &name];
    let (code, err) = fails(skiff().args(args));
    assert_eq!(code, 1, "{err}");
    let got = log_messages(&err);
    // One retry, then the failure; the client itself does not retry a refusal.
    assert_eq!(got.len(), 2, "{err}");
    assert!(
        got[0].starts_with(
            "warning msg=\"Failed, retrying in 1s ... (1/1). Error: pinging container registry"
        ),
        "{err}"
    );
    assert!(got[1].ends_with("connect: connection refused\""), "{err}");
    if let Some(mut s) = skopeo() {
        let (scode, serr) = fails(s.args(args));
        assert_eq!((code, got), (scode, log_messages(&serr)));
    }
}
