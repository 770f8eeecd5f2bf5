//! Sigstore signatures kept as registry attachments (`use-sigstore-attachments: true`): the
//! `sha256-HEX.sig` OCI manifest, its payload layers and annotations. skiff signs into a real
//! registry; the attachment is read back over plain HTTP, its signature checked by openssl
//! (ECDSA P-256) and by skiff's `sigstoreSigned` verification. Debian's skopeo 1.9.3 cannot
//! sign or verify sigstore (patched out) but still carries attachments between registries:
//! it is the oracle for what a copy writes.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use serde_json::Value;

use crate::support::fixtures::{self, ImageSpec, sha256};
use crate::support::registry::{Registry, http};
use crate::support::*;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const SIG_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
const SIG_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

struct Setup {
    t: tempfile::TempDir,
    reg: Registry,
    /// registries.d enabling attachments for the test registry.
    regd: PathBuf,
    src: PathBuf,
    passphrase: PathBuf,
}

impl Setup {
    fn new() -> Option<Setup> {
        if !require_tool("openssl") {
            return None;
        }
        let reg = Registry::start()?;
        let t = tempfile::tempdir().unwrap();
        let regd = t.path().join("registries.d");
        std::fs::create_dir(&regd).unwrap();
        std::fs::write(
            regd.join("attachments.yaml"),
            format!(
                "docker:\n  {}:\n    use-sigstore-attachments: true\n",
                reg.host
            ),
        )
        .unwrap();
        let src = t.path().join("src");
        fixtures::write_dir(&src, &ImageSpec::small(91));
        let passphrase = t.path().join("pp");
        std::fs::write(&passphrase, "sigstore passphrase\n").unwrap();
        Some(Setup {
            t,
            reg,
            regd,
            src,
            passphrase,
        })
    }

    /// A new key pair made by skiff (its format is checked in sign.rs); the prefix.
    fn key(&self, name: &str) -> PathBuf {
        let prefix = self.t.path().join(name);
        ok(skiff()
            .args(["generate-sigstore-key", "--output-prefix"])
            .arg(&prefix)
            .arg("--passphrase-file")
            .arg(&self.passphrase));
        prefix
    }

    /// A key pair made by openssl, for a public key that signed nothing here; the prefix.
    fn openssl_key(&self, name: &str) -> PathBuf {
        let prefix = self.t.path().join(name);
        let private = prefix.with_extension("pem");
        ok(Command::new("openssl")
            .args([
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-noout",
                "-out",
            ])
            .arg(&private));
        ok(Command::new("openssl")
            .args(["ec", "-pubout", "-in"])
            .arg(&private)
            .arg("-out")
            .arg(prefix.with_extension("pub")));
        prefix
    }

    fn skiff(&self) -> Command {
        let mut c = skiff();
        c.arg("--registries.d").arg(&self.regd);
        c
    }

    fn sign_into(&self, key: &Path, dest: &str) -> std::process::Output {
        run(self
            .skiff()
            .args(["--insecure-policy", "copy", "-q", "--dest-tls-verify=false"])
            .arg("--sign-by-sigstore-private-key")
            .arg(key.with_extension("private"))
            .arg("--sign-passphrase-file")
            .arg(&self.passphrase)
            .arg(format!("dir:{}", self.src.display()))
            .arg(format!("docker://{}/{dest}", self.reg.host)))
    }

    /// A policy accepting the test registry's images signed by `key` (refusing all else).
    fn policy(&self, key: &Path) -> PathBuf {
        self.policy_with(&format!(
            r#""keyPath":"{}""#,
            key.with_extension("pub").display()
        ))
    }

    /// A policy with one `sigstoreSigned` requirement of `fields` for the test registry.
    fn policy_with(&self, fields: &str) -> PathBuf {
        let p = self.t.path().join(format!("policy-{}.json", unique()));
        std::fs::write(
            &p,
            format!(
                r#"{{"default":[{{"type":"reject"}}],"transports":{{"docker":{{"{}":[{{"type":"sigstoreSigned",{fields}}}]}}}}}}"#,
                self.reg.host,
            ),
        )
        .unwrap();
        p
    }

    /// skiff copies `image` out under `policy`.
    fn verify(&self, policy: &Path, image: &str) -> std::process::Output {
        run(self
            .skiff()
            .arg("--policy")
            .arg(policy)
            .args(["copy", "-q", "--src-tls-verify=false"])
            .arg(format!("docker://{}/{image}", self.reg.host))
            .arg(format!(
                "dir:{}",
                self.t.path().join(format!("out-{}", unique())).display()
            )))
    }

