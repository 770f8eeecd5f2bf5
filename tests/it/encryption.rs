//! `copy --encryption-key jwe:… / --encrypt-layer / --decryption-key` against skopeo 1.9.3,
//! with RSA keys made by openssl: what skiff encrypts (to an `oci:` layout and to a real
//! registry) skopeo decrypts back to the original layers, and the reverse; wrong keys, bad
//! key files and layer indices fail with one line and leave nothing at the destination.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::ocicrypt::rsa_keys;
use crate::support::fixtures::{self, ImageSpec};
use crate::support::registry::Registry;
use crate::support::*;

pub(crate) const NO_TLS: [&str; 2] = ["--src-tls-verify=false", "--dest-tls-verify=false"];
const ENC_JWE: &str = "org.opencontainers.image.enc.keys.jwe";
const ENC_PUBOPTS: &str = "org.opencontainers.image.enc.pubopts";

/// Three layers, so that index choices can be told apart.
pub(crate) fn three_layers(seed: u64) -> ImageSpec {
    let mut spec = ImageSpec::small(seed);
    spec.layers.push(fixtures::layer_tar(&[(
        "big.bin",
        &fixtures::noise(300_000, seed + 1),
    )]));
    spec
}

struct Keys {
    private: PathBuf,
    public: PathBuf,
    other_private: PathBuf,
}

fn keys(dir: &Path) -> Option<Keys> {
    let (private, public) = rsa_keys(dir, "k")?;
    let (other_private, _) = rsa_keys(dir, "other")?;
    Some(Keys {
        private,
        public,
        other_private,
    })
}

fn jwe(public: &Path) -> String {
    format!("jwe:{}", public.display())
}

pub(crate) fn oci(dir: &Path) -> String {
    format!("oci:{}:v1", dir.display())
}

/// The manifest `skopeo inspect --raw` reads (the oracle's view of the written image).
pub(crate) fn raw_manifest(name: &str, extra: &[&str]) -> Option<Value> {
    let mut s = skopeo()?;
    let out = ok(s.args(["inspect", "--raw"]).args(extra).arg(name));
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

pub(crate) fn config_diff_ids(dir_image: &Path, manifest: &Value) -> Value {
    let digest = manifest["config"]["digest"].as_str().unwrap();
    let config: Value =
        serde_json::from_slice(&std::fs::read(dir_image.join(&digest[7..])).unwrap()).unwrap();
    config["rootfs"]["diff_ids"].clone()
}

/// skopeo decrypts `name` into a `dir:`; its layers must be the original compressed blobs,
/// and the config's diff IDs the original ones.
fn skopeo_decrypts_to_original(name: &str, key: &Path, built: &fixtures::Built, out: &Path) {
    let Some(mut s) = skopeo() else { return };
    ok(
        s.args(["--insecure-policy", "copy", "-q", "--decryption-key"])
            .arg(key)
            .args(NO_TLS)
            .arg(name)
            .arg(format!("dir:{}", out.display())),
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), built.blobs.len());
    for (layer, original) in layers.iter().zip(&built.blobs) {
        assert_eq!(
            layer["digest"].as_str().unwrap(),
            fixtures::sha256(original)
        );
        assert!(!layer["mediaType"].as_str().unwrap().ends_with("+encrypted"));
        assert!(layer.get("annotations").is_none(), "{layer}");
        let got = std::fs::read(out.join(&fixtures::sha256(original)[7..])).unwrap();
        assert!(&got == original);
    }
    let original_config: Value = serde_json::from_slice(&built.config).unwrap();
    assert_eq!(
        config_diff_ids(out, &manifest),
        original_config["rootfs"]["diff_ids"]
    );
}

