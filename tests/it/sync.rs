//! `sync` from and to real registries and directories, with skopeo 1.9.3 as the oracle: the
//! same trees, the same registry contents, the same log lines. Also what skiff adds: images
//! copied at once with shared blobs sent once, and a re-sync that asks one HEAD per image on
//! each side.

use std::path::Path;
use std::process::Command;

use crate::support::fixtures::{self, ImageSpec};
use crate::support::registry::{Registry, http};
use crate::support::*;

pub const ALL_MANIFESTS: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json";

/// `TOOL --insecure-policy sync ARGS…`
pub fn sync(mut tool: Command, args: &[&str]) -> Command {
    tool.args(["--insecure-policy", "sync"]).args(args);
    tool
}

/// Pushes images tagged `tags` (tag, seed) to `repo`: images of different seeds share their
/// first layer, images of the same seed are the same image.
pub fn push_images(reg: &Registry, repo: &str, tags: &[(&str, u64)], creds: Option<&str>) {
    let t = tempfile::tempdir().unwrap();
    for (tag, seed) in tags {
        let layout = t.path().join(format!("img-{seed}"));
        if !layout.exists() {
            fixtures::write_oci(&layout, "t", &ImageSpec::small(*seed));
        }
        let mut c = skiff();
        c.args(["--insecure-policy", "copy", "-q", "--dest-tls-verify=false"]);
        if let Some(cr) = creds {
            c.args(["--dest-creds", cr]);
        }
        ok(c.arg(format!("oci:{}:t", layout.display()))
            .arg(format!("docker://{}/{repo}:{tag}", reg.host)));
    }
}

/// The log lines of a run (`level=…`), without their times, with `paths` replaced by names.
pub fn log_lines(stderr: &[u8], paths: &[(&str, &str)]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.contains(" level="))
        .map(|l| {
            let mut l = match l.split_once("\" level=") {
                Some((_, rest)) if l.starts_with("time=\"") => format!("level={rest}"),
                _ => l.to_string(),
            };
            for (from, to) in paths {
                l = l.replace(from, to);
            }
            l
        })
        .collect()
}

/// A manifest as the registry serves it.
pub fn manifest(host: &str, repo: &str, reference: &str) -> Vec<u8> {
    let (status, body) = http(
        host,
        "GET",
        &format!("/v2/{repo}/manifests/{reference}"),
        &[("Accept", ALL_MANIFESTS)],
        b"",
    );
    assert_eq!(status, 200, "{host}/{repo}:{reference}");
    body
}

/// The requests skiff sent (method, path, status) that a registry logged after `from` bytes.
pub fn skiff_requests(reg: &Registry, from: usize) -> Vec<(String, String, u16)> {
    let log = reg.log();
    log[from.min(log.len())..]
        .lines()
        .filter(|l| l.contains("\"skiff/"))
        .filter_map(|l| {
            let req = l.split('"').nth(1)?;
            let mut parts = req.split_whitespace();
            let (method, path) = (parts.next()?, parts.next()?);
            let status = l
                .split('"')
                .nth(2)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()?;
            Some((method.to_string(), path.to_string(), status))
        })
        .collect()
}

#[test]
fn docker_to_dir_with_and_without_scope_like_skopeo() {
    let Some(reg) = Registry::start() else { return };
    if skopeo().is_none() {
        return;
    }
    push_images(&reg, "ns/app", &[("a", 1), ("b", 2), ("c", 1)], None);
    let t = tempfile::tempdir().unwrap();
    let source = format!("{}/ns/app", reg.host);
    for scoped in [false, true] {
        let ours = t.path().join(format!("ours-{scoped}"));
        let theirs = t.path().join(format!("theirs-{scoped}"));
        let mut args = vec!["--src", "docker", "--dest", "dir", "--src-tls-verify=false"];
        if scoped {
            args.push("--scoped");
        }
        let o = ok(sync(skiff(), &args).arg(&source).arg(&ours));
        let s = ok(sync(skopeo().unwrap(), &args).arg(&source).arg(&theirs));
        assert_same_tree(&ours, &theirs);
        let names: Vec<_> = std::fs::read_dir(if scoped {
            ours.join(&reg.host).join("ns")
        } else {
            ours.clone()
        })
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
        assert_eq!(names.len(), 3, "{names:?}");
        let (ours_s, theirs_s) = (ours.display().to_string(), theirs.display().to_string());
        assert_eq!(
            log_lines(&o.stderr, &[(&ours_s, "DEST")]),
            log_lines(&s.stderr, &[(&theirs_s, "DEST")])
        );
    }
}

