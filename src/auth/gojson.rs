//! Reading auth files as Go's `encoding/json` reads them into c/image's structures, with its
//! error messages (`unexpected end of JSON input`, `invalid character 'x' after top-level
//! value`, `json: cannot unmarshal array into Go value of type config.dockerConfigFile`):
//! object keys match field names case-insensitively, unknown fields are ignored, `null` leaves
//! a field unset, and a key repeated in the file merges maps as Go does. Also Go's
//! `base64.StdEncoding` decoding, which ignores newlines and reports the offset of bad input.

use std::collections::BTreeMap;

use crate::reference::goutil::go_quote;

/// A parsed JSON value, keeping every object member in order (duplicates included).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number,
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The name Go's decoder gives this kind of value in type errors.
    fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number => "number",
            Json::Str(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }
}

const MAX_DEPTH: usize = 10000;

struct Parser<'a> {
    data: &'a [u8],
    pos: usize,
    depth: usize,
}

/// Go's quoting of one input byte in syntax errors.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".to_string(),
        b'"' => "'\"'".to_string(),
        _ => {
            let q = go_quote(&char::from(c).to_string());
            format!("'{}'", &q[1..q.len() - 1])
        }
    }
}

const EOF: &str = "unexpected end of JSON input";

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
    }

    fn invalid(&self, context: &str) -> String {
        match self.peek() {
            Some(c) => format!("invalid character {} {context}", quote_char(c)),
            None => EOF.to_string(),
        }
    }

    /// Like [`Parser::invalid`], inside a token: at the end of the input Go's scanner feeds
    /// one more space, which such a token refuses.
    fn invalid_in_token(&self, context: &str) -> String {
        let c = self.peek().unwrap_or(b' ');
        format!("invalid character {} {context}", quote_char(c))
    }

    /// The next byte, which must exist.
    fn next(&mut self) -> Result<u8, String> {
        let c = self.peek().ok_or_else(|| EOF.to_string())?;
        self.pos += 1;
        Ok(c)
    }

    fn value(&mut self) -> Result<Json, String> {
        self.skip_ws();
        match self.peek() {
            None => Err(EOF.into()),
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => self.string().map(Json::Str),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(_) => Err(self.invalid("looking for beginning of value")),
        }
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("exceeded max depth".into());
        }
        Ok(())
    }

    fn object(&mut self) -> Result<Json, String> {
        self.enter()?;
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.invalid("looking for beginning of object key string"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.invalid("after object key"));
            }
            self.pos += 1;
            let value = self.value()?;
            members.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.invalid("after object key:value pair")),
            }
        }
    }

    fn array(&mut self) -> Result<Json, String> {
        self.enter()?;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.invalid("after array element")),
            }
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, String> {
        self.pos += 1;
        for expected in word.bytes().skip(1) {
            if self.peek() != Some(expected) {
                return Err(self.invalid_in_token(&format!(
                    "in literal {word} (expecting {})",
                    quote_char(expected)
                )));
            }
            self.pos += 1;
        }
        Ok(value)
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn number(&mut self) -> Result<Json, String> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.invalid_in_token("in numeric literal"));
            }
        }
        if self.next()? != b'0' {
            self.digits();
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.invalid_in_token("after decimal point in numeric literal"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.invalid_in_token("in exponent of numeric literal"));
            }
            self.digits();
        }
        Ok(Json::Number)
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut v = 0;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.invalid_in_token("in \\u hexadecimal character escape")),
            };
            self.pos += 1;
            v = v * 16 + u32::from(d);
        }
        Ok(v)
    }

    /// A string literal, decoded as Go decodes it (bad UTF-8 and lone surrogates become
    /// U+FFFD).
    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        let mut pending_high: Option<u32> = None;
        let push = |out: &mut Vec<u8>, c: char| {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        };
        loop {
            let c = self.peek().ok_or_else(|| EOF.to_string())?;
            if c != b'\\' && pending_high.take().is_some() {
                push(&mut out, '\u{fffd}');
            }
            match c {
                b'"' => {
                    self.pos += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                b'\\' => {
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return Err(self.invalid_in_token("in string escape code"));
                    };
                    if e != b'u' && pending_high.take().is_some() {
                        push(&mut out, '\u{fffd}');
                    }
                    let simple = match e {
                        b'"' => Some('"'),
                        b'\\' => Some('\\'),
                        b'/' => Some('/'),
                        b'b' => Some('\u{8}'),
                        b'f' => Some('\u{c}'),
                        b'n' => Some('\n'),
                        b'r' => Some('\r'),
                        b't' => Some('\t'),
                        b'u' => None,
                        _ => return Err(self.invalid_in_token("in string escape code")),
                    };
                    self.pos += 1;
                    match simple {
                        Some(ch) => push(&mut out, ch),
                        None => {
                            let v = self.hex4()?;
                            match (pending_high.take(), v) {
                                (Some(h), 0xDC00..=0xDFFF) => {
                                    let c = 0x10000 + ((h - 0xD800) << 10) + (v - 0xDC00);
                                    push(&mut out, char::from_u32(c).unwrap_or('\u{fffd}'));
                                }
                                (h, 0xD800..=0xDBFF) => {
                                    if h.is_some() {
                                        push(&mut out, '\u{fffd}');
                                    }
                                    pending_high = Some(v);
                                }
                                (h, _) => {
                                    if h.is_some() {
                                        push(&mut out, '\u{fffd}');
                                    }
                                    push(&mut out, char::from_u32(v).unwrap_or('\u{fffd}'));
                                }
                            }
                        }
                    }
                }
                c if c < 0x20 => return Err(self.invalid("in string literal")),
                c => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }
}

