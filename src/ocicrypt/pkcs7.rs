//! The `pkcs7` key wrapper: the layer's private options in a CMS EnvelopedData, content
//! AES-128-GCM, the content key RSA-encrypted (PKCS#1 v1.5) for each recipient certificate,
//! laid out byte for byte as ocicrypt's PKCS#7 library writes it (which is not quite DER:
//! the GCM parameters carry a primitive SEQUENCE tag and the content an explicit [0]).
//!
//! The structure is small and fixed, so a few lines of TLV reading and writing do instead of
//! a CMS crate (whose strict DER reader refuses ocicrypt's encoding).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use anyhow::{Result, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand_core_06::{OsRng, RngCore};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};

use super::PrivateOptions;

const OID_ENVELOPED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03];
const OID_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_AES128_GCM: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x06];
const OID_AES256_GCM: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2e];

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const CONTEXT_0: u8 = 0xa0;

/// One TLV: its tag, its contents and all its bytes.
#[derive(Clone, Copy, Debug)]
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    raw: &'a [u8],
}

fn malformed() -> anyhow::Error {
    anyhow!("malformed PKCS#7 or certificate")
}

/// Reads one definite-length TLV from the front of `input`.
fn read_tlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first().ok_or_else(malformed)?;
    let (&first, mut rest) = rest.split_first().ok_or_else(malformed)?;
    let len = if first < 0x80 {
        first as usize
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return Err(malformed());
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | b as usize);
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return Err(malformed());
    }
    let header = input.len() - rest.len();
    Ok((
        Tlv {
            tag,
            content: &rest[..len],
            raw: &input[..header + len],
        },
        &rest[len..],
    ))
}

/// The TLVs inside a constructed value.
fn children(content: &[u8]) -> Result<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (tlv, next) = read_tlv(rest)?;
        out.push(tlv);
        rest = next;
    }
    Ok(out)
}

fn expect<'a>(tlv: Option<&Tlv<'a>>, tag: u8) -> Result<Tlv<'a>> {
    match tlv {
        Some(t) if t.tag == tag => Ok(*t),
        _ => Err(malformed()),
    }
}

fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    encode(SEQUENCE, &parts.concat())
}

/// A recipient certificate: who issued it, its serial number, its RSA key.
#[derive(Clone, Debug)]
pub struct Certificate {
    /// The issuer Name, all its bytes.
    issuer: Vec<u8>,
    /// The serial number INTEGER, all its bytes.
    serial: Vec<u8>,
    key: Option<RsaPublicKey>,
}

/// The DER bytes of the first `label` block of a PEM text (text around it is allowed).
fn pem_block(data: &[u8], label: &str) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(data).ok()?;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    let body: String = text[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD.decode(body).ok()
}

impl Certificate {
    /// Reads an X.509 certificate, DER or PEM (as ocicrypt accepts either).
    pub fn parse(data: &[u8]) -> Result<Certificate> {
        Certificate::from_der(data).or_else(|_| {
            let der = pem_block(data, "CERTIFICATE")
                .ok_or_else(|| anyhow!("PKCS7: Could not PEM decode x509 certificate"))?;
            Certificate::from_der(&der)
        })
    }

    fn from_der(der: &[u8]) -> Result<Certificate> {
        let (cert, rest) = read_tlv(der)?;
        if cert.tag != SEQUENCE || !rest.is_empty() {
            return Err(malformed());
        }
        let parts = children(cert.content)?;
        let tbs = children(expect(parts.first(), SEQUENCE)?.content)?;
        // An explicit version ([0]) comes first when present.
        let skip = usize::from(tbs.first().is_some_and(|t| t.tag == CONTEXT_0));
        let serial = expect(tbs.get(skip), INTEGER)?;
        let issuer = expect(tbs.get(skip + 2), SEQUENCE)?;
        let spki = expect(tbs.get(skip + 5), SEQUENCE)?;
        Ok(Certificate {
            issuer: issuer.raw.to_vec(),
            serial: serial.raw.to_vec(),
            key: RsaPublicKey::from_public_key_der(spki.raw).ok(),
        })
    }

