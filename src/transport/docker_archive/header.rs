//! Tar headers byte for byte as Go's `archive/tar` writes the ones c/image sends into a
//! docker-archive: ustar, owner 0:0, no user or group names, modification time 0, mode 0444
//! for files and 0 for symbolic links, numeric fields as zero-padded octal ending in NUL and
//! the checksum as six digits, NUL, space.
//!
//! What ustar cannot hold (a name or link target over 100 bytes that no `/` splits into
//! prefix and name, a size of 8 GiB or more) goes, as Go writes it, into a PAX extended header
//! (`PaxHeaders.0/NAME`, type `x`) before the entry, whose own fields then hold what fits
//! (names cut to 100 bytes, the size as 0). sha512 layer digests make 132-byte names.

/// Size of a tar block.
pub const BLOCK: usize = 512;

/// What follows the last entry of an archive: Go's writer ends with two zero blocks and no
/// further padding.
pub const END_OF_ARCHIVE: [u8; 2 * BLOCK] = [0; 2 * BLOCK];

/// The longest member name or link target of a ustar header's name field.
const NAME_LEN: usize = 100;
/// The longest ustar name prefix.
const PREFIX_LEN: usize = 155;
/// The largest size an 11-digit octal field holds (8 GiB - 1).
const MAX_OCTAL_SIZE: u64 = (1 << 33) - 1;

/// Zero bytes that pad `size` bytes of data to a whole block.
pub fn padding(size: u64) -> &'static [u8] {
    static ZEROS: [u8; BLOCK] = [0; BLOCK];
    &ZEROS[..((BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64) as usize]
}

/// Zero-padded octal ending in NUL; a value that does not fit is written as 0 (Go's last
/// resort; the caller has put the real value in a PAX record).
fn octal(field: &mut [u8], value: u64) {
    let width = field.len() - 1;
    let fits = value < 1u64.checked_shl(3 * width as u32).unwrap_or(u64::MAX);
    let digits = format!("{:0>width$o}", if fits { value } else { 0 });
    field[..width].copy_from_slice(digits.as_bytes());
    field[width] = 0;
}

/// As much of `s` as fits, NUL-terminated when shorter than the field.
fn string(field: &mut [u8], s: &str) {
    let n = s.len().min(field.len());
    field[..n].copy_from_slice(&s.as_bytes()[..n]);
}

/// Go's `toASCII`: header fields hold only the ASCII characters of a name.
fn to_ascii(s: &str) -> String {
    s.chars().filter(char::is_ascii).collect()
}

/// Go's `splitUSTARPath`: a long ASCII name split at a `/` into a prefix of at most 155 bytes
/// and a name of at most 100.
fn split_ustar(name: &str) -> Option<(&str, &str)> {
    if name.len() <= NAME_LEN || !name.is_ascii() {
        return None;
    }
    let mut len = name.len();
    if len > PREFIX_LEN + 1 {
        len = PREFIX_LEN + 1;
    } else if name.ends_with('/') {
        len -= 1;
    }
    let i = name[..len].rfind('/')?;
    let suffix_len = name.len() - i - 1;
    if i == 0 || suffix_len > NAME_LEN || suffix_len == 0 || i > PREFIX_LEN {
        return None;
    }
    Some((&name[..i], &name[i + 1..]))
}

/// Go's `formatPAXRecord`: `LEN key=value\n`, where LEN counts itself.
fn pax_record(key: &str, value: &str) -> String {
    let body = key.len() + value.len() + 3;
    let mut size = body + body.to_string().len();
    if size.to_string().len() + body != size {
        size = size.to_string().len() + body;
    }
    format!("{size} {key}={value}\n")
}

/// The PAX extended header Go writes before entry `name` for `records` (key, value; sorted
/// by key): a `PaxHeaders.0/NAME` header of type `x`, the records, padding.
pub fn pax_extension(name: &str, records: &[(&str, &str)]) -> Vec<u8> {
    let records: String = records.iter().map(|(k, v)| pax_record(k, v)).collect();
    let (dir, file) = match name.rfind('/') {
        Some(i) => (&name[..=i], &name[i + 1..]),
        None => ("", name),
    };
    let pax_name = to_ascii(&format!("{dir}PaxHeaders.0/{file}"));
    let pax_name = pax_name.trim_end_matches('/');
    // Go's writeRawFile leaves the device numbers unset (NUL bytes).
    let mut x = block(pax_name, "", 0, records.len() as u64, b'x');
    set_checksum(&mut x);
    let mut out = Vec::with_capacity(3 * BLOCK);
    out.extend_from_slice(&x);
    out.extend_from_slice(records.as_bytes());
    out.extend_from_slice(padding(records.len() as u64));
    out
}

