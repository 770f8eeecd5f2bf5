//! One registry, as one image operation sees it: the connection pool (shared by every client
//! of the same host and TLS settings, with the detected scheme and authentication challenges
//! and the bearer tokens of this process, see [`tokens`](super::tokens)), and credentials.
//!
//! Requests retry where that is safe: a dropped connection, a silent registry (see [`idle`]),
//! 502/503/504, and 500 for requests that can be repeated without effect (GET, HEAD, PUT) are
//! tried again after a growing, jittered delay when the request can be replayed; a 429 pauses
//! every request to the host for the time asked (see [`schedule`]). Failures that remain are
//! marked [`Transient`] for `--retry-times`. 401/403/404 are answers, never retried.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use anyhow::{Result, anyhow};
use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::challenge::{self, Challenge, Scope};
use super::errors::{RegistryError, Unauthorized, http_response_error};
use super::idle::{self, Activity};
use super::memo::ManifestMemo;
use super::schedule::{LinkGuard, Scheduler};
use super::slots::{BlobBytes, Slot, Slots};
use super::tokens::{ScopeSet, Token, TokenCache};
use super::{proxy, tls};
use crate::auth::Credentials;
use crate::config::certs::TlsFiles;
use crate::contract::retry::{Transient, backoff};
use crate::digest::Digest;

pub use super::idle::set_idle_timeout;

/// How many requests one process sends to one registry at once.
const PER_HOST_REQUESTS: usize = 32;
/// Tokens live at least this long, whatever the token server says (as c/image assumes).
const MIN_TOKEN_LIFETIME: Duration = Duration::from_secs(60);
/// Attempts for a request the registry answers 429.
const TOO_MANY_REQUESTS_ATTEMPTS: u32 = 5;
/// Attempts for a replayable request after a dropped connection or a 5xx answer.
const TRANSIENT_ATTEMPTS: u32 = 5;
/// The largest error, token or manifest body read into memory.
pub const MAX_SMALL_BODY: usize = 4 << 20;
/// The largest request body sent over HTTP/2: the window every HTTP/2 server grants a new
/// stream (RFC 9113 §6.9.2). Bigger bodies (blob uploads) go over HTTP/1.1 connections, since
/// the server's flow control paces an upload to its window per round trip — Go's server
/// (distribution) grants 1 MiB per connection, so one HTTP/2 connection would carry at most
/// 50 MB/s of uploads across a 20 ms round trip, all blobs together, and 10 MB/s across 100 ms.
const MAX_HTTP2_BODY: u64 = 65_535;

/// Blob downloads (`GET …/blobs/DIGEST`) bigger than one stream window, or of unknown size,
/// go over HTTP/1.1 connections too: across a 20 ms round trip a 50 MB pull over one HTTP/2
/// connection took ~10 % longer than over HTTP/1.1's several (whatever the windows below),
/// and one TCP connection also stalls every blob at once on a lost packet. HTTP/2 carries
/// what round trips decide: pings, tokens, HEADs, manifests, tag lists, upload sessions,
/// mounts and small blobs (a small image copied across 100 ms round trips took one round
/// trip less with its blobs over HTTP/2 than over new HTTP/1.1 connections).
fn is_big_blob_download(req: &Request, url: &Url) -> bool {
    req.method == Method::GET
        && url.path().contains("/blobs/")
        && !url.path().contains("/blobs/uploads/")
        && req
            .moves
            .0
            .is_none_or(|n| n > u64::from(HTTP2_STREAM_WINDOW))
}

/// Receive windows for what comes over HTTP/2 (manifests, big ones included): 4 MiB per
/// stream (as Go's client), 16 MiB for the connection (hyper's ceiling for adaptive windows).
/// Fixed rather than adaptive: hyper's adaptive windows start at 64 KiB and double once per
/// round trip, which cost a 50 MB copy across 20 ms round trips about half a second when
/// blobs came over HTTP/2.
const HTTP2_STREAM_WINDOW: u32 = 4 << 20;
const HTTP2_CONNECTION_WINDOW: u32 = 16 << 20;
/// The largest HTTP/2 frame the registry may send: 256 KiB frames rather than the default
/// 16 KiB took a sixth less time for a 50 MB pull over HTTP/2 (fewer frames to handle).
const HTTP2_MAX_FRAME: u32 = 256 << 10;

/// The HTTP side shared by every client of one host with the same TLS settings.
struct Pool {
    /// HTTP/2 where the registry negotiates it over TLS, else HTTP/1.1.
    http: reqwest::Client,
    /// HTTP/1.1 only: big blobs, either way (see [`Client::http_for`]).
    http1: reqwest::Client,
    limit: Arc<Slots>,
    /// What the ping found, shared by every client of the pool: the scheme and challenges
    /// of a host do not change within one command.
    detected: tokio::sync::OnceCell<Detected>,
    schedule: Arc<Scheduler>,
    memo: ManifestMemo,
    /// Bearer tokens, shared by every client of the pool (every image of a sync).
    tokens: TokenCache,
}