/// Every layer of `manifest` named in `encrypted` is an ocicrypt layer; the others are the
/// original blobs.
pub(crate) fn assert_encrypted_layers(
    manifest: &Value,
    built: &fixtures::Built,
    encrypted: &[usize],
) {
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), built.blobs.len());
    for (i, (layer, original)) in layers.iter().zip(&built.blobs).enumerate() {
        let mime = layer["mediaType"].as_str().unwrap();
        if encrypted.contains(&i) {
            assert_eq!(
                mime, "application/vnd.oci.image.layer.v1.tar+gzip+encrypted",
                "layer {i}"
            );
            assert_ne!(
                layer["digest"].as_str().unwrap(),
                fixtures::sha256(original)
            );
            // AES-CTR keeps the length.
            assert_eq!(layer["size"].as_u64().unwrap(), original.len() as u64);
            assert!(layer["annotations"][ENC_JWE].is_string(), "{layer}");
            assert!(layer["annotations"][ENC_PUBOPTS].is_string(), "{layer}");
        } else {
            assert_eq!(
                mime, "application/vnd.oci.image.layer.v1.tar+gzip",
                "layer {i}"
            );
            assert_eq!(
                layer["digest"].as_str().unwrap(),
                fixtures::sha256(original)
            );
        }
    }
}

#[test]
fn skiff_encrypts_to_oci_and_a_registry_and_skopeo_decrypts() {
    let t = tempfile::tempdir().unwrap();
    let Some(k) = keys(t.path()) else { return };
    let Some(reg) = Registry::start() else { return };
    let src = t.path().join("src");
    let built = fixtures::write_oci(&src, "v1", &three_layers(91));

    // oci: → oci:, every layer; the config (diff IDs) is the original one.
    let enc = t.path().join("enc");
    ok(skiff()
        .args(["--insecure-policy", "copy", "-q", "--encryption-key"])
        .arg(jwe(&k.public))
        .arg(oci(&src))
        .arg(oci(&enc)));
    let Some(manifest) = raw_manifest(&oci(&enc), &[]) else {
        return;
    };
    assert_encrypted_layers(&manifest, &built, &[0, 1, 2]);
    assert_eq!(
        manifest["config"]["digest"].as_str().unwrap(),
        fixtures::sha256(&built.config)
    );
    skopeo_decrypts_to_original(&oci(&enc), &k.private, &built, &t.path().join("dec1"));

    // A Docker schema 2 image to a registry: written as OCI (the only type that can say
    // "encrypted"), and still decrypts to the original layers and diff IDs.
    let docker_src = t.path().join("docker-src");
    let mut spec = three_layers(92);
    spec.docker = true;
    let docker_built = fixtures::write_oci(&docker_src, "v1", &spec);
    let dest = reg.image("enc/img:v1");
    ok(skiff()
        .args(["--insecure-policy", "copy", "-q", "--encryption-key"])
        .arg(jwe(&k.public))
        .args(NO_TLS)
        .arg(oci(&docker_src))
        .arg(&dest));
    let manifest = raw_manifest(&dest, &["--tls-verify=false"]).unwrap();
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_encrypted_layers(&manifest, &docker_built, &[0, 1, 2]);
    skopeo_decrypts_to_original(&dest, &k.private, &docker_built, &t.path().join("dec2"));

    // skiff reads its own encrypted image back from the registry, too.
    let back = t.path().join("back");
    ok(skiff()
        .args(["--insecure-policy", "copy", "-q", "--decryption-key"])
        .arg(&k.private)
        .args(NO_TLS)
        .arg(&dest)
        .arg(format!("dir:{}", back.display())));
    for original in &docker_built.blobs {
        let got = std::fs::read(back.join(&fixtures::sha256(original)[7..])).unwrap();
        assert!(&got == original);
    }
}

