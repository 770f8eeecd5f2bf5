//! Unit tests of the public API pieces; expected values from Go 1.19 or skopeo 1.9.3.

use super::*;
use crate::template::tabwriter::TabWriter;

#[test]
fn normalize_format_like_report() {
    // Go: containers/common report.NormalizeFormat, run with Go 1.19.
    let cases = [
        ("", "\n"),
        ("x", "x\n"),
        ("a\\tb\\nc", "a\tb\nc\n"),
        ("table {{.A}} table x", "{{.A}}\tx\n"),
        ("table\t{{.A}}", "table\t{{.A}}\n"),
        ("tablex {{.A}}", "tablex {{.A}}\n"),
        ("a b\n", "a b\n"),
        ("\\\\t", "\\\t\n"),
        ("table a\\tb\\n", "a\tb\n"),
        ("{{ .A }}\\n", "{{ .A }}\n"),
        ("\\n", "\n"),
        ("table ", "\n"),
        (" table x", " table x\n"),
    ];
    for (input, want) in cases {
        assert_eq!(normalize_format(input), want, "{input:?}");
    }
}

#[test]
fn is_json_format_like_report() {
    let yes = [
        "json",
        " json ",
        "{{json .}}",
        "{{ json . }}",
        "{{json}}",
        "{{json.}}",
        "{{json . }}\n",
        "\u{c}{{json\t.\r}}\n",
    ];
    let no = [
        "{{ json .x }}",
        "JSON",
        "{{ json }} x",
        "{{{json .}}}",
        "{{json . .}}",
        "jsonx",
        "{{json .}}{{json .}}",
        "",
    ];
    for s in yes {
        assert!(is_json_format(s), "{s:?}");
    }
    for s in no {
        assert!(!is_json_format(s), "{s:?}");
    }
}

#[test]
fn tabwriter_aligns_and_never_flushes() {
    let mut tw = TabWriter::new(8, 2);
    tw.write("a\tbb\tc\nlonger cell\tx\ty\nend\ntail\tlost");
    assert_eq!(
        tw.into_output(),
        "a            bb      c\nlonger cell  x       y\nend\n"
    );
    let mut tw = TabWriter::new(8, 2);
    tw.write("no newline");
    assert_eq!(tw.into_output(), "");
    let mut tw = TabWriter::new(8, 2);
    tw.write("é\tx\nab\ty\n.\n");
    assert_eq!(tw.into_output(), "é       x\nab      y\n.\n");
}

/// `skopeo inspect --format F` on the image of `skopeo_data()`: (format, stdout, error).
/// `skopeo_oracle_agrees` re-checks each against skopeo on a layout it builds.
pub(super) const REQUESTED_EXAMPLES: &[(&str, &str, &str)] = &[
    (
        "{{.Digest}}",
        "sha256:6699e863784b2bd8264448ce9f6ad51bdaf5a9dea1ddbca61bced6b67cf312ea\n",
        "",
    ),
    (
        "{{range .Layers}}{{.}}\\n{{end}}",
        "sha256:6f3b082e3181f258b6daaaa357d7c5d11a50e008de2e8e3de4014bf69a88b091\n\
         sha256:7ef5a0e8e219ebacbb0df6bb331dcca94c6dbee45695527491fef4d585684a96\n\n",
        "",
    ),
    (
        "{{.Labels}}",
        "map[a:b io.buildah.version:1.28.2 x:<y>&]\n",
        "",
    ),
    (
        "{{.Created}}",
        "2026-11-22 04:42:31.938715174 +0000 UTC\n",
        "",
    ),
    ("{{index .Labels \"a\"}}", "b\n", ""),
    ("{{len .Layers}}", "2\n", ""),
    ("{{.Labels.nokey}}", "<no value>\n", ""),
    // No trailing newline survives the unflushed tab writer.
    ("{{.Digest -}}", "", ""),
    // skopeo turns the \n inside the string literal into a real newline before parsing.
    (
        "{{range .Layers}}{{.}}{{\"\\n\"}}{{end}}",
        "",
        "template: skopeo inspect:1: unterminated quoted string",
    ),
    (
        "{{json .Labels}}",
        "",
        "template: skopeo inspect:1: function \"json\" not defined",
    ),
    (
        "{{.Foo",
        "",
        "template: skopeo inspect:2: unexpected \"{\" in operand",
    ),
    (
        "{{.NoSuchField}}",
        "",
        "template: skopeo inspect:1:14: executing \"skopeo inspect\" at <.NoSuchField>: can't evaluate field NoSuchField in type interface {}",
    ),
];

#[test]
fn requested_skopeo_examples() {
    run_cases(REQUESTED_EXAMPLES, user);
}