fn pool(host: &str, files: &TlsFiles, skip_verify: bool) -> Result<Arc<Pool>> {
    static POOLS: OnceLock<Mutex<HashMap<String, Arc<Pool>>>> = OnceLock::new();
    let key = format!("{host}|{skip_verify}|{files:?}");
    let pools = POOLS.get_or_init(Default::default);
    if let Some(p) = pools.lock().unwrap().get(&key) {
        return Ok(p.clone());
    }
    let http = registry_http_client(files, skip_verify, true)?;
    let http1 = registry_http_client(files, skip_verify, false)?;
    let p = Arc::new(Pool {
        http,
        http1,
        limit: Slots::new(PER_HOST_REQUESTS),
        detected: tokio::sync::OnceCell::new(),
        schedule: Arc::default(),
        memo: ManifestMemo::default(),
        tokens: TokenCache::default(),
    });
    pools.lock().unwrap().insert(key, p.clone());
    Ok(p)
}

/// The HTTP client of one registry: keep-alive connections, at most [`PER_HOST_REQUESTS`]
/// idle ones kept; with `http2`, HTTP/2 where TLS negotiates it (never h2c on plain HTTP).
fn registry_http_client(
    files: &TlsFiles,
    skip_verify: bool,
    http2: bool,
) -> Result<reqwest::Client> {
    let tls = tls::client_config(files, skip_verify, http2)?;
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .proxy(proxy::reqwest_proxy())
        .connect_timeout(Duration::from_secs(30))
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(PER_HOST_REQUESTS)
        .tcp_nodelay(true);
    if http2 {
        builder = builder
            .http2_initial_stream_window_size(HTTP2_STREAM_WINDOW)
            .http2_initial_connection_window_size(HTTP2_CONNECTION_WINDOW)
            .http2_max_frame_size(HTTP2_MAX_FRAME);
    }
    builder
        .build()
        .map_err(|e| anyhow!("setting up an HTTP client: {e}"))
}

/// A client with verified TLS and no registry settings (lookaside signature servers).
pub fn simple_http_client() -> Result<reqwest::Client> {
    let tls = tls::client_config(&TlsFiles::default(), false, true)?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .proxy(proxy::reqwest_proxy())
        .connect_timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| anyhow!("setting up an HTTP client: {e}"))
}

/// What the ping of `/v2/` found out.
#[derive(Clone, Debug)]
struct Detected {
    scheme: &'static str,
    challenges: Vec<Challenge>,
    /// The ping's answer came over HTTP/2 (so does everything on `http`).
    http2: bool,
}

/// Settings for a new client.
#[derive(Clone, Debug, Default)]
pub struct ClientOptions {
    /// The registry as the image names it (`docker.io`, `localhost:5000`).
    pub registry: String,
    pub tls_files: TlsFiles,
    /// Unverified TLS, and plain HTTP when HTTPS fails.
    pub insecure: bool,
    pub credentials: Option<Credentials>,
    pub registry_token: Option<String>,
    /// The scope tokens are asked for: `repository:NAME:pull[,push]`; `None` for `/v2/` only.
    pub scope: Option<Scope>,
    pub user_agent: String,
}

pub struct Client {
    /// The registry as named in the image reference.
    pub registry: String,
    /// The host requests go to (`registry-1.docker.io` for `docker.io`).
    host: String,
    pool: Arc<Pool>,
    insecure: bool,
    credentials: Option<Credentials>,
    registry_token: Option<String>,
    scope: Option<Scope>,
    user_agent: String,
}

/// A stream of request body chunks.
pub type ChunkStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = std::io::Result<Bytes>> + Send>>;

/// A request body: replayable bytes, or a stream that can be sent once.
pub enum Body {
    Empty,
    Bytes(Bytes),
    Stream(ChunkStream, Option<u64>),
}

impl Body {
    /// The body's length in bytes, if known.
    fn len(&self) -> Option<u64> {
        match self {
            Body::Empty => Some(0),
            Body::Bytes(b) => Some(b.len() as u64),
            Body::Stream(_, len) => *len,
        }
    }

    fn replayable(&self) -> bool {
        !matches!(self, Body::Stream(..))
    }

    /// The body to send; a stream records its progress in `activity`.
    fn take(&mut self, activity: &Arc<Activity>) -> Option<reqwest::Body> {
        match std::mem::replace(self, Body::Empty) {
            Body::Empty => None,
            Body::Bytes(b) => {
                let out = reqwest::Body::from(b.clone());
                *self = Body::Bytes(b);
                Some(out)
            }
            Body::Stream(s, _) => Some(reqwest::Body::wrap_stream(idle::Touching::new(
                s,
                activity.clone(),
            ))),
        }
    }
}

/// A request relative to the registry (`/v2/…`) or to a URL it gave us (upload locations).
pub struct Request {
    pub method: Method,
    pub target: Target,
    pub headers: HeaderMap,
    pub body: Body,
    pub auth: bool,
    pub extra_scope: Option<Scope>,
    /// Whether dropped connections and 5xx answers may be retried here.
    pub retry: bool,
    /// Sent without waiting for one of the host's request slots.
    pub unlimited: bool,
    /// The blob bytes it moves (sent or answered), when it moves a blob: waiting for a
    /// slot, the biggest go first (see [`Slots`]); big ones avoid HTTP/2 (see
    /// [`Client::http_for`]).
    pub moves: BlobBytes,
}

