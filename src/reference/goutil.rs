//! Small re-implementations of Go standard-library behaviour that shows up in skopeo's
//! messages: `%q` quoting and `strconv.Atoi` (with its error texts).

use std::fmt::Write as _;

/// Whether Go's `strconv.Quote` would print `c` as-is (an approximation of `unicode.IsPrint`:
/// everything except control, separator-other-than-space and common format characters).
fn go_is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(
        c,
        '\u{ad}'
            | '\u{600}'..='\u{605}'
            | '\u{61c}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{e000}'..='\u{f8ff}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{fffe}'..='\u{ffff}'
            | '\u{e0000}'..='\u{e007f}'
            | '\u{f0000}'..='\u{10ffff}'
    )
}

/// Go's `strconv.Quote` / `fmt`'s `%q` for a string.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if go_is_print(c) => out.push(c),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.Atoi` on a 64-bit platform; the error is the full `*NumError` text,
/// e.g. `strconv.Atoi: parsing "x": invalid syntax`.
pub fn go_atoi(s: &str) -> Result<i64, String> {
    let syntax = || format!("strconv.Atoi: parsing {}: invalid syntax", go_quote(s));
    let range = || format!("strconv.Atoi: parsing {}: value out of range", go_quote(s));
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        return Err(syntax());
    }
    // Go checks each character in order and reports overflow as soon as it happens, even if a
    // later character would be a syntax error (only for inputs of 19+ bytes, where the fast path
    // is not taken; shorter inputs cannot overflow).
    let mut n: u64 = 0;
    for c in digits.bytes() {
        if !c.is_ascii_digit() {
            return Err(syntax());
        }
        n = match n
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
        {
            Some(v) => v,
            None => return Err(range()),
        };
    }
    let limit = 1u64 << 63;
    match (neg, n) {
        (false, n) if n >= limit => Err(range()),
        (true, n) if n > limit => Err(range()),
        (true, n) if n == limit => Ok(i64::MIN),
        (true, n) => Ok(-(n as i64)),
        (false, n) => Ok(n as i64),
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
    fn atoi() {
        assert_eq!(go_atoi("12"), Ok(12));
        assert_eq!(go_atoi("+3"), Ok(3));
        assert_eq!(go_atoi("-0"), Ok(0));
        assert_eq!(go_atoi("-01"), Ok(-1));
        assert_eq!(go_atoi("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(go_atoi("-9223372036854775808"), Ok(i64::MIN));
        let e = |s: &str, what: &str| Err(format!("strconv.Atoi: parsing \"{s}\": {what}"));
        assert_eq!(go_atoi(""), e("", "invalid syntax"));
        assert_eq!(go_atoi("+"), e("+", "invalid syntax"));
        assert_eq!(go_atoi("1 "), e("1 ", "invalid syntax"));
        assert_eq!(go_atoi("1_0"), e("1_0", "invalid syntax"));
        assert_eq!(go_atoi("0x10"), e("0x10", "invalid syntax"));
        assert_eq!(
            go_atoi("9223372036854775808"),
            e("9223372036854775808", "value out of range")
        );
        let big = "99999999999999999999";
        assert_eq!(go_atoi(big), e(big, "value out of range"));
        let big_then_junk = "99999999999999999999x";
        assert_eq!(
            go_atoi(big_then_junk),
            e(big_then_junk, "value out of range")
        );
        assert_eq!(
            go_atoi("1x999999999999999999999"),
            e("1x999999999999999999999", "invalid syntax")
        );
    }
}
