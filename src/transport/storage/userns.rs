//! Running as an ordinary user against containers-storage: skopeo re-runs itself inside a
//! new user (and mount) namespace where the user is root and the user's `/etc/subuid` and
//! `/etc/subgid` ranges are mapped after it, so that layer files get the owners the image
//! gives them (uid 1000 in an image is the range's 1000th id on the host), exactly as rootless
//! podman stores them. skiff does the same: the parent sets the maps with `newuidmap` and
//! `newgidmap` and waits; the child is the same command line.
//!
//! The child is told what it is by the environment c/storage uses:
//! `_CONTAINERS_USERNS_CONFIGURED=done` and `_CONTAINERS_ROOTLESS_UID`/`_GID` (the user's ids
//! outside), which is also how storage.conf resolution knows to use the rootless defaults.

use std::ffi::CStr;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Command;
use std::sync::atomic::{AtomicI32, Ordering};

use anyhow::{Context, Result, anyhow, bail};

pub const USERNS_ENV: &str = "_CONTAINERS_USERNS_CONFIGURED";
pub const ROOTLESS_UID_ENV: &str = "_CONTAINERS_ROOTLESS_UID";
pub const ROOTLESS_GID_ENV: &str = "_CONTAINERS_ROOTLESS_GID";

const SUBUID_FILE: &str = "/etc/subuid";
const SUBGID_FILE: &str = "/etc/subgid";

fn env_id(name: &str) -> Option<u32> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(|v| v.parse().unwrap_or(0))
}

/// The user's id outside any namespace skiff (or podman) made: `$_CONTAINERS_ROOTLESS_UID`,
/// else the effective uid.
pub fn rootless_uid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    env_id(ROOTLESS_UID_ENV).unwrap_or_else(|| unsafe { libc::geteuid() })
}

/// c/storage's IsRootless: an ordinary user, or root inside a namespace made for one.
pub fn is_rootless() -> bool {
    rootless_uid() != 0 || std::env::var_os(USERNS_ENV).is_some_and(|v| !v.is_empty())
}

/// The capabilities writing a store needs (skopeo's list): chown, dac_override, fowner,
/// fsetid, mknod, setfcap.
const NEEDED_CAPS: [u32; 6] = [0, 1, 3, 4, 27, 31];

fn has_needed_caps() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0);
    NEEDED_CAPS.iter().all(|c| eff & (1 << c) != 0)
}

/// One line of a uid_map/gid_map: `inside outside count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdMap {
    pub inside: u32,
    pub outside: u32,
    pub size: u32,
}

/// The ranges `/etc/subuid` (or subgid) gives `user` (by name or by number), lowest first.
pub fn sub_id_ranges(file: &str, text: &str, user: &str, uid: u32) -> Result<Vec<(u32, u32)>> {
    let uid = uid.to_string();
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split(':').collect();
        if parts.len() != 3 {
            bail!("cannot parse subuid/gid information: Format not correct for {file} file");
        }
        if parts[0] == user || parts[0] == uid {
            let num = |s: &str| {
                s.parse::<u32>().map_err(|e| {
                    anyhow!(
                        "string to int conversion failed during subuid/gid parsing of {file}: {e}"
                    )
                })
            };
            out.push((num(parts[1])?, num(parts[2])?));
        }
    }
    out.sort();
    Ok(out)
}

fn read_ranges(file: &str, user: &str, uid: u32, kind: &str) -> Result<Vec<(u32, u32)>> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow!("open {file}: {}", crate::gotext::go_errno_text(&e)))?;
    let ranges = sub_id_ranges(file, &text, user, uid)?;
    if ranges.is_empty() {
        bail!(
            "no sub{kind} ranges found for {} {user:?} in {file}",
            if kind == "uid" { "user" } else { "group" }
        );
    }
    Ok(ranges)
}

/// The user's own id as 0, then the sub-id ranges one after another from 1.
fn namespace_map(own: u32, ranges: &[(u32, u32)]) -> Vec<IdMap> {
    let mut out = vec![IdMap {
        inside: 0,
        outside: own,
        size: 1,
    }];
    let mut next = 1u32;
    for &(start, len) in ranges {
        out.push(IdMap {
            inside: next,
            outside: start,
            size: len,
        });
        next = next.saturating_add(len);
    }
    out
}

struct Me {
    name: String,
    uid: u32,
    gid: u32,
}

fn current_user() -> Result<Me> {
    // SAFETY: getuid has no preconditions; getpwuid_r fills the buffers given.
    unsafe {
        let uid = libc::getuid();
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 16 << 10];
        let mut res: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut res);
        if rc != 0 || res.is_null() {
            bail!("error determining current user: user: unknown userid {uid}");
        }
        Ok(Me {
            name: CStr::from_ptr(pwd.pw_name).to_string_lossy().into_owned(),
            uid,
            gid: pwd.pw_gid,
        })
    }
}

