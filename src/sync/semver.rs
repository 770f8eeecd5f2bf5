//! Semantic versions and version constraints with the semantics of the Go library skopeo's
//! `images-by-semver` uses (Masterminds/semver v3): loose versions (`v1`, `1.2`, leading
//! zeros), and constraints with `=`, `!=`, `>`, `<`, `>=`, `<=`, `~`, `^`, wildcards (`1.x`,
//! `*`), hyphen ranges (`1.2 - 1.4`), AND (space or comma) and OR (`||`). A constraint group
//! matches pre-release versions only when one of its own versions has a pre-release.

use std::cmp::Ordering;
use std::sync::LazyLock;

use regex::Regex;

const MAX_VERSION_LEN: usize = 256;
const MAX_CONSTRAINT_LEN: usize = 512;
const MAX_CONSTRAINT_GROUPS: usize = 32;

/// A parsed version: numbers, pre-release and build metadata (ignored when comparing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// Dot-separated non-empty identifiers of `[0-9A-Za-z-]`.
fn is_dotted_idents(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(is_ident_char))
}

fn validate_prerelease(p: &str) -> Result<(), String> {
    for part in p.split('.') {
        if part.is_empty() || !part.bytes().all(is_ident_char) {
            return Err("invalid prerelease string".into());
        }
        if part.bytes().all(|b| b.is_ascii_digit()) && part.len() > 1 && part.starts_with('0') {
            return Err("version segment starts with 0".into());
        }
    }
    Ok(())
}

fn parse_segment(s: &str) -> Result<u64, String> {
    s.parse::<u64>().map_err(|_| {
        format!(
            "error parsing version segment: strconv.ParseUint: parsing {s:?}: value out of range"
        )
    })
}

impl Version {
    /// Parses a version the lenient way (`NewVersion`): an optional `v`, one to three
    /// numbers (missing ones are 0, leading zeros allowed), then `-PRERELEASE` and
    /// `+METADATA`.
    pub fn parse(s: &str) -> Result<Version, String> {
        if s.len() > MAX_VERSION_LEN {
            return Err(format!(
                "version string is too long (max {MAX_VERSION_LEN} bytes)"
            ));
        }
        let invalid = || "invalid semantic version".to_string();
        let body = s.strip_prefix('v').unwrap_or(s);
        // Numbers run up to the first '-' or '+'; the pre-release may itself hold '-'.
        let num_end = body.find(['-', '+']).unwrap_or(body.len());
        let (numbers, rest) = body.split_at(num_end);
        let parts: Vec<&str> = numbers.split('.').collect();
        if parts.len() > 3
            || parts
                .iter()
                .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(invalid());
        }
        let (pre, metadata) = match rest.strip_prefix('-') {
            Some(r) => match r.split_once('+') {
                Some((p, m)) => (p, Some(m)),
                None => (r, None),
            },
            None => ("", rest.strip_prefix('+')),
        };
        if rest.starts_with('-') && !is_dotted_idents(pre) {
            return Err(invalid());
        }
        if let Some(m) = metadata
            && !is_dotted_idents(m)
        {
            return Err(invalid());
        }
        let major = parse_segment(parts[0])?;
        let minor = parts.get(1).map(|p| parse_segment(p)).transpose()?;
        let patch = parts.get(2).map(|p| parse_segment(p)).transpose()?;
        if !pre.is_empty() {
            validate_prerelease(pre)?;
        }
        Ok(Version {
            major,
            minor: minor.unwrap_or(0),
            patch: patch.unwrap_or(0),
            pre: pre.to_string(),
            metadata: metadata.unwrap_or("").to_string(),
        })
    }

    /// Precedence: numbers, then a release above its pre-releases, then pre-release parts.
    pub fn compare(&self, o: &Version) -> Ordering {
        self.major
            .cmp(&o.major)
            .then(self.minor.cmp(&o.minor))
            .then(self.patch.cmp(&o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &o.pre),
            })
    }

    fn less_than(&self, o: &Version) -> bool {
        self.compare(o) == Ordering::Less
    }
}

/// Pre-release parts compared one by one; a missing part is lower. Numeric parts compare as
/// numbers and below alphanumeric ones. (As in the Go library, two different spellings of
/// the same number, `07` and `7`, compare as "less" either way round.)
fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for i in 0..pa.len().max(pb.len()) {
        let (x, y) = (
            pa.get(i).copied().unwrap_or(""),
            pb.get(i).copied().unwrap_or(""),
        );
        let d = compare_pre_part(x, y);
        if d != Ordering::Equal {
            return d;
        }
    }
    Ordering::Equal
}

