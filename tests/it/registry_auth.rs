//! Registries that need something: TLS with a certificate made by the test (trusted through
//! `--cert-dir`, refused without it), htpasswd Basic auth, and token auth with a test token
//! server; login/logout against them.

use crate::support::fixtures::{self, ImageSpec};
use crate::support::registry::{Options, Registry, TokenOptions};
use crate::support::*;

fn oci_image(dir: &std::path::Path, seed: u64) -> (String, fixtures::Built) {
    let oci = dir.join(format!("oci-{seed}"));
    let built = fixtures::write_oci(&oci, "v1", &ImageSpec::small(seed));
    (format!("oci:{}:v1", oci.display()), built)
}

#[test]
fn tls_registry_is_trusted_only_through_cert_dir() {
    let Some(reg) = Registry::start_with(Options {
        tls: true,
        ..Default::default()
    }) else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let (src, built) = oci_image(t.path(), 41);
    let certs = reg.certs.as_ref().unwrap();
    let dest = reg.image("tls/img:v1");
    let (code, err) = fails(skiff().args(["--insecure-policy", "copy", &src, &dest]));
    assert_eq!(code, 1);
    let msg = fatal_message(&err);
    assert!(
        msg.contains("x509: certificate signed by unknown authority"),
        "{msg}"
    );
    if let Some(mut s) = skopeo() {
        let (_, theirs) = fails(s.args(["--insecure-policy", "copy", &src, &dest]));
        let theirs = fatal_message(&theirs);
        // Go 1.20 added a "tls: failed to verify certificate: " prefix; the rest is equal.
        let strip = |m: &str| m.replace("tls: failed to verify certificate: ", "");
        assert_eq!(strip(&msg), strip(&theirs));
    }
    ok(skiff()
        .args(["--insecure-policy", "copy", "--dest-cert-dir"])
        .arg(&certs.cert_dir)
        .args([&src, &dest]));
    let raw = ok(skiff()
        .args(["inspect", "--raw", "--cert-dir"])
        .arg(&certs.cert_dir)
        .arg(&dest));
    assert_eq!(raw.stdout, built.manifest);
    // --tls-verify=false accepts the unknown certificate without any cert dir.
    ok(skiff().args(["inspect", "--tls-verify=false", &dest]));
    if let Some(mut s) = skopeo() {
        let theirs = ok(s
            .args(["inspect", "--raw", "--cert-dir"])
            .arg(&certs.cert_dir)
            .arg(&dest));
        assert_eq!(theirs.stdout, built.manifest);
    }
}

#[test]
fn basic_auth_registry_with_credentials_and_login() {
    let Some(reg) = Registry::start_with(Options {
        htpasswd: Some(("alice".into(), "s3cret".into())),
        ..Default::default()
    }) else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let (src, built) = oci_image(t.path(), 42);
    let dest = reg.image("basic/img:v1");
    // Anonymous: refused, in skopeo's words.
    let (code, err) = fails(skiff().args([
        "--insecure-policy",
        "copy",
        "--dest-tls-verify=false",
        &src,
        &dest,
    ]));
    assert_eq!(code, 1);
    if let Some(mut s) = skopeo() {
        let (_, theirs) = fails(s.args([
            "--insecure-policy",
            "copy",
            "--dest-tls-verify=false",
            &src,
            &dest,
        ]));
        assert_eq!(fatal_message(&err), fatal_message(&theirs));
    }
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        "alice:s3cret",
        &src,
        &dest,
    ]));
    let raw = ok(skiff().args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--username",
        "alice",
        "--password",
        "s3cret",
        &dest,
    ]));
    assert_eq!(raw.stdout, built.manifest);
    // Reading anonymously or with a wrong password: skopeo's words.
    for creds in [&[][..], &["--creds", "alice:wrong"]] {
        let (code, err) = fails(
            skiff()
                .args(["inspect", "--tls-verify=false"])
                .args(creds)
                .arg(&dest),
        );
        assert_eq!(code, 1);
        if let Some(mut s) = skopeo() {
            let (_, theirs) = fails(
                s.args(["inspect", "--tls-verify=false"])
                    .args(creds)
                    .arg(&dest),
            );
            assert_eq!(fatal_message(&err), fatal_message(&theirs), "{creds:?}");
        }
    }
    login_round_trip(&reg, t.path(), "alice", "s3cret");
}

