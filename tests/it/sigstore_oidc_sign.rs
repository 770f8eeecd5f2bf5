//! `--sign-by-sigstore` with a `fulcio:` section whose ID token comes from an OIDC login
//! (`oidcMode: deviceGrant` and `interactive`). No OIDC provider can run on this machine, so a
//! stand-in OIDC provider written in this test serves on loopback what sigstore's oauthflow
//! talks to: discovery (`/.well-known/openid-configuration`), the device authorization
//! endpoint, the authorization endpoint (a redirect back to skiff's callback with a code), the
//! token endpoint and the JWKS (the `oidc` key made with openssl, whose ES256 signatures make
//! the ID tokens). It records every request, and the test checks them afterwards: the client
//! ID, the scopes, and that the PKCE verifier hashes to the challenge. For `interactive` the
//! browser is a fake `xdg-open` first on `PATH` (python3 fetching the URL and following the
//! redirect), or the test itself typing the code when there is no `xdg-open`. The token it grants goes
//! to the stand-in Fulcio of `sigstore_fulcio_sign`, which only accepts that token; the
//! signature is then checked by skiff's `fulcio` policy and by openssl, as for `staticToken`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

use base64::Engine;
use serde_json::{Value, json};

use crate::sigstore_fulcio::{EMAIL, IDENTITY, Pki, now, rand_suffix, stand_in_rekor};
use crate::sigstore_fulcio_sign::{
    Fulcio, Setup, b64url, dir_signature, read_request, release, stand_in_fulcio,
    stand_in_fulcio_for, unb64,
};
use crate::support::*;

const CLIENT_ID: &str = "sigstore";

/// An ES256 JWS signature (`r || s`) from openssl's DER one.
fn jws_signature(der: &[u8]) -> Vec<u8> {
    // SEQUENCE { INTEGER r, INTEGER s }, short lengths (P-256).
    let mut at = 2;
    let mut raw = Vec::new();
    for _ in 0..2 {
        let len = der[at + 1] as usize;
        let value = &der[at + 2..at + 2 + len];
        let value = value.strip_prefix(&[0]).unwrap_or(value);
        raw.extend(std::iter::repeat_n(0, 32 - value.len()));
        raw.extend_from_slice(value);
        at += 2 + len;
    }
    raw
}

/// An ID token signed by `key` as the stand-in issues it.
fn signed_token(p: &Pki, key: &str, claims: &Value) -> String {
    let signed = format!(
        "{}.{}",
        b64url(br#"{"alg":"ES256","kid":"test-key","typ":"JWT"}"#),
        b64url(claims.to_string().as_bytes())
    );
    let der = unb64(&p.sign(key, signed.as_bytes()));
    format!("{signed}.{}", b64url(&jws_signature(&der)))
}

/// The JWKS holding the public half of the `oidc` key.
fn jwks(p: &Pki) -> Value {
    let spki = p.openssl(&["pkey", "-pubin", "-in", "oidc.pub", "-outform", "DER"]);
    let point = &spki[spki.len() - 64..];
    json!({"keys": [{"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "test-key",
                     "x": b64url(&point[..32]), "y": b64url(&point[32..])}]})
}

/// How the stand-in provider answers.
#[derive(Clone)]
struct Behaviour {
    /// Serve the discovery document (else 404).
    discovery: bool,
    /// `authorization_pending` answers before the verdict.
    pending: usize,
    /// The token endpoint's final answer: `None` grants the token, else this OAuth error.
    refusal: Option<&'static str>,
    /// The granted token's audience.
    audience: &'static str,
    /// The key that signs the granted token (the JWKS holds `oidc`).
    signer: &'static str,
    /// The authorization endpoint sends the browser back with another `state`.
    wrong_state: bool,
    /// The device code's lifetime, in seconds.
    expires_in: u64,
}

impl Default for Behaviour {
    fn default() -> Behaviour {
        Behaviour {
            discovery: true,
            pending: 1,
            refusal: None,
            audience: CLIENT_ID,
            signer: "oidc",
            wrong_state: false,
            expires_in: 60,
        }
    }
}

/// A request the stand-in received: its path and its form (or query) fields.
#[derive(Debug)]
struct Seen {
    path: String,
    fields: BTreeMap<String, Vec<String>>,
    authorization: String,
}

impl Seen {
    fn field(&self, name: &str) -> String {
        self.fields
            .get(name)
            .map(|v| v.join(" "))
            .unwrap_or_default()
    }
}

fn form(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
        fields
            .entry(k.into_owned())
            .or_default()
            .push(v.into_owned());
    }
    fields
}

