//! The SIF container (Sylabs' Singularity Image Format, version 01): a 128-byte global
//! header, a table of 585-byte object descriptors, and the objects. Only what c/image uses
//! is read: the id, modification time and architecture of the header, the primary system
//! partition (the root file system), and the definition file.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::gotext::go_path_error;

const HEADER_LEN: usize = 128;
const DESCRIPTOR_LEN: usize = 585;
const DATA_DEFFILE: i32 = 0x4001;
const DATA_PARTITION: i32 = 0x4004;
const PART_PRIM_SYS: i32 = 2;

struct Descriptor {
    data_type: i32,
    used: bool,
    offset: u64,
    size: u64,
    extra: [u8; 384],
}

pub struct SifFile {
    file: File,
    file_len: u64,
    pub id: String,
    pub modified_at: i64,
    pub arch: String,
    descriptors: Vec<Descriptor>,
}

fn i64_at(b: &[u8], at: usize) -> i64 {
    i64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Go's io.ReadFull errors: nothing read is `EOF`, part of it `unexpected EOF`.
fn read_full(file: &mut File, path: &Path, buf: &mut [u8]) -> Result<(), String> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) if n == 0 => return Err("EOF".into()),
            Ok(0) => return Err("unexpected EOF".into()),
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(go_path_error("read", path, &e).into()),
        }
    }
    Ok(())
}

/// The Go architecture name of a SIF architecture code.
fn go_arch(code: &[u8]) -> &'static str {
    match code {
        b"01" => "386",
        b"02" => "amd64",
        b"03" => "arm",
        b"04" => "arm64",
        b"05" => "ppc64",
        b"06" => "ppc64le",
        b"07" => "mips",
        b"08" => "mipsle",
        b"09" => "mips64",
        b"10" => "mips64le",
        b"11" => "s390x",
        b"12" => "riscv64",
        _ => "unknown",
    }
}

