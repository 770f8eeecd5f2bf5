//! Expected strings below were produced by Go 1.19 (`encoding/json`, `time`) or by skopeo 1.9.3.

use super::*;
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

#[test]
fn escapes_strings_like_go_1_19() {
    let s = "a<b>&c\"d\\e\nf\rg\th\u{8}i\u{c}j\u{0}k\u{1f}l\u{7f}m\u{2028}n\u{2029}o é 日本 😀";
    assert_eq!(
        to_string_compact(s),
        "\"a\\u003cb\\u003e\\u0026c\\\"d\\\\e\\nf\\rg\\th\\u0008i\\u000cj\\u0000k\\u001fl\u{7f}m\\u2028n\\u2029o é 日本 😀\""
    );
    assert_eq!(
        to_string_compact_unescaped(s),
        "\"a<b>&c\\\"d\\\\e\\nf\\rg\\th\\u0008i\\u000cj\\u0000k\\u001fl\u{7f}m\\u2028n\\u2029o é 日本 😀\""
    );
}

#[test]
fn escapes_in_keys_too() {
    let mut m = BTreeMap::new();
    m.insert("x<y>", "&");
    assert_eq!(to_string_compact(&m), r#"{"x\u003cy\u003e":"\u0026"}"#);
}

#[test]
fn slash_is_not_escaped() {
    assert_eq!(to_string_compact("a/b"), r#""a/b""#);
}

#[test]
fn pretty_matches_marshal_indent() {
    // Go: json.MarshalIndent(map[string]interface{}{...}, "", "    ")
    let v = json!({"a": {}, "b": [], "c": [1, "x", null, true, {"y": 2, "z": 1}]});
    let expected = "{\n    \"a\": {},\n    \"b\": [],\n    \"c\": [\n        1,\n        \"x\",\n        null,\n        true,\n        {\n            \"y\": 2,\n            \"z\": 1\n        }\n    ]\n}";
    assert_eq!(to_string_pretty(&v), expected);
}

#[test]
fn pretty_matches_skopeo_inspect() {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        digest: String,
        repo_tags: Vec<String>,
        labels: BTreeMap<String, String>,
        layers: Vec<String>,
    }
    let mut labels = BTreeMap::new();
    labels.insert("a".to_string(), "b".to_string());
    labels.insert("x".to_string(), "<y>&".to_string());
    let out = Out {
        digest: "sha256:66".into(),
        repo_tags: vec![],
        labels,
        layers: vec!["l1".into()],
    };
    let expected = r#"{
    "Digest": "sha256:66",
    "RepoTags": [],
    "Labels": {
        "a": "b",
        "x": "\u003cy\u003e\u0026"
    },
    "Layers": [
        "l1"
    ]
}"#;
    assert_eq!(to_string_pretty(&out), expected);
}

#[test]
fn compact_nesting_and_empties() {
    let v = json!({"schemaVersion": 2, "manifests": [], "annotations": {}, "n": null, "t": [true, false]});
    assert_eq!(
        to_string_compact(&v),
        r#"{"schemaVersion":2,"manifests":[],"annotations":{},"n":null,"t":[true,false]}"#
    );
    assert_eq!(to_vec_compact(&v), to_string_compact(&v).into_bytes());
    assert_eq!(to_string_compact(&Vec::<u8>::new()), "[]");
    assert_eq!(to_string_pretty(&json!([])), "[]");
    assert_eq!(to_string_pretty(&json!({})), "{}");
    assert_eq!(to_string_pretty(&json!([[]])), "[\n    []\n]");
}

#[test]
fn integers_stay_integers() {
    assert_eq!(
        to_string_compact(&json!([0, -1, u64::MAX, i64::MIN])),
        "[0,-1,18446744073709551615,-9223372036854775808]"
    );
}

