//! What a `sigstoreSigned` requirement trusts, loaded as c/image's `prepareTrustRoot` loads
//! it (public keys, or a Fulcio CA with what its certificates must say, and Rekor keys), and
//! the keys it accepts for one signature: the configured keys (any one of them, or the one a
//! Rekor SET logged), or the Fulcio certificate's key once the certificate and its SET check.

use std::collections::BTreeMap;

use super::{FulcioTrust, PkiTrust, SigstoreKey};
use crate::signature::SigstoreSignature;
use crate::signature::public_key::PublicKey;
use crate::signature::rekor;
use crate::signature::sigstore::parse_public_key;
use crate::signature::x509::{Certificate, certificates_from_pem};

const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
const SET_ANNOTATION: &str = "dev.sigstore.cosign/bundle";

type Res<T> = std::result::Result<T, String>;

pub struct TrustRoot<'p> {
    public_keys: Option<Vec<PublicKey>>,
    fulcio: Option<(&'p FulcioTrust, Vec<Certificate>)>,
    rekor_keys: Option<Vec<p256::ecdsa::VerifyingKey>>,
    pki: Option<LoadedPki<'p>>,
}

/// A `pki` requirement with its roots and trusted intermediates read.
struct LoadedPki<'p> {
    trust: &'p PkiTrust,
    roots: Vec<Certificate>,
    intermediates: Vec<Certificate>,
}

fn read(p: &str) -> Res<Vec<u8>> {
    std::fs::read(p)
        .map_err(|e| crate::gotext::go_path_error("open", std::path::Path::new(p), &e).to_string())
}

/// The PEM texts a key source names.
fn pems(source: &SigstoreKey) -> Res<Vec<Vec<u8>>> {
    Ok(match source {
        SigstoreKey::Path(p) => vec![read(p)?],
        SigstoreKey::Paths(p) => p.iter().map(|p| read(p)).collect::<Res<_>>()?,
        SigstoreKey::Data(d) => vec![d.clone()],
        SigstoreKey::Datas(d) => d.clone(),
        SigstoreKey::Fulcio(_) | SigstoreKey::Pki(_) => Vec::new(),
    })
}

impl<'p> TrustRoot<'p> {
    pub fn load(key: &'p SigstoreKey, rekor: Option<&SigstoreKey>) -> Res<TrustRoot<'p>> {
        let (public_keys, fulcio) = match key {
            SigstoreKey::Pki(_) => (None, None),
            SigstoreKey::Fulcio(f) => {
                let ca = pems(&f.ca)?.concat();
                let certs = certificates_from_pem(&ca).unwrap_or_default();
                if certs.is_empty() {
                    return Err("error loading Fulcio CA certificates".to_string());
                }
                (None, Some((&**f, certs)))
            }
            // One key: c/image 5.23's words; several: HEAD's, numbered.
            SigstoreKey::Path(_) | SigstoreKey::Data(_) => {
                (Some(vec![parse_public_key(&pems(key)?[0])?]), None)
            }
            _ => {
                let keys = pems(key)?
                    .iter()
                    .enumerate()
                    .map(|(i, pem)| {
                        parse_public_key(pem).map_err(|e| {
                            let reason = e.strip_prefix("parsing public key: ").unwrap_or(&e);
                            format!("parsing public key {}: {reason}", i + 1)
                        })
                    })
                    .collect::<Res<Vec<_>>>()?;
                (Some(keys), None)
            }
        };
        let rekor_keys = match rekor {
            Some(r) => Some(rekor::parse_rekor_keys(&pems(r)?)?),
            None => None,
        };
        let pki = match key {
            SigstoreKey::Pki(p) => Some(load_pki(p)?),
            _ => None,
        };
        Ok(TrustRoot {
            public_keys,
            fulcio,
            rekor_keys,
            pki,
        })
    }

    /// The keys `sig` may be verified with (c/image's `isSignatureAccepted` before the
    /// payload check).
    pub fn signing_keys(
        &self,
        sig: &SigstoreSignature,
        b64_signature: &str,
    ) -> Res<Vec<PublicKey>> {
        let empty = BTreeMap::new();
        let annotations = sig.annotations.as_ref().unwrap_or(&empty);
        let annotation = |name: &str| {
            annotations
                .get(name)
                .ok_or_else(|| format!("missing {name} annotation"))
        };
        if let Some((fulcio, roots)) = &self.fulcio {
            let rekor_keys = self
                .rekor_keys
                .as_ref()
                .ok_or("Internal inconsistency: Fulcio CA specified without a Rekor public key")?;
            let set = annotation(SET_ANNOTATION)?;
            let cert = annotation(CERTIFICATE_ANNOTATION)?;
            let chain = annotations.get(CHAIN_ANNOTATION);
            let time = rekor::verify_set(
                rekor_keys,
                set.as_bytes(),
                cert.as_bytes(),
                b64_signature,
                &sig.payload,
            )?;
            return Ok(vec![verify_fulcio_certificate(
                fulcio, roots, time, cert, chain,
            )?]);
        }
        if let Some(pki) = &self.pki {
            if self.rekor_keys.is_some() {
                return Err("Internal inconsistency: PKI specified with a Rekor public key".into());
            }
            let cert = annotation(CERTIFICATE_ANNOTATION)?;
            let chain = annotations.get(CHAIN_ANNOTATION);
            return Ok(vec![verify_pki(pki, cert, chain)?]);
        }
        let keys = self
            .public_keys
            .clone()
            .ok_or("Internal inconsistency: A public key, Fulcio, or PKI must be specified.")?;
        let Some(rekor_keys) = &self.rekor_keys else {
            return Ok(keys);
        };
        let set = annotation(SET_ANNOTATION)?;
        let mut failures = Vec::new();
        for key in keys {
            match rekor::verify_set(
                rekor_keys,
                set.as_bytes(),
                key.pem().as_bytes(),
                b64_signature,
                &sig.payload,
            ) {
                Ok(_) => return Ok(vec![key]),
                Err(e) => failures.push(e),
            }
        }
        Err(format!(
            "No public key verified against the RekorSET: {}",
            failures.join(", ")
        ))
    }
}

/// c/image's `prepareTrustRoot` for `pki`: the roots (at least one certificate) and the
/// trusted intermediates.
fn load_pki(trust: &PkiTrust) -> Res<LoadedPki<'_>> {
    let roots = certificates_from_pem(&pems(&trust.roots)?.concat()).unwrap_or_default();
    if roots.is_empty() {
        return Err("error loading PKI CA Roots certificates".to_string());
    }
    let intermediates = match &trust.intermediates {
        None => Vec::new(),
        Some(source) => certificates_from_pem(&pems(source)?.concat())
            .map_err(|e| format!("loading trusted intermediate certificates: {e}"))?,
    };
    Ok(LoadedPki {
        trust,
        roots,
        intermediates,
    })
}

