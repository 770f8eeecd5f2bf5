//! Strict parsing of `policy.json`, following c/image's `NewPolicyFromBytes` step by step so
//! that errors come out in the same order and with the same texts (as in c/image 5.23, which
//! the skopeo 1.9.3 reference build uses).

use std::collections::BTreeMap;

use crate::gotext::go_quote;
use crate::reference::DockerReference;
use crate::reference::grammar::{is_domain, split_name};

use super::json::{self, Raw};
use super::naming::is_valid_scope;
use super::{KeyType, Policy, PolicyReferenceMatch, PolicyRequirement, SignedByKeys, SigstoreKey};

type Res<T> = std::result::Result<T, String>;

const PR_TYPE: &str = "signature.prTypeIdentifier";
const PRM_TYPE: &str = "signature.prmTypeIdentifier";

pub(super) fn parse_policy(data: &[u8]) -> Res<Policy> {
    json::check_valid(data)?;
    let mut default = None;
    let mut transports = BTreeMap::new();
    json::paranoid_object(Raw::top(data), |key, value| match key {
        "default" => Some(parse_requirements(value).map(|r| default = Some(r))),
        "transports" => Some(parse_transports(value).map(|t| transports = t)),
        _ => None,
    })?;
    let default = default.ok_or_else(|| "Default policy is missing".to_string())?;
    Ok(Policy {
        default,
        transports,
        require_signed: false,
    })
}

type Scopes = BTreeMap<String, Vec<PolicyRequirement>>;

fn parse_transports(raw: Raw) -> Res<BTreeMap<String, Scopes>> {
    let mut res = BTreeMap::new();
    json::paranoid_object(raw, |transport, value| {
        Some(parse_scopes(transport, value).map(|s| {
            res.insert(transport.to_string(), s);
        }))
    })?;
    Ok(res)
}

fn parse_scopes(transport: &str, raw: Raw) -> Res<Scopes> {
    let mut res = BTreeMap::new();
    json::paranoid_object(raw, |scope, value| {
        if !scope.is_empty() && !is_valid_scope(transport, scope) {
            return None;
        }
        Some(parse_requirements(value).map(|r| {
            res.insert(scope.to_string(), r);
        }))
    })?;
    Ok(res)
}

fn parse_requirements(raw: Raw) -> Res<Vec<PolicyRequirement>> {
    let items = json::decode_raw_list(raw)?;
    if items.is_empty() {
        return Err("List of verification policy requirements must not be empty".to_string());
    }
    items.into_iter().map(parse_requirement).collect()
}

fn unexpected_type(t: &str) -> String {
    format!("Unexpected policy requirement type \"{t}\"")
}

/// A requirement or reference match whose only field is `type`.
fn parse_type_only(raw: Raw, expected: &str, go_type: &str) -> Res<()> {
    let mut t = String::new();
    json::exact_fields(raw, &["type"], |_, v| {
        if let Some(s) = json::decode_string(v, go_type)? {
            t = s;
        }
        Ok(())
    })?;
    if t != expected {
        return Err(unexpected_type(&t));
    }
    Ok(())
}

fn parse_requirement(raw: Raw) -> Res<PolicyRequirement> {
    let t = json::decode_type_field(raw, "prCommon", PR_TYPE)?;
    match t.as_str() {
        "insecureAcceptAnything" => {
            parse_type_only(raw, &t, PR_TYPE)?;
            Ok(PolicyRequirement::InsecureAcceptAnything)
        }
        "reject" => {
            parse_type_only(raw, &t, PR_TYPE)?;
            Ok(PolicyRequirement::Reject)
        }
        "signedBy" => parse_signed_by(raw),
        "signedBaseLayer" => parse_signed_base_layer(raw),
        "sigstoreSigned" => parse_sigstore_signed(raw),
        _ => Err(format!("Unknown policy requirement type \"{t}\"")),
    }
}

/// `signedIdentity` defaults to `matchRepoDigestOrExact` when absent.
fn parse_signed_identity(raw: Option<Raw>) -> Res<PolicyReferenceMatch> {
    match raw {
        None => Ok(PolicyReferenceMatch::MatchRepoDigestOrExact),
        Some(r) => parse_reference_match(r),
    }
}

/// The fields `signedBy` and `sigstoreSigned` share, decoded as their `UnmarshalJSON` methods
/// decode them; `got_path` and `got_data` record that the key was present, even as `null`.
#[derive(Default)]
struct KeyedFields<'a> {
    t: String,
    got_path: bool,
    key_path: String,
    got_data: bool,
    key_data: Option<Vec<u8>>,
    signed_identity: Option<Raw<'a>>,
}

