//! The system calls layer extraction needs and std does not offer: ownership and times that
//! do not follow symlinks, device nodes, extended attributes, and tree copies that keep all
//! of those plus hard links (the vfs driver copies the parent layer this way).

use std::collections::HashMap;
use std::ffi::{CString, OsStr};
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

fn c_path(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))
}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

pub fn lchown(p: &Path, uid: u64, gid: u64) -> io::Result<()> {
    let c = c_path(p)?;
    // SAFETY: valid C string.
    check(unsafe { libc::lchown(c.as_ptr(), uid as libc::uid_t, gid as libc::gid_t) })
}

pub fn chmod(p: &Path, mode: u32) -> io::Result<()> {
    fs::set_permissions(p, fs::Permissions::from_mode(mode & 0o7777))
}

pub fn mknod(p: &Path, kind: libc::mode_t, perm: u32, major: u32, minor: u32) -> io::Result<()> {
    let c = c_path(p)?;
    let dev = libc::makedev(major, minor);
    // SAFETY: valid C string.
    check(unsafe { libc::mknod(c.as_ptr(), kind | (perm & 0o7777) as libc::mode_t, dev) })
}

/// Sets access and modification times without following a final symlink.
pub fn lutimes(p: &Path, atime: (i64, u32), mtime: (i64, u32)) -> io::Result<()> {
    let c = c_path(p)?;
    let ts = [
        libc::timespec {
            tv_sec: atime.0 as libc::time_t,
            tv_nsec: atime.1 as libc::c_long,
        },
        libc::timespec {
            tv_sec: mtime.0 as libc::time_t,
            tv_nsec: mtime.1 as libc::c_long,
        },
    ];
    // SAFETY: valid C string and timespec array of two.
    check(unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            c.as_ptr(),
            ts.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    })
}

pub fn lsetxattr(p: &Path, name: &str, value: &[u8]) -> io::Result<()> {
    let c = c_path(p)?;
    let n = CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: valid C strings and buffer.
    check(unsafe {
        libc::lsetxattr(
            c.as_ptr(),
            n.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    })
}

/// The extended attributes of `p` (not following a final symlink).
pub fn lxattrs(p: &Path) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let c = c_path(p)?;
    // SAFETY: a null buffer asks for the size.
    let size = unsafe { libc::llistxattr(c.as_ptr(), std::ptr::null_mut(), 0) };
    if size < 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::ENOTSUP) => Ok(Vec::new()),
            _ => Err(e),
        };
    }
    if size == 0 {
        return Ok(Vec::new());
    }
    let mut names = vec![0u8; size as usize];
    // SAFETY: buffer of the given length.
    let size = unsafe { libc::llistxattr(c.as_ptr(), names.as_mut_ptr().cast(), names.len()) };
    if size < 0 {
        return Err(io::Error::last_os_error());
    }
    names.truncate(size as usize);
    let mut out = Vec::new();
    for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let cn = CString::new(name).expect("no NUL inside a split name");
        // SAFETY: valid C strings; null buffer asks for the size.
        let len = unsafe { libc::lgetxattr(c.as_ptr(), cn.as_ptr(), std::ptr::null_mut(), 0) };
        if len < 0 {
            continue;
        }
        let mut val = vec![0u8; len as usize];
        // SAFETY: buffer of the given length.
        let len =
            unsafe { libc::lgetxattr(c.as_ptr(), cn.as_ptr(), val.as_mut_ptr().cast(), val.len()) };
        if len < 0 {
            continue;
        }
        val.truncate(len as usize);
        out.push((name.to_vec(), val));
    }
    Ok(out)
}

