//! Go's `fmt` printing of template values: `%v` (what `{{.X}}` prints), `Sprint`,
//! `Sprintln` and `Sprintf` with the common verbs, flags, widths and precisions.

use super::methods::{DAYS, MONTHS};
use super::value::Value;
use crate::gojson::go_time_string;
use crate::gotext::{go_is_print, go_quote, go_quote_ascii, go_quote_rune};

/// Go's `%#U`: `U+0041 'A'` for printable characters, `U+0001` otherwise.
pub(crate) fn unicode_desc(c: char) -> String {
    if go_is_print(c) {
        format!("U+{:04X} '{c}'", u32::from(c))
    } else {
        format!("U+{:04X}", u32::from(c))
    }
}

/// `%v` of one value, as `{{.}}` prints it.
pub(crate) fn format_v(v: &Value) -> String {
    let mut out = String::new();
    fmt_value(&mut out, v, &Spec::verb('v'), 0);
    out
}

/// `fmt.Sprint`: operands separated by a space when neither side is a string.
/// `None` is an untyped nil.
pub(crate) fn sprint(args: &[Option<Value>]) -> String {
    let mut out = String::new();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a.as_ref().map(Value::untyped), Some(Value::String(_)));
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        fmt_arg(&mut out, a.as_ref(), &Spec::verb('v'));
        prev_string = is_string;
    }
    out
}

/// `fmt.Sprintln`: operands always separated by a space, newline at the end.
pub(crate) fn sprintln(args: &[Option<Value>]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        fmt_arg(&mut out, a.as_ref(), &Spec::verb('v'));
    }
    out.push('\n');
    out
}

#[derive(Clone, Default)]
pub(super) struct Spec {
    pub(super) verb: char,
    pub(super) minus: bool,
    pub(super) plus: bool,
    pub(super) sharp: bool,
    pub(super) space: bool,
    pub(super) zero: bool,
    pub(super) plus_v: bool,
    pub(super) sharp_v: bool,
    pub(super) width: Option<usize>,
    pub(super) prec: Option<usize>,
}

impl Spec {
    pub(super) fn verb(verb: char) -> Spec {
        Spec {
            verb,
            ..Spec::default()
        }
    }
}

/// Pads `s` to the width, counting runes, as fmt's `pad` does.
fn pad(out: &mut String, s: &str, spec: &Spec) {
    let n = s.chars().count();
    let w = spec.width.unwrap_or(0);
    if w <= n {
        out.push_str(s);
        return;
    }
    // fmt takes widths of up to ten million: padding is copied in bulk, not rune by rune.
    let fill = if spec.zero { "0" } else { " " };
    if spec.minus {
        out.push_str(s);
        out.push_str(&" ".repeat(w - n));
    } else {
        out.push_str(&fill.repeat(w - n));
        out.push_str(s);
    }
}

pub(super) fn fmt_arg(out: &mut String, arg: Option<&Value>, spec: &Spec) {
    match arg {
        None => match spec.verb {
            'T' | 'v' => pad(out, "<nil>", spec),
            _ => bad_verb(out, None, spec),
        },
        Some(v) if spec.verb == 'T' => pad(out, &v.go_type(), spec),
        Some(v) => fmt_value(out, v, spec, 0),
    }
}

fn bad_verb(out: &mut String, v: Option<&Value>, spec: &Spec) {
    out.push_str("%!");
    out.push(spec.verb);
    out.push('(');
    match v {
        Some(v) => {
            out.push_str(&v.go_type());
            out.push('=');
            fmt_value(
                out,
                v,
                &Spec {
                    verb: 'v',
                    ..spec.clone()
                },
                0,
            );
        }
        None => out.push_str("<nil>"),
    }
    out.push(')');
}

/// What a Go `String()` method gives for the types modelled here, if any.
fn stringer(v: &Value) -> Option<String> {
    match v {
        Value::Time(t) => Some(go_time_string(t)),
        Value::Typed(t, inner) => match (t.as_str(), inner.untyped()) {
            ("time.Month", Value::Int(m)) => Some(month_name(*m)),
            ("time.Weekday", Value::Int(d)) => Some(weekday_name(*d)),
            (_, Value::Nil) if t.starts_with('*') => None,
            _ => stringer(inner),
        },
        _ => None,
    }
}

