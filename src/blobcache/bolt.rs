//! A read-only reader of BoltDB files (the format of go.etcd.io/bbolt), just enough to read
//! the blob-info cache older skopeo (1.9.3 among them: c/image before 5.27) kept in
//! `blob-info-cache-v1.boltdb`: nested buckets, key lookups and bucket listings.
//!
//! Why our own: the maintained Go implementation panics on some format errors (the reason
//! c/image moved to SQLite), the Rust port (`bbolt-rs`) maps the file and reads it through
//! unsafe code with the same panics, and the one small safe crate (`bolt-lite` 0.1) indexes
//! pages without bounds checks, follows page cycles forever and descends branch pages to the
//! wrong child. Here every offset is checked against the page it is in, every page number
//! against the file's high-water mark, and a walk never visits a page twice: a damaged file
//! is an error, never a panic or a loop.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

const MAGIC: u32 = 0xED0C_DAED;
const VERSION: u32 = 2;
const PAGE_HEADER: usize = 16;
const ELEMENT: usize = 16;
const BRANCH_PAGE: u16 = 0x01;
const LEAF_PAGE: u16 = 0x02;
const META_PAGE: u16 = 0x04;
/// A leaf element whose value is a nested bucket.
const BUCKET_LEAF: u32 = 0x01;
/// bbolt's trees are a few levels deep; a deeper one is a damaged (cyclic) file.
const MAX_DEPTH: usize = 64;
/// How long to wait for a writer (skopeo 1.9.3 holds the lock only while it writes).
const LOCK_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug)]
pub struct BoltError(String);

impl fmt::Display for BoltError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

type Result<T> = std::result::Result<T, BoltError>;

fn corrupt<T>(what: &str) -> Result<T> {
    Err(BoltError(format!("corrupt BoltDB file: {what}")))
}

enum Source {
    Bytes(Vec<u8>),
    /// Held open (with bbolt's shared lock) for as long as the reader lives.
    File(File),
}

/// One consistent view of a database: the newest valid meta page's tree.
pub struct Db {
    source: Source,
    len: u64,
    page_size: usize,
    root: u64,
    /// Pages at or past this one are not part of the tree.
    high_water: u64,
}

/// A bucket: its root page, or the page stored inline in its parent's value.
pub struct Bucket {
    root: u64,
    inline: Option<Vec<u8>>,
}

/// A key of a bucket and its value, or a nested bucket.
pub struct Entry {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    pub is_bucket: bool,
}

