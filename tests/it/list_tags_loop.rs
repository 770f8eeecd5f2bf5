//! `list-tags` against a registry whose `Link` pagination leads back to a page already read:
//! skiff stops with one line instead of following it forever (skopeo 1.9.3 loops).
//!
//! The registry here is a stand-in written in the test, because docker-registry never
//! produces such a loop; it answers only `/v2/` and the tag pages below.

use std::io::{BufRead, BufReader, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::*;

/// The page at `target` (path and query): its tags and the `Link` it sends, if any.
fn page(target: &str) -> Option<(&'static str, Option<&'static str>)> {
    Some(match target {
        "/v2/" => ("", None),
        // Points at itself.
        "/v2/loop/self/tags/list" => (r#"["a"]"#, Some("</v2/loop/self/tags/list>; rel=\"next\"")),
        // Two pages pointing at each other (the second by an absolute URL).
        "/v2/loop/pair/tags/list" => (
            r#"["a"]"#,
            Some("</v2/loop/pair/tags/list?last=a>; rel=\"next\""),
        ),
        "/v2/loop/pair/tags/list?last=a" => (
            r#"["b"]"#,
            Some("<http://elsewhere.invalid/v2/loop/pair/tags/list>; rel=\"next\""),
        ),
        // Ordinary pagination, still followed to its end.
        "/v2/fine/tags/list" => (
            r#"["a"]"#,
            Some("</v2/fine/tags/list?last=a>; rel=\"next\""),
        ),
        "/v2/fine/tags/list?last=a" => (r#"["b"]"#, None),
        _ => return None,
    })
}

/// Starts the stand-in; returns its port and a count of tag-page requests.
fn start() -> (u16, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let counter = counter.clone();
            std::thread::spawn(move || {
                let mut w = conn.try_clone().unwrap();
                let mut r = BufReader::new(conn);
                loop {
                    let mut line = String::new();
                    // A TLS hello (HTTPS is tried first) or a closed connection: hang up.
                    if r.read_line(&mut line).unwrap_or(0) == 0 || !line.starts_with("GET ") {
                        return;
                    }
                    loop {
                        let mut h = String::new();
                        if r.read_line(&mut h).unwrap_or(0) == 0 {
                            return;
                        }
                        if h == "\r\n" {
                            break;
                        }
                    }
                    let target = line.split_whitespace().nth(1).unwrap_or("");
                    let reply = match page(target) {
                        Some((tags, link)) => {
                            if target != "/v2/" {
                                counter.fetch_add(1, Ordering::SeqCst);
                            }
                            let body = if tags.is_empty() {
                                "{}".to_string()
                            } else {
                                format!(r#"{{"name":"x","tags":{tags}}}"#)
                            };
                            let link = link.map(|l| format!("Link: {l}\r\n")).unwrap_or_default();
                            format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{link}Content-Length: {}\r\n\r\n{body}",
                                body.len()
                            )
                        }
                        None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_string(),
                    };
                    if w.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, requests)
}

fn list_tags(port: u16, repo: &str) -> std::process::Command {
    let mut c = skiff();
    c.args([
        "list-tags",
        "--tls-verify=false",
        &format!("docker://127.0.0.1:{port}/{repo}"),
    ]);
    c
}

#[test]
fn link_loops_stop_with_one_line() {
    for (repo, pages, repeated) in [
        ("loop/self", 1, "/v2/loop/self/tags/list"),
        ("loop/pair", 2, "/v2/loop/pair/tags/list"),
    ] {
        let (port, requests) = start();
        let (code, err) = fails(&mut list_tags(port, repo));
        assert_eq!(code, 1, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            fatal_message(&err).ends_with(&format!(
                "the registry's Link header leads back to {repeated}, a page already read"
            )),
            "{err}"
        );
        assert_eq!(requests.load(Ordering::SeqCst), pages, "{repo}");
    }
    let (port, _) = start();
    let out = ok(&mut list_tags(port, "fine"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["Tags"], serde_json::json!(["a", "b"]));
}