/// The stand-in OIDC provider on loopback: its issuer URL, the ID token it grants by the
/// device flow, the last one it granted, and the requests it saw (sent as they arrive).
struct Provider {
    port: u16,
    issuer: String,
    token: String,
    granted: Arc<Mutex<String>>,
    seen: mpsc::Receiver<Seen>,
}

/// The access token the stand-in grants with an ID token (whose `at_hash` names it).
const ACCESS_TOKEN: &str = "opaque-access-token";

fn stand_in_provider<'s>(
    scope: &'s std::thread::Scope<'s, '_>,
    p: &'s Pki,
    behaviour: Behaviour,
) -> Provider {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let issuer = format!("http://127.0.0.1:{port}");
    let token = signed_token(
        p,
        behaviour.signer,
        &json!({"iss": issuer, "aud": behaviour.audience, "sub": "4242", "email": EMAIL,
                "email_verified": true, "iat": now(), "exp": now() + 600}),
    );
    let keys = jwks(p);
    let (tx, seen) = mpsc::channel();
    let granted = Arc::new(Mutex::new(token.clone()));
    let (issuer_in, token_in, granted_in) = (issuer.clone(), token.clone(), granted.clone());
    scope.spawn(move || {
        let mut pending = behaviour.pending;
        // The authorization requests by the code they were answered with.
        let mut authorized: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        for conn in listener.incoming() {
            let mut conn = conn.unwrap();
            // An empty connection is `release`: the test is done with the stand-in.
            let Some(req) = read_request(&conn) else {
                return;
            };
            let target = req.line.split(' ').nth(1).unwrap_or("").to_string();
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            let mut fields = form(query);
            fields.extend(form(&String::from_utf8_lossy(&req.body)));
            let authorization = req
                .headers
                .iter()
                .find(|(k, _)| k == "authorization")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            let field = |name: &str| fields.get(name).map(|v| v.join(" ")).unwrap_or_default();
            let mut location = None;
            let (status, body) = match path {
                "/.well-known/openid-configuration" if behaviour.discovery => (
                    "200 OK",
                    json!({
                        "issuer": issuer_in,
                        "authorization_endpoint": format!("{issuer_in}/authorize"),
                        "token_endpoint": format!("{issuer_in}/token"),
                        "device_authorization_endpoint": format!("{issuer_in}/device"),
                        "jwks_uri": format!("{issuer_in}/keys"),
                        "code_challenge_methods_supported": ["plain", "S256"],
                        "id_token_signing_alg_values_supported": ["ES256"],
                        "response_types_supported": ["code"],
                        "subject_types_supported": ["public"],
                    }),
                ),
                "/keys" => ("200 OK", keys.clone()),
                "/device" => (
                    "200 OK",
                    json!({"device_code": "device-1234", "user_code": "WDJB-MJHT",
                           "verification_uri": format!("{issuer_in}/activate"),
                           "expires_in": behaviour.expires_in, "interval": 1}),
                ),
                "/authorize" => {
                    let code = format!("code-{}", rand_suffix());
                    let state = match behaviour.wrong_state {
                        true => "forged-state".to_string(),
                        false => field("state"),
                    };
                    let mut back = url::Url::parse(&field("redirect_uri")).unwrap();
                    back.query_pairs_mut()
                        .append_pair("code", &code)
                        .append_pair("state", &state);
                    location = Some(back.to_string());
                    authorized.insert(code, fields.clone());
                    ("302 Found", json!(""))
                }
                "/token" if field("grant_type") == "authorization_code" => {
                    // The code must be one this stand-in gave, for the same redirect, and
                    // the PKCE verifier must hash to that request's challenge.
                    let request = authorized.get(&field("code"));
                    let matches = request.is_some_and(|r| {
                        let get = |n: &str| r.get(n).map(|v| v.join(" ")).unwrap_or_default();
                        get("redirect_uri") == field("redirect_uri")
                            && get("code_challenge") == s256(&field("code_verifier"))
                    });
                    match (behaviour.refusal, request) {
                        (Some(error), _) => ("400 Bad Request", json!({"error": error})),
                        (None, Some(request)) if matches => {
                            use sha2::Digest;
                            let at_hash =
                                b64url(&sha2::Sha256::digest(ACCESS_TOKEN.as_bytes())[..16]);
                            let token = signed_token(
                                p,
                                behaviour.signer,
                                &json!({"iss": issuer_in, "aud": behaviour.audience,
                                        "sub": "4242", "email": EMAIL, "email_verified": true,
                                        "nonce": request["nonce"][0], "at_hash": at_hash,
                                        "iat": now(), "exp": now() + 600}),
                            );
                            *granted_in.lock().unwrap() = token.clone();
                            (
                                "200 OK",
                                json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer",
                                       "expires_in": 600, "id_token": token}),
                            )
                        }
                        _ => ("400 Bad Request", json!({"error": "invalid_grant"})),
                    }
                }
                "/token" if pending > 0 => {
                    pending -= 1;
                    ("400 Bad Request", json!({"error": "authorization_pending"}))
                }
                "/token" => match behaviour.refusal {
                    Some(error) => ("400 Bad Request", json!({"error": error})),
                    None => (
                        "200 OK",
                        json!({"access_token": "opaque", "token_type": "Bearer",
                               "expires_in": 600, "id_token": token_in}),
                    ),
                },
                _ => ("404 Not Found", json!("not found")),
            };
            tx.send(Seen {
                path: path.to_string(),
                fields,
                authorization,
            })
            .unwrap();
            let extra = location.map_or(String::new(), |l| format!("Location: {l}\r\n"));
            let body = match body {
                Value::String(s) => s,
                v => v.to_string(),
            };
            write!(
                conn,
                "HTTP/1.1 {status}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
        }
    });
    Provider {
        port,
        issuer,
        token,
        granted,
        seen,
    }
}