#[test]
fn docker_to_docker_like_skopeo_blobs_once_and_resync_asks_once_per_image() {
    let (Some(src), Some(dst)) = (Registry::start(), Registry::start()) else {
        return;
    };
    let tags = [
        ("t1", 1),
        ("t2", 2),
        ("t3", 3),
        ("t4", 1),
        ("t5", 2),
        ("t6", 3),
    ];
    push_images(&src, "ns/app", &tags, None);
    let source = format!("{}/ns/app", src.host);
    let args = ["--src", "docker", "--dest", "docker"];
    let (src_mark, dst_mark) = (src.log().len(), dst.log().len());
    ok(sync(skiff(), &args)
        .args(NO_TLS)
        .args(["--parallel-images", "6", &source])
        .arg(format!("{}/s", dst.host)));

    // Every tag arrived unchanged; no blob was read or sent twice, even with all six
    // images (three distinct, sharing a layer) copied at once.
    for (tag, _) in tags {
        assert_eq!(
            manifest(&dst.host, "s/app", tag),
            manifest(&src.host, "ns/app", tag)
        );
    }
    let reads: Vec<_> = skiff_requests(&src, src_mark)
        .into_iter()
        .filter(|(m, p, _)| m == "GET" && p.contains("/blobs/"))
        .map(|(_, p, _)| p)
        .collect();
    let unique: std::collections::HashSet<_> = reads.iter().collect();
    assert_eq!(reads.len(), unique.len(), "blobs read twice: {reads:?}");
    assert_eq!(reads.len(), 1 + 3 + 3, "{reads:?}");
    let sent: Vec<_> = skiff_requests(&dst, dst_mark)
        .into_iter()
        .filter(|(m, p, _)| m == "PUT" && p.contains("/blobs/uploads/"))
        .map(|(_, p, _)| p.split("digest=").nth(1).unwrap_or("").to_string())
        .collect();
    let unique: std::collections::HashSet<_> = sent.iter().collect();
    assert_eq!(sent.len(), unique.len(), "blobs sent twice: {sent:?}");
    assert_eq!(sent.len(), 7, "{sent:?}");

    if let Some(s) = skopeo() {
        ok(sync(s, &args)
            .args(NO_TLS)
            .arg(&source)
            .arg(format!("{}/o", dst.host)));
        for (tag, _) in tags {
            assert_eq!(
                manifest(&dst.host, "s/app", tag),
                manifest(&dst.host, "o/app", tag)
            );
        }
    }

    // A re-sync: one request per image on each side (the source's manifest is read whole, so
    // that a copy which follows needs not ask again; the destination's is HEADed), nothing
    // else about images.
    let (src_mark, dst_mark) = (src.log().len(), dst.log().len());
    let again = ok(sync(skiff(), &args)
        .args(NO_TLS)
        .arg(&source)
        .arg(format!("{}/s", dst.host)));
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(
        err.matches("Skipping: image already present at destination")
            .count(),
        6,
        "{err}"
    );
    assert!(
        err.contains("msg=\"Synced 6 images from 1 sources\""),
        "{err}"
    );
    for (reg, mark, repo, method) in [
        (&src, src_mark, "ns/app", "GET"),
        (&dst, dst_mark, "s/app", "HEAD"),
    ] {
        let reqs = skiff_requests(reg, mark);
        let about_images: Vec<_> = reqs
            .iter()
            .filter(|(_, p, _)| p.contains("/manifests/") || p.contains("/blobs/"))
            .collect();
        let mut heads: Vec<_> = about_images
            .iter()
            .map(|(m, p, _)| format!("{m} {p}"))
            .collect();
        heads.sort();
        let want: Vec<_> = tags
            .iter()
            .map(|(t, _)| format!("{method} /v2/{repo}/manifests/{t}"))
            .collect();
        assert_eq!(heads, want, "{reqs:?}");
    }
}

