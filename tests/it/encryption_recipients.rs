//! `copy --encryption-key pkcs7:CERT` and `pgp:RECIPIENT`, and their `--decryption-key`
//! forms, against skopeo 1.9.3: certificates and keys made by openssl and gpg in the test;
//! what skiff encrypts skopeo decrypts to the original layers and diff IDs, what skopeo
//! encrypts skiff decrypts to the same bytes skopeo does, and wrong or bad keys fail with
//! skopeo's one line, nothing written.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::encryption::{NO_TLS, config_diff_ids, oci, raw_manifest, three_layers};
use crate::support::fixtures;
use crate::support::registry::Registry;
use crate::support::*;

const ENC_PKCS7: &str = "org.opencontainers.image.enc.keys.pkcs7";
const ENC_PGP: &str = "org.opencontainers.image.enc.keys.pgp";
const ENC_PUBOPTS: &str = "org.opencontainers.image.enc.pubopts";

/// A self-signed RSA certificate and its key, made by openssl: (key, certificate).
fn rsa_cert(dir: &Path, name: &str) -> Option<(PathBuf, PathBuf)> {
    if !require_tool("openssl") {
        return None;
    }
    let key = dir.join(format!("{name}.key.pem"));
    let cert = dir.join(format!("{name}.crt.pem"));
    ok(Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", &format!("/CN={name}")])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert));
    Some((key, cert))
}

/// Every layer is encrypted and carries `annotation` (and the public options) only.
fn assert_all_encrypted_for(manifest: &Value, built: &fixtures::Built, annotation: &str) {
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), built.blobs.len());
    for (layer, original) in layers.iter().zip(&built.blobs) {
        assert_eq!(
            layer["mediaType"],
            "application/vnd.oci.image.layer.v1.tar+gzip+encrypted"
        );
        assert_ne!(layer["digest"], fixtures::sha256(original).as_str());
        let names: Vec<&String> = layer["annotations"].as_object().unwrap().keys().collect();
        assert_eq!(names, vec![annotation, ENC_PUBOPTS], "{layer}");
    }
}

/// skopeo decrypts `name` with `keys` into a `dir:`: the original blobs and diff IDs.
fn skopeo_decrypts_to_original(
    name: &str,
    keys: &[&Path],
    built: &fixtures::Built,
    out: &Path,
) -> Option<()> {
    let mut s = skopeo()?;
    s.args(["--insecure-policy", "copy", "-q"]).args(NO_TLS);
    for k in keys {
        s.arg("--decryption-key").arg(k);
    }
    ok(s.arg(name).arg(format!("dir:{}", out.display())));
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), built.blobs.len());
    for (layer, original) in layers.iter().zip(&built.blobs) {
        assert_eq!(layer["digest"], fixtures::sha256(original).as_str());
        assert!(layer.get("annotations").is_none(), "{layer}");
        let got = std::fs::read(out.join(&fixtures::sha256(original)[7..])).unwrap();
        assert!(&got == original);
    }
    let original_config: Value = serde_json::from_slice(&built.config).unwrap();
    assert_eq!(
        config_diff_ids(out, &manifest),
        original_config["rootfs"]["diff_ids"]
    );
    Some(())
}

fn copy_args(cmd: &mut Command, flag: &str, values: &[String]) {
    cmd.args(["--insecure-policy", "copy", "-q"]).args(NO_TLS);
    for v in values {
        cmd.arg(flag).arg(v);
    }
}

fn paths(values: &[&Path]) -> Vec<String> {
    values.iter().map(|p| p.display().to_string()).collect()
}

/// skiff decrypts `from` with `keys` and skopeo with `their_keys`: the same `oci:` trees,
/// holding the original layers.
fn both_decrypt_alike(
    from: &str,
    keys: &[String],
    their_keys: &[String],
    built: &fixtures::Built,
    dir: &Path,
) {
    std::fs::create_dir_all(dir).unwrap();
    let ours = dir.join("ours");
    let theirs = dir.join("theirs");
    let mut cmd = skiff();
    copy_args(&mut cmd, "--decryption-key", keys);
    ok(cmd.arg(from).arg(oci(&ours)));
    let Some(mut s) = skopeo() else { return };
    copy_args(&mut s, "--decryption-key", their_keys);
    ok(s.arg(from).arg(oci(&theirs)));
    assert_same_tree(&ours, &theirs);
    let manifest = raw_manifest(&oci(&ours), &[]).unwrap();
    for (layer, original) in manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&built.blobs)
    {
        assert_eq!(layer["digest"], fixtures::sha256(original).as_str());
    }
}

