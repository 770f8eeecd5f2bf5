//! `--sign-by-sigstore` with a `fulcio:` section (`oidcMode: staticToken`, the OIDC ID token
//! in the parameter file). No real Fulcio can run here (it needs an OIDC provider and its own
//! CA service), so a stand-in Fulcio written in this test answers `POST /api/v1/signingCert`
//! on loopback as Fulcio does: it checks the bearer token and the proof of possession (openssl
//! verifies the signature over the token's e-mail with the submitted public key), then issues
//! a leaf for that key with openssl — code signing, the e-mail as a critical SAN, the OIDC
//! issuer extensions — under an openssl-made root and intermediate, and answers with the PEM
//! chain. The stand-in Rekor of `sigstore_fulcio` logs the signature. What skiff wrote is
//! checked by skiff's `sigstoreSigned` `fulcio` policy and, independently, by openssl.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::{Value, json};

use crate::sigstore_fulcio::{EMAIL, IDENTITY, ISSUER, Pki, b64, now, rand_suffix, stand_in_rekor};
use crate::support::fixtures::sha256;
use crate::support::registry::{Registry, free_port, http};
use crate::support::*;

pub(crate) fn b64url(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub(crate) fn unb64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

/// An OIDC ID token as an issuer would sign it (ES256 by the `oidc` key, made with openssl);
/// the stand-in trusts exactly this token, as Fulcio trusts its issuers' keys.
fn id_token(p: &Pki, claims: Value) -> String {
    let signed = format!(
        "{}.{}",
        b64url(br#"{"alg":"ES256","typ":"JWT"}"#),
        b64url(claims.to_string().as_bytes())
    );
    let der = unb64(&p.sign("oidc", signed.as_bytes()));
    format!("{signed}.{}", b64url(&der))
}

/// One HTTP request: its request line, headers (names lower-cased) and body.
pub(crate) struct Received {
    pub(crate) line: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

pub(crate) fn read_request(conn: &std::net::TcpStream) -> Option<Received> {
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    if line.is_empty() {
        return None;
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        if h.trim().is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_lowercase(), v.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        line,
        headers,
        body,
    })
}

/// How the stand-in Fulcio answers.
#[derive(Clone, Copy)]
pub(crate) enum Fulcio {
    /// Issues a certificate as Fulcio does.
    Issue,
    /// Refuses the token (401, as Fulcio answers a token it cannot verify).
    Refuse,
}

/// The stand-in Fulcio: serves one request on loopback. Returns its port and a handle giving
/// the certificate request it received (`None` when nobody asked). The CA files are the
/// `root` and `inter` of `p`; `token` is the only token it accepts.
pub(crate) fn stand_in_fulcio<'s>(
    scope: &'s std::thread::Scope<'s, '_>,
    p: &'s Pki,
    token: &'s str,
    mode: Fulcio,
) -> (u16, std::thread::ScopedJoinHandle<'s, Option<Value>>) {
    stand_in_fulcio_for(scope, p, move || token.to_string(), mode)
}

/// [`stand_in_fulcio`] accepting the token `token()` gives when the request arrives (one an
/// OIDC login is still to grant when the stand-in starts).
pub(crate) fn stand_in_fulcio_for<'s>(
    scope: &'s std::thread::Scope<'s, '_>,
    p: &'s Pki,
    token: impl Fn() -> String + Send + 's,
    mode: Fulcio,
) -> (u16, std::thread::ScopedJoinHandle<'s, Option<Value>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = scope.spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let req = read_request(&conn)?;
        let respond = |conn: &mut std::net::TcpStream, status: &str, extra: &str, body: &[u8]| {
            write!(
                conn,
                "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .unwrap();
            conn.write_all(body).unwrap();
        };
        if let Fulcio::Refuse = mode {
            respond(&mut conn, "401 Unauthorized", "", b"invalid identity token\n");
            return Some(Value::Null);
        }
        assert!(req.line.starts_with("POST /api/v1/signingCert "), "{}", req.line);
        let header = |name: &str| {
            req.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(header("authorization"), format!("Bearer {}", token()));
        assert_eq!(header("content-type"), "application/json");
        let request: Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(request["publicKey"]["algorithm"], "ecdsa");
        // Proof of possession: the token's e-mail signed by the key to certify.
        let n = rand_suffix();
        let spki = p.path(&format!("submitted-{n}.der"));
        std::fs::write(&spki, unb64(request["publicKey"]["content"].as_str().unwrap())).unwrap();
        let public = format!("submitted-{n}.pub");
        p.openssl(&["pkey", "-pubin", "-inform", "DER", "-in", spki.to_str().unwrap(), "-out", &public]);
        let proof = p.path(&format!("proof-{n}.der"));
        std::fs::write(&proof, unb64(request["signedEmailAddress"].as_str().unwrap())).unwrap();
        let subject = p.path(&format!("subject-{n}"));
        std::fs::write(&subject, EMAIL).unwrap();
        let verified = p.openssl(&[
            "dgst", "-sha256", "-verify", &public, "-signature", proof.to_str().unwrap(),
            subject.to_str().unwrap(),
        ]);
        assert_eq!(String::from_utf8_lossy(&verified).trim(), "Verified OK");
        // The leaf, as Fulcio makes it: no subject, the e-mail SAN, both issuer extensions.
        std::fs::write(
            p.path("leaf.ext"),
            format!(
                "[ext]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectAltName=critical,email:{EMAIL}\n1.3.6.1.4.1.57264.1.1=DER:{}\n1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:{ISSUER}\n",
                hex::encode(ISSUER)
            ),
        )
        .unwrap();
        let leaf = format!("leaf-{n}.pem");
        p.openssl(&[
            "x509", "-new", "-force_pubkey", &public, "-subj", "/", "-CA", "inter.pem", "-CAkey",
            "inter.key", "-set_serial", &format!("{}", 1000 + n), "-days", "1", "-extfile",
            "leaf.ext", "-extensions", "ext", "-out", &leaf,
        ]);
        let mut chain = std::fs::read(p.path(&leaf)).unwrap();
        chain.extend(std::fs::read(p.path("inter.pem")).unwrap());
        chain.extend(std::fs::read(p.path("root.pem")).unwrap());
        respond(
            &mut conn,
            "201 Created",
            &format!(
                "Content-Type: application/pem-certificate-chain\r\nSCT: {}\r\n",
                b64(b"a detached SCT")
            ),
            &chain,
        );
        Some(request)
    });
    (port, handle)
}

