//! Networking as Go does it, against real peers: registries whose certificate is made as the
//! guides make it (`openssl req -x509`, hence `CA:TRUE`, self-signed) trusted through
//! `--cert-dir` and certs.d; certificates refused for their names or issuer, in Go's words;
//! `HTTPS_PROXY` through an HTTP CONNECT proxy (a stand-in written in the tests, see
//! support/connect_proxy.rs) for names, never for loopback; an unreachable proxy;
//! `--tls-details` against `openssl s_server`. skopeo 1.9.3 is the oracle where it has the
//! feature.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::connect_proxy::ConnectProxy;
use crate::support::fixtures::{self, ImageSpec};
use crate::support::registry::{Options, Registry, free_port, wait_for_addr};
use crate::support::*;

/// `openssl req -newkey rsa:BITS -nodes -x509 …` as the registry guides write it; the
/// certificate is `CA:TRUE` (openssl's default for `req -x509`). Returns (cert, key).
fn guide_cert(dir: &Path, name: &str, bits: u32, san: &str) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let (cert, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    ok(Command::new("openssl")
        .args([
            "req",
            "-newkey",
            &format!("rsa:{bits}"),
            "-nodes",
            "-sha256",
            "-keyout",
        ])
        .arg(&key)
        .args(["-x509", "-days", "2", "-out"])
        .arg(&cert)
        .args(["-subj", &format!("/CN={name}"), "-addext"])
        .arg(format!("subjectAltName={san}")));
    let text = stdout(&ok(Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(&cert)));
    assert!(text.contains("CA:TRUE"), "not a CA certificate:\n{text}");
    (cert, key)
}

/// A directory holding only `cert` (for `--cert-dir`, or as a certs.d host directory).
fn trust_dir(dir: &Path, cert: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(cert, dir.join("domain.crt")).unwrap();
    dir.to_path_buf()
}

fn tls_registry(cert: &(PathBuf, PathBuf), ip: &'static str) -> Option<Registry> {
    Registry::start_with(Options {
        tls_cert: Some(cert.clone()),
        listen_ip: Some(ip),
        ..Default::default()
    })
}

fn oci_image(dir: &Path, seed: u64) -> (String, fixtures::Built) {
    let oci = dir.join(format!("oci-{seed}"));
    let built = fixtures::write_oci(&oci, "v1", &ImageSpec::small(seed));
    (format!("oci:{}:v1", oci.display()), built)
}

/// No proxy settings from the caller's environment.
fn clean(mut c: Command) -> Command {
    for v in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
        "REQUEST_METHOD",
    ] {
        c.env_remove(v);
    }
    c
}

/// Both tools, skopeo first when it is there.
fn tools() -> Vec<(&'static str, Command)> {
    let mut out = Vec::new();
    if let Some(s) = skopeo() {
        out.push(("skopeo", clean(s)));
    }
    out.push(("skiff", clean(skiff())));
    out
}

/// Go 1.20 put `tls: failed to verify certificate: ` before x509 errors; skopeo 1.9.3 was
/// built before that.
fn without_go120_prefix(m: &str) -> String {
    m.replace("tls: failed to verify certificate: ", "")
}

