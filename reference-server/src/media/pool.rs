//! The bounded worker pool that processes uploads off the request path.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Semaphore;

use super::{process_file, Limits, Processed, Purpose};
use crate::Error;

/// Processes uploads with at most `workers` at once, each on a blocking thread (images are
/// decoded there, and ffmpeg's children are waited for there), so a decoded full-size image
/// exists at most once per worker. Each upload has an overall time bound
/// ([`Limits::total_timeout`]).
#[derive(Debug, Clone)]
pub struct MediaPool {
    permits: Arc<Semaphore>,
    running: Arc<AtomicUsize>,
    workers: usize,
    limits: Arc<Limits>,
    out_dir: PathBuf,
}

impl MediaPool {
    /// A pool of `workers` (at least 1) writing renditions into `out_dir`.
    pub fn new(workers: usize, limits: Limits, out_dir: PathBuf) -> MediaPool {
        let workers = workers.max(1);
        MediaPool {
            permits: Arc::new(Semaphore::new(workers)),
            running: Arc::new(AtomicUsize::new(0)),
            workers,
            limits: Arc::new(limits),
            out_dir,
        }
    }

    /// A pool with one worker per core, as the memory bound asks.
    pub fn with_cores(limits: Limits, out_dir: PathBuf) -> MediaPool {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        MediaPool::new(cores, limits, out_dir)
    }

    /// How many uploads are processed at once at most.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// How many uploads are being processed now (counted inside the workers, also those
    /// whose caller gave up on a time-out).
    pub fn busy(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Waits until no worker is busy (also the ones whose caller gave up on a time-out).
    pub async fn idle(&self) {
        let all = u32::try_from(self.workers).unwrap_or(u32::MAX);
        // The semaphore is never closed, so this only waits.
        drop(self.permits.acquire_many(all).await);
    }

    /// Processes the file at `input` (which the caller keeps and deletes) for `purpose`.
    ///
    /// Waits for a free worker first. When the time bound runs out the call returns
    /// [`Error::MediaTimeout`]; the worker keeps its place until its work stops, and then
    /// deletes what it wrote.
    pub async fn process(&self, input: PathBuf, purpose: Purpose) -> Result<Processed, Error> {
        let deadline = tokio::time::Instant::now() + self.limits.total_timeout;
        let permit = tokio::time::timeout_at(deadline, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| Error::MediaTimeout)?
            .map_err(|_| Error::Io(std::io::Error::other("media pool closed")))?;
        let limits = self.limits.clone();
        let out_dir = self.out_dir.clone();
        let running = self.running.clone();
        let task = tokio::task::spawn_blocking(move || {
            running.fetch_add(1, Ordering::SeqCst);
            let result = process_file(&input, purpose, &limits, &out_dir);
            running.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
            result
        });
        let mut task = task;
        match tokio::time::timeout_at(deadline, &mut task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) if join.is_panic() => {
                // A decoder bug on some input: the upload is refused, the server goes on (the
                // worker's `Outputs` removed its files while unwinding).
                tracing::error!("media worker panicked: {join}");
                Err(Error::CorruptMedia("the file could not be decoded".into()))
            }
            Ok(Err(join)) => Err(Error::Io(std::io::Error::other(format!(
                "media worker failed: {join}"
            )))),
            Err(_) => {
                // The blocking work cannot be interrupted (ffmpeg's children have their own
                // bound); whatever it still writes is deleted when it ends.
                tokio::spawn(async move {
                    if let Ok(Ok(late)) = task.await {
                        late.remove_files();
                    }
                });
                Err(Error::MediaTimeout)
            }
        }
    }
}
