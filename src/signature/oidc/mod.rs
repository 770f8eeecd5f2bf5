//! OIDC ID tokens for `--sign-by-sigstore` with `oidcMode: deviceGrant` or `interactive`, as
//! c/image gets them through sigstore's `oauthflow`: the issuer's discovery document
//! (`ISSUER/.well-known/openid-configuration`, whose `issuer` must be the configured one), a
//! PKCE S256 challenge (the provider must list S256), then the mode's own exchange
//! ([`device`]: RFC 8628; [`interactive`]: a browser and a callback on localhost). The token
//! is checked as go-oidc checks it ([`id_token`]) before Fulcio sees it.
//!
//! What the user must read goes to stdout, where skopeo writes it (c/image is handed the
//! command's stdout).

pub mod device;
pub mod id_token;
pub mod interactive;

use std::io::Write as _;

use serde::Deserialize;

/// Which login flow to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    DeviceGrant,
    Interactive,
}

/// The OIDC client the parameter file names.
pub struct Client<'a> {
    /// The issuer exactly as written (go-oidc compares and extends the string itself).
    pub issuer: &'a str,
    pub id: &'a str,
    pub secret: &'a str,
}

/// The parts of the discovery document the flows use.
#[derive(Debug, Default, Deserialize)]
pub struct Provider {
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub authorization_endpoint: String,
    #[serde(default)]
    pub token_endpoint: String,
    #[serde(default)]
    pub device_authorization_endpoint: String,
    #[serde(default)]
    pub jwks_uri: String,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
}

/// A raw ID token for `client`, obtained with `mode` and verified. Blocks (on a thread of its
/// own, so an async caller's runtime is not re-entered). Errors are oauthflow's, without
/// c/image's `Error authenticating with OIDC: `.
pub fn obtain(mode: Mode, client: &Client) -> Result<String, String> {
    std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("starting the runtime: {e}"))?
                .block_on(async {
                    let http = crate::transport::docker::client::simple_http_client()
                        .map_err(|e| e.to_string())?;
                    let provider = discover(&http, client.issuer).await?;
                    let pkce = Pkce::new(&provider)?;
                    match mode {
                        Mode::DeviceGrant => device::run(&http, &provider, client, &pkce).await,
                        Mode::Interactive => {
                            interactive::run(&http, &provider, client, &pkce).await
                        }
                    }
                })
        })
        .join()
        .unwrap_or_else(|_| Err("the OIDC login failed".into()))
    })
}

/// go-oidc's `NewProvider`: the discovery document of `issuer`, which must name itself.
async fn discover(http: &reqwest::Client, issuer: &str) -> Result<Provider, String> {
    let well_known = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let url = url::Url::parse(&well_known).map_err(|e| format!("parsing {well_known:?}: {e}"))?;
    let (status, body) = get(http, &url).await?;
    if status != reqwest::StatusCode::OK {
        return Err(status_error(status, &body));
    }
    let provider: Provider = serde_json::from_slice(&body)
        .map_err(|e| format!("oidc: failed to decode provider discovery object: {e}"))?;
    if provider.issuer != issuer {
        return Err(format!(
            "oidc: issuer did not match the issuer returned by provider, expected {} got {}",
            crate::go::text::go_quote(issuer),
            crate::go::text::go_quote(&provider.issuer)
        ));
    }
    Ok(provider)
}

/// A GET's status and body; a failed request is reported as Go's `url.Error`.
async fn get(
    http: &reqwest::Client,
    url: &url::Url,
) -> Result<(reqwest::StatusCode, Vec<u8>), String> {
    send(http.get(url.clone()), "GET", url).await
}

/// Sends `req` (a `method` to `url`): its status and body, failures in Go's words.
async fn send(
    req: reqwest::RequestBuilder,
    method: &str,
    url: &url::Url,
) -> Result<(reqwest::StatusCode, Vec<u8>), String> {
    let res = req
        .send()
        .await
        .map_err(|e| crate::transport::docker::client::go_url_error(method, url, &e).to_string())?;
    let status = res.status();
    let body = res
        .bytes()
        .await
        .map_err(|e| format!("unable to read response body: {e}"))?;
    Ok((status, body.to_vec()))
}

/// A form POST (fields in Go's `url.Values` order: sorted by name); its status and body.
async fn post_form(
    http: &reqwest::Client,
    endpoint: &str,
    fields: &[(&str, &str)],
    basic_auth: Option<(&str, &str)>,
) -> Result<(reqwest::StatusCode, Vec<u8>), String> {
    let url = url::Url::parse(endpoint).map_err(|e| format!("parsing {endpoint:?}: {e}"))?;
    let mut fields = fields.to_vec();
    fields.sort_by_key(|(k, _)| *k);
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let mut req = http
        .post(url.clone())
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some((user, password)) = basic_auth {
        req = req.basic_auth(user, Some(password));
    }
    send(req, "POST", &url).await
}

/// oauthflow's `"<status>: <body>"` for an unexpected answer (kept on one line).
fn status_error(status: reqwest::StatusCode, body: &[u8]) -> String {
    format!("{status}: {}", String::from_utf8_lossy(body).trim_end())
}

/// Writes `text` where the user reads it, at once.
fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// A PKCE S256 pair (RFC 7636): the verifier stays here, the challenge goes out.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    /// oauthflow's `NewPKCE`: S256 only, and only when the provider lists it.
    fn new(provider: &Provider) -> Result<Pkce, String> {
        let mut s256 = false;
        for method in &provider.code_challenge_methods_supported {
            if method == "S256" {
                s256 = true;
                break;
            }
            if method != "plain" {
                say(&format!(
                    "Unsupported code challenge method in list: '{method}'"
                ));
            }
        }
        if !s256 {
            return Err(format!(
                "PKCE is not supported by OIDC provider '{}'",
                provider.authorization_endpoint
            ));
        }
        use base64::Engine;
        use sha2::Digest;
        // Two 27-character random strings, as oauthflow makes it (RFC 7636 wants 43..128).
        let verifier = format!("{}{}", random_id()?, random_id()?);
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()));
        Ok(Pkce {
            verifier,
            challenge,
        })
    }
}

/// 27 random base62 characters (the length of the KSUIDs oauthflow uses for state, nonce
/// and PKCE).
fn random_id() -> Result<String, String> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = String::with_capacity(27);
    while out.len() < 27 {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| format!("generating a random value: {e}"))?;
        // Bytes past the largest multiple of 62 would bias the choice; they are skipped.
        for b in bytes.into_iter().filter(|b| *b < 248) {
            if out.len() < 27 {
                out.push(ALPHABET[(b % 62) as usize] as char);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_needs_s256_and_hashes_the_verifier() {
        let mut p = Provider {
            authorization_endpoint: "http://h/auth".into(),
            code_challenge_methods_supported: vec!["plain".into()],
            ..Default::default()
        };
        assert_eq!(
            Pkce::new(&p).err().unwrap(),
            "PKCE is not supported by OIDC provider 'http://h/auth'"
        );
        p.code_challenge_methods_supported.push("S256".into());
        let pkce = Pkce::new(&p).unwrap();
        assert_eq!(pkce.verifier.len(), 54);
        assert!(pkce.verifier.bytes().all(|b| b.is_ascii_alphanumeric()));
        use base64::Engine;
        use sha2::Digest;
        assert_eq!(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&pkce.challenge)
                .unwrap(),
            sha2::Sha256::digest(pkce.verifier.as_bytes()).to_vec()
        );
        assert_ne!(random_id().unwrap(), random_id().unwrap());
    }
}
