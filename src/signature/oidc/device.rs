//! `oidcMode: deviceGrant`: the device authorization grant (RFC 8628) as oauthflow runs it.
//! The device endpoint gets the client ID, scope `openid email` and the PKCE challenge; the
//! user is told the code and the page; the token endpoint is polled with the device code and
//! the PKCE verifier every `interval` seconds (ten more after `slow_down`) until it answers an
//! ID token or an error.
//!
//! Two bounds oauthflow leaves to the server are kept here: the wait ends when the code's
//! `expires_in` has passed (with the error the server would give, `expired_token`), and a
//! missing `interval` means RFC 8628's default of 5 s instead of polling without pause.

use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{Client, Pkce, Provider, post_form, say, status_error};

#[derive(Debug, Deserialize)]
struct DeviceAnswer {
    #[serde(default)]
    device_code: String,
    #[serde(default)]
    user_code: String,
    #[serde(default)]
    verification_uri: String,
    #[serde(default)]
    verification_uri_complete: String,
    #[serde(default)]
    interval: u64,
    #[serde(default)]
    expires_in: u64,
}

#[derive(Debug, Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    id_token: String,
    #[serde(default)]
    error: String,
}

/// RFC 8628 §3.2: the polling interval when the server names none.
const DEFAULT_INTERVAL: u64 = 5;
/// What oauthflow adds to the interval after `slow_down`.
const SLOW_DOWN: u64 = 10;

pub async fn run(
    http: &reqwest::Client,
    provider: &Provider,
    client: &Client<'_>,
    pkce: &Pkce,
) -> Result<String, String> {
    if provider.device_authorization_endpoint.is_empty() {
        return Err("oidc: device authorization endpoint not returned by provider".into());
    }
    let (status, body) = post_form(
        http,
        &provider.device_authorization_endpoint,
        &[
            ("client_id", client.id),
            ("scope", "openid email"),
            ("code_challenge_method", "S256"),
            ("code_challenge", &pkce.challenge),
        ],
        None,
    )
    .await?;
    if status != reqwest::StatusCode::OK {
        return Err(status_error(status, &body));
    }
    let device: DeviceAnswer = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    let page = match device.verification_uri_complete.as_str() {
        "" => &device.verification_uri,
        complete => complete,
    };
    say(&format!(
        "Enter the verification code {} in your browser at: {page}\nCode will be valid for {} seconds\n",
        device.user_code, device.expires_in
    ));
    let deadline =
        (device.expires_in > 0).then(|| Instant::now() + Duration::from_secs(device.expires_in));
    let interval = match device.interval {
        0 => DEFAULT_INTERVAL,
        n => n,
    };
    loop {
        // Scope goes as two values here, as oauthflow sends it.
        let (_, body) = post_form(
            http,
            &provider.token_endpoint,
            &[
                ("code_verifier", &pkce.verifier),
                ("device_code", &device.device_code),
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("scope", "openid"),
                ("scope", "email"),
            ],
            None,
        )
        .await?;
        let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        if !answer.id_token.is_empty() {
            say("Token received!\n");
            super::id_token::verify(http, provider, &answer.id_token, client.id).await?;
            return Ok(answer.id_token);
        }
        let wait = match answer.error.as_str() {
            "access_denied" | "expired_token" => {
                return Err(format!("error obtaining token: {}", answer.error));
            }
            "authorization_pending" => interval,
            "slow_down" => interval + SLOW_DOWN,
            other => return Err(format!("unexpected error in device flow: {other}")),
        };
        let next = Instant::now() + Duration::from_secs(wait);
        if deadline.is_some_and(|d| next > d) {
            return Err("error obtaining token: expired_token".into());
        }
        tokio::time::sleep_until(next.into()).await;
    }
}