pub enum Target {
    Path(String),
    Url(Url),
}

impl Request {
    pub fn new(method: Method, path: impl Into<String>) -> Request {
        Request {
            method,
            target: Target::Path(path.into()),
            headers: HeaderMap::new(),
            body: Body::Empty,
            auth: true,
            extra_scope: None,
            retry: true,
            unlimited: false,
            moves: BlobBytes(None),
        }
    }

    pub fn to_url(method: Method, url: Url) -> Request {
        Request {
            target: Target::Url(url),
            ..Request::new(method, "")
        }
    }

    /// Marks a blob transfer of `bytes` (see [`Slots`]).
    pub fn moving(mut self, bytes: Option<u64>) -> Request {
        self.moves = BlobBytes(bytes);
        self
    }

    pub fn header(mut self, name: HeaderName, value: &str) -> Request {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.append(name, v);
        }
        self
    }

    pub fn body(mut self, body: Body) -> Request {
        self.body = body;
        self
    }

    pub fn extra_scope(mut self, scope: Option<Scope>) -> Request {
        self.extra_scope = scope;
        self
    }
}

/// A response, holding one of the host's request slots until it is dropped.
pub struct Response {
    pub inner: reqwest::Response,
    pub url: Url,
    permit: Option<Slot>,
}

impl Response {
    pub fn status(&self) -> u16 {
        self.inner.status().as_u16()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.inner
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// The `Location` header, resolved against the request URL.
    pub fn location(&self) -> Result<Url> {
        let loc = self
            .header("location")
            .ok_or_else(|| anyhow!("http: no Location header in response"))?;
        self.url
            .join(&loc)
            .map_err(|e| anyhow!("parsing Location {loc:?}: {e}"))
    }

    /// Reads a small body whole (manifests, token answers, error documents).
    pub async fn bytes_limited(self, limit: usize) -> Result<Bytes> {
        use futures::StreamExt;
        let mut out = Vec::new();
        let mut stream = self.into_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            if out.len() + chunk.len() > limit {
                return Err(anyhow!("exceeded maximum allowed size of {limit} bytes"));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(out))
    }

    /// The error for a failed answer, as skopeo words it; 429 and 5xx are [`Transient`].
    pub async fn error(self) -> anyhow::Error {
        let status = self.status();
        let challenges = challenge::from_headers(self.inner.headers());
        let body = self.bytes_limited(MAX_SMALL_BODY).await.unwrap_or_default();
        let err = RegistryError::from_response(status, &challenges, &body);
        if is_transient_status(status) {
            return Transient(err.to_string()).into();
        }
        err.into()
    }

    /// The error for a failed answer in skopeo's shorter `httpResponseToError` wording
    /// (`CONTEXT: invalid status code from registry 404 (Not Found)`); 429 and 5xx are
    /// [`Transient`].
    pub async fn http_error(self, context: &str) -> anyhow::Error {
        let status = self.status();
        let challenges = challenge::from_headers(self.inner.headers());
        let body = self.bytes_limited(MAX_SMALL_BODY).await.unwrap_or_default();
        let err = http_response_error(status, &challenges, &body, context)
            .unwrap_or_else(|| anyhow!("{context}: unexpected status {status}"));
        if is_transient_status(status) {
            return Transient(format!("{err:#}")).into();
        }
        err
    }

    /// The body as a stream of chunks. The request slot is released here: a download that
    /// feeds an upload to the same registry must never wait for the upload's slot.
    pub fn into_stream(self) -> BodyStream {
        drop(self.permit);
        let chunks = futures::StreamExt::map(self.inner.bytes_stream(), |r| {
            r.map_err(|e| transport_error(&e))
        });
        BodyStream {
            inner: Box::pin(idle::IdleLimited::new(Box::pin(chunks))),
        }
    }
}

/// A response body in chunks; a body that stops arriving fails as [`Transient`].
pub struct BodyStream {
    inner: std::pin::Pin<
        Box<dyn futures::Stream<Item = anyhow::Result<Bytes>> + Send + Sync + 'static>,
    >,
}

impl futures::Stream for BodyStream {
    type Item = anyhow::Result<Bytes>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

fn is_transient_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// docker.io's API lives at registry-1.docker.io.
pub fn api_host(registry: &str) -> &str {
    if registry == "docker.io" {
        "registry-1.docker.io"
    } else {
        registry
    }
}

impl Client {
    pub fn new(opts: ClientOptions) -> Result<Client> {
        let host = api_host(&opts.registry).to_string();
        let pool = pool(&host, &opts.tls_files, opts.insecure)?;
        Ok(Client {
            registry: opts.registry,
            host,
            pool,
            insecure: opts.insecure,
            credentials: opts.credentials,
            registry_token: opts.registry_token.filter(|t| !t.is_empty()),
            scope: opts.scope,
            user_agent: opts.user_agent,
        })
    }

    /// Pings `/v2/` (HTTPS, then plain HTTP if the registry is insecure) once per pool.
    /// Pings the registry now (once per process and host), so that later requests find
    /// the answer waiting.
    pub async fn ping_once(&self) -> Result<()> {
        self.detect().await.map(|_| ())
    }

