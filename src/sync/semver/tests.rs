//! Constraint × version outcomes recorded from the Go library skopeo vendors (v3.5.0), run
//! on these inputs: `T`/`F` per version (in `VERSIONS` order), `-` where the version does not
//! parse; or the constraint's parse error.

use super::*;

const VERSIONS: &[&str] = &[
    "1.2.3",
    "1.2.0",
    "1.2",
    "1",
    "1.3.0",
    "1.1.9",
    "2.0.0",
    "0.2.3",
    "0.2.9",
    "0.3.0",
    "0.0.3",
    "0.0.4",
    "0.1.0",
    "0.0.0",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-beta",
    "1.2.3-beta",
    "1.2.3-rc.1",
    "1.2.3-rc.2",
    "1.2.3-0",
    "1.2.4-beta",
    "v1.2.3",
    "1.2.3+build",
    "01.02.03",
    "1.4.5",
    "1.4.6",
    "1.5.0",
    "3.1.0",
    "0.4.0",
    "latest",
    "1.2.3.4",
    "1.2-beta",
    "v2",
    "2.0.0-alpha",
    "1.2.3-beta.2",
    "1.2.3-beta.11",
    "1.2.3-007",
    "1.2.3-7",
];

/// Versions that do not parse, with the error.
const BAD_VERSIONS: &[(&str, &str)] = &[
    ("latest", "invalid semantic version"),
    ("1.2.3.4", "invalid semantic version"),
    ("1.2.3-007", "version segment starts with 0"),
];

