//! Image configuration blobs: the OCI form skopeo prints for `inspect --config`, and the
//! Docker fields `inspect` reads. Field order and omitempty follow the Go structs skopeo
//! 1.9.3 marshals (image-spec 1.1.0-rc2).

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::null_default;
use crate::gojson;

/// A Go `time.Time`: parsed from RFC 3339 and written back the way Go writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GoTime(pub DateTime<FixedOffset>);

impl GoTime {
    /// Go's zero time, which a missing `created` decodes to in Docker configs.
    pub fn zero() -> GoTime {
        GoTime(DateTime::parse_from_rfc3339("0001-01-01T00:00:00Z").expect("constant time parses"))
    }
}

impl Default for GoTime {
    fn default() -> Self {
        GoTime::zero()
    }
}

impl Serialize for GoTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&gojson::go_time_rfc3339nano(&self.0))
    }
}

impl<'de> Deserialize<'de> for GoTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Go leaves a time untouched when the JSON value is null.
        let Some(s) = Option::<String>::deserialize(d)? else {
            return Ok(GoTime::zero());
        };
        gojson::parse_go_time(&s).map(GoTime).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "parsing time {:?} as \"2006-01-02T15:04:05Z07:00\": cannot parse",
                s
            ))
        })
    }
}

/// Go's `struct{}` as a map value (`ExposedPorts`, `Volumes`): any object in, `{}` out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmptyObject;

impl Serialize for EmptyObject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        s.serialize_map(Some(0))?.end()
    }
}

impl<'de> Deserialize<'de> for EmptyObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d)?;
        Ok(EmptyObject)
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct OciImageConfig {
    #[serde(
        rename = "User",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub user: String,
    #[serde(rename = "ExposedPorts", default, skip_serializing_if = "is_empty_map")]
    pub exposed_ports: Option<BTreeMap<String, EmptyObject>>,
    #[serde(rename = "Env", default, skip_serializing_if = "is_empty_vec")]
    pub env: Option<Vec<String>>,
    #[serde(rename = "Entrypoint", default, skip_serializing_if = "is_empty_vec")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(rename = "Cmd", default, skip_serializing_if = "is_empty_vec")]
    pub cmd: Option<Vec<String>>,
    #[serde(rename = "Volumes", default, skip_serializing_if = "is_empty_map")]
    pub volumes: Option<BTreeMap<String, EmptyObject>>,
    #[serde(
        rename = "WorkingDir",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub working_dir: String,
    #[serde(rename = "Labels", default, skip_serializing_if = "is_empty_map")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(
        rename = "StopSignal",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub stop_signal: String,
    #[serde(
        rename = "ArgsEscaped",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_false"
    )]
    pub args_escaped: bool,
}

fn is_empty_map<V>(m: &Option<BTreeMap<String, V>>) -> bool {
    m.as_ref().is_none_or(BTreeMap::is_empty)
}

fn is_empty_vec<T>(v: &Option<Vec<T>>) -> bool {
    v.as_ref().is_none_or(Vec::is_empty)
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RootFs {
    #[serde(rename = "type", default, deserialize_with = "null_default")]
    pub kind: String,
    #[serde(rename = "diff_ids", default)]
    pub diff_ids: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct History {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<GoTime>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub created_by: String,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub author: String,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub comment: String,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "is_false"
    )]
    pub empty_layer: bool,
}

/// The OCI image configuration (`inspect --config` prints this form for every image).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct OciImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<GoTime>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub author: String,
    #[serde(default, deserialize_with = "null_default")]
    pub architecture: String,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub variant: String,
    #[serde(default, deserialize_with = "null_default")]
    pub os: String,
    #[serde(
        rename = "os.version",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub os_version: String,
    #[serde(rename = "os.features", default, skip_serializing_if = "is_empty_vec")]
    pub os_features: Option<Vec<String>>,
    #[serde(default, deserialize_with = "null_default")]
    pub config: OciImageConfig,
    #[serde(default, deserialize_with = "null_default")]
    pub rootfs: RootFs,
    #[serde(default, skip_serializing_if = "is_empty_vec")]
    pub history: Option<Vec<History>>,
}

/// The part of a Docker `config` object inspect reads.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DockerContainerConfig {
    #[serde(rename = "Labels", default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "Env", default)]
    pub env: Option<Vec<String>>,
}

/// The Docker image config fields inspect reads (schema 2 configs, schema 1 history entries).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DockerImage {
    #[serde(default)]
    pub created: GoTime,
    #[serde(default, deserialize_with = "null_default")]
    pub docker_version: String,
    #[serde(default, deserialize_with = "null_default")]
    pub author: String,
    #[serde(default)]
    pub config: Option<DockerContainerConfig>,
    #[serde(default, deserialize_with = "null_default")]
    pub architecture: String,
    #[serde(default, deserialize_with = "null_default")]
    pub variant: String,
    #[serde(default, deserialize_with = "null_default")]
    pub os: String,
}