impl Db {
    /// Opens `path` for reading under bbolt's shared lock; `Ok(None)` when there is no
    /// such file or a writer holds the lock for too long.
    pub fn open(path: &Path) -> Result<Option<Db>> {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(BoltError(e.to_string())),
        };
        // bbolt writers take the exclusive lock and retry every 50 ms, as readers here do.
        let start = Instant::now();
        loop {
            match file.try_lock_shared() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(e)) => return Err(BoltError(e.to_string())),
            }
        }
        let len = file.metadata().map_err(|e| BoltError(e.to_string()))?.len();
        Db::with_source(Source::File(file), len).map(Some)
    }

    /// A database held in memory (the fuzz target's way in).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Db> {
        let len = bytes.len() as u64;
        Db::with_source(Source::Bytes(bytes), len)
    }

    fn with_source(source: Source, len: u64) -> Result<Db> {
        let mut db = Db {
            source,
            len,
            page_size: 0,
            root: 0,
            high_water: 0,
        };
        // The first meta page says the page size; if it is torn, the second one is looked
        // for at each page size bbolt may have used.
        let first = db.read_at(0, 4096.min(len as usize))?;
        let mut metas = Vec::new();
        if let Some(m) = Meta::parse(&first) {
            metas.push(m);
            let second = db.read_at(m.page_size as u64, m.page_size as usize);
            if let Some(m1) = second.ok().as_deref().and_then(Meta::parse) {
                metas.push(m1);
            }
        } else {
            for size in [4096u64, 8192, 16384, 32768, 65536] {
                let second = db.read_at(size, 4096.min(len.saturating_sub(size) as usize));
                if let Some(m1) = second.ok().as_deref().and_then(Meta::parse)
                    && m1.page_size as u64 == size
                {
                    metas.push(m1);
                    break;
                }
            }
        }
        // The newest transaction whose meta page is whole.
        let Some(meta) = metas.into_iter().max_by_key(|m| m.txid) else {
            return corrupt("no valid meta page");
        };
        db.page_size = meta.page_size as usize;
        db.root = meta.root;
        db.high_water = meta.high_water;
        Ok(db)
    }

    fn read_at(&self, offset: u64, n: usize) -> Result<Vec<u8>> {
        let end = offset.checked_add(n as u64).filter(|&e| e <= self.len);
        if end.is_none() {
            return corrupt("a page past the end of the file");
        }
        match &self.source {
            Source::Bytes(b) => Ok(b[offset as usize..offset as usize + n].to_vec()),
            Source::File(f) => {
                let mut buf = vec![0; n];
                f.read_exact_at(&mut buf, offset)
                    .map_err(|e| BoltError(e.to_string()))?;
                Ok(buf)
            }
        }
    }

    /// Page `id` with its overflow pages.
    fn page(&self, id: u64) -> Result<Vec<u8>> {
        // Pages 0 and 1 are the meta pages, never part of a tree.
        if id < 2 || id >= self.high_water {
            return corrupt("a page number outside the tree");
        }
        let offset = id
            .checked_mul(self.page_size as u64)
            .ok_or(BoltError("corrupt BoltDB file: page offset".into()))?;
        let head = self.read_at(offset, PAGE_HEADER)?;
        let overflow = u32::from_le_bytes(head[12..16].try_into().unwrap_or_default()) as u64;
        if overflow >= self.high_water - id {
            return corrupt("a page overflowing the tree");
        }
        let size = (overflow + 1) * self.page_size as u64;
        self.read_at(offset, usize::try_from(size).unwrap_or(usize::MAX))
    }

    /// The database's top-level bucket (whose keys are the named buckets).
    pub fn root_bucket(&self) -> Bucket {
        Bucket {
            root: self.root,
            inline: None,
        }
    }

    /// The nested bucket `name` of `parent`.
    pub fn bucket(&self, parent: &Bucket, name: &[u8]) -> Result<Option<Bucket>> {
        match self.find(parent, name)? {
            Some(e) if e.is_bucket => open_bucket(&e.value).map(Some),
            _ => Ok(None),
        }
    }

    /// Follows a path of nested buckets from the top.
    pub fn bucket_path(&self, path: &[&[u8]]) -> Result<Option<Bucket>> {
        let mut b = self.root_bucket();
        for name in path {
            match self.bucket(&b, name)? {
                Some(next) => b = next,
                None => return Ok(None),
            }
        }
        Ok(Some(b))
    }

    /// The value of `key` in `bucket` (a nested bucket is not a value, as in bbolt).
    pub fn get(&self, bucket: &Bucket, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self
            .find(bucket, key)?
            .filter(|e| !e.is_bucket)
            .map(|e| e.value))
    }

    fn find(&self, bucket: &Bucket, key: &[u8]) -> Result<Option<Entry>> {
        if let Some(page) = &bucket.inline {
            return Ok(leaf_entries(page)?.into_iter().find(|e| e.key == key));
        }
        let mut id = bucket.root;
        for _ in 0..MAX_DEPTH {
            let page = self.page(id)?;
            match flags(&page) {
                LEAF_PAGE => return Ok(leaf_entries(&page)?.into_iter().find(|e| e.key == key)),
                BRANCH_PAGE => {
                    // Each child's first key is its branch key: the last child whose key is
                    // not after `key` holds it (the first child, when `key` is before all).
                    let children = branch_children(&page)?;
                    let at = children
                        .iter()
                        .rposition(|(k, _)| k.as_slice() <= key)
                        .unwrap_or(0);
                    id = children[at].1;
                }
                _ => return corrupt("a tree page that is neither branch nor leaf"),
            }
        }
        corrupt("a tree deeper than any bbolt writes")
    }

    /// Every entry of `bucket`, in key order.
    pub fn entries(&self, bucket: &Bucket) -> Result<Vec<Entry>> {
        if let Some(page) = &bucket.inline {
            return leaf_entries(page);
        }
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        self.collect(bucket.root, 0, &mut seen, &mut out)?;
        Ok(out)
    }

    fn collect(
        &self,
        id: u64,
        depth: usize,
        seen: &mut HashSet<u64>,
        out: &mut Vec<Entry>,
    ) -> Result<()> {
        if depth >= MAX_DEPTH || !seen.insert(id) {
            return corrupt("a page reached twice");
        }
        let page = self.page(id)?;
        match flags(&page) {
            LEAF_PAGE => out.extend(leaf_entries(&page)?),
            BRANCH_PAGE => {
                for (_, child) in branch_children(&page)? {
                    self.collect(child, depth + 1, seen, out)?;
                }
            }
            _ => return corrupt("a tree page that is neither branch nor leaf"),
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
struct Meta {
    page_size: u32,
    root: u64,
    high_water: u64,
    txid: u64,
}

impl Meta {
    /// A meta page, if its magic, version and checksum say it is whole.
    fn parse(page: &[u8]) -> Option<Meta> {
        if page.len() < PAGE_HEADER + 64 || flags(page) != META_PAGE {
            return None;
        }
        let m = &page[PAGE_HEADER..PAGE_HEADER + 64];
        let u32_at = |o: usize| u32::from_le_bytes(m[o..o + 4].try_into().unwrap_or_default());
        let u64_at = |o: usize| u64::from_le_bytes(m[o..o + 8].try_into().unwrap_or_default());
        let page_size = u32_at(8);
        let ok = u32_at(0) == MAGIC
            && u32_at(4) == VERSION
            && u64_at(56) == fnv1a64(&m[..56])
            && page_size.is_power_of_two()
            && (1024..=65536).contains(&page_size);
        ok.then(|| Meta {
            page_size,
            root: u64_at(16),
            high_water: u64_at(40),
            txid: u64_at(48),
        })
    }
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn flags(page: &[u8]) -> u16 {
    page.get(8..10)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]))
}

