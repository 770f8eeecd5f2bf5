//! Signature commands on local files (`standalone-sign`, `standalone-verify`, the hidden
//! `untrusted-signature-dump-without-verification`, `generate-sigstore-key`).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use clap::Args;

#[derive(Args, Debug)]
#[command(
    after_help = "Example:\n  skiff standalone-sign manifest.json registry.example.com/app:v1 0123456789ABCDEF -o signature"
)]
pub struct StandaloneSignArgs {
    #[arg(
        value_name = "MANIFEST DOCKER-REFERENCE KEY-FINGERPRINT",
        help = "the manifest file, the image name to sign it as, and the GPG key to sign with"
    )]
    pub args: Vec<String>,
    #[arg(
        short = 'o',
        long,
        value_name = "SIGNATURE",
        help = "write the signature to SIGNATURE"
    )]
    pub output: Option<PathBuf>,
    #[arg(
        long = "passphrase-file",
        value_name = "PATH",
        help = "read the key's passphrase from PATH"
    )]
    pub passphrase_file: Option<PathBuf>,
}

impl StandaloneSignArgs {
    /// Signs MANIFEST as DOCKER-REFERENCE with the GPG key KEY-FINGERPRINT into SIGNATURE,
    /// with skopeo's messages. The signature file appears only once it is complete.
    pub fn run(self) -> Result<()> {
        use crate::signature::{gpg::GpgSigner, sign};
        let ([manifest_path, reference, fingerprint], Some(output)) =
            (&self.args[..], &self.output)
        else {
            bail!(
                "Usage: skopeo standalone-sign manifest docker-reference key-fingerprint -o signature"
            );
        };
        let manifest = std::fs::read(manifest_path).map_err(|e| {
            anyhow!(
                "Error reading {manifest_path}: {}",
                crate::gotext::go_path_error("open", Path::new(manifest_path), &e)
            )
        })?;
        let passphrase = match &self.passphrase_file {
            Some(f) => sign::read_passphrase_file(f)?,
            None => String::new(),
        };
        let signature = (|| {
            let signer = GpgSigner::new(fingerprint, Some(passphrase))?;
            let digest = crate::manifest::digest(&manifest)?;
            signer.sign_bytes(&sign::simple_payload(&digest, reference))
        })()
        .map_err(|e| anyhow!("Error creating signature: {e:#}"))?;
        write_whole(output, &signature, 0o644)
            .map_err(|e| anyhow!("Error writing signature to {}: {e}", output.display()))
    }
}

/// Writes `path` through a temporary file beside it, so it appears complete or not at all;
/// errors as Go words them.
pub(crate) fn write_whole(path: &Path, bytes: &[u8], mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let open_err = |e: std::io::Error| crate::gotext::go_path_error("open", path, &e);
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(open_err)?;
    tmp.write_all(bytes).map_err(open_err)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(open_err)?;
    tmp.persist(path).map_err(|e| open_err(e.error))?;
    Ok(())
}

#[derive(Args, Debug)]
#[command(
    after_help = "Example:\n  skiff standalone-verify manifest.json registry.example.com/app:v1 0123456789ABCDEF signature"
)]
pub struct StandaloneVerifyArgs {
    #[arg(
        value_name = "MANIFEST DOCKER-REFERENCE KEY-FINGERPRINTS SIGNATURE",
        help = "the manifest file, the image name it is signed as, the accepted key fingerprints (comma-separated, or \"any\" with --public-key-file) and the signature file"
    )]
    pub args: Vec<String>,
    #[arg(
        long = "public-key-file",
        value_name = "PATH",
        help = "verify with the public keys in PATH"
    )]
    pub public_key_file: Option<PathBuf>,
}

