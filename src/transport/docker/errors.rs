//! Registry error answers, turned into the messages skopeo 1.9.3 prints for them.
//!
//! A registry answers a failed request with a status and, usually, a JSON body
//! `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"…","detail":…}]}` (distribution's error
//! codes). skopeo words each case in a particular way; this module reproduces that wording
//! and keeps the codes so callers can decide on them (missing image, denied, …).

use std::fmt;

use serde_json::Value;

use super::challenge::Challenge;

/// An error code of the distribution API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    Unknown,
    Unsupported,
    Unauthorized,
    Denied,
    Unavailable,
    TooManyRequests,
    DigestInvalid,
    SizeInvalid,
    NameInvalid,
    TagInvalid,
    NameUnknown,
    ManifestUnknown,
    ManifestInvalid,
    ManifestUnverified,
    ManifestBlobUnknown,
    BlobUnknown,
    BlobUploadUnknown,
    BlobUploadInvalid,
    /// A code distribution does not know: kept as sent, treated (and printed) as `UNKNOWN`,
    /// as distribution's client does.
    Other(String),
}

/// The known codes, as sent, with their default messages.
const CODES: &[(ErrorCode, &str, &str)] = &[
    (ErrorCode::Unknown, "UNKNOWN", "unknown error"),
    (
        ErrorCode::Unsupported,
        "UNSUPPORTED",
        "The operation is unsupported.",
    ),
    (
        ErrorCode::Unauthorized,
        "UNAUTHORIZED",
        "authentication required",
    ),
    (
        ErrorCode::Denied,
        "DENIED",
        "requested access to the resource is denied",
    ),
    (ErrorCode::Unavailable, "UNAVAILABLE", "service unavailable"),
    (
        ErrorCode::TooManyRequests,
        "TOOMANYREQUESTS",
        "too many requests",
    ),
    (
        ErrorCode::DigestInvalid,
        "DIGEST_INVALID",
        "provided digest did not match uploaded content",
    ),
    (
        ErrorCode::SizeInvalid,
        "SIZE_INVALID",
        "provided length did not match content length",
    ),
    (
        ErrorCode::NameInvalid,
        "NAME_INVALID",
        "invalid repository name",
    ),
    (
        ErrorCode::TagInvalid,
        "TAG_INVALID",
        "manifest tag did not match URI",
    ),
    (
        ErrorCode::NameUnknown,
        "NAME_UNKNOWN",
        "repository name not known to registry",
    ),
    (
        ErrorCode::ManifestUnknown,
        "MANIFEST_UNKNOWN",
        "manifest unknown",
    ),
    (
        ErrorCode::ManifestInvalid,
        "MANIFEST_INVALID",
        "manifest invalid",
    ),
    (
        ErrorCode::ManifestUnverified,
        "MANIFEST_UNVERIFIED",
        "manifest failed signature verification",
    ),
    (
        ErrorCode::ManifestBlobUnknown,
        "MANIFEST_BLOB_UNKNOWN",
        "blob unknown to registry",
    ),
    (
        ErrorCode::BlobUnknown,
        "BLOB_UNKNOWN",
        "blob unknown to registry",
    ),
    (
        ErrorCode::BlobUploadUnknown,
        "BLOB_UPLOAD_UNKNOWN",
        "blob upload unknown to registry",
    ),
    (
        ErrorCode::BlobUploadInvalid,
        "BLOB_UPLOAD_INVALID",
        "blob upload invalid",
    ),
];

impl ErrorCode {
    /// The code a registry sent.
    pub fn parse(code: &str) -> ErrorCode {
        CODES
            .iter()
            .find(|(_, name, _)| *name == code)
            .map_or_else(|| ErrorCode::Other(code.to_string()), |(c, _, _)| c.clone())
    }

    /// The code as distribution names it (`UNKNOWN` for one it does not know).
    pub fn name(&self) -> &'static str {
        self.known().1
    }

    fn default_message(&self) -> &'static str {
        self.known().2
    }

    fn known(&self) -> &'static (ErrorCode, &'static str, &'static str) {
        let this = match self {
            ErrorCode::Other(_) => &ErrorCode::Unknown,
            known => known,
        };
        CODES
            .iter()
            .find(|(c, _, _)| c == this)
            .expect("every known code is listed")
    }
}

/// One entry of a registry's error list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodedError {
    pub code: ErrorCode,
    pub message: String,
    /// Whether the entry is just its code (no detail, default message): printed shorter.
    bare: bool,
}

