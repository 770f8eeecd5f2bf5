//! `--sign-by-sq-fingerprint`: keys made by gpg, put into a private Sequoia home as `sq key
//! import` leaves them (the secret key under `data/keystore/softkeys/`, the certificate in
//! `data/pgp.cert.d/`); skiff signs with them, then skopeo 1.9.3 (a `signedBy` policy,
//! `standalone-verify`), `gpg --verify` and `sq verify` check what it wrote.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::fixtures::{self, ImageSpec};
use crate::support::registry::Registry;
use crate::support::*;

const PASSPHRASE: &str = "sequoia passphrase";

/// A private GnuPG home (where the keys are made and later verify) and a Sequoia home.
struct Keys {
    gnupg: GnupgHome,
    sequoia: tempfile::TempDir,
}

/// One key made by gpg: its primary fingerprint and, when it has one, its signing subkey's.
struct Key {
    primary: String,
    signing_subkey: Option<String>,
}

impl Keys {
    fn new() -> Option<Keys> {
        let gnupg = gnupg_home()?;
        Some(Keys {
            gnupg,
            sequoia: tempfile::tempdir().unwrap(),
        })
    }

    fn gpg(&self, passphrase: &str) -> Command {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", self.gnupg.path()).args([
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            passphrase,
        ]);
        c
    }

    fn fingerprints(&self, uid: &str) -> Vec<String> {
        let out = ok(self
            .gpg("")
            .args(["--with-colons", "--list-secret-keys", uid]));
        stdout(&out)
            .lines()
            .filter_map(|l| l.strip_prefix("fpr:"))
            .map(|l| l.trim_matches(':').to_string())
            .collect()
    }

    /// gpg's default key (an RSA primary key that signs), no passphrase.
    fn plain_key(&self, uid: &str) -> Key {
        ok(self
            .gpg("")
            .args(["--quick-generate-key", uid, "default", "default", "never"]));
        Key {
            primary: self.fingerprints(uid).remove(0),
            signing_subkey: None,
        }
    }

    /// An Ed25519 primary key that only certifies, with an Ed25519 signing subkey, both
    /// locked with `PASSPHRASE`.
    fn subkey_signer(&self, uid: &str) -> Key {
        ok(self
            .gpg(PASSPHRASE)
            .args(["--quick-generate-key", uid, "ed25519", "cert", "never"]));
        let primary = self.fingerprints(uid).remove(0);
        ok(self
            .gpg(PASSPHRASE)
            .args(["--quick-add-key", &primary, "ed25519", "sign", "never"]));
        let subkey = self.fingerprints(uid).remove(1);
        Key {
            primary,
            signing_subkey: Some(subkey),
        }
    }

    fn softkeys(&self) -> PathBuf {
        self.sequoia.path().join("data/keystore/softkeys")
    }

    /// The secret key into the key store, the certificate into the cert-d (`ab/cdef…`).
    fn install(&self, key: &Key, passphrase: &str) {
        self.install_secret(key, passphrase);
        self.install_certificate(key, &self.public(key));
    }

    fn install_secret(&self, key: &Key, passphrase: &str) {
        std::fs::create_dir_all(self.softkeys()).unwrap();
        let out = ok(self
            .gpg(passphrase)
            .args(["--export-secret-keys", &key.primary]));
        std::fs::write(
            self.softkeys().join(format!("{}.pgp", key.primary)),
            out.stdout,
        )
        .unwrap();
    }

    fn install_certificate(&self, key: &Key, public: &[u8]) {
        let lower = key.primary.to_ascii_lowercase();
        let dir = self
            .sequoia
            .path()
            .join("data/pgp.cert.d")
            .join(&lower[..2]);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(&lower[2..]), public).unwrap();
    }

    fn public(&self, key: &Key) -> Vec<u8> {
        ok(self.gpg("").args(["--export", &key.primary])).stdout
    }

    /// skiff with this Sequoia home (and an empty HOME, so nothing else is found).
    fn skiff(&self) -> Command {
        let mut c = skiff();
        c.env("SEQUOIA_HOME", self.sequoia.path())
            .env("HOME", self.gnupg.path());
        c
    }

    /// `gpg --verify` of `sig` (it must name `signer`); returns the signed payload.
    fn gpg_verify(&self, sig: &Path, signer: &str) -> serde_json::Value {
        let out = ok(self.gpg("").arg("--verify").arg(sig));
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(text.contains("Good signature"), "{text}");
        assert!(text.contains(&format!("key {signer}")), "{text}");
        let out = ok(self.gpg("").arg("--decrypt").arg(sig));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// `sq verify` of `sig` against the key's certificate, when Debian's `sq` is installed.
fn sq_verify(keys: &Keys, key: &Key, sig: &Path) -> Option<serde_json::Value> {
    if !require_tool("sq") {
        return None;
    }
    let cert = keys.sequoia.path().join("cert.pgp");
    std::fs::write(&cert, keys.public(key)).unwrap();
    let out = ok(Command::new("sq")
        .args(["verify", "--signer-cert"])
        .arg(&cert)
        .arg(sig));
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(text.contains("1 good signature"), "{text}");
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn fatal(out: &std::process::Output) -> (i32, String) {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        stderr.lines().count(),
        1,
        "one line on stderr when failing: {stderr}"
    );
    (out.status.code().unwrap_or(-1), fatal_message(&stderr))
}

/// A registry whose signatures go to (and are read from) a file lookaside.
struct Lookaside {
    reg: Registry,
    registries_d: PathBuf,
    dir: PathBuf,
}

impl Lookaside {
    fn new(t: &Path) -> Option<Lookaside> {
        let reg = Registry::start()?;
        let dir = t.join("lookaside");
        let registries_d = t.join("registries.d");
        std::fs::create_dir_all(&registries_d).unwrap();
        std::fs::write(
            registries_d.join("test.yaml"),
            format!(
                "default-docker:\n  lookaside: file://{0}\n  lookaside-staging: file://{0}\n",
                dir.display()
            ),
        )
        .unwrap();
        Some(Lookaside {
            reg,
            registries_d,
            dir,
        })
    }

    fn signature(&self, repo: &str, digest: &str, n: usize) -> PathBuf {
        self.dir.join(format!(
            "{repo}@{}/signature-{n}",
            digest.replacen(':', "=", 1)
        ))
    }

    fn has(&self, repo_tag: &str) -> bool {
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

/// A policy accepting only `public_key`'s signatures, for `docker` and `dir` (whose
/// signatures must name `dir_identity`).
fn signed_by_policy(t: &Path, public_key: &Path, dir_identity: &str) -> PathBuf {
    let p = t.join("policy.json");
    let key = public_key.display();
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

#[test]
fn sq_fingerprint_signs_for_a_registry_and_a_dir_verified_by_skopeo_gpg_and_sq() {
    let Some(keys) = Keys::new() else { return };
    let Some(skopeo_cmd) = skopeo() else { return };
    drop(skopeo_cmd);
    let t = tempfile::tempdir().unwrap();
    let Some(look) = Lookaside::new(t.path()) else {
        return;
    };
    let key = keys.plain_key("sequoia signer <sq@example.com>");
    // Certified by another key too (as `sq pki link` certifies with the local trust root):
    // a certification that is not the key's own does not hide it.
    let root = keys.plain_key("trust root <root@example.com>");
    ok(keys.gpg("").args([
        "--default-key",
        &root.primary,
        "--quick-sign-key",
        &key.primary,
    ]));
    let listing = stdout(&ok(keys.gpg("").args(["--list-sigs", &key.primary])));
    assert!(listing.contains("trust root"), "{listing}");
    keys.install(&key, "");
    let public_key = t.path().join("key.gpg");
    std::fs::write(&public_key, keys.public(&key)).unwrap();
    let src = t.path().join("src");
    let built = fixtures::write_dir(&src, &ImageSpec::small(71));

    // A registry: the signature is staged in the lookaside.
    let out = ok(keys
        .skiff()
        .arg("--insecure-policy")
        .arg("--registries.d")
        .arg(&look.registries_d)
        .args(["copy", "--dest-tls-verify=false"])
        .args(["--sign-by-sq-fingerprint", &key.primary])
        .arg(format!("dir:{}", src.display()))
        .arg(format!("docker://{}/sq:v1", look.reg.host)));
    let progress = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        progress.contains("Signing manifest using simple signing\n"),
        "{progress}"
    );
    let sig = look.signature("sq", &built.manifest_digest, 1);
    let payload = keys.gpg_verify(&sig, &key.primary);
    assert_eq!(
        payload["critical"]["identity"]["docker-reference"],
        format!("{}/sq:v1", look.reg.host)
    );
    assert_eq!(
        payload["critical"]["image"]["docker-manifest-digest"],
        built.manifest_digest
    );
    assert_eq!(payload["critical"]["type"], "atomic container signature");
    if let Some(p) = sq_verify(&keys, &key, &sig) {
        assert_eq!(p, payload);
    }
    // What Sequoia writes: a signed message with no compression layer (gpg compresses).
    let packets = ok(keys.gpg("").arg("--list-packets").arg(&sig));
    let listing = stdout(&packets);
    assert!(listing.contains(":onepass_sig packet:"), "{listing}");
    assert!(!listing.contains("compressed packet"), "{listing}");

    // skopeo accepts it under a signedBy policy with the exported public key.
    let policy = signed_by_policy(t.path(), &public_key, "example.com/sq:v1");
    let verified = t.path().join("verified");
    ok(skopeo()
        .unwrap()
        .arg("--policy")
        .arg(&policy)
        .arg("--registries.d")
        .arg(&look.registries_d)
        .args(["copy", "-q", "--src-tls-verify=false"])
        .arg(format!("docker://{}/sq:v1", look.reg.host))
        .arg(format!("dir:{}", verified.display())));

    // skiff's own verification accepts it too (the key's certification by the trust root
    // does not make it unusable).
    ok(skiff()
        .arg("--policy")
        .arg(&policy)
        .arg("--registries.d")
        .arg(&look.registries_d)
        .args(["copy", "-q", "--src-tls-verify=false"])
        .arg(format!("docker://{}/sq:v1", look.reg.host))
        .arg(format!(
            "dir:{}",
            t.path().join("verified-by-skiff").display()
        )));

    // dir: with an identity; skopeo reads the signature back from the directory.
    let dest = t.path().join("signed-dir");
    ok(keys
        .skiff()
        .args(["--insecure-policy", "copy", "-q"])
        .args(["--sign-identity", "example.com/sq:v1"])
        .args([
            "--sign-by-sq-fingerprint",
            &key.primary.to_ascii_lowercase(),
        ])
        .arg(format!("dir:{}", src.display()))
        .arg(format!("dir:{}", dest.display())));
    keys.gpg_verify(&dest.join("signature-1"), &key.primary);
    ok(skopeo()
        .unwrap()
        .arg("--policy")
        .arg(&policy)
        .args(["copy", "-q"])
        .arg(format!("dir:{}", dest.display()))
        .arg(format!("dir:{}", t.path().join("verified-dir").display())));
}

#[test]
fn sq_signing_subkey_and_passphrase() {
    let Some(keys) = Keys::new() else { return };
    if skopeo().is_none() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let key = keys.subkey_signer("sequoia subkey <sub@example.com>");
    keys.install(&key, PASSPHRASE);
    let subkey = key.signing_subkey.clone().unwrap();
    let passphrase_file = t.path().join("passphrase");
    std::fs::write(&passphrase_file, format!("{PASSPHRASE}\n")).unwrap();
    let src = t.path().join("src");
    fixtures::write_dir(&src, &ImageSpec::small(72));

    // Named by the primary key or by the subkey: the subkey signs either way (the primary
    // key only certifies).
    let subkey_id = subkey[subkey.len() - 16..].to_string();
    for (n, handle) in [&key.primary, &subkey, &subkey_id].into_iter().enumerate() {
        let dest = t.path().join(format!("dest-{n}"));
        ok(keys
            .skiff()
            .args(["--insecure-policy", "copy", "-q"])
            .args(["--sign-identity", "example.com/sub:v1"])
            .args(["--sign-by-sq-fingerprint", handle])
            .arg("--sign-passphrase-file")
            .arg(&passphrase_file)
            .arg(format!("dir:{}", src.display()))
            .arg(format!("dir:{}", dest.display())));
        let sig = dest.join("signature-1");
        let payload = keys.gpg_verify(&sig, &subkey);
        assert_eq!(
            payload["critical"]["identity"]["docker-reference"],
            "example.com/sub:v1"
        );
        if let Some(p) = sq_verify(&keys, &key, &sig) {
            assert_eq!(p, payload);
        }
        // skopeo's standalone-verify, given the subkey (gpgme reports the key that signed).
        let out = ok(skopeo()
            .unwrap()
            .env("GNUPGHOME", keys.gnupg.path())
            .args(["standalone-verify"])
            .arg(dest.join("manifest.json"))
            .args(["example.com/sub:v1", &subkey])
            .arg(&sig));
        assert!(
            stdout(&out).starts_with("Signature verified"),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn sq_signing_failures_write_nothing() {
    let Some(keys) = Keys::new() else { return };
    if skopeo().is_none() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let Some(look) = Lookaside::new(t.path()) else {
        return;
    };
    let key = keys.subkey_signer("locked <locked@example.com>");
    keys.install(&key, PASSPHRASE);
    let subkey = key.signing_subkey.clone().unwrap();
    let src = t.path().join("src");
    fixtures::write_dir(&src, &ImageSpec::small(73));
    let write = |path: &str, text: &str| {
        let p = t.path().join(path);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let right = write("right", &format!("{PASSPHRASE}\n"));
    let wrong = write("wrong", "not it\n");
    let copy = |keys: &Keys, repo: &str, flags: &[&str]| {
        let out = run(keys
            .skiff()
            .arg("--insecure-policy")
            .arg("--registries.d")
            .arg(&look.registries_d)
            .args(["copy", "-q", "--dest-tls-verify=false"])
            .args(flags)
            .arg(format!("dir:{}", src.display()))
            .arg(format!("docker://{}/{repo}:v1", look.reg.host)));
        assert!(!look.has(&format!("{repo}:v1")), "{repo} was written");
        assert!(!look.dir.exists(), "a signature was staged for {repo}");
        fatal(&out)
    };
    let sq = "--sign-by-sq-fingerprint";
    let unknown = "0123456789ABCDEF0123456789ABCDEF01234567";
    let cases: Vec<(&str, Vec<&str>, String)> = vec![
        (
            "unknown",
            vec![sq, unknown],
            format!("creating signature: Failed to load {unknown} from certificate store"),
        ),
        (
            "not-hex",
            vec![sq, "alice@example.com"],
            "creating signature: \"alice@example.com\" is not a fingerprint or key ID".into(),
        ),
        (
            "wrong-pass",
            vec![sq, &key.primary, "--sign-passphrase-file", &wrong],
            format!("creating signature: unlocking key {subkey}: Bad passphrase"),
        ),
        (
            "no-pass",
            vec![sq, &subkey],
            format!(
                "creating signature: key {subkey} is locked: a passphrase is needed (--sign-passphrase-file)"
            ),
        ),
        (
            "with-gpg",
            vec![sq, &key.primary, "--sign-by", "X", "--sign-passphrase-file", &right],
            "Only one of --sign-by, --sign-by-sq-fingerprint and --sign-by-sigstore-private-key can be used with --sign-passphrase-file".into(),
        ),
        (
            "with-sigstore",
            vec![
                sq,
                &key.primary,
                "--sign-by-sigstore-private-key",
                "k",
                "--sign-passphrase-file",
                &right,
            ],
            "Only one of --sign-by, --sign-by-sq-fingerprint and --sign-by-sigstore-private-key can be used with --sign-passphrase-file".into(),
        ),
    ];
    for (repo, flags, message) in &cases {
        assert_eq!(copy(&keys, repo, flags), (1, message.clone()), "{repo}");
    }

    // A Sequoia home with no stores at all.
    let empty = Keys::new().unwrap();
    assert_eq!(
        copy(&empty, "no-store", &[sq, &key.primary]),
        (
            1,
            format!(
                "creating signature: Failed to load {} from certificate store",
                key.primary
            )
        )
    );
    // The certificate is known but the key store holds only garbage.
    let garbage = Keys::new().unwrap();
    garbage.install_certificate(&key, &keys.public(&key));
    std::fs::create_dir_all(garbage.softkeys()).unwrap();
    std::fs::write(garbage.softkeys().join("junk.pgp"), b"\x95\x01garbage").unwrap();
    std::fs::write(garbage.softkeys().join("junk.asc"), "not armor").unwrap();
    assert_eq!(
        copy(
            &garbage,
            "garbage",
            &[sq, &key.primary, "--sign-passphrase-file", &right]
        ),
        (
            1,
            "creating signature: No matching key in keystore".to_string()
        )
    );
}

#[test]
fn sq_signs_each_instance_with_all_in_sync_and_from_the_default_home() {
    let Some(keys) = Keys::new() else { return };
    if skopeo().is_none() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let Some(look) = Lookaside::new(t.path()) else {
        return;
    };
    let key = keys.plain_key("sequoia all <all@example.com>");
    keys.install(&key, "");
    let public_key = t.path().join("key.gpg");
    std::fs::write(&public_key, keys.public(&key)).unwrap();
    let sq = ["--sign-by-sq-fingerprint", key.primary.as_str()];
    let to_registry = |cmd: &mut Command| {
        cmd.arg("--insecure-policy")
            .arg("--registries.d")
            .arg(&look.registries_d);
    };

    // --all: the list and each instance.
    let list = t.path().join("list");
    let mut arm = ImageSpec::small(75);
    arm.architecture = "arm64".into();
    let index = fixtures::write_oci_index(&list, "v1", &[ImageSpec::small(74), arm], false);
    let mut c = keys.skiff();
    to_registry(&mut c);
    ok(c.args(["copy", "-q", "--all", "--dest-tls-verify=false"])
        .args(sq)
        .arg(format!("oci:{}:v1", list.display()))
        .arg(format!("docker://{}/sq-all:v1", look.reg.host)));
    let parsed: serde_json::Value = serde_json::from_slice(&index).unwrap();
    let mut digests = vec![fixtures::sha256(&index)];
    for m in parsed["manifests"].as_array().unwrap() {
        digests.push(m["digest"].as_str().unwrap().to_string());
    }
    for d in &digests {
        let payload = keys.gpg_verify(&look.signature("sq-all", d, 1), &key.primary);
        assert_eq!(payload["critical"]["image"]["docker-manifest-digest"], *d);
    }
    let policy = signed_by_policy(t.path(), &public_key, "unused.example.com/x:y");
    ok(skopeo()
        .unwrap()
        .arg("--policy")
        .arg(&policy)
        .arg("--registries.d")
        .arg(&look.registries_d)
        .args(["copy", "-q", "--all", "--src-tls-verify=false"])
        .arg(format!("docker://{}/sq-all:v1", look.reg.host))
        .arg(format!("dir:{}", t.path().join("all-out").display())));

    // sync, with the stores in the default home (no SEQUOIA_HOME: XDG data under HOME), and
    // with SEQUOIA_HOME naming HOME itself, which Sequoia treats as the default home too.
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join(".local/share");
    let lower = key.primary.to_ascii_lowercase();
    std::fs::create_dir_all(data.join("pgp.cert.d").join(&lower[..2])).unwrap();
    std::fs::write(
        data.join("pgp.cert.d").join(&lower[..2]).join(&lower[2..]),
        keys.public(&key),
    )
    .unwrap();
    let softkeys = data.join("sequoia/keystore/softkeys");
    std::fs::create_dir_all(&softkeys).unwrap();
    std::fs::copy(
        keys.softkeys().join(format!("{}.pgp", key.primary)),
        softkeys.join("mine.asc"),
    )
    .unwrap();
    let src = t.path().join("sync-src");
    for (n, sequoia_home) in [None, Some(home.path())].into_iter().enumerate() {
        let image = format!("img{n}");
        let built = fixtures::write_dir(&src.join(&image), &ImageSpec::small(76 + n as u64));
        let mut c = skiff();
        c.env("HOME", home.path())
            .env_remove("XDG_DATA_HOME")
            .env_remove("SEQUOIA_HOME");
        if let Some(h) = sequoia_home {
            c.env("SEQUOIA_HOME", h);
        }
        to_registry(&mut c);
        ok(c.args(["sync", "--src", "dir", "--dest", "docker"])
            .arg("--dest-tls-verify=false")
            .args(sq)
            .arg(src.join(&image))
            .arg(format!("{}/synced", look.reg.host)));
        let sig = look.signature(&format!("synced/{image}"), &built.manifest_digest, 1);
        keys.gpg_verify(&sig, &key.primary);
        ok(skopeo()
            .unwrap()
            .arg("--policy")
            .arg(&policy)
            .arg("--registries.d")
            .arg(&look.registries_d)
            .args(["copy", "-q", "--src-tls-verify=false"])
            .arg(format!("docker://{}/synced/{image}:latest", look.reg.host))
            .arg(format!(
                "dir:{}",
                t.path().join(format!("sync-out{n}")).display()
            )));
    }
}

#[test]
fn sq_expired_signing_subkeys_are_passed_over() {
    let Some(keys) = Keys::new() else { return };
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    fixtures::write_dir(&src, &ImageSpec::small(78));
    // Made in 2020: a primary key that only certifies, and a signing subkey that expired a
    // day later.
    let past = "--faked-system-time=20200101T000000!";
    let uid = "expired <expired@example.com>";
    ok(keys
        .gpg("")
        .arg(past)
        .args(["--quick-generate-key", uid, "ed25519", "cert", "never"]));
    let primary = keys.fingerprints(uid).remove(0);
    ok(keys
        .gpg("")
        .arg(past)
        .args(["--quick-add-key", &primary, "ed25519", "sign", "1d"]));
    let key = Key {
        primary: primary.clone(),
        signing_subkey: None,
    };
    keys.install(&key, "");
    let sign = |dest: &str| {
        run(keys
            .skiff()
            .args(["--insecure-policy", "copy", "-q"])
            .args(["--sign-identity", "example.com/expired:v1"])
            .args(["--sign-by-sq-fingerprint", &primary])
            .arg(format!("dir:{}", src.display()))
            .arg(format!("dir:{}", t.path().join(dest).display())))
    };
    assert_eq!(
        fatal(&sign("none")),
        (
            1,
            format!("creating signature: No matching signing key for {primary}")
        )
    );
    assert!(!t.path().join("none").exists());

    // A new signing subkey is the one that signs.
    ok(keys
        .gpg("")
        .args(["--quick-add-key", &primary, "ed25519", "sign", "never"]));
    keys.install(&key, "");
    let fingerprints = keys.fingerprints(uid);
    let fresh = fingerprints.last().unwrap();
    assert_eq!(fingerprints.len(), 3, "{fingerprints:?}");
    let out = sign("signed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    keys.gpg_verify(&t.path().join("signed/signature-1"), fresh);
}
