//! Go `time.Time` text forms: JSON (RFC 3339 with nanoseconds) and `String()`.
//!
//! skopeo decodes timestamps with Go 1.19's `time.Time.UnmarshalJSON` and prints them with
//! `MarshalJSON` (in JSON output) or `String()` (in `--format` templates).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, Timelike};

/// Go's `time.Time.MarshalJSON` / `Format(time.RFC3339Nano)`: fraction of a second with
/// trailing zeros removed (none at all when zero), `Z` for a zero offset, else `+hh:mm`.
///
/// Go refuses to marshal years outside 0..=9999; this still formats them (year padded to four
/// digits, a `-` sign for negative years).
pub fn go_time_rfc3339nano(t: &DateTime<FixedOffset>) -> String {
    let mut out = date_time(t, 'T');
    let off = t.offset().local_minus_utc();
    if off == 0 {
        out.push('Z');
    } else {
        let (sign, m) = offset_minutes(off);
        out.push_str(&format!("{sign}{:02}:{:02}", m / 60, m % 60));
    }
    out
}

/// Go's `time.Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`.
///
/// The last part is the zone name. skopeo's times come from JSON: `Z` gives Go's UTC
/// location (name `UTC`); an explicit offset gives a zone without a name, which Go prints as
/// the offset again (`+0200 +0200`), except that an offset equal to the local zone's takes the
/// local zone's name. skopeo runs with a UTC local zone in practice, so a zero offset is
/// always printed as `+0000 UTC`.
pub fn go_time_string(t: &DateTime<FixedOffset>) -> String {
    let mut out = date_time(t, ' ');
    let off = t.offset().local_minus_utc();
    let (sign, m) = offset_minutes(off);
    let numeric = format!("{sign}{:02}{:02}", m / 60, m % 60);
    out.push(' ');
    out.push_str(&numeric);
    out.push(' ');
    if off == 0 {
        out.push_str("UTC");
    } else {
        out.push_str(&numeric);
    }
    out
}

// Go prints only whole minutes of an offset in these layouts.
fn offset_minutes(off: i32) -> (char, i32) {
    let sign = if off < 0 { '-' } else { '+' };
    (sign, off.abs() / 60)
}

fn date_time(t: &DateTime<FixedOffset>, sep: char) -> String {
    let year = t.year();
    let year = if year < 0 {
        format!("-{:03}", -year)
    } else {
        format!("{year:04}")
    };
    let mut out = format!(
        "{year}-{:02}-{:02}{sep}{:02}:{:02}:{:02}",
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    out.push_str(&fraction(t.nanosecond()));
    out
}

/// `.999999999`-style fraction: nine digits with trailing zeros cut, empty for zero.
/// chrono reports leap seconds as nanoseconds >= 1e9; Go has no leap seconds, so clamp.
pub(crate) fn fraction(nanos: u32) -> String {
    let nanos = nanos.min(999_999_999);
    if nanos == 0 {
        return String::new();
    }
    let digits = format!("{nanos:09}");
    format!(".{}", digits.trim_end_matches('0'))
}

/// Parses what Go 1.19's `time.Time.UnmarshalJSON` accepts (the string without its quotes):
/// `time.Parse(time.RFC3339, s)`, which is laxer than RFC 3339 in Go's ways — a one-digit
/// hour, a fraction after `.` or `,` of any length (digits past nine ignored), offset minutes
/// up to 99. Returns `None` where Go returns an error, and also for offsets of a day or more,
/// which Go accepts but chrono cannot represent.
pub fn parse_go_time(s: &str) -> Option<DateTime<FixedOffset>> {
    let b = s.as_bytes();
    let digit = |i: usize| {
        b.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| u32::from(c - b'0'))
    };
    let two = |i: usize| Some(digit(i)? * 10 + digit(i + 1)?);
    let year = (0..4).try_fold(0u32, |acc, i| Some(acc * 10 + digit(i)?))?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || b.get(10) != Some(&b'T') {
        return None;
    }
    let (month, day) = (two(5)?, two(8)?);
    // Go's "15" accepts one or two digits.
    let (hour, mut i) = match (digit(11), digit(12)) {
        (Some(h1), Some(h2)) => (h1 * 10 + h2, 13),
        (Some(h), None) => (h, 12),
        _ => return None,
    };
    if b.get(i) != Some(&b':') || b.get(i + 3) != Some(&b':') {
        return None;
    }
    let (minute, second) = (two(i + 1)?, two(i + 4)?);
    i += 6;
    let mut nanos = 0u32;
    if matches!(b.get(i), Some(b'.' | b',')) && digit(i + 1).is_some() {
        let mut n = i + 1;
        let mut scale = 100_000_000u32;
        while let Some(d) = digit(n) {
            nanos += d * scale;
            scale /= 10;
            n += 1;
        }
        i = n;
    }
    let offset = match &b[i..] {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), ..] if b.len() == i + 6 && b[i + 3] == b':' => {
            let secs = (two(i + 1)? * 60 + two(i + 4)?) * 60;
            let secs = i32::try_from(secs).ok()?;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    if month == 0 || month > 12 || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    let tz = FixedOffset::east_opt(offset)?;
    date.and_time(time).and_local_timezone(tz).single()
}

/// `#[serde(with = "skiff::gojson::go_time")]` for a `DateTime<FixedOffset>` field written and
/// read as Go's `time.Time` is in JSON.
pub mod go_time {
    use chrono::{DateTime, FixedOffset};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(t: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::go_time_rfc3339nano(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_go_time(&s)
            .ok_or_else(|| D::Error::custom(format!("parsing time {s:?}: not RFC 3339")))
    }
}

/// Like [`go_time`] for `Option<DateTime<FixedOffset>>` (Go's `*time.Time`): `None` is `null`.
pub mod go_time_option {
    use chrono::{DateTime, FixedOffset};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(
        t: &Option<DateTime<FixedOffset>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::go_time_rfc3339nano(t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => super::parse_go_time(&s)
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("parsing time {s:?}: not RFC 3339"))),
        }
    }
}