    async fn detect(&self) -> Result<&Detected> {
        self.pool
            .detected
            .get_or_try_init(|| async {
                let res = if self.insecure {
                    self.ping_both().await
                } else {
                    self.ping("https").await
                };
                res.map_err(|e| {
                    anyhow!("pinging container registry {}: {e:#}", self.host).context_marker(&e)
                })
            })
            .await
    }

    /// An insecure registry: HTTPS and plain HTTP are asked side by side, not one after the
    /// other (a round trip or two less across a WAN); HTTPS still wins when it answers, and
    /// HTTP's answer (or failure) counts only when HTTPS failed, as skopeo decides.
    async fn ping_both(&self) -> Result<Detected> {
        let https = self.ping("https");
        let http = self.ping("http");
        tokio::pin!(https, http);
        let mut http_result = None;
        loop {
            tokio::select! {
                biased;
                r = &mut https => {
                    return match r {
                        Ok(d) => Ok(d),
                        Err(_) => match http_result {
                            Some(h) => h,
                            None => http.await,
                        },
                    };
                }
                r = &mut http, if http_result.is_none() => http_result = Some(r),
            }
        }
    }

    async fn ping(&self, scheme: &'static str) -> Result<Detected> {
        let url = Url::parse(&format!("{scheme}://{}/v2/", self.host))?;
        let mut req = Request::to_url(Method::GET, url.clone());
        req.auth = false;
        // An insecure registry may simply not speak TLS: fall back to HTTP at once.
        req.retry = !(scheme == "https" && self.insecure);
        let res = self.send_resolved(req, url).await?;
        let status = res.status();
        if status != 200 && status != 401 {
            return Err(res.error().await);
        }
        Ok(Detected {
            scheme,
            challenges: challenge::from_headers(res.inner.headers()),
            http2: res.inner.version() == reqwest::Version::HTTP_2,
        })
    }

    /// The URL of a path on the registry.
    pub async fn url(&self, path: &str) -> Result<Url> {
        let d = self.detect().await?;
        Url::parse(&format!("{}://{}{path}", d.scheme, self.host))
            .map_err(|e| anyhow!("parsing URL {path}: {e}"))
    }

    /// Sends a request, pinging the registry first if needed.
    pub async fn send(&self, req: Request) -> Result<Response> {
        let url = match &req.target {
            Target::Path(p) => self.url(p).await?,
            Target::Url(u) => {
                self.detect().await?;
                u.clone()
            }
        };
        self.send_resolved(req, url).await
    }