impl<'a> KeyedFields<'a> {
    /// Decodes `key` if it is one of the shared fields; `None` for any other key.
    fn field(&mut self, key: &str, v: Raw<'a>) -> Option<Res<()>> {
        let r = match key {
            "type" => json::decode_string(v, PR_TYPE).map(|s| {
                if let Some(s) = s {
                    self.t = s;
                }
            }),
            "keyPath" => {
                self.got_path = true;
                json::decode_string(v, "string").map(|s| {
                    if let Some(s) = s {
                        self.key_path = s;
                    }
                })
            }
            "keyData" => {
                self.got_data = true;
                json::decode_bytes(v).map(|d| {
                    if d.is_some() {
                        self.key_data = d;
                    }
                })
            }
            "signedIdentity" => {
                self.signed_identity = Some(v);
                Ok(())
            }
            _ => return None,
        };
        Some(r)
    }
}

fn parse_signed_by(raw: Raw) -> Res<PolicyRequirement> {
    let mut f = KeyedFields::default();
    let mut key_type = String::new();
    let mut got_paths = false;
    let mut key_paths: Option<Vec<String>> = None;
    json::paranoid_object(raw, |key, v| {
        let r = match key {
            // sbKeyType's own UnmarshalJSON decodes into a plain string first.
            "keyType" => json::decode_string(v, "string").and_then(|s| {
                let s = s.unwrap_or_default();
                if KeyType::from_name(&s).is_none() {
                    return Err(format!("Unrecognized keyType value \"{s}\""));
                }
                key_type = s;
                Ok(())
            }),
            "keyPaths" => {
                got_paths = true;
                json::decode_string_slice(v).map(|p| {
                    if p.is_some() {
                        key_paths = p;
                    }
                })
            }
            _ => return f.field(key, v),
        };
        Some(r)
    })?;
    if f.t != "signedBy" {
        return Err(unexpected_type(&f.t));
    }
    let signed_identity = parse_signed_identity(f.signed_identity)?;
    // Which key sources were named decides the constructor; the constructor then validates.
    let keys = match (f.got_path, got_paths, f.got_data) {
        (true, false, false) => (!f.key_path.is_empty()).then_some(SignedByKeys::Path(f.key_path)),
        (false, true, false) => key_paths.map(SignedByKeys::Paths),
        (false, false, true) => f.key_data.map(SignedByKeys::Data),
        (false, false, false) => {
            return Err("Exactly one of keyPath, keyPaths and keyData must be specified, none of them present".to_string());
        }
        _ => {
            return Err("Exactly one of keyPath, keyPaths and keyData must be specified, more than one present".to_string());
        }
    };
    let Some(key_type) = KeyType::from_name(&key_type) else {
        return Err(format!("invalid keyType \"{key_type}\""));
    };
    let Some(keys) = keys else {
        return Err("exactly one of keyPath, keyPaths and keyData must be specified".to_string());
    };
    Ok(PolicyRequirement::SignedBy {
        key_type,
        keys,
        signed_identity,
    })
}

fn parse_signed_base_layer(raw: Raw) -> Res<PolicyRequirement> {
    let mut t = String::new();
    let mut identity = None;
    json::exact_fields(raw, &["type", "baseLayerIdentity"], |key, v| {
        if key == "type" {
            if let Some(s) = json::decode_string(v, PR_TYPE)? {
                t = s;
            }
        } else {
            identity = Some(v);
        }
        Ok(())
    })?;
    if t != "signedBaseLayer" {
        return Err(unexpected_type(&t));
    }
    let Some(identity) = identity else {
        return Err("baseLayerIdentity not specified".to_string());
    };
    Ok(PolicyRequirement::SignedBaseLayer {
        base_layer_identity: parse_reference_match(identity)?,
    })
}

