//! `sync --prune`: the destination tags the source no longer has are deleted — in a registry
//! (distribution 2.8 deletes tags only with their manifest), in a layout, in a directory —
//! and nothing else; `--dry-run` deletes nothing. skopeo lists and reads what is left.

use std::collections::BTreeSet;

use crate::support::registry::Registry;
use crate::support::*;
use crate::sync::{push_images, sync};
use crate::sync_oci::{blob_files, blobs, digest, ref_names, tags};

const TLS: [&str; 2] = ["--src-tls-verify=false", "--dest-tls-verify=false"];

fn skopeo_delete(image: &str) {
    ok(skopeo()
        .unwrap()
        .args(["delete", "--tls-verify=false", image]));
}

fn info_lines(stderr: &str, what: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains(what))
        .map(str::to_string)
        .collect()
}

#[test]
fn prune_in_a_registry_deletes_exactly_the_tags_gone_from_the_source() {
    let Some(reg) = Registry::start() else { return };
    if skopeo().is_none() {
        return;
    }
    push_images(&reg, "src/app", &[("a", 101), ("b", 102), ("c", 103)], None);
    let args = ["--src", "docker", "--dest", "docker"];
    let src = format!("{}/src/app", reg.host);
    let dest = format!("{}/mirror", reg.host);
    ok(sync(skiff(), &args).args(TLS).arg(&src).arg(&dest));
    // Beside the mirror: a tag only the destination has, naming the same manifest as a tag
    // that stays (distribution cannot delete it alone), and a repository the sync does not
    // mirror.
    push_images(&reg, "mirror/app", &[("alias", 101)], None);
    push_images(&reg, "mirror/unrelated", &[("z", 103)], None);
    skopeo_delete(&format!("docker://{src}:c"));

    let prune = |dry: bool| {
        let mut c = sync(skiff(), &args);
        c.args(TLS).arg("--prune");
        if dry {
            c.arg("--dry-run");
        }
        let out = ok(c.arg(&src).arg(&dest));
        String::from_utf8(out.stderr).unwrap()
    };
    let dry = prune(true);
    let would = info_lines(&dry, "Would have pruned tag");
    assert_eq!(would.len(), 1, "{dry}");
    assert!(
        would[0].contains(&format!("docker://{dest}/app:c")),
        "{dry}"
    );
    let warned = info_lines(&dry, "Cannot prune tag");
    assert_eq!(warned.len(), 1, "{dry}");
    assert!(
        warned[0].contains(&format!("docker://{dest}/app:alias"))
            && warned[0].contains("tag a (kept)"),
        "{dry}"
    );
    assert_eq!(
        tags(&format!("docker://{dest}/app")),
        ["a", "alias", "b", "c"]
    );

    let real = prune(false);
    assert_eq!(info_lines(&real, "Pruning tag").len(), 1, "{real}");
    assert_eq!(info_lines(&real, "Cannot prune tag").len(), 1, "{real}");
    assert_eq!(tags(&format!("docker://{dest}/app")), ["a", "alias", "b"]);
    assert_eq!(tags(&format!("docker://{dest}/unrelated")), ["z"]);
    assert_eq!(
        digest(&format!("docker://{dest}/app:a")),
        digest(&format!("docker://{src}:a"))
    );
}

#[test]
fn prune_in_a_layout_removes_entries_and_their_own_blobs() {
    let Some(reg) = Registry::start() else { return };
    if skopeo().is_none() {
        return;
    }
    push_images(&reg, "src/app", &[("a", 111), ("b", 112), ("c", 113)], None);
    push_images(&reg, "src/other", &[("x", 114)], None);
    let t = tempfile::tempdir().unwrap();
    let layout = t.path().join("layout");
    let args = ["--src", "docker", "--dest", "oci", "--src-tls-verify=false"];
    let src = format!("{}/src/app", reg.host);
    for repo in [src.clone(), format!("{}/src/other", reg.host)] {
        ok(sync(skiff(), &args).arg(repo).arg(&layout));
    }
    skopeo_delete(&format!("docker://{src}:c"));
    let before = std::fs::read(layout.join("index.json")).unwrap();
    let out = ok(sync(skiff(), &args)
        .args(["--prune", "--dry-run"])
        .arg(&src)
        .arg(&layout));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let would = info_lines(&stderr, "Would have pruned tag");
    assert_eq!(would.len(), 1, "{stderr}");
    assert!(would[0].contains(&format!("oci:{}:app:c", layout.display())));
    assert_eq!(std::fs::read(layout.join("index.json")).unwrap(), before);

    ok(sync(skiff(), &args).arg("--prune").arg(&src).arg(&layout));
    assert_eq!(
        ref_names(&layout),
        BTreeSet::from(["app:a", "app:b", "other:x"].map(String::from))
    );
    let mut kept = BTreeSet::new();
    for (repo, tag) in [("app", "a"), ("app", "b"), ("other", "x")] {
        let registry = format!("docker://{}/src/{repo}:{tag}", reg.host);
        assert_eq!(
            digest(&format!("oci:{}:{repo}:{tag}", layout.display())),
            digest(&registry)
        );
        kept.extend(blobs(&registry));
    }
    // c's own blobs are gone; the blobs it shared stay.
    assert_eq!(blob_files(&layout), kept);
}