    fn issuer_and_serial(&self) -> Vec<u8> {
        seq(&[&self.issuer, &self.serial])
    }
}

/// Whether `data` is an X.509 certificate (ocicrypt's test for `pkcs7:` files).
pub fn is_certificate(data: &[u8]) -> bool {
    Certificate::parse(data).is_ok()
}

/// The `…enc.keys.pkcs7` annotation value for `opts`, readable by each of `recipients`.
pub fn wrap(opts: &PrivateOptions, recipients: &[Certificate]) -> Result<String> {
    let plaintext = crate::gojson::to_vec_compact(opts);
    let mut key = [0u8; 16];
    let mut nonce = [0u8; 12];
    OsRng.fill_bytes(&mut key);
    OsRng.fill_bytes(&mut nonce);
    let sealed = Aes128Gcm::new_from_slice(&key)
        .expect("a 16-byte key")
        .encrypt(Nonce::from_slice(&nonce), plaintext.as_slice())
        .map_err(|_| anyhow!("PKCS7: encryption failed"))?;
    let mut infos = Vec::new();
    for cert in recipients {
        let Some(public) = &cert.key else {
            bail!("pkcs7: only supports RSA keys");
        };
        let wrapped = public
            .encrypt(&mut OsRng, Pkcs1v15Encrypt, &key)
            .map_err(|e| anyhow!("PKCS7: {e}"))?;
        infos.push(seq(&[
            &encode(INTEGER, &[0]),
            &cert.issuer_and_serial(),
            &seq(&[&encode(OID, OID_RSA)]),
            &encode(OCTET_STRING, &wrapped),
        ]));
    }
    // The GCM parameters as ocicrypt's library writes them: a SEQUENCE {[4] nonce, 16}
    // inside a primitive-tagged SEQUENCE.
    let gcm_params = seq(&[&encode(0x84, &nonce), &encode(INTEGER, &[16])]);
    let content_info = seq(&[
        &encode(OID, OID_DATA),
        &seq(&[&encode(OID, OID_AES128_GCM), &encode(0x10, &gcm_params)]),
        &encode(CONTEXT_0, &encode(OCTET_STRING, &sealed)),
    ]);
    let enveloped = seq(&[
        &encode(INTEGER, &[0]),
        &encode(SET, &infos.concat()),
        &content_info,
    ]);
    let outer = seq(&[
        &encode(OID, OID_ENVELOPED_DATA),
        &encode(CONTEXT_0, &enveloped),
    ]);
    Ok(STANDARD.encode(outer))
}

/// The parts of an EnvelopedData a recipient needs.
struct Envelope<'a> {
    recipients: Vec<(Tlv<'a>, &'a [u8])>,
    algorithm: &'a [u8],
    params: Tlv<'a>,
    content: Vec<u8>,
}

fn parse_envelope(der: &[u8]) -> Result<Envelope<'_>> {
    let (outer, _) = read_tlv(der)?;
    let outer = children(expect(Some(&outer), SEQUENCE)?.content)?;
    if expect(outer.first(), OID)?.content != OID_ENVELOPED_DATA {
        bail!("pkcs7: only enveloped data is supported");
    }
    let inner = children(expect(outer.get(1), CONTEXT_0)?.content)?;
    let enveloped = children(expect(inner.first(), SEQUENCE)?.content)?;
    let mut recipients = Vec::new();
    for info in children(expect(enveloped.get(1), SET)?.content)? {
        let fields = children(expect(Some(&info), SEQUENCE)?.content)?;
        let ias = expect(fields.get(1), SEQUENCE)?;
        let key = expect(fields.get(3), OCTET_STRING)?;
        recipients.push((ias, key.content));
    }
    let eci = children(expect(enveloped.get(2), SEQUENCE)?.content)?;
    let alg = children(expect(eci.get(1), SEQUENCE)?.content)?;
    let algorithm = expect(alg.first(), OID)?.content;
    let params = *alg.get(1).ok_or_else(malformed)?;
    // The content: [0] IMPLICIT OCTET STRING, primitive or constructed (ocicrypt's form).
    let encrypted = eci.get(2).ok_or_else(malformed)?;
    let content = match encrypted.tag {
        0x80 => encrypted.content.to_vec(),
        CONTEXT_0 => children(encrypted.content)?
            .iter()
            .filter(|t| t.tag == OCTET_STRING)
            .flat_map(|t| t.content.iter().copied())
            .collect(),
        _ => return Err(malformed()),
    };
    Ok(Envelope {
        recipients,
        algorithm,
        params,
        content,
    })
}

