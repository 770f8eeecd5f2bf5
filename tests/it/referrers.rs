//! `copy --referrers`, `--cosign-tags`, `inspect --referrers` and sync's `referrers: true`.
//!
//! Artifacts are built here and pushed with plain HTTP requests, the way the distribution
//! spec describes (blobs, then the manifest by digest, then — for a registry without the
//! referrers API — the fallback tag `sha256-HEX` holding an OCI index of descriptors),
//! independent of skiff. distribution 2.8 (docker-registry) has no referrers API, so it
//! tests the fallback tag schema; the API itself is tested against the small spec-following
//! stand-in in `standin.rs`.

mod standin;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;

use serde_json::{Value, json};

use crate::support::fixtures::{self, ImageSpec, OCI_INDEX, OCI_MANIFEST, sha256};
use crate::support::registry::Registry;
use crate::support::*;
use standin::{Mode, StandIn};

const EMPTY_CONFIG: &str = "application/vnd.oci.empty.v1+json";
const SBOM: &str = "application/spdx+json";
const SIGNATURE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request to a plain-HTTP registry (no auth).
fn request(host: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let mut conn = TcpStream::connect(host).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    conn.write_all(req.as_bytes()).unwrap();
    conn.write_all(body).unwrap();
    let mut out = Vec::new();
    conn.read_to_end(&mut out).unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let body = if method == "HEAD" {
        Vec::new()
    } else {
        out[split + 4..].to_vec()
    };
    Resp {
        status,
        headers,
        body,
    }
}

/// The path (and query) of a `Location`, absolute or not.
fn location_path(loc: &str) -> String {
    match loc.split_once("://") {
        Some((_, rest)) => rest[rest.find('/').unwrap()..].to_string(),
        None => loc.to_string(),
    }
}

fn push_blob(host: &str, repo: &str, bytes: &[u8]) {
    let r = request(
        host,
        "POST",
        &format!("/v2/{repo}/blobs/uploads/"),
        &[],
        b"",
    );
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let loc = location_path(r.header("Location").unwrap());
    let sep = if loc.contains('?') { '&' } else { '?' };
    let put = format!("{loc}{sep}digest={}", sha256(bytes));
    let r = request(
        host,
        "PUT",
        &put,
        &[("Content-Type", "application/octet-stream")],
        bytes,
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
}

fn push_manifest(host: &str, repo: &str, reference: &str, media_type: &str, bytes: &[u8]) {
    let r = request(
        host,
        "PUT",
        &format!("/v2/{repo}/manifests/{reference}"),
        &[("Content-Type", media_type)],
        bytes,
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
}

fn get_manifest(host: &str, repo: &str, reference: &str) -> Option<Vec<u8>> {
    let accept = format!("{OCI_MANIFEST}, {OCI_INDEX}");
    let r = request(
        host,
        "GET",
        &format!("/v2/{repo}/manifests/{reference}"),
        &[("Accept", &accept)],
        b"",
    );
    match r.status {
        200 => Some(r.body),
        404 => None,
        s => panic!("GET manifest {reference}: {s}"),
    }
}

/// The fallback tag of a sha256 digest.
fn tag_of(digest: &str) -> String {
    digest.replace(':', "-")
}

/// An image pushed to a registry; its manifest's digest, size and bytes.
struct Pushed {
    digest: String,
    bytes: Vec<u8>,
    media_type: &'static str,
}

fn push_image(host: &str, repo: &str, tag: &str, seed: u64) -> Pushed {
    let built = fixtures::build(&ImageSpec::small(seed));
    for b in built.blobs.iter().chain(std::iter::once(&built.config)) {
        push_blob(host, repo, b);
    }
    push_manifest(host, repo, tag, OCI_MANIFEST, &built.manifest);
    Pushed {
        digest: built.manifest_digest,
        bytes: built.manifest,
        media_type: OCI_MANIFEST,
    }
}

/// An artifact whose `subject` is `subject`: the empty config, one payload layer.
fn push_artifact(
    host: &str,
    repo: &str,
    subject: &Pushed,
    artifact_type: &str,
    payload: &[u8],
) -> Pushed {
    push_blob(host, repo, b"{}");
    push_blob(host, repo, payload);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": EMPTY_CONFIG, "digest": sha256(b"{}"), "size": 2},
        "layers": [{"mediaType": artifact_type, "digest": sha256(payload), "size": payload.len()}],
        "subject": {"mediaType": subject.media_type, "digest": subject.digest, "size": subject.bytes.len()},
        "annotations": {"org.opencontainers.image.created": "2024-01-02T03:04:05Z", "test.payload": String::from_utf8_lossy(payload)},
    }))
    .unwrap();
    let digest = sha256(&manifest);
    push_manifest(host, repo, &digest, OCI_MANIFEST, &manifest);
    Pushed {
        digest,
        bytes: manifest,
        media_type: OCI_MANIFEST,
    }
}