impl StandaloneVerifyArgs {
    /// Verifies SIGNATURE of MANIFEST as DOCKER-REFERENCE by one of KEY-FINGERPRINTS (a comma
    /// separated list, or `any` key of `--public-key-file`), with skopeo's messages.
    pub fn run(self) -> Result<()> {
        use crate::signature::openpgp;
        let [manifest_path, expected_ref, fingerprints, signature_path] = &self.args[..] else {
            bail!(
                "Usage: skopeo standalone-verify manifest docker-reference key-fingerprint signature"
            );
        };
        let expected: Vec<&str> = fingerprints.split(',').collect();
        let any = expected == ["any"];
        if self.public_key_file.is_none() && any {
            bail!("Cannot use any fingerprint without a public key file");
        }
        let read = |what: &str, p: &str| {
            std::fs::read(p).map_err(|e| {
                anyhow!(
                    "Error reading {what} from {p}: {}",
                    crate::gotext::go_path_error("open", Path::new(p), &e)
                )
            })
        };
        let manifest = read("manifest", manifest_path)?;
        let signature = read("signature", signature_path)?;
        let keyring = match &self.public_key_file {
            Some(p) => openpgp::Keyring::import(&[read("public keys", &p.to_string_lossy())?]),
            None => openpgp::user_keyring(),
        };
        let expected: Vec<String> = if any {
            keyring.fingerprints()
        } else {
            expected.iter().map(|s| s.to_string()).collect()
        };
        let verified = verify_standalone(&keyring, &signature, &manifest, expected_ref, &expected)
            .map_err(|e| anyhow!("Error verifying signature: {e}"))?;
        writeln!(
            std::io::stdout(),
            "Signature verified, digest {}",
            verified.manifest_digest
        )?;
        Ok(())
    }
}

/// c/image's `VerifyDockerManifestSignature`: the key must be one of `expected`, the
/// manifest must have the signed digest and the signed reference must equal `expected_ref`.
fn verify_standalone(
    keyring: &crate::signature::openpgp::Keyring,
    signature: &[u8],
    manifest: &[u8],
    expected_ref: &str,
    expected: &[String],
) -> std::result::Result<crate::signature::simple::VerifiedSignature, String> {
    use crate::reference::DockerReference;
    use crate::signature::simple;
    let expected_parsed =
        DockerReference::parse_normalized_named(expected_ref).map_err(|e| e.to_string())?;
    simple::verify_and_extract(
        keyring,
        signature,
        &simple::AcceptanceRules {
            key_identity: &|key| {
                if expected.iter().any(|e| e == key) {
                    Ok(())
                } else {
                    Err(format!(
                        "Signature by {key} does not match expected fingerprint {}",
                        expected.join(",")
                    ))
                }
            },
            manifest_digest: &|digest| {
                if simple::manifest_matches(manifest, digest)? {
                    Ok(())
                } else {
                    Err(format!(
                        "Signature for docker digest {} does not match",
                        crate::gotext::go_quote(digest)
                    ))
                }
            },
            docker_reference: &|signed| {
                let Ok(signed_parsed) = DockerReference::parse_normalized_named(signed) else {
                    return Err(format!("Invalid docker reference {signed} in signature"));
                };
                if signed_parsed.to_string() == expected_parsed.to_string() {
                    Ok(())
                } else {
                    Err(format!(
                        "Docker reference {signed} does not match {expected_ref}"
                    ))
                }
            },
        },
    )
}

#[derive(Args, Debug)]
pub struct UntrustedSignatureDumpArgs {
    #[arg(
        value_name = "SIGNATURE",
        help = "a signature file, printed as it claims to be, without any verification"
    )]
    pub args: Vec<String>,
}