/// Whether a command on these images must run in a user namespace first (skopeo does it for
/// any `containers-storage:` name, unless it already has the capabilities a store needs).
pub fn needed_for(images: &[String]) -> bool {
    images.iter().any(|n| n.starts_with("containers-storage:")) && !has_needed_caps()
}

/// The child's pid, for forwarding signals to it.
static CHILD: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward_signal(sig: libc::c_int) {
    let pid = CHILD.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe { libc::kill(pid, sig) };
    }
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds has room for the two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error()).context("creating a pipe");
    }
    // SAFETY: both descriptors were just created and are owned here only.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Re-runs this command line in a new user namespace and returns the status to exit with
/// (the child's; 128 + the signal that killed it). Errors before the child runs are returned.
pub fn reexec() -> Result<i32> {
    let me = current_user()?;
    let (mut uid_ranges, mut gid_ranges) = (Vec::new(), Vec::new());
    match read_ranges(SUBUID_FILE, &me.name, me.uid, "uid")
        .and_then(|u| Ok((u, read_ranges(SUBGID_FILE, &me.name, me.uid, "gid")?)))
    {
        Ok((u, g)) => (uid_ranges, gid_ranges) = (u, g),
        Err(e) => crate::error::warn(&format!(
            "Reading allowed ID mappings: reading subuid mappings for user {:?} and subgid mappings for group {:?}: {e:#}",
            me.name, me.name
        )),
    }
    if uid_ranges.is_empty() {
        crate::error::warn(&format!(
            "Found no UID ranges set aside for user {:?} in /etc/subuid.",
            me.name
        ));
    }
    if gid_ranges.is_empty() {
        crate::error::warn(&format!(
            "Found no GID ranges set aside for user {:?} in /etc/subgid.",
            me.name
        ));
    }
    let uid_map = namespace_map(me.uid, &uid_ranges);
    let gid_map = namespace_map(me.gid, &gid_ranges);
    let use_helpers = me.uid != 0;

    let (ready_r, ready_w) = pipe()?;
    let (go_r, go_w) = pipe()?;
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    let mut cmd = Command::new("/proc/self/exe");
    cmd.arg0(argv0).args(args);
    cmd.env(USERNS_ENV, "done")
        .env(ROOTLESS_UID_ENV, me.uid.to_string())
        .env(ROOTLESS_GID_ENV, me.gid.to_string());
    if std::env::var_os("BUILDAH_ISOLATION").is_none() {
        cmd.env("BUILDAH_ISOLATION", "rootless");
    }
    let (ready_w_fd, go_r_fd) = {
        use std::os::fd::AsRawFd;
        (ready_w.as_raw_fd(), go_r.as_raw_fd())
    };
    // SAFETY: only async-signal-safe calls on descriptors that stay open until exec.
    unsafe {
        cmd.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let pid = libc::getpid().to_ne_bytes();
            libc::write(ready_w_fd, pid.as_ptr().cast(), pid.len());
            let mut ok = [0u8; 1];
            if libc::read(go_r_fd, ok.as_mut_ptr().cast(), 1) != 1 || ok[0] != b'1' {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    // The child waits in the new namespace until its maps are set; `spawn` only returns once
    // it has executed, so the maps are set from another thread.
    let mapper = std::thread::spawn(move || -> Result<()> {
        let mut ready = std::fs::File::from(ready_r);
        let mut pid = [0u8; 4];
        ready
            .read_exact(&mut pid)
            .context("waiting for the user namespace")?;
        let pid = i32::from_ne_bytes(pid);
        let mut go = std::fs::File::from(go_w);
        let res = set_maps(pid, &uid_map, &gid_map, use_helpers, &me);
        let _ = go.write_all(if res.is_ok() { b"1" } else { b"0" });
        res
    });
    let spawned = cmd.spawn();
    drop(ready_w);
    drop(go_r);
    let mapped = mapper
        .join()
        .unwrap_or_else(|_| Err(anyhow!("setting the user namespace's ID maps")));
    let mut child = spawned.context("re-running in a user namespace")?;
    mapped?;
    CHILD.store(child.id() as i32, Ordering::SeqCst);
    for sig in [libc::SIGHUP, libc::SIGINT, libc::SIGTERM] {
        // SAFETY: reading and (unless ignored) replacing the disposition with a handler that
        // only calls kill.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(sig, std::ptr::null(), &mut old);
            if old.sa_sigaction == libc::SIG_IGN {
                continue;
            }
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = forward_signal as *const () as usize;
            act.sa_flags = libc::SA_RESTART;
            libc::sigaction(sig, &act, std::ptr::null_mut());
        }
    }
    let status = child.wait().context("waiting for the user namespace")?;
    Ok(match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(s)) => 128 + s,
        _ => 1,
    })
}

