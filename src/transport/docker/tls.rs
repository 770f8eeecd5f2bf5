//! TLS for registry connections: the system's roots plus the CA certificates of the cert
//! directory, a client certificate when one is there, or no verification at all when the
//! registry is insecure (`--tls-verify=false`, registries.conf `insecure = true`).
//!
//! Servers are checked as Go's crypto/tls checks them (see [`GoLikeVerifier`]), and the
//! protocol versions, cipher suites and key exchange groups follow `--tls-details`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use anyhow::{Context, Result, anyhow};
use rustls::client::WantsClientCert;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, ConfigBuilder, DigitallySignedStruct, OtherError,
    RootCertStore, SignatureScheme, SupportedProtocolVersion,
};

use super::certinfo::CertFacts;
use crate::config::certs::TlsFiles;
use crate::config::tls_details::TlsDetails;

static DETAILS: OnceLock<TlsDetails> = OnceLock::new();

/// Applies `--tls-details` to every TLS connection the process makes; call before any.
pub fn set_details(details: TlsDetails) {
    let _ = DETAILS.set(details);
}

fn details() -> &'static TlsDetails {
    DETAILS.get_or_init(TlsDetails::default)
}

/// ring's algorithms, narrowed by `--tls-details`: the TLS 1.2 cipher suites to those listed
/// (Go cannot narrow TLS 1.3's, so neither does this), the key exchange groups to those listed.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| {
            let mut p = rustls::crypto::ring::default_provider();
            let d = details();
            if let Some(names) = &d.cipher_suites {
                p.cipher_suites.retain(|s| {
                    s.version() == &rustls::version::TLS13
                        || s.suite()
                            .as_str()
                            .is_some_and(|n| names.iter().any(|w| w == n))
                });
            }
            if let Some(names) = &d.named_groups {
                p.kx_groups.retain(|g| {
                    let iana = match g.name() {
                        rustls::NamedGroup::X25519 => "x25519",
                        rustls::NamedGroup::secp256r1 => "secp256r1",
                        rustls::NamedGroup::secp384r1 => "secp384r1",
                        rustls::NamedGroup::secp521r1 => "secp521r1",
                        _ => return false,
                    };
                    names.iter().any(|n| n == iana)
                });
            }
            Arc::new(p)
        })
        .clone()
}

/// TLS 1.2 and 1.3 (Go's client minimum is 1.2), or 1.3 alone with `minVersion: "1.3"`.
pub(crate) fn protocol_versions() -> &'static [&'static SupportedProtocolVersion] {
    static TLS13_ONLY: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
    if details().min_tls13 {
        &TLS13_ONLY
    } else {
        rustls::DEFAULT_VERSIONS
    }
}

/// The system's trusted roots, read once per process.
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("reading {}", path.display()))?
        .collect();
    certs.with_context(|| format!("parsing certificates in {}", path.display()))
}

/// A TLS set-up that checks servers against the system's roots plus `extra_cas` (each file
/// with the certificates read from it), or, with `skip_verify`, checks no certificate.
pub(crate) fn server_checks(
    skip_verify: bool,
    extra_cas: &[(PathBuf, Vec<CertificateDer<'static>>)],
) -> Result<ConfigBuilder<ClientConfig, WantsClientCert>> {
    if provider().kx_groups.is_empty() {
        // Go has P-521 and X25519MLKEM768; ring has neither.
        return Err(anyhow!(
            "setting up TLS: none of the named groups of the TLS details is available (x25519, secp256r1 and secp384r1 are)"
        ));
    }
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(protocol_versions())
        .map_err(|e| anyhow!("setting up TLS: {e}"))?;
    if skip_verify {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider()))));
    }
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(system_roots().iter().cloned());
    let mut trusted = system_roots().to_vec();
    for (ca, certs) in extra_cas {
        for cert in certs {
            roots
                .add(cert.clone())
                .with_context(|| format!("adding CA certificate {}", ca.display()))?;
            trusted.push(cert.clone());
        }
    }
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| anyhow!("setting up TLS: {e}"))?;
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(GoLikeVerifier {
            webpki,
            trusted,
            provider: provider(),
        })))
}

