//! On a terminal: one bar per blob being copied, each on one line that fits the terminal.
//! A finished blob's bar becomes skopeo's final line ("Copying blob 0123456789ab done"),
//! printed above the bars still running, so finished lines stay in the order they finished
//! and the manifest and signature lines follow them. In `sync` each bar names its image.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::ticker::Ticker;
use super::{Command, text};
use crate::copy::progress::{BlobRef, Event, Report, Reporter};

/// How often bars take their byte counts (indicatif redraws at most this often anyway).
const REDRAW: Duration = Duration::from_millis(100);

type Active = BTreeMap<u64, (ProgressBar, Arc<BlobRef>, String)>;

pub struct Bars {
    command: Command,
    multi: MultiProgress,
    started: Instant,
    active: Arc<Mutex<Active>>,
    _ticker: Option<Ticker>,
}

/// The terminal's width in columns (80 when it cannot be told).
fn terminal_width() -> usize {
    // SAFETY: TIOCGWINSZ fills the winsize struct it is given and touches nothing else.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut ws) } == 0;
    if ok && ws.ws_col > 0 {
        ws.ws_col as usize
    } else {
        80
    }
}

/// An image's short name for a bar: the last path element of its reference, cut to `max`.
fn short_image(image: &str, max: usize) -> String {
    let name = image.rsplit('/').next().unwrap_or(image);
    if name.chars().count() <= max {
        name.to_string()
    } else {
        let cut: String = name.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// The bar's template for a terminal `width` columns wide, given its prefix: the bar takes
/// whatever the words leave, and the rate is dropped on a narrow terminal.
fn style(width: usize, prefix_len: usize, sized: bool) -> ProgressStyle {
    // "1023.9 MiB / 1023.9 MiB" and " 1023.9 MiB/s" at their widest.
    let with_rate = prefix_len + 4 + 23 + 13 + 10 < width;
    let template = match (sized, with_rate) {
        (true, true) => {
            "{prefix} [{wide_bar}] {binary_bytes} / {binary_total_bytes} {binary_bytes_per_sec}"
        }
        (true, false) => "{prefix} [{wide_bar}] {binary_bytes} / {binary_total_bytes}",
        (false, true) => "{prefix} {spinner} {binary_bytes} {binary_bytes_per_sec}",
        (false, false) => "{prefix} {spinner} {binary_bytes}",
    };
    ProgressStyle::with_template(template)
        .expect("template is valid")
        .progress_chars("=> ")
}

impl Bars {
    pub fn new(command: Command) -> Bars {
        let active: Arc<Mutex<Active>> = Arc::default();
        let watched = active.clone();
        let ticker = Ticker::start(REDRAW, move || {
            if let Ok(a) = watched.lock() {
                for (bar, blob, _) in a.values() {
                    bar.set_position(blob.bytes_so_far());
                }
            }
        });
        Bars {
            command,
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            started: Instant::now(),
            active,
            _ticker: ticker,
        }
    }

    fn active(&self) -> std::sync::MutexGuard<'_, Active> {
        self.active.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn line(&self, line: &str) {
        let _ = self.multi.println(line);
    }

    fn start(&self, blob: &Arc<BlobRef>, image: Option<&str>) {
        let width = terminal_width();
        let mut prefix = format!(
            "Copying {} {}",
            blob.kind.name(),
            text::short_hex(&blob.digest)
        );
        if let (Command::Sync { .. }, Some(image)) = (self.command, image) {
            let room = width.saturating_sub(prefix.len() + 4 + 23 + 12).min(32);
            if room >= 4 {
                prefix = format!("{prefix} {}", short_image(image, room));
            }
        }
        // Hidden until the multi-bar owns it: a bar drawn on its own leaves a stray frame.
        let bar = ProgressBar::with_draw_target(blob.size, ProgressDrawTarget::hidden());
        bar.set_style(style(width, prefix.chars().count(), blob.size.is_some()));
        bar.set_prefix(prefix.clone());
        let bar = self.multi.add(bar);
        bar.set_position(blob.bytes_so_far());
        self.active().insert(blob.id, (bar, blob.clone(), prefix));
    }

    /// Replaces a blob's bar by its final line (none when `last` is `None`).
    fn end(&self, blob: &BlobRef, last: Option<&str>) {
        let Some((bar, _, prefix)) = self.active().remove(&blob.id) else {
            return;
        };
        bar.finish_and_clear();
        self.multi.remove(&bar);
        if let Some(last) = last {
            self.line(&format!("{prefix} {last}"));
        }
    }
}

impl Reporter for Bars {
    fn report(&self, report: Report) {
        match &report.event {
            Event::BlobStarted { blob } => self.start(blob, report.image.as_deref()),
            Event::BlobDone { blob, .. } => self.end(blob, Some("done")),
            Event::BlobSkipped { blob, .. } => self.end(blob, Some("skipped: already exists")),
            Event::BlobAborted { blob } => self.end(blob, None),
            Event::Log(entry) => {
                let debug = matches!(self.command, Command::Sync { debug: true });
                if text::shown(entry, debug) {
                    let secs = self.started.elapsed().as_secs();
                    self.line(&text::logrus_terminal(entry, secs));
                }
            }
            other => {
                if let Some(line) = text::step_line(other) {
                    self.line(&line);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_are_cut_to_fit() {
        assert_eq!(short_image("docker://h:5000/ns/app:b", 20), "app:b");
        assert_eq!(short_image("dir:/x/averyveryverylongname", 8), "averyve…");
    }
}