/// The elements of a page: their 16-byte headers follow the page header, each pointing
/// (relative to itself) at its key.
fn elements(page: &[u8]) -> Result<impl Iterator<Item = (usize, [u32; 4])> + '_> {
    let count = page
        .get(10..12)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]])) as usize;
    if PAGE_HEADER + count * ELEMENT > page.len() {
        return corrupt("more elements than the page holds");
    }
    Ok((0..count).map(move |i| {
        let at = PAGE_HEADER + i * ELEMENT;
        let word =
            |o: usize| u32::from_le_bytes(page[at + o..at + o + 4].try_into().unwrap_or_default());
        (at, [word(0), word(4), word(8), word(12)])
    }))
}

fn slice(page: &[u8], start: usize, len: usize) -> Result<&[u8]> {
    match start.checked_add(len) {
        Some(end) if end <= page.len() => Ok(&page[start..end]),
        _ => corrupt("a key or value outside its page"),
    }
}

fn leaf_entries(page: &[u8]) -> Result<Vec<Entry>> {
    if flags(page) != LEAF_PAGE {
        return corrupt("a bucket page that is not a leaf");
    }
    let mut out = Vec::new();
    for (at, [flags, pos, ksize, vsize]) in elements(page)? {
        let start = at + pos as usize;
        let key = slice(page, start, ksize as usize)?;
        let value = slice(page, start + ksize as usize, vsize as usize)?;
        out.push(Entry {
            key: key.to_vec(),
            value: value.to_vec(),
            is_bucket: flags & BUCKET_LEAF != 0,
        });
    }
    Ok(out)
}

fn branch_children(page: &[u8]) -> Result<Vec<(Vec<u8>, u64)>> {
    let mut out = Vec::new();
    for (at, [pos, ksize, lo, hi]) in elements(page)? {
        let key = slice(page, at + pos as usize, ksize as usize)?;
        out.push((key.to_vec(), (hi as u64) << 32 | lo as u64));
    }
    if out.is_empty() {
        return corrupt("an empty branch page");
    }
    Ok(out)
}

/// A nested bucket's value: its root page and sequence, then (root 0) its inline page.
fn open_bucket(value: &[u8]) -> Result<Bucket> {
    let Some(root) = value.get(..8) else {
        return corrupt("a bucket value too short");
    };
    let root = u64::from_le_bytes(root.try_into().unwrap_or_default());
    if root != 0 {
        return Ok(Bucket { root, inline: None });
    }
    match value.get(16..) {
        Some(page) if page.len() >= PAGE_HEADER => Ok(Bucket {
            root: 0,
            inline: Some(page.to_vec()),
        }),
        _ => corrupt("an inline bucket without its page"),
    }
}

#[cfg(test)]
mod tests;
