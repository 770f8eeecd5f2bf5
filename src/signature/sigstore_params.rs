//! `--sign-by-sigstore PARAM-FILE` (containers-sigstore-signing-params.yaml(5)): a YAML file
//! naming how to sign. The private-key variant (`privateKeyFile`, `privateKeyPassphraseFile`
//! or a prompt) signs as `--sign-by-sigstore-private-key` does; the `fulcio:` variant with
//! `oidcMode: staticToken` signs with a new key certified by Fulcio (see [`super::fulcio`]),
//! the certificate and its chain kept in the signature as c/image keeps them; `deviceGrant`
//! and `interactive` get that token by an OIDC login first ([`super::oidc`]). With
//! `rekorURL` each signature is logged in Rekor and the entry's SET kept in the signature.
//! Everything that can fail (the key, Fulcio) is done before anything is copied.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::sigstore_key::PrivateKeySigner;

/// The file's fields (unknown ones are refused, as c/image's strict decoder refuses them).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamFile {
    #[serde(default, rename = "privateKeyFile")]
    private_key_file: String,
    #[serde(default, rename = "privateKeyPassphraseFile")]
    private_key_passphrase_file: String,
    #[serde(default)]
    fulcio: Option<Fulcio>,
    #[serde(default, rename = "rekorURL")]
    rekor_url: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fulcio {
    #[serde(default, rename = "fulcioURL")]
    fulcio_url: String,
    #[serde(default, rename = "oidcMode")]
    oidc_mode: String,
    #[serde(default, rename = "oidcIDToken")]
    oidc_id_token: String,
    #[serde(default, rename = "oidcIssuerURL")]
    oidc_issuer_url: String,
    #[serde(default, rename = "oidcClientID")]
    oidc_client_id: String,
    #[serde(default, rename = "oidcClientSecret")]
    oidc_client_secret: String,
}

/// The signer `path` describes; `prompt` asks for a key's passphrase when the file names
/// none. Errors are c/image's, without skopeo's `Error using --sign-by-sigstore: ` prefix.
pub fn signer_from_file(
    path: &Path,
    prompt: impl Fn(&Path) -> anyhow::Result<String>,
) -> Result<ParamFileSigner, String> {
    let shown = crate::gotext::go_quote_path(path);
    let setup = |e: String| format!("setting up signing using parameter file {shown}: {e}");
    let text = std::fs::read(path).map_err(|e| {
        // Go opens a directory, then fails to read it.
        let op = match e.kind() {
            std::io::ErrorKind::IsADirectory => "read",
            _ => "open",
        };
        setup(format!(
            "reading {shown}: {}",
            crate::gotext::go_path_error(op, path, &e)
        ))
    })?;
    let params: ParamFile = if text.iter().all(u8::is_ascii_whitespace) {
        ParamFile::default()
    } else {
        serde_norway::from_slice(&text).map_err(|e| setup(format!("parsing {shown}: {e}")))?
    };
    let mut key_file = None;
    if !params.private_key_file.is_empty() {
        let key = Path::new(&params.private_key_file);
        let passphrase = if params.private_key_passphrase_file.is_empty() {
            prompt(key)
        } else {
            super::sign::read_passphrase_file(Path::new(&params.private_key_passphrase_file))
        }
        .map_err(|e| format!("{e:#}"))?;
        key_file = Some((key, passphrase));
    }
    let fulcio = params.fulcio.as_ref().map(fulcio_token).transpose()?;
    let rekor = match params.rekor_url.as_str() {
        "" => None,
        u => Some(url::Url::parse(u).map_err(|e| format!("parsing rekorURL {u:?}: {e}"))?),
    };
    // The sources are opened in c/image's order: the key file, then Fulcio.
    let mut key = match key_file {
        Some((path, passphrase)) => {
            let k = PrivateKeySigner::open_key(path, passphrase.as_bytes())?;
            let pem = k.public_key_pem();
            Some((k, pem, None))
        }
        None => None,
    };
    if let (Some((url, token)), Some(f)) = (fulcio, &params.fulcio) {
        if key.is_some() {
            return Err("multiple private key sources specified when preparing to create sigstore signatures".to_string());
        }
        let (token, subject) = match token {
            Token::Static(token) => {
                let subject = super::fulcio::token_subject(&token)
                    .map_err(|e| format!("parsing OIDC token: {e}"))?;
                (token, subject)
            }
            Token::Login(mode) => {
                login(mode, f).map_err(|e| format!("Error authenticating with OIDC: {e}"))?
            }
        };
        let issued = super::fulcio::obtain(&url, &token, &subject)
            .map_err(|e| format!("obtaining certificate from Fulcio: {e}"))?;
        let pem = issued.certificate.clone();
        key = Some((
            PrivateKeySigner::from_key(issued.key),
            pem,
            Some((issued.certificate, issued.chain)),
        ));
    }
    let (key, key_or_cert_pem, certificate) = key.ok_or_else(|| {
        "no private key source provided (neither a private key nor Fulcio) when preparing to create sigstore signatures".to_string()
    })?;
    Ok(ParamFileSigner {
        key,
        key_or_cert_pem,
        certificate,
        rekor,
    })
}

