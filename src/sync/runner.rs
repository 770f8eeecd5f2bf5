//! Copying the planned images: several at once (each in its own task), blobs they share sent
//! once, up-to-date images skipped cheaply. Off a terminal, each image's lines are held back
//! until the images before it are done, so the output reads as skopeo's one-by-one run.
//!
//! A failed image stops the sync (images after it are cancelled, those before it finish)
//! unless `keep_going`, which logs the failure, copies the rest and fails at the end.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use futures::StreamExt;
use futures::stream::FuturesUnordered;

use super::plan::Job;
use super::source::Repo;
use super::{Level, LogEntry, SyncOptions, uptodate};
use crate::config::policy::Policy;
use crate::copy::progress::{Event, Report, Reporter};
use crate::copy::{self, Options, SharedBlobs};
use crate::gotext::go_quote;
use crate::reference::ImageName;
use crate::report::{Failure, ImageReport, Outcome, Report as RunReport, Tally};

/// Images whose up-to-date check may run beyond those being copied: enough to keep the
/// per-registry request limit busy during a re-sync, few enough that their manifests (kept
/// for the copy that follows) stay a small, fixed amount of memory.
const CHECKS_AHEAD: usize = 32;

/// An image's report entry before (or without) a copy.
fn planned_entry(job: &Job, result: Outcome, err: Option<&anyhow::Error>) -> ImageReport {
    ImageReport {
        source: job.src.to_string(),
        destination: job.dest.to_string(),
        digest: None,
        result,
        error: err.map(crate::report::failure),
        bytes_moved: 0,
        duration_seconds: 0.0,
    }
}

fn write_report(opts: &SyncOptions, entries: Vec<ImageReport>) -> Result<()> {
    match &opts.report {
        Some(path) => RunReport::new("sync", entries).write(path),
        None => Ok(()),
    }
}

fn ref_entry(what: &str, job: &Job) -> LogEntry {
    LogEntry::new(Level::Info, format!("{what} {}/{}", job.n, job.m))
        .field("from", job.src.to_string())
        .field("to", job.dest.to_string())
}

/// The tasks of the images being copied. Dropped with the sync (an interrupt drops it), it
/// cancels them, so that their destinations clean up; `main` waits for that.
#[derive(Default)]
struct AbortOnDrop(BTreeMap<usize, tokio::task::AbortHandle>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for h in self.0.values() {
            h.abort();
        }
    }
}