impl CodedError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> CodedError {
        CodedError {
            code,
            message: message.into(),
            bare: false,
        }
    }
}

impl fmt::Display for CodedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code.name().replace('_', " ").to_lowercase();
        if self.bare {
            write!(f, "{code}")
        } else {
            write!(f, "{code}: {}", self.message)
        }
    }
}

/// What was wrong with a registry's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryError {
    /// The registry explained itself with error codes.
    Codes(Vec<CodedError>),
    /// A 4xx answer whose body is not an error list.
    UnexpectedBody { status: u16, body: String },
    /// Any other status (5xx, 3xx…), e.g. `500 Internal Server Error`.
    UnexpectedStatus(String),
}

impl RegistryError {
    /// Reads a failed answer the way distribution's client does.
    pub fn from_response(status: u16, challenges: &[Challenge], body: &[u8]) -> RegistryError {
        if !(400..500).contains(&status) {
            return RegistryError::UnexpectedStatus(status_line(status));
        }
        if status == 401 {
            for c in challenges.iter().filter(|c| c.scheme == "bearer") {
                let code = match c.param("error") {
                    Some("invalid_token") => ErrorCode::Unauthorized,
                    Some("insufficient_scope") => ErrorCode::Denied,
                    _ => continue,
                };
                let message = c
                    .param("error_description")
                    .filter(|d| !d.is_empty())
                    .unwrap_or(code.default_message())
                    .to_string();
                let mut list = vec![CodedError::new(code, message)];
                match parse_body(status, body) {
                    RegistryError::Codes(more) => list.extend(more),
                    other => list.push(CodedError {
                        code: ErrorCode::Unknown,
                        message: other.to_string(),
                        bare: true,
                    }),
                }
                return RegistryError::Codes(list);
            }
        }
        match parse_body(status, body) {
            RegistryError::UnexpectedBody { .. } if status == 401 => {
                let code = ErrorCode::Unauthorized;
                let message = code.default_message();
                RegistryError::Codes(vec![CodedError::new(code, message)])
            }
            other => other,
        }
    }

    /// Whether the first error has `code` (any code distribution does not know counts as
    /// [`ErrorCode::Unknown`]).
    pub fn has_code(&self, code: ErrorCode) -> bool {
        matches!(self, RegistryError::Codes(list)
            if list.first().is_some_and(|e| e.code.known().0 == code))
    }

    /// Whether any of the errors has `code` (distribution lists a manifest's unknown blob
    /// after a `DIGEST_INVALID` when it read a link file another writer was rewriting).
    pub fn lists_code(&self, code: ErrorCode) -> bool {
        matches!(self, RegistryError::Codes(list)
            if list.iter().any(|e| e.code.known().0 == code))
    }
}

fn parse_body(status: u16, body: &[u8]) -> RegistryError {
    let unexpected = || RegistryError::UnexpectedBody {
        status,
        body: String::from_utf8_lossy(body).into_owned(),
    };
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return unexpected();
    };
    if let Some(Value::String(details)) = crate::manifest::go_field(&obj, "details")
        && !details.is_empty()
    {
        let code = match status {
            401 => ErrorCode::Unauthorized,
            429 => ErrorCode::TooManyRequests,
            _ => ErrorCode::Unknown,
        };
        return RegistryError::Codes(vec![CodedError::new(code, details.clone())]);
    }
    let Some(Value::Array(entries)) = crate::manifest::go_field(&obj, "errors") else {
        return unexpected();
    };
    let mut list = Vec::new();
    for e in entries {
        let Value::Object(e) = e else {
            return unexpected();
        };
        let raw_code = match crate::manifest::go_field(e, "code") {
            Some(Value::String(s)) => s.as_str(),
            _ => "",
        };
        let code = ErrorCode::parse(raw_code);
        let message = match crate::manifest::go_field(e, "message") {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        let has_detail = matches!(crate::manifest::go_field(e, "detail"), Some(v) if !v.is_null());
        let bare = !has_detail && (message.is_empty() || message == code.default_message());
        list.push(CodedError {
            code,
            message,
            bare,
        });
    }
    if list.is_empty() {
        return unexpected();
    }
    RegistryError::Codes(list)
}

