//! Signing (`--sign-by`, `standalone-sign`): skiff signs with a key in a private GnuPG home,
//! then skopeo 1.9.3 (a `signedBy` policy, `standalone-verify`) and `gpg --verify` check what
//! it wrote, and skiff's own verification accepts it too.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::fixtures::{self, ImageSpec};
use crate::support::registry::Registry;
use crate::support::*;

const PASSPHRASE: &str = "correct horse";

/// A private GnuPG home with one passphrase-protected signing key; its agent is stopped
/// when dropped.
struct Gpg {
    home: GnupgHome,
    fingerprint: String,
}

impl Gpg {
    fn new() -> Option<Gpg> {
        let home = gnupg_home()?;
        let mut g = Gpg {
            home,
            fingerprint: String::new(),
        };
        ok(g.cmd().args([
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            PASSPHRASE,
            "--quick-generate-key",
            "signer <signer@example.com>",
            "default",
            "default",
            "never",
        ]));
        let out = ok(g.cmd().args(["--with-colons", "--list-secret-keys"]));
        g.fingerprint = stdout(&out)
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .map(|l| l.trim_matches(':').to_string())
            .expect("fingerprint");
        // Nothing cached: each test below gives the passphrase itself.
        g.forget_passphrases();
        Some(g)
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", self.home.path()).arg("--batch");
        c
    }

    fn forget_passphrases(&self) {
        ok(Command::new("gpgconf")
            .env("GNUPGHOME", self.home.path())
            .args(["--kill", "gpg-agent"]));
    }

    /// Runs `tool` with this home.
    fn with(&self, mut tool: Command) -> Command {
        tool.env("GNUPGHOME", self.home.path());
        tool
    }

    fn export(&self, to: &Path) -> PathBuf {
        let out = ok(self.cmd().args(["--export", &self.fingerprint]));
        std::fs::write(to, out.stdout).unwrap();
        to.to_path_buf()
    }

    /// `gpg --verify` of `sig`; returns the signed payload (`gpg --decrypt`).
    fn verify(&self, sig: &Path) -> serde_json::Value {
        let out = ok(self.cmd().arg("--verify").arg(sig));
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(text.contains("Good signature"), "{text}");
        let out = ok(self.cmd().arg("--decrypt").arg(sig));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn fatal(out: &std::process::Output) -> (i32, String) {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), fatal_message(&stderr))
}

/// A registry whose signatures are staged in, and read from, a file lookaside.
struct Setup {
    t: tempfile::TempDir,
    reg: Registry,
    gpg: Gpg,
    registries_d: PathBuf,
    lookaside: PathBuf,
    passphrase_file: PathBuf,
    public_key: PathBuf,
}