/// The descriptor a referrers list holds for an artifact (distribution spec 1.1).
fn descriptor(a: &Pushed) -> Value {
    let m: Value = serde_json::from_slice(&a.bytes).unwrap();
    json!({
        "mediaType": a.media_type,
        "digest": a.digest,
        "size": a.bytes.len(),
        "artifactType": m["artifactType"],
        "annotations": m["annotations"],
    })
}

/// Pushes the fallback tag of `subject` listing `referrers`, as a client of a registry
/// without the referrers API does.
fn push_fallback_index(host: &str, repo: &str, subject: &Pushed, referrers: &[&Pushed]) {
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": referrers.iter().map(|r| descriptor(r)).collect::<Vec<_>>(),
    }))
    .unwrap();
    push_manifest(host, repo, &tag_of(&subject.digest), OCI_INDEX, &index);
}

/// The digests (and the descriptors) a fallback tag lists.
fn fallback_listing(host: &str, repo: &str, subject: &str) -> Vec<Value> {
    let body = get_manifest(host, repo, &tag_of(subject))
        .unwrap_or_else(|| panic!("no fallback tag for {subject}"));
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["schemaVersion"], 2);
    assert_eq!(v["mediaType"], OCI_INDEX);
    v["manifests"].as_array().unwrap().clone()
}

fn digests(list: &[Value]) -> BTreeSet<String> {
    list.iter()
        .map(|d| d["digest"].as_str().unwrap().to_string())
        .collect()
}

/// An image with an SBOM and a signature, and a signature of the SBOM, in `host`/`repo`.
struct Attached {
    image: Pushed,
    sbom: Pushed,
    signature: Pushed,
    sbom_signature: Pushed,
}

