//! The parts of X.509 that Fulcio verification needs (c/image's `verifyFulcioCertificateAtTime`
//! with Go's `x509.Certificate.Verify`): certificates read from PEM with a small DER reader,
//! a chain from the leaf through the given intermediates to a trusted CA — names, ECDSA
//! P-256 signatures, validity at one instant, CA flags, the code-signing key usage — and the
//! leaf's e-mail addresses and Fulcio OIDC issuer. Certificate signatures are ECDSA with
//! SHA-256, SHA-384 or SHA-512 by P-256 or P-384 keys (the public Fulcio root and
//! intermediate are P-384 with SHA-384); other key types are not supported.

use base64::Engine;

use super::public_key::{Hash, PublicKey};

use crate::der::{OID, SEQUENCE, expect, next};
const ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
const ECDSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];
const OID_EKU: &[u8] = &[0x55, 0x1d, 0x25];
const OID_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
const OID_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
/// Extensions Go understands (a critical one of these does not stop verification).
const OID_SUBJECT_KEY_ID: &[u8] = &[0x55, 0x1d, 0x0e];
const OID_AUTHORITY_KEY_ID: &[u8] = &[0x55, 0x1d, 0x23];
const OID_NAME_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x1e];
const OID_CERT_POLICIES: &[u8] = &[0x55, 0x1d, 0x20];
const EKU_CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];
const EKU_ANY: &[u8] = &[0x55, 0x1d, 0x25, 0x00];
/// Fulcio's OIDC issuer extensions: v1 (1.3.6.1.4.1.57264.1.1, the raw string) and v2
/// (1.3.6.1.4.1.57264.1.8, a DER UTF8String).
const OID_FULCIO_ISSUER_V1: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x01];
const OID_FULCIO_ISSUER_V2: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x08];

/// A parsed certificate; `der` is kept for comparisons.
pub struct Certificate {
    pub der: Vec<u8>,
    tbs: Vec<u8>,
    signature_algorithm: Vec<u8>,
    signature: Vec<u8>,
    issuer: Vec<u8>,
    subject: Vec<u8>,
    not_before: i64,
    not_after: i64,
    /// The SubjectPublicKeyInfo, whole.
    pub spki: Vec<u8>,
    is_ca: bool,
    /// keyUsage bits, if the extension is there.
    key_usage: Option<u16>,
    /// Extended key usages (OIDs), if the extension is there.
    ext_key_usage: Option<Vec<Vec<u8>>>,
    pub emails: Vec<String>,
    /// DNS names and IP addresses (4 or 16 bytes) of the subject alternative names.
    dns_names: Vec<String>,
    ip_addresses: Vec<Vec<u8>>,
    extensions: Vec<(Vec<u8>, Vec<u8>)>,
    unhandled_critical: bool,
}

/// PEM blocks of `label` in `text`, decoded.
pub fn pem_blocks(text: &[u8], label: &str) -> Result<Vec<Vec<u8>>, String> {
    let text = String::from_utf8_lossy(text);
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest: &str = &text;
    while let Some(start) = rest.find(&begin) {
        let after = &rest[start + begin.len()..];
        let Some(stop) = after.find(&end) else {
            return Err("unterminated PEM block".to_string());
        };
        let body: String = after[..stop].split_whitespace().collect();
        out.push(
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .map_err(|e| format!("decoding PEM: {e}"))?,
        );
        rest = &after[stop + end.len()..];
    }
    Ok(out)
}

/// Every certificate in a PEM text (sigstore's `UnmarshalCertificatesFromPEM`).
pub fn certificates_from_pem(text: &[u8]) -> Result<Vec<Certificate>, String> {
    pem_blocks(text, "CERTIFICATE")?
        .into_iter()
        .map(|der| {
            Certificate::parse(&der).ok_or_else(|| "x509: malformed certificate".to_string())
        })
        .collect()
}

