//! Which manifest (and list) type to write, and what to try next when a destination rejects
//! it — c/image's order of preference.

use anyhow::{Result, bail};

use crate::manifest::media_type as mt;
use crate::manifest::normalized_mime_type;

/// Types tried after the source's own, when it cannot be kept: schema 2 first (it survives
/// moving to another repository unchanged), then signed schema 1.
const PREFERRED: [&str; 2] = [mt::DOCKER_V2_SCHEMA2, mt::DOCKER_V2_SCHEMA1_SIGNED];

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConversionPlan {
    /// The type to try first (kept or converted to).
    pub preferred: String,
    pub preferred_needs_conversion: bool,
    pub others: Vec<String>,
}

fn push_unique(list: &mut Vec<String>, t: &str) {
    if !list.iter().any(|x| x == t) {
        list.push(t.to_string());
    }
}

/// Every manifest type, for a destination that takes any when only some will do.
const ALL_MANIFEST_TYPES: [&str; 4] = [
    mt::OCI_MANIFEST,
    mt::DOCKER_V2_SCHEMA2,
    mt::DOCKER_V2_SCHEMA1_SIGNED,
    mt::DOCKER_V2_SCHEMA1,
];

/// Of `supported`, the types that can describe encrypted layers (only OCI's), or c/image's
/// error when there are none.
fn encryption_capable<'a>(supported: Vec<&'a str>, forced: Option<&str>) -> Result<Vec<&'a str>> {
    let all = if supported.is_empty() {
        ALL_MANIFEST_TYPES.to_vec()
    } else {
        supported
    };
    let capable: Vec<&str> = all
        .iter()
        .copied()
        .filter(|t| *t == mt::OCI_MANIFEST)
        .collect();
    if capable.is_empty() {
        match forced {
            Some(f) => bail!(
                "encryption required together with format {f}, which does not support encryption"
            ),
            None => bail!(
                "encryption required but the destination only supports MIME types [{}], none of which support encryption",
                all.join(", ")
            ),
        }
    }
    Ok(capable)
}

/// The manifest types to try for an image whose manifest is `src_type`; with
/// `requires_encryption`, only types that can describe encrypted layers.
pub(crate) fn manifest_conversion(
    src_type: &str,
    dest_supported: &[&str],
    forced: Option<&str>,
    cannot_modify: bool,
    requires_encryption: bool,
) -> Result<ConversionPlan> {
    let src_type = normalized_mime_type(src_type).to_string();
    let mut supported: Vec<&str> = match forced {
        Some(f) => vec![f],
        None => dest_supported.to_vec(),
    };
    if requires_encryption {
        supported = encryption_capable(supported, forced)?;
    }
    let keep = ConversionPlan {
        preferred: src_type.clone(),
        preferred_needs_conversion: false,
        others: Vec::new(),
    };
    if supported.is_empty() {
        return Ok(keep);
    }
    let mut order = Vec::new();
    if supported.contains(&src_type.as_str()) {
        order.push(src_type.clone());
    }
    if cannot_modify {
        return Ok(keep);
    }
    for t in PREFERRED {
        if supported.contains(&t) {
            push_unique(&mut order, t);
        }
    }
    for t in &supported {
        push_unique(&mut order, t);
    }
    let preferred = order.remove(0);
    Ok(ConversionPlan {
        preferred_needs_conversion: preferred != src_type,
        preferred,
        others: order,
    })
}

/// The list types to try, the current one first when the destination takes it.
pub(crate) fn list_conversion(
    current: &str,
    dest_supported: &[&str],
    forced: Option<&str>,
) -> Result<(String, Vec<String>)> {
    let all = [mt::DOCKER_V2_LIST, mt::OCI_INDEX];
    let supported: Vec<&str> = match forced {
        Some(f) => vec![f],
        None if dest_supported.is_empty() => all.to_vec(),
        None => dest_supported.to_vec(),
    };
    let mut order = Vec::new();
    if supported.contains(&current) {
        order.push(current.to_string());
    }
    for t in &supported {
        if mt::is_list(t) {
            push_unique(&mut order, t);
        }
    }
    if order.is_empty() {
        bail!(
            "destination does not support any supported manifest list types ([{}])",
            all.join(" ")
        );
    }
    let first = order.remove(0);
    Ok((first, order))
}

