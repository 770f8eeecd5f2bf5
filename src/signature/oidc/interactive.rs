//! `oidcMode: interactive`: the authorization code flow with a browser, as oauthflow runs
//! it. A callback listener on `http://localhost:PORT/auth/callback` (an ephemeral port);
//! the authorization URL (client ID, that redirect URI, `response_type=code`, scope
//! `openid email`, a random state and nonce, the PKCE challenge, `access_type=online`) is
//! handed to `xdg-open`, whose exit is awaited as Go's `open.Run` awaits it. The callback's
//! `state` must be ours. The code is exchanged at the token endpoint (client credentials in
//! Basic auth, then in the form if that fails, as golang.org/x/oauth2 probes), and the ID
//! token's nonce must be ours.
//!
//! The wait is bounded as oauthflow bounds it: 120 s for the callback. When the browser
//! cannot be opened, the wait ends, or the callback is wrong, the user is asked to open the
//! URL themselves and type the code (one line of stdin; none at end of input).

use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};

use super::{Client, Pkce, Provider, post_form, random_id, say};

/// How long oauthflow waits for the browser to come back.
const CALLBACK_WAIT: Duration = Duration::from_secs(120);
const CALLBACK_PATH: &str = "/auth/callback";

/// What the browser shows once the code has arrived.
const DONE_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>skiff: signed in</title></head>\n<body><p>The sign-in for skiff's sigstore signature is complete. This page can be closed.</p></body></html>\n";

pub async fn run(
    http: &reqwest::Client,
    provider: &Provider,
    client: &Client<'_>,
    pkce: &Pkce,
) -> Result<String, String> {
    let state = random_id()?;
    let nonce = random_id()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("starting redirect listener: {e}"))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("starting redirect listener: {e}"))?
        .port();
    let redirect = format!("http://localhost:{port}{CALLBACK_PATH}");
    let (codes, mut code_rx) = tokio::sync::mpsc::unbounded_channel();
    let server = tokio::spawn(serve_callback(listener, state.clone(), codes));
    let auth_url = authorization_url(provider, client, &redirect, &state, &nonce, pkce)?;
    let code = match open_browser(&auth_url).await {
        Err(e) => {
            say(&format!("error opening browser: {e}\n"));
            ask_for_code(&auth_url).await
        }
        Ok(()) => {
            say(&format!(
                "Your browser will now be opened to:\n{auth_url}\n"
            ));
            let got = match tokio::time::timeout(CALLBACK_WAIT, code_rx.recv()).await {
                Ok(Some(got)) => got,
                Ok(None) => Err("the redirect listener stopped".to_string()),
                Err(_) => Err("timeout".to_string()),
            };
            match got {
                Ok(code) => code,
                Err(e) => {
                    say(&format!("error getting code from local server: {e}\n"));
                    ask_for_code(&auth_url).await
                }
            }
        }
    };
    let fields = [
        ("code", code.as_str()),
        ("code_verifier", pkce.verifier.as_str()),
        ("grant_type", "authorization_code"),
        ("nonce", nonce.as_str()),
        ("redirect_uri", redirect.as_str()),
    ];
    let token = exchange(http, provider, client, &fields).await?;
    // Stopped only now, so the browser has had its page (the runtime's end stops it on errors).
    server.abort();
    let Some(id_token) = token.id_token else {
        return Err("id_token not present".into());
    };
    let claims = super::id_token::verify(http, provider, &id_token, client.id).await?;
    if claims.nonce != nonce {
        return Err("nonce does not match value sent".into());
    }
    super::id_token::check_access_token_hash(&claims, &token.access_token)?;
    Ok(id_token)
}

/// golang.org/x/oauth2's `AuthCodeURL` (parameters sorted by name, as `url.Values` encodes).
fn authorization_url(
    provider: &Provider,
    client: &Client,
    redirect: &str,
    state: &str,
    nonce: &str,
    pkce: &Pkce,
) -> Result<String, String> {
    let mut params = [
        ("access_type", "online"),
        ("client_id", client.id),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("nonce", nonce),
        ("redirect_uri", redirect),
        ("response_type", "code"),
        ("scope", "openid email"),
        ("state", state),
    ];
    params.sort_by_key(|(k, _)| *k);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let endpoint = &provider.authorization_endpoint;
    let separator = if endpoint.contains('?') { '&' } else { '?' };
    Ok(format!("{endpoint}{separator}{query}"))
}

/// `xdg-open URL`, waited for; Go's `exec` errors.
async fn open_browser(url: &str) -> Result<(), String> {
    let status = tokio::process::Command::new("xdg-open")
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                "exec: \"xdg-open\": executable file not found in $PATH".to_string()
            }
            _ => format!("fork/exec xdg-open: {e}"),
        })?;
    if status.success() {
        return Ok(());
    }
    use std::os::unix::process::ExitStatusExt as _;
    Err(match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("signal: {signal}"),
        _ => status.to_string(),
    })
}

