//! Simple signing with a key kept by Sequoia-PGP (`--sign-by-sq-fingerprint`), in-process.
//!
//! skopeo signs through c/image's podman-sequoia library. What that does, and skiff with it:
//! the fingerprint (of a certificate's primary key or of any of its subkeys) is looked up in
//! the certificate store (a `pgp.cert.d` directory); the first key of that certificate that
//! may sign now (primary key first) is the one that signs; its secret comes from the key
//! store's soft keys (`softkeys/*.pgp`, `*.asc`), unlocked with the passphrase when one is
//! given. The signed message is the same simple-signing payload `--sign-by` signs, as an
//! uncompressed binary OpenPGP message (one-pass signature, literal data, signature).
//!
//! Unlike c/image, the key is found and unlocked before anything is copied, so a missing key
//! or a bad passphrase leaves nothing at the destination.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use pgp::composed::{Deserializable, MessageBuilder, SignedPublicKey, SignedSecretKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{SecretKey, SecretSubkey, Signature, SignatureType};
use pgp::types::{KeyDetails, Password, Timestamp};
use rand_core_06::OsRng;

use super::Signature as ImageSignature;
use super::openpgp::{hex_upper, is_revoked, newest, now_secs, primary_binding};
use super::sign::{Signer, SigningMethod, identity_and_digest, simple_payload};
use crate::reference::DockerReference;

/// Where a Sequoia home keeps certificates and secret keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stores {
    pub cert_d: PathBuf,
    pub keystore: PathBuf,
}

impl Stores {
    /// Sequoia's layout: an alternate home (`SEQUOIA_HOME`) keeps everything under
    /// `HOME/data/`; the default home follows XDG (`~/.local/share/pgp.cert.d` and
    /// `~/.local/share/sequoia/keystore`). A `SEQUOIA_HOME` that is the user's home directory
    /// is the default home.
    pub fn from_env() -> Result<Stores> {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        let sequoia_home = std::env::var_os("SEQUOIA_HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        if let Some(dir) = sequoia_home
            && !home.as_deref().is_some_and(|h| same_directory(h, &dir))
        {
            return Ok(Stores::alternate(&dir));
        }
        let data = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|d| d.is_absolute())
            .or_else(|| home.map(|h| h.join(".local/share")))
            .ok_or_else(|| anyhow!("initializing Sequoia: no home directory (HOME is not set)"))?;
        Ok(Stores {
            cert_d: data.join("pgp.cert.d"),
            keystore: data.join("sequoia").join("keystore"),
        })
    }

    /// The layout of an alternate Sequoia home at `dir`.
    pub fn alternate(dir: &Path) -> Stores {
        Stores {
            cert_d: dir.join("data").join("pgp.cert.d"),
            keystore: dir.join("data").join("keystore"),
        }
    }
}

/// Whether `a` and `b` name one directory (Sequoia compares the files, not the paths).
fn same_directory(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => a == b,
    }
}

/// A fingerprint or key ID as given on the command line (hex, spaces and a `0x` ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
struct KeyHandle(String);

impl KeyHandle {
    fn parse(s: &str) -> Result<KeyHandle> {
        let hex: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let hex = hex
            .strip_prefix("0x")
            .or_else(|| hex.strip_prefix("0X"))
            .unwrap_or(&hex);
        let valid_length = [16, 40, 64].contains(&hex.len());
        if !valid_length || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!("{s:?} is not a fingerprint or key ID");
        }
        Ok(KeyHandle(hex.to_ascii_uppercase()))
    }

    fn matches(&self, key: &dyn KeyDetails) -> bool {
        if self.0.len() == 16 {
            hex_upper(key.legacy_key_id().as_ref()) == self.0
        } else {
            hex_upper(key.fingerprint().as_bytes()) == self.0
        }
    }
}

/// The certificates in `cert_d` that `handle` names, by primary key or subkey. A fingerprint
/// is first looked for under its own name (the cert-d layout: `ab/cdef…`, lower case).
fn certificates(cert_d: &Path, handle: &KeyHandle) -> Vec<SignedPublicKey> {
    let matching = |c: &SignedPublicKey| {
        handle.matches(&c.primary_key) || c.public_subkeys.iter().any(|s| handle.matches(&s.key))
    };
    if handle.0.len() > 16 {
        let lower = handle.0.to_ascii_lowercase();
        let own = cert_d.join(&lower[..2]).join(&lower[2..]);
        let found: Vec<SignedPublicKey> = read_certificates(&own)
            .into_iter()
            .filter(matching)
            .collect();
        if !found.is_empty() {
            return found;
        }
    }
    let mut found = Vec::new();
    for file in cert_d_files(cert_d) {
        found.extend(read_certificates(&file).into_iter().filter(matching));
    }
    found
}

