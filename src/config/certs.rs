//! TLS files for a registry: `--cert-dir`, else the first certs.d directory that exists for
//! the host, as containers/image chooses them:
//! `~/.config/containers/certs.d/HOST[:PORT]`, `/etc/containers/certs.d/HOST[:PORT]`,
//! `/etc/docker/certs.d/HOST[:PORT]` (the directory name is the host exactly as written in the
//! image name, with its port). Only the first existing directory is used.
//!
//! Within the directory (not recursively, in name order): `*.crt` are CA certificates;
//! `*.cert` are client certificates, each needing the `*.key` of the same base name and vice
//! versa.

use std::io;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};

use crate::config::registries::Env;
use crate::config::registries::env::{go_path_error, quote_path};
use crate::types::SystemContext;

/// CA certificates (`*.crt`) and client certificate/key pairs (`*.cert` + `*.key`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca_certs: Vec<PathBuf>,
    pub client_pairs: Vec<(PathBuf, PathBuf)>,
}

/// The TLS files for `host` (host[:port]).
pub fn tls_files(ctx: &SystemContext, host: &str) -> Result<TlsFiles> {
    tls_files_with_env(ctx, host, &Env::from_process())
}

/// [`tls_files`] with an explicit environment.
pub fn tls_files_with_env(ctx: &SystemContext, host: &str, env: &Env) -> Result<TlsFiles> {
    let dir = cert_dir(ctx, host, env)?;
    files_in(&dir)
}

/// The certs.d directories searched for `host`, in order.
pub fn cert_dir_candidates(host: &str, env: &Env) -> Vec<PathBuf> {
    vec![
        env.home.join(".config/containers/certs.d").join(host),
        env.etc.join("containers/certs.d").join(host),
        env.etc.join("docker/certs.d").join(host),
    ]
}

/// The directory to read: `--cert-dir`, else the first candidate that exists (a candidate
/// that cannot be examined for lack of permission is skipped; other errors are reported).
/// When none exists, the last candidate, which then yields no files.
pub fn cert_dir(ctx: &SystemContext, host: &str, env: &Env) -> Result<PathBuf> {
    if let Some(dir) = ctx
        .docker_cert_path
        .as_ref()
        .filter(|p| !p.as_os_str().is_empty())
    {
        return Ok(dir.clone());
    }
    let candidates = cert_dir_candidates(host, env);
    for dir in &candidates {
        match std::fs::metadata(dir) {
            Ok(_) => return Ok(dir.clone()),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied
                ) => {}
            Err(e) => return Err(anyhow!(go_path_error("stat", dir, &e))),
        }
    }
    Ok(candidates.last().cloned().unwrap_or_default())
}