const CASES: &[(&str, &str)] = &[
    (">=1.2", "TTTFTFTFFFFFFFFFFFFFFFTTTTTTTF--FTFFF-F"),
    (">= 1.2.3", "TFFFTFTFFFFFFFFFFFFFFFTTTTTTTF--FTFFF-F"),
    (">1.2", "FFFFTFTFFFFFFFFFFFFFFFFFFTTTTF--FTFFF-F"),
    (">1.2.3", "FFFFTFTFFFFFFFFFFFFFFFFFFTTTTF--FTFFF-F"),
    (">1", "FFFFFFTFFFFFFFFFFFFFFFFFFFFFTF--FTFFF-F"),
    (">1.x", "FFFFFFTFFFFFFFFFFFFFFFFFFFFFTF--FTFFF-F"),
    ("<1.2", "FFFTFTFTTTTTTTFFFFFFFFFFFFFFFT--FFFFF-F"),
    ("<=1.2", "TTTTFTFTTTTTTTFFFFFFFFTTTFFFFT--FFFFF-F"),
    ("<=1.2.3", "TTTTFTFTTTTTTTFFFFFFFFTTTFFFFT--FFFFF-F"),
    ("<=1", "TTTTTTFTTTTTTTFFFFFFFFTTTTTTFT--FFFFF-F"),
    ("=1.2.3", "TFFFFFFFFFFFFFFFFFFFFFTTTFFFFF--FFFFF-F"),
    ("1.2.3", "TFFFFFFFFFFFFFFFFFFFFFTTTFFFFF--FFFFF-F"),
    ("1.2", "TTTFFFFFFFFFFFFFFFFFFFTTTFFFFF--FFFFF-F"),
    ("1", "TTTTTTFFFFFFFFFFFFFFFFTTTTTTFF--FFFFF-F"),
    ("1.x", "TTTTTTFFFFFFFFFFFFFFFFTTTTTTFF--FFFFF-F"),
    ("1.2.x", "TTTFFFFFFFFFFFFFFFFFFFTTTFFFFF--FFFFF-F"),
    ("*", "TTTTTTTTTTTTTTFFFFFFFFTTTTTTTT--FTFFF-F"),
    ("x", "TTTTTTTTTTTTTTFFFFFFFFTTTTTTTT--FTFFF-F"),
    ("!=1.2.3", "FTTTTTTTTTTTTTFFFFFFFFFFFTTTTT--FTFFF-F"),
    ("!=1.2", "FFFTTTTTTTTTTTFFFFFFFFFFFTTTTT--FTFFF-F"),
    ("!=1.x", "FFFFFFTTTTTTTTFFFFFFFFFFFFFFTT--FTFFF-F"),
    ("!=1.2.x", "FFFTTTTTTTTTTTFFFFFFFFFFFTTTTT--FTFFF-F"),
    ("~1.2.3", "TFFFFFFFFFFFFFFFFFFFFFTTTFFFFF--FFFFF-F"),
    ("~1.2", "TTTFFFFFFFFFFFFFFFFFFFTTTFFFFF--FFFFF-F"),
    ("~1", "TTTTTTFFFFFFFFFFFFFFFFTTTTTTFF--FFFFF-F"),
    ("~0", "FFFFFFFTTTTTTTFFFFFFFFFFFFFFFT--FFFFF-F"),
    ("~0.0.0", "TTTTTTTTTTTTTTFFFFFFFFTTTTTTTT--FTFFF-F"),
    ("~>1.2", "TTTFFFFFFFFFFFFFFFFFFFTTTFFFFF--FFFFF-F"),
    ("^1.2.3", "TFFFTFFFFFFFFFFFFFFFFFTTTTTTFF--FFFFF-F"),
    ("^1.2", "TTTFTFFFFFFFFFFFFFFFFFTTTTTTFF--FFFFF-F"),
    ("^1", "TTTTTTFFFFFFFFFFFFFFFFTTTTTTFF--FFFFF-F"),
    ("^0.2.3", "FFFFFFFTTFFFFFFFFFFFFFFFFFFFFF--FFFFF-F"),
    ("^0.2", "FFFFFFFTTFFFFFFFFFFFFFFFFFFFFF--FFFFF-F"),
    ("^0.0.3", "FFFFFFFFFFTFFFFFFFFFFFFFFFFFFF--FFFFF-F"),
    ("^0.0", "FFFFFFFFFFTTFTFFFFFFFFFFFFFFFF--FFFFF-F"),
    ("^0", "FFFFFFFTTTTTTTFFFFFFFFFFFFFFFT--FFFFF-F"),
    ("^0.x", "FFFFFFFTTTTTTTFFFFFFFFFFFFFFFT--FFFFF-F"),
    (">=1.2 <2", "TTTFTFFFFFFFFFFFFFFFFFTTTTTTFF--FFFFF-F"),
    (">=1.2, <2", "TTTFTFFFFFFFFFFFFFFFFFTTTTTTFF--FFFFF-F"),
    (">=1.2,<2", "TTTFTFFFFFFFFFFFFFFFFFTTTTTTFF--FFFFF-F"),
    (">= 1.2 , < 2", "TTTFTFFFFFFFFFFFFFFFFFTTTTTTFF--FFFFF-F"),
    ("1.2 - 1.4.5", "TTTFTFFFFFFFFFFFFFFFFFTTTTFFFF--FFFFF-F"),
    ("1.2 - 1.4", "TTTFTFFFFFFFFFFFFFFFFFTTTTTFFF--FFFFF-F"),
    ("1 - 2", "TTTTTTTFFFFFFFFFFFFFFFTTTTTTFF--FTFFF-F"),
    (">=1.0.0-alpha", "TTTTTTTFFFFFFFTTTTTTTTTTTTTTTF--TTTTT-T"),
    (">=1.0.0-0 <2", "TTTTTTFFFFFFFFTTTTTTTTTTTTTTFF--TFTTT-T"),
    (">1.0.0-alpha.1", "TTTTTTTFFFFFFFFFTTTTTTTTTTTTTF--TTTTT-T"),
    ("1.2.3-beta", "FFFFFFFFFFFFFFFFFTFFFFFFFFFFFF--FFFFF-F"),
    ("~1.2.3-beta", "TFFFFFFFFFFFFFFFFTTTFTTTTFFFFF--FFFTT-F"),
    ("^1.2.3-beta", "TFFFTFFFFFFFFFFFFTTTFTTTTTTTFF--FFFTT-F"),
    ("<1.2.3-rc.1", "FTTTFTFTTTTTTTTTTTFFTFFFFFFFFT--TFFTT-T"),
    (">=1.2 || <0.5", "TTTFTFTTTTTTTTFFFFFFFFTTTTTTTT--FTFFF-F"),
    ("1.x || 3.x", "TTTTTTFFFFFFFFFFFFFFFFTTTTTTTF--FFFFF-F"),
    ("=>1.2", "TTTFTFTFFFFFFFFFFFFFFFTTTTTTTF--FTFFF-F"),
    ("=<1.2", "TTTTFTFTTTTTTTFFFFFFFFTTTFFFFT--FFFFF-F"),
    ("v1.2.3", "TFFFFFFFFFFFFFFFFFFFFFTTTFFFFF--FFFFF-F"),
    (">=v1.2", "TTTFTFTFFFFFFFFFFFFFFFTTTTTTTF--FTFFF-F"),
    ("1.2.3+meta", "TFFFFFFFFFFFFFFFFFFFFFTTTFFFFF--FFFFF-F"),
    (">=01.2", "TTTFTFTFFFFFFFFFFFFFFFTTTTTTTF--FTFFF-F"),
    (">=1.2.3.4", "improper constraint: \">=1.2.3.4\""),
    (">=1.2a", "improper constraint: \">=1.2a\""),
    (">==1.2", "improper constraint: \">==1.2\""),
    ("", "improper constraint: \"\""),
    ("abc", "improper constraint: \"abc\""),
    (">=1.2 abc", "improper constraint: \">=1.2 abc\""),
    ("1.2 -1.4", "improper constraint: \"1.2 -1.4\""),
    ("1.2-1.4", "TTTFFFFFFFFFFFFFFTTTTTTTTFFFFF--TFFTT-T"),
    (">1.2.3 - 2", "improper constraint: \">>= 1.2.3, <= 2 \""),
    ("<=1.x", "TTTTTTFTTTTTTTFFFFFFFFTTTTTTFT--FFFFF-F"),
    ("<=1.2.x", "TTTTFTFTTTTTTTFFFFFFFFTTTFFFFT--FFFFF-F"),
    (">1.2.x", "FFFFTFTFFFFFFFFFFFFFFFFFFTTTTF--FTFFF-F"),
    ("!=1.2.3-beta", "TTTTTTTTTTTTTTTTTFTTTTTTTTTTTT--TTTTT-T"),
    ("~*", "TTTTTTTTTTTTTTFFFFFFFFTTTTTTTT--FTFFF-F"),
    ("^*", "FFFFFFFFFFFFFTFFFFFFFFFFFFFFFF--FFFFF-F"),
    ("~x", "TTTTTTTTTTTTTTFFFFFFFFTTTTTTTT--FTFFF-F"),
    (">=*", "TTTTTTTTTTTTTTFFFFFFFFTTTTTTTT--FTFFF-F"),
    (">*", "TTTTTTTTTTTTTFFFFFFFFFTTTTTTTT--FTFFF-F"),
    ("<*", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFF--FFFFF-F"),
    ("1 - 2 || 3 - 4", "TTTTTTTFFFFFFFFFFFFFFFTTTTTTTF--FTFFF-F"),
    (">= 1.2 <= 1.2", "TTTFFFFFFFFFFFFFFFFFFFTTTFFFFF--FFFFF-F"),
    ("1.2.3-0", "FFFFFFFFFFFFFFFFFFFFTFFFFFFFFF--FFFFF-F"),
];

#[test]
fn versions_parse_or_fail_like_go() {
    for v in VERSIONS {
        let want = BAD_VERSIONS.iter().find(|(b, _)| b == v).map(|(_, e)| *e);
        match (Version::parse(v), want) {
            (Ok(_), None) => {}
            (Err(e), Some(w)) => assert_eq!(e, w, "{v}"),
            (got, want) => panic!("{v}: got {got:?}, want error {want:?}"),
        }
    }
}

#[test]
fn constraints_match_like_go() {
    for (c, want) in CASES {
        let parsed = Constraints::parse(c);
        if !want.chars().all(|ch| "TF-".contains(ch)) || want.is_empty() {
            assert_eq!(parsed.err().as_deref(), Some(*want), "constraint {c:?}");
            continue;
        }
        let parsed = parsed.unwrap_or_else(|e| panic!("constraint {c:?}: {e}"));
        let got: String = VERSIONS
            .iter()
            .map(|v| match Version::parse(v) {
                Err(_) => '-',
                Ok(v) if parsed.matches(&v) => 'T',
                Ok(_) => 'F',
            })
            .collect();
        assert_eq!(&got, want, "constraint {c:?}");
    }
}

#[test]
fn limits() {
    assert_eq!(
        Constraints::parse(&"1".repeat(513)).unwrap_err(),
        "constraint string is too long (max 512 bytes)"
    );
    assert_eq!(
        Constraints::parse(&vec!["1"; 33].join("||")).unwrap_err(),
        "too many constraint groups (max 32)"
    );
    assert!(Constraints::parse(&vec!["1"; 32].join("||")).is_ok());
    assert_eq!(
        Version::parse(&"1".repeat(257)).unwrap_err(),
        "version string is too long (max 256 bytes)"
    );
}