/// The list type `--format` implies.
pub(crate) fn forced_list_type(forced: Option<&str>) -> Option<&'static str> {
    match forced? {
        mt::DOCKER_V2_SCHEMA1 | mt::DOCKER_V2_SCHEMA1_SIGNED | mt::DOCKER_V2_SCHEMA2 => {
            Some(mt::DOCKER_V2_LIST)
        }
        mt::OCI_MANIFEST => Some(mt::OCI_INDEX),
        mt::DOCKER_V2_LIST => Some(mt::DOCKER_V2_LIST),
        mt::OCI_INDEX => Some(mt::OCI_INDEX),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_source_type_when_possible() {
        let p = manifest_conversion(mt::DOCKER_V2_SCHEMA2, &[], None, false, false).unwrap();
        assert_eq!(p.preferred, mt::DOCKER_V2_SCHEMA2);
        assert!(!p.preferred_needs_conversion && p.others.is_empty());
        let oci = [mt::OCI_MANIFEST, mt::OCI_INDEX];
        let p = manifest_conversion(mt::DOCKER_V2_SCHEMA2, &oci, None, false, false).unwrap();
        assert_eq!(p.preferred, mt::OCI_MANIFEST);
        assert!(p.preferred_needs_conversion);
        assert_eq!(p.others, vec![mt::OCI_INDEX.to_string()]);
    }

    #[test]
    fn registry_order_prefers_schema2_then_schema1() {
        let reg = [
            mt::OCI_MANIFEST,
            mt::DOCKER_V2_SCHEMA2,
            mt::DOCKER_V2_SCHEMA1_SIGNED,
            mt::DOCKER_V2_SCHEMA1,
        ];
        let p = manifest_conversion(mt::DOCKER_V2_SCHEMA1, &reg, None, false, false).unwrap();
        assert_eq!(p.preferred, mt::DOCKER_V2_SCHEMA1);
        assert_eq!(
            p.others,
            vec![
                mt::DOCKER_V2_SCHEMA2,
                mt::DOCKER_V2_SCHEMA1_SIGNED,
                mt::OCI_MANIFEST
            ]
        );
        let p = manifest_conversion(
            mt::OCI_MANIFEST,
            &[],
            Some(mt::DOCKER_V2_SCHEMA2),
            true,
            false,
        )
        .unwrap();
        assert_eq!(p.preferred, mt::OCI_MANIFEST);
        assert!(!p.preferred_needs_conversion);
    }

    #[test]
    fn encryption_keeps_only_oci() {
        let p = manifest_conversion(mt::DOCKER_V2_SCHEMA2, &[], None, false, true).unwrap();
        assert_eq!(
            (p.preferred.as_str(), p.preferred_needs_conversion),
            (mt::OCI_MANIFEST, true)
        );
        let reg = [mt::OCI_MANIFEST, mt::DOCKER_V2_SCHEMA2];
        let p = manifest_conversion(mt::DOCKER_V2_SCHEMA2, &reg, None, false, true).unwrap();
        assert_eq!(
            (p.preferred.as_str(), p.others.len()),
            (mt::OCI_MANIFEST, 0)
        );
        let err = manifest_conversion(
            mt::OCI_MANIFEST,
            &reg,
            Some(mt::DOCKER_V2_SCHEMA2),
            false,
            true,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "encryption required together with format {}, which does not support encryption",
                mt::DOCKER_V2_SCHEMA2
            )
        );
        let err = manifest_conversion(
            mt::OCI_MANIFEST,
            &[mt::DOCKER_V2_SCHEMA2],
            None,
            false,
            true,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("none of which support encryption"),
            "{err}"
        );
    }

    #[test]
    fn list_types() {
        let (t, o) = list_conversion(mt::DOCKER_V2_LIST, &[], None).unwrap();
        assert_eq!(
            (t.as_str(), o),
            (mt::DOCKER_V2_LIST, vec![mt::OCI_INDEX.to_string()])
        );
        let (t, o) =
            list_conversion(mt::DOCKER_V2_LIST, &[mt::OCI_MANIFEST, mt::OCI_INDEX], None).unwrap();
        assert_eq!((t.as_str(), o.len()), (mt::OCI_INDEX, 0));
        let err = list_conversion(mt::OCI_INDEX, &[mt::DOCKER_V2_SCHEMA2], None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("destination does not support any")
        );
    }
}
