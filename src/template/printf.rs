//! Go's `fmt.Sprintf` driver: parses verbs, flags, widths, precisions and `[n]` argument
//! indexes, and reports problems in band as fmt does (`%!d(string=x)`, `%!s(MISSING)`).

use super::print::{Spec, fmt_arg, fmt_value};
use super::value::Value;

/// `fmt.Sprintf` with Go's verbs, flags, `*` widths, `[n]` argument indexes and its
/// in-band error notes (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA …)`).
pub(crate) fn sprintf(format: &str, args: &[Option<Value>]) -> String {
    let mut out = String::new();
    let b = format.as_bytes();
    let end = b.len();
    let mut arg_num = 0usize;
    let mut reordered = false;
    let mut i = 0;
    while i < end {
        let start = i;
        while i < end && b[i] != b'%' {
            i += 1;
        }
        out.push_str(&format[start..i]);
        if i >= end {
            break;
        }
        i += 1;
        let mut spec = Spec::default();
        while i < end {
            match b[i] {
                b'#' => spec.sharp = true,
                b'0' => spec.zero = !spec.minus,
                b'+' => spec.plus = true,
                b'-' => {
                    spec.minus = true;
                    spec.zero = false;
                }
                b' ' => spec.space = true,
                _ => break,
            }
            i += 1;
        }
        let mut good_arg = true;
        let mut after_index = false;
        arg_index(
            b,
            &mut i,
            &mut arg_num,
            &mut good_arg,
            &mut reordered,
            &mut after_index,
            args.len(),
        );
        if i < end && b[i] == b'*' {
            i += 1;
            match int_arg(args, &mut arg_num) {
                Some(w) => {
                    if w < 0 {
                        spec.minus = true;
                        spec.zero = false;
                    }
                    spec.width = Some(w.unsigned_abs() as usize);
                }
                None => out.push_str("%!(BADWIDTH)"),
            }
            after_index = false;
        } else {
            let (n, present, ni) = parse_num(b, i);
            if present {
                spec.width = Some(n);
                if after_index {
                    good_arg = false;
                }
            }
            i = ni;
        }
        if i < end && b[i] == b'.' {
            i += 1;
            if after_index {
                good_arg = false;
            }
            arg_index(
                b,
                &mut i,
                &mut arg_num,
                &mut good_arg,
                &mut reordered,
                &mut after_index,
                args.len(),
            );
            if i < end && b[i] == b'*' {
                i += 1;
                match int_arg(args, &mut arg_num) {
                    Some(p) if p >= 0 => spec.prec = Some(p as usize),
                    _ => out.push_str("%!(BADPREC)"),
                }
                after_index = false;
            } else {
                let (n, present, ni) = parse_num(b, i);
                spec.prec = Some(if present { n } else { 0 });
                i = ni;
            }
        }
        if !after_index {
            arg_index(
                b,
                &mut i,
                &mut arg_num,
                &mut good_arg,
                &mut reordered,
                &mut after_index,
                args.len(),
            );
        }
        let Some(verb) = format[i..].chars().next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += verb.len_utf8();
        spec.verb = verb;
        if verb == '%' {
            out.push('%');
        } else if !good_arg {
            out.push_str(&format!("%!{verb}(BADINDEX)"));
        } else if arg_num >= args.len() {
            out.push_str(&format!("%!{verb}(MISSING)"));
        } else {
            if verb == 'v' {
                spec.sharp_v = std::mem::take(&mut spec.sharp);
                spec.plus_v = std::mem::take(&mut spec.plus);
            }
            fmt_arg(&mut out, args[arg_num].as_ref(), &spec);
            arg_num += 1;
        }
    }
    if !reordered && arg_num < args.len() {
        out.push_str("%!(EXTRA ");
        for (k, a) in args[arg_num..].iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            match a {
                None => out.push_str("<nil>"),
                Some(v) => {
                    out.push_str(&v.go_type());
                    out.push('=');
                    fmt_value(&mut out, v, &Spec::verb('v'), 0);
                }
            }
        }
        out.push(')');
    }
    out
}

/// fmt's `parsenum`: digits at `i`; (value, present, next index). A number over a million
/// makes fmt give up on the rest of the format (it then reports a missing verb).
fn parse_num(b: &[u8], mut i: usize) -> (usize, bool, usize) {
    let start = i;
    let mut n = 0usize;
    while i < b.len() && b[i].is_ascii_digit() {
        if n > 1_000_000 {
            return (0, false, b.len());
        }
        n = n * 10 + usize::from(b[i] - b'0');
        i += 1;
    }
    (n, i > start, i)
}

fn arg_index(
    b: &[u8],
    i: &mut usize,
    arg_num: &mut usize,
    good: &mut bool,
    reordered: &mut bool,
    after: &mut bool,
    nargs: usize,
) {
    if *i >= b.len() || b[*i] != b'[' {
        return;
    }
    *reordered = true;
    let Some(close) = b[*i..].iter().position(|&c| c == b']') else {
        *good = false;
        *i += 1;
        return;
    };
    let text = &b[*i + 1..*i + close];
    let n = std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse::<usize>().ok());
    *i += close + 1;
    match n {
        Some(n)
            if n >= 1 && n <= nargs && !text.is_empty() && text.iter().all(u8::is_ascii_digit) =>
        {
            *arg_num = n - 1;
            *after = true;
        }
        _ => *good = false,
    }
}

fn int_arg(args: &[Option<Value>], arg_num: &mut usize) -> Option<i64> {
    let v = args.get(*arg_num)?;
    *arg_num += 1;
    let n = match v.as_ref().map(Value::untyped) {
        Some(Value::Int(i)) => *i,
        Some(Value::Uint(u)) => i64::try_from(*u).ok()?,
        _ => return None,
    };
    (-1_000_000..=1_000_000).contains(&n).then_some(n)
}
