//! Mirroring many images with shared base layers into an empty registry: skiff's concurrency
//! must never cost a run. distribution 2.8 answers a blob HEAD with 500 while another request
//! writes the same blob's link file; skiff must neither cause that race nor fail on it.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::fixtures::{self, ImageSpec};
use crate::support::registry::{Registry, http};
use crate::support::*;
use crate::sync::{manifest, sync};

const REPOS: usize = 20;
const TAGS: [&str; 3] = ["v1", "v2", "v3"];

/// The images of the mirror scenario: every image has three base layers shared by all, and
/// two of its own. Returns (repository, tag) → manifest digest, as computed by the fixture.
fn seed_source(reg: &Registry) -> BTreeMap<(String, String), String> {
    let base: Vec<Vec<u8>> = (0..3)
        .map(|i| fixtures::layer_tar(&[("base.bin", &fixtures::noise(256 << 10, 900 + i))]))
        .collect();
    let mut want = BTreeMap::new();
    for r in 0..REPOS {
        let repo = format!("mirror/app{r:02}");
        for (t, tag) in TAGS.iter().enumerate() {
            let seed = (r * 10 + t) as u64;
            let mut layers = base.clone();
            layers.push(fixtures::layer_tar(&[(
                "own1",
                &fixtures::noise(8192, seed),
            )]));
            layers.push(fixtures::layer_tar(&[(
                "own2",
                &fixtures::noise(4096, seed + 5000),
            )]));
            let built = fixtures::build(&ImageSpec {
                layers,
                ..ImageSpec::small(seed)
            });
            for blob in built.blobs.iter().chain(std::iter::once(&built.config)) {
                push_blob(&reg.host, &repo, blob);
            }
            let (status, body) = http(
                &reg.host,
                "PUT",
                &format!("/v2/{repo}/manifests/{tag}"),
                &[("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
                &built.manifest,
            );
            assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
            want.insert((repo.clone(), tag.to_string()), built.manifest_digest);
        }
    }
    want
}

/// A monolithic upload (POST, then PUT with the whole body), straight to the registry.
fn push_blob(host: &str, repo: &str, blob: &[u8]) {
    let mut conn = TcpStream::connect(host).unwrap();
    write!(
        conn,
        "POST /v2/{repo}/blobs/uploads/ HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    let location = answer
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("location")
                .then(|| v.trim().to_string())
        })
        .expect("upload location");
    let path = location
        .split_once(host)
        .map(|(_, p)| p.to_string())
        .unwrap_or(location);
    let sep = if path.contains('?') { '&' } else { '?' };
    let (status, body) = http(
        host,
        "PUT",
        &format!("{path}{sep}digest={}", fixtures::sha256(blob)),
        &[("Content-Type", "application/octet-stream")],
        blob,
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
}

fn yaml_for(dir: &std::path::Path, src: &Registry) -> std::path::PathBuf {
    let mut yaml = format!("{}:\n  tls-verify: false\n  images:\n", src.host);
    for r in 0..REPOS {
        yaml.push_str(&format!("    mirror/app{r:02}: []\n"));
    }
    let path = dir.join("sync.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

/// Every image at the destination, with the source's manifest digest.
fn assert_mirrored(dest_host: &str, want: &BTreeMap<(String, String), String>) {
    for ((repo, tag), digest) in want {
        let name = repo.rsplit('/').next().unwrap();
        let got = manifest(dest_host, &format!("copies/{name}"), tag);
        assert_eq!(&fixtures::sha256(&got), digest, "{repo}:{tag}");
    }
}

fn cold_sync(dest_host: &str, yaml: &std::path::Path) -> std::process::Output {
    run(sync(
        skiff(),
        &[
            "--src",
            "yaml",
            "--dest",
            "docker",
            "--dest-tls-verify=false",
        ],
    )
    .arg(yaml)
    .arg(format!("{dest_host}/copies")))
}

#[test]
fn cold_mirror_of_many_images_never_fails_on_registry_races() {
    let Some(src) = Registry::start() else { return };
    let want = seed_source(&src);
    let t = tempfile::tempdir().unwrap();
    let yaml = yaml_for(t.path(), &src);
    let runs = 20;
    let mut failures = Vec::new();
    for run_no in 0..runs {
        // A new, empty destination each time: every run is cold.
        let dest = Registry::start().unwrap();
        let out = cold_sync(&dest.host, &yaml);
        if out.status.success() {
            assert_mirrored(&dest.host, &want);
        } else {
            failures.push(format!(
                "run {run_no}: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}/{runs} cold syncs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn random_500s_on_blob_heads_are_retried() {
    let Some(src) = Registry::start() else { return };
    let want = seed_source(&src);
    let dest = Registry::start().unwrap();
    let proxy = FaultProxy::start(dest.port, 10);
    let t = tempfile::tempdir().unwrap();
    let yaml = yaml_for(t.path(), &src);
    let out = cold_sync(&proxy.host(), &yaml);
    assert!(
        out.status.success(),
        "sync through the fault proxy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let injected = proxy.injected.load(Ordering::SeqCst);
    assert!(injected > 0, "the proxy answered no HEAD with 500");
    assert_mirrored(&dest.host, &want);
}

/// The scope sets of the tokens the registry's token server handed out since `from`.
fn tokens_since(reg: &Registry, from: usize) -> Vec<Vec<String>> {
    let server = reg.token_server.as_ref().unwrap();
    server.scopes.lock().unwrap()[from..].to_vec()
}

/// Token auth across a sync: every image opens its own source and destination, but the
/// token server is asked once per scope set for the whole run, not once per image (the
/// issue's target; skopeo asks per image). No real token server exists here: the test's own
/// (tests/it/support/registry.rs) signs the JWTs distribution checks, and counts them.
#[test]
fn a_sync_asks_one_token_per_scope_set() {
    let Some(reg) = Registry::start_with(crate::support::registry::Options {
        token: Some(crate::support::registry::TokenOptions {
            user: Some(("bob".into(), "hunter2".into())),
            lifetime: None,
        }),
        ..Default::default()
    }) else {
        return;
    };
    let tags: Vec<(String, u64)> = (0..6).map(|i| (format!("v{i}"), 70 + i)).collect();
    let tags: Vec<(&str, u64)> = tags.iter().map(|(t, s)| (t.as_str(), *s)).collect();
    crate::sync::push_images(&reg, "tok/app", &tags, Some("bob:hunter2"));
    let issued = || {
        reg.token_server
            .as_ref()
            .unwrap()
            .scopes
            .lock()
            .unwrap()
            .len()
    };
    let args = |dest: &str| {
        vec![
            "--src".to_string(),
            "docker".into(),
            "--dest".into(),
            "docker".into(),
            "--src-tls-verify=false".into(),
            "--dest-tls-verify=false".into(),
            "--src-creds".into(),
            "bob:hunter2".into(),
            "--dest-creds".into(),
            "bob:hunter2".into(),
            format!("{}/tok/app", reg.host),
            format!("{}/{dest}", reg.host),
        ]
    };
    let before = issued();
    let a = args("ours");
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    ok(&mut sync(skiff(), &a));
    let ours = tokens_since(&reg, before);
    let token = reg.token_server.as_ref().unwrap().token_for(
        &["repository:tok/app:pull", "repository:ours/app:pull"],
        Some(("bob", "hunter2")),
    );
    let bearer = format!("Bearer {token}");
    let manifest = |repo: &str, tag: &str| {
        let (status, body) = http(
            &reg.host,
            "GET",
            &format!("/v2/{repo}/manifests/{tag}"),
            &[
                ("Accept", crate::sync::ALL_MANIFESTS),
                ("Authorization", &bearer),
            ],
            b"",
        );
        assert_eq!(status, 200, "{repo}:{tag}");
        fixtures::sha256(&body)
    };
    for (tag, _) in &tags {
        assert_eq!(manifest("ours/app", tag), manifest("tok/app", tag), "{tag}");
    }
    // Blobs went by cross-repository mount: its token names both repositories.
    assert!(
        ours.iter().any(|s| s.len() == 2),
        "no merged token for a mount: {ours:?}"
    );
    let mut distinct = ours.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        ours.len(),
        "a scope set was asked for twice: {ours:?}"
    );
    // Source pull, destination pull+push, and the two merged for mounts: at most one each.
    assert!(
        ours.len() <= 3,
        "{} tokens for {} images: {ours:?}",
        ours.len(),
        tags.len()
    );
    if let Some(skopeo) = skopeo() {
        let before = issued();
        let a = args("theirs");
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        ok(&mut sync(skopeo, &a));
        let theirs = tokens_since(&reg, before);
        eprintln!(
            "tokens for a sync of {} images: skiff {}, skopeo {}",
            tags.len(),
            ours.len(),
            theirs.len()
        );
        assert!(
            ours.len() < theirs.len(),
            "skiff {ours:?}, skopeo {theirs:?}"
        );
    }
}

/// A stand-in for a flaky network path (no real peer injects faults on cue): forwards to a
/// registry, answering every `percent`th blob HEAD (deterministically spread) with a 500 as
/// distribution words its link-file race.
struct FaultProxy {
    port: u16,
    injected: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    fn start(upstream: u16, percent: usize) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let injected = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(AtomicUsize::new(0));
        let (stop2, injected2) = (stop.clone(), injected.clone());
        std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let (i, h) = (injected2.clone(), heads.clone());
                        std::thread::spawn(move || {
                            let _ = forward(client, upstream, percent, &i, &h);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        FaultProxy {
            port,
            injected,
            stop,
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Forwards one client connection request by request (bodies by Content-Length or chunked).
fn forward(
    client: TcpStream,
    upstream: u16,
    percent: usize,
    injected: &AtomicUsize,
    heads: &AtomicUsize,
) -> std::io::Result<()> {
    let server = TcpStream::connect(("127.0.0.1", upstream))?;
    let mut server_r = BufReader::new(server.try_clone()?);
    let mut server_w = server;
    let mut client_w = client.try_clone()?;
    let mut reader = BufReader::new(client);
    if reader.fill_buf()?.first() == Some(&0x16) {
        return Ok(()); // an HTTPS attempt against plain HTTP: refused, as the registry would
    }
    loop {
        let Some(head) = read_head(&mut reader)? else {
            let _ = server_w.shutdown(Shutdown::Both);
            return Ok(());
        };
        let line = head[0].clone();
        let is_blob_head = line.starts_with("HEAD ") && line.contains("/blobs/sha256:");
        if is_blob_head
            && heads
                .fetch_add(1, Ordering::SeqCst)
                .is_multiple_of(100 / percent)
        {
            injected.fetch_add(1, Ordering::SeqCst);
            let body = r#"{"errors":[{"code":"UNKNOWN","message":"unknown error","detail":"invalid checksum digest format"}]}"#;
            write!(
                client_w,
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )?;
            continue;
        }
        server_w.write_all(head.concat().as_bytes())?;
        copy_body(&head, &mut reader, &mut server_w)?;
        let Some(answer) = read_head(&mut server_r)? else {
            return Ok(());
        };
        client_w.write_all(answer.concat().as_bytes())?;
        if !line.starts_with("HEAD ") {
            copy_body(&answer, &mut server_r, &mut client_w)?;
        }
    }
}

fn read_head(r: &mut impl BufRead) -> std::io::Result<Option<Vec<String>>> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let end = line == "\r\n";
        head.push(line);
        if end {
            return Ok(Some(head));
        }
    }
}

fn header<'a>(head: &'a [String], name: &str) -> Option<&'a str> {
    head.iter().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn copy_body(head: &[String], from: &mut impl BufRead, to: &mut impl Write) -> std::io::Result<()> {
    if header(head, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size_line = String::new();
            from.read_line(&mut size_line)?;
            to.write_all(size_line.as_bytes())?;
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let mut chunk = vec![0u8; size + 2];
            from.read_exact(&mut chunk)?;
            to.write_all(&chunk)?;
            if size == 0 {
                return Ok(());
            }
        }
    }
    let len: usize = header(head, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    from.read_exact(&mut body)?;
    to.write_all(&body)
}