const NO_TLS: [&str; 2] = ["--src-tls-verify=false", "--dest-tls-verify=false"];

#[test]
fn docker_to_docker_scoped_like_skopeo() {
    let (Some(src), Some(dst)) = (Registry::start(), Registry::start()) else {
        return;
    };
    push_images(&src, "ns/app", &[("a", 4)], None);
    let t = tempfile::tempdir().unwrap();
    // A registry name without a port (a colon cannot appear in a repository path), reached
    // through registries.conf.
    let conf = t.path().join("registries.conf");
    std::fs::write(
        &conf,
        format!(
            "[[registry]]\nprefix = \"registry.test\"\nlocation = \"{}\"\ninsecure = true\n",
            src.host
        ),
    )
    .unwrap();
    let args = ["--src", "docker", "--dest", "docker", "--scoped"];
    // (skopeo 1.9.3 reads registries.conf only from this flag, not from the environment.)
    let run = |mut tool: Command, ns: &str| {
        tool.arg("--registries-conf").arg(&conf);
        let mut c = sync(tool, &args);
        c.args(NO_TLS)
            .arg("registry.test/ns/app:a")
            .arg(format!("{}/{ns}", dst.host));
        ok(&mut c)
    };
    let o = run(skiff(), "s");
    assert_eq!(
        manifest(&dst.host, "s/registry.test/ns/app", "a"),
        manifest(&src.host, "ns/app", "a")
    );
    // With the port in the source name, the scoped name is not a valid reference.
    let with_port = format!("{}/ns/app:a", src.host);
    let (code, err) = fails(
        sync(skiff(), &args)
            .args(NO_TLS)
            .arg(&with_port)
            .arg(format!("{}/x", dst.host)),
    );
    assert_eq!(code, 1);
    assert_eq!(
        fatal_message(&err),
        format!(
            "Cannot obtain a valid image reference for transport \"docker\" and reference \"//{}/x/{with_port}\": invalid reference format",
            dst.host
        )
    );
    if let Some(s) = skopeo() {
        let theirs = run(s, "o");
        assert_eq!(
            manifest(&dst.host, "s/registry.test/ns/app", "a"),
            manifest(&dst.host, "o/registry.test/ns/app", "a")
        );
        assert_eq!(
            log_lines(&o.stderr, &[("/s/", "/NS/")]),
            log_lines(&theirs.stderr, &[("/o/", "/NS/")])
        );
        let (_, theirs_err) = fails(
            sync(skopeo().unwrap(), &args)
                .args(NO_TLS)
                .arg(&with_port)
                .arg(format!("{}/x", dst.host)),
        );
        assert_eq!(fatal_message(&err), fatal_message(&theirs_err));
    }
}

#[test]
fn dir_tree_to_docker_with_and_without_scope_like_skopeo() {
    let Some(dst) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let tree = t.path().join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    for (name, seed) in [("one", 5), ("sub/two", 6)] {
        let layout = t.path().join(format!("oci-{seed}"));
        fixtures::write_oci(&layout, "t", &ImageSpec::small(seed));
        ok(skiff()
            .args(["--insecure-policy", "copy", "-q"])
            .arg(format!("oci:{}:t", layout.display()))
            .arg(format!("dir:{}", tree.join(name).display())));
    }
    let tree_s = tree.display().to_string();
    for (scoped, ns) in [(false, "flat"), (true, "scoped")] {
        let mut args = vec![
            "--src",
            "dir",
            "--dest",
            "docker",
            "--dest-tls-verify=false",
        ];
        if scoped {
            args.push("--scoped");
        }
        let o = ok(sync(skiff(), &args)
            .arg(&tree_s)
            .arg(format!("{}/s{ns}", dst.host)));
        let repos = if scoped {
            [format!("s{ns}/one"), format!("s{ns}/sub/two")]
        } else {
            [format!("s{ns}/one"), format!("s{ns}/two")]
        };
        for repo in &repos {
            let m = manifest(&dst.host, repo, "latest");
            assert!(!m.is_empty());
        }
        if let Some(s) = skopeo() {
            let theirs = ok(sync(s, &args)
                .arg(&tree_s)
                .arg(format!("{}/o{ns}", dst.host)));
            for repo in &repos {
                let their_repo = repo.replacen('s', "o", 1);
                assert_eq!(
                    manifest(&dst.host, repo, "latest"),
                    manifest(&dst.host, &their_repo, "latest")
                );
            }
            assert_eq!(
                log_lines(&o.stderr, &[(&format!("/s{ns}"), "/NS")]),
                log_lines(&theirs.stderr, &[(&format!("/o{ns}"), "/NS")])
            );
        }
    }
}