    fn get(&self, path: &str, accept: &str) -> Vec<u8> {
        let (status, body) = http(&self.reg.host, "GET", path, &[("Accept", accept)], b"");
        assert_eq!(
            status,
            200,
            "GET {path}: {}",
            String::from_utf8_lossy(&body)
        );
        body
    }

    /// The digest of `repo:tag`'s manifest as the registry serves it.
    fn manifest_digest(&self, repo: &str, tag: &str) -> String {
        sha256(&self.get(
            &format!("/v2/{repo}/manifests/{tag}"),
            "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
        ))
    }

    /// The raw `.sig` attachment manifest of `digest` in `repo`.
    fn attachment(&self, repo: &str, digest: &str) -> Vec<u8> {
        let tag = digest.replacen(':', "-", 1) + ".sig";
        self.get(&format!("/v2/{repo}/manifests/{tag}"), OCI_MANIFEST)
    }

    fn blob(&self, repo: &str, digest: &str) -> Vec<u8> {
        let b = self.get(&format!("/v2/{repo}/blobs/{digest}"), "*/*");
        assert_eq!(sha256(&b), digest);
        b
    }

    /// Uploads a blob: POST for a session, then the whole blob in the PUT that ends it.
    fn put_blob(&self, repo: &str, bytes: &[u8]) -> String {
        use std::io::{Read, Write};
        let d = sha256(bytes);
        let mut conn = std::net::TcpStream::connect(&self.reg.host).unwrap();
        write!(
            conn,
            "POST /v2/{repo}/blobs/uploads/ HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            self.reg.host
        )
        .unwrap();
        let mut head = String::new();
        conn.read_to_string(&mut head).unwrap();
        assert!(head.starts_with("HTTP/1.1 202"), "{head}");
        let location = head
            .lines()
            .find_map(|l| l.strip_prefix("Location: "))
            .unwrap()
            .trim()
            .to_string();
        let path = location
            .split_once("://")
            .map(|(_, rest)| &rest[rest.find('/').unwrap()..])
            .unwrap_or(&location)
            .to_string();
        let sep = if path.contains('?') { '&' } else { '?' };
        let (status, body) = http(
            &self.reg.host,
            "PUT",
            &format!("{path}{sep}digest={d}"),
            &[("Content-Type", "application/octet-stream")],
            bytes,
        );
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        d
    }

    fn put_manifest(&self, repo: &str, tag: &str, bytes: &[u8]) {
        let (status, body) = http(
            &self.reg.host,
            "PUT",
            &format!("/v2/{repo}/manifests/{tag}"),
            &[("Content-Type", OCI_MANIFEST)],
            bytes,
        );
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    }

    /// openssl's verdict on `b64_sig` over `payload` with `key`'s public half.
    fn openssl_verifies(&self, key: &Path, payload: &[u8], b64_sig: &str) -> bool {
        let dir = self.t.path().join(format!("openssl-{}", unique()));
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("payload"), payload).unwrap();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64_sig)
            .unwrap();
        std::fs::write(dir.join("sig.der"), der).unwrap();
        let out = run(Command::new("openssl")
            .args(["dgst", "-sha256", "-verify"])
            .arg(key.with_extension("pub"))
            .arg("-signature")
            .arg(dir.join("sig.der"))
            .arg(dir.join("payload")));
        out.status.success() && stdout(&out).contains("Verified OK")
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn fatal(out: &std::process::Output) -> (i32, String) {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), fatal_message(&stderr))
}