/// skiff and skopeo both fail to decrypt `from` with `keys`: one line, skopeo's message,
/// nothing written.
fn both_refuse(from: &str, keys: &[String], dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let ours = dir.join("refused-ours");
    let mut cmd = skiff();
    copy_args(&mut cmd, "--decryption-key", keys);
    let (code, err) = fails(cmd.arg(from).arg(oci(&ours)));
    assert_eq!(code, 1, "{keys:?}");
    assert_eq!(err.lines().count(), 1, "{keys:?}: {err}");
    assert!(!ours.exists(), "nothing written with {keys:?}");
    let Some(mut s) = skopeo() else { return };
    copy_args(&mut s, "--decryption-key", keys);
    let (_, theirs) = fails(s.arg(from).arg(oci(&dir.join("refused-theirs"))));
    assert_eq!(fatal_message(&err), fatal_message(&theirs), "{keys:?}");
}

#[test]
fn pkcs7_recipients_interoperate_with_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let Some((key, cert)) = rsa_cert(t.path(), "alice") else {
        return;
    };
    let Some((other_key, other_cert)) = rsa_cert(t.path(), "bob") else {
        return;
    };
    let Some(reg) = Registry::start() else { return };
    let src = t.path().join("src");
    let built = fixtures::write_oci(&src, "v1", &three_layers(301));
    let recipient = format!("pkcs7:{}", cert.display());

    // skiff encrypts, to a layout and to a registry; skopeo decrypts with key + certificate.
    for (i, dest) in [oci(&t.path().join("enc")), reg.image("p7/img:v1")]
        .iter()
        .enumerate()
    {
        let mut cmd = skiff();
        copy_args(
            &mut cmd,
            "--encryption-key",
            std::slice::from_ref(&recipient),
        );
        ok(cmd.arg(oci(&src)).arg(dest));
        let Some(manifest) = raw_manifest(dest, &["--tls-verify=false"]) else {
            return;
        };
        assert_all_encrypted_for(&manifest, &built, ENC_PKCS7);
        let out = t.path().join(format!("dec{i}"));
        skopeo_decrypts_to_original(dest, &[&key, &cert], &built, &out);
    }

    // skopeo encrypts (to two certificates); skiff decrypts with either, as skopeo does.
    let theirs = reg.image("p7/theirs:v1");
    let Some(mut s) = skopeo() else { return };
    let recipients = [recipient.clone(), format!("pkcs7:{}", other_cert.display())];
    copy_args(&mut s, "--encryption-key", &recipients);
    ok(s.arg(oci(&src)).arg(&theirs));
    for (i, pair) in [[&key, &cert], [&other_key, &other_cert]]
        .iter()
        .enumerate()
    {
        let dir = t.path().join(format!("both{i}"));
        let keys = paths(&[pair[0], pair[1]]);
        both_decrypt_alike(&theirs, &keys, &keys, &built, &dir);
    }
}

#[test]
fn pkcs7_wrong_keys_and_bad_certificates_fail_like_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let Some((key, cert)) = rsa_cert(t.path(), "alice") else {
        return;
    };
    let Some((other_key, other_cert)) = rsa_cert(t.path(), "bob") else {
        return;
    };
    let src = t.path().join("src");
    fixtures::write_oci(&src, "v1", &three_layers(302));
    let enc = oci(&t.path().join("enc"));
    let mut cmd = skiff();
    copy_args(
        &mut cmd,
        "--encryption-key",
        &[format!("pkcs7:{}", cert.display())],
    );
    ok(cmd.arg(oci(&src)).arg(&enc));
    let garbage = t.path().join("garbage.pem");
    std::fs::write(&garbage, "not a key\n").unwrap();
    let cases: [&[&Path]; 5] = [
        // Another recipient's pair; the right key beside the wrong certificate.
        &[&other_key, &other_cert],
        &[&key, &other_cert],
        // A key without its certificate, a certificate without its key, garbage.
        &[&key],
        &[&cert],
        &[&garbage],
    ];
    for (i, keys) in cases.iter().enumerate() {
        both_refuse(&enc, &paths(keys), &t.path().join(format!("case{i}")));
    }

    // Files that are not certificates, as recipients.
    let missing = t.path().join("missing.pem");
    for bad in [&garbage, &key, &missing] {
        let recipient = format!("pkcs7:{}", bad.display());
        let ours = t.path().join("not-written");
        let mut cmd = skiff();
        copy_args(
            &mut cmd,
            "--encryption-key",
            std::slice::from_ref(&recipient),
        );
        let (code, err) = fails(cmd.arg(oci(&src)).arg(oci(&ours)));
        assert_eq!((code, err.lines().count()), (1, 1), "{err}");
        assert!(!ours.exists());
        let Some(mut s) = skopeo() else { return };
        copy_args(&mut s, "--encryption-key", &[recipient]);
        let (_, theirs) = fails(s.arg(oci(&src)).arg(oci(&t.path().join("theirs"))));
        assert_eq!(fatal_message(&err), fatal_message(&theirs));
    }
}

