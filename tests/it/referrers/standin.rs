//! A small registry that follows the distribution spec 1.1 where distribution 2.8 (the only
//! registry packaged for the tests) does not: it has the referrers API, answers a manifest
//! PUT with a `subject` with `OCI-Subject`, and filters by `artifactType` (or, on request,
//! ignores the filter as a registry may). Plain HTTP on 127.0.0.1, one connection per
//! request, everything in memory.
//!
//! In fallback mode (`api: false`) it behaves as distribution 2.8 does for referrers (404
//! for the API, no `OCI-Subject`), and can watch the fallback tags: a second read of a tag
//! while an earlier read of it has not been followed by its write is an overlap — two
//! read-modify-writes racing, one of which would lose the other's entry.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::support::fixtures::sha256;

#[derive(Clone, Copy, Default)]
pub struct Mode {
    /// The referrers API and `OCI-Subject`.
    pub api: bool,
    /// Whether the API applies an `artifactType` filter (and says so).
    pub apply_filter: bool,
    /// The API answers with something that is no image index.
    pub garbage_referrers: bool,
    /// A read of a fallback tag waits a moment for a second, concurrent read of the same
    /// tag, so that two unsynchronised read-modify-writes overlap for certain.
    pub hold_tag_reads: bool,
}

#[derive(Default)]
pub struct State {
    blobs: HashMap<String, Vec<u8>>,
    /// digest → (media type, bytes)
    manifests: HashMap<String, (String, Vec<u8>)>,
    /// (repository, tag) → digest
    tags: HashMap<(String, String), String>,
    /// subject → referrer digests, in push order
    referrers: HashMap<String, Vec<String>>,
    uploads: HashMap<String, Vec<u8>>,
    next_upload: usize,
    /// Fallback tag → reads not yet followed by a write.
    tag_reads: HashMap<String, usize>,
    pub overlaps: usize,
    /// `METHOD PATH` of every request, in order.
    pub requests: Vec<String>,
}

pub struct StandIn {
    pub host: String,
    state: Arc<(Mutex<State>, Condvar)>,
}

impl StandIn {
    pub fn start(mode: Mode) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let state: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let shared = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let state = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, &state, mode);
                });
            }
        });
        StandIn { host, state }
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.0.lock().unwrap()
    }

    /// The manifest a tag or digest names here.
    pub fn manifest(&self, repo: &str, reference: &str) -> Option<Vec<u8>> {
        let s = self.state();
        let digest = if reference.contains(':') {
            reference.to_string()
        } else {
            s.tags
                .get(&(repo.to_string(), reference.to_string()))?
                .clone()
        };
        s.manifests.get(&digest).map(|(_, b)| b.clone())
    }

    pub fn tags(&self, repo: &str) -> Vec<String> {
        let mut t: Vec<String> = self
            .state()
            .tags
            .keys()
            .filter(|(r, _)| r == repo)
            .map(|(_, t)| t.clone())
            .collect();
        t.sort();
        t
    }
}