fn succeeded(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn signing_into_a_registry_writes_an_attachment_openssl_and_skiff_verify() {
    let Some(s) = Setup::new() else { return };
    let (first, second, unused) = (s.key("first"), s.key("second"), s.openssl_key("unused"));
    succeeded(&s.sign_into(&first, "signed:v1"));
    let digest = s.manifest_digest("signed", "v1");

    // The attachment's shape: an OCI manifest, an OCI config listing the payload's digest,
    // one layer of the signature's type carrying the signature annotation.
    let m = json(&s.attachment("signed", &digest));
    assert_eq!(m["schemaVersion"], 2);
    assert_eq!(m["mediaType"], OCI_MANIFEST);
    assert_eq!(
        m["config"]["mediaType"],
        "application/vnd.oci.image.config.v1+json"
    );
    let layers = m["layers"].as_array().unwrap().clone();
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0]["mediaType"], SIG_TYPE);
    let config = json(&s.blob("signed", m["config"]["digest"].as_str().unwrap()));
    assert_eq!(config["rootfs"]["type"], "layers");
    assert_eq!(
        config["rootfs"]["diff_ids"],
        serde_json::json!([layers[0]["digest"]])
    );
    let payload = s.blob("signed", layers[0]["digest"].as_str().unwrap());
    let p = json(&payload);
    assert_eq!(p["critical"]["type"], "cosign container image signature");
    assert_eq!(
        p["critical"]["image"]["docker-manifest-digest"],
        digest.as_str()
    );
    assert_eq!(
        p["critical"]["identity"]["docker-reference"],
        format!("{}/signed:v1", s.reg.host)
    );
    let sig = layers[0]["annotations"][SIG_ANNOTATION].as_str().unwrap();
    assert!(s.openssl_verifies(&first, &payload, sig));
    assert!(!s.openssl_verifies(&second, &payload, sig));

    // skiff's sigstoreSigned verification reads the attachment.
    succeeded(&s.verify(&s.policy(&first), "signed:v1"));
    let refused = s.verify(&s.policy(&unused), "signed:v1");
    assert_eq!(
        fatal(&refused),
        (
            1,
            "Source image rejected: cryptographic signature verification failed: invalid signature when validating ASN.1 encoded signature".to_string()
        )
    );

    // A second signature is added beside the first, which stays as it was.
    succeeded(&s.sign_into(&second, "signed:v1"));
    let m2 = json(&s.attachment("signed", &digest));
    let layers2 = m2["layers"].as_array().unwrap();
    assert_eq!(layers2.len(), 2);
    assert_eq!(layers2[0], layers[0]);
    let config2 = json(&s.blob("signed", m2["config"]["digest"].as_str().unwrap()));
    assert_eq!(
        config2["rootfs"]["diff_ids"],
        serde_json::json!([layers2[0]["digest"], layers2[1]["digest"]])
    );
    let payload2 = s.blob("signed", layers2[1]["digest"].as_str().unwrap());
    let sig2 = layers2[1]["annotations"][SIG_ANNOTATION].as_str().unwrap();
    assert!(s.openssl_verifies(&second, &payload2, sig2));
    succeeded(&s.verify(&s.policy(&second), "signed:v1"));
    // Two signatures, neither by this key: both reasons.
    let refused = fatal(&s.verify(&s.policy(&unused), "signed:v1"));
    assert!(
        refused
            .1
            .starts_with("Source image rejected: None of the signatures were accepted, reasons: "),
        "{refused:?}"
    );

    // Copying the image onto itself carries its two signatures back: identical layers are
    // not added again.
    ok(s.skiff().args([
        "--insecure-policy",
        "copy",
        "-q",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        &format!("docker://{}/signed:v1", s.reg.host),
        &format!("docker://{}/signed:v1", s.reg.host),
    ]));
    let m3 = json(&s.attachment("signed", &digest));
    assert_eq!(m3["layers"], m2["layers"]);

    // Without use-sigstore-attachments the attachment is not read: nothing signed.
    let plain = run(skiff()
        .arg("--registries.d")
        .arg(s.t.path())
        .arg("--policy")
        .arg(s.policy(&first))
        .args(["copy", "-q", "--src-tls-verify=false"])
        .arg(format!("docker://{}/signed:v1", s.reg.host))
        .arg(format!("dir:{}", s.t.path().join("plain").display())));
    assert_eq!(
        fatal(&plain),
        (
            1,
            "Source image rejected: A signature was required, but no signature exists".to_string()
        )
    );
}

