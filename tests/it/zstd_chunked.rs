//! `--dest-compress-format zstd:chunked`: skiff's layers checked on their own (zstd stream,
//! skippable TOC and tar-split frames, footer, annotations, per-file frames), in c/storage
//! HEAD's layout; the TOC entries against skopeo 1.9.3's for the same input (1.9.3 writes the
//! older layout: its differences are mapped, compressed bytes and so offsets differ); the
//! tar-split against the one c/storage itself records for the same layer; to `oci:` and to a
//! real registry, and read back by skopeo to the original tar.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::support::fixtures::{self, ImageSpec, layer_tar, noise, sha256};
use crate::support::oracle;
use crate::support::registry::Registry;
use crate::support::{assert_same_tree, fails, ok, skiff, skopeo};

const CHECKSUM: &str = "io.github.containers.zstd-chunked.manifest-checksum";
const POSITION: &str = "io.github.containers.zstd-chunked.manifest-position";
const TARSPLIT_POSITION: &str = "io.github.containers.zstd-chunked.tarsplit-position";
/// skopeo 1.9.3's (c/storage 1.43) name for the TOC position.
const OLD_POSITION: &str = "io.containers.zstd-chunked.manifest-position";
const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
const SKIPPABLE_MAGIC: [u8; 4] = [0x50, 0x2a, 0x4d, 0x18];

/// A layer with every kind of member: directories, files (one owned by a user, one with an
/// xattr, an empty one, a 6 MiB one with a run of zeros, a compressible one), a symlink, a
/// hard link, a device, a long name; padded to a 10 KiB record as GNU tar pads.
fn rich_tar() -> Vec<u8> {
    use tar::EntryType as T;
    let mut b = tar::Builder::new(Vec::new());
    let add = |b: &mut tar::Builder<Vec<u8>>,
               kind: T,
               name: &str,
               data: &[u8],
               f: &dyn Fn(&mut tar::Header)| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(if kind == T::Directory { 0o755 } else { 0o644 });
        h.set_mtime(1_600_000_000);
        h.set_size(data.len() as u64);
        f(&mut h);
        b.append_data(&mut h, name, data).unwrap();
    };
    let none = &|_: &mut tar::Header| {};
    let mut big = noise(6 << 20, 41);
    big[3 << 20..(3 << 20) + (64 << 10)].fill(0);
    let text: Vec<u8> = b"all work and no play\n".repeat(50_000);
    add(&mut b, T::Directory, "etc/", b"", none);
    add(&mut b, T::Regular, "etc/hostname", b"box\n", &|h| {
        h.set_uid(1000);
        h.set_gid(100);
        h.set_mode(0o600);
    });
    add(&mut b, T::Regular, "etc/empty", b"", none);
    add(&mut b, T::Directory, "usr/bin/", b"", none);
    add(&mut b, T::Regular, "usr/bin/tool", &big, &|h| {
        h.set_mode(0o755)
    });
    add(&mut b, T::Symlink, "usr/bin/link", b"", &|h| {
        h.set_link_name("tool").unwrap()
    });
    add(&mut b, T::Link, "usr/bin/hard", b"", &|h| {
        h.set_link_name("usr/bin/tool").unwrap()
    });
    add(&mut b, T::Regular, "usr/share/text", &text, none);
    add(&mut b, T::Char, "dev/null", b"", &|h| {
        h.set_device_major(1).unwrap();
        h.set_device_minor(3).unwrap();
    });
    let long = format!("usr/share/{}/file", "d".repeat(120));
    add(&mut b, T::Regular, &long, b"deep\n", none);
    b.append_pax_extensions([("SCHILY.xattr.user.comment", &b"hi there"[..])])
        .unwrap();
    add(&mut b, T::Regular, "etc/xattr", b"x\n", none);
    let mut tar = b.into_inner().unwrap();
    tar.resize(tar.len().next_multiple_of(10240), 0);
    tar
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

fn zstd_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    skiff::compression::decompress(
        skiff::compression::Algorithm::Zstd,
        &mut &bytes[..],
        &mut out,
    )
    .unwrap();
    out
}

struct Layout {
    manifest: Value,
    dir: std::path::PathBuf,
}

impl Layout {
    fn open(dir: &Path) -> Layout {
        let index = json(&std::fs::read(dir.join("index.json")).unwrap());
        let digest = index["manifests"][0]["digest"].as_str().unwrap();
        let manifest = json(&Layout::read(dir, digest));
        Layout {
            manifest,
            dir: dir.to_path_buf(),
        }
    }