impl Setup {
    fn new() -> Option<Setup> {
        let gpg = Gpg::new()?;
        skopeo()?;
        let reg = Registry::start()?;
        let t = tempfile::tempdir().unwrap();
        let lookaside = t.path().join("lookaside");
        let registries_d = t.path().join("registries.d");
        std::fs::create_dir_all(&registries_d).unwrap();
        std::fs::write(
            registries_d.join("test.yaml"),
            format!(
                "default-docker:\n  lookaside: file://{0}\n  lookaside-staging: file://{0}\n",
                lookaside.display()
            ),
        )
        .unwrap();
        let passphrase_file = t.path().join("passphrase");
        std::fs::write(&passphrase_file, format!("{PASSPHRASE}\n")).unwrap();
        let public_key = gpg.export(&t.path().join("key.gpg"));
        Some(Setup {
            t,
            reg,
            gpg,
            registries_d,
            lookaside,
            passphrase_file,
            public_key,
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.t.path().join(name)
    }

    /// skiff with this GnuPG home and registries.d, global flags first.
    fn skiff(&self) -> Command {
        let mut c = self.gpg.with(skiff());
        c.arg("--insecure-policy")
            .arg("--registries.d")
            .arg(&self.registries_d);
        c
    }

    fn sign_args(&self) -> Vec<String> {
        vec![
            "--sign-by".into(),
            self.gpg.fingerprint.clone(),
            "--sign-passphrase-file".into(),
            self.passphrase_file.display().to_string(),
        ]
    }

    fn lookaside_signature(&self, repo: &str, digest: &str, n: usize) -> PathBuf {
        self.lookaside.join(format!(
            "{repo}@{}/signature-{n}",
            digest.replacen(':', "=", 1)
        ))
    }

    /// A policy accepting only this key's signatures (`signedBy`), for `docker` and `dir`
    /// (a `dir:` image has no name: its signature must name `dir_identity`).
    fn policy(&self, dir_identity: &str) -> PathBuf {
        let p = self.path("policy.json");
        let key = self.public_key.display();
        std::fs::write(
            &p,
            format!(
                r#"{{"default":[{{"type":"reject"}}],"transports":{{
                  "docker":{{"":[{{"type":"signedBy","keyType":"GPGKeys","keyPath":"{key}"}}]}},
                  "dir":{{"":[{{"type":"signedBy","keyType":"GPGKeys","keyPath":"{key}","signedIdentity":{{"type":"exactReference","dockerReference":"{dir_identity}"}}}}]}}}}}}"#
            ),
        )
        .unwrap();
        p
    }

    /// Copies `from` to a fresh `dir:` with `tool` under `policy`; the destination on success.
    fn verified_copy(&self, tool: Command, policy: &Path, from: &str) -> PathBuf {
        let dest = self.path(&format!("verified-{}", unique()));
        let mut tool = self.gpg.with(tool);
        ok(tool
            .arg("--policy")
            .arg(policy)
            .arg("--registries.d")
            .arg(&self.registries_d)
            .args(["copy", "-q", "--src-tls-verify=false"])
            .arg(from)
            .arg(format!("dir:{}", dest.display())));
        dest
    }

    /// Whether the registry has `repo:tag` (skopeo asks).
    fn registry_has(&self, repo_tag: &str) -> bool {
        run(skopeo().unwrap().args([
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{}/{repo_tag}", self.reg.host),
        ]))
        .status
        .success()
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[test]
fn sign_by_to_a_registry_and_a_dir_verified_by_skopeo_gpg_and_skiff() {
    let Some(s) = Setup::new() else { return };
    let src = s.path("src");
    let built = fixtures::write_dir(&src, &ImageSpec::small(31));
    let policy = s.policy("example.com/signed:v1");

    // Registry: the signature goes to the lookaside staging directory.
    let out = ok(s
        .skiff()
        .args(["copy", "--dest-tls-verify=false"])
        .args(s.sign_args())
        .arg(format!("dir:{}", src.display()))
        .arg(format!("docker://{}/signed:v1", s.reg.host)));
    let progress =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        progress.contains("Signing manifest using simple signing\n"),
        "{progress}"
    );
    let sig = s.lookaside_signature("signed", &built.manifest_digest, 1);
    let payload = s.gpg.verify(&sig);
    assert_eq!(
        payload["critical"]["identity"]["docker-reference"],
        format!("{}/signed:v1", s.reg.host)
    );
    assert_eq!(
        payload["critical"]["image"]["docker-manifest-digest"],
        built.manifest_digest
    );
    assert_eq!(payload["critical"]["type"], "atomic container signature");
    assert!(payload["optional"]["timestamp"].is_i64());
    let from = format!("docker://{}/signed:v1", s.reg.host);
    let theirs = s.verified_copy(skopeo().unwrap(), &policy, &from);
    let ours = s.verified_copy(skiff(), &policy, &from);
    assert_same_tree(&ours, &theirs);

    // dir: needs an identity to sign; skopeo reads the signature back from the directory.
    let dest = s.path("signed-dir");
    ok(s.skiff()
        .args(["copy", "-q", "--sign-identity", "example.com/signed:v1"])
        .args(s.sign_args())
        .arg(format!("dir:{}", src.display()))
        .arg(format!("dir:{}", dest.display())));
    s.gpg.verify(&dest.join("signature-1"));
    let from = format!("dir:{}", dest.display());
    s.verified_copy(skopeo().unwrap(), &policy, &from);
    s.verified_copy(skiff(), &policy, &from);
    let out = ok(skopeo()
        .unwrap()
        .args([
            "standalone-verify",
            &dest.join("manifest.json").display().to_string(),
            "example.com/signed:v1",
            &s.gpg.fingerprint,
            &dest.join("signature-1").display().to_string(),
        ])
        .env("GNUPGHOME", s.gpg.home.path()));
    assert!(
        stdout(&out).starts_with("Signature verified"),
        "{}",
        stdout(&out)
    );

    // A signed image copied on keeps its signature and gains another.
    let resigned = s.path("resigned");
    ok(s.skiff()
        .args(["copy", "-q", "--sign-identity", "example.com/signed:v1"])
        .args(s.sign_args())
        .arg(format!("dir:{}", dest.display()))
        .arg(format!("dir:{}", resigned.display())));
    assert_eq!(
        std::fs::read(resigned.join("signature-1")).unwrap(),
        std::fs::read(dest.join("signature-1")).unwrap()
    );
    s.gpg.verify(&resigned.join("signature-2"));
}