fn parse_sigstore_signed(raw: Raw) -> Res<PolicyRequirement> {
    let mut f = KeyedFields::default();
    let (mut got_paths, mut key_paths) = (false, None);
    let (mut got_datas, mut key_datas) = (false, None);
    let mut fulcio = None;
    let mut pki = None;
    let mut rekor = RekorFields::default();
    json::paranoid_object(raw, |key, v| {
        let r = match key {
            "keyPaths" => {
                got_paths = true;
                json::decode_string_slice(v).map(|p| key_paths = p)
            }
            "keyDatas" => {
                got_datas = true;
                json::decode_bytes_slice(v).map(|d| key_datas = d)
            }
            "fulcio" => parse_fulcio(v).map(|f| fulcio = Some(f)),
            "pki" => parse_pki(v).map(|p| pki = Some(p)),
            _ => match rekor.field(key, v) {
                Some(r) => r,
                None => return f.field(key, v),
            },
        };
        Some(r)
    })?;
    if f.t != "sigstoreSigned" {
        return Err(unexpected_type(&f.t));
    }
    let signed_identity = parse_signed_identity(f.signed_identity)?;
    if got_paths || got_datas || fulcio.is_some() || pki.is_some() || rekor.named() {
        return head_sigstore_signed(
            f.key_path,
            key_paths.filter(|_| got_paths),
            f.key_data,
            key_datas.filter(|_| got_datas),
            (got_paths, got_datas),
            (fulcio, pki),
            rekor,
            signed_identity,
        );
    }
    let key = match (f.got_path, f.got_data) {
        (true, true) => {
            return Err("keyPath and keyData cannot be used simultaneously".to_string());
        }
        (true, false) => SigstoreKey::Path(f.key_path),
        (false, true) => SigstoreKey::Data(f.key_data.unwrap_or_default()),
        (false, false) => {
            return Err("At least one of keyPath and keyData must be specified".to_string());
        }
    };
    Ok(PolicyRequirement::SigstoreSigned {
        key,
        rekor: None,
        signed_identity,
    })
}

/// `rekorPublicKeyPath(s)` / `rekorPublicKeyData(s)` as given.
#[derive(Default)]
struct RekorFields {
    path: String,
    paths: Option<Vec<String>>,
    got_paths: bool,
    data: Option<Vec<u8>>,
    datas: Option<Vec<Vec<u8>>>,
    got_datas: bool,
}

impl RekorFields {
    fn field(&mut self, key: &str, v: Raw) -> Option<Res<()>> {
        Some(match key {
            "rekorPublicKeyPath" => json::decode_string(v, "string").map(|s| {
                self.path = s.unwrap_or_default();
            }),
            "rekorPublicKeyPaths" => {
                self.got_paths = true;
                json::decode_string_slice(v).map(|p| self.paths = p)
            }
            "rekorPublicKeyData" => json::decode_bytes(v).map(|d| self.data = d),
            "rekorPublicKeyDatas" => {
                self.got_datas = true;
                json::decode_bytes_slice(v).map(|d| self.datas = d)
            }
            _ => return None,
        })
    }

    fn named(&self) -> bool {
        !self.path.is_empty() || self.got_paths || self.data.is_some() || self.got_datas
    }
}

/// skopeo HEAD's `sigstoreSigned` (key lists, Fulcio, Rekor), with its checks and words.
#[allow(clippy::too_many_arguments)]
fn head_sigstore_signed(
    key_path: String,
    key_paths: Option<Vec<String>>,
    key_data: Option<Vec<u8>>,
    key_datas: Option<Vec<Vec<u8>>>,
    (got_paths, got_datas): (bool, bool),
    (fulcio, pki): (Option<super::FulcioTrust>, Option<super::PkiTrust>),
    rekor: RekorFields,
    signed_identity: PolicyReferenceMatch,
) -> Res<PolicyRequirement> {
    if got_paths && key_paths.as_ref().is_none_or(Vec::is_empty) {
        return Err("\"keyPaths\" contains no entries".to_string());
    }
    if got_datas && key_datas.as_ref().is_none_or(Vec::is_empty) {
        return Err("\"keyDatas\" contains no entries".to_string());
    }
    if rekor.got_paths && rekor.paths.as_ref().is_none_or(Vec::is_empty) {
        return Err("\"rekorPublickeyPaths\" contains no entries".to_string());
    }
    if rekor.got_datas && rekor.datas.as_ref().is_none_or(Vec::is_empty) {
        return Err("\"rekorPublickeyDatas\" contains no entries".to_string());
    }
    let mut keys = Vec::new();
    if !key_path.is_empty() {
        keys.push(SigstoreKey::Path(key_path));
    }
    keys.extend(key_paths.map(SigstoreKey::Paths));
    keys.extend(key_data.map(SigstoreKey::Data));
    keys.extend(key_datas.map(SigstoreKey::Datas));
    keys.extend(fulcio.map(|f| SigstoreKey::Fulcio(Box::new(f))));
    keys.extend(pki.map(|p| SigstoreKey::Pki(Box::new(p))));
    if keys.len() != 1 {
        return Err("exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, and pki must be specified".to_string());
    }
    let key = keys.remove(0);
    let mut rekor_keys = Vec::new();
    if !rekor.path.is_empty() {
        rekor_keys.push(SigstoreKey::Path(rekor.path));
    }
    rekor_keys.extend(rekor.paths.map(SigstoreKey::Paths));
    rekor_keys.extend(rekor.data.map(SigstoreKey::Data));
    rekor_keys.extend(rekor.datas.map(SigstoreKey::Datas));
    if rekor_keys.len() > 1 {
        return Err("at most one of rekorPublickeyPath, rekorPublicKeyPaths, rekorPublickeyData and rekorPublicKeyDatas can be used simultaneously".to_string());
    }
    if matches!(key, SigstoreKey::Fulcio(_)) && rekor_keys.is_empty() {
        return Err("At least one of rekorPublickeyPath, rekorPublicKeyPaths, rekorPublickeyData and rekorPublicKeyDatas must be specified if fulcio is used".to_string());
    }
    if matches!(key, SigstoreKey::Pki(_)) && !rekor_keys.is_empty() {
        return Err("rekorPublickeyPath, rekorPublicKeyPaths, rekorPublickeyData and rekorPublicKeyDatas are not supported for pki".to_string());
    }
    Ok(PolicyRequirement::SigstoreSigned {
        key,
        rekor: rekor_keys.pop(),
        signed_identity,
    })
}