/// Parses a whole document: one value and nothing after it but white space.
pub(crate) fn parse(data: &[u8]) -> Result<Json, String> {
    let mut p = Parser {
        data,
        pos: 0,
        depth: 0,
    };
    let v = p.value()?;
    p.skip_ws();
    if p.peek().is_some() {
        return Err(p.invalid("after top-level value"));
    }
    Ok(v)
}

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
}

/// Records the first type error, as Go's decoder does, and keeps going.
#[derive(Default)]
struct TypeErrors(Option<String>);

impl TypeErrors {
    fn value(&mut self, got: &Json, go_type: &str) {
        if self.0.is_none() {
            self.0 = Some(format!(
                "json: cannot unmarshal {} into Go value of type {go_type}",
                got.kind()
            ));
        }
    }

    fn field(&mut self, got: &Json, field: &str, go_type: &str) {
        if self.0.is_none() {
            self.0 = Some(format!(
                "json: cannot unmarshal {} into Go struct field {field} of type {go_type}",
                got.kind()
            ));
        }
    }
}

/// Which field an object key names: exactly, or else ignoring case.
fn field_of<'f>(key: &str, fields: &[&'f str]) -> Option<&'f str> {
    fields.iter().copied().find(|f| *f == key).or_else(|| {
        let lower = key.to_lowercase();
        fields.iter().copied().find(|f| f.to_lowercase() == lower)
    })
}

/// `field_ctx` is the Go struct-field context for errors inside an entry: `None` for the
/// legacy format, where entries are the top-level map's values.
fn auth_entry(v: &Json, errs: &mut TypeErrors, in_auths: bool) -> AuthEntry {
    let mut e = AuthEntry::default();
    let Json::Object(members) = v else {
        if !matches!(v, Json::Null) {
            if in_auths {
                errs.field(v, "dockerConfigFile.auths", "config.dockerAuthConfig");
            } else {
                errs.value(v, "config.dockerAuthConfig");
            }
        }
        return e;
    };
    for (k, val) in members {
        let Some(name) = field_of(k, &["auth", "identitytoken"]) else {
            continue;
        };
        let slot = if name == "auth" {
            &mut e.auth
        } else {
            &mut e.identity_token
        };
        match val {
            Json::Str(s) => *slot = s.clone(),
            Json::Null => {}
            other => {
                let field = if in_auths {
                    format!("dockerAuthConfig.auths.{name}")
                } else {
                    format!("dockerAuthConfig.{name}")
                };
                errs.field(other, &field, "string");
            }
        }
    }
    e
}