    async fn send_resolved(&self, mut req: Request, url: Url) -> Result<Response> {
        let replayable = req.body.replayable() && req.retry;
        // Repeating these has no effect beyond the first success (a 500 may hide one).
        let idempotent = matches!(req.method, Method::GET | Method::HEAD | Method::PUT);
        let mut extra = req.extra_scope.clone();
        let mut delay_429 = Duration::from_secs(2);
        let mut attempts_429 = 0;
        let mut attempts_transient = 0;
        let mut scope_retried = false;
        loop {
            let res = self.send_once(&mut req, &url, extra.as_ref()).await;
            let res = match res {
                Ok(r) => r,
                Err(e) => {
                    attempts_transient += 1;
                    // A registry that refuses connections is down, not blinking: only
                    // `--retry-times` waits for it (its error is not `Transient`, see
                    // `go_url_error`).
                    if replayable && is_transient(&e) && attempts_transient < TRANSIENT_ATTEMPTS {
                        let wait = backoff(attempts_transient);
                        debug_retry(
                            &req.method,
                            &url,
                            &format!("{e:#}"),
                            wait,
                            attempts_transient,
                        );
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(e);
                }
            };
            let status = res.status();
            if status == 401 && replayable && req.auth && !scope_retried {
                scope_retried = true;
                if let Some(scope) = insufficient_scope(res.inner.headers()) {
                    extra = Some(scope);
                    continue;
                }
            }
            if status == 429 && replayable && attempts_429 + 1 < TOO_MANY_REQUESTS_ATTEMPTS {
                attempts_429 += 1;
                let wait = retry_after(res.inner.headers())
                    .unwrap_or(delay_429)
                    .min(Duration::from_secs(60));
                drop(res);
                // Every request to this host waits, not just this one.
                self.pool.schedule.pause(wait);
                debug_retry(
                    &req.method,
                    &url,
                    "429 Too Many Requests",
                    wait,
                    attempts_429,
                );
                delay_429 *= 2;
                continue;
            }
            let retry_5xx = matches!(status, 502..=504) || (status == 500 && idempotent);
            if retry_5xx && replayable && attempts_transient + 1 < TRANSIENT_ATTEMPTS {
                attempts_transient += 1;
                drop(res);
                let wait = backoff(attempts_transient);
                debug_retry(
                    &req.method,
                    &url,
                    &status.to_string(),
                    wait,
                    attempts_transient,
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            if let Some(wait) = rate_limit_exhausted(res.inner.headers()) {
                self.pool.schedule.pause(wait);
            }
            return Ok(res);
        }
    }

    async fn send_once(
        &self,
        req: &mut Request,
        url: &Url,
        extra: Option<&Scope>,
    ) -> Result<Response> {
        self.pool.schedule.wait_if_paused().await;
        // Resumed downloads skip the queue: they finish work that already held a slot.
        let permit = if req.unlimited {
            None
        } else {
            Some(self.pool.limit.acquire(req.moves).await)
        };
        let mut builder = self
            .http_for(req, url)
            .request(req.method.clone(), url.clone())
            .header("Docker-Distribution-API-Version", "registry/2.0")
            .header(header::USER_AGENT, &self.user_agent);
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        if let Body::Stream(_, Some(len)) = &req.body {
            builder = builder.header(header::CONTENT_LENGTH, *len);
        }
        if req.auth
            && let Some(auth) = self.authorization(extra).await?
        {
            builder = builder.header(header::AUTHORIZATION, auth);
        }
        let activity = Activity::new();
        if let Some(body) = req.body.take(&activity) {
            builder = builder.body(body);
        }
        refuse_cgi_proxy(req.method.as_str(), url)?;
        let method = req.method.clone();
        let sending = async {
            builder
                .send()
                .await
                .map_err(|e| go_url_error(method.as_str(), url, &e))
        };
        let what = || format!("{} \"{url}\"", go_method(method.as_str()));
        let started = std::time::Instant::now();
        let inner = idle::watch(sending, &activity, what).await;
        // Method, URL and status only: never a header (Authorization) or a body.
        match &inner {
            Ok(r) => tracing::debug!(
                target: "skiff::http",
                "{method} {url} {} ({} ms)",
                r.status().as_u16(),
                started.elapsed().as_millis()
            ),
            Err(e) => tracing::debug!(
                target: "skiff::http",
                "{method} {url} failed after {} ms: {e:#}",
                started.elapsed().as_millis()
            ),
        }
        let inner = inner?;
        Ok(Response {
            inner,
            url: url.clone(),
            permit,
        })
    }

    /// The client for a request: big blobs to or from an HTTP/2 registry go over HTTP/1.1
    /// (see [`MAX_HTTP2_BODY`] and [`is_big_blob_download`]); a registry without HTTP/2 has
    /// one pool for all.
    fn http_for(&self, req: &Request, url: &Url) -> &reqwest::Client {
        let http2 = self.pool.detected.get().is_some_and(|d| d.http2);
        let bulk =
            req.body.len().is_none_or(|n| n > MAX_HTTP2_BODY) || is_big_blob_download(req, url);
        if http2 && bulk {
            &self.pool.http1
        } else {
            &self.pool.http
        }
    }

    /// Waits until no other task of this process checks or writes `digest` in `repo` of
    /// this registry, and keeps others out while the guard lives.
    pub async fn blob_link(&self, repo: &str, digest: &Digest) -> LinkGuard {
        self.pool.schedule.link(repo, digest).await
    }

    /// What this process learned about the registry's blobs (see [`Scheduler`]).
    pub fn schedule(&self) -> &Scheduler {
        &self.pool.schedule
    }

    /// Manifests of this registry read ahead of their use (see [`ManifestMemo`]).
    pub fn memo(&self) -> &ManifestMemo {
        &self.pool.memo
    }

    /// The `Authorization` header for a request, per the challenges of the ping.
    async fn authorization(&self, extra: Option<&Scope>) -> Result<Option<String>> {
        let Some(d) = self.pool.detected.get() else {
            return Ok(None);
        };
        for c in &d.challenges {
            match c.scheme.as_str() {
                "basic" => {
                    let Some(creds) = &self.credentials else {
                        return Ok(None);
                    };
                    return Ok(Some(basic(&creds.username, &creds.password)));
                }
                "bearer" => {
                    if let Some(t) = &self.registry_token {
                        return Ok(Some(format!("Bearer {t}")));
                    }
                    let token = self.bearer_token(c, extra).await?;
                    return Ok(Some(format!("Bearer {token}")));
                }
                _ => {}
            }
        }
        Ok(None)
    }

    async fn bearer_token(&self, c: &Challenge, extra: Option<&Scope>) -> Result<String> {
        let mut scopes: Vec<&Scope> = self.scope.iter().collect();
        scopes.extend(extra);
        let wanted = ScopeSet::of(scopes.iter().copied());
        let who = self.token_identity(c);
        let tokens = &self.pool.tokens;
        if let Some(t) = tokens.find(&who, &wanted) {
            return Ok(t);
        }
        // One fetch per scope set: tasks wanting the same one wait for it.
        let _fetching = tokens.fetching(&who, &wanted).await;
        if let Some(t) = tokens.find(&who, &wanted) {
            return Ok(t);
        }
        let token = self.fetch_token(c, &scopes).await?;
        let value = token.value.clone();
        tokens.insert(&who, wanted, token);
        Ok(value)
    }

    /// Who a token is asked for: the credentials and the challenge's realm and service
    /// (kept in memory only, as the credentials themselves are).
    fn token_identity(&self, c: &Challenge) -> String {
        let (user, pass, identity) = match &self.credentials {
            Some(cr) => (
                cr.username.as_str(),
                cr.password.as_str(),
                cr.identity_token.as_deref().unwrap_or(""),
            ),
            None => ("", "", ""),
        };
        let param = |k| c.param(k).unwrap_or("");
        format!(
            "{user}\0{pass}\0{identity}\0{}\0{}",
            param("realm"),
            param("service")
        )
    }

    async fn fetch_token(&self, c: &Challenge, scopes: &[&Scope]) -> Result<Token> {
        let realm = c
            .param("realm")
            .ok_or_else(|| anyhow!("missing realm in bearer auth challenge"))?;
        let mut url = Url::parse(realm).map_err(|e| anyhow!("parse {realm:?}: {e}"))?;
        let identity = self
            .credentials
            .as_ref()
            .and_then(|c| c.identity_token.clone())
            .filter(|t| !t.is_empty());
        let scope_values: Vec<String> = scopes
            .iter()
            .filter(|s| s.is_complete())
            .map(|s| s.to_string())
            .collect();
        let service = c.param("service").filter(|s| !s.is_empty());
        let (builder, context, method) = if let Some(refresh) = identity {
            let mut form: Vec<(&str, String)> = Vec::new();
            if let Some(s) = service {
                form.push(("service", s.to_string()));
            }
            for s in &scope_values {
                form.push(("scope", s.clone()));
            }
            form.push(("grant_type", "refresh_token".into()));
            form.push(("refresh_token", refresh));
            form.push(("client_id", "containers/image".into()));
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish();
            let b = self
                .pool
                .http
                .post(url.clone())
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body);
            (b, "Trying to obtain access token", "POST")
        } else {
            {
                let mut q = url.query_pairs_mut();
                if let Some(creds) = &self.credentials
                    && !creds.username.is_empty()
                {
                    q.append_pair("account", &creds.username);
                }
                if let Some(s) = service {
                    q.append_pair("service", s);
                }
                for s in &scope_values {
                    q.append_pair("scope", s);
                }
            }
            let mut b = self.pool.http.get(url.clone());
            if let Some(creds) = &self.credentials
                && !creds.username.is_empty()
                && !creds.password.is_empty()
            {
                b = b.header(
                    header::AUTHORIZATION,
                    basic(&creds.username, &creds.password),
                );
            }
            (b, "Requesting bearer token", "GET")
        };
        refuse_cgi_proxy(method, &url)?;
        let started = std::time::Instant::now();
        let res = builder
            .header(header::USER_AGENT, &self.user_agent)
            .send()
            .await
            .map_err(|e| go_url_error(method, &url, &e))?;
        let status = res.status().as_u16();
        // The token itself is in the body: only the request and its status are logged.
        tracing::debug!(
            target: "skiff::http",
            "{method} {url} {status} ({} ms, {context})",
            started.elapsed().as_millis()
        );
        let challenges = challenge::from_headers(res.headers());
        let resp = Response {
            inner: res,
            url: url.clone(),
            permit: None,
        };
        let body = resp.bytes_limited(1 << 20).await?;
        if let Some(err) = http_response_error(status, &challenges, &body, context) {
            return Err(if is_transient_status(status) {
                Transient(format!("{err:#}")).into()
            } else {
                err
            });
        }
        parse_token(&body, &url)
    }

    /// skopeo's `CheckAuth`: whether the credentials open `/v2/`.
    pub async fn check_auth(&self) -> Result<()> {
        let res = self.send(Request::new(Method::GET, "/v2/")).await?;
        match res.status() {
            200 => Ok(()),
            401 => Err(Unauthorized(res.error().await.to_string()).into()),
            _ => Err(res.error().await),
        }
    }

    pub fn host(&self) -> &str {
        &self.host
    }
}

fn basic(user: &str, pass: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    )
}

fn parse_token(body: &[u8], url: &Url) -> Result<Token> {
    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct Answer {
        token: String,
        access_token: String,
        expires_in: i64,
        issued_at: Option<String>,
    }
    let a: Answer = serde_json::from_slice(body).map_err(|e| {
        let sample: String = String::from_utf8_lossy(&body[..body.len().min(50)]).into();
        anyhow!(
            "decoding bearer token (last URL {:?}, body start {sample:?}): {e}",
            url.as_str()
        )
    })?;
    let value = if a.token.is_empty() {
        a.access_token
    } else {
        a.token
    };
    let lifetime = Duration::from_secs(a.expires_in.max(0) as u64).max(MIN_TOKEN_LIFETIME);
    let issued = a
        .issued_at
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
        .map(SystemTime::from)
        .unwrap_or_else(SystemTime::now);
    Ok(Token {
        value,
        expires: issued + lifetime,
    })
}

/// A 401 asking for a scope we did not request (`error="insufficient_scope"`).
fn insufficient_scope(headers: &HeaderMap) -> Option<Scope> {
    challenge::from_headers(headers)
        .into_iter()
        .filter(|c| c.scheme == "bearer" && c.param("error") == Some("insufficient_scope"))
        .find_map(|c| c.param("scope").and_then(Scope::parse))
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    if let Ok(secs) = v.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    when.duration_since(SystemTime::now()).ok()
}

fn debug_retry(method: &Method, url: &Url, why: &str, wait: Duration, attempt: u32) {
    crate::error::debug(&format!(
        "{} {url}: {why}; retrying in {} (attempt {attempt})",
        method.as_str(),
        crate::contract::retry::go_duration(wait)
    ));
}

/// Docker Hub's and the IETF draft's `RateLimit-Remaining: 0` with a `RateLimit-Reset` in
/// seconds: the host is out of requests until then (at most a minute is waited per answer).
fn rate_limit_exhausted(headers: &HeaderMap) -> Option<Duration> {
    let value = |name: &str| {
        headers
            .get(name)?
            .to_str()
            .ok()?
            .split(';')
            .next()?
            .trim()
            .parse::<u64>()
            .ok()
    };
    if value("ratelimit-remaining")? != 0 {
        return None;
    }
    Some(Duration::from_secs(value("ratelimit-reset")?).min(Duration::from_secs(60)))
}

/// Whether an error from sending is worth trying again.
fn is_transient(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<Transient>())
}

/// A connection the registry refused: an I/O error of that kind, which the engine's
/// `--retry-times` retries (`contract::retry::is_retryable`) but this client's own quick
/// retries do not (they are for `Transient` failures).
fn refused(msg: String) -> anyhow::Error {
    std::io::Error::new(std::io::ErrorKind::ConnectionRefused, msg).into()
}

fn is_refused(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
    })
}

