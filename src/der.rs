//! A minimal DER reader for the X.509 certificates skiff inspects (registry TLS details and
//! sigstore/Fulcio chains): one element at a time, every length checked, nothing allocated.

/// One DER element: tag, content, and the whole encoding (tag, length and content).
pub(crate) struct Element<'a> {
    pub(crate) tag: u8,
    pub(crate) content: &'a [u8],
    pub(crate) whole: &'a [u8],
}

pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const OID: u8 = 0x06;

/// Reads the next element off `input`; `None` when it is cut short or its length is odd.
pub(crate) fn next<'a>(input: &mut &'a [u8]) -> Option<Element<'a>> {
    let all = *input;
    let (&tag, rest) = all.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        first as usize
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, &b| (a << 8) | b as usize);
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    let header = all.len() - rest.len();
    *input = &rest[len..];
    Some(Element {
        tag,
        content: &rest[..len],
        whole: &all[..header + len],
    })
}

/// The next element, if it has `tag`.
pub(crate) fn expect<'a>(input: &mut &'a [u8], tag: u8) -> Option<Element<'a>> {
    next(input).filter(|e| e.tag == tag)
}

/// UTCTime (two-digit years, 1950–2049) or GeneralizedTime, in whole seconds, UTC.
pub(crate) fn time(e: &Element<'_>) -> Option<i64> {
    let s = std::str::from_utf8(e.content).ok()?;
    let s = s.strip_suffix('Z')?;
    let (year, rest) = match e.tag {
        0x17 if s.len() == 12 => {
            let yy: i32 = s[..2].parse().ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &s[2..])
        }
        0x18 if s.len() == 14 => (s[..4].parse().ok()?, &s[4..]),
        _ => return None,
    };
    let field = |i: usize| rest.get(i..i + 2)?.parse::<u32>().ok();
    let date = chrono::NaiveDate::from_ymd_opt(year, field(0)?, field(2)?)?;
    let time = date.and_hms_opt(field(4)?, field(6)?, field(8)?)?;
    Some(time.and_utc().timestamp())
}