#[test]
fn tampered_attachments_are_rejected() {
    let Some(s) = Setup::new() else { return };
    let key = s.key("k");
    succeeded(&s.sign_into(&key, "good:v1"));
    let digest = s.manifest_digest("good", "v1");
    let m = json(&s.attachment("good", &digest));
    let layer = &m["layers"][0];
    let payload = s.blob("good", layer["digest"].as_str().unwrap());
    let sig = layer["annotations"][SIG_ANNOTATION]
        .as_str()
        .unwrap()
        .to_string();
    let policy = s.policy(&key);

    // Writes an attachment for `good:v1` by hand (not with skiff) with one layer.
    let attach = |payload: &[u8], annotation: &str| {
        let layer_digest = s.put_blob("good", payload);
        let config = serde_json::json!({"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[layer_digest]}}).to_string();
        let config_digest = s.put_blob("good", config.as_bytes());
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType":"application/vnd.oci.image.config.v1+json","digest":config_digest,"size":config.len()},
            "layers": [{"mediaType":SIG_TYPE,"digest":layer_digest,"size":payload.len(),"annotations":{SIG_ANNOTATION:annotation}}],
        });
        s.put_manifest(
            "good",
            &(digest.replacen(':', "-", 1) + ".sig"),
            manifest.to_string().as_bytes(),
        );
    };
    let bad_signature = (
        1,
        "Source image rejected: cryptographic signature verification failed: invalid signature when validating ASN.1 encoded signature".to_string(),
    );

    // The payload changed by one byte (an extra space): the signature no longer covers it.
    let mut tampered = payload.clone();
    tampered.insert(1, b' ');
    attach(&tampered, &sig);
    assert_eq!(fatal(&s.verify(&policy, "good:v1")), bad_signature);

    // The annotation changed by one bit.
    let mut flipped = base64::engine::general_purpose::STANDARD
        .decode(&sig)
        .unwrap();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    attach(
        &payload,
        &base64::engine::general_purpose::STANDARD.encode(&flipped),
    );
    assert_eq!(fatal(&s.verify(&policy, "good:v1")), bad_signature);

    // Garbage in the annotation: c/image's base64 error.
    attach(&payload, "!!not base64");
    let (code, msg) = fatal(&s.verify(&policy, "good:v1"));
    assert_eq!(code, 1);
    assert!(
        msg.starts_with("Source image rejected: base64 decoding: "),
        "{msg}"
    );

    // Restored: accepted again.
    attach(&payload, &sig);
    succeeded(&s.verify(&policy, "good:v1"));
}

#[test]
fn registry_to_registry_copies_carry_attachments_as_skopeo_does() {
    let Some(s) = Setup::new() else { return };
    let Some(mut skopeo) = skopeo() else { return };
    let key = s.key("k");
    succeeded(&s.sign_into(&key, "orig:v1"));
    let digest = s.manifest_digest("orig", "v1");
    let src = format!("docker://{}/orig:v1", s.reg.host);

    ok(skopeo
        .arg("--registries.d")
        .arg(&s.regd)
        .args([
            "--insecure-policy",
            "copy",
            "-q",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
        ])
        .arg(&src)
        .arg(format!("docker://{}/by-skopeo:v1", s.reg.host)));
    ok(s.skiff()
        .args([
            "--insecure-policy",
            "copy",
            "-q",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
        ])
        .arg(&src)
        .arg(format!("docker://{}/by-skiff:v1", s.reg.host)));
    assert_eq!(s.manifest_digest("by-skiff", "v1"), digest);
    // The same attachment, byte for byte (and so the same config and layers).
    let by_skopeo = s.attachment("by-skopeo", &digest);
    let by_skiff = s.attachment("by-skiff", &digest);
    assert_eq!(
        String::from_utf8_lossy(&by_skiff),
        String::from_utf8_lossy(&by_skopeo)
    );
    assert_eq!(by_skiff, s.attachment("orig", &digest));
    // The signature names orig:v1: accepted for the copy only where the policy says so.
    assert_eq!(
        fatal(&s.verify(&s.policy(&key), "by-skiff:v1")),
        (
            1,
            format!(
                "Source image rejected: Signature for identity {}/orig:v1 is not accepted",
                s.reg.host
            )
        )
    );
    succeeded(&s.verify(
        &s.policy_with(&format!(
            r#""keyPath":"{}","signedIdentity":{{"type":"exactReference","dockerReference":"{}/orig:v1"}}"#,
            key.with_extension("pub").display(),
            s.reg.host
        )),
        "by-skiff:v1",
    ));

    // skopeo reads what skiff carried: copied on again, the attachment is unchanged.
    ok(crate::support::skopeo()
        .unwrap()
        .arg("--registries.d")
        .arg(&s.regd)
        .args([
            "--insecure-policy",
            "copy",
            "-q",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
        ])
        .arg(format!("docker://{}/by-skiff:v1", s.reg.host))
        .arg(format!("docker://{}/again:v1", s.reg.host)));
    assert_eq!(s.attachment("again", &digest), by_skopeo);

    // Into a registry without attachments: refused before anything is written there.
    let other = Registry::start().unwrap();
    let out = run(s
        .skiff()
        .args([
            "--insecure-policy",
            "copy",
            "-q",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
        ])
        .arg(&src)
        .arg(format!("docker://{}/nowhere:v1", other.host)));
    assert_eq!(
        fatal(&out),
        (
            1,
            "writing signatures: writing sigstore attachments is disabled by configuration"
                .to_string()
        )
    );
    let (status, _) = http(&other.host, "GET", "/v2/nowhere/manifests/v1", &[], b"");
    assert_eq!(status, 404);
}