fn map_text(map: &[IdMap]) -> String {
    map.iter()
        .map(|m| format!("{} {} {}\n", m.inside, m.outside, m.size))
        .collect()
}

/// Writes the child's gid then uid map: with the set-id helpers for an ordinary user, falling
/// back (with c/storage's warnings) to mapping only the user's own id.
fn set_maps(pid: i32, uid_map: &[IdMap], gid_map: &[IdMap], helpers: bool, me: &Me) -> Result<()> {
    for (kind, map, own) in [("gid", gid_map, me.gid), ("uid", uid_map, me.uid)] {
        let tool = format!("new{kind}map");
        let mut done = false;
        if helpers {
            // Found as Go's exec.LookPath finds it; c/storage names that file when it fails.
            let path = crate::auth::helper::look_path(&tool, None)
                .unwrap_or_else(|| std::path::PathBuf::from(&tool));
            let mut c = Command::new(&path);
            c.arg(pid.to_string());
            for m in map {
                c.args([
                    m.inside.to_string(),
                    m.outside.to_string(),
                    m.size.to_string(),
                ]);
            }
            match c.output() {
                Ok(out) if out.status.success() => done = true,
                Ok(out) => {
                    let text = format!(
                        "{}{}",
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                    let prefix = if kind == "uid" {
                        "Error running"
                    } else {
                        "running"
                    };
                    let status = crate::auth::helper::exit_text(out.status);
                    crate::error::warn(&format!("{prefix} {tool}: {status}: {text}"));
                    let (bit, cap, what) = if kind == "uid" {
                        (0o4000, CAP_SETUID, "setuid")
                    } else {
                        (0o2000, CAP_SETGID, "setgid")
                    };
                    if !is_set_id(&path, bit, cap) {
                        crate::error::warn(&format!(
                            "{} should be {what} or have filecaps {what}",
                            path.display()
                        ));
                    }
                    crate::error::warn("Falling back to single mapping");
                }
                Err(e) => bail!("finding {tool}: {e}"),
            }
        }
        if !done {
            let text = if helpers {
                format!("0 {own} 1\n")
            } else {
                map_text(map)
            };
            if kind == "gid" {
                std::fs::write(format!("/proc/{pid}/setgroups"), "deny")
                    .with_context(|| format!("writing \"deny\" to /proc/{pid}/setgroups"))?;
            }
            std::fs::write(format!("/proc/{pid}/{kind}_map"), &text)
                .with_context(|| format!("writing {text:?} to /proc/{pid}/{kind}_map"))?;
        }
    }
    Ok(())
}

const CAP_SETGID: u32 = 6;
const CAP_SETUID: u32 = 7;

/// Whether a helper can do its work: the set-id bit `mode_bit`, or the file capability `cap`
/// in its permitted set (c/storage's check before it blames the helper).
fn is_set_id(path: &std::path::Path, mode_bit: u32, cap: u32) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if meta.permissions().mode() & mode_bit != 0 {
        return true;
    }
    file_caps_permitted(path).is_some_and(|permitted| permitted & (1 << cap) != 0)
}

/// The low word of the permitted set in a file's `security.capability` (vfs_cap_data:
/// a magic/version word, then the permitted and inheritable words).
fn file_caps_permitted(path: &std::path::Path) -> Option<u32> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut buf = [0u8; 24];
    // SAFETY: valid C strings and a buffer of the given length.
    let len = unsafe {
        libc::getxattr(
            c_path.as_ptr(),
            c"security.capability".as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    (len >= 8).then(|| u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_ids_by_name_or_number_lowest_first() {
        let text = "# c\nalice:300000:10\nbob:100000:65536\n1001:200000:5\n\nalice:100:2\n";
        assert_eq!(
            sub_id_ranges("/etc/subuid", text, "alice", 1001).unwrap(),
            vec![(100, 2), (200000, 5), (300000, 10)]
        );
        assert!(
            sub_id_ranges("/etc/subuid", text, "carol", 7)
                .unwrap()
                .is_empty()
        );
        let err = sub_id_ranges("/etc/subuid", "x:1\n", "x", 1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot parse subuid/gid information: Format not correct for /etc/subuid file"
        );
    }

    #[test]
    fn own_id_first_then_ranges_back_to_back() {
        assert_eq!(
            map_text(&namespace_map(1001, &[(100000, 65536), (300000, 10)])),
            "0 1001 1\n1 100000 65536\n65537 300000 10\n"
        );
        assert_eq!(map_text(&namespace_map(1001, &[])), "0 1001 1\n");
    }
}
