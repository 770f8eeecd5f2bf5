//! `sync --shard I/N`: N concurrent processes over one source copy every image exactly once,
//! and together leave the destination as one unsharded skopeo sync leaves it.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;

use crate::support::registry::{Registry, http};
use crate::support::*;
use crate::sync::{manifest, push_images, sync};

/// Every repository and its tags, as the registry's catalog and tag lists say.
pub fn registry_contents(reg: &Registry) -> BTreeMap<String, BTreeSet<String>> {
    let (status, body) = http(&reg.host, "GET", "/v2/_catalog?n=1000", &[], b"");
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    v["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let repo = r.as_str().unwrap().to_string();
            let (status, body) = http(&reg.host, "GET", &format!("/v2/{repo}/tags/list"), &[], b"");
            assert_eq!(status, 200);
            let t: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let tags = t["tags"]
                .as_array()
                .map(|a| a.iter().map(|t| t.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            (repo, tags)
        })
        .collect()
}

/// The `from=` of every "Copying image ref" line of a sync's output.
fn copied_sources(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.contains("msg=\"Copying image ref "))
        .map(|l| {
            let from = l.split(" from=").nth(1).unwrap();
            from.split_whitespace()
                .next()
                .unwrap()
                .trim_matches('"')
                .to_string()
        })
        .collect()
}

#[test]
fn shards_cover_every_image_once_and_match_an_unsharded_skopeo_sync() {
    let Some(src) = Registry::start() else { return };
    let Some(mut skopeo_cmd) = skopeo() else {
        return;
    };
    // Four repositories: 3 shards group by repository, 7 by repository and tag.
    let layout: [(&str, &[(&str, u64)]); 4] = [
        ("m/alpha", &[("1", 1), ("2", 2), ("3", 3)]),
        ("m/beta", &[("a", 4), ("b", 5)]),
        ("m/gamma", &[("x", 6), ("y", 7), ("z", 8), ("w", 6)]),
        ("m/delta", &[("only", 9)]),
    ];
    let mut expected = BTreeSet::new();
    for (repo, tags) in layout {
        push_images(&src, repo, tags, None);
        for (tag, _) in tags {
            expected.insert(format!("docker://{}/{repo}:{tag}", src.host));
        }
    }
    let t = tempfile::tempdir().unwrap();
    let yaml = t.path().join("sync.yaml");
    std::fs::write(
        &yaml,
        format!(
            "{}:\n  tls-verify: false\n  images:\n    m/alpha: []\n    m/beta: []\n    m/gamma: []\n    m/delta: []\n",
            src.host
        ),
    )
    .unwrap();
    let args = [
        "--src",
        "yaml",
        "--dest",
        "docker",
        "--dest-tls-verify=false",
    ];

    let theirs = Registry::start().unwrap();
    skopeo_cmd.args(["--insecure-policy", "sync"]).args(args);
    ok(skopeo_cmd.arg(&yaml).arg(format!("{}/mirror", theirs.host)));
    let want = registry_contents(&theirs);
    assert_eq!(
        want.values().map(BTreeSet::len).sum::<usize>(),
        expected.len()
    );

    for n in [1usize, 3, 7] {
        let ours = Registry::start().unwrap();
        let children: Vec<_> = (0..n)
            .map(|i| {
                let mut c = sync(skiff(), &args);
                // Three shards as a Kubernetes Indexed Job names them, the others by flag.
                if n == 3 {
                    c.env("JOB_COMPLETION_INDEX", i.to_string())
                        .env("JOB_COMPLETIONS", "3");
                } else {
                    c.args(["--shard", &format!("{i}/{n}")]);
                }
                c.arg(&yaml)
                    .arg(format!("{}/mirror", ours.host))
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut seen: Vec<String> = Vec::new();
        let mut empty_shards = 0;
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{n} shards: {}\nregistry log:\n{}",
                String::from_utf8_lossy(&out.stderr),
                ours.log()
            );
            let mine = copied_sources(&out.stderr);
            empty_shards += usize::from(mine.is_empty());
            seen.extend(mine);
        }
        let distinct: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(
            distinct.len(),
            seen.len(),
            "an image copied twice with {n} shards: {seen:?}"
        );
        assert_eq!(distinct, expected, "{n} shards");
        assert!(empty_shards < n, "{n} shards");
        assert_eq!(registry_contents(&ours), want, "{n} shards");
        for (repo, tags) in &want {
            for tag in tags {
                assert_eq!(
                    manifest(&ours.host, repo, tag),
                    manifest(&theirs.host, repo, tag),
                    "{repo}:{tag} with {n} shards"
                );
            }
        }
    }
}

#[test]
fn three_shards_of_one_repository_split_its_tags() {
    let Some(src) = Registry::start() else { return };
    let tags: Vec<(String, u64)> = (0..9).map(|i| (format!("t{i}"), i % 3)).collect();
    let tags: Vec<(&str, u64)> = tags.iter().map(|(t, s)| (t.as_str(), *s)).collect();
    push_images(&src, "one/repo", &tags, None);
    let t = tempfile::tempdir().unwrap();
    let mut union = BTreeSet::new();
    let mut sizes = Vec::new();
    for i in 0..3 {
        let out = ok(sync(
            skiff(),
            &["--src", "docker", "--dest", "dir", "--src-tls-verify=false"],
        )
        .args(["--shard", &format!("{i}/3")])
        .arg(format!("{}/one/repo", src.host))
        .arg(t.path().join(format!("d{i}"))));
        let mine = copied_sources(&out.stderr);
        sizes.push(mine.len());
        for m in mine {
            assert!(union.insert(m.clone()), "{m} twice");
        }
    }
    assert_eq!(union.len(), 9);
    // Grouped by repository and tag, a lone repository is spread over the shards.
    assert!(sizes.iter().filter(|s| **s > 0).count() >= 2, "{sizes:?}");
}

#[test]
fn bad_shards_are_one_line_each() {
    for (flag, env, msg) in [
        (
            Some("3/3"),
            None,
            "Invalid --shard \"3/3\": the shard index must be below the number of shards (0 to 2)",
        ),
        (
            Some("0/0"),
            None,
            "Invalid --shard \"0/0\": the number of shards must be at least 1",
        ),
        (
            Some("a/b"),
            None,
            "Invalid --shard \"a/b\": expected I/N, e.g. 0/3",
        ),
        (
            None,
            Some(("2", "2")),
            "Invalid JOB_COMPLETION_INDEX=\"2\" JOB_COMPLETIONS=\"2\": the shard index must be below the number of shards (0 to 1)",
        ),
        (
            None,
            Some(("x", "2")),
            "Invalid JOB_COMPLETION_INDEX=\"x\" JOB_COMPLETIONS=\"2\": both must be whole numbers",
        ),
    ] {
        let mut c = sync(skiff(), &["--src", "docker", "--dest", "dir"]);
        c.env_remove("JOB_COMPLETION_INDEX")
            .env_remove("JOB_COMPLETIONS");
        if let Some(f) = flag {
            c.args(["--shard", f]);
        }
        if let Some((i, n)) = env {
            c.env("JOB_COMPLETION_INDEX", i).env("JOB_COMPLETIONS", n);
        }
        let (code, stderr) = fails(c.args(["127.0.0.1:1/x", "/nonexistent/x"]));
        assert_eq!(code, 1);
        assert_eq!(fatal_message(&stderr), msg);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}
