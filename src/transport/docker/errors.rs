//! Registry error answers, turned into the messages skopeo 1.9.3 prints for them.
//!
//! A registry answers a failed request with a status and, usually, a JSON body
//! `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"…","detail":…}]}` (distribution's error
//! codes). skopeo words each case in a particular way; this module reproduces that wording
//! and keeps the codes so callers can decide on them (missing image, denied, …).

use std::fmt;

use serde_json::Value;

use super::challenge::Challenge;

/// The error codes of the distribution API with their default messages.
const CODES: &[(&str, &str)] = &[
    ("UNKNOWN", "unknown error"),
    ("UNSUPPORTED", "The operation is unsupported."),
    ("UNAUTHORIZED", "authentication required"),
    ("DENIED", "requested access to the resource is denied"),
    ("UNAVAILABLE", "service unavailable"),
    ("TOOMANYREQUESTS", "too many requests"),
    (
        "DIGEST_INVALID",
        "provided digest did not match uploaded content",
    ),
    (
        "SIZE_INVALID",
        "provided length did not match content length",
    ),
    ("NAME_INVALID", "invalid repository name"),
    ("TAG_INVALID", "manifest tag did not match URI"),
    ("NAME_UNKNOWN", "repository name not known to registry"),
    ("MANIFEST_UNKNOWN", "manifest unknown"),
    ("MANIFEST_INVALID", "manifest invalid"),
    (
        "MANIFEST_UNVERIFIED",
        "manifest failed signature verification",
    ),
    ("MANIFEST_BLOB_UNKNOWN", "blob unknown to registry"),
    ("BLOB_UNKNOWN", "blob unknown to registry"),
    ("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry"),
    ("BLOB_UPLOAD_INVALID", "blob upload invalid"),
];

fn default_message(code: &str) -> &'static str {
    CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("unknown error", |(_, m)| m)
}

/// One entry of a registry's error list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodedError {
    /// The code, `UNKNOWN` for codes distribution does not know.
    pub code: String,
    pub message: String,
    /// Whether the entry is just its code (no detail, default message): printed shorter.
    bare: bool,
}

impl CodedError {
    pub fn new(code: &str, message: impl Into<String>) -> CodedError {
        CodedError {
            code: code.to_string(),
            message: message.into(),
            bare: false,
        }
    }
}

impl fmt::Display for CodedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code.replace('_', " ").to_lowercase();
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
                    Some("invalid_token") => "UNAUTHORIZED",
                    Some("insufficient_scope") => "DENIED",
                    _ => continue,
                };
                let message = c
                    .param("error_description")
                    .filter(|d| !d.is_empty())
                    .unwrap_or(default_message(code));
                let mut list = vec![CodedError::new(code, message)];
                match parse_body(status, body) {
                    RegistryError::Codes(more) => list.extend(more),
                    other => list.push(CodedError {
                        code: "UNKNOWN".into(),
                        message: other.to_string(),
                        bare: true,
                    }),
                }
                return RegistryError::Codes(list);
            }
        }
        match parse_body(status, body) {
            RegistryError::UnexpectedBody { .. } if status == 401 => {
                RegistryError::Codes(vec![CodedError::new(
                    "UNAUTHORIZED",
                    default_message("UNAUTHORIZED"),
                )])
            }
            other => other,
        }
    }

    /// Whether the first error has `code`.
    pub fn has_code(&self, code: &str) -> bool {
        matches!(self, RegistryError::Codes(list) if list.first().is_some_and(|e| e.code == code))
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
            401 => "UNAUTHORIZED",
            429 => "TOOMANYREQUESTS",
            _ => "UNKNOWN",
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
        let code = if CODES.iter().any(|(c, _)| *c == raw_code) {
            raw_code
        } else {
            "UNKNOWN"
        };
        let message = match crate::manifest::go_field(e, "message") {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        let has_detail = matches!(crate::manifest::go_field(e, "detail"), Some(v) if !v.is_null());
        let bare = !has_detail && (message.is_empty() || message == default_message(code));
        list.push(CodedError {
            code: code.to_string(),
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
    fn coded_errors_print_as_skopeo() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#;
        let e = RegistryError::from_response(404, &[], body);
        assert_eq!(e.to_string(), "manifest unknown: manifest unknown");
        assert!(e.has_code("MANIFEST_UNKNOWN"));
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#;
        let e = RegistryError::from_response(404, &[], body);
        assert_eq!(e.to_string(), "manifest unknown");
        let body = br#"{"errors":[{"code":"WEIRD","message":"odd"}]}"#;
        assert_eq!(
            RegistryError::from_response(400, &[], body).to_string(),
            "unknown: odd"
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
