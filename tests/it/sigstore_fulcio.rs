//! `sigstoreSigned` with Fulcio certificates and Rekor SETs (skopeo HEAD's policy fields),
//! and with several keys (`keyPaths`). Debian's skopeo 1.9.3 has sigstore verification
//! patched out, so the oracle is the documented formats built here with openssl alone: a
//! Fulcio-style CA, leaf certificates carrying the OIDC issuer extension and an e-mail SAN,
//! a Rekor key, and SETs over the canonical JSON of a `hashedrekord` entry. No network: the
//! signatures sit in a `dir:` image as c/image stores them (`signature-N`, sigstore-json).

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use serde_json::json;

use crate::support::fixtures::{self, ImageSpec, sha256};
use crate::support::*;

pub(crate) const ISSUER: &str = "https://issuer.example.com";
pub(crate) const EMAIL: &str = "signer@example.com";
pub(crate) const IDENTITY: &str = "example.com/fulcio:v1";

pub(crate) fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

pub(crate) struct Pki {
    pub(crate) t: tempfile::TempDir,
    pub(crate) image: PathBuf,
    manifest_digest: String,
    /// The curve of the keys made next (openssl's name), and the curve of each key made.
    curve: std::sync::Mutex<&'static str>,
    curves: std::sync::Mutex<std::collections::HashMap<String, &'static str>>,
}

const P256: &str = "prime256v1";
const P384: &str = "secp384r1";

impl Pki {
    pub(crate) fn new() -> Option<Pki> {
        if !require_tool("openssl") {
            return None;
        }
        let t = tempfile::tempdir().unwrap();
        let image = t.path().join("image");
        let built = fixtures::write_dir(&image, &ImageSpec::small(33));
        Some(Pki {
            t,
            image,
            manifest_digest: built.manifest_digest,
            curve: std::sync::Mutex::new(P256),
            curves: Default::default(),
        })
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.t.path().join(name)
    }

    pub(crate) fn openssl(&self, args: &[&str]) -> Vec<u8> {
        ok(Command::new("openssl")
            .current_dir(self.t.path())
            .args(args))
        .stdout
    }