    fn read(dir: &Path, digest: &str) -> Vec<u8> {
        std::fs::read(dir.join("blobs/sha256").join(&digest["sha256:".len()..])).unwrap()
    }

    fn layer(&self, i: usize) -> (&Value, Vec<u8>) {
        let d = &self.manifest["layers"][i];
        (d, Layout::read(&self.dir, d["digest"].as_str().unwrap()))
    }

    fn config(&self) -> Value {
        json(&Layout::read(
            &self.dir,
            self.manifest["config"]["digest"].as_str().unwrap(),
        ))
    }
}

/// A zstd:chunked layer taken apart: its TOC and its tar-split's JSON lines.
struct Chunked {
    toc: Value,
    tar_split: Vec<u8>,
}

/// The `offset:length:uncompressed length[:type]` fields of a position annotation.
fn position(annotations: &serde_json::Map<String, Value>, key: &str) -> Vec<u64> {
    annotations[key]
        .as_str()
        .unwrap()
        .split(':')
        .map(|n| n.parse().unwrap())
        .collect()
}

/// Checks a zstd:chunked layer against its descriptor and the tar it was made from (c/storage
/// HEAD's layout, from its compressor's documentation).
fn check_layer(desc: &Value, blob: &[u8], tar: &[u8]) -> Chunked {
    assert_eq!(desc["mediaType"], OCI_LAYER_ZSTD);
    assert_eq!(desc["size"].as_u64().unwrap() as usize, blob.len());
    assert!(blob.starts_with(&ZSTD_MAGIC), "a zstd stream");
    assert!(zstd_decode(blob) == tar, "decompresses to the original tar");

    // The footer: a skippable frame of 64 bytes, seven u64 and the magic.
    let footer = &blob[blob.len() - 72..];
    assert_eq!(&footer[..4], &SKIPPABLE_MAGIC);
    assert_eq!(&footer[4..8], &64u32.to_le_bytes());
    assert_eq!(&footer[64..], b"GnUlInUx");
    let field = |i: usize| u64::from_le_bytes(footer[8 + 8 * i..16 + 8 * i].try_into().unwrap());
    let annotations = desc["annotations"].as_object().expect("annotations");
    assert_eq!(
        position(annotations, POSITION),
        [field(0), field(1), field(2), field(3)]
    );
    assert_eq!(field(3), 1, "TOC type");
    assert_eq!(
        position(annotations, TARSPLIT_POSITION),
        [field(4), field(5), field(6)]
    );
    // Each in its own skippable frame: the TOC, then the tar-split, then the footer.
    let frame = |offset: u64, length: u64| {
        let (start, end) = (offset as usize, (offset + length) as usize);
        assert_eq!(&blob[start - 8..start - 4], &SKIPPABLE_MAGIC);
        assert_eq!(&blob[start - 4..start], &(length as u32).to_le_bytes());
        (start, end)
    };
    let (toc_start, toc_end) = frame(field(0), field(1));
    let (ts_start, ts_end) = frame(field(4), field(5));
    assert_eq!(toc_end + 8, ts_start);
    assert_eq!(ts_end + 72, blob.len());
    assert_eq!(annotations[CHECKSUM], sha256(&blob[toc_start..toc_end]));
    let toc_json = zstd_decode(&blob[toc_start..toc_end]);
    assert_eq!(toc_json.len() as u64, field(2));
    let toc = json(&toc_json);
    assert_eq!(toc["tarSplitDigest"], sha256(&blob[ts_start..ts_end]));
    let tar_split = zstd_decode(&blob[ts_start..ts_end]);
    assert_eq!(tar_split.len() as u64, field(6));
    check_frames(&toc, blob, tar);
    Chunked { toc, tar_split }
}