/// `fulcio`: exactly one of `caPath`/`caData`, and both `oidcIssuer` and `subjectEmail`.
fn parse_fulcio(raw: Raw) -> Res<super::FulcioTrust> {
    let (mut ca_path, mut ca_data) = (String::new(), None);
    let (mut issuer, mut email) = (String::new(), String::new());
    json::paranoid_object(raw, |key, v| {
        Some(match key {
            "caPath" => json::decode_string(v, "string").map(|s| ca_path = s.unwrap_or_default()),
            "caData" => json::decode_bytes(v).map(|d| ca_data = d),
            "oidcIssuer" => {
                json::decode_string(v, "string").map(|s| issuer = s.unwrap_or_default())
            }
            "subjectEmail" => {
                json::decode_string(v, "string").map(|s| email = s.unwrap_or_default())
            }
            _ => return None,
        })
    })?;
    let ca = match (ca_path.is_empty(), ca_data) {
        (false, Some(_)) => {
            return Err("caPath and caData cannot be used simultaneously".to_string());
        }
        (false, None) => SigstoreKey::Path(ca_path),
        (true, Some(d)) => SigstoreKey::Data(d),
        (true, None) => {
            return Err("At least one of caPath and caData must be specified".to_string());
        }
    };
    if issuer.is_empty() {
        return Err("oidcIssuer not specified".to_string());
    }
    if email.is_empty() {
        return Err("subjectEmail not specified".to_string());
    }
    Ok(super::FulcioTrust {
        ca,
        oidc_issuer: issuer,
        subject_email: email,
    })
}

/// `pki` (skopeo HEAD): exactly one of `caRootsPath`/`caRootsData`, at most one of
/// `caIntermediatesPath`/`caIntermediatesData`, and `subjectEmail` or `subjectHostname`.
fn parse_pki(raw: Raw) -> Res<super::PkiTrust> {
    let (mut roots_path, mut roots_data) = (String::new(), None);
    let (mut inter_path, mut inter_data) = (String::new(), None);
    let (mut email, mut hostname) = (String::new(), String::new());
    let string = |v: Raw, into: &mut String| {
        json::decode_string(v, "string").map(|s| *into = s.unwrap_or_default())
    };
    json::paranoid_object(raw, |key, v| {
        Some(match key {
            "caRootsPath" => string(v, &mut roots_path),
            "caRootsData" => json::decode_bytes(v).map(|d| roots_data = d),
            "caIntermediatesPath" => string(v, &mut inter_path),
            "caIntermediatesData" => json::decode_bytes(v).map(|d| inter_data = d),
            "subjectEmail" => string(v, &mut email),
            "subjectHostname" => string(v, &mut hostname),
            _ => return None,
        })
    })?;
    let roots = match (roots_path.is_empty(), roots_data) {
        (false, Some(_)) => {
            return Err("caRootsPath and caRootsData cannot be used simultaneously".to_string());
        }
        (false, None) => SigstoreKey::Path(roots_path),
        (true, Some(d)) => SigstoreKey::Data(d),
        (true, None) => {
            return Err(
                "At least one of caRootsPath and caRootsData must be specified".to_string(),
            );
        }
    };
    let intermediates = match (inter_path.is_empty(), inter_data) {
        (false, Some(_)) => {
            return Err(
                "caIntermediatesPath and caIntermediatesData cannot be used simultaneously"
                    .to_string(),
            );
        }
        (false, None) => Some(SigstoreKey::Path(inter_path)),
        (true, d) => d.map(SigstoreKey::Data),
    };
    if email.is_empty() && hostname.is_empty() {
        return Err("At least one of subjectEmail, subjectHostname must be specified".to_string());
    }
    Ok(super::PkiTrust {
        roots,
        intermediates,
        subject_email: email,
        subject_hostname: hostname,
    })
}