/// Go's `time.Month.String()`.
fn month_name(m: i64) -> String {
    usize::try_from(m - 1)
        .ok()
        .and_then(|i| MONTHS.get(i))
        .map_or_else(|| format!("%!Month({m})"), |s| s.to_string())
}

/// Go's `time.Weekday.String()`.
fn weekday_name(d: i64) -> String {
    usize::try_from(d)
        .ok()
        .and_then(|i| DAYS.get(i))
        .map_or_else(|| format!("%!Weekday({d})"), |s| s.to_string())
}

pub(super) fn fmt_value(out: &mut String, v: &Value, spec: &Spec, depth: usize) {
    // fmt looks through an interface to the dynamic value (and its type).
    if let Value::Typed(t, inner) = v
        && t == "interface {}"
    {
        return fmt_value(out, inner, spec, depth);
    }
    if matches!(spec.verb, 'v' | 's' | 'q' | 'x' | 'X')
        && let Some(s) = stringer(v)
    {
        return fmt_string(out, &s, v, spec);
    }
    if let Value::Typed(t, inner) = v
        && t.starts_with('*')
        && !matches!(inner.untyped(), Value::Nil)
        && spec.verb != 'T'
    {
        // fmt shows a pointer to a composite as &{…} at the top level and as an address
        // inside other values; addresses differ between runs, so any fixed one will do.
        if depth == 0
            && matches!(
                inner.untyped(),
                Value::Struct(_) | Value::List(_) | Value::Map(_)
            )
        {
            out.push('&');
            return fmt_value(out, inner, spec, depth + 1);
        }
        if matches!(spec.verb, 'v' | 'p') {
            return pad(out, "0xc000010000", spec);
        }
    }
    match v.untyped() {
        Value::Nil => {
            let pointer = v.go_type().starts_with('*');
            match spec.verb {
                _ if depth > 0 => pad(out, "<nil>", spec),
                'v' | 's' => pad(out, "<nil>", spec),
                // fmt prints a nil pointer's address, 0, with integer verbs.
                'd' | 'x' | 'X' | 'o' | 'b' if pointer => fmt_integer(out, 0, false, v, spec),
                'p' if pointer => pad(out, "0x0", spec),
                // An untyped nil is a nil interface: fmt sees no value at all.
                _ if !pointer => bad_verb(out, None, spec),
                _ => bad_verb(out, Some(v), spec),
            }
        }
        Value::Bool(b) => match spec.verb {
            'v' | 't' => pad(out, if *b { "true" } else { "false" }, spec),
            _ => bad_verb(out, Some(v), spec),
        },
        Value::Int(i) => fmt_integer(out, i.unsigned_abs(), *i < 0, v, spec),
        Value::Uint(u) => fmt_integer(out, *u, false, v, spec),
        Value::Float(f) => fmt_float(out, *f, v, spec),
        Value::String(s) => fmt_string(out, s, v, spec),
        Value::Time(_) => bad_verb(out, Some(v), spec),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                fmt_value(out, item, spec, depth + 1);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, val)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                fmt_value(out, &Value::String(k.clone()), spec, depth + 1);
                out.push(':');
                fmt_value(out, val, spec, depth + 1);
            }
            out.push(']');
        }
        Value::Struct(fields) => {
            out.push('{');
            for (i, (name, val)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                if spec.plus_v {
                    out.push_str(name);
                    out.push(':');
                }
                fmt_value(out, val, spec, depth + 1);
            }
            out.push('}');
        }
        Value::Typed(..) => {} // untyped() never returns Typed
    }
}

fn fmt_string(out: &mut String, s: &str, v: &Value, spec: &Spec) {
    let truncated: String = match spec.prec {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    };
    match spec.verb {
        'v' | 's' => pad(out, &truncated, spec),
        'q' => {
            let q = if spec.sharp
                && !truncated.contains('`')
                && truncated.chars().all(|c| c == '\t' || !c.is_control())
            {
                format!("`{truncated}`")
            } else if spec.plus {
                go_quote_ascii(&truncated)
            } else {
                go_quote(&truncated)
            };
            pad(out, &q, spec);
        }
        'x' | 'X' => {
            let bytes = match spec.prec {
                Some(p) => &s.as_bytes()[..p.min(s.len())],
                None => s.as_bytes(),
            };
            let upper = spec.verb == 'X';
            let mut hex = String::new();
            for (i, b) in bytes.iter().enumerate() {
                if spec.space && i > 0 {
                    hex.push(' ');
                }
                if spec.sharp && (spec.space || i == 0) {
                    hex.push_str(if upper { "0X" } else { "0x" });
                }
                if upper {
                    hex.push_str(&format!("{b:02X}"));
                } else {
                    hex.push_str(&format!("{b:02x}"));
                }
            }
            pad(out, &hex, spec);
        }
        _ => bad_verb(out, Some(v), spec),
    }
}

