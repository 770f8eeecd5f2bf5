//! A small Docker Engine API client: the three calls the transport needs (`/_ping` to agree
//! on an API version, `GET /images/get` to save, `POST /images/load` to load), over a unix
//! socket, TCP with TLS (`tcp://`, certificates from the cert dir), or plain TCP (`http://`).

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use rustls::ClientConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::digest::Digest;
use crate::transport::docker::tls;
use crate::types::SystemContext;

/// Where the engine listens unless told otherwise.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// The newest API version skiff speaks; the engine's, if older, is used instead.
const MAX_API_VERSION: (u32, u32) = (1, 41);
/// What an engine that does not say its version is taken to speak.
const FALLBACK_API_VERSION: (u32, u32) = (1, 24);

pub struct Engine {
    http: reqwest::Client,
    /// `scheme://authority` requests go to.
    base: String,
    /// The host as configured, for messages.
    host: String,
    version: String,
}

/// The daemon's address: `--daemon-host`, else `$DOCKER_HOST`, else the default socket.
pub fn daemon_host(ctx: &SystemContext) -> String {
    ctx.docker_daemon_host
        .clone()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| DEFAULT_HOST.to_string())
}

fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs: std::result::Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|e| {
            anyhow!(
                "could not read CA certificate {:?}: {e}",
                path.display().to_string()
            )
        })?
        .collect();
    let certs = certs.map_err(|e| anyhow!("reading {}: {e}", path.display()))?;
    if certs.is_empty() {
        bail!(
            "failed to append certificates from PEM file: {:?}",
            path.display().to_string()
        );
    }
    Ok(certs)
}

