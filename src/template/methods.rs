//! Methods of the Go types skopeo's template data contains, callable as `{{.Created.Year}}`
//! or `{{.Digest.Encoded}}`: most of `time.Time`'s (with Go's layout-based `Format`) and
//! `digest.Digest`'s.

use super::exec::V;
use super::funcs::Param;
use super::value::Value;
use chrono::{DateTime, Datelike, FixedOffset, Timelike};

#[derive(Debug, Clone)]
pub(crate) enum Method {
    Time(&'static str, DateTime<FixedOffset>),
    /// A `time.Time` method called through a nil `*time.Time`: an error once called.
    NilTime(&'static str),
    Digest(&'static str, String),
}

const TIME_METHODS: &[&str] = &[
    "After",
    "Before",
    "Day",
    "Equal",
    "Format",
    "Hour",
    "IsZero",
    "Minute",
    "Month",
    "Nanosecond",
    "Second",
    "String",
    "UTC",
    "Unix",
    "UnixMicro",
    "UnixMilli",
    "UnixNano",
    "Weekday",
    "Year",
    "YearDay",
];

const DIGEST_METHODS: &[&str] = &["Algorithm", "Encoded", "Hex", "String"];

fn is_digest(v: &Value) -> bool {
    match v {
        Value::Typed(t, inner) => t == "digest.Digest" || is_digest(inner),
        _ => false,
    }
}

impl Method {
    pub fn lookup(recv: &Value, name: &str) -> Option<Method> {
        match recv.untyped() {
            Value::Time(t) => TIME_METHODS
                .iter()
                .find(|m| **m == name)
                .map(|m| Method::Time(m, *t)),
            Value::Nil if recv.go_type() == "*time.Time" => TIME_METHODS
                .iter()
                .find(|m| **m == name)
                .map(|m| Method::NilTime(m)),
            Value::String(s) if is_digest(recv) => DIGEST_METHODS
                .iter()
                .find(|m| **m == name)
                .map(|m| Method::Digest(m, s.clone())),
            _ => None,
        }
    }

    pub fn params(&self) -> &'static [Param] {
        match self {
            Method::Time("Format", _) | Method::NilTime("Format") => &[Param::Str],
            Method::Time("After" | "Before" | "Equal", _)
            | Method::NilTime("After" | "Before" | "Equal") => &[Param::Time],
            _ => &[],
        }
    }

    pub fn call(&self, args: Vec<V>) -> Result<V, String> {
        let int = |i: i64| Ok(Some(Value::Int(i)));
        let int64 = |i: i64| Ok(Some(Value::typed("int64", Value::Int(i))));
        match self {
            Method::NilTime(name) => Err(format!(
                "value method time.Time.{name} called using nil *Time pointer"
            )),
            Method::Digest(name, d) => {
                let (alg, enc) = d.split_once(':').unwrap_or((d.as_str(), ""));
                Ok(Some(match *name {
                    "Algorithm" => Value::typed("digest.Algorithm", alg),
                    "Encoded" | "Hex" => Value::String(enc.to_string()),
                    _ => Value::String(d.clone()),
                }))
            }
            Method::Time(name, t) => {
                let other = || match args.first() {
                    Some(Some(v)) => match v.untyped() {
                        Value::Time(u) => Some(*u),
                        _ => None,
                    },
                    _ => None,
                };
                match *name {
                    "After" => Ok(Some(Value::Bool(other().is_some_and(|u| *t > u)))),
                    "Before" => Ok(Some(Value::Bool(other().is_some_and(|u| *t < u)))),
                    "Equal" => Ok(Some(Value::Bool(other().is_some_and(|u| *t == u)))),
                    "Format" => {
                        let layout = match args.first() {
                            Some(Some(v)) => super::funcs::string_of(v),
                            _ => String::new(),
                        };
                        Ok(Some(Value::String(go_format(t, &layout))))
                    }
                    "Day" => int(i64::from(t.day())),
                    "Hour" => int(i64::from(t.hour())),
                    "Minute" => int(i64::from(t.minute())),
                    "Second" => int(i64::from(t.second())),
                    "Nanosecond" => int(i64::from(t.nanosecond().min(999_999_999))),
                    "Year" => int(i64::from(t.year())),
                    "YearDay" => int(i64::from(t.ordinal())),
                    "Month" => Ok(Some(Value::typed(
                        "time.Month",
                        Value::Int(i64::from(t.month())),
                    ))),
                    "Weekday" => Ok(Some(Value::typed(
                        "time.Weekday",
                        Value::Int(i64::from(t.weekday().num_days_from_sunday())),
                    ))),
                    "IsZero" => Ok(Some(Value::Bool(
                        t.timestamp() == -62_135_596_800 && t.timestamp_subsec_nanos() == 0,
                    ))),
                    "String" => Ok(Some(Value::String(crate::gojson::go_time_string(t)))),
                    "UTC" => Ok(Some(Value::Time(
                        t.with_timezone(&FixedOffset::east_opt(0).unwrap_or(*t.offset())),
                    ))),
                    "Unix" => int64(t.timestamp()),
                    "UnixMilli" => int64(t.timestamp_millis()),
                    "UnixMicro" => int64(t.timestamp_micros()),
                    // Go wraps around outside 1678..2262; chrono reports None there.
                    "UnixNano" => int64(t.timestamp_nanos_opt().unwrap_or(0)),
                    _ => Err(format!("method {name} is not supported")),
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Std {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    UnderYearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    TZ,
    /// ISO 8601 (`Z` for UTC): with colon, with seconds, hours only.
    Iso {
        colon: bool,
        secs: bool,
        short: bool,
    },
    Num {
        colon: bool,
        secs: bool,
        short: bool,
    },
    /// Fractional seconds: separator, digits, trailing zeros kept (`0`) or cut (`9`).
    Frac(char, usize, bool),
}

/// Finds the next layout element: (literal prefix, element, rest), as Go's nextStdChunk.
fn next_std(layout: &str) -> Option<(&str, Std, &str)> {
    let b = layout.as_bytes();
    let at = |i: usize, s: &str| layout.get(i..).is_some_and(|r| r.starts_with(s));
    let lower_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_lowercase);
    for i in 0..b.len() {
        let hit = |len: usize, std: Std| Some((&layout[..i], std, &layout[i + len..]));
        match b[i] {
            b'J' if at(i, "Jan") => {
                if at(i, "January") {
                    return hit(7, Std::LongMonth);
                }
                if !lower_at(i + 3) {
                    return hit(3, Std::Month);
                }
            }
            b'M' if at(i, "Mon") => {
                if at(i, "Monday") {
                    return hit(6, Std::LongWeekDay);
                }
                if !lower_at(i + 3) {
                    return hit(3, Std::WeekDay);
                }
            }
            b'M' if at(i, "MST") => return hit(3, Std::TZ),
            b'0' => {
                let std = match b.get(i + 1) {
                    Some(b'1') => Some(Std::ZeroMonth),
                    Some(b'2') => Some(Std::ZeroDay),
                    Some(b'3') => Some(Std::ZeroHour12),
                    Some(b'4') => Some(Std::ZeroMinute),
                    Some(b'5') => Some(Std::ZeroSecond),
                    Some(b'6') => Some(Std::Year),
                    _ => None,
                };
                if let Some(s) = std {
                    return hit(2, s);
                }
                if at(i, "002") {
                    return hit(3, Std::ZeroYearDay);
                }
            }
            b'1' => {
                return if at(i, "15") {
                    hit(2, Std::Hour)
                } else {
                    hit(1, Std::NumMonth)
                };
            }
            b'2' => {
                return if at(i, "2006") {
                    hit(4, Std::LongYear)
                } else {
                    hit(1, Std::Day)
                };
            }
            b'_' => {
                if at(i, "_2") {
                    // "_2006" is a literal underscore and a year.
                    if at(i + 1, "2006") {
                        return Some((&layout[..i + 1], Std::LongYear, &layout[i + 5..]));
                    }
                    return hit(2, Std::UnderDay);
                }
                if at(i, "__2") {
                    return hit(3, Std::UnderYearDay);
                }
            }
            b'3' => return hit(1, Std::Hour12),
            b'4' => return hit(1, Std::Minute),
            b'5' => return hit(1, Std::Second),
            b'P' if at(i, "PM") => return hit(2, Std::PM),
            b'p' if at(i, "pm") => return hit(2, Std::Pm),
            b'-' | b'Z' => {
                let iso = b[i] == b'Z';
                let forms: [(&str, bool, bool, bool); 5] = [
                    ("070000", false, true, false),
                    ("07:00:00", true, true, false),
                    ("0700", false, false, false),
                    ("07:00", true, false, false),
                    ("07", false, false, true),
                ];
                for (f, colon, secs, short) in forms {
                    if at(i + 1, f) {
                        let std = if iso {
                            Std::Iso { colon, secs, short }
                        } else {
                            Std::Num { colon, secs, short }
                        };
                        return hit(1 + f.len(), std);
                    }
                }
            }
            b'.' | b',' if matches!(b.get(i + 1), Some(b'0' | b'9')) => {
                let ch = b[i + 1];
                let mut j = i + 1;
                while b.get(j) == Some(&ch) {
                    j += 1;
                }
                if !b.get(j).is_some_and(u8::is_ascii_digit) {
                    let std = Std::Frac(char::from(b[i]), j - (i + 1), ch == b'0');
                    return Some((&layout[..i], std, &layout[j..]));
                }
            }
            _ => {}
        }
    }
    None
}

fn pad_num(out: &mut String, v: i64, width: usize) {
    if v < 0 {
        out.push('-');
    }
    out.push_str(&format!("{:0width$}", v.unsigned_abs()));
}

/// Go's `time.Month` names, January first.
pub(super) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Go's `time.Weekday` names, Sunday first.
pub(super) const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Go's `time.Time.Format` for a layout such as `2006-01-02 15:04:05 MST`.
pub(crate) fn go_format(t: &DateTime<FixedOffset>, layout: &str) -> String {
    let mut out = String::new();
    let mut rest = layout;
    let month = MONTHS[t.month0() as usize];
    let day = DAYS[t.weekday().num_days_from_sunday() as usize];
    let hour = i64::from(t.hour());
    let hour12 = if hour % 12 == 0 { 12 } else { hour % 12 };
    let offset = t.offset().local_minus_utc();
    while let Some((prefix, std, after)) = next_std(rest) {
        out.push_str(prefix);
        rest = after;
        match std {
            Std::LongMonth => out.push_str(month),
            Std::Month => out.push_str(&month[..3]),
            Std::NumMonth => pad_num(&mut out, i64::from(t.month()), 0),
            Std::ZeroMonth => pad_num(&mut out, i64::from(t.month()), 2),
            Std::LongWeekDay => out.push_str(day),
            Std::WeekDay => out.push_str(&day[..3]),
            Std::Day => pad_num(&mut out, i64::from(t.day()), 0),
            Std::UnderDay => out.push_str(&format!("{:>2}", t.day())),
            Std::ZeroDay => pad_num(&mut out, i64::from(t.day()), 2),
            Std::UnderYearDay => out.push_str(&format!("{:>3}", t.ordinal())),
            Std::ZeroYearDay => pad_num(&mut out, i64::from(t.ordinal()), 3),
            Std::Hour => pad_num(&mut out, hour, 2),
            Std::Hour12 => pad_num(&mut out, hour12, 0),
            Std::ZeroHour12 => pad_num(&mut out, hour12, 2),
            Std::Minute => pad_num(&mut out, i64::from(t.minute()), 0),
            Std::ZeroMinute => pad_num(&mut out, i64::from(t.minute()), 2),
            Std::Second => pad_num(&mut out, i64::from(t.second()), 0),
            Std::ZeroSecond => pad_num(&mut out, i64::from(t.second()), 2),
            Std::LongYear => pad_num(&mut out, i64::from(t.year()), 4),
            Std::Year => pad_num(&mut out, i64::from(t.year().rem_euclid(100)), 2),
            Std::PM => out.push_str(if hour >= 12 { "PM" } else { "AM" }),
            Std::Pm => out.push_str(if hour >= 12 { "pm" } else { "am" }),
            Std::TZ => {
                if offset == 0 {
                    out.push_str("UTC");
                } else {
                    let m = offset.abs() / 60;
                    out.push(if offset < 0 { '-' } else { '+' });
                    out.push_str(&format!("{:02}{:02}", m / 60, m % 60));
                }
            }
            Std::Iso { .. } if offset == 0 => out.push('Z'),
            Std::Iso { colon, secs, short } | Std::Num { colon, secs, short } => {
                let a = offset.abs();
                out.push(if offset < 0 { '-' } else { '+' });
                out.push_str(&format!("{:02}", a / 3600));
                if !short {
                    if colon {
                        out.push(':');
                    }
                    out.push_str(&format!("{:02}", (a / 60) % 60));
                }
                if secs {
                    if colon {
                        out.push(':');
                    }
                    out.push_str(&format!("{:02}", a % 60));
                }
            }
            Std::Frac(sep, n, keep_zeros) => {
                let digits = format!("{:09}", t.nanosecond().min(999_999_999));
                let d = &digits[..n.min(9)];
                let d = if keep_zeros {
                    d
                } else {
                    d.trim_end_matches('0')
                };
                if !d.is_empty() {
                    out.push(sep);
                    out.push_str(d);
                }
            }
        }
    }
    out.push_str(rest);
    out
}
