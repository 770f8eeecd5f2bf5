//! Passphrase-protected PEM private keys, opened as ocicrypt opens them for
//! `--decryption-key FILE:PASSPHRASE`: PKCS#8 `ENCRYPTED PRIVATE KEY` (PBES2) and OpenSSL's
//! legacy `Proc-Type: 4,ENCRYPTED` blocks (MD5 key derivation, AES-CBC). The result is the
//! same key, unprotected, as PEM, so the usual key readers take it from there.

use aes::cipher::{BlockDecrypt, KeyInit, generic_array::GenericArray};
use anyhow::{Result, anyhow, bail};
use base64::Engine;
use md5::{Digest, Md5};
use pkcs8::der::pem::LineEnding;

/// `data` (a protected PEM private key) opened with `passphrase`, as unprotected PEM.
pub fn decrypt(data: &[u8], passphrase: &[u8]) -> Result<Vec<u8>> {
    let text = std::str::from_utf8(data).map_err(|_| anyhow!("private key is not PEM"))?;
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        return decrypt_pkcs8(text, passphrase);
    }
    decrypt_legacy(text, passphrase)
}

fn decrypt_pkcs8(text: &str, passphrase: &[u8]) -> Result<Vec<u8>> {
    let (label, der) = pkcs8::der::pem::decode_vec(text.trim().as_bytes())
        .map_err(|e| anyhow!("pkcs8: malformed PEM: {e}"))?;
    if label != "ENCRYPTED PRIVATE KEY" {
        bail!("pkcs8: unexpected PEM block {label}");
    }
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice())
        .map_err(|e| anyhow!("pkcs8: only PKCS #5 v2.0 supported: {e}"))?;
    // A wrong passphrase shows as bad padding or as a body that is not a key.
    let plain = info
        .decrypt(passphrase)
        .map_err(|_| anyhow!("pkcs8: incorrect password"))?;
    pkcs8::PrivateKeyInfo::try_from(plain.as_bytes())
        .map_err(|_| anyhow!("pkcs8: incorrect password"))?;
    let pem = plain
        .to_pem("PRIVATE KEY", LineEnding::LF)
        .map_err(|e| anyhow!("pkcs8: {e}"))?;
    Ok(pem.as_bytes().to_vec())
}

/// One PEM block with RFC 1421 headers (`Proc-Type`, `DEK-Info`).
struct LegacyBlock {
    label: String,
    dek_info: String,
    body: Vec<u8>,
}

fn parse_legacy(text: &str) -> Result<LegacyBlock> {
    let begin = text
        .lines()
        .position(|l| l.starts_with("-----BEGIN ") && l.ends_with(" PRIVATE KEY-----"))
        .ok_or_else(|| anyhow!("private key PEM block not found"))?;
    let lines: Vec<&str> = text.lines().skip(begin).collect();
    let label = lines[0]
        .trim_start_matches("-----BEGIN ")
        .trim_end_matches("-----")
        .to_string();
    let mut dek_info = None;
    let mut body = String::new();
    for line in &lines[1..] {
        if line.starts_with("-----END ") {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.trim() == "DEK-Info" {
                dek_info = Some(value.trim().to_string());
            }
            continue;
        }
        body.push_str(line.trim());
    }
    let body = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| anyhow!("private key PEM block is malformed"))?;
    let dek_info = dek_info.ok_or_else(|| anyhow!("x509: no DEK-Info header in block"))?;
    Ok(LegacyBlock {
        label,
        dek_info,
        body,
    })
}

fn decrypt_legacy(text: &str, passphrase: &[u8]) -> Result<Vec<u8>> {
    let block = parse_legacy(text)?;
    let (cipher, iv_hex) = block
        .dek_info
        .split_once(',')
        .ok_or_else(|| anyhow!("x509: malformed DEK-Info header"))?;
    let key_len = match cipher {
        "AES-128-CBC" => 16,
        "AES-192-CBC" => 24,
        "AES-256-CBC" => 32,
        other => bail!("x509: unknown encryption mode {other} (skiff reads AES-CBC legacy keys)"),
    };
    let iv = hex::decode(iv_hex).map_err(|_| anyhow!("x509: malformed DEK-Info header"))?;
    if iv.len() != 16 {
        bail!("x509: incorrect IV size");
    }
    if block.body.is_empty() || block.body.len() % 16 != 0 {
        bail!("x509: encrypted PEM data is not a multiple of the block size");
    }
    let key = openssl_bytes_to_key(passphrase, &iv[..8], key_len);
    let mut plain = aes_cbc_decrypt(&key, &iv, &block.body)?;
    strip_padding(&mut plain).ok_or_else(|| anyhow!("x509: decryption password incorrect"))?;
    let der = pkcs8::der::Document::try_from(plain.as_slice())
        .map_err(|_| anyhow!("x509: decryption password incorrect"))?;
    Ok(crate::go::pem::encode(&block.label, der.as_bytes()).into_bytes())
}

/// OpenSSL's EVP_BytesToKey with MD5 and one round, as legacy PEM encryption derives keys.
fn openssl_bytes_to_key(passphrase: &[u8], salt: &[u8], len: usize) -> Vec<u8> {
    let mut key = Vec::with_capacity(len + 16);
    let mut previous: Vec<u8> = Vec::new();
    while key.len() < len {
        let mut md5 = Md5::new();
        md5.update(&previous);
        md5.update(passphrase);
        md5.update(salt);
        previous = md5.finalize().to_vec();
        key.extend_from_slice(&previous);
    }
    key.truncate(len);
    key
}

fn aes_cbc_decrypt(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    fn run<C: BlockDecrypt + KeyInit>(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Vec<u8>> {
        let cipher = C::new_from_slice(key).map_err(|_| anyhow!("x509: bad key size"))?;
        let mut out = Vec::with_capacity(data.len());
        let mut previous = iv.to_vec();
        for chunk in data.chunks(16) {
            let mut block = GenericArray::clone_from_slice(chunk);
            cipher.decrypt_block(&mut block);
            out.extend(block.iter().zip(&previous).map(|(b, p)| b ^ p));
            previous = chunk.to_vec();
        }
        Ok(out)
    }
    match key.len() {
        16 => run::<aes::Aes128>(key, iv, data),
        24 => run::<aes::Aes192>(key, iv, data),
        _ => run::<aes::Aes256>(key, iv, data),
    }
}

/// Removes PKCS #7 padding; `None` when it is not valid (the sign of a wrong passphrase).
fn strip_padding(data: &mut Vec<u8>) -> Option<()> {
    let n = *data.last()? as usize;
    if n == 0 || n > 16 || n > data.len() || data[data.len() - n..].iter().any(|&b| b as usize != n)
    {
        return None;
    }
    data.truncate(data.len() - n);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssl_key_derivation_matches_openssl() {
        // From `openssl enc -aes-256-cbc -P -md md5 -pass pass:secret -S 0001020304050607`.
        let key = openssl_bytes_to_key(b"secret", &[0, 1, 2, 3, 4, 5, 6, 7], 32);
        assert_eq!(
            hex::encode_upper(key),
            "035FB8145B73CF111570DC936112BE9C375A5D3D8B915BC213BDBEF9DBFB7851"
        );
    }

    #[test]
    fn bad_padding_is_refused() {
        let mut v = vec![1, 2, 3, 0];
        assert!(strip_padding(&mut v).is_none());
        let mut v = vec![1, 2, 3, 2, 2];
        assert!(strip_padding(&mut v).is_some());
        assert_eq!(v, vec![1, 2, 3]);
    }
}
