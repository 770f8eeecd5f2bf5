use super::*;

const PS: usize = 4096;

/// A leaf page's bytes (header, elements, then each key and value).
fn leaf(entries: &[(&[u8], &[u8], bool)]) -> Vec<u8> {
    let mut p = vec![0u8; PAGE_HEADER + entries.len() * ELEMENT];
    p[8..10].copy_from_slice(&LEAF_PAGE.to_le_bytes());
    p[10..12].copy_from_slice(&(entries.len() as u16).to_le_bytes());
    for (i, (k, v, bucket)) in entries.iter().enumerate() {
        let at = PAGE_HEADER + i * ELEMENT;
        let pos = (p.len() - at) as u32;
        let flags = if *bucket { BUCKET_LEAF } else { 0 };
        for (o, w) in [flags, pos, k.len() as u32, v.len() as u32]
            .iter()
            .enumerate()
        {
            p[at + o * 4..at + o * 4 + 4].copy_from_slice(&w.to_le_bytes());
        }
        p.extend_from_slice(k);
        p.extend_from_slice(v);
    }
    p
}

fn branch(children: &[(&[u8], u64)]) -> Vec<u8> {
    let mut p = vec![0u8; PAGE_HEADER + children.len() * ELEMENT];
    p[8..10].copy_from_slice(&BRANCH_PAGE.to_le_bytes());
    p[10..12].copy_from_slice(&(children.len() as u16).to_le_bytes());
    for (i, (k, id)) in children.iter().enumerate() {
        let at = PAGE_HEADER + i * ELEMENT;
        let pos = (p.len() - at) as u32;
        p[at..at + 4].copy_from_slice(&pos.to_le_bytes());
        p[at + 4..at + 8].copy_from_slice(&(k.len() as u32).to_le_bytes());
        p[at + 8..at + 16].copy_from_slice(&id.to_le_bytes());
        p.extend_from_slice(k);
    }
    p
}

fn meta(root: u64, high_water: u64, txid: u64) -> Vec<u8> {
    let mut p = vec![0u8; PS];
    p[8..10].copy_from_slice(&META_PAGE.to_le_bytes());
    let mut m = Vec::new();
    m.extend_from_slice(&MAGIC.to_le_bytes());
    m.extend_from_slice(&VERSION.to_le_bytes());
    m.extend_from_slice(&(PS as u32).to_le_bytes());
    m.extend_from_slice(&0u32.to_le_bytes());
    m.extend_from_slice(&root.to_le_bytes());
    m.extend_from_slice(&0u64.to_le_bytes());
    m.extend_from_slice(&0u64.to_le_bytes()); // freelist
    m.extend_from_slice(&high_water.to_le_bytes());
    m.extend_from_slice(&txid.to_le_bytes());
    let sum = fnv1a64(&m);
    m.extend_from_slice(&sum.to_le_bytes());
    p[PAGE_HEADER..PAGE_HEADER + 64].copy_from_slice(&m);
    p
}

/// A file of pages 2.. (`pages`), with both meta pages pointing at `root`.
fn file(root: u64, pages: &[Vec<u8>]) -> Vec<u8> {
    let high = 2 + pages.len() as u64;
    let mut f = meta(root, high, 4);
    f.extend(meta(root, high, 3));
    for p in pages {
        let mut p = p.clone();
        p.resize(PS, 0);
        f.extend(p);
    }
    f
}

fn bucket_value(root: u64, inline: Option<Vec<u8>>) -> Vec<u8> {
    let mut v = root.to_le_bytes().to_vec();
    v.extend_from_slice(&0u64.to_le_bytes());
    v.extend(inline.unwrap_or_default());
    v
}

/// Top level: bucket `a` (inline: x=1) and bucket `big` (a branch over two leaves).
fn sample() -> Vec<u8> {
    let inline = leaf(&[(b"x", b"1", false)]);
    let keys: Vec<String> = (0..40).map(|i| format!("k{i:02}")).collect();
    let (lo, hi) = keys.split_at(20);
    let entries = |ks: &[String]| -> Vec<u8> {
        let e: Vec<(&[u8], &[u8], bool)> = ks
            .iter()
            .map(|k| (k.as_bytes(), k.as_bytes(), false))
            .collect();
        leaf(&e)
    };
    let root = leaf(&[
        (b"a", &bucket_value(0, Some(inline)), true),
        (b"big", &bucket_value(3, None), true),
        (b"plain", b"v", false),
    ]);
    let big = branch(&[(lo[0].as_bytes(), 4), (hi[0].as_bytes(), 5)]);
    file(2, &[root, big, entries(lo), entries(hi)])
}

