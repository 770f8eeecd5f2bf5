//! `list-repos docker://REGISTRY` (not in skopeo): the registry's catalog, every page of it,
//! compared with what the registry answers to one large page.

use crate::support::registry::{Registry, http};
use crate::support::*;
use crate::sync::push_images;

#[test]
fn lists_every_page_of_the_catalog() {
    let Some(reg) = Registry::start() else { return };
    let repos = ["a/one", "a/two", "b/three", "c", "d/e/f"];
    for r in repos {
        push_images(&reg, r, &[("t", 41)], None);
    }
    let (status, body) = http(&reg.host, "GET", "/v2/_catalog?n=1000", &[], b"");
    assert_eq!(status, 200);
    let whole: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(whole["repositories"].as_array().unwrap().len(), repos.len());

    let mark = reg.log().len();
    let out = ok(skiff().args([
        "list-repos",
        "--tls-verify=false",
        "--page-size",
        "2",
        &format!("docker://{}", reg.host),
    ]));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        listed,
        serde_json::json!({"Registry": reg.host, "Repositories": whole["repositories"]})
    );
    // Go's encoder layout, as list-tags prints.
    assert!(
        stdout(&out).starts_with("{\n    \"Registry\": "),
        "{}",
        stdout(&out)
    );
    // Three pages of at most two names, each asked for as the Link header says.
    let pages: Vec<String> = reg.log()[mark..]
        .lines()
        .filter(|l| l.contains("\"GET /v2/_catalog"))
        .map(|l| l.split('"').nth(1).unwrap().to_string())
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages[0].starts_with("GET /v2/_catalog?n=2 "), "{pages:?}");
    assert!(pages[1].contains("last="), "{pages:?}");

    // Without --page-size: the registry's own page (one, here).
    let out = ok(skiff().args([
        "list-repos",
        "--tls-verify=false",
        &format!("docker://{}", reg.host),
    ]));
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed["Repositories"], whole["repositories"]);
}

#[test]
fn bad_registries_and_page_sizes_are_one_line() {
    for (args, msg) in [
        (
            vec!["docker://127.0.0.1:1/repo"],
            "Invalid registry \"docker://127.0.0.1:1/repo\": expected docker://HOST[:PORT], without a repository",
        ),
        (
            vec!["127.0.0.1:1"],
            "Invalid registry \"127.0.0.1:1\": expected docker://HOST[:PORT]",
        ),
        (
            vec!["--page-size", "0", "docker://127.0.0.1:1"],
            "Invalid --page-size \"0\": expected a whole number above 0",
        ),
        (
            vec!["--page-size", "x", "docker://127.0.0.1:1"],
            "Invalid --page-size \"x\": expected a whole number above 0",
        ),
    ] {
        let (code, stderr) = fails(skiff().arg("list-repos").args(&args));
        assert_eq!(code, 1);
        assert_eq!(fatal_message(&stderr), msg);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}