/// The TLS files in one directory. A missing or unreadable directory has none.
pub fn files_in(dir: &Path) -> Result<TlsFiles> {
    tracing::debug!(
        target: "skiff::config",
        "Looking for TLS certificates and private keys in {}",
        dir.display()
    );
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied
            ) =>
        {
            return Ok(TlsFiles::default());
        }
        Err(e) => return Err(anyhow!(go_path_error("open", dir, &e))),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| anyhow!(go_path_error("readdirent", dir, &e)))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    let mut out = TlsFiles::default();
    for name in &names {
        let path = dir.join(name);
        if name.ends_with(".crt") {
            match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() => {
                    return Err(anyhow!("read {}: is a directory", path.display()));
                }
                Ok(_) => out.ca_certs.push(path.clone()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    // A dangling symbolic link, or a file removed meanwhile.
                    crate::error::warn(&format!(
                        "error reading certificate {}: {}",
                        quote_path(&path),
                        go_path_error("open", &path, &e)
                    ));
                }
                Err(e) => return Err(anyhow!(go_path_error("open", &path, &e))),
            }
        }
        if let Some(base) = name.strip_suffix(".cert") {
            let key = format!("{base}.key");
            if !names.contains(&key) {
                return Err(anyhow!(
                    "missing key {key} for client certificate {name}. Note that CA certificates should use the extension .crt"
                ));
            }
            out.client_pairs.push((path.clone(), dir.join(key)));
        }
        if let Some(base) = name.strip_suffix(".key") {
            let cert = format!("{base}.cert");
            if !names.contains(&cert) {
                return Err(anyhow!("missing client certificate {cert} for key {name}"));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn touch(dir: &Path, names: &[&str]) {
        fs::create_dir_all(dir).unwrap();
        for n in names {
            fs::write(dir.join(n), "x").unwrap();
        }
    }

    #[test]
    fn classifies_and_sorts_files() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        touch(
            d,
            &[
                "b.crt",
                "a.crt",
                "client.cert",
                "client.key",
                "README",
                "x.pem",
            ],
        );
        let f = files_in(d).unwrap();
        assert_eq!(f.ca_certs, vec![d.join("a.crt"), d.join("b.crt")]);
        assert_eq!(
            f.client_pairs,
            vec![(d.join("client.cert"), d.join("client.key"))]
        );
    }

    #[test]
    fn unpaired_client_files_are_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a");
        touch(&a, &["c.cert"]);
        assert_eq!(
            files_in(&a).unwrap_err().to_string(),
            "missing key c.key for client certificate c.cert. Note that CA certificates should use the extension .crt"
        );
        let b = tmp.path().join("b");
        touch(&b, &["c.key"]);
        assert_eq!(
            files_in(&b).unwrap_err().to_string(),
            "missing client certificate c.cert for key c.key"
        );
    }

    #[test]
    fn missing_directory_has_no_files() {
        assert_eq!(
            files_in(Path::new("/nonexistent/certs")).unwrap(),
            TlsFiles::default()
        );
    }

    #[test]
    fn dangling_ca_link_is_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::os::unix::fs::symlink(d.join("gone"), d.join("ca.crt")).unwrap();
        touch(d, &["ok.crt"]);
        assert_eq!(files_in(d).unwrap().ca_certs, vec![d.join("ok.crt")]);
    }

    #[test]
    fn first_existing_certs_d_directory_wins() {
        let tmp = tempfile::tempdir().unwrap();
        let env = Env::rooted(tmp.path());
        let ctx = SystemContext::default();
        let host = "reg.example.com:5000";
        let [user, etc_containers, etc_docker] =
            <[PathBuf; 3]>::try_from(cert_dir_candidates(host, &env)).unwrap();
        assert_eq!(
            user,
            env.home
                .join(".config/containers/certs.d/reg.example.com:5000")
        );
        assert_eq!(
            etc_docker,
            env.etc.join("docker/certs.d/reg.example.com:5000")
        );
        // None exists: no files.
        assert_eq!(
            tls_files_with_env(&ctx, host, &env).unwrap(),
            TlsFiles::default()
        );
        touch(&etc_docker, &["docker.crt"]);
        assert_eq!(
            tls_files_with_env(&ctx, host, &env).unwrap().ca_certs,
            vec![etc_docker.join("docker.crt")]
        );
        touch(&etc_containers, &["containers.crt"]);
        assert_eq!(
            tls_files_with_env(&ctx, host, &env).unwrap().ca_certs,
            vec![etc_containers.join("containers.crt")]
        );
        // An existing but empty user directory still wins: the directories are not merged.
        fs::create_dir_all(&user).unwrap();
        assert_eq!(
            tls_files_with_env(&ctx, host, &env).unwrap(),
            TlsFiles::default()
        );
        // The port is part of the directory name.
        assert_eq!(
            tls_files_with_env(&ctx, "reg.example.com", &env).unwrap(),
            TlsFiles::default()
        );
    }

    #[test]
    fn cert_dir_flag_replaces_the_search() {
        let tmp = tempfile::tempdir().unwrap();
        let env = Env::rooted(tmp.path());
        let host = "h:1";
        touch(&cert_dir_candidates(host, &env)[0], &["user.crt"]);
        let flag = tmp.path().join("flag");
        touch(&flag, &["flag.crt"]);
        let ctx = SystemContext {
            docker_cert_path: Some(flag.clone()),
            ..SystemContext::default()
        };
        assert_eq!(
            tls_files_with_env(&ctx, host, &env).unwrap().ca_certs,
            vec![flag.join("flag.crt")]
        );
    }

    #[test]
    fn a_file_in_the_way_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let env = Env::rooted(tmp.path());
        let certs_d = env.home.join(".config/containers/certs.d");
        fs::create_dir_all(certs_d.parent().unwrap()).unwrap();
        fs::write(&certs_d, "not a directory").unwrap();
        let err = tls_files_with_env(&SystemContext::default(), "h", &env).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("stat {}/h: not a directory", certs_d.display())
        );
    }
}
