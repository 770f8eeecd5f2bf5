use super::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use tempfile::TempDir;

/// A home, /etc and /run under a temporary directory, plus a `bin` directory for fake
/// credential helpers that is the only PATH helpers are looked up in.
struct Fx {
    dir: TempDir,
    env: Env,
}

const HELPER: &str = r#"#!/bin/sh
# A fake credential helper keeping one file per server under $STATE.
STATE="$(dirname "$0")/../state-NAME"
mkdir -p "$STATE"
input=$(cat)
echo "$1 $input" >> "$STATE/log"
case "$1" in
get)
  case "$input" in
    fail.example.com) echo "boom"; exit 3;;
  esac
  if [ -f "$STATE/$input" ]; then cat "$STATE/$input"; else echo "credentials not found in native keychain"; exit 1; fi;;
store)
  server=$(printf '%s' "$input" | sed 's/.*"ServerURL":"\([^"]*\)".*/\1/')
  user=$(printf '%s' "$input" | sed 's/.*"Username":"\([^"]*\)".*/\1/')
  secret=$(printf '%s' "$input" | sed 's/.*"Secret":"\([^"]*\)".*/\1/')
  printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\n' "$server" "$user" "$secret" > "$STATE/$server";;
erase)
  if [ -f "$STATE/$input" ]; then rm "$STATE/$input"; else echo "credentials not found in native keychain"; exit 1; fi;;
