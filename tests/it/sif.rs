//! `sif:` against skopeo: a SIF file built here (mksquashfs makes the squashfs, a small
//! writer below puts the SIF container around it, per the SIF format's documented layout)
//! copied to `oci:` by both; the layer's entries and the config must agree.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use crate::support::*;

/// A SIF file (format version 01): a 128-byte header, a table of 585-byte descriptors, then
/// the objects, each at a 4096-byte boundary. Objects: an optional definition file and the
/// squashfs as the primary system partition.
fn write_sif(path: &Path, squashfs: &[u8], deffile: Option<&[u8]>, modified: i64) {
    const DESCRIPTORS: usize = 4;
    const DESCRIPTOR_LEN: usize = 585;
    const TABLE_AT: usize = 4096;
    let align = |n: usize| n.div_ceil(4096) * 4096;
    let mut objects: Vec<(i32, &[u8], Vec<u8>)> = Vec::new();
    if let Some(def) = deffile {
        objects.push((0x4001, def, Vec::new()));
    }
    // Partition extra: file system type (squashfs = 1), partition type (primary system = 2),
    // architecture code ("02" = amd64).
    let mut part = Vec::new();
    part.extend_from_slice(&1i32.to_le_bytes());
    part.extend_from_slice(&2i32.to_le_bytes());
    part.extend_from_slice(b"02\0");
    objects.push((0x4004, squashfs, part));

    let data_at = align(TABLE_AT + DESCRIPTORS * DESCRIPTOR_LEN);
    let mut file = vec![0u8; data_at];
    let mut table = Vec::new();
    for (i, (kind, bytes, extra)) in objects.iter().enumerate() {
        let offset = align(file.len());
        file.resize(offset, 0);
        file.extend_from_slice(bytes);
        let mut d = Vec::new();
        d.extend_from_slice(&kind.to_le_bytes());
        d.push(1); // used
        d.extend_from_slice(&(i as u32 + 1).to_le_bytes()); // id
        d.extend_from_slice(&0xf000_0001u32.to_le_bytes()); // group 1
        d.extend_from_slice(&0u32.to_le_bytes()); // linked to nothing
        for v in [
            offset as i64,
            bytes.len() as i64,
            bytes.len() as i64,
            modified,
            modified,
            0,
            0,
        ] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        let mut name = b"object".to_vec();
        name.resize(128, 0);
        d.extend_from_slice(&name);
        let mut extra = extra.clone();
        extra.resize(384, 0);
        d.extend_from_slice(&extra);
        assert_eq!(d.len(), DESCRIPTOR_LEN);
        table.extend_from_slice(&d);
    }
    table.resize(DESCRIPTORS * DESCRIPTOR_LEN, 0);
    file[TABLE_AT..TABLE_AT + table.len()].copy_from_slice(&table);

    let mut h = Vec::new();
    let mut launch = b"#!/usr/bin/env run-singularity\n".to_vec();
    launch.resize(32, 0);
    h.extend_from_slice(&launch);
    h.extend_from_slice(b"SIF_MAGIC\0");
    h.extend_from_slice(b"01\0");
    h.extend_from_slice(b"02\0");
    h.extend_from_slice(&[
        0x5a, 0x1f, 0, 1, 2, 3, 0x44, 5, 0x86, 7, 8, 9, 10, 11, 12, 13,
    ]);
    for v in [
        modified - 100,
        modified,
        (DESCRIPTORS - objects.len()) as i64,
        DESCRIPTORS as i64,
        TABLE_AT as i64,
        (DESCRIPTORS * DESCRIPTOR_LEN) as i64,
        data_at as i64,
        (file.len() - data_at) as i64,
    ] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    assert_eq!(h.len(), 128);
    file[..128].copy_from_slice(&h);
    std::fs::write(path, file).unwrap();
}

