//! The `pgp` key wrapper: the layer's private options as an OpenPGP message (SEIPD, AES-256,
//! no compression) to each recipient's encryption key, as ocicrypt writes it.
//!
//! Recipients are named as skopeo names them (`pgp:NAME-OR-EMAIL`, matched against the user
//! IDs of the keys `gpg --export` gives); decryption keys are binary secret key rings
//! (`gpg --export-secret-keys`), with their passphrase when they have one.

use std::io::Read;
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pgp::composed::Deserializable;
use pgp::composed::{
    Message, MessageBuilder, PublicOrSecret, SignedPublicKey, SignedPublicSubKey, SignedSecretKey,
};
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::types::{KeyDetails, Password};
use rand_core_06::OsRng;

use super::PrivateOptions;

/// The public key ring of the user's GnuPG home, as ocicrypt reads it (`gpg --batch
/// --export`, GNUPGHOME honoured).
pub fn export_public_keyring() -> Result<Vec<u8>> {
    let out = Command::new("gpg")
        .args(["--batch", "--export"])
        .output()
        .context("running gpg")?;
    if !out.status.success() {
        bail!(
            "gpg --export failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out.stdout)
}

/// The name and address of a user ID (`Name <address>` or a bare address), as Go's
/// `mail.ParseAddress` splits it; its error when the ID is neither.
fn name_and_address(user_id: &str) -> Result<(String, String)> {
    let id = user_id.trim();
    if let Some(open) = id.rfind('<')
        && id.ends_with('>')
    {
        let name = id[..open].trim().trim_matches('"').to_string();
        return Ok((name, id[open + 1..id.len() - 1].to_string()));
    }
    if id.contains('@') && !id.contains(char::is_whitespace) {
        return Ok((String::new(), id.to_string()));
    }
    bail!("mail: no angle-addr")
}

/// The keys of `keyring` whose user IDs name one of `recipients` (by name or address), with
/// ocicrypt's error for recipients no key matches.
pub fn select_recipients(keyring: &[u8], recipients: &[String]) -> Result<Vec<SignedPublicKey>> {
    let keys: Vec<SignedPublicKey> = SignedPublicKey::from_bytes_many(keyring)
        .map(|keys| keys.filter_map(Result::ok).collect())
        .unwrap_or_default();
    let mut found = vec![false; recipients.len()];
    let mut chosen: Vec<SignedPublicKey> = Vec::new();
    for key in keys {
        let mut matched = false;
        for user in &key.details.users {
            let (name, address) = name_and_address(&String::from_utf8_lossy(user.id.id()))?;
            for (i, r) in recipients.iter().enumerate() {
                if *r == name || *r == address {
                    found[i] = true;
                    matched = true;
                }
            }
        }
        if matched {
            chosen.push(key);
        }
    }
    let missing: Vec<&str> = recipients
        .iter()
        .zip(&found)
        .filter(|(_, f)| !**f)
        .map(|(r, _)| r.as_str())
        .collect();
    if !missing.is_empty() {
        bail!(
            "PGP: No key found for the following recipients: {}",
            missing.join(", ")
        );
    }
    Ok(chosen)
}

/// The newest subkey of `key` that may encrypt (the one Go's openpgp picks).
fn encryption_subkey(key: &SignedPublicKey) -> Result<&SignedPublicSubKey> {
    key.public_subkeys
        .iter()
        .filter(|s| {
            s.signatures.iter().any(|sig| {
                let flags = sig.key_flags();
                flags.encrypt_comms() || flags.encrypt_storage()
            })
        })
        .max_by_key(|s| s.key.created_at())
        .ok_or_else(|| {
            anyhow!(
                "openpgp: invalid argument: cannot encrypt a message to key id {} because it has no encryption keys",
                hex::encode(key.primary_key.legacy_key_id().as_ref())
            )
        })
}

/// Whether every recipient has a key to encrypt to (checked before anything is copied).
pub fn check_recipients(recipients: &[SignedPublicKey]) -> Result<()> {
    recipients
        .iter()
        .try_for_each(|k| encryption_subkey(k).map(|_| ()))
}

/// The `…enc.keys.pgp` annotation value for `opts`, readable by each of `recipients`.
pub fn wrap(opts: &PrivateOptions, recipients: &[SignedPublicKey]) -> Result<String> {
    let plaintext = crate::gojson::to_vec_compact(opts);
    let mut builder =
        MessageBuilder::from_bytes("", plaintext).seipd_v1(OsRng, SymmetricKeyAlgorithm::AES256);
    for key in recipients {
        builder
            .encrypt_to_key(OsRng, encryption_subkey(key)?)
            .map_err(|e| anyhow!("openpgp: {e}"))?;
    }
    let message = builder.to_vec(OsRng).map_err(|e| anyhow!("openpgp: {e}"))?;
    Ok(STANDARD.encode(message))
}

/// One `--decryption-key` file that is an OpenPGP key ring, with its passphrase.
#[derive(Clone, Debug)]
pub struct SecretKeyring {
    keys: Vec<SignedSecretKey>,
}

impl SecretKeyring {
    /// Reads a binary key ring (what Go's `openpgp.ReadKeyRing` accepts: public keys count,
    /// they just open nothing); `None` when `data` holds no OpenPGP key.
    pub fn parse(data: &[u8], password: &[u8]) -> Option<SecretKeyring> {
        if data.is_empty() || data[0] & 0x80 == 0 {
            return None; // armored text or not OpenPGP at all
        }
        let mut any = false;
        let mut keys = Vec::new();
        for key in PublicOrSecret::from_bytes_many(data).ok()?.flatten() {
            any = true;
            if let PublicOrSecret::Secret(k) = key {
                keys.push(unlocked(k, &Password::from(password)));
            }
        }
        any.then_some(SecretKeyring { keys })
    }
}

/// `key` with the passphrase taken off the keys that decrypt, once (the S2K derivation is
/// slow by design, and each layer would otherwise pay it again). A wrong passphrase leaves
/// them locked: they then open nothing, as in ocicrypt.
fn unlocked(mut key: SignedSecretKey, password: &Password) -> SignedSecretKey {
    let mut any_subkey = false;
    for sub in &mut key.secret_subkeys {
        let decrypts = sub.signatures.iter().any(|sig| {
            let flags = sig.key_flags();
            flags.encrypt_comms() || flags.encrypt_storage()
        });
        if decrypts {
            any_subkey = true;
            let _ = sub.key.remove_password(password);
        }
    }
    if !any_subkey {
        let _ = key.primary_key.remove_password(password);
    }
    key
}

/// The private options in a layer's `…enc.keys.pgp` annotation, opened with the first key
/// ring that can.
pub fn unwrap(annotation: &str, rings: &[SecretKeyring]) -> Result<PrivateOptions> {
    if rings.is_empty() {
        bail!("GPG: Missing private key parameter");
    }
    for b64 in annotation.split(',') {
        let message = STANDARD
            .decode(b64)
            .map_err(|e| anyhow!("could not decode base64 encoded PGP packet: {e}"))?;
        for ring in rings {
            if let Some(plain) = open(&message, ring) {
                return Ok(serde_json::from_slice(&plain)?);
            }
        }
    }
    bail!("PGP: No suitable key found to unwrap key")
}

fn open(message: &[u8], ring: &SecretKeyring) -> Option<Vec<u8>> {
    if ring.keys.is_empty() {
        return None;
    }
    let password = Password::empty();
    let passwords = vec![&password; ring.keys.len()];
    let parsed = Message::from_bytes(message).ok()?;
    let mut decrypted = parsed
        .decrypt_with_keys(passwords, ring.keys.iter().collect())
        .ok()?;
    // The options are small; the limit only guards against a crafted message.
    let mut plain = Vec::new();
    decrypted
        .by_ref()
        .take(1 << 20)
        .read_to_end(&mut plain)
        .ok()?;
    // Reading to the end checks the modification detection code.
    let mut rest = [0u8; 1];
    if decrypted.read(&mut rest).ok()? != 0 {
        return None;
    }
    Some(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_split_as_go_splits_addresses() {
        assert_eq!(
            name_and_address("Alice <alice@example.com>").unwrap(),
            ("Alice".into(), "alice@example.com".into())
        );
        assert_eq!(
            name_and_address("bob@example.com").unwrap(),
            (String::new(), "bob@example.com".into())
        );
        assert_eq!(
            name_and_address("Carol").unwrap_err().to_string(),
            "mail: no angle-addr"
        );
    }

    #[test]
    fn garbage_is_not_a_key_ring() {
        assert!(SecretKeyring::parse(b"not a key", b"").is_none());
        assert!(SecretKeyring::parse(b"", b"").is_none());
        assert!(SecretKeyring::parse(&[0x99, 0, 1, 2], b"").is_none());
    }
}