#[test]
fn sign_by_with_all_signs_each_instance_and_the_list() {
    let Some(s) = Setup::new() else { return };
    let src = s.path("list");
    let mut arm = ImageSpec::small(41);
    arm.architecture = "arm64".into();
    let index = fixtures::write_oci_index(&src, "v1", &[ImageSpec::small(40), arm], false);
    let index_digest = fixtures::sha256(&index);
    ok(s.skiff()
        .args(["copy", "-q", "--all", "--dest-tls-verify=false"])
        .args(s.sign_args())
        .arg(format!("oci:{}:v1", src.display()))
        .arg(format!("docker://{}/multi:v1", s.reg.host)));
    let parsed: serde_json::Value = serde_json::from_slice(&index).unwrap();
    let mut digests = vec![index_digest.clone()];
    for m in parsed["manifests"].as_array().unwrap() {
        digests.push(m["digest"].as_str().unwrap().to_string());
    }
    for d in &digests {
        let payload = s.gpg.verify(&s.lookaside_signature("multi", d, 1));
        assert_eq!(payload["critical"]["image"]["docker-manifest-digest"], *d);
        assert_eq!(
            payload["critical"]["identity"]["docker-reference"],
            format!("{}/multi:v1", s.reg.host)
        );
    }
    // skopeo checks the list's and every instance's signature under the policy.
    let policy = s.policy("unused.example.com/x:y");
    let dest = s.path("multi-out");
    ok(s.gpg
        .with(skopeo().unwrap())
        .arg("--policy")
        .arg(&policy)
        .arg("--registries.d")
        .arg(&s.registries_d)
        .args(["copy", "-q", "--all", "--src-tls-verify=false"])
        .arg(format!("docker://{}/multi:v1", s.reg.host))
        .arg(format!("dir:{}", dest.display())));
}