/// A parameter file for a device-grant login at `issuer`, then Fulcio at `fulcio`.
fn device_params(s: &Setup, fulcio: u16, issuer: &str, rekor: Option<u16>) -> PathBuf {
    let f = s.p.path(&format!("params-{}.yaml", rand_suffix()));
    let mut text = format!(
        "fulcio:\n  fulcioURL: http://127.0.0.1:{fulcio}\n  oidcMode: deviceGrant\n  oidcIssuerURL: {issuer}\n  oidcClientID: {CLIENT_ID}\n"
    );
    if let Some(port) = rekor {
        text.push_str(&format!("rekorURL: http://127.0.0.1:{port}\n"));
    }
    std::fs::write(&f, text).unwrap();
    f
}

/// What the PKCE challenge of an S256 verifier is.
fn s256(verifier: &str) -> String {
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

/// What was signed into the `dir:` image `signed` verifies: openssl on the payload and, with
/// `by_policy` (a Rekor SET was made), a copy under skiff's `fulcio` policy.
fn verify_signed(s: &Setup, signed: &Path, by_policy: bool) {
    let sig = dir_signature(signed);
    s.openssl_verifies(
        &unb64(sig["payload"].as_str().unwrap()),
        &sig["annotations"],
    );
    if !by_policy {
        return;
    }
    let verified = s.p.path("verified");
    let out = run(skiff()
        .arg("--policy")
        .arg(s.policy(EMAIL))
        .args(["copy", "-q"])
        .arg(format!("dir:{}", signed.display()))
        .arg(format!("dir:{}", verified.display())));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn device_grant_login_signs_with_the_granted_token() {
    let Some(s) = Setup::new() else { return };
    let signed = s.p.path("signed");
    let dest = format!("dir:{}", signed.display());
    let (out, seen) = std::thread::scope(|scope| {
        let provider = stand_in_provider(scope, &s.p, Behaviour::default());
        // The stand-in Fulcio outlives this borrow of the token (a test-sized leak).
        let token: &str = Box::leak(provider.token.clone().into_boxed_str());
        let (fulcio, issued) = stand_in_fulcio(scope, &s.p, token, Fulcio::Issue);
        let (rekor, logged) = stand_in_rekor(scope, &s.p, "rekor");
        let params = device_params(&s, fulcio, &provider.issuer, Some(rekor));
        let out = s.sign(None, &params, &dest);
        for port in [fulcio, rekor, provider.port] {
            release(port);
        }
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(issued.join().unwrap().is_some(), "Fulcio was asked");
        logged.join().unwrap();
        (out, provider.seen.try_iter().collect::<Vec<_>>())
    });
    let paths: Vec<&str> = seen.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/.well-known/openid-configuration",
            "/device",
            "/token",
            "/token",
            "/keys"
        ]
    );
    let device = &seen[1];
    assert_eq!(device.field("client_id"), CLIENT_ID);
    assert_eq!(device.field("scope"), "openid email");
    assert_eq!(device.field("code_challenge_method"), "S256");
    for poll in &seen[2..4] {
        assert_eq!(
            poll.field("grant_type"),
            "urn:ietf:params:oauth:grant-type:device_code"
        );
        assert_eq!(poll.field("device_code"), "device-1234");
        assert_eq!(
            s256(&poll.field("code_verifier")),
            device.field("code_challenge")
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "Enter the verification code WDJB-MJHT in your browser at: http://127.0.0.1:"
        ) && stdout.contains("/activate\nCode will be valid for 60 seconds\nToken received!\n"),
        "{stdout}"
    );
    // The signature verifies: openssl on the payload, and skiff's `fulcio` policy.
    verify_signed(&s, &signed, true);
}

