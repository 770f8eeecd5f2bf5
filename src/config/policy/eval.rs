//! Evaluating a policy against an image (c/image 5.23's `IsRunningImageAllowed`): every
//! requirement of the selected scope must allow the image, in order, and the first refusal is
//! the answer. `signedBy` verifies simple signatures in-process.

use std::cell::OnceCell;

use crate::reference::DockerReference;
use crate::signature::Signature;
use crate::signature::openpgp::Keyring;
use crate::signature::simple::{self, AcceptanceRules};

use super::{
    KeyType, Policy, PolicyError, PolicyReferenceMatch, PolicyRequirement, PolicySubject, Result,
    SignedByKeys, SigstoreKey,
};

/// What the policy is shown of an image.
pub struct PolicyImage<'a> {
    pub subject: &'a PolicySubject,
    /// The image's docker reference, if its transport has one (`docker://`, a named
    /// `docker-daemon:` image, …), for `signedIdentity` rules that compare with it.
    pub docker_reference: Option<&'a DockerReference>,
    /// The manifest whose digest signatures must name.
    pub manifest: &'a [u8],
    /// The image's signatures, or why they could not be read; `None` when
    /// [`Policy::needs_signatures`] said they are not needed.
    pub signatures: Option<std::result::Result<Vec<Signature>, String>>,
}

impl Policy {
    /// Whether evaluating `subject` reads its signatures (the caller fetches them only then).
    pub fn needs_signatures(&self, subject: &PolicySubject) -> bool {
        self.requirements_for(subject).iter().any(|r| {
            matches!(
                r,
                PolicyRequirement::SignedBy { .. } | PolicyRequirement::SigstoreSigned { .. }
            )
        })
    }

    /// Whether `image` may be used; the error is the rejection, without skopeo's
    /// `Source image rejected: ` prefix.
    pub fn evaluate(&self, image: &PolicyImage) -> Result<()> {
        let reqs = self.requirements_for(image.subject);
        if reqs.is_empty() {
            return Err(rejected(
                "List of verification policy requirements must not be empty",
            ));
        }
        let mut verified = false;
        for req in reqs {
            match req {
                PolicyRequirement::InsecureAcceptAnything => {}
                PolicyRequirement::Reject => {
                    return Err(rejected(format!(
                        "Running image {} is rejected by policy.",
                        image.subject.display
                    )));
                }
                PolicyRequirement::SignedBaseLayer { .. } => {
                    return Err(rejected("signedBaseLayer not implemented yet!"));
                }
                PolicyRequirement::SignedBy {
                    key_type,
                    keys,
                    signed_identity,
                } => {
                    signed_by(*key_type, keys, signed_identity, image).map_err(rejected)?;
                    verified = true;
                }
                PolicyRequirement::SigstoreSigned {
                    key,
                    rekor,
                    signed_identity,
                } => {
                    sigstore_signed(key, rekor.as_ref(), signed_identity, image)
                        .map_err(rejected)?;
                    verified = true;
                }
            }
        }
        if self.require_signed && !verified {
            return Err(rejected(format!(
                "No signature verification policy found for image {}:{}",
                image.subject.transport, image.subject.identity
            )));
        }
        Ok(())
    }
}

fn rejected(msg: impl Into<String>) -> PolicyError {
    PolicyError::Rejected(msg.into())
}

/// `signedBy`: one simple signature accepted is enough; otherwise the single reason, or all of
/// them joined.
fn signed_by(
    key_type: KeyType,
    keys: &SignedByKeys,
    identity: &PolicyReferenceMatch,
    image: &PolicyImage,
) -> std::result::Result<(), String> {
    let sigs = match &image.signatures {
        Some(Ok(s)) => s,
        Some(Err(e)) => return Err(e.clone()),
        None => return Err("internal error: signatures were not read".to_string()),
    };
    // c/image reads the keys again for each signature; the outcome is the same each time.
    let keyring: OnceCell<std::result::Result<Keyring, String>> = OnceCell::new();
    let mut rejections = Vec::new();
    for sig in sigs {
        // Only simple signatures count for signedBy.
        let Signature::SimpleSigning(blob) = sig else {
            continue;
        };
        let ring = keyring.get_or_init(|| load_keys(key_type, keys));
        match ring
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|ring| accept_signature(ring, blob, identity, image))
        {
            Ok(()) => return Ok(()),
            Err(e) => rejections.push(e),
        }
    }
    Err(match rejections.len() {
        0 => "A signature was required, but no signature exists".to_string(),
        1 => rejections.remove(0),
        _ => format!(
            "None of the signatures were accepted, reasons: {}",
            rejections.join("; ")
        ),
    })
}