/// One header block with the fields every entry shares; `typeflag` `0`, `2` or `x`.
fn block(name: &str, link: &str, mode: u64, size: u64, typeflag: u8) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    string(&mut h[0..100], name);
    octal(&mut h[100..108], mode);
    octal(&mut h[108..116], 0); // uid
    octal(&mut h[116..124], 0); // gid
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 0); // mtime
    h[156] = typeflag;
    string(&mut h[157..257], link);
    string(&mut h[257..263], "ustar\0");
    string(&mut h[263..265], "00");
    h
}

fn set_checksum(h: &mut [u8; BLOCK]) {
    h[148..156].fill(b' ');
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    octal(&mut h[148..155], sum);
    h[155] = b' ';
}

/// The header blocks of a regular file (`link` is `None`) or a symbolic link to `link`: one
/// ustar block, or a PAX extended header (two or more blocks) and then that block.
pub fn header(name: &str, size: u64, link: Option<&str>) -> Vec<u8> {
    let (mode, size, typeflag) = match link {
        Some(_) => (0, 0, b'2'),
        None => (0o444, size, b'0'),
    };
    let target = link.unwrap_or("");
    let name_fits = name.is_ascii() && name.len() <= NAME_LEN;
    let link_fits = target.is_ascii() && target.len() <= NAME_LEN;
    let size_fits = size <= MAX_OCTAL_SIZE;
    let mut out = Vec::with_capacity(BLOCK);
    if link_fits
        && size_fits
        && let Some((prefix, rest)) = (!name_fits).then(|| split_ustar(name)).flatten()
    {
        let mut h = block(rest, target, mode, size, typeflag);
        ustar_tail(&mut h);
        string(&mut h[345..500], prefix);
        set_checksum(&mut h);
        out.extend_from_slice(&h);
        return out;
    }
    if !(name_fits && link_fits && size_fits) {
        // Records sorted by key, as Go sorts them.
        let size_text = size.to_string();
        let records = [
            (!link_fits).then_some(("linkpath", target)),
            (!name_fits).then_some(("path", name)),
            (!size_fits).then_some(("size", size_text.as_str())),
        ];
        out = pax_extension(name, &records.into_iter().flatten().collect::<Vec<_>>());
    }
    let mut h = block(&to_ascii(name), &to_ascii(target), mode, size, typeflag);
    ustar_tail(&mut h);
    set_checksum(&mut h);
    out.extend_from_slice(&h);
    out
}