#[test]
fn guide_made_self_signed_certificate_is_trusted_through_cert_dir_and_certs_d() {
    if !require_tool("openssl") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let cert = guide_cert(
        &t.path().join("tls"),
        "localhost",
        4096,
        "DNS:localhost,IP:127.0.0.1",
    );
    let Some(reg) = tls_registry(&cert, "127.0.0.1") else {
        return;
    };
    let cert_dir = trust_dir(&t.path().join("cert-dir"), &cert.0);
    let (src, built) = oci_image(t.path(), 71);
    for (tool, mut cmd) in tools() {
        // Pushed and read back through --cert-dir, by IP and by name.
        let dest = reg.image(&format!("guide/{tool}:v1"));
        ok(cmd
            .args(["--insecure-policy", "copy", "--dest-cert-dir"])
            .arg(&cert_dir)
            .args([&src, &dest]));
        for image in [dest.clone(), dest.replace("127.0.0.1", "localhost")] {
            let mut cmd = if tool == "skiff" {
                clean(skiff())
            } else {
                clean(skopeo().unwrap())
            };
            let raw = ok(cmd
                .args(["inspect", "--raw", "--cert-dir"])
                .arg(&cert_dir)
                .arg(&image));
            assert_eq!(raw.stdout, built.manifest, "{tool} {image}");
        }
        // Through the user's certs.d directory for host:port.
        let home = t.path().join(format!("home-{tool}"));
        trust_dir(
            &home.join(".config/containers/certs.d").join(&reg.host),
            &cert.0,
        );
        let mut cmd = if tool == "skiff" {
            clean(skiff())
        } else {
            clean(skopeo().unwrap())
        };
        let raw = ok(cmd.env("HOME", &home).args(["inspect", "--raw", &dest]));
        assert_eq!(raw.stdout, built.manifest, "{tool} through certs.d");
    }
    // Not trusted at all: refused by both, skiff in Go's words, exit 1.
    let dest = reg.image("guide/skiff:v1");
    let (code, err) = fails(clean(skiff()).args(["inspect", "--raw", &dest]));
    assert_eq!(code, 1);
    let ours = fatal_message(&err);
    assert!(
        ours.ends_with(&format!(
            "pinging container registry {}: Get \"https://{}/v2/\": tls: failed to verify certificate: x509: certificate signed by unknown authority",
            reg.host, reg.host
        )),
        "{ours}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    if let Some(s) = skopeo() {
        let (_, theirs) = fails(clean(s).args(["inspect", "--raw", &dest]));
        let theirs = fatal_message(&theirs);
        assert!(
            theirs.contains("x509: certificate signed by unknown authority"),
            "{theirs}"
        );
    }
}

