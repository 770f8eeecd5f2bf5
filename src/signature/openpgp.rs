//! OpenPGP for simple signing, in-process (rpgp): a keyring made of the keys a policy names,
//! verification of a signed message against it, and reading a message without verifying it.
//!
//! c/image (as skopeo 1.9.3 builds it) verifies through gpgme: its error texts are gpgme's,
//! including a Go dump of gpgme's signature record for a signature gpg refuses. The common
//! refusals (unknown key, bad signature) are rendered the same way here, from the fields gpg
//! itself would report.

use std::io::{BufReader, Read};

use pgp::composed::{Deserializable, SignedPublicKey};
use pgp::packet::SignatureType;
use pgp::packet::{Packet, PacketParser, Signature};
use pgp::types::{KeyDetails, Tag};

/// Decompressed message contents are bounded: a simple signature payload is a few hundred
/// bytes, and a crafted message must not make us inflate without end.
const MAX_DECOMPRESSED: u64 = 32 << 20;
/// Compressed packets nested deeper than this are refused (gpg refuses deep nesting too).
const MAX_NESTING: usize = 8;

/// The public keys trusted by one requirement (c/image's ephemeral GPG mechanism).
pub struct Keyring {
    keys: Vec<SignedPublicKey>,
}

impl Keyring {
    /// Imports every usable public key from `blobs` (armored or binary, as `gpg --export`
    /// writes them; several keys per blob). Keys that do not parse or whose self-signatures
    /// do not verify are skipped, as gpg skips them on import.
    pub fn import(blobs: &[Vec<u8>]) -> Keyring {
        let mut keys = Vec::new();
        for blob in blobs {
            keys.extend(parse_keys(blob));
        }
        Keyring { keys }
    }

    /// The fingerprints of the imported (primary) keys, upper-case hex as gpgme gives them.
    pub fn fingerprints(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| hex_upper(k.primary_key.fingerprint().as_bytes()))
            .collect()
    }

    /// Verifies `message` (a signed OpenPGP message) and returns its contents with the
    /// fingerprint of the key that made the signature, or the error gpgme would give.
    pub fn verify(&self, message: &[u8]) -> Result<(Vec<u8>, String), String> {
        let parsed = parse_message(message).map_err(|e| {
            // gpgme does not name the algorithm.
            if e.starts_with(UNKNOWN_COMPRESSION) {
                UNKNOWN_COMPRESSION.to_string()
            } else {
                e
            }
        })?;
        if parsed.signatures.len() != 1 {
            return Err(format!(
                "Unexpected GPG signature count {}",
                parsed.signatures.len()
            ));
        }
        let sig = &parsed.signatures[0];
        let Some(found) = self.signing_key(sig) else {
            return Err(invalid_signature(&GpgmeRecord::missing_key(sig)));
        };
        // gpg refuses MD5 signatures outright (ERRSIG), before checking them.
        if sig
            .config()
            .is_some_and(|c| c.hash_alg == pgp::crypto::hash::HashAlgorithm::Md5)
        {
            return Err(invalid_signature(&GpgmeRecord::weak_digest(sig)));
        }
        let checked = match &found {
            SigningKey::Primary(k) => sig.verify(&k.primary_key, &parsed.contents[..]),
            SigningKey::Subkey(_, s) => sig.verify(&s.key, &parsed.contents[..]),
        };
        if checked.is_err() {
            return Err(invalid_signature(&GpgmeRecord::bad_signature(sig)));
        }
        // gpg's order: an expired signature, then an expired key, then a revoked one.
        let primary = found.primary();
        if let Some(expired_at) = signature_expired(sig) {
            return Err(invalid_signature(&GpgmeRecord::expired_signature(
                sig, expired_at,
            )));
        }
        if key_expired(primary) {
            return Err(invalid_signature(&GpgmeRecord::expired_key(sig)));
        }
        if is_revoked(primary) {
            return Err(invalid_signature(&GpgmeRecord::revoked_key(sig)));
        }
        Ok((parsed.contents, found.fingerprint()))
    }

    fn signing_key(&self, sig: &Signature) -> Option<SigningKey<'_>> {
        let fingerprints = sig.issuer_fingerprint();
        let ids = sig.issuer_key_id();
        let matches = |k: &dyn KeyDetails| {
            fingerprints.iter().any(|f| **f == k.fingerprint())
                || ids.iter().any(|id| **id == k.legacy_key_id())
        };
        self.keys.iter().find_map(|k| {
            if matches(&k.primary_key) {
                return Some(SigningKey::Primary(k));
            }
            k.public_subkeys
                .iter()
                .find(|s| matches(&s.key))
                .map(|s| SigningKey::Subkey(k, s))
        })
    }
}