#[test]
fn sync_signs_every_image() {
    let Some(s) = Setup::new() else { return };
    let src = s.path("sync-src");
    let built = fixtures::write_dir(&src.join("one"), &ImageSpec::small(50));
    ok(s.skiff()
        .args([
            "sync",
            "--src",
            "dir",
            "--dest",
            "docker",
            "--dest-tls-verify=false",
        ])
        .args(s.sign_args())
        .arg(src.join("one"))
        .arg(format!("{}/synced", s.reg.host)));
    let sig = s.lookaside.join(format!(
        "synced/one@{}/signature-1",
        built.manifest_digest.replacen(':', "=", 1)
    ));
    let payload = s.gpg.verify(&sig);
    assert_eq!(
        payload["critical"]["identity"]["docker-reference"],
        format!("{}/synced/one:latest", s.reg.host)
    );
    let policy = s.policy("unused.example.com/x:y");
    s.verified_copy(
        skopeo().unwrap(),
        &policy,
        &format!("docker://{}/synced/one:latest", s.reg.host),
    );

    // An unsigned image already at the destination is signed all the same.
    let two = fixtures::write_dir(&src.join("two"), &ImageSpec::small(51));
    for dest in ["plain/two:latest", "mirror/two:latest"] {
        ok(s.skiff()
            .args(["copy", "-q", "--dest-tls-verify=false"])
            .arg(format!("dir:{}", src.join("two").display()))
            .arg(format!("docker://{}/{dest}", s.reg.host)));
    }
    ok(s.skiff()
        .args(["sync", "--src", "docker", "--dest", "docker"])
        .args(["--src-tls-verify=false", "--dest-tls-verify=false"])
        .args(s.sign_args())
        .arg(format!("{}/plain/two:latest", s.reg.host))
        .arg(format!("{}/mirror", s.reg.host)));
    s.gpg
        .verify(&s.lookaside_signature("mirror/two", &two.manifest_digest, 1));
}

#[test]
fn signing_failures_write_nothing() {
    let Some(s) = Setup::new() else { return };
    let src = s.path("src");
    fixtures::write_dir(&src, &ImageSpec::small(60));
    let from = format!("dir:{}", src.display());
    let to_registry = |s: &Setup, repo: &str, extra: &[&str]| {
        let out = run(s
            .skiff()
            .args(["copy", "-q", "--dest-tls-verify=false"])
            .args(extra)
            .arg(&from)
            .arg(format!("docker://{}/{repo}:v1", s.reg.host)));
        assert!(!s.registry_has(&format!("{repo}:v1")), "{repo} was written");
        fatal(&out)
    };
    let fpr = s.gpg.fingerprint.clone();
    let pp = s.passphrase_file.display().to_string();

    // A wrong passphrase (none cached: the agent starts afresh).
    s.gpg.forget_passphrases();
    let wrong = s.path("wrong");
    std::fs::write(&wrong, "not it\n").unwrap();
    let wrong = wrong.display().to_string();
    assert_eq!(
        to_registry(
            &s,
            "bad-pass",
            &["--sign-by", &fpr, "--sign-passphrase-file", &wrong]
        ),
        (1, "creating signature: Bad passphrase".to_string())
    );
    // An unknown key, a missing passphrase file.
    assert_eq!(
        to_registry(
            &s,
            "no-key",
            &["--sign-by", "DEADBEEF", "--sign-passphrase-file", &pp]
        ),
        (
            1,
            "creating signature: key \"DEADBEEF\" not found".to_string()
        )
    );
    let missing = s.path("missing");
    assert_eq!(
        to_registry(
            &s,
            "no-file",
            &[
                "--sign-by",
                &fpr,
                "--sign-passphrase-file",
                &missing.display().to_string()
            ]
        ),
        (
            1,
            format!("open {}: no such file or directory", missing.display())
        )
    );
    assert_eq!(
        to_registry(
            &s,
            "both",
            &["--sign-by", &fpr, "--sign-by-sigstore-private-key", "k", "--sign-passphrase-file", &pp]
        ),
        (
            1,
            "Only one of --sign-by and sign-by-sigstore-private-key can be used with sign-passphrase-file"
                .to_string()
        )
    );

    // Destinations skopeo fails only after writing the image: skiff fails first.
    let dir_dest = s.path("no-identity");
    let out = run(s
        .skiff()
        .args([
            "copy",
            "-q",
            "--sign-by",
            &fpr,
            "--sign-passphrase-file",
            &pp,
        ])
        .arg(&from)
        .arg(format!("dir:{}", dir_dest.display())));
    assert_eq!(
        fatal(&out),
        (
            1,
            format!(
                "Cannot determine canonical Docker reference for destination dir:{}",
                dir_dest.display()
            )
        )
    );
    assert!(!dir_dest.exists());
    let oci_dest = s.path("oci");
    let out = run(s
        .skiff()
        .args(["copy", "-q", "--sign-identity", "example.com/a:b"])
        .args(["--sign-by", &fpr, "--sign-passphrase-file", &pp])
        .arg(&from)
        .arg(format!("oci:{}", oci_dest.display())));
    assert_eq!(
        fatal(&out),
        (
            1,
            "writing signatures: Pushing signatures for OCI images is not supported".to_string()
        )
    );
    assert!(!oci_dest.exists());
    for (identity, message) in [
        (
            "example.com/a",
            "Sign identity must be a fully specified reference example.com/a",
        ),
        (
            "a:b",
            "Could not parse --sign-identity: repository name must be canonical",
        ),
    ] {
        let dest = s.path(&format!("ident-{}", unique()));
        let out = run(s
            .skiff()
            .args(["copy", "-q", "--sign-identity", identity])
            .args(["--sign-by", &fpr, "--sign-passphrase-file", &pp])
            .arg(&from)
            .arg(format!("dir:{}", dest.display())));
        assert_eq!(fatal(&out), (1, message.to_string()));
        assert!(!dest.exists());
    }
}