/// Wakes a stand-in that nobody called (skiff failed first), so its thread ends.
pub(crate) fn release(port: u16) {
    let _ = std::net::TcpStream::connect(("127.0.0.1", port));
}

pub(crate) struct Setup {
    pub(crate) p: Pki,
    token: String,
}

impl Setup {
    pub(crate) fn new() -> Option<Setup> {
        let p = Pki::new()?;
        p.ca("root");
        p.issue(
            "inter",
            "root",
            "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nextendedKeyUsage=codeSigning",
        );
        p.key("oidc");
        p.key("rekor");
        let token = id_token(
            &p,
            json!({"iss": ISSUER, "aud": "sigstore", "sub": "4242", "email": EMAIL,
                   "email_verified": true, "iat": now(), "exp": now() + 600}),
        );
        Some(Setup { p, token })
    }

    /// A parameter file naming Fulcio at `fulcio` with `token`, and maybe Rekor.
    fn params(&self, fulcio: &str, token: &str, rekor: Option<u16>) -> PathBuf {
        let f = self.p.path(&format!("params-{}.yaml", rand_suffix()));
        let mut text = format!(
            "fulcio:\n  fulcioURL: {fulcio}\n  oidcMode: staticToken\n  oidcIDToken: {token}\n"
        );
        if let Some(port) = rekor {
            text.push_str(&format!("rekorURL: http://127.0.0.1:{port}\n"));
        }
        std::fs::write(&f, text).unwrap();
        f
    }

    /// skiff signs the test image into `dest` with `params`.
    pub(crate) fn sign(
        &self,
        regd: Option<&Path>,
        params: &Path,
        dest: &str,
    ) -> std::process::Output {
        let mut c = skiff();
        if let Some(d) = regd {
            c.arg("--registries.d").arg(d);
        }
        run(c
            .args(["--insecure-policy", "copy", "-q", "--dest-tls-verify=false"])
            .args(["--sign-identity", IDENTITY, "--sign-by-sigstore"])
            .arg(params)
            .arg(format!("dir:{}", self.p.image.display()))
            .arg(dest))
    }