/// Wrong password, login, use of the saved credentials, logout.
fn login_round_trip(reg: &Registry, dir: &std::path::Path, user: &str, pass: &str) {
    let authfile = dir.join("auth.json");
    let authfile_s = authfile.display().to_string();
    let login = |args: &[&str]| {
        let mut c = skiff();
        c.args(["login", "--tls-verify=false", "--authfile", &authfile_s])
            .args(args)
            .arg(&reg.host);
        c
    };
    let (code, err) = fails(&mut login(&["-u", user, "-p", "wrong"]));
    assert_eq!(code, 1);
    assert_eq!(
        fatal_message(&err),
        format!("logging into \"{}\": invalid username/password", reg.host)
    );
    if let Some(mut s) = skopeo() {
        let (_, theirs) = fails(s.args([
            "login",
            "--tls-verify=false",
            "--authfile",
            &authfile_s,
            "-u",
            user,
            "-p",
            "wrong",
            &reg.host,
        ]));
        assert_eq!(fatal_message(&err), fatal_message(&theirs));
    }
    let out = ok(&mut login(&["-u", user, "-p", pass]));
    assert_eq!(stdout(&out), "Login Succeeded!\n");
    // Logging in again without a user: the saved credentials are checked and kept.
    let again = ok(&mut login(&[]));
    assert_eq!(
        stdout(&again),
        format!(
            "Authenticating with existing credentials for {0}\nExisting credentials are valid. Already logged in to {0}\n",
            reg.host
        )
    );
    let verbose = ok(&mut login(&["-v", "-u", user, "-p", pass]));
    assert_eq!(
        stdout(&verbose),
        format!("Used:  {authfile_s}\nLogin Succeeded!\n")
    );
    let got = ok(&mut login(&["--get-login"]));
    assert_eq!(stdout(&got), format!("{user}\n"));
    // The saved credentials are used by other commands.
    ok(skiff().args([
        "inspect",
        "--tls-verify=false",
        "--authfile",
        &authfile_s,
        &format!("docker://{}/basic/img:v1", reg.host),
    ]));
    if let Some(mut s) = skopeo() {
        ok(s.args([
            "inspect",
            "--tls-verify=false",
            "--authfile",
            &authfile_s,
            &format!("docker://{}/basic/img:v1", reg.host),
        ]));
    }
    let out = ok(skiff().args(["logout", "--authfile", &authfile_s, &reg.host]));
    assert_eq!(
        stdout(&out),
        format!("Removed login credentials for {}\n", reg.host)
    );
    let (_, err) = fails(skiff().args(["logout", "--authfile", &authfile_s, &reg.host]));
    assert_eq!(fatal_message(&err), format!("not logged into {}", reg.host));
    let out = ok(skiff().args(["logout", "--all", "--authfile", &authfile_s]));
    assert_eq!(
        stdout(&out),
        "Removed login credentials for all registries\n"
    );
}

#[test]
fn login_argument_errors_are_skopeos() {
    let t = tempfile::tempdir().unwrap();
    let authfile = t.path().join("missing.json").display().to_string();
    for args in [
        vec!["login"],
        vec!["login", "a.example", "b.example"],
        vec!["login", "quay.io/ns/repo:tag"],
        vec!["logout"],
        vec!["logout", "--all", "x.example"],
        vec!["logout", "--authfile", &authfile, "x.example"],
        vec![
            "login",
            "--password-stdin",
            "-p",
            "x",
            "-u",
            "u",
            "x.example",
        ],
        vec!["login", "--password-stdin", "x.example"],
    ] {
        let (code, err) = fails(skiff().args(&args));
        assert_eq!(code, 1, "{args:?}");
        if let Some(mut s) = skopeo() {
            let (_, theirs) = fails(s.args(&args).stdin(std::process::Stdio::null()));
            assert_eq!(fatal_message(&err), fatal_message(&theirs), "{args:?}");
        }
    }
}