/// A `CA:TRUE` certificate for 127.0.0.1 named `name`, signed by `issuer`.
fn issue(dir: &Path, name: &str, issuer: &(PathBuf, PathBuf)) -> (PathBuf, PathBuf) {
    let (cert, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    let csr = dir.join(format!("{name}.csr"));
    ok(Command::new("openssl")
        .args(["req", "-newkey", "rsa:2048", "-nodes", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&csr)
        .args(["-subj", &format!("/CN={name}")]));
    let ext = dir.join(format!("{name}.cnf"));
    std::fs::write(
        &ext,
        "basicConstraints=critical,CA:TRUE\nsubjectAltName=IP:127.0.0.1\n",
    )
    .unwrap();
    ok(Command::new("openssl")
        .current_dir(dir)
        .args(["x509", "-req", "-in"])
        .arg(&csr)
        .arg("-CA")
        .arg(&issuer.0)
        .arg("-CAkey")
        .arg(&issuer.1)
        .args(["-CAcreateserial", "-days", "2", "-out"])
        .arg(&cert)
        .arg("-extfile")
        .arg(&ext));
    (cert, key)
}

#[test]
fn ca_leaf_signed_by_a_trusted_ca_is_accepted_like_go() {
    if !require_tool("openssl") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("tls");
    let ca = guide_cert(&dir, "ca", 2048, "DNS:ca.invalid");
    // Signed by the trusted CA directly, and through an intermediate the server sends.
    let direct = issue(&dir, "direct", &ca);
    let intermediate = issue(&dir, "intermediate", &ca);
    let below = issue(&dir, "below", &intermediate);
    let chain = dir.join("chain.crt");
    let mut pem = std::fs::read(&below.0).unwrap();
    pem.extend(std::fs::read(&intermediate.0).unwrap());
    std::fs::write(&chain, pem).unwrap();
    let cert_dir = trust_dir(&t.path().join("cert-dir"), &ca.0);
    let (src, built) = oci_image(t.path(), 72);
    for served in [direct, (chain, below.1)] {
        let Some(reg) = tls_registry(&served, "127.0.0.1") else {
            return;
        };
        for (tool, mut cmd) in tools() {
            let dest = reg.image(&format!("caleaf/{tool}:v1"));
            ok(cmd
                .args(["--insecure-policy", "copy", "--dest-cert-dir"])
                .arg(&cert_dir)
                .args([&src, &dest]));
            let raw = ok(clean(skiff())
                .args(["inspect", "--raw", "--cert-dir"])
                .arg(&cert_dir)
                .arg(&dest));
            assert_eq!(raw.stdout, built.manifest, "{tool}");
        }
    }
}

#[test]
fn certificates_for_other_names_are_refused_in_gos_words() {
    if !require_tool("openssl") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let tls = t.path().join("tls");
    // Trusted, but for other names than the ones used.
    let cert = guide_cert(&tls, "other", 2048, "DNS:other.example,IP:127.0.0.9");
    let Some(reg) = tls_registry(&cert, "127.0.0.1") else {
        return;
    };
    let dns_only = guide_cert(&tls, "localhost", 2048, "DNS:localhost");
    let Some(reg_dns) = tls_registry(&dns_only, "127.0.0.1") else {
        return;
    };
    let cert_dir = trust_dir(&t.path().join("trust-other"), &cert.0);
    let dns_dir = trust_dir(&t.path().join("trust-localhost"), &dns_only.0);
    let cases = [
        (
            reg.image("x/y:v1"),
            &cert_dir,
            "x509: certificate is valid for 127.0.0.9, not 127.0.0.1",
        ),
        (
            reg.image("x/y:v1").replace("127.0.0.1", "localhost"),
            &cert_dir,
            "x509: certificate is valid for other.example, not localhost",
        ),
        (
            reg_dns.image("x/y:v1"),
            &dns_dir,
            "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs",
        ),
    ];
    for (image, dir, want) in cases {
        let (code, err) = fails(
            clean(skiff())
                .args(["inspect", "--raw", "--cert-dir"])
                .arg(dir)
                .arg(&image),
        );
        assert_eq!(code, 1, "{err}");
        let ours = fatal_message(&err);
        assert!(
            ours.ends_with(&format!("tls: failed to verify certificate: {want}")),
            "{image}: {ours}"
        );
        if let Some(s) = skopeo() {
            let (_, theirs) = fails(
                clean(s)
                    .args(["inspect", "--raw", "--cert-dir"])
                    .arg(dir)
                    .arg(&image),
            );
            assert_eq!(without_go120_prefix(&ours), fatal_message(&theirs));
        }
    }
    // The name the certificate is for is accepted by both (the registry answers: no image).
    for (tool, mut cmd) in tools() {
        let out = run(cmd
            .args(["inspect", "--raw", "--cert-dir"])
            .arg(&dns_dir)
            .arg(reg_dns.image("x/y:v1").replace("127.0.0.1", "localhost")));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("manifest unknown"), "{tool}: {err}");
    }
}

/// A registry reachable as `registry.skiff.test` only through the proxy (which resolves that
/// name to 127.0.0.2 itself), or directly as 127.0.0.2 (loopback: never proxied).
struct ProxiedRegistry {
    reg: Registry,
    proxy: ConnectProxy,
    cert_dir: PathBuf,
    _t: tempfile::TempDir,
}

const PROXIED_NAME: &str = "registry.skiff.test";

fn proxied_registry() -> Option<ProxiedRegistry> {
    if !require_tool("openssl") {
        return None;
    }
    let t = tempfile::tempdir().unwrap();
    let cert = guide_cert(
        &t.path().join("tls"),
        PROXIED_NAME,
        2048,
        &format!("DNS:{PROXIED_NAME},IP:127.0.0.2"),
    );
    let reg = tls_registry(&cert, "127.0.0.2")?;
    let cert_dir = trust_dir(&t.path().join("cert-dir"), &cert.0);
    let proxy = ConnectProxy::start(&[(PROXIED_NAME, "127.0.0.2")]);
    Some(ProxiedRegistry {
        reg,
        proxy,
        cert_dir,
        _t: t,
    })
}

#[test]
fn https_proxy_is_used_for_names_and_never_for_loopback() {
    let Some(p) = proxied_registry() else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let (src, built) = oci_image(t.path(), 73);
    let direct = p.reg.image("proxied/img:v1");
    ok(clean(skiff())
        .args(["--insecure-policy", "copy", "--dest-cert-dir"])
        .arg(&p.cert_dir)
        .args([&src, &direct]));
    let by_name = direct.replace("127.0.0.2", PROXIED_NAME);
    let mut expected_connects = 0;
    for (tool, _) in tools() {
        let cmd = || {
            if tool == "skiff" {
                clean(skiff())
            } else {
                clean(skopeo().unwrap())
            }
        };
        // Loopback: reached directly, the proxy sees nothing.
        let raw = ok(cmd()
            .env("HTTPS_PROXY", p.proxy.url())
            .args(["inspect", "--raw", "--cert-dir"])
            .arg(&p.cert_dir)
            .arg(&direct));
        assert_eq!(raw.stdout, built.manifest, "{tool}");
        assert_eq!(
            p.proxy.seen().len(),
            expected_connects,
            "{tool} used the proxy for loopback"
        );
        // A name: through the proxy, given with a scheme (upper-case variable) and without
        // one (lower-case variable; Go takes it as http://).
        for (var, value) in [
            ("HTTPS_PROXY", p.proxy.url()),
            ("https_proxy", format!("127.0.0.1:{}", p.proxy.port)),
        ] {
            let raw = ok(cmd()
                .env(var, &value)
                .args(["inspect", "--raw", "--cert-dir"])
                .arg(&p.cert_dir)
                .arg(&by_name));
            assert_eq!(raw.stdout, built.manifest, "{tool} {var}={value}");
            let seen = p.proxy.seen();
            assert!(seen.len() > expected_connects, "{tool}: {seen:?}");
            expected_connects = seen.len();
            let want = format!("{PROXIED_NAME}:{}", p.reg.port);
            assert!(seen.iter().all(|s| *s == want), "{seen:?}");
        }
    }
}

#[test]
fn unreachable_proxy_is_named_in_one_line() {
    let port = free_port();
    let image = format!("docker://{PROXIED_NAME}:5000/x/y:v1");
    let (code, err) = fails(
        clean(skiff())
            .env("HTTPS_PROXY", format!("http://127.0.0.1:{port}"))
            .args(["inspect", "--raw", &image]),
    );
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    let ours = fatal_message(&err);
    assert!(
        ours.ends_with(&format!(
            "Get \"https://{PROXIED_NAME}:5000/v2/\": proxyconnect tcp: dial tcp 127.0.0.1:{port}: connect: connection refused"
        )),
        "{ours}"
    );
    if let Some(s) = skopeo() {
        let (code, theirs) = fails(
            clean(s)
                .env("HTTPS_PROXY", format!("http://127.0.0.1:{port}"))
                .args(["inspect", "--raw", &image]),
        );
        assert_eq!(code, 1);
        assert_eq!(ours, fatal_message(&theirs));
    }
}

/// `HTTPS_PROXY=socks5://…` and `socks5h://…` as Go's net/http takes them: through a real
/// SOCKS server (danted) that is handed the registry's name and resolves it itself (Go sends
/// names, for both schemes); loopback is still reached directly. skopeo 1.9.3 (Go before
/// `socks5h`) is the oracle for `socks5`.
#[test]
fn socks5_proxy_is_used_for_names_and_never_for_loopback() {
    let Some(p) = proxied_registry() else {
        return;
    };
    let Some(socks) = crate::support::socks::Danted::start(&[(PROXIED_NAME, "127.0.0.2")]) else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let (src, built) = oci_image(t.path(), 74);
    let direct = p.reg.image("socks/img:v1");
    ok(clean(skiff())
        .args(["--insecure-policy", "copy", "--dest-cert-dir"])
        .arg(&p.cert_dir)
        .args([&src, &direct]));
    let by_name = direct.replace("127.0.0.2", PROXIED_NAME);
    let through = format!("127.0.0.2.{}", p.reg.port);
    let inspect = |tool: &str, scheme: &str, image: &str| {
        let mut c = if tool == "skiff" {
            clean(skiff())
        } else {
            clean(skopeo().unwrap())
        };
        let out = ok(c
            .env("HTTPS_PROXY", socks.url(scheme))
            .args(["inspect", "--raw", "--cert-dir"])
            .arg(&p.cert_dir)
            .arg(image));
        assert_eq!(out.stdout, built.manifest, "{tool} {scheme} {image}");
    };
    let mut seen = 0;
    let mut cases = vec![("skiff", "socks5"), ("skiff", "socks5h")];
    if require_tool("skopeo") {
        cases.push(("skopeo", "socks5"));
    }
    for (tool, scheme) in cases {
        // Loopback: reached directly, the SOCKS server sees nothing.
        inspect(tool, scheme, &direct);
        assert_eq!(
            socks.connects().len(),
            seen,
            "{tool} {scheme} used the proxy for loopback"
        );
        // A name only the SOCKS server can resolve: through it.
        inspect(tool, scheme, &by_name);
        let connects = socks.connects();
        assert!(connects.len() > seen, "{tool} {scheme}: {connects:?}");
        assert!(
            connects[seen..].iter().all(|c| *c == through),
            "{tool} {scheme}: {connects:?}"
        );
        seen = connects.len();
    }
    // A SOCKS server that is not there is named, in Go's words (skopeo's for socks5).
    let port = free_port();
    let image = format!("docker://{PROXIED_NAME}:5000/x/y:v1");
    let refused = |c: Command, scheme: &str| {
        let mut c = c;
        let (code, err) = fails(
            c.env("HTTPS_PROXY", format!("{scheme}://127.0.0.1:{port}"))
                .args(["inspect", "--raw", &image]),
        );
        assert_eq!(code, 1, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        fatal_message(&err)
    };
    let ours = refused(clean(skiff()), "socks5");
    assert!(
        ours.ends_with(&format!(
            "Get \"https://{PROXIED_NAME}:5000/v2/\": proxyconnect tcp: dial tcp 127.0.0.1:{port}: connect: connection refused"
        )),
        "{ours}"
    );
    assert_eq!(refused(clean(skiff()), "socks5h"), ours);
    if let Some(s) = skopeo() {
        assert_eq!(refused(clean(s), "socks5"), ours);
    }
}

/// `openssl s_server -www` speaking TLS 1.2 with one cipher suite, on 127.0.0.1.
struct SServer {
    port: u16,
    child: std::process::Child,
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn s_server(cert: &(PathBuf, PathBuf), args: &[&str]) -> SServer {
    let port = free_port();
    let child = Command::new("openssl")
        .args(["s_server", "-www", "-accept", &format!("127.0.0.1:{port}")])
        .arg("-cert")
        .arg(&cert.0)
        .arg("-key")
        .arg(&cert.1)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starting openssl s_server");
    wait_for_addr("127.0.0.1", port);
    SServer { port, child }
}

#[test]
fn tls_details_narrow_versions_suites_and_groups() {
    if !require_tool("openssl") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let cert = guide_cert(&t.path().join("tls"), "localhost", 2048, "IP:127.0.0.1");
    let cert_dir = trust_dir(&t.path().join("cert-dir"), &cert.0);
    let server = s_server(
        &cert,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "-groups",
            "P-256",
        ],
    );
    let details = |name: &str, text: &str| {
        let p = t.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let inspect = |details: &Path| {
        let out = run(clean(skiff())
            .arg("--tls-details")
            .arg(details)
            .args(["inspect", "--raw", "--cert-dir"])
            .arg(&cert_dir)
            .arg(format!("docker://127.0.0.1:{}/x/y:v1", server.port)));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // What the server speaks: the handshake succeeds (s_server is no registry: whatever
    // follows, it is not TLS that fails).
    let fits = details(
        "fits.yaml",
        "minVersion: \"1.2\"\ncipherSuites:\n  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\nnamedGroups: [secp256r1]\n",
    );
    let msg = inspect(&fits);
    assert!(!msg.contains("tls:"), "{msg}");
    for (name, text, want) in [
        (
            "tls13.yaml",
            "minVersion: \"1.3\"\n",
            "remote error: tls: protocol version not supported",
        ),
        (
            "suite.yaml",
            "cipherSuites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n",
            "remote error: tls: handshake failure",
        ),
        (
            "group.yaml",
            "namedGroups: [x25519]\n",
            "remote error: tls: handshake failure",
        ),
    ] {
        let msg = fatal_message(&inspect(&details(name, text)));
        assert!(msg.ends_with(want), "{name}: {msg}");
    }
}

#[test]
fn bad_tls_details_file_is_one_line_and_exit_1() {
    let t = tempfile::tempdir().unwrap();
    for (name, text, want) in [
        ("garbage.yaml", "{{{ not yaml", "parsing \"PATH\": "),
        (
            "field.yaml",
            "minVersion: \"1.2\"\nmaxVersion: \"1.3\"\n",
            "parsing \"PATH\": ",
        ),
        (
            "version.yaml",
            "minVersion: \"1.9\"\n",
            "parsing TLS details \"PATH\": unrecognized TLS minimum version \"1.9\"",
        ),
    ] {
        let p = t.path().join(name);
        std::fs::write(&p, text).unwrap();
        let (code, err) = fails(
            skiff()
                .arg("--tls-details")
                .arg(&p)
                .args(["inspect", "docker://127.0.0.1:1/x"]),
        );
        assert_eq!(code, 1, "{name}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        let msg = fatal_message(&err).replace(&*p.to_string_lossy(), "PATH");
        assert!(msg.starts_with(want), "{name}: {msg}");
    }
    let missing = t.path().join("missing.yaml");
    let (code, err) = fails(
        skiff()
            .arg("--tls-details")
            .arg(&missing)
            .args(["inspect", "docker://127.0.0.1:1/x"]),
    );
    assert_eq!(code, 1);
    let m = missing.display();
    assert_eq!(
        fatal_message(&err),
        format!("reading \"{m}\": open {m}: no such file or directory")
    );
}

#[test]
fn a_proxy_refusing_the_tunnel_is_named() {
    // The stand-in answers 502 for names it does not know.
    let proxy = ConnectProxy::start(&[]);
    let image = "docker://unknown.skiff.test:5000/x/y:v1";
    let (code, err) = fails(
        clean(skiff())
            .env("HTTPS_PROXY", proxy.url())
            .args(["inspect", "--raw", image]),
    );
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    let ours = fatal_message(&err);
    assert!(
        ours.ends_with(&format!(
            "Get \"https://unknown.skiff.test:5000/v2/\": proxy 127.0.0.1:{} refused to open a tunnel",
            proxy.port
        )),
        "{ours}"
    );
    assert_eq!(proxy.seen(), vec!["unknown.skiff.test:5000".to_string()]);
    if let Some(s) = skopeo() {
        // Go names the proxy's status instead ("Bad Gateway"); both refuse in one line.
        let (code, theirs) = fails(
            clean(s)
                .env("HTTPS_PROXY", proxy.url())
                .args(["inspect", "--raw", image]),
        );
        assert_eq!(code, 1);
        assert!(
            fatal_message(&theirs).ends_with(": Bad Gateway"),
            "{theirs}"
        );
    }
}

/// A self-signed `CA:TRUE` certificate for 127.0.0.1 valid only on 2020-01-01 (made with
/// `openssl ca`, the one openssl 3.0 command that takes explicit dates).
fn expired_cert(dir: &Path) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir.join("issued")).unwrap();
    std::fs::write(dir.join("index.txt"), "").unwrap();
    std::fs::write(dir.join("serial"), "01\n").unwrap();
    std::fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca = test\n[test]\ndatabase = index.txt\nnew_certs_dir = issued\nserial = serial\ndefault_md = sha256\npolicy = any\n[any]\ncommonName = supplied\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("ext.cnf"),
        "basicConstraints=critical,CA:TRUE\nsubjectAltName=IP:127.0.0.1\n",
    )
    .unwrap();
    ok(Command::new("openssl").current_dir(dir).args([
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "expired.key",
        "-out",
        "expired.csr",
        "-subj",
        "/CN=expired",
    ]));
    ok(Command::new("openssl").current_dir(dir).args([
        "ca",
        "-config",
        "ca.cnf",
        "-selfsign",
        "-keyfile",
        "expired.key",
        "-in",
        "expired.csr",
        "-startdate",
        "20200101000000Z",
        "-enddate",
        "20200102000000Z",
        "-extfile",
        "ext.cnf",
        "-notext",
        "-batch",
        "-out",
        "expired.crt",
    ]));
    (dir.join("expired.crt"), dir.join("expired.key"))
}

#[test]
fn expired_certificate_is_refused_in_gos_words() {
    if !require_tool("openssl") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let cert = expired_cert(&t.path().join("tls"));
    let Some(reg) = tls_registry(&cert, "127.0.0.1") else {
        return;
    };
    let cert_dir = trust_dir(&t.path().join("cert-dir"), &cert.0);
    let image = reg.image("x/y:v1");
    let inspect = |mut cmd: Command| {
        let (code, err) = fails(
            cmd.args(["inspect", "--raw", "--cert-dir"])
                .arg(&cert_dir)
                .arg(&image),
        );
        assert_eq!(code, 1, "{err}");
        // The current time differs from run to run.
        let msg = fatal_message(&err);
        let re = regex::Regex::new(r"current time \S+ is after").unwrap();
        re.replace(&msg, "current time NOW is after").into_owned()
    };
    let ours = inspect(clean(skiff()));
    assert!(
        ours.ends_with(
            "tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time NOW is after 2020-01-02T00:00:00Z"
        ),
        "{ours}"
    );
    if let Some(s) = skopeo() {
        assert_eq!(without_go120_prefix(&ours), inspect(clean(s)));
    }
}

#[test]
fn http_proxy_is_refused_in_a_cgi_environment_like_go() {
    let Some(reg) = Registry::start() else {
        return;
    };
    let image = reg.image("x/y:v1");
    let inspect = |mut cmd: Command| {
        let (code, err) = fails(
            cmd.env("REQUEST_METHOD", "GET")
                .env("HTTP_PROXY", "http://127.0.0.1:1")
                .args(["inspect", "--raw", "--tls-verify=false", &image]),
        );
        assert_eq!(code, 1, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        fatal_message(&err)
    };
    let ours = inspect(clean(skiff()));
    assert!(
        ours.contains(
            "refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy"
        ),
        "{ours}"
    );
    if let Some(s) = skopeo() {
        assert_eq!(ours, inspect(clean(s)));
    }
}