    /// Signs into `dest` with the stand-in Fulcio and Rekor; the requests they received.
    fn sign_with_fulcio_and_rekor(&self, regd: Option<&Path>, dest: &str) -> (Value, Value) {
        std::thread::scope(|scope| {
            let (fulcio, issued) = stand_in_fulcio(scope, &self.p, &self.token, Fulcio::Issue);
            let (rekor, logged) = stand_in_rekor(scope, &self.p, "rekor");
            let params = self.params(
                &format!("http://127.0.0.1:{fulcio}"),
                &self.token,
                Some(rekor),
            );
            let out = self.sign(regd, &params, dest);
            release(fulcio);
            release(rekor);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            (issued.join().unwrap().unwrap(), logged.join().unwrap())
        })
    }

    /// The `sigstoreSigned` policy trusting the root for the token's issuer and `email`.
    pub(crate) fn policy(&self, email: &str) -> PathBuf {
        self.p.policy(&format!(
            r#""fulcio":{{"caPath":"{}","oidcIssuer":"{ISSUER}","subjectEmail":"{email}"}},"rekorPublicKeyPath":"{}""#,
            self.p.path("root.pem").display(),
            self.p.path("rekor.pub").display(),
        ))
    }

    /// openssl's checks of one signature: the certificate chains to the root through the
    /// chain skiff stored, and the leaf's key verifies the signature over the payload.
    pub(crate) fn openssl_verifies(&self, payload: &[u8], annotations: &Value) {
        let n = rand_suffix();
        let file = |name: &str, bytes: &[u8]| {
            let f = self.p.path(&format!("{name}-{n}"));
            std::fs::write(&f, bytes).unwrap();
            f.to_str().unwrap().to_string()
        };
        let leaf = file(
            "cert",
            annotations["dev.sigstore.cosign/certificate"]
                .as_str()
                .unwrap()
                .as_bytes(),
        );
        let chain = file(
            "chain",
            annotations["dev.sigstore.cosign/chain"]
                .as_str()
                .unwrap()
                .as_bytes(),
        );
        let verified =
            self.p
                .openssl(&["verify", "-CAfile", "root.pem", "-untrusted", &chain, &leaf]);
        assert_eq!(
            String::from_utf8_lossy(&verified).trim(),
            format!("{leaf}: OK")
        );
        let public = file(
            "leafkey",
            &self.p.openssl(&["x509", "-in", &leaf, "-pubkey", "-noout"]),
        );
        let sig = file(
            "sig",
            &unb64(
                annotations["dev.cosignproject.cosign/signature"]
                    .as_str()
                    .unwrap(),
            ),
        );
        let payload = file("payload", payload);
        let out = self.p.openssl(&[
            "dgst",
            "-sha256",
            "-verify",
            &public,
            "-signature",
            &sig,
            &payload,
        ]);
        assert_eq!(String::from_utf8_lossy(&out).trim(), "Verified OK");
    }
}

/// The sigstore signature skiff stored as `signature-1` of a `dir:` image.
pub(crate) fn dir_signature(dir: &Path) -> Value {
    let blob = std::fs::read(dir.join("signature-1")).unwrap();
    serde_json::from_slice(blob.strip_prefix(b"\0sigstore-json\n").unwrap()).unwrap()
}