#[test]
fn partial_output_before_an_error() {
    let r = execute_user_format("{{.Os}}\\n{{.NoSuch}}", &skopeo_data());
    assert_eq!(r.stdout, "linux\n");
    assert_eq!(r.error.map(|e| e.kind()), Some(ErrorKind::Exec));
    let r = execute_user_format("{{.Os", &skopeo_data());
    assert_eq!(
        (r.stdout.as_str(), r.error.map(|e| e.kind())),
        ("", Some(ErrorKind::Parse))
    );
}

/// skopeo 1.9.3's `--config` data: a `*v1.Image` from image-spec 1.0.2 (flat platform fields).
fn config_data() -> Value {
    let t = |s: &str| {
        Value::typed(
            "*time.Time",
            Value::Time(crate::gojson::parse_go_time(s).expect("time")),
        )
    };
    let empty_set = || Value::typed("map[string]struct {}", Value::Map(BTreeMap::new()));
    let labels: BTreeMap<String, Value> =
        [("a", "b"), ("io.buildah.version", "1.28.2"), ("x", "<y>&")]
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
    let history = |created: &str, by: &str, author: &str, comment: &str| {
        Value::typed(
            "v1.History",
            Value::structure([
                ("Created", t(created)),
                ("CreatedBy", by.into()),
                ("Author", author.into()),
                ("Comment", comment.into()),
                ("EmptyLayer", Value::Bool(false)),
            ]),
        )
    };
    let config = Value::typed(
        "v1.ImageConfig",
        Value::structure([
            ("User", Value::from("")),
            ("ExposedPorts", empty_set()),
            ("Env", Value::from(vec!["FOO=bar"])),
            ("Entrypoint", Value::typed("[]string", Value::List(vec![]))),
            ("Cmd", Value::from(vec!["/hello"])),
            ("Volumes", empty_set()),
            ("WorkingDir", Value::from("")),
            ("Labels", Value::from(labels)),
            ("StopSignal", Value::from("")),
            ("ArgsEscaped", Value::Bool(false)),
        ]),
    );
    Value::typed(
        "*v1.Image",
        Value::structure([
            ("Created", t("2026-11-22T04:42:31.938715174Z")),
            ("Author", "me <me@x>".into()),
            ("Architecture", "amd64".into()),
            ("Variant", "".into()),
            ("OS", "linux".into()),
            ("OSVersion", "".into()),
            ("OSFeatures", Value::typed("[]string", Value::List(vec![]))),
            ("Config", config),
            (
                "RootFS",
                Value::typed(
                    "v1.RootFS",
                    Value::structure([
                        ("Type", Value::from("layers")),
                        (
                            "DiffIDs",
                            Value::typed(
                                "[]digest.Digest",
                                Value::from(vec![
                                    "sha256:0c79c76d775e445096fac719fe866e45ffa9b99a1d3878c680f035b122c75fae",
                                    "sha256:cfcc49c2e64f6e120c2f158de0b7d06b2e627349e70c3a180d688f0618607eda",
                                ]),
                            ),
                        ),
                    ]),
                ),
            ),
            (
                "History",
                Value::List(vec![
                    history("2026-11-22T04:42:26.635381298Z", "/bin/sh", "", ""),
                    history(
                        "2026-11-22T04:42:32.000983421Z",
                        "my step",
                        "me <me@x>",
                        "FROM localhost/hello:latest",
                    ),
                ]),
            ),
        ]),
    )
}

/// `skopeo inspect --config --format F` on the same image: (format, stdout, error).
/// `skopeo_oracle_agrees` re-checks each against skopeo on a layout it builds.
pub(super) const CONFIG_CASES: &[(&str, &str, &str)] = &[
    (
        "{{.}}",
        "{2026-11-22 04:42:31.938715174 +0000 UTC me <me@x> amd64  linux  [] { map[] [FOO=bar] [] [/hello] map[]  \
         map[a:b io.buildah.version:1.28.2 x:<y>&]  false} {layers [sha256:0c79c76d775e445096fac719fe866e45ffa9b99a1d3878c680f035b122c75fae \
         sha256:cfcc49c2e64f6e120c2f158de0b7d06b2e627349e70c3a180d688f0618607eda]} [{2026-11-22 04:42:26.635381298 +0000 UTC /bin/sh   false} \
         {2026-11-22 04:42:32.000983421 +0000 UTC my step me <me@x> FROM localhost/hello:latest false}]}\n",
        "",
    ),
    (
        "{{.Config.Labels}}",
        "map[a:b io.buildah.version:1.28.2 x:<y>&]\n",
        "",
    ),
    ("{{.Config.ExposedPorts}}", "map[]\n", ""),
    ("{{.Author}}", "me <me@x>\n", ""),
    (
        "{{range .History}}{{.Created}}|{{.CreatedBy}}|{{.EmptyLayer}}\\n{{end}}",
        "2026-11-22 04:42:26.635381298 +0000 UTC|/bin/sh|false\n2026-11-22 04:42:32.000983421 +0000 UTC|my step|false\n\n",
        "",
    ),
    (
        "{{.Config.Foo}}",
        "",
        "template: skopeo inspect:1:21: executing \"skopeo inspect\" at <.Config.Foo>: can't evaluate field Foo in type v1.ImageConfig",
    ),
];

