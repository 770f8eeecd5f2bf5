//! A private Docker engine for the tests: `dockerd` with the vfs driver, no networking, its own
//! data root, exec root, pid file and sockets under one directory. One engine is shared by
//! all the tests of a test binary (it starts on first use, takes a few seconds) and stops when
//! the binary exits.
//!
//! It listens on a unix socket and on TLS-protected TCP (`tcp://127.0.0.1:PORT`, certificates
//! made with `openssl` for the test: `ca.pem`, `cert.pem`, `key.pem` in [`Dockerd::cert_dir`]).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::registry::{Certs, free_port};
use super::{ok, require_tool};

pub struct Dockerd {
    pub dir: PathBuf,
    /// `unix:///…/docker.sock`
    pub host: String,
    /// `tcp://127.0.0.1:PORT` (TLS, client certificate required).
    pub tls_host: String,
}

const ROOT: &str = "/tmp/skiff-it-dockerd";

/// The engine shared by this test binary; `None` (the test skips) when dockerd is not
/// installed outside CI.
pub fn shared() -> Option<&'static Dockerd> {
    static D: OnceLock<Option<Dockerd>> = OnceLock::new();
    D.get_or_init(|| {
        if !(require_tool("dockerd") && require_tool("docker") && require_tool("openssl")) {
            return None;
        }
        Some(start())
    })
    .as_ref()
}

/// Removes what engines of test binaries that are gone left behind.
fn sweep() {
    let Ok(entries) = std::fs::read_dir(ROOT) else {
        return;
    };
    for e in entries.flatten() {
        let pid: Option<i32> = e.file_name().to_str().and_then(|s| s.parse().ok());
        let engine_pid = std::fs::read_to_string(e.path().join("dockerd.pid")).unwrap_or_default();
        let engine_gone = engine_pid.trim().is_empty()
            || !Path::new(&format!("/proc/{}", engine_pid.trim())).exists();
        if let Some(pid) = pid
            && engine_gone
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn pings(sock: &Path) -> bool {
    let Ok(mut s) = UnixStream::connect(sock) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.ends_with("OK")
}

fn start() -> Dockerd {
    sweep();
    let dir = PathBuf::from(ROOT).join(std::process::id().to_string());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let certs = Certs::make(&dir.join("certs"));
    // The client's cert dir, named as c/image reads it for a daemon.
    let client = dir.join("certs/client");
    std::fs::create_dir_all(&client).unwrap();
    for (from, to) in [
        (&certs.ca, "ca.pem"),
        (&certs.client_cert, "cert.pem"),
        (&certs.client_key, "key.pem"),
    ] {
        std::fs::copy(from, client.join(to)).unwrap();
    }
    let sock = dir.join("docker.sock");
    let port = free_port();
    let log = std::fs::File::create(dir.join("dockerd.log")).unwrap();
    let mut cmd = Command::new("dockerd");
    cmd.args([
        "--storage-driver=vfs",
        "--iptables=false",
        "--ip6tables=false",
        "--bridge=none",
    ])
    .arg(format!("--data-root={}", dir.join("root").display()))
    .arg(format!("--exec-root={}", dir.join("exec").display()))
    .arg(format!("--pidfile={}", dir.join("dockerd.pid").display()))
    .arg(format!("--host=unix://{}", sock.display()))
    .arg(format!("--host=tcp://127.0.0.1:{port}"))
    .arg("--tlsverify")
    .arg(format!("--tlscacert={}", certs.ca.display()))
    .arg(format!("--tlscert={}", certs.cert.display()))
    .arg(format!("--tlskey={}", certs.key.display()))
    .stdin(Stdio::null())
    .stdout(log.try_clone().unwrap())
    .stderr(log);
    // The engine stops (SIGTERM) when the thread that started it ends; that thread lives as
    // long as the test binary.
    // SAFETY: prctl is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    let (tx, rx) = std::sync::mpsc::channel::<std::io::Result<u32>>();
    std::thread::spawn(move || {
        let child: std::io::Result<Child> = cmd.spawn();
        match child {
            Ok(mut c) => {
                let _ = tx.send(Ok(c.id()));
                let _ = c.wait();
            }
            Err(e) => {
                let _ = tx.send(Err(e));
            }
        }
        // Keep the thread (the parent of the engine) alive until the process exits.
        loop {
            std::thread::park();
        }
    });
    let pid = rx.recv().unwrap().expect("starting dockerd");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !pings(&sock) {
        if Instant::now() > deadline || !Path::new(&format!("/proc/{pid}")).exists() {
            let log = std::fs::read_to_string(dir.join("dockerd.log")).unwrap_or_default();
            panic!("dockerd did not come up:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Dockerd {
        host: format!("unix://{}", sock.display()),
        tls_host: format!("tcp://127.0.0.1:{port}"),
        dir,
    }
}

impl Dockerd {
    /// The `docker` CLI talking to this engine.
    pub fn docker(&self) -> Command {
        let mut c = Command::new("docker");
        c.env("DOCKER_HOST", &self.host)
            .env("DOCKER_CONFIG", self.dir.join("docker-config"));
        c
    }

    /// The client cert dir (`ca.pem`, `cert.pem`, `key.pem`) for the TLS listener.
    pub fn cert_dir(&self) -> PathBuf {
        self.dir.join("certs/client")
    }

    /// The image ID (`sha256:…`) the engine has for `name`, if any.
    pub fn image_id(&self, name: &str) -> Option<String> {
        let out = self
            .docker()
            .args(["image", "inspect", "--format", "{{.Id}}", name])
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// The diff IDs of `name`'s layers, as the engine records them.
    pub fn diff_ids(&self, name: &str) -> Vec<String> {
        let out = ok(self.docker().args([
            "image",
            "inspect",
            "--format",
            "{{json .RootFS.Layers}}",
            name,
        ]));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}
