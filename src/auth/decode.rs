//! How c/image reads auth files (`auth.json`, Docker's `config.json`, a legacy `.dockercfg`)
//! into its structures, on the shared reader of Go's `encoding/json`
//! ([`crate::gojson::decode`]), with Go's error messages (`unexpected end of JSON input`,
//! `json: cannot unmarshal array into Go value of type config.dockerConfigFile`): object keys
//! find their fields under Go's case folding, unknown fields are ignored, `null` leaves a field
//! unset, and a key repeated in the file merges maps as Go does.

use std::collections::BTreeMap;

use crate::gojson::decode::{FirstError, Kind, Raw, check_valid, type_error};
use crate::gotext::go_field_named;

/// One `auths` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AuthEntry {
    pub auth: String,
    pub identity_token: String,
}

/// c/image's view of an auth file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ConfigFile {
    pub auths: BTreeMap<String, AuthEntry>,
    pub cred_helpers: BTreeMap<String, String>,
    /// Docker's default helper (`credsStore`). c/image has no such field, so a value that is
    /// not a string is ignored rather than an error.
    pub creds_store: String,
}

/// One entry; `in_auths` says it is a value of the `auths` field (errors name the struct field)
/// rather than of a legacy file's top-level map.
fn auth_entry(v: Raw, errs: &mut FirstError, in_auths: bool) -> AuthEntry {
    let mut e = AuthEntry::default();
    match v.kind() {
        Kind::Object => {}
        Kind::Null => return e,
        k if in_auths => {
            errs.field(k, "dockerConfigFile.auths", "config.dockerAuthConfig");
            return e;
        }
        k => {
            errs.value(k, "config.dockerAuthConfig");
            return e;
        }
    }
    for (k, val) in v.members() {
        let Some(name) = go_field_named(&k, &["auth", "identitytoken"]) else {
            continue;
        };
        let slot = if name == "auth" {
            &mut e.auth
        } else {
            &mut e.identity_token
        };
        match val.as_string() {
            Ok(Some(s)) => *slot = s,
            Ok(None) => {}
            Err(kind) => {
                let field = if in_auths {
                    format!("dockerAuthConfig.auths.{name}")
                } else {
                    format!("dockerAuthConfig.{name}")
                };
                errs.field(kind, &field, "string");
            }
        }
    }
    e
}

fn auths_map(v: Raw, into: &mut BTreeMap<String, AuthEntry>, errs: &mut FirstError, legacy: bool) {
    match v.kind() {
        Kind::Object => {
            for (k, val) in v.members() {
                into.insert(k, auth_entry(val, errs, !legacy));
            }
        }
        Kind::Null => {}
        k if legacy => errs.value(k, "map[string]config.dockerAuthConfig"),
        k => errs.field(
            k,
            "dockerConfigFile.auths",
            "map[string]config.dockerAuthConfig",
        ),
    }
}

/// Decodes an auth.json / config.json document (`legacy`: a `.dockercfg`, whose top level is
/// the `auths` map). Errors are Go's texts.
pub(crate) fn decode_config(data: &[u8], legacy: bool) -> Result<ConfigFile, String> {
    check_valid(data)?;
    let doc = Raw::top(data);
    let mut errs = FirstError::default();
    let mut out = ConfigFile::default();
    if legacy {
        auths_map(doc, &mut out.auths, &mut errs, true);
        return errs.finish(out);
    }
    match doc.kind() {
        Kind::Object => {}
        Kind::Null => return Ok(out),
        k => return Err(type_error(k, "config.dockerConfigFile")),
    }
    for (k, val) in doc.members() {
        if k == "credsStore" {
            if let Ok(Some(store)) = val.as_string() {
                out.creds_store = store;
            }
            continue;
        }
        match go_field_named(&k, &["auths", "credHelpers"]) {
            Some("auths") => auths_map(val, &mut out.auths, &mut errs, false),
            Some(_) => cred_helpers(val, &mut out.cred_helpers, &mut errs),
            None => {}
        }
    }
    errs.finish(out)
}