/// The GCM nonce from ocicrypt's parameters or RFC 5084's GCMParameters.
fn gcm_nonce(params: Tlv<'_>) -> Result<Vec<u8>> {
    let mut inner = params.content;
    if let Ok((t, _)) = read_tlv(inner)
        && t.tag == SEQUENCE
    {
        inner = t.content;
    }
    let fields = children(inner)?;
    let nonce = fields
        .iter()
        .find(|t| t.tag == 0x84 || t.tag == OCTET_STRING)
        .ok_or_else(malformed)?;
    Ok(nonce.content.to_vec())
}

/// The private options in a layer's `…enc.keys.pkcs7` annotation, opened with the first
/// (private key, certificate) pair that can, as ocicrypt tries them.
pub fn unwrap(
    annotation: &str,
    keys: &[RsaPrivateKey],
    certs: &[Certificate],
) -> Result<PrivateOptions> {
    if keys.is_empty() {
        bail!("no private keys found for PKCS7 decryption");
    }
    if certs.is_empty() {
        bail!("no x509 certificates found needed for PKCS7 decryption");
    }
    let der = STANDARD
        .decode(annotation)
        .map_err(|e| anyhow!("could not parse PKCS7 packet: {e}"))?;
    let envelope =
        parse_envelope(&der).map_err(|e| anyhow!("could not parse PKCS7 packet: {e}"))?;
    for key in keys {
        for cert in certs {
            let ias = cert.issuer_and_serial();
            let Some((_, wrapped)) = envelope.recipients.iter().find(|(r, _)| r.raw == ias) else {
                continue;
            };
            let Ok(cek) = key.decrypt(Pkcs1v15Encrypt, wrapped) else {
                continue;
            };
            if let Some(plain) = open_content(&envelope, &cek) {
                return Ok(serde_json::from_slice(&plain)?);
            }
        }
    }
    bail!("PKCS7: No suitable private key found for decryption")
}

fn open_content(envelope: &Envelope<'_>, cek: &[u8]) -> Option<Vec<u8>> {
    let nonce = gcm_nonce(envelope.params).ok()?;
    if nonce.len() != 12 {
        return None;
    }
    match envelope.algorithm {
        OID_AES128_GCM => Aes128Gcm::new_from_slice(cek)
            .ok()?
            .decrypt(Nonce::from_slice(&nonce), envelope.content.as_slice())
            .ok(),
        OID_AES256_GCM => aes_gcm::Aes256Gcm::new_from_slice(cek)
            .ok()?
            .decrypt(Nonce::from_slice(&nonce), envelope.content.as_slice())
            .ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_encode_in_der_form() {
        assert_eq!(encode(0x04, &[1, 2]), vec![0x04, 2, 1, 2]);
        let long = encode(0x04, &[0; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let (tlv, rest) = read_tlv(&long).unwrap();
        assert_eq!(tlv.content.len(), 300);
        assert!(rest.is_empty());
        assert!(read_tlv(&[0x04, 0x82, 0x01]).is_err());
        assert!(read_tlv(&[0x04, 5, 1]).is_err());
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(!is_certificate(b"not a cert"));
        assert!(!is_certificate(
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        ));
    }
}
