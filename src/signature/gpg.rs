//! Simple signing with the user's GnuPG keyring and agent. skopeo signs through gpgme, and
//! gpgme itself runs `gpg` (`--batch`, the key looked up among the secret keys, a passphrase
//! given through loopback pinentry); skiff runs the same `gpg` the same way, so `GNUPGHOME`,
//! the agent, its cache and its pinentry behave exactly as under skopeo.

use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{Result, anyhow, bail};

use super::Signature;
use super::sign::{Signer, identity_and_digest, simple_payload};
use crate::reference::DockerReference;

pub struct GpgSigner {
    /// The primary key's fingerprint, as `gpg --list-secret-keys` named it.
    fingerprint: String,
    /// Given through loopback pinentry; `None` leaves the agent to ask (as gpgme does).
    passphrase: Option<String>,
}

fn gpg() -> Command {
    let mut c = Command::new("gpg");
    c.args(["--batch", "--no-tty"]);
    c
}

/// gpg's own reason for a failure: the text after its last `gpg: ` prefix, the
/// `signing failed: …` cause preferred (`Bad passphrase`, `No secret key`, …).
fn gpg_reason(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_start_matches("gpg: "))
        .collect();
    if let Some(cause) = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("signing failed: "))
    {
        return cause.to_string();
    }
    lines
        .iter()
        .rev()
        .find(|l| !l.is_empty())
        .map(|l| l.to_string())
        .unwrap_or_else(|| "gpg failed".to_string())
}

impl GpgSigner {
    /// Finds `key` among the secret keys (gpgme's `GetKey(key, true)`), with gpgme's errors.
    pub fn new(key: &str, passphrase: Option<String>) -> Result<GpgSigner> {
        if key.is_empty() {
            bail!("no key identity provided for simple signing");
        }
        if passphrase.as_deref().is_some_and(|p| p.contains('\n')) {
            bail!("invalid passphrase: must not contain a line break");
        }
        let out = gpg()
            .args(["--with-colons", "--list-secret-keys", "--", key])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| anyhow!("initializing GPG: {e}"))?;
        let listing = String::from_utf8_lossy(&out.stdout);
        // Each key: a `sec` line, then its `fpr` line.
        let mut fingerprints = Vec::new();
        let mut in_primary = false;
        for line in listing.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            match fields.first() {
                Some(&"sec") => in_primary = true,
                Some(&"fpr") if in_primary => {
                    fingerprints.push(fields.get(9).copied().unwrap_or_default().to_string());
                    in_primary = false;
                }
                Some(&"ssb") => in_primary = false,
                _ => {}
            }
        }
        match fingerprints.len() {
            0 => bail!("key {key:?} not found"),
            1 => Ok(GpgSigner {
                fingerprint: fingerprints.remove(0),
                passphrase: passphrase.filter(|p| !p.is_empty()),
            }),
            _ => bail!("Ambiguous name"),
        }
    }

    /// An OpenPGP signed message (binary, compressed, as gpgme asks gpg for) of `data`.
    pub fn sign_bytes(&self, data: &[u8]) -> Result<Vec<u8>> {
        let mut input = tempfile::NamedTempFile::new()?;
        input.write_all(data)?;
        input.flush()?;
        let mut cmd = gpg();
        if self.passphrase.is_some() {
            cmd.args(["--pinentry-mode", "loopback", "--passphrase-fd", "0"]);
        }
        cmd.args(["--sign", "--local-user", &self.fingerprint, "--output", "-"])
            .arg(input.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| anyhow!("initializing GPG: {e}"))?;
        // gpg reads the passphrase up to the newline; a closed pipe is its own error.
        if let (Some(mut stdin), Some(p)) = (child.stdin.take(), &self.passphrase) {
            let _ = stdin.write_all(format!("{p}\n").as_bytes());
        }
        let out = child.wait_with_output()?;
        if !out.status.success() || out.stdout.is_empty() {
            bail!("{}", gpg_reason(&out.stderr));
        }
        Ok(out.stdout)
    }
}

impl Signer for GpgSigner {
    fn method(&self) -> super::sign::SigningMethod {
        super::sign::SigningMethod::Simple
    }

    fn sign(&self, manifest: &[u8], identity: &DockerReference) -> Result<Signature> {
        let (digest, reference) = identity_and_digest(manifest, identity)?;
        let signed = self.sign_bytes(&simple_payload(&digest, &reference))?;
        Ok(Signature::SimpleSigning(signed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_come_from_gpg_s_last_words() {
        assert_eq!(
            gpg_reason(b"gpg: using key\ngpg: signing failed: Bad passphrase\ngpg: other\n"),
            "Bad passphrase"
        );
        assert_eq!(
            gpg_reason(b"gpg: can't open 'x': No such file\n"),
            "can't open 'x': No such file"
        );
        assert_eq!(gpg_reason(b""), "gpg failed");
    }
}