#[test]
fn token_auth_registry_copies_mounts_and_lists() {
    let Some(reg) = Registry::start_with(Options {
        token: Some(TokenOptions {
            user: Some(("bob".into(), "hunter2".into())),
            lifetime: None,
        }),
        ..Default::default()
    }) else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let (src, built) = oci_image(t.path(), 43);
    let creds = ["--src-creds", "bob:hunter2", "--dest-creds", "bob:hunter2"];
    // An empty blob-info cache: a shared one may name blobs in repositories of an earlier
    // registry on this port, and each mount tried from there costs a token.
    let copy = |from: &str, to: &str| {
        ok(private_blob_cache(&mut skiff(), &t.path().join("cache"))
            .args([
                "--insecure-policy",
                "copy",
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
            ])
            .args(creds)
            .args([from, to]))
    };
    let a = reg.image("tok/a:v1");
    copy(&src, &a);
    // Within the registry: a mount needs a token for both repositories at once.
    let b = reg.image("tok/b:v1");
    copy(&a, &b);
    let log = reg.log();
    assert!(
        log.lines()
            .any(|l| l.contains("POST /v2/tok/b/blobs/uploads/?mount=") && l.contains("\" 201 ")),
        "{log}"
    );
    // Tokens are cached per scope: a handful of requests for the whole run.
    let issued = reg
        .token_server
        .as_ref()
        .unwrap()
        .issued
        .load(std::sync::atomic::Ordering::SeqCst);
    // One token per scope set and process: no set asked for twice.
    let scopes = reg
        .token_server
        .as_ref()
        .unwrap()
        .scopes
        .lock()
        .unwrap()
        .clone();
    let distinct: std::collections::BTreeSet<_> = scopes.iter().collect();
    assert_eq!(distinct.len(), scopes.len(), "{scopes:?}");
    assert!(issued <= 8, "{issued} tokens: {scopes:?}");
    let auth = ["--tls-verify=false", "--creds", "bob:hunter2"];
    let ours = ok(skiff().arg("inspect").args(auth).arg(&b));
    let tags = ok(skiff().arg("list-tags").args(auth).arg(reg.image("tok/a")));
    if let Some(mut s) = skopeo() {
        let theirs = ok(s.arg("inspect").args(auth).arg(&b));
        let strip = |j: &[u8]| {
            let mut v: serde_json::Value = serde_json::from_slice(j).unwrap();
            v.as_object_mut().unwrap().remove("LayersData");
            v
        };
        assert_eq!(strip(&ours.stdout), strip(&theirs.stdout));
        let theirs = ok(skopeo()
            .unwrap()
            .arg("list-tags")
            .args(auth)
            .arg(reg.image("tok/a")));
        assert_eq!(stdout(&tags), stdout(&theirs));
    }
    // Wrong credentials: the token server says no.
    let (code, err) =
        fails(skiff().args(["inspect", "--tls-verify=false", "--creds", "bob:wrong", &b]));
    assert_eq!(code, 1);
    if let Some(mut s) = skopeo() {
        let (_, theirs) =
            fails(s.args(["inspect", "--tls-verify=false", "--creds", "bob:wrong", &b]));
        assert_eq!(fatal_message(&err), fatal_message(&theirs));
    }
    // A token obtained elsewhere works with --registry-token.
    let token = reg
        .token_server
        .as_ref()
        .unwrap()
        .token_for(&["repository:tok/b:pull"], Some(("bob", "hunter2")));
    let raw = ok(skiff().args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--registry-token",
        &token,
        &b,
    ]));
    assert_eq!(raw.stdout, built.manifest);
    // login checks credentials through the token server.
    let authfile = t.path().join("auth.json").display().to_string();
    let (_, err) = fails(skiff().args([
        "login",
        "--tls-verify=false",
        "--authfile",
        &authfile,
        "-u",
        "bob",
        "-p",
        "nope",
        &reg.host,
    ]));
    assert_eq!(
        fatal_message(&err),
        format!("logging into \"{}\": invalid username/password", reg.host)
    );
}