/// A private GnuPG home holding RSA keys (Go's openpgp, which ocicrypt uses, encrypts only
/// to RSA and ElGamal keys).
struct GpgHome {
    home: GnupgHome,
}

impl GpgHome {
    fn new() -> Option<GpgHome> {
        let home = gnupg_home()?;
        // A small S2K count: exported passphrase-protected keys then unlock in milliseconds
        // in a debug build (the default count is calibrated for ~100 ms of optimised code).
        std::fs::write(home.path().join("gpg-agent.conf"), "s2k-count 65536\n").unwrap();
        Some(GpgHome { home })
    }

    fn gpg(&self) -> Command {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", self.home.path())
            .args(["--batch", "--pinentry-mode", "loopback"]);
        c
    }

    /// Adds `name <email>` (an RSA key with an RSA encryption subkey), protected by
    /// `passphrase` when one is given.
    fn add(&self, name: &str, email: &str, passphrase: Option<&str>) {
        let params = self.home.path().join(format!("{name}.params"));
        let protection = match passphrase {
            Some(p) => format!("Passphrase: {p}"),
            None => "%no-protection".to_string(),
        };
        std::fs::write(
            &params,
            format!(
                "Key-Type: RSA\nKey-Length: 2048\nSubkey-Type: RSA\nSubkey-Length: 2048\n\
                 Name-Real: {name}\nName-Email: {email}\nExpire-Date: 0\n{protection}\n%commit\n"
            ),
        )
        .unwrap();
        ok(self.gpg().arg("--gen-key").arg(&params));
    }

    /// `gpg --export-secret-keys EMAIL` (binary, as ocicrypt reads key rings) into `to`.
    fn export_secret(&self, email: &str, passphrase: Option<&str>, armor: bool, to: &Path) {
        let mut cmd = self.gpg();
        if let Some(p) = passphrase {
            cmd.args(["--passphrase", p]);
        }
        if armor {
            cmd.arg("--armor");
        }
        let out = ok(cmd.args(["--export-secret-keys", email]));
        std::fs::write(to, out.stdout).unwrap();
    }

    fn export_public(&self, email: &str, to: &Path) {
        let out = ok(self.gpg().args(["--export", email]));
        std::fs::write(to, out.stdout).unwrap();
    }

    /// `cmd` with this home as the user's GnuPG home.
    fn with<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        cmd.env("GNUPGHOME", self.home.path())
    }
}

const BOB_PASS: &str = "b0b's secret";

/// Alice (no passphrase) and Bob (with one) in one GnuPG home; their secret key rings.
fn alice_and_bob(dir: &Path) -> Option<(GpgHome, PathBuf, PathBuf)> {
    let g = GpgHome::new()?;
    g.add("Alice", "alice@example.com", None);
    g.add("Bob", "bob@example.com", Some(BOB_PASS));
    let alice = dir.join("alice.gpg");
    let bob = dir.join("bob.gpg");
    g.export_secret("alice@example.com", None, false, &alice);
    g.export_secret("bob@example.com", Some(BOB_PASS), false, &bob);
    Some((g, alice, bob))
}

