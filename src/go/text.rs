//! Go formatting conventions that show up in skopeo's messages, shared by every module that
//! reproduces them: `%q` quoting (`strconv.Quote`), `%v` of a float64, and the texts Go
//! prints for OS errors (`open /x: no such file or directory`).

use std::io;
use std::path::Path;

/// Go's `strconv.Quote` for arbitrary bytes (a Go string may hold any bytes): each byte that
/// does not start a valid UTF-8 sequence becomes `\xNN`.
pub fn go_quote_bytes(bytes: &[u8]) -> String {
    quote_with(bytes, false)
}

/// Go's `strconv.Quote` / `fmt`'s `%q` for a string.
pub fn go_quote(s: &str) -> String {
    go_quote_bytes(s.as_bytes())
}

/// Go's `%q` of a path (any bytes, as a Go string holds them).
pub fn go_quote_path(path: &Path) -> String {
    go_quote_bytes(path.as_os_str().as_encoded_bytes())
}

/// Go's `strconv.QuoteToASCII` / `fmt`'s `%+q` for a string: like [`go_quote`], but every
/// non-ASCII character is escaped too.
pub fn go_quote_ascii(s: &str) -> String {
    quote_with(s.as_bytes(), true)
}

/// Go's `strconv.QuoteRune` (`%q` of a rune), or with `ascii_only` its `QuoteRuneToASCII`
/// (`%+q`): the character between single quotes, escaped as in [`go_quote`].
pub fn go_quote_rune(c: char, ascii_only: bool) -> String {
    let mut out = String::with_capacity(8);
    out.push('\'');
    push_escaped_rune(&mut out, c, '\'', ascii_only);
    out.push('\'');
    out
}

fn quote_with(bytes: &[u8], ascii_only: bool) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    let mut rest = bytes;
    while !rest.is_empty() {
        match decode_rune(rest) {
            Some((c, width)) => {
                push_escaped_rune(&mut out, c, '"', ascii_only);
                rest = &rest[width..];
            }
            None => {
                out.push_str(&format!("\\x{:02x}", rest[0]));
                rest = &rest[1..];
            }
        }
    }
    out.push('"');
    out
}

/// Decodes one UTF-8 sequence the way Go's `utf8.DecodeRune` accepts it.
pub fn decode_rune(bytes: &[u8]) -> Option<(char, usize)> {
    let width = match *bytes.first()? {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let chunk = bytes.get(..width)?;
    let s = std::str::from_utf8(chunk).ok()?;
    s.chars().next().map(|c| (c, width))
}

fn push_escaped_rune(out: &mut String, c: char, quote: char, ascii_only: bool) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if go_is_print(c) && (c.is_ascii() || !ascii_only) {
        out.push(c);
        return;
    }
    match c {
        '\u{7}' => out.push_str(r"\a"),
        '\u{8}' => out.push_str(r"\b"),
        '\u{c}' => out.push_str(r"\f"),
        '\n' => out.push_str(r"\n"),
        '\r' => out.push_str(r"\r"),
        '\t' => out.push_str(r"\t"),
        '\u{b}' => out.push_str(r"\v"),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

/// Go's `unicode.IsPrint` (which `strconv.Quote` uses), approximately: Rust has no
/// general-category tables in std, so code points unassigned in Unicode count as printable.
/// Everything Go prints as-is is printable here; of what Go escapes, this catches the
/// controls, separators other than U+0020, all format characters (Unicode 13, as in Go 1.19)
/// and private-use characters, and the unassigned code points next to them.
pub fn go_is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c,
        '\u{ad}'
        | '\u{600}'..='\u{605}'
        | '\u{61c}'
        | '\u{6dd}'
        | '\u{70f}'
        | '\u{890}'..='\u{891}'
        | '\u{8e2}'
        | '\u{180e}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{e000}'..='\u{f8ff}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{fffe}'..='\u{ffff}'
        | '\u{110bd}'
        | '\u{110cd}'
        | '\u{13430}'..='\u{13438}'
        | '\u{1bca0}'..='\u{1bca3}'
        | '\u{1d173}'..='\u{1d17a}'
        | '\u{e0000}'..='\u{e007f}'
        | '\u{f0000}'..='\u{10ffff}')
}

/// Which of a Go struct's fields a key in a decoded document sets, given the fields' names
/// (ASCII) in declaration order: the one named exactly, else the first one the key equals
/// under [`go_equal_fold`]. `encoding/json` and BurntSushi's TOML decoder (registries.conf)
/// both match keys so.
pub fn go_field_named<'f>(key: &str, fields: &[&'f str]) -> Option<&'f str> {
    let exact = fields.iter().copied().find(|f| *f == key);
    exact.or_else(|| fields.iter().copied().find(|f| go_equal_fold(key, f)))
}

