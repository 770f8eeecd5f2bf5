//! Tests for the template engine. The case tables hold expected values produced by Go 1.19
//! and by the installed skopeo 1.9.3; `units.rs` covers the pieces on their own.

mod fuzz_cases;
mod fuzz_define_cases;
mod go_exec_cases;
mod go_printf_cases;
mod robust;
mod skopeo_cases;
mod units;

use super::*;
use std::collections::BTreeMap;

/// What skopeo 1.9.3 passes to the template for `skopeo inspect` of the `v2` image that
/// `crate::oracle_fixture` builds (recorded with another manifest digest): an
/// `inspect.Output` (see skopeo's cmd/skopeo/inspect/output.go for the fields).
pub(crate) fn skopeo_data() -> Value {
    let created =
        crate::gojson::parse_go_time("2026-11-22T04:42:31.938715174Z").expect("valid time");
    let labels: BTreeMap<String, Value> =
        [("a", "b"), ("io.buildah.version", "1.28.2"), ("x", "<y>&")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::from(v)))
            .collect();
    let layers = vec![
        "sha256:6f3b082e3181f258b6daaaa357d7c5d11a50e008de2e8e3de4014bf69a88b091",
        "sha256:7ef5a0e8e219ebacbb0df6bb331dcca94c6dbee45695527491fef4d585684a96",
    ];
    Value::typed(
        "inspect.Output",
        Value::structure([
            ("Name", Value::from("")),
            ("Tag", Value::from("")),
            (
                "Digest",
                Value::typed(
                    "digest.Digest",
                    "sha256:6699e863784b2bd8264448ce9f6ad51bdaf5a9dea1ddbca61bced6b67cf312ea",
                ),
            ),
            ("RepoTags", Value::typed("[]string", Value::List(vec![]))),
            ("Created", Value::typed("*time.Time", Value::Time(created))),
            ("DockerVersion", Value::from("")),
            (
                "Labels",
                Value::typed("map[string]string", Value::Map(labels)),
            ),
            ("Architecture", Value::from("amd64")),
            ("Os", Value::from("linux")),
            ("Layers", Value::typed("[]string", Value::from(layers))),
            (
                "Env",
                Value::typed("[]string", Value::from(vec!["FOO=bar"])),
            ),
        ]),
    )
}

fn iface(v: impl Into<Value>) -> Value {
    Value::typed("interface {}", v)
}

/// A Go `map[string]interface{}` matching the Go data the generic cases ran on.
pub(crate) fn generic_data() -> Value {
    let mut m = BTreeMap::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), iface(v));
    };
    put("s", "str".into());
    put("n", Value::Int(42));
    put("f", Value::Float(1.5));
    put("big", Value::Float(1e21));
    put("t", Value::Bool(true));
    put("z", Value::Int(0));
    put("e", "".into());
    put("nil", Value::Nil);
    let list = vec![
        iface(1),
        iface("two"),
        iface(3.5),
        iface(Value::Nil),
        iface(true),
    ];
    put("list", Value::List(list));
    put("strs", Value::from(vec!["a", "b", "c"]));
    put("ints", Value::typed("[]int", Value::from(vec![3i64, 1, 2])));
    let ints: BTreeMap<String, Value> = [("b", 2), ("a", 1)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::Int(v)))
        .collect();
    put("m", Value::typed("map[string]int", Value::Map(ints)));
    put("empty", Value::typed("[]string", Value::List(vec![])));
    put(
        "emap",
        Value::typed("map[string]string", Value::Map(BTreeMap::new())),
    );
    put(
        "st",
        Value::structure([
            ("A", Value::from("x")),
            ("B", Value::Int(7)),
            ("C", Value::from(vec!["p", "q"])),
        ]),
    );
    put("neg", Value::Int(-5));
    put("u", Value::Uint(7));
    put("uni", "héllo, 世界".into());
    Value::Map(m)
}

fn report_opts() -> Options {
    Options {
        report_funcs: true,
        ..Options::default()
    }
}

