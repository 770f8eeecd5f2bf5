//! A stand-in Docker engine on a unix socket: it answers `/_ping`, serves one prepared
//! `docker save` tar for `GET …/images/get`, whole, with a pause, or cut off — what a real
//! engine does only by chance (a slow link, an engine stopped mid-export) — and, for
//! `GET …/images/NAME/json`, the layer list (`RootFS.Layers`) the tar's config gives.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How the export is sent.
pub enum Export {
    Whole,
    /// The first `at` bytes, then nothing until `resume()` says so (or a minute passed),
    /// then the rest.
    PauseAt {
        at: usize,
        resume: Box<dyn Fn() -> bool + Send + Sync>,
    },
    /// The first `at` bytes, then the connection closes mid-body.
    BreakAt(usize),
}

pub struct Engine {
    /// `unix:///…/engine.sock`
    pub host: String,
    /// Whether a pause ended because `resume()` said so (not by timing out).
    pub resumed: Arc<AtomicBool>,
    /// Holds the socket; a private blob-info cache may live here too.
    pub dir: tempfile::TempDir,
}

impl Engine {
    pub fn serve(tar: Vec<u8>, export: Export) -> Engine {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("engine.sock");
        let listener = UnixListener::bind(&sock).unwrap();
        let resumed = Arc::new(AtomicBool::new(false));
        let shared = Arc::new((tar, export, resumed.clone()));
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let (tar, export, resumed) = &*shared;
                    let _ = answer(conn, tar, export, resumed);
                });
            }
        });
        Engine {
            host: format!("unix://{}", sock.display()),
            resumed,
            dir,
        }
    }
}

fn answer(
    conn: UnixStream,
    tar: &[u8],
    export: &Export,
    resumed: &AtomicBool,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut out = conn;
    loop {
        let mut request = String::new();
        if reader.read_line(&mut request)? == 0 {
            return Ok(());
        }
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 || header == "\r\n" {
                break;
            }
        }
        let path = request.split_whitespace().nth(1).unwrap_or("");
        if path.ends_with("/_ping") {
            out.write_all(b"HTTP/1.1 200 OK\r\nAPI-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK")?;
        } else if path.contains("/images/") && path.ends_with("/json") {
            let body = image_json(tar);
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )?;
            out.write_all(&body)?;
        } else if path.contains("/images/get") {
            out.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n",
            )?;
            return send_export(&mut out, tar, export, resumed);
        } else {
            out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")?;
        }
    }
}

fn send_export(
    out: &mut UnixStream,
    tar: &[u8],
    export: &Export,
    resumed: &AtomicBool,
) -> std::io::Result<()> {
    let chunk = |out: &mut UnixStream, bytes: &[u8]| -> std::io::Result<()> {
        for piece in bytes.chunks(64 << 10) {
            write!(out, "{:x}\r\n", piece.len())?;
            out.write_all(piece)?;
            out.write_all(b"\r\n")?;
        }
        Ok(())
    };
    match export {
        Export::Whole => chunk(out, tar)?,
        Export::PauseAt { at, resume } => {
            chunk(out, &tar[..*at])?;
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if resume() {
                    resumed.store(true, Ordering::SeqCst);
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            chunk(out, &tar[*at..])?;
        }
        Export::BreakAt(at) => {
            chunk(out, &tar[..*at])?;
            return out.shutdown(std::net::Shutdown::Both);
        }
    }
    out.write_all(b"0\r\n\r\n")
}

/// Where each regular file's data is in a tar: (name, offset, size), in tar order.
pub fn members(tar: &[u8]) -> Vec<(String, usize, usize)> {
    let mut archive = tar::Archive::new(tar);
    let mut out = Vec::new();
    for e in archive.entries().unwrap() {
        let e = e.unwrap();
        if e.header().entry_type() == tar::EntryType::Regular {
            let name = e.path().unwrap().to_string_lossy().into_owned();
            out.push((name, e.raw_file_position() as usize, e.size() as usize));
        }
    }
    out
}

/// The part of `GET /images/NAME/json` the copy reads: the diff IDs in the tar's config.
fn image_json(tar: &[u8]) -> Vec<u8> {
    let file = |name: &str| -> serde_json::Value {
        let (_, offset, size) = members(tar)
            .into_iter()
            .find(|(n, _, _)| n == name)
            .unwrap_or_else(|| panic!("{name} in the export"));
        serde_json::from_slice(&tar[offset..offset + size]).unwrap()
    };
    let manifest = file("manifest.json");
    let config = file(manifest[0]["Config"].as_str().unwrap());
    let layers = &config["rootfs"]["diff_ids"];
    serde_json::to_vec(&serde_json::json!({"RootFS": {"Type": "layers", "Layers": layers}}))
        .unwrap()
}