#[test]
fn reads_inline_and_branched_buckets() {
    let db = Db::from_bytes(sample()).unwrap();
    let a = db.bucket_path(&[b"a"]).unwrap().unwrap();
    assert_eq!(db.get(&a, b"x").unwrap(), Some(b"1".to_vec()));
    assert_eq!(db.get(&a, b"y").unwrap(), None);
    let big = db.bucket_path(&[b"big"]).unwrap().unwrap();
    // Keys in both leaves, before the first branch key and past the last.
    for k in ["k00", "k07", "k19", "k20", "k33", "k39"] {
        assert_eq!(
            db.get(&big, k.as_bytes()).unwrap(),
            Some(k.as_bytes().to_vec()),
            "{k}"
        );
    }
    assert_eq!(db.get(&big, b"a").unwrap(), None);
    assert_eq!(db.get(&big, b"k40").unwrap(), None);
    let all = db.entries(&big).unwrap();
    assert_eq!(all.len(), 40);
    assert_eq!(all[39].key, b"k39");
    // A value is not a bucket, nor a bucket a value.
    assert!(db.bucket_path(&[b"plain"]).unwrap().is_none());
    assert_eq!(db.get(&db.root_bucket(), b"a").unwrap(), None);
    assert!(db.bucket_path(&[b"missing", b"x"]).unwrap().is_none());
}

#[test]
fn the_newest_whole_meta_page_is_used() {
    let mut f = sample();
    // Meta 0 (txid 4) torn: its checksum no longer matches; meta 1 (txid 3) is used.
    f[PAGE_HEADER + 20] ^= 1;
    let db = Db::from_bytes(f.clone()).unwrap();
    assert!(db.bucket_path(&[b"a"]).unwrap().is_some());
    // Both torn: an error.
    f[PS + PAGE_HEADER + 20] ^= 1;
    assert!(Db::from_bytes(f).is_err());
}

#[test]
fn damaged_files_are_errors_not_panics() {
    // A branch that points at itself: found, not followed forever.
    let root = leaf(&[(b"b", &bucket_value(3, None), true)]);
    let cyclic = file(2, &[root.clone(), branch(&[(b"a", 3)])]);
    let db = Db::from_bytes(cyclic).unwrap();
    let b = db.bucket_path(&[b"b"]).unwrap().unwrap();
    assert!(db.get(&b, b"a").is_err());
    assert!(db.entries(&b).is_err());
    // A page number past the end, an element pointing outside its page, a lying count.
    let far = file(2, &[leaf(&[(b"b", &bucket_value(99, None), true)])]);
    let db = Db::from_bytes(far).unwrap();
    assert!(db.bucket_path(&[b"b", b"c"]).is_err());
    let mut bad = leaf(&[(b"k", b"v", false)]);
    bad[PAGE_HEADER + 4..PAGE_HEADER + 8].copy_from_slice(&9000u32.to_le_bytes());
    let db = Db::from_bytes(file(2, &[bad])).unwrap();
    assert!(db.get(&db.root_bucket(), b"k").is_err());
    let mut lying = leaf(&[]);
    lying[10..12].copy_from_slice(&u16::MAX.to_le_bytes());
    let db = Db::from_bytes(file(2, &[lying])).unwrap();
    assert!(db.entries(&db.root_bucket()).is_err());
    // Every truncation and every single-byte change of a good file.
    let good = sample();
    for n in (0..good.len()).step_by(97) {
        if let Ok(db) = Db::from_bytes(good[..n].to_vec()) {
            let _ = db.bucket_path(&[b"big"]).map(|b| b.map(|b| db.entries(&b)));
        }
    }
    for i in (0..good.len()).step_by(7) {
        let mut f = good.clone();
        f[i] = f[i].wrapping_add(0x41);
        if let Ok(db) = Db::from_bytes(f) {
            for path in [&[&b"a"[..]][..], &[b"big"]] {
                if let Ok(Some(b)) = db.bucket_path(path) {
                    let _ = db.entries(&b);
                    let _ = db.get(&b, b"k25");
                }
            }
        }
    }
}

#[test]
fn not_a_bolt_file() {
    assert!(Db::from_bytes(Vec::new()).is_err());
    assert!(Db::from_bytes(b"SQLite format 3\0".repeat(1000)).is_err());
    assert!(
        Db::open(Path::new("/nonexistent/x.boltdb"))
            .unwrap()
            .is_none()
    );
}