impl UntrustedSignatureDumpArgs {
    /// Prints what a signature claims, WITHOUT verifying it (skopeo's debugging command).
    pub fn run(self) -> Result<()> {
        use crate::signature::{openpgp, simple};
        let [path] = &self.args[..] else {
            bail!("Usage: skopeo untrusted-signature-dump-without-verification signature");
        };
        let blob = std::fs::read(path).map_err(|e| {
            anyhow!(
                "Error reading untrusted signature from {path}: {}",
                crate::gotext::go_path_error("open", Path::new(path), &e)
            )
        })?;
        let decoded = openpgp::untrusted_contents(&blob)
            .and_then(|(contents, key_id)| simple::parse_payload(&contents).map(|p| (p, key_id)));
        let (payload, key_id) =
            decoded.map_err(|e| anyhow!("Error decoding untrusted signature: {e}"))?;
        let timestamp = payload.timestamp.map(|t| {
            let local = chrono::DateTime::from_timestamp(t, 0)
                .unwrap_or(chrono::DateTime::UNIX_EPOCH)
                .with_timezone(&chrono::Local);
            crate::gojson::go_time_rfc3339nano(&local.fixed_offset())
        });
        let info = UntrustedInfo {
            manifest_digest: payload.manifest_digest,
            docker_reference: payload.docker_reference,
            creator: payload.creator,
            timestamp,
            key_id,
        };
        writeln!(
            std::io::stdout(),
            "{}",
            crate::gojson::to_string_pretty(&info)
        )?;
        Ok(())
    }
}

/// c/image's `UntrustedSignatureInformation`, as Go's JSON encoder writes it.
#[derive(serde::Serialize)]
struct UntrustedInfo {
    #[serde(rename = "UntrustedDockerManifestDigest")]
    manifest_digest: String,
    #[serde(rename = "UntrustedDockerReference")]
    docker_reference: String,
    #[serde(rename = "UntrustedCreatorID")]
    creator: Option<String>,
    #[serde(rename = "UntrustedTimestamp")]
    timestamp: Option<String>,
    #[serde(rename = "UntrustedShortKeyIdentifier")]
    key_id: String,
}

#[derive(Args, Debug)]
#[command(after_help = "Example:\n  skiff generate-sigstore-key --output-prefix mykey")]
pub struct GenerateSigstoreKeyArgs {
    #[arg(
        long = "output-prefix",
        value_name = "PREFIX",
        help = "write the keys to PREFIX.pub and PREFIX.private"
    )]
    pub output_prefix: Option<String>,
    #[arg(
        long = "passphrase-file",
        value_name = "PATH",
        help = "read the private key's passphrase from PATH"
    )]
    pub passphrase_file: Option<PathBuf>,
}

impl GenerateSigstoreKeyArgs {
    /// Writes PREFIX.private (cosign's encrypted format) and PREFIX.pub, never over existing
    /// files, with skopeo's messages; a failure leaves neither file behind.
    pub fn run(self) -> Result<()> {
        use crate::gotext::go_quote;
        let prefix = match self.output_prefix.as_deref() {
            Some(p) if !p.is_empty() => p,
            _ => bail!("Usage: generate-sigstore-key --output-prefix PREFIX"),
        };
        let public_path = PathBuf::from(format!("{prefix}.pub"));
        let private_path = PathBuf::from(format!("{prefix}.private"));
        for path in [&public_path, &private_path] {
            let shown = go_quote(&path.display().to_string());
            match std::fs::symlink_metadata(path) {
                Ok(_) => bail!("Refusing to overwrite existing {shown}"),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => bail!(
                    "Error checking existence of {shown}: {}",
                    crate::gotext::go_path_error("stat", path, &e)
                ),
            }
        }
        let passphrase = match &self.passphrase_file {
            Some(f) => crate::signature::sign::read_passphrase_file(f)?,
            None => super::copy::prompt_for_passphrase(&private_path)?,
        };
        let (private, public) = crate::signature::sigstore_key::generate(passphrase.as_bytes())
            .map_err(|e| anyhow!("Error generating key pair: {e}"))?;
        let private_shown = go_quote(&private_path.display().to_string());
        write_whole(&private_path, &private, 0o600)
            .map_err(|e| anyhow!("Error writing private key to {private_shown}: {e}"))?;
        if let Err(e) = write_whole(&public_path, &public, 0o644) {
            let _ = std::fs::remove_file(&private_path);
            // skopeo names the private key here too.
            bail!("Error writing private key to {private_shown}: {e}");
        }
        writeln!(
            std::io::stdout(),
            "Key written to {private_shown} and {}",
            go_quote(&public_path.display().to_string())
        )?;
        Ok(())
    }
}