#[test]
fn client_certificates_come_from_the_cert_dir() {
    let Some(reg) = Registry::start_with(Options {
        tls: true,
        client_certs: true,
        ..Default::default()
    }) else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let (src, built) = oci_image(t.path(), 44);
    let certs = reg.certs.as_ref().unwrap();
    let dest = reg.image("mtls/img:v1");
    // The CA alone is not enough: the registry wants a client certificate.
    let (code, _) = fails(
        skiff()
            .args(["--insecure-policy", "copy", "--dest-cert-dir"])
            .arg(&certs.cert_dir)
            .args([&src, &dest]),
    );
    assert_eq!(code, 1);
    ok(skiff()
        .args(["--insecure-policy", "copy", "--dest-cert-dir"])
        .arg(&certs.client_cert_dir)
        .args([&src, &dest]));
    let raw = ok(skiff()
        .args(["inspect", "--raw", "--cert-dir"])
        .arg(&certs.client_cert_dir)
        .arg(&dest));
    assert_eq!(raw.stdout, built.manifest);
    if let Some(mut s) = skopeo() {
        let theirs = ok(s
            .args(["inspect", "--raw", "--cert-dir"])
            .arg(&certs.client_cert_dir)
            .arg(&dest));
        assert_eq!(theirs.stdout, built.manifest);
    }
    // A certificate without its key is skopeo's error.
    let lonely = t.path().join("lonely");
    std::fs::create_dir_all(&lonely).unwrap();
    std::fs::copy(
        certs.client_cert_dir.join("client.cert"),
        lonely.join("client.cert"),
    )
    .unwrap();
    let (_, err) = fails(
        skiff()
            .args(["inspect", "--raw", "--cert-dir"])
            .arg(&lonely)
            .arg(&dest),
    );
    assert!(
        fatal_message(&err).contains(
            "missing key client.key for client certificate client.cert. Note that CA certificates should use the extension .crt"
        ),
        "{err}"
    );
    if let Some(mut s) = skopeo() {
        let (_, theirs) = fails(
            s.args(["inspect", "--raw", "--cert-dir"])
                .arg(&lonely)
                .arg(&dest),
        );
        assert!(
            fatal_message(&theirs).contains("missing key client.key"),
            "{theirs}"
        );
    }
}

/// `--compat-auth-file` (skopeo HEAD; 1.9.3 lacks it) and `$DOCKER_CONFIG`: credentials go to
/// Docker's config.json in Docker's format, the file's other fields are kept, and skopeo 1.9.3
/// (reading it as an auth file) uses what was written.
#[test]
fn compat_auth_file_is_written_in_dockers_format() {
    use base64::Engine as _;
    let Some(reg) = Registry::start_with(Options {
        htpasswd: Some(("alice".into(), "s3cret".into())),
        ..Default::default()
    }) else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let (src, _) = oci_image(t.path(), 47);
    ok(skiff().args([
        "--insecure-policy",
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        "alice:s3cret",
        &src,
        &reg.image("compat/img:v1"),
    ]));
    let cfg = t.path().join("docker/config.json");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(
        &cfg,
        br#"{"psFormat": "table", "auths": {"other.example": {"auth": "eDp5"}}}"#,
    )
    .unwrap();
    let cfg_s = cfg.display().to_string();
    let read =
        || -> serde_json::Value { serde_json::from_slice(&std::fs::read(&cfg).unwrap()).unwrap() };
    let out = ok(skiff().args([
        "login",
        "--tls-verify=false",
        "--compat-auth-file",
        &cfg_s,
        "-u",
        "alice",
        "-p",
        "s3cret",
        &reg.host,
    ]));
    assert_eq!(stdout(&out), "Login Succeeded!\n");
    let doc = read();
    assert_eq!(doc["psFormat"], "table", "other fields are kept");
    assert_eq!(doc["auths"]["other.example"]["auth"], "eDp5");
    let auth = doc["auths"][&reg.host]["auth"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(auth)
            .unwrap(),
        b"alice:s3cret"
    );
    let image = format!("docker://{}/compat/img:v1", reg.host);
    if let Some(mut s) = skopeo() {
        ok(s.args([
            "inspect",
            "--tls-verify=false",
            "--authfile",
            &cfg_s,
            &image,
        ]));
    }
    // A namespaced key has no place in Docker's format: refused, the file unchanged.
    let before = std::fs::read(&cfg).unwrap();
    let (code, err) = fails(skiff().args([
        "login",
        "--tls-verify=false",
        "--compat-auth-file",
        &cfg_s,
        "-u",
        "alice",
        "-p",
        "s3cret",
        &format!("{}/ns", reg.host),
    ]));
    assert_eq!(code, 1);
    assert_eq!(
        fatal_message(&err),
        format!(
            "Credentials cannot be recorded in Docker-compatible format with namespaced key \"{}/ns\"",
            reg.host
        )
    );
    assert_eq!(std::fs::read(&cfg).unwrap(), before);
    // Both files named: refused before anything is read.
    let (code, err) = fails(skiff().args([
        "login",
        "--authfile",
        &t.path().join("auth.json").display().to_string(),
        "--compat-auth-file",
        &cfg_s,
        &reg.host,
    ]));
    assert_eq!(code, 1);
    assert_eq!(
        fatal_message(&err),
        "options for paths to the credential file and to the Docker-compatible credential file can not be set simultaneously"
    );
    let out = ok(skiff().args(["logout", "--compat-auth-file", &cfg_s, &reg.host]));
    assert_eq!(
        stdout(&out),
        format!("Removed login credentials for {}\n", reg.host)
    );
    let doc = read();
    assert!(doc["auths"].get(&reg.host).is_none(), "{doc}");
    assert_eq!(doc["psFormat"], "table");
    let (code, err) = fails(skiff().args([
        "logout",
        "--compat-auth-file",
        &t.path().join("nope.json").display().to_string(),
        &reg.host,
    ]));
    assert_eq!(code, 1);
    assert!(
        fatal_message(&err).starts_with("checking authfile: stat "),
        "{err}"
    );
    // With $DOCKER_CONFIG and no file named, login writes Docker's file there.
    let docker_config = t.path().join("dc");
    ok(skiff().env("DOCKER_CONFIG", &docker_config).args([
        "login",
        "--tls-verify=false",
        "-u",
        "alice",
        "-p",
        "s3cret",
        &reg.host,
    ]));
    let written = docker_config.join("config.json").display().to_string();
    if let Some(mut s) = skopeo() {
        ok(s.args([
            "inspect",
            "--tls-verify=false",
            "--authfile",
            &written,
            &image,
        ]));
    }
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&written).unwrap()).unwrap();
    assert!(doc["auths"][&reg.host]["auth"].is_string(), "{doc}");
}

