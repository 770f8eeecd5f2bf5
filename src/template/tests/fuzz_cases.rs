//! Randomly generated templates (a differential fuzz against Go 1.19 and skopeo's format
//! handling), one per distinct outcome, with Go's output and error.

pub(super) const FUZZ_GENERIC: &[(&str, &str, &str)] = &[
    (
        "}\n6}{{break5d,-4index e\\x{x),{{-",
        "",
        "template: skopeo inspect:2: function \"break5d\" not defined",
    ),
    (
        "range }{{\n$| ",
        "",
        "template: skopeo inspect:2: unclosed action started at skopeo inspect:1",
    ),
    (
        "}if  -}}{6{{-0x\\n\r\tcontinue.sz\\xiendx\"",
        "",
        "template: skopeo inspect:1: illegal number syntax: \"-0x\"",
    ),
    (
        ":=3}9{{-1ebreak{{-1e+if \\u3}.st.é6'.st.,",
        "",
        "template: skopeo inspect:1: bad number syntax: \"-1eb\"",
    ),
    (
        "{{continue -}}}\\nm|\\{{/*5if 1eindex 4{{/*s0xt9.m",
        "",
        "template: skopeo inspect:1: {{continue}} outside {{range}}",
    ),
    (
        "01e-:table '}=\\_{17template t{{0b0%}}eif 7",
        "",
        "template: skopeo inspect:1: unexpected \"%\" in operand",
    ),
    (
        "50o3range \\x00otable telse 6break 1!f{{ynil\re",
        "",
        "template: skopeo inspect:1: function \"ynil\" not defined",
    ),
    (
        "}}{.m|cend c}{{:=,sé'\\0o0xe{",
        "",
        "template: skopeo inspect:1: unexpected \":=\" in command",
    ),
    (
        ".{m{{break*/}}+'\rif :=zé0by\\u*/}}\n",
        "",
        "template: skopeo inspect:1: bad character U+002A '*'",
    ),
    (
        "l -}}=.s\t}0b)\\t+/-7n{{9é",
        "",
        "template: skopeo inspect:1: bad number syntax: \"9é\"",
    ),
    (
        "{}tindex  -}}9%|yt{{block else}}index */}}",
        "",
        "template: skopeo inspect:1: unexpected <else> in block clause",
    ),
    (
        ".m.m{{-n -}}é30o.m|{{-fé-e\\9printf elset ",
        "",
        "template: skopeo inspect:1: bad number syntax: \"-n\"",
    ),
    (
        "'/dy.list1{{end.mt2c47é0o4",
        "",
        "template: skopeo inspect:1: unexpected \".mt2c47é0o\"... in end",
    ),
    (
        "stif .index s$\\x\te76l-\\x2\\n$e\\xends{{define -",
        "",
        "template: skopeo inspect:1: unexpected \"-\" in define clause",
    ),
    (
        "+y{{aelsetemplate s",
        "",
        "template: skopeo inspect:1: function \"aelsetemplate\" not defined",
    ),
    (
        "fend:={{s0b.listtable nil*if {",
        "",
        "template: skopeo inspect:1: function \"s0b\" not defined",
    ),
    (
        "{{-_f)l'\\sblock */}}break+ex{{/*i \r",
        "",
        "template: skopeo inspect:1: bad number syntax: \"-_f\"",
    ),
    (
        "y5'\\=39\\endd{{ break54continued! -}}1e\rm+\\nab",
        "",
        "template: skopeo inspect:1: bad character U+0021 '!'",
    ),
    (
        " -}}2{{block eé \t}}}0x'\nprintf ml",
        "",
        "template: skopeo inspect:1: unexpected \"eé\" in block clause",
    ),
    (
        "x}block x}n.st.continueif `tylz=b1{{nild",
        "",
        "template: skopeo inspect:1: function \"nild\" not defined",
    ),
    (
        "m$\\u\\ue}table 3printf ){{zbsb.m*\\u{et\n7=",
        "",
        "template: skopeo inspect:1: function \"zbsb\" not defined",
    ),
    (
        "fdefine .list*/}}${{\n:' -}}.y%1ni,\n.list%0",
        "",
        "template: skopeo inspect:2: expected := in action started at skopeo inspect:1",
    ),
    (
        "9}6\r\ttd\r\n.|{{-else",
        "",
        "template: skopeo inspect:2: bad number syntax: \"-el\"",
    ),
    (
        "{{block s,x, -}}+/1.list{{",
        "",
        "template: skopeo inspect:1: unexpected \"s\" in block clause",
    ),
    (
        "$x0bend3{{10bd(block 0xtemplate `ez9|t",
        "",
        "template: skopeo inspect:1: bad number syntax: \"10b\"",
    ),
    (
        "mnil5l\r}}{{-4e{{{else}*/}}if ",
        "",
        "template: skopeo inspect:1: illegal number syntax: \"-4e\"",
    ),
    (
        "break:=i.m*4\".if as{{else ni1e8.m*!\n}}end",
        "",
        "template: skopeo inspect:1: unexpected \"ni1e8\" in else",
    ),
    (
        "$\\u $x\\-\"\\n%.s{{-0x.list$|_{5)4s",
        "",
        "template: skopeo inspect:1: bad number syntax: \"-0x.l\"",
    ),
    (
        "1a\\x{{.st.2define 7n}{{/*_.s2+e,",
        "",
        "template: skopeo inspect:1: bad number syntax: \".2d\"",
    ),
    (
        "'/\".listtemplate \\uif 8:break\\urange }}\t{{/a'",
        "",
        "template: skopeo inspect:1: unexpected \"/\" in command",
    ),
    (
        "e!\trange printf {{f1eindex define ",
        "",
        "template: skopeo inspect:1: function \"f1eindex\" not defined",
    ),
    (
        "0end -}}0=$xdefine %0o$x$xc}a8:=4-{{\rea",
        "",
        "template: skopeo inspect:1: function \"ea\" not defined",
    ),
    (
        "1-{{lf.s{5z6{zisn}{6t\t\\n%",
        "",
        "template: skopeo inspect:1: function \"lf\" not defined",
    ),
    (
        "define es\ttable  -}}ielse%block  'x{{-.s0b*/}}*/}}.ted{ ",
        "",
        "template: skopeo inspect:1: bad number syntax: \"-.s\"",
    ),
    (
        "m37tnendt.2dz*/}}0x\\x6dblock  |9{{dtemplate ",
        "",
        "template: skopeo inspect:1: function \"dtemplate\" not defined",
    ),
    (
        "étable t6printf l{{-0bm.sl0otemplate i}}z",
        "",
        "template: skopeo inspect:1: bad number syntax: \"-0bm\"",
    ),
    (
        "block \\tldefine range {{0obreak",
        "",
        "template: skopeo inspect:1: bad number syntax: \"0ob\"",
    ),
    (
        "x3{{0o0bf\"index )}",
        "",
        "template: skopeo inspect:1: bad number syntax: \"0o0b\"",
    ),
    (
        "t\\xtemplate :=z{{-0x-{{/*.st.\r\"",
        "",
        "template: skopeo inspect:1: bad number syntax: \"-0x-\"",
    ),
    (
        "t'_9éprintf continue)if _else{{ef",
        "",
        "template: skopeo inspect:1: function \"ef\" not defined",
    ),
    (
        "if étindex '\\({{-é",
        "",
        "template: skopeo inspect:1: bad number syntax: \"-é\"",
    ),
    (
        ".m{{endl -}}}ee$x{:",
        "",
        "template: skopeo inspect:1: function \"endl\" not defined",
    ),
    (
        "{{-46\nbreakmyif 0'\"{6 -}} -}}",
        "",
        "template: skopeo inspect:2: function \"breakmyif\" not defined",
    ),
    (
        "x$x*/}}s{{0bblock 0odefine end\\0b\\xc0$x1*",
        "",
        "template: skopeo inspect:1: bad number syntax: \"0bb\"",
    ),
    (
        " -}}else{{breakb",
        "",
        "template: skopeo inspect:1: function \"breakb\" not defined",
    ),
    (
        "table 6*/}}b\\uyif if elsetemplate 0{{+xe2}*7|}a6",
        "",
        "template: skopeo inspect:1: bad number syntax: \"+x\"",
    ),
    (
        "continue!-.m:={{(\r}}",
        "",
        "template: skopeo inspect:1: unclosed left paren",
    ),
    (
        "{{end)0o",
        "",
        "template: skopeo inspect:1: unexpected \")\" in end",
    ),
    (
        "1{{-.{{/*elseii:\"c|}}\rx}(`.list'\\0b $x\\x",
        "",
        "template: skopeo inspect:1: illegal number syntax: \"-.\"",
    ),
    (
        "8.m1éf\\x(template 7{06{{-xelseprintf  -}}",
        "",
        "template: skopeo inspect:1: bad number syntax: \"-x\"",
    ),
    (
        "e! $index {{a.st.*0}.si6 -}}",
        "",
        "template: skopeo inspect:1: function \"a\" not defined",
    ),
    (
        "{{{/*8}index }elseé.list$x` -}}|break! index ",
        "",
        "template: skopeo inspect:1: unexpected \"{\" in command",
    ),
    (
        ".st.$xz5e$x{{-0index \tbtemplate {{.block `.list",
        "",
        "template: skopeo inspect:1: bad number syntax: \"-0in\"",
    ),
    (
        "0xcontinue+%{{4='\\1ll 2}2.list'\\3end93 \\n+",
        "",
        "template: skopeo inspect:1: unexpected \"=\" in operand",
    ),
    (
        "7y\\x'tn_\\ti.s{{-+else73*/}}4",
        "",
        "template: skopeo inspect:1: bad number syntax: \"-+el\"",
    ),
    (
        "c-'\\ntemplate $xsend7'\\\\telse6{{-.range block printf ` -}}.st.-{{/*-",
        "",
        "template: skopeo inspect:1: bad number syntax: \"-.r\"",
    ),
    (
        " -}}.st.1t\\ns(\\xd$xxnil\"90bs{{template a",
        "",
        "template: skopeo inspect:1: unexpected \"a\" in template clause",
    ),
    (
        "\réx=end3elsef{{-y1enz`.sblock endt96 ",
        "",
        "template: skopeo inspect:1: bad number syntax: \"-y\"",
    ),
    (
        "\nprintf if :t0té..st{{'\\template  6.\\u",
        "",
        "template: skopeo inspect:2: unterminated character constant",
    ),
    (
        "}{{-es",
        "",
        "template: skopeo inspect:1: bad number syntax: \"-es\"",
    ),
    (
        "+\\m+if 4}stable {{.st.0o.sblock printf f!'\\define ",
        "",
        "template: skopeo inspect:1: bad number syntax: \".0o\"",
    ),
    (
        "$5{{6m{z%0o}}3af}{0o.sz.list}})block ",
        "",
        "template: skopeo inspect:1: bad number syntax: \"6m\"",
    ),
    (
        "\\n0b\n .s{{-if 3{{{: x",
        "",
        "template: skopeo inspect:2: bad number syntax: \"-if\"",
    ),
    (
        "\\u{{s}.te0o{{/*$breaksif block break1",
        "",
        "template: skopeo inspect:1: bad character U+007D '}'",
    ),
    (
        "block 2else\\x5/0by\t%c=es*{{-f",
        "",
        "template: skopeo inspect:1: bad number syntax: \"-f\"",
    ),
    (
        "'\\)m:i .st./{n{{lbreak,0b{{)else0o\"elseb",
        "",
        "template: skopeo inspect:1: function \"lbreak\" not defined",
    ),
    (
        "\r{{block 0otable ",
        "",
        "template: skopeo inspect:1: bad number syntax: \"0ot\"",
    ),
    (
        ")index /nil1edefine $xm\t{{-_iindex 2table 8m6{0x{\\u",
        "",
        "template: skopeo inspect:1: bad number syntax: \"-_ii\"",
    ),
    (
        ":{{y9\n}f+8index :=0b4`.m0te",
        "",
        "template: skopeo inspect:1: function \"y9\" not defined",
    ),
    (
        ".ss\t$)+$xprintf break)\\ud|{{3f\\n2d60x \r0block ",
        "",
        "template: skopeo inspect:1: bad number syntax: \"3f\"",
    ),
    (
        "{{.listeelse3index xtemplate \\t3cf2%!\"",
        "",
        "template: skopeo inspect:1: function \"xtemplate\" not defined",
    ),
    (
        " -}}}a{{3table t",
        "",
        "template: skopeo inspect:1: bad number syntax: \"3t\"",
    ),
    (
        "table define 2{0o{{f9table bé.list\\tend\nc{index _y\\\\t",
        "",
        "template: skopeo inspect:1: function \"f9table\" not defined",
    ),
    (
        "{{yblock 1\rmend",
        "",
        "template: skopeo inspect:1: function \"yblock\" not defined",
    ),
    (
        "e}}1e8**é_({{4i0oelse\\{",
        "",
        "template: skopeo inspect:1: bad number syntax: \"4i0\"",
    ),
    (
        ".list\\unil0b .st.define =1*0b'0xblock }!template 6define }{{\"",
        "",
        "template: skopeo inspect:1: unterminated quoted string",
    ),
    (
        "x\r4table m{{.st.1e}}1e%y.st.\\u.list",
        "",
        "template: skopeo inspect:1: unexpected \".1e\" in operand",
    ),
    (
        "{{if 1.m:='0x\\n{{+",
        "",
        "template: skopeo inspect:1: bad number syntax: \"1.m\"",
    ),
    (
        "{{cif /53\"5",
        "",
        "template: skopeo inspect:1: function \"cif\" not defined",
    ),
    (
        " 4iend\"}}:*}9{=index {{-0b90{",
        "",
        "template: skopeo inspect:1: bad number syntax: \"-0b9\"",
    ),
    (
        "$ss.0.20d\\n-{{ template %9}}d5",
        "",
        "template: skopeo inspect:1: unexpected \"%\" in template clause",
    ),
    (
        "}s5{template 1en4}}\r6\\t.listnil{{(8$xfb",
        "",
        "template: skopeo inspect:1: unexpected \"$xfb\" in operand",
    ),
    (
        "}table */}}{{/*1e!*/}}66 {0x1.st. -}} -}}\\nc{table d{{1eedefine ",
        "",
        "template: skopeo inspect:1: bad number syntax: \"1ee\"",
    ),
    (
        "e{{template  -}}y{-1e,",
        "",
        "template: skopeo inspect:1: unexpected \"}}\" in template clause",
    ),
    (
        " range {{}d 6}printf n",
        "",
        "template: skopeo inspect:1: unexpected \"}\" in command",
    ),
    (
        "e*0b*/}}0b:.st.}printf   {bytable }{{1+\\n",
        "",
        "template: skopeo inspect:1: bad number syntax: \"1+\"",
    ),
    (
        "e*}break{{!m.scontinue=$end*/}}",
        "",
        "template: skopeo inspect:1: unexpected \"!\" in command",
    ),
    (
        "0bblock $x}$e0b}} t1e{{+zt{%|",
        "",
        "template: skopeo inspect:1: bad number syntax: \"+z\"",
    ),
    (
        "\n\r{{-.listbreak\\elsedefine .mn",
        "",
        "template: skopeo inspect:2: bad number syntax: \"-.l\"",
    ),
    (
        "5 '\\é{{%,0x)printf {{-d$és*",
        "",
        "template: skopeo inspect:1: unexpected \"%\" in command",
    ),
];

