//! `inspect --format`: the data skopeo hands its Go template, with Go's type names (they show
//! in template errors), and the printing rules around it.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;

use crate::image::InspectOutput;
use crate::manifest::config::{GoTime, History, OciImage};
use crate::template::{self, Options, Value};

/// An empty format, `json` or `{{json .}}` print the indented JSON document instead.
pub fn is_json_format(format: &str) -> bool {
    format.is_empty() || template::is_json_format(format)
}

/// Runs the user's template the way skopeo does (with the report functions newer skopeo
/// offers, such as `json`), writing whatever it printed before any error, as skopeo does.
fn render(format: &str, data: &Value, error_prefix: Option<&str>) -> Result<String> {
    let opts = Options {
        report_funcs: true,
        ..Options::default()
    };
    let out = template::execute_user_format_with(format, data, &opts);
    match out.error {
        None => Ok(out.stdout),
        Some(e) => {
            let _ = crate::stdio::stdout().write_all(out.stdout.as_bytes());
            Err(match error_prefix {
                Some(p) => anyhow::anyhow!("{p}: {e}"),
                None => anyhow::anyhow!("{e}"),
            })
        }
    }
}

pub fn render_inspect(format: &str, data: &InspectOutput) -> Result<String> {
    render(format, &inspect_value(data), None)
}

pub fn render_config(format: &str, data: &OciImage) -> Result<String> {
    render(
        format,
        &config_value(data),
        Some("Error writing OCI-formatted configuration data to standard output"),
    )
}

fn strings(type_name: &str, v: &Option<Vec<String>>) -> Value {
    Value::typed(type_name, Value::from(v.clone().unwrap_or_default()))
}

fn string_map(v: &Option<BTreeMap<String, String>>) -> Value {
    let m: BTreeMap<String, Value> = v
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    Value::typed("map[string]string", Value::Map(m))
}

fn time_ptr(t: &Option<GoTime>) -> Value {
    Value::typed("*time.Time", t.map_or(Value::Nil, |t| Value::Time(t.0)))
}

/// skopeo's `inspect.Output`.
fn inspect_value(o: &InspectOutput) -> Value {
    let layers_data: Vec<Value> = o
        .layers_data
        .iter()
        .map(|l| {
            Value::typed(
                "types.ImageInspectLayer",
                Value::structure([
                    ("MIMEType", Value::from(l.mime_type.as_str())),
                    (
                        "Digest",
                        Value::typed("digest.Digest", l.digest.to_string()),
                    ),
                    ("Size", Value::Int(l.size)),
                    ("Annotations", string_map(&l.annotations)),
                ]),
            )
        })
        .collect();
    Value::typed(
        "inspect.Output",
        Value::structure([
            ("Name", Value::from(o.name.as_str())),
            ("Tag", Value::from(o.tag.as_str())),
            (
                "Digest",
                Value::typed("digest.Digest", o.digest.to_string()),
            ),
            ("RepoTags", strings("[]string", &o.repo_tags)),
            ("Created", time_ptr(&o.created)),
            ("DockerVersion", Value::from(o.docker_version.as_str())),
            ("Labels", string_map(&o.labels)),
            ("Architecture", Value::from(o.architecture.as_str())),
            ("Os", Value::from(o.os.as_str())),
            ("Layers", strings("[]string", &Some(o.layers.clone()))),
            (
                "LayersData",
                Value::typed("[]types.ImageInspectLayer", Value::List(layers_data)),
            ),
            ("Env", strings("[]string", &o.env)),
        ]),
    )
}

fn string_set<V>(v: &Option<BTreeMap<String, V>>) -> Value {
    let m: BTreeMap<String, Value> = v
        .iter()
        .flatten()
        .map(|(k, _)| {
            (
                k.clone(),
                Value::typed(
                    "struct {}",
                    Value::structure::<[(&str, Value); 0], &str, Value>([]),
                ),
            )
        })
        .collect();
    Value::typed("map[string]struct {}", Value::Map(m))
}

fn history_value(h: &History) -> Value {
    Value::typed(
        "v1.History",
        Value::structure([
            ("Created", time_ptr(&h.created)),
            ("CreatedBy", Value::from(h.created_by.as_str())),
            ("Author", Value::from(h.author.as_str())),
            ("Comment", Value::from(h.comment.as_str())),
            ("EmptyLayer", Value::Bool(h.empty_layer)),
        ]),
    )
}

/// image-spec's `*v1.Image` as skopeo 1.9.3 has it (platform fields flat).
fn config_value(c: &OciImage) -> Value {
    let cfg = &c.config;
    let config = Value::typed(
        "v1.ImageConfig",
        Value::structure([
            ("User", Value::from(cfg.user.as_str())),
            ("ExposedPorts", string_set(&cfg.exposed_ports)),
            ("Env", strings("[]string", &cfg.env)),
            ("Entrypoint", strings("[]string", &cfg.entrypoint)),
            ("Cmd", strings("[]string", &cfg.cmd)),
            ("Volumes", string_set(&cfg.volumes)),
            ("WorkingDir", Value::from(cfg.working_dir.as_str())),
            ("Labels", string_map(&cfg.labels)),
            ("StopSignal", Value::from(cfg.stop_signal.as_str())),
            ("ArgsEscaped", Value::Bool(cfg.args_escaped)),
        ]),
    );
    let history: Vec<Value> = c.history.iter().flatten().map(history_value).collect();
    Value::typed(
        "*v1.Image",
        Value::structure([
            ("Created", time_ptr(&c.created)),
            ("Author", Value::from(c.author.as_str())),
            ("Architecture", Value::from(c.architecture.as_str())),
            ("Variant", Value::from(c.variant.as_str())),
            ("OS", Value::from(c.os.as_str())),
            ("OSVersion", Value::from(c.os_version.as_str())),
            ("OSFeatures", strings("[]string", &c.os_features)),
            ("Config", config),
            (
                "RootFS",
                Value::typed(
                    "v1.RootFS",
                    Value::structure([
                        ("Type", Value::from(c.rootfs.kind.as_str())),
                        ("DiffIDs", strings("[]digest.Digest", &c.rootfs.diff_ids)),
                    ]),
                ),
            ),
            (
                "History",
                Value::typed("[]v1.History", Value::List(history)),
            ),
        ]),
    )
}
