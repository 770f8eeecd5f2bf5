//! The parts of X.509 that Fulcio verification needs (c/image's `verifyFulcioCertificateAtTime`
//! with Go's `x509.Certificate.Verify`): certificates read from PEM with a small DER reader,
//! a chain from the leaf through the given intermediates to a trusted CA — names, ECDSA
//! P-256 signatures, validity at one instant, CA flags, the code-signing key usage — and the
//! leaf's e-mail addresses and Fulcio OIDC issuer. Certificate signatures are ECDSA, RSA
//! (PKCS #1 v1.5) with SHA-256, SHA-384 or SHA-512, or Ed25519 (the public Fulcio root and
//! intermediate are P-384 with SHA-384). Chains are built as Go builds them (candidates by
//! name, key identifiers first; roots before intermediates), so a refusal names the same
//! candidate and reason as Go's `UnknownAuthorityError`.

use base64::Engine;

use super::public_key::{Hash, PublicKey};

use crate::der::{OID, SEQUENCE, expect, next};
const ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
const ECDSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04];
const RSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const RSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
const RSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
/// Go's `maxChainSignatureChecks`.
const MAX_SIGNATURE_CHECKS: usize = 100;
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
    /// Go's `Version` (1 to 3).
    version: u8,
    /// The serial number's big-endian bytes (Go names a nameless CA by it).
    serial: Vec<u8>,
    basic_constraints_valid: bool,
    is_ca: bool,
    /// The basic constraints' path length, if given (Go's `MaxPathLen` ≥ 0).
    max_path_len: Option<u64>,
    subject_key_id: Vec<u8>,
    authority_key_id: Vec<u8>,
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
        let mut version = 1;
        if first.tag == 0xa0 {
            let mut v = first.content;
            version = expect(&mut v, 0x02)?.content.last().map_or(1, |v| v + 1);
            first = next(&mut t)?; // the serial number
        }
        if first.tag != 0x02 {
            return None;
        }
        let serial = first.content.to_vec();
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
            version,
            serial,
            basic_constraints_valid: false,
            is_ca: false,
            max_path_len: None,
            subject_key_id: Vec::new(),
            authority_key_id: Vec::new(),
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
                self.basic_constraints_valid = true;
                let mut item = next(&mut body);
                if let Some(b) = item.as_ref().filter(|e| e.tag == 0x01) {
                    self.is_ca = b.content.first().is_some_and(|b| *b != 0);
                    item = next(&mut body);
                }
                if let Some(n) = item.filter(|e| e.tag == 0x02 && e.content.len() <= 8) {
                    let value = n.content.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b));
                    self.max_path_len = Some(value);
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
            OID_SUBJECT_KEY_ID => {
                let mut s = v;
                self.subject_key_id = expect(&mut s, 0x04)?.content.to_vec();
            }
            OID_AUTHORITY_KEY_ID => {
                let mut s = v;
                let mut body = expect(&mut s, SEQUENCE)?.content;
                if let Some(id) = next(&mut body).filter(|e| e.tag == 0x80) {
                    self.authority_key_id = id.content.to_vec();
                }
            }
            OID_NAME_CONSTRAINTS | OID_CERT_POLICIES => {}
            _ if critical => self.unhandled_critical = true,
            _ => {}
        }
        Some(())
    }

    /// Go's `CheckSignatureFrom`: whether `parent` may sign certificates and its key made
    /// this one's signature; the error is Go's text.
    fn check_signature_from(&self, parent: &Certificate) -> Result<(), String> {
        if (parent.version == 3 && !parent.basic_constraints_valid)
            || (parent.basic_constraints_valid && !parent.is_ca)
            || parent
                .key_usage
                .is_some_and(|u| u != 0 && u & (1 << 5) == 0)
        {
            return Err(
                "x509: invalid signature: parent certificate cannot sign this kind of certificate"
                    .into(),
            );
        }
        let (hash, wanted) = match self.signature_algorithm.as_slice() {
            ECDSA_SHA256 => (Hash::Sha256, "ECDSA"),
            ECDSA_SHA384 => (Hash::Sha384, "ECDSA"),
            ECDSA_SHA512 => (Hash::Sha512, "ECDSA"),
            RSA_SHA256 => (Hash::Sha256, "RSA"),
            RSA_SHA384 => (Hash::Sha384, "RSA"),
            RSA_SHA512 => (Hash::Sha512, "RSA"),
            ED25519 => (Hash::Sha512, "Ed25519"),
            _ => return Err("x509: cannot verify signature: algorithm unimplemented".into()),
        };
        let key = PublicKey::from_spki(&parent.spki)
            .map_err(|_| "x509: cannot verify signature: algorithm unimplemented".to_string())?;
        let (kind, go_type, failure) = match key {
            PublicKey::P256(_) | PublicKey::P384(_) => (
                "ECDSA",
                "*ecdsa.PublicKey",
                "x509: ECDSA verification failure",
            ),
            PublicKey::Rsa(_) => ("RSA", "*rsa.PublicKey", "crypto/rsa: verification error"),
            PublicKey::Ed25519(_) => (
                "Ed25519",
                "ed25519.PublicKey",
                "x509: Ed25519 verification failure",
            ),
        };
        if kind != wanted {
            return Err(format!(
                "x509: signature algorithm specifies an {wanted} public key, but have public key of type {go_type}"
            ));
        }
        if key.verifies(hash, &self.tbs, &self.signature) {
            Ok(())
        } else {
            Err(failure.into())
        }
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
        self.subject_attribute(&[0x55, 0x04, 0x03]).pop()
    }

    /// Every value of the subject attribute `oid`, in order.
    fn subject_attribute(&self, oid: &[u8]) -> Vec<String> {
        let mut values = Vec::new();
        let mut outer = self.subject.as_slice();
        let Some(mut rdns) = expect(&mut outer, SEQUENCE).map(|s| s.content) else {
            return values;
        };
        while let Some(set) = next(&mut rdns) {
            let mut attrs = set.content;
            while let Some(attr) = expect(&mut attrs, SEQUENCE) {
                let mut a = attr.content;
                if expect(&mut a, OID).is_some_and(|o| o.content == oid)
                    && let Some(v) = next(&mut a)
                {
                    values.push(String::from_utf8_lossy(v.content).into_owned());
                }
            }
        }
        values
    }

    /// Go's `Verify` for a code-signing leaf at `now`: a chain through `intermediates` to one
    /// of `roots`. The error is Go's text.
    pub fn verify_chain(
        &self,
        intermediates: &[&Certificate],
        roots: &[Certificate],
        now: i64,
    ) -> Result<(), String> {
        self.is_valid(Role::Leaf, &[], now)?;
        let chains = if roots.iter().any(|r| r.der == self.der) {
            vec![vec![self]]
        } else {
            let pools = Pools {
                roots: roots.iter().collect(),
                intermediates,
                now,
            };
            self.build_chains(&[self], &pools, &mut 0)?
        };
        // Go's checkChainForKeyUsage, for the one usage asked for.
        if chains
            .iter()
            .any(|chain| chain.iter().all(|c| c.allows_code_signing()))
        {
            Ok(())
        } else {
            Err("x509: certificate specifies an incompatible key usage".into())
        }
    }

    /// Go's `isValid`: what a certificate in `role` must be, below `chain` (leaf first).
    fn is_valid(&self, role: Role, chain: &[&Certificate], now: i64) -> Result<(), String> {
        if self.unhandled_critical {
            return Err("x509: unhandled critical extension".into());
        }
        self.check_validity(now)?;
        if role == Role::Intermediate && !(self.basic_constraints_valid && self.is_ca) {
            return Err("x509: certificate is not authorized to sign other certificates".into());
        }
        let intermediates_below = chain.len().saturating_sub(1) as u64;
        if self.basic_constraints_valid
            && self.max_path_len.is_some_and(|m| intermediates_below > m)
        {
            return Err("x509: too many intermediates for path length constraint".into());
        }
        Ok(())
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

    /// Go's `buildChains` from this certificate, the last of `chain`: every chain to a root,
    /// or the error Go reports — the last failure below an intermediate, else an unknown
    /// authority naming the first candidate that failed and why.
    fn build_chains<'a>(
        &'a self,
        chain: &[&'a Certificate],
        pools: &Pools<'a>,
        signature_checks: &mut usize,
    ) -> Result<Vec<Vec<&'a Certificate>>, String> {
        let mut chains = Vec::new();
        let mut error = None;
        let mut hint: Option<(String, &Certificate)> = None;
        let candidates = self
            .potential_parents(&pools.roots)
            .into_iter()
            .map(|c| (Role::Root, c))
            .chain(
                self.potential_parents(pools.intermediates)
                    .into_iter()
                    .map(|c| (Role::Intermediate, c)),
            );
        for (role, candidate) in candidates {
            if chain.iter().any(|c| c.same_as(candidate)) {
                continue;
            }
            *signature_checks += 1;
            if *signature_checks > MAX_SIGNATURE_CHECKS {
                error = Some(
                    "x509: signature check attempts limit reached while verifying certificate chain"
                        .to_string(),
                );
                continue;
            }
            let checked = self
                .check_signature_from(candidate)
                .and_then(|()| candidate.is_valid(role, chain, pools.now));
            if let Err(e) = checked {
                hint.get_or_insert((e, candidate));
                continue;
            }
            let longer = [chain, &[candidate]].concat();
            if role == Role::Root {
                chains.push(longer);
                continue;
            }
            match candidate.build_chains(&longer, pools, signature_checks) {
                Ok(found) => {
                    chains.extend(found);
                    error = None;
                }
                Err(e) => error = Some(e),
            }
        }
        if !chains.is_empty() {
            return Ok(chains);
        }
        Err(error.unwrap_or_else(|| unknown_authority(hint)))
    }

    /// Go's `findPotentialParents`: the certificates named as this one's issuer, those whose
    /// key identifier matches first, then those where only one side has one, then the rest.
    fn potential_parents<'a>(&self, pool: &[&'a Certificate]) -> Vec<&'a Certificate> {
        let mut named: Vec<&Certificate> = pool
            .iter()
            .copied()
            .filter(|c| c.subject == self.issuer)
            .collect();
        named.sort_by_key(|c| {
            if c.subject_key_id == self.authority_key_id {
                0
            } else if c.subject_key_id.is_empty() != self.authority_key_id.is_empty() {
                1
            } else {
                2
            }
        });
        named
    }

    /// Go's `alreadyInChain`: the same subject, key and alternative names.
    fn same_as(&self, other: &Certificate) -> bool {
        self.subject == other.subject
            && self.spki == other.spki
            && self.extension_values(OID_SAN) == other.extension_values(OID_SAN)
    }

    /// How Go names a candidate CA: its common name, else its first organization, else
    /// its serial number.
    fn go_name(&self) -> String {
        if let Some(cn) = self.common_name().filter(|cn| !cn.is_empty()) {
            return cn;
        }
        if let Some(o) = self
            .subject_attribute(&[0x55, 0x04, 0x0a])
            .into_iter()
            .next()
        {
            return o;
        }
        format!("serial:{}", decimal(&self.serial))
    }
}

/// Where a certificate sits in a chain being built (Go's certificate types).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Leaf,
    Intermediate,
    Root,
}

/// The certificates a chain may be built from, and the instant it must hold at.
struct Pools<'a> {
    roots: Vec<&'a Certificate>,
    intermediates: &'a [&'a Certificate],
    now: i64,
}

/// Go's `UnknownAuthorityError` text, with the first candidate that failed, if any.
fn unknown_authority(hint: Option<(String, &Certificate)>) -> String {
    let base = "x509: certificate signed by unknown authority";
    match hint {
        None => base.to_string(),
        Some((error, candidate)) => format!(
            "{base} (possibly because of {} while trying to verify candidate authority certificate {})",
            crate::go::text::go_quote(&error),
            crate::go::text::go_quote(&candidate.go_name())
        ),
    }
}

/// A big-endian unsigned integer in decimal (Go's `big.Int.String` for a serial number).
fn decimal(bytes: &[u8]) -> String {
    let mut digits = vec![0u8];
    for byte in bytes {
        let mut carry = u32::from(*byte);
        for d in digits.iter_mut() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
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