/// Every regular file's content (and each chunk of it) decompresses alone from the frames
/// its entry points at.
fn check_frames(toc: &Value, blob: &[u8], tar: &[u8]) {
    let mut files = BTreeMap::new();
    let mut archive = tar::Archive::new(tar);
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let name = String::from_utf8(e.path_bytes().into_owned()).unwrap();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        files.insert(name, data);
    }
    let entries = toc["entries"].as_array().unwrap();
    for (i, e) in entries.iter().enumerate() {
        if e["type"] != "reg" || e.get("digest").is_none() {
            continue;
        }
        let name = e["name"].as_str().unwrap();
        let content = &files[name];
        assert_eq!(e["digest"], sha256(content), "{name}");
        let (from, to) = (
            e["offset"].as_u64().unwrap() as usize,
            e["endOffset"].as_u64().unwrap() as usize,
        );
        assert!(
            zstd_decode(&blob[from..to]) == *content,
            "{name}: own frames"
        );
        // Chunks: the file's entry describes the first, "chunk" entries the others.
        let chunks: Vec<&Value> = std::iter::once(e)
            .chain(entries[i + 1..].iter().take_while(|c| c["type"] == "chunk"))
            .collect();
        if chunks.len() == 1 {
            continue;
        }
        for (k, c) in chunks.iter().enumerate() {
            let at = c["chunkOffset"].as_u64().unwrap_or(0) as usize;
            let size = c["chunkSize"].as_u64().unwrap() as usize;
            let start = c["offset"].as_u64().unwrap() as usize;
            let stop = chunks
                .get(k + 1)
                .map_or(to, |n| n["offset"].as_u64().unwrap() as usize);
            let data = zstd_decode(&blob[start..stop]);
            assert!(data == content[at..at + size], "{name}: chunk {k}");
            assert_eq!(c["chunkDigest"], sha256(&data));
        }
    }
}

/// The TOC entries without the compressed positions (which depend on the compressor), keys
/// in their order. Unset times, which skopeo 1.9.3 wrote as Go's zero time and HEAD leaves
/// out, are left out.
fn comparable(toc: &Value) -> Vec<Vec<(String, Value)>> {
    toc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e.as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| *k != "offset" && *k != "endOffset")
                .filter(|(_, v)| *v != "0001-01-01T00:00:00Z")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .collect()
}

fn source(t: &Path) -> (String, Vec<Vec<u8>>) {
    let src = t.join("src");
    let mut spec = ImageSpec::small(40);
    spec.layers = vec![rich_tar(), layer_tar(&[("hello.txt", b"hello\n")])];
    fixtures::write_oci(&src, "v1", &spec);
    (format!("oci:{}:v1", src.display()), spec.layers)
}

fn copy(tool: &mut std::process::Command, args: &[&str], src: &str, dest: &str) {
    ok(tool
        .args(["--insecure-policy", "copy", "-q"])
        .args(args)
        .args([src, dest]));
}

const CHUNKED: [&str; 2] = ["--dest-compress-format", "zstd:chunked"];

/// The checks shared by every destination: each layer on its own, the config's diff IDs.
fn check_layout(layout: &Layout, tars: &[Vec<u8>]) -> Vec<Chunked> {
    let tocs: Vec<Chunked> = tars
        .iter()
        .enumerate()
        .map(|(i, tar)| {
            let (desc, blob) = layout.layer(i);
            check_layer(desc, &blob, tar)
        })
        .collect();
    let diff_ids: Vec<String> = tars.iter().map(|t| sha256(t)).collect();
    assert_eq!(
        layout.config()["rootfs"]["diff_ids"],
        serde_json::json!(diff_ids)
    );
    tocs
}

/// Copies back with `--dest-decompress` into `dir:`; the layers are the original tars.
fn check_round_trip(
    tool: &mut std::process::Command,
    args: &[&str],
    src: &str,
    out: &Path,
    tars: &[Vec<u8>],
) {
    let args = [&["--dest-decompress"][..], args].concat();
    copy(tool, &args, src, &format!("dir:{}", out.display()));
    let m = json(&std::fs::read(out.join("manifest.json")).unwrap());
    for (l, tar) in m["layers"].as_array().unwrap().iter().zip(tars) {
        let d = l["digest"].as_str().unwrap();
        let bytes = std::fs::read(out.join(&d["sha256:".len()..])).unwrap();
        assert!(bytes == *tar, "the layer decompresses to the original tar");
    }
}

