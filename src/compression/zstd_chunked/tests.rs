use super::*;

use crate::compression::noise;
use serde_json::Value;

/// A tar holding one member of every kind the TOC knows, with PAX extras.
fn sample_tar(big: &[u8]) -> Vec<u8> {
    let mut b = ::tar::Builder::new(Vec::new());
    let add = |b: &mut ::tar::Builder<Vec<u8>>,
               kind: ::tar::EntryType,
               name: &str,
               link: Option<&str>,
               data: &[u8]| {
        let mut h = ::tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(if kind == ::tar::EntryType::Directory {
            0o755
        } else {
            0o644
        });
        h.set_uid(if name == "etc/owned" { 1000 } else { 0 });
        h.set_gid(if name == "etc/owned" { 100 } else { 0 });
        h.set_mtime(1_600_000_000);
        h.set_size(data.len() as u64);
        if let Some(l) = link {
            h.set_link_name(l).unwrap();
        }
        if kind == ::tar::EntryType::Char {
            h.set_device_major(1).unwrap();
            h.set_device_minor(3).unwrap();
        }
        b.append_data(&mut h, name, data).unwrap();
    };
    use ::tar::EntryType as T;
    add(&mut b, T::Directory, "etc/", None, b"");
    add(&mut b, T::Regular, "etc/owned", None, b"root:x:0:0\n");
    add(&mut b, T::Regular, "etc/empty", None, b"");
    add(&mut b, T::Symlink, "etc/link", Some("owned"), b"");
    add(&mut b, T::Link, "etc/hard", Some("etc/owned"), b"");
    add(&mut b, T::Char, "dev/null", None, b"");
    add(&mut b, T::Fifo, "run/fifo", None, b"");
    add(&mut b, T::Regular, "big.bin", None, big);
    b.append_pax_extensions([
        ("SCHILY.xattr.user.k", &b"v\x01"[..]),
        ("mtime", b"1600000000.5"),
    ])
    .unwrap();
    add(&mut b, T::Regular, "x", None, b"xattr'd");
    b.into_inner().unwrap()
}

struct Written {
    layer: Vec<u8>,
    annotations: BTreeMap<String, String>,
    toc: Value,
}

fn write(tar: &[u8], level: i32) -> Written {
    let mut layer = Vec::new();
    let annotations = compress(level, &mut &tar[..], &mut layer).unwrap();
    let footer = Footer::parse(&layer).expect("a footer");
    let start = footer.toc.offset as usize;
    let compressed = &layer[start..start + footer.toc.length as usize];
    let json = zstd::decode_all(compressed).unwrap();
    assert_eq!(json.len() as u64, footer.toc.uncompressed_length);
    Written {
        toc: serde_json::from_slice(&json).unwrap(),
        annotations,
        layer,
    }
}

fn decompressed(layer: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    crate::compression::decompress(
        crate::compression::Algorithm::ZstdChunked,
        &mut &layer[..],
        &mut out,
    )
    .unwrap();
    out
}

#[test]
fn footer_round_trips_and_rejects_other_tails() {
    let extent = |offset, length, uncompressed_length| Extent {
        offset,
        length,
        uncompressed_length,
    };
    let f = Footer {
        toc: extent(5_002_521, 5317, 19_326),
        toc_type: 1,
        tar_split: Some(extent(5_007_846, 777, 4096)),
    };
    let bytes = f.to_bytes();
    // c/storage HEAD's layout: a skippable frame of 64 bytes, seven u64 and the magic.
    assert_eq!(&bytes[..8], &[0x50, 0x2a, 0x4d, 0x18, 64, 0, 0, 0]);
    assert_eq!(&bytes[64..], b"GnUlInUx");
    assert_eq!(Footer::parse(&[&b"prefix"[..], &bytes].concat()), Some(f));
    assert_eq!(f.position(), "5002521:5317:19326:1");
    assert_eq!(f.tar_split_position().unwrap(), "5007846:777:4096");
    assert_eq!(Footer::parse(&bytes[1..]), None);
    let mut bad = bytes;
    bad[FOOTER_LEN - 1] = b'y';
    assert_eq!(Footer::parse(&bad), None);

    // What skopeo 1.9.3 wrote for a TOC is still read: no tar-split.
    let legacy = hex::decode(
        "502a4d182800000019554c0000000000c5140000000000007e4b00000000000001000000000000\
         00476e556c496e5578",
    )
    .unwrap();
    let old = Footer::parse(&legacy).expect("1.9.3's footer");
    assert_eq!(old.position(), "5002521:5317:19326:1");
    assert_eq!((old.tar_split, old.tar_split_position()), (None, None));
}