/// Runs the plan (or, dry, lists it).
pub(crate) async fn run(
    policy: &Policy,
    opts: &SyncOptions,
    repos: &[Repo],
    jobs: Vec<Job>,
    out: Arc<dyn Reporter>,
) -> Result<()> {
    // The repositories this run copies from (with --shard, fewer than the source's).
    let sources = jobs
        .iter()
        .map(|j| j.repo)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if opts.dry_run {
        for job in &jobs {
            out.log(ref_entry("Would have copied image ref", job));
        }
        let planned = jobs
            .iter()
            .map(|j| planned_entry(j, Outcome::Planned, None));
        write_report(opts, planned.collect())?;
        out.log(LogEntry::new(
            Level::Info,
            format!(
                "Would have synced {} images from {} sources",
                jobs.len(),
                sources
            ),
        ));
        return Ok(());
    }

    let mut digests = DigestFile::create(opts.digest_file.as_deref())?;
    let seq = Arc::new(Sequencer::new(out.clone(), jobs.len(), out.sequential()));
    let shared = Arc::new(SharedBlobs::default());
    let policy = Arc::new(policy.clone());
    let attached: Vec<Arc<crate::referrers::Wanted>> = repos
        .iter()
        .map(|r| {
            let mut w = opts.attached.clone();
            w.referrers |= r.referrers;
            Arc::new(w)
        })
        .collect();
    let options: Vec<Arc<Options>> = repos
        .iter()
        .zip(&attached)
        .map(|(r, w)| {
            Arc::new(Options {
                source_ctx: r.ctx.clone(),
                // Referrers name images by digest: they must arrive unchanged.
                preserve_digests: opts.copy.preserve_digests || w.any(),
                ..opts.copy.clone()
            })
        })
        .collect();

    let parallel = opts.parallel_images.max(1);
    // Up-to-date checks run ahead of the copies (one round trip to each registry per image,
    // which a re-sync is made of); at most `parallel` images copy at once.
    let copy_slots = Arc::new(tokio::sync::Semaphore::new(parallel));
    let start = |i: usize| {
        let job = jobs[i].clone();
        let options = options[job.repo].clone();
        let attached = attached[job.repo].clone();
        let copy_slots = copy_slots.clone();
        let (policy, shared, seq, retry) =
            (policy.clone(), shared.clone(), seq.clone(), opts.retry);
        let reporter: Arc<dyn Reporter> = Arc::new(JobReporter {
            seq: seq.clone(),
            index: i,
        });
        let tally = Arc::new(Tally::new(reporter));
        let reporter: Arc<dyn Reporter> = tally.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            seq.log(i, ref_entry("Copying image ref", &job));
            let job = Arc::new(job);
            let result = crate::contract::retry::if_necessary(retry, || {
                let (policy, job, options, reporter, shared, attached, copy_slots) = (
                    policy.clone(),
                    job.clone(),
                    options.clone(),
                    reporter.clone(),
                    shared.clone(),
                    attached.clone(),
                    copy_slots.clone(),
                );
                async move {
                    let reporter = reporter.as_ref();
                    let digest =
                        match uptodate::check(&policy, &job.src, &job.dest, &options, reporter)
                            .await
                        {
                            Some(d) => d,
                            None => {
                                // Checks run ahead; copies wait for one of `parallel` slots.
                                let _slot = copy_slots
                                    .acquire()
                                    .await
                                    .map_err(|_| anyhow!("Internal error: copy slots closed"))?;
                                copy::copy_image_sharing(
                                    &policy,
                                    &job.src,
                                    &job.dest,
                                    &options,
                                    reporter,
                                    Some(&shared),
                                )
                                .await?
                                .digest()?
                            }
                        };
                    // An image already there may have gained referrers since: always asked.
                    if let (ImageName::Docker(src), ImageName::Docker(dest)) = (&job.src, &job.dest)
                        && attached.any()
                    {
                        crate::referrers::copy_attached(
                            &policy,
                            src,
                            dest,
                            &digest,
                            &attached,
                            &options,
                            reporter,
                            Some(&shared),
                        )
                        .await?;
                    }
                    Ok(digest)
                }
            })
            .await;
            let entry = tally.image(
                job.src.to_string(),
                job.dest.to_string(),
                &result,
                started.elapsed(),
            );
            (result, entry)
        })
    };

    let in_flight = parallel + CHECKS_AHEAD;
    let mut next = 0;
    let mut running = FuturesUnordered::new();
    let mut handles = AbortOnDrop::default();
    // Without keep_going: the first image (in plan order) that failed, and why.
    let mut stopped: Option<(usize, anyhow::Error)> = None;
    let mut failed: Vec<usize> = Vec::new();
    let mut synced = 0usize;
    let mut entries: Vec<Option<ImageReport>> = vec![None; jobs.len()];
    loop {
        while running.len() < in_flight && next < jobs.len() && stopped.is_none() {
            let handle = start(next);
            handles.0.insert(next, handle.abort_handle());
            let i = next;
            running.push(async move { (i, handle.await) });
            next += 1;
        }
        let Some((i, joined)) = running.next().await else {
            break;
        };
        handles.0.remove(&i);
        let result = match joined {
            Ok((r, entry)) => {
                entries[i] = Some(entry);
                r
            }
            Err(e) if e.is_cancelled() => {
                seq.discard(i);
                continue;
            }
            Err(e) => Err(anyhow!("Internal error: image copy task failed: {e}")),
        };
        if let (Err(e), None) = (&result, &entries[i]) {
            entries[i] = Some(planned_entry(&jobs[i], Outcome::Failed, Some(e)));
        }
        match result {
            Ok(digest) => {
                synced += 1;
                digests.done(i, Some(format!("{digest} {}", jobs[i].dest)))?;
            }
            Err(e) if opts.keep_going => {
                seq.log(
                    i,
                    LogEntry::new(
                        Level::Error,
                        format!("Error copying ref {}", go_quote(&jobs[i].src.to_string())),
                    )
                    .field("error", format!("{e:#}")),
                );
                failed.push(i);
                digests.done(i, None)?;
            }
            Err(e) => {
                digests.done(i, None)?;
                if stopped.as_ref().is_none_or(|(s, _)| i < *s) {
                    // Images after this one are not copied; those before it finish.
                    for (_, h) in handles.0.range(i + 1..) {
                        h.abort();
                    }
                    stopped = Some((i, e));
                }
            }
        }
        seq.finish(i);
    }
    seq.flush_all();
    digests.flush()?;
    // Images cancelled or never started after the one that stopped the sync.
    let entries = entries
        .into_iter()
        .zip(&jobs)
        .map(|(e, job)| {
            e.unwrap_or_else(|| {
                let mut entry = planned_entry(job, Outcome::Failed, None);
                entry.error = Some(Failure {
                    class: "cancelled",
                    message: "not copied: an earlier image failed".into(),
                });
                entry
            })
        })
        .collect();
    write_report(opts, entries)?;

    if let Some((i, e)) = stopped {
        return Err(e.context(format!(
            "Error copying ref {}",
            go_quote(&jobs[i].src.to_string())
        )));
    }
    out.log(LogEntry::new(
        Level::Info,
        format!("Synced {synced} images from {sources} sources"),
    ));
    if failed.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = failed.iter().map(|i| jobs[*i].src.to_string()).collect();
    out.log(LogEntry::new(
        Level::Error,
        format!(
            "{} of {} images failed to sync: {}",
            failed.len(),
            jobs.len(),
            names.join(", ")
        ),
    ));
    Err(anyhow!(
        "Sync failed due to previous reported error(s) for one or more images"
    ))
}

