//! (template, output, error) cases with expected values produced by Go 1.19's text/template
//! on the equivalent Go data (see `generic_data()`): a `map[string]interface{}`.

pub(super) const PRINTF_CASES: &[(&str, &str, &str)] = &[
    (
        "{{printf \"%g|%.3g|%.10g|%g|%g|%g|%G\" 123456789.0 123456789.0 123456789.0 0.000012345 100000.0 1e100 1e-7}}",
        "1.23456789e+08|1.23e+08|123456789|1.2345e-05|100000|1e+100|1E-07",
        "",
    ),
    (
        "{{printf \"%v|%v|%v|%v|%v\" 0.1 -2.5 100.0 1e-5 3.0}}",
        "0.1|-2.5|100|1e-05|3",
        "",
    ),
    (
        "{{printf \"%e|%.0e|%.0f|%.0f|%.0f|%.1f\" 0.0 5.0 0.5 1.5 2.5 0.05}}",
        "0.000000e+00|5e+00|0|2|2|0.1",
        "",
    ),
    (
        "{{printf \"%08.3f|%-8.3f|%+08.3f|% .2f|%+.2e\" -3.14159 3.14159 3.14159 2.0 12345.678}}",
        "-003.142|3.142   |+003.142| 2.00|+1.23e+04",
        "",
    ),
    ("{{printf \"%5t|%-6t|\" true false}}", " true|false |", ""),
    (
        "{{printf \"%x|%X|%#x|%08x|%#08x|%.4x|%x\" 255 255 255 255 255 255 -255}}",
        "ff|FF|0xff|000000ff|0x000000ff|00ff|-ff",
        "",
    ),
    (
        "{{printf \"%5.2d|%.0d|%5.0d|%+.3d\" 3 0 0 7}}",
        "   03||     |+007",
        "",
    ),
    ("{{printf \"%c%c%c\" 72 105 128512}}", "Hi😀", ""),
    (
        "{{printf \"%q|%+q|%#q|%q\" \"é\\n\" \"é\" \"a`b\" \"tab\\there\"}}",
        "\"é\\n\"|\"\\u00e9\"|\"a`b\"|\"tab\\there\"",
        "",
    ),
    (
        "{{printf \"%10q|%-10q|%q\" \"x\" \"y\" 9731}}",
        "       \"x\"|\"y\"       |'☃'",
        "",
    ),
    (
        "{{printf \"%s|%10.2s|%-4s|\" \"日本語\" \"日本語\" \"é\"}}",
        "日本語|        日本|é   |",
        "",
    ),
    (
        "{{printf \"%v|%s|%d\" .list .list .list}}",
        "[1 two 3.5 <nil> true]|[%!s(int=1) two %!s(float64=3.5) <nil> %!s(bool=true)]|[1 %!d(string=two) %!d(float64=3.5) <nil> %!d(bool=true)]",
        "",
    ),
    (
        "{{printf \"%v|%+v\" .m .m}}",
        "map[a:1 b:2]|map[a:1 b:2]",
        "",
    ),
    (
        "{{printf \"%x|%X|% X|%#x\" \"hi\" \"hi\" \"hi\" \"hi\"}}",
        "6869|6869|68 69|0x6869",
        "",
    ),
    (
        "{{printf \"%6.2v|%-6v|%06v\" 3.14159 \"ab\" 42}}",
        "   3.1|ab    |000042",
        "",
    ),
    ("{{printf \"%%|%5%|%-%\"}}", "%|%|%", ""),
    (
        "{{printf \"%z|%!|%ä\" 1 2 3}}",
        "%!z(int=1)|%!!(int=2)|%!ä(int=3)",
        "",
    ),
    ("{{printf \"%d %d\" 1}}", "1 %!d(MISSING)", ""),
    (
        "{{printf \"%.*d|%*d\" -1 5 \"x\" 3}}",
        "%!(BADPREC)5|%!(BADWIDTH)3",
        "",
    ),
    ("{{printf \"%[1]d %[1]q %v\" 65 66}}", "65 'A' 66", ""),
    (
        "{{printf \"%[0]d|%[x]d|%[1\" 1}}",
        "%!d(BADINDEX)|%!d(BADINDEX)|%!(NOVERB)",
        "",
    ),
    ("{{printf \"%3[1]d|%[1]3d\" 5}}", "  5|%!d(BADINDEX)", ""),
    ("{{printf \"%.[2]*[1]f\" 3.14159 2}}", "3.14", ""),
    (
        "{{printf \"%99999999999d\" 1}}",
        "%!(NOVERB)%!(EXTRA int=1)",
        "",
    ),
    ("{{printf \"%v %v\" .t .nil}}", "true <nil>", ""),
    ("{{printf \"%s\" .st}}", "{x %!s(int=7) [p q]}", ""),
    ("{{printf \"%v\" .uni}}", "héllo, 世界", ""),
    (
        "{{printf \"%U|%#U|%U\" 9731 9731 -1}}",
        "U+2603|U+2603 '☃'|U+FFFFFFFFFFFFFFFF",
        "",
    ),
    (
        "{{printf \"%o|%#o|%O|%b|%#b\" 8 8 8 5 5}}",
        "10|010|0o10|101|0b101",
        "",
    ),
    (
        "{{printf \"%e\" 1e300}} {{printf \"%f\" 1e20}} {{printf \"%g\" 1e21}} {{printf \"%v\" 1e21}}",
        "1.000000e+300 100000000000000000000.000000 1e+21 1e+21",
        "",
    ),
    (
        "{{printf \"%.2g|%.1g|%.0g|%#g\" 1.0 0.05 123.0 1.5}}",
        "1|0.05|1e+02|1.50000",
        "",
    ),
    (
        "{{print 1.0 2.5 -0.0}} {{0.1}} {{1e6}} {{1e-5}}",
        "1 2.5 -0 0.1 1e+06 1e-05",
        "",
    ),
    (
        "{{printf \"%5s|%-5s|%5d\" .nil .missing .nil}}",
        "%!s(<nil>)|%!s(<nil>)|%!d(<nil>)",
        "",
    ),
    ("{{printf \"%T %T\" 1.5 'a'}}", "float64 int", ""),
    ("{{printf \"%d\" 3.0}}", "%!d(float64=3)", ""),
    ("{{printf \"%s\" 3}}", "%!s(int=3)", ""),
    ("{{printf \"% d|%+d|% +d\" 5 -5 5}}", " 5|-5|+5", ""),
    ("{{printf \"%x\" .strs}}", "[61 62 63]", ""),
    ("{{printf \"%q\" .strs}}", "[\"a\" \"b\" \"c\"]", ""),
    ("{{printf \"%5v\" .strs}}", "[    a     b     c]", ""),
    ("{{printf \"%v\" .ints}}", "[3 1 2]", ""),
];

