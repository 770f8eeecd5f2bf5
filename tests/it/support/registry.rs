//! Real registries for the tests: `docker-registry` (distribution 2.8) processes on
//! 127.0.0.1 with temporary storage — plain HTTP, TLS with a certificate made here, htpasswd
//! Basic auth, or token auth against a small token server that signs JWTs with a key made
//! here — plus a TCP proxy that can rewrite or cut what passes. Everything is stopped when
//! dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;

use super::require_tool;

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16) {
    wait_for_addr("127.0.0.1", port)
}

/// Waits until something listens on `ip:port` (a peer that has no readiness signal).
pub fn wait_for_addr(ip: &str, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if TcpStream::connect((ip, port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on {ip}:{port}");
}

fn openssl(args: &[&str], dir: &Path) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("running openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, and a server certificate for 127.0.0.1/localhost and a client certificate signed
/// by it.
pub struct Certs {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    /// A directory with only `ca.crt`, for `--cert-dir`.
    pub cert_dir: PathBuf,
    /// `ca.crt` plus a client certificate (`client.cert`, `client.key`).
    pub client_cert_dir: PathBuf,
    /// The client certificate and its key (PEM), signed by the CA.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl Certs {
    pub fn make(dir: &Path) -> Certs {
        std::fs::create_dir_all(dir).unwrap();
        openssl(
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=skiff test CA",
            ],
            dir,
        );
        openssl(
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ],
            dir,
        );
        std::fs::write(
            dir.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
            ],
            dir,
        );
        let cert_dir = dir.join("certs.d");
        std::fs::create_dir_all(&cert_dir).unwrap();
        std::fs::copy(dir.join("ca.pem"), cert_dir.join("ca.crt")).unwrap();
        // A client certificate from the same CA, in a second directory with the CA.
        openssl(
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "client.key",
                "-out",
                "client.csr",
                "-subj",
                "/CN=skiff test client",
            ],
            dir,
        );
        std::fs::write(dir.join("client.cnf"), "extendedKeyUsage=clientAuth\n").unwrap();
        openssl(
            &[
                "x509",
                "-req",
                "-in",
                "client.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "client.pem",
                "-days",
                "2",
                "-extfile",
                "client.cnf",
            ],
            dir,
        );
        let client_cert_dir = dir.join("client.d");
        std::fs::create_dir_all(&client_cert_dir).unwrap();
        std::fs::copy(dir.join("ca.pem"), client_cert_dir.join("ca.crt")).unwrap();
        std::fs::copy(dir.join("client.pem"), client_cert_dir.join("client.cert")).unwrap();
        std::fs::copy(dir.join("client.key"), client_cert_dir.join("client.key")).unwrap();
        Certs {
            ca: dir.join("ca.pem"),
            cert: dir.join("server.pem"),
            key: dir.join("server.key"),
            cert_dir,
            client_cert_dir,
            client_cert: dir.join("client.pem"),
            client_key: dir.join("client.key"),
        }
    }
}

#[derive(Default)]
pub struct Options {
    pub tls: bool,
    /// TLS with this certificate and key (PEM) instead of the test CA's.
    pub tls_cert: Option<(PathBuf, PathBuf)>,
    /// Listen on this loopback address instead of 127.0.0.1.
    pub listen_ip: Option<&'static str>,
    /// With `tls`: client certificates from the test CA are required.
    pub client_certs: bool,
    /// htpasswd Basic auth with this user and password.
    pub htpasswd: Option<(String, String)>,
    /// Token auth against a token server started with the registry.
    pub token: Option<TokenOptions>,
    /// `http.http2.disabled: true`: TLS without HTTP/2 (ALPN offers only HTTP/1.1).
    pub http2_disabled: bool,
}

#[derive(Clone, Default)]
pub struct TokenOptions {
    /// The user and password the token server accepts; `None` gives anonymous tokens.
    pub user: Option<(String, String)>,
    /// Seconds the registry accepts each token (default 300). Short ones are told to the
    /// client as the spec allows: `expires_in` 60 (the shortest c/image believes) with an
    /// `issued_at` moved back so that the two still end when the registry stops accepting.
    pub lifetime: Option<u64>,
}

pub struct Registry {
    /// `127.0.0.1:PORT`
    pub host: String,
    pub port: u16,
    pub dir: tempfile::TempDir,
    pub certs: Option<Certs>,
    pub token_server: Option<TokenServer>,
    child: Child,
}

