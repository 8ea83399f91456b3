//! Closed-loop load over keep-alive connections: each connection sends its next request as
//! soon as the previous answer is read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::Full;

use crate::client::{Conn, Target};
use crate::stats::{Latencies, StatusHistogram};

/// What a run measured.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RunReport {
    /// Wall time from the first request to the last answer.
    pub elapsed: Duration,
    /// Answers by status.
    pub statuses: StatusHistogram,
    /// Latency of every answered request (send to last body byte).
    pub latencies: Latencies,
    /// The first few non-2xx or rejected answers (status and body), for diagnosis.
    pub samples: Vec<String>,
    /// Answers the run's check rejected (see [`closed_loop_checked`]); counted in
    /// `statuses` too.
    pub rejected: u64,
}

impl RunReport {
    /// Answered requests per second.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.statuses.total() as f64 / secs
        } else {
            0.0
        }
    }

    /// Whether every request got a 2xx answer that the check accepted.
    pub fn all_ok(&self) -> bool {
        self.statuses.all_ok() && self.rejected == 0
    }
}

/// Runs `concurrency` connections against `target`; request `i` (counted from 0 over all
/// connections) is `make(i)`, and the run ends when `make` returns `None`.
pub async fn closed_loop<F>(target: &Target, concurrency: usize, make: F) -> RunReport
where
    F: Fn(u64) -> Option<Request<Full<Bytes>>> + Send + Sync + 'static,
{
    closed_loop_checked(target, concurrency, make, |_, _| None).await
}

/// [`closed_loop`], and every answer is passed to `check`, which says what is wrong with it
/// (`Some(reason)`) or accepts it (`None`); rejected answers are counted in
/// [`RunReport::rejected`] and sampled.
pub async fn closed_loop_checked<F, C>(
    target: &Target,
    concurrency: usize,
    make: F,
    check: C,
) -> RunReport
where
    F: Fn(u64) -> Option<Request<Full<Bytes>>> + Send + Sync + 'static,
    C: Fn(StatusCode, &Bytes) -> Option<String> + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let check = Arc::new(check);
    let rejected = Arc::new(AtomicU64::new(0));
    let next = Arc::new(AtomicU64::new(0));
    let samples = Arc::new(Mutex::new(Vec::<String>::new()));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let make = make.clone();
        let check = check.clone();
        let rejected = rejected.clone();
        let next = next.clone();
        let samples = samples.clone();
        let addr = target.addr;
        tasks.push(tokio::spawn(async move {
            let mut hist = StatusHistogram::default();
            let mut lat = Vec::new();
            let mut conn: Option<Conn> = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(req) = make(i) else { break };
                if conn.as_ref().is_none_or(|c| !c.is_open()) {
                    match Conn::connect(addr, Duration::from_secs(5)).await {
                        Ok(c) => conn = Some(c),
                        Err(e) => {
                            hist.fail(e.to_string());
                            continue;
                        }
                    }
                }
                let Some(c) = conn.as_mut() else { continue };
                let t0 = Instant::now();
                match tokio::time::timeout(Duration::from_secs(60), c.send(req)).await {
                    Ok(Ok((status, body))) => {
                        lat.push(u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX));
                        hist.add(status.as_u16());
                        let verdict = check(status, &body);
                        if verdict.is_some() {
                            rejected.fetch_add(1, Ordering::Relaxed);
                        }
                        if !status.is_success() || verdict.is_some() {
                            let mut s = samples.lock().unwrap_or_else(|p| p.into_inner());
                            if s.len() < 5 {
                                let text = String::from_utf8_lossy(&body);
                                s.push(format!(
                                    "{status}{}: {}",
                                    verdict.map_or_else(String::new, |v| format!(" ({v})")),
                                    text.chars().take(300).collect::<String>()
                                ));
                            }
                        }
                    }
                    Ok(Err(e)) => {
                        hist.fail(e.to_string());
                        conn = None;
                    }
                    Err(_) => {
                        hist.fail("no answer within 60 s");
                        conn = None;
                    }
                }
            }
            (hist, lat)
        }));
    }
    let mut report = RunReport::default();
    let mut all = Vec::new();
    for t in tasks {
        match t.await {
            Ok((h, l)) => {
                report.statuses.merge(&h);
                all.extend(l);
            }
            Err(e) => report.statuses.fail(format!("worker failed: {e}")),
        }
    }
    report.elapsed = start.elapsed();
    report.latencies = Latencies::from_micros(all);
    report.samples = samples.lock().map(|s| s.clone()).unwrap_or_default();
    report.rejected = rejected.load(Ordering::Relaxed);
    report
}