    /// The digest a certificate signed by `issuer` uses: SHA-384 for a P-384 issuer (as the
    /// public Fulcio CA signs), SHA-256 otherwise.
    fn digest_of(&self, issuer: &str) -> &'static str {
        match self.curves.lock().unwrap().get(issuer) {
            Some(&P384) => "-sha384",
            _ => "-sha256",
        }
    }

    /// An EC key `NAME.key` on the current curve (P-256 unless set) and its public half
    /// `NAME.pub`.
    pub(crate) fn key(&self, name: &str) {
        let key = format!("{name}.key");
        let curve = *self.curve.lock().unwrap();
        self.curves.lock().unwrap().insert(name.to_string(), curve);
        self.openssl(&["ecparam", "-name", curve, "-genkey", "-noout", "-out", &key]);
        self.openssl(&["ec", "-in", &key, "-pubout", "-out", &format!("{name}.pub")]);
    }

    /// A self-signed CA `NAME.pem`.
    pub(crate) fn ca(&self, name: &str) {
        self.ca_as(name, name, "basicConstraints=critical,CA:TRUE");
    }

    /// A self-signed CA `NAME.pem` whose subject is `CN=common_name`, with `basic_constraints`.
    fn ca_as(&self, name: &str, common_name: &str, basic_constraints: &str) {
        self.key(name);
        self.openssl(&[
            "req",
            "-x509",
            "-new",
            "-key",
            &format!("{name}.key"),
            "-subj",
            &format!("/CN={common_name}"),
            "-days",
            "3650",
            self.digest_of(name),
            "-out",
            &format!("{name}.pem"),
            "-addext",
            basic_constraints,
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
    }

    /// A certificate `NAME.pem` for key `NAME.key`, issued by `issuer` with `extensions`
    /// (an openssl extension section's lines).
    pub(crate) fn issue(&self, name: &str, issuer: &str, extensions: &str) {
        self.issue_for_days(name, issuer, extensions, "2");
    }

    /// [`Pki::issue`] valid for `days` (a negative number makes it expired at once).
    fn issue_for_days(&self, name: &str, issuer: &str, extensions: &str, days: &str) {
        self.key(name);
        std::fs::write(
            self.path(&format!("{name}.ext")),
            format!("[ext]\n{extensions}\n"),
        )
        .unwrap();
        self.openssl(&[
            "req",
            "-new",
            "-key",
            &format!("{name}.key"),
            "-subj",
            &format!("/CN={name}"),
            "-out",
            &format!("{name}.csr"),
        ]);
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{issuer}.pem"),
            "-CAkey",
            &format!("{issuer}.key"),
            "-CAcreateserial",
            "-days",
            days,
            self.digest_of(issuer),
            "-extfile",
            &format!("{name}.ext"),
            "-extensions",
            "ext",
            "-out",
            &format!("{name}.pem"),
        ]);
    }

    /// A Fulcio-style leaf: code signing, an e-mail SAN, the OIDC issuer (v1: raw bytes).
    fn leaf(&self, name: &str, issuer: &str, email: &str, oidc_issuer: &str) {
        self.issue(
            name,
            issuer,
            &format!(
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectAltName=critical,email:{email}\n1.3.6.1.4.1.57264.1.1=DER:{}",
                hex::encode(oidc_issuer)
            ),
        );
    }

    fn payload(&self) -> Vec<u8> {
        json!({
            "critical": {
                "identity": {"docker-reference": IDENTITY},
                "image": {"docker-manifest-digest": self.manifest_digest},
                "type": "cosign container image signature",
            },
            "optional": null,
        })
        .to_string()
        .into_bytes()
    }

    /// openssl's ECDSA-SHA256 signature of `data` with `NAME.key`, base64.
    pub(crate) fn sign(&self, name: &str, data: &[u8]) -> String {
        let f = self.path(&format!("data-{}", sha256(data)));
        std::fs::write(&f, data).unwrap();
        b64(&self.openssl(&[
            "dgst",
            "-sha256",
            "-sign",
            &format!("{name}.key"),
            f.to_str().unwrap(),
        ]))
    }

    /// A Rekor SET for `payload` signed with `signature` by the holder of `key_or_cert_pem`,
    /// logged at `time`, signed by `rekor`.
    fn set(
        &self,
        rekor: &str,
        payload: &[u8],
        signature: &str,
        key_or_cert_pem: &[u8],
        time: i64,
    ) -> String {
        let body = json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": &sha256(payload)[7..]}},
                "signature": {"content": signature, "publicKey": {"content": b64(key_or_cert_pem)}},
            },
        })
        .to_string();
        let log_id = "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d";
        // RFC 8785: keys in order, no spaces (written out by hand).
        let canonical = format!(
            r#"{{"body":"{}","integratedTime":{time},"logID":"{log_id}","logIndex":7}}"#,
            b64(body.as_bytes())
        );
        let set_signature = self.sign(rekor, canonical.as_bytes());
        // The bundle as cosign stores it: the payload in another order, with spaces.
        format!(
            r#"{{"SignedEntryTimestamp":"{set_signature}","Payload":{{"logIndex": 7, "body": "{}", "integratedTime": {time}, "logID": "{log_id}"}}}}"#,
            b64(body.as_bytes())
        )
    }

    /// Stores one sigstore signature in the image (replacing any).
    fn attach(&self, payload: &[u8], annotations: serde_json::Value) {
        let sig = json!({
            "mimeType": "application/vnd.dev.cosign.simplesigning.v1+json",
            "payload": b64(payload),
            "annotations": annotations,
        });
        let mut blob = b"\0sigstore-json\n".to_vec();
        blob.extend(sig.to_string().into_bytes());
        std::fs::write(self.image.join("signature-1"), blob).unwrap();
    }

    pub(crate) fn policy(&self, fields: &str) -> PathBuf {
        let p = self.path(&format!("policy-{}.json", sha256(fields.as_bytes())));
        std::fs::write(
            &p,
            format!(
                r#"{{"default":[{{"type":"sigstoreSigned",{fields},"signedIdentity":{{"type":"exactReference","dockerReference":"{IDENTITY}"}}}}]}}"#
            ),
        )
        .unwrap();
        p
    }

    fn fulcio_policy(&self, ca: &str, issuer: &str, email: &str, rekor: &str) -> PathBuf {
        self.policy(&format!(
            r#""fulcio":{{"caPath":"{}","oidcIssuer":"{issuer}","subjectEmail":"{email}"}},"rekorPublicKeyPath":"{}""#,
            self.path(&format!("{ca}.pem")).display(),
            self.path(&format!("{rekor}.pub")).display(),
        ))
    }

    /// skiff's verdict: `Ok` or the fatal message.
    fn verify(&self, policy: &Path) -> Result<(), String> {
        let dest = self.path(&format!("out-{}", rand_suffix()));
        let out = run(skiff()
            .env("TZ", "UTC")
            .arg("--policy")
            .arg(policy)
            .args(["copy", "-q"])
            .arg(format!("dir:{}", self.image.display()))
            .arg(format!("dir:{}", dest.display())));
        if out.status.success() {
            return Ok(());
        }
        assert!(
            !dest.join("manifest.json").exists(),
            "nothing written on refusal"
        );
        Err(fatal_message(&String::from_utf8_lossy(&out.stderr)))
    }
}

pub(crate) fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// openssl's view of a certificate's end date, as Go's RFC 3339 in UTC.
fn not_after(p: &Pki, cert: &str) -> String {
    let out = String::from_utf8(p.openssl(&[
        "x509", "-in", cert, "-noout", "-enddate", "-dateopt", "iso_8601",
    ]))
    .unwrap();
    // "notAfter=2026-12-09 12:00:00Z"
    out.trim().trim_start_matches("notAfter=").replace(' ', "T")
}

fn rejected(msg: &str) -> Result<(), String> {
    Err(format!("Source image rejected: {msg}"))
}