impl Registry {
    /// A plain-HTTP registry with delete enabled; `None` (the test skips, saying so) when
    /// `docker-registry` is not installed outside CI.
    pub fn start() -> Option<Registry> {
        Registry::start_with(Options::default())
    }

    pub fn start_with(opts: Options) -> Option<Registry> {
        if !require_tool("docker-registry") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let ip = opts.listen_ip.unwrap_or("127.0.0.1");
        let mut http = format!("  addr: {ip}:{port}\n");
        if let Some((cert, key)) = &opts.tls_cert {
            http.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                cert.display(),
                key.display()
            ));
        }
        let certs = opts.tls.then(|| Certs::make(&dir.path().join("tls")));
        if let Some(c) = &certs {
            http.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                c.cert.display(),
                c.key.display()
            ));
            if opts.client_certs {
                http.push_str(&format!("    clientcas:\n      - {}\n", c.ca.display()));
            }
        }
        if opts.http2_disabled {
            http.push_str("  http2:\n    disabled: true\n");
        }
        let mut auth = String::new();
        if let Some((user, pass)) = &opts.htpasswd {
            assert!(require_tool("htpasswd"), "htpasswd is needed");
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, pass])
                .output()
                .unwrap();
            let path = dir.path().join("htpasswd");
            std::fs::write(&path, out.stdout).unwrap();
            auth = format!(
                "auth:\n  htpasswd:\n    realm: basic-realm\n    path: {}\n",
                path.display()
            );
        }
        let token_server = opts
            .token
            .as_ref()
            .map(|t| TokenServer::start(&dir.path().join("token"), t.clone()));
        if let Some(ts) = &token_server {
            auth = format!(
                "auth:\n  token:\n    realm: http://127.0.0.1:{}/token\n    service: skiff-test-registry\n    issuer: skiff-test-issuer\n    rootcertbundle: {}\n",
                ts.port,
                ts.cert.display()
            );
        }
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n      enabled: false\nhttp:\n{http}{auth}",
            dir.path().join("storage").display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("starting docker-registry");
        wait_for_addr(ip, port);
        Some(Registry {
            host: format!("{ip}:{port}"),
            port,
            dir,
            certs,
            token_server,
            child,
        })
    }

    /// `docker://127.0.0.1:PORT/REPO`
    pub fn image(&self, repo: &str) -> String {
        format!("docker://{}/{repo}", self.host)
    }

    /// What the registry logged (its access log included).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// The storage directory (to measure or wipe).
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A token server for `auth: token` registries: checks Basic credentials (when configured)
/// and hands out RS256 JWTs granting every action asked for.
pub struct TokenServer {
    pub port: u16,
    pub cert: PathBuf,
    /// How many tokens it handed out.
    pub issued: Arc<AtomicUsize>,
    /// The scopes of every token handed out, in order (each token's sorted).
    pub scopes: Arc<std::sync::Mutex<Vec<Vec<String>>>>,
    stop: Arc<AtomicBool>,
}