list)
  printf '{'; sep=''; for f in "$STATE"/*; do n=$(basename "$f"); [ "$n" = log ] && continue; printf '%s"%s":"u"' "$sep" "$n"; sep=','; done; printf '}';;
esac
"#;

impl Fx {
    fn new() -> Fx {
        let dir = tempfile::tempdir().unwrap();
        let mut env = Env::rooted(dir.path());
        let bin = dir.path().join("bin");
        fs::create_dir_all(&bin).unwrap();
        env.helper_path = Some(format!("{}:/usr/bin:/bin", bin.display()).into());
        fs::create_dir_all(&env.home).unwrap();
        Fx { dir, env }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, text).unwrap();
        p
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Installs `docker-credential-NAME`.
    fn helper(&self, name: &str) {
        let p = self.path(&format!("bin/docker-credential-{name}"));
        fs::write(&p, HELPER.replace("NAME", name)).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Puts credentials into a fake helper's store.
    fn helper_has(&self, name: &str, server: &str, user: &str, secret: &str) {
        self.write(
            &format!("state-{name}/{server}"),
            &format!(r#"{{"ServerURL":"{server}","Username":"{user}","Secret":"{secret}"}}"#),
        );
    }

    fn helper_log(&self, name: &str) -> String {
        fs::read_to_string(self.path(&format!("state-{name}/log"))).unwrap_or_default()
    }

    fn user(&self, ctx: &SystemContext, key: &str) -> Option<String> {
        get_login_with_env(ctx, &self.env, key).unwrap()
    }

    fn creds(&self, ctx: &SystemContext, key: &str) -> Credentials {
        get_credentials(ctx, &self.env, key).unwrap()
    }

    fn err(&self, ctx: &SystemContext, key: &str) -> String {
        format!("{:#}", get_credentials(ctx, &self.env, key).unwrap_err())
    }
}

fn ctx() -> SystemContext {
    SystemContext::default()
}

fn with_authfile(p: &Path) -> SystemContext {
    SystemContext {
        auth_file: Some(p.to_path_buf()),
        ..SystemContext::default()
    }
}

fn b64(s: &str) -> String {
    base64_std(s.as_bytes())
}

fn auths(entries: &[(&str, &str)]) -> String {
    let body: Vec<String> = entries
        .iter()
        .map(|(k, user)| format!(r#""{k}":{{"auth":"{}"}}"#, b64(&format!("{user}:pw"))))
        .collect();
    format!(r#"{{"auths":{{{}}}}}"#, body.join(","))
}

#[test]
fn files_are_read_in_c_image_order() {
    let mut fx = Fx::new();
    let k = "r.example.com";
    assert_eq!(fx.user(&ctx(), k), None);
    fx.write(
        "home/.dockercfg",
        &format!(r#"{{"{k}":{{"auth":"{}"}}}}"#, b64("legacy:pw")),
    );
    assert_eq!(fx.user(&ctx(), k).as_deref(), Some("legacy"));
    fx.write("home/.docker/config.json", &auths(&[(k, "docker")]));
    assert_eq!(fx.user(&ctx(), k).as_deref(), Some("docker"));
    fx.write(
        "home/.config/containers/auth.json",
        &auths(&[(k, "xdgconfig")]),
    );
    assert_eq!(fx.user(&ctx(), k).as_deref(), Some("xdgconfig"));
    fx.write(
        &format!("run/containers/{}/auth.json", fx.env.uid),
        &auths(&[(k, "run")]),
    );
    assert_eq!(fx.user(&ctx(), k).as_deref(), Some("run"));
    fx.env.xdg_runtime_dir = Some(fx.path("xdgrun"));
    fx.write("xdgrun/containers/auth.json", &auths(&[(k, "xdgrun")]));
    assert_eq!(fx.user(&ctx(), k).as_deref(), Some("xdgrun"));

    // --authfile is read alone.
    let af = fx.write("af.json", &auths(&[("other.example.com", "af")]));
    assert_eq!(fx.user(&with_authfile(&af), k), None);
    assert_eq!(
        fx.user(&with_authfile(&af), "other.example.com").as_deref(),
        Some("af")
    );
}

#[test]
fn environment_variables_move_the_files() {
    let mut fx = Fx::new();
    let k = "r.example.com";
    fx.write("home/.docker/config.json", &auths(&[(k, "homedocker")]));
    fx.write("dc/config.json", &auths(&[(k, "dockerconfig")]));
    fx.write(
        "home/.config/containers/auth.json",
        &auths(&[("x.example.com", "homexdg")]),
    );
    fx.write(
        "xc/containers/auth.json",
        &auths(&[("x.example.com", "xdgconfig")]),
    );
    assert_eq!(fx.user(&ctx(), k).as_deref(), Some("homedocker"));
    fx.env.docker_config = Some(fx.path("dc"));
    assert_eq!(fx.user(&ctx(), k).as_deref(), Some("dockerconfig"));
    assert_eq!(fx.user(&ctx(), "x.example.com").as_deref(), Some("homexdg"));
    fx.env.xdg_config_home = Some(fx.path("xc"));
    assert_eq!(
        fx.user(&ctx(), "x.example.com").as_deref(),
        Some("xdgconfig")
    );
}

#[test]
fn a_missing_xdg_runtime_dir_is_skipped_when_reading_and_an_error_when_writing() {
    let mut fx = Fx::new();
    fx.env.xdg_runtime_dir = Some(fx.path("nonexistent"));
    fx.write(
        "home/.docker/config.json",
        &auths(&[("r.example.com", "docker")]),
    );
    assert_eq!(fx.user(&ctx(), "r.example.com").as_deref(), Some("docker"));
    let err = remove_with_env(&ctx(), &fx.env, "r.example.com").unwrap_err();
    let dir = fx.path("nonexistent");
    assert_eq!(
        format!("{err:#}"),
        format!(
            "1 error occurred:\n\t* \"{0}\" directory set by $XDG_RUNTIME_DIR does not exist. Either create the directory or unset $XDG_RUNTIME_DIR.: stat {0}: no such file or directory\n\n",
            dir.display()
        )
    );
}

#[test]
fn the_most_specific_key_wins() {
    let fx = Fx::new();
    let af = fx.write(
        "a.json",
        &auths(&[
            ("q.io", "host"),
            ("q.io/ns", "namespace"),
            ("q.io/ns/repo", "repo"),
        ]),
    );
    let c = with_authfile(&af);
    assert_eq!(fx.user(&c, "q.io/ns/repo").as_deref(), Some("repo"));
    assert_eq!(fx.user(&c, "q.io/ns/repo/deeper").as_deref(), Some("repo"));
    assert_eq!(fx.user(&c, "q.io/ns/other").as_deref(), Some("namespace"));
    assert_eq!(fx.user(&c, "q.io/nsx/repo").as_deref(), Some("host"));
    assert_eq!(fx.user(&c, "q.io").as_deref(), Some("host"));
    assert_eq!(fx.user(&c, "q.io:5000/ns/repo"), None);
    let c2 = fx.creds(&c, "q.io/ns/repo");
    assert_eq!(c2.password, "pw");
    assert_eq!(
        lookup_with_env(&c, &fx.env, "q.io", Some("q.io/ns/x"))
            .unwrap()
            .unwrap()
            .username,
        "namespace"
    );
    assert_eq!(
        lookup_with_env(&c, &fx.env, "q.io", None)
            .unwrap()
            .unwrap()
            .username,
        "host"
    );
    assert_eq!(lookup_with_env(&c, &fx.env, "z.io", None).unwrap(), None);
}

#[test]
fn url_form_keys_are_normalised() {
    let fx = Fx::new();
    let af = fx.write(
        "a.json",
        &auths(&[
            ("https://index.docker.io/v1/", "hub"),
            ("http://old.example.com/v1/", "old"),
            ("plain.example.com/x", "plain"),
        ]),
    );
    let c = with_authfile(&af);
    assert_eq!(
        fx.user(&c, "docker.io/library/busybox").as_deref(),
        Some("hub")
    );
    assert_eq!(fx.user(&c, "docker.io").as_deref(), Some("hub"));
    assert_eq!(fx.user(&c, "registry-1.docker.io").as_deref(), Some("hub"));
    assert_eq!(fx.user(&c, "old.example.com/a/b").as_deref(), Some("old"));
    // A namespaced key without a scheme is not a URL: it only matches exactly.
    assert_eq!(fx.user(&c, "plain.example.com"), None);
}

#[test]
fn legacy_dockercfg_matches_by_registry_only() {
    let fx = Fx::new();
    fx.write(
        "home/.dockercfg",
        &format!(
            r#"{{"https://legacy.example.com/v1/":{{"auth":"{}","email":"x"}}}}"#,
            b64("legacy:pw")
        ),
    );
    assert_eq!(
        fx.user(&ctx(), "legacy.example.com/ns/repo").as_deref(),
        Some("legacy")
    );
}

#[test]
fn entries_decode_as_c_image_decodes_them() {
    let fx = Fx::new();
    let af = fx.write(
        "a.json",
        &format!(
            r#"{{"auths":{{
                "tok.io":{{"auth":"{}","identitytoken":"tok"}},
                "onlytoken.io":{{"identitytoken":"tok"}},
                "nul.io":{{"auth":"{}"}},
                "colon.io":{{"auth":"{}"}},
                "empty.io":{{}},
                "nocolon.io":{{"auth":"{}"}}
            }}}}"#,
            b64("u:p"),
            b64("u:p\0\0"),
            b64("u:p:with:colons"),
            b64("user")
        ),
    );
    let c = with_authfile(&af);
    assert_eq!(
        fx.creds(&c, "tok.io"),
        Credentials {
            username: "u".into(),
            password: "p".into(),
            identity_token: Some("tok".into())
        }
    );
    // Without "auth" the entry is empty, token or not.
    assert!(fx.creds(&c, "onlytoken.io").is_empty());
    assert_eq!(fx.creds(&c, "nul.io").password, "p");
    assert_eq!(fx.creds(&c, "colon.io").password, "p:with:colons");
    assert!(fx.creds(&c, "empty.io").is_empty());
    assert!(fx.creds(&c, "nocolon.io").is_empty());
}

#[test]
fn an_empty_entry_falls_through_to_later_files() {
    let fx = Fx::new();
    fx.write(
        &format!("run/containers/{}/auth.json", fx.env.uid),
        r#"{"auths":{"r.io":{}}}"#,
    );
    fx.write("home/.docker/config.json", &auths(&[("r.io", "docker")]));
    assert_eq!(fx.user(&ctx(), "r.io").as_deref(), Some("docker"));
}

#[test]
fn malformed_files_are_errors_with_go_texts() {
    let fx = Fx::new();
    let bad = fx.write("bad.json", "{\"auths\":");
    assert_eq!(
        fx.err(&with_authfile(&bad), "x.io"),
        format!(
            "1 error occurred:\n\t* reading JSON file \"{0}\": unmarshaling JSON at \"{0}\": unexpected end of JSON input\n\n",
            bad.display()
        )
    );
    let b = fx.write("b64.json", r#"{"auths":{"x.io":{"auth":"!!"}}}"#);
    assert_eq!(
        fx.err(&with_authfile(&b), "x.io"),
        "1 error occurred:\n\t* illegal base64 data at input byte 0\n\n"
    );
    let d = fx.path("dir.json");
    fs::create_dir_all(&d).unwrap();
    assert_eq!(
        fx.err(&with_authfile(&d), "x.io"),
        format!(
            "1 error occurred:\n\t* reading JSON file \"{0}\": read {0}: is a directory\n\n",
            d.display()
        )
    );
}

#[test]
fn flags_come_first_and_keys_are_validated() {
    let fx = Fx::new();
    let af = fx.write("a.json", &auths(&[("x.io", "file")]));
    let mut c = with_authfile(&af);
    c.credentials = Some(("flag".into(), "pw".into()));
    assert_eq!(fx.user(&c, "x.io").as_deref(), Some("flag"));
    c.credentials = None;
    c.no_creds = true;
    assert_eq!(lookup_with_env(&c, &fx.env, "x.io", None).unwrap(), None);
    assert_eq!(
        fx.err(&c, "x.io/a:b"),
        "key x.io/a:b contains a ':' character after host[:port]"
    );
}

#[test]
fn creds_store_is_asked_when_the_file_has_nothing_and_never_fails() {
    let fx = Fx::new();
    fx.helper("store");
    fx.helper_has("store", "docker.io", "storeuser", "s3");
    fx.helper_has("store", "h.io", "storeuser", "s3");
    // Docker Desktop's shape: an empty entry, the secret in the store.
    let af = fx.write(
        "a.json",
        &format!(
            r#"{{"auths":{{"https://index.docker.io/v1/":{{}},"h.io":{{"auth":"{}"}}}},"credsStore":"store"}}"#,
            b64("file:pw")
        ),
    );
    let c = with_authfile(&af);
    assert_eq!(
        fx.user(&c, "docker.io/library/busybox").as_deref(),
        Some("storeuser")
    );
    assert_eq!(
        fx.user(&c, "h.io").as_deref(),
        Some("file"),
        "the file wins"
    );
    assert!(fx.creds(&c, "nothing.io").is_empty());
    // A store that is not installed, or a credsStore that is not a string, is no error:
    // skopeo would not have looked.
    for store in [r#""nosuch""#, "5"] {
        let af = fx.write(
            "b.json",
            &format!(r#"{{"auths":{{}},"credsStore":{store}}}"#),
        );
        assert!(fx.creds(&with_authfile(&af), "x.io").is_empty(), "{store}");
    }
}

#[test]
fn cred_helpers_in_the_file() {
    let fx = Fx::new();
    fx.helper("test");
    fx.helper_has("test", "h.io", "helperuser", "s3");
    fx.helper_has("test", "tok.io", "<token>", "idtok");
    let af = fx.write(
        "a.json",
        &format!(
            r#"{{"auths":{{"h.io":{{"auth":"{}"}}}},"credHelpers":{{"h.io":"test","tok.io":"test","nf.io":"test","fail.example.com":"test","missing.io":"nosuch"}},"credsStore":"test"}}"#,
            b64("file:pw")
        ),
    );
    let c = with_authfile(&af);
    assert_eq!(
        fx.creds(&c, "h.io/ns/repo"),
        Credentials {
            username: "helperuser".into(),
            password: "s3".into(),
            identity_token: None
        }
    );
    assert_eq!(
        fx.creds(&c, "tok.io"),
        Credentials {
            identity_token: Some("idtok".into()),
            ..Credentials::default()
        }
    );
    assert_eq!(fx.user(&c, "tok.io"), None);
    assert!(fx.creds(&c, "nf.io").is_empty());
    assert_eq!(
        fx.err(&c, "fail.example.com"),
        "1 error occurred:\n\t* error getting credentials - err: exit status 3, out: `boom`\n\n"
    );
    assert_eq!(
        fx.err(&c, "missing.io"),
        "1 error occurred:\n\t* error getting credentials - err: exec: \"docker-credential-nosuch\": executable file not found in $PATH, out: ``\n\n"
    );
    // credsStore answers only for registries the file says nothing about (skopeo ignores
    // it; Docker asks it): other.io has nothing in the store either.
    assert!(fx.creds(&c, "other.io").is_empty());
    // The helper is asked for the registry, with the bare host on stdin.
    let log = fx.helper_log("test");
    assert!(log.starts_with("get h.io\n"), "{log}");
    assert!(
        log.ends_with("get other.io\n"),
        "asked as credsStore: {log}"
    );
}

#[test]
fn registries_conf_credential_helpers() {
    let fx = Fx::new();
    fx.helper("one");
    fx.helper("two");
    fx.helper_has("two", "r.io", "fromtwo", "pw");
    fx.write(
        "home/.docker/config.json",
        &auths(&[("r.io", "file"), ("f.io", "file")]),
    );
    fx.write(
        "etc/containers/registries.conf",
        "credential-helpers = [\"one\", \"two\", \"containers-auth.json\"]\n",
    );
    assert_eq!(fx.user(&ctx(), "r.io/ns").as_deref(), Some("fromtwo"));
    assert_eq!(fx.user(&ctx(), "f.io").as_deref(), Some("file"));
    fx.write(
        "etc/containers/registries.conf",
        "credential-helpers = [\"nosuch\"]\n",
    );
    assert_eq!(
        fx.err(&ctx(), "r.io"),
        "1 error occurred:\n\t* error getting credentials - err: exec: \"docker-credential-nosuch\": executable file not found in $PATH, out: ``\n\n"
    );
    fx.write("etc/containers/registries.conf", "credential-helpers = 5\n");
    assert!(
        fx.err(&ctx(), "r.io")
            .starts_with("loading registries configuration")
    );
}

#[test]
fn store_writes_c_image_format() {
    let mut fx = Fx::new();
    fx.env.xdg_runtime_dir = Some(fx.path("xdgrun"));
    fs::create_dir_all(fx.path("xdgrun")).unwrap();
    let creds = Credentials {
        username: "u".into(),
        password: "p".into(),
        identity_token: None,
    };
    let desc = store_with_env(&ctx(), &fx.env, "127.0.0.1:5000", &creds).unwrap();
    let file = fx.path("xdgrun/containers/auth.json");
    assert_eq!(desc, file.display().to_string());
    assert_eq!(
        fx.read("xdgrun/containers/auth.json"),
        "{\n\t\"auths\": {\n\t\t\"127.0.0.1:5000\": {\n\t\t\t\"auth\": \"dTpw\"\n\t\t}\n\t}\n}"
    );
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);
    assert_eq!(
        default_path_for(&fx.env),
        fx.path("xdgrun/containers/auth.json")
    );

    // Unknown fields are dropped, credHelpers and other entries kept, keys sorted.
    let af = fx.write(
        "a.json",
        r#"{"zzz":1,"auths":{"b.io":{"auth":"dTpw","foo":"bar"},"a.io/ns":{"auth":"dTI6cDI=","identitytoken":"tok"}},"credHelpers":{"h.io":"x"},"other":{"x":"<&>"}}"#,
    );
    fs::set_permissions(&af, fs::Permissions::from_mode(0o644)).unwrap();
    store_with_env(&with_authfile(&af), &fx.env, "c.io/ns/repo", &creds).unwrap();
    assert_eq!(
        fx.read("a.json"),
        "{\n\t\"auths\": {\n\t\t\"a.io/ns\": {\n\t\t\t\"auth\": \"dTI6cDI=\",\n\t\t\t\"identitytoken\": \"tok\"\n\t\t},\n\t\t\"b.io\": {\n\t\t\t\"auth\": \"dTpw\"\n\t\t},\n\t\t\"c.io/ns/repo\": {\n\t\t\t\"auth\": \"dTpw\"\n\t\t}\n\t},\n\t\"credHelpers\": {\n\t\t\"h.io\": \"x\"\n\t}\n}"
    );
    assert_eq!(mode(&af), 0o600);
    // No stray temporary files.
    assert_eq!(
        fs::read_dir(fx.dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".tmp")
            })
            .count(),
        0
    );

    // HTML characters are escaped as Go escapes them.
    let weird = Credentials {
        username: "<&>".into(),
        password: "p".into(),
        identity_token: None,
    };
    let af2 = fx.path("new/dir/w.json");
    store_with_env(&with_authfile(&af2), &fx.env, "w.io", &weird).unwrap();
    assert_eq!(
        fx.read("new/dir/w.json"),
        format!(
            "{{\n\t\"auths\": {{\n\t\t\"w.io\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}}\n\t}}\n}}",
            b64("<&>:p")
        )
    );
}

fn default_path_for(env: &Env) -> PathBuf {
    file::default_path(env).0
}

#[test]
fn default_path_without_xdg_runtime_dir() {
    let fx = Fx::new();
    assert_eq!(
        default_path_for(&fx.env),
        fx.path(&format!("run/containers/{}/auth.json", fx.env.uid))
    );
}

#[test]
fn store_uses_a_configured_helper() {
    let fx = Fx::new();
    fx.helper("test");
    let af = fx.write("a.json", r#"{"auths":{},"credHelpers":{"h.io":"test"}}"#);
    let before = fx.read("a.json");
    let creds = Credentials {
        username: "u".into(),
        password: "p".into(),
        identity_token: None,
    };
    let c = with_authfile(&af);
    store_with_env(&c, &fx.env, "h.io", &creds).unwrap();
    assert_eq!(fx.read("a.json"), before, "file untouched");
    assert_eq!(fx.user(&c, "h.io").as_deref(), Some("u"));
    assert!(
        fx.helper_log("test")
            .starts_with("store {\"ServerURL\":\"h.io\",\"Username\":\"u\",\"Secret\":\"p\"}\n")
    );
    // A namespaced key has no credHelpers entry of its own: it goes into the file.
    store_with_env(&c, &fx.env, "h.io/ns", &creds).unwrap();
    assert!(fx.read("a.json").contains("\"h.io/ns\""));
}

#[test]
fn store_with_registries_conf_helpers() {
    let fx = Fx::new();
    fx.helper("test");
    fx.write(
        "etc/containers/registries.conf",
        "credential-helpers = [\"test\"]\n",
    );
    let creds = Credentials {
        username: "u".into(),
        password: "p".into(),
        identity_token: None,
    };
    assert_eq!(
        store_with_env(&ctx(), &fx.env, "h.io", &creds).unwrap(),
        "credential helper: test"
    );
    assert_eq!(
        format!(
            "{:#}",
            store_with_env(&ctx(), &fx.env, "h.io/ns", &creds).unwrap_err()
        ),
        "1 error occurred:\n\t* namespaced key is not supported for credential helper test\n\n"
    );
    assert_eq!(
        remove_with_env(&ctx(), &fx.env, "h.io").unwrap(),
        Removed::Removed
    );
    assert_eq!(
        format!(
            "{:#}",
            remove_with_env(&ctx(), &fx.env, "h.io").unwrap_err()
        ),
        "1 error occurred:\n\t* removing credentials for h.io from credential helper test: error erasing credentials - err: exit status 1, out: `credentials not found in native keychain`\n\n"
    );
    assert_eq!(
        remove_with_env(&ctx(), &fx.env, "h.io/ns").unwrap(),
        Removed::NotLoggedIn
    );
}

#[test]
fn remove_rewrites_the_file() {
    let fx = Fx::new();
    let af = fx.write(
        "a.json",
        &format!(
            r#"{{"zzz":1,"auths":{{"b.io":{{"auth":"{0}"}},"a.io/ns":{{"auth":"{0}"}}}}}}"#,
            b64("u:p")
        ),
    );
    let c = with_authfile(&af);
    assert_eq!(
        remove_with_env(&c, &fx.env, "b.io").unwrap(),
        Removed::Removed
    );
    let after = format!(
        "{{\n\t\"auths\": {{\n\t\t\"a.io/ns\": {{\n\t\t\t\"auth\": \"{}\"\n\t\t}}\n\t}}\n}}",
        b64("u:p")
    );
    assert_eq!(fx.read("a.json"), after);
    assert_eq!(
        remove_with_env(&c, &fx.env, "b.io").unwrap(),
        Removed::NotLoggedIn
    );
    // Not the parent of a namespaced key either.
    assert_eq!(
        remove_with_env(&c, &fx.env, "a.io").unwrap(),
        Removed::NotLoggedIn
    );
    assert_eq!(
        format!(
            "{:#}",
            remove_with_env(&c, &fx.env, "a.io/x@sha256:1").unwrap_err()
        ),
        "key a.io/x@sha256:1 contains a '@' character"
    );
    // The default file is created when missing.
    let mut env = fx.env.clone();
    env.xdg_runtime_dir = Some(fx.path("xdgrun"));
    fs::create_dir_all(fx.path("xdgrun")).unwrap();
    assert_eq!(
        remove_with_env(&ctx(), &env, "x.io").unwrap(),
        Removed::NotLoggedIn
    );
    assert_eq!(
        fx.read("xdgrun/containers/auth.json"),
        "{\n\t\"auths\": {}\n}"
    );
}

#[test]
fn remove_through_the_files_cred_helper() {
    let fx = Fx::new();
    fx.helper("test");
    fx.helper_has("test", "h.io", "u", "p");
    let af = fx.write(
        "a.json",
        &format!(r#"{{"auths":{{"nf.io":{{"auth":"{}"}}}},"credHelpers":{{"h.io":"test","nf.io":"test"}}}}"#, b64("u:p")),
    );
    let c = with_authfile(&af);
    assert_eq!(
        remove_with_env(&c, &fx.env, "h.io").unwrap(),
        Removed::Removed
    );
    let err = remove_with_env(&c, &fx.env, "nf.io").unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        format!(
            "1 error occurred:\n\t* updating \"{}\": removing credentials for nf.io from credential helper test: error erasing credentials - err: exit status 1, out: `credentials not found in native keychain`\n\n",
            af.display()
        )
    );
    assert!(
        fx.read("a.json").contains("nf.io"),
        "not written after an error"
    );
}

#[test]
fn remove_all_clears_files_and_helpers() {
    let fx = Fx::new();
    fx.helper("test");
    fx.helper("conf");
    fx.helper_has("test", "h.io", "u", "p");
    fx.helper_has("conf", "c1.io", "u", "p");
    fx.helper_has("conf", "c2.io", "u", "p");
    fx.write(
        "etc/containers/registries.conf",
        "credential-helpers = [\"containers-auth.json\", \"conf\", \"absent\"]\n",
    );
    let af = fx.write(
        "a.json",
        &format!(
            r#"{{"auths":{{"a.io":{{"auth":"{}"}}}},"credHelpers":{{"h.io":"test"}},"x":1}}"#,
            b64("u:p")
        ),
    );
    remove_all_with_env(&with_authfile(&af), &fx.env).unwrap();
    assert_eq!(fx.read("a.json"), "{\n\t\"auths\": {}\n}");
    assert!(fx.helper_log("test").contains("erase h.io"));
    let conf_log = fx.helper_log("conf");
    assert!(
        conf_log.contains("list")
            && conf_log.contains("erase c1.io")
            && conf_log.contains("erase c2.io"),
        "{conf_log}"
    );
}

#[test]
fn multierror_format() {
    assert_eq!(multierror(&["a".into()]), "1 error occurred:\n\t* a\n\n");
    assert_eq!(
        multierror(&["a".into(), "b".into()]),
        "2 errors occurred:\n\t* a\n\t* b\n\n"
    );
}

#[test]
fn check_auth_file_wording() {
    assert_eq!(
        check_auth_file(Path::new("/nonexistent/a.json"))
            .unwrap_err()
            .to_string(),
        "checking authfile: stat /nonexistent/a.json: no such file or directory"
    );
    assert!(check_auth_file(Path::new("/")).is_ok());
}