fn compare_pre_part(x: &str, y: &str) -> Ordering {
    if x == y {
        return Ordering::Equal;
    }
    if x.is_empty() {
        return Ordering::Less;
    }
    if y.is_empty() {
        return Ordering::Greater;
    }
    match (x.parse::<u64>(), y.parse::<u64>()) {
        (Err(_), Err(_)) => {
            if x > y {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Ok(a), Ok(b)) => {
            if a > b {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// No operator or `=`: equal, or a tilde range when the version has wildcards.
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

fn op_of(s: &str) -> Op {
    match s {
        "!=" => Op::NotEqual,
        ">" => Op::Greater,
        "<" => Op::Less,
        ">=" | "=>" => Op::GreaterEqual,
        "<=" | "=<" => Op::LessEqual,
        "~" | "~>" => Op::Tilde,
        "^" => Op::Caret,
        _ => Op::TildeOrEqual,
    }
}

/// One comparison, e.g. `>= 1.2` or `!= 4.x`.
#[derive(Clone, Debug)]
struct Constraint {
    op: Op,
    version: Version,
    /// A wildcard or missing part: major (everything), minor, or patch.
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

/// `>= 1.2, < 2 || 3.x`: groups of comparisons, any group of which may match.
#[derive(Clone, Debug)]
pub struct Constraints {
    groups: Vec<Vec<Constraint>>,
    /// Whether a group names a pre-release (then its pre-release versions may match).
    group_has_pre: Vec<bool>,
}

// The grammar, as regular expressions with Go's leftmost-first semantics (the Go library
// matches with regular expressions, so its quirks come from how these find their matches).
// A version in a constraint: numbers or wildcards (the class also admits '|'), then
// pre-release and metadata.
const WS: &str = r"[\t\n\f\r ]";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

/// With `capture`, groups 1–4 are the major part, `.minor`, `.patch` and `-prerelease`.
fn cv(capture: bool) -> String {
    let part = r"[0-9xX*|]+";
    let idents = r"[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*";
    let g = if capture { "(" } else { "(?:" };
    format!(r"v?{g}{part})(?:{g}\.{part}))?(?:{g}\.{part}))?(?:{g}-{idents}))?(?:\+{idents})?")
}

static ONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"^{WS}*({OPS}){WS}*({}){WS}*$", cv(true))).expect("valid pattern")
});
static FIND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?:{OPS}){WS}*(?:{})", cv(false))).expect("valid pattern")
});
static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    let nc = cv(false);
    Regex::new(&format!(r"{WS}*({nc}){WS}+-{WS}+({nc}){WS}*")).expect("valid pattern")
});
static VALID: LazyLock<Regex> = LazyLock::new(|| {
    let nc = cv(false);
    Regex::new(&format!(
        r"^(?:{WS}*(?:{OPS}){WS}*(?:{nc}){WS}*)(?:(?:{WS}+|,{WS}*)(?:{OPS}){WS}*(?:{nc}){WS}*)*$"
    ))
    .expect("valid pattern")
});

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

/// `A - B` becomes `>= A, <= B ` (each occurrence of the matched text, first one first).
fn rewrite_ranges(c: &str) -> String {
    let found: Vec<(String, String, String)> = RANGE
        .captures_iter(c)
        .map(|m| (m[0].to_string(), m[1].to_string(), m[2].to_string()))
        .collect();
    let mut out = c.to_string();
    for (whole, from, to) in found {
        out = out.replacen(&whole, &format!(">= {from}, <= {to} "), 1);
    }
    out
}

fn parse_one(s: &str) -> Result<Constraint, String> {
    let m = ONE
        .captures(s)
        .ok_or_else(|| format!("improper constraint: {}", crate::gotext::go_quote(s)))?;
    let op = op_of(&m[1]);
    let whole = &m[2];
    let major = m.get(3).map_or("", |g| g.as_str());
    let minor = m.get(4).map_or("", |g| g.as_str());
    let patch = m.get(5).map_or("", |g| g.as_str());
    let pre = m.get(6).map_or("", |g| g.as_str());
    let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
    let text = if is_x(major) || major.is_empty() {
        dirty = true;
        format!("0.0.0{pre}")
    } else if minor.is_empty() || is_x(&minor[1..]) {
        dirty = true;
        minor_dirty = true;
        format!("{major}.0.0{pre}")
    } else if patch.is_empty() || is_x(&patch[1..]) {
        dirty = true;
        patch_dirty = true;
        format!("{major}{minor}.0{pre}")
    } else {
        whole.to_string()
    };
    let version = Version::parse(&text).map_err(|_| "constraint parser error".to_string())?;
    Ok(Constraint {
        op,
        version,
        dirty,
        minor_dirty,
        patch_dirty,
    })
}