#[test]
fn device_grant_failures_write_nothing() {
    let Some(s) = Setup::new() else { return };
    let prefix = "Error using --sign-by-sigstore: Error authenticating with OIDC: ";
    let attempt = |behaviour: Behaviour| -> (i32, String, usize) {
        let dest = s.p.path(&format!("dest-{}", rand_suffix()));
        let out = std::thread::scope(|scope| {
            let provider = stand_in_provider(scope, &s.p, behaviour);
            // Fulcio is never reached: nothing listens at its port.
            let fulcio = crate::support::registry::free_port();
            let params = device_params(&s, fulcio, &provider.issuer, None);
            let out = s.sign(None, &params, &format!("dir:{}", dest.display()));
            release(provider.port);
            let polls = provider.seen.try_iter().filter(|r| r.path == "/token");
            (out, polls.count())
        });
        let (out, polls) = out;
        assert!(!dest.exists(), "nothing written at the destination");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        (
            out.status.code().unwrap_or(-1),
            fatal_message(&stderr),
            polls,
        )
    };
    // The code's lifetime bounds the polling: with one second left and a one-second
    // interval, skiff stops after the first pending answer instead of waiting for the
    // server's `expired_token`.
    let (code, msg, polls) = attempt(Behaviour {
        pending: usize::MAX,
        expires_in: 1,
        ..Default::default()
    });
    assert_eq!(
        (code, msg, polls),
        (
            1,
            format!("{prefix}error obtaining token: expired_token"),
            1
        )
    );
    for error in ["access_denied", "expired_token"] {
        let (code, msg, _) = attempt(Behaviour {
            refusal: Some(error),
            ..Default::default()
        });
        assert_eq!(
            (code, msg),
            (1, format!("{prefix}error obtaining token: {error}"))
        );
    }
    let (code, msg, _) = attempt(Behaviour {
        discovery: false,
        ..Default::default()
    });
    assert_eq!(
        (code, msg),
        (1, format!("{prefix}404 Not Found: not found"))
    );
    // The granted token is checked before Fulcio sees it, as go-oidc checks it.
    let (code, msg, _) = attempt(Behaviour {
        audience: "another-client",
        ..Default::default()
    });
    assert_eq!(
        (code, msg),
        (
            1,
            format!("{prefix}oidc: expected audience \"sigstore\" got [\"another-client\"]")
        )
    );
    let (code, msg, _) = attempt(Behaviour {
        signer: "rekor",
        ..Default::default()
    });
    assert_eq!(
        (code, msg),
        (
            1,
            format!("{prefix}failed to verify signature: failed to verify id token signature")
        )
    );
}