fn image_with_referrers(host: &str, repo: &str, fallback: bool) -> Attached {
    let image = push_image(host, repo, "v1", 11);
    let sbom = push_artifact(host, repo, &image, SBOM, br#"{"spdxVersion":"SPDX-2.3"}"#);
    let signature = push_artifact(host, repo, &image, SIGNATURE, b"signature of the image");
    let sbom_signature = push_artifact(host, repo, &sbom, SIGNATURE, b"signature of the sbom");
    if fallback {
        push_fallback_index(host, repo, &image, &[&sbom, &signature]);
        push_fallback_index(host, repo, &sbom, &[&sbom_signature]);
    }
    Attached {
        image,
        sbom,
        signature,
        sbom_signature,
    }
}

fn copy_cmd(extra: &[&str], src: &str, dest: &str) -> std::process::Command {
    let mut c = skiff();
    c.args([
        "--insecure-policy",
        "copy",
        "-q",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
    ])
    .args(extra)
    .arg(src)
    .arg(dest);
    c
}

/// skopeo's view of a manifest at a registry (the oracle), else a plain GET.
fn raw_manifest(host: &str, repo: &str, digest: &str) -> Option<Vec<u8>> {
    if let Some(mut s) = skopeo() {
        let out = run(s.args([
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{host}/{repo}@{digest}"),
        ]));
        return out.status.success().then_some(out.stdout);
    }
    get_manifest(host, repo, digest)
}

#[test]
fn referrers_travel_through_the_fallback_tag_schema() {
    let Some(src) = Registry::start() else { return };
    let Some(dst) = Registry::start() else { return };
    let a = image_with_referrers(&src.host, "app", true);
    ok(&mut copy_cmd(
        &["--referrers"],
        &src.image("app:v1"),
        &dst.image("app:v1"),
    ));
    // Every referrer, at every depth, byte for byte (so digest and subject still hold).
    for r in [&a.image, &a.sbom, &a.signature, &a.sbom_signature] {
        assert_eq!(
            raw_manifest(&dst.host, "app", &r.digest).as_deref(),
            Some(&r.bytes[..]),
            "{}",
            r.digest
        );
    }
    // Their payloads too.
    let r = request(
        &dst.host,
        "GET",
        &format!("/v2/app/blobs/{}", sha256(b"signature of the sbom")),
        &[],
        b"",
    );
    assert_eq!(
        (r.status, &r.body[..]),
        (200, &b"signature of the sbom"[..])
    );
    // distribution 2.8 has no referrers API: the fallback tags list them, with the
    // artifactType and annotations the spec asks for.
    let listed = fallback_listing(&dst.host, "app", &a.image.digest);
    assert_eq!(
        digests(&listed),
        BTreeSet::from([a.sbom.digest.clone(), a.signature.digest.clone()])
    );
    for d in &listed {
        let want = if d["digest"] == a.sbom.digest.as_str() {
            descriptor(&a.sbom)
        } else {
            descriptor(&a.signature)
        };
        assert_eq!(*d, want);
    }
    let nested = fallback_listing(&dst.host, "app", &a.sbom.digest);
    assert_eq!(
        digests(&nested),
        BTreeSet::from([a.sbom_signature.digest.clone()])
    );
    // A second run changes nothing: the lists stay without duplicates.
    ok(&mut copy_cmd(
        &["--referrers"],
        &src.image("app:v1"),
        &dst.image("app:v1"),
    ));
    assert_eq!(fallback_listing(&dst.host, "app", &a.image.digest).len(), 2);
    // Without --referrers, nothing but the image.
    ok(&mut copy_cmd(
        &[],
        &src.image("app:v1"),
        &dst.image("plain:v1"),
    ));
    assert!(get_manifest(&dst.host, "plain", &a.sbom.digest).is_none());
    assert!(get_manifest(&dst.host, "plain", &tag_of(&a.image.digest)).is_none());
}

#[test]
fn artifact_type_filters_every_depth() {
    let Some(src) = Registry::start() else { return };
    let Some(dst) = Registry::start() else { return };
    let a = image_with_referrers(&src.host, "app", true);
    ok(&mut copy_cmd(
        &["--referrers", "--referrers-artifact-type", SBOM],
        &src.image("app:v1"),
        &dst.image("app:v1"),
    ));
    assert_eq!(
        get_manifest(&dst.host, "app", &a.sbom.digest).as_deref(),
        Some(&a.sbom.bytes[..])
    );
    assert!(get_manifest(&dst.host, "app", &a.signature.digest).is_none());
    assert!(get_manifest(&dst.host, "app", &a.sbom_signature.digest).is_none());
    assert_eq!(
        digests(&fallback_listing(&dst.host, "app", &a.image.digest)),
        BTreeSet::from([a.sbom.digest.clone()])
    );
    // Both types: everything.
    ok(&mut copy_cmd(
        &[
            "--referrers",
            "--referrers-artifact-type",
            SBOM,
            "--referrers-artifact-type",
            SIGNATURE,
        ],
        &src.image("app:v1"),
        &dst.image("both:v1"),
    ));
    for r in [&a.sbom, &a.signature, &a.sbom_signature] {
        assert!(get_manifest(&dst.host, "both", &r.digest).is_some());
    }
}

#[test]
fn every_instance_of_a_list_brings_its_referrers() {
    let Some(src) = Registry::start() else { return };
    let Some(dst) = Registry::start() else { return };
    let host = &src.host;
    let mut instances = Vec::new();
    for (arch, seed) in [("amd64", 21), ("arm64", 22)] {
        let spec = ImageSpec {
            architecture: arch.into(),
            ..ImageSpec::small(seed)
        };
        let built = fixtures::build(&spec);
        for b in built.blobs.iter().chain(std::iter::once(&built.config)) {
            push_blob(host, "multi", b);
        }
        push_manifest(
            host,
            "multi",
            &built.manifest_digest,
            OCI_MANIFEST,
            &built.manifest,
        );
        instances.push((arch, built));
    }
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": instances.iter().map(|(arch, b)| json!({
            "mediaType": OCI_MANIFEST, "digest": b.manifest_digest, "size": b.manifest.len(),
            "platform": {"architecture": arch, "os": "linux"},
        })).collect::<Vec<_>>(),
    }))
    .unwrap();
    push_manifest(host, "multi", "v1", OCI_INDEX, &index);
    let list = Pushed {
        digest: sha256(&index),
        bytes: index,
        media_type: OCI_INDEX,
    };
    let mut subjects: Vec<Pushed> = instances
        .into_iter()
        .map(|(_, b)| Pushed {
            digest: b.manifest_digest,
            bytes: b.manifest,
            media_type: OCI_MANIFEST,
        })
        .collect();
    subjects.push(list);
    let sboms: Vec<Pushed> = subjects
        .iter()
        .map(|s| {
            let sbom = push_artifact(host, "multi", s, SBOM, s.digest.as_bytes());
            push_fallback_index(host, "multi", s, &[&sbom]);
            sbom
        })
        .collect();
    ok(&mut copy_cmd(
        &["--all", "--referrers"],
        &src.image("multi:v1"),
        &dst.image("multi:v1"),
    ));
    for (subject, sbom) in subjects.iter().zip(&sboms) {
        assert_eq!(
            get_manifest(&dst.host, "multi", &sbom.digest).as_deref(),
            Some(&sbom.bytes[..])
        );
        assert_eq!(
            digests(&fallback_listing(&dst.host, "multi", &subject.digest)),
            BTreeSet::from([sbom.digest.clone()])
        );
    }
    // One instance (this machine's, or the one asked for): only its referrers.
    ok(&mut copy_cmd(
        &["--override-arch", "arm64", "--referrers"],
        &src.image("multi:v1"),
        &dst.image("one:v1"),
    ));
    assert!(get_manifest(&dst.host, "one", &sboms[1].digest).is_some());
    assert!(get_manifest(&dst.host, "one", &sboms[0].digest).is_none());
    assert!(get_manifest(&dst.host, "one", &sboms[2].digest).is_none());
}