struct Request {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

fn read_request(conn: &TcpStream) -> Option<Request> {
    let mut r = BufReader::new(conn);
    // A TLS handshake (skiff tries HTTPS first): closing at once fails it, as a plain-HTTP
    // Go server does.
    if r.fill_buf().ok()?.first() == Some(&0x16) {
        return None;
    }
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    let mut body = Vec::new();
    if let Some(n) = headers.get("content-length") {
        body.resize(n.parse().ok()?, 0);
        r.read_exact(&mut body).ok()?;
    } else if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.contains("chunked"))
    {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    let (path, q) = target.split_once('?').unwrap_or((&target, ""));
    let query = url::form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Some(Request {
        method,
        path: path.to_string(),
        query,
        headers,
        body,
    })
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn answer(status: u16) -> Answer {
    Answer {
        status,
        headers: Vec::new(),
        body: Vec::new(),
    }
}

impl Answer {
    fn header(mut self, k: &str, v: impl Into<String>) -> Answer {
        self.headers.push((k.to_string(), v.into()));
        self
    }
    fn body(mut self, b: Vec<u8>) -> Answer {
        self.body = b;
        self
    }
}

fn error(status: u16, code: &str) -> Answer {
    answer(status)
        .header("Content-Type", "application/json")
        .body(format!(r#"{{"errors":[{{"code":"{code}","message":"{code}"}}]}}"#).into_bytes())
}

fn serve(mut conn: TcpStream, state: &(Mutex<State>, Condvar), mode: Mode) -> std::io::Result<()> {
    let Some(req) = read_request(&conn) else {
        return Ok(());
    };
    let head = req.method == "HEAD";
    let a = route(&req, state, mode);
    let mut out = format!(
        "HTTP/1.1 {} X\r\nConnection: close\r\nContent-Length: {}\r\n",
        a.status,
        a.body.len()
    );
    for (k, v) in &a.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    conn.write_all(out.as_bytes())?;
    if !head {
        conn.write_all(&a.body)?;
    }
    conn.flush()
}

/// `/v2/NAME/KIND/REST` → (NAME, KIND, REST).
fn split(path: &str) -> Option<(String, String, String)> {
    let rest = path.strip_prefix("/v2/")?;
    for kind in [
        "/blobs/uploads/",
        "/blobs/",
        "/manifests/",
        "/referrers/",
        "/tags/",
    ] {
        if let Some(i) = rest.find(kind) {
            return Some((
                rest[..i].to_string(),
                kind.trim_matches('/').to_string(),
                rest[i + kind.len()..].to_string(),
            ));
        }
    }
    None
}

fn route(req: &Request, state: &(Mutex<State>, Condvar), mode: Mode) -> Answer {
    let (lock, cond) = state;
    lock.lock()
        .unwrap()
        .requests
        .push(format!("{} {}", req.method, req.path));
    if req.path == "/v2/" || req.path == "/v2" {
        return answer(200).body(b"{}".to_vec());
    }
    let Some((name, kind, rest)) = split(&req.path) else {
        return error(404, "NAME_UNKNOWN");
    };
    let q = |k: &str| {
        req.query
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    match (kind.as_str(), req.method.as_str()) {
        ("blobs/uploads", "POST") => {
            let mut s = lock.lock().unwrap();
            if let Some(d) = q("mount")
                && s.blobs.contains_key(&d)
            {
                return answer(201).header("Location", format!("/v2/{name}/blobs/{d}"));
            }
            s.next_upload += 1;
            let id = s.next_upload.to_string();
            s.uploads.insert(id.clone(), Vec::new());
            answer(202)
                .header("Location", format!("/v2/{name}/blobs/uploads/{id}"))
                .header("Range", "0-0")
        }
        ("blobs/uploads", "PATCH") => {
            let mut s = lock.lock().unwrap();
            let Some(u) = s.uploads.get_mut(&rest) else {
                return error(404, "BLOB_UPLOAD_UNKNOWN");
            };
            u.extend_from_slice(&req.body);
            let end = u.len().saturating_sub(1);
            answer(202)
                .header("Location", format!("/v2/{name}/blobs/uploads/{rest}"))
                .header("Range", format!("0-{end}"))
        }
        ("blobs/uploads", "PUT") => {
            let mut s = lock.lock().unwrap();
            let Some(mut data) = s.uploads.remove(&rest) else {
                return error(404, "BLOB_UPLOAD_UNKNOWN");
            };
            data.extend_from_slice(&req.body);
            let digest = sha256(&data);
            if q("digest").as_deref() != Some(digest.as_str()) {
                return error(400, "DIGEST_INVALID");
            }
            s.blobs.insert(digest.clone(), data);
            answer(201)
                .header("Location", format!("/v2/{name}/blobs/{digest}"))
                .header("Docker-Content-Digest", digest)
        }
        ("blobs/uploads", "DELETE") => {
            lock.lock().unwrap().uploads.remove(&rest);
            answer(204)
        }
        ("blobs", "GET" | "HEAD") => match lock.lock().unwrap().blobs.get(&rest) {
            Some(b) => answer(200)
                .header("Docker-Content-Digest", rest.clone())
                .body(b.clone()),
            None => error(404, "BLOB_UNKNOWN"),
        },
        ("manifests", "GET" | "HEAD") => {
            let fallback_tag = rest.starts_with("sha256-") && !rest.contains(':');
            if fallback_tag && mode.hold_tag_reads {
                hold_tag_read(state, &rest);
            }
            let s = lock.lock().unwrap();
            let digest = if rest.contains(':') {
                Some(rest.clone())
            } else {
                s.tags.get(&(name.clone(), rest.clone())).cloned()
            };
            match digest.and_then(|d| s.manifests.get(&d).map(|m| (d, m.clone()))) {
                Some((d, (mt, bytes))) => answer(200)
                    .header("Content-Type", mt)
                    .header("Docker-Content-Digest", d)
                    .body(bytes),
                None => error(404, "MANIFEST_UNKNOWN"),
            }
        }
        ("manifests", "PUT") => {
            let mut s = lock.lock().unwrap();
            let digest = sha256(&req.body);
            let mt = req.headers.get("content-type").cloned().unwrap_or_default();
            let v: serde_json::Value = match serde_json::from_slice(&req.body) {
                Ok(v) => v,
                Err(_) => return error(400, "MANIFEST_INVALID"),
            };
            s.manifests.insert(digest.clone(), (mt, req.body.clone()));
            if !rest.contains(':') {
                s.tags.insert((name.clone(), rest.clone()), digest.clone());
                if let Some(n) = s.tag_reads.get_mut(&rest) {
                    *n = n.saturating_sub(1);
                }
            }
            let mut a = answer(201)
                .header("Location", format!("/v2/{name}/manifests/{digest}"))
                .header("Docker-Content-Digest", digest.clone());
            if mode.api
                && let Some(subject) = v["subject"]["digest"].as_str()
            {
                let list = s.referrers.entry(subject.to_string()).or_default();
                if !list.contains(&digest) {
                    list.push(digest);
                }
                a = a.header("OCI-Subject", subject);
            }
            cond.notify_all();
            a
        }
        ("referrers", "GET") if mode.api => {
            if mode.garbage_referrers {
                return answer(200)
                    .header("Content-Type", "application/vnd.oci.image.index.v1+json")
                    .body(b"<html>not an index</html>".to_vec());
            }
            let s = lock.lock().unwrap();
            let wanted = q("artifactType").filter(|_| mode.apply_filter);
            let mut descriptors = Vec::new();
            for d in s.referrers.get(&rest).into_iter().flatten() {
                let (mt, bytes) = &s.manifests[d];
                let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                let artifact_type = v["artifactType"]
                    .as_str()
                    .or(v["config"]["mediaType"].as_str())
                    .map(str::to_string);
                if wanted.is_some() && wanted != artifact_type {
                    continue;
                }
                let mut desc =
                    serde_json::json!({"mediaType": mt, "digest": d, "size": bytes.len()});
                if let Some(t) = artifact_type {
                    desc["artifactType"] = t.into();
                }
                if let Some(a) = v.get("annotations") {
                    desc["annotations"] = a.clone();
                }
                descriptors.push(desc);
            }
            let index = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": descriptors,
            });
            let mut a = answer(200)
                .header("Content-Type", "application/vnd.oci.image.index.v1+json")
                .body(serde_json::to_vec(&index).unwrap());
            if wanted.is_some() {
                a = a.header("OCI-Filters-Applied", "artifactType");
            }
            a
        }
        ("tags", "GET") => {
            let s = lock.lock().unwrap();
            let mut tags: Vec<&String> = s
                .tags
                .keys()
                .filter(|(r, _)| *r == name)
                .map(|(_, t)| t)
                .collect();
            tags.sort();
            answer(200)
                .header("Content-Type", "application/json")
                .body(serde_json::to_vec(&serde_json::json!({"name": name, "tags": tags})).unwrap())
        }
        _ => error(404, "UNSUPPORTED"),
    }
}

/// Counts a read of fallback tag `tag` and gives a second reader a moment to arrive: a
/// read while another is still open (not yet followed by its write) is an overlap. The
/// wait ends at once when the second read comes; a client that takes turns never sends
/// one, and its read goes on after the bound.
fn hold_tag_read(state: &(Mutex<State>, Condvar), tag: &str) {
    let (lock, cond) = state;
    let mut s = lock.lock().unwrap();
    let n = s.tag_reads.entry(tag.to_string()).or_default();
    *n += 1;
    if *n > 1 {
        s.overlaps += 1;
        cond.notify_all();
        return;
    }
    let _ = cond
        .wait_timeout_while(s, Duration::from_millis(700), |s| {
            s.tag_reads.get(tag).copied().unwrap_or(0) < 2
        })
        .unwrap();
}
