//! The loops `woolly serve` runs beside the listeners: durable jobs taken as they fall due
//! (polls, moderation, exports, imports) and periodic work (scheduled statuses, media
//! sweeps), each until the stop signal.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

/// Whether a step may be dropped midway when the server stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnStop {
    /// The step runs to its end; the loop stops after it.
    Finish,
    /// The step is dropped where it waits (it must be safe to run again: a durable job whose
    /// lease ends and that is taken again after the restart).
    Abandon,
}

/// Runs `step` until `stop` turns true: again at once while it reports work done (`true`),
/// otherwise after `every`.
pub(crate) async fn repeat<F, Fut>(
    every: Duration,
    mut stop: watch::Receiver<bool>,
    on_stop: OnStop,
    mut step: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    loop {
        if *stop.borrow() {
            return;
        }
        let busy = match on_stop {
            OnStop::Finish => step().await,
            OnStop::Abandon => tokio::select! {
                busy = step() => busy,
                _ = stop.wait_for(|v| *v) => return,
            },
        };
        if busy {
            continue;
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|v| *v) => return,
        }
    }
}

/// Whether a run of durable jobs did some (`Ok(n)` with `n > 0`); a failure is logged as
/// `what` failing, and counts as idle.
pub(crate) fn did_work<E: std::fmt::Display>(what: &str, r: Result<usize, E>) -> bool {
    match r {
        Ok(n) => n > 0,
        Err(e) => {
            tracing::warn!(error = %e, "running {what} failed");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn busy_steps_run_again_at_once_and_idle_ones_wait() {
        let (tx, rx) = watch::channel(false);
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let task = tokio::spawn(repeat(
            Duration::from_secs(60),
            rx,
            OnStop::Finish,
            move || {
                let n = counted.fetch_add(1, Ordering::SeqCst);
                async move { n < 3 }
            },
        ));
        // Three busy runs and one idle one, then the wait of a minute.
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 4);
        tokio::time::sleep(Duration::from_secs(31)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 5);
        tx.send(true).unwrap();
        task.await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn a_step_is_abandoned_only_when_allowed() {
        for (on_stop, finished) in [(OnStop::Abandon, 0), (OnStop::Finish, 1)] {
            let (tx, rx) = watch::channel(false);
            let done = Arc::new(AtomicUsize::new(0));
            let d = done.clone();
            let task = tokio::spawn(repeat(Duration::from_secs(1), rx, on_stop, move || {
                let d = d.clone();
                async move {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    d.fetch_add(1, Ordering::SeqCst);
                    false
                }
            }));
            tokio::time::sleep(Duration::from_secs(1)).await;
            tx.send(true).unwrap();
            task.await.unwrap();
            assert_eq!(done.load(Ordering::SeqCst), finished, "{on_stop:?}");
        }
    }

    #[test]
    fn failures_count_as_idle() {
        assert!(did_work::<String>("jobs", Ok(2)));
        assert!(!did_work::<String>("jobs", Ok(0)));
        assert!(!did_work("jobs", Err("broken")));
    }
}