#[test]
fn skopeo_encrypts_and_skiff_decrypts_to_skopeos_bytes() {
    let t = tempfile::tempdir().unwrap();
    let Some(k) = keys(t.path()) else { return };
    let Some(reg) = Registry::start() else { return };
    let src = t.path().join("src");
    let built = fixtures::write_oci(&src, "v1", &three_layers(93));
    let enc = t.path().join("enc");
    let dest = reg.image("skopeo/enc:v1");
    for target in [oci(&enc), dest.clone()] {
        let Some(mut s) = skopeo() else { return };
        ok(
            s.args(["--insecure-policy", "copy", "-q", "--encryption-key"])
                .arg(jwe(&k.public))
                .args(NO_TLS)
                .arg(oci(&src))
                .arg(&target),
        );
    }
    for (i, from) in [oci(&enc), dest].iter().enumerate() {
        let ours = t.path().join(format!("ours{i}"));
        let theirs = t.path().join(format!("theirs{i}"));
        ok(skiff()
            .args(["--insecure-policy", "copy", "-q", "--decryption-key"])
            .arg(&k.private)
            .args(NO_TLS)
            .arg(from)
            .arg(oci(&ours)));
        let Some(mut s) = skopeo() else { return };
        ok(
            s.args(["--insecure-policy", "copy", "-q", "--decryption-key"])
                .arg(&k.private)
                .args(NO_TLS)
                .arg(from)
                .arg(oci(&theirs)),
        );
        // The same decrypted manifest, byte for byte, and the original layers.
        assert_same_tree(&ours, &theirs);
        let manifest = raw_manifest(&oci(&ours), &[]).unwrap();
        assert_encrypted_layers(&manifest, &built, &[]);
    }

    // Without a key the encrypted image is copied as it is.
    let plain_copy = t.path().join("as-is");
    ok(skiff()
        .args(["--insecure-policy", "copy", "-q"])
        .arg(oci(&enc))
        .arg(oci(&plain_copy)));
    assert_eq!(
        raw_manifest(&oci(&plain_copy), &[]).unwrap(),
        raw_manifest(&oci(&enc), &[]).unwrap()
    );
}

#[test]
fn encrypt_layer_picks_layers_as_skopeo_does() {
    let t = tempfile::tempdir().unwrap();
    let Some(k) = keys(t.path()) else { return };
    let src = t.path().join("src");
    let built = fixtures::write_oci(&src, "v1", &three_layers(94));
    for (flags, expected) in [
        (vec!["0"], vec![0]),
        (vec!["-1"], vec![2]),
        (vec!["0", "-1"], vec![0, 2]),
        (vec!["1,-3"], vec![0, 1]),
    ] {
        let ours = t.path().join(format!("ours{}", flags.join("_")));
        let theirs = t.path().join(format!("theirs{}", flags.join("_")));
        let layer_flags: Vec<String> = flags
            .iter()
            .map(|f| format!("--encrypt-layer={f}"))
            .collect();
        ok(skiff()
            .args(["--insecure-policy", "copy", "-q", "--encryption-key"])
            .arg(jwe(&k.public))
            .args(&layer_flags)
            .arg(oci(&src))
            .arg(oci(&ours)));
        let Some(mut s) = skopeo() else { return };
        ok(
            s.args(["--insecure-policy", "copy", "-q", "--encryption-key"])
                .arg(jwe(&k.public))
                .args(&layer_flags)
                .arg(oci(&src))
                .arg(oci(&theirs)),
        );
        let m = raw_manifest(&oci(&ours), &[]).unwrap();
        assert_encrypted_layers(&m, &built, &expected);
        assert_encrypted_layers(
            &raw_manifest(&oci(&theirs), &[]).unwrap(),
            &built,
            &expected,
        );
        skopeo_decrypts_to_original(
            &oci(&ours),
            &k.private,
            &built,
            &t.path().join(format!("dec{}", flags.join("_"))),
        );
    }
}

/// skopeo 1.9.3 wraps an index that is out of range round (and silently encrypts nothing for
/// some); skiff refuses it with newer skopeo's message, before anything is written.
#[test]
fn encrypt_layer_out_of_range_is_refused_before_writing() {
    let t = tempfile::tempdir().unwrap();
    let Some(k) = keys(t.path()) else { return };
    let src = t.path().join("src");
    fixtures::write_oci(&src, "v1", &three_layers(95));
    for index in ["3", "-4"] {
        let dest = t.path().join(format!("dest{index}"));
        let (code, err) = fails(
            skiff()
                .args(["--insecure-policy", "copy", "-q", "--encryption-key"])
                .arg(jwe(&k.public))
                .arg(format!("--encrypt-layer={index}"))
                .arg(oci(&src))
                .arg(oci(&dest)),
        );
        assert_eq!(code, 1);
        assert_eq!(
            fatal_message(&err),
            format!(
                "when choosing layers to encrypt, layer index {index} out of range (3 layers exist)"
            )
        );
        assert!(!dest.exists(), "nothing written for {index}");
    }
}