/// Keeps each image's events together and in plan order: the first unfinished image's go
/// through, the others' are held until it finishes. Without ordering everything goes through
/// (progress bars and JSON show every image at once).
struct Sequencer {
    out: Arc<dyn Reporter>,
    ordered: bool,
    state: Mutex<SeqState>,
}

struct SeqState {
    head: usize,
    held: Vec<(Vec<Report>, bool)>,
}

impl Sequencer {
    fn new(out: Arc<dyn Reporter>, n: usize, ordered: bool) -> Sequencer {
        Sequencer {
            out,
            ordered,
            state: Mutex::new(SeqState {
                head: 0,
                held: (0..n).map(|_| (Vec::new(), false)).collect(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SeqState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn send(&self, i: usize, report: Report) {
        if !self.ordered {
            self.out.report(report);
            return;
        }
        let mut st = self.lock();
        if i == st.head {
            self.out.report(report);
        } else if let Some(slot) = st.held.get_mut(i) {
            slot.0.push(report);
        }
    }

    fn log(&self, i: usize, entry: LogEntry) {
        self.send(
            i,
            Report {
                image: None,
                event: Event::Log(entry),
            },
        );
    }

    fn release(&self, reports: Vec<Report>) {
        for r in reports {
            self.out.report(r);
        }
    }

    /// Image `i` has reported everything.
    fn finish(&self, i: usize) {
        let mut st = self.lock();
        if let Some(slot) = st.held.get_mut(i) {
            slot.1 = true;
        }
        self.advance(&mut st);
    }

    /// Image `i` was cancelled: what it reported is dropped.
    fn discard(&self, i: usize) {
        let mut st = self.lock();
        if let Some(slot) = st.held.get_mut(i) {
            *slot = (Vec::new(), true);
        }
        self.advance(&mut st);
    }

    fn advance(&self, st: &mut SeqState) {
        while st.head < st.held.len() && st.held[st.head].1 {
            let reports = std::mem::take(&mut st.held[st.head].0);
            self.release(reports);
            st.head += 1;
        }
        if let Some(slot) = st.held.get_mut(st.head) {
            let reports = std::mem::take(&mut slot.0);
            self.release(reports);
        }
    }

    /// Sends whatever is still held, in order.
    fn flush_all(&self) {
        let mut st = self.lock();
        let start = st.head;
        for slot in st.held.iter_mut().skip(start) {
            let reports = std::mem::take(&mut slot.0);
            self.release(reports);
        }
        st.head = st.held.len();
    }
}

/// One image's events, into the sequencer.
struct JobReporter {
    seq: Arc<Sequencer>,
    index: usize,
}

impl Reporter for JobReporter {
    fn report(&self, report: Report) {
        self.seq.send(self.index, report);
    }
}

/// `--digestfile`: created (emptied) before copying; lines in plan order as images finish.
struct DigestFile {
    file: Option<(std::fs::File, String)>,
    next: usize,
    pending: BTreeMap<usize, Option<String>>,
}

impl DigestFile {
    fn create(path: Option<&std::path::Path>) -> Result<DigestFile> {
        let file = match path {
            Some(p) => {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(p)
                    .map_err(|e| {
                        anyhow!(
                            "Error creating digest file: {}",
                            crate::gotext::go_path_error("open", p, &e)
                        )
                    })?;
                Some((f, p.display().to_string()))
            }
            None => None,
        };
        Ok(DigestFile {
            file,
            next: 0,
            pending: BTreeMap::new(),
        })
    }

    fn write_line(&mut self, line: &str) -> Result<()> {
        if let Some((f, path)) = &mut self.file {
            writeln!(f, "{line}")
                .with_context(|| format!("Failed to write digest to file {}", go_quote(path)))?;
        }
        Ok(())
    }

    /// Image `i` is done (`None`: nothing to record).
    fn done(&mut self, i: usize, line: Option<String>) -> Result<()> {
        self.pending.insert(i, line);
        while let Some(line) = self.pending.remove(&self.next) {
            if let Some(l) = line {
                self.write_line(&l)?;
            }
            self.next += 1;
        }
        Ok(())
    }

    /// Writes what is still waiting for an image that never finished.
    fn flush(&mut self) -> Result<()> {
        for line in std::mem::take(&mut self.pending).into_values().flatten() {
            self.write_line(&line)?;
        }
        Ok(())
    }
}
