//! `sync --include-tag/--exclude-tag/--semver`: the tags copied are the ones the test works
//! out itself (the regex crate over the registry's tag list; semantic versions by hand).

use std::collections::BTreeSet;

use crate::support::registry::{Registry, http};
use crate::support::*;
use crate::sync::{dir_names, push_images, sync};

const TAGS: [&str; 9] = [
    "1.0.0",
    "1.2.0",
    "1.10.3",
    "v1.5.0",
    "2.0.0",
    "1.3.0-rc1",
    "latest",
    "dev-1.2",
    "0.9",
];

/// The tags a sync plans to copy (its dry-run lines).
fn planned(stderr: &[u8]) -> BTreeSet<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.contains("msg=\"Would have copied image ref "))
        .map(|l| {
            let from = l
                .split(" from=")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap();
            from.trim_matches('"')
                .rsplit_once(':')
                .unwrap()
                .1
                .to_string()
        })
        .collect()
}

fn registry_tags(reg: &Registry, repo: &str) -> Vec<String> {
    let (status, body) = http(&reg.host, "GET", &format!("/v2/{repo}/tags/list"), &[], b"");
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    v["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn cli_tag_filters_select_the_expected_tags() {
    let Some(src) = Registry::start() else { return };
    let tags: Vec<(&str, u64)> = TAGS.iter().map(|t| (*t, 51)).collect();
    push_images(&src, "f/app", &tags, None);
    let all = registry_tags(&src, "f/app");
    assert_eq!(all.len(), TAGS.len());
    let source = format!("{}/f/app", src.host);
    let t = tempfile::tempdir().unwrap();
    let matching = |re: &str| -> BTreeSet<String> {
        let re = regex::Regex::new(re).unwrap();
        all.iter().filter(|t| re.is_match(t)).cloned().collect()
    };
    let set = |v: &[&str]| -> BTreeSet<String> { v.iter().map(|s| s.to_string()).collect() };
    let everything: BTreeSet<String> = all.iter().cloned().collect();

    let cases: Vec<(Vec<&str>, BTreeSet<String>)> = vec![
        (vec!["--include-tag", r"^1\."], matching(r"^1\.")),
        (
            vec!["--exclude-tag", "rc|dev"],
            everything
                .difference(&matching("rc|dev"))
                .cloned()
                .collect(),
        ),
        (
            vec!["--include-tag", r"\d", "--exclude-tag", r"^v"],
            matching(r"\d")
                .difference(&matching("^v"))
                .cloned()
                .collect(),
        ),
        // Masterminds semantics: "v" allowed, pre-releases only when the range names one,
        // "latest" and "dev-1.2" are no versions.
        (
            vec!["--semver", ">=1.2, <2"],
            set(&["1.2.0", "1.10.3", "v1.5.0"]),
        ),
        (
            vec!["--semver", "^1.0.0-0"],
            set(&["1.0.0", "1.2.0", "1.10.3", "v1.5.0", "1.3.0-rc1"]),
        ),
        (
            vec!["--semver", "~1.2 || 0.9", "--exclude-tag", "^0"],
            set(&["1.2.0"]),
        ),
    ];
    for (flags, want) in cases {
        let out = ok(sync(
            skiff(),
            &[
                "--src",
                "docker",
                "--dest",
                "dir",
                "--src-tls-verify=false",
                "--dry-run",
            ],
        )
        .args(&flags)
        .arg(&source)
        .arg(t.path().join("unused")));
        assert_eq!(planned(&out.stderr), want, "{flags:?}");
    }

    // A real copy, with a YAML source's own regex and a CLI exclusion on top.
    let yaml = t.path().join("sync.yaml");
    std::fs::write(
        &yaml,
        format!(
            "{}:\n  tls-verify: false\n  images-by-tag-regex:\n    f/app: '^1\\.'\n",
            src.host
        ),
    )
    .unwrap();
    let dest = t.path().join("copied");
    ok(sync(
        skiff(),
        &["--src", "yaml", "--dest", "dir", "--exclude-tag", r"\.0$"],
    )
    .arg(&yaml)
    .arg(&dest));
    let want: BTreeSet<String> = matching(r"^1\.")
        .difference(&matching(r"\.0$"))
        .map(|t| format!("app:{t}"))
        .collect();
    assert_eq!(dir_names(&dest).into_iter().collect::<BTreeSet<_>>(), want);
}

#[test]
fn bad_tag_filters_are_one_line() {
    for (flags, msg) in [
        (
            vec!["--src", "docker", "--include-tag", "("],
            "Invalid --include-tag \"(\": error parsing regexp: ",
        ),
        (
            vec!["--src", "docker", "--exclude-tag", "[a"],
            "Invalid --exclude-tag \"[a\": error parsing regexp: ",
        ),
        (
            vec!["--src", "docker", "--semver", "nonsense"],
            "Invalid --semver \"nonsense\": ",
        ),
        (
            vec!["--src", "dir", "--include-tag", "x"],
            "--include-tag, --exclude-tag and --semver filter tags: they need --src docker or yaml",
        ),
    ] {
        let (code, stderr) = fails(
            sync(skiff(), &["--dest", "docker"])
                .args(&flags)
                .args(["127.0.0.1:1/x", "127.0.0.1:1/y"]),
        );
        assert_eq!(code, 1);
        assert!(fatal_message(&stderr).starts_with(msg), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}
