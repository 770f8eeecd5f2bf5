//! The keys of `copy --encryption-key PROTOCOL:FILE` and `--decryption-key FILE[:PASSPHRASE]`,
//! read as ocicrypt's command-line helpers read them, with skopeo's messages: `jwe` (RSA and
//! P-256 keys), `pkcs7` (RSA certificates) and `pgp` (GnuPG recipients, secret key rings); the
//! other protocols are refused with one clear line.

use std::path::Path;

use super::{jwe, pgp, pkcs7, protected_pem};
use crate::go::text::go_path_error;
use anyhow::{Result, anyhow, bail};

/// Whom the layers are encrypted for.
#[derive(Clone, Debug, Default)]
pub struct EncryptConfig {
    pub jwe_recipients: Vec<jwe::PublicKey>,
    pub pkcs7_recipients: Vec<pkcs7::Certificate>,
    pub pgp_recipients: Vec<::pgp::composed::SignedPublicKey>,
}

/// The private keys a copy may decrypt layers with.
#[derive(Clone, Debug, Default)]
pub struct DecryptConfig {
    pub jwe_keys: Vec<jwe::PrivateKey>,
    /// Certificates given beside the private keys: `pkcs7` finds its recipient entry by them.
    pub x509s: Vec<pkcs7::Certificate>,
    /// OpenPGP key rings (`gpg --export-secret-keys`), each with its passphrase.
    pub pgp_keyrings: Vec<pgp::SecretKeyring>,
}

impl DecryptConfig {
    /// The RSA keys among the private keys (what `pkcs7` opens with).
    pub fn rsa_keys(&self) -> Vec<rsa::RsaPrivateKey> {
        self.jwe_keys
            .iter()
            .filter_map(|k| match k {
                jwe::PrivateKey::Rsa(k) => Some((**k).clone()),
                _ => None,
            })
            .collect()
    }
}

fn read_key_file(path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        anyhow!(
            "Unable to read file: {}",
            go_path_error("open", Path::new(path), &e)
        )
    })
}

/// `--encryption-key` values (`jwe:PUBLIC-KEY`, …), as skopeo reads them.
pub fn encryption_config(recipients: &[String]) -> Result<EncryptConfig> {
    let mut pgp_names = Vec::new();
    let mut parse = || -> Result<EncryptConfig> {
        let mut config = EncryptConfig::default();
        for recipient in recipients {
            let Some((protocol, value)) = recipient.split_once(':') else {
                bail!("Invalid recipient format");
            };
            match protocol {
                "jwe" => {
                    let data = read_key_file(value)?;
                    let key = match jwe::parse_any_public_key(&data) {
                        Ok(k) => k,
                        Err(_) if jwe::looks_like_public_key(&data) => {
                            return Err(crate::error::not_implemented(format!(
                                "jwe encryption to the key in {value} (only RSA and P-256 public keys are supported)"
                            )));
                        }
                        Err(_) => bail!("File provided is not a public key"),
                    };
                    config.jwe_recipients.push(key);
                }
                "pkcs7" => {
                    let data = read_key_file(value)?;
                    if !pkcs7::is_certificate(&data) {
                        bail!("File provided is not an x509 cert");
                    }
                    config
                        .pkcs7_recipients
                        .push(pkcs7::Certificate::parse(&data)?);
                }
                "pgp" => pgp_names.push(value.to_string()),
                "pkcs11" | "provider" => {
                    return Err(crate::error::not_implemented(format!(
                        "encryption with {protocol} recipients (only jwe:, pkcs7: and pgp: are supported)"
                    )));
                }
                _ => bail!("Provided protocol not recognized"),
            }
        }
        Ok(config)
    };
    let mut config = parse().map_err(|e| anyhow!("Invalid encryption keys: {e:#}"))?;
    if !pgp_names.is_empty() {
        // ocicrypt finds `pgp:` recipients in the user's GnuPG key ring; its failures surface
        // when the first layer's key is wrapped, hence its words.
        let keyring = pgp::export_public_keyring()
            .map_err(|e| anyhow!("Unable to finalize encryption: {e:#}"))?;
        config.pgp_recipients = pgp::select_recipients(&keyring, &pgp_names).map_err(|e| {
            anyhow!("Unable to finalize encryption: unable to create entity list: {e:#}")
        })?;
        pgp::check_recipients(&config.pgp_recipients)
            .map_err(|e| anyhow!("Unable to finalize encryption: {e:#}"))?;
    }
    Ok(config)
}

