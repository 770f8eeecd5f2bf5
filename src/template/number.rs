//! Go literal syntax inside actions: numbers (as `parse.NumberNode` classifies them) and
//! quoted strings/characters (as `strconv.Unquote` decodes them).

use super::lexer::Tok;
use super::node::Number;
use crate::gotext::go_quote;

/// Classifies a number token the way Go's parser does: which of int, uint and float64 (and
/// complex) it can be. Errors carry Go's message.
pub(crate) fn parse_number(text: &str, tok: Tok) -> Result<Number, String> {
    let mut n = Number {
        text: text.to_string(),
        int: None,
        uint: None,
        float: None,
        complex: false,
    };
    if tok == Tok::CharConstant {
        let inner = &text[1..];
        let Some((c, tail)) = unquote_char(inner, '\'') else {
            return Err("invalid syntax".into());
        };
        if tail != "'" {
            return Err(format!("malformed character constant: {text}"));
        }
        let v = u32::from(c);
        n.int = Some(i64::from(v));
        n.uint = Some(u64::from(v));
        n.float = Some(f64::from(v));
        return Ok(n);
    }
    if tok == Tok::Complex {
        // "re+imi": only the real line is representable here.
        let split = text[1..]
            .find(['+', '-'])
            .map(|i| i + 1)
            .unwrap_or(text.len());
        let (re, im) = text.split_at(split);
        let re = parse_float(re).ok_or_else(|| "expected integer".to_string())?;
        let im =
            parse_float(im.trim_end_matches('i')).ok_or_else(|| "expected integer".to_string())?;
        simplify_complex(&mut n, re, im);
        return Ok(n);
    }
    if let Some(body) = text.strip_suffix('i')
        && let Some(f) = parse_float(body)
    {
        simplify_complex(&mut n, 0.0, f);
        return Ok(n);
    }
    let (neg, mag) = match parse_int(text) {
        Some((neg, mag)) => (neg, Some(mag)),
        None => (false, None),
    };
    if let Some(m) = mag {
        // ParseUint takes no sign at all, not even "+".
        if !text.starts_with(['+', '-']) {
            n.uint = u64::try_from(m).ok();
        }
        n.int = if neg {
            // -2^63 is the most negative int64.
            if m <= 1u128 << 63 {
                Some((m as i128).wrapping_neg() as i64)
            } else {
                None
            }
        } else {
            i64::try_from(m).ok()
        };
        if n.int == Some(0) {
            n.uint = Some(0); // "-0"
        }
    }
    if let Some(i) = n.int {
        n.float = Some(i as f64);
    } else if let Some(u) = n.uint {
        n.float = Some(u as f64);
    } else if let Some(f) = parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", go_quote(text)));
        }
        set_float(&mut n, f);
    }
    if n.int.is_none() && n.uint.is_none() && n.float.is_none() {
        return Err(format!("illegal number syntax: {}", go_quote(text)));
    }
    Ok(n)
}

fn set_float(n: &mut Number, f: f64) {
    n.float = Some(f);
    if f.fract() == 0.0 && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        n.int = Some(f as i64);
    }
    if f.fract() == 0.0 && (0.0..1.844_674_407_370_955_2e19).contains(&f) {
        n.uint = Some(f as u64);
    }
}

// Go keeps a complex constant complex even when its imaginary part is zero (it prints
// `(1+0i)`); complex values are not modelled, so execution reports them.
fn simplify_complex(n: &mut Number, re: f64, im: f64) {
    if im == 0.0 {
        set_float(n, re);
    }
    n.complex = true;
}

/// Go's rule for `_` in number literals: only between digits (or after a base prefix).
fn underscores_ok(s: &str) -> bool {
    let b = s.trim_start_matches(['+', '-']).as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    for &c in &b[i..] {
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
    }
    saw != b'_'
}