#[test]
fn fulcio_certificates_with_rekor_sets() {
    let Some(p) = Pki::new() else { return };
    p.ca("fulcio");
    p.ca("other-ca");
    p.key("rekor");
    p.key("other-rekor");
    p.leaf("leaf", "fulcio", EMAIL, ISSUER);
    let cert = std::fs::read(p.path("leaf.pem")).unwrap();
    let payload = p.payload();
    let signature = p.sign("leaf", &payload);
    let attach = |set: &str| {
        p.attach(
            &payload,
            json!({
                "dev.cosignproject.cosign/signature": signature,
                "dev.sigstore.cosign/certificate": String::from_utf8_lossy(&cert),
                "dev.sigstore.cosign/bundle": set,
            }),
        )
    };
    let good_set = p.set("rekor", &payload, &signature, &cert, now());
    attach(&good_set);

    // Accepted: the chain, the issuer, the e-mail and the SET all check.
    assert_eq!(
        p.verify(&p.fulcio_policy("fulcio", ISSUER, EMAIL, "rekor")),
        Ok(())
    );

    // What the certificate says is not what the policy requires.
    assert_eq!(
        p.verify(&p.fulcio_policy("fulcio", "https://other.example.com", EMAIL, "rekor")),
        rejected(&format!("Unexpected Fulcio OIDC issuer \"{ISSUER}\""))
    );
    assert_eq!(
        p.verify(&p.fulcio_policy("fulcio", ISSUER, "other@example.com", "rekor")),
        rejected(&format!(
            "Required email \"other@example.com\" not found (got [\"{EMAIL}\"])"
        ))
    );
    // A certificate from a CA the policy does not trust.
    assert_eq!(
        p.verify(&p.fulcio_policy("other-ca", ISSUER, EMAIL, "rekor")),
        rejected("veryfing leaf certificate failed: x509: certificate signed by unknown authority")
    );
    // The SET signed by another key than the policy's Rekor key.
    assert_eq!(
        p.verify(&p.fulcio_policy("fulcio", ISSUER, EMAIL, "other-rekor")),
        rejected("cryptographic signature verification of Rekor SET failed")
    );

    // Logged after the certificate expired (it is valid for two days).
    let later = now() + 5 * 86400;
    attach(&p.set("rekor", &payload, &signature, &cert, later));
    let expired = p.verify(&p.fulcio_policy("fulcio", ISSUER, EMAIL, "rekor"));
    let later_text = chrono_utc(later);
    assert_eq!(
        expired,
        rejected(&format!(
            "veryfing leaf certificate failed: x509: certificate has expired or is not yet valid: current time {later_text} is after {}",
            not_after(&p, "leaf.pem")
        ))
    );

    // A SET over another payload: its signature holds, the logged hash does not match.
    attach(&p.set("rekor", b"another payload", &signature, &cert, now()));
    assert_eq!(
        p.verify(&p.fulcio_policy("fulcio", ISSUER, EMAIL, "rekor")),
        rejected("payload in Rekor SET does not match")
    );

    // A SET whose body was altered after Rekor signed it.
    let tampered = good_set.replacen("\"logIndex\": 7", "\"logIndex\": 8", 1);
    attach(&tampered);
    assert_eq!(
        p.verify(&p.fulcio_policy("fulcio", ISSUER, EMAIL, "rekor")),
        rejected("cryptographic signature verification of Rekor SET failed")
    );

    // No SET at all.
    p.attach(
        &payload,
        json!({
            "dev.cosignproject.cosign/signature": signature,
            "dev.sigstore.cosign/certificate": String::from_utf8_lossy(&cert),
        }),
    );
    assert_eq!(
        p.verify(&p.fulcio_policy("fulcio", ISSUER, EMAIL, "rekor")),
        rejected("missing dev.sigstore.cosign/bundle annotation")
    );
}

#[test]
fn fulcio_chains_through_an_intermediate() {
    let Some(p) = Pki::new() else { return };
    p.ca("root");
    p.issue(
        "intermediate",
        "root",
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign",
    );
    p.key("rekor");
    p.leaf("leaf", "intermediate", EMAIL, ISSUER);
    let cert = std::fs::read(p.path("leaf.pem")).unwrap();
    let chain = [
        std::fs::read(p.path("intermediate.pem")).unwrap(),
        std::fs::read(p.path("root.pem")).unwrap(),
    ]
    .concat();
    let payload = p.payload();
    let signature = p.sign("leaf", &payload);
    let set = p.set("rekor", &payload, &signature, &cert, now());
    let mut annotations = json!({
        "dev.cosignproject.cosign/signature": signature,
        "dev.sigstore.cosign/certificate": String::from_utf8_lossy(&cert),
        "dev.sigstore.cosign/bundle": set,
    });
    p.attach(&payload, annotations.clone());
    let policy = p.fulcio_policy("root", ISSUER, EMAIL, "rekor");
    // Without the chain, the root alone does not reach the leaf.
    assert_eq!(
        p.verify(&policy),
        rejected("veryfing leaf certificate failed: x509: certificate signed by unknown authority")
    );
    annotations["dev.sigstore.cosign/chain"] = String::from_utf8_lossy(&chain).into();
    p.attach(&payload, annotations);
    assert_eq!(p.verify(&policy), Ok(()));
}