impl Certificate {
    pub fn parse(der: &[u8]) -> Option<Certificate> {
        let mut input = der;
        let cert = expect(&mut input, SEQUENCE)?;
        let mut c = cert.content;
        let tbs = expect(&mut c, SEQUENCE)?;
        let mut alg = expect(&mut c, SEQUENCE)?.content;
        let signature_algorithm = expect(&mut alg, OID)?.content.to_vec();
        let bits = expect(&mut c, 0x03)?.content;
        let (&unused, signature) = bits.split_first()?;
        if unused != 0 {
            return None;
        }
        let mut t = tbs.content;
        let mut first = next(&mut t)?;
        if first.tag == 0xa0 {
            first = next(&mut t)?; // version; then the serial number
        }
        if first.tag != 0x02 {
            return None;
        }
        expect(&mut t, SEQUENCE)?; // signature algorithm, again
        let issuer = expect(&mut t, SEQUENCE)?.whole.to_vec();
        let mut validity = expect(&mut t, SEQUENCE)?.content;
        let not_before = crate::der::time(&next(&mut validity)?)?;
        let not_after = crate::der::time(&next(&mut validity)?)?;
        let subject = expect(&mut t, SEQUENCE)?.whole.to_vec();
        let spki = expect(&mut t, SEQUENCE)?.whole.to_vec();
        let mut cert = Certificate {
            der: cert.whole.to_vec(),
            tbs: tbs.whole.to_vec(),
            signature_algorithm,
            signature: signature.to_vec(),
            issuer,
            subject,
            not_before,
            not_after,
            spki,
            is_ca: false,
            key_usage: None,
            ext_key_usage: None,
            emails: Vec::new(),
            dns_names: Vec::new(),
            ip_addresses: Vec::new(),
            extensions: Vec::new(),
            unhandled_critical: false,
        };
        while let Some(e) = next(&mut t) {
            if e.tag != 0xa3 {
                continue; // unique identifiers
            }
            let mut wrapper = e.content;
            let mut exts = expect(&mut wrapper, SEQUENCE)?.content;
            while let Some(ext) = expect(&mut exts, SEQUENCE) {
                cert.read_extension(ext.content)?;
            }
        }
        Some(cert)
    }

    fn read_extension(&mut self, mut ext: &[u8]) -> Option<()> {
        let oid = expect(&mut ext, OID)?.content;
        let mut value = next(&mut ext)?;
        let mut critical = false;
        if value.tag == 0x01 {
            critical = value.content.first().is_some_and(|b| *b != 0);
            value = next(&mut ext)?;
        }
        if value.tag != 0x04 {
            return None;
        }
        let v = value.content;
        self.extensions.push((oid.to_vec(), v.to_vec()));
        match oid {
            OID_BASIC_CONSTRAINTS => {
                let mut s = v;
                let mut body = expect(&mut s, SEQUENCE)?.content;
                if let Some(b) = next(&mut body).filter(|e| e.tag == 0x01) {
                    self.is_ca = b.content.first().is_some_and(|b| *b != 0);
                }
            }
            OID_KEY_USAGE => {
                let mut s = v;
                let bits = expect(&mut s, 0x03)?.content;
                let (_, bytes) = bits.split_first()?;
                let mut usage = 0u16;
                for (i, b) in bytes.iter().take(2).enumerate() {
                    for bit in 0..8 {
                        if b & (0x80 >> bit) != 0 {
                            usage |= 1 << (i * 8 + bit);
                        }
                    }
                }
                self.key_usage = Some(usage);
            }
            OID_EKU => {
                let mut s = v;
                let mut list = expect(&mut s, SEQUENCE)?.content;
                let mut ekus = Vec::new();
                while let Some(o) = expect(&mut list, OID) {
                    ekus.push(o.content.to_vec());
                }
                self.ext_key_usage = Some(ekus);
            }
            OID_SAN => {
                let mut s = v;
                let mut names = expect(&mut s, SEQUENCE)?.content;
                while let Some(n) = next(&mut names) {
                    match n.tag {
                        0x81 => self
                            .emails
                            .push(String::from_utf8_lossy(n.content).into_owned()),
                        0x82 => self
                            .dns_names
                            .push(String::from_utf8_lossy(n.content).into_owned()),
                        0x87 => self.ip_addresses.push(n.content.to_vec()),
                        _ => {}
                    }
                }
            }
            OID_SUBJECT_KEY_ID | OID_AUTHORITY_KEY_ID | OID_NAME_CONSTRAINTS
            | OID_CERT_POLICIES => {}
            _ if critical => self.unhandled_critical = true,
            _ => {}
        }
        Some(())
    }

    /// Whether `parent`'s key made this certificate's signature.
    fn signed_by(&self, parent: &Certificate) -> bool {
        let hash = match self.signature_algorithm.as_slice() {
            ECDSA_SHA256 => Hash::Sha256,
            ECDSA_SHA384 => Hash::Sha384,
            ECDSA_SHA512 => Hash::Sha512,
            _ => return false,
        };
        PublicKey::from_spki(&parent.spki)
            .is_ok_and(|key| key.verifies(hash, &self.tbs, &self.signature))
    }

    fn allows_code_signing(&self) -> bool {
        match &self.ext_key_usage {
            None => true,
            Some(list) => list.iter().any(|o| o == EKU_CODE_SIGNING || o == EKU_ANY),
        }
    }

    /// The value of the extension `oid`, every time it appears.
    fn extension_values(&self, oid: &[u8]) -> Vec<&[u8]> {
        self.extensions
            .iter()
            .filter(|(o, _)| o == oid)
            .map(|(_, v)| v.as_slice())
            .collect()
    }

