//! Small re-implementations of Go standard-library behaviour that shows up in skopeo's
//! messages: `strconv.Atoi` (with its error texts), and `%q` quoting from [`crate::gotext`].

/// Go's `strconv.Quote`; it lives in [`crate::gotext`] with the crate's other Go text helpers.
pub use crate::gotext::go_quote;

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