#[test]
fn public_keys_with_rekor_and_key_lists() {
    let Some(p) = Pki::new() else { return };
    p.key("signer");
    p.key("other");
    p.key("rekor");
    let payload = p.payload();
    let signature = p.sign("signer", &payload);
    let public = std::fs::read(p.path("signer.pub")).unwrap();
    let key_path = |k: &str| p.path(&format!("{k}.pub")).display().to_string();

    p.attach(
        &payload,
        json!({"dev.cosignproject.cosign/signature": signature}),
    );
    // keyPaths: any one of the keys.
    assert_eq!(
        p.verify(&p.policy(&format!(
            r#""keyPaths":["{}","{}"]"#,
            key_path("other"),
            key_path("signer")
        ))),
        Ok(())
    );
    assert_eq!(
        p.verify(&p.policy(&format!(
            r#""keyPaths":["{}","{}"]"#,
            key_path("other"),
            key_path("rekor")
        ))),
        rejected(
            "cryptographic signature verification failed: invalid signature when validating ASN.1 encoded signature, invalid signature when validating ASN.1 encoded signature"
        )
    );
    // keyDatas: the same, inline.
    let data = |k: &str| b64(&std::fs::read(p.path(&format!("{k}.pub"))).unwrap());
    assert_eq!(
        p.verify(&p.policy(&format!(
            r#""keyDatas":["{}","{}"]"#,
            data("signer"),
            data("other")
        ))),
        Ok(())
    );

    // A key and a Rekor key: the signature must have been logged.
    let with_rekor = p.policy(&format!(
        r#""keyPath":"{}","rekorPublicKeyPath":"{}""#,
        key_path("signer"),
        key_path("rekor")
    ));
    assert_eq!(
        p.verify(&with_rekor),
        rejected("missing dev.sigstore.cosign/bundle annotation")
    );
    let set = p.set("rekor", &payload, &signature, &public, now());
    p.attach(
        &payload,
        json!({"dev.cosignproject.cosign/signature": signature, "dev.sigstore.cosign/bundle": set}),
    );
    assert_eq!(p.verify(&with_rekor), Ok(()));
    let wrong_rekor = p.policy(&format!(
        r#""keyPath":"{}","rekorPublicKeyPath":"{}""#,
        key_path("signer"),
        key_path("other")
    ));
    assert_eq!(
        p.verify(&wrong_rekor),
        rejected(
            "No public key verified against the RekorSET: cryptographic signature verification of Rekor SET failed"
        )
    );
}

/// `secs` as Go's RFC 3339 in UTC.
fn chrono_utc(secs: i64) -> String {
    let out = ok(Command::new("date").env("TZ", "UTC").args([
        "-d",
        &format!("@{secs}"),
        "+%Y-%m-%dT%H:%M:%SZ",
    ]));
    stdout(&out).trim().to_string()
}

/// A stand-in Rekor (`POST /api/v1/log/entries`), because no real Rekor is reachable here:
/// it logs one proposed entry, answering as Rekor does — the entry by UUID with its body, time,
/// index, log ID and a SET signed by `NAME.key` over the canonical payload. Returns the port
/// and a handle giving the proposed entry it received.
pub(crate) fn stand_in_rekor<'s>(
    scope: &'s std::thread::Scope<'s, '_>,
    p: &'s Pki,
    key: &'s str,
) -> (u16, std::thread::ScopedJoinHandle<'s, serde_json::Value>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = scope.spawn(move || {
        let (conn, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        let mut request_line = String::new();
        reader.read_line(&mut request_line).unwrap();
        assert!(request_line.starts_with("POST /api/v1/log/entries "), "{request_line}");
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let proposed: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let (time, log_id) = (now(), "ab".repeat(32));
        let canonical = format!(
            r#"{{"body":"{}","integratedTime":{time},"logID":"{log_id}","logIndex":0}}"#,
            b64(&body)
        );
        let set = p.sign(key, canonical.as_bytes());
        let answer = json!({"24296fb24b8ad77a": {
            "body": b64(&body), "integratedTime": time, "logID": log_id, "logIndex": 0,
            "verification": {"signedEntryTimestamp": set},
        }})
        .to_string();
        let mut conn = conn;
        write!(
            conn,
            "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
            answer.len()
        )
        .unwrap();
        proposed
    });
    (port, handle)
}