impl TokenServer {
    fn start(dir: &Path, opts: TokenOptions) -> TokenServer {
        std::fs::create_dir_all(dir).unwrap();
        openssl(
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "token.key",
                "-out",
                "token.pem",
                "-days",
                "2",
                "-subj",
                "/CN=skiff test token issuer",
            ],
            dir,
        );
        let key = dir.join("token.key");
        let pem = std::fs::read_to_string(dir.join("token.pem")).unwrap();
        let der_b64: String = pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<Vec<_>>()
            .join("");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let issued = Arc::new(AtomicUsize::new(0));
        let scopes = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (stop2, issued2, scopes2) = (stop.clone(), issued.clone(), scopes.clone());
        std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        conn.set_nonblocking(false).unwrap();
                        let _ = serve_token(conn, &opts, &key, &der_b64, &issued2, &scopes2);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        TokenServer {
            port,
            cert: dir.join("token.pem"),
            issued,
            scopes,
            stop,
        }
    }

    /// A token for `scopes`, as the token server would issue it (for `--registry-token`).
    pub fn token_for(&self, scopes: &[&str], user: Option<(&str, &str)>) -> String {
        let q: String = scopes.iter().map(|s| format!("&scope={s}")).collect();
        let auth = user
            .map(|(u, p)| {
                let b = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
                format!("Authorization: Basic {b}\r\n")
            })
            .unwrap_or_default();
        let mut conn = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            conn,
            "GET /token?service=skiff-test-registry{q} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        conn.read_to_string(&mut out).unwrap();
        let body = out.split("\r\n\r\n").nth(1).unwrap();
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        v["token"].as_str().unwrap().to_string()
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve_token(
    conn: TcpStream,
    opts: &TokenOptions,
    key: &Path,
    cert_b64: &str,
    issued: &AtomicUsize,
    issued_scopes: &std::sync::Mutex<Vec<Vec<String>>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut authorization = None;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(v.trim().to_string());
        }
    }
    let target = request_line.split_whitespace().nth(1).unwrap_or("");
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
    let mut scopes = Vec::new();
    let mut account = String::new();
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decode(v);
        match k {
            "scope" => scopes.push(v),
            "account" => account = v,
            _ => {}
        }
    }
    let mut conn = conn;
    if let Some((user, pass)) = &opts.user {
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        );
        if authorization.as_deref() != Some(expected.as_str()) {
            let body = r#"{"details":"incorrect username or password"}"#;
            write!(
                conn,
                "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )?;
            return Ok(());
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let access: Vec<serde_json::Value> = scopes
        .iter()
        .filter_map(|s| {
            let mut p = s.splitn(3, ':');
            let (t, n, a) = (p.next()?, p.next()?, p.next()?);
            let actions: Vec<&str> = if a == "*" {
                vec!["*", "pull", "push", "delete"]
            } else {
                a.split(',').collect()
            };
            Some(serde_json::json!({"type": t, "name": n, "actions": actions}))
        })
        .collect();
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5c": [cert_b64]});
    let lifetime = opts.lifetime.unwrap_or(300);
    // distribution accepts a token up to a minute past its `exp` (clock skew leeway).
    let exp = (now + lifetime).saturating_sub(if opts.lifetime.is_some() { 60 } else { 0 });
    let claims = serde_json::json!({
        "iss": "skiff-test-issuer", "sub": account, "aud": "skiff-test-registry",
        "exp": exp, "nbf": now - 10, "iat": now - 10,
        "jti": format!("{now}-{}", issued.load(Ordering::SeqCst)), "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(signing_input.as_bytes())?;
    let sig = child.wait_with_output()?.stdout;
    let token = format!("{signing_input}.{}", b64url(&sig));
    let mut sorted = scopes.clone();
    sorted.sort();
    issued_scopes.lock().unwrap().push(sorted);
    issued.fetch_add(1, Ordering::SeqCst);
    let body = match opts.lifetime {
        None => serde_json::json!({"token": token, "expires_in": 300}),
        Some(life) => {
            let issued_at = chrono::DateTime::from_timestamp((now + life) as i64 - 60, 0).unwrap();
            serde_json::json!({"token": token, "expires_in": 60,
                "issued_at": issued_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)})
        }
    }
    .to_string();
    write!(
        conn,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    Ok(())
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let h = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(h, 16) {
                    Ok(v) if h.len() == 2 => {
                        out.push(v);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a [`Proxy`] does to the traffic it forwards.
#[derive(Clone)]
pub enum ProxyMode {
    /// Adds `?n=PAGE` to tag-list requests so the registry paginates (distribution only
    /// pages when asked).
    PageTags(usize),
    /// Cuts the connection of the first full blob GET after this many response bytes.
    CutFirstBlobAfter(usize),
    /// Stops forwarding the first full blob GET after this many response bytes, keeping
    /// the connection open (a registry that stalls mid-body); counted in `cuts`.
    StallFirstBlobAfter(usize),
    /// Flips the byte at this offset of the first full blob GET's response (a broken
    /// cache on the way); the rest passes unchanged.
    CorruptFirstBlobAt(usize),
    /// Never answers the first request whose line contains this (a registry that stalls
    /// before its headers); later ones pass.
    StallFirst(&'static str),
    /// Answers the first request whose line contains this with a 200 that promises more
    /// body than it sends, then closes (a response cut short); later ones pass. Counted in
    /// `cuts`.
    TruncateFirst(&'static str),
    /// Answers every request whose line contains `path` with `head` (status line and
    /// headers, without Content-Length) and `body`, instead of forwarding it.
    Serve {
        path: String,
        head: String,
        body: Vec<u8>,
    },
    /// Forwards the first request whose line contains `path` and whose body is longer than
    /// `after` bytes with only `after` bytes of its body, then drops both connections (a link
    /// lost mid-upload); counted in `cuts`.
    CutFirstUpload { path: &'static str, after: usize },
    /// Sends responses at most this many bytes every 10 ms (a slow link; 100 KiB/s for 1024).
    Trickle(usize),
    /// Answers the first `times` requests whose line contains `path` with this raw status
    /// line and headers (e.g. `503 Service Unavailable`) instead of forwarding them.
    Refuse {
        path: &'static str,
        times: usize,
        status: &'static str,
        headers: &'static str,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BudgetAction {
    Cut,
    Stall,
    Corrupt,
}

/// A TCP proxy in front of a registry, for requests without bodies or with a Content-Length.
pub struct Proxy {
    pub port: u16,
    /// Requests answered by the proxy itself (`ProxyMode::Refuse`); for the blob modes,
    /// full blob GETs seen.
    pub refused: Arc<AtomicUsize>,
    /// Blob GETs that carried a `Range` header.
    pub range_requests: Arc<AtomicUsize>,
    pub cuts: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    pub fn start(upstream: u16, mode: ProxyMode) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let range_requests = Arc::new(AtomicUsize::new(0));
        let cuts = Arc::new(AtomicUsize::new(0));
        let refused = Arc::new(AtomicUsize::new(0));
        let (stop2, ranges2, cuts2) = (stop.clone(), range_requests.clone(), cuts.clone());
        let refused2 = refused.clone();
        std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let mode = mode.clone();
                        let (r, c, f) = (ranges2.clone(), cuts2.clone(), refused2.clone());
                        std::thread::spawn(move || {
                            let _ = proxy_connection(client, upstream, mode, r, c, f);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Proxy {
            port,
            refused,
            range_requests,
            cuts,
            stop,
        }
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn proxy_connection(
    client: TcpStream,
    upstream: u16,
    mode: ProxyMode,
    ranges: Arc<AtomicUsize>,
    cuts: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let server = TcpStream::connect(("127.0.0.1", upstream))?;
    // Set when the request in flight is a blob GET to cut: how many bytes may pass.
    let budget: Arc<Mutex<Option<usize>>> = Arc::new(Mutex::new(None));
    let action = match &mode {
        ProxyMode::StallFirstBlobAfter(_) => BudgetAction::Stall,
        ProxyMode::CorruptFirstBlobAt(_) => BudgetAction::Corrupt,
        _ => BudgetAction::Cut,
    };
    let trickle = match &mode {
        ProxyMode::Trickle(n) => Some(*n),
        _ => None,
    };
    let (mut server_r, mut client_w) = (server.try_clone()?, client.try_clone()?);
    let (budget_r, cuts_r) = (budget.clone(), cuts.clone());
    let (client_sd, server_sd) = (client.try_clone()?, server.try_clone()?);
    let down = std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = match server_r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let mut allowed = n;
            let mut cut = false;
            if let Some(left) = budget_r.lock().unwrap().as_mut() {
                if n >= *left {
                    allowed = *left;
                    cut = true;
                } else {
                    *left -= n;
                }
            }
            if cut && action == BudgetAction::Corrupt {
                // Flip the byte at the budget's end and let everything else through.
                buf[allowed.min(n - 1)] ^= 0xff;
                *budget_r.lock().unwrap() = None;
                cuts_r.fetch_add(1, Ordering::SeqCst);
                if client_w.write_all(&buf[..n]).is_err() {
                    break;
                }
                continue;
            }
            if let Some(step) = trickle {
                let mut failed = false;
                for piece in buf[..allowed].chunks(step) {
                    std::thread::sleep(Duration::from_millis(10));
                    failed = client_w.write_all(piece).is_err();
                    if failed {
                        break;
                    }
                }
                if failed {
                    break;
                }
                continue;
            }
            if client_w.write_all(&buf[..allowed]).is_err() {
                break;
            }
            if cut && action == BudgetAction::Stall {
                cuts_r.fetch_add(1, Ordering::SeqCst);
                // Hold the connection silently until the client gives up on it.
                let mut sink = [0u8; 1];
                let _ = client_sd.try_clone().and_then(|mut c| c.read(&mut sink));
                let _ = server_sd.shutdown(Shutdown::Both);
                break;
            }
            if cut {
                cuts_r.fetch_add(1, Ordering::SeqCst);
                let _ = client_sd.shutdown(Shutdown::Both);
                let _ = server_sd.shutdown(Shutdown::Both);
                break;
            }
        }
    });
    let mut reader = BufReader::new(client);
    let mut server_w = server;
    // A TLS handshake (an HTTPS attempt): the plain-HTTP registry would refuse it, so do we.
    if reader.fill_buf()?.first() == Some(&0x16) {
        let _ = server_w.shutdown(Shutdown::Both);
        let _ = reader.get_ref().shutdown(Shutdown::Both);
        let _ = down.join();
        return Ok(());
    }
    loop {
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                let _ = server_w.shutdown(Shutdown::Write);
                let _ = down.join();
                return Ok(());
            }
            let end = line == "\r\n";
            head.push(line);
            if end {
                break;
            }
        }
        let has_range = head
            .iter()
            .any(|l| l.to_ascii_lowercase().starts_with("range:"));
        let is_blob_get = head[0].starts_with("GET ") && head[0].contains("/blobs/sha256:");
        if is_blob_get && has_range {
            ranges.fetch_add(1, Ordering::SeqCst);
        }
        match &mode {
            ProxyMode::PageTags(n) => {
                if head[0].starts_with("GET ") && head[0].contains("/tags/list ") {
                    head[0] = head[0].replacen("/tags/list ", &format!("/tags/list?n={n} "), 1);
                }
            }
            ProxyMode::CutFirstBlobAfter(limit)
            | ProxyMode::StallFirstBlobAfter(limit)
            | ProxyMode::CorruptFirstBlobAt(limit) => {
                if is_blob_get && !has_range && cuts.load(Ordering::SeqCst) == 0 {
                    *budget.lock().unwrap() = Some(*limit);
                }
                if is_blob_get && !has_range {
                    refused.fetch_add(1, Ordering::SeqCst);
                }
            }
            ProxyMode::StallFirst(path) => {
                if head[0].contains(path) && cuts.fetch_add(1, Ordering::SeqCst) == 0 {
                    // Read nothing more and answer nothing: the client must give up.
                    let mut sink = [0u8; 1];
                    let _ = reader.get_mut().read(&mut sink);
                    let _ = server_w.shutdown(Shutdown::Both);
                    let _ = down.join();
                    return Ok(());
                }
            }
            ProxyMode::TruncateFirst(path) => {
                if head[0].contains(path) && cuts.fetch_add(1, Ordering::SeqCst) == 0 {
                    let mut client_w = reader.get_ref().try_clone()?;
                    client_w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{\"sch")?;
                    let _ = client_w.shutdown(Shutdown::Both);
                    let _ = server_w.shutdown(Shutdown::Both);
                    let _ = down.join();
                    return Ok(());
                }
            }
            ProxyMode::Refuse { .. } | ProxyMode::CutFirstUpload { .. } | ProxyMode::Trickle(_) => {
            }
            ProxyMode::Serve {
                path,
                head: h,
                body,
            } => {
                if head[0].contains(path.as_str()) {
                    let mut client_w = reader.get_ref().try_clone()?;
                    write!(client_w, "{h}Content-Length: {}\r\n\r\n", body.len())?;
                    client_w.write_all(body)?;
                    continue;
                }
            }
        }
        let content_length: usize = head
            .iter()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        if let ProxyMode::CutFirstUpload { path, after } = &mode
            && head[0].contains(path)
            && content_length > *after
            && cuts
                .compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        {
            let mut part = vec![0u8; *after];
            reader.read_exact(&mut part)?;
            server_w.write_all(head.concat().as_bytes())?;
            server_w.write_all(&part)?;
            let _ = reader.get_ref().shutdown(Shutdown::Both);
            let _ = server_w.shutdown(Shutdown::Both);
            let _ = down.join();
            return Ok(());
        }
        let mut body = vec![0u8; content_length];
        reader.read_exact(&mut body)?;
        if let ProxyMode::Refuse {
            path,
            times,
            status,
            headers,
        } = &mode
            && head[0].contains(path)
            && refused.fetch_add(1, Ordering::SeqCst) < *times
        {
            // The request's body was read above, so the next request starts clean.
            let mut client_w = reader.get_ref().try_clone()?;
            write!(
                client_w,
                "HTTP/1.1 {status}\r\n{headers}Content-Length: 0\r\n\r\n"
            )?;
            continue;
        }
        server_w.write_all(head.concat().as_bytes())?;
        server_w.write_all(&body)?;
    }
}

/// A tiny HTTP/1.1 client for setting up registries directly (plain HTTP, no auth).
pub fn http(
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    let mut conn = TcpStream::connect(host).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    conn.write_all(req.as_bytes()).unwrap();
    conn.write_all(body).unwrap();
    let mut out = Vec::new();
    conn.read_to_end(&mut out).unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, out[split + 4..].to_vec())
}