/// Run as skopeo 1.9.3 runs `--format` (`execute_user_format`).
pub(super) const FUZZ_USER: &[(&str, &str, &str)] = &[
    (
        "{{if range 1 2 .Env}}a\\t{{else}}b{{end}}",
        "",
        "template: skopeo inspect:1: unexpected <range> in if",
    ),
    (
        "{{if end printf}}a\\t{{else}}b{{end}}",
        "",
        "template: skopeo inspect:1: unexpected <end> in if",
    ),
    (
        "table {{\"%v\" $ \"%d\" index}} {{.Os}}",
        "",
        "template: skopeo inspect:1:14: executing \"skopeo inspect\" at <\"%v\">: can't give argument to non-function \"%v\"",
    ),
    (
        "{{eq $ .Digest.Encoded}}",
        "",
        "template: skopeo inspect:1:14: executing \"skopeo inspect\" at <eq $ .Digest.Encoded>: error calling eq: incompatible types for comparison",
    ),
    (
        "{{else html (}}",
        "",
        "template: skopeo inspect:1: unexpected \"html\" in else",
    ),
    (
        "{{range \"%d\"}}[{{.}}]\\n{{end}}",
        "",
        "template: skopeo inspect:1:20: executing \"skopeo inspect\" at <\"%d\">: range can't iterate over %d",
    ),
    (
        "table {{$x := $x := .Created.Year $x}} {{.Os}}",
        "",
        "template: skopeo inspect:1: unexpected \":=\" in operand",
    ),
    (
        "{{with}}",
        "",
        "template: skopeo inspect:1: missing value for with",
    ),
    (
        "table {{.Env table  or \\t}} {{.Os}}",
        "",
        "template: skopeo inspect:1:14: executing \"skopeo inspect\" at <.Env>: Env has arguments but cannot be invoked as function",
    ),
    (
        ".Env.Createdprint.Labels.aelse1 2x{{",
        "",
        "template: skopeo inspect:2: unexpected \"{\" in command",
    ),
    (
        "{{range $k, $v := or \"a\" .RepoTags}}{{$k}}\\t{{$v}}\\n{{end}}",
        "",
        "template: skopeo inspect:1:33: executing \"skopeo inspect\" at <\"a\">: range can't iterate over a",
    ),
    (
        "table {{|}} {{.Os}}",
        "",
        "template: skopeo inspect:1: unexpected \"|\" in command",
    ),
    (
        "{{$x := end}}",
        "",
        "template: skopeo inspect:1: unexpected <end> in command",
    ),
    (
        "range.Labels.x(not){{0.Env",
        "",
        "template: skopeo inspect:1: bad number syntax: \"0.En\"",
    ),
    (
        "{{end}}",
        "",
        "template: skopeo inspect:2: unexpected {{end}}",
    ),
    (
        "{{if \"2006\" , \"%v\"}}a\\t{{else}}b{{end}}",
        "",
        "template: skopeo inspect:1: unexpected \",\" in operand",
    ),
    (
        "eq{{\"%d\"\\n..RepoTags.Labels.awith",
        "",
        "template: skopeo inspect:2: unexpected . after term \".\"",
    ),
    (
        "ifprintindex\"%s\"index$x :=|{{$xor1)$k, $v :=",
        "",
        "template: skopeo inspect:1: undefined variable \"$xor1\"",
    ),
    (
        "\"%q\".Layers$jsontable \\n{{slicehtml|slice\"2006\"",
        "",
        "template: skopeo inspect:2: function \"slicehtml\" not defined",
    ),
    (
        "table {{slice table  .Labels.a .RepoTags}} {{.Os}}",
        "",
        "template: skopeo inspect:1:14: executing \"skopeo inspect\" at <slice .Labels.a .RepoTags>: error calling slice: cannot index slice/array with type []string",
    ),
    (
        ".Os.Digest.Encoded,.RepoTags table print\"%s\"$x.{{\"%d\".Digest",
        "",
        "template: skopeo inspect:1: unexpected . after term \"\\\"%d\\\"\"",
    ),
    (
        "{{range $k, $v := .Labels.x}}{{$k}}\\t{{$v}}\\n{{end}}",
        "",
        "template: skopeo inspect:1:37: executing \"skopeo inspect\" at <.Labels.x>: range can't iterate over <y>&",
    ),
    (
        "xhtmlelse{{\"%s\"\"%q\"(\\t",
        "",
        "template: skopeo inspect:1: unexpected \"\\\"%q\\\"\" in operand",
    ),
    (
        "{{else | table  x}}",
        "",
        "template: skopeo inspect:1: unexpected \"|\" in else",
    ),
    (
        "{{range $k, $v := .Digest.Encoded}}{{$k}}\\t{{$v}}\\n{{end}}",
        "",
        "template: skopeo inspect:1:37: executing \"skopeo inspect\" at <.Digest.Encoded>: range can't iterate over 6699e863784b2bd8264448ce9f6ad51bdaf5a9dea1ddbca61bced6b67cf312ea",
    ),
    (
        "{{range printf .Os .Created.Year}}[{{.}}]\\n{{end}}",
        "",
        "template: skopeo inspect:1:39: executing \"skopeo inspect\" at <.Created.Year>: range can't iterate over linux%!(EXTRA int=2026)",
    ),
    (
        "\"%v\".Os| and.Created1 2with{{\"%q\"",
        "",
        "template: skopeo inspect:2: unexpected \"{\" in operand",
    ),
    (
        "{{with $k, $v := )}}w{{.}}{{end}}",
        "",
        "template: skopeo inspect:1: too many declarations in with",
    ),
    (
        "{{$ .Env .Labels.a .Created.Format}}",
        "",
        "template: skopeo inspect:1:14: executing \"skopeo inspect\" at <$>: can't give argument to non-function $",
    ),
    (
        "{{range $k, $v := if table  eq or}}{{$k}}\\t{{$v}}\\n{{end}}",
        "",
        "template: skopeo inspect:1: unexpected <if> in range",
    ),
    (
        "{{with \\t ) , or}}w{{.}}{{end}}",
        "",
        "template: skopeo inspect:1: unexpected \")\" in with",
    ),
    (
        "table {{)}} {{.Os}}",
        "",
        "template: skopeo inspect:1: unexpected \")\" in command",
    ),
    (
        "{{with , $x json .Digest}}w{{.}}{{end}}",
        "",
        "template: skopeo inspect:1: unexpected \",\" in with",
    ),
    (
        "{{with $x := if .RepoTags}}w{{.}}{{end}}",
        "",
        "template: skopeo inspect:1: unexpected <if> in with",
    ),
    (
        "{{with .Digest \"%q\"}}w{{.}}{{end}}",
        "",
        "template: skopeo inspect:1:19: executing \"skopeo inspect\" at <.Digest>: Digest has arguments but cannot be invoked as function",
    ),
    (
        "{{if .Env | printf}}a\\t{{else}}b{{end}}",
        "",
        "template: skopeo inspect:1:24: executing \"skopeo inspect\" at <printf>: wrong type for value; expected string; got []string",
    ),
    (
        "{{range .}}[{{.}}]\\n{{end}}",
        "",
        "template: skopeo inspect:1:20: executing \"skopeo inspect\" at <.>: range can't iterate over {  sha256:6699e863784b2bd8264448ce9f6ad51bdaf5a9dea1ddbca61bced6b67cf312ea [] 2026-11-22 04:42:31.938715174 +0000 UTC  map[a:b io.buildah.version:1.28.2 x:<y>&] amd64 linux [sha256:6f3b082e3181f258b6daaaa357d7c5d11a50e008de2e8e3de4014bf69a88b091 sha256:7ef5a0e8e219ebacbb0df6bb331dcca94c6dbee45695527491fef4d585684a96] [FOO=bar]}",
    ),
    (
        "{{range $k, $v := \\t print}}{{$k}}\\t{{$v}}\\n{{end}}",
        "",
        "template: skopeo inspect:1:32: executing \"skopeo inspect\" at <print>: range can't iterate over ",
    ),
    (
        "{{range $k, $v := 1 2 $x not}}{{$k}}\\t{{$v}}\\n{{end}}",
        "",
        "template: skopeo inspect:1: undefined variable \"$x\"",
    ),
    (
        "{{table  ,}}",
        "",
        "template: skopeo inspect:1: function \"table\" not defined",
    ),
    (
        "{{if .Labels.a \"a\" slice}}a\\t{{else}}b{{end}}",
        "",
        "template: skopeo inspect:1:24: executing \"skopeo inspect\" at <.Labels.a>: a is not a method but has arguments",
    ),
    (
        "{{if .Labels json .RepoTags table }}a\\t{{else}}b{{end}}",
        "",
        "template: skopeo inspect:1: function \"json\" not defined",
    ),
    (
        "table {{.Labels.x end if}} {{.Os}}",
        "",
        "template: skopeo inspect:1: unexpected <end> in operand",
    ),
    (
        "table {{with end 1 .Digest.Encoded}} {{.Os}}",
        "",
        "template: skopeo inspect:1: unexpected <end> in with",
    ),
    (
        "{{range |}}[{{.}}]\\n{{end}}",
        "",
        "template: skopeo inspect:1: unexpected \"|\" in range",
    ),
    (
        "\\nnot{{x0 \\t",
        "",
        "template: skopeo inspect:2: function \"x0\" not defined",
    ),
    (
        "{{range $k, $v := else}}{{$k}}\\t{{$v}}\\n{{end}}",
        "",
        "template: skopeo inspect:1: unexpected <else> in range",
    ),
    (
        "table {{end else ( 1}} {{.Os}}",
        "",
        "template: skopeo inspect:1: unexpected <else> in end",
    ),
    (
        "{{if with}}a\\t{{else}}b{{end}}",
        "",
        "template: skopeo inspect:1: unexpected <with> in if",
    ),
    (
        "{{if ( .RepoTags or printf}}a\\t{{else}}b{{end}}",
        "",
        "template: skopeo inspect:1: unclosed left paren",
    ),
    (
        "{{.Labels printf not .Name}}",
        "",
        "template: skopeo inspect:1:14: executing \"skopeo inspect\" at <.Labels>: Labels has arguments but cannot be invoked as function",
    ),
    (
        "table {{.Created.Format}} {{.Os}}",
        "",
        "template: skopeo inspect:1:22: executing \"skopeo inspect\" at <.Created.Format>: wrong number of args for Format: want 1 got 0",
    ),
    (
        "{{range $k, $v := html .RepoTags}}{{$k}}\\t{{$v}}\\n{{end}}",
        "",
        "template: skopeo inspect:1:35: executing \"skopeo inspect\" at <.RepoTags>: range can't iterate over []",
    ),
    (
        ").Created.Year.Digest.Encodedand elsenot{{\"a\"index1json}}.RepoTags",
        "",
        "template: skopeo inspect:1: unexpected \"index1json\" in operand",
    ),
    (
        "{{, .RepoTags \\t}}",
        "",
        "template: skopeo inspect:1: unexpected \",\" in command",
    ),
    (
        "{{range $k, $v := .RepoTags \"a\" .Layers}}{{$k}}\\t{{$v}}\\n{{end}}",
        "",
        "template: skopeo inspect:1:30: executing \"skopeo inspect\" at <.RepoTags>: RepoTags has arguments but cannot be invoked as function",
    ),
    (
        "table {{end .Labels}} {{.Os}}",
        "",
        "template: skopeo inspect:1: unexpected \".Labels\" in end",
    ),
    (
        " .Layers\\nifend$xtable .Digest|.Digest.Created.Format{{with",
        "",
        "template: skopeo inspect:3: unexpected \"{\" in with",
    ),
    (
        "{{0 .Created print .}}",
        "",
        "template: skopeo inspect:1:14: executing \"skopeo inspect\" at <0>: can't give argument to non-function 0",
    ),
    (
        "{{with .Created.Year with}}w{{.}}{{end}}",
        "",
        "template: skopeo inspect:1: unexpected <with> in operand",
    ),
];
