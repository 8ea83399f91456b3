//! Latency percentiles and status-code histograms.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Latencies of a run, in microseconds, sorted once for percentiles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Latencies {
    sorted_us: Vec<u64>,
}

impl Latencies {
    /// From unsorted samples in microseconds.
    pub fn from_micros(mut samples: Vec<u64>) -> Self {
        samples.sort_unstable();
        Latencies { sorted_us: samples }
    }
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.sorted_us.len()
    }
    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.sorted_us.is_empty()
    }
    /// The `p`-th percentile (nearest rank; `p` in 0..=100, fractions allowed), `None` when
    /// empty.
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        let n = self.sorted_us.len();
        if n == 0 {
            return None;
        }
        let p = p.clamp(0.0, 100.0);
        // Nearest rank: the smallest value with at least p% of the samples at or below it.
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        let idx = rank.clamp(1, n) - 1;
        Some(Duration::from_micros(self.sorted_us[idx]))
    }
    /// The largest sample.
    pub fn max(&self) -> Option<Duration> {
        self.sorted_us.last().map(|&u| Duration::from_micros(u))
    }
    /// The mean.
    pub fn mean(&self) -> Option<Duration> {
        if self.sorted_us.is_empty() {
            return None;
        }
        let sum: u128 = self.sorted_us.iter().map(|&u| u128::from(u)).sum();
        let mean = sum / self.sorted_us.len() as u128;
        Some(Duration::from_micros(
            u64::try_from(mean).unwrap_or(u64::MAX),
        ))
    }
    /// `p50 … p99 … max` on one line.
    pub fn summary(&self) -> String {
        let f = |d: Option<Duration>| d.map_or_else(|| "-".to_owned(), fmt_duration);
        format!(
            "p50 {} p90 {} p99 {} p99.9 {} max {} (n={})",
            f(self.percentile(50.0)),
            f(self.percentile(90.0)),
            f(self.percentile(99.0)),
            f(self.percentile(99.9)),
            f(self.max()),
            self.len()
        )
    }
}

/// A duration as `123 µs` or `4.56 ms` or `7.89 s`.
pub fn fmt_duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.0} µs")
    } else if us < 1e6 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// Answers counted by status code, plus failures without a status (connection errors).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusHistogram {
    /// Status code → count.
    pub codes: BTreeMap<u16, u64>,
    /// Requests that got no answer, by error text.
    pub failures: BTreeMap<String, u64>,
}

impl StatusHistogram {
    /// Counts an answer.
    pub fn add(&mut self, code: u16) {
        *self.codes.entry(code).or_default() += 1;
    }
    /// Counts a failure.
    pub fn fail(&mut self, what: impl Into<String>) {
        *self.failures.entry(what.into()).or_default() += 1;
    }
    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &StatusHistogram) {
        for (k, v) in &other.codes {
            *self.codes.entry(*k).or_default() += v;
        }
        for (k, v) in &other.failures {
            *self.failures.entry(k.clone()).or_default() += v;
        }
    }
    /// Answers with a 2xx status.
    pub fn ok(&self) -> u64 {
        self.codes
            .iter()
            .filter(|(c, _)| (200..300).contains(*c))
            .map(|(_, n)| n)
            .sum()
    }
    /// Every request counted.
    pub fn total(&self) -> u64 {
        self.codes.values().sum::<u64>() + self.failures.values().sum::<u64>()
    }
    /// Whether every request got a 2xx answer.
    pub fn all_ok(&self) -> bool {
        self.ok() == self.total()
    }
}

impl fmt::Display for StatusHistogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (c, n) in &self.codes {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{c}: {n}")?;
        }
        for (e, n) in &self.failures {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "error {e:?}: {n}")?;
        }
        if first {
            f.write_str("(none)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        // 1..=100 µs: p50 is the 50th value, p99 the 99th, p100 the largest.
        let l = Latencies::from_micros((1..=100).rev().collect());
        assert_eq!(l.percentile(50.0), Some(Duration::from_micros(50)));
        assert_eq!(l.percentile(99.0), Some(Duration::from_micros(99)));
        assert_eq!(l.percentile(99.9), Some(Duration::from_micros(100)));
        assert_eq!(l.percentile(0.0), Some(Duration::from_micros(1)));
        assert_eq!(l.max(), Some(Duration::from_micros(100)));
        assert_eq!(l.mean(), Some(Duration::from_micros(50)));
        assert_eq!(Latencies::default().percentile(50.0), None);
    }

    #[test]
    fn histogram_counts_and_formats() {
        let mut h = StatusHistogram::default();
        h.add(202);
        h.add(202);
        let mut other = StatusHistogram::default();
        other.add(401);
        other.fail("connection reset");
        h.merge(&other);
        assert_eq!(h.ok(), 2);
        assert_eq!(h.total(), 4);
        assert!(!h.all_ok());
        assert_eq!(
            h.to_string(),
            "202: 2, 401: 1, error \"connection reset\": 1"
        );
    }

    #[test]
    fn durations_format_by_magnitude() {
        assert_eq!(fmt_duration(Duration::from_micros(123)), "123 µs");
        assert_eq!(fmt_duration(Duration::from_micros(4_560)), "4.56 ms");
        assert_eq!(fmt_duration(Duration::from_millis(7_890)), "7.89 s");
    }
}