#[test]
fn dry_run_writes_nothing_and_says_what_it_would_do() {
    let (Some(src), Some(dst)) = (Registry::start(), Registry::start()) else {
        return;
    };
    push_images(&src, "ns/app", &[("a", 7), ("b", 8)], None);
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("out");
    let source = format!("{}/ns/app", src.host);
    let to_dir = ["--dry-run", "--src", "docker", "--dest", "dir"];
    let o = ok(sync(skiff(), &to_dir).args(NO_TLS).arg(&source).arg(&dir));
    assert!(!dir.exists(), "a dry run created {}", dir.display());
    let lines = log_lines(&o.stderr, &[(&dir.display().to_string(), "DEST")]);
    // Tags in the order the registry lists them.
    let (_, body) = http(&src.host, "GET", "/v2/ns/app/tags/list", &[], b"");
    let listed: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let tags: Vec<&str> = listed["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let mut want = vec![
        format!("level=info msg=\"Tag presence check\" imagename=\"{source}\" tagged=false"),
        format!("level=info msg=\"Getting tags\" image=\"{source}\""),
        "level=warning msg=\"Running in dry-run mode\"".to_string(),
    ];
    for (i, tag) in tags.iter().enumerate() {
        want.push(format!(
            "level=info msg=\"Would have copied image ref {}/2\" from=\"docker://{source}:{tag}\" to=\"dir:DEST/app:{tag}\"",
            i + 1
        ));
    }
    want.push("level=info msg=\"Would have synced 2 images from 1 sources\"".to_string());
    assert_eq!(lines, want);

    let to_registry = ["--dry-run", "--src", "docker", "--dest", "docker"];
    let mark = dst.log().len();
    let o = ok(sync(skiff(), &to_registry)
        .args(NO_TLS)
        .arg(&source)
        .arg(format!("{}/s", dst.host)));
    assert!(skiff_requests(&dst, mark).is_empty(), "{}", dst.log());
    let (status, body) = http(&dst.host, "GET", "/v2/_catalog", &[], b"");
    assert_eq!(status, 200);
    assert_eq!(
        String::from_utf8_lossy(&body).trim(),
        r#"{"repositories":[]}"#
    );
    if let Some(s) = skopeo() {
        let theirs = ok(sync(s, &to_registry)
            .args(NO_TLS)
            .arg(&source)
            .arg(format!("{}/s", dst.host)));
        assert_eq!(log_lines(&o.stderr, &[]), log_lines(&theirs.stderr, &[]));
    }
}

#[test]
fn digestfile_and_append_suffix() {
    let (Some(src), Some(dst)) = (Registry::start(), Registry::start()) else {
        return;
    };
    push_images(&src, "ns/app", &[("a", 9), ("b", 10), ("c", 9)], None);
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("digests");
    ok(sync(skiff(), &["--src", "docker", "--dest", "docker"])
        .args(NO_TLS)
        .args(["--append-suffix", "-mirror", "--digestfile"])
        .arg(&file)
        .arg(format!("{}/ns/app", src.host))
        .arg(format!("{}/s", dst.host)));
    let text = std::fs::read_to_string(&file).unwrap();
    let mut want = String::new();
    let (_, body) = http(&src.host, "GET", "/v2/ns/app/tags/list", &[], b"");
    let tags: serde_json::Value = serde_json::from_slice(&body).unwrap();
    for tag in tags["tags"].as_array().unwrap() {
        let tag = tag.as_str().unwrap();
        let m = manifest(&dst.host, "s/app", &format!("{tag}-mirror"));
        want.push_str(&format!(
            "{} docker://{}/s/app:{tag}-mirror\n",
            fixtures::sha256(&m),
            dst.host
        ));
    }
    assert_eq!(text, want);
}