/// A refused server certificate, in Go's x509 words.
pub(crate) struct GoCertError(pub String);

/// rustls shows this type with `{:?}` in its own text; should only that text reach the
/// error report, the message stays findable between the markers.
impl std::fmt::Debug for GoCertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{GO_TEXT_START}{}{GO_TEXT_END}", self.0)
    }
}

pub(crate) const GO_TEXT_START: &str = "<go-x509:";
pub(crate) const GO_TEXT_END: &str = ":go-x509>";

impl std::fmt::Display for GoCertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GoCertError {}

fn refused(msg: impl Into<String>) -> rustls::Error {
    rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(GoCertError(
        msg.into(),
    )))))
}

const UNKNOWN_AUTHORITY: &str = "x509: certificate signed by unknown authority";

/// Go's text for a TLS failure where it has one: crypto/tls puts `tls: failed to verify
/// certificate: ` before the x509 error of a refused server certificate.
pub(crate) fn go_wording(e: &rustls::Error) -> Option<String> {
    if let rustls::Error::AlertReceived(alert) = e {
        return go_alert_text(*alert).map(|t| format!("remote error: tls: {t}"));
    }
    let rustls::Error::InvalidCertificate(c) = e else {
        return None;
    };
    let x509 = match c {
        CertificateError::Other(o) => o.0.downcast_ref::<GoCertError>()?.0.clone(),
        CertificateError::UnknownIssuer => UNKNOWN_AUTHORITY.into(),
        _ => return None,
    };
    Some(format!("tls: failed to verify certificate: {x509}"))
}

/// The rustls error behind a failed request, if TLS failed. hyper-rustls wraps tokio-rustls'
/// io::Error (holding rustls' error) in another io::Error, and io::Error's `source()` skips
/// the error it holds: the chain is followed through both.
pub(crate) fn rustls_error_in<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    let mut cur = Some(e);
    while let Some(c) = cur {
        if let Some(r) = c.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(io) = c.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
        {
            if let Some(r) = inner.downcast_ref::<rustls::Error>() {
                return Some(r);
            }
            if inner.is::<std::io::Error>() {
                cur = Some(inner);
                continue;
            }
        }
        cur = c.source();
    }
    None
}

/// Go's names of the alerts a server sends most.
fn go_alert_text(alert: rustls::AlertDescription) -> Option<&'static str> {
    use rustls::AlertDescription as A;
    Some(match alert {
        A::HandshakeFailure => "handshake failure",
        A::ProtocolVersion => "protocol version not supported",
        A::BadCertificate => "bad certificate",
        A::UnknownCA => "unknown certificate authority",
        A::CertificateRequired => "certificate required",
        A::InsufficientSecurity => "insufficient security level",
        A::IllegalParameter => "illegal parameter",
        A::DecodeError => "error decoding message",
        A::InternalError => "internal error",
        A::UnrecognisedName => "unrecognized name",
        A::NoApplicationProtocol => "no application protocol",
        _ => return None,
    })
}

/// Checks the server as Go does: the leaf's validity period, extended key usage and host
/// name first (Go's order, so its error comes first), then the chain to a trusted root
/// (webpki). Unlike webpki, a `CA:TRUE` leaf is accepted when it is itself one of the trusted
/// certificates (a self-signed certificate made as most guides make it, trusted through
/// `--cert-dir` or certs.d) or is signed directly by one — as Go, curl and skopeo accept it.
#[derive(Debug)]
struct GoLikeVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    /// Every trusted certificate, as DER (the system's and the cert directory's).
    trusted: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
}