/// Go's `*url.Error` text: `Get "https://host/v2/": dial tcp host: connect: connection refused`.
pub(crate) fn go_url_error(method: &str, url: &Url, e: &reqwest::Error) -> anyhow::Error {
    let method = go_method(method);
    let msg = format!("{method} \"{url}\": {}", transport_cause(url, e));
    // An upload whose source failed verification: the engine tells that apart.
    if crate::contract::verify::is_mismatch(e) {
        return crate::contract::verify::Mismatch(msg).into();
    }
    if io_kind(e) == Some(std::io::ErrorKind::ConnectionRefused) {
        return refused(msg);
    }
    if is_transient_cause(e) {
        Transient(msg).into()
    } else {
        anyhow!(msg)
    }
}

/// Go fails a plain-HTTP request rather than use `HTTP_PROXY` in a CGI program.
fn refuse_cgi_proxy(method: &str, url: &Url) -> Result<()> {
    match proxy::from_environment().proxy_for(url) {
        Err(why) => Err(anyhow!("{} \"{url}\": {why}", go_method(method))),
        Ok(_) => Ok(()),
    }
}

fn go_method(m: &str) -> String {
    let mut s = m.to_lowercase();
    if let Some(f) = s.get_mut(0..1) {
        f.make_ascii_uppercase();
    }
    s
}