/// distribution 2.8 has no referrers API and answers no `OCI-Subject`: the API side is
/// checked against the stand-in. Here the source lists referrers only through the API, and
/// ignores the artifactType filter (as a registry may): skiff filters itself.
#[test]
fn the_referrers_api_is_read_and_an_ignored_filter_applied_by_skiff() {
    let Some(dst) = Registry::start() else { return };
    let src = StandIn::start(Mode {
        api: true,
        apply_filter: false,
        ..Mode::default()
    });
    let a = image_with_referrers(&src.host, "app", false);
    ok(&mut copy_cmd(
        &["--referrers", "--referrers-artifact-type", SBOM],
        &format!("docker://{}/app:v1", src.host),
        &dst.image("app:v1"),
    ));
    assert_eq!(
        get_manifest(&dst.host, "app", &a.sbom.digest).as_deref(),
        Some(&a.sbom.bytes[..])
    );
    assert!(get_manifest(&dst.host, "app", &a.signature.digest).is_none());
    assert_eq!(
        digests(&fallback_listing(&dst.host, "app", &a.image.digest)),
        BTreeSet::from([a.sbom.digest.clone()])
    );
    let requests = src.state().requests.clone();
    let asked = format!("GET /v2/app/referrers/{}", a.image.digest);
    assert!(requests.contains(&asked), "{requests:#?}");
    assert!(
        !requests.iter().any(|r| r.contains("/manifests/sha256-")),
        "a registry with the API is not asked for fallback tags: {requests:#?}"
    );

    // A filtering stand-in says so, and everything else (the nested signature) is left out.
    let filtering = StandIn::start(Mode {
        api: true,
        apply_filter: true,
        ..Mode::default()
    });
    let b = image_with_referrers(&filtering.host, "app", false);
    ok(&mut copy_cmd(
        &["--referrers", "--referrers-artifact-type", SIGNATURE],
        &format!("docker://{}/app:v1", filtering.host),
        &dst.image("sig:v1"),
    ));
    assert!(get_manifest(&dst.host, "sig", &b.signature.digest).is_some());
    assert!(get_manifest(&dst.host, "sig", &b.sbom.digest).is_none());
}