/// TLS as c/image sets it up for a daemon: the system roots plus `ca.pem`, the client
/// certificate `cert.pem`/`key.pem` from the cert dir, no verification with
/// `--tls-verify=false`.
fn tls_config(ctx: &SystemContext) -> Result<ClientConfig> {
    let skip_verify = ctx.tls_verify == Some(false);
    let mut cas = Vec::new();
    if let (Some(dir), false) = (&ctx.docker_cert_path, skip_verify) {
        let ca = dir.join("ca.pem");
        let certs = read_pem_certs(&ca)?;
        cas.push((ca, certs));
    }
    let builder = tls::server_checks(skip_verify, &cas)?;
    let mut config = match &ctx.docker_cert_path {
        Some(dir) => {
            let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
            let chain: std::result::Result<Vec<_>, _> = CertificateDer::pem_file_iter(&cert)
                .map_err(|e| anyhow!("could not load X509 key pair: {e}"))?
                .collect();
            let chain = chain.map_err(|e| anyhow!("could not load X509 key pair: {e}"))?;
            let key = PrivateKeyDer::from_pem_file(&key)
                .map_err(|e| anyhow!("could not load X509 key pair: {e}"))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| anyhow!("could not load X509 key pair: {e}"))?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn parse_version(v: &str) -> Option<(u32, u32)> {
    let (a, b) = v.trim().split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

impl Engine {
    /// A client for the configured daemon (nothing is sent yet).
    pub fn new(ctx: &SystemContext) -> Result<Engine> {
        let host = daemon_host(ctx);
        let Some((proto, addr)) = host.split_once("://") else {
            bail!("unable to parse docker host `{host}`");
        };
        // reqwest wants a TLS setup even for plain connections: one that trusts nothing.
        let plain = || -> Result<ClientConfig> {
            Ok(ClientConfig::builder_with_provider(tls::provider())
                .with_safe_default_protocol_versions()
                .map_err(|e| anyhow!("setting up TLS: {e}"))?
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth())
        };
        // The engine API client takes proxies from the environment as Go does (never for
        // loopback); a unix socket takes none.
        let builder = reqwest::Client::builder();
        let (builder, base) = match proto {
            "unix" => (
                builder
                    .no_proxy()
                    .unix_socket(addr)
                    .use_preconfigured_tls(plain()?),
                "http://docker".to_string(),
            ),
            "http" => (
                builder.use_preconfigured_tls(plain()?),
                format!("http://{}", addr.trim_end_matches('/')),
            ),
            "tcp" | "https" => {
                let authority = addr.split('/').next().unwrap_or_default();
                (
                    builder.use_preconfigured_tls(tls_config(ctx)?),
                    format!("https://{authority}"),
                )
            }
            other => bail!("protocol not available: {other}"),
        };
        let builder = match proto {
            "unix" => builder,
            _ => builder.proxy(crate::transport::docker::proxy::reqwest_proxy()),
        };
        let http = builder
            .build()
            .map_err(|e| anyhow!("building the HTTP client: {e}"))?;
        Ok(Engine {
            http,
            base,
            host,
            version: String::new(),
        })
    }

    /// Agrees on an API version with the daemon (`/_ping`); fails with Docker's words when the
    /// daemon cannot be reached.
    pub async fn negotiate(&mut self) -> Result<()> {
        let resp = self
            .http
            .get(format!("{}/_ping", self.base))
            .send()
            .await
            .map_err(|e| self.connection_error(&e))?;
        let server = resp
            .headers()
            .get("API-Version")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_version)
            .unwrap_or(FALLBACK_API_VERSION);
        let (a, b) = server.min(MAX_API_VERSION);
        self.version = format!("{a}.{b}");
        Ok(())
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v{}{path}", self.base, self.version)
    }

    fn connection_error(&self, e: &reqwest::Error) -> anyhow::Error {
        if e.is_connect() {
            if let Some(tls) = tls::rustls_error_in(e) {
                let text = tls::go_wording(tls).unwrap_or_else(|| tls.to_string());
                return anyhow!("error during connect: {text}");
            }
            anyhow!(
                "Cannot connect to the Docker daemon at {}. Is the docker daemon running?",
                self.host
            )
        } else {
            anyhow!("error during connect: {}", error_chain(e))
        }
    }

    /// A non-2xx answer, as Docker's client reports it.
    async fn check(&self, resp: reqwest::Response) -> Result<reqwest::Response> {
        let status = resp.status();
        if status.is_success() || status.is_redirection() {
            return Ok(resp);
        }
        let url = resp.url().to_string();
        let is_json = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let body = resp.bytes().await.unwrap_or_default();
        if body.is_empty() {
            bail!(
                "request returned {} for API route and version {url}, check if the server supports the requested API version",
                status.canonical_reason().unwrap_or("error")
            );
        }
        let message = if is_json {
            #[derive(serde::Deserialize)]
            struct ErrorResponse {
                #[serde(default)]
                message: String,
            }
            serde_json::from_slice::<ErrorResponse>(&body)
                .map(|e| e.message)
                .map_err(|e| anyhow!("Error reading JSON: {e}"))?
        } else {
            String::from_utf8_lossy(&body).into_owned()
        };
        bail!("Error response from daemon: {}", message.trim())
    }

    /// `GET /images/get?names=NAME`: the image as a `docker save` tar stream.
    pub async fn save(&self, name: &str) -> Result<reqwest::Response> {
        let resp = self
            .http
            .get(self.url(&format!("/images/get?names={}", query_escape(name))))
            .send()
            .await
            .map_err(|e| self.connection_error(&e))?;
        self.check(resp).await
    }

    /// `GET /images/NAME/json`: the diff IDs of the image's layers, in order.
    pub async fn layers(&self, name: &str) -> Result<Vec<Digest>> {
        #[derive(serde::Deserialize)]
        struct RootFs {
            #[serde(rename = "Layers", default)]
            layers: Vec<Digest>,
        }
        #[derive(serde::Deserialize)]
        struct Image {
            #[serde(rename = "RootFS")]
            root_fs: RootFs,
        }
        let resp = self
            .http
            .get(self.url(&format!("/images/{name}/json")))
            .send()
            .await
            .map_err(|e| self.connection_error(&e))?;
        let body = self.check(resp).await?.bytes().await?;
        let image: Image = serde_json::from_slice(&body)?;
        Ok(image.root_fs.layers)
    }

    /// `POST /images/load?quiet=1` with `body` (a tar stream); succeeds when the daemon
    /// reports no error.
    pub async fn load(&self, body: reqwest::Body) -> Result<()> {
        let resp = self
            .http
            .post(self.url("/images/load?quiet=1"))
            .header(reqwest::header::CONTENT_TYPE, "application/x-tar")
            .body(body)
            .send()
            .await
            .map_err(|e| self.connection_error(&e))
            .context("saving image to docker engine")?;
        let resp = self
            .check(resp)
            .await
            .context("saving image to docker engine")?;
        let body = resp
            .bytes()
            .await
            .map_err(|e| anyhow!("parsing docker load progress: {}", error_chain(&e)))?;
        #[derive(serde::Deserialize)]
        struct JsonError {
            #[serde(default)]
            message: String,
        }
        #[derive(serde::Deserialize)]
        struct JsonMessage {
            #[serde(rename = "errorDetail", default)]
            error: Option<JsonError>,
        }
        for msg in serde_json::Deserializer::from_slice(&body).into_iter::<JsonMessage>() {
            let msg = msg.map_err(|e| anyhow!("parsing docker load progress: {e}"))?;
            if let Some(e) = msg.error {
                bail!(
                    "docker engine reported: {}",
                    crate::gotext::go_quote(&e.message)
                );
            }
        }
        Ok(())
    }
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An error with its causes, `outer: inner`.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_comes_from_flag_then_environment() {
        let ctx = SystemContext {
            docker_daemon_host: Some("tcp://1.2.3.4:2376".into()),
            ..Default::default()
        };
        assert_eq!(daemon_host(&ctx), "tcp://1.2.3.4:2376");
    }

    #[test]
    fn hosts_without_a_scheme_are_refused() {
        let ctx = SystemContext {
            docker_daemon_host: Some("localhost:2375".into()),
            ..Default::default()
        };
        let err = Engine::new(&ctx).err().unwrap();
        assert_eq!(
            err.to_string(),
            "unable to parse docker host `localhost:2375`"
        );
    }

    #[test]
    fn names_are_query_escaped() {
        assert_eq!(query_escape("example.com/a:b"), "example.com%2Fa%3Ab");
    }

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("1.41"), Some((1, 41)));
        assert_eq!(parse_version("x"), None);
        assert_eq!((1, 47).min(MAX_API_VERSION), (1, 41));
        assert_eq!((1, 24).min(MAX_API_VERSION), (1, 24));
    }
}
