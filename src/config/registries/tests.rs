use super::*;
use std::fs;
use tempfile::TempDir;

struct Fixture {
    _dir: TempDir,
    env: Env,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let env = Env::rooted(dir.path());
        Fixture { _dir: dir, env }
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.env.home.parent().unwrap().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }

    fn system(&self, text: &str) -> PathBuf {
        self.write("etc/containers/registries.conf", text)
    }

    fn load(&self) -> Result<Registries> {
        Registries::load_with_env(&SystemContext::default(), &self.env)
    }

    fn load_err(&self) -> String {
        format!("{:#}", self.load().unwrap_err())
    }
}

fn r(s: &str) -> DockerReference {
    DockerReference::parse_normalized_named(s).unwrap()
}

fn load_text(text: &str) -> Registries {
    let f = Fixture::new();
    f.system(text);
    f.load().unwrap()
}

fn load_text_err(text: &str) -> String {
    let f = Fixture::new();
    let p = f.system(text);
    let err = f.load_err();
    let prefix = format!("loading registries configuration {}: ", quote_path(&p));
    err.strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{err}"))
        .to_string()
}

#[test]
fn missing_default_file_gives_defaults() {
    let f = Fixture::new();
    let regs = f.load().unwrap();
    assert!(regs.registries().is_empty());
    assert!(regs.unqualified_search_registries().is_empty());
    assert_eq!(regs.credential_helpers(), vec!["containers-auth.json"]);
    assert_eq!(regs.short_name_mode(), ShortNameMode::Permissive);
    let e = regs.pull_endpoints(&r("quay.io/a/b:1")).unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].location, "quay.io");
    assert_eq!(e[0].reference, r("quay.io/a/b:1"));
    assert!(!e[0].insecure && !e[0].mirror);
}

#[test]
fn explicit_file_must_exist() {
    let f = Fixture::new();
    let ctx = SystemContext {
        registries_conf: Some(PathBuf::from("/nonexistent/r.conf")),
        ..SystemContext::default()
    };
    let err = Registries::load_with_env(&ctx, &f.env).unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        "loading registries configuration \"/nonexistent/r.conf\": open /nonexistent/r.conf: no such file or directory"
    );
}

#[test]
fn source_precedence() {
    let mut f = Fixture::new();
    let system = f.system("unqualified-search-registries = [\"system.com\"]");
    let env_file = f.write("env.conf", "unqualified-search-registries = [\"env.com\"]");
    let flag_file = f.write(
        "flag.conf",
        "unqualified-search-registries = [\"flag.com\"]",
    );
    let search = |f: &Fixture, ctx: &SystemContext| {
        Registries::load_with_env(ctx, &f.env)
            .unwrap()
            .unqualified_search_registries()
    };
    let none = SystemContext::default();
    assert_eq!(search(&f, &none), vec!["system.com"]);
    let user = f.write(
        "home/.config/containers/registries.conf",
        "unqualified-search-registries = [\"user.com\"]",
    );
    assert_eq!(search(&f, &none), vec!["user.com"]);
    f.env.registries_conf = Some(env_file.clone());
    assert_eq!(search(&f, &none), vec!["env.com"]);
    let flag = SystemContext {
        registries_conf: Some(flag_file.clone()),
        ..SystemContext::default()
    };
    assert_eq!(search(&f, &flag), vec!["flag.com"]);
    let regs = Registries::load_with_env(&flag, &f.env).unwrap();
    assert_eq!(
        regs.unqualified_search_registries_origin(),
        Some(&*flag_file)
    );
    assert_eq!(regs.config_path(), flag_file);
    let _ = (system, user);
}

