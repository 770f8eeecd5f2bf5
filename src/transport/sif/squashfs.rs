//! A squashfs 4.0 reader: just what turning a root file system into a tar stream needs —
//! directories in their stored (sorted) order, inodes with owners, modes, times, inode
//! numbers (hard links) and extended attributes, and file contents, read straight from
//! the SIF file at the partition's offset.
//!
//! Written here rather than taken from a crate because the one maintained pure-Rust reader
//! (backhand) gives neither extended attributes nor inode numbers, and both are part of the
//! layer skopeo makes. Compressors: gzip, xz, lzma and zstd (what mksquashfs and Apptainer
//! build with); lzo and lz4 images are refused by name.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::rc::Rc;

/// What goes wrong reading a squashfs image: always an image that is cut short or damaged.
fn corrupt(why: impl Into<String>) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("squashfs: {}", why.into()),
    )
}

const MAGIC: u32 = 0x7371_7368;
const METADATA_SIZE: usize = 8192;
const NO_FRAGMENT: u32 = 0xffff_ffff;
const NO_XATTR: u32 = 0xffff_ffff;
const NOT_SET: u64 = u64::MAX;
/// A data block or fragment size word: this bit set means "stored uncompressed".
const BLOCK_UNCOMPRESSED: u32 = 1 << 24;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compressor {
    Gzip,
    Lzma,
    Xz,
    Zstd,
}

struct SuperBlock {
    block_size: u32,
    frag_count: u32,
    compressor: Compressor,
    id_count: u16,
    root_inode: u64,
    id_table: u64,
    xattr_table: u64,
    inode_table: u64,
    dir_table: u64,
    frag_table: u64,
}

/// What kind of file an inode is, with what each kind needs.
#[derive(Clone, Debug)]
pub enum Kind {
    Dir {
        block: u32,
        offset: u16,
        size: u32,
    },
    File {
        blocks_start: u64,
        size: u64,
        fragment: u32,
        fragment_offset: u32,
        blocks: Vec<u32>,
    },
    Symlink(Vec<u8>),
    BlockDevice(u32),
    CharDevice(u32),
    Fifo,
    Socket,
}

#[derive(Clone, Debug)]
pub struct Inode {
    pub kind: Kind,
    pub permissions: u16,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u32,
    pub number: u32,
    xattr: u32,
}

/// A directory entry: its name and where its inode is.
pub struct Entry {
    pub name: Vec<u8>,
    pub inode: u64,
}

pub struct Squashfs<'f> {
    file: &'f File,
    /// Where the image starts in the file, and how long it may be.
    base: u64,
    len: u64,
    sb: SuperBlock,
    ids: Vec<u32>,
    fragments: Vec<(u64, u32)>,
    xattr_ids: Vec<(u64, u32)>,
    xattr_start: u64,
    metadata: HashMap<u64, (Rc<Vec<u8>>, u64)>,
    fragment_cache: Option<(u32, Vec<u8>)>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

