use super::*;
use chrono::Timelike;

fn d(n: u8) -> Digest {
    format!("sha256:{}", hex::encode([n; 32])).parse().unwrap()
}

fn registry(repo: &str) -> BlobLocation {
    BlobLocation {
        transport: "docker",
        scope: "127.0.0.1:5000".into(),
        location: format!("127.0.0.1:5000/{repo}"),
    }
}

fn query(digest: Digest) -> CandidateQuery {
    CandidateQuery {
        digest,
        can_substitute: true,
        required: None,
        zstd_allowed: false,
        opaque: false,
    }
}

#[test]
fn file_has_c_image_tables_and_facts_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let cache = BlobInfoCache::open_in(dir.path());
        cache.record(Fact::UncompressedPair {
            any: d(1),
            uncompressed: d(2),
        });
        cache.record(Fact::Compressor {
            digest: d(1),
            algorithm: Some(Algorithm::Gzip),
        });
        cache.record(Fact::Location {
            at: registry("a/b"),
            digest: d(1),
        });
    }
    let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    let mut names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "DigestCompressors",
            "DigestSpecificVariantCompressors",
            "DigestTOCUncompressedPairs",
            "DigestUncompressedPairs",
            "DigestUncompressedPairs_index_uncompressedDigest",
            "KnownLocations"
        ]
    );
    let (compressor, time): (String, String) = conn
        .query_row(
            "SELECT compressor, time FROM DigestCompressors JOIN KnownLocations USING (digest)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(compressor, "gzip");
    assert!(schema::parse_time(rusqlite::types::ValueRef::Text(time.as_bytes())).is_some());

    let cache = BlobInfoCache::open_in(dir.path());
    assert_eq!(cache.uncompressed_digest(&d(1)), Some(d(2)));
    assert_eq!(cache.uncompressed_digest(&d(2)), Some(d(2)));
    assert_eq!(cache.uncompressed_digest(&d(3)), None);
    let found = cache.candidates(&registry("other/repo"), &query(d(2)));
    assert_eq!(
        found,
        vec![Candidate {
            digest: d(1),
            compression: CandidateCompression::Compressed(Algorithm::Gzip),
            location: Some("127.0.0.1:5000/a/b".into()),
        }]
    );
    // Another registry knows no location: the blob may still be in the destination itself.
    let elsewhere = BlobLocation {
        scope: "other:5000".into(),
        ..registry("x")
    };
    assert_eq!(cache.candidates(&elsewhere, &query(d(2)))[0].location, None);
    // No substitution: only the digest itself, whose compression is not known.
    let exact = CandidateQuery {
        can_substitute: false,
        ..query(d(2))
    };
    assert!(cache.candidates(&registry("x"), &exact).is_empty());
    // zstd blobs only where an OCI manifest may be written.
    cache.record(Fact::UncompressedPair {
        any: d(4),
        uncompressed: d(2),
    });
    cache.record(Fact::Compressor {
        digest: d(4),
        algorithm: Some(Algorithm::Zstd),
    });
    let digests = |q: &CandidateQuery| -> Vec<Digest> {
        cache
            .candidates(&registry("x"), q)
            .into_iter()
            .map(|c| c.digest)
            .collect()
    };
    assert_eq!(digests(&query(d(2))), vec![d(1)]);
    let oci = CandidateQuery {
        zstd_allowed: true,
        ..query(d(2))
    };
    assert_eq!(digests(&oci), vec![d(1), d(4)]);
    let forced = CandidateQuery {
        required: Some(Algorithm::Zstd),
        ..oci
    };
    assert_eq!(digests(&forced), vec![d(4)]);
}

#[test]
fn rows_written_as_go_sqlite3_writes_them_are_read() {
    let dir = tempfile::tempdir().unwrap();
    drop(BlobInfoCache::open_in(dir.path()));
    let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    for (n, time) in [
        (1u8, "2024-01-02 03:04:05.123456789+02:00"),
        (3, "2025-06-07 08:09:10-07:00"),
    ] {
        conn.execute(
            "INSERT INTO DigestUncompressedPairs VALUES (?1, ?2)",
            [d(n).to_string(), d(2).to_string()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO DigestCompressors VALUES (?1, 'gzip')",
            [d(n).to_string()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO KnownLocations VALUES ('docker', '127.0.0.1:5000', ?1, ?2, ?3)",
            [
                d(n).to_string(),
                format!("127.0.0.1:5000/r{n}"),
                time.into(),
            ],
        )
        .unwrap();
    }
    drop(conn);
    let cache = BlobInfoCache::open_in(dir.path());
    let found = cache.candidates(&registry("x"), &query(d(2)));
    // Newest first.
    assert_eq!(
        found.iter().map(|c| c.digest.clone()).collect::<Vec<_>>(),
        vec![d(3), d(1)]
    );
}

#[test]
fn a_corrupt_file_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(FILE_NAME), vec![0x55u8; 8192]).unwrap();
    let cache = BlobInfoCache::open_in(dir.path());
    cache.record(Fact::Compressor {
        digest: d(1),
        algorithm: None,
    });
    cache.flush();
    let conn = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM DigestCompressors", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn timestamps_are_go_sqlite3_text() {
    use chrono::TimeZone;
    let t = chrono::Local
        .with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
        .unwrap()
        .with_nanosecond(120_000_000)
        .unwrap();
    let s = schema::go_timestamp(t);
    assert!(s.starts_with("2026-01-02 03:04:05.12"), "{s}");
    assert!(!s.starts_with("2026-01-02 03:04:05.120"), "{s}");
    let offset = &s[s.len() - 6..];
    assert!(offset.starts_with('+') || offset.starts_with('-'), "{s}");
    let whole = chrono::Local.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    assert_eq!(&schema::go_timestamp(whole)[..19], "2026-01-02 03:04:05");
    assert_eq!(schema::go_timestamp(whole).len(), 25);
}