/// Runs (template, output, error) cases; `user` runs them as skopeo's `--format`.
fn run_cases(cases: &[(&str, &str, &str)], run: impl Fn(&str) -> (String, Option<TemplateError>)) {
    let mut failures = Vec::new();
    for (template, want_out, want_err) in cases {
        let (out, err) = run(template);
        let err = err.map(|e| e.to_string()).unwrap_or_default();
        if out != *want_out || err != *want_err {
            failures.push(format!(
                "template {template:?}\n   want {want_out:?} / {want_err:?}\n   got  {out:?} / {err:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn user(format: &str) -> (String, Option<TemplateError>) {
    let r = execute_user_format(format, &skopeo_data());
    (r.stdout, r.error)
}

fn generic(template: &str) -> (String, Option<TemplateError>) {
    execute_with(template, &generic_data(), &Options::default())
}

#[test]
fn skopeo_format_cases() {
    run_cases(skopeo_cases::SKOPEO_CASES, user);
}

#[test]
fn go_exec_cases() {
    run_cases(go_exec_cases::EXEC_CASES, generic);
}

#[test]
fn go_printf_cases() {
    run_cases(go_printf_cases::PRINTF_CASES, generic);
}

#[test]
fn report_func_cases() {
    run_cases(go_printf_cases::REPORT_CASES, |t| {
        execute_with(t, &generic_data(), &report_opts())
    });
}

#[test]
fn fuzz_cases() {
    run_cases(fuzz_cases::FUZZ_GENERIC, generic);
    run_cases(fuzz_cases::FUZZ_USER, user);
    run_cases(fuzz_define_cases::FUZZ_DEFINE, generic);
}

/// Runs `skopeo inspect [--config] --format F` on the layout `oracle_fixture` builds (the
/// image of `skopeo_data()`) and checks skopeo prints what the recorded tables say.
fn skopeo_disagreements(
    image: &str,
    digest: &str,
    config: bool,
    cases: &[(&str, &str, &str)],
) -> Vec<String> {
    let mut failures = Vec::new();
    for (format, want_out, want_err) in cases {
        let mut cmd = std::process::Command::new("skopeo");
        cmd.arg("inspect");
        if config {
            cmd.arg("--config");
        }
        let out = cmd
            .args(["--format", format, image])
            .output()
            .expect("skopeo");
        // The recorded digest, also as bare hex, is the fixture's here.
        let recorded_hex = &crate::oracle_fixture::RECORDED_DIGEST["sha256:".len()..];
        let fixture = |s: &str| s.replace(recorded_hex, &digest["sha256:".len()..]);
        let want_out = fixture(want_out);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // skopeo logs a failure as `... level=fatal msg="<Go-quoted text>"`.
        let err = stderr
            .lines()
            .rfind(|l| l.contains("level=fatal"))
            .and_then(|l| l.split_once(" msg=").map(|(_, m)| m.to_string()))
            .unwrap_or_default();
        let want_err = match (want_err.is_empty(), config) {
            (true, _) => String::new(),
            (false, false) => crate::gotext::go_quote(&fixture(want_err)),
            // `--config` wraps the template's error (as skiff's inspect does too).
            (false, true) => crate::gotext::go_quote(&format!(
                "Error writing OCI-formatted configuration data to standard output: {want_err}"
            )),
        };
        if stdout != want_out || err != want_err || out.status.success() != want_err.is_empty() {
            failures.push(format!(
                "format {format:?}\n   recorded {want_out:?} / {want_err}\n   skopeo   {stdout:?} / {stderr}"
            ));
        }
    }
    failures
}

#[test]
fn skopeo_oracle_agrees() {
    if !crate::oracle_fixture::skopeo_available("skopeo_oracle_agrees") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let digest = crate::oracle_fixture::build(dir.path());
    let image = format!("oci:{}:v2", dir.path().display());
    let mut failures = Vec::new();
    for cases in [
        skopeo_cases::SKOPEO_CASES,
        fuzz_cases::FUZZ_USER,
        units::REQUESTED_EXAMPLES,
    ] {
        failures.extend(skopeo_disagreements(&image, &digest, false, cases));
    }
    failures.extend(skopeo_disagreements(
        &image,
        &digest,
        true,
        units::CONFIG_CASES,
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
