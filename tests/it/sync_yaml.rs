//! `sync --src yaml`: tag lists, digests, tag regular expressions and semver ranges, from a
//! registry that wants credentials; `--keep-going` past a missing image. skopeo 1.9.3 is the
//! oracle for everything it has (it has no `images-by-semver`).

use crate::support::registry::{Options, Registry, http};
use crate::support::*;
use crate::sync::{dir_names, log_lines, push_images, sync};

const USER: &str = "syncer";
const PASS: &str = "s3cret";

/// A manifest from the htpasswd registry.
fn authed_manifest(reg: &Registry, repo: &str, tag: &str) -> Vec<u8> {
    use base64::Engine;
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASS}"))
    );
    let (status, body) = http(
        &reg.host,
        "GET",
        &format!("/v2/{repo}/manifests/{tag}"),
        &[
            ("Accept", crate::sync::ALL_MANIFESTS),
            ("Authorization", &auth),
        ],
        b"",
    );
    assert_eq!(status, 200);
    body
}

#[test]
fn yaml_lists_digests_regexes_and_credentials_like_skopeo() {
    let Some(reg) = Registry::start_with(Options {
        htpasswd: Some((USER.into(), PASS.into())),
        ..Default::default()
    }) else {
        return;
    };
    let creds = format!("{USER}:{PASS}");
    push_images(
        &reg,
        "y/list",
        &[("v1", 11), ("v2", 12), ("v3", 13)],
        Some(&creds),
    );
    push_images(&reg, "y/dig", &[("x", 14)], Some(&creds));
    push_images(
        &reg,
        "y/re",
        &[("1.0", 15), ("1.1", 16), ("2.0", 17), ("latest", 17)],
        Some(&creds),
    );
    let digest = crate::support::fixtures::sha256(&authed_manifest(&reg, "y/dig", "x"));
    let t = tempfile::tempdir().unwrap();
    let yaml = t.path().join("sync.yaml");
    std::fs::write(
        &yaml,
        format!(
            "{host}:\n  tls-verify: false\n  credentials:\n    username: {USER}\n    password: {PASS}\n  images:\n    y/list:\n      - v1\n      - v3\n    y/dig:\n      - \"{digest}\"\n  images-by-tag-regex:\n    y/re: ^1\\.\n",
            host = reg.host
        ),
    )
    .unwrap();
    let ours = t.path().join("ours");
    let args = ["--src", "yaml", "--dest", "dir"];
    let o = ok(sync(skiff(), &args).arg(&yaml).arg(&ours));
    assert_eq!(
        dir_names(&ours),
        vec![
            format!("dig@{digest}"),
            "list:v1".into(),
            "list:v3".into(),
            "re:1.0".into(),
            "re:1.1".into()
        ]
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("msg=\"Synced 5 images from 3 sources\""),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "msg=\"Start filtering using the regular expression: ^1\\\\.\" registry=\"{}\" repo=y/re",
            reg.host
        )),
        "{err}"
    );
    if let Some(s) = skopeo() {
        let theirs = t.path().join("theirs");
        let out = ok(sync(s, &args).arg(&yaml).arg(&theirs));
        assert_same_tree(&ours, &theirs);
        // skopeo walks the YAML's maps in Go's random order; skiff in file order.
        let mut a = log_lines(&o.stderr, &[(&ours.display().to_string(), "DEST")]);
        let mut b = log_lines(&out.stderr, &[(&theirs.display().to_string(), "DEST")]);
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }
}