/// A passphrase as ocicrypt reads it after `FILE:`: `file=PATH`, `pass=TEXT`, `fd=N`, or
/// the text itself.
fn passphrase(spec: &str) -> Result<Vec<u8>> {
    if let Some(path) = spec.strip_prefix("file=") {
        return std::fs::read(path)
            .map_err(|e| anyhow!("{}", go_path_error("open", Path::new(path), &e)));
    }
    if let Some(text) = spec.strip_prefix("pass=") {
        return Ok(text.as_bytes().to_vec());
    }
    if let Some(fd) = spec.strip_prefix("fd=") {
        let n: u32 = fd
            .parse()
            .map_err(|_| anyhow!("could not parse file descriptor {fd}"))?;
        // At most 64 bytes, as ocicrypt reads.
        let mut bytes = std::fs::read(format!("/proc/self/fd/{n}"))
            .map_err(|_| anyhow!("{fd} is not a valid file descriptor"))?;
        bytes.truncate(64);
        return Ok(bytes);
    }
    Ok(spec.as_bytes().to_vec())
}

/// `--decryption-key` values (`FILE[:PASSPHRASE]`): RSA private keys are kept; files that
/// hold no private key are ignored, as ocicrypt ignores them (a layer then finds no key).
pub fn decryption_config(keys: &[String]) -> Result<DecryptConfig> {
    let parse = || -> Result<DecryptConfig> {
        let mut config = DecryptConfig::default();
        for key in keys {
            if key.starts_with("provider:") {
                return Err(crate::error::not_implemented(
                    "decryption with a key provider",
                ));
            }
            let parts: Vec<&str> = key.split(':').collect();
            let file = parts[0];
            // A passphrase only in the FILE:PASSPHRASE form (more colons: none, as ocicrypt).
            let passphrase = match parts.as_slice() {
                [_, spec] => Some(passphrase(spec)?),
                _ => None,
            };
            let data = read_key_file(file)?;
            // Certificates name the recipient a `pkcs7` private key opens.
            if pkcs7::is_certificate(&data) {
                config.x509s.push(pkcs7::Certificate::parse(&data)?);
                continue;
            }
            match jwe::parse_any_private_key(&data) {
                Ok(k) => config.jwe_keys.push(k),
                Err(_) if jwe::is_encrypted_private_key(&data) => {
                    let Some(passphrase) = passphrase.as_deref() else {
                        bail!("Missing password for encrypted private key");
                    };
                    let plain = protected_pem::decrypt(&data, passphrase)?;
                    let key = jwe::parse_any_private_key(&plain).map_err(|_| {
                        crate::error::not_implemented(format!(
                            "decryption with the private key in {file} (only RSA and P-256 keys are supported)"
                        ))
                    })?;
                    config.jwe_keys.push(key);
                }
                Err(_) if jwe::looks_like_private_key(&data) => {
                    return Err(crate::error::not_implemented(format!(
                        "decryption with the private key in {file} (only RSA and P-256 keys are supported)"
                    )));
                }
                Err(_) => {
                    let password = passphrase.as_deref().unwrap_or_default();
                    if let Some(ring) = pgp::SecretKeyring::parse(&data, password) {
                        config.pgp_keyrings.push(ring);
                    }
                    // Other files are skipped, as ocicrypt skips what it does not recognise.
                }
            }
        }
        Ok(config)
    };
    parse().map_err(|e| anyhow!("Invalid decryption keys: {e:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_checked_with_skopeos_words() {
        let err = |v: &str| encryption_config(&[v.to_string()]).unwrap_err().to_string();
        assert_eq!(
            err("nocolon"),
            "Invalid encryption keys: Invalid recipient format"
        );
        assert_eq!(
            err("foo:bar"),
            "Invalid encryption keys: Provided protocol not recognized"
        );
        assert_eq!(
            err("jwe:/nonexistent/k.pem"),
            "Invalid encryption keys: Unable to read file: open /nonexistent/k.pem: no such file or directory"
        );
        let t = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(t.path(), "garbage").unwrap();
        assert_eq!(
            err(&format!("jwe:{}", t.path().display())),
            "Invalid encryption keys: File provided is not a public key"
        );
    }

    #[test]
    fn unrecognised_decryption_files_are_skipped() {
        let t = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(t.path(), "garbage").unwrap();
        let c = decryption_config(&[t.path().display().to_string()]).unwrap();
        assert!(c.jwe_keys.is_empty());
        assert_eq!(
            decryption_config(&["/nonexistent/k.pem".into()])
                .unwrap_err()
                .to_string(),
            "Invalid decryption keys: Unable to read file: open /nonexistent/k.pem: no such file or directory"
        );
    }

    #[test]
    fn passphrases_are_read_in_ocicrypts_forms() {
        let t = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(t.path(), "from a file").unwrap();
        assert_eq!(passphrase("plain").unwrap(), b"plain");
        assert_eq!(passphrase("pass=a:b=c").unwrap(), b"a:b=c");
        let file = format!("file={}", t.path().display());
        assert_eq!(passphrase(&file).unwrap(), b"from a file");
        assert_eq!(
            passphrase("fd=x").unwrap_err().to_string(),
            "could not parse file descriptor x"
        );
    }
}