    /// c/image's `fulcioIssuerInCertificate`.
    pub fn fulcio_issuer(&self) -> Result<String, String> {
        let v1 = self.extension_values(OID_FULCIO_ISSUER_V1);
        let v2 = self.extension_values(OID_FULCIO_ISSUER_V2);
        if v1.len() > 1 {
            return Err("Fulcio certificate has a duplicate OIDC issuer v1 extension".into());
        }
        if v2.len() > 1 {
            return Err("Fulcio certificate has a duplicate OIDC issuer v2 extension".into());
        }
        let v1 = v1.first().map(|v| String::from_utf8_lossy(v).into_owned());
        let v2 = match v2.first() {
            None => None,
            Some(v) => {
                let mut v = *v;
                let s = expect(&mut v, 0x0c).ok_or_else(|| {
                    "invalid ASN.1 in OIDC issuer v2 extension: asn1: structure error".to_string()
                })?;
                if !v.is_empty() {
                    return Err("invalid ASN.1 in OIDC issuer v2 extension, trailing data".into());
                }
                Some(String::from_utf8_lossy(s.content).into_owned())
            }
        };
        match (v1, v2) {
            (Some(a), Some(b)) if a != b => Err(format!(
                "inconsistent OIDC issuer extension values: v1 {}, v2 {}",
                crate::gotext::go_quote(&a),
                crate::gotext::go_quote(&b)
            )),
            (Some(a), _) | (None, Some(a)) => Ok(a),
            (None, None) => Err("Fulcio certificate is missing the issuer extension".into()),
        }
    }

    /// Go's `VerifyHostname`: `host` among the DNS names (a `*` first label matching one
    /// label) or, for an IP address, among the IP addresses. The error is Go's text.
    pub fn verify_hostname(&self, host: &str) -> Result<(), String> {
        let candidate_ip = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if let Ok(ip) = candidate_ip.parse::<std::net::IpAddr>() {
            let ip = ip_bytes(ip);
            if self.ip_addresses.iter().any(|a| ip_bytes_of(a) == Some(ip)) {
                return Ok(());
            }
            return Err(self.hostname_error(candidate_ip, true));
        }
        let name = host.to_ascii_lowercase();
        let valid_name = valid_hostname(&name, false);
        let matched = self.dns_names.iter().any(|pattern| {
            if valid_name && valid_hostname(pattern, true) {
                match_hostnames(pattern, &name)
            } else {
                !pattern.is_empty() && !name.is_empty() && pattern.to_ascii_lowercase() == name
            }
        });
        if matched {
            Ok(())
        } else {
            Err(self.hostname_error(host, false))
        }
    }

    /// Go's `HostnameError` text.
    fn hostname_error(&self, host: &str, is_ip: bool) -> String {
        let has_san = self.extensions.iter().any(|(o, _)| o == OID_SAN);
        if !has_san
            && self
                .common_name()
                .is_some_and(|cn| match_hostnames(&cn, host))
        {
            return "x509: certificate relies on legacy Common Name field, use SANs instead".into();
        }
        let valid = if is_ip {
            if self.ip_addresses.is_empty() {
                return format!(
                    "x509: cannot validate certificate for {host} because it doesn't contain any IP SANs"
                );
            }
            let ips: Vec<String> = self
                .ip_addresses
                .iter()
                .filter_map(|a| ip_bytes_of(a))
                .map(|a| go_ip_string(&a))
                .collect();
            ips.join(", ")
        } else {
            self.dns_names.join(", ")
        };
        if valid.is_empty() {
            return format!(
                "x509: certificate is not valid for any names, but wanted to match {host}"
            );
        }
        format!("x509: certificate is valid for {valid}, not {host}")
    }

    /// The subject's (last) common name.
    fn common_name(&self) -> Option<String> {
        let mut outer = self.subject.as_slice();
        let mut rdns = expect(&mut outer, SEQUENCE)?.content;
        let mut cn = None;
        while let Some(set) = next(&mut rdns) {
            let mut attrs = set.content;
            while let Some(attr) = expect(&mut attrs, SEQUENCE) {
                let mut a = attr.content;
                if expect(&mut a, OID).is_some_and(|o| o.content == [0x55, 0x04, 0x03])
                    && let Some(v) = next(&mut a)
                {
                    cn = Some(String::from_utf8_lossy(v.content).into_owned());
                }
            }
        }
        cn
    }