/// oauthflow's fallback: the user opens the URL and types the code.
async fn ask_for_code(auth_url: &str) -> String {
    say(&format!(
        "Go to the following link in a browser:\n\n\t {auth_url}\nEnter verification code: "
    ));
    let mut line = String::new();
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin());
    let _ = stdin.read_line(&mut line).await;
    line.split_whitespace().next().unwrap_or("").to_string()
}

/// Serves the redirect listener: each request to the callback path sends its code (or why
/// it has none) on `codes`.
async fn serve_callback(
    listener: tokio::net::TcpListener,
    state: String,
    codes: tokio::sync::mpsc::UnboundedSender<Result<String, String>>,
) {
    while let Ok((conn, _)) = listener.accept().await {
        let mut conn = tokio::io::BufReader::new(conn);
        let mut request_line = String::new();
        if conn.read_line(&mut request_line).await.is_err() {
            continue;
        }
        // The headers are not needed; they are read so the answer follows the request.
        loop {
            let mut header = String::new();
            match conn.read_line(&mut header).await {
                Ok(n) if n > 0 && !header.trim().is_empty() => {}
                _ => break,
            }
        }
        let target = request_line.split(' ').nth(1).unwrap_or("");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let (status, body) = if path != CALLBACK_PATH {
            ("404 Not Found", "404 page not found\n")
        } else {
            let field = |name: &str| {
                url::form_urlencoded::parse(query.as_bytes())
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            if field("state") != state {
                let _ = codes.send(Err("invalid state token".into()));
                ("200 OK", "")
            } else {
                let _ = codes.send(Ok(field("code")));
                ("200 OK", DONE_PAGE)
            }
        };
        let answer = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = conn.get_mut().write_all(answer.as_bytes()).await;
        let _ = conn.get_mut().shutdown().await;
    }
}

/// A token endpoint's answer.
#[derive(Debug, Default, Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
    #[serde(default)]
    error_uri: String,
}

/// golang.org/x/oauth2's code exchange: the client in Basic auth, and when the server refuses
/// that, in the form.
async fn exchange(
    http: &reqwest::Client,
    provider: &Provider,
    client: &Client<'_>,
    fields: &[(&str, &str)],
) -> Result<TokenAnswer, String> {
    // oauth2 escapes both halves of the Basic credentials.
    let escape = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let (id, secret) = (escape(client.id), escape(client.secret));
    let first = token_round_trip(
        post_form(http, &provider.token_endpoint, fields, Some((&id, &secret))).await?,
    );
    if first.is_ok() {
        return first;
    }
    let mut in_form = fields.to_vec();
    in_form.push(("client_id", client.id));
    if !client.secret.is_empty() {
        in_form.push(("client_secret", client.secret));
    }
    token_round_trip(post_form(http, &provider.token_endpoint, &in_form, None).await?)
}

/// oauth2's reading of a token answer, with its error texts (kept on one line).
fn token_round_trip((status, body): (reqwest::StatusCode, Vec<u8>)) -> Result<TokenAnswer, String> {
    let answer: Option<TokenAnswer> = serde_json::from_slice(&body).ok();
    if !status.is_success() {
        return Err(match answer.filter(|a| !a.error.is_empty()) {
            Some(a) => {
                let mut s = format!("oauth2: {}", crate::go::text::go_quote(&a.error));
                for extra in [&a.error_description, &a.error_uri] {
                    if !extra.is_empty() {
                        s.push_str(&format!(" {}", crate::go::text::go_quote(extra)));
                    }
                }
                s
            }
            None => format!(
                "oauth2: cannot fetch token: {status} Response: {}",
                String::from_utf8_lossy(&body).trim_end()
            ),
        });
    }
    let answer = answer.ok_or_else(|| "oauth2: cannot parse json".to_string())?;
    if answer.access_token.is_empty() {
        return Err("oauth2: server response missing access_token".into());
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_urls_and_token_errors() {
        let provider = Provider {
            authorization_endpoint: "http://h/auth".into(),
            ..Default::default()
        };
        let client = Client {
            issuer: "http://h",
            id: "sigstore",
            secret: "",
        };
        let pkce = Pkce {
            verifier: "v".into(),
            challenge: "c-_".into(),
        };
        assert_eq!(
            authorization_url(
                &provider,
                &client,
                "http://localhost:1/auth/callback",
                "S",
                "N",
                &pkce
            )
            .unwrap(),
            "http://h/auth?access_type=online&client_id=sigstore&code_challenge=c-_&code_challenge_method=S256&nonce=N&redirect_uri=http%3A%2F%2Flocalhost%3A1%2Fauth%2Fcallback&response_type=code&scope=openid+email&state=S"
        );
        let refused = token_round_trip((
            reqwest::StatusCode::BAD_REQUEST,
            br#"{"error":"invalid_grant","error_description":"bad code"}"#.to_vec(),
        ));
        assert_eq!(
            refused.unwrap_err(),
            r#"oauth2: "invalid_grant" "bad code""#
        );
        let no_access =
            token_round_trip((reqwest::StatusCode::OK, br#"{"id_token":"x"}"#.to_vec()));
        assert_eq!(
            no_access.unwrap_err(),
            "oauth2: server response missing access_token"
        );
    }
}