/// A destination with the referrers API answers `OCI-Subject`: no fallback tag is written.
#[test]
fn a_destination_with_the_api_indexes_referrers_itself() {
    let Some(src) = Registry::start() else { return };
    let dst = StandIn::start(Mode {
        api: true,
        apply_filter: true,
        ..Mode::default()
    });
    let a = image_with_referrers(&src.host, "app", true);
    ok(&mut copy_cmd(
        &["--referrers"],
        &src.image("app:v1"),
        &format!("docker://{}/app:v1", dst.host),
    ));
    for r in [&a.sbom, &a.signature, &a.sbom_signature] {
        assert_eq!(
            dst.manifest("app", &r.digest).as_deref(),
            Some(&r.bytes[..])
        );
    }
    assert_eq!(dst.tags("app"), ["v1"]);

    // inspect --referrers reads the API there, and the fallback tags at the source.
    for (name, listed_by) in [
        (format!("docker://{}/app:v1", dst.host), "api"),
        (src.image("app:v1"), "tag"),
    ] {
        let out = ok(skiff().args(["inspect", "--tls-verify=false", "--referrers", &name]));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["Subject"], a.image.digest.as_str(), "{v}");
        assert_eq!(v["ListedBy"], listed_by);
        let top = v["Referrers"].as_array().unwrap();
        let found: BTreeSet<String> = top
            .iter()
            .map(|r| r["Digest"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            found,
            BTreeSet::from([a.sbom.digest.clone(), a.signature.digest.clone()])
        );
        let sbom = top
            .iter()
            .find(|r| r["Digest"] == a.sbom.digest.as_str())
            .unwrap();
        assert_eq!(sbom["ArtifactType"], SBOM);
        assert_eq!(sbom["MediaType"], OCI_MANIFEST);
        assert_eq!(sbom["Size"], a.sbom.bytes.len());
        assert_eq!(
            sbom["Annotations"]["org.opencontainers.image.created"],
            "2024-01-02T03:04:05Z"
        );
        assert_eq!(
            sbom["Referrers"][0]["Digest"],
            a.sbom_signature.digest.as_str()
        );
        assert_eq!(sbom["Referrers"][0]["Referrers"], json!([]));
        // Filtered: the SBOM only (its signature is of another type).
        let out = ok(skiff().args([
            "inspect",
            "--tls-verify=false",
            "--referrers",
            "--referrers-artifact-type",
            SBOM,
            &name,
        ]));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["Referrers"].as_array().unwrap().len(), 1, "{v}");
        assert_eq!(v["Referrers"][0]["Digest"], a.sbom.digest.as_str());
        assert_eq!(v["Referrers"][0]["Referrers"], json!([]));
    }
}