fn auths_map(
    v: &Json,
    into: &mut BTreeMap<String, AuthEntry>,
    errs: &mut TypeErrors,
    legacy: bool,
) {
    match v {
        Json::Object(members) => {
            for (k, val) in members {
                into.insert(k.clone(), auth_entry(val, errs, !legacy));
            }
        }
        Json::Null => {}
        other if legacy => errs.value(other, "map[string]config.dockerAuthConfig"),
        other => errs.field(
            other,
            "dockerConfigFile.auths",
            "map[string]config.dockerAuthConfig",
        ),
    }
}

/// Decodes an auth.json / config.json document (`legacy`: a `.dockercfg`, whose top level is
/// the `auths` map). Errors are Go's texts.
pub(crate) fn decode_config(data: &[u8], legacy: bool) -> Result<ConfigFile, String> {
    let doc = parse(data)?;
    let mut errs = TypeErrors::default();
    let mut out = ConfigFile::default();
    if legacy {
        auths_map(&doc, &mut out.auths, &mut errs, true);
    } else {
        match &doc {
            Json::Object(members) => {
                for (k, val) in members {
                    match field_of(k, &["auths", "credHelpers"]) {
                        Some("auths") => auths_map(val, &mut out.auths, &mut errs, false),
                        Some(_) => match val {
                            Json::Object(helpers) => {
                                for (reg, h) in helpers {
                                    match h {
                                        Json::Str(s) => {
                                            out.cred_helpers.insert(reg.clone(), s.clone());
                                        }
                                        Json::Null => {
                                            out.cred_helpers.insert(reg.clone(), String::new());
                                        }
                                        other => errs.field(
                                            other,
                                            "dockerConfigFile.credHelpers",
                                            "string",
                                        ),
                                    }
                                }
                            }
                            Json::Null => {}
                            other => errs.field(
                                other,
                                "dockerConfigFile.credHelpers",
                                "map[string]string",
                            ),
                        },
                        None => {}
                    }
                }
            }
            Json::Null => {}
            other => errs.value(other, "config.dockerConfigFile"),
        }
    }
    match errs.0 {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn b64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Go's `base64.StdEncoding.DecodeString`: padded standard alphabet, `\r` and `\n` ignored;
/// the error is `illegal base64 data at input byte N` with Go's offset.
pub(crate) fn base64_decode(src: &[u8]) -> Result<Vec<u8>, String> {
    let bad = |at: usize| format!("illegal base64 data at input byte {at}");
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    while si < src.len() {
        let mut quantum = [0u8; 4];
        let mut len = 4;
        let mut j = 0;
        let mut finished = false;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                // A partial quantum: the standard encoding requires padding.
                return Err(bad(si - j));
            }
            let c = src[si];
            si += 1;
            if let Some(v) = b64_value(c) {
                quantum[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' {
                return Err(bad(si - 1));
            }
            // Padding ends the data.
            match j {
                0 | 1 => return Err(bad(si - 1)),
                2 => {
                    while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                        si += 1;
                    }
                    if si == src.len() {
                        return Err(bad(src.len()));
                    }
                    if src[si] != b'=' {
                        return Err(bad(si - 1));
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                si += 1;
            }
            if si < src.len() {
                return Err(bad(si));
            }
            len = j;
            finished = true;
            break;
        }
        let v = (u32::from(quantum[0]) << 18)
            | (u32::from(quantum[1]) << 12)
            | (u32::from(quantum[2]) << 6)
            | u32::from(quantum[3]);
        let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        out.extend_from_slice(&bytes[..len - 1]);
        if finished {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax(s: &str) -> String {
        parse(s.as_bytes()).unwrap_err()
    }

    #[test]
    fn syntax_errors_match_go() {
        assert_eq!(syntax(""), "unexpected end of JSON input");
        assert_eq!(syntax("\n"), "unexpected end of JSON input");
        assert_eq!(syntax("{\"auths\":"), "unexpected end of JSON input");
        assert_eq!(
            syntax("{} xx"),
            "invalid character 'x' after top-level value"
        );
        assert_eq!(
            syntax("{\"a\":1,}"),
            "invalid character '}' looking for beginning of object key string"
        );
        assert_eq!(
            syntax("{\"a\" 1}"),
            "invalid character '1' after object key"
        );
        assert_eq!(
            syntax("{\"a\":1 \"b\"}"),
            "invalid character '\"' after object key:value pair"
        );
        assert_eq!(syntax("[1 2]"), "invalid character '2' after array element");
        assert_eq!(
            syntax("x"),
            "invalid character 'x' looking for beginning of value"
        );
        assert_eq!(
            syntax("tru"),
            "invalid character ' ' in literal true (expecting 'e')"
        );
        assert_eq!(
            syntax("{\"a\":-"),
            "invalid character ' ' in numeric literal"
        );
        assert_eq!(
            syntax("1."),
            "invalid character ' ' after decimal point in numeric literal"
        );
        assert_eq!(
            syntax("\"a\\"),
            "invalid character ' ' in string escape code"
        );
        assert_eq!(
            syntax("\"\\u12"),
            "invalid character ' ' in \\u hexadecimal character escape"
        );
        assert_eq!(syntax("\"abc"), "unexpected end of JSON input");
        assert!(parse(b"12").is_ok());
        assert_eq!(
            syntax("trUe"),
            "invalid character 'U' in literal true (expecting 'u')"
        );
        assert_eq!(
            syntax("nul!"),
            "invalid character '!' in literal null (expecting 'l')"
        );
        assert_eq!(syntax("-a"), "invalid character 'a' in numeric literal");
        assert_eq!(
            syntax("1.e"),
            "invalid character 'e' after decimal point in numeric literal"
        );
        assert_eq!(
            syntax("1e+"),
            "invalid character ' ' in exponent of numeric literal"
        );
        assert_eq!(
            syntax("1ex"),
            "invalid character 'x' in exponent of numeric literal"
        );
        assert_eq!(
            syntax("\"a\\x\""),
            "invalid character 'x' in string escape code"
        );
        assert_eq!(
            syntax("\"\\u12g4\""),
            "invalid character 'g' in \\u hexadecimal character escape"
        );
        assert_eq!(
            syntax("\"a\nb\""),
            "invalid character '\\n' in string literal"
        );
        assert_eq!(
            syntax("'"),
            "invalid character '\\'' looking for beginning of value"
        );
        assert_eq!(syntax("01"), "invalid character '1' after top-level value");
    }

    #[test]
    fn strings_decode_like_go() {
        let v = parse(br#""a\u00e9\ud83d\ude00\ud800x\/""#).unwrap();
        assert_eq!(v, Json::Str("a\u{e9}\u{1f600}\u{fffd}x/".into()));
        let v = parse(b"\"\xff\"").unwrap();
        assert_eq!(v, Json::Str("\u{fffd}".into()));
    }

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

    #[test]
    fn base64_matches_go() {
        assert_eq!(base64_decode(b"dTpw").unwrap(), b"u:p");
        assert_eq!(base64_decode(b"dTpwAAA=").unwrap(), b"u:p\0\0");
        assert_eq!(base64_decode(b"dXNlcg==").unwrap(), b"user");
        assert_eq!(base64_decode(b"dT\npw\r\n").unwrap(), b"u:p");
        assert_eq!(base64_decode(b"").unwrap(), b"");
        let err = |s: &[u8]| base64_decode(s).unwrap_err();
        assert_eq!(err(b"!!"), "illegal base64 data at input byte 0");
        assert_eq!(err(b"dTp"), "illegal base64 data at input byte 0");
        assert_eq!(err(b"dTpwd"), "illegal base64 data at input byte 4");
        assert_eq!(err(b"dTpw!"), "illegal base64 data at input byte 4");
        assert_eq!(base64_decode(b"dX==").unwrap(), b"u");
        assert_eq!(base64_decode(b"dXM=").unwrap(), b"us");
        assert_eq!(err(b"d==="), "illegal base64 data at input byte 1");
        assert_eq!(err(b"dXNl=x"), "illegal base64 data at input byte 4");
        assert_eq!(err(b"dXM=x"), "illegal base64 data at input byte 4");
        assert_eq!(err(b"dX="), "illegal base64 data at input byte 3");
    }
}
