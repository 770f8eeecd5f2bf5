//! Drawing copy progress: progress bars on a terminal, skopeo's plain lines elsewhere.
//! Always on stderr, so `docker-archive:/dev/stdout` and piped output stay clean.

use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::copy::progress::{BlobKind, BlobProgress, PlainLines, Reporter, Silent};
use crate::types::BlobInfo;

/// The reporter for a command: nothing with `--quiet`, bars on a terminal, lines otherwise.
pub fn reporter(quiet: bool) -> Box<dyn Reporter> {
    if quiet {
        Box::new(Silent)
    } else if std::io::stderr().is_terminal() {
        Box::new(Bars::new())
    } else {
        Box::new(PlainLines::new(crate::stdio::stderr()))
    }
}

struct Bars {
    multi: MultiProgress,
}

impl Bars {
    fn new() -> Bars {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
        }
    }
}

struct Bar {
    bar: ProgressBar,
}

impl BlobProgress for Bar {
    fn advance(&self, bytes: u64) {
        self.bar.inc(bytes);
    }

    fn skipped(&self) {
        self.finish("skipped: already exists");
    }

    fn done(&self) {
        self.finish("done");
    }
}

impl Bar {
    fn finish(&self, what: &str) {
        self.bar
            .set_style(ProgressStyle::with_template("{prefix} {msg}").expect("template is valid"));
        self.bar.finish_with_message(what.to_string());
    }
}

impl Reporter for Bars {
    fn message(&self, line: &str) {
        let _ = self.multi.println(line);
    }

    fn blob(&self, kind: BlobKind, info: &BlobInfo) -> Box<dyn BlobProgress> {
        let short: String = info.digest.hex().chars().take(12).collect();
        let bar = match info.known_size() {
            Some(size) if size > 0 => {
                let bar = ProgressBar::new(size);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{prefix} [{bar:30}] {binary_bytes} / {binary_total_bytes} | {binary_bytes_per_sec}",
                    )
                    .expect("template is valid")
                    .progress_chars("=> "),
                );
                bar
            }
            _ => {
                let bar = ProgressBar::new_spinner();
                bar.set_style(
                    ProgressStyle::with_template("{prefix} {spinner} {binary_bytes_per_sec}")
                        .expect("template is valid"),
                );
                bar
            }
        };
        bar.set_prefix(format!("Copying {} {short}", kind.name()));
        Box::new(Bar {
            bar: self.multi.add(bar),
        })
    }
}