fn cred_helpers(v: Raw, into: &mut BTreeMap<String, String>, errs: &mut FirstError) {
    match v.kind() {
        Kind::Object => {
            for (registry, helper) in v.members() {
                match helper.as_string() {
                    Ok(h) => {
                        into.insert(registry, h.unwrap_or_default());
                    }
                    Err(k) => errs.field(k, "dockerConfigFile.credHelpers", "string"),
                }
            }
        }
        Kind::Null => {}
        k => errs.field(k, "dockerConfigFile.credHelpers", "map[string]string"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_errors_match_go() {
        let err = |s: &str| decode_config(s.as_bytes(), false).unwrap_err();
        assert_eq!(
            err("[]"),
            "json: cannot unmarshal array into Go value of type config.dockerConfigFile"
        );
        assert_eq!(
            err(r#"{"auths":[]}"#),
            "json: cannot unmarshal array into Go struct field dockerConfigFile.auths of type map[string]config.dockerAuthConfig"
        );
        assert_eq!(
            err(r#"{"auths":{"x":{"auth":"dTpw", "identitytoken": 5}}}"#),
            "json: cannot unmarshal number into Go struct field dockerAuthConfig.auths.identitytoken of type string"
        );
        assert_eq!(
            err(r#"{"auths":{"x":"s"}}"#),
            "json: cannot unmarshal string into Go struct field dockerConfigFile.auths of type config.dockerAuthConfig"
        );
        assert_eq!(
            err(r#"{"credHelpers":{"x":true}}"#),
            "json: cannot unmarshal bool into Go struct field dockerConfigFile.credHelpers of type string"
        );
        let legacy = |s: &str| decode_config(s.as_bytes(), true).unwrap_err();
        assert_eq!(
            legacy("[]"),
            "json: cannot unmarshal array into Go value of type map[string]config.dockerAuthConfig"
        );
        assert_eq!(
            legacy(r#"{"x":{"auth":1}}"#),
            "json: cannot unmarshal number into Go struct field dockerAuthConfig.auth of type string"
        );
    }

    #[test]
    fn decoding_follows_go_field_rules() {
        let c = decode_config(
            br#"{"Auths":{"x":{"AUTH":"a"}},"auths":{"y":{"auth":"b","identitytoken":"t"}},"other":[1,{"z":null}],"credhelpers":{"h":"helper"}}"#,
            false,
        )
        .unwrap();
        assert_eq!(c.auths["x"].auth, "a");
        assert_eq!(c.auths["y"].identity_token, "t");
        assert_eq!(c.cred_helpers["h"], "helper");
        assert_eq!(
            decode_config(b"null", false).unwrap(),
            ConfigFile::default()
        );
        let legacy = decode_config(br#"{"https://x/v1/":{"auth":"a","email":"e"}}"#, true).unwrap();
        assert_eq!(legacy.auths["https://x/v1/"].auth, "a");
    }

    /// Go's scanner limits nesting to 10000 levels, ignored fields included, and decoding
    /// deeper input must not exhaust the stack.
    #[test]
    fn nesting_is_limited_as_in_go() {
        let nested = |field: &str, depth: usize| {
            let text = format!(
                "{{\"{field}\":{}{}}}",
                "[".repeat(depth - 1),
                "]".repeat(depth - 1)
            );
            decode_config(text.as_bytes(), false)
        };
        assert_eq!(nested("other", 10000), Ok(ConfigFile::default()));
        assert_eq!(
            nested("other", 10001).unwrap_err(),
            "invalid character '[' exceeded max depth"
        );
        assert_eq!(
            nested("auths", 20000).unwrap_err(),
            "invalid character '[' exceeded max depth"
        );
    }

    /// Each byte of invalid UTF-8 becomes one U+FFFD, as skopeo 1.9.3 showed for a credential
    /// helper named `a\xe2\x82b` (it looked for `docker-credential-a\u{fffd}\u{fffd}b`).
    #[test]
    fn invalid_utf8_decodes_as_in_go() {
        let c = decode_config(b"{\"credHelpers\":{\"x\":\"a\xe2\x82b\"}}", false).unwrap();
        assert_eq!(c.cred_helpers["x"], "a\u{fffd}\u{fffd}b");
    }

    /// Keys find their fields under Go's case folding: skopeo 1.9.3 reads `authſ` (U+017F) as
    /// `auths`, and the Kelvin sign as `k`.
    #[test]
    fn keys_fold_as_in_go() {
        let c = decode_config(
            "{\"auth\u{17f}\":{\"x\":{\"auth\":\"a\",\"identitytoKen\":\"t\"}}}"
                .replace('K', "\u{212a}")
                .as_bytes(),
            false,
        )
        .unwrap();
        assert_eq!(c.auths["x"].auth, "a");
        assert_eq!(c.auths["x"].identity_token, "t");
        let c = decode_config(br#"{"auth":{"x":{"auth":"a"}},"auths ":{"y":{}}}"#, false).unwrap();
        assert!(c.auths.is_empty());
    }
}
