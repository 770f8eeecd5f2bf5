//! Randomly generated templates with define/template/block, trimming and control flow,
//! one per distinct outcome, with Go 1.19's output and error (differential fuzz).

pub(super) const FUZZ_DEFINE: &[(&str, &str, &str)] = &[
    (
        "\r\n{{$x}}{{$x := 1}}{{.missing}}{{.nope.x}}{{block \"a\" .}}{{template \"b\" .s}}",
        "",
        "template: skopeo inspect:2: undefined variable \"$x\"",
    ),
    (
        "\r\n{{index . 0}}{{len .}}{{template \"b\" .s}}{{continue}}",
        "",
        "template: skopeo inspect:2: {{continue}} outside {{range}}",
    ),
    ("{{.s -}}{{.s}}\n\r\n", "strstr\n\r\n", ""),
    (
        "{{.}}\t{{$x := 1}}x",
        "map[big:1e+21 e: emap:map[] empty:[] f:1.5 ints:[3 1 2] list:[1 two 3.5 <nil> true] m:map[a:1 b:2] n:42 neg:-5 nil:<nil> s:str st:{x 7 [p q]} strs:[a b c] t:true u:7 uni:héllo, 世界 z:0]\tx",
        "",
    ),
    (
        "{{index . 0}}{{template \"b\" .s}}",
        "",
        "template: skopeo inspect:1:2: executing \"skopeo inspect\" at <index . 0>: error calling index: value has type int; should be string",
    ),
    (
        "{{.A}}{{- .s}}{{end}}{{else}}{{define \"a\"}}{{- /* c */ -}}{{.s}}\n",
        "",
        "template: skopeo inspect:1: unexpected {{end}}",
    ),
    (
        "{{/* c */}}{{$x := 1}}{{range $i, $e := .m}}{{$i}}{{$e}}",
        "",
        "template: skopeo inspect:1: unexpected EOF",
    ),
    (
        "{{break}}{{.s -}}{{template \"b\" .s}}",
        "",
        "template: skopeo inspect:1: {{break}} outside {{range}}",
    ),
    (
        "{{template \"b\" .s}}{{.}}{{with .st}}{{define \"a\"}}\r\nx{{block \"a\" .}}",
        "",
        "template: skopeo inspect:1: unexpected <define> in command",
    ),
    (
        "x{{- .s}}\r\n{{.s -}}\n{{len .}}{{template \"b\" .s}}",
        "xstr\r\nstr18",
        "template: skopeo inspect:3:20: executing \"skopeo inspect\" at <{{template \"b\" .s}}>: template \"b\" not defined",
    ),
    (" ", " ", ""),
    ("{{len .}}{{.nope.x}}", "18<no value>", ""),
    (
        "{{else}}{{define \"a\"}}{{.A}}{{.s -}}{{if .t}}{{$}}{{block \"a\" .}}{{template \"a\"}}{{- .s}}",
        "",
        "template: skopeo inspect:1: unexpected {{else}}",
    ),
    (
        "{{template \"a\"}}",
        "",
        "template: skopeo inspect:1:11: executing \"skopeo inspect\" at <{{template \"a\"}}>: template \"a\" not defined",
    ),
    ("{{.A}}", "<no value>", ""),
    (
        "\r\n{{if .t}}{{.A}} {{block \"c\" .n}}{{else}}{{index . 0}}",
        "",
        "template: skopeo inspect:2: unexpected {{else}} in block clause",
    ),
    (
        "{{define \"b\"}}{{else}}",
        "",
        "template: skopeo inspect:1: unexpected {{else}} in define clause",
    ),
    ("{{range $i, $e := .m}}{{$i}}{{$e}}{{end}}", "a1b2", ""),
    (
        "{{template \"c\"}}",
        "",
        "template: skopeo inspect:1:11: executing \"skopeo inspect\" at <{{template \"c\"}}>: template \"c\" not defined",
    ),
    ("\n\n", "\n\n", ""),
    (
        "{{range $i, $e := .m}}{{$i}}{{$e}}\t{{- .s}}\t{{.}}{{end}}",
        "a1",
        "template: skopeo inspect:1:39: executing \"skopeo inspect\" at <.s>: can't evaluate field s in type int",
    ),
    (
        "{{range .strs}}{{/* c */}}{{.s -}}{{.s}}{{end}}\r\n{{- .s}}",
        "",
        "template: skopeo inspect:1:28: executing \"skopeo inspect\" at <.s>: can't evaluate field s in type string",
    ),
    (
        "{{.A}}{{range $i, $e := .m}}{{$i}}{{$e}}{{len .}}\r\n{{end}}",
        "<no value>a1",
        "template: skopeo inspect:1:42: executing \"skopeo inspect\" at <len .>: error calling len: len of type int",
    ),
    (
        "{{with .st}}{{.}}{{else}}{{else}}{{template \"a\"}}",
        "",
        "template: skopeo inspect:1: expected end; found {{else}}",
    ),
    (
        "{{break}}{{template \"a\"}}{{block \"a\" .}}{{.}}{{.s -}}{{block \"c\" .n}}",
        "",
        "template: skopeo inspect:1: {{break}} outside {{range}}",
    ),
    (
        "{{.A}}{{continue}}{{.missing}}{{if .t}}{{block \"c\" .n}}\n{{$x := 1}}{{template \"a\" .}}{{range $i, $e := .m}}{{$i}}{{$e}}",
        "",
        "template: skopeo inspect:1: {{continue}} outside {{range}}",
    ),
    (
        "\r\n{{if .t}}{{.A}} {{block \"c\" .n}}{{else}}{{index . 0}}",
        "",
        "template: skopeo inspect:2: unexpected {{else}} in block clause",
    ),
    (
        "{{block \"c\" .n}}{{else}}{{.s -}}{{.s}}{{block \"c\" .n}}{{end}}{{$}}{{break}}",
        "",
        "template: skopeo inspect:1: unexpected {{else}} in block clause",
    ),
    (
        "{{template \"a\" .}}{{if .t}}\r\n{{.}}{{block \"a\" .}}{{break}}",
        "",
        "template: skopeo inspect:2: {{break}} outside {{range}}",
    ),
    (
        "\n{{block \"a\" .}}{{template \"c\"}}{{continue}}{{- .s}}{{.nope.x}}{{len .}}",
        "",
        "template: skopeo inspect:2: {{continue}} outside {{range}}",
    ),
    (
        "{{with .st}}{{.s}}\r\n{{index . 0}}\n{{continue}}{{range $i, $e := .m}}{{$i}}{{$e}}{{block \"c\" .n}}{{with .st}}",
        "",
        "template: skopeo inspect:3: {{continue}} outside {{range}}",
    ),
];