fn uuid_string(b: &[u8]) -> String {
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

impl SifFile {
    /// Reads the header and the descriptors; errors read as sylabs/sif's.
    pub fn load(path: &Path) -> Result<SifFile, String> {
        let mut file = File::open(path).map_err(|e| go_path_error("open", path, &e))?;
        let mut h = [0u8; HEADER_LEN];
        read_full(&mut file, path, &mut h).map_err(|e| format!("reading global header: {e}"))?;
        if &h[32..42] != b"SIF_MAGIC\0" {
            return Err("invalid SIF magic".into());
        }
        if &h[42..45] != b"01\0" {
            return Err("incompatible SIF version".into());
        }
        let file_len = file
            .metadata()
            .map_err(|e| go_path_error("stat", path, &e))?
            .len();
        let total = i64_at(&h, 88);
        let offset = i64_at(&h, 96).max(0) as u64;
        let size = i64_at(&h, 104).max(0) as u64;
        // Go reads the table from a section of `size` bytes at `offset`: nothing there is
        // `EOF`, too little `unexpected EOF` (checked before anything is allocated).
        let table_len = (total.max(0) as u64).saturating_mul(DESCRIPTOR_LEN as u64);
        let there = file_len.saturating_sub(offset).min(size);
        if table_len > there {
            let why = if there == 0 { "EOF" } else { "unexpected EOF" };
            return Err(format!("reading descriptors: {why}"));
        }
        let mut table = vec![0u8; table_len as usize];
        let got = read_at_most(&file, offset, &mut table)
            .map_err(|e| format!("reading descriptors: {}", go_path_error("read", path, &e)))?;
        if got < table.len() {
            return Err("reading descriptors: unexpected EOF".into());
        }
        let descriptors = table
            .chunks(DESCRIPTOR_LEN)
            .map(|d| Descriptor {
                data_type: i32::from_le_bytes(d[0..4].try_into().unwrap()),
                used: d[4] != 0,
                offset: i64_at(d, 17).max(0) as u64,
                size: i64_at(d, 25).max(0) as u64,
                extra: d[201..585].try_into().unwrap(),
            })
            .collect();
        let arch_code = h[45..47].to_vec();
        Ok(SifFile {
            file,
            file_len,
            id: uuid_string(&h[48..64]),
            modified_at: i64_at(&h, 72),
            arch: go_arch(&arch_code).to_string(),
            descriptors,
        })
    }

    /// The one used descriptor `matches` selects (sylabs/sif's GetDescriptor).
    fn only(&self, matches: impl Fn(&Descriptor) -> bool) -> Result<&Descriptor, String> {
        let mut found = self.descriptors.iter().filter(|d| d.used && matches(d));
        match (found.next(), found.next()) {
            (None, _) => Err("object not found".into()),
            (Some(d), None) => Ok(d),
            (Some(_), Some(_)) => Err("multiple objects found".into()),
        }
    }

    /// Where the root file system's squashfs is in the file.
    pub fn rootfs(&self) -> Result<(u64, u64), String> {
        let d = self
            .only(|d| {
                d.data_type == DATA_PARTITION
                    && i32::from_le_bytes(d.extra[4..8].try_into().unwrap()) == PART_PRIM_SYS
            })
            .map_err(|e| format!("looking up rootfs from SIF file: {e}"))?;
        // skopeo copies the partition out first; a file that ends early fails there.
        if d.offset
            .checked_add(d.size)
            .is_none_or(|end| end > self.file_len)
        {
            return Err("EOF".into());
        }
        Ok((d.offset, d.size))
    }

    /// The image's command, and the script to add as `/podman/runscript` when the
    /// definition file has an environment or a run script.
    pub fn command_and_script(&self) -> Result<(String, Option<Vec<u8>>), String> {
        let Ok(d) = self.only(|d| d.data_type == DATA_DEFFILE) else {
            return Ok(("bash".into(), None));
        };
        let len = d.size.min(self.file_len.saturating_sub(d.offset)) as usize;
        let mut text = vec![0u8; len];
        let got = read_at_most(&self.file, d.offset, &mut text).map_err(|e| e.to_string())?;
        text.truncate(got);
        let (environment, runscript) = parse_def_file(&text)?;
        if environment.is_empty() && runscript.is_empty() {
            return Ok(("bash".into(), None));
        }
        let script = format!(
            "#!/bin/bash\n{}\n{}\n",
            environment.join("\n"),
            runscript.join("\n")
        );
        Ok(("/podman/runscript".into(), Some(script.into_bytes())))
    }
}

fn read_at_most(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read_at(&mut buf[n..], offset + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The `%environment` lines (neither blank nor comments) and the `%runscript` lines of a
/// definition file, each trimmed; any other `%` line ends a section.
fn parse_def_file(text: &[u8]) -> Result<(Vec<String>, Vec<String>), String> {
    #[derive(PartialEq)]
    enum Section {
        Other,
        Environment,
        Runscript,
    }
    let (mut environment, mut runscript) = (Vec::new(), Vec::new());
    let mut section = Section::Other;
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    if text.is_empty() {
        return Ok((environment, runscript));
    }
    for line in text.split(|&b| b == b'\n') {
        // Go's bufio.Scanner gives up on a line longer than 64 KiB.
        if line.len() > 64 * 1024 {
            return Err(
                "reading lines from SIF definition file object: bufio.Scanner: token too long"
                    .into(),
            );
        }
        let s = String::from_utf8_lossy(line);
        let s = s.trim();
        if s == "%environment" {
            section = Section::Environment;
        } else if s == "%runscript" {
            section = Section::Runscript;
        } else if s.starts_with('%') {
            section = Section::Other;
        } else if section == Section::Environment {
            if !s.is_empty() && !s.starts_with('#') {
                environment.push(s.to_string());
            }
        } else if section == Section::Runscript {
            runscript.push(s.to_string());
        }
    }
    Ok((environment, runscript))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definition_sections() {
        let def = b"Bootstrap: docker\n%environment\n  export A=1\n# c\n\n%runscript\n  echo hi\n\n%labels\n k v\n";
        let (env, run) = parse_def_file(def).unwrap();
        assert_eq!(env, ["export A=1"]);
        assert_eq!(run, ["echo hi", ""]);
        assert_eq!(parse_def_file(b"").unwrap(), (vec![], vec![]));
    }

    #[test]
    fn names() {
        assert_eq!(go_arch(b"02"), "amd64");
        assert_eq!(go_arch(b"99"), "unknown");
        assert_eq!(
            uuid_string(&[
                0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x56, 0x78, 0x12, 0x34,
                0x56, 0x78
            ]),
            "12345678-1234-5678-1234-567812345678"
        );
    }
}
