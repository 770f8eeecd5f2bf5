//! Error kinds the CLI needs to tell apart (exit codes); everything else is `anyhow` context
//! chains printed the way Go's wrapped errors print (`outer: inner`).

/// The image (or the tag within a layout) does not exist: skopeo exits 2 for this.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ImageNotFound(pub String);

/// A command or transport that a later piece of work will build.
#[derive(Debug, thiserror::Error)]
#[error("{0} is not implemented yet in skiff")]
pub struct NotImplemented(pub String);

/// The exit status skopeo uses for `err`: 2 when the image does not exist, 1 otherwise.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    if err.chain().any(|e| e.is::<ImageNotFound>()) {
        2
    } else {
        1
    }
}

pub fn not_implemented(what: impl Into<String>) -> anyhow::Error {
    NotImplemented(what.into()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn not_found_anywhere_in_the_chain_exits_2() {
        let err: anyhow::Result<()> = Err(ImageNotFound("no such image".into()).into());
        let err = err.context("reading manifest").unwrap_err();
        assert_eq!(exit_code(&err), 2);
        assert_eq!(format!("{err:#}"), "reading manifest: no such image");
        assert_eq!(exit_code(&anyhow::anyhow!("other")), 1);
        assert_eq!(exit_code(&not_implemented("x")), 1);
    }
}

/// Prints a warning the way skopeo's logger does on stderr.
pub fn warn(msg: &str) {
    crate::stdio::err_line(&log_line("warning", msg));
}

/// A logrus error line (one that does not end the command).
pub fn log_error(msg: &str) {
    crate::stdio::err_line(&log_line("error", msg));
}

/// A logrus-style line: `time="…" level=… msg="…"`, with the message quoted as logrus quotes.
pub fn log_line(level: &str, msg: &str) -> String {
    crate::go::logrus::text_line(level, msg, &[])
}

/// Wrong command-line usage: the command's help is shown before the error.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

static DEBUG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--debug`: whether debug lines are printed.
pub fn set_debug(on: bool) {
    DEBUG.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// A debug line, printed as skopeo's logger does under `--debug` (the CLI's `tracing`
/// subscriber renders it).
pub fn debug(msg: &str) {
    if DEBUG.load(std::sync::atomic::Ordering::Relaxed) {
        tracing::debug!(target: "skiff", "{msg}");
    }
}