/// `strconv.ParseInt(s, 0, 64)`-style parsing without the range limit: sign and magnitude.
fn parse_int(s: &str) -> Option<(bool, u128)> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if body.contains('_') && !underscores_ok(s) {
        return None;
    }
    let digits = digits.replace('_', "");
    if digits.is_empty() {
        return None;
    }
    let mut v: u128 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix)?;
        v = v
            .checked_mul(u128::from(radix))?
            .checked_add(u128::from(d))?;
        if v > u128::from(u64::MAX) + 1 {
            return None;
        }
    }
    Some((neg, v))
}

/// `strconv.ParseFloat(s, 64)` for the forms the lexer produces (decimal and hex floats).
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    if s.contains('_') && !underscores_ok(s) {
        return None;
    }
    let clean = s.replace('_', "");
    let (neg, body) = match clean.as_bytes().first()? {
        b'-' => (true, &clean[1..]),
        b'+' => (false, &clean[1..]),
        _ => (false, clean.as_str()),
    };
    let v = if body.len() > 2 && body[..2].eq_ignore_ascii_case("0x") {
        parse_hex_float(&body[2..])?
    } else {
        // Rust also accepts "inf"/"nan"; the lexer never hands those over (they are words).
        if !body.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
            return None;
        }
        body.parse::<f64>().ok()?
    };
    // strconv reports a range error for overflow, so Go's parser rejects the literal.
    if v.is_infinite() {
        return None;
    }
    Some(if neg { -v } else { v })
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = match s.find(['p', 'P']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

/// Decodes one character of a Go quoted literal, returning it and the rest of the input.
fn unquote_char(s: &str, quote_ch: char) -> Option<(char, &str)> {
    let mut chars = s.chars();
    let c = chars.next()?;
    if c == quote_ch && (quote_ch == '\'' || quote_ch == '"') {
        return None;
    }
    if c != '\\' {
        return Some((c, chars.as_str()));
    }
    let e = chars.next()?;
    let rest = chars.as_str();
    let simple = match e {
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\u{b}'),
        '\\' => Some('\\'),
        '\'' | '"' if e == quote_ch => Some(e),
        _ => None,
    };
    if let Some(c) = simple {
        return Some((c, rest));
    }
    let (len, radix) = match e {
        'x' => (2, 16),
        'u' => (4, 16),
        'U' => (8, 16),
        '0'..='7' => (2, 8),
        _ => return None,
    };
    let digits = rest.get(..len)?;
    let mut v = u32::from_str_radix(digits, radix).ok()?;
    if radix == 8 {
        v += e.to_digit(8)? << 6;
        if v > 255 {
            return None;
        }
    }
    // \x and octal escapes are bytes; above 0x7f they would be invalid UTF-8 on their own,
    // which a Rust string cannot hold, so they decode to U+FFFD.
    let c = if matches!(e, 'x' | '0'..='7') && v > 0x7f {
        '\u{FFFD}'
    } else {
        char::from_u32(v)?
    };
    Some((c, &rest[len..]))
}

/// `strconv.Unquote` for "…", `…` and '…' literals; `None` where Go reports invalid syntax.
pub(crate) fn unquote(s: &str) -> Option<String> {
    let q = s.chars().next()?;
    if !matches!(q, '"' | '\'' | '`') || s.len() < 2 || !s.ends_with(q) {
        return None;
    }
    let body = &s[1..s.len() - 1];
    match q {
        '`' => (!body.contains('`')).then(|| body.replace('\r', "")),
        '"' | '\'' => {
            let mut out = String::new();
            let mut rest = body;
            while !rest.is_empty() {
                if q == '"' && rest.starts_with('\'') {
                    out.push('\'');
                    rest = &rest[1..];
                    continue;
                }
                let (c, r) = unquote_char(rest, q)?;
                if c == '\n' && !rest.starts_with('\\') {
                    return None;
                }
                out.push(c);
                rest = r;
            }
            if q == '\'' && out.chars().count() != 1 {
                return None;
            }
            Some(out)
        }
        _ => None,
    }
}