/// Go's `strings.EqualFold` of any string with an ASCII one: ASCII letters match either case,
/// `ſ` (U+017F) matches `s` and the Kelvin sign (U+212A) matches `k`, as in Unicode's simple
/// case folding; everything else matches only itself.
pub fn go_equal_fold(s: &str, ascii: &str) -> bool {
    let mut ascii = ascii.bytes().map(|b| b.to_ascii_lowercase());
    for c in s.chars() {
        let Some(a) = ascii.next() else {
            return false;
        };
        let folds = match c {
            '\u{17f}' => a == b's',
            '\u{212a}' => a == b'k',
            c => u8::try_from(c).is_ok_and(|b| b.is_ascii() && b.to_ascii_lowercase() == a),
        };
        if !folds {
            return false;
        }
    }
    ascii.next().is_none()
}

/// Go's `%v` rendering of a float64: the shortest round-trip digits, in exponent form when the
/// decimal exponent is below -4 or at least 6 (`1e+06`, `123456`, `1.234567e+06`).
pub fn go_float_v(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. "1.234567e6", "-5e-7", "0e0".
    let sci = format!("{f:e}");
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (sci.as_str(), 0),
    };
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        // %e form: d[.ddd]e±XX
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

/// The text Go prints for an OS error (`syscall.Errno`'s on Linux): Go's table was generated
/// from glibc's `strerror` with the first letter lowercased when the second one is lowercase
/// too (so "RFS specific error" keeps its capitals), and codes without an entry print as
/// `errno N`. Since then glibc has renamed ESTALE; Go still says "stale NFS file handle".
pub fn go_errno_text(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => errno_text(code),
        // Rust refuses paths with NUL bytes before calling the OS; Go reports EINVAL.
        None if err.kind() == io::ErrorKind::InvalidInput => "invalid argument".to_string(),
        None => err.to_string(),
    }
}

fn errno_text(code: i32) -> String {
    // Go's table runs from 1 to 132 (ERFKILL); 41 and 58 are unused on Linux.
    if !(1..=132).contains(&code) || code == 41 || code == 58 {
        return format!("errno {code}");
    }
    if code == libc::ESTALE {
        return "stale NFS file handle".to_string();
    }
    let full = io::Error::from_raw_os_error(code).to_string();
    let text = match full.rfind(" (os error ") {
        Some(i) => &full[..i],
        None => full.as_str(),
    };
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_ascii_uppercase() && b.is_ascii_lowercase() => {
            let mut s = String::with_capacity(text.len());
            s.push(a.to_ascii_lowercase());
            s.push_str(&text[1..]);
            s
        }
        _ => text.to_string(),
    }
}

/// Go's `*os.PathError`, whose text is `op path: errno text` (the path shown lossily if it
/// is not UTF-8; Go writes its bytes as they are). It keeps the OS error's kind, so callers
/// can tell a missing file by type, not by the words; the OS error is deliberately not its
/// `source()`, which would print Rust's wording after Go's.
#[derive(Debug)]
pub struct PathError {
    text: String,
    kind: io::ErrorKind,
}

impl PathError {
    pub fn kind(&self) -> io::ErrorKind {
        self.kind
    }
}

impl std::fmt::Display for PathError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for PathError {}

impl From<PathError> for String {
    fn from(e: PathError) -> String {
        e.text
    }
}

