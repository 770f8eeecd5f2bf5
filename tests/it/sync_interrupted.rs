//! An interrupted `sync --dest dir` cleans up what it staged, and a re-run completes even
//! after a SIGKILL left staging behind. The copy is held mid-blob by a proxy that stops
//! forwarding the first blob download; skopeo's sync of the same source is the oracle.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use crate::oci_concurrency::{kill, wait_exit, wait_for};
use crate::support::registry::{Proxy, ProxyMode, Registry};
use crate::support::*;
use crate::sync::{push_images, sync};

/// Every `.skiff-staging-*` directory under `dir`.
fn staging_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            if p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".skiff-staging-")
            {
                out.push(p.clone());
            }
            out.extend(staging_dirs(&p));
        }
    }
    out
}

#[test]
fn interrupted_sync_to_dir_cleans_up_and_a_rerun_completes() {
    let Some(reg) = Registry::start() else { return };
    if skopeo().is_none() {
        return;
    }
    push_images(&reg, "ns/app", &[("a", 61)], None);
    let t = tempfile::tempdir().unwrap();
    let args = ["--src", "docker", "--dest", "dir", "--src-tls-verify=false"];
    let theirs = t.path().join("theirs");
    ok(sync(skopeo().unwrap(), &args)
        .arg(format!("{}/ns/app", reg.host))
        .arg(&theirs));
    for signal in ["INT", "TERM", "KILL"] {
        let proxy = Proxy::start(reg.port, ProxyMode::StallFirstBlobAfter(100));
        let ours = t.path().join(format!("ours-{signal}"));
        let mut child = sync(skiff(), &args)
            .arg(format!("{}/ns/app", proxy.host()))
            .arg(&ours)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Mid-copy: a blob download has stalled, the image is being staged.
        wait_for("a stalled blob download", || {
            proxy.cuts.load(Ordering::SeqCst) > 0
        });
        wait_for("staging", || !staging_dirs(&ours).is_empty());
        kill(&child, signal);
        let status = wait_exit(&mut child, "skiff sync");
        assert!(!status.success(), "SIG{signal}");
        if signal == "KILL" {
            // Nothing can clean up after SIGKILL: the next run must cope.
            assert_eq!(staging_dirs(&ours).len(), 1);
        } else {
            assert_eq!(staging_dirs(&ours), Vec::<PathBuf>::new(), "SIG{signal}");
            assert!(!ours.join("app:a").exists(), "SIG{signal}");
        }
        ok(sync(skiff(), &args)
            .arg(format!("{}/ns/app", reg.host))
            .arg(&ours));
        assert_same_tree(&ours, &theirs);
    }
}