#[test]
fn sign_by_sigstore_parameter_file_with_a_private_key() {
    let Some(s) = Setup::new() else { return };
    let key = s.key("param");
    let params = s.t.path().join("params.yaml");
    std::fs::write(
        &params,
        format!(
            "privateKeyFile: {}\nprivateKeyPassphraseFile: {}\n",
            key.with_extension("private").display(),
            s.passphrase.display()
        ),
    )
    .unwrap();
    let sign = |params: &Path, dest: &str| {
        run(s
            .skiff()
            .args(["--insecure-policy", "copy", "-q", "--dest-tls-verify=false"])
            .arg("--sign-by-sigstore")
            .arg(params)
            .arg(format!("dir:{}", s.src.display()))
            .arg(format!("docker://{}/{dest}", s.reg.host))
            .stdin(std::process::Stdio::null()))
    };
    succeeded(&sign(&params, "params:v1"));
    let digest = s.manifest_digest("params", "v1");
    let m = json(&s.attachment("params", &digest));
    let layer = &m["layers"][0];
    let payload = s.blob("params", layer["digest"].as_str().unwrap());
    let sig = layer["annotations"][SIG_ANNOTATION].as_str().unwrap();
    assert!(s.openssl_verifies(&key, &payload, sig));
    succeeded(&s.verify(&s.policy(&key), "params:v1"));

    // Bad parameter files: one line, exit 1, nothing written.
    let write = |name: &str, text: String| {
        let p = s.t.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let missing = s.t.path().join("missing.yaml");
    let no_key = write("empty.yaml", String::new());
    let fulcio = write(
        "fulcio.yaml",
        "fulcio:\n  fulcioURL: http://127.0.0.1:1\n  oidcMode: staticToken\n  oidcIDToken: x\nrekorURL: http://127.0.0.1:1\n".into(),
    );
    let prompt = write(
        "prompt.yaml",
        format!(
            "privateKeyFile: {}\n",
            key.with_extension("private").display()
        ),
    );
    let wrong = write("wrong-pp", "not it\n".into());
    let bad_passphrase = write(
        "bad.yaml",
        format!(
            "privateKeyFile: {}\nprivateKeyPassphraseFile: {}\n",
            key.with_extension("private").display(),
            wrong.display()
        ),
    );
    for (file, message) in [
        (
            &missing,
            format!(
                "Error using --sign-by-sigstore: setting up signing using parameter file {0:?}: reading {0:?}: open {1}: no such file or directory",
                missing.display().to_string(),
                missing.display()
            ),
        ),
        (
            &no_key,
            "Error using --sign-by-sigstore: no private key source provided (neither a private key nor Fulcio) when preparing to create sigstore signatures".to_string(),
        ),
        (
            &fulcio,
            "Error using --sign-by-sigstore: parsing OIDC token: go-jose/go-jose: compact JWS format must have three parts".to_string(),
        ),
        (
            &prompt,
            format!(
                "Error using --sign-by-sigstore: Cannot prompt for a passphrase for key {}, standard input is not a TTY",
                key.with_extension("private").display()
            ),
        ),
        (
            &bad_passphrase,
            "Error using --sign-by-sigstore: initializing private key: decrypt: encrypted: decryption failed".to_string(),
        ),
    ] {
        let dest = format!("bad{}:v1", unique());
        assert_eq!(fatal(&sign(file, &dest)), (1, message));
        let (status, _) = http(
            &s.reg.host,
            "GET",
            &format!("/v2/{}/manifests/v1", dest.trim_end_matches(":v1")),
            &[],
            b"",
        );
        assert_eq!(status, 404, "nothing written for {}", file.display());
    }
}