#[test]
fn wrong_or_missing_keys_fail_like_skopeo_and_write_nothing() {
    let t = tempfile::tempdir().unwrap();
    let Some(k) = keys(t.path()) else { return };
    let Some(reg) = Registry::start() else { return };
    let src = t.path().join("src");
    fixtures::write_oci(&src, "v1", &three_layers(96));
    let enc = t.path().join("enc");
    let Some(mut s) = skopeo() else { return };
    ok(
        s.args(["--insecure-policy", "copy", "-q", "--encryption-key"])
            .arg(jwe(&k.public))
            .arg(oci(&src))
            .arg(oci(&enc)),
    );
    let garbage = t.path().join("garbage.pem");
    std::fs::write(&garbage, "not a key\n").unwrap();
    // A key that is not the recipient's, a file that holds no private key, a public key.
    for key in [&k.other_private, &garbage, &k.public] {
        let ours_dest = t.path().join("ours");
        let theirs_dest = t.path().join("theirs");
        let (code, ours) = fails(
            skiff()
                .args(["--insecure-policy", "copy", "-q", "--decryption-key"])
                .arg(key)
                .arg(oci(&enc))
                .arg(oci(&ours_dest)),
        );
        assert_eq!(code, 1);
        assert_eq!(ours.lines().count(), 1, "{ours}");
        let Some(mut s) = skopeo() else { return };
        let (_, theirs) = fails(
            s.args(["--insecure-policy", "copy", "-q", "--decryption-key"])
                .arg(key)
                .arg(oci(&enc))
                .arg(oci(&theirs_dest)),
        );
        assert_eq!(fatal_message(&ours), fatal_message(&theirs));
        assert!(
            !ours_dest.exists(),
            "nothing written with {}",
            key.display()
        );
    }
    // Nor at a registry: not one blob is sent.
    let (_, err) = fails(
        skiff()
            .args(["--insecure-policy", "copy", "-q", "--decryption-key"])
            .arg(&k.other_private)
            .args(NO_TLS)
            .arg(oci(&enc))
            .arg(reg.image("wrong/key:v1")),
    );
    assert!(
        fatal_message(&err).starts_with("decrypting layer sha256:"),
        "{err}"
    );
    assert!(
        !reg.storage()
            .join("docker/registry/v2/repositories/wrong")
            .exists()
    );
}