#[test]
fn tar_split_frame_rebuilds_the_tar_and_is_digested_in_the_toc() {
    let big = noise(600_000);
    let mut tar = sample_tar(&big);
    tar.extend_from_slice(b"trailing bytes after the archive");
    let w = write(&tar, 3);
    let footer = Footer::parse(&w.layer).unwrap();
    let ts = footer.tar_split.expect("a tar-split");
    assert_eq!(
        w.annotations[TARSPLIT_POSITION_ANNOTATION],
        footer.tar_split_position().unwrap()
    );
    let start = ts.offset as usize;
    let compressed = &w.layer[start..start + ts.length as usize];
    assert_eq!(
        &w.layer[start - 8..start],
        [
            &SKIPPABLE_MAGIC.to_le_bytes()[..],
            &(ts.length as u32).to_le_bytes()
        ]
        .concat()
    );
    assert_eq!(start + compressed.len() + FOOTER_LEN, w.layer.len());
    assert_eq!(
        w.toc["tarSplitDigest"],
        crate::digest::Digest::sha256_of(compressed).to_string()
    );
    let lines = zstd::decode_all(compressed).unwrap();
    assert_eq!(lines.len() as u64, ts.uncompressed_length);
    // Replaying the segments with each file's content gives back the exact input.
    let mut contents = std::collections::HashMap::new();
    let mut archive = ::tar::Archive::new(&tar[..]);
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let mut c = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut c).unwrap();
        contents.insert(e.path_bytes().into_owned(), c);
    }
    let mut u = crate::go::tarsplit::Unpacker::new(&lines[..]);
    let mut rebuilt = Vec::new();
    while let Some(e) = u.next_entry().unwrap() {
        match e {
            crate::go::tarsplit::Entry::Segment(s) => rebuilt.extend(s),
            crate::go::tarsplit::Entry::File { name, .. } => {
                rebuilt.extend_from_slice(&contents[&name]);
            }
        }
    }
    assert!(rebuilt == tar, "the tar-split rebuilds the layer");
}

#[test]
fn layer_is_zstd_of_the_tar_with_annotations_pointing_at_the_toc() {
    let tar = sample_tar(&noise(600_000));
    let w = write(&tar, 3);
    assert!(w.layer.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]));
    assert!(decompressed(&w.layer) == tar, "decompresses to the tar");
    let footer = Footer::parse(&w.layer).unwrap();
    assert_eq!(w.annotations[POSITION_ANNOTATION], footer.position());
    let start = footer.toc.offset as usize;
    let toc_bytes = &w.layer[start..start + footer.toc.length as usize];
    assert_eq!(
        w.annotations[CHECKSUM_ANNOTATION],
        crate::digest::Digest::sha256_of(toc_bytes).to_string()
    );
    // The TOC sits in a skippable frame right before the tar-split's.
    assert_eq!(
        &w.layer[start - 8..start - 4],
        &SKIPPABLE_MAGIC.to_le_bytes()
    );
    let ts = footer.tar_split.unwrap();
    assert_eq!(start + toc_bytes.len() + 8, ts.offset as usize);
    assert_eq!(w.toc["version"], 1);
}

fn entry<'a>(toc: &'a Value, name: &str) -> &'a Value {
    toc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name && e["type"] != "chunk")
        .unwrap_or_else(|| panic!("no entry {name}"))
}