/// c/image's `verifyPKI`: the leaf chained to the roots now, through the trusted
/// intermediates and those the chain annotation adds (all but its last certificate), then the
/// e-mail and host name it must name; the leaf's key.
fn verify_pki(pki: &LoadedPki, cert_pem: &str, chain_pem: Option<&String>) -> Res<PublicKey> {
    let mut added = Vec::new();
    if let Some(chain) = chain_pem.filter(|c| !c.is_empty()) {
        added = certificates_from_pem(chain.as_bytes())
            .map_err(|e| format!("loading certificate chain: {e}"))?;
        added.pop();
    }
    let leaf = leaf_certificate(cert_pem)?;
    let intermediates: Vec<&Certificate> = pki.intermediates.iter().chain(&added).collect();
    let now = chrono::Utc::now().timestamp();
    leaf.verify_chain(&intermediates, &pki.roots, now)
        .map_err(|e| format!("veryfing leaf certificate failed: {e}"))?;
    let email = &pki.trust.subject_email;
    if !email.is_empty() && !leaf.emails.contains(email) {
        return Err(required_email_error(email, &leaf.emails));
    }
    let hostname = &pki.trust.subject_hostname;
    if !hostname.is_empty() {
        leaf.verify_hostname(hostname)
            .map_err(|e| format!("Unexpected subject hostname: {e}"))?;
    }
    PublicKey::from_spki(&leaf.spki)
}

/// c/image's `parseLeafCertFromPEM`: exactly one certificate.
fn leaf_certificate(cert_pem: &str) -> Res<Certificate> {
    let mut leaves = certificates_from_pem(cert_pem.as_bytes())
        .map_err(|e| format!("parsing leaf certificate: {e}"))?;
    match leaves.len() {
        0 => Err("no certificate found in signature certificate data".to_string()),
        1 => Ok(leaves.remove(0)),
        _ => Err(
            "unexpected multiple certificates present in signature certificate data".to_string(),
        ),
    }
}

/// `Required email %q not found (got %q)` with Go's quoting of a string list.
fn required_email_error(email: &str, got: &[String]) -> String {
    let got: Vec<String> = got.iter().map(|e| crate::gotext::go_quote(e)).collect();
    format!(
        "Required email {} not found (got [{}])",
        crate::gotext::go_quote(email),
        got.join(" ")
    )
}

/// c/image's `verifyFulcioCertificateAtTime`: the leaf's chain to the CA at the SET's time,
/// its OIDC issuer and e-mail; the leaf's key.
fn verify_fulcio_certificate(
    fulcio: &FulcioTrust,
    roots: &[Certificate],
    time: i64,
    cert_pem: &str,
    chain_pem: Option<&String>,
) -> Res<PublicKey> {
    let mut intermediates = Vec::new();
    if let Some(chain) = chain_pem.filter(|c| !c.is_empty()) {
        let mut certs = certificates_from_pem(chain.as_bytes())
            .map_err(|e| format!("loading certificate chain: {e}"))?;
        if certs.is_empty() {
            return Err("loading certificate chain: no certificates found".to_string());
        }
        certs.pop();
        intermediates = certs;
    }
    let leaf = leaf_certificate(cert_pem)?;
    let intermediates: Vec<&Certificate> = intermediates.iter().collect();
    leaf.verify_chain(&intermediates, roots, time)
        .map_err(|e| format!("veryfing leaf certificate failed: {e}"))?;
    let issuer = leaf.fulcio_issuer()?;
    if issuer != fulcio.oidc_issuer {
        return Err(format!(
            "Unexpected Fulcio OIDC issuer {}",
            crate::gotext::go_quote(&issuer)
        ));
    }
    if !leaf.emails.contains(&fulcio.subject_email) {
        return Err(required_email_error(&fulcio.subject_email, &leaf.emails));
    }
    PublicKey::from_spki(&leaf.spki)
}