enum SigningKey<'a> {
    Primary(&'a SignedPublicKey),
    Subkey(&'a SignedPublicKey, &'a pgp::composed::SignedPublicSubKey),
}

impl SigningKey<'_> {
    fn primary(&self) -> &SignedPublicKey {
        match self {
            SigningKey::Primary(k) | SigningKey::Subkey(k, _) => k,
        }
    }

    /// gpgme reports the fingerprint of the key that signed, a subkey's own when a subkey
    /// signed (which c/image 5.23 then does not find among the trusted primary keys).
    fn fingerprint(&self) -> String {
        match self {
            SigningKey::Primary(k) => hex_upper(k.primary_key.fingerprint().as_bytes()),
            SigningKey::Subkey(_, s) => hex_upper(s.key.fingerprint().as_bytes()),
        }
    }
}

/// Whether the key carries a valid revocation of itself.
pub(super) fn is_revoked(key: &SignedPublicKey) -> bool {
    key.details
        .revocation_signatures
        .iter()
        .any(|s| s.verify_key(&key.primary_key).is_ok())
}

pub(super) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// When `sig` expired, if it has (its expiration time, counted from its creation, is past).
fn signature_expired(sig: &Signature) -> Option<i64> {
    let created = u64::from(sig.created()?.as_secs());
    let lifetime = u64::from(sig.signature_expiration_time()?.as_secs());
    let expires = created + lifetime;
    (lifetime > 0 && expires <= now_secs()).then_some(expires as i64)
}

/// Whether the primary key has expired: the key expiration time of its newest
/// self-signature, counted from the key's creation, is past.
fn key_expired(key: &SignedPublicKey) -> bool {
    let created = u64::from(key.primary_key.created_at().as_secs());
    let newest = key
        .details
        .users
        .iter()
        .flat_map(|u| u.signatures.iter())
        .max_by_key(|s| s.created().map_or(0, |t| t.as_secs()));
    newest
        .and_then(|s| s.key_expiration_time())
        .is_some_and(|d| d.as_secs() > 0 && created + u64::from(d.as_secs()) <= now_secs())
}

fn parse_keys(blob: &[u8]) -> Vec<SignedPublicKey> {
    let armored = blob
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .is_some_and(|i| blob[i..].starts_with(b"-----BEGIN"));
    let parsed: Vec<SignedPublicKey> = if armored {
        // Armored exports may be concatenated; each block is parsed on its own.
        let text = String::from_utf8_lossy(blob);
        text.split("-----BEGIN PGP PUBLIC KEY BLOCK-----")
            .filter(|part| part.contains("-----END PGP PUBLIC KEY BLOCK-----"))
            .flat_map(|part| {
                let block = format!("-----BEGIN PGP PUBLIC KEY BLOCK-----{part}");
                SignedPublicKey::from_armor_many(block.as_bytes())
                    .map(|(keys, _)| keys.filter_map(Result::ok).collect::<Vec<_>>())
                    .unwrap_or_default()
            })
            .collect()
    } else {
        SignedPublicKey::from_bytes_many(blob)
            .map(|keys| keys.filter_map(Result::ok).collect())
            .unwrap_or_default()
    };
    // A key counts when one of its own self-signatures verifies; certifications by other
    // keys are not checked (gpg keeps them on import, and skopeo accepts such keys), and
    // subkeys whose bindings do not verify are dropped.
    parsed
        .into_iter()
        .filter_map(|mut k| {
            primary_binding(&k)?;
            let primary = k.primary_key.clone();
            k.public_subkeys
                .retain(|s| s.verify_bindings(&primary).is_ok());
            Some(k)
        })
        .collect()
}

/// The newest of `sigs` (by creation time).
pub(super) fn newest<'a>(sigs: impl Iterator<Item = &'a Signature>) -> Option<&'a Signature> {
    sigs.max_by_key(|s| s.created().map_or(0, |t| t.as_secs()))
}