#[test]
fn bad_key_files_and_formats_are_one_line_errors() {
    let t = tempfile::tempdir().unwrap();
    let Some(k) = keys(t.path()) else { return };
    let src = t.path().join("src");
    fixtures::write_oci(&src, "v1", &three_layers(97));
    let garbage = t.path().join("garbage.pem");
    std::fs::write(&garbage, "not a key\n").unwrap();
    let missing = t.path().join("missing.pem");
    let cases: Vec<Vec<String>> = vec![
        vec!["--encryption-key".into(), jwe(&missing)],
        vec!["--encryption-key".into(), jwe(&garbage)],
        // A private key is not a recipient.
        vec!["--encryption-key".into(), jwe(&k.private)],
        vec!["--encryption-key".into(), "nope:x".into()],
        vec!["--encryption-key".into(), "no-protocol".into()],
        vec!["--decryption-key".into(), missing.display().to_string()],
        vec![
            "--encryption-key".into(),
            jwe(&k.public),
            "--decryption-key".into(),
            k.private.display().to_string(),
        ],
        vec!["--encrypt-layer".into(), "0".into()],
    ];
    for (i, flags) in cases.iter().enumerate() {
        let ours_dest = t.path().join(format!("ours{i}"));
        let (code, ours) = fails(
            skiff()
                .args(["--insecure-policy", "copy", "-q"])
                .args(flags)
                .arg(oci(&src))
                .arg(oci(&ours_dest)),
        );
        assert_eq!(code, 1, "{flags:?}");
        assert_eq!(ours.lines().count(), 1, "{flags:?}: {ours}");
        assert!(!ours_dest.exists(), "{flags:?}");
        let Some(mut s) = skopeo() else { return };
        let (_, theirs) = fails(
            s.args(["--insecure-policy", "copy", "-q"])
                .args(flags)
                .arg(oci(&src))
                .arg(oci(&t.path().join(format!("theirs{i}")))),
        );
        assert_eq!(fatal_message(&ours), fatal_message(&theirs), "{flags:?}");
    }

    // Encryption needs a manifest type that can say so: newer skopeo's words (1.9.3 writes
    // an image it cannot read back).
    let dest = t.path().join("v2s2");
    let (_, err) = fails(
        skiff()
            .args(["--insecure-policy", "copy", "-q", "--format", "v2s2"])
            .arg("--encryption-key")
            .arg(jwe(&k.public))
            .arg(oci(&src))
            .arg(format!("dir:{}", dest.display())),
    );
    assert_eq!(
        fatal_message(&err),
        "encryption required together with format application/vnd.docker.distribution.manifest.v2+json, which does not support encryption"
    );
    assert!(!dest.exists());

    // --preserve-digests forbids the change encryption makes: skopeo's message, nothing written.
    let dest = t.path().join("preserve");
    let (_, ours) = fails(
        skiff()
            .args(["--insecure-policy", "copy", "-q", "--preserve-digests"])
            .arg("--encryption-key")
            .arg(jwe(&k.public))
            .arg(oci(&src))
            .arg(oci(&dest)),
    );
    assert!(!dest.exists());
    let Some(mut s) = skopeo() else { return };
    let (_, theirs) = fails(
        s.args(["--insecure-policy", "copy", "-q", "--preserve-digests"])
            .arg("--encryption-key")
            .arg(jwe(&k.public))
            .arg(oci(&src))
            .arg(oci(&t.path().join("preserve-skopeo"))),
    );
    assert_eq!(fatal_message(&ours), fatal_message(&theirs));
}

/// SIGINT while a layer is being encrypted: nothing is left at the destination.
#[test]
fn interrupted_encryption_leaves_nothing_behind() {
    use crate::support::held::{HeldSource, send, wait_bounded};
    use std::os::unix::process::ExitStatusExt;
    let t = tempfile::tempdir().unwrap();
    let Some(k) = keys(t.path()) else { return };
    let held = HeldSource::of(&three_layers(98));
    let dest = t.path().join("dest");
    let mut cmd = skiff();
    // SAFETY: signal(2) only, between fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = cmd
        .args(["--insecure-policy", "copy", "-q", "--encryption-key"])
        .arg(jwe(&k.public))
        .arg(held.name())
        .arg(oci(&dest))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pipe = held.wait_for_reader(&mut child);
    send(&child, libc::SIGINT);
    let status = wait_bounded(&mut child);
    drop(pipe);
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    assert!(!dest.exists(), "nothing left at {}", dest.display());
}

/// A P-256 key pair made by openssl (PKCS#8 private key, as skopeo reads it).
fn ec_keys(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    if !require_tool("openssl") {
        return None;
    }
    let private = dir.join("ec.pem");
    let public = dir.join("ec.pub.pem");
    ok(std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
        ])
        .arg(&private));
    ok(std::process::Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&private)
        .arg("-out")
        .arg(&public));
    Some((private, public))
}