/// `sigstoreSigned` with a public key: one sigstore signature accepted is enough.
fn sigstore_signed(
    key: &SigstoreKey,
    rekor: Option<&SigstoreKey>,
    identity: &PolicyReferenceMatch,
    image: &PolicyImage,
) -> std::result::Result<(), String> {
    use crate::signature::sigstore;
    let sigs = match &image.signatures {
        Some(Ok(s)) => s,
        Some(Err(e)) => return Err(e.clone()),
        None => return Err("internal error: signatures were not read".to_string()),
    };
    let (mut other_kinds, mut not_signatures) = (0, 0);
    let mut rejections = Vec::new();
    for sig in sigs {
        let Signature::Sigstore(sig) = sig else {
            other_kinds += 1;
            continue;
        };
        if sig.mime_type != sigstore::SIGNATURE_MIME_TYPE {
            not_signatures += 1;
            continue;
        }
        let accepted = (|| {
            let trust = super::sigstore_trust::TrustRoot::load(key, rekor)?;
            let Some(b64) = sig
                .annotations
                .as_ref()
                .and_then(|a| a.get(sigstore::SIGNATURE_ANNOTATION))
            else {
                return Err(format!(
                    "missing {} annotation",
                    sigstore::SIGNATURE_ANNOTATION
                ));
            };
            let public_keys = trust.signing_keys(sig, b64)?;
            let payload = sigstore::verify_payload(&public_keys, &sig.payload, b64)?;
            if !simple::manifest_matches(image.manifest, &payload.manifest_digest)? {
                return Err(format!(
                    "Signature for digest {} does not match",
                    payload.manifest_digest
                ));
            }
            if !identity_matches(identity, image.docker_reference, &payload.docker_reference) {
                return Err(format!(
                    "Signature for identity {} is not accepted",
                    payload.docker_reference
                ));
            }
            Ok(())
        })();
        match accepted {
            Ok(()) => return Ok(()),
            Err(e) => rejections.push(e),
        }
    }
    Err(match rejections.len() {
        0 if other_kinds == 0 && not_signatures == 0 => {
            "A signature was required, but no signature exists".to_string()
        }
        0 => format!(
            "A signature was required, but no signature exists ({other_kinds} non-sigstore signatures, {not_signatures} sigstore non-signature attachments)"
        ),
        1 => rejections.remove(0),
        _ => format!(
            "None of the signatures were accepted, reasons: {}",
            rejections.join("; ")
        ),
    })
}

fn load_keys(key_type: KeyType, keys: &SignedByKeys) -> std::result::Result<Keyring, String> {
    if key_type != KeyType::GpgKeys {
        return Err(format!(
            "Unimplemented \"keyType\" value \"{}\"",
            key_type.name()
        ));
    }
    let read = |p: &str| {
        std::fs::read(p)
            .map_err(|e| crate::gotext::go_path_error("open", std::path::Path::new(p), &e).into())
    };
    let blobs = match keys {
        SignedByKeys::Path(p) => vec![read(p)?],
        SignedByKeys::Paths(ps) => ps
            .iter()
            .map(|p| read(p))
            .collect::<std::result::Result<Vec<_>, String>>()?,
        SignedByKeys::Data(d) => vec![d.clone()],
    };
    let ring = Keyring::import(&blobs);
    if ring.fingerprints().is_empty() {
        return Err("No public keys imported".to_string());
    }
    Ok(ring)
}

fn accept_signature(
    ring: &Keyring,
    blob: &[u8],
    identity: &PolicyReferenceMatch,
    image: &PolicyImage,
) -> std::result::Result<(), String> {
    let trusted = ring.fingerprints();
    simple::verify_and_extract(
        ring,
        blob,
        &AcceptanceRules {
            key_identity: &|key| {
                if trusted.iter().any(|t| t == key) {
                    Ok(())
                } else {
                    Err(format!("Signature by key {key} is not accepted"))
                }
            },
            manifest_digest: &|digest| {
                if simple::manifest_matches(image.manifest, digest)? {
                    Ok(())
                } else {
                    Err(format!("Signature for digest {digest} does not match"))
                }
            },
            docker_reference: &|signed| {
                if identity_matches(identity, image.docker_reference, signed) {
                    Ok(())
                } else {
                    Err(format!("Signature for identity {signed} is not accepted"))
                }
            },
        },
    )
    .map(|_| ())
}