/// Go's `*os.PathError` for a failed `op` (`open`, `stat`, …) on `path`.
pub fn go_path_error(op: &str, path: &Path, err: &io::Error) -> PathError {
    PathError {
        text: format!("{op} {}: {}", path.display(), go_errno_text(err)),
        kind: err.kind(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote() {
        assert_eq!(go_quote(""), "\"\"");
        assert_eq!(go_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(go_quote("é\n\u{1}\u{7f}"), "\"é\\n\\x01\\x7f\"");
        assert_eq!(go_quote("\u{200b}\u{10ffff}"), "\"\\u200b\\U0010ffff\"");
    }

    #[test]
    fn keys_find_fields_as_in_go() {
        assert!(go_equal_fold("AUTHS", "auths"));
        assert!(go_equal_fold("auth\u{17f}", "auths"));
        assert!(go_equal_fold("\u{212a}ey", "key"));
        assert!(go_equal_fold("a_1", "A_1"));
        assert!(!go_equal_fold("auth", "auths"));
        assert!(!go_equal_fold("auths", "auth"));
        assert!(!go_equal_fold("\u{17f}", "k"));
        assert!(!go_equal_fold("a-1", "a_1"));
        assert_eq!(go_field_named("Type", &["type"]), Some("type"));
        assert_eq!(go_field_named("ab", &["AB", "ab"]), Some("ab"));
        assert_eq!(go_field_named("Ab", &["AB", "ab"]), Some("AB"));
        assert_eq!(go_field_named("abc", &["AB", "ab"]), None);
    }

    /// Go 1.19's `strconv.QuoteToASCII`, `QuoteRune` and `QuoteRuneToASCII`.
    #[test]
    fn quote_ascii_and_runes() {
        assert_eq!(
            go_quote_ascii("é\n\u{1f600}\u{ad}\"'"),
            r#""\u00e9\n\U0001f600\u00ad\"'""#
        );
        assert_eq!(go_quote_rune('\'', false), r"'\''");
        assert_eq!(go_quote_rune('"', false), r#"'"'"#);
        assert_eq!(go_quote_rune('é', false), "'é'");
        assert_eq!(go_quote_rune('é', true), r"'\u00e9'");
        assert_eq!(go_quote_rune('\u{7f}', false), r"'\x7f'");
        assert_eq!(go_quote_rune('\u{e0000}', false), r"'\U000e0000'");
    }

    /// What skopeo 1.9.3 (Go 1.19) printed for these, in a policy file's path and in a
    /// `remapIdentity` prefix.
    #[test]
    fn quote_edge_cases_match_skopeo() {
        assert_eq!(
            go_quote_bytes(
                b"q\xff\xe2\x82A\xc0\x80\xed\xa0\x80\xf4\x90\x80\x80\x01\xc3\xa9\xe2\x81\xa5\xef\xbf\xbd\xc2\x85Z"
            ),
            r#""q\xff\xe2\x82A\xc0\x80\xed\xa0\x80\xf4\x90\x80\x80\x01é\u2065�\u0085Z""#
        );
        for (c, want) in [
            ('\u{a0}', r"\u00a0"),
            ('\u{ad}', r"\u00ad"),
            ('\u{890}', r"\u0890"),
            ('\u{8e2}', r"\u08e2"),
            ('\u{2065}', r"\u2065"),
            ('\u{fffe}', r"\ufffe"),
            ('\u{ffff}', r"\uffff"),
            ('\u{110bd}', r"\U000110bd"),
            ('\u{110cd}', r"\U000110cd"),
            ('\u{13430}', r"\U00013430"),
            ('\u{1bca0}', r"\U0001bca0"),
            ('\u{1d173}', r"\U0001d173"),
            ('\u{e0000}', r"\U000e0000"),
            ('\u{e0002}', r"\U000e0002"),
            ('\u{e007f}', r"\U000e007f"),
            ('\u{f0000}', r"\U000f0000"),
            ('é', "é"),
            ('\u{fffd}', "\u{fffd}"),
            ('\u{1f600}', "\u{1f600}"),
        ] {
            assert_eq!(go_quote(&c.to_string()), format!("\"{want}\""), "{c:?}");
        }
    }

    #[test]
    fn errno_texts_as_go_prints_them() {
        let e = |code: i32| go_errno_text(&io::Error::from_raw_os_error(code));
        assert_eq!(e(libc::ENOENT), "no such file or directory");
        assert_eq!(e(libc::ENOTDIR), "not a directory");
        assert_eq!(e(libc::ELOOP), "too many levels of symbolic links");
        assert_eq!(e(libc::EACCES), "permission denied");
        assert_eq!(e(libc::EPERM), "operation not permitted");
        assert_eq!(e(libc::ENAMETOOLONG), "file name too long");
        assert_eq!(e(libc::EIO), "input/output error");
        assert_eq!(e(libc::EINVAL), "invalid argument");
        assert_eq!(e(libc::ESTALE), "stale NFS file handle");
        assert_eq!(e(libc::EREMOTEIO), "remote I/O error");
        assert_eq!(e(73), "RFS specific error");
        assert_eq!(e(libc::ERFKILL), "operation not possible due to RF-kill");
        for code in [0, 41, 58, 133, 4095, -1] {
            assert_eq!(e(code), format!("errno {code}"));
        }
        let nul = std::fs::symlink_metadata("a\0b").unwrap_err();
        assert_eq!(go_errno_text(&nul), "invalid argument");
        assert_eq!(
            go_path_error("lstat", Path::new("/x/y"), &io::Error::from_raw_os_error(2)).to_string(),
            "lstat /x/y: no such file or directory"
        );
    }
}
