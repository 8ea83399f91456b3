//! Resident memory of a process, from `/proc/PID/status` (Linux), read once or sampled.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};

/// A process's memory figures, in KiB, as the kernel reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Memory {
    /// `VmRSS`: resident now.
    pub rss_kib: u64,
    /// `VmHWM`: the peak resident set so far.
    pub hwm_kib: u64,
}

impl Memory {
    /// Parses the text of `/proc/PID/status`.
    pub fn parse(status: &str) -> Option<Memory> {
        let field = |name: &str| {
            status.lines().find_map(|l| {
                let rest = l.strip_prefix(name)?.strip_prefix(':')?;
                rest.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()
            })
        };
        Some(Memory {
            rss_kib: field("VmRSS")?,
            hwm_kib: field("VmHWM")?,
        })
    }

    /// Reads a running process's figures.
    pub fn of_pid(pid: u32) -> Result<Memory> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        Memory::parse(&text).ok_or_else(|| {
            Error::Usage(format!(
                "/proc/{pid}/status has no VmRSS/VmHWM (a kernel thread or a zombie?)"
            ))
        })
    }

    /// `VmRSS 12.3 MiB (12,345 KiB), VmHWM …`.
    pub fn summary(&self) -> String {
        format!(
            "VmRSS {:.1} MiB ({} KiB), VmHWM {:.1} MiB ({} KiB)",
            self.rss_kib as f64 / 1024.0,
            self.rss_kib,
            self.hwm_kib as f64 / 1024.0,
            self.hwm_kib
        )
    }
}

/// Samples a process's memory at a fixed interval in a background task until stopped.
#[derive(Debug)]
pub struct Sampler {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<SampleSummary>,
}

/// What a [`Sampler`] saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SampleSummary {
    /// The largest `VmRSS` sampled, KiB.
    pub peak_rss_kib: u64,
    /// Samples taken.
    pub samples: u64,
    /// The last figures read.
    pub last: Option<Memory>,
}

impl Sampler {
    /// Starts sampling `pid` every `every` (at least 10 ms), from now on.
    pub fn start(pid: u32, every: Duration) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let every = every.max(Duration::from_millis(10));
        let task = tokio::spawn(async move {
            let mut sum = SampleSummary::default();
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Ok(m) = Memory::of_pid(pid) {
                    sum.peak_rss_kib = sum.peak_rss_kib.max(m.rss_kib);
                    sum.samples += 1;
                    sum.last = Some(m);
                }
                if s.load(Ordering::Relaxed) {
                    return sum;
                }
            }
        });
        Sampler { stop, task }
    }

    /// Stops sampling (after one last sample) and returns what was seen.
    pub async fn stop(self) -> SampleSummary {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_proc_status() {
        let text = "Name:\twoolly\nVmPeak:\t  912345 kB\nVmHWM:\t   18432 kB\nVmRSS:\t   15360 kB\nThreads:\t5\n";
        assert_eq!(
            Memory::parse(text),
            Some(Memory {
                rss_kib: 15_360,
                hwm_kib: 18_432
            })
        );
        assert_eq!(Memory::parse("Name:\tkthreadd\n"), None);
    }

    #[tokio::test]
    async fn samples_this_process_until_stopped() {
        let s = Sampler::start(std::process::id(), Duration::from_millis(10));
        tokio::time::sleep(Duration::from_millis(60)).await;
        let sum = s.stop().await;
        assert!(sum.samples >= 2, "{sum:?}");
        let last = sum.last.unwrap();
        assert!(sum.peak_rss_kib >= last.rss_kib && last.rss_kib > 0);
    }

    #[test]
    fn reads_this_process() {
        let m = Memory::of_pid(std::process::id()).unwrap();
        assert!(m.rss_kib > 0 && m.hwm_kib >= m.rss_kib);
    }
}