/// The primary key's newest self-signature that verifies (on a user ID, or directly on the
/// key). Certifications by other keys (a trust root's links, say) are not its own.
pub(super) fn primary_binding(cert: &SignedPublicKey) -> Option<&Signature> {
    let primary = &cert.primary_key;
    let on_users = cert.details.users.iter().flat_map(|u| {
        u.signatures.iter().filter(move |s| {
            s.typ() != Some(SignatureType::CertRevocation)
                && s.verify_certification(primary, Tag::UserId, &u.id).is_ok()
        })
    });
    let direct = cert
        .details
        .direct_signatures
        .iter()
        .filter(|s| s.verify_key(primary).is_ok());
    newest(on_users.chain(direct))
}

/// The parts of a signed message that matter: the literal data and the signatures.
struct ParsedMessage {
    contents: Vec<u8>,
    signatures: Vec<Signature>,
}

/// gpgme's error for a compressed packet of an unknown algorithm.
const UNKNOWN_COMPRESSION: &str = "Unknown compression algorithm";

fn parse_message(message: &[u8]) -> Result<ParsedMessage, String> {
    let mut walk = Walk::default();
    walk.packets(message, 0)?;
    if walk.packets_seen == 0 {
        return Err("No data".to_string());
    }
    let Some(contents) = walk.contents else {
        // A message cut short or damaged before its signature: gpg reads what it can and
        // then finds no signature to report.
        return Err(format!(
            "Unexpected GPG signature count {}",
            walk.signatures.len()
        ));
    };
    Ok(ParsedMessage {
        contents,
        signatures: walk.signatures,
    })
}

#[derive(Default)]
struct Walk {
    packets_seen: usize,
    contents: Option<Vec<u8>>,
    signatures: Vec<Signature>,
}

impl Walk {
    fn packets(&mut self, bytes: &[u8], depth: usize) -> Result<(), String> {
        if depth > MAX_NESTING {
            return Err("No data".to_string());
        }
        for packet in PacketParser::new(BufReader::new(bytes)) {
            // A damaged packet ends the message; what came before it still counts.
            let Ok(packet) = packet else { break };
            self.packets_seen += 1;
            match packet {
                Packet::CompressedData(c) => {
                    let mut reader = c.decompress().map_err(|e| {
                        let text = e.to_string();
                        if !text.contains("unsupported compression algorithm") {
                            return "No data".to_string();
                        }
                        // Keep the algorithm number for the untrusted reader's message.
                        let number: String = text.chars().filter(char::is_ascii_digit).collect();
                        format!("{UNKNOWN_COMPRESSION}{number}")
                    })?;
                    let mut inner = Vec::new();
                    // A corrupt stream keeps what was inflated before the damage.
                    let _ = (&mut reader)
                        .take(MAX_DECOMPRESSED + 1)
                        .read_to_end(&mut inner);
                    if inner.len() as u64 > MAX_DECOMPRESSED {
                        return Err("No data".to_string());
                    }
                    self.packets(&inner, depth + 1)?;
                }
                Packet::LiteralData(l) => {
                    if self.contents.is_some() {
                        // gpg refuses a message with more than one plaintext.
                        return Err("No data".to_string());
                    }
                    self.contents = Some(l.data().to_vec());
                }
                Packet::Signature(s) => self.signatures.push(s),
                Packet::OnePassSignature(_) | Packet::Marker(_) | Packet::Padding(_) => {}
                _ => return Err("No data".to_string()),
            }
        }
        Ok(())
    }
}

/// The contents of `message` and the short ID of the key that signed it, WITHOUT verifying
/// anything (c/image's `UntrustedSignatureContents`).
pub fn untrusted_contents(message: &[u8]) -> Result<(Vec<u8>, String), String> {
    if message.first().is_some_and(|b| b & 0x80 == 0) {
        return Err("openpgp: invalid data: tag byte does not have MSB set".to_string());
    }
    let parsed = parse_message(message).map_err(|e| match e.strip_prefix(UNKNOWN_COMPRESSION) {
        Some(n) => format!("openpgp: unsupported feature: unknown compression algorithm: {n}"),
        None => "unexpected EOF".to_string(),
    })?;
    let Some(sig) = parsed.signatures.first() else {
        return Err("The input is not a signature".to_string());
    };
    let key_id = sig
        .issuer_key_id()
        .first()
        .map(|id| hex_upper(id.as_ref()))
        .or_else(|| {
            sig.issuer_fingerprint()
                .first()
                .map(|f| hex_upper(&f.as_bytes()[f.as_bytes().len().saturating_sub(8)..]))
        })
        .unwrap_or_else(|| "0000000000000000".to_string());
    Ok((parsed.contents, key_id))
}

pub(super) fn hex_upper(bytes: &[u8]) -> String {
    hex::encode_upper(bytes)
}