fn digest_of(path: &Path) -> String {
    fixtures::sha256(&std::fs::read(path).unwrap())
}

#[test]
fn standalone_sign_is_verified_by_skopeo_and_gpg() {
    let Some(s) = Setup::new() else { return };
    let src = s.path("img");
    let built = fixtures::write_dir(&src, &ImageSpec::small(70));
    let manifest = src.join("manifest.json");
    let sig = s.path("standalone.sig");
    let out = ok(s.gpg.with(skiff()).args([
        "standalone-sign",
        &manifest.display().to_string(),
        "example.com/standalone:v1",
        &s.gpg.fingerprint,
        "-o",
        &sig.display().to_string(),
        "--passphrase-file",
        &s.passphrase_file.display().to_string(),
    ]));
    assert!(out.stdout.is_empty());
    assert_eq!(digest_of(&manifest), built.manifest_digest);
    let verified = ok(s.gpg.with(skopeo().unwrap()).args([
        "standalone-verify",
        &manifest.display().to_string(),
        "example.com/standalone:v1",
        &s.gpg.fingerprint,
        &sig.display().to_string(),
    ]));
    assert_eq!(
        stdout(&verified),
        format!("Signature verified, digest {}\n", built.manifest_digest)
    );
    s.gpg.verify(&sig);
    // skiff's own verification agrees.
    let ours = ok(s.gpg.with(skiff()).args([
        "standalone-verify",
        &manifest.display().to_string(),
        "example.com/standalone:v1",
        &s.gpg.fingerprint,
        &sig.display().to_string(),
    ]));
    assert_eq!(stdout(&ours), stdout(&verified));

    // Bad input: one line, exit 1, no signature file.
    s.gpg.forget_passphrases();
    let wrong = s.path("wrong");
    std::fs::write(&wrong, "nope\n").unwrap();
    let bad_sig = s.path("bad.sig");
    let manifest_arg = manifest.display().to_string();
    let bad_sig_arg = bad_sig.display().to_string();
    let wrong_arg = wrong.display().to_string();
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec![&manifest_arg, "example.com/a:b", &s.gpg.fingerprint, "-o", &bad_sig_arg, "--passphrase-file", &wrong_arg],
            "Error creating signature: Bad passphrase".to_string(),
        ),
        (
            vec![&manifest_arg, "example.com/a:b", "0123456789ABCDEF", "-o", &bad_sig_arg],
            "Error creating signature: key \"0123456789ABCDEF\" not found".to_string(),
        ),
        (
            vec!["/nonexistent/m.json", "example.com/a:b", &s.gpg.fingerprint, "-o", &bad_sig_arg],
            "Error reading /nonexistent/m.json: open /nonexistent/m.json: no such file or directory".to_string(),
        ),
        (
            vec![&manifest_arg, "example.com/a:b", &s.gpg.fingerprint],
            "Usage: skopeo standalone-sign manifest docker-reference key-fingerprint -o signature".to_string(),
        ),
    ];
    for (args, message) in cases {
        let out = run(s.gpg.with(skiff()).arg("standalone-sign").args(&args));
        assert_eq!(fatal(&out), (1, message), "{args:?}");
        assert!(!bad_sig.exists());
    }
}