#[test]
fn usage_and_source_errors_like_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let empty = t.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let taken = t.path().join("taken");
    std::fs::create_dir_all(taken.join("app:v1")).unwrap();
    let bad_yaml = t.path().join("bad.yaml");
    std::fs::write(&bad_yaml, "reg:\n  images: foo\n").unwrap();
    let (e, tk, by) = (
        empty.display().to_string(),
        taken.display().to_string(),
        bad_yaml.display().to_string(),
    );
    let cases: Vec<(Vec<&str>, String)> = vec![
        (vec!["--dest", "dir", "a", "b"], "A source transport must be specified".into()),
        (
            vec!["--src", "foo", "--dest", "dir", "a", "b"],
            "\"foo\" is not a valid source transport".into(),
        ),
        (vec!["--src", "dir", "a", "b"], "A destination transport must be specified".into()),
        (
            vec!["--src", "dir", "--dest", "oci-archive", "a", "b"],
            "\"oci-archive\" is not a valid destination transport".into(),
        ),
        (
            vec!["--src", "dir", "--dest", "dir", "a", "b"],
            "sync from 'dir' to 'dir' not implemented, consider using rsync instead".into(),
        ),
        (
            vec!["--src", "dir", "--dest", "docker", "/nonexistent-skiff", "x"],
            "Invalid source directory specified: stat /nonexistent-skiff: no such file or directory"
                .into(),
        ),
        (
            vec!["--src", "dir", "--dest", "docker", &e, "x"],
            format!("No images to sync found in \"{e}\""),
        ),
        (
            vec!["--src", "yaml", "--dest", "dir", "/nonexistent-skiff.yaml", "x"],
            "open /nonexistent-skiff.yaml: no such file or directory".into(),
        ),
        (
            vec!["--src", "yaml", "--dest", "dir", &by, "x"],
            format!(
                "Failed to unmarshal \"{by}\": yaml: unmarshal errors:\n  line 2: cannot unmarshal !!str `foo` into map[string][]string"
            ),
        ),
        (
            vec!["--src", "docker", "--dest", "dir", "Upper/x", "x"],
            "Cannot obtain a valid image reference for transport \"docker\" and reference \"Upper/x\": invalid reference format: repository name must be lowercase".into(),
        ),
        (
            vec!["--src", "docker", "--dest", "dir", "127.0.0.1:9/app:v1", &tk],
            format!("Refusing to overwrite destination directory \"{tk}/app:v1\""),
        ),
        (
            vec!["-f", "v3", "--src", "docker", "--dest", "dir", "127.0.0.1:9/app:v1", "x"],
            "unknown format \"v3\". Choose one of the supported formats: 'oci', 'v2s1', or 'v2s2'"
                .into(),
        ),
    ];
    for (args, want) in &cases {
        let (code, err) = fails(&mut sync(skiff(), args));
        assert_eq!(code, 1, "{args:?}");
        // (fatal_message leaves a quoted newline as \\n.)
        assert_eq!(fatal_message(&err), want.replace('\n', "\\n"), "{args:?}");
        if let Some(s) = skopeo() {
            let (_, theirs) = fails(&mut sync(s, args));
            assert_eq!(fatal_message(&theirs), fatal_message(&err), "{args:?}");
        }
    }
    let (code, err) = fails(&mut sync(skiff(), &["--src", "dir", "--dest", "docker"]));
    assert_eq!(code, 1);
    assert_eq!(fatal_message(&err), "Exactly two arguments expected");
    assert!(!t.path().join("x").exists());
}

/// Used by the YAML tests too.
pub fn dir_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}