/// The fields of gpgme's `gpgme.Signature` that gpg fills in for a refused signature.
struct GpgmeRecord {
    summary: u32,
    fingerprint: String,
    status: u32,
    timestamp: i64,
    pubkey_algo: u8,
    hash_algo: u8,
    /// gpgme's validity: 0 unknown, 4 never (a revoked key, an expired signature).
    validity: u8,
    /// The signature's expiration time (0: none known).
    expires: i64,
}

/// gpgme summary bits and error codes (with gpg's error source where gpgme keeps it).
const SUMMARY_GREEN: u32 = 0x2;
const SUMMARY_RED: u32 = 0x4;
const SUMMARY_SIG_EXPIRED: u32 = 0x40;
const SUMMARY_KEY_REVOKED: u32 = 0x10;
const SUMMARY_KEY_EXPIRED: u32 = 0x20;
const SUMMARY_KEY_MISSING: u32 = 0x80;
const SUMMARY_SYS_ERROR: u32 = 0x800;
const ERR_NO_PUBKEY: u32 = 0x9;
const ERR_DIGEST_ALGO: u32 = 0x5;
const ERR_BAD_SIGNATURE: u32 = 0x700_0008;
const ERR_KEY_EXPIRED: u32 = 0x700_0099;
const ERR_SIG_EXPIRED: u32 = 0x700_009a;
const ERR_CERT_REVOKED: u32 = 0x700_005e;

impl GpgmeRecord {
    fn key_id(sig: &Signature) -> String {
        sig.issuer_key_id()
            .first()
            .map(|id| hex_upper(id.as_ref()))
            .unwrap_or_default()
    }

    /// gpg's ERRSIG: the issuer fingerprint when the signature names one, else its key ID,
    /// with the signature's time and algorithms.
    fn missing_key(sig: &Signature) -> GpgmeRecord {
        let fingerprint = sig
            .issuer_fingerprint()
            .first()
            .map(|f| hex_upper(f.as_bytes()))
            .unwrap_or_else(|| Self::key_id(sig));
        GpgmeRecord {
            summary: SUMMARY_KEY_MISSING,
            fingerprint,
            status: ERR_NO_PUBKEY,
            timestamp: sig.created().map_or(0, |t| i64::from(t.as_secs())),
            pubkey_algo: sig.config().map_or(0, |c| u8::from(c.pub_alg)),
            hash_algo: sig.config().map_or(0, |c| u8::from(c.hash_alg)),
            validity: 0,
            expires: 0,
        }
    }

    /// gpg's ERRSIG for a digest algorithm it refuses (MD5).
    fn weak_digest(sig: &Signature) -> GpgmeRecord {
        GpgmeRecord {
            summary: SUMMARY_SYS_ERROR,
            status: ERR_DIGEST_ALGO,
            ..Self::missing_key(sig)
        }
    }

    /// gpg's BADSIG: only the key ID is known.
    fn bad_signature(sig: &Signature) -> GpgmeRecord {
        GpgmeRecord {
            summary: SUMMARY_RED,
            fingerprint: Self::key_id(sig),
            status: ERR_BAD_SIGNATURE,
            timestamp: 0,
            pubkey_algo: 0,
            hash_algo: 0,
            validity: 0,
            expires: 0,
        }
    }

    /// gpg's EXPSIG: a good signature past its expiration time.
    fn expired_signature(sig: &Signature, expires: i64) -> GpgmeRecord {
        GpgmeRecord {
            summary: SUMMARY_SIG_EXPIRED | SUMMARY_GREEN,
            status: ERR_SIG_EXPIRED,
            validity: 4,
            expires,
            ..Self::missing_key(sig)
        }
    }

    fn expired_key(sig: &Signature) -> GpgmeRecord {
        GpgmeRecord {
            summary: SUMMARY_KEY_EXPIRED,
            status: ERR_KEY_EXPIRED,
            ..Self::missing_key(sig)
        }
    }

    fn revoked_key(sig: &Signature) -> GpgmeRecord {
        GpgmeRecord {
            summary: SUMMARY_KEY_REVOKED,
            status: ERR_CERT_REVOKED,
            validity: 4,
            ..Self::missing_key(sig)
        }
    }
}