/// Two referrers of one subject are copied at the same time; a registry without the API
/// gets one fallback tag written by both: they take turns, and both stay listed.
#[test]
fn concurrent_referrers_of_one_subject_both_reach_the_fallback_index() {
    let Some(src) = Registry::start() else { return };
    let dst = StandIn::start(Mode {
        hold_tag_reads: true,
        ..Mode::default()
    });
    let a = image_with_referrers(&src.host, "app", true);
    ok(&mut copy_cmd(
        &["--referrers"],
        &src.image("app:v1"),
        &format!("docker://{}/app:v1", dst.host),
    ));
    let index: Value =
        serde_json::from_slice(&dst.manifest("app", &tag_of(&a.image.digest)).unwrap()).unwrap();
    assert_eq!(
        digests(index["manifests"].as_array().unwrap()),
        BTreeSet::from([a.sbom.digest.clone(), a.signature.digest.clone()])
    );
    assert_eq!(dst.state().overlaps, 0, "read-modify-writes overlapped");
}

#[test]
fn cosign_legacy_tags_on_request() {
    let Some(src) = Registry::start() else { return };
    let Some(dst) = Registry::start() else { return };
    let image = push_image(&src.host, "app", "v1", 31);
    // cosign's own layout: an image manifest tagged sha256-HEX.sig (no subject).
    let payload = br#"{"critical":{"type":"cosign container image signature"}}"#;
    let config = br#"{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]}}"#;
    push_blob(&src.host, "app", payload);
    push_blob(&src.host, "app", config);
    let sig = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "digest": sha256(payload), "size": payload.len(),
                    "annotations": {"dev.cosignproject.cosign/signature": "MEUCIQ"}}],
    }))
    .unwrap();
    let tag = format!("{}.sig", tag_of(&image.digest));
    push_manifest(&src.host, "app", &tag, OCI_MANIFEST, &sig);
    ok(&mut copy_cmd(
        &[],
        &src.image("app:v1"),
        &dst.image("app:v1"),
    ));
    assert!(get_manifest(&dst.host, "app", &tag).is_none());
    ok(&mut copy_cmd(
        &["--cosign-tags"],
        &src.image("app:v1"),
        &dst.image("app:v1"),
    ));
    assert_eq!(get_manifest(&dst.host, "app", &tag), Some(sig));
    assert!(get_manifest(&dst.host, "app", &format!("{}.att", tag_of(&image.digest))).is_none());
}

#[test]
fn sync_carries_referrers_from_yaml_and_flag() {
    let Some(src) = Registry::start() else { return };
    let Some(dst) = Registry::start() else { return };
    let a = image_with_referrers(&src.host, "app", true);
    let t = tempfile::tempdir().unwrap();
    let yaml = t.path().join("sync.yaml");
    std::fs::write(
        &yaml,
        format!(
            "{}:\n  tls-verify: false\n  referrers: true\n  images:\n    app: [v1]\n",
            src.host
        ),
    )
    .unwrap();
    ok(skiff().args([
        "--insecure-policy",
        "sync",
        "--src",
        "yaml",
        "--dest",
        "docker",
        "--dest-tls-verify=false",
        yaml.to_str().unwrap(),
        &format!("{}/mirror", dst.host),
    ]));
    for r in [&a.image, &a.sbom, &a.signature, &a.sbom_signature] {
        assert_eq!(
            get_manifest(&dst.host, "mirror/app", &r.digest).as_deref(),
            Some(&r.bytes[..])
        );
    }
    assert_eq!(
        digests(&fallback_listing(&dst.host, "mirror/app", &a.image.digest)),
        BTreeSet::from([a.sbom.digest.clone(), a.signature.digest.clone()])
    );
    // The flag, from a repository, with a filter.
    ok(skiff().args([
        "--insecure-policy",
        "sync",
        "--src",
        "docker",
        "--dest",
        "docker",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--referrers",
        "--referrers-artifact-type",
        SIGNATURE,
        &format!("{}/app", src.host),
        &format!("{}/flag", dst.host),
    ]));
    assert!(get_manifest(&dst.host, "flag/app", &a.signature.digest).is_some());
    assert!(get_manifest(&dst.host, "flag/app", &a.sbom.digest).is_none());
}

