use super::*;

fn sample(len: usize) -> Vec<u8> {
    // Half text-like, half pseudo-random: both the match finder and the raw paths run.
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|i| {
            if (i / 100_000) % 2 == 0 {
                b"the quick brown fox "[i % 20]
            } else {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            }
        })
        .collect()
}

fn roundtrip(algo: Algorithm, level: Option<i32>, data: &[u8]) -> Vec<u8> {
    let mut compressed = Vec::new();
    compress(algo, level, &mut &data[..], &mut compressed).unwrap();
    assert_eq!(
        Algorithm::detect(&compressed),
        Some(algo.mime_name_algorithm())
    );
    let mut back = Vec::new();
    let n = decompress(algo, &mut &compressed[..], &mut back).unwrap();
    assert_eq!(n as usize, back.len());
    assert!(back == data, "{algo:?} round trip differs");
    compressed
}

impl Algorithm {
    fn mime_name_algorithm(self) -> Algorithm {
        match self {
            Algorithm::ZstdChunked => Algorithm::Zstd,
            a => a,
        }
    }
}

#[test]
fn gzip_parallel_is_one_valid_member() {
    let data = sample(3 * (256 << 10) + 12345);
    let gz = roundtrip(Algorithm::Gzip, None, &data);
    // A plain single-member decoder reads it whole: one member, CRC and length right.
    let mut back = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut back).unwrap();
    assert!(back == data);
    assert!(gz.len() < data.len());
    for level in [0, 1, 9] {
        roundtrip(Algorithm::Gzip, Some(level), &data);
    }
}

#[test]
fn gzip_of_nothing_and_of_one_byte() {
    roundtrip(Algorithm::Gzip, None, b"");
    roundtrip(Algorithm::Gzip, None, b"x");
}

#[test]
fn zstd_and_xz_round_trip() {
    let data = sample(700_000);
    roundtrip(Algorithm::Zstd, None, &data);
    roundtrip(Algorithm::Zstd, Some(19), &data[..50_000]);
    roundtrip(Algorithm::Xz, None, &data[..200_000]);
}

#[test]
fn detection_by_bytes() {
    assert_eq!(
        Algorithm::detect(&[0x1f, 0x8b, 0x08, 0]),
        Some(Algorithm::Gzip)
    );
    assert_eq!(Algorithm::detect(&[0x1f, 0x8b]), None);
    assert_eq!(Algorithm::detect(b"BZh91AY&"), Some(Algorithm::Bzip2));
    assert_eq!(
        Algorithm::detect(&[0xfd, b'7', b'z', b'X', b'Z', 0, 0, 4]),
        Some(Algorithm::Xz)
    );
    assert_eq!(
        Algorithm::detect(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
        Some(Algorithm::Zstd)
    );
    assert_eq!(Algorithm::detect(b"ustar\0\0\0"), None);
    assert_eq!(Algorithm::detect(b""), None);
}

#[test]
fn names_as_c_image() {
    for a in [
        Algorithm::Gzip,
        Algorithm::Zstd,
        Algorithm::ZstdChunked,
        Algorithm::Bzip2,
    ] {
        assert_eq!(Algorithm::by_name(a.name()).unwrap(), a);
    }
    assert_eq!(
        Algorithm::by_name("foo").unwrap_err().to_string(),
        "cannot find compressor for \"foo\""
    );
    assert!(Algorithm::by_name("xz").is_err());
    assert_eq!(Algorithm::ZstdChunked.mime_name(), "zstd");
    let err = compress(Algorithm::Gzip, Some(11), &mut &b""[..], &mut Vec::new()).unwrap_err();
    assert_eq!(err.to_string(), "gzip: invalid compression level: 11");
    let err = compress(Algorithm::Bzip2, None, &mut &b""[..], &mut Vec::new()).unwrap_err();
    assert_eq!(err.to_string(), "bzip2 compression not supported");
}

#[test]
fn bzip2_decompresses() {
    let data = sample(100_000);
    let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    std::io::Write::write_all(&mut enc, &data).unwrap();
    let bz = enc.finish().unwrap();
    assert_eq!(Algorithm::detect(&bz), Some(Algorithm::Bzip2));
    let mut back = Vec::new();
    decompress(Algorithm::Bzip2, &mut &bz[..], &mut back).unwrap();
    assert!(back == data);
}
