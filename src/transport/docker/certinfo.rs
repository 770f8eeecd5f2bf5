//! The few facts of an X.509 certificate that Go's verifier looks at before (or instead of)
//! building a chain — validity period, names, extended key usage, issuer and key — read from
//! the DER with a small reader, and Go's host name rules and error wording on top of them.
//!
//! webpki refuses every `CA:TRUE` certificate used as a server's own; Go accepts one that is
//! itself trusted. These facts let the verifier in `tls.rs` accept what Go accepts while
//! still checking what Go checks, and word refusals as Go does.

use std::net::IpAddr;

use crate::der::{OID, SEQUENCE, expect, next};
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];
const OID_EKU: &[u8] = &[0x55, 0x1d, 0x25];
const OID_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
const EKU_SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
const EKU_ANY: &[u8] = &[0x55, 0x1d, 0x25, 0x00];

/// What the verifier needs of one certificate.
#[derive(Debug, Default)]
pub struct CertFacts<'a> {
    /// The signed part, as signed.
    pub tbs: &'a [u8],
    /// The contents of the outer signature AlgorithmIdentifier.
    pub signature_alg: &'a [u8],
    pub signature: &'a [u8],
    pub issuer: &'a [u8],
    pub subject: &'a [u8],
    /// The subjectPublicKeyInfo's algorithm (contents) and key bits.
    pub key_alg: &'a [u8],
    pub key: &'a [u8],
    /// Seconds since the epoch.
    pub not_before: i64,
    pub not_after: i64,
    pub has_san: bool,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
    pub common_name: String,
    /// `None` without the extension; else the purposes it lists (OIDs).
    pub ext_key_usage: Option<Vec<&'a [u8]>>,
    pub is_ca: bool,
}