#[test]
fn bad_input_is_one_clear_line() {
    let one_line = |cmd: &mut std::process::Command, want: &str| {
        let (code, stderr) = fails(cmd);
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        let msg = fatal_message(&stderr);
        assert!(msg.contains(want), "{msg:?} lacks {want:?}");
    };
    let docker = "docker://127.0.0.1:1/a:b";
    let t = tempfile::tempdir().unwrap();
    let dir = format!("dir:{}", t.path().join("x").display());
    let dir = dir.as_str();
    one_line(
        &mut copy_cmd(&["--referrers-artifact-type", SBOM], docker, docker),
        "--referrers-artifact-type needs --referrers",
    );
    one_line(
        &mut copy_cmd(&["--referrers"], docker, dir),
        "--referrers and --cosign-tags copy between registries: both images must be docker:// names",
    );
    one_line(
        &mut copy_cmd(&["--cosign-tags"], dir, docker),
        "both images must be docker:// names",
    );
    one_line(
        &mut copy_cmd(
            &["--referrers", "--referrers-artifact-type", "nonsense"],
            docker,
            docker,
        ),
        "--referrers-artifact-type \"nonsense\": not a media type",
    );
    one_line(
        skiff().args(["inspect", "--referrers", dir]),
        "--referrers lists referrers in registries: it needs a docker:// name",
    );
    one_line(
        skiff().args(["inspect", "--referrers", "--raw", docker]),
        "--referrers cannot be used with --raw, --config or --format",
    );
    one_line(
        skiff().args([
            "sync",
            "--src",
            "docker",
            "--dest",
            "dir",
            "--referrers",
            "127.0.0.1:1/a",
            t.path().to_str().unwrap(),
        ]),
        "they need --src docker or yaml and --dest docker",
    );

    // A referrers API that answers garbage.
    let Some(dst) = Registry::start() else { return };
    let garbage = StandIn::start(Mode {
        api: true,
        garbage_referrers: true,
        ..Mode::default()
    });
    push_image(&garbage.host, "app", "v1", 41);
    one_line(
        &mut copy_cmd(
            &["--referrers"],
            &format!("docker://{}/app:v1", garbage.host),
            &dst.image("app:v1"),
        ),
        "the registry's answer is not an OCI image index",
    );

    // A destination whose fallback tag holds something else: refused, left as it was.
    let Some(src) = Registry::start() else { return };
    let a = image_with_referrers(&src.host, "app", true);
    push_image(&dst.host, "taken", "v1", 11);
    push_manifest(
        &dst.host,
        "taken",
        &tag_of(&a.image.digest),
        OCI_MANIFEST,
        &a.image.bytes,
    );
    one_line(
        &mut copy_cmd(
            &["--referrers"],
            &src.image("app:v1"),
            &dst.image("taken:v1"),
        ),
        &format!("tag {} is not an OCI image index", tag_of(&a.image.digest)),
    );
    assert_eq!(
        get_manifest(&dst.host, "taken", &tag_of(&a.image.digest)),
        Some(a.image.bytes.clone())
    );
}

/// The spec: a fallback tag that holds no valid image index means no referrers (said in a
/// warning), and the copy goes on.
#[test]
fn a_source_fallback_tag_without_an_index_means_no_referrers() {
    let Some(src) = Registry::start() else { return };
    let Some(dst) = Registry::start() else { return };
    let a = image_with_referrers(&src.host, "app", false);
    push_manifest(
        &src.host,
        "app",
        &tag_of(&a.image.digest),
        OCI_MANIFEST,
        &a.image.bytes,
    );
    let mut c = copy_cmd(&["--referrers"], &src.image("app:v1"), &dst.image("app:v1"));
    let out = ok(&mut c);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "tag {} in {}/app is not an OCI image index",
            tag_of(&a.image.digest),
            src.host
        )),
        "{stderr}"
    );
    assert!(get_manifest(&dst.host, "app", &a.image.digest).is_some());
    assert!(get_manifest(&dst.host, "app", &a.sbom.digest).is_none());
    assert!(get_manifest(&dst.host, "app", &tag_of(&a.image.digest)).is_none());
}
