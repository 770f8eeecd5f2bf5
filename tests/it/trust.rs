//! Signature verification (`signedBy`, simple signing) against skopeo: keys made with gpg in a
//! private GnuPG home, images signed by skopeo's `--sign-by` into a registry with a file
//! lookaside, then the same copy under the same policy by both tools.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;

use crate::support::fixtures::{self, ImageSpec};
use crate::support::registry::Registry;
use crate::support::*;

/// A private GnuPG home with one key per name; its agent is stopped when dropped.
struct Gpg {
    home: GnupgHome,
}

impl Gpg {
    fn new() -> Option<Gpg> {
        let home = gnupg_home()?;
        Some(Gpg { home })
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", self.home.path()).args([
            "--batch",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
        ]);
        c
    }

    /// Makes a key (no passphrase) and returns its fingerprint.
    fn new_key(&self, name: &str) -> String {
        ok(self.cmd().args([
            "--quick-generate-key",
            &format!("{name} <{name}@example.com>"),
            "default",
            "default",
            "never",
        ]));
        let out = ok(self.cmd().args([
            "--with-colons",
            "--list-keys",
            &format!("{name}@example.com"),
        ]));
        stdout(&out)
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .map(|l| l.trim_matches(':').to_string())
            .expect("fingerprint")
    }

    fn export(&self, fpr: &str, armor: bool) -> Vec<u8> {
        let mut c = self.cmd();
        if armor {
            c.arg("--armor");
        }
        ok(c.args(["--export", fpr])).stdout
    }

    fn env(&self) -> (&str, &Path) {
        ("GNUPGHOME", self.home.path())
    }
}

/// A registry whose signatures live in a file lookaside named by a registries.d directory.
struct Setup {
    t: tempfile::TempDir,
    reg: Registry,
    gpg: Gpg,
    registries_d: PathBuf,
    lookaside: PathBuf,
    key_a: String,
    key_b: String,
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
                "default-docker:\n  lookaside: file://{}\n",
                lookaside.display()
            ),
        )
        .unwrap();
        let key_a = gpg.new_key("alice");
        let key_b = gpg.new_key("bob");
        Some(Setup {
            t,
            reg,
            gpg,
            registries_d,
            lookaside,
            key_a,
            key_b,
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.t.path().join(name)
    }

    /// Pushes a small image to `repo:tag`, signed by `key` when given (skopeo signs).
    fn push(&self, seed: u64, repo_tag: &str, key: Option<&str>) -> fixtures::Built {
        let src = self.path(&format!("src-{seed}"));
        let built = fixtures::write_dir(&src, &ImageSpec::small(seed));
        let mut c = skopeo().unwrap();
        c.env(self.gpg.env().0, self.gpg.env().1)
            .arg("--insecure-policy")
            .arg("--registries.d")
            .arg(&self.registries_d)
            .args(["copy", "-q", "--dest-tls-verify=false"]);
        if let Some(k) = key {
            c.args(["--sign-by", k]);
        }
        ok(c.arg(format!("dir:{}", src.display()))
            .arg(format!("docker://{}/{repo_tag}", self.reg.host)));
        built
    }

    /// The lookaside file of signature 1 of `digest` in `repo`.
    fn signature_path(&self, repo: &str, digest: &str) -> PathBuf {
        self.lookaside.join(format!(
            "{repo}@{}/signature-1",
            digest.replacen(':', "=", 1)
        ))
    }

    fn write_policy(&self, name: &str, requirement: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(
            &p,
            format!(
                r#"{{"default":[{{"type":"reject"}}],"transports":{{"docker":{{"{}":[{requirement}]}}}}}}"#,
                self.reg.host
            ),
        )
        .unwrap();
        p
    }

    fn key_file(&self, name: &str, fpr: &str, armor: bool) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, self.gpg.export(fpr, armor)).unwrap();
        p
    }

    /// Copies `repo_tag` to a fresh `dir:` with `tool` under `policy`: (exit code, fatal
    /// message or "", destination).
    fn copy(&self, mut tool: Command, label: &str, policy: &Path, repo_tag: &str) -> Outcome {
        let dest = self.path(&format!("out-{label}-{}", unique()));
        let out = run(tool
            .arg("--policy")
            .arg(policy)
            .arg("--registries.d")
            .arg(&self.registries_d)
            .args(["copy", "-q", "--src-tls-verify=false"])
            .arg(format!("docker://{}/{repo_tag}", self.reg.host))
            .arg(format!("dir:{}", dest.display())));
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let message = if stderr.contains("level=fatal") {
            fatal_message(&stderr)
        } else {
            String::new()
        };
        Outcome {
            code: out.status.code().unwrap_or(-1),
            message,
            dest,
        }
    }

    /// The same copy by skopeo and skiff: the decisions and messages must be equal; a
    /// refused copy leaves nothing at skiff's destination. Returns skiff's outcome.
    fn same_as_skopeo(&self, policy: &Path, repo_tag: &str) -> Outcome {
        let theirs = self.copy(skopeo().unwrap(), "skopeo", policy, repo_tag);
        let ours = self.copy(skiff(), "skiff", policy, repo_tag);
        assert_eq!(
            (ours.code, &ours.message),
            (theirs.code, &theirs.message),
            "skiff vs skopeo for {repo_tag} under {}",
            std::fs::read_to_string(policy).unwrap()
        );
        if ours.code == 0 {
            assert_same_tree(&ours.dest, &theirs.dest);
        } else {
            assert!(!ours.dest.exists(), "a refused copy wrote {:?}", ours.dest);
        }
        ours
    }
}