/// Bob's key ring is passphrase-protected, which skopeo 1.9.3 cannot take (its ocicrypt reads
/// `FILE:PASSPHRASE` as a file name; newer ones split it, as skiff does): what skiff decrypts
/// with Bob's key is compared with what skopeo decrypts with Alice's.
#[test]
fn pgp_recipients_interoperate_with_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let Some((g, alice, bob)) = alice_and_bob(t.path()) else {
        return;
    };
    let Some(reg) = Registry::start() else { return };
    let src = t.path().join("src");
    let built = fixtures::write_oci(&src, "v1", &three_layers(311));
    let pass_file = t.path().join("bob.pass");
    std::fs::write(&pass_file, BOB_PASS).unwrap();
    let alice_keys = [alice.display().to_string()];
    let bob_key_sets = [
        vec![format!("{}:{BOB_PASS}", bob.display())],
        vec![format!("{}:pass={BOB_PASS}", bob.display())],
        vec![format!("{}:file={}", bob.display(), pass_file.display())],
    ];

    // skiff encrypts to Alice (by address) and Bob (by name), to a layout and a registry;
    // skopeo decrypts with Alice's secret key ring, skiff with Bob's as skopeo with Alice's.
    let recipients = ["pgp:alice@example.com".to_string(), "pgp:Bob".to_string()];
    for (i, dest) in [oci(&t.path().join("enc")), reg.image("pgp/img:v1")]
        .iter()
        .enumerate()
    {
        let mut cmd = skiff();
        copy_args(g.with(&mut cmd), "--encryption-key", &recipients);
        ok(cmd.arg(oci(&src)).arg(dest));
        let Some(manifest) = raw_manifest(dest, &["--tls-verify=false"]) else {
            return;
        };
        assert_all_encrypted_for(&manifest, &built, ENC_PGP);
        let out = t.path().join(format!("alice{i}"));
        skopeo_decrypts_to_original(dest, &[&alice], &built, &out);
        let dir = t.path().join(format!("bob{i}"));
        both_decrypt_alike(dest, &bob_key_sets[0], &alice_keys, &built, &dir);
    }

    // skopeo encrypts; skiff decrypts as skopeo does, with each key and passphrase form.
    let theirs = reg.image("pgp/theirs:v1");
    let Some(mut s) = skopeo() else { return };
    copy_args(g.with(&mut s), "--encryption-key", &recipients);
    ok(s.arg(oci(&src)).arg(&theirs));
    let mut ours = vec![alice_keys.to_vec()];
    ours.extend(bob_key_sets.iter().cloned());
    for (i, keys) in ours.iter().enumerate() {
        let dir = t.path().join(format!("both{i}"));
        both_decrypt_alike(&theirs, keys, &alice_keys, &built, &dir);
    }
}

#[test]
fn pgp_wrong_keys_and_unknown_recipients_fail_like_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let Some((g, alice, bob)) = alice_and_bob(t.path()) else {
        return;
    };
    let src = t.path().join("src");
    fixtures::write_oci(&src, "v1", &three_layers(312));
    let for_alice = oci(&t.path().join("alice"));
    let for_bob = oci(&t.path().join("bob"));
    for (dest, who) in [(&for_alice, "pgp:alice@example.com"), (&for_bob, "pgp:Bob")] {
        let mut cmd = skiff();
        copy_args(g.with(&mut cmd), "--encryption-key", &[who.to_string()]);
        ok(cmd.arg(oci(&src)).arg(dest));
    }
    let armored = t.path().join("alice.asc");
    g.export_secret("alice@example.com", None, true, &armored);
    let public = t.path().join("alice.pub.gpg");
    g.export_public("alice@example.com", &public);
    let garbage = t.path().join("garbage.gpg");
    std::fs::write(&garbage, "not a key\n").unwrap();
    let cases: [(&str, Vec<String>); 5] = [
        // Someone else's key; Bob's protected key without its passphrase.
        (&for_bob, vec![alice.display().to_string()]),
        (&for_bob, vec![bob.display().to_string()]),
        // Alice's key armored (not a key ring ocicrypt reads), her public keys, garbage.
        (&for_alice, vec![armored.display().to_string()]),
        (&for_alice, vec![public.display().to_string()]),
        (&for_alice, vec![garbage.display().to_string()]),
    ];
    for (i, (from, keys)) in cases.iter().enumerate() {
        both_refuse(from, keys, &t.path().join(format!("case{i}")));
    }
    // Someone else's key with its passphrase, Bob's with a wrong one: skopeo 1.9.3 cannot
    // take passphrases; newer skopeo's message, nothing written.
    for (from, key) in [
        (&for_alice, format!("{}:{BOB_PASS}", bob.display())),
        (&for_bob, format!("{}:wrong", bob.display())),
    ] {
        let dest = t.path().join("not-written");
        let mut cmd = skiff();
        copy_args(&mut cmd, "--decryption-key", std::slice::from_ref(&key));
        let (code, err) = fails(cmd.arg(from).arg(oci(&dest)));
        assert_eq!((code, err.lines().count()), (1, 1), "{err}");
        assert!(
            fatal_message(&err).ends_with(
                "no suitable key unwrapper found or none of the private keys could be used for decryption"
            ),
            "{err}"
        );
        assert!(!dest.exists());
    }
    // The right key still opens it.
    let mut cmd = skiff();
    copy_args(&mut cmd, "--decryption-key", &[alice.display().to_string()]);
    ok(cmd.arg(&for_alice).arg(oci(&t.path().join("fine"))));

    // A recipient no key in the ring names: skopeo's words, nothing written.
    let recipient = ["pgp:carol@example.com".to_string()];
    let ours = t.path().join("carol");
    let mut cmd = skiff();
    copy_args(g.with(&mut cmd), "--encryption-key", &recipient);
    let (code, err) = fails(cmd.arg(oci(&src)).arg(oci(&ours)));
    assert_eq!((code, err.lines().count()), (1, 1), "{err}");
    assert!(!ours.exists());
    let Some(mut s) = skopeo() else { return };
    copy_args(g.with(&mut s), "--encryption-key", &recipient);
    let (_, theirs) = fails(s.arg(oci(&src)).arg(oci(&t.path().join("carol-theirs"))));
    assert_eq!(fatal_message(&err), fatal_message(&theirs));
}