#[test]
fn toc_entries_for_each_member_type() {
    let big = noise(600_000);
    let tar = sample_tar(&big);
    let w = write(&tar, 3);
    let toc = &w.toc;
    let keys = |e: &Value| -> Vec<String> { e.as_object().unwrap().keys().cloned().collect() };

    let dir = entry(toc, "etc/");
    assert_eq!(dir["type"], "dir");
    assert_eq!(dir["mode"], 0o755);
    assert_eq!(keys(dir), ["type", "name", "mode", "modtime"]);

    let owned = entry(toc, "etc/owned");
    assert_eq!(owned["type"], "reg");
    assert_eq!((&owned["uid"], &owned["gid"]), (&1000.into(), &100.into()));
    assert_eq!(owned["size"], 11);
    assert_eq!(
        owned["digest"],
        crate::digest::Digest::sha256_of(b"root:x:0:0\n").to_string()
    );
    // Its content is one frame of its own, which decompresses to exactly the file.
    let (start, end) = (
        owned["offset"].as_u64().unwrap() as usize,
        owned["endOffset"].as_u64().unwrap() as usize,
    );
    assert_eq!(
        zstd::decode_all(&w.layer[start..end]).unwrap(),
        b"root:x:0:0\n"
    );
    assert!(
        owned.get("chunkSize").is_none(),
        "one chunk: no chunk fields"
    );

    let empty = entry(toc, "etc/empty");
    assert!(empty.get("offset").is_none() && empty.get("digest").is_none());
    assert!(empty.get("size").is_none());

    let link = entry(toc, "etc/link");
    assert_eq!(
        (&link["type"], &link["linkName"]),
        (&"symlink".into(), &"owned".into())
    );
    let hard = entry(toc, "etc/hard");
    assert_eq!(
        (&hard["type"], &hard["linkName"]),
        (&"hardlink".into(), &"etc/owned".into())
    );
    let null = entry(toc, "dev/null");
    assert_eq!(
        (&null["type"], &null["devMajor"], &null["devMinor"]),
        (&"char".into(), &1.into(), &3.into())
    );
    assert_eq!(entry(toc, "run/fifo")["type"], "fifo");

    let x = entry(toc, "x");
    assert_eq!(x["xattrs"]["user.k"], "dgE=", "values are base64");
    assert!(x["modtime"].as_str().unwrap().contains(":40.5"));
}

#[test]
fn a_big_file_is_cut_into_chunks_each_in_its_frames() {
    let big = noise(600_000);
    let w = write(&sample_tar(&big), 3);
    let parts: Vec<&Value> = w.toc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "big.bin")
        .collect();
    assert!(parts.len() > 2, "{}", parts.len());
    assert_eq!(parts[0]["type"], "reg");
    assert!(parts[1..].iter().all(|e| e["type"] == "chunk"));
    let end = parts[0]["endOffset"].as_u64().unwrap();
    let mut pos = 0u64;
    for (i, p) in parts.iter().enumerate() {
        let size = p["chunkSize"].as_u64().unwrap();
        assert_eq!(p["chunkOffset"].as_u64().unwrap_or(0), pos);
        let from = p["offset"].as_u64().unwrap() as usize;
        let to = parts
            .get(i + 1)
            .map_or(end, |n| n["offset"].as_u64().unwrap()) as usize;
        let data = zstd::decode_all(&w.layer[from..to]).unwrap();
        assert!(data == big[pos as usize..(pos + size) as usize]);
        assert_eq!(
            p["chunkDigest"],
            crate::digest::Digest::sha256_of(&data).to_string()
        );
        pos += size;
    }
    assert_eq!(pos, big.len() as u64);
}

#[test]
fn trailing_bytes_after_the_end_marker_are_kept() {
    let mut tar = sample_tar(b"abc");
    tar.extend_from_slice(&[0; 8192]);
    tar.extend_from_slice(b"junk after the archive");
    assert!(decompressed(&write(&tar, 1).layer) == tar);
    // An archive without an end marker is read as complete.
    let tar = sample_tar(b"abc");
    let cut = &tar[..tar.len() - 1024];
    assert!(decompressed(&write(cut, 19).layer) == cut);
}

fn fails(tar: &[u8]) -> String {
    compress(3, &mut &tar[..], &mut Vec::new())
        .unwrap_err()
        .to_string()
}

#[test]
fn bad_archives_are_refused_with_go_s_words() {
    assert_eq!(
        fails(&[b'x'; 2048]),
        "archive/tar: invalid tar header",
        "not a tar"
    );
    let tar = sample_tar(&noise(10_000));
    assert_eq!(fails(&tar[..3000]), "unexpected EOF");
    let mut b = ::tar::Builder::new(Vec::new());
    let mut h = ::tar::Header::new_ustar();
    h.set_entry_type(::tar::EntryType::Continuous);
    h.set_size(0);
    b.append_data(&mut h, "c", &b""[..]).unwrap();
    assert_eq!(fails(&b.into_inner().unwrap()), "unknown tarball type: 55");
}

#[test]
fn names_that_are_not_utf8_are_written_as_go_does() {
    assert_eq!(
        toc::go_string(b"a\xffb\xe2\x82"),
        "a\u{FFFD}b\u{FFFD}\u{FFFD}"
    );
    assert_eq!(toc::go_string("é".as_bytes()), "é");
}