/// The Rekor entry logged the Fulcio certificate, the signature and the payload's hash.
fn check_logged(logged: &Value, payload: &[u8], annotations: &Value) {
    assert_eq!(logged["kind"], "hashedrekord");
    assert_eq!(
        logged["spec"]["data"]["hash"]["value"],
        sha256(payload)[7..].to_string()
    );
    assert_eq!(
        logged["spec"]["signature"]["content"],
        annotations["dev.cosignproject.cosign/signature"]
    );
    let logged_cert = unb64(
        logged["spec"]["signature"]["publicKey"]["content"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(
        String::from_utf8(logged_cert).unwrap(),
        annotations["dev.sigstore.cosign/certificate"]
            .as_str()
            .unwrap()
    );
}

#[test]
fn fulcio_signing_into_dir_and_registry_verified_by_skiff_and_openssl() {
    let Some(s) = Setup::new() else { return };
    let Some(reg) = Registry::start() else { return };
    let (policy, other_email) = (s.policy(EMAIL), s.policy("someone@example.com"));
    // skiff's verdict under `policy`; a policy for another e-mail must refuse the same image.
    let skiff_accepts = |regd: Option<&Path>, from: &str| {
        let copy = |policy: &Path| {
            let dest = s.p.path(&format!("verified-{}", rand_suffix()));
            let mut c = skiff();
            if let Some(d) = regd {
                c.arg("--registries.d").arg(d);
            }
            let out = run(c
                .arg("--policy")
                .arg(policy)
                .args(["copy", "-q", "--src-tls-verify=false", from])
                .arg(format!("dir:{}", dest.display())));
            assert_eq!(out.status.success(), dest.join("manifest.json").exists());
            out
        };
        let accepted = copy(&policy);
        assert!(
            accepted.status.success(),
            "{}",
            String::from_utf8_lossy(&accepted.stderr)
        );
        let refused = copy(&other_email);
        assert_eq!(
            fatal_message(&String::from_utf8_lossy(&refused.stderr)),
            format!(
                "Source image rejected: Required email \"someone@example.com\" not found (got [\"{EMAIL}\"])"
            )
        );
    };

    // Into dir:.
    let signed = s.p.path("signed");
    let dest = format!("dir:{}", signed.display());
    let (request, logged) = s.sign_with_fulcio_and_rekor(None, &dest);
    let sig = dir_signature(&signed);
    assert_eq!(
        sig["mimeType"],
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
    let payload = unb64(sig["payload"].as_str().unwrap());
    let annotations = &sig["annotations"];
    s.openssl_verifies(&payload, annotations);
    check_logged(&logged, &payload, annotations);
    // The certificate certifies the key skiff sent with its proof of possession.
    let leaf = s.p.path("signed-leaf.pem");
    std::fs::write(
        &leaf,
        annotations["dev.sigstore.cosign/certificate"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let leaf_key = s.p.path("signed-leaf.pub");
    std::fs::write(
        &leaf_key,
        s.p.openssl(&["x509", "-in", leaf.to_str().unwrap(), "-pubkey", "-noout"]),
    )
    .unwrap();
    assert_eq!(
        b64(&s.p.openssl(&[
            "pkey",
            "-pubin",
            "-in",
            leaf_key.to_str().unwrap(),
            "-outform",
            "DER"
        ])),
        request["publicKey"]["content"].as_str().unwrap()
    );
    // The chain annotation holds what Fulcio sent after the leaf (intermediate, root).
    let mut chain = std::fs::read_to_string(s.p.path("inter.pem")).unwrap();
    chain.push_str(&std::fs::read_to_string(s.p.path("root.pem")).unwrap());
    assert_eq!(
        annotations["dev.sigstore.cosign/chain"].as_str().unwrap(),
        chain
    );
    skiff_accepts(None, &dest);

    // Into a registry, as an attachment.
    let regd = s.p.path("registries.d");
    std::fs::create_dir(&regd).unwrap();
    std::fs::write(
        regd.join("attachments.yaml"),
        format!(
            "docker:\n  {}:\n    use-sigstore-attachments: true\n",
            reg.host
        ),
    )
    .unwrap();
    let image = format!("docker://{}/fulcio:v1", reg.host);
    s.sign_with_fulcio_and_rekor(Some(&regd), &image);
    let get = |path: &str, accept: &str| {
        let (status, body) = http(&reg.host, "GET", path, &[("Accept", accept)], b"");
        assert_eq!(status, 200, "GET {path}");
        body
    };
    let digest = sha256(&get(
        "/v2/fulcio/manifests/v1",
        "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
    ));
    let attachment: Value = serde_json::from_slice(&get(
        &format!("/v2/fulcio/manifests/{}.sig", digest.replacen(':', "-", 1)),
        "application/vnd.oci.image.manifest.v1+json",
    ))
    .unwrap();
    let layer = &attachment["layers"][0];
    let payload = get(
        &format!("/v2/fulcio/blobs/{}", layer["digest"].as_str().unwrap()),
        "*/*",
    );
    s.openssl_verifies(&payload, &layer["annotations"]);
    skiff_accepts(Some(&regd), &image);
}

#[test]
fn fulcio_without_rekor_signs_and_the_policy_wants_a_set() {
    let Some(s) = Setup::new() else { return };
    let signed = s.p.path("signed");
    std::thread::scope(|scope| {
        let (fulcio, issued) = stand_in_fulcio(scope, &s.p, &s.token, Fulcio::Issue);
        let params = s.params(&format!("http://127.0.0.1:{fulcio}"), &s.token, None);
        let out = s.sign(None, &params, &format!("dir:{}", signed.display()));
        release(fulcio);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(issued.join().unwrap().is_some());
    });
    let sig = dir_signature(&signed);
    let annotations = &sig["annotations"];
    assert!(annotations.get("dev.sigstore.cosign/bundle").is_none());
    s.openssl_verifies(&unb64(sig["payload"].as_str().unwrap()), annotations);
    // A `fulcio` policy always names Rekor keys, so it wants the SET this signature lacks.
    let out = run(skiff()
        .arg("--policy")
        .arg(s.policy(EMAIL))
        .args(["copy", "-q"])
        .arg(format!("dir:{}", signed.display()))
        .arg(format!("dir:{}", s.p.path("refused").display())));
    assert_eq!(
        fatal_message(&String::from_utf8_lossy(&out.stderr)),
        "Source image rejected: missing dev.sigstore.cosign/bundle annotation"
    );
    assert!(!s.p.path("refused").join("manifest.json").exists());
}

#[test]
fn fulcio_signing_failures_write_nothing() {
    let Some(s) = Setup::new() else { return };
    let closed = free_port();
    let attempt = |params: &Path, mode: Option<Fulcio>| -> (i32, String) {
        let dest = s.p.path(&format!("dest-{}", rand_suffix()));
        let out = std::thread::scope(|scope| {
            let served = mode.map(|m| stand_in_fulcio(scope, &s.p, &s.token, m));
            let params = match &served {
                Some((port, _)) => {
                    let text = std::fs::read_to_string(params).unwrap();
                    let f = s.p.path(&format!("served-{}.yaml", rand_suffix()));
                    std::fs::write(
                        &f,
                        text.replace("FULCIO", &format!("http://127.0.0.1:{port}")),
                    )
                    .unwrap();
                    f
                }
                None => params.to_path_buf(),
            };
            let out = s.sign(None, &params, &format!("dir:{}", dest.display()));
            if let Some((port, handle)) = served {
                release(port);
                handle.join().unwrap();
            }
            out
        });
        assert!(!dest.exists(), "nothing written at the destination");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        (out.status.code().unwrap_or(-1), fatal_message(&stderr))
    };
    let prefix = "Error using --sign-by-sigstore: ";
    let unreachable = s.params(&format!("http://127.0.0.1:{closed}"), &s.token, None);
    assert_eq!(
        attempt(&unreachable, None),
        (
            1,
            format!(
                "{prefix}obtaining certificate from Fulcio: client: Post \"http://127.0.0.1:{closed}/api/v1/signingCert\": dial tcp 127.0.0.1:{closed}: connect: connection refused"
            )
        )
    );
    let refused = s.params("FULCIO", &s.token, None);
    let (code, msg) = attempt(&refused, Some(Fulcio::Refuse));
    assert_eq!(code, 1);
    assert!(
        msg.starts_with(&format!(
            "{prefix}obtaining certificate from Fulcio: POST http://127.0.0.1:"
        )) && msg.ends_with(
            r#"/api/v1/signingCert returned 401 Unauthorized: "invalid identity token\n""#
        ),
        "{msg}"
    );
    let malformed = s.params(&format!("http://127.0.0.1:{closed}"), "not-a-jwt", None);
    assert_eq!(
        attempt(&malformed, None),
        (
            1,
            format!(
                "{prefix}parsing OIDC token: go-jose/go-jose: compact JWS format must have three parts"
            )
        )
    );
    let unverified = id_token(&s.p, json!({"iss": ISSUER, "email": EMAIL}));
    let unverified = s.params(&format!("http://127.0.0.1:{closed}"), &unverified, None);
    assert_eq!(
        attempt(&unverified, None),
        (
            1,
            format!("{prefix}parsing OIDC token: not verified by identity provider")
        )
    );
    let interactive = s.p.path("interactive.yaml");
    std::fs::write(
        &interactive,
        format!("fulcio:\n  fulcioURL: http://127.0.0.1:{closed}\n  oidcMode: interactive\n  oidcIssuerURL: http://127.0.0.1:{closed}\n  oidcClientID: sigstore\n"),
    )
    .unwrap();
    assert_eq!(
        attempt(&interactive, None),
        (
            1,
            format!(
                "{prefix}Error authenticating with OIDC: Get \"http://127.0.0.1:{closed}/.well-known/openid-configuration\": dial tcp 127.0.0.1:{closed}: connect: connection refused"
            )
        )
    );
    let unreadable = s.p.path("a-directory.yaml");
    std::fs::create_dir(&unreadable).unwrap();
    let shown = format!("{:?}", unreadable.display().to_string());
    assert_eq!(
        attempt(&unreadable, None),
        (
            1,
            format!(
                "{prefix}setting up signing using parameter file {shown}: reading {shown}: read {}: is a directory",
                unreadable.display()
            )
        )
    );
}