/// The issuer in the file must be the one the discovery document names.
#[test]
fn device_grant_refuses_a_provider_naming_another_issuer() {
    let Some(s) = Setup::new() else { return };
    let dest = s.p.path("dest");
    let (out, issuer) = std::thread::scope(|scope| {
        let provider = stand_in_provider(scope, &s.p, Behaviour::default());
        let fulcio = crate::support::registry::free_port();
        let configured = format!("{}/", provider.issuer);
        let params = device_params(&s, fulcio, &configured, None);
        let out = s.sign(None, &params, &format!("dir:{}", dest.display()));
        release(provider.port);
        (out, provider.issuer)
    });
    assert!(!dest.exists());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        fatal_message(&String::from_utf8_lossy(&out.stderr)),
        format!(
            "Error using --sign-by-sigstore: Error authenticating with OIDC: oidc: issuer did not match the issuer returned by provider, expected \"{issuer}/\" got \"{issuer}\""
        )
    );
}

/// A parameter file for an interactive login at `issuer`, then Fulcio at `fulcio`.
fn interactive_params(s: &Setup, fulcio: u16, issuer: &str, rekor: Option<u16>) -> PathBuf {
    let device = std::fs::read_to_string(device_params(s, fulcio, issuer, rekor)).unwrap();
    let f = s.p.path(&format!("params-{}.yaml", rand_suffix()));
    std::fs::write(&f, device.replace("deviceGrant", "interactive")).unwrap();
    f
}