/// The device numbers Go formats in every entry's own header.
fn ustar_tail(h: &mut [u8; BLOCK]) {
    octal(&mut h[329..337], 0); // devmajor
    octal(&mut h[337..345], 0); // devminor
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_go_archive_tar() {
        // The header skopeo 1.9.3 wrote for a 2048-byte layer.
        let h = header(
            "71960cc8d207641a6fe327df9c3376ad5edcddacf6cf97e8f959f3301b59bbb4.tar",
            2048,
            None,
        );
        assert_eq!(&h[100..108], b"0000444\0");
        assert_eq!(&h[124..136], b"00000004000\0");
        assert_eq!(&h[136..148], b"00000000000\0");
        assert_eq!(&h[148..156], b"021120\0 ");
        assert_eq!(&h[257..265], b"ustar\x0000");
        assert_eq!(&h[329..345], b"0000000\x000000000\0");
        // Readers agree with the checksum and fields.
        let parsed = tar::Header::from_byte_slice(&h);
        assert_eq!(parsed.size().unwrap(), 2048);
        assert_eq!(parsed.cksum().unwrap(), 0o21120);
    }

    #[test]
    fn symlinks_have_mode_and_size_zero() {
        let h = header("a/layer.tar", 123, Some("../b.tar"));
        let parsed = tar::Header::from_byte_slice(&h);
        assert_eq!(parsed.entry_type(), tar::EntryType::Symlink);
        assert_eq!(parsed.size().unwrap(), 0);
        assert_eq!(parsed.mode().unwrap(), 0);
        assert_eq!(
            parsed.link_name().unwrap().unwrap().to_str(),
            Some("../b.tar")
        );
    }

    const SHA512_HEX: &str = "8f5f51e8f21be3feddda814c8571882e85f8237d82bc5de1c5639feb29152b37ae8e55e1f93e80fcac81fba98231e27f5b7d587d5b22a9be4210f34a1462f311";

    /// The octal number in a header field.
    fn field(h: &[u8], range: std::ops::Range<usize>) -> &str {
        std::str::from_utf8(&h[range]).unwrap()
    }

    #[test]
    fn long_names_get_a_pax_header_as_go_writes_it() {
        // What skopeo 1.9.3 wrote for an uncompressed sha512 layer of 10240 bytes.
        let name = format!("{SHA512_HEX}.tar");
        let h = header(&name, 10240, None);
        assert_eq!(h.len(), 3 * BLOCK);
        let (x, records, main) = (&h[..BLOCK], &h[BLOCK..2 * BLOCK], &h[2 * BLOCK..]);
        assert_eq!(&x[..100], &format!("PaxHeaders.0/{name}").as_bytes()[..100]);
        assert_eq!(x[156], b'x');
        assert_eq!(field(x, 124..136), "00000000216\0");
        assert_eq!(field(x, 148..156), "024605\0 ");
        assert_eq!(&x[329..345], &[0u8; 16]);
        let record = format!("142 path={name}\n");
        assert_eq!(&records[..record.len()], record.as_bytes());
        assert!(records[record.len()..].iter().all(|&b| b == 0));
        assert_eq!(&main[..100], &name.as_bytes()[..100]);
        assert_eq!(field(main, 148..156), "025341\0 ");
        // The tar crate reads the whole name back.
        let mut a = h.clone();
        a.extend_from_slice(&[0u8; 10240]);
        a.extend_from_slice(&END_OF_ARCHIVE);
        let mut archive = tar::Archive::new(&a[..]);
        let entry = archive.entries().unwrap().next().unwrap().unwrap();
        assert_eq!(entry.path().unwrap().to_str(), Some(name.as_str()));
        assert_eq!(entry.size(), 10240);
    }

    #[test]
    fn long_link_targets_get_a_pax_linkpath() {
        // skopeo 1.9.3's legacy `layer.tar` link to a sha512 layer.
        let id = "a159fccd8d960421d2435b291b7dc4c6bd3cff24a44a9d8c77ee6af1c2f4781b";
        let target = format!("../{SHA512_HEX}.tar");
        let h = header(&format!("{id}/layer.tar"), 0, Some(&target));
        assert_eq!(h.len(), 3 * BLOCK);
        assert_eq!(
            &h[..100],
            format!("{id}/PaxHeaders.0/layer.tar").as_bytes()[..]
                .iter()
                .chain(std::iter::repeat(&0))
                .take(100)
                .copied()
                .collect::<Vec<u8>>()
        );
        assert_eq!(field(&h, 148..156), "023231\0 ");
        let record = format!("149 linkpath={target}\n");
        assert_eq!(&h[BLOCK..BLOCK + record.len()], record.as_bytes());
        assert_eq!(field(&h[2 * BLOCK..], 148..156), "040146\0 ");
    }

    #[test]
    fn long_names_with_a_slash_use_the_ustar_prefix() {
        let name = format!("{}/{}", "d".repeat(120), "f".repeat(90));
        let h = header(&name, 5, None);
        assert_eq!(h.len(), BLOCK);
        let parsed = tar::Header::from_byte_slice(&h);
        assert_eq!(parsed.path().unwrap().to_str(), Some(name.as_str()));
        assert_eq!(&h[345..465], "d".repeat(120).as_bytes());
    }

    /// A sparse archive holding one entry of `size` zero bytes under `head`.
    fn sparse_archive(dir: &std::path::Path, head: &[u8], size: u64) -> std::path::PathBuf {
        use std::io::Write;
        let path = dir.join("big.tar");
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(head).unwrap();
        let end = head.len() as u64 + size + padding(size).len() as u64;
        f.set_len(end + END_OF_ARCHIVE.len() as u64).unwrap();
        path
    }

    #[test]
    fn sizes_of_8_gib_and_more_get_a_pax_size_record() {
        let size = (8u64 << 30) + 3;
        let name = "71960cc8d207641a6fe327df9c3376ad5edcddacf6cf97e8f959f3301b59bbb4.tar";
        let h = header(name, size, None);
        assert_eq!(h.len(), 3 * BLOCK);
        let record = format!("19 size={size}\n");
        assert_eq!(&h[BLOCK..BLOCK + record.len()], record.as_bytes());
        // Go's last resort for the field itself: zero.
        assert_eq!(field(&h[2 * BLOCK..], 124..136), "00000000000\0");
        let max = header(name, (8 << 30) - 1, None);
        assert_eq!(max.len(), BLOCK);
        assert_eq!(field(&max, 124..136), "77777777777\0");

        // Independent readers agree, on a sparse file that holds the whole entry.
        let dir = tempfile::tempdir().unwrap();
        let path = sparse_archive(dir.path(), &h, size);
        let py = std::process::Command::new("python3")
            .arg("-c")
            .arg("import sys, tarfile\nfor m in tarfile.open(sys.argv[1]): print(m.name, m.size, m.type.decode())")
            .arg(&path)
            .output()
            .expect("python3 runs");
        assert!(py.status.success(), "{py:?}");
        assert_eq!(
            String::from_utf8_lossy(&py.stdout),
            format!("{name} {size} 0\n")
        );
        let gnu = std::process::Command::new("tar")
            .arg("tvf")
            .arg(&path)
            .output()
            .expect("tar runs");
        assert!(gnu.status.success(), "{gnu:?}");
        let listing = String::from_utf8_lossy(&gnu.stdout);
        let size_text = size.to_string();
        assert_eq!(
            listing.split_whitespace().collect::<Vec<_>>(),
            ["-r--r--r--", "0/0", &size_text, "1970-01-01", "00:00", name],
        );
    }

    #[test]
    fn sha512_names_read_back_by_python_and_gnu_tar() {
        let name = format!("{SHA512_HEX}.tar");
        let link = format!("{}/layer.tar", "a".repeat(64));
        let target = format!("../{name}");
        let mut a = header(&name, 3, None);
        a.extend_from_slice(b"abc");
        a.extend_from_slice(padding(3));
        a.extend_from_slice(&header(&link, 0, Some(&target)));
        a.extend_from_slice(&END_OF_ARCHIVE);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.tar");
        std::fs::write(&path, &a).unwrap();
        let py = std::process::Command::new("python3")
            .arg("-c")
            .arg("import sys, tarfile\nfor m in tarfile.open(sys.argv[1]): print(m.name, m.size, m.type.decode(), m.linkname)")
            .arg(&path)
            .output()
            .expect("python3 runs");
        assert!(py.status.success(), "{py:?}");
        assert_eq!(
            String::from_utf8_lossy(&py.stdout),
            format!("{name} 3 0 \n{link} 0 2 {target}\n")
        );
        let gnu = std::process::Command::new("tar")
            .arg("tf")
            .arg(&path)
            .output()
            .expect("tar runs");
        assert!(gnu.status.success(), "{gnu:?}");
        assert_eq!(
            String::from_utf8_lossy(&gnu.stdout),
            format!("{name}\n{link}\n")
        );
    }

    #[test]
    fn a_spilled_header_shifts_the_data_after_it() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(dir.path().join("s"))
            .unwrap();
        let data: Vec<u8> = (0..(3 * crate::transport::fsutil::CHUNK + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        f.write_all(&[9u8; BLOCK]).unwrap();
        f.write_all(&data).unwrap();
        super::super::writer::shift_forward(&f, BLOCK as u64, data.len() as u64, 1024).unwrap();
        let back = std::fs::read(dir.path().join("s")).unwrap();
        assert_eq!(&back[BLOCK + 1024..], &data[..]);
    }

    #[test]
    fn padding_fills_the_block() {
        assert_eq!(padding(0).len(), 0);
        assert_eq!(padding(1).len(), 511);
        assert_eq!(padding(512).len(), 0);
        assert_eq!(padding(2049).len(), 511);
    }
}