#[test]
fn floats_like_go() {
    // Go 1.19 json.Marshal of float64 values.
    let cases: &[(f64, &str)] = &[
        (0.0, "0"),
        (-0.0, "-0"),
        (1.0, "1"),
        (1.5, "1.5"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (123456789.125, "123456789.125"),
        (1.5e-7, "1.5e-7"),
        (2.5e300, "2.5e+300"),
        (0.1, "0.1"),
        (100.0, "100"),
        (1e6, "1000000"),
        (12345678901234567890.0, "12345678901234567000"),
        (1e-10, "1e-10"),
    ];
    for (f, want) in cases {
        assert_eq!(to_string_compact(f), *want, "{f}");
    }
    // float32
    let cases32: &[(f32, &str)] = &[
        (1.1, "1.1"),
        (1e21, "1e+21"),
        (3.4e38, "3.4e+38"),
        (1e-7, "1e-7"),
    ];
    for (f, want) in cases32 {
        assert_eq!(to_string_compact(f), *want, "{f}");
    }
    assert_eq!(to_string_compact(&f64::NAN), "null");
    assert_eq!(go_float(f64::INFINITY, false), None);
}

#[test]
fn unserialisable_values_give_null() {
    let mut m = BTreeMap::new();
    m.insert(vec![1u8], 1);
    assert_eq!(to_string_compact(&m), "null");
    assert!(try_to_string_pretty(&m).is_err());
    assert!(try_to_vec_compact(&m).is_err());
}

fn t(s: &str) -> DateTime<FixedOffset> {
    parse_go_time(s).unwrap_or_else(|| panic!("{s} should parse"))
}

#[test]
fn time_round_trips_like_go() {
    // input, MarshalJSON, String() — from Go 1.19 with a UTC local zone.
    let cases = [
        (
            "2026-11-22T04:42:31.938715174Z",
            "2026-11-22T04:42:31.938715174Z",
            "2026-11-22 04:42:31.938715174 +0000 UTC",
        ),
        (
            "2026-11-22T04:42:31Z",
            "2026-11-22T04:42:31Z",
            "2026-11-22 04:42:31 +0000 UTC",
        ),
        (
            "2026-11-22T04:42:31.100Z",
            "2026-11-22T04:42:31.1Z",
            "2026-11-22 04:42:31.1 +0000 UTC",
        ),
        (
            "2026-11-22T04:42:31+02:00",
            "2026-11-22T04:42:31+02:00",
            "2026-11-22 04:42:31 +0200 +0200",
        ),
        (
            "2026-11-22T04:42:31.5-07:30",
            "2026-11-22T04:42:31.5-07:30",
            "2026-11-22 04:42:31.5 -0730 -0730",
        ),
        (
            "2026-11-22T04:42:31+00:00",
            "2026-11-22T04:42:31Z",
            "2026-11-22 04:42:31 +0000 UTC",
        ),
        (
            "2026-11-22T04:42:31-00:00",
            "2026-11-22T04:42:31Z",
            "2026-11-22 04:42:31 +0000 UTC",
        ),
        (
            "2026-11-22T4:42:31Z",
            "2026-11-22T04:42:31Z",
            "2026-11-22 04:42:31 +0000 UTC",
        ),
        (
            "2026-11-22T04:42:31.1234567891234Z",
            "2026-11-22T04:42:31.123456789Z",
            "2026-11-22 04:42:31.123456789 +0000 UTC",
        ),
        (
            "2026-11-22T04:42:31,5Z",
            "2026-11-22T04:42:31.5Z",
            "2026-11-22 04:42:31.5 +0000 UTC",
        ),
        (
            "0001-01-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "0001-01-01 00:00:00 +0000 UTC",
        ),
    ];
    for (input, json, string) in cases {
        let parsed = t(input);
        assert_eq!(go_time_rfc3339nano(&parsed), json, "{input}");
        assert_eq!(go_time_string(&parsed), string, "{input}");
    }
}

#[test]
fn time_rejects_what_go_rejects() {
    for bad in [
        "2026-11-22t04:42:31Z",
        "2026-02-30T04:42:31Z",
        "2026-11-22T24:00:00Z",
        "2026-11-22T04:42:60Z",
        "+026-11-22T04:42:31Z",
        "2026-11-22T04:42:31.Z",
        "2026-11-22T04:42:31+0200",
        "2026-11-22 04:42:31Z",
        "2026-1-22T04:42:31Z",
        "2026-00-22T04:42:31Z",
        "2026-11-00T04:42:31Z",
        "2026-11-22T04:42:31",
        "2026-11-22T04:42:31Zx",
        "2026-11-22T04:42:31z",
        "",
        "2026",
        "2026-11-22T04:42",
        "2026-11-22T04:42:31+02:0",
        "日本語日本語日本語日本語",
        // Go accepts this, but a day-long offset does not fit chrono's FixedOffset.
        "2026-11-22T04:42:31+25:00",
    ] {
        assert_eq!(parse_go_time(bad), None, "{bad}");
    }
}

#[test]
fn time_accepts_leap_day_and_odd_minutes() {
    assert_eq!(
        go_time_rfc3339nano(&t("2024-02-29T00:00:00Z")),
        "2024-02-29T00:00:00Z"
    );
    // Go takes offset minutes as two digits without a range check.
    assert_eq!(
        go_time_rfc3339nano(&t("2026-01-01T00:00:00+01:75")),
        "2026-01-01T00:00:00+02:15"
    );
}

#[test]
fn serde_helpers_round_trip() {
    #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
    struct S {
        #[serde(with = "crate::gojson::go_time")]
        a: DateTime<FixedOffset>,
        #[serde(with = "crate::gojson::go_time_option")]
        b: Option<DateTime<FixedOffset>>,
    }
    let text = r#"{"a":"2026-11-22T04:42:31.9387Z","b":null}"#;
    let s: S = serde_json::from_str(text).unwrap();
    assert_eq!(
        to_string_compact(&s),
        r#"{"a":"2026-11-22T04:42:31.9387Z","b":null}"#
    );
    let s: S =
        serde_json::from_str(r#"{"a":"2026-11-22T04:42:31Z","b":"2026-11-22T04:42:31+01:00"}"#)
            .unwrap();
    assert_eq!(
        to_string_compact(&s),
        r#"{"a":"2026-11-22T04:42:31Z","b":"2026-11-22T04:42:31+01:00"}"#
    );
    assert!(serde_json::from_str::<S>(r#"{"a":"yesterday","b":null}"#).is_err());
}

/// Random JSON values (sorted keys, as Go writes maps) with Go 1.19's MarshalIndent, Marshal
/// and unescaped-Encoder output, from a differential run against Go.
const RANDOM_CASES: &[(&str, &str, &str, &str)] = &[
    (
        "[[[], \"\\u0015\\u0012\\u0013\\u0016\\u2029&\\u0001\"], true, -411188]",
        "[\n    [\n        [],\n        \"\\u0015\\u0012\\u0013\\u0016\\u2029\\u0026\\u0001\"\n    ],\n    true,\n    -411188\n]",
        "[[[],\"\\u0015\\u0012\\u0013\\u0016\\u2029\\u0026\\u0001\"],true,-411188]",
        "[[[],\"\\u0015\\u0012\\u0013\\u0016\\u2029&\\u0001\"],true,-411188]\n",
    ),
    (
        "{\"/ \\u0005-\\u0019\\u000f\\u0014\\u001b\\t\\u4e16\\u0080\": {\"Z\": true}}",
        "{\n    \"/ \\u0005-\\u0019\\u000f\\u0014\\u001b\\t世\u{80}\": {\n        \"Z\": true\n    }\n}",
        "{\"/ \\u0005-\\u0019\\u000f\\u0014\\u001b\\t世\u{80}\":{\"Z\":true}}",
        "{\"/ \\u0005-\\u0019\\u000f\\u0014\\u001b\\t世\u{80}\":{\"Z\":true}}\n",
    ),
    (
        "[[], [{\"\\u0000\\u000f\\u0015/\\ud83d\\ude00#<\": {\"<\\ufeff..\\u0001Z*\": \"Y\\u00e9\\u0001\\ufeff\\t'\\u0017\"}}, [true], 396172]]",
        "[\n    [],\n    [\n        {\n            \"\\u0000\\u000f\\u0015/😀#\\u003c\": {\n                \"\\u003c\u{feff}..\\u0001Z*\": \"Yé\\u0001\u{feff}\\t'\\u0017\"\n            }\n        },\n        [\n            true\n        ],\n        396172\n    ]\n]",
        "[[],[{\"\\u0000\\u000f\\u0015/😀#\\u003c\":{\"\\u003c\u{feff}..\\u0001Z*\":\"Yé\\u0001\u{feff}\\t'\\u0017\"}},[true],396172]]",
        "[[],[{\"\\u0000\\u000f\\u0015/😀#<\":{\"<\u{feff}..\\u0001Z*\":\"Yé\\u0001\u{feff}\\t'\\u0017\"}},[true],396172]]\n",
    ),
    (
        "[[{\"\\\"\\u001dX\\u001c c\\u00a0'>\": {\"*\\u0001\\ud83d\\ude00,,\\u001f\\u001d$\\u0007\": \"+\\u0019.\\u0010\\f\\u001c\\u2028\"}}, \"\\u2028\\u001dZ,\\u0002$\\u0016\", false]]",
        "[\n    [\n        {\n            \"\\\"\\u001dX\\u001c c '\\u003e\": {\n                \"*\\u0001😀,,\\u001f\\u001d$\\u0007\": \"+\\u0019.\\u0010\\u000c\\u001c\\u2028\"\n            }\n        },\n        \"\\u2028\\u001dZ,\\u0002$\\u0016\",\n        false\n    ]\n]",
        "[[{\"\\\"\\u001dX\\u001c c '\\u003e\":{\"*\\u0001😀,,\\u001f\\u001d$\\u0007\":\"+\\u0019.\\u0010\\u000c\\u001c\\u2028\"}},\"\\u2028\\u001dZ,\\u0002$\\u0016\",false]]",
        "[[{\"\\\"\\u001dX\\u001c c '>\":{\"*\\u0001😀,,\\u001f\\u001d$\\u0007\":\"+\\u0019.\\u0010\\u000c\\u001c\\u2028\"}},\"\\u2028\\u001dZ,\\u0002$\\u0016\",false]]\n",
    ),
];

#[test]
fn random_values_match_go() {
    for (input, pretty, compact, unescaped) in RANDOM_CASES {
        let v: serde_json::Value = serde_json::from_str(input).expect("valid JSON");
        assert_eq!(to_string_pretty(&v), *pretty, "{input}");
        assert_eq!(to_string_compact(&v), *compact, "{input}");
        assert_eq!(
            to_string_compact_unescaped(&v) + "\n",
            *unescaped,
            "{input}"
        );
    }
}