/// c/image's `Invalid GPG signature: %#v` of the gpgme record.
fn invalid_signature(r: &GpgmeRecord) -> String {
    format!(
        "Invalid GPG signature: gpgme.Signature{{Summary:{}, Fingerprint:\"{}\", Status:gpgme.Error{{err:{:#x}}}, Timestamp:{}, ExpTimestamp:{}, WrongKeyUsage:false, PKATrust:0x0, ChainModel:false, Validity:{}, ValidityReason:error(nil), PubkeyAlgo:{}, HashAlgo:{}}}",
        r.summary,
        r.fingerprint,
        r.status,
        go_local_time(r.timestamp),
        go_local_time(r.expires),
        r.validity,
        r.pubkey_algo,
        r.hash_algo
    )
}

/// Go's `%#v` of a `time.Time` in the local zone: `time.Date(2026, time.December, 7, 2, 27,
/// 55, 0, time.Local)`.
fn go_local_time(unix: i64) -> String {
    use chrono::{Datelike, Timelike};
    let t = chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or(chrono::DateTime::UNIX_EPOCH)
        .with_timezone(&chrono::Local);
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    format!(
        "time.Date({}, time.{}, {}, {}, {}, {}, 0, time.Local)",
        t.year(),
        MONTHS[t.month0() as usize],
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The public keys of the user's GnuPG home (`$GNUPGHOME`, else `~/.gnupg`), which skopeo
/// verifies with when no key file is given: `pubring.kbx` (GnuPG ≥ 2.1), else the older
/// `pubring.gpg`. A missing keyring is an empty one, as for gpg.
pub fn user_keyring() -> Keyring {
    let home = std::env::var_os("GNUPGHOME")
        .filter(|h| !h.is_empty())
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".gnupg")
        });
    if let Ok(kbx) = std::fs::read(home.join("pubring.kbx")) {
        return Keyring::import(&keybox_keyblocks(&kbx));
    }
    match std::fs::read(home.join("pubring.gpg")) {
        Ok(ring) => Keyring::import(&[ring]),
        Err(_) => Keyring { keys: Vec::new() },
    }
}

/// The OpenPGP keyblocks stored in a GnuPG keybox file. Each blob starts with its length
/// (4 bytes, big-endian) and type (1 byte; 2 is OpenPGP); an OpenPGP blob gives the offset
/// and length of its keyblock at bytes 8 and 12.
fn keybox_keyblocks(kbx: &[u8]) -> Vec<Vec<u8>> {
    let be32 = |b: &[u8], at: usize| -> Option<usize> {
        let s = b.get(at..at + 4)?;
        Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]) as usize)
    };
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(len) = be32(kbx, at) {
        let Some(blob) = kbx.get(at..at.saturating_add(len)).filter(|_| len >= 16) else {
            break;
        };
        if blob[4] == 2
            && let (Some(off), Some(n)) = (be32(blob, 8), be32(blob, 12))
            && let Some(block) = blob.get(off..off.saturating_add(n))
        {
            out.push(without_trust_packets(block));
        }
        at += len;
    }
    out
}

/// A keyring's keyblock without its trust packets (tag 12, gpg's local bookkeeping, which
/// the key parser does not expect between a key and its signatures). A block whose packet
/// framing cannot be followed is returned as it is.
fn without_trust_packets(block: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(block.len());
    let mut at = 0;
    while at < block.len() {
        let ctb = block[at];
        if ctb & 0x80 == 0 {
            return block.to_vec();
        }
        let (tag, header, body) = if ctb & 0x40 == 0 {
            let tag = (ctb >> 2) & 0x0f;
            let n = match ctb & 3 {
                0 => 1,
                1 => 2,
                2 => 4,
                _ => return block.to_vec(),
            };
            let Some(len) = block.get(at + 1..at + 1 + n) else {
                return block.to_vec();
            };
            let body = len.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize);
            (tag, 1 + n, body)
        } else {
            let tag = ctb & 0x3f;
            match block.get(at + 1).copied() {
                Some(o) if o < 192 => (tag, 2, o as usize),
                Some(o) if o < 224 => match block.get(at + 2) {
                    Some(&o2) => (tag, 3, ((o as usize - 192) << 8) + o2 as usize + 192),
                    None => return block.to_vec(),
                },
                Some(255) => match block.get(at + 2..at + 6) {
                    Some(l) => (
                        tag,
                        6,
                        u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize,
                    ),
                    None => return block.to_vec(),
                },
                _ => return block.to_vec(),
            }
        };
        let end = at.saturating_add(header).saturating_add(body);
        if end > block.len() {
            return block.to_vec();
        }
        if tag != 12 {
            out.extend_from_slice(&block[at..end]);
        }
        at = end;
    }
    out
}