/// An error while reading a body, as text.
pub fn transport_error(e: &reqwest::Error) -> anyhow::Error {
    let msg = match io_kind(e) {
        Some(std::io::ErrorKind::ConnectionReset) => "connection reset by peer".to_string(),
        _ if e.is_body() || e.is_decode() => "unexpected EOF".to_string(),
        _ => root_message(e),
    };
    if is_transient_cause(e) || e.is_body() {
        Transient(msg).into()
    } else {
        anyhow!(msg)
    }
}

fn io_kind(e: &reqwest::Error) -> Option<std::io::ErrorKind> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut last: &(dyn std::error::Error + 'static) = e;
    while let Some(c) = cur {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        last = c;
        cur = c.source();
    }
    socks_connect_kind(last)
}

/// Why the SOCKS connector could not reach the SOCKS server: hyper-util's error keeps that
/// cause only in its Debug form (it has no `source`), so the kind is read from there.
fn socks_connect_kind(root: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    use std::io::ErrorKind::*;
    if !root
        .to_string()
        .starts_with("SOCKS error: failed to create underlying connection")
    {
        return None;
    }
    let debug = format!("{root:?}");
    [
        ConnectionRefused,
        TimedOut,
        ConnectionReset,
        HostUnreachable,
        NetworkUnreachable,
    ]
    .into_iter()
    .find(|k| debug.contains(&format!("kind: {k:?}")))
}

fn rustls_error(e: &reqwest::Error) -> Option<&rustls::Error> {
    tls::rustls_error_in(e)
}

fn root_message(e: &reqwest::Error) -> String {
    let mut cur: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

fn is_transient_cause(e: &reqwest::Error) -> bool {
    if rustls_error(e).is_some() || tls_text(e).is_some() {
        return false;
    }
    if e.is_timeout() {
        return true;
    }
    use std::io::ErrorKind::*;
    matches!(
        io_kind(e),
        Some(
            ConnectionReset
                | ConnectionRefused
                | ConnectionAborted
                | TimedOut
                | BrokenPipe
                | UnexpectedEof
        )
    ) || closed_before_answer(e)
        || http2_transient(e)
}

/// An HTTP/2 failure a new attempt may not meet, as a dropped connection in HTTP/1.1: the
/// connection broke, or the server is going away (GOAWAY) or refused, cancelled or failed the
/// stream. (h2's errors have no `source`, so `io_kind` does not see an I/O error inside.)
fn http2_transient(e: &reqwest::Error) -> bool {
    use h2::Reason;
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if let Some(h) = c.downcast_ref::<h2::Error>() {
            return h.is_io()
                || (h.is_remote()
                    && matches!(
                        h.reason(),
                        Some(
                            Reason::NO_ERROR
                                | Reason::REFUSED_STREAM
                                | Reason::CANCEL
                                | Reason::INTERNAL_ERROR
                                | Reason::ENHANCE_YOUR_CALM
                        )
                    ));
        }
        cur = c.source();
    }
    false
}