#[test]
fn config_formats_match_skopeo() {
    let data = config_data();
    run_cases(CONFIG_CASES, |f| {
        let r = execute_user_format(f, &data);
        (r.stdout, r.error)
    });
    // Go prints the element's address here (`[0xc0002a6840]`), which changes every run.
    let ok = |f: &str| render_user_format(f, &data).expect(f);
    assert_eq!(ok("{{$}}"), "[0xc000010000]\n");
}

#[test]
fn plain_render_names_struct_types() {
    let err = render("{{.Nope}}", &skopeo_data()).expect_err("no field");
    assert_eq!(
        err.to_string(),
        "template: skopeo inspect:1:2: executing \"skopeo inspect\" at <.Nope>: can't evaluate field Nope in type inspect.Output"
    );
    let opts = Options {
        name: "t".into(),
        ..Options::default()
    };
    let err = render_with("{{.Created.Foo}}", &skopeo_data(), &opts).expect_err("no field");
    assert_eq!(
        err.message(),
        "template: t:1:10: executing \"t\" at <.Created.Foo>: can't evaluate field Foo in type *time.Time"
    );
}

#[test]
fn report_funcs_are_optional() {
    let data = skopeo_data();
    assert_eq!(
        render("{{upper .Os}}", &data)
            .expect_err("not defined")
            .to_string(),
        "template: skopeo inspect:1: function \"upper\" not defined"
    );
    assert_eq!(
        render_with("{{upper .Os}}", &data, &report_opts()).expect("upper"),
        "LINUX"
    );
    assert_eq!(
        render_with("{{json .Labels}}", &data, &report_opts()).expect("json"),
        r#"{"a":"b","io.buildah.version":"1.28.2","x":"<y>&"}"#
    );
}

#[test]
fn embedded_struct_fields_are_promoted() {
    let platform = Value::typed(
        "v1.Platform",
        Value::structure([("Architecture", "arm64"), ("OS", "linux")]),
    );
    let data = Value::structure([("Platform", platform), ("Author", Value::from("me"))]);
    assert_eq!(
        render("{{.Architecture}} {{.Platform.OS}} {{.}}", &data).expect("promoted"),
        "arm64 linux {{arm64 linux} me}"
    );
}