/// A reference match with `type` and string fields `names`, all required; returns their
/// values in `names` order.
fn parse_string_fields(raw: Raw, expected: &str, names: &[&str]) -> Res<Vec<String>> {
    let mut fields = vec!["type"];
    fields.extend_from_slice(names);
    let mut values = vec![String::new(); fields.len()];
    json::exact_fields(raw, &fields, |key, v| {
        let i = fields.iter().position(|f| *f == key).unwrap_or(0);
        let go_type = if i == 0 { PRM_TYPE } else { "string" };
        if let Some(s) = json::decode_string(v, go_type)? {
            values[i] = s;
        }
        Ok(())
    })?;
    if values[0] != expected {
        return Err(unexpected_type(&values[0]));
    }
    values.remove(0);
    Ok(values)
}

fn parse_reference_match(raw: Raw) -> Res<PolicyReferenceMatch> {
    let t = json::decode_type_field(raw, "prmCommon", PRM_TYPE)?;
    match t.as_str() {
        "matchExact" => {
            parse_type_only(raw, &t, PRM_TYPE)?;
            Ok(PolicyReferenceMatch::MatchExact)
        }
        "matchRepoDigestOrExact" => {
            parse_type_only(raw, &t, PRM_TYPE)?;
            Ok(PolicyReferenceMatch::MatchRepoDigestOrExact)
        }
        "matchRepository" => {
            parse_type_only(raw, &t, PRM_TYPE)?;
            Ok(PolicyReferenceMatch::MatchRepository)
        }
        "exactReference" => {
            let mut v = parse_string_fields(raw, &t, &["dockerReference"])?;
            let docker_reference = v.pop().unwrap_or_default();
            match DockerReference::parse_normalized_named(&docker_reference) {
                Err(e) => Err(format!(
                    "Invalid format of dockerReference {docker_reference}: {e}"
                )),
                Ok(r) if r.is_name_only() => Err(format!(
                    "dockerReference {docker_reference} contains neither a tag nor digest"
                )),
                Ok(_) => Ok(PolicyReferenceMatch::ExactReference { docker_reference }),
            }
        }
        "exactRepository" => {
            let mut v = parse_string_fields(raw, &t, &["dockerRepository"])?;
            let docker_repository = v.pop().unwrap_or_default();
            if let Err(e) = DockerReference::parse_normalized_named(&docker_repository) {
                return Err(format!(
                    "Invalid format of dockerRepository {docker_repository}: {e}"
                ));
            }
            Ok(PolicyReferenceMatch::ExactRepository { docker_repository })
        }
        "remapIdentity" => {
            let v = parse_string_fields(raw, &t, &["prefix", "signedPrefix"])?;
            let (prefix, signed_prefix) = (v[0].clone(), v[1].clone());
            validate_remap_prefix(&prefix)?;
            validate_remap_prefix(&signed_prefix)?;
            Ok(PolicyReferenceMatch::RemapIdentity {
                prefix,
                signed_prefix,
            })
        }
        _ => Err(format!("Unknown policy reference match type \"{t}\"")),
    }
}

/// A `remapIdentity` prefix must be a bare domain (`host[:port]`) or a name starting with one
/// (`reference.DomainRegexp`, or `reference.NameRegexp` whose text before the first `/` matches
/// `DomainRegexp`).
fn validate_remap_prefix(s: &str) -> Res<()> {
    let name_with_domain = matches!(split_name(s), Some((domain, _)) if !domain.is_empty());
    if is_domain(s) || name_with_domain {
        Ok(())
    } else {
        Err(format!("prefix {} is not valid", go_quote(s)))
    }
}