/// A token that expires during a copy is replaced: the registry's token auth accepts each
/// token for a few seconds only, and the copy is held mid-layer (its source a pipe) until the
/// registry refuses a token issued after the copy's own. The rest of the copy needs a new
/// one. The token server is the test's own (Debian has no token server to run beside
/// docker-registry); the registry checking the tokens is the real one.
#[test]
fn an_expired_token_is_renewed_during_a_long_copy() {
    use crate::support::held::{HeldSource, wait_bounded};
    use std::sync::atomic::Ordering;
    let Some(reg) = Registry::start_with(Options {
        token: Some(TokenOptions {
            user: None,
            lifetime: Some(3),
        }),
        ..Default::default()
    }) else {
        return;
    };
    let server = reg.token_server.as_ref().unwrap();
    let held = HeldSource::new();
    let mut child = skiff()
        .args([
            "--insecure-policy",
            "copy",
            "-q",
            "--dest-tls-verify=false",
            &held.name(),
            &reg.image("tok/long:1"),
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pipe = held.wait_for_reader(&mut child);
    // Every token the copy holds now was issued before this one; once the registry refuses
    // this one, it refuses theirs.
    let probe = server.token_for(&["repository:tok/long:pull"], None);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let (status, _) = crate::support::registry::http(
            &reg.host,
            "GET",
            "/v2/tok/long/tags/list",
            &[("Authorization", &format!("Bearer {probe}"))],
            b"",
        );
        if status == 401 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the token never expired"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let before = server.issued.load(Ordering::SeqCst);
    held.finish(pipe);
    let status = wait_bounded(&mut child);
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{err}");
    assert!(
        server.issued.load(Ordering::SeqCst) > before,
        "no new token was asked for"
    );
    // The image is whole: skopeo reads it to the source's layers.
    if let Some(theirs) =
        crate::support::skopeo_diff_ids(&reg.image("tok/long:1"), &["--src-tls-verify=false"])
    {
        let spec = ImageSpec::small(21);
        let diff_ids: Vec<String> = spec.layers.iter().map(|l| fixtures::sha256(l)).collect();
        assert_eq!(theirs, diff_ids);
    }
}
