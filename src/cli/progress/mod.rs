//! Drawing the engine's events, always on stderr (so `docker-archive:/dev/stdout` and piped
//! output stay clean):
//! - [`lines`]: skopeo's lines off a terminal, plus a periodic line per active blob;
//! - [`bars`]: one indicatif bar per blob on a terminal;
//! - [`json`]: one JSON object per event (`--progress=json`), for scripts.
//!
//! `copy` and `sync` share the flags and the renderers; sync's log records are events too.

mod bars;
mod json;
mod lines;
mod text;
mod ticker;

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use clap::Args;

use super::flags::parse_go_duration;
use crate::copy::progress::{Reporter, Silent};

/// The periodic line off a terminal: often enough that a CI log shows movement, rarely
/// enough not to flood it.
const DEFAULT_LINE_INTERVAL: Duration = Duration::from_secs(30);
/// `--progress=json` samples byte counts once a second unless told otherwise.
const DEFAULT_JSON_INTERVAL: Duration = Duration::from_secs(1);

/// `--progress`, `--progress-interval` (copy and sync).
#[derive(Args, Debug, Clone, Default)]
pub struct ProgressFlags {
    #[arg(
        long = "progress",
        value_name = "FORMAT",
        value_parser = ["auto", "plain", "json"],
        help = "progress on stderr: auto (bars on a terminal, lines elsewhere), plain (lines), or json (one object per event)"
    )]
    pub progress: Option<String>,
    #[arg(
        long = "progress-interval",
        value_name = "DURATION",
        value_parser = parse_go_duration,
        help = "how often a line shows each active blob's progress off a terminal (default 30s; 1s with --progress=json); 0 turns it off"
    )]
    pub interval: Option<Duration>,
}

/// What a command's renderer is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Copy,
    /// Sync: log records are shown, and bars name their image.
    Sync {
        debug: bool,
    },
}

impl ProgressFlags {
    /// The renderer: nothing with `--quiet`, else as `--progress` says.
    pub fn reporter(&self, quiet: bool, command: Command) -> Result<Arc<dyn Reporter>> {
        let on_terminal = std::io::stderr().is_terminal();
        Ok(match self.progress.as_deref().unwrap_or("auto") {
            "json" => Arc::new(json::Json::new(
                self.interval.unwrap_or(DEFAULT_JSON_INTERVAL),
                command,
            )),
            _ if quiet => Arc::new(Silent),
            "auto" if on_terminal => Arc::new(bars::Bars::new(command)),
            _ => Arc::new(lines::Lines::new(
                self.interval.unwrap_or(DEFAULT_LINE_INTERVAL),
                command,
            )),
        })
    }
}