/// The Fulcio URL and where the OIDC token comes from, for a `fulcio:` section (c/image's
/// checks, in its order).
fn fulcio_token(f: &Fulcio) -> Result<(url::Url, Token), String> {
    if f.fulcio_url.is_empty() {
        return Err("missing fulcioURL".to_string());
    }
    let url = url::Url::parse(&f.fulcio_url)
        .map_err(|e| format!("parsing fulcioURL {:?}: {e}", f.fulcio_url))?;
    if f.oidc_mode == "staticToken" {
        if f.oidc_id_token.is_empty() {
            return Err("missing oidcToken".to_string());
        }
        return Ok((url, Token::Static(f.oidc_id_token.clone())));
    }
    if f.oidc_issuer_url.is_empty() {
        return Err("missing oidcIssuerURL".to_string());
    }
    url::Url::parse(&f.oidc_issuer_url)
        .map_err(|e| format!("parsing oidcIssuerURL {:?}: {e}", f.oidc_issuer_url))?;
    let mode = match f.oidc_mode.as_str() {
        "deviceGrant" => super::oidc::Mode::DeviceGrant,
        "interactive" => super::oidc::Mode::Interactive,
        "" => return Err("missing oidcMode".to_string()),
        m => {
            return Err(format!(
                "unknown oidcMode value {}",
                crate::gotext::go_quote(m)
            ));
        }
    };
    Ok((url, Token::Login(mode)))
}

/// An ID token from the section's issuer by `mode`, and the subject Fulcio will certify.
fn login(mode: super::oidc::Mode, f: &Fulcio) -> Result<(String, String), String> {
    let client = super::oidc::Client {
        issuer: &f.oidc_issuer_url,
        id: &f.oidc_client_id,
        secret: &f.oidc_client_secret,
    };
    let token = super::oidc::obtain(mode, &client)?;
    let subject = super::fulcio::token_subject(&token)?;
    Ok((token, subject))
}

/// Where a `fulcio:` section's ID token comes from.
enum Token {
    /// `staticToken`: the token in the file.
    Static(String),
    /// A login with the file's issuer and client.
    Login(super::oidc::Mode),
}

/// A parameter file's signer: a private key (from a file, or certified by Fulcio), and maybe
/// a Rekor log to record signatures in.
pub struct ParamFileSigner {
    key: PrivateKeySigner,
    /// What Rekor logs for the signer: the public key, or the Fulcio certificate, as PEM.
    key_or_cert_pem: String,
    /// Fulcio's leaf certificate and chain, PEM, kept in each signature.
    certificate: Option<(String, String)>,
    rekor: Option<url::Url>,
}

impl super::sign::Signer for ParamFileSigner {
    fn method(&self) -> super::sign::SigningMethod {
        super::sign::SigningMethod::Sigstore
    }

    fn makes_sigstore_signatures(&self) -> bool {
        true
    }

    /// Runs off the async workers (the engine's `spawn_blocking`): the Rekor upload blocks
    /// on the runtime it came from.
    fn sign(
        &self,
        manifest: &[u8],
        identity: &crate::reference::DockerReference,
    ) -> anyhow::Result<super::Signature> {
        let mut sig = self.key.sign(manifest, identity)?;
        let super::Signature::Sigstore(s) = &mut sig else {
            return Ok(sig);
        };
        let annotations = s.annotations.get_or_insert_default();
        if let Some((certificate, chain)) = &self.certificate {
            annotations.insert(CERTIFICATE_ANNOTATION.to_string(), certificate.clone());
            annotations.insert(CHAIN_ANNOTATION.to_string(), chain.clone());
        }
        let Some(rekor) = &self.rekor else {
            return Ok(sig);
        };
        let b64 = annotations
            .get(super::sigstore::SIGNATURE_ANNOTATION)
            .cloned()
            .unwrap_or_default();
        let set = tokio::runtime::Handle::current().block_on(upload(
            rekor,
            self.key_or_cert_pem.as_bytes(),
            &b64,
            &s.payload,
        ))?;
        annotations.insert(SET_ANNOTATION.to_string(), set);
        Ok(sig)
    }
}

const SET_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";

#[derive(Serialize)]
struct Proposed<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    kind: &'a str,
    spec: serde_json::Value,
}

/// Rekor's answer: one entry, by UUID.
#[derive(Deserialize)]
struct Entry {
    body: Option<serde_json::Value>,
    #[serde(rename = "integratedTime")]
    integrated_time: Option<i64>,
    #[serde(rename = "logID")]
    log_id: Option<String>,
    #[serde(rename = "logIndex")]
    log_index: Option<i64>,
    verification: Option<Verification>,
}

#[derive(Deserialize)]
struct Verification {
    #[serde(rename = "signedEntryTimestamp")]
    signed_entry_timestamp: Option<String>,
}