#[test]
fn facts_already_in_the_file_are_not_written_again() {
    let dir = tempfile::tempdir().unwrap();
    let facts = || {
        vec![
            Fact::UncompressedPair {
                any: d(1),
                uncompressed: d(2),
            },
            Fact::Compressor {
                digest: d(1),
                algorithm: Some(Algorithm::Gzip),
            },
        ]
    };
    let file = dir.path().join(FILE_NAME);
    let cache = BlobInfoCache::open_in(dir.path());
    facts().into_iter().for_each(|f| cache.record(f));
    cache.flush();
    // SQLite's file change counter (header bytes 24..28) moves with every write commit.
    let counter = || std::fs::read(&file).unwrap()[24..28].to_vec();
    let changed = |c: &BlobInfoCache| {
        let before = counter();
        c.flush();
        counter() != before
    };
    facts().into_iter().for_each(|f| cache.record(f));
    assert!(!changed(&cache));
    cache.record(Fact::Compressor {
        digest: d(1),
        algorithm: Some(Algorithm::Zstd),
    });
    assert!(changed(&cache));
}

#[test]
fn go_binary_times_as_skopeo_1_9_3_writes_them() {
    use super::facts::go_binary_time;
    // Bytes from a knownLocations entry skopeo 1.9.3 wrote (TZ=UTC).
    let v1 = [
        1, 0, 0, 0, 0x0e, 0xe2, 0xa8, 0xbc, 0x70, 0x2f, 0x15, 0xbc, 0x0e, 0, 0,
    ];
    let t = go_binary_time(&v1).unwrap();
    assert_eq!(t.to_rfc3339(), "2026-12-07T14:40:48.789953550+00:00");
    // -1 minutes: UTC; version 2 adds seconds to the offset; other lengths are not times.
    let mut utc = v1;
    utc[13..15].copy_from_slice(&(-1i16).to_be_bytes());
    assert_eq!(go_binary_time(&utc), Some(t));
    let mut v2 = v1.to_vec();
    v2[0] = 2;
    v2[13..15].copy_from_slice(&60i16.to_be_bytes());
    v2.push(30);
    let t2 = go_binary_time(&v2).unwrap();
    assert_eq!((t2, t2.offset().local_minus_utc()), (t, 3630));
    assert_eq!(go_binary_time(&v1[..14]), None);
    assert_eq!(go_binary_time(&[]), None);
}

/// The cache file skopeo 1.9.3 wrote when it pushed a one-layer image from `dir:` (the layer
/// uncompressed) to 127.0.0.1:45123/a/b, compressing it, then pulled it back.
#[test]
fn a_boltdb_file_skopeo_1_9_3_wrote_is_read() {
    use super::bolt::Db;
    use super::facts::BoltFacts;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus/blobcache_bolt/skopeo-1.9.3-pull");
    let facts = BoltFacts::new(Db::open(&path).unwrap().unwrap());
    let d = |s: &str| -> Digest { format!("sha256:{s}").parse().unwrap() };
    let gzip = d("c07ab3ee82aa0896828f9153c50acb92c35c6a1aae4747629b820344a1a2fc94");
    let tar = d("277bbc26a2bcc9da1a8315a8f242d66acb11b3198d406902276a0074c90fe13d");
    let config = d("60e7dd3a38c2c43a4724c2af8ea47fd7465d283929883775959120fb1aef26bf");
    assert_eq!(facts.uncompressed_of(&gzip).unwrap(), Some(tar.clone()));
    assert_eq!(facts.compressed_forms(&tar).unwrap(), vec![gzip.clone()]);
    assert_eq!(facts.compressor(&gzip).unwrap().as_deref(), Some("gzip"));
    assert_eq!(
        facts.compressor(&tar).unwrap().as_deref(),
        Some("uncompressed")
    );
    // c/image records a config as "uncompressed" too, and nothing as its uncompressed form.
    assert_eq!(
        facts.compressor(&config).unwrap().as_deref(),
        Some("uncompressed")
    );
    assert_eq!(facts.uncompressed_of(&config).unwrap(), None);
    let at = BlobLocation {
        transport: "docker",
        scope: "127.0.0.1:45123".into(),
        location: String::new(),
    };
    let seen = facts.locations(&at, &gzip).unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "127.0.0.1:45123/a/b");
    assert!(seen[0].1.is_some());
    let elsewhere = BlobLocation {
        scope: "127.0.0.1:1".into(),
        ..at
    };
    assert!(facts.locations(&elsewhere, &gzip).unwrap().is_empty());
}
