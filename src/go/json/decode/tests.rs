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

fn syntax(s: &str) -> String {
    check_valid(s.as_bytes()).unwrap_err()
}

#[test]
fn syntax_errors_match_go() {
    assert_eq!(syntax(""), "unexpected end of JSON input");
    assert_eq!(syntax("\n"), "unexpected end of JSON input");
    assert_eq!(syntax("{\"auths\":"), "unexpected end of JSON input");
    assert_eq!(
        syntax("{} xx"),
        "invalid character 'x' after top-level value"
    );
    assert_eq!(
        syntax("{\"a\":1,}"),
        "invalid character '}' looking for beginning of object key string"
    );
    assert_eq!(
        syntax("{\"a\" 1}"),
        "invalid character '1' after object key"
    );
    assert_eq!(
        syntax("{\"a\":1 \"b\"}"),
        "invalid character '\"' after object key:value pair"
    );
    assert_eq!(syntax("[1 2]"), "invalid character '2' after array element");
    assert_eq!(
        syntax("x"),
        "invalid character 'x' looking for beginning of value"
    );
    assert_eq!(
        syntax("tru"),
        "invalid character ' ' in literal true (expecting 'e')"
    );
    assert_eq!(
        syntax("{\"a\":-"),
        "invalid character ' ' in numeric literal"
    );
    assert_eq!(
        syntax("1."),
        "invalid character ' ' after decimal point in numeric literal"
    );
    assert_eq!(
        syntax("\"a\\"),
        "invalid character ' ' in string escape code"
    );
    assert_eq!(
        syntax("\"\\u12"),
        "invalid character ' ' in \\u hexadecimal character escape"
    );
    assert_eq!(syntax("\"abc"), "unexpected end of JSON input");
    assert!(check_valid(b"12").is_ok());
    assert_eq!(
        syntax("trUe"),
        "invalid character 'U' in literal true (expecting 'u')"
    );
    assert_eq!(
        syntax("nul!"),
        "invalid character '!' in literal null (expecting 'l')"
    );
    assert_eq!(syntax("-a"), "invalid character 'a' in numeric literal");
    assert_eq!(
        syntax("1.e"),
        "invalid character 'e' after decimal point in numeric literal"
    );
    assert_eq!(
        syntax("1e+"),
        "invalid character ' ' in exponent of numeric literal"
    );
    assert_eq!(
        syntax("1ex"),
        "invalid character 'x' in exponent of numeric literal"
    );
    assert_eq!(
        syntax("\"a\\x\""),
        "invalid character 'x' in string escape code"
    );
    assert_eq!(
        syntax("\"\\u12g4\""),
        "invalid character 'g' in \\u hexadecimal character escape"
    );
    assert_eq!(
        syntax("\"a\nb\""),
        "invalid character '\\n' in string literal"
    );
    assert_eq!(
        syntax("'"),
        "invalid character '\\'' looking for beginning of value"
    );
    assert_eq!(syntax("01"), "invalid character '1' after top-level value");
}

#[test]
fn strings_decode_like_go() {
    let string = |s: &[u8]| {
        check_valid(s).unwrap();
        Raw::top(s).string()
    };
    assert_eq!(
        string(br#""a\u00e9\ud83d\ude00\ud800x\/""#),
        "a\u{e9}\u{1f600}\u{fffd}x/"
    );
    assert_eq!(string(b"\"\xff\""), "\u{fffd}");
    assert_eq!(string(b" \"a\xe2\x82b\" "), "a\u{fffd}\u{fffd}b");
}

#[test]
fn base64_std_decode_matches_go() {
    assert_eq!(base64_std_decode(b"dTpw").unwrap(), b"u:p");
    assert_eq!(base64_std_decode(b"dTpwAAA=").unwrap(), b"u:p\0\0");
    assert_eq!(base64_std_decode(b"dXNlcg==").unwrap(), b"user");
    assert_eq!(base64_std_decode(b"dT\npw\r\n").unwrap(), b"u:p");
    assert_eq!(base64_std_decode(b"").unwrap(), b"");
    let err = |s: &[u8]| base64_std_decode(s).unwrap_err().to_string();
    assert_eq!(err(b"!!"), "illegal base64 data at input byte 0");
    assert_eq!(err(b"dTp"), "illegal base64 data at input byte 0");
    assert_eq!(err(b"dTpwd"), "illegal base64 data at input byte 4");
    assert_eq!(err(b"dTpw!"), "illegal base64 data at input byte 4");
    assert_eq!(base64_std_decode(b"dX==").unwrap(), b"u");
    assert_eq!(base64_std_decode(b"dXM=").unwrap(), b"us");
    assert_eq!(err(b"d==="), "illegal base64 data at input byte 1");
    assert_eq!(err(b"dXNl=x"), "illegal base64 data at input byte 4");
    assert_eq!(err(b"dXM=x"), "illegal base64 data at input byte 4");
    assert_eq!(err(b"dX="), "illegal base64 data at input byte 3");
}