struct Outcome {
    code: i32,
    message: String,
    dest: PathBuf,
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn signed_by(key: &Path, identity: Option<&str>) -> String {
    let identity = identity
        .map(|i| format!(r#","signedIdentity":{{"type":"{i}"}}"#))
        .unwrap_or_default();
    format!(
        r#"{{"type":"signedBy","keyType":"GPGKeys","keyPath":"{}"{identity}}}"#,
        key.display()
    )
}

#[test]
fn signed_by_accepts_and_rejects_as_skopeo() {
    let Some(s) = Setup::new() else { return };
    s.push(1, "app:v1", Some(&s.key_a));
    s.push(1, "app:v2", None); // same digest: the v1 signature (for app:v1) applies
    s.push(2, "unsigned:v1", None);
    let a_armored = s.key_file("a.asc", &s.key_a, true);
    let b_binary = s.key_file("b.gpg", &s.key_b, false);

    // Accepted: the right key, armored or binary, by path, paths or data.
    let good = s.write_policy("good.json", &signed_by(&a_armored, None));
    let out = s.same_as_skopeo(&good, "app:v1");
    assert_eq!(out.code, 0);
    assert!(out.dest.join("signature-1").exists());
    let a_binary = s.key_file("a.gpg", &s.key_a, false);
    let paths = s.write_policy(
        "paths.json",
        &format!(
            r#"{{"type":"signedBy","keyType":"GPGKeys","keyPaths":["{}","{}"]}}"#,
            b_binary.display(),
            a_binary.display()
        ),
    );
    assert_eq!(s.same_as_skopeo(&paths, "app:v1").code, 0);
    let data = base64::engine::general_purpose::STANDARD.encode(s.gpg.export(&s.key_a, false));
    let data = s.write_policy(
        "data.json",
        &format!(r#"{{"type":"signedBy","keyType":"GPGKeys","keyData":"{data}"}}"#),
    );
    assert_eq!(s.same_as_skopeo(&data, "app:v1").code, 0);

    // Rejected: another key (gpgme's record of the unknown key), no signature, identity.
    let wrong = s.write_policy("wrong.json", &signed_by(&b_binary, None));
    let out = s.same_as_skopeo(&wrong, "app:v1");
    assert_eq!(out.code, 1);
    assert!(
        out.message.starts_with(
            "Source image rejected: Invalid GPG signature: gpgme.Signature{Summary:128"
        ),
        "{}",
        out.message
    );
    let out = s.same_as_skopeo(&good, "unsigned:v1");
    assert_eq!(
        out.message,
        "Source image rejected: A signature was required, but no signature exists"
    );
    let exact = s.write_policy("exact.json", &signed_by(&a_armored, Some("matchExact")));
    assert_eq!(s.same_as_skopeo(&exact, "app:v1").code, 0);
    let out = s.same_as_skopeo(&exact, "app:v2");
    assert_eq!(
        out.message,
        format!(
            "Source image rejected: Signature for identity {}/app:v1 is not accepted",
            s.reg.host
        )
    );
    s.same_as_skopeo(&good, "app:v2"); // matchRepoDigestOrExact: another tag is refused
    let repo = s.write_policy("repo.json", &signed_by(&a_armored, Some("matchRepository")));
    assert_eq!(s.same_as_skopeo(&repo, "app:v2").code, 0);
    let reject_first = s.write_policy(
        "reject-first.json",
        &format!(r#"{{"type":"reject"}},{}"#, signed_by(&a_armored, None)),
    );
    assert_eq!(s.same_as_skopeo(&reject_first, "app:v1").code, 1);
}

#[test]
fn tampered_signatures_and_manifests_are_refused_as_by_skopeo() {
    let Some(s) = Setup::new() else { return };
    let built = s.push(3, "app:v1", Some(&s.key_a));
    let key = s.key_file("a.asc", &s.key_a, true);
    let policy = s.write_policy("p.json", &signed_by(&key, None));
    let sig_path = s.signature_path("app", &built.manifest_digest);
    let original = std::fs::read(&sig_path).unwrap();

    // A signature made by gpg itself, uncompressed, over the payload skopeo signed: accepted.
    // Changing one byte of its signed contents breaks it (gpg's BADSIG).
    let payload = ok(skopeo()
        .unwrap()
        .args(["untrusted-signature-dump-without-verification"])
        .arg(&sig_path));
    let info: serde_json::Value = serde_json::from_slice(&payload.stdout).unwrap();
    let json = format!(
        r#"{{"critical":{{"type":"atomic container signature","image":{{"docker-manifest-digest":"{}"}},"identity":{{"docker-reference":"{}"}}}},"optional":{{"creator":"test"}}}}"#,
        info["UntrustedDockerManifestDigest"].as_str().unwrap(),
        info["UntrustedDockerReference"].as_str().unwrap()
    );
    let payload_file = s.path("payload.json");
    std::fs::write(&payload_file, &json).unwrap();
    let made = s.path("made.sig");
    ok(s.gpg
        .cmd()
        .args([
            "--compress-algo",
            "none",
            "--local-user",
            &s.key_a,
            "--output",
        ])
        .arg(&made)
        .arg("--sign")
        .arg(&payload_file));
    let made_bytes = std::fs::read(&made).unwrap();
    std::fs::write(&sig_path, &made_bytes).unwrap();
    assert_eq!(s.same_as_skopeo(&policy, "app:v1").code, 0);
    let mut tampered = made_bytes.clone();
    let at = find(&tampered, b"\"test\"").expect("payload in the clear") + 1;
    tampered[at] = b'T';
    std::fs::write(&sig_path, &tampered).unwrap();
    let out = s.same_as_skopeo(&policy, "app:v1");
    assert!(
        out.message.contains("Invalid GPG signature") && out.message.contains("Summary:4"),
        "{}",
        out.message
    );

    // Garbage and a truncated signature.
    std::fs::write(&sig_path, b"\xa3garbage").unwrap();
    s.same_as_skopeo(&policy, "app:v1");
    std::fs::write(&sig_path, &original[..100]).unwrap();
    s.same_as_skopeo(&policy, "app:v1");
    std::fs::write(&sig_path, &original).unwrap();

    // The manifest altered after signing, the signature moved to its new digest.
    let other = s.push(4, "app:v1", None);
    std::fs::create_dir_all(
        s.signature_path("app", &other.manifest_digest)
            .parent()
            .unwrap(),
    )
    .unwrap();
    std::fs::write(s.signature_path("app", &other.manifest_digest), &original).unwrap();
    let out = s.same_as_skopeo(&policy, "app:v1");
    assert_eq!(
        out.message,
        format!(
            "Source image rejected: Signature for digest {} does not match",
            built.manifest_digest
        )
    );
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn bad_trust_inputs_fail_in_one_line() {
    let Some(s) = Setup::new() else { return };
    let built = s.push(5, "app:v1", Some(&s.key_a));
    // An unreadable key file, as skopeo words it.
    let missing = s.write_policy("missing.json", &signed_by(&s.path("no-such-key.gpg"), None));
    let out = s.same_as_skopeo(&missing, "app:v1");
    assert!(
        out.message.contains("no such file or directory"),
        "{}",
        out.message
    );
    // A file that holds no key.
    let junk = s.path("junk.gpg");
    std::fs::write(&junk, b"not a key").unwrap();
    let junk = s.write_policy("junk.json", &signed_by(&junk, None));
    let out = s.same_as_skopeo(&junk, "app:v1");
    assert_eq!(
        out.message,
        "Source image rejected: No public keys imported"
    );
    // A malformed policy.
    let broken = s.path("broken.json");
    std::fs::write(
        &broken,
        br#"{"default":[{"type":"signedBy","keyType":"GPGKeys"}]}"#,
    )
    .unwrap();
    let out = s.same_as_skopeo(&broken, "app:v1");
    assert!(
        out.message.starts_with("Error loading trust policy"),
        "{}",
        out.message
    );
    // A 10 MB signature (skopeo's gpg spins on it for minutes, so skiff alone): one line.
    let sig_path = s.signature_path("app", &built.manifest_digest);
    let mut big = vec![0u8; 10 << 20];
    for (i, b) in big.iter_mut().enumerate() {
        *b = (i.wrapping_mul(2654435761) >> 13) as u8;
    }
    big[0] = 0xa3;
    big[1] = 1;
    std::fs::write(&sig_path, &big).unwrap();
    let key = s.key_file("a.asc", &s.key_a, true);
    let policy = s.write_policy("p.json", &signed_by(&key, None));
    let out = s.copy(skiff(), "big", &policy, "app:v1");
    assert_eq!(out.code, 1);
    assert!(
        out.message.starts_with("Source image rejected: ") && !out.message.contains('\n'),
        "{}",
        out.message
    );
    assert!(!out.dest.exists());
}

#[test]
fn require_signed_needs_a_verifying_requirement() {
    let Some(s) = Setup::new() else { return };
    s.push(6, "app:v1", Some(&s.key_a));
    let key = s.key_file("a.asc", &s.key_a, true);
    let signed = s.write_policy("signed.json", &signed_by(&key, None));
    let anything = s.write_policy("any.json", r#"{"type":"insecureAcceptAnything"}"#);
    let mut c = skiff();
    c.arg("--require-signed");
    assert_eq!(s.copy(c, "req-signed", &signed, "app:v1").code, 0);
    let mut c = skiff();
    c.arg("--require-signed");
    let out = s.copy(c, "req-any", &anything, "app:v1");
    assert_eq!(out.code, 1);
    assert_eq!(
        out.message,
        format!(
            "Source image rejected: No signature verification policy found for image docker:{}/app:v1",
            s.reg.host
        )
    );
    assert!(!out.dest.exists());
    let (code, err) =
        fails(skiff().args(["--insecure-policy", "--require-signed", "copy", "a", "b"]));
    assert_eq!(code, 1);
    assert_eq!(
        fatal_message(&err),
        "--insecure-policy and --require-signed are mutually exclusive"
    );
}

#[test]
fn standalone_verify_and_dump_match_skopeo() {
    let Some(gpg) = Gpg::new() else { return };
    let Some(_) = skopeo() else { return };
    let t = tempfile::tempdir().unwrap();
    let key = gpg.new_key("carol");
    let other = gpg.new_key("dave");
    let manifest = t.path().join("manifest.json");
    std::fs::write(&manifest, fixtures::build(&ImageSpec::small(7)).manifest).unwrap();
    let sig = t.path().join("sig");
    let reference = "example.com/ns/app:v1";
    ok(skopeo()
        .unwrap()
        .env(gpg.env().0, gpg.env().1)
        .args(["standalone-sign", "-o"])
        .arg(&sig)
        .arg(&manifest)
        .args([reference, &key]));
    let both = |args: &[std::ffi::OsString]| {
        let theirs = run(skopeo().unwrap().env(gpg.env().0, gpg.env().1).args(args));
        let ours = run(skiff().env(gpg.env().0, gpg.env().1).args(args));
        let msg = |o: &std::process::Output| {
            let e = String::from_utf8_lossy(&o.stderr);
            if e.contains("level=fatal") {
                fatal_message(&e)
            } else {
                String::new()
            }
        };
        assert_eq!(
            (ours.status.code(), stdout(&ours), msg(&ours)),
            (theirs.status.code(), stdout(&theirs), msg(&theirs)),
            "{args:?}"
        );
        ours
    };
    let os = |s: &str| std::ffi::OsString::from(s);
    let verify = |r: &str, k: &str, m: &Path, s: &Path| {
        vec![
            os("standalone-verify"),
            m.as_os_str().to_owned(),
            os(r),
            os(k),
            s.as_os_str().to_owned(),
        ]
    };
    let good = both(&verify(reference, &key, &manifest, &sig));
    assert!(stdout(&good).starts_with("Signature verified, digest sha256:"));
    both(&verify(reference, &other, &manifest, &sig));
    both(&verify("example.com/ns/app:v2", &key, &manifest, &sig));
    both(&verify("Bad Ref", &key, &manifest, &sig));
    let altered = t.path().join("altered.json");
    std::fs::write(&altered, b"{}").unwrap();
    both(&verify(reference, &key, &altered, &sig));
    both(&verify(reference, &key, &manifest, &t.path().join("nope")));
    both(&[os("standalone-verify"), os("a")]);
    let dump = os("untrusted-signature-dump-without-verification");
    both(&[dump.clone(), sig.clone().into_os_string()]);
    both(&[dump, manifest.clone().into_os_string()]);

    // A key whose primary only certifies signs with its subkey: skopeo 1.9.3 refuses that.
    ok(gpg.cmd().args([
        "--quick-generate-key",
        "erin <erin@example.com>",
        "rsa2048",
        "cert",
        "never",
    ]));
    let listed = stdout(&ok(gpg.cmd().args([
        "--with-colons",
        "--list-keys",
        "erin@example.com",
    ])));
    let erin = listed
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .map(|l| l.trim_matches(':').to_string())
        .unwrap();
    ok(gpg
        .cmd()
        .args(["--quick-add-key", &erin, "rsa2048", "sign", "never"]));
    let by_subkey = t.path().join("by-subkey.sig");
    ok(skopeo()
        .unwrap()
        .env(gpg.env().0, gpg.env().1)
        .args(["standalone-sign", "-o"])
        .arg(&by_subkey)
        .arg(&manifest)
        .args([reference, &erin]));
    let refused = both(&verify(reference, &erin, &manifest, &by_subkey));
    assert_eq!(refused.status.code(), Some(1));

    // The key revoked (gpg's own revocation certificate imported): refused by both, from the
    // user's keyring (the keybox) and from an exported key in a policy.
    let cert = std::fs::read_to_string(
        gpg.home
            .path()
            .join("openpgp-revocs.d")
            .join(format!("{key}.rev")),
    )
    .unwrap()
    .replace(":-----BEGIN", "-----BEGIN");
    let cert_file = t.path().join("revocation.asc");
    std::fs::write(&cert_file, cert).unwrap();
    ok(gpg.cmd().arg("--import").arg(&cert_file));
    let revoked = both(&verify(reference, &key, &manifest, &sig));
    assert_eq!(revoked.status.code(), Some(1));

    // skopeo HEAD's --public-key-file, with `any` key of the file (not in skopeo 1.9.3: the
    // expected digest is skopeo's manifest-digest).
    let keys = t.path().join("keys.asc");
    std::fs::write(&keys, gpg.export(&other, true)).unwrap();
    let digest = stdout(&ok(skopeo().unwrap().arg("manifest-digest").arg(&manifest)));
    let other_sig = t.path().join("other-sig");
    ok(skopeo()
        .unwrap()
        .env(gpg.env().0, gpg.env().1)
        .args(["standalone-sign", "-o"])
        .arg(&other_sig)
        .arg(&manifest)
        .args([reference, &other]));
    let out = ok(skiff()
        .env("GNUPGHOME", t.path().join("empty-home"))
        .arg("standalone-verify")
        .arg("--public-key-file")
        .arg(&keys)
        .arg(&manifest)
        .args([reference, "any"])
        .arg(&other_sig));
    assert_eq!(stdout(&out), format!("Signature verified, digest {digest}"));
}

#[test]
fn each_instance_of_a_list_is_checked_with_all() {
    let Some(s) = Setup::new() else { return };
    let oci = s.path("multi");
    let mut arm = ImageSpec::small(9);
    arm.architecture = "arm64".into();
    let index = fixtures::write_oci_index(&oci, "v1", &[ImageSpec::small(8), arm], false);
    ok(skopeo()
        .unwrap()
        .env(s.gpg.env().0, s.gpg.env().1)
        .arg("--insecure-policy")
        .arg("--registries.d")
        .arg(&s.registries_d)
        .args([
            "copy",
            "-q",
            "--all",
            "--dest-tls-verify=false",
            "--sign-by",
            &s.key_a,
        ])
        .arg(format!("oci:{}:v1", oci.display()))
        .arg(format!("docker://{}/multi:v1", s.reg.host)));
    let key = s.key_file("a.asc", &s.key_a, true);
    let policy = s.write_policy("p.json", &signed_by(&key, None));
    let all = |tool: Command, label: &str| {
        let mut tool = tool;
        tool.arg("--policy")
            .arg(&policy)
            .arg("--registries.d")
            .arg(&s.registries_d)
            .args(["copy", "-q", "--all", "--src-tls-verify=false"]);
        let dest = s.path(&format!("all-{label}"));
        let out = run(tool
            .arg(format!("docker://{}/multi:v1", s.reg.host))
            .arg(format!("dir:{}", dest.display())));
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let msg = if err.contains("level=fatal") {
            fatal_message(&err)
        } else {
            String::new()
        };
        (out.status.code(), msg, dest)
    };
    let (theirs, ours) = (all(skopeo().unwrap(), "skopeo-1"), all(skiff(), "skiff-1"));
    assert_eq!((&ours.0, &ours.1), (&theirs.0, &theirs.1));
    assert_eq!(ours.0, Some(0));
    assert_same_tree(&ours.2, &theirs.2);

    // The second instance loses its signature: the whole copy is refused.
    let list: serde_json::Value = serde_json::from_slice(&index).unwrap();
    let second = list["manifests"][1]["digest"].as_str().unwrap();
    std::fs::remove_file(s.signature_path("multi", second)).unwrap();
    let (theirs, ours) = (all(skopeo().unwrap(), "skopeo-2"), all(skiff(), "skiff-2"));
    assert_eq!((&ours.0, &ours.1), (&theirs.0, &theirs.1));
    assert!(
        ours.1
            .ends_with("Source image rejected: A signature was required, but no signature exists"),
        "{}",
        ours.1
    );
    assert!(!ours.2.exists(), "a refused copy wrote {:?}", ours.2);
}

#[test]
fn sync_applies_the_policy_to_each_image() {
    let Some(s) = Setup::new() else { return };
    s.push(10, "app:signed", Some(&s.key_a));
    s.push(11, "app:plain", None);
    let key = s.key_file("a.asc", &s.key_a, true);
    let policy = s.write_policy("p.json", &signed_by(&key, Some("matchRepository")));
    let sync = |tool: Command, label: &str, tag: &str| {
        let mut tool = tool;
        let dest = s.path(&format!("sync-{label}"));
        std::fs::create_dir_all(&dest).unwrap();
        let out = run(tool
            .arg("--policy")
            .arg(&policy)
            .arg("--registries.d")
            .arg(&s.registries_d)
            .args([
                "sync",
                "--src",
                "docker",
                "--dest",
                "dir",
                "--src-tls-verify=false",
            ])
            .arg(format!("{}/app:{tag}", s.reg.host))
            .arg(&dest));
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let msg = if err.contains("level=fatal") {
            fatal_message(&err)
        } else {
            String::new()
        };
        (out.status.code(), msg, dest)
    };
    let (theirs, ours) = (
        sync(skopeo().unwrap(), "skopeo-signed", "signed"),
        sync(skiff(), "skiff-signed", "signed"),
    );
    assert_eq!((&ours.0, &ours.1), (&theirs.0, &theirs.1));
    assert_eq!(ours.0, Some(0));
    assert_same_tree(&ours.2, &theirs.2);
    let (theirs, ours) = (
        sync(skopeo().unwrap(), "skopeo-plain", "plain"),
        sync(skiff(), "skiff-plain", "plain"),
    );
    assert_eq!((&ours.0, &ours.1), (&theirs.0, &theirs.1));
    assert_eq!(ours.0, Some(1));
    assert!(ours.1.contains("A signature was required"), "{}", ours.1);
}

/// A sigstore signature of `manifest_digest` as `reference`, made with openssl and `key` (an
/// EC P-256 private key file): c/image's payload and cosign's annotation, in the tagged form
/// c/image stores in `dir:` images.
fn sigstore_signature(t: &Path, key: &Path, manifest_digest: &str, reference: &str) -> Vec<u8> {
    sigstore_signature_by(
        t,
        key,
        manifest_digest,
        reference,
        &["dgst", "-sha256", "-sign"],
    )
}

/// [`sigstore_signature`] with the openssl command that signs the payload (`SIGN_ARGS`, then
/// the key and the payload file): `dgst -sha256 -sign` for ECDSA and RSA (PKCS #1 v1.5),
/// `pkeyutl -sign -rawin -inkey` for Ed25519, which signs the message itself.
fn sigstore_signature_by(
    t: &Path,
    key: &Path,
    manifest_digest: &str,
    reference: &str,
    sign_args: &[&str],
) -> Vec<u8> {
    let payload = format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"{reference}"}},"image":{{"docker-manifest-digest":"{manifest_digest}"}},"type":"cosign container image signature"}},"optional":null}}"#
    );
    let payload_file = t.join(format!("payload-{}", unique()));
    std::fs::write(&payload_file, &payload).unwrap();
    let sig = ok(Command::new("openssl")
        .args(sign_args)
        .arg(key)
        .args(if sign_args[0] == "pkeyutl" {
            &["-in"][..]
        } else {
            &[]
        })
        .arg(&payload_file))
    .stdout;
    let b64 = base64::engine::general_purpose::STANDARD;
    let json = serde_json::json!({
        "mimeType": "application/vnd.dev.cosign.simplesigning.v1+json",
        "payload": b64.encode(payload.as_bytes()),
        "annotations": {"dev.cosignproject.cosign/signature": b64.encode(sig)},
    });
    let mut blob = b"\x00sigstore-json\n".to_vec();
    blob.extend(serde_json::to_vec(&json).unwrap());
    blob
}