#[test]
fn oci_layers_match_skopeos_toc_and_read_back_as_the_original_tars() {
    let t = tempfile::tempdir().unwrap();
    let (src, tars) = source(t.path());
    let ours = t.path().join("ours");
    copy(
        &mut skiff(),
        &CHUNKED,
        &src,
        &format!("oci:{}:t", ours.display()),
    );
    let layout = Layout::open(&ours);
    let layers = check_layout(&layout, &tars);
    let big = layers[0].toc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "usr/bin/tool")
        .count();
    assert!(big > 10, "the big file is chunked ({big})");
    assert!(
        layers[0].toc["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["chunkType"] == "zeros"),
        "the run of zeros is a chunk of its own"
    );
    // Copying the layout on unchanged keeps the layers and their annotations.
    let again = t.path().join("again");
    let ours_name = format!("oci:{}:t", ours.display());
    copy(
        &mut skiff(),
        &[],
        &ours_name,
        &format!("oci:{}:t", again.display()),
    );
    assert_eq!(Layout::open(&again).manifest, layout.manifest);

    let Some(mut s) = skopeo() else { return };
    let theirs = t.path().join("theirs");
    copy(
        &mut s,
        &CHUNKED,
        &src,
        &format!("oci:{}:t", theirs.display()),
    );
    let their_layout = Layout::open(&theirs);
    assert_eq!(layout.manifest["config"], their_layout.manifest["config"]);
    for (i, ours) in layers.iter().enumerate() {
        let (theirs_desc, their_blob) = their_layout.layer(i);
        let (ours_desc, _) = layout.layer(i);
        assert_eq!(ours_desc["mediaType"], theirs_desc["mediaType"]);
        let keys = |d: &Value| -> Vec<String> {
            d["annotations"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        // 1.9.3's `io.containers.` names are `io.github.containers.` at HEAD, which adds the
        // tar-split's position.
        let mut expected: Vec<String> = keys(theirs_desc)
            .iter()
            .map(|k| k.replace("io.containers.", "io.github.containers."))
            .chain([TARSPLIT_POSITION.to_string()])
            .collect();
        expected.sort();
        assert_eq!(keys(ours_desc), expected, "layer {i}: annotations");
        let start = position(
            theirs_desc["annotations"].as_object().unwrap(),
            OLD_POSITION,
        );
        let their_toc = json(&zstd_decode(
            &their_blob[start[0] as usize..(start[0] + start[1]) as usize],
        ));
        assert_eq!(ours.toc["version"], their_toc["version"]);
        assert_eq!(
            comparable(&ours.toc),
            comparable(&their_toc),
            "layer {i}: TOC entries"
        );
    }
    // The tar-split is the one c/storage records for the same layer when it stores it.
    let store = crate::storage::Store::new("vfs");
    ok(store.skopeo().args([
        "copy",
        "-q",
        &src,
        "containers-storage:localhost/chunked:v1",
    ]));
    for (i, tar) in tars.iter().enumerate() {
        let stored = store
            .layers()
            .into_iter()
            .find(|l| l["diff-digest"] == sha256(tar))
            .unwrap_or_else(|| panic!("layer {i} in the store"));
        let gz = std::fs::read(store.graph().join(format!(
            "vfs-layers/{}.tar-split.gz",
            stored["id"].as_str().unwrap()
        )))
        .unwrap();
        let mut theirs = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut theirs)
            .unwrap();
        assert!(
            layers[i].tar_split == theirs,
            "layer {i}: tar-split differs from c/storage's:\n{}\n---\n{}",
            String::from_utf8_lossy(&layers[i].tar_split),
            String::from_utf8_lossy(&theirs)
        );
    }
    // skiff reads the layout skopeo 1.9.3 wrote as skopeo reads it (not to the original tars:
    // 1.9.3 dropped the record padding).
    let their_name = format!("oci:{}:t", theirs.display());
    let (back_ours, back_theirs) = (t.path().join("b-ours"), t.path().join("b-theirs"));
    for (tool, out) in [(skiff(), &back_ours), (skopeo().unwrap(), &back_theirs)] {
        let mut tool = tool;
        let dest = format!("dir:{}", out.display());
        copy(&mut tool, &["--dest-decompress"], &their_name, &dest);
    }
    assert_same_tree(&back_ours, &back_theirs);
    // skopeo reads skiff's layers back to the original tars; so does skiff.
    check_round_trip(
        &mut skopeo().unwrap(),
        &[],
        &ours_name,
        &t.path().join("back-skopeo"),
        &tars,
    );
    check_round_trip(
        &mut skiff(),
        &[],
        &ours_name,
        &t.path().join("back-skiff"),
        &tars,
    );
    // Copied on unchanged, skopeo keeps the annotations too.
    let their_again = t.path().join("their-again");
    copy(
        &mut skopeo().unwrap(),
        &[],
        &ours_name,
        &format!("oci:{}:t", their_again.display()),
    );
    assert_same_tree(&again, &their_again);
}

#[test]
fn registry_layers_carry_their_annotations_both_ways() {
    let Some(reg) = Registry::start() else { return };
    let t = tempfile::tempdir().unwrap();
    let (src, tars) = source(t.path());
    let image = reg.image("chunked/img:v1");
    let no_tls = ["--src-tls-verify=false", "--dest-tls-verify=false"];
    copy(
        &mut skiff(),
        &[&CHUNKED[..], &no_tls].concat(),
        &src,
        &image,
    );
    let raw = ok(skiff().args(["inspect", "--raw", "--tls-verify=false", &image])).stdout;
    // Pulled as it is, the manifest is the pushed one, annotations included.
    let pulled = t.path().join("pulled");
    copy(
        &mut skiff(),
        &no_tls,
        &image,
        &format!("oci:{}:t", pulled.display()),
    );
    let layout = Layout::open(&pulled);
    assert_eq!(layout.manifest, json(&raw));
    check_layout(&layout, &tars);
    let Some(mut s) = skopeo() else { return };
    let theirs = t.path().join("pulled-skopeo");
    copy(
        &mut s,
        &no_tls,
        &image,
        &format!("oci:{}:t", theirs.display()),
    );
    assert_same_tree(&pulled, &theirs);
    check_round_trip(
        &mut skopeo().unwrap(),
        &no_tls,
        &image,
        &t.path().join("back"),
        &tars,
    );
}

/// `copy -q ARGS` fails the same way with both (digests in quotes ignored when `fuzzy_digests`:
/// they name layers compressed differently), skiff leaving nothing at `dest`.
fn same_failure(args: &[&str], fuzzy_digests: bool, dest: &Path) -> String {
    let args = [&["--insecure-policy", "copy", "-q"][..], args].concat();
    oracle::same_failure_checked(&args, fuzzy_digests, |err| {
        assert!(!dest.exists(), "skiff left {}", dest.display());
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    })
    .message
}

#[test]
fn docker_formats_and_bad_input_are_refused_like_skopeo() {
    let t = tempfile::tempdir().unwrap();
    let (src, _) = source(t.path());
    let chunked = t.path().join("chunked");
    copy(
        &mut skiff(),
        &CHUNKED,
        &src,
        &format!("oci:{}:t", chunked.display()),
    );
    let chunked = format!("oci:{}:t", chunked.display());
    let out = |n: &str| format!("dir:{}", t.path().join(n).display());

    // A Docker manifest cannot describe zstd layers, chunked or not.
    let m = same_failure(
        &["--format", "v2s2", &chunked, &out("a")],
        false,
        &t.path().join("a"),
    );
    assert!(
        m.ends_with("zstd compression is not supported for docker images"),
        "{m}"
    );
    let mut docker = ImageSpec::small(42);
    docker.docker = true;
    let docker_dir = t.path().join("docker");
    fixtures::write_dir(&docker_dir, &docker);
    let docker_name = format!("dir:{}", docker_dir.display());
    let m = same_failure(
        &[
            "--dest-compress",
            "--dest-compress-format",
            "zstd:chunked",
            &docker_name,
            &out("b"),
        ],
        true,
        &t.path().join("b"),
    );
    assert!(
        m.contains("zstd compression is not supported for type"),
        "{m}"
    );

    // docker-archive is a Docker format too: refused as for zstd, no archive left.
    let archive = t.path().join("img.tar");
    let m = same_failure(
        &[&chunked, &format!("docker-archive:{}", archive.display())],
        false,
        &archive,
    );
    assert!(
        m.ends_with("zstd compression is not supported for docker images"),
        "{m}"
    );

    // A layer that is not a tar cannot be described: Go's tar error, nothing written.
    let art = t.path().join("notar");
    let mut spec = ImageSpec::small(43);
    spec.layers = vec![b"this is not a tar archive at all".repeat(40)];
    fixtures::write_oci(&art, "v1", &spec);
    let dest = t.path().join("notar-out");
    let m = same_failure(
        &[
            "--dest-compress-format",
            "zstd:chunked",
            &format!("oci:{}:v1", art.display()),
            &format!("oci:{}:t", dest.display()),
        ],
        false,
        &dest,
    );
    assert_eq!(
        m,
        "writing blob: happened during read: archive/tar: invalid tar header"
    );

    // A level that is not a number: one line, before anything is read.
    let (code, err) = fails(skiff().args([
        "--insecure-policy",
        "copy",
        "--dest-compress-format",
        "zstd:chunked",
        "--dest-compress-level",
        "high",
        &src,
        &out("c"),
    ]));
    assert_eq!((code, err.trim_end().lines().count()), (1, 1), "{err}");
    assert!(err.contains("--dest-compress-level"), "{err}");
}
