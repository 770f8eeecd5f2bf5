//! Credentials, registries.conf and certs.d against skopeo 1.9.3, where skopeo's behaviour can
//! be seen without a registry: the files `logout` leaves behind, what `login --get-login`
//! finds and its errors, the errors and endpoints registries.conf produces (visible in the
//! messages of a pull from a closed port), and certs.d discovery.
//!
//! Every run uses a private HOME and XDG_RUNTIME_DIR, for skopeo and skiff alike; both are run
//! as programs, with the same arguments, and their outputs compared.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

/// A private home and runtime directory, and a `bin` with a fake credential helper.
struct Sandbox {
    dir: tempfile::TempDir,
}

const HELPER: &str = r#"#!/bin/sh
input=$(cat)
case "$1" in
get) case "$input" in
  h1.example.com) echo '{"ServerURL":"h1.example.com","Username":"helperuser","Secret":"s3"}';;
  tok.example.com) echo '{"ServerURL":"tok.example.com","Username":"<token>","Secret":"idtok"}';;
  fail.example.com) echo 'boom failure'; exit 3;;
  *) echo 'credentials not found in native keychain'; exit 1;;
  esac;;
erase) case "$input" in h1.example.com) exit 0;; *) echo 'credentials not found in native keychain'; exit 1;; esac;;
list) echo '{"h1.example.com":"helperuser"}';;
esac
"#;

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        for d in ["home", "run", "bin", "files"] {
            fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        let helper = dir.path().join("bin/docker-credential-test");
        fs::write(&helper, HELPER).unwrap();
        fs::set_permissions(&helper, fs::Permissions::from_mode(0o755)).unwrap();
        Sandbox { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn search_path(&self) -> String {
        format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    /// skopeo in the sandbox.
    fn skopeo(&self) -> Option<Command> {
        Some(self.sandboxed(skopeo()?))
    }

    /// skiff in the same sandbox.
    fn skiff(&self) -> Command {
        self.sandboxed(skiff())
    }

    fn sandboxed(&self, mut c: Command) -> Command {
        c.env("HOME", self.path("home"))
            .env("XDG_RUNTIME_DIR", self.path("run"))
            .env("PATH", self.search_path())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("DOCKER_CONFIG")
            .env_remove("CONTAINERS_REGISTRIES_CONF")
            .env_remove("REGISTRIES_CONFIG_PATH");
        c
    }

    /// What both print for the same arguments: (skiff's, skopeo's).
    fn both(&self, args: &[&std::ffi::OsStr]) -> (Result<String, String>, Result<String, String>) {
        let ours = outcome(self.skiff().args(args));
        let theirs = outcome(self.skopeo().unwrap().args(args));
        (ours, theirs)
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, text).unwrap();
        p
    }
}

/// Undoes Go's `%q` quoting of a logrus message.
fn go_unquote(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('x') => {
                let h: String = chars.by_ref().take(2).collect();
                out.push(char::from(u8::from_str_radix(&h, 16).unwrap()));
            }
            Some('u') => {
                let h: String = chars.by_ref().take(4).collect();
                out.push(char::from_u32(u32::from_str_radix(&h, 16).unwrap()).unwrap());
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// skopeo's fatal message, fully unquoted.
fn skopeo_error(stderr: &str) -> String {
    let line = stderr
        .lines()
        .rfind(|l| l.contains("level=fatal"))
        .unwrap_or_else(|| panic!("no fatal line in {stderr:?}"));
    let msg = line.split_once("msg=").map(|(_, m)| m).unwrap_or("");
    match msg.strip_prefix('"').and_then(|m| m.strip_suffix('"')) {
        Some(q) => go_unquote(q),
        None => msg.to_string(),
    }
}

/// What skopeo (or skiff) printed: stdout on success, else the fatal message.
fn outcome(cmd: &mut Command) -> Result<String, String> {
    let out = run(cmd);
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
    } else {
        Err(skopeo_error(&String::from_utf8_lossy(&out.stderr)))
    }
}

const FILES: &[(&str, &str)] = &[
    (
        "extras",
        r#"{"zzz": 1, "auths": {"b.example.com": {"auth": "dTpw", "foo": "bar"}, "a.example.com/ns": {"auth":"dTI6cDI=", "identitytoken":"tok"}, "127.0.0.1:1/x": {}}, "credHelpers": {}, "other": {"x": "<&>"}}"#,
    ),
    (
        "escaping",
        r#"{"auths": {"b.example.com": {"auth": "dTpw"}, "x&y<z>.example.com": {"auth": "dTpw"}, "ünï.example.com": {"auth": "dTpw"}, "a\u2028b": {"auth": "dTpw"}}}"#,
    ),
    (
        "helpers",
        r#"{"auths": {"b.example.com": {"auth": "dTpw"}}, "credHelpers": {"h1.example.com": "test", "z.example.com": "test"}, "credsStore": "test"}"#,
    ),
    ("empty", r#"{}"#),
    (
        "nullauths",
        r#"{"auths": null, "Auths": {"b.example.com": {"Auth": "dTpw"}}}"#,
    ),
];

#[test]
fn logout_leaves_the_same_file_as_skopeo() {
    let sb = Sandbox::new();
    if sb.skopeo().is_none() {
        return;
    }
    for (name, text) in FILES {
        for key in [
            "b.example.com",
            "h1.example.com",
            "127.0.0.1:1",
            "a.example.com/ns",
        ] {
            let theirs = sb.write(&format!("files/{name}-{key}-skopeo.json"), text);
            let ours = sb.write(&format!("files/{name}-{key}-skiff.json"), text);
            let skopeo_says = outcome(
                sb.skopeo()
                    .unwrap()
                    .args(["logout", "--authfile"])
                    .arg(&theirs)
                    .arg(key),
            );
            let skiff_says = outcome(
                sb.skiff()
                    .args(["logout", "--authfile"])
                    .arg(&ours)
                    .arg(key),
            );
            let skopeo_says = skopeo_says.map_err(|e| e.replace("-skopeo.json", "-skiff.json"));
            assert_eq!(skiff_says, skopeo_says, "{name} / {key}");
            assert_eq!(
                fs::read_to_string(&ours).unwrap(),
                fs::read_to_string(&theirs).unwrap(),
                "{name} / {key}: files differ"
            );
            let mode = fs::metadata(&ours).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}

#[test]
fn logout_all_leaves_the_same_file_as_skopeo() {
    let sb = Sandbox::new();
    if sb.skopeo().is_none() {
        return;
    }
    for (name, text) in FILES {
        let theirs = sb.write(&format!("files/{name}-all-skopeo.json"), text);
        let ours = sb.write(&format!("files/{name}-all-skiff.json"), text);
        let skopeo_says = outcome(
            sb.skopeo()
                .unwrap()
                .args(["logout", "--all", "--authfile"])
                .arg(&theirs),
        );
        let skiff_says = outcome(
            sb.skiff()
                .args(["logout", "--all", "--authfile"])
                .arg(&ours),
        );
        let skopeo_says = skopeo_says.map_err(|e| e.replace("-skopeo.json", "-skiff.json"));
        assert_eq!(skiff_says, skopeo_says, "{name}");
        assert_eq!(
            fs::read_to_string(&ours).unwrap(),
            fs::read_to_string(&theirs).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn logout_of_the_default_file_creates_it_as_skopeo_does() {
    let sb = Sandbox::new();
    let Some(mut s) = sb.skopeo() else {
        return;
    };
    let theirs_said = outcome(s.args(["logout", "127.0.0.1:1"]));
    let theirs = fs::read(sb.path("run/containers/auth.json")).unwrap();
    fs::remove_dir_all(sb.path("run/containers")).unwrap();
    let ours_said = outcome(sb.skiff().args(["logout", "127.0.0.1:1"]));
    assert_eq!(ours_said, theirs_said);
    assert_eq!(
        fs::read(sb.path("run/containers/auth.json")).unwrap(),
        theirs
    );
    let mode = fs::metadata(sb.path("run/containers"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700);
}

/// `login --get-login --authfile FILE ARG`, as (skiff's, skopeo's) outcomes.
fn get_login_both(
    sb: &Sandbox,
    file: &Path,
    arg: &str,
) -> (Result<String, String>, Result<String, String>) {
    sb.both(&[
        "login".as_ref(),
        "--get-login".as_ref(),
        "--authfile".as_ref(),
        file.as_os_str(),
        arg.as_ref(),
    ])
}

#[test]
fn get_login_finds_what_skopeo_finds() {
    let sb = Sandbox::new();
    if sb.skopeo().is_none() {
        return;
    }
    let file = sb.write(
        "files/login.json",
        r#"{"auths": {
            "h.example.com:5000": {"auth": "dTpw"},
            "docker.io/vendor": {"auth": "dmVuZG9yOnB3"},
            "q.example.com": {"auth": "aG9zdDpwdw=="},
            "q.example.com/ns": {"auth": "bnM6cHc="},
            "q.example.com/ns/repo": {"auth": "cmVwbzpwdw=="},
            "https://index.docker.io/v1/": {"auth": "aHViOnB3"},
            "http://old.example.com/v1/": {"auth": "b2xkOnB3"},
            "nocolon.example.com": {"auth": "dXNlcg=="},
            "token.example.com": {"identitytoken": "t"},
            "nul.example.com": {"auth": "dTpwAAA="}
          },
          "credHelpers": {"h1.example.com": "test", "tok.example.com": "test", "fail.example.com": "test", "nf.example.com": "test"}}"#,
    );
    let args = [
        "h.example.com:5000",
        "https://h.example.com:5000/v2/",
        "http://h.example.com:5000",
        "h.example.com:5000/ns/repo:tag",
        "h.example.com/Upper",
        "docker.io/vendor",
        "docker.io/vendor/x",
        "docker.io/library/busybox",
        "docker.io",
        "vendor/x",
        "h@sha256:aaaa",
        "h.example.com/ns@sha256:0123456789012345678901234567890123456789012345678901234567890123",
        "https://",
        "https://[bad",
        "h.example.com:5000/",
        "q.example.com",
        "q.example.com/ns",
        "q.example.com/ns/repo",
        "q.example.com/ns/other",
        "q.example.com/nsx/repo",
        "old.example.com",
        "nocolon.example.com",
        "token.example.com",
        "nul.example.com",
        "h1.example.com",
        "h1.example.com/ns/repo",
        "tok.example.com",
        "fail.example.com",
        "nf.example.com",
        "missing.example.com",
    ];
    for arg in args {
        let (ours, theirs) = get_login_both(&sb, &file, arg);
        assert_eq!(ours, theirs, "for {arg:?}");
    }
}

#[test]
fn broken_auth_files_fail_as_skopeo_fails() {
    let sb = Sandbox::new();
    if sb.skopeo().is_none() {
        return;
    }
    let cases = [
        "",
        "\n",
        "{\"auths\":",
        "{} xx",
        "{\"auths\":{\"x\":{\"auth\":\"dTpw\",}}}",
        "[]",
        "\"s\"",
        "{\"auths\":[]}",
        "{\"auths\":{\"x\":5}}",
        "{\"auths\":{\"x\":{\"auth\":\"dTpw\", \"identitytoken\": 5}}}",
        "{\"credHelpers\":{\"x\":true}}",
        "{\"credHelpers\":[]}",
        "{\"auths\":{\"x\":{\"auth\":\"!!\"}}}",
        "{\"auths\":{\"x\":{\"auth\":\"dTp\"}}}",
        "{\"auths\":{\"x\":{\"auth\":\"dTpwd\"}}}",
        "{\"auths\":{\"x\":{\"auth\":\"dX=\"}}}",
        "{\"auths\":{\"x\":{\"auth\":\"dXM=x\"}}}",
        "{\"auths\":{\"x\":{\"auth\":\"d===\"}}}",
        "{\"auths\":{\"x\":{\"auth\":\"dT\\npw\"}}}",
        "{\"auths\":{\"x\":{\"auth\":\"dTpw\"}}, \"auths\":{\"y\":{\"auth\":\"dTpw\"}}}",
        "{\"Auths\":{\"x\":{\"AUTH\":\"dTpw\"}}}",
        "{\"auths\":{\"x\":{\"auth\":\"dTpw\"}}} \n",
        "tru",
        "{\"a\":tr",
        "{\"a\":-",
        "{\"a\":1.",
        "{\"a\":1e+",
        "{\"a\":\"x\\",
        "{\"a\":\"\\u12",
        "{\"a\":\"abc",
        "{\"a\":12",
        "\"\\ud800\"",
        "{\"a\":\"\x01\"}",
        "\u{1}",
        "\u{e9}",
        "{\"a\":-}",
        "{\"a\":1.}",
        "{\"a\":\"\\q\"}",
        "{\"a\" 1}",
        "[1 2]",
    ];
    for (i, text) in cases.iter().enumerate() {
        let file = sb.write(&format!("files/broken-{i}.json"), text);
        let (ours, theirs) = get_login_both(&sb, &file, "x");
        assert_eq!(ours, theirs, "for {text:?}");
    }
}

/// The message a tool gives when inspecting `name` with `conf` as registries.conf (and
/// `extra` arguments); the registry is a closed local port, so every endpoint fails quickly
/// and is named.
fn pull_error(mut tool: Command, conf: &Path, name: &str, extra: &[&str]) -> String {
    let out = run(tool
        .arg("--registries-conf")
        .arg(conf)
        .args(["inspect", "--retry-times", "0"])
        .args(extra)
        .arg(format!("docker://{name}")));
    assert!(!out.status.success(), "{tool:?}");
    let msg = skopeo_error(&String::from_utf8_lossy(&out.stderr));
    let prefix = format!("Error parsing image name \"docker://{name}\": ");
    msg.strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{msg}"))
        .to_string()
}

/// [`pull_error`] of skiff and of skopeo 1.9.3, run alike.
fn pull_errors(sb: &Sandbox, conf: &Path, name: &str, extra: &[&str]) -> (String, String) {
    (
        pull_error(sb.skiff(), conf, name, extra),
        pull_error(sb.skopeo().unwrap(), conf, name, extra),
    )
}

#[test]
fn registries_conf_errors_match_skopeo() {
    let sb = Sandbox::new();
    if sb.skopeo().is_none() {
        return;
    }
    let confs = [
        "[[registry]]\nlocation = \"127.0.0.1:1\"\ninsecure = \"yes\"",
        "[[registry]]\nlocation = 5",
        "[[registry]]\nlocation = \"a\"\nmirror = \"x\"",
        "unqualified-search-registries = \"a\"",
        "unqualified-search-registries = [1]",
        "registry = \"x\"",
        "registry = [\"x\"]",
        "registry = [{location=\"a\", mirror=[1]}]",
        "registry = [{location=true}]",
        "[registry]\nlocation = \"a\"",
        "[aliases]\na = 5",
        "registries = 5",
        "[registries]\nsearch = 5",
        "[registries.search]\nregistries = \"a\"",
        "credential-helpers = \"x\"",
        "short-name-mode = 1",
        "short-name-mode = \"bad\"",
        "[registries.search]\nregistries = [\"a.com\"]\n[[registry]]\nlocation=\"b\"",
        "unqualified-search-registries = [\"http://a.com\"]",
        "unqualified-search-registries = [\"a.com/ns\"]",
        "[aliases]\n\"Foo\" = \"x\"",
        "[aliases]\n\"foo\" = \"a.com/x:1\"",
        "[[registry]]\nlocation = \"127.0.0.1:1\"\n[[registry.mirror]]\nlocation = \"\"",
        "[[registry]]\nprefix = \"*.example.com/x\"\nlocation = \"a\"",
        "[[registry]]\ninsecure = true",
        "[[registry]]\nprefix = \"a.com\"",
        "[[registry]]\nlocation = \"a.com\"\npull-from-mirror = \"all\"",
        "[[registry]]\nlocation = \"a.com\"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = \"m.com\"\npull-from-mirror = \"all\"",
        "[[registry]]\nlocation = \"a.com\"\n[[registry.mirror]]\nlocation = \"m.com\"\npull-from-mirror = \"x\"",
        "[[registry]]\nlocation = \"a.com\"\ninsecure = true\n[[registry]]\nprefix = \"x.com\"\nlocation = \"a.com\"",
    ];
    for (i, text) in confs.iter().enumerate() {
        let conf = sb.write(&format!("files/r{i}.conf"), text);
        let (ours, theirs) = pull_errors(&sb, &conf, "127.0.0.1:1/ns/x:latest", &[]);
        assert!(
            theirs.starts_with("loading registries configuration"),
            "{text:?}: {theirs}"
        );
        assert_eq!(ours, theirs, "for {text:?}");
    }
    let missing = sb.path("files/none.conf");
    let (ours, theirs) = pull_errors(&sb, &missing, "127.0.0.1:1/ns/x:latest", &[]);
    assert_eq!(ours, theirs);
}

#[test]
fn blocked_registries_and_dropins_match_skopeo() {
    let sb = Sandbox::new();
    if sb.skopeo().is_none() {
        return;
    }
    let conf = sb.write(
        "files/blocked.conf",
        "[[registry]]\nlocation = \"127.0.0.1:1\"\nblocked = true\n",
    );
    let name = "127.0.0.1:1/ns/x:latest";
    let (ours, theirs) = pull_errors(&sb, &conf, name, &[]);
    assert!(theirs.contains("blocked"), "{theirs}");
    assert_eq!(ours, theirs);

    // A user drop-in overrides the entry (skopeo reads it beside an explicit file).
    let dropin = sb.write(
        "home/.config/containers/registries.conf.d/50-unblock.conf",
        "[[registry]]\nlocation = \"127.0.0.1:1\"\nblocked = false\n[[registry]]\nlocation = \"127.0.0.1:2\"\nblocked = true\n",
    );
    let (ours, theirs) = pull_errors(&sb, &conf, name, &[]);
    assert!(
        theirs.starts_with("pinging container registry 127.0.0.1:1"),
        "{theirs}"
    );
    assert_eq!(ours, theirs);
    let (ours, theirs) = pull_errors(&sb, &conf, "127.0.0.1:2/x:1", &[]);
    assert!(theirs.contains("blocked"), "{theirs}");
    assert_eq!(ours, theirs);

    // Drop-ins must be v2.
    fs::write(&dropin, "[registries.search]\nregistries = [\"a.com\"]\n").unwrap();
    let (ours, theirs) = pull_errors(&sb, &conf, name, &[]);
    assert!(
        theirs.starts_with("loading registries configuration"),
        "{theirs}"
    );
    assert_eq!(ours, theirs);
}

#[test]
fn mirrors_and_prefixes_are_tried_as_skopeo_tries_them() {
    let sb = Sandbox::new();
    if sb.skopeo().is_none() {
        return;
    }
    let conf = sb.write(
        "files/mirrors.conf",
        r#"
[[registry]]
prefix = "127.0.0.1:1/ns"
location = "127.0.0.1:1/other"
[[registry.mirror]]
location = "127.0.0.1:2/m"
[[registry.mirror]]
location = "127.0.0.1:3"
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "127.0.0.1:4/t"
pull-from-mirror = "tag-only"
"#,
    );
    let digest = "sha256:0123456789012345678901234567890123456789012345678901234567890123";
    for name in [
        "127.0.0.1:1/ns/x:latest".to_string(),
        format!("127.0.0.1:1/ns/x@{digest}"),
        "127.0.0.1:1/nsx/y:1".to_string(),
    ] {
        // Each tool names every endpoint it tried, mirrors first, in its message.
        let (ours, theirs) = pull_errors(&sb, &conf, &name, &[]);
        assert!(theirs.contains("pinging container registry"), "{theirs}");
        assert_eq!(ours, theirs, "{name}");
    }
}

#[test]
fn certs_d_discovery_matches_skopeo() {
    let sb = Sandbox::new();
    if sb.skopeo().is_none() {
        return;
    }
    let name = "127.0.0.1:1/ns/x:latest";
    let conf = sb.write("files/empty.conf", "");
    // --cert-dir with a client certificate lacking its key.
    let dir = sb.path("certdir");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("c.cert"), "x").unwrap();
    let cert_dir = ["--cert-dir", dir.to_str().unwrap()];
    let (ours, theirs) = pull_errors(&sb, &conf, name, &cert_dir);
    assert!(theirs.contains("c.key"), "{theirs}");
    assert_eq!(ours, theirs);

    // The user's certs.d directory for host:port is found.
    let user = sb.path("home/.config/containers/certs.d/127.0.0.1:1");
    fs::create_dir_all(&user).unwrap();
    fs::write(user.join("k.key"), "x").unwrap();
    let (ours, theirs) = pull_errors(&sb, &conf, name, &[]);
    assert!(theirs.contains("k.cert"), "{theirs}");
    assert_eq!(ours, theirs);
    // A directory without the port is not used: both just fail to connect.
    let (ours, theirs) = pull_errors(&sb, &conf, "127.0.0.1/ns/x:latest", &[]);
    assert!(theirs.starts_with("pinging container registry"), "{theirs}");
    assert_eq!(ours, theirs);
}