impl<'f> Squashfs<'f> {
    /// Opens the image stored at `base..base+len` of `file`.
    pub fn open(file: &'f File, base: u64, len: u64) -> io::Result<Squashfs<'f>> {
        let mut fs = Squashfs {
            file,
            base,
            len,
            sb: SuperBlock {
                block_size: 0,
                frag_count: 0,
                compressor: Compressor::Gzip,
                id_count: 0,
                root_inode: 0,
                id_table: 0,
                xattr_table: NOT_SET,
                inode_table: 0,
                dir_table: 0,
                frag_table: NOT_SET,
            },
            ids: Vec::new(),
            fragments: Vec::new(),
            xattr_ids: Vec::new(),
            xattr_start: 0,
            metadata: HashMap::new(),
            fragment_cache: None,
        };
        let b = fs.read_raw(0, 96)?;
        if u32_at(&b, 0) != MAGIC {
            return Err(corrupt("can't find a valid superblock"));
        }
        let (major, minor) = (u16_at(&b, 28), u16_at(&b, 30));
        if (major, minor) != (4, 0) {
            return Err(corrupt(format!("unsupported version {major}.{minor}")));
        }
        let compressor = match u16_at(&b, 20) {
            1 => Compressor::Gzip,
            2 => Compressor::Lzma,
            4 => Compressor::Xz,
            6 => Compressor::Zstd,
            3 => return Err(corrupt("images compressed with lzo are not supported")),
            5 => return Err(corrupt("images compressed with lz4 are not supported")),
            n => return Err(corrupt(format!("unknown compressor {n}"))),
        };
        let block_size = u32_at(&b, 12);
        if !(4096..=1 << 20).contains(&block_size) || !block_size.is_power_of_two() {
            return Err(corrupt(format!("invalid block size {block_size}")));
        }
        fs.sb = SuperBlock {
            block_size,
            frag_count: u32_at(&b, 16),
            compressor,
            id_count: u16_at(&b, 26),
            root_inode: u64_at(&b, 32),
            id_table: u64_at(&b, 48),
            xattr_table: u64_at(&b, 56),
            inode_table: u64_at(&b, 64),
            dir_table: u64_at(&b, 72),
            frag_table: u64_at(&b, 80),
        };
        let ids = fs.read_table(fs.sb.id_table, fs.sb.id_count as usize, 4)?;
        fs.ids = ids.chunks(4).map(|c| u32_at(c, 0)).collect();
        if fs.sb.frag_count > 0 && fs.sb.frag_table != NOT_SET {
            let frags = fs.read_table(fs.sb.frag_table, fs.sb.frag_count as usize, 16)?;
            fs.fragments = frags
                .chunks(16)
                .map(|c| (u64_at(c, 0), u32_at(c, 8)))
                .collect();
        }
        if fs.sb.xattr_table != NOT_SET {
            let head = fs.read_raw(fs.sb.xattr_table, 16)?;
            fs.xattr_start = u64_at(&head, 0);
            let count = u32_at(&head, 8) as usize;
            let ids = fs.read_table(fs.sb.xattr_table.saturating_add(16), count, 16)?;
            fs.xattr_ids = ids
                .chunks(16)
                .map(|c| (u64_at(c, 0), u32_at(c, 8)))
                .collect();
        }
        Ok(fs)
    }

    pub fn root_inode(&self) -> u64 {
        self.sb.root_inode
    }

    pub fn block_size(&self) -> u32 {
        self.sb.block_size
    }

    /// `len` bytes at `at` of the image, which must hold them.
    fn read_raw(&self, at: u64, len: usize) -> io::Result<Vec<u8>> {
        if at.checked_add(len as u64).is_none_or(|end| end > self.len) {
            return Err(corrupt("unexpected end of image"));
        }
        let mut buf = vec![0; len];
        self.file.read_exact_at(&mut buf, self.base + at)?;
        Ok(buf)
    }

    /// A table of `count` entries of `size` bytes kept in metadata blocks, whose positions
    /// are listed (as u64s) at `list`.
    fn read_table(&mut self, list: u64, count: usize, size: usize) -> io::Result<Vec<u8>> {
        let total = count * size;
        let blocks = total.div_ceil(METADATA_SIZE);
        let positions = self.read_raw(list, blocks * 8)?;
        // Grown as blocks arrive: `count` comes from the image, not to be trusted.
        let mut out = Vec::new();
        for i in 0..blocks {
            let (data, _) = self.metadata_block(u64_at(&positions, i * 8))?;
            out.extend_from_slice(&data);
        }
        if out.len() < total {
            return Err(corrupt("table cut short"));
        }
        out.truncate(total);
        Ok(out)
    }

    /// The metadata block at `at` (decompressed), and where the next one starts.
    fn metadata_block(&mut self, at: u64) -> io::Result<(Rc<Vec<u8>>, u64)> {
        if let Some((data, next)) = self.metadata.get(&at) {
            return Ok((data.clone(), *next));
        }
        let head = self.read_raw(at, 2)?;
        let word = u16_at(&head, 0);
        let len = (word & 0x7fff) as usize;
        let raw = self.read_raw(at.saturating_add(2), len)?;
        let data = if word & 0x8000 != 0 {
            raw
        } else {
            self.decompress(&raw, METADATA_SIZE)?
        };
        let entry = (Rc::new(data), at.saturating_add(2 + len as u64));
        // Tables are mostly read in order; a bounded cache is enough.
        if self.metadata.len() > 4096 {
            self.metadata.clear();
        }
        self.metadata.insert(at, entry.clone());
        Ok(entry)
    }

    /// `len` bytes of metadata at `cursor` (a block position and an offset into its
    /// decompressed bytes), moving the cursor past them.
    fn read_metadata(&mut self, cursor: &mut (u64, usize), len: usize) -> io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let (data, next) = self.metadata_block(cursor.0)?;
            if cursor.1 > data.len() {
                return Err(corrupt("metadata reference out of range"));
            }
            if cursor.1 == data.len() {
                *cursor = (next, 0);
                continue;
            }
            let take = (len - out.len()).min(data.len() - cursor.1);
            out.extend_from_slice(&data[cursor.1..cursor.1 + take]);
            cursor.1 += take;
        }
        Ok(out)
    }

    fn decompress(&self, raw: &[u8], limit: usize) -> io::Result<Vec<u8>> {
        use std::io::Read;
        let mut out = Vec::with_capacity(limit);
        let res = match self.sb.compressor {
            Compressor::Gzip => flate2::read::ZlibDecoder::new(raw)
                .take(limit as u64 + 1)
                .read_to_end(&mut out)
                .map(|_| ()),
            Compressor::Zstd => zstd::stream::read::Decoder::new(raw)
                .and_then(|d| d.take(limit as u64 + 1).read_to_end(&mut out))
                .map(|_| ()),
            Compressor::Xz => lzma_rs::xz_decompress(&mut { raw }, &mut out)
                .map_err(|e| io::Error::other(e.to_string())),
            Compressor::Lzma => lzma_rs::lzma_decompress(&mut { raw }, &mut out)
                .map_err(|e| io::Error::other(e.to_string())),
        };
        res.map_err(|e| corrupt(format!("decompressing a block: {e}")))?;
        if out.len() > limit {
            return Err(corrupt("a block decompresses to more than its size"));
        }
        Ok(out)
    }

    fn id(&self, index: u16) -> io::Result<u32> {
        self.ids
            .get(index as usize)
            .copied()
            .ok_or_else(|| corrupt("owner id out of range"))
    }

    /// The inode a reference (`block << 16 | offset` in the inode table) points at.
    pub fn inode(&mut self, reference: u64) -> io::Result<Inode> {
        let mut cur = (
            self.sb.inode_table.saturating_add(reference >> 16),
            (reference & 0xffff) as usize,
        );
        let head = self.read_metadata(&mut cur, 16)?;
        let code = u16_at(&head, 0);
        // The fixed part that follows the common header, per inode type.
        let fixed = match code {
            1 | 2 => 16,
            3 | 4 | 5 | 10 | 13 | 14 => 8,
            6 | 7 => 4,
            8 => 24,
            9 => 40,
            11 | 12 => 12,
            n => return Err(corrupt(format!("unknown inode type {n}"))),
        };
        let b = self.read_metadata(&mut cur, fixed)?;
        let mut xattr = NO_XATTR;
        let kind = match code {
            1 => Kind::Dir {
                block: u32_at(&b, 0),
                size: u16_at(&b, 8) as u32,
                offset: u16_at(&b, 10),
            },
            8 => {
                xattr = u32_at(&b, 20);
                Kind::Dir {
                    size: u32_at(&b, 4),
                    block: u32_at(&b, 8),
                    offset: u16_at(&b, 18),
                }
            }
            2 | 9 => {
                let (blocks_start, fragment, fragment_offset, size) = if code == 2 {
                    let size = u32_at(&b, 12) as u64;
                    (u32_at(&b, 0) as u64, u32_at(&b, 4), u32_at(&b, 8), size)
                } else {
                    xattr = u32_at(&b, 36);
                    (u64_at(&b, 0), u32_at(&b, 28), u32_at(&b, 32), u64_at(&b, 8))
                };
                let bs = self.sb.block_size as u64;
                let count = if fragment == NO_FRAGMENT {
                    size.div_ceil(bs)
                } else {
                    size / bs
                };
                if count > self.len / 4 {
                    return Err(corrupt("file larger than the image can hold"));
                }
                let sizes = self.read_metadata(&mut cur, count as usize * 4)?;
                Kind::File {
                    blocks_start,
                    size,
                    fragment,
                    fragment_offset,
                    blocks: sizes.chunks(4).map(|c| u32_at(c, 0)).collect(),
                }
            }
            3 | 10 => {
                let len = u32_at(&b, 4) as usize;
                if len > 65536 {
                    return Err(corrupt("symbolic link target too long"));
                }
                let target = self.read_metadata(&mut cur, len)?;
                if code == 10 {
                    xattr = u32_at(&self.read_metadata(&mut cur, 4)?, 0);
                }
                Kind::Symlink(target)
            }
            4 | 11 => Kind::BlockDevice(u32_at(&b, 4)),
            5 | 12 => Kind::CharDevice(u32_at(&b, 4)),
            6 | 13 => Kind::Fifo,
            _ => Kind::Socket,
        };
        match code {
            11 | 12 => xattr = u32_at(&b, 8),
            13 | 14 => xattr = u32_at(&b, 4),
            _ => {}
        }
        Ok(Inode {
            kind,
            permissions: u16_at(&head, 2),
            uid: self.id(u16_at(&head, 4))?,
            gid: self.id(u16_at(&head, 6))?,
            mtime: u32_at(&head, 8),
            number: u32_at(&head, 12),
            xattr,
        })
    }

    /// A directory's entries, in stored order (sorted by name).
    pub fn entries(&mut self, dir: &Inode) -> io::Result<Vec<Entry>> {
        let Kind::Dir {
            block,
            offset,
            size,
        } = dir.kind
        else {
            return Err(corrupt("not a directory"));
        };
        // The stored size counts 3 bytes more than the listing ("." and "..").
        let len = (size as usize).saturating_sub(3);
        let mut cur = (
            self.sb.dir_table.saturating_add(block as u64),
            offset as usize,
        );
        let data = self.read_metadata(&mut cur, len)?;
        let mut entries = Vec::new();
        let mut at = 0;
        while at + 12 <= data.len() {
            let count = u32_at(&data, at) as usize + 1;
            let start = u32_at(&data, at + 4) as u64;
            at += 12;
            for _ in 0..count {
                if at + 8 > data.len() {
                    return Err(corrupt("directory listing cut short"));
                }
                let inode_offset = u16_at(&data, at) as u64;
                let name_len = u16_at(&data, at + 6) as usize + 1;
                at += 8;
                let name = data
                    .get(at..at + name_len)
                    .ok_or_else(|| corrupt("directory listing cut short"))?;
                at += name_len;
                if name.contains(&b'/') || name == b"." || name == b".." {
                    return Err(corrupt("invalid name in a directory"));
                }
                entries.push(Entry {
                    name: name.to_vec(),
                    inode: (start << 16) | inode_offset,
                });
            }
        }
        Ok(entries)
    }

    /// The inode's extended attributes, full names (`user.x`) with their values.
    pub fn xattrs(&mut self, inode: &Inode) -> io::Result<Vec<(String, Vec<u8>)>> {
        if inode.xattr == NO_XATTR {
            return Ok(Vec::new());
        }
        let &(reference, count) = self
            .xattr_ids
            .get(inode.xattr as usize)
            .ok_or_else(|| corrupt("xattr index out of range"))?;
        let mut cur = (
            self.xattr_start.saturating_add(reference >> 16),
            (reference & 0xffff) as usize,
        );
        let mut out = Vec::new();
        for _ in 0..count {
            let key = self.read_metadata(&mut cur, 4)?;
            let (kind, name_len) = (u16_at(&key, 0), u16_at(&key, 2) as usize);
            let name = self.read_metadata(&mut cur, name_len)?;
            let mut value = self.xattr_value(&mut cur)?;
            if kind & 0x100 != 0 {
                // Stored once elsewhere; this is a reference to it.
                if value.len() != 8 {
                    return Err(corrupt("invalid out-of-line xattr"));
                }
                let r = u64_at(&value, 0);
                let mut there = (
                    self.xattr_start.saturating_add(r >> 16),
                    (r & 0xffff) as usize,
                );
                value = self.xattr_value(&mut there)?;
            }
            let prefix = match kind & 0xff {
                0 => "user.",
                1 => "trusted.",
                2 => "security.",
                n => return Err(corrupt(format!("unknown xattr type {n}"))),
            };
            out.push((format!("{prefix}{}", String::from_utf8_lossy(&name)), value));
        }
        Ok(out)
    }

    /// A value: its length, then its bytes.
    fn xattr_value(&mut self, cur: &mut (u64, usize)) -> io::Result<Vec<u8>> {
        let len = u32_at(&self.read_metadata(cur, 4)?, 0) as usize;
        if len > 1 << 20 {
            return Err(corrupt("xattr value too long"));
        }
        self.read_metadata(cur, len)
    }

    /// Writes a regular file's contents to `out`; returns how many bytes were written.
    pub fn write_contents(&mut self, inode: &Inode, out: &mut dyn Write) -> io::Result<u64> {
        let Kind::File {
            blocks_start,
            size,
            fragment,
            fragment_offset,
            ref blocks,
        } = inode.kind
        else {
            return Err(corrupt("not a regular file"));
        };
        let bs = self.sb.block_size as usize;
        let mut written = 0u64;
        let mut at = blocks_start;
        for &word in blocks {
            let want = (size - written).min(bs as u64) as usize;
            let len = (word & !BLOCK_UNCOMPRESSED) as usize;
            if len == 0 {
                // A sparse block: zeros, nothing stored.
                out.write_all(&vec![0; want])?;
            } else {
                if len > bs {
                    return Err(corrupt("data block larger than the block size"));
                }
                let raw = self.read_raw(at, len)?;
                let data = if word & BLOCK_UNCOMPRESSED != 0 {
                    raw
                } else {
                    self.decompress(&raw, bs)?
                };
                if data.len() < want {
                    return Err(corrupt("data block cut short"));
                }
                out.write_all(&data[..want])?;
                at = at.saturating_add(len as u64);
            }
            written += want as u64;
        }
        if fragment != NO_FRAGMENT {
            let tail = (size - written) as usize;
            let data = self.fragment(fragment)?;
            let start = fragment_offset as usize;
            let piece = data
                .get(start..start + tail)
                .ok_or_else(|| corrupt("fragment cut short"))?;
            out.write_all(piece)?;
            written += tail as u64;
        }
        if written != size {
            return Err(corrupt("file data does not match its size"));
        }
        Ok(written)
    }

    fn fragment(&mut self, index: u32) -> io::Result<&[u8]> {
        if self
            .fragment_cache
            .as_ref()
            .is_none_or(|(i, _)| *i != index)
        {
            let &(start, word) = self
                .fragments
                .get(index as usize)
                .ok_or_else(|| corrupt("fragment index out of range"))?;
            let len = (word & !BLOCK_UNCOMPRESSED) as usize;
            if len > self.sb.block_size as usize {
                return Err(corrupt("fragment larger than the block size"));
            }
            let raw = self.read_raw(start, len)?;
            let data = if word & BLOCK_UNCOMPRESSED != 0 {
                raw
            } else {
                self.decompress(&raw, self.sb.block_size as usize)?
            };
            self.fragment_cache = Some((index, data));
        }
        Ok(&self.fragment_cache.as_ref().unwrap().1)
    }
}