fn set_xattr_bytes(p: &Path, name: &[u8], value: &[u8]) -> io::Result<()> {
    let c = c_path(p)?;
    let n = CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: valid C strings and buffer.
    check(unsafe {
        libc::lsetxattr(
            c.as_ptr(),
            n.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    })
}

fn times_of(md: &fs::Metadata) -> ((i64, u32), (i64, u32)) {
    (
        (md.atime(), md.atime_nsec() as u32),
        (md.mtime(), md.mtime_nsec() as u32),
    )
}

/// Gives `dst` the owner, mode, extended attributes and (optionally) times of `src`.
pub fn copy_metadata(src: &Path, md: &fs::Metadata, dst: &Path, times: bool) -> io::Result<()> {
    lchown(dst, u64::from(md.uid()), u64::from(md.gid()))?;
    if !md.file_type().is_symlink() {
        chmod(dst, md.mode())?;
    }
    for (name, value) in lxattrs(src)? {
        match set_xattr_bytes(dst, &name, &value) {
            Err(e) if e.raw_os_error() == Some(libc::ENOTSUP) => {}
            other => other?,
        }
    }
    if times {
        let (a, m) = times_of(md);
        lutimes(dst, a, m)?;
    }
    Ok(())
}

/// Copies a file's bytes with a reflink where the file system can, else in the kernel.
pub fn copy_file_bytes(src: &Path, dst: &Path, mode: u32) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    let mut from = fs::File::open(src)?;
    let mut to = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode & 0o777)
        .open(dst)?;
    const FICLONE: libc::c_ulong = 0x4004_9409;
    // SAFETY: both descriptors are open.
    if unsafe { libc::ioctl(to.as_raw_fd(), FICLONE, from.as_raw_fd()) } == 0 {
        return Ok(());
    }
    io::copy(&mut from, &mut to)?;
    Ok(())
}

/// Copies the tree `src` into the existing directory `dst` (whose own metadata is set from
/// `src`), keeping owners, modes, times, extended attributes, devices and hard links.
pub fn copy_tree(src: &Path, dst: &Path) -> io::Result<()> {
    let mut links: HashMap<(u64, u64), std::path::PathBuf> = HashMap::new();
    let mut dirs: Vec<(std::path::PathBuf, fs::Metadata)> = Vec::new();
    copy_dir_contents(src, dst, &mut links, &mut dirs)?;
    let md = fs::symlink_metadata(src)?;
    copy_metadata(src, &md, dst, false)?;
    dirs.push((dst.to_path_buf(), md));
    for (d, md) in dirs.iter().rev() {
        let (a, m) = times_of(md);
        lutimes(d, a, m)?;
    }
    Ok(())
}

fn copy_dir_contents(
    src: &Path,
    dst: &Path,
    links: &mut HashMap<(u64, u64), std::path::PathBuf>,
    dirs: &mut Vec<(std::path::PathBuf, fs::Metadata)>,
) -> io::Result<()> {
    for entry in fs::read_dir(src)? {
        let entry = entry?;
        let s = entry.path();
        let d = dst.join(entry.file_name());
        let md = fs::symlink_metadata(&s)?;
        let ft = md.file_type();
        if ft.is_dir() {
            fs::create_dir(&d)?;
            copy_dir_contents(&s, &d, links, dirs)?;
            copy_metadata(&s, &md, &d, false)?;
            dirs.push((d, md));
            continue;
        }
        if md.nlink() > 1
            && let Some(first) = links.get(&(md.dev(), md.ino()))
        {
            fs::hard_link(first, &d)?;
            continue;
        }
        if ft.is_symlink() {
            let target = fs::read_link(&s)?;
            std::os::unix::fs::symlink(target, &d)?;
        } else if ft.is_file() {
            copy_file_bytes(&s, &d, md.mode())?;
        } else {
            let kind = md.mode() & libc::S_IFMT;
            let rdev = md.rdev();
            mknod(
                &d,
                kind,
                md.mode(),
                libc::major(rdev) as u32,
                libc::minor(rdev) as u32,
            )?;
        }
        copy_metadata(&s, &md, &d, true)?;
        if md.nlink() > 1 {
            links.insert((md.dev(), md.ino()), d);
        }
    }
    Ok(())
}

/// Removes `p` whatever it is; missing is fine.
pub fn remove_all(p: &Path) -> io::Result<()> {
    match fs::symlink_metadata(p) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
        Ok(md) if md.is_dir() => {
            make_writable_tree(p);
            fs::remove_dir_all(p)
        }
        Ok(_) => fs::remove_file(p),
    }
}

/// Read-only directories (e.g. 0555 layer roots) cannot be emptied by an unprivileged user;
/// root does not care, but give owners the write bit anyway so removal works for everyone.
fn make_writable_tree(p: &Path) {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return;
    }
    if let Ok(md) = fs::symlink_metadata(p)
        && md.is_dir()
    {
        let _ = chmod(p, md.mode() | 0o700);
        if let Ok(rd) = fs::read_dir(p) {
            for e in rd.flatten() {
                make_writable_tree(&e.path());
            }
        }
    }
}

/// `OsStr` from bytes.
pub fn os(b: &[u8]) -> &OsStr {
    OsStr::from_bytes(b)
}