#[test]
fn user_file_reads_only_the_user_dropins() {
    let f = Fixture::new();
    f.system("");
    f.write(
        "etc/containers/registries.conf.d/a.conf",
        "unqualified-search-registries = [\"sysdrop.com\"]",
    );
    assert_eq!(
        f.load().unwrap().unqualified_search_registries(),
        vec!["sysdrop.com"]
    );
    f.write("home/.config/containers/registries.conf", "");
    assert!(f.load().unwrap().unqualified_search_registries().is_empty());
    f.write(
        "home/.config/containers/registries.conf.d/b.conf",
        "unqualified-search-registries = [\"userdrop.com\"]",
    );
    assert_eq!(
        f.load().unwrap().unqualified_search_registries(),
        vec!["userdrop.com"]
    );
}

#[test]
fn dropins_override_in_order() {
    let f = Fixture::new();
    f.system(
        r#"
unqualified-search-registries = ["main.com"]
credential-helpers = ["main-helper"]
short-name-mode = "enforcing"
[aliases]
"keep" = "quay.io/keep"
"reset" = "quay.io/reset"
[[registry]]
location = "a.com"
insecure = true
[[registry]]
location = "b.com"
"#,
    );
    // System directory first, then the user directory; names in order within each.
    f.write(
        "etc/containers/registries.conf.d/10-a.conf",
        "[[registry]]\nlocation = \"a.com\"\nblocked = true\n[aliases]\n\"reset\" = \"\"\n",
    );
    f.write(
        "etc/containers/registries.conf.d/20-b.conf",
        "unqualified-search-registries = []\n",
    );
    f.write(
        "home/.config/containers/registries.conf.d/00-c.conf",
        "credential-helpers = [\"user-helper\"]\n[[registry]]\nlocation = \"c.com\"\n",
    );
    f.write("etc/containers/registries.conf.d/ignored.txt", "not toml [");
    fs::create_dir_all(
        f.env
            .etc
            .join("containers/registries.conf.d/sub.conf/deeper"),
    )
    .unwrap();
    let regs = f.load().unwrap();
    let prefixes: Vec<_> = regs
        .registries()
        .iter()
        .map(|r| r.prefix.as_str())
        .collect();
    assert_eq!(prefixes, vec!["a.com", "b.com", "c.com"]);
    let a = regs.find_registry("a.com").unwrap();
    assert!(a.blocked && !a.endpoint.insecure, "whole entry replaced");
    assert!(regs.unqualified_search_registries().is_empty());
    assert_eq!(
        regs.unqualified_search_registries_origin().unwrap(),
        f.env.etc.join("containers/registries.conf.d/20-b.conf")
    );
    assert_eq!(regs.credential_helpers(), vec!["user-helper"]);
    assert_eq!(regs.short_name_mode(), ShortNameMode::Enforcing);
    assert_eq!(regs.alias("keep").unwrap().value, Some(r("quay.io/keep")));
    assert_eq!(regs.alias("reset").unwrap().value, None);
    assert!(regs.alias("other").is_none());
}

#[test]
fn dropins_must_be_v2() {
    let f = Fixture::new();
    let p = f.write(
        "etc/containers/registries.conf.d/v1.conf",
        "[registries.search]\nregistries = [\"a.com\"]\n",
    );
    assert_eq!(
        f.load_err(),
        format!(
            "loading drop-in registries configuration {}: registry must be in v2 format but is in v1",
            quote_path(&p)
        )
    );
}

#[test]
fn v1_is_converted() {
    let regs = load_text(
        "[registries.search]\nregistries = [\"s.com\", \"t.com\"]\n[registries.insecure]\nregistries = [\"i.com/\", \"b.com\"]\n[registries.block]\nregistries = [\"b.com\"]\n",
    );
    assert_eq!(regs.unqualified_search_registries(), vec!["s.com", "t.com"]);
    let b = regs.find_registry("b.com").unwrap();
    assert!(b.blocked && b.endpoint.insecure);
    let i = regs.find_registry("i.com").unwrap();
    assert_eq!(i.prefix, "i.com");
    assert!(i.endpoint.insecure && !i.blocked);
    assert!(regs.is_insecure("i.com"));
    assert!(!regs.is_insecure("s.com"));
}

