//! Docker's own `config.json`, as `login`/`logout --compat-auth-file` edit it (c/common and
//! c/image at skopeo HEAD; also the file `$DOCKER_CONFIG` names when no path is given): the
//! `auths` entries are rewritten in Docker's format (docker.io under
//! `https://index.docker.io/v1/`, no namespaced keys) and every other field of the file is
//! kept, so the Docker CLI still reads what it wrote there.

use serde::Serialize;
use serde_json::{Map, Value};

use super::decode::ConfigFile;

/// The key Docker files docker.io credentials under.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// The key as Docker records it; a namespaced key (`registry/namespace`) has no place there.
pub(crate) fn docker_key(key: &str, namespaced: bool) -> anyhow::Result<String> {
    if namespaced {
        anyhow::bail!(
            "Credentials cannot be recorded in Docker-compatible format with namespaced key {key:?}"
        );
    }
    Ok(if key == "docker.io" {
        DOCKER_HUB_KEY.to_string()
    } else {
        key.to_string()
    })
}

/// The file's top-level fields, each kept as it was (a missing file has none).
pub(crate) fn other_fields(bytes: Option<&[u8]>) -> Result<Map<String, Value>, String> {
    let Some(bytes) = bytes else {
        return Ok(Map::new());
    };
    match serde_json::from_slice(bytes).map_err(|e| e.to_string())? {
        Value::Object(fields) => Ok(fields),
        Value::Null => Ok(Map::new()),
        _ => Err("json: cannot unmarshal into Go value of type map[string]json.RawMessage".into()),
    }
}

#[derive(Serialize)]
struct DockerAuth<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    auth: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    identitytoken: &'a str,
}

/// The file with `auths` replaced by `file`'s entries: top-level keys sorted and
/// tab-indented, as Go's encoder writes a map (the other fields' insides keep their order).
pub(crate) fn serialize(mut fields: Map<String, Value>, file: &ConfigFile) -> Vec<u8> {
    let auths: Map<String, Value> = file
        .auths
        .iter()
        .map(|(k, e)| {
            let entry = DockerAuth {
                auth: &e.auth,
                identitytoken: &e.identity_token,
            };
            // Serialising two strings cannot fail.
            (k.clone(), serde_json::to_value(entry).unwrap_or_default())
        })
        .collect();
    fields.insert("auths".into(), Value::Object(auths));
    fields.sort_keys();
    let mut buf = Vec::new();
    let fmt = crate::gojson::GoFormatter::new(serde_json::ser::PrettyFormatter::with_indent(b"\t"));
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    let _ = fields.serialize(&mut ser);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::decode::AuthEntry;

    #[test]
    fn keeps_other_fields_and_sorts_top_level_keys() {
        let fields = other_fields(Some(
            br#"{"psFormat":"table","auths":{"old":{"auth":"eA=="}},"credsStore":"x"}"#,
        ))
        .unwrap();
        let mut file = ConfigFile::default();
        file.auths.insert(
            DOCKER_HUB_KEY.into(),
            AuthEntry {
                auth: "dTpw".into(),
                identity_token: String::new(),
            },
        );
        let out = String::from_utf8(serialize(fields, &file)).unwrap();
        assert_eq!(
            out,
            "{\n\t\"auths\": {\n\t\t\"https://index.docker.io/v1/\": {\n\t\t\t\"auth\": \"dTpw\"\n\t\t}\n\t},\n\t\"credsStore\": \"x\",\n\t\"psFormat\": \"table\"\n}"
        );
    }

    #[test]
    fn docker_hub_and_namespaced_keys() {
        assert_eq!(docker_key("docker.io", false).unwrap(), DOCKER_HUB_KEY);
        assert_eq!(docker_key("quay.io", false).unwrap(), "quay.io");
        assert_eq!(
            docker_key("quay.io/ns", true).unwrap_err().to_string(),
            r#"Credentials cannot be recorded in Docker-compatible format with namespaced key "quay.io/ns""#
        );
    }
}