/// A directory holding an `xdg-open` that plays the browser: it fetches the URL it is given
/// and follows the redirect back to skiff's callback, in the background, as a real
/// `xdg-open` returns once the browser is started.
fn fake_browser(s: &Setup) -> PathBuf {
    let bin = s.p.path(&format!("bin-{}", rand_suffix()));
    std::fs::create_dir(&bin).unwrap();
    let script = bin.join("xdg-open");
    std::fs::write(
        &script,
        "#!/bin/sh\npython3 -c 'import sys, urllib.request as u; u.build_opener(u.ProxyHandler({})).open(sys.argv[1]).read()' \"$1\" >/dev/null 2>&1 &\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// `PATH` with `bin` first.
fn path_with(bin: &Path) -> String {
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// skiff signs the test image into `dest` with `params`, `PATH` set to `path`.
fn sign_interactively(s: &Setup, path: &str, params: &Path, dest: &str) -> std::process::Output {
    run(skiff()
        .env("PATH", path)
        .args([
            "--insecure-policy",
            "copy",
            "-q",
            "--sign-identity",
            IDENTITY,
        ])
        .arg("--sign-by-sigstore")
        .arg(params)
        .arg(format!("dir:{}", s.p.image.display()))
        .arg(dest))
}

#[test]
fn interactive_login_through_the_browser_signs_with_the_granted_token() {
    let Some(s) = Setup::new() else { return };
    if !require_tool("python3") {
        return;
    }
    let bin = fake_browser(&s);
    let signed = s.p.path("signed");
    let dest = format!("dir:{}", signed.display());
    let (out, seen) = std::thread::scope(|scope| {
        let provider = stand_in_provider(scope, &s.p, Behaviour::default());
        let granted = provider.granted.clone();
        let (fulcio, issued) = stand_in_fulcio_for(
            scope,
            &s.p,
            move || granted.lock().unwrap().clone(),
            Fulcio::Issue,
        );
        let (rekor, logged) = stand_in_rekor(scope, &s.p, "rekor");
        let params = interactive_params(&s, fulcio, &provider.issuer, Some(rekor));
        let out = sign_interactively(&s, &path_with(&bin), &params, &dest);
        for port in [fulcio, rekor, provider.port] {
            release(port);
        }
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(issued.join().unwrap().is_some(), "Fulcio was asked");
        logged.join().unwrap();
        (out, provider.seen.try_iter().collect::<Vec<_>>())
    });
    let paths: Vec<&str> = seen.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/.well-known/openid-configuration",
            "/authorize",
            "/token",
            "/keys"
        ]
    );
    let (authorize, token) = (&seen[1], &seen[2]);
    assert_eq!(authorize.field("client_id"), CLIENT_ID);
    assert_eq!(authorize.field("response_type"), "code");
    assert_eq!(authorize.field("scope"), "openid email");
    assert_eq!(authorize.field("access_type"), "online");
    assert_eq!(authorize.field("code_challenge_method"), "S256");
    assert_eq!(authorize.field("state").len(), 27);
    assert_eq!(authorize.field("nonce").len(), 27);
    let redirect = authorize.field("redirect_uri");
    assert!(
        redirect.starts_with("http://localhost:") && redirect.ends_with("/auth/callback"),
        "{redirect}"
    );
    // The exchange: the code for the same redirect, PKCE, the client in Basic auth.
    assert_eq!(token.field("grant_type"), "authorization_code");
    assert_eq!(token.field("redirect_uri"), redirect);
    assert_eq!(token.field("nonce"), authorize.field("nonce"));
    assert_eq!(
        s256(&token.field("code_verifier")),
        authorize.field("code_challenge")
    );
    assert_eq!(
        token.authorization,
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:"))
        )
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("Your browser will now be opened to:\nhttp://127.0.0.1:")
            && stdout.contains(&format!(
                "/authorize?access_type=online&client_id={CLIENT_ID}&"
            )),
        "{stdout}"
    );
    verify_signed(&s, &signed, true);
}

/// Releases stand-ins when dropped (on a panic as well).
struct Unblock(Vec<u16>);

impl Drop for Unblock {
    fn drop(&mut self) {
        self.0.iter().for_each(|port| release(*port));
    }
}

