use super::*;

#[test]
fn base64_matches_go() {
    let ok = |s: &[u8]| base64_std_decode(s);
    assert_eq!(ok(b""), Ok(vec![]));
    assert_eq!(ok(b"aGVsbG8="), Ok(b"hello".to_vec()));
    assert_eq!(ok(b"aGVs\nbG8="), Ok(b"hello".to_vec()));
    assert_eq!(ok(b"aGVsbA=="), Ok(b"hell".to_vec()));
    let err = |s: &[u8]| base64_std_decode(s).map_err(|e| e.0);
    assert_eq!(err(b"abc"), Err(0));
    assert_eq!(err(b"ab=c"), Err(2));
    assert_eq!(err(b"a!=="), Err(1));
    assert_eq!(err(b"aGVsbG8"), Err(4));
    assert_eq!(err(b"aGVsbA="), Err(7));
    assert_eq!(err(b"aGVsbG8=x"), Err(8));
    assert_eq!(err(b"=abc"), Err(0));
    assert_eq!(
        CorruptInputError(3).to_string(),
        "illegal base64 data at input byte 3"
    );
}

#[test]
fn unquote_matches_go() {
    assert_eq!(unquote(br#""a\u00e9\ud800x""#), "a\u{e9}\u{fffd}x");
    assert_eq!(unquote(br#""\ud83d\ude00""#), "\u{1f600}");
    assert_eq!(unquote(br#""\ud83dx\ude00""#), "\u{fffd}x\u{fffd}");
    assert_eq!(unquote(b"\"\xe2\x82x\""), "\u{fffd}\u{fffd}x");
    assert_eq!(unquote(br#""\"\\\/\b\f\n\r\t""#), "\"\\/\u{8}\u{c}\n\r\t");
}

#[test]
fn members_and_elements() {
    let data = br#" { "a" : [1, "x" ,{"b":[]}] , "c":null } "#;
    check_valid(data).unwrap();
    let top = Raw::top(data);
    let m = top.members();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].0, "a");
    let e = m[0].1.elements();
    assert_eq!(e.len(), 3);
    assert_eq!(e[1].string(), "x");
    assert_eq!(e[2].text(), br#"{"b":[]}"#);
    assert_eq!(m[1].1.kind(), Kind::Null);
    let empty = b"[ ]";
    assert!(Raw::top(empty).elements().is_empty());
    assert!(Raw::top(b"{}").members().is_empty());
}
