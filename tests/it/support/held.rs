//! A source a copy reads only as fast as the test feeds it, so a test can act at a point
//! proven to be mid-copy (no sleeps), and helpers to signal and reap the copy.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use super::fixtures::{self, ImageSpec};
use super::ok;

/// A `dir:` image whose second layer is a named pipe: a copy of it reads the layer only as
/// fast as the test writes it, so the test knows the copy is under way.
pub struct HeldSource {
    _tmp: tempfile::TempDir,
    pub src: PathBuf,
    fifo: PathBuf,
    pub layer: Vec<u8>,
    pub manifest: Vec<u8>,
}

impl HeldSource {
    pub fn new() -> HeldSource {
        HeldSource::of(&ImageSpec::small(21))
    }

    /// `spec` as a held `dir:` image; its second layer is the pipe.
    pub fn of(spec: &ImageSpec) -> HeldSource {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        let built = fixtures::write_dir(&src, spec);
        let layer = built.blobs[1].clone();
        let fifo = src.join(&fixtures::sha256(&layer)["sha256:".len()..]);
        std::fs::remove_file(&fifo).unwrap();
        ok(std::process::Command::new("mkfifo").arg(&fifo));
        HeldSource {
            _tmp: tmp,
            src,
            fifo,
            layer,
            manifest: built.manifest,
        }
    }

    pub fn name(&self) -> String {
        format!("dir:{}", self.src.display())
    }

    /// Waits until `copy` opens the layer (failing if it ends first, or after a minute), then
    /// sends its first bytes; the returned pipe holds the rest of the layer back until it is
    /// written or dropped.
    pub fn wait_for_reader(&self, copy: &mut Child) -> std::fs::File {
        use std::os::unix::fs::OpenOptionsExt;
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut f = loop {
            // Without a reader, a non-blocking open for writing fails (ENXIO).
            match std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&self.fifo)
            {
                Ok(f) => break f,
                Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {}
                Err(e) => panic!("opening the layer pipe: {e}"),
            }
            if let Some(status) = copy.try_wait().unwrap() {
                panic!("the copy ended ({status}) before reading the layer");
            }
            assert!(Instant::now() < deadline, "the copy never read the layer");
            std::thread::sleep(Duration::from_millis(10));
        };
        // Blocking writes from here on.
        // SAFETY: fcntl(2) on a descriptor this function owns.
        unsafe {
            let fd = std::os::fd::AsRawFd::as_raw_fd(&f);
            let flags = libc::fcntl(fd, libc::F_GETFL);
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
        f.write_all(&self.layer[..100]).unwrap();
        f
    }

    /// Turns the pipe back into the plain layer file: the source then copies at once.
    pub fn release(&self) {
        std::fs::remove_file(&self.fifo).unwrap();
        std::fs::write(&self.fifo, &self.layer).unwrap();
    }

    /// Sends the rest of the layer and closes the pipe; a reader that went away is fine.
    pub fn finish(&self, mut f: std::fs::File) {
        let _ = f.write_all(&self.layer[100..]);
    }
}

/// Waits for `child` to end, failing the test if it does not within a minute.
pub fn wait_bounded(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the process did not end");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn send(child: &Child, signal: libc::c_int) {
    // SAFETY: kill(2) on the pid of a child this test spawned and has not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
}