#[test]
fn prune_in_directories_removes_the_tag_directory() {
    let Some(reg) = Registry::start() else { return };
    if skopeo().is_none() {
        return;
    }
    push_images(&reg, "src/app", &[("a", 121), ("b", 122)], None);
    let t = tempfile::tempdir().unwrap();
    let dirs = t.path().join("dirs");
    let args = ["--src", "docker", "--dest", "dir", "--src-tls-verify=false"];
    let src = format!("{}/src/app", reg.host);
    ok(sync(skiff(), &args).arg(&src).arg(&dirs));
    std::fs::create_dir_all(dirs.join("notes")).unwrap();
    skopeo_delete(&format!("docker://{src}:b"));
    ok(sync(skiff(), &args).arg("--prune").arg(&src).arg(&dirs));
    let left: BTreeSet<String> = std::fs::read_dir(&dirs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, BTreeSet::from(["app:a".to_string(), "notes".into()]));
}

#[test]
fn prune_refuses_what_it_cannot_do_in_one_line() {
    let t = tempfile::tempdir().unwrap();
    for (args, source, msg) in [
        (
            ["--src", "dir", "--dest", "docker"],
            t.path().display().to_string(),
            "--prune needs --src docker, yaml or oci: images in a directory have no tags"
                .to_string(),
        ),
        (
            ["--src", "docker", "--dest", "dir"],
            "127.0.0.1:1/app:v1".to_string(),
            "--prune mirrors whole repositories: \"127.0.0.1:1/app:v1\" names one image"
                .to_string(),
        ),
    ] {
        let (code, stderr) = fails(
            sync(skiff(), &args)
                .arg("--prune")
                .arg(&source)
                .arg(t.path().join("out")),
        );
        assert_eq!(code, 1);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert_eq!(fatal_message(&stderr), msg);
    }
    let (code, stderr) = fails(
        sync(
            skiff(),
            &[
                "--src", "docker", "--dest", "dir", "--shard", "0/2", "--prune",
            ],
        )
        .arg("127.0.0.1:1/app")
        .arg(t.path().join("out")),
    );
    assert_eq!(code, 1);
    assert_eq!(
        fatal_message(&stderr),
        "--prune cannot be used with --shard: each shard sees only part of the source"
    );
}

#[test]
fn prune_deletes_only_tags_the_syncs_filters_select() {
    let Some(reg) = Registry::start() else { return };
    if skopeo().is_none() {
        return;
    }
    let tags = [("v1", 131), ("v2", 132), ("dev", 133), ("v3", 134)];
    push_images(&reg, "src/app", &tags, None);
    let t = tempfile::tempdir().unwrap();
    let layout = t.path().join("layout");
    let src = format!("{}/src/app", reg.host);
    ok(sync(
        skiff(),
        &["--src", "docker", "--dest", "oci", "--src-tls-verify=false"],
    )
    .arg(&src)
    .arg(&layout));
    for gone in ["v2", "dev", "v3"] {
        skopeo_delete(&format!("docker://{src}:{gone}"));
    }
    let yaml = t.path().join("images.yaml");
    std::fs::write(
        &yaml,
        format!(
            "{}:\n  images-by-tag-regex:\n    src/app: ^v\n  tls-verify: false\n",
            reg.host
        ),
    )
    .unwrap();
    // dev is not the regular expression's, v3 is excluded on the command line: both stay.
    ok(sync(
        skiff(),
        &[
            "--src",
            "yaml",
            "--dest",
            "oci",
            "--exclude-tag",
            "^v3$",
            "--prune",
        ],
    )
    .arg(&yaml)
    .arg(&layout));
    assert_eq!(
        ref_names(&layout),
        BTreeSet::from(["app:v1", "app:dev", "app:v3"].map(String::from))
    );
}