#[test]
fn sign_by_sigstore_logs_in_rekor_and_the_set_verifies() {
    let Some(p) = Pki::new() else { return };
    p.key("rekor");
    p.key("other");
    let pp = p.path("pp");
    std::fs::write(&pp, "pw\n").unwrap();
    ok(skiff()
        .args(["generate-sigstore-key", "--output-prefix"])
        .arg(p.path("signer"))
        .arg("--passphrase-file")
        .arg(&pp));
    let signed = p.path("signed");
    std::thread::scope(|scope| {
        let (port, rekor) = stand_in_rekor(scope, &p, "rekor");
        let params = p.path("params.yaml");
        std::fs::write(
            &params,
            format!(
                "privateKeyFile: {}\nprivateKeyPassphraseFile: {}\nrekorURL: http://127.0.0.1:{port}\n",
                p.path("signer.private").display(),
                pp.display()
            ),
        )
        .unwrap();
        ok(skiff()
            .args([
                "--insecure-policy",
                "copy",
                "-q",
                "--sign-identity",
                IDENTITY,
            ])
            .arg("--sign-by-sigstore")
            .arg(&params)
            .arg(format!("dir:{}", p.image.display()))
            .arg(format!("dir:{}", signed.display())));
        // What was logged: the signer's public key, the signature, the payload's hash.
        let proposed = rekor.join().unwrap();
        assert_eq!(proposed["apiVersion"], "0.0.1");
        assert_eq!(proposed["kind"], "hashedrekord");
        let sig: serde_json::Value = {
            let blob = std::fs::read(signed.join("signature-1")).unwrap();
            serde_json::from_slice(blob.strip_prefix(b"\0sigstore-json\n").unwrap()).unwrap()
        };
        let payload = base64::engine::general_purpose::STANDARD
            .decode(sig["payload"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            proposed["spec"]["data"]["hash"],
            json!({"algorithm": "sha256", "value": &sha256(&payload)[7..]})
        );
        assert_eq!(
            proposed["spec"]["signature"]["content"],
            sig["annotations"]["dev.cosignproject.cosign/signature"]
        );
        let logged_key = base64::engine::general_purpose::STANDARD
            .decode(
                proposed["spec"]["signature"]["publicKey"]["content"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(
            String::from_utf8(logged_key).unwrap(),
            std::fs::read_to_string(p.path("signer.pub")).unwrap()
        );
    });

    // The signed copy verifies with the key and the Rekor key; another Rekor key refuses it.
    let verify = |rekor: &str| {
        let policy = p.policy(&format!(
            r#""keyPath":"{}","rekorPublicKeyPath":"{}""#,
            p.path("signer.pub").display(),
            p.path(&format!("{rekor}.pub")).display()
        ));
        let dest = p.path(&format!("out-{}", rand_suffix()));
        let out = run(skiff()
            .arg("--policy")
            .arg(&policy)
            .args(["copy", "-q"])
            .arg(format!("dir:{}", signed.display()))
            .arg(format!("dir:{}", dest.display())));
        if out.status.success() {
            Ok(())
        } else {
            Err(fatal_message(&String::from_utf8_lossy(&out.stderr)))
        }
    };
    assert_eq!(verify("rekor"), Ok(()));
    assert_eq!(
        verify("other"),
        rejected(
            "No public key verified against the RekorSET: cryptographic signature verification of Rekor SET failed"
        )
    );
}

/// openssl's signature algorithm of a certificate (`ecdsa-with-SHA384`, …).
fn signature_algorithm(p: &Pki, cert: &str) -> String {
    let text = String::from_utf8(p.openssl(&["x509", "-in", cert, "-noout", "-text"])).unwrap();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Signature Algorithm: "))
        .unwrap()
        .to_string()
}

/// openssl's verdict on `leaf` chained through `untrusted` to `root` (the oracle that the
/// chain the test made is a valid one).
fn openssl_verifies(p: &Pki, root: &str, untrusted: Option<&str>, leaf: &str) -> bool {
    let mut args = vec!["verify", "-purpose", "any", "-CAfile", root];
    if let Some(u) = untrusted {
        args.extend(["-untrusted", u]);
    }
    args.push(leaf);
    run(Command::new("openssl").current_dir(p.t.path()).args(&args))
        .status
        .success()
}

/// When no chain reaches a trusted root, Go's `x509` names the first candidate CA that
/// failed and why, and c/image passes that on; a chain through a CA that restricts the key
/// usage to another purpose is refused for that. openssl refuses each chain too; the texts
/// are Go's crypto/x509 ones (Debian's skopeo 1.9.3 has sigstore verification patched out).
#[test]
fn pki_chain_refusals_name_the_candidate_as_go_does() {
    let Some(p) = Pki::new() else { return };
    let ca_usage = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign";
    p.ca("root");
    // The same name with another key, as after a CA's key was replaced.
    p.ca_as("rotated-root", "root", "basicConstraints=critical,CA:TRUE");
    // A root that allows no intermediate below it.
    p.ca_as(
        "strict-root",
        "strict-root",
        "basicConstraints=critical,CA:TRUE,pathlen:0",
    );
    p.issue("intermediate", "root", ca_usage);
    p.issue("strict-intermediate", "strict-root", ca_usage);
    p.issue(
        "not-a-ca",
        "root",
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature",
    );
    p.issue(
        "tls-intermediate",
        "root",
        &format!("{ca_usage}\nextendedKeyUsage=serverAuth"),
    );
    p.pki_leaf("leaf", "intermediate", "2", "codeSigning");
    p.pki_leaf("strict-leaf", "strict-intermediate", "2", "codeSigning");
    p.pki_leaf("leaf-of-not-a-ca", "not-a-ca", "2", "codeSigning");
    p.pki_leaf("tls-leaf", "tls-intermediate", "2", "codeSigning");
    let email = format!(r#","subjectEmail":"{EMAIL}""#);
    // The chain annotation ends with its root, which c/image leaves out.
    let refused = |why: &str, candidate: &str| {
        rejected(&format!(
            "veryfing leaf certificate failed: x509: certificate signed by unknown authority (possibly because of \"{why}\" while trying to verify candidate authority certificate \"{candidate}\")"
        ))
    };

    assert!(!openssl_verifies(
        &p,
        "rotated-root.pem",
        Some("intermediate.pem"),
        "leaf.pem"
    ));
    p.attach_pki("leaf", &["intermediate.pem", "root.pem"]);
    assert_eq!(p.verify(&p.pki_policy("root.pem", &email)), Ok(()));
    assert_eq!(
        p.verify(&p.pki_policy("rotated-root.pem", &email)),
        refused("x509: ECDSA verification failure", "root")
    );

    assert!(!openssl_verifies(
        &p,
        "strict-root.pem",
        Some("strict-intermediate.pem"),
        "strict-leaf.pem"
    ));
    p.attach_pki(
        "strict-leaf",
        &["strict-intermediate.pem", "strict-root.pem"],
    );
    assert_eq!(
        p.verify(&p.pki_policy("strict-root.pem", &email)),
        refused(
            "x509: too many intermediates for path length constraint",
            "strict-root"
        )
    );

    assert!(!openssl_verifies(
        &p,
        "root.pem",
        Some("not-a-ca.pem"),
        "leaf-of-not-a-ca.pem"
    ));
    p.attach_pki("leaf-of-not-a-ca", &["not-a-ca.pem", "root.pem"]);
    assert_eq!(
        p.verify(&p.pki_policy("root.pem", &email)),
        refused(
            "x509: invalid signature: parent certificate cannot sign this kind of certificate",
            "not-a-ca"
        )
    );

    // The chain itself holds (openssl, no purpose asked), but its CA is for TLS servers only.
    assert!(openssl_verifies(
        &p,
        "root.pem",
        Some("tls-intermediate.pem"),
        "tls-leaf.pem"
    ));
    let usage = p.openssl(&[
        "x509",
        "-noout",
        "-ext",
        "extendedKeyUsage",
        "-in",
        "tls-intermediate.pem",
    ]);
    assert!(String::from_utf8_lossy(&usage).contains("TLS Web Server Authentication"));
    p.attach_pki("tls-leaf", &["tls-intermediate.pem", "root.pem"]);
    assert_eq!(
        p.verify(&p.pki_policy("root.pem", &email)),
        rejected(
            "veryfing leaf certificate failed: x509: certificate specifies an incompatible key usage"
        )
    );
}

/// The public Fulcio CA is ECDSA P-384 (root and intermediate, SHA-384 signatures); its
/// leaves are P-256 (cosign's default) or P-384 keys. A chain of that shape made by openssl.
#[test]
fn fulcio_p384_root_and_intermediate() {
    let Some(p) = Pki::new() else { return };
    *p.curve.lock().unwrap() = P384;
    p.ca("root");
    p.ca("other-root");
    p.issue(
        "intermediate",
        "root",
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\nextendedKeyUsage=codeSigning",
    );
    *p.curve.lock().unwrap() = P256;
    p.key("rekor");
    p.leaf("leaf", "intermediate", EMAIL, ISSUER);
    *p.curve.lock().unwrap() = P384;
    p.leaf("leaf384", "intermediate", EMAIL, ISSUER);
    assert_eq!(signature_algorithm(&p, "root.pem"), "ecdsa-with-SHA384");
    assert_eq!(
        signature_algorithm(&p, "intermediate.pem"),
        "ecdsa-with-SHA384"
    );
    assert_eq!(signature_algorithm(&p, "leaf.pem"), "ecdsa-with-SHA384");
    let chain = [
        std::fs::read(p.path("intermediate.pem")).unwrap(),
        std::fs::read(p.path("root.pem")).unwrap(),
    ]
    .concat();
    let payload = p.payload();
    for leaf in ["leaf", "leaf384"] {
        let leaf_pem = format!("{leaf}.pem");
        assert!(openssl_verifies(
            &p,
            "root.pem",
            Some("intermediate.pem"),
            &leaf_pem
        ));
        let cert = std::fs::read(p.path(&leaf_pem)).unwrap();
        let signature = p.sign(leaf, &payload);
        let set = p.set("rekor", &payload, &signature, &cert, now());
        p.attach(
            &payload,
            json!({
                "dev.cosignproject.cosign/signature": signature,
                "dev.sigstore.cosign/certificate": String::from_utf8_lossy(&cert),
                "dev.sigstore.cosign/chain": String::from_utf8_lossy(&chain),
                "dev.sigstore.cosign/bundle": set,
            }),
        );
        assert_eq!(
            p.verify(&p.fulcio_policy("root", ISSUER, EMAIL, "rekor")),
            Ok(()),
            "{leaf}"
        );
        // Another P-384 root does not reach the leaf.
        assert!(!openssl_verifies(
            &p,
            "other-root.pem",
            Some("intermediate.pem"),
            &leaf_pem
        ));
        assert_eq!(
            p.verify(&p.fulcio_policy("other-root", ISSUER, EMAIL, "rekor")),
            rejected(
                "veryfing leaf certificate failed: x509: certificate signed by unknown authority"
            )
        );
    }
    // A payload the leaf did not sign (its P-384 key checked over the SHA-256 digest).
    let signature = p.sign("leaf384", b"another payload");
    let cert = std::fs::read(p.path("leaf384.pem")).unwrap();
    let set = p.set("rekor", &payload, &signature, &cert, now());
    p.attach(
        &payload,
        json!({
            "dev.cosignproject.cosign/signature": signature,
            "dev.sigstore.cosign/certificate": String::from_utf8_lossy(&cert),
            "dev.sigstore.cosign/chain": String::from_utf8_lossy(&chain),
            "dev.sigstore.cosign/bundle": set,
        }),
    );
    assert_eq!(
        p.verify(&p.fulcio_policy("root", ISSUER, EMAIL, "rekor")),
        rejected(
            "cryptographic signature verification failed: invalid signature when validating ASN.1 encoded signature"
        )
    );
}

const HOST: &str = "build.example.com";

impl Pki {
    /// A leaf for `pki`: code signing, an e-mail and a DNS name in its SANs.
    fn pki_leaf(&self, name: &str, issuer: &str, days: &str, eku: &str) {
        self.issue_for_days(
            name,
            issuer,
            &format!(
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage={eku}\nsubjectAltName=email:{EMAIL},DNS:{HOST}"
            ),
            days,
        );
    }

    /// Signs the payload with `NAME.key` and stores it with `NAME.pem` and `chain` (PEM
    /// files joined) in the annotations.
    fn attach_pki(&self, name: &str, chain: &[&str]) {
        let payload = self.payload();
        let signature = self.sign(name, &payload);
        let cert = std::fs::read_to_string(self.path(&format!("{name}.pem"))).unwrap();
        let mut annotations = json!({
            "dev.cosignproject.cosign/signature": signature,
            "dev.sigstore.cosign/certificate": cert,
        });
        if !chain.is_empty() {
            let chain: String = chain
                .iter()
                .map(|c| std::fs::read_to_string(self.path(c)).unwrap())
                .collect();
            annotations["dev.sigstore.cosign/chain"] = chain.into();
        }
        self.attach(&payload, annotations);
    }

    /// A `pki` policy; `fields` are added to the `pki` object.
    fn pki_policy(&self, roots: &str, fields: &str) -> PathBuf {
        self.policy(&format!(
            r#""pki":{{"caRootsPath":"{}"{fields}}}"#,
            self.path(roots).display()
        ))
    }
}

/// `sigstoreSigned` with `pki` (skopeo HEAD): the certificate in the signature chained to the
/// policy's roots now (through its trusted intermediates and the signature's chain), then the
/// e-mail and host name it must name. No Rekor. Certificates and signatures made by openssl.
#[test]
fn pki_certificates_chained_to_roots() {
    let Some(p) = Pki::new() else { return };
    p.ca("root");
    p.ca("other-ca");
    p.issue(
        "intermediate",
        "root",
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign",
    );
    p.pki_leaf("leaf", "intermediate", "2", "codeSigning");
    assert!(openssl_verifies(
        &p,
        "root.pem",
        Some("intermediate.pem"),
        "leaf.pem"
    ));
    let email = format!(r#","subjectEmail":"{EMAIL}""#);

    // The chain in the signature: accepted by e-mail, by host name, by both.
    p.attach_pki("leaf", &["intermediate.pem", "root.pem"]);
    assert_eq!(p.verify(&p.pki_policy("root.pem", &email)), Ok(()));
    let host = format!(r#","subjectHostname":"{HOST}""#);
    assert_eq!(p.verify(&p.pki_policy("root.pem", &host)), Ok(()));
    let upper_host = format!(r#","subjectHostname":"{}""#, HOST.to_uppercase());
    assert_eq!(
        p.verify(&p.pki_policy("root.pem", &format!("{email}{upper_host}"))),
        Ok(())
    );

    // The intermediate trusted by the policy instead: the signature needs no chain.
    p.attach_pki("leaf", &[]);
    assert_eq!(
        p.verify(&p.pki_policy("root.pem", &email)),
        rejected("veryfing leaf certificate failed: x509: certificate signed by unknown authority")
    );
    let with_intermediates = format!(
        r#","caIntermediatesPath":"{}"{email}"#,
        p.path("intermediate.pem").display()
    );
    assert_eq!(
        p.verify(&p.pki_policy("root.pem", &with_intermediates)),
        Ok(())
    );

    // What the certificate names is not what the policy requires.
    p.attach_pki("leaf", &["intermediate.pem", "root.pem"]);
    assert_eq!(
        p.verify(&p.pki_policy("root.pem", r#","subjectEmail":"other@example.com""#)),
        rejected(&format!(
            "Required email \"other@example.com\" not found (got [\"{EMAIL}\"])"
        ))
    );
    assert_eq!(
        p.verify(&p.pki_policy("root.pem", r#","subjectHostname":"other.example.com""#)),
        rejected(&format!(
            "Unexpected subject hostname: x509: certificate is valid for {HOST}, not other.example.com"
        ))
    );
    assert_eq!(
        p.verify(&p.pki_policy("root.pem", r#","subjectHostname":"10.0.0.1""#)),
        rejected(
            "Unexpected subject hostname: x509: cannot validate certificate for 10.0.0.1 because it doesn't contain any IP SANs"
        )
    );

    // Roots the leaf does not chain to.
    assert!(!openssl_verifies(
        &p,
        "other-ca.pem",
        Some("intermediate.pem"),
        "leaf.pem"
    ));
    assert_eq!(
        p.verify(&p.pki_policy("other-ca.pem", &email)),
        rejected("veryfing leaf certificate failed: x509: certificate signed by unknown authority")
    );

    // Expired (valid until a day before it was issued).
    p.pki_leaf("expired", "intermediate", "-1", "codeSigning");
    p.attach_pki("expired", &["intermediate.pem", "root.pem"]);
    let expired = p.verify(&p.pki_policy("root.pem", &email)).unwrap_err();
    let prefix = "Source image rejected: veryfing leaf certificate failed: x509: certificate has expired or is not yet valid: current time ";
    let suffix = format!(" is after {}", not_after(&p, "expired.pem"));
    assert!(
        expired.starts_with(prefix) && expired.ends_with(&suffix),
        "{expired}"
    );

    // Not for code signing.
    p.pki_leaf("server", "intermediate", "2", "serverAuth");
    p.attach_pki("server", &["intermediate.pem", "root.pem"]);
    assert_eq!(
        p.verify(&p.pki_policy("root.pem", &email)),
        rejected(
            "veryfing leaf certificate failed: x509: certificate specifies an incompatible key usage"
        )
    );

    // No certificate in the signature; a payload the certificate's key did not sign.
    let payload = p.payload();
    let signature = p.sign("leaf", &payload);
    p.attach(
        &payload,
        json!({"dev.cosignproject.cosign/signature": signature}),
    );
    assert_eq!(
        p.verify(&p.pki_policy("root.pem", &email)),
        rejected("missing dev.sigstore.cosign/certificate annotation")
    );
    p.attach(
        &payload,
        json!({
            "dev.cosignproject.cosign/signature": p.sign("other-ca", &payload),
            "dev.sigstore.cosign/certificate": std::fs::read_to_string(p.path("leaf.pem")).unwrap(),
            "dev.sigstore.cosign/chain": std::fs::read_to_string(p.path("intermediate.pem")).unwrap()
                + &std::fs::read_to_string(p.path("root.pem")).unwrap(),
        }),
    );
    assert_eq!(
        p.verify(&p.pki_policy("root.pem", &email)),
        rejected(
            "cryptographic signature verification failed: invalid signature when validating ASN.1 encoded signature"
        )
    );

    // P-384 roots, as a PKI may have them; the roots inline (caRootsData).
    *p.curve.lock().unwrap() = P384;
    p.ca("root384");
    p.pki_leaf("leaf384", "root384", "2", "codeSigning");
    p.attach_pki("leaf384", &[]);
    let data = b64(&std::fs::read(p.path("root384.pem")).unwrap());
    assert_eq!(
        p.verify(&p.policy(&format!(
            r#""pki":{{"caRootsData":"{data}","subjectEmail":"{EMAIL}"}}"#
        ))),
        Ok(())
    );
}

/// A `pki` requirement whose files cannot be used: one line, nothing copied.
#[test]
fn pki_roots_that_cannot_be_loaded() {
    let Some(p) = Pki::new() else { return };
    p.ca("root");
    p.pki_leaf("leaf", "root", "2", "codeSigning");
    p.attach_pki("leaf", &[]);
    let email = format!(r#","subjectEmail":"{EMAIL}""#);
    std::fs::write(p.path("empty.pem"), "no certificates here\n").unwrap();
    assert_eq!(
        p.verify(&p.pki_policy("empty.pem", &email)),
        rejected("error loading PKI CA Roots certificates")
    );
    let missing = p.path("missing.pem");
    assert_eq!(
        p.verify(&p.pki_policy("missing.pem", &email)),
        rejected(&format!(
            "open {}: no such file or directory",
            missing.display()
        ))
    );
}
