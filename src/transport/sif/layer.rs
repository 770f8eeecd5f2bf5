//! The SIF image's one layer: its squashfs root file system as a tar stream, written
//! straight from the squashfs (nothing extracted to disk, no fakeroot: owners are the ones
//! the image records).
//!
//! The entries are what skopeo's `unsquashfs` + `tar --xattrs` produce — `./`, `./dir/`,
//! `./dir/file`, hard links as links to the first name, extended attributes as
//! `SCHILY.xattr.*` PAX records, sockets left out — but written deterministically: the
//! squashfs's (sorted) order, no access or change times, no user or group names (which tar
//! looks up on the host), so the same SIF file always gives the same diff ID.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Write};

use tar::{EntryType, Header};

use super::squashfs::{Kind, Squashfs};

/// c/image's extra file: the definition file's environment and run script, as
/// `/podman/runscript` (mode 0755, owned by root).
pub struct Injected<'a> {
    pub script: &'a [u8],
    pub mtime: u64,
}

pub const INJECTED_DIR: &str = "./podman/";
pub const INJECTED_PATH: &str = "./podman/runscript";

/// Writes the layer of the squashfs stored at `base..base+len` of `file` to `out`.
pub fn write_layer(
    file: &File,
    base: u64,
    len: u64,
    injected: Option<&Injected>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut fs = Squashfs::open(file, base, len)?;
    let mut tar = tar::Builder::new(out);
    let mut first_names: HashMap<u32, Vec<u8>> = HashMap::new();
    let mut dirs_seen: HashSet<u32> = HashSet::new();
    // Depth first, each directory before what it holds, in stored order.
    let mut stack: Vec<(u64, Vec<u8>)> = vec![(fs.root_inode(), b"./".to_vec())];
    let mut root = true;
    while let Some((reference, name)) = stack.pop() {
        let inode = fs.inode(reference)?;
        let is_dir = matches!(inode.kind, Kind::Dir { .. });
        if root && !is_dir {
            return Err(io::Error::other("squashfs: the root is not a directory"));
        }
        if is_dir {
            if !dirs_seen.insert(inode.number) {
                return Err(io::Error::other("squashfs: a directory contains itself"));
            }
            let mut name = name;
            if !root {
                name.push(b'/');
            }
            write_entry(&mut tar, &mut fs, &inode, &name, None)?;
            if let (true, Some(inj)) = (root, injected) {
                write_injected(&mut tar, &mut fs, &inode, inj)?;
            }
            let entries = fs.entries(&inode)?;
            for e in entries.into_iter().rev() {
                let mut child = if root { b"./".to_vec() } else { name.clone() };
                child.extend_from_slice(&e.name);
                stack.push((e.inode, child));
            }
        } else if matches!(inode.kind, Kind::Socket) {
            // tar leaves sockets out.
        } else if let Some(first) = first_names.get(&inode.number) {
            let first = first.clone();
            write_entry(&mut tar, &mut fs, &inode, &name, Some(&first))?;
        } else {
            first_names.insert(inode.number, name.clone());
            write_entry(&mut tar, &mut fs, &inode, &name, None)?;
        }
        root = false;
    }
    tar.finish()
}

/// The injected directory and script, unless the image has its own (which, extracted over
/// them by skopeo, would win).
fn write_injected(
    tar: &mut tar::Builder<&mut dyn Write>,
    fs: &mut Squashfs,
    root: &super::squashfs::Inode,
    inj: &Injected,
) -> io::Result<()> {
    let podman = fs.entries(root)?.into_iter().find(|e| e.name == b"podman");
    let has_script = match &podman {
        None => false,
        Some(e) => {
            let dir = fs.inode(e.inode)?;
            matches!(dir.kind, Kind::Dir { .. })
                && fs.entries(&dir)?.iter().any(|e| e.name == b"runscript")
        }
    };
    let header = |kind: EntryType, size: u64| {
        let mut h = Header::new_ustar();
        h.set_entry_type(kind);
        h.set_mode(0o755);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(inj.mtime);
        h.set_size(size);
        h
    };
    if podman.is_none() {
        let mut h = header(EntryType::Directory, 0);
        set_name(&mut h, INJECTED_DIR.as_bytes());
        h.set_cksum();
        tar.append(&h, io::empty())?;
    }
    if !has_script {
        let mut h = header(EntryType::Regular, inj.script.len() as u64);
        set_name(&mut h, INJECTED_PATH.as_bytes());
        h.set_cksum();
        tar.append(&h, inj.script)?;
    }
    Ok(())
}