/// The certificate files of a cert-d: `XX/YYYY…`, hex names (special files are skipped).
fn cert_d_files(cert_d: &Path) -> Vec<PathBuf> {
    let is_hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    let mut files = Vec::new();
    let Ok(dirs) = std::fs::read_dir(cert_d) else {
        return files;
    };
    for dir in dirs.flatten() {
        let name = dir.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.len() != 2 || !is_hex(name) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(dir.path()) else {
            continue;
        };
        for entry in entries.flatten() {
            let n = entry.file_name();
            if n.to_str()
                .is_some_and(|n| (n.len() == 38 || n.len() == 62) && is_hex(n))
            {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
}

fn is_armored(data: &[u8]) -> bool {
    data.iter()
        .position(|b| !b.is_ascii_whitespace())
        .is_some_and(|i| data[i..].starts_with(b"-----BEGIN"))
}

/// The certificates in one file; a file that does not parse holds none (Sequoia skips it).
fn read_certificates(path: &Path) -> Vec<SignedPublicKey> {
    let Ok(data) = std::fs::read(path) else {
        return Vec::new();
    };
    let parsed = if is_armored(&data) {
        SignedPublicKey::from_armor_many(&data[..])
            .map(|(keys, _)| keys.filter_map(Result::ok).collect::<Vec<_>>())
    } else {
        SignedPublicKey::from_bytes_many(&data[..])
            .map(|keys| keys.filter_map(Result::ok).collect())
    };
    parsed.unwrap_or_default()
}

/// Whether a key created at `created` has expired under `binding`.
fn expired(created: Timestamp, binding: &Signature) -> bool {
    let created = u64::from(created.as_secs());
    binding
        .key_expiration_time()
        .is_some_and(|d| d.as_secs() > 0 && created + u64::from(d.as_secs()) <= now_secs())
}

/// A subkey's newest binding that verifies (a signing subkey's with its back-signature);
/// `None` when there is none or the subkey is revoked.
fn subkey_binding<'a>(
    cert: &SignedPublicKey,
    sub: &'a pgp::composed::SignedPublicSubKey,
) -> Option<&'a Signature> {
    let primary = &cert.primary_key;
    let by_primary = |t: SignatureType| {
        sub.signatures
            .iter()
            .filter(move |s| s.typ() == Some(t))
            .filter(|s| s.verify_subkey_binding(primary, &sub.key).is_ok())
    };
    if by_primary(SignatureType::SubkeyRevocation).next().is_some() {
        return None;
    }
    newest(by_primary(SignatureType::SubkeyBinding).filter(|s| {
        !s.key_flags().sign()
            || s.embedded_signature()
                .is_some_and(|back| back.verify_primary_key_binding(&sub.key, primary).is_ok())
    }))
}

/// The fingerprint of the first key of `cert` that may sign now: the primary key when its
/// self-signature allows signing, else the first subkey whose binding does and that is
/// neither expired nor revoked. `None` for a revoked or expired certificate.
fn signing_key(cert: &SignedPublicKey) -> Option<String> {
    let binding = primary_binding(cert)?;
    if is_revoked(cert) || expired(cert.primary_key.created_at(), binding) {
        return None;
    }
    if binding.key_flags().sign() {
        return Some(hex_upper(cert.primary_key.fingerprint().as_bytes()));
    }
    cert.public_subkeys.iter().find_map(|sub| {
        let binding = subkey_binding(cert, sub)?;
        let usable = binding.key_flags().sign() && !expired(sub.key.created_at(), binding);
        usable.then(|| hex_upper(sub.key.fingerprint().as_bytes()))
    })
}

/// A secret key that signs: a primary key or a subkey, as the key store holds it.
enum SecretSigningKey {
    Primary(SecretKey),
    Subkey(SecretSubkey),
}

impl SecretSigningKey {
    fn is_locked(&self) -> bool {
        match self {
            SecretSigningKey::Primary(k) => k.secret_params().is_encrypted(),
            SecretSigningKey::Subkey(k) => k.secret_params().is_encrypted(),
        }
    }

    /// Takes the passphrase off once (its derivation is slow by design; each signature of
    /// a `--all` copy would otherwise pay it again).
    fn unlock(&mut self, passphrase: &str) -> pgp::errors::Result<()> {
        let password = Password::from(passphrase);
        match self {
            SecretSigningKey::Primary(k) => k.remove_password(&password),
            SecretSigningKey::Subkey(k) => k.remove_password(&password),
        }
    }
}

/// The soft key files of a key store: `softkeys/*.pgp` and `*.asc`, in name order.
fn softkey_files(keystore: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(keystore.join("softkeys"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "pgp" || e == "asc"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The secret of the key `fingerprint` among the soft keys (files that do not parse are
/// skipped, as the key store skips them).
fn secret_key(keystore: &Path, fingerprint: &str) -> Option<SecretSigningKey> {
    for file in softkey_files(keystore) {
        let Ok(data) = std::fs::read(&file) else {
            continue;
        };
        let keys: Vec<SignedSecretKey> = if is_armored(&data) {
            SignedSecretKey::from_armor_many(&data[..])
                .map(|(keys, _)| keys.filter_map(Result::ok).collect())
                .unwrap_or_default()
        } else {
            SignedSecretKey::from_bytes_many(&data[..])
                .map(|keys| keys.filter_map(Result::ok).collect())
                .unwrap_or_default()
        };
        for key in keys {
            if hex_upper(key.primary_key.fingerprint().as_bytes()) == fingerprint {
                return Some(SecretSigningKey::Primary(key.primary_key));
            }
            if let Some(sub) = key
                .secret_subkeys
                .into_iter()
                .find(|s| hex_upper(s.key.fingerprint().as_bytes()) == fingerprint)
            {
                return Some(SecretSigningKey::Subkey(sub.key));
            }
        }
    }
    None
}

pub struct SequoiaSigner {
    key: SecretSigningKey,
}

impl SequoiaSigner {
    /// Finds the key `handle` names in `stores` and unlocks it with `passphrase` (none, or an
    /// empty one, leaves it as stored), with podman-sequoia's errors where it has them.
    pub fn new(stores: &Stores, handle: &str, passphrase: Option<&str>) -> Result<SequoiaSigner> {
        if handle.is_empty() {
            bail!("no key identity provided for simple signing");
        }
        if passphrase.is_some_and(|p| p.contains('\n')) {
            bail!("invalid passphrase: must not contain a line break");
        }
        let parsed = KeyHandle::parse(handle)?;
        let certs = certificates(&stores.cert_d, &parsed);
        if certs.is_empty() {
            bail!("Failed to load {handle} from certificate store");
        }
        let fingerprint = certs
            .iter()
            .find_map(signing_key)
            .ok_or_else(|| anyhow!("No matching signing key for {handle}"))?;
        let mut key = secret_key(&stores.keystore, &fingerprint)
            .ok_or_else(|| anyhow!("No matching key in keystore"))?;
        match passphrase.filter(|p| !p.is_empty()) {
            Some(p) => key
                .unlock(p)
                .map_err(|_| anyhow!("unlocking key {fingerprint}: Bad passphrase"))?,
            None if key.is_locked() => bail!(
                "key {fingerprint} is locked: a passphrase is needed (--sign-passphrase-file)"
            ),
            None => {}
        }
        Ok(SequoiaSigner { key })
    }

    /// An OpenPGP signed message of `data`: one-pass signature, literal data, signature, no
    /// compression (what Sequoia writes), SHA-512 as Sequoia's default.
    pub fn sign_bytes(&self, data: &[u8]) -> Result<Vec<u8>> {
        let mut builder = MessageBuilder::from_bytes("", data.to_vec());
        match &self.key {
            SecretSigningKey::Primary(k) => {
                builder.sign(k, Password::empty(), HashAlgorithm::Sha512);
            }
            SecretSigningKey::Subkey(k) => {
                builder.sign(k, Password::empty(), HashAlgorithm::Sha512);
            }
        }
        builder
            .to_vec(OsRng)
            .map_err(|e| anyhow!("signing with Sequoia-PGP key: {e}"))
    }
}

impl Signer for SequoiaSigner {
    fn method(&self) -> SigningMethod {
        SigningMethod::Simple
    }

    fn sign(&self, manifest: &[u8], identity: &DockerReference) -> Result<ImageSignature> {
        let (digest, reference) = identity_and_digest(manifest, identity)?;
        let signed = self.sign_bytes(&simple_payload(&digest, &reference))?;
        Ok(ImageSignature::SimpleSigning(signed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_handles_are_hex_fingerprints_or_key_ids() {
        let fpr = "0123456789abcdef0123456789ABCDEF01234567";
        assert_eq!(KeyHandle::parse(fpr).unwrap().0, fpr.to_ascii_uppercase());
        assert_eq!(
            KeyHandle::parse("0x0123 4567 89AB CDEF").unwrap().0,
            "0123456789ABCDEF"
        );
        assert!(KeyHandle::parse("alice@example.com").is_err());
        assert!(KeyHandle::parse("0123").is_err());
    }

    #[test]
    fn alternate_homes_keep_everything_under_data() {
        let s = Stores::alternate(Path::new("/h"));
        assert_eq!(s.cert_d, Path::new("/h/data/pgp.cert.d"));
        assert_eq!(s.keystore, Path::new("/h/data/keystore"));
    }

    #[test]
    fn empty_stores_name_the_missing_certificate() {
        let t = tempfile::tempdir().unwrap();
        let stores = Stores::alternate(t.path());
        let fpr = "0123456789ABCDEF0123456789ABCDEF01234567";
        let msg = |h: &str| {
            SequoiaSigner::new(&stores, h, None)
                .err()
                .unwrap()
                .to_string()
        };
        assert_eq!(
            msg(fpr),
            format!("Failed to load {fpr} from certificate store")
        );
        assert_eq!(msg(""), "no key identity provided for simple signing");
    }
}