/// EC recipients (ECDH-ES+A256KW, as ocicrypt wraps for them), alone and beside an RSA one:
/// skopeo opens what skiff wraps, skiff opens what skopeo wraps, and one key does not open
/// what another was given.
#[test]
fn p256_keys_interoperate_with_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let Some(k) = keys(t.path()) else { return };
    let Some((ec_private, ec_public)) = ec_keys(t.path()) else {
        return;
    };
    let src = t.path().join("src");
    let built = fixtures::write_oci(&src, "v1", &three_layers(99));
    let recipient_sets = [vec![jwe(&ec_public)], vec![jwe(&ec_public), jwe(&k.public)]];
    for (i, recipients) in recipient_sets.iter().enumerate() {
        let enc = t.path().join(format!("enc{i}"));
        let mut cmd = skiff();
        cmd.args(["--insecure-policy", "copy", "-q"]);
        for r in recipients {
            cmd.args(["--encryption-key", r]);
        }
        ok(cmd.arg(oci(&src)).arg(oci(&enc)));
        let Some(manifest) = raw_manifest(&oci(&enc), &[]) else {
            return;
        };
        assert_encrypted_layers(&manifest, &built, &[0, 1, 2]);
        skopeo_decrypts_to_original(
            &oci(&enc),
            &ec_private,
            &built,
            &t.path().join(format!("dec{i}")),
        );
    }
    let theirs = t.path().join("theirs");
    let Some(mut s) = skopeo() else { return };
    ok(
        s.args(["--insecure-policy", "copy", "-q", "--encryption-key"])
            .arg(jwe(&ec_public))
            .arg(oci(&src))
            .arg(oci(&theirs)),
    );
    let ours = t.path().join("ours");
    ok(skiff()
        .args(["--insecure-policy", "copy", "-q", "--decryption-key"])
        .arg(&ec_private)
        .arg(oci(&theirs))
        .arg(oci(&ours)));
    assert_encrypted_layers(&raw_manifest(&oci(&ours), &[]).unwrap(), &built, &[]);
    let (_, err) = fails(
        skiff()
            .args(["--insecure-policy", "copy", "-q", "--decryption-key"])
            .arg(&k.private)
            .arg(oci(&theirs))
            .arg(oci(&t.path().join("wrong"))),
    );
    assert!(
        fatal_message(&err).ends_with(
            "no suitable key unwrapper found or none of the private keys could be used for decryption"
        ),
        "{err}"
    );
}

/// Layers recompressed on their way are encrypted after compression (the key records the
/// digest of the new bytes, computed as they stream): skopeo decrypts them, and they hold the
/// original tars. zstd:chunked becomes plain zstd (newer skopeo's rule and words).
#[test]
fn recompressed_layers_are_encrypted_and_decrypt_with_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let Some(k) = keys(t.path()) else { return };
    if !require_tool("zstd") {
        return;
    }
    let src = t.path().join("src");
    let spec = three_layers(100);
    fixtures::write_oci(&src, "v1", &spec);
    let enc = t.path().join("enc");
    let out = ok(skiff()
        .args(["--insecure-policy", "copy", "-q", "--encryption-key"])
        .arg(jwe(&k.public))
        .args(["--dest-compress-format", "zstd:chunked"])
        .arg(oci(&src))
        .arg(oci(&enc)));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("Compression using zstd:chunked is not beneficial for encrypted layers"),
        "{out:?}"
    );
    let Some(manifest) = raw_manifest(&oci(&enc), &[]) else {
        return;
    };
    for layer in manifest["layers"].as_array().unwrap() {
        assert_eq!(
            layer["mediaType"],
            "application/vnd.oci.image.layer.v1.tar+zstd+encrypted"
        );
        let annotations = layer["annotations"].as_object().unwrap();
        assert!(
            annotations
                .keys()
                .all(|k| k.starts_with("org.opencontainers.image.enc.")),
            "{annotations:?}"
        );
    }
    let dec = t.path().join("dec");
    let Some(mut s) = skopeo() else { return };
    ok(
        s.args(["--insecure-policy", "copy", "-q", "--decryption-key"])
            .arg(&k.private)
            .arg(oci(&enc))
            .arg(format!("dir:{}", dec.display())),
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dec.join("manifest.json")).unwrap()).unwrap();
    for (layer, tar) in manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&spec.layers)
    {
        let blob = dec.join(&layer["digest"].as_str().unwrap()[7..]);
        let raw = ok(std::process::Command::new("zstd").arg("-dc").arg(&blob)).stdout;
        assert!(&raw == tar);
    }
    let (_, err) = fails(
        skiff()
            .args(["--insecure-policy", "copy", "-q", "--encryption-key"])
            .arg(jwe(&k.public))
            .args(["--dest-compress-format", "zstd:chunked"])
            .arg("--dest-force-compress-format")
            .arg(oci(&src))
            .arg(oci(&t.path().join("forced"))),
    );
    assert_eq!(
        fatal_message(&err),
        "explicitly requested to combine zstd:chunked with encryption, which is not beneficial; use plain zstd instead"
    );
}
