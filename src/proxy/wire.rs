//! The proxy's transport: one JSON message per SOCK_SEQPACKET packet, pipe read ends passed
//! to the client with SCM_RIGHTS, and the pipes whose write ends the proxy fills.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use tokio::net::unix::pipe;

/// The largest request read (skopeo's limit; payloads travel over pipes).
pub const MAX_MSG_SIZE: usize = 32 * 1024;

/// Fails unless `fd` is an open socket (what the client must hand over).
pub fn check_socket(fd: RawFd) -> io::Result<()> {
    let mut kind: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `kind`.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            (&mut kind as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Reads one packet (blocking); 0 bytes means the client closed its end.
pub fn recv_packet(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        // SAFETY: recv writes at most `buf.len()` bytes into `buf`.
        let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let err = io::Error::last_os_error();
        match err.kind() {
            io::ErrorKind::Interrupted => {}
            io::ErrorKind::WouldBlock => wait_for(fd, libc::POLLIN)?,
            _ => return Err(err),
        }
    }
}

/// Waits until a non-blocking socket is ready (a client may pass one).
fn wait_for(fd: RawFd, events: libc::c_short) -> io::Result<()> {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: poll reads and writes one pollfd.
    if unsafe { libc::poll(&mut p, 1, -1) } < 0 {
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    Ok(())
}

/// Sends one packet carrying `fds` as SCM_RIGHTS (blocking).
pub fn send_packet(fd: RawFd, data: &[u8], fds: &[RawFd]) -> io::Result<()> {
    let fds_len = std::mem::size_of_val(fds) as u32;
    // SAFETY: CMSG_SPACE only computes a size.
    let space = if fds.is_empty() {
        0
    } else {
        unsafe { libc::CMSG_SPACE(fds_len) as usize }
    };
    // u64 cells keep the control buffer aligned for cmsghdr.
    let mut control = vec![0u64; space.div_ceil(8)];
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    // SAFETY: a zeroed msghdr is valid; the pointers set below outlive the sendmsg call, and
    // the control buffer holds CMSG_SPACE bytes for one header and `fds`.
    let sent = unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        if !fds.is_empty() {
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = space as _;
            let cmsg = libc::CMSG_FIRSTHDR(&msg);
            (*cmsg).cmsg_level = libc::SOL_SOCKET;
            (*cmsg).cmsg_type = libc::SCM_RIGHTS;
            (*cmsg).cmsg_len = libc::CMSG_LEN(fds_len) as _;
            std::ptr::copy_nonoverlapping(
                fds.as_ptr().cast::<u8>(),
                libc::CMSG_DATA(cmsg),
                fds_len as usize,
            );
        }
        loop {
            let sent = libc::sendmsg(fd, &msg, libc::MSG_NOSIGNAL);
            if sent >= 0 {
                break sent;
            }
            let err = io::Error::last_os_error();
            match err.kind() {
                io::ErrorKind::Interrupted => {}
                io::ErrorKind::WouldBlock => wait_for(fd, libc::POLLOUT)?,
                _ => return Err(err),
            }
        }
    };
    if sent as usize != data.len() {
        return Err(io::Error::new(io::ErrorKind::WriteZero, "short write"));
    }
    Ok(())
}

/// A pipe: the read end for the client, the write end (non-blocking, for tokio) for the proxy.
pub struct Pipe {
    pub read: OwnedFd,
    pub write: pipe::Sender,
    /// The write end's descriptor number: skopeo's pipe id.
    pub id: u32,
}

pub fn new_pipe() -> io::Result<Pipe> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 fills both descriptors on success.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned by nobody else.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let id = write.as_raw_fd() as u32;
    // Only the write end's open file becomes non-blocking; the client reads as it likes.
    let write = pipe::Sender::from_owned_fd(write)?;
    Ok(Pipe { read, write, id })
}