/// A root file system with what a tar layer must carry: owners, modes with special bits,
/// long names, symbolic and hard links, devices, a FIFO, a socket (left out), extended
/// attributes, sparse and multi-block files.
fn make_rootfs(root: &Path) {
    let sh = |script: &str| {
        ok(Command::new("sh").arg("-ec").arg(script).current_dir(root));
    };
    std::fs::create_dir_all(root).unwrap();
    sh(r#"
        long=$(printf 'n%.0s' $(seq 120))
        mkdir -p usr/lib/deep/a "dir-$long/sub" emptydir etc
        echo long > "dir-$long/sub/file-$long"
        ln -s "/target/$(printf 't%.0s' $(seq 150))" longlink
        ln -s ../etc/hello usr/hello-link
        echo hello > etc/hello
        head -c 300000 /dev/urandom > usr/lib/big
        truncate -s 1000000 usr/lib/sparse && echo tail >> usr/lib/sparse
        : > empty
        echo é > "naïve-é"
        mknod dev-null c 1 3 && mknod dev-blk b 8 1 && mkfifo pipe
        chmod 4755 usr/lib/big && chmod 1777 emptydir && chmod 640 etc/hello
        setfattr -n user.note -v hello etc/hello
        setfattr -n trusted.t -v tv empty
        setfattr -n security.s -v sv usr/lib/big
        chown -R 12345:54321 usr/lib/deep && chown 70000:70001 empty
        ln usr/lib/big usr/lib/big2
        touch -d '2001-02-03 04:05:06' usr/lib/deep/a
        python3 -c "import socket; socket.socket(socket.AF_UNIX).bind('sock')"
    "#);
}

/// What the comparison looks at for one tar entry.
#[derive(Clone, Debug, PartialEq)]
struct Facts {
    kind: u8,
    mode: u32,
    uid: u64,
    gid: u64,
    mtime: Option<u64>,
    link: Vec<u8>,
    device: (u32, u32),
    xattrs: BTreeMap<String, Vec<u8>>,
    content: Vec<u8>,
}

/// The entries of a tar layer by name (without a trailing `/`). Hard links are resolved to
/// the entry they link to, so that which of the names comes first does not matter. The
/// times of `./podman` entries are left out: skopeo writes them when it runs.
fn tar_entries(tar: &[u8]) -> BTreeMap<String, Facts> {
    let mut out = BTreeMap::new();
    let mut links = Vec::new();
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries().unwrap() {
        let mut e = entry.unwrap();
        let name = String::from_utf8_lossy(&e.path_bytes())
            .trim_end_matches('/')
            .to_string();
        let h = e.header().clone();
        let mut xattrs = BTreeMap::new();
        if let Some(pax) = e.pax_extensions().unwrap() {
            for ext in pax {
                let ext = ext.unwrap();
                if let Some(key) = ext.key().unwrap().strip_prefix("SCHILY.xattr.") {
                    xattrs.insert(key.to_string(), ext.value_bytes().to_vec());
                }
            }
        }
        let mut content = Vec::new();
        e.read_to_end(&mut content).unwrap();
        let link = e
            .link_name_bytes()
            .map(|l| l.into_owned())
            .unwrap_or_default();
        let kind = h.entry_type().as_byte();
        if kind == b'1' {
            links.push((name, String::from_utf8_lossy(&link).into_owned()));
            continue;
        }
        let facts = Facts {
            kind,
            mode: h.mode().unwrap(),
            uid: h.uid().unwrap(),
            gid: h.gid().unwrap(),
            mtime: (!name.starts_with("./podman")).then(|| h.mtime().unwrap()),
            link,
            device: (
                // GNU tar leaves these fields empty for other entries.
                h.device_major().ok().flatten().unwrap_or(0),
                h.device_minor().ok().flatten().unwrap_or(0),
            ),
            xattrs,
            content,
        };
        out.insert(name, facts);
    }
    for (name, target) in links {
        let facts = out[&target].clone();
        out.insert(name, facts);
    }
    out
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The manifest, the config and the uncompressed layer of the one image in `layout`.
fn oci_image(layout: &Path) -> (serde_json::Value, serde_json::Value, Vec<u8>) {
    let blob = |d: &serde_json::Value| {
        let d = d.as_str().unwrap();
        std::fs::read(layout.join("blobs/sha256").join(&d[7..])).unwrap()
    };
    let index = read_json(&layout.join("index.json"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&blob(&index["manifests"][0]["digest"])).unwrap();
    let config: serde_json::Value =
        serde_json::from_slice(&blob(&manifest["config"]["digest"])).unwrap();
    let mut layer = Vec::new();
    flate2::read::GzDecoder::new(&blob(&manifest["layers"][0]["digest"])[..])
        .read_to_end(&mut layer)
        .unwrap();
    (manifest, config, layer)
}

/// The config without what holds the layer's diff ID (skopeo's varies from run to run).
fn without_diff_id(mut config: serde_json::Value) -> serde_json::Value {
    config["rootfs"]["diff_ids"] = serde_json::Value::Null;
    config["history"][0]["created_by"] = serde_json::Value::Null;
    config
}

fn tools_present() -> bool {
    [
        "mksquashfs",
        "setfattr",
        "python3",
        "fakeroot",
        "unsquashfs",
    ]
    .iter()
    .all(|t| require_tool(t))
}

const DEFFILE: &[u8] = b"Bootstrap: docker\nFrom: debian\n\n%environment\n    export A=1\n    # a comment\n\n%runscript\n    echo hi \"$@\"\n\n%labels\n    k v\n";

#[test]
fn sif_copies_match_skopeo() {
    if !tools_present() {
        return;
    }
    let Some(_) = skopeo() else { return };
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    make_rootfs(&root);
    for (comp, deffile) in [
        ("gzip", Some(DEFFILE)),
        ("xz", None),
        ("zstd", Some(&b"%labels\n a b\n"[..])),
    ] {
        let sqfs = t.path().join(format!("{comp}.sqfs"));
        ok(Command::new("mksquashfs").arg(&root).arg(&sqfs).args([
            "-noappend",
            "-quiet",
            "-no-progress",
            "-comp",
            comp,
        ]));
        let sif = t.path().join(format!("{comp}.sif"));
        write_sif(&sif, &std::fs::read(&sqfs).unwrap(), deffile, 1_600_000_001);
        let name = format!("sif:{}", sif.display());

        let mut images = Vec::new();
        for tool in ["skiff", "skopeo"] {
            let layout = t.path().join(format!("{comp}-{tool}"));
            let mut cmd = if tool == "skiff" {
                skiff()
            } else {
                skopeo().unwrap()
            };
            ok(cmd.args(["copy", "-q", &name, &format!("oci:{}:v1", layout.display())]));
            images.push(oci_image(&layout));
        }
        let (ours, theirs) = (&images[0], &images[1]);
        assert_eq!(
            ours.0["layers"][0]["mediaType"],
            theirs.0["layers"][0]["mediaType"]
        );
        assert_eq!(ours.0["mediaType"], theirs.0["mediaType"]);
        assert_eq!(
            without_diff_id(ours.1.clone()),
            without_diff_id(theirs.1.clone()),
            "{comp}"
        );
        let (a, b) = (tar_entries(&ours.2), tar_entries(&theirs.2));
        assert_eq!(
            a.keys().collect::<Vec<_>>(),
            b.keys().collect::<Vec<_>>(),
            "{comp}: entry names"
        );
        for (name, facts) in &a {
            assert_eq!(facts, &b[name], "{comp}: {name}");
        }
        assert!(a.contains_key("./dev-null") && !a.contains_key("./sock"));
        assert_eq!(
            a.contains_key("./podman/runscript"),
            deffile == Some(DEFFILE)
        );
        // skiff's own diff ID is the digest of the tar it wrote, and the same every time.
        let diff_id = ours.1["rootfs"]["diff_ids"][0]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(diff_id, crate::support::fixtures::sha256(&ours.2));
        let again = t.path().join(format!("{comp}-again"));
        ok(skiff().args(["copy", "-q", &name, &format!("dir:{}", again.display())]));
        let manifest = read_json(&again.join("manifest.json"));
        assert_eq!(manifest["layers"][0]["digest"], diff_id);
    }
}

#[test]
fn sif_bad_files_fail_in_one_line_and_write_nothing() {
    if !tools_present() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/hello"), b"hello\n").unwrap();
    let sqfs = t.path().join("r.sqfs");
    ok(Command::new("mksquashfs").arg(&root).arg(&sqfs).args([
        "-noappend",
        "-quiet",
        "-no-progress",
    ]));
    let good = t.path().join("good.sif");
    write_sif(&good, &std::fs::read(&sqfs).unwrap(), None, 1_600_000_001);
    let bytes = std::fs::read(&good).unwrap();
    let write = |name: &str, b: &[u8]| {
        let p = t.path().join(name);
        std::fs::write(&p, b).unwrap();
        p.display().to_string()
    };
    let text = write("text.sif", &[b'x'; 300]);
    let header_only = write("header.sif", &bytes[..200]);
    let cut = write("cut.sif", &bytes[..bytes.len() - 100]);
    let mut damaged = bytes.clone();
    let at = damaged.windows(4).position(|w| w == b"hsqs").unwrap();
    damaged[at..at + 4].copy_from_slice(b"xxxx");
    let damaged = write("damaged.sif", &damaged);
    let missing = t.path().join("missing.sif").display().to_string();

    let cases = [
        (
            missing.clone(),
            format!("loading SIF file: open {missing}: no such file or directory"),
            true,
        ),
        (
            text,
            "loading SIF file: invalid SIF magic".to_string(),
            true,
        ),
        (
            header_only,
            "loading SIF file: reading descriptors: EOF".to_string(),
            true,
        ),
        (
            cut,
            "converting rootfs from SquashFS to Tarball: EOF".to_string(),
            true,
        ),
        // skopeo reports unsquashfs's own output here.
        (
            damaged,
            "converting rootfs from SquashFS to Tarball: squashfs: can't find a valid superblock"
                .to_string(),
            false,
        ),
    ];
    for (file, why, skopeo_agrees) in cases {
        let name = format!("sif:{file}");
        let want = format!("initializing source {name}: {why}");
        let dest = t.path().join("out");
        let (code, err) =
            fails(skiff().args(["copy", &name, &format!("oci:{}:v1", dest.display())]));
        assert_eq!(code, 1, "{file}");
        assert_eq!(
            err.lines().filter(|l| !l.trim().is_empty()).count(),
            1,
            "{err}"
        );
        assert_eq!(fatal_message(&err), want);
        assert!(!dest.exists(), "{file}: something was written");
        if let (true, Some(mut s)) = (skopeo_agrees, skopeo()) {
            let sdest = t.path().join("skopeo-out");
            let (_, serr) = fails(s.args(["copy", &name, &format!("oci:{}:v1", sdest.display())]));
            assert_eq!(fatal_message(&serr), want, "skopeo says otherwise");
        }
    }
}
