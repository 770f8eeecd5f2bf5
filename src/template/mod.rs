//! Go text/template, for `skopeo inspect --format`.
//!
//! skopeo 1.9.3 (Go 1.19) handles `--format F` like this, and [`render_user_format`] does the
//! same:
//! 1. If F is `json` or `{{json .}}` ([`is_json_format`]), it prints indented JSON instead
//!    (the caller's job, see `crate::gojson`).
//! 2. F goes through containers/common's `NormalizeFormat` ([`normalize_format`]): `\t` and
//!    `\n` escapes become tab and newline, a `table ` prefix turns spaces into tabs, and a
//!    final newline is added.
//! 3. The template `{{range . }}F{{end}}` is parsed under the name `skopeo inspect` with
//!    only Go's builtin functions, and run on a one-element `[]interface{}` holding the data.
//! 4. Output goes through a `text/tabwriter` (min width 8, padding 2) that is never flushed.
//!
//! Errors read as Go's (`template: skopeo inspect:1:14: executing "skopeo inspect" at
//! <.Foo>: can't evaluate field Foo in type interface {}`); skopeo prints them after its
//! own `FATA` log prefix.

mod exec;
mod funcs;
mod lexer;
mod methods;
mod node;
mod number;
mod parse;
mod print;
mod printf;
mod report;
mod tabwriter;
mod value;

#[cfg(test)]
mod tests;

pub use report::{is_json_format, normalize_format};
pub use value::{Value, from_json};

/// The template name skopeo 1.9.3 uses; it appears in error messages.
pub const SKOPEO_TEMPLATE_NAME: &str = "skopeo inspect";

/// Whether parsing or execution failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Parse,
    Exec,
}

/// A template error; displays as Go's text/template error text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    kind: ErrorKind,
    message: String,
}

impl TemplateError {
    pub(crate) fn new(kind: ErrorKind, message: String) -> TemplateError {
        TemplateError { kind, message }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

/// How to parse and run a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Template name, shown in error messages.
    pub name: String,
    /// Also offer containers/common report's functions (`json`, `lower`, `upper`, `title`,
    /// `split`, `join`, `truncate`, `pad`), as skopeo versions after 1.9 do.
    pub report_funcs: bool,
}

impl Default for Options {
    /// Named like skopeo's template, Go builtins only (skopeo 1.9.3).
    fn default() -> Options {
        Options {
            name: SKOPEO_TEMPLATE_NAME.to_string(),
            report_funcs: false,
        }
    }
}

/// Parses and runs `template` on `data` with [`Options::default`]; no format normalisation,
/// no tab writer.
pub fn render(template: &str, data: &Value) -> Result<String, TemplateError> {
    render_with(template, data, &Options::default())
}

/// [`render`] with options.
pub fn render_with(template: &str, data: &Value, opts: &Options) -> Result<String, TemplateError> {
    let (out, err) = execute_with(template, data, opts);
    match err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// Parses and runs `template`, returning the output produced before any execution error
/// (Go writes output as it goes, so a failing template may already have written some).
pub fn execute_with(
    template: &str,
    data: &Value,
    opts: &Options,
) -> (String, Option<TemplateError>) {
    let report = opts.report_funcs;
    let has_func = move |name: &str| funcs::has_function(name, report);
    match parse::parse(&opts.name, template, &has_func) {
        Err(parse::ParseError(msg)) => (
            String::new(),
            Some(TemplateError::new(ErrorKind::Parse, msg)),
        ),
        Ok(trees) => exec::execute(&trees, &opts.name, template, data, report),
    }
}

/// What skopeo 1.9.3 writes for `inspect --format FORMAT`, and its error if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFormatOutput {
    /// Exactly the bytes skopeo writes to stdout (also when the template fails part way).
    pub stdout: String,
    pub error: Option<TemplateError>,
}

/// Runs a `--format` string as skopeo 1.9.3 does (steps 2–4 in the module docs).
pub fn execute_user_format(format: &str, data: &Value) -> UserFormatOutput {
    execute_user_format_with(format, data, &Options::default())
}

/// [`execute_user_format`] with options (e.g. the report functions newer skopeo offers).
pub fn execute_user_format_with(format: &str, data: &Value, opts: &Options) -> UserFormatOutput {
    let text = format!("{{{{range . }}}}{}{{{{end}}}}", normalize_format(format));
    let wrapped = Value::List(vec![Value::typed("interface {}", data.clone())]);
    let (out, error) = execute_with(&text, &wrapped, opts);
    let mut tw = tabwriter::TabWriter::new(8, 2);
    tw.write(&out);
    UserFormatOutput {
        stdout: tw.into_output(),
        error,
    }
}

/// [`execute_user_format`] as a `Result`: the stdout text, or the error (any partial output
/// is dropped; use `execute_user_format` to print it as skopeo does).
pub fn render_user_format(format: &str, data: &Value) -> Result<String, TemplateError> {
    let r = execute_user_format(format, data);
    match r.error {
        Some(e) => Err(e),
        None => Ok(r.stdout),
    }
}