/// Logs a `hashedrekord` entry for the signature in Rekor; the SET annotation's text
/// (`{"Payload":…,"SignedEntryTimestamp":…}`, keys sorted as Go writes a map).
async fn upload(
    rekor: &url::Url,
    key_or_cert_pem: &[u8],
    b64_signature: &str,
    payload: &[u8],
) -> anyhow::Result<String> {
    use base64::Engine;
    use serde_json::json;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let entry = Proposed {
        api_version: "0.0.1",
        kind: "hashedrekord",
        spec: json!({
            "data": {"hash": {"algorithm": "sha256", "value": crate::digest::Digest::sha256_of(payload).hex()}},
            "signature": {"content": b64_signature, "publicKey": {"content": b64(key_or_cert_pem)}},
        }),
    };
    let url = rekor
        .join("/api/v1/log/entries")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let res = crate::transport::docker::client::simple_http_client()?
        .post(url)
        .header("Content-Type", "application/json")
        .body(serde_json::to_vec(&entry)?)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("Error uploading a log entry: {e}"))?;
    let status = res.status().as_u16();
    let body = res
        .bytes()
        .await
        .map_err(|e| anyhow::anyhow!("Error uploading a log entry: {e}"))?;
    if status != 201 {
        anyhow::bail!(
            "Error uploading a log entry: Rekor /api/v1/log/entries failed with unexpected status {status}: {}",
            String::from_utf8_lossy(&body).trim()
        );
    }
    let entries: std::collections::BTreeMap<String, Entry> = serde_json::from_slice(&body)
        .map_err(|e| anyhow::anyhow!("Error uploading a log entry: {e}"))?;
    if entries.len() != 1 {
        anyhow::bail!("expected 1 Rekor entry, got {}", entries.len());
    }
    let Some(e) = entries.into_values().next() else {
        anyhow::bail!("expected 1 Rekor entry, got 0");
    };
    let (Some(time), Some(index), Some(log_id), Some(set)) = (
        e.integrated_time,
        e.log_index,
        e.log_id,
        e.verification.and_then(|v| v.signed_entry_timestamp),
    ) else {
        anyhow::bail!("invalid Rekor entry (missing data)");
    };
    let Some(serde_json::Value::String(body)) = e.body else {
        anyhow::bail!("unexpected Rekor entry body type");
    };
    base64::engine::general_purpose::STANDARD
        .decode(&body)
        .map_err(|e| anyhow::anyhow!("error parsing Rekor entry body: {e}"))?;
    Ok(crate::gojson::to_string_compact(&json!({
        "Payload": {"body": body, "integratedTime": time, "logID": log_id, "logIndex": index},
        "SignedEntryTimestamp": set,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error for a parameter file of `text` (none of these reach more than a closed
    /// loopback port).
    fn refusal(text: &str) -> String {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("params.yaml");
        std::fs::write(&f, text).unwrap();
        match signer_from_file(&f, |_| Ok("pw".into())) {
            Ok(_) => panic!("{text} was accepted"),
            Err(e) => e,
        }
    }

    #[test]
    fn fulcio_sections_are_checked_in_c_image_order() {
        let fulcio = "fulcio:\n  fulcioURL: http://127.0.0.1:1\n";
        assert_eq!(refusal("fulcio: {}\n"), "missing fulcioURL");
        assert_eq!(
            refusal(&format!("{fulcio}  oidcMode: staticToken\n")),
            "missing oidcToken"
        );
        assert_eq!(refusal(fulcio), "missing oidcIssuerURL");
        assert_eq!(
            refusal(&format!("{fulcio}  oidcIssuerURL: http://127.0.0.1:1\n")),
            "missing oidcMode"
        );
        assert_eq!(
            refusal(&format!(
                "{fulcio}  oidcIssuerURL: http://127.0.0.1:1\n  oidcMode: magic\n"
            )),
            r#"unknown oidcMode value "magic""#
        );
        // A login starts with the issuer's discovery document (nothing listens at port 1).
        for mode in ["deviceGrant", "interactive"] {
            assert_eq!(
                refusal(&format!(
                    "{fulcio}  oidcIssuerURL: http://127.0.0.1:1\n  oidcMode: {mode}\n"
                )),
                r#"Error authenticating with OIDC: Get "http://127.0.0.1:1/.well-known/openid-configuration": dial tcp 127.0.0.1:1: connect: connection refused"#
            );
        }
        assert_eq!(
            refusal(&format!(
                "{fulcio}  oidcMode: staticToken\n  oidcIDToken: a.b\n"
            )),
            "parsing OIDC token: go-jose/go-jose: compact JWS format must have three parts"
        );
        // A key file and Fulcio: the key opens first, then both are refused together.
        let t = tempfile::tempdir().unwrap();
        let (private, _) = super::super::sigstore_key::generate(b"pw").unwrap();
        let key = t.path().join("k.private");
        std::fs::write(&key, private).unwrap();
        assert_eq!(
            refusal(&format!(
                "privateKeyFile: {}\n{fulcio}  oidcMode: staticToken\n  oidcIDToken: x\n",
                key.display()
            )),
            "multiple private key sources specified when preparing to create sigstore signatures"
        );
    }
}