/// c/image's `matchesDockerReference` for each `signedIdentity` rule: whether a signature
/// claiming `signed` is acceptable for an image known as `image_ref`.
pub(crate) fn identity_matches(
    rule: &PolicyReferenceMatch,
    image_ref: Option<&DockerReference>,
    signed: &str,
) -> bool {
    let Ok(signed) = DockerReference::parse_normalized_named(signed) else {
        return false;
    };
    let parse = |s: &str| DockerReference::parse_normalized_named(s).ok();
    match rule {
        PolicyReferenceMatch::MatchExact => image_ref.is_some_and(|i| exact(i, &signed)),
        PolicyReferenceMatch::MatchRepoDigestOrExact => {
            image_ref.is_some_and(|i| repo_digest_or_exact(i, &signed))
        }
        PolicyReferenceMatch::MatchRepository => {
            image_ref.is_some_and(|i| i.name() == signed.name())
        }
        PolicyReferenceMatch::ExactReference { docker_reference } => {
            parse(docker_reference).is_some_and(|i| exact(&i, &signed))
        }
        PolicyReferenceMatch::ExactRepository { docker_repository } => {
            parse(docker_repository).is_some_and(|i| i.name() == signed.name())
        }
        PolicyReferenceMatch::RemapIdentity {
            prefix,
            signed_prefix,
        } => image_ref
            .and_then(|i| remap(i, prefix, signed_prefix))
            .is_some_and(|i| repo_digest_or_exact(&i, &signed)),
    }
}

fn exact(intended: &DockerReference, signed: &DockerReference) -> bool {
    !intended.is_name_only() && !signed.is_name_only() && intended.to_string() == signed.to_string()
}

fn repo_digest_or_exact(intended: &DockerReference, signed: &DockerReference) -> bool {
    if signed.is_name_only() {
        return false;
    }
    if intended.tag().is_some() {
        // Includes a reference with both a tag and a digest.
        intended.to_string() == signed.to_string()
    } else if intended.digest().is_some() {
        intended.name() == signed.name()
    } else {
        false
    }
}

/// `remapIdentity`: an image whose name is `prefix` or below it is treated as if it were
/// named with `signed_prefix` instead; other images are left as they are. `None` when the
/// rewritten name is not a valid reference.
fn remap(image: &DockerReference, prefix: &str, signed_prefix: &str) -> Option<DockerReference> {
    let name = image.name();
    let under = name == prefix
        || (name.len() > prefix.len()
            && name.starts_with(prefix)
            && name.as_bytes()[prefix.len()] == b'/');
    if !under {
        return Some(image.clone());
    }
    let rewritten = image.to_string().replacen(prefix, signed_prefix, 1);
    DockerReference::parse_named(&rewritten).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> DockerReference {
        DockerReference::parse_normalized_named(s).unwrap()
    }

    #[test]
    fn identity_rules_decide_as_c_image() {
        use PolicyReferenceMatch::*;
        let tagged = r("example.com/ns/repo:v1");
        let digest = format!("sha256:{}", "a".repeat(64));
        let digested = r(&format!("example.com/ns/repo@{digest}"));
        let cases: Vec<(PolicyReferenceMatch, Option<&DockerReference>, &str, bool)> = vec![
            (MatchExact, Some(&tagged), "example.com/ns/repo:v1", true),
            (MatchExact, Some(&tagged), "example.com/ns/repo:v2", false),
            (MatchExact, Some(&tagged), "example.com/ns/repo", false),
            (MatchExact, None, "example.com/ns/repo:v1", false),
            (
                MatchRepoDigestOrExact,
                Some(&tagged),
                "example.com/ns/repo:v1",
                true,
            ),
            (
                MatchRepoDigestOrExact,
                Some(&tagged),
                "example.com/ns/repo:v2",
                false,
            ),
            (
                MatchRepoDigestOrExact,
                Some(&digested),
                "example.com/ns/repo:v2",
                true,
            ),
            (
                MatchRepoDigestOrExact,
                Some(&digested),
                "example.com/ns/other:v2",
                false,
            ),
            (
                MatchRepository,
                Some(&tagged),
                "example.com/ns/repo:v9",
                true,
            ),
            (MatchRepository, Some(&tagged), "example.com/ns/repo", true),
            (
                MatchRepository,
                Some(&tagged),
                "example.com/ns/rep:v1",
                false,
            ),
            (
                ExactReference {
                    docker_reference: "example.com/x:1".into(),
                },
                None,
                "example.com/x:1",
                true,
            ),
            (
                ExactRepository {
                    docker_repository: "example.com/x".into(),
                },
                Some(&tagged),
                "example.com/x:7",
                true,
            ),
            (
                RemapIdentity {
                    prefix: "example.com/ns".into(),
                    signed_prefix: "signed.example.org/team".into(),
                },
                Some(&tagged),
                "signed.example.org/team/repo:v1",
                true,
            ),
            (
                RemapIdentity {
                    prefix: "example.com/n".into(),
                    signed_prefix: "signed.example.org/team".into(),
                },
                Some(&tagged),
                "signed.example.org/team/s/repo:v1",
                false,
            ),
            (MatchExact, Some(&tagged), "Invalid Ref", false),
        ];
        for (rule, image, signed, want) in cases {
            assert_eq!(
                identity_matches(&rule, image, signed),
                want,
                "{rule:?} {image:?} {signed}"
            );
        }
    }
}
