//! `--format` for inspect: the Go template data skopeo exposes (temporary stand-in).

use anyhow::Result;

use crate::image::InspectOutput;
use crate::manifest::config::OciImage;

pub fn is_json_format(format: &str) -> bool {
    format.is_empty() || format.trim() == "json"
}

pub fn render_inspect(_format: &str, _data: &InspectOutput) -> Result<String> {
    Err(crate::error::not_implemented("--format"))
}

pub fn render_config(_format: &str, _data: &OciImage) -> Result<String> {
    Err(crate::error::not_implemented("--format"))
}