    /// Go's `Verify` for a code-signing leaf at `now`: a chain through `intermediates` to one
    /// of `roots`. The error is Go's text.
    pub fn verify_chain(
        &self,
        intermediates: &[&Certificate],
        roots: &[Certificate],
        now: i64,
    ) -> Result<(), String> {
        if self.unhandled_critical {
            return Err("x509: unhandled critical extension".into());
        }
        self.check_validity(now)?;
        let mut found_any = false;
        if self.reaches_root(intermediates, roots, now, 0, &mut found_any) {
            if !self.allows_code_signing() {
                return Err("x509: certificate specifies an incompatible key usage".into());
            }
            return Ok(());
        }
        Err("x509: certificate signed by unknown authority".into())
    }

    fn check_validity(&self, now: i64) -> Result<(), String> {
        if now < self.not_before {
            return Err(format!(
                "x509: certificate has expired or is not yet valid: current time {} is before {}",
                rfc3339(now),
                rfc3339(self.not_before)
            ));
        }
        if now > self.not_after {
            return Err(format!(
                "x509: certificate has expired or is not yet valid: current time {} is after {}",
                rfc3339(now),
                rfc3339(self.not_after)
            ));
        }
        Ok(())
    }

    /// Whether a valid issuer path leads from this certificate to a root.
    fn reaches_root(
        &self,
        intermediates: &[&Certificate],
        roots: &[Certificate],
        now: i64,
        depth: usize,
        found: &mut bool,
    ) -> bool {
        if depth > 8 {
            return false;
        }
        let can_issue = |p: &Certificate| {
            p.subject == self.issuer
                && p.is_ca
                && p.key_usage.is_none_or(|u| u & (1 << 5) != 0)
                && p.allows_code_signing()
                && self.signed_by(p)
        };
        if roots
            .iter()
            .any(|r| can_issue(r) && r.check_validity(now).is_ok())
        {
            *found = true;
            return true;
        }
        intermediates.iter().any(|i| {
            i.der != self.der
                && can_issue(i)
                && i.check_validity(now).is_ok()
                && !i.unhandled_critical
                && i.reaches_root(intermediates, roots, now, depth + 1, found)
        })
    }
}

/// A P-256 key from a SubjectPublicKeyInfo.
pub fn p256_key(spki: &[u8]) -> Result<p256::ecdsa::VerifyingKey, String> {
    let point = spki
        .strip_prefix(super::sigstore::P256_SPKI_PREFIX)
        .ok_or_else(|| "only ECDSA P-256 keys are supported".to_string())?;
    p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|e| e.to_string())
}

/// An address as 16 bytes (IPv4 mapped), as Go's `net.IP.Equal` compares them.
fn ip_bytes(ip: std::net::IpAddr) -> [u8; 16] {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        std::net::IpAddr::V6(v6) => v6.octets(),
    }
}

fn ip_bytes_of(raw: &[u8]) -> Option<[u8; 16]> {
    match raw.len() {
        4 => Some(ip_bytes(std::net::IpAddr::from(
            <[u8; 4]>::try_from(raw).ok()?,
        ))),
        16 => Some(<[u8; 16]>::try_from(raw).ok()?),
        _ => None,
    }
}

/// Go's `net.IP.String` (IPv4-mapped addresses in dotted form).
fn go_ip_string(ip: &[u8; 16]) -> String {
    let v6 = std::net::Ipv6Addr::from(*ip);
    match v6.to_ipv4_mapped() {
        Some(v4) => v4.to_string(),
        None => v6.to_string(),
    }
}

/// Go's `validHostname`: labels of letters, digits, `-` (not first) and `_`; a pattern may
/// start with a `*` label; a host name may end with a dot.
fn valid_hostname(host: &str, is_pattern: bool) -> bool {
    let host = if is_pattern {
        host
    } else {
        host.strip_suffix('.').unwrap_or(host)
    };
    if host.is_empty() || host == "*" {
        return false;
    }
    host.split('.').enumerate().all(|(i, part)| {
        !part.is_empty()
            && ((is_pattern && i == 0 && part == "*")
                || part
                    .char_indices()
                    .all(|(j, c)| c.is_ascii_alphanumeric() || (c == '-' && j != 0) || c == '_'))
    })
}

/// Go's `matchHostnames`: label by label, case-insensitively, `*` matching one first label.
fn match_hostnames(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host);
    if pattern.is_empty() || host.is_empty() {
        return false;
    }
    let (p, h): (Vec<&str>, Vec<&str>) = (pattern.split('.').collect(), host.split('.').collect());
    p.len() == h.len()
        && p.iter()
            .zip(&h)
            .enumerate()
            .all(|(i, (p, h))| (i == 0 && *p == "*") || p == h)
}

/// Go's `time.Time.Format(time.RFC3339)` in the local zone (c/image's times are local).
fn rfc3339(secs: i64) -> String {
    use chrono::{Local, TimeZone};
    match Local.timestamp_opt(secs, 0) {
        chrono::LocalResult::Single(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        _ => secs.to_string(),
    }
}
