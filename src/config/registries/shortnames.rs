//! Short-name aliases (`[aliases]` in registries.conf): validation with c/image's messages.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::reference::DockerReference;
use crate::reference::goutil::go_quote;

/// An alias's target, `None` when a file resets it with `""`, and the file that set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alias {
    pub value: Option<DockerReference>,
    pub origin: PathBuf,
}

fn is_registry(domain: &str) -> bool {
    domain.contains(['.', ':']) || domain == "localhost"
}

/// Checks the left-hand side of an alias: a repository name without registry, tag or digest.
pub fn validate_short_name(name: &str) -> Result<(), String> {
    let r = DockerReference::parse_unnormalized(name)
        .map_err(|e| format!("cannot parse short name: {}: {e}", go_quote(name)))?;
    if r.digest().is_some() {
        return Err(format!(
            "invalid short name {}: must not contain digest",
            go_quote(name)
        ));
    }
    if r.tag().is_some() {
        return Err(format!(
            "invalid short name {}: must not contain tag",
            go_quote(name)
        ));
    }
    if is_registry(r.domain()) {
        return Err(format!(
            "invalid short name {}: must not contain registry",
            go_quote(name)
        ));
    }
    Ok(())
}

/// Parses the right-hand side of an alias: a fully-qualified repository without tag or digest,
/// normalised (`docker.io/alpine` → `docker.io/library/alpine`).
pub fn parse_short_name_value(alias: &str) -> Result<DockerReference, String> {
    let r = DockerReference::parse_unnormalized(alias)
        .map_err(|e| format!("parsing alias {}: {e}", go_quote(alias)))?;
    if r.digest().is_some() {
        return Err(format!(
            "invalid alias {}: must not contain digest",
            go_quote(alias)
        ));
    }
    if r.tag().is_some() {
        return Err(format!(
            "invalid alias {}: must not contain tag",
            go_quote(alias)
        ));
    }
    if !is_registry(r.domain()) {
        return Err(format!(
            "invalid alias {}: must contain registry and repository",
            go_quote(alias)
        ));
    }
    DockerReference::parse_normalized_named(alias).map_err(|e| e.to_string())
}

/// Validates one file's aliases. Every malformed entry is reported, the later ones first,
/// joined by `"\n: "` as c/image chains them.
pub(super) fn alias_table(
    origin: &std::path::Path,
    entries: &[(String, String)],
) -> Result<BTreeMap<String, Alias>, String> {
    let mut out = BTreeMap::new();
    let mut errs = Vec::new();
    for (name, value) in entries {
        if let Err(e) = validate_short_name(name) {
            errs.push(e);
        }
        if value.is_empty() {
            out.insert(
                name.clone(),
                Alias {
                    value: None,
                    origin: origin.to_path_buf(),
                },
            );
            continue;
        }
        match parse_short_name_value(value) {
            Ok(r) => {
                out.insert(
                    name.clone(),
                    Alias {
                        value: Some(r),
                        origin: origin.to_path_buf(),
                    },
                );
            }
            Err(e) => errs.push(e),
        }
    }
    let mut errs = errs.into_iter();
    match errs.next() {
        None => Ok(out),
        Some(first) => Err(errs.fold(first, |acc, e| format!("{e}\n: {acc}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn short_names_are_checked() {
        assert!(validate_short_name("busybox").is_ok());
        assert!(validate_short_name("ns/busybox").is_ok());
        assert_eq!(
            validate_short_name("busybox:1").unwrap_err(),
            "invalid short name \"busybox:1\": must not contain tag"
        );
        assert_eq!(
            validate_short_name("quay.io/x").unwrap_err(),
            "invalid short name \"quay.io/x\": must not contain registry"
        );
        assert_eq!(
            validate_short_name("Foo").unwrap_err(),
            "cannot parse short name: \"Foo\": repository name must be lowercase"
        );
    }

    #[test]
    fn alias_values_are_checked_and_normalised() {
        assert_eq!(
            parse_short_name_value("docker.io/alpine")
                .unwrap()
                .to_string(),
            "docker.io/library/alpine"
        );
        assert_eq!(
            parse_short_name_value("x").unwrap_err(),
            "invalid alias \"x\": must contain registry and repository"
        );
        assert_eq!(
            parse_short_name_value("quay.io/x:1").unwrap_err(),
            "invalid alias \"quay.io/x:1\": must not contain tag"
        );
    }

    #[test]
    fn all_errors_are_reported_later_first() {
        let err = alias_table(
            Path::new("/r.conf"),
            &[("Foo".to_string(), "x".to_string())],
        )
        .unwrap_err();
        assert_eq!(
            err,
            "invalid alias \"x\": must contain registry and repository\n: cannot parse short name: \"Foo\": repository name must be lowercase"
        );
        let ok = alias_table(Path::new("/r.conf"), &[("a".into(), "".into())]).unwrap();
        assert_eq!(ok["a"].value, None);
    }
}