/// Debian's python3 with PyNaCl (python3-nacl), an independent reader of cosign's key format.
fn python_with_nacl() -> Option<Command> {
    let ok = Command::new("/usr/bin/python3")
        .args(["-c", "import nacl.secret"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("python3-nacl is required by this test but is not installed (CI=true)");
        }
        eprintln!("SKIPPED: python3-nacl is not installed; ./scripts/test.sh installs it");
        return None;
    }
    Some(Command::new("/usr/bin/python3"))
}

/// Decrypts a cosign private key file (scrypt, then NaCl secretbox) into PKCS#8 DER at `out`.
const DECRYPT_COSIGN_KEY: &str = r#"
import base64, hashlib, json, sys, nacl.secret
text = open(sys.argv[1]).read()
lines = text.strip().splitlines()
assert lines[0] == "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----", lines[0]
env = json.loads(base64.b64decode("".join(lines[1:-1])))
kdf = env["kdf"]
assert kdf["name"] == "scrypt" and env["cipher"]["name"] == "nacl/secretbox"
p = kdf["params"]
key = hashlib.scrypt(sys.argv[2].encode(), salt=base64.b64decode(kdf["salt"]), n=p["N"], r=p["r"], p=p["p"], maxmem=128*1024*1024, dklen=32)
der = nacl.secret.SecretBox(key).decrypt(base64.b64decode(env["ciphertext"]), base64.b64decode(env["cipher"]["nonce"]))
open(sys.argv[3], "wb").write(der)
print(json.dumps(p, sort_keys=True))
"#;