fn ec_key(t: &Path, name: &str) -> (PathBuf, PathBuf) {
    openssl_key(t, name, "EC", &["-pkeyopt", "ec_paramgen_curve:prime256v1"])
}

/// Copies the `dir:` image `src` to a new `dir:` under `t` with skiff under `policy`: the exit
/// code, the fatal message (empty on success) and the destination.
fn copy_dir_under(policy: &Path, src: &Path, t: &Path) -> (Option<i32>, String, PathBuf) {
    let dest = t.join(format!("out-{}", unique()));
    let out = run(skiff()
        .arg("--policy")
        .arg(policy)
        .args(["copy", "-q"])
        .arg(format!("dir:{}", src.display()))
        .arg(format!("dir:{}", dest.display())));
    let msg = if out.status.success() {
        String::new()
    } else {
        fatal_message(&String::from_utf8_lossy(&out.stderr))
    };
    (out.status.code(), msg, dest)
}

#[test]
fn sigstore_signed_with_a_public_key() {
    if !require_tool("openssl") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("img");
    let built = fixtures::write_dir(&src, &ImageSpec::small(12));
    let (private, public) = ec_key(t.path(), "cosign");
    let (other_private, _) = ec_key(t.path(), "other");
    let reference = "example.com/app:v1";
    let policy = |identity: &str| {
        let p = t.path().join(format!("policy-{}.json", unique()));
        std::fs::write(
            &p,
            format!(
                r#"{{"default":[{{"type":"sigstoreSigned","keyPath":"{}","signedIdentity":{identity}}}]}}"#,
                public.display()
            ),
        )
        .unwrap();
        p
    };
    let exact = policy(&format!(
        r#"{{"type":"exactReference","dockerReference":"{reference}"}}"#
    ));
    let copy = |policy: &Path| copy_dir_under(policy, &src, t.path());
    let sign = |key: &Path, digest: &str, r: &str| {
        std::fs::write(
            src.join("signature-1"),
            sigstore_signature(t.path(), key, digest, r),
        )
        .unwrap();
    };

    // No signature, then a good one: the signature is carried to the destination.
    let (code, msg, _) = copy(&exact);
    assert_eq!(
        (code, msg.as_str()),
        (
            Some(1),
            "Source image rejected: A signature was required, but no signature exists"
        )
    );
    sign(&private, &built.manifest_digest, reference);
    let (code, msg, dest) = copy(&exact);
    assert_eq!((code, msg.as_str()), (Some(0), ""));
    assert_eq!(
        std::fs::read(dest.join("signature-1")).unwrap(),
        std::fs::read(src.join("signature-1")).unwrap()
    );

    // Another key, another digest, another identity.
    sign(&other_private, &built.manifest_digest, reference);
    let (code, msg, dest) = copy(&exact);
    assert_eq!(code, Some(1));
    assert_eq!(
        msg,
        "Source image rejected: cryptographic signature verification failed: invalid signature when validating ASN.1 encoded signature"
    );
    assert!(!dest.exists());
    let wrong_digest = format!("sha256:{}", "0".repeat(64));
    sign(&private, &wrong_digest, reference);
    assert_eq!(
        copy(&exact).1,
        format!("Source image rejected: Signature for digest {wrong_digest} does not match")
    );
    sign(&private, &built.manifest_digest, "example.com/app:v2");
    assert_eq!(
        copy(&exact).1,
        "Source image rejected: Signature for identity example.com/app:v2 is not accepted"
    );
    // A dir: image has no docker reference, so the default identity rule cannot match.
    sign(&private, &built.manifest_digest, reference);
    let default_rule = policy(r#"{"type":"matchRepoDigestOrExact"}"#);
    assert_eq!(
        copy(&default_rule).1,
        format!("Source image rejected: Signature for identity {reference} is not accepted")
    );
    // A key that is not a PEM public key.
    let bad_key = t.path().join("bad.pub");
    std::fs::write(&bad_key, b"not a key").unwrap();
    let p = t.path().join("bad-key.json");
    std::fs::write(
        &p,
        format!(
            r#"{{"default":[{{"type":"sigstoreSigned","keyPath":"{}"}}]}}"#,
            bad_key.display()
        ),
    )
    .unwrap();
    assert_eq!(
        copy(&p).1,
        "Source image rejected: parsing public key: PEM decoding failed"
    );
}

/// A key pair made with `openssl genpkey -algorithm ALGORITHM` (plus OPTIONS): the private
/// key and its `PUBLIC KEY` PEM.
fn openssl_key(t: &Path, name: &str, algorithm: &str, options: &[&str]) -> (PathBuf, PathBuf) {
    let private = t.join(format!("{name}.key"));
    let public = t.join(format!("{name}.pub"));
    ok(Command::new("openssl")
        .args(["genpkey", "-algorithm", algorithm])
        .args(options)
        .arg("-out")
        .arg(&private));
    ok(Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&private)
        .arg("-out")
        .arg(&public));
    (private, public)
}