/// hyper's "connection closed before message completed": the server closed the connection
/// before (or while) answering.
fn closed_before_answer(e: &reqwest::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if c.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_incomplete_message)
        {
            return true;
        }
        cur = c.source();
    }
    false
}

/// A TLS failure that rustls reported only as text somewhere in the chain.
fn tls_text(e: &reqwest::Error) -> Option<String> {
    let m = root_message(e);
    if m.contains("InvalidContentType") {
        return Some("http: server gave HTTP response to HTTPS client".into());
    }
    if let Some((_, rest)) = m.split_once(tls::GO_TEXT_START)
        && let Some((x509, _)) = rest.split_once(tls::GO_TEXT_END)
    {
        return Some(format!("tls: failed to verify certificate: {x509}"));
    }
    if m.contains("UnknownIssuer") {
        return Some(
            "tls: failed to verify certificate: x509: certificate signed by unknown authority"
                .into(),
        );
    }
    if m.contains("NotValidForName") {
        return Some(
            "tls: failed to verify certificate: x509: certificate is not valid for this host"
                .into(),
        );
    }
    if m.contains("invalid peer certificate") || m.contains("peer is incompatible") {
        return Some(format!("tls: {m}"));
    }
    None
}

/// The part of Go's error after the URL.
fn transport_cause(url: &Url, e: &reqwest::Error) -> String {
    let proxy = proxy::from_environment().proxy_for(url).ok().flatten();
    let addr = match &proxy {
        Some(p) => proxy::proxy_addr(p),
        None => format!(
            "{}:{}",
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        ),
    };
    // Go names a failure to reach the proxy as such (`proxyconnect tcp: dial tcp PROXY: …`).
    let dial = if proxy.is_some() {
        "proxyconnect tcp: dial tcp"
    } else {
        "dial tcp"
    };
    if let Some(r) = rustls_error(e) {
        use rustls::{CertificateError, Error as E, InvalidMessage};
        if let Some(go) = tls::go_wording(r) {
            return go;
        }
        return match r {
            E::InvalidMessage(InvalidMessage::InvalidContentType) => {
                "http: server gave HTTP response to HTTPS client".into()
            }
            E::InvalidCertificate(CertificateError::NotValidForName)
            | E::InvalidCertificate(CertificateError::NotValidForNameContext { .. }) => format!(
                "tls: failed to verify certificate: x509: certificate is not valid for {}",
                url.host_str().unwrap_or("")
            ),
            E::InvalidCertificate(CertificateError::Expired)
            | E::InvalidCertificate(CertificateError::ExpiredContext { .. }) => {
                "tls: failed to verify certificate: x509: certificate has expired or is not yet valid".into()
            }
            other => format!("tls: {other}"),
        };
    }
    if let Some(t) = tls_text(e) {
        return t;
    }
    if e.is_timeout() {
        return format!("{dial} {addr}: i/o timeout");
    }
    // The proxy answered CONNECT with something else than 200. Go prints the status text;
    // hyper keeps only 407 apart.
    let root = root_message(e);
    if let Some(why) = root.strip_prefix("tunnel error: ") {
        return match why {
            "proxy authorization required" => "Proxy Authentication Required".into(),
            "unsuccessful" => format!("proxy {addr} refused to open a tunnel"),
            other => format!("proxy {addr}: {other}"),
        };
    }
    match io_kind(e) {
        Some(std::io::ErrorKind::ConnectionRefused) => {
            format!("{dial} {addr}: connect: connection refused")
        }
        Some(std::io::ErrorKind::ConnectionReset) => {
            format!("read tcp {addr}: read: connection reset by peer")
        }
        Some(std::io::ErrorKind::UnexpectedEof) => "EOF".into(),
        _ if e.is_connect() => format!("{dial} {addr}: {}", root_message(e)),
        _ if closed_before_answer(e) => "EOF".into(),
        _ => root_message(e),
    }
}

/// Lets the ping keep the [`Transient`] marker of the failure it wraps.
trait ContextMarker {
    fn context_marker(self, cause: &anyhow::Error) -> anyhow::Error;
}

impl ContextMarker for anyhow::Error {
    fn context_marker(self, cause: &anyhow::Error) -> anyhow::Error {
        if is_transient(cause) {
            Transient(format!("{self:#}")).into()
        } else if is_refused(cause) {
            refused(format!("{self:#}"))
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("nonsense"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn tokens_live_at_least_a_minute() {
        let url = Url::parse("https://auth/token").unwrap();
        let t = parse_token(br#"{"token":"abc","expires_in":5}"#, &url).unwrap();
        assert_eq!(t.value, "abc");
        assert!(t.expires > SystemTime::now() + Duration::from_secs(55));
        let t = parse_token(br#"{"access_token":"xyz"}"#, &url).unwrap();
        assert_eq!(t.value, "xyz");
        assert!(parse_token(b"nope", &url).is_err());
    }

    #[test]
    fn go_method_names() {
        assert_eq!(go_method("GET"), "Get");
        assert_eq!(go_method("HEAD"), "Head");
    }
}