impl Constraints {
    /// Parses a constraint string (`NewConstraint`), with the Go library's messages.
    pub fn parse(c: &str) -> Result<Constraints, String> {
        if c.len() > MAX_CONSTRAINT_LEN {
            return Err(format!(
                "constraint string is too long (max {MAX_CONSTRAINT_LEN} bytes)"
            ));
        }
        let c = rewrite_ranges(c);
        let ors: Vec<&str> = c.split("||").collect();
        if ors.len() > MAX_CONSTRAINT_GROUPS {
            return Err(format!(
                "too many constraint groups (max {MAX_CONSTRAINT_GROUPS})"
            ));
        }
        let mut groups = Vec::new();
        let mut group_has_pre = Vec::new();
        for segment in ors {
            if !VALID.is_match(segment) {
                return Err(format!(
                    "improper constraint: {}",
                    crate::gotext::go_quote(segment)
                ));
            }
            let mut found: Vec<&str> = FIND.find_iter(segment).map(|m| m.as_str()).collect();
            if found.is_empty() {
                found.push(segment);
            }
            let group = found
                .into_iter()
                .map(parse_one)
                .collect::<Result<Vec<_>, _>>()?;
            group_has_pre.push(group.iter().any(|c| !c.version.pre.is_empty()));
            groups.push(group);
        }
        Ok(Constraints {
            groups,
            group_has_pre,
        })
    }

    /// Whether `v` satisfies any group (all of that group's comparisons).
    pub fn matches(&self, v: &Version) -> bool {
        self.groups
            .iter()
            .zip(&self.group_has_pre)
            .any(|(group, pre)| group.iter().all(|c| c.check(v, *pre)))
    }
}

impl Constraint {
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.version;
        match self.op {
            Op::TildeOrEqual => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    v.compare(c) == Ordering::Equal
                }
            }
            Op::NotEqual => self.not_equal(v),
            Op::Greater => self.greater(v),
            Op::Less => v.less_than(c),
            Op::GreaterEqual => v.compare(c) != Ordering::Less,
            Op::LessEqual => self.less_equal(v),
            Op::Tilde => self.tilde(v),
            Op::Caret => self.caret(v),
        }
    }

    fn not_equal(&self, v: &Version) -> bool {
        let c = &self.version;
        if self.dirty {
            if c.major != v.major {
                return true;
            }
            if c.minor != v.minor && !self.minor_dirty {
                return true;
            } else if self.minor_dirty {
                return false;
            } else if c.patch != v.patch && !self.patch_dirty {
                return true;
            } else if self.patch_dirty {
                if !v.pre.is_empty() || !c.pre.is_empty() {
                    return compare_prerelease(&v.pre, &c.pre) != Ordering::Equal;
                }
                return false;
            }
        }
        v.compare(c) != Ordering::Equal
    }

    fn greater(&self, v: &Version) -> bool {
        let c = &self.version;
        if !self.dirty {
            return v.compare(c) == Ordering::Greater;
        }
        if v.major != c.major {
            return v.major > c.major;
        }
        if self.minor_dirty {
            return false;
        }
        if self.patch_dirty {
            return v.minor > c.minor;
        }
        v.compare(c) == Ordering::Greater
    }

    fn less_equal(&self, v: &Version) -> bool {
        let c = &self.version;
        if !self.dirty {
            return v.compare(c) != Ordering::Greater;
        }
        if v.major > c.major {
            return false;
        }
        !(v.major == c.major && v.minor > c.minor && !self.minor_dirty)
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.version;
        if v.less_than(c) {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        v.minor == c.minor || self.minor_dirty
    }

    fn caret(&self, v: &Version) -> bool {
        let c = &self.version;
        if v.less_than(c) {
            return false;
        }
        if c.major > 0 || self.minor_dirty {
            return v.major == c.major;
        }
        if v.major > 0 {
            return false;
        }
        if c.minor > 0 || self.patch_dirty {
            return v.minor == c.minor;
        }
        if v.minor > 0 {
            return false;
        }
        c.patch == v.patch
    }
}

#[cfg(test)]
mod tests;