fn fmt_integer(out: &mut String, mag: u64, neg: bool, v: &Value, spec: &Spec) {
    let upper = matches!(spec.verb, 'X');
    // %c, %q and %U see the two's complement bits of a negative number, as Go's uint64(x).
    let bits = if neg { 0u64.wrapping_sub(mag) } else { mag };
    let (base, prefix) = match spec.verb {
        'v' | 'd' => (10, ""),
        'b' => (2, if spec.sharp { "0b" } else { "" }),
        'o' => (8, ""),
        'O' => (8, "0o"),
        'x' => (16, if spec.sharp { "0x" } else { "" }),
        'X' => (16, if spec.sharp { "0X" } else { "" }),
        'c' => {
            let c = u32::try_from(bits)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{FFFD}');
            return pad(out, &c.to_string(), spec);
        }
        'q' => {
            let c = u32::try_from(bits)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{FFFD}');
            return pad(out, &go_quote_rune(c, spec.plus), spec);
        }
        'U' => {
            let s = match u32::try_from(bits).ok().and_then(char::from_u32) {
                Some(c) if spec.sharp => unicode_desc(c),
                _ => format!("U+{bits:04X}"),
            };
            return pad(out, &s, spec);
        }
        _ => return bad_verb(out, Some(v), spec),
    };
    let mut digits = match base {
        2 => format!("{mag:b}"),
        8 => format!("{mag:o}"),
        16 if upper => format!("{mag:X}"),
        16 => format!("{mag:x}"),
        _ => mag.to_string(),
    };
    let sign = if neg {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    if let Some(p) = spec.prec {
        if p == 0 && mag == 0 {
            return pad(
                out,
                "",
                &Spec {
                    zero: false,
                    ..spec.clone()
                },
            );
        }
        if digits.len() < p {
            digits = format!("{}{digits}", "0".repeat(p - digits.len()));
        }
    } else if spec.zero
        && !spec.minus
        && let Some(w) = spec.width
    {
        // fmt leaves room for the sign but not for a 0x prefix.
        let room = w.saturating_sub(sign.len());
        if digits.len() < room {
            digits = format!("{}{digits}", "0".repeat(room - digits.len()));
        }
    }
    if spec.verb == 'o' && spec.sharp && !digits.starts_with('0') {
        digits.insert(0, '0');
    }
    let s = format!("{sign}{prefix}{digits}");
    pad(
        out,
        &s,
        &Spec {
            zero: false,
            ..spec.clone()
        },
    );
}

fn fmt_float(out: &mut String, f: f64, v: &Value, spec: &Spec) {
    let body = match spec.verb {
        'v' => format_g(f, spec.prec, false),
        'g' | 'G' => format_g(f, spec.prec, spec.verb == 'G'),
        'e' | 'E' => format_e(f, spec.prec.unwrap_or(6), spec.verb == 'E'),
        'f' | 'F' => format_f(f, spec.prec.unwrap_or(6)),
        _ => return bad_verb(out, Some(v), spec),
    };
    let body = if spec.sharp && f.is_finite() {
        sharp_float(body, spec)
    } else {
        body
    };
    // Like fmt: always carry a sign, then decide whether to show it.
    let mut num = if f.is_nan() {
        "+NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else if body.starts_with('-') {
        body
    } else {
        format!("+{body}")
    };
    if spec.space && num.starts_with('+') && !spec.plus {
        num.replace_range(..1, " ");
    }
    let no_zero = Spec {
        zero: false,
        ..spec.clone()
    };
    if !f.is_finite() {
        if f.is_nan() && !spec.space && !spec.plus {
            num.remove(0);
        }
        return pad(out, &num, &no_zero);
    }
    if spec.plus || !num.starts_with('+') {
        let n = num.chars().count();
        if spec.zero
            && let Some(w) = spec.width.filter(|w| *w > n)
        {
            out.push_str(&num[..1]);
            out.push_str(&"0".repeat(w - n));
            out.push_str(&num[1..]);
            return;
        }
        return pad(out, &num, spec);
    }
    pad(out, &num[1..], spec);
}

/// The `#` flag: always a decimal point, and for `%g` trailing zeros up to the precision.
fn sharp_float(num: String, spec: &Spec) -> String {
    let mut digits: i64 = match spec.verb {
        'g' | 'G' => spec.prec.map_or(6, |p| p as i64),
        _ => 0,
    };
    let (mant, tail) = match num.find(['e', 'E']) {
        Some(i) => (&num[..i], &num[i..]),
        None => (num.as_str(), ""),
    };
    let mut mant = mant.to_string();
    let mut seen_nonzero = false;
    for c in mant
        .trim_start_matches('-')
        .chars()
        .filter(char::is_ascii_digit)
    {
        seen_nonzero |= c != '0';
        if seen_nonzero {
            digits -= 1;
        }
    }
    if !mant.contains('.') {
        if mant.trim_start_matches('-') == "0" {
            digits -= 1;
        }
        mant.push('.');
    }
    while digits > 0 {
        mant.push('0');
        digits -= 1;
    }
    mant + tail
}

/// Go's exponent form: at least two digits with a sign (`e+06`, `e-07`).
fn go_exp(rust: &str, upper: bool) -> String {
    let (mant, exp) = rust.split_once('e').unwrap_or((rust, "0"));
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp),
    };
    let e = if upper { 'E' } else { 'e' };
    if digits.len() < 2 {
        format!("{mant}{e}{sign}0{digits}")
    } else {
        format!("{mant}{e}{sign}{digits}")
    }
}