/// Without a browser, skiff says why and asks for the code, as oauthflow does; the test plays
/// the user: it reads the printed URL, signs in at the stand-in and types the code.
#[test]
fn interactive_login_without_a_browser_asks_for_the_code() {
    use std::io::{Read, Write};
    let Some(s) = Setup::new() else { return };
    let no_browser = s.p.path("no-browser");
    std::fs::create_dir(&no_browser).unwrap();
    let signed = s.p.path("signed");
    let (status, printed) = std::thread::scope(|scope| {
        let provider = stand_in_provider(scope, &s.p, Behaviour::default());
        let granted = provider.granted.clone();
        let (fulcio, issued) = stand_in_fulcio_for(
            scope,
            &s.p,
            move || granted.lock().unwrap().clone(),
            Fulcio::Issue,
        );
        let params = interactive_params(&s, fulcio, &provider.issuer, None);
        // A failed assertion below still ends the stand-ins, so the scope can end.
        let _unblock = Unblock(vec![fulcio, provider.port]);
        let mut child = skiff()
            .env("PATH", &no_browser)
            .args([
                "--insecure-policy",
                "copy",
                "-q",
                "--sign-identity",
                IDENTITY,
            ])
            .arg("--sign-by-sigstore")
            .arg(&params)
            .arg(format!("dir:{}", s.p.image.display()))
            .arg(format!("dir:{}", signed.display()))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Everything up to the prompt (which ends without a newline).
        let mut stdout = child.stdout.take().unwrap();
        let mut printed = Vec::new();
        while !printed.ends_with(b"Enter verification code: ") {
            let mut byte = [0u8];
            assert_eq!(stdout.read(&mut byte).unwrap(), 1, "{printed:?}");
            printed.push(byte[0]);
        }
        let printed = String::from_utf8(printed).unwrap();
        let url = printed
            .lines()
            .find_map(|l| l.strip_prefix("\t "))
            .unwrap_or_else(|| panic!("{printed}"));
        // The user's browser: the stand-in answers with the redirect holding the code.
        let target = url.strip_prefix(&provider.issuer).unwrap();
        let mut conn = std::net::TcpStream::connect(("127.0.0.1", provider.port)).unwrap();
        write!(conn, "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        let location = answer
            .lines()
            .find_map(|l| l.strip_prefix("Location: "))
            .unwrap_or_else(|| panic!("{answer}"));
        let code = url::Url::parse(location)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned();
        writeln!(child.stdin.take().unwrap(), "{code}").unwrap();
        let status = child.wait().unwrap();
        release(fulcio);
        release(provider.port);
        assert!(issued.join().unwrap().is_some(), "Fulcio was asked");
        (status, printed)
    });
    assert!(status.success());
    assert!(
        printed.starts_with(
            "error opening browser: exec: \"xdg-open\": executable file not found in $PATH\nGo to the following link in a browser:\n\n\t http://127.0.0.1:"
        ),
        "{printed}"
    );
    verify_signed(&s, &signed, false);
}

#[test]
fn interactive_failures_write_nothing() {
    let Some(s) = Setup::new() else { return };
    if !require_tool("python3") {
        return;
    }
    let bin = fake_browser(&s);
    let prefix = "Error using --sign-by-sigstore: Error authenticating with OIDC: ";
    let attempt = |behaviour: Behaviour| -> (i32, String, String) {
        let dest = s.p.path(&format!("dest-{}", rand_suffix()));
        let out = std::thread::scope(|scope| {
            let provider = stand_in_provider(scope, &s.p, behaviour);
            let fulcio = crate::support::registry::free_port();
            let params = interactive_params(&s, fulcio, &provider.issuer, None);
            let out = sign_interactively(
                &s,
                &path_with(&bin),
                &params,
                &format!("dir:{}", dest.display()),
            );
            release(provider.port);
            out
        });
        assert!(!dest.exists(), "nothing written at the destination");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        (
            out.status.code().unwrap_or(-1),
            fatal_message(&stderr),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, msg, _) = attempt(Behaviour {
        refusal: Some("access_denied"),
        ..Default::default()
    });
    assert_eq!(
        (code, msg),
        (1, format!("{prefix}oauth2: \"access_denied\""))
    );
    // A callback with another state is not taken: the user is asked for the code instead,
    // and the empty answer (stdin is empty) is refused by the token endpoint.
    let (code, msg, stdout) = attempt(Behaviour {
        wrong_state: true,
        ..Default::default()
    });
    assert_eq!(
        (code, msg),
        (1, format!("{prefix}oauth2: \"invalid_grant\""))
    );
    assert!(
        stdout.contains(
            "error getting code from local server: invalid state token\nGo to the following link in a browser:\n\n\t http://127.0.0.1:"
        ) && stdout.ends_with("Enter verification code: "),
        "{stdout}"
    );
    let (code, msg, _) = attempt(Behaviour {
        discovery: false,
        ..Default::default()
    });
    assert_eq!(
        (code, msg),
        (1, format!("{prefix}404 Not Found: not found"))
    );
}