#[test]
fn yaml_semver_ranges_pick_release_tags_in_range() {
    let Some(reg) = Registry::start() else { return };
    push_images(
        &reg,
        "y/sem",
        &[
            ("1.0.0", 21),
            ("1.2.0", 22),
            ("1.5.3", 23),
            ("v1.9", 24),
            ("2.0.0-rc1", 25),
            ("2.0.0", 26),
            ("latest", 26),
        ],
        None,
    );
    let t = tempfile::tempdir().unwrap();
    let yaml = t.path().join("sync.yaml");
    std::fs::write(
        &yaml,
        format!(
            "{}:\n  tls-verify: false\n  images-by-semver:\n    y/sem: \">= 1.2, < 2\"\n",
            reg.host
        ),
    )
    .unwrap();
    let ours = t.path().join("ours");
    let o = ok(sync(skiff(), &["--src", "yaml", "--dest", "dir"])
        .arg(&yaml)
        .arg(&ours));
    assert_eq!(
        dir_names(&ours),
        vec!["sem:1.2.0", "sem:1.5.3", "sem:v1.9"],
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A constraint that does not parse: logged, and the semver entries are skipped.
    std::fs::write(
        &yaml,
        format!(
            "{}:\n  tls-verify: false\n  images-by-semver:\n    y/sem: \">>1\"\n",
            reg.host
        ),
    )
    .unwrap();
    let o = ok(sync(skiff(), &["--src", "yaml", "--dest", "dir"])
        .arg(&yaml)
        .arg(t.path().join("none")));
    let lines = log_lines(&o.stderr, &[]);
    assert_eq!(
        lines,
        vec![
            "level=error msg=\"improper constraint: \\\">>1\\\"\"".to_string(),
            "level=info msg=\"Synced 0 images from 0 sources\"".to_string(),
        ]
    );
}

#[test]
fn keep_going_copies_the_rest_and_fails_at_the_end_like_skopeo() {
    let Some(reg) = Registry::start() else { return };
    push_images(&reg, "k/app", &[("a", 31), ("b", 32)], None);
    let t = tempfile::tempdir().unwrap();
    let yaml = t.path().join("sync.yaml");
    std::fs::write(
        &yaml,
        format!(
            "{}:\n  tls-verify: false\n  images:\n    k/app: [a, missing, b]\n",
            reg.host
        ),
    )
    .unwrap();
    let ours = t.path().join("ours");
    let args = ["--src", "yaml", "--dest", "dir", "--keep-going"];
    let (code, err) = fails(sync(skiff(), &args).arg(&yaml).arg(&ours));
    assert_eq!(code, 1);
    assert_eq!(
        fatal_message(&err),
        "Sync failed due to previous reported error(s) for one or more images"
    );
    assert_eq!(dir_names(&ours), vec!["app:a", "app:b"]);
    let missing = format!("docker://{}/k/app:missing", reg.host);
    let error_line = log_lines(err.as_bytes(), &[])
        .into_iter()
        .find(|l| l.starts_with("level=error msg=\"Error copying ref"))
        .unwrap_or_else(|| panic!("no error line in {err}"));
    assert!(
        error_line.starts_with(&format!(
            "level=error msg=\"Error copying ref \\\"{missing}\\\"\" error=\"initializing source {missing}: reading manifest missing in {}/k/app: manifest unknown",
            reg.host
        )),
        "{error_line}"
    );
    assert!(
        err.contains("msg=\"Synced 2 images from 1 sources\""),
        "{err}"
    );
    assert!(
        err.contains(&format!("1 of 3 images failed to sync: {missing}")),
        "{err}"
    );

    if let Some(s) = skopeo() {
        let theirs = t.path().join("theirs");
        let (their_code, their_err) = fails(sync(s, &args).arg(&yaml).arg(&theirs));
        assert_eq!(their_code, code);
        // skopeo leaves the failed image's directory behind (with a version file); skiff's
        // destinations appear only when their copy succeeded.
        assert!(theirs.join("app:missing").exists());
        for name in ["app:a", "app:b"] {
            assert_same_tree(&ours.join(name), &theirs.join(name));
        }
        assert_eq!(fatal_message(&their_err), fatal_message(&err));
        let theirs_line = log_lines(their_err.as_bytes(), &[])
            .into_iter()
            .find(|l| l.starts_with("level=error msg=\"Error copying ref"))
            .unwrap();
        assert_eq!(theirs_line, error_line);
    }

    // Without --keep-going the missing image stops the sync with its error.
    let stop = t.path().join("stop");
    let (code, err) = fails(
        sync(skiff(), &["--src", "yaml", "--dest", "dir"])
            .arg(&yaml)
            .arg(&stop),
    );
    assert_eq!(
        code, 2,
        "the image does not exist (newer skopeo's exit status)"
    );
    let want = format!(
        "Error copying ref \"{missing}\": initializing source {missing}: reading manifest missing in {}/k/app: manifest unknown",
        reg.host
    );
    assert!(fatal_message(&err).starts_with(&want), "{err}");
    assert!(stop.join("app:a").join("manifest.json").exists());
    if let Some(s) = skopeo() {
        let (_, theirs) = fails(
            sync(s, &["--src", "yaml", "--dest", "dir"])
                .arg(&yaml)
                .arg(t.path().join("stop-theirs")),
        );
        assert_eq!(fatal_message(&theirs), fatal_message(&err));
    }
}
