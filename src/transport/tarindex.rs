//! Random access to the files of a tar archive: one pass over the headers (seeking past file
//! data) records where each regular file's bytes are, so a 20 GB archive is "opened" by
//! reading a few KB, and blobs are read in place instead of being extracted.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::LocalBlob;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TarEntry {
    pub offset: u64,
    pub size: u64,
}

pub struct TarIndex {
    path: PathBuf,
    entries: HashMap<String, TarEntry>,
    /// Symbolic links: member name → link target as recorded (not followed here).
    symlinks: HashMap<String, String>,
}

/// A member name in canonical form (`./a//b` → `a/b`); names that climb out with `..` or are
/// absolute are not addressable.
pub fn normalize_member(name: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in name.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) | Component::ParentDir => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

impl TarIndex {
    /// Indexes an uncompressed tar file.
    pub fn scan(path: &Path) -> Result<TarIndex> {
        let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let mut archive = tar::Archive::new(file);
        let mut entries = HashMap::new();
        let mut links = Vec::new();
        let mut symlinks = HashMap::new();
        let iter = archive
            .entries_with_seek()
            .with_context(|| format!("reading tar archive {}", path.display()))?;
        for entry in iter {
            let entry = entry.map_err(|e| {
                // The tar crate's words for a header cut short.
                if e.to_string().contains("failed to read entire block") {
                    anyhow::anyhow!("tar archive {} is truncated", path.display())
                } else {
                    anyhow::Error::from(e)
                        .context(format!("reading tar archive {}", path.display()))
                }
            })?;
            let Some(name) = normalize_member(&entry.path()?) else {
                continue;
            };
            match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    let e = TarEntry {
                        offset: entry.raw_file_position(),
                        size: entry.size(),
                    };
                    symlinks.remove(&name);
                    entries.insert(name, e);
                }
                tar::EntryType::Link => {
                    if let Some(target) = entry.link_name()?.and_then(|t| normalize_member(&t)) {
                        links.push((name, target));
                    }
                }
                tar::EntryType::Symlink => {
                    if let Some(target) = entry.link_name()? {
                        entries.remove(&name);
                        symlinks.insert(name, target.to_string_lossy().into_owned());
                    }
                }
                _ => {}
            }
        }
        // Hard links name another member's bytes; symbolic links are not followed.
        for (name, target) in links {
            if let Some(e) = entries.get(&target).copied() {
                entries.insert(name, e);
            }
        }
        let index = TarIndex {
            path: path.to_path_buf(),
            entries,
            symlinks,
        };
        index.check_bounds()?;
        Ok(index)
    }

    /// A truncated archive must fail here, not when a blob read comes up short.
    fn check_bounds(&self) -> Result<()> {
        let len = std::fs::metadata(&self.path)?.len();
        if let Some((name, _)) = self
            .entries
            .iter()
            .find(|(_, e)| e.offset.saturating_add(e.size) > len)
        {
            bail!(
                "tar archive {} is truncated: {name} extends past its end",
                self.path.display()
            );
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<TarEntry> {
        self.entries.get(name).copied()
    }

    /// The target of a symbolic link member, as recorded.
    pub fn symlink(&self, name: &str) -> Option<&str> {
        self.symlinks.get(name).map(String::as_str)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn local(&self, name: &str) -> Option<LocalBlob> {
        self.get(name).map(|e| LocalBlob {
            path: self.path.clone(),
            offset: e.offset,
            len: e.size,
        })
    }

    /// Reads a whole member, refusing ones over `limit` bytes.
    pub fn read(&self, name: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        let Some(e) = self.get(name) else {
            return Ok(None);
        };
        if e.size > limit {
            bail!(
                "{name} in {} is larger than the {limit}-byte limit",
                self.path.display()
            );
        }
        let mut f = File::open(&self.path)?;
        f.seek(SeekFrom::Start(e.offset))?;
        let mut out = Vec::with_capacity(e.size as usize);
        f.take(e.size).read_to_end(&mut out)?;
        if out.len() as u64 != e.size {
            bail!("tar archive {} is truncated", self.path.display());
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_are_normalised_and_escapes_refused() {
        assert_eq!(
            normalize_member(Path::new("./blobs//sha256/x")).as_deref(),
            Some("blobs/sha256/x")
        );
        assert_eq!(
            normalize_member(Path::new("index.json")).as_deref(),
            Some("index.json")
        );
        assert_eq!(normalize_member(Path::new("../index.json")), None);
        assert_eq!(normalize_member(Path::new("a/../../b")), None);
        assert_eq!(normalize_member(Path::new("/etc/passwd")), None);
        assert_eq!(normalize_member(Path::new(".")), None);
    }
}