impl<'a> CertFacts<'a> {
    /// The facts of a DER certificate; `None` when it cannot be read.
    pub fn parse(der: &'a [u8]) -> Option<CertFacts<'a>> {
        let mut input = der;
        let mut cert = expect(&mut input, SEQUENCE)?.content;
        let tbs = expect(&mut cert, SEQUENCE)?;
        let signature_alg = expect(&mut cert, SEQUENCE)?.content;
        let signature = expect(&mut cert, 0x03)?.content.get(1..)?;
        let mut t = tbs.content;
        let mut first = next(&mut t)?;
        if first.tag == 0xa0 {
            first = next(&mut t)?; // the version came first; this is the serial
        }
        if first.tag != 0x02 {
            return None;
        }
        expect(&mut t, SEQUENCE)?; // signature algorithm, again
        let issuer = expect(&mut t, SEQUENCE)?.whole;
        let mut validity = expect(&mut t, SEQUENCE)?.content;
        let not_before = crate::der::time(&next(&mut validity)?)?;
        let not_after = crate::der::time(&next(&mut validity)?)?;
        let subject = expect(&mut t, SEQUENCE)?;
        let mut spki = expect(&mut t, SEQUENCE)?.content;
        let key_alg = expect(&mut spki, SEQUENCE)?.content;
        let key = expect(&mut spki, 0x03)?.content.get(1..)?;
        let mut facts = CertFacts {
            tbs: tbs.whole,
            signature_alg,
            signature,
            issuer,
            subject: subject.whole,
            key_alg,
            key,
            not_before,
            not_after,
            common_name: common_name(subject.content).unwrap_or_default(),
            ..CertFacts::default()
        };
        while let Some(e) = next(&mut t) {
            if e.tag == 0xa3 {
                let mut exts = e.content;
                let mut list = expect(&mut exts, SEQUENCE)?.content;
                while let Some(ext) = next(&mut list) {
                    facts.read_extension(ext.content)?;
                }
            }
        }
        Some(facts)
    }

    fn read_extension(&mut self, mut ext: &'a [u8]) -> Option<()> {
        let oid = expect(&mut ext, OID)?.content;
        let mut value = next(&mut ext)?;
        if value.tag == 0x01 {
            value = next(&mut ext)?; // "critical"
        }
        let mut inner = value.content;
        match oid {
            OID_SAN => {
                self.has_san = true;
                let mut names = expect(&mut inner, SEQUENCE)?.content;
                while let Some(n) = next(&mut names) {
                    match n.tag {
                        0x82 => self
                            .dns_names
                            .push(String::from_utf8_lossy(n.content).into_owned()),
                        0x87 => {
                            if let Ok(v4) = <[u8; 4]>::try_from(n.content) {
                                self.ip_addresses.push(IpAddr::from(v4));
                            } else if let Ok(v6) = <[u8; 16]>::try_from(n.content) {
                                self.ip_addresses.push(IpAddr::from(v6));
                            }
                        }
                        _ => {}
                    }
                }
            }
            OID_EKU => {
                let mut purposes = expect(&mut inner, SEQUENCE)?.content;
                let mut list = Vec::new();
                while let Some(p) = next(&mut purposes) {
                    list.push(p.content);
                }
                self.ext_key_usage = Some(list);
            }
            OID_BASIC_CONSTRAINTS => {
                let mut bc = expect(&mut inner, SEQUENCE)?.content;
                if let Some(b) = next(&mut bc).filter(|b| b.tag == 0x01) {
                    self.is_ca = b.content.first().is_some_and(|&v| v != 0);
                }
            }
            _ => {}
        }
        Some(())
    }

    /// Go's leaf checks before the chain, in Go's order: the validity period, the extended
    /// key usage, then the host name. The error is Go's text.
    pub fn check_leaf(&self, host: &str, now: i64) -> Result<(), String> {
        self.check_validity(now)?;
        if let Some(ekus) = &self.ext_key_usage
            && !ekus.iter().any(|u| *u == EKU_SERVER_AUTH || *u == EKU_ANY)
        {
            return Err("x509: certificate specifies an incompatible key usage".into());
        }
        self.verify_hostname(host)
    }

    pub fn check_validity(&self, now: i64) -> Result<(), String> {
        if now < self.not_before {
            return Err(format!(
                "x509: certificate has expired or is not yet valid: current time {} is before {}",
                rfc3339_local(now),
                rfc3339_utc(self.not_before)
            ));
        }
        if now > self.not_after {
            return Err(format!(
                "x509: certificate has expired or is not yet valid: current time {} is after {}",
                rfc3339_local(now),
                rfc3339_utc(self.not_after)
            ));
        }
        Ok(())
    }

    /// Go's `VerifyHostname`: an IP against the IP names only; a host name against the DNS
    /// names (a leading `*` label matching one label), never the common name.
    pub fn verify_hostname(&self, host: &str) -> Result<(), String> {
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if let Ok(ip) = bare.parse::<IpAddr>() {
            if self
                .ip_addresses
                .iter()
                .any(|c| c.to_canonical() == ip.to_canonical())
            {
                return Ok(());
            }
            return Err(self.hostname_error(bare, true));
        }
        let candidate = host.to_ascii_lowercase();
        let valid_candidate = valid_hostname(&candidate, false);
        for pattern in &self.dns_names {
            let ok = if valid_candidate && valid_hostname(pattern, true) {
                match_hostnames(pattern, &candidate)
            } else {
                match_exactly(pattern, &candidate)
            };
            if ok {
                return Ok(());
            }
        }
        Err(self.hostname_error(host, false))
    }

    fn hostname_error(&self, host: &str, is_ip: bool) -> String {
        if !self.has_san && match_hostnames(&self.common_name, host) {
            return "x509: certificate relies on legacy Common Name field, use SANs instead".into();
        }
        let valid = if is_ip {
            if self.ip_addresses.is_empty() {
                return format!(
                    "x509: cannot validate certificate for {host} because it doesn't contain any IP SANs"
                );
            }
            let ips: Vec<String> = self.ip_addresses.iter().map(go_ip).collect();
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
}

/// Go prints an IPv4-mapped address as IPv4.
fn go_ip(ip: &IpAddr) -> String {
    ip.to_canonical().to_string()
}

/// The last common name of a subject (Go keeps the last one it reads).
fn common_name(mut rdns: &[u8]) -> Option<String> {
    let mut found = None;
    while let Some(set) = next(&mut rdns) {
        let mut atvs = set.content;
        while let Some(atv) = next(&mut atvs) {
            let mut a = atv.content;
            if expect(&mut a, OID).is_some_and(|o| o.content == OID_COMMON_NAME)
                && let Some(v) = next(&mut a)
            {
                found = Some(String::from_utf8_lossy(v.content).into_owned());
            }
        }
    }
    found
}

fn valid_hostname(host: &str, is_pattern: bool) -> bool {
    let host = if is_pattern {
        host
    } else {
        host.strip_suffix('.').unwrap_or(host)
    };
    if host.is_empty() {
        return false;
    }
    host.split('.').enumerate().all(|(i, part)| {
        if part.is_empty() {
            return false;
        }
        if is_pattern && i == 0 && part == "*" {
            return true;
        }
        part.chars()
            .enumerate()
            .all(|(j, c)| c.is_ascii_alphanumeric() || (c == '-' && j != 0) || c == '_')
    })
}

fn match_exactly(a: &str, b: &str) -> bool {
    if a.is_empty() || a == "." || b.is_empty() || b == "." {
        return false;
    }
    a.eq_ignore_ascii_case(b)
}

fn match_hostnames(pattern: &str, host: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host);
    if pattern.is_empty() || host.is_empty() {
        return false;
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let h: Vec<&str> = host.split('.').collect();
    p.len() == h.len()
        && p.iter()
            .zip(&h)
            .enumerate()
            .all(|(i, (pp, hp))| (i == 0 && *pp == "*") || pp == hp)
}

/// Go's `time.RFC3339` of the current time (local zone, `Z` when it is UTC).
fn rfc3339_local(secs: i64) -> String {
    use chrono::TimeZone;
    match chrono::Local.timestamp_opt(secs, 0).single() {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        None => rfc3339_utc(secs),
    }
}

/// Go's `time.RFC3339` of a certificate time (always UTC).
fn rfc3339_utc(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der::Element;

    fn facts(dns: &[&str], ips: &[&str], cn: &str, has_san: bool) -> CertFacts<'static> {
        CertFacts {
            dns_names: dns.iter().map(|s| s.to_string()).collect(),
            ip_addresses: ips.iter().map(|s| s.parse().unwrap()).collect(),
            common_name: cn.into(),
            has_san,
            not_before: 0,
            not_after: 100,
            ..CertFacts::default()
        }
    }

    #[test]
    fn host_names_as_go_matches_them() {
        let c = facts(&["*.example.com", "reg.test"], &["127.0.0.1"], "", true);
        assert!(c.verify_hostname("a.example.com").is_ok());
        assert!(c.verify_hostname("A.Example.COM").is_ok());
        assert!(c.verify_hostname("reg.test.").is_ok());
        assert!(c.verify_hostname("127.0.0.1").is_ok());
        assert!(c.verify_hostname("[127.0.0.1]").is_ok());
        assert_eq!(
            c.verify_hostname("a.b.example.com").unwrap_err(),
            "x509: certificate is valid for *.example.com, reg.test, not a.b.example.com"
        );
        assert_eq!(
            c.verify_hostname("127.0.0.2").unwrap_err(),
            "x509: certificate is valid for 127.0.0.1, not 127.0.0.2"
        );
        let dns_only = facts(&["localhost"], &[], "", true);
        assert_eq!(
            dns_only.verify_hostname("127.0.0.1").unwrap_err(),
            "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"
        );
        let cn_only = facts(&[], &[], "reg.test", false);
        assert_eq!(
            cn_only.verify_hostname("reg.test").unwrap_err(),
            "x509: certificate relies on legacy Common Name field, use SANs instead"
        );
        assert_eq!(
            cn_only.verify_hostname("other.test").unwrap_err(),
            "x509: certificate is not valid for any names, but wanted to match other.test"
        );
    }

    #[test]
    fn validity_period_is_checked_first() {
        let c = facts(&[], &[], "", true);
        let err = c.check_leaf("x", 101).unwrap_err();
        assert!(
            err.starts_with("x509: certificate has expired or is not yet valid: current time ")
                && err.ends_with(" is after 1970-01-01T00:01:40Z"),
            "{err}"
        );
        let mut c = facts(&["x"], &[], "", true);
        c.ext_key_usage = Some(vec![&[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02]]);
        assert_eq!(
            c.check_leaf("x", 50).unwrap_err(),
            "x509: certificate specifies an incompatible key usage"
        );
    }

    #[test]
    fn der_times() {
        let utc = Element {
            tag: 0x17,
            content: b"491231235959Z",
            whole: &[],
        };
        assert_eq!(crate::der::time(&utc), Some(2524607999));
        let generalized = Element {
            tag: 0x18,
            content: b"20500101000000Z",
            whole: &[],
        };
        assert_eq!(crate::der::time(&generalized), Some(2524608000));
    }
}