/// Past these many digits a double's exact decimal form has only zeros (its longest
/// expansion has 767 significant digits, 1074 after the point), and Rust's formatter refuses
/// precisions above 65535 (Go allows up to 1e6): the rest is padded with zeros.
const EXACT_SIGNIFICANT: usize = 800;
const EXACT_FRACTION: usize = 1100;

fn format_e(f: f64, prec: usize, upper: bool) -> String {
    let shown = prec.min(EXACT_SIGNIFICANT);
    let mut s = format!("{f:.shown$e}");
    if prec > shown && f.is_finite() {
        let at = s.find('e').unwrap_or(s.len());
        s.insert_str(at, &"0".repeat(prec - shown));
    }
    go_exp(&s, upper)
}

fn format_f(f: f64, prec: usize) -> String {
    let shown = prec.min(EXACT_FRACTION);
    let mut s = format!("{f:.shown$}");
    if prec > shown && f.is_finite() {
        s.push_str(&"0".repeat(prec - shown));
    }
    s
}

/// strconv's `%g`: shortest digits when `prec` is `None` (exponent form from 1e+06 on),
/// else `prec` significant digits; trailing zeros dropped.
fn format_g(f: f64, prec: Option<usize>, upper: bool) -> String {
    if !f.is_finite() {
        return String::new();
    }
    let sci = match prec {
        None => format!("{f:e}"),
        Some(p) => {
            // Trailing zeros are dropped below, so digits past the exact ones change nothing.
            let p = p.clamp(1, EXACT_SIGNIFICANT) - 1;
            format!("{f:.p$e}")
        }
    };
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let nd = digits.len() as i32;
    let dp = exp + 1;
    let mut eprec = prec.map_or(6, |p| p.max(1) as i32);
    if prec.is_some() && eprec > nd && nd >= dp {
        eprec = nd;
    }
    if prec.is_none() {
        eprec = 6;
    }
    let sign = if neg { "-" } else { "" };
    if exp < -4 || exp >= eprec {
        let mut m = digits[..1].to_string();
        if nd > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        return go_exp(&format!("{sign}{m}e{exp}"), upper);
    }
    // Plain decimal from the digits and decimal point position.
    let mut s = String::from(sign);
    if dp <= 0 {
        s.push_str("0.");
        s.push_str(&"0".repeat((-dp) as usize));
        s.push_str(digits);
    } else if dp >= nd {
        s.push_str(digits);
        s.push_str(&"0".repeat((dp - nd) as usize));
    } else {
        s.push_str(&digits[..dp as usize]);
        s.push('.');
        s.push_str(&digits[dp as usize..]);
    }
    s
}
