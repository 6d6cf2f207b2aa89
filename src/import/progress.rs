//! Import progress: a bar on a terminal, a plain line every few seconds
//! otherwise (logs, CI), nothing for imports over HTTP.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Counts the bytes read through it, for progress over a file's size.
pub struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Where progress goes.
pub enum Progress {
    Silent,
    Bar { bar: ProgressBar, read: Arc<AtomicU64> },
    Lines { every: Duration, last: Instant, started: Instant, read: Arc<AtomicU64>, size: u64 },
}

impl Progress {
    /// Wraps `input` of `size` bytes and picks the display for standard error.
    pub fn for_file<R>(input: R, size: u64) -> (Counted<R>, Progress) {
        let read = Arc::new(AtomicU64::new(0));
        let counted = Counted { inner: input, read: read.clone() };
        let progress = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(size);
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {percent:>3}% {bytes}/{total_bytes} {msg} ({elapsed}, ETA {eta})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            Progress::Bar { bar, read }
        } else {
            let now = Instant::now();
            Progress::Lines { every: Duration::from_secs(2), last: now, started: now, read, size }
        };
        (counted, progress)
    }

    /// `physicians` rows handled so far.
    pub fn update(&mut self, physicians: usize) {
        match self {
            Progress::Silent => {}
            Progress::Bar { bar, read } => {
                if physicians.is_multiple_of(256) {
                    bar.set_position(read.load(Ordering::Relaxed));
                    bar.set_message(format!("{physicians} physicians"));
                }
            }
            Progress::Lines { every, last, started, read, size } => {
                if last.elapsed() >= *every {
                    *last = Instant::now();
                    let done = read.load(Ordering::Relaxed);
                    let percent = (done * 100).checked_div(*size).unwrap_or(0);
                    eprintln!(
                        "import: {physicians} physicians, {percent}% of the file, {:.0} s",
                        started.elapsed().as_secs_f64()
                    );
                }
            }
        }
    }

    pub fn finish(&mut self) {
        if let Progress::Bar { bar, read } = self {
            bar.set_position(read.load(Ordering::Relaxed));
            bar.finish_and_clear();
        }
    }
}