/// Passphrase-protected PEM keys, both forms openssl writes (PKCS#8 PBES2 and the legacy
/// `Proc-Type: 4,ENCRYPTED` block): skiff opens with the protected key and its passphrase
/// what skopeo opens with the same key unprotected (skopeo 1.9.3 takes no passphrase: it
/// reads `FILE:PASS` as a file name), for jwe and pkcs7; a wrong or missing passphrase is one
/// line and writes nothing.
#[test]
fn passphrase_protected_keys_open_what_skopeo_opens_with_the_plain_key() {
    let t = tempfile::tempdir().unwrap();
    let Some((key, cert)) = rsa_cert(t.path(), "carol") else {
        return;
    };
    let public = t.path().join("carol.pub.pem");
    ok(Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(&public));
    let pk8 = t.path().join("carol.p8.pem");
    ok(Command::new("openssl")
        .args([
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "pass:s3cret",
            "-in",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&pk8));
    let legacy = t.path().join("carol.legacy.pem");
    ok(Command::new("openssl")
        .args([
            "rsa",
            "-aes128",
            "-traditional",
            "-passout",
            "pass:s3cret",
            "-in",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&legacy));
    assert!(
        std::fs::read_to_string(&pk8)
            .unwrap()
            .contains("BEGIN ENCRYPTED PRIVATE KEY")
    );
    assert!(
        std::fs::read_to_string(&legacy)
            .unwrap()
            .contains("Proc-Type: 4,ENCRYPTED")
    );
    let pass_file = t.path().join("pass");
    std::fs::write(&pass_file, "s3cret").unwrap();

    let src = t.path().join("src");
    let built = fixtures::write_oci(&src, "v1", &three_layers(305));
    let plain = paths(&[&key, &cert]);
    for (i, recipient) in [
        format!("jwe:{}", public.display()),
        format!("pkcs7:{}", cert.display()),
    ]
    .iter()
    .enumerate()
    {
        let enc = oci(&t.path().join(format!("enc{i}")));
        let Some(mut s) = skopeo() else { return };
        copy_args(&mut s, "--encryption-key", std::slice::from_ref(recipient));
        ok(s.arg(oci(&src)).arg(&enc));
        for (j, protected) in [&pk8, &legacy].iter().enumerate() {
            let p = protected.display();
            for (k, form) in [
                format!("{p}:s3cret"),
                format!("{p}:file={}", pass_file.display()),
            ]
            .iter()
            .enumerate()
            {
                let ours = vec![form.clone(), cert.display().to_string()];
                let dir = t.path().join(format!("dec{i}{j}{k}"));
                both_decrypt_alike(&enc, &ours, &plain, &built, &dir);
            }
            for (k, keys) in [
                vec![format!("{p}:wrong"), cert.display().to_string()],
                vec![p.to_string(), cert.display().to_string()],
            ]
            .iter()
            .enumerate()
            {
                let out = t.path().join(format!("refused{i}{j}{k}"));
                let mut cmd = skiff();
                copy_args(&mut cmd, "--decryption-key", keys);
                let (code, err) = fails(cmd.arg(&enc).arg(oci(&out)));
                assert_eq!(code, 1, "{keys:?}");
                assert_eq!(err.lines().count(), 1, "{keys:?}: {err}");
                assert!(!out.exists(), "nothing written with {keys:?}");
                let expected = if k == 0 {
                    "password incorrect"
                } else {
                    "Missing password for encrypted private key"
                };
                let expected = if k == 0 && j == 0 {
                    "incorrect password"
                } else {
                    expected
                };
                assert!(err.contains(expected), "{keys:?}: {err}");
            }
        }
    }
}