#[test]
fn from_json_is_go_generic_data() {
    let v: serde_json::Value =
        serde_json::from_str(r#"{"b":[1,"x",null,2.5],"a":{"k":true},"n":null}"#).expect("json");
    let data = from_json(&v);
    assert_eq!(
        render("{{.}}", &data).expect("print"),
        "map[a:map[k:true] b:[1 x <nil> 2.5] n:<nil>]"
    );
    assert_eq!(
        render("{{.n}}|{{index .b 2}}|{{printf \"%T\" .b}}", &data).expect("nil"),
        "<no value>|<no value>|[]interface {}"
    );
    assert_eq!(
        render("{{.a.k.z}}", &data).expect_err("bool").to_string(),
        "template: skopeo inspect:1:4: executing \"skopeo inspect\" at <.a.k.z>: can't evaluate field z in type interface {}"
    );
}

#[test]
fn value_types_and_truth() {
    assert_eq!(Value::from(vec!["a"]).go_type(), "[]string");
    assert_eq!(
        Value::List(vec![Value::Int(1), "a".into()]).go_type(),
        "[]interface {}"
    );
    assert_eq!(
        Value::structure([("A", 1i64)]).go_type(),
        "struct { A int }"
    );
    assert_eq!(Value::typed("x.T", 1i64).go_type(), "x.T");
    assert!(!Value::Nil.truth() && !Value::from("").truth() && !Value::Int(0).truth());
    assert!(Value::structure(Vec::<(String, Value)>::new()).truth());
    assert!(!Value::typed("*time.Time", Value::Nil).truth());
    assert!(Value::typed("*int", 0i64).truth());
    assert_eq!(Value::from(None::<i64>), Value::Nil);
}

#[test]
fn time_methods() {
    let data = skopeo_data();
    let out = render(
        "{{.Created.Format \"Mon Jan _2 15:04:05.000 MST 2006\"}}|{{.Created.Year}}|{{.Created.Month}}|{{.Created.Weekday}}|{{.Digest.Encoded}}",
        &data,
    )
    .expect("methods");
    assert_eq!(
        out,
        "Sun Nov 22 04:42:31.938 UTC 2026|2026|November|Sunday|6699e863784b2bd8264448ce9f6ad51bdaf5a9dea1ddbca61bced6b67cf312ea"
    );
}

#[test]
fn known_differences_from_go() {
    // Go prints complex constants ("(0+1i)"); complex numbers are not modelled.
    assert!(render("{{1i}}", &Value::Nil).is_err());
    // Go allows 100000 nested template calls; this engine stops at 100.
    let err = render(
        "{{define \"r\"}}{{template \"r\"}}{{end}}{{template \"r\"}}",
        &Value::Nil,
    )
    .expect_err("depth");
    assert!(
        err.to_string()
            .ends_with("exceeded maximum template depth (100)"),
        "{err}"
    );
}

#[test]
fn nil_pointers_like_go() {
    // Go 1.19: struct { Created *time.Time; P *struct{ A string } } with both nil, template "t".
    let data = Value::structure([
        ("Created", Value::typed("*time.Time", Value::Nil)),
        ("P", Value::typed("*struct { A string }", Value::Nil)),
    ]);
    let opts = Options {
        name: "t".into(),
        ..Options::default()
    };
    let cases = [
        ("{{.Created}}", "<nil>", ""),
        (
            "{{.Created.Year}}",
            "",
            "template: t:1:10: executing \"t\" at <.Created.Year>: error calling Year: value method time.Time.Year called using nil *Time pointer",
        ),
        (
            "{{.Created.Format \"2006\"}}",
            "",
            "template: t:1:10: executing \"t\" at <.Created.Format>: error calling Format: value method time.Time.Format called using nil *Time pointer",
        ),
        (
            "{{.Created.Foo}}",
            "",
            "template: t:1:10: executing \"t\" at <.Created.Foo>: can't evaluate field Foo in type *time.Time",
        ),
        ("{{.P}}", "<nil>", ""),
        (
            "{{.P.A}}",
            "",
            "template: t:1:4: executing \"t\" at <.P.A>: nil pointer evaluating *struct { A string }.A",
        ),
        ("{{if .Created}}y{{else}}n{{end}}", "n", ""),
        (
            "{{printf \"%v|%s|%d\" .Created .Created .Created}}",
            "<nil>|<nil>|0",
            "",
        ),
        ("{{print .Created}}", "<nil>", ""),
        (
            "{{len .Created}}",
            "",
            "template: t:1:2: executing \"t\" at <len .Created>: error calling len: len of nil pointer",
        ),
        (
            "{{index .Created 1}}",
            "",
            "template: t:1:2: executing \"t\" at <index .Created 1>: error calling index: index of nil pointer",
        ),
        ("{{eq .Created nil}}", "true", ""),
        (
            "{{range .Created}}{{end}}",
            "",
            "template: t:1:8: executing \"t\" at <.Created>: range can't iterate over <nil>",
        ),
        ("{{with .P}}x{{else}}none{{end}}", "none", ""),
        ("{{printf \"%v\" .P}}", "<nil>", ""),
    ];
    for (t, want_out, want_err) in cases {
        let (out, err) = execute_with(t, &data, &opts);
        assert_eq!(
            (
                out.as_str(),
                err.map(|e| e.to_string()).unwrap_or_default().as_str()
            ),
            (want_out, want_err),
            "{t}"
        );
    }
}

#[test]
fn quoting_escapes_what_go_does_not_print() {
    // skopeo 1.9.3: format characters (Unicode 13, as in Go 1.19) and U+E0000 are escaped by
    // %q, %+q and js, and %#U names them without the character.
    let out = render(
        "{{printf \"%q %+q %q %#U %#U\" \"\\U000e0000\\u08e2\\u0890\\U000110bd\\U00013430\\U0001bca0\\U0001d173\\U000e0001\" \"é\\u00ad\" 0xe0000 0xe0000 0x8e2}} {{js \"\\u08e2\"}}",
        &Value::Nil,
    )
    .unwrap();
    assert_eq!(
        out,
        r#""\U000e0000\u08e2\u0890\U000110bd\U00013430\U0001bca0\U0001d173\U000e0001" "\u00e9\u00ad" '\U000e0000' U+E0000 U+08E2 \u08E2"#
    );
}