/// skopeo HEAD verifies sigstore signatures made with RSA (PKCS #1 v1.5, SHA-256) and Ed25519
/// keys too, and with several keys (`keyPaths`) tries each, listing every failure. Debian's
/// skopeo 1.9.3 has sigstore verification patched out, so openssl makes the keys and signs.
#[test]
fn sigstore_signed_with_rsa_and_ed25519_keys() {
    if !require_tool("openssl") {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("img");
    let built = fixtures::write_dir(&src, &ImageSpec::small(13));
    let reference = "example.com/app:v1";
    let rsa_args: &[&str] = &["dgst", "-sha256", "-sign"];
    let ed_args: &[&str] = &["pkeyutl", "-sign", "-rawin", "-inkey"];
    let (rsa, rsa_pub) = openssl_key(
        t.path(),
        "rsa",
        "RSA",
        &["-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let (other_rsa, _) = openssl_key(
        t.path(),
        "rsa2",
        "RSA",
        &["-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let (ed, ed_pub) = openssl_key(t.path(), "ed", "ED25519", &[]);
    let (other_ed, _) = openssl_key(t.path(), "ed2", "ED25519", &[]);
    let (_, ec_pub) = ec_key(t.path(), "ec");
    // The RSA key also as PKCS #1 (`RSA PUBLIC KEY`), which sigstore reads as well.
    let rsa_pkcs1 = t.path().join("rsa-pkcs1.pub");
    ok(Command::new("openssl")
        .args(["rsa", "-RSAPublicKey_out", "-in"])
        .arg(&rsa)
        .arg("-out")
        .arg(&rsa_pkcs1));
    let identity = format!(r#"{{"type":"exactReference","dockerReference":"{reference}"}}"#);
    let policy = |keys: &str| {
        let p = t.path().join(format!("policy-{}.json", unique()));
        std::fs::write(
            &p,
            format!(
                r#"{{"default":[{{"type":"sigstoreSigned",{keys},"signedIdentity":{identity}}}]}}"#
            ),
        )
        .unwrap();
        p
    };
    let key_path = |k: &Path| policy(&format!(r#""keyPath":"{}""#, k.display()));
    let all_keys = policy(&format!(
        r#""keyPaths":["{}","{}","{}"]"#,
        ec_pub.display(),
        rsa_pub.display(),
        ed_pub.display()
    ));
    let sign = |key: &Path, args: &[&str]| {
        let sig = sigstore_signature_by(t.path(), key, &built.manifest_digest, reference, args);
        std::fs::write(src.join("signature-1"), sig).unwrap();
    };
    let copy = |policy: &Path| {
        let (code, msg, dest) = copy_dir_under(policy, &src, t.path());
        (code, msg, dest.exists())
    };
    let rejected = |why: &str| (Some(1), format!("Source image rejected: {why}"), false);
    let accepted = (Some(0), String::new(), true);

    sign(&rsa, rsa_args);
    assert_eq!(copy(&key_path(&rsa_pub)), accepted);
    assert_eq!(copy(&key_path(&rsa_pkcs1)), accepted);
    assert_eq!(copy(&all_keys), accepted);
    sign(&other_rsa, rsa_args);
    assert_eq!(
        copy(&key_path(&rsa_pub)),
        rejected("cryptographic signature verification failed: crypto/rsa: verification error")
    );

    sign(&ed, ed_args);
    assert_eq!(copy(&key_path(&ed_pub)), accepted);
    assert_eq!(copy(&all_keys), accepted);
    sign(&other_ed, ed_args);
    assert_eq!(
        copy(&key_path(&ed_pub)),
        rejected("cryptographic signature verification failed: failed to verify signature")
    );
    // Every key tried, every failure listed, in the policy's order.
    assert_eq!(
        copy(&all_keys),
        rejected(
            "cryptographic signature verification failed: invalid signature when validating ASN.1 encoded signature, crypto/rsa: verification error, failed to verify signature"
        )
    );
    // A PEM file of another kind than a public key.
    assert_eq!(
        copy(&key_path(&ed)),
        rejected(
            "parsing public key: unknown Public key PEM file type: PRIVATE KEY. Are you passing the correct public key?"
        )
    );
}

#[test]
fn expired_keys_weak_digests_and_expired_signatures_are_refused_as_by_skopeo() {
    let Some(gpg) = Gpg::new() else { return };
    let Some(_) = skopeo() else { return };
    let t = tempfile::tempdir().unwrap();
    let manifest = t.path().join("manifest.json");
    std::fs::write(&manifest, fixtures::build(&ImageSpec::small(13)).manifest).unwrap();
    let digest = stdout(&ok(skopeo().unwrap().arg("manifest-digest").arg(&manifest)));
    let reference = "example.com/ns/app:v1";
    let payload = t.path().join("payload.json");
    std::fs::write(
        &payload,
        format!(
            r#"{{"critical":{{"type":"atomic container signature","image":{{"docker-manifest-digest":"{}"}},"identity":{{"docker-reference":"{reference}"}}}},"optional":{{}}}}"#,
            digest.trim()
        ),
    )
    .unwrap();
    // gpg's faked clock makes keys and signatures that are already past their expiry.
    let key_at = |name: &str, expiry: &str| {
        ok(gpg.cmd().args([
            "--faked-system-time",
            "20200101T000000!",
            "--quick-generate-key",
            &format!("{name} <{name}@example.com>"),
            "default",
            "default",
            expiry,
        ]));
        let out = ok(gpg.cmd().args([
            "--with-colons",
            "--list-keys",
            &format!("{name}@example.com"),
        ]));
        stdout(&out)
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .map(|l| l.trim_matches(':').to_string())
            .unwrap()
    };
    let sign_at = |key: &str, extra: &[&str], out: &Path| {
        ok(gpg
            .cmd()
            .args(["--yes", "--faked-system-time", "20200101T120000!"])
            .args(extra)
            .args(["--local-user", key, "--output"])
            .arg(out)
            .arg("--sign")
            .arg(&payload));
    };
    let expired_key = key_at("expired", "2d");
    let old_key = key_at("old", "never");
    let by_expired_key = t.path().join("by-expired-key.sig");
    sign_at(&expired_key, &[], &by_expired_key);
    let expired_sig = t.path().join("expired.sig");
    sign_at(&old_key, &["--default-sig-expire", "1d"], &expired_sig);
    let still_good = t.path().join("good.sig");
    sign_at(&old_key, &[], &still_good);
    // gpg refuses MD5 signatures (it makes them only when told weak digests are fine).
    let md5 = t.path().join("md5.sig");
    sign_at(
        &old_key,
        &["--allow-weak-digest-algos", "--digest-algo", "MD5"],
        &md5,
    );
    for (key, sig, accepted) in [
        (&expired_key, &by_expired_key, false),
        (&old_key, &expired_sig, false),
        (&old_key, &md5, false),
        (&old_key, &still_good, true),
    ] {
        let args = |c: &mut Command| {
            c.env(gpg.env().0, gpg.env().1)
                .arg("standalone-verify")
                .arg(&manifest)
                .args([reference, key.as_str()])
                .arg(sig);
        };
        let mut theirs = skopeo().unwrap();
        args(&mut theirs);
        let mut ours = skiff();
        args(&mut ours);
        let (theirs, ours) = (run(&mut theirs), run(&mut ours));
        assert_eq!(ours.status.success(), accepted, "{sig:?}");
        assert_eq!(ours.status.code(), theirs.status.code(), "{sig:?}");
        assert_eq!(stdout(&ours), stdout(&theirs));
        let msg = |o: &std::process::Output| {
            let e = String::from_utf8_lossy(&o.stderr).into_owned();
            if e.contains("level=fatal") {
                fatal_message(&e)
            } else {
                String::new()
            }
        };
        assert_eq!(msg(&ours), msg(&theirs), "{sig:?}");
    }
}