#[test]
fn validation_errors_have_c_image_wording() {
    let cases = [
        (
            "[registries.search]\nregistries = [\"a.com\"]\n[[registry]]\nlocation=\"b\"",
            "mixing sysregistry v1/v2 is not supported",
        ),
        (
            "[[registry]]\ninsecure = true",
            "invalid condition: both location and prefix are unset",
        ),
        (
            "[[registry]]\nprefix = \"a.com\"",
            "invalid condition: location is unset and prefix is not in the format: *.example.com",
        ),
        (
            "[[registry]]\nlocation = \"https://a.com\"",
            "invalid location 'https://a.com': URI schemes are not supported",
        ),
        (
            "[[registry]]\nlocation = \"a.com\"\npull-from-mirror = \"all\"",
            "pull-from-mirror must not be set for a non-mirror registry \"a.com\"",
        ),
        (
            "[[registry]]\nlocation = \"a.com\"\n[[registry.mirror]]\nlocation = \"\"",
            "invalid condition: mirror location is unset",
        ),
        (
            "[[registry]]\nlocation = \"a.com\"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = \"m.com\"\npull-from-mirror = \"all\"",
            "cannot set mirror usage mirror-by-digest-only for the registry (\"a.com\") and pull-from-mirror for per-mirror (\"m.com\") at the same time",
        ),
        (
            "[[registry]]\nlocation = \"a.com\"\n[[registry.mirror]]\nlocation = \"m.com\"\npull-from-mirror = \"x\"",
            "unsupported pull-from-mirror value \"x\" for mirror \"m.com\"",
        ),
        (
            "[[registry]]\nlocation = \"a.com\"\ninsecure = true\n[[registry]]\nprefix = \"x.com\"\nlocation = \"a.com\"",
            "registry 'a.com' is defined multiple times with conflicting 'insecure' setting",
        ),
        (
            "[[registry]]\nlocation = \"a.com\"\nblocked = true\n[[registry]]\nprefix = \"x.com\"\nlocation = \"a.com\"",
            "registry 'a.com' is defined multiple times with conflicting 'blocked' setting",
        ),
        (
            "unqualified-search-registries = [\"http://a.com\"]",
            "invalid location 'http://a.com': URI schemes are not supported",
        ),
        (
            "unqualified-search-registries = [\"a.com/ns\"]",
            "Invalid unqualified-search-registries entry \"a.com/ns\"",
        ),
        (
            "[[registry]]\nprefix = \"*.example.com/x\"\nlocation = \"a\"",
            "Wildcarded prefix should be in the format: *.example.com. Current prefix \"*.example.com/x\" is incorrectly formatted",
        ),
        (
            "short-name-mode = \"bad\"",
            "invalid short-name mode: \"bad\"",
        ),
        (
            "[aliases]\n\"Foo\" = \"x\"",
            "validating short-name aliases: invalid alias \"x\": must contain registry and repository\n: cannot parse short name: \"Foo\": repository name must be lowercase",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(load_text_err(text), want, "for {text:?}");
    }
}

/// Keys find their fields under Go's case folding, as skopeo 1.9.3 reads
/// `"ſhort-name-mode"` (U+017F) and `"SHORT-NAME-MODE"` as `short-name-mode`.
#[test]
fn keys_fold_as_in_go() {
    for key in ["\u{17f}hort-name-mode", "SHORT-NAME-MODE"] {
        assert_eq!(
            load_text_err(&format!("\"{key}\" = \"bad\"")),
            "invalid short-name mode: \"bad\"",
            "for {key:?}"
        );
    }
    let regs = load_text("\"unqualified-\u{17f}earch-registries\" = [\"a.example\"]");
    assert_eq!(regs.unqualified_search_registries(), ["a.example"]);
}

#[test]
fn first_entry_of_a_prefix_wins_within_a_file() {
    let regs = load_text(
        "[[registry]]\nprefix = \"a.com\"\nlocation = \"one.com\"\n[[registry]]\nprefix = \"a.com\"\nlocation = \"two.com\"\n",
    );
    assert_eq!(regs.registries().len(), 1);
    assert_eq!(regs.registries()[0].endpoint.location, "one.com");
}

#[test]
fn prefix_matching() {
    let m = ref_matching_prefix;
    assert_eq!(m("a.com/x", "a.com"), Some(5));
    assert_eq!(m("a.com", "a.com"), Some(5));
    assert_eq!(
        m("a.com:5000/x", "a.com"),
        Some(5),
        "c/image's documented quirk"
    );
    assert_eq!(m("a.com/x@sha256:0", "a.com/x"), Some(7));
    assert_eq!(m("a.comx/y", "a.com"), None);
    assert_eq!(m("a.co", "a.com"), None);
    assert_eq!(m("a.com/xy", "a.com/x"), None);
    assert_eq!(m("b.example.com/x", "*.example.com"), Some(13));
    assert_eq!(m("a.b.example.com:5000/x", "*.example.com"), Some(15));
    assert_eq!(m("example.com/x", "*.example.com"), None);
    assert_eq!(m("x.com/b.example.com", "*.example.com"), None);
    assert_eq!(m("b.example.comx/y", "*.example.com"), None);
}

#[test]
fn longest_prefix_wins() {
    let regs = load_text(
        r#"
[[registry]]
location = "a.com"
[[registry]]
prefix = "a.com/ns"
location = "b.com/other"
insecure = true
[[registry]]
prefix = "*.example.com"
location = "wild.com"
[[registry]]
prefix = "*.b.example.com"
location = "wilder.com"
"#,
    );
    assert_eq!(regs.find_registry("a.com/ns/x").unwrap().prefix, "a.com/ns");
    assert_eq!(regs.find_registry("a.com/nsx").unwrap().prefix, "a.com");
    assert_eq!(
        regs.find_registry("c.b.example.com/x").unwrap().prefix,
        "*.b.example.com"
    );
    assert_eq!(
        regs.find_registry("c.example.com/x").unwrap().prefix,
        "*.example.com"
    );
    assert!(regs.find_registry("z.com/x").is_none());
    assert!(regs.is_insecure("a.com/ns/x"));
    assert!(!regs.is_insecure("a.com"));
}

#[test]
fn pull_endpoints_mirrors_then_primary_rewritten() {
    let regs = load_text(
        r#"
[[registry]]
prefix = "example.com/foo"
location = "internal.com/bar"
insecure = true
[[registry.mirror]]
location = "mirror-1.com/cache"
[[registry.mirror]]
location = "mirror-2.com"
insecure = true
"#,
    );
    let e = regs.pull_endpoints(&r("example.com/foo/img:1")).unwrap();
    let got: Vec<_> = e
        .iter()
        .map(|e| {
            (
                e.location.as_str(),
                e.reference.to_string(),
                e.insecure,
                e.mirror,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "mirror-1.com/cache",
                "mirror-1.com/cache/img:1".to_string(),
                false,
                true
            ),
            ("mirror-2.com", "mirror-2.com/img:1".to_string(), true, true),
            (
                "internal.com/bar",
                "internal.com/bar/img:1".to_string(),
                true,
                false
            ),
        ]
    );
    // Pushes are never rewritten.
    let p = regs.push_endpoint(&r("example.com/foo/img:1")).unwrap();
    assert_eq!(p.reference, r("example.com/foo/img:1"));
    assert_eq!(p.location, "example.com");
    assert!(p.insecure);
}

#[test]
fn mirror_usage_restrictions() {
    let regs = load_text(
        r#"
[[registry]]
location = "a.com"
mirror-by-digest-only = true
[[registry.mirror]]
location = "m.com"
[[registry]]
location = "b.com"
[[registry.mirror]]
location = "digest.com"
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "tag.com"
pull-from-mirror = "tag-only"
[[registry.mirror]]
location = "all.com"
pull-from-mirror = "all"
"#,
    );
    let digest = "@sha256:0123456789012345678901234567890123456789012345678901234567890123";
    let locs = |s: &str| -> Vec<String> {
        regs.pull_endpoints(&r(s))
            .unwrap()
            .into_iter()
            .map(|e| e.location)
            .collect()
    };
    assert_eq!(locs("a.com/x:1"), vec!["a.com"]);
    assert_eq!(locs(&format!("a.com/x{digest}")), vec!["m.com", "a.com"]);
    assert_eq!(locs("b.com/x:1"), vec!["tag.com", "all.com", "b.com"]);
    assert_eq!(
        locs(&format!("b.com/x{digest}")),
        vec!["digest.com", "all.com", "b.com"]
    );
    let e = regs
        .pull_endpoints(&r(&format!("b.com/x:t{digest}")))
        .unwrap();
    assert_eq!(
        e[0].reference.to_string(),
        format!("digest.com/x:t{digest}")
    );
}

#[test]
fn wildcard_prefixes_rewrite_the_host() {
    let regs = load_text(
        r#"
[[registry]]
prefix = "*.example.com"
location = "proxy.com/cache"
[[registry]]
prefix = "*.other.com"
insecure = true
"#,
    );
    let e = regs.pull_endpoints(&r("a.example.com/x/y:1")).unwrap();
    assert_eq!(e[0].reference.to_string(), "proxy.com/cache/x/y:1");
    let e = regs.pull_endpoints(&r("a.other.com/x:1")).unwrap();
    assert_eq!(e[0].reference.to_string(), "a.other.com/x:1");
    assert_eq!(e[0].location, "a.other.com");
    assert!(e[0].insecure);
}

#[test]
fn a_mirror_location_keeps_its_trailing_slash_as_c_image_does() {
    let regs = load_text(
        "[[registry]]\nlocation = \"a.com\"\n[[registry.mirror]]\nlocation = \"m.com/\"\n",
    );
    let err = regs.pull_endpoints(&r("a.com/x:1")).unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        "rewriting reference: invalid reference format"
    );
}