/// Go's `resp.Status`: `404 Not Found`.
pub fn status_line(status: u16) -> String {
    let text = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    format!("{status} {text}").trim_end().to_string()
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::Codes(list) if list.len() == 1 => write!(f, "{}", list[0]),
            RegistryError::Codes(list) => {
                f.write_str("errors:\n")?;
                for e in list {
                    writeln!(f, "{e}")?;
                }
                Ok(())
            }
            RegistryError::UnexpectedBody { status, body } => {
                let mut shown: String = body.chars().take(50).collect();
                if body.len() > shown.len() {
                    shown.push_str("...");
                }
                write!(f, "StatusCode: {status}, {shown}")
            }
            RegistryError::UnexpectedStatus(s) => {
                write!(f, "received unexpected HTTP status: {s}")
            }
        }
    }
}

impl std::error::Error for RegistryError {}

/// The registry refused the credentials (skopeo's `ErrUnauthorizedForCredentials`).
#[derive(Debug)]
pub struct Unauthorized(pub String);

impl fmt::Display for Unauthorized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unable to retrieve auth token: invalid username/password: {}",
            self.0
        )
    }
}

impl std::error::Error for Unauthorized {}

/// skopeo's `httpResponseToError`, used for token and tag-list answers: `None` for 200.
pub fn http_response_error(
    status: u16,
    challenges: &[Challenge],
    body: &[u8],
    context: &str,
) -> Option<anyhow::Error> {
    match status {
        200 => None,
        429 => Some(anyhow::anyhow!("too many requests to registry")),
        401 => Some(
            Unauthorized(RegistryError::from_response(status, challenges, body).to_string()).into(),
        ),
        _ => {
            let text = reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            let prefix = if context.is_empty() {
                String::new()
            } else {
                format!("{context}: ")
            };
            Some(anyhow::anyhow!(
                "{prefix}invalid status code from registry {status} ({text})"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_blob_unknown_listed_second_is_seen() {
        // The answer distribution 2.8.2 gave a manifest PUT racing another writer's link
        // (from the registry's own log in a failed sharded sync).
        let body = br#"{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"},{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:a0fa9b0576f259c319714935c2ac255200a5e84be0d9c191950739775194d64f"}]}"#;
        let e = RegistryError::from_response(400, &[], body);
        assert!(!e.has_code(ErrorCode::ManifestBlobUnknown));
        assert!(e.lists_code(ErrorCode::ManifestBlobUnknown));
    }

    #[test]
    fn coded_errors_print_as_skopeo() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#;
        let e = RegistryError::from_response(404, &[], body);
        assert_eq!(e.to_string(), "manifest unknown: manifest unknown");
        assert!(e.has_code(ErrorCode::ManifestUnknown));
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#;
        let e = RegistryError::from_response(404, &[], body);
        assert_eq!(e.to_string(), "manifest unknown");
        let body = br#"{"errors":[{"code":"WEIRD","message":"odd"}]}"#;
        let e = RegistryError::from_response(400, &[], body);
        assert_eq!(e.to_string(), "unknown: odd");
        // Kept as sent, matched as UNKNOWN.
        assert!(e.has_code(ErrorCode::Unknown));
        assert!(
            matches!(&e, RegistryError::Codes(l) if l[0].code == ErrorCode::Other("WEIRD".into()))
        );
        assert_eq!(
            ErrorCode::parse("BLOB_UPLOAD_INVALID"),
            ErrorCode::BlobUploadInvalid
        );
    }

    #[test]
    fn other_answers() {
        assert_eq!(
            RegistryError::from_response(404, &[], b"404 page not found\n").to_string(),
            "StatusCode: 404, 404 page not found\n"
        );
        assert_eq!(
            RegistryError::from_response(401, &[], b"nope").to_string(),
            "unauthorized: authentication required"
        );
        assert_eq!(
            RegistryError::from_response(502, &[], b"").to_string(),
            "received unexpected HTTP status: 502 Bad Gateway"
        );
        let long = "x".repeat(60);
        assert_eq!(
            RegistryError::from_response(400, &[], long.as_bytes()).to_string(),
            format!("StatusCode: 400, {}...", "x".repeat(50))
        );
        assert_eq!(
            RegistryError::from_response(403, &[], br#"{"details":"go away"}"#).to_string(),
            "unknown: go away"
        );
    }

    #[test]
    fn bearer_errors_come_first() {
        let c = super::super::challenge::parse_header(
            r#"Bearer realm="x",error="insufficient_scope",scope="repository:a:pull""#,
        )
        .unwrap();
        let body = br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}"#;
        let e = RegistryError::from_response(401, &[c], body);
        assert_eq!(
            e.to_string(),
            "errors:\ndenied: requested access to the resource is denied\nunauthorized\n"
        );
    }
}