/// Puts `name` in the ustar name (and prefix) fields; `false` when it does not fit.
fn set_name(h: &mut Header, name: &[u8]) -> bool {
    let ustar = h.as_ustar_mut().expect("a ustar header");
    if name.len() <= 100 {
        ustar.name[..name.len()].copy_from_slice(name);
        return true;
    }
    // Split at a `/` into a prefix of at most 155 bytes and a name of at most 100.
    let search = &name[..name.len().min(156)];
    let trimmed = search.strip_suffix(b"/").unwrap_or(search);
    if let Some(i) = trimmed.iter().rposition(|&b| b == b'/') {
        let (prefix, rest) = (&name[..i], &name[i + 1..]);
        if i > 0 && prefix.len() <= 155 && !rest.is_empty() && rest.len() <= 100 {
            ustar.prefix[..prefix.len()].copy_from_slice(prefix);
            ustar.name[..rest.len()].copy_from_slice(rest);
            return true;
        }
    }
    ustar.name.copy_from_slice(&name[..100]);
    false
}

fn write_entry(
    tar: &mut tar::Builder<&mut dyn Write>,
    fs: &mut Squashfs,
    inode: &super::squashfs::Inode,
    name: &[u8],
    hard_link_to: Option<&[u8]>,
) -> io::Result<()> {
    let mut h = Header::new_ustar();
    h.set_mode((inode.permissions & 0o7777) as u32);
    h.set_uid(inode.uid as u64);
    h.set_gid(inode.gid as u64);
    h.set_mtime(inode.mtime as u64);
    h.set_size(0);
    let mut pax: Vec<(String, Vec<u8>)> = Vec::new();
    let mut link: Option<&[u8]> = None;
    let mut size = 0;
    match (&inode.kind, hard_link_to) {
        (_, Some(first)) => {
            h.set_entry_type(EntryType::Link);
            link = Some(first);
        }
        (Kind::Dir { .. }, None) => h.set_entry_type(EntryType::Directory),
        (Kind::File { size: s, .. }, None) => {
            h.set_entry_type(EntryType::Regular);
            size = *s;
            h.set_size(size);
        }
        (Kind::Symlink(target), None) => {
            h.set_entry_type(EntryType::Symlink);
            link = Some(target);
        }
        (Kind::BlockDevice(dev) | Kind::CharDevice(dev), None) => {
            let block = matches!(inode.kind, Kind::BlockDevice(_));
            h.set_entry_type(if block {
                EntryType::Block
            } else {
                EntryType::Char
            });
            // Linux's encoding of a device number in 32 bits.
            h.set_device_major((dev >> 8) & 0xfff)?;
            h.set_device_minor((dev & 0xff) | ((dev >> 12) & 0xfff00))?;
        }
        (Kind::Fifo, None) => h.set_entry_type(EntryType::Fifo),
        (Kind::Socket, None) => return Ok(()),
    }
    if hard_link_to.is_none() {
        for (key, value) in fs.xattrs(inode)? {
            pax.push((format!("SCHILY.xattr.{key}"), value));
        }
    }
    if !set_name(&mut h, name) {
        pax.push(("path".into(), name.to_vec()));
    }
    if let Some(target) = link {
        let field = &mut h.as_ustar_mut().unwrap().linkname;
        let n = target.len().min(100);
        field[..n].copy_from_slice(&target[..n]);
        if target.len() > 100 {
            pax.push(("linkpath".into(), target.to_vec()));
        }
    }
    if !pax.is_empty() {
        tar.append_pax_extensions(pax.iter().map(|(k, v)| (k.as_str(), v.as_slice())))?;
    }
    h.set_cksum();
    tar.append(&h, io::empty())?;
    if size > 0 {
        let out = tar.get_mut();
        fs.write_contents(inode, &mut *out)?;
        out.write_all(&[0u8; 512][..((512 - size % 512) % 512) as usize])?;
    }
    Ok(())
}