#[test]
fn blocked_registries() {
    let f = Fixture::new();
    let conf = f.system(
        r#"
[[registry]]
location = "blocked.com"
blocked = true
[[registry.mirror]]
location = "open-mirror.com"
[[registry]]
location = "alone.com"
blocked = true
[[registry]]
prefix = "renamed.com/ns"
location = "elsewhere.com/ns"
blocked = true
"#,
    );
    let regs = f.load().unwrap();
    let user_dir = f.env.home.join(".config/containers/registries.conf.d");
    let msg = |prefix: &str| {
        format!(
            "registry {prefix} is blocked in {} or {}",
            conf.display(),
            user_dir.display()
        )
    };
    let err = regs.pull_endpoints(&r("alone.com/x:1")).unwrap_err();
    assert_eq!(format!("{err:#}"), msg("alone.com"));
    let err = regs.push_endpoint(&r("alone.com/x:1")).unwrap_err();
    assert_eq!(format!("{err:#}"), msg("alone.com"));
    // A mirror of a blocked registry still serves pulls.
    let e = regs.pull_endpoints(&r("blocked.com/x:1")).unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].location, "open-mirror.com");
    // c/image checks the name an endpoint is accessed by, i.e. after rewriting.
    let e = regs.pull_endpoints(&r("renamed.com/ns/x:1")).unwrap();
    assert_eq!(e[0].reference.to_string(), "elsewhere.com/ns/x:1");
    assert!(regs.push_endpoint(&r("renamed.com/ns/x:1")).is_err());
}

#[test]
fn malformed_files_name_the_path() {
    let err = load_text_err("x = [");
    assert!(err.starts_with("toml: line 1"), "{err}");
}

#[test]
fn unreadable_main_file_is_an_error() {
    let f = Fixture::new();
    fs::create_dir_all(f.env.etc.join("containers/registries.conf")).unwrap();
    let err = f.load_err();
    assert!(err.ends_with(": is a directory"), "{err}");
}