impl GoLikeVerifier {
    /// Go's chain building for a leaf webpki will not take as an end entity: the leaf is
    /// itself trusted, or a chain leads from it to a trusted certificate through the
    /// intermediates the server sent (each a CA within its validity period).
    fn ca_leaf_trusted(
        &self,
        der: &[u8],
        leaf: &CertFacts<'_>,
        intermediates: &[CertificateDer<'_>],
        now: i64,
    ) -> Result<(), String> {
        if self.trusted.iter().any(|t| t.as_ref() == der) {
            return Ok(());
        }
        let intermediates: Vec<CertFacts<'_>> = intermediates
            .iter()
            .filter_map(|c| CertFacts::parse(c))
            .collect();
        if self.chains_to_root(leaf, &intermediates, now, 0) {
            Ok(())
        } else {
            Err(UNKNOWN_AUTHORITY.into())
        }
    }

    fn chains_to_root(
        &self,
        cert: &CertFacts<'_>,
        intermediates: &[CertFacts<'_>],
        now: i64,
        depth: usize,
    ) -> bool {
        let trusted = self.trusted.iter().filter_map(|r| CertFacts::parse(r));
        for root in trusted {
            if root.subject == cert.issuer
                && self.signed_by(cert, &root)
                && root.check_validity(now).is_ok()
            {
                return true;
            }
        }
        // Go gives up after a few links too.
        depth < 8
            && intermediates.iter().any(|i| {
                i.subject == cert.issuer
                    && i.tbs != cert.tbs
                    && i.is_ca
                    && i.check_validity(now).is_ok()
                    && self.signed_by(cert, i)
                    && self.chains_to_root(i, intermediates, now, depth + 1)
            })
    }

    fn signed_by(&self, cert: &CertFacts<'_>, issuer: &CertFacts<'_>) -> bool {
        self.provider
            .signature_verification_algorithms
            .all
            .iter()
            .any(|alg| {
                alg.signature_alg_id().as_ref() == cert.signature_alg
                    && alg.public_key_alg_id().as_ref() == issuer.key_alg
                    && alg
                        .verify_signature(issuer.key, cert.tbs, cert.signature)
                        .is_ok()
            })
    }
}

impl ServerCertVerifier for GoLikeVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(leaf) = CertFacts::parse(end_entity) else {
            // Unreadable: webpki says why.
            return self.webpki.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            );
        };
        let now_secs = now.as_secs() as i64;
        let host = match server_name {
            ServerName::DnsName(d) => d.as_ref().to_string(),
            ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
            other => format!("{other:?}"),
        };
        leaf.check_leaf(&host, now_secs).map_err(refused)?;
        match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(v) => Ok(v),
            Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => {
                Err(refused(UNKNOWN_AUTHORITY))
            }
            // webpki's `CaUsedAsEndEntity` reaches rustls only as an opaque error.
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(o)))
                if matches!(
                    o.0.downcast_ref::<webpki::Error>(),
                    Some(webpki::Error::CaUsedAsEndEntity)
                ) =>
            {
                self.ca_leaf_trusted(end_entity, &leaf, intermediates, now_secs)
                    .map_err(refused)?;
                Ok(ServerCertVerified::assertion())
            }
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }

    fn root_hint_subjects(&self) -> Option<&[rustls::DistinguishedName]> {
        self.webpki.root_hint_subjects()
    }
}

/// The client configuration for one registry. With `http2`, ALPN offers `h2` before
/// `http/1.1`: a registry that serves HTTP/2 over TLS gets it, any other keeps HTTP/1.1.
pub fn client_config(files: &TlsFiles, skip_verify: bool, http2: bool) -> Result<ClientConfig> {
    let mut cas = Vec::new();
    if !skip_verify {
        for ca in &files.ca_certs {
            cas.push((ca.clone(), read_certs(ca)?));
        }
    }
    let builder = server_checks(skip_verify, &cas)?;
    let mut config = match files.client_pairs.first() {
        Some((cert, key)) => {
            let chain = read_certs(cert)?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| anyhow!("reading client key {}: {e}", key.display()))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| anyhow!("using client certificate {}: {e}", cert.display()))?
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(config)
}

/// Accepts any server certificate (`InsecureSkipVerify`), still checking that the handshake
/// signatures are sound.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
