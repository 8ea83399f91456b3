//! `woolly-loadgen`: the load generator and measuring tool behind the reference server's
//! figures in `BENCHMARKS.md`.
//!
//! - [`inbox`]: signed, Mastodon-shaped `Create(Note)` deliveries to a shared inbox, signed
//!   ahead of time (draft-cavage, RSA-2048, distinct activity ids, fresh `Date`s), from remote
//!   actors whose documents [`actors`] serves on loopback;
//! - [`load`]: a closed loop over keep-alive connections ([`client`]), with status-code
//!   histograms and latency percentiles ([`stats`]);
//! - [`rss`]: a process's resident memory from `/proc`;
//! - [`seed`]: fills a data directory with many statuses in the server's own record layout;
//! - [`home`]: the home timeline in process; [`startup`]: time to first answer;
//! - [`media`]: upload-to-ready time of large images ([`images`], sent as [`multipart`]
//!   bodies) with the server's memory sampled ([`rss::Sampler`]), and a stored file served
//!   over HTTP beside the same file read from disk.
//!
//! - [`disk`]: where a data directory's bytes go (files by part, sled's records by keyspace).
//!
//! Everything runs on loopback. The command line is `woolly-loadgen --help`.
//!
//! # Getting started
//!
//! ```
//! use std::time::Duration;
//! use woolly_loadgen::{rss::Memory, stats::{Latencies, StatusHistogram}};
//!
//! // Percentiles by nearest rank.
//! let l = Latencies::from_micros(vec![900, 100, 300, 200, 400]);
//! assert_eq!(l.percentile(50.0), Some(Duration::from_micros(300)));
//! assert_eq!(l.percentile(99.0), Some(Duration::from_micros(900)));
//!
//! // Every delivery must be answered 2xx.
//! let mut h = StatusHistogram::default();
//! h.add(202);
//! h.add(401);
//! assert!(!h.all_ok());
//! assert_eq!(h.to_string(), "202: 1, 401: 1");
//!
//! // Resident memory of a process (here this one).
//! let m = Memory::of_pid(std::process::id()).expect("Linux /proc");
//! assert!(m.rss_kib > 0);
//! ```

pub mod actors;
pub mod client;
pub mod disk;
mod error;
pub mod home;
pub mod images;
pub mod inbox;
pub mod load;
pub mod media;
pub mod multipart;
pub mod rss;
pub mod seed;
pub mod startup;
pub mod stats;

pub use error::{Error, Result};
