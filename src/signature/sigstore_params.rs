//! `--sign-by-sigstore PARAM-FILE` (containers-sigstore-signing-params.yaml(5)): a YAML file
//! naming how to sign. The private-key variant (`privateKeyFile`, `privateKeyPassphraseFile`
//! or a prompt) signs as `--sign-by-sigstore-private-key` does. Fulcio certificates and Rekor
//! uploads need servers this build does not talk to: refused in one line, before anything is
//! copied.

use std::path::Path;

use serde::Deserialize;

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
#[allow(dead_code)] // read to check the file; signing with Fulcio is refused
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
) -> Result<PrivateKeySigner, String> {
    let shown = crate::gotext::go_quote_path(path);
    let setup = |e: String| format!("setting up signing using parameter file {shown}: {e}");
    let text = std::fs::read(path).map_err(|e| {
        setup(format!(
            "reading {shown}: {}",
            crate::gotext::go_path_error("open", path, &e)
        ))
    })?;
    let params: ParamFile = if text.iter().all(u8::is_ascii_whitespace) {
        ParamFile::default()
    } else {
        serde_norway::from_slice(&text).map_err(|e| setup(format!("parsing {shown}: {e}")))?
    };
    let mut signer = None;
    if !params.private_key_file.is_empty() {
        let key = Path::new(&params.private_key_file);
        let passphrase = if params.private_key_passphrase_file.is_empty() {
            prompt(key)
        } else {
            super::sign::read_passphrase_file(Path::new(&params.private_key_passphrase_file))
        }
        .map_err(|e| format!("{e:#}"))?;
        signer = Some(PrivateKeySigner::open_key(key, passphrase.as_bytes())?);
    }
    if let Some(f) = &params.fulcio {
        if f.fulcio_url.is_empty() {
            return Err("missing fulcioURL".to_string());
        }
        return Err("signing with a Fulcio certificate (fulcio: in a --sign-by-sigstore parameter file) is not supported in this build".to_string());
    }
    if !params.rekor_url.is_empty() {
        return Err("uploading signatures to Rekor (rekorURL: in a --sign-by-sigstore parameter file) is not supported in this build".to_string());
    }
    signer.ok_or_else(|| {
        "no private key source provided (neither a private key nor Fulcio) when preparing to create sigstore signatures".to_string()
    })
}