#[test]
fn sigstore_keys_generated_and_used_for_signing() {
    if !require_tool("openssl") {
        return;
    }
    let Some(mut python) = python_with_nacl() else {
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let pp = t.path().join("pp");
    std::fs::write(&pp, "key passphrase\nignored second line\n").unwrap();
    let prefix = t.path().join("mykey");
    let prefix_arg = prefix.display().to_string();
    let out = ok(skiff().args([
        "generate-sigstore-key",
        "--output-prefix",
        &prefix_arg,
        "--passphrase-file",
        &pp.display().to_string(),
    ]));
    let private = t.path().join("mykey.private");
    let public = t.path().join("mykey.pub");
    assert_eq!(
        stdout(&out),
        format!(
            "Key written to \"{}\" and \"{}\"\n",
            private.display(),
            public.display()
        )
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&private).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // An independent reader opens the private key (scrypt N=32768 r=8 p=1, secretbox), and
    // openssl finds in it the public key skiff wrote.
    let der = t.path().join("key.der");
    let params = ok(python
        .args(["-c", DECRYPT_COSIGN_KEY])
        .arg(&private)
        .arg("key passphrase")
        .arg(&der));
    assert_eq!(stdout(&params).trim(), r#"{"N": 32768, "p": 1, "r": 8}"#);
    let derived = ok(Command::new("openssl")
        .args(["pkey", "-inform", "DER", "-pubout", "-in"])
        .arg(&der));
    assert_eq!(stdout(&derived), std::fs::read_to_string(&public).unwrap());

    // Signing a copy: openssl verifies the signature over the payload with the public key,
    // and skiff's sigstoreSigned verification accepts the signed image.
    let src = t.path().join("src");
    let built = fixtures::write_dir(&src, &ImageSpec::small(80));
    let signed = t.path().join("signed");
    let sign = |dest: &Path, key: &Path, passphrase: &Path| {
        run(skiff()
            .args(["--insecure-policy", "copy", "-q"])
            .args(["--sign-identity", "example.com/cosigned:v1"])
            .arg("--sign-by-sigstore-private-key")
            .arg(key)
            .arg("--sign-passphrase-file")
            .arg(passphrase)
            .arg(format!("dir:{}", src.display()))
            .arg(format!("dir:{}", dest.display())))
    };
    let out = sign(&signed, &private, &pp);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let blob = std::fs::read(signed.join("signature-1")).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(blob.strip_prefix(b"\x00sigstore-json\n").unwrap()).unwrap();
    assert_eq!(
        json["mimeType"],
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64.decode(json["payload"].as_str().unwrap()).unwrap();
    let signature = b64
        .decode(
            json["annotations"]["dev.cosignproject.cosign/signature"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let payload_file = t.path().join("payload");
    let sig_file = t.path().join("payload.sig");
    std::fs::write(&payload_file, &payload).unwrap();
    std::fs::write(&sig_file, &signature).unwrap();
    let verified = ok(Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(&public)
        .arg("-signature")
        .arg(&sig_file)
        .arg(&payload_file));
    assert_eq!(stdout(&verified), "Verified OK\n");
    let payload: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(
        payload["critical"]["type"],
        "cosign container image signature"
    );
    assert_eq!(
        payload["critical"]["image"]["docker-manifest-digest"],
        built.manifest_digest
    );
    assert_eq!(
        payload["critical"]["identity"]["docker-reference"],
        "example.com/cosigned:v1"
    );
    let policy = t.path().join("policy.json");
    std::fs::write(
        &policy,
        format!(
            r#"{{"default":[{{"type":"sigstoreSigned","keyPath":"{}","signedIdentity":{{"type":"exactReference","dockerReference":"example.com/cosigned:v1"}}}}]}}"#,
            public.display()
        ),
    )
    .unwrap();
    ok(skiff()
        .arg("--policy")
        .arg(&policy)
        .args(["copy", "-q"])
        .arg(format!("dir:{}", signed.display()))
        .arg(format!("dir:{}", t.path().join("verified").display())));

    // Bad input: one line, exit 1, nothing written.
    let wrong = t.path().join("wrong");
    std::fs::write(&wrong, "not the passphrase\n").unwrap();
    let missing = t.path().join("missing.private");
    for (key, passphrase, message) in [
        (
            &private,
            &wrong,
            "creating signature: initializing private key: decrypt: encrypted: decryption failed"
                .to_string(),
        ),
        (
            &missing,
            &pp,
            format!(
                "creating signature: reading private key from {0}: open {0}: no such file or directory",
                missing.display()
            ),
        ),
        (
            &public,
            &pp,
            "creating signature: initializing private key: unsupported pem type: PUBLIC KEY"
                .to_string(),
        ),
    ] {
        let dest = t.path().join(format!("bad-{}", unique()));
        assert_eq!(fatal(&sign(&dest, key, passphrase)), (1, message));
        assert!(!dest.exists());
    }
    // Registries keep sigstore signatures as attachments, only where registries.d enables
    // them (not here): refused before anything is written, with c/image's words.
    if let Some(reg) = Registry::start() {
        let out = run(skiff()
            .args(["--insecure-policy", "copy", "-q", "--dest-tls-verify=false"])
            .arg("--sign-by-sigstore-private-key")
            .arg(&private)
            .arg("--sign-passphrase-file")
            .arg(&pp)
            .arg(format!("dir:{}", src.display()))
            .arg(format!("docker://{}/cosigned:v1", reg.host)));
        assert_eq!(
            fatal(&out),
            (
                1,
                "writing signatures: writing sigstore attachments is disabled by configuration"
                    .to_string()
            )
        );
        let listed = run(skopeo().unwrap().args([
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{}/cosigned:v1", reg.host),
        ]));
        assert!(!listed.status.success());
    }
    let out = run(skiff()
        .args(["--insecure-policy", "copy", "-q"])
        .arg("--sign-by-sigstore-private-key")
        .arg(&private)
        .arg(format!("dir:{}", src.display()))
        .arg(format!("dir:{}", t.path().join("prompt").display()))
        .stdin(std::process::Stdio::null()));
    assert_eq!(
        fatal(&out),
        (
            1,
            format!(
                "Cannot prompt for a passphrase for key {}, standard input is not a TTY",
                private.display()
            )
        )
    );
    let out = run(skiff().args([
        "generate-sigstore-key",
        "--output-prefix",
        &prefix_arg,
        "--passphrase-file",
        &pp.display().to_string(),
    ]));
    assert_eq!(
        fatal(&out),
        (
            1,
            format!("Refusing to overwrite existing \"{}\"", public.display())
        )
    );
    let other = t.path().join("other");
    let out = run(skiff()
        .args(["generate-sigstore-key", "--output-prefix"])
        .arg(&other)
        .stdin(std::process::Stdio::null()));
    assert_eq!(
        fatal(&out),
        (
            1,
            format!(
                "Cannot prompt for a passphrase for key {}.private, standard input is not a TTY",
                other.display()
            )
        )
    );
    assert!(!t.path().join("other.pub").exists() && !t.path().join("other.private").exists());
}

#[test]
fn sign_by_into_containers_storage_verified_by_skopeo_and_skiff() {
    if !crate::storage::peers() {
        return;
    }
    let Some(s) = Setup::new() else { return };
    let store = crate::storage::Store::new("vfs");
    let in_store = |mut c: Command| {
        c.env("CONTAINERS_STORAGE_CONF", &store.conf)
            .env_remove("STORAGE_DRIVER")
            .env_remove("STORAGE_OPTS")
            .env("GNUPGHOME", s.gpg.home.path());
        c
    };
    let src = s.path("src");
    fixtures::write_dir(&src, &ImageSpec::small(90));
    ok(in_store(skiff())
        .args(["--insecure-policy", "copy", "-q"])
        .args(s.sign_args())
        .arg(format!("dir:{}", src.display()))
        .arg("containers-storage:localhost/signed:1"));
    // Another image (one image in a store has one set of signatures, whatever its names).
    let other = s.path("other");
    fixtures::write_dir(&other, &ImageSpec::small(91));
    ok(in_store(skiff())
        .args(["--insecure-policy", "copy", "-q"])
        .arg(format!("dir:{}", other.display()))
        .arg("containers-storage:localhost/unsigned:1"));
    // Both tools read the signature back from the store and check it under a signedBy policy
    // (it names localhost/signed:1, the image's own name). A store serves layers
    // uncompressed, so the copy out drops the signatures, as skopeo requires.
    let policy = s.path("store-policy.json");
    std::fs::write(
        &policy,
        format!(
            r#"{{"default":[{{"type":"signedBy","keyType":"GPGKeys","keyPath":"{}"}}]}}"#,
            s.public_key.display()
        ),
    )
    .unwrap();
    for image in ["signed", "unsigned"] {
        let mut outcomes = Vec::new();
        for tool in [skopeo().unwrap(), skiff()] {
            let dest = s.path(&format!("from-store-{}", unique()));
            let out = run(in_store(tool)
                .arg("--policy")
                .arg(&policy)
                .args(["copy", "-q", "--remove-signatures"])
                .arg(format!("containers-storage:localhost/{image}:1"))
                .arg(format!("dir:{}", dest.display())));
            let message = if out.status.success() {
                String::new()
            } else {
                fatal(&out).1
            };
            outcomes.push((out.status.code(), message, dest.exists()));
        }
        // skopeo leaves an empty destination directory behind a refusal; skiff nothing.
        assert_eq!(
            (&outcomes[0].0, &outcomes[0].1),
            (&outcomes[1].0, &outcomes[1].1),
            "{image}"
        );
        let expected = if image == "signed" {
            (Some(0), String::new(), true)
        } else {
            (
                Some(1),
                "Source image rejected: A signature was required, but no signature exists"
                    .to_string(),
                false,
            )
        };
        assert_eq!(outcomes[1], expected, "{image}");
    }
}