/// With containers/common report's functions registered (as later skopeo versions do).
pub(super) const REPORT_CASES: &[(&str, &str, &str)] = &[
    (
        "{{json .}}",
        "{\"big\":1e+21,\"e\":\"\",\"emap\":{},\"empty\":[],\"f\":1.5,\"ints\":[3,1,2],\"list\":[1,\"two\",3.5,null,true],\"m\":{\"a\":1,\"b\":2},\"n\":42,\"neg\":-5,\"nil\":null,\"s\":\"str\",\"st\":{\"A\":\"x\",\"B\":7,\"C\":[\"p\",\"q\"]},\"strs\":[\"a\",\"b\",\"c\"],\"t\":true,\"u\":7,\"uni\":\"héllo, 世界\",\"z\":0}",
        "",
    ),
    (
        "{{json .s}} {{json .list}} {{json .m}} {{json .st}} {{json .nil}} {{json .missing}} {{json .f}} {{json .big}}",
        "\"str\" [1,\"two\",3.5,null,true] {\"a\":1,\"b\":2} {\"A\":\"x\",\"B\":7,\"C\":[\"p\",\"q\"]} null null 1.5 1e+21",
        "",
    ),
    ("{{json \"<a>&\\u2028\"}}", "\"<a>&\\u2028\"", ""),
    (
        "{{lower \"HeLLo ÉΣ\"}} {{upper \"hello éß\"}} {{title \"hello wOrld foo_bar a-b 1x\"}}",
        "hello éσ HELLO Éß Hello WOrld Foo_bar A-B 1x",
        "",
    ),
    (
        "{{split \"a,b,,c\" \",\"}} {{split \"\" \",\"}} {{split \"abc\" \"\"}} {{len (split \"a b\" \" \")}}",
        "[a b  c] [] [a b c] 2",
        "",
    ),
    (
        "{{join .strs \"-\"}} {{join (split \"x y z\" \" \") \"+\"}}",
        "a-b-c x+y+z",
        "",
    ),
    (
        "{{join .list \",\"}}",
        "",
        "template: skopeo inspect:1:7: executing \"skopeo inspect\" at <.list>: wrong type for value; expected []string; got []interface {}",
    ),
    (
        "{{truncate \"hello\" 3}}|{{truncate \"hi\" 5}}|{{truncate \"héllo\" 2}}|{{truncate \"abc\" 3}}",
        "hel|hi|h�|abc",
        "",
    ),
    ("{{pad \"x\" 2 3}}|{{pad \"\" 2 3}}|", "  x   ||", ""),
    (
        "{{pad \"x\" -1 0}}",
        "",
        "template: skopeo inspect:1:2: executing \"skopeo inspect\" at <pad \"x\" -1 0>: error calling pad: strings: negative Repeat count",
    ),
    (
        "{{truncate \"x\" -1}}",
        "",
        "template: skopeo inspect:1:2: executing \"skopeo inspect\" at <truncate \"x\" -1>: error calling truncate: runtime error: slice bounds out of range [:-1]",
    ),
    (
        "{{upper .n}}",
        "",
        "template: skopeo inspect:1:8: executing \"skopeo inspect\" at <.n>: wrong type for value; expected string; got int",
    ),
    (
        "{{upper 3}}",
        "",
        "template: skopeo inspect:1:8: executing \"skopeo inspect\" at <3>: expected string; found 3",
    ),
    (
        "{{lower}}",
        "",
        "template: skopeo inspect:1:2: executing \"skopeo inspect\" at <lower>: wrong number of args for lower: want 1 got 0",
    ),
    (
        "{{.s | upper}} {{\"A\" | lower | printf \"%s!\"}}",
        "STR a!",
        "",
    ),
    (
        "{{json}}",
        "",
        "template: skopeo inspect:1:2: executing \"skopeo inspect\" at <json>: wrong number of args for json: want 1 got 0",
    ),
    (
        "{{truncate \"abc\" 1.5}}",
        "",
        "template: skopeo inspect:1:17: executing \"skopeo inspect\" at <1.5>: expected integer; found 1.5",
    ),
    (
        "{{pad .s .n 1}}",
        "                                          str ",
        "",
    ),
    ("{{range split \"a:b\" \":\"}}[{{.}}]{{end}}", "[a][b]", ""),
    ("{{printf \"%T\" (split \"a\" \"b\")}}", "[]string", ""),
    ("{{json .Created}}", "null", ""),
    (
        "{{json .u}} {{json .t}} {{json .emap}} {{json .empty}}",
        "7 true {} []",
        "",
    ),
];
