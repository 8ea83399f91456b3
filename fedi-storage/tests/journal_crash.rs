//! Crash safety of the sled backend's queue journal: a child process enqueues into a journaled
//! `inbox` queue from several tasks (reporting each id only after `enqueue` returned) while
//! other tasks lease, acknowledge and retry; the parent kills it with SIGKILL at seeded random
//! moments (so some appends are cut in the middle), reopens the store and checks that every
//! reported record is pending with its exact bytes unless it was acknowledged, that no
//! acknowledged record comes back, that a torn tail never hides a record, and at the end that
//! once everything is handled only the active segment is left.
//!
//! The child is this test binary itself, run with `FEDI_STORAGE_JOURNAL_CRASH_DIR` set and a
//! filter selecting the `journal_crash_child` test.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::{Duration, Instant};

use fedi_storage::sled::{JournalQueues, SledConfig, SledStore};
use fedi_storage::*;

use crate::support;

const DIR_ENV: &str = "FEDI_STORAGE_JOURNAL_CRASH_DIR";
const ROUND_ENV: &str = "FEDI_STORAGE_JOURNAL_CRASH_ROUND";
const T0: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);
const QUEUE: &str = "inbox";
const ROUNDS: u64 = 20;

fn child_now(round: u64) -> Timestamp {
    T0.saturating_add(Duration::from_secs(round * 1000))
}
fn verify_now(round: u64) -> Timestamp {
    T0.saturating_add(Duration::from_secs(round * 1000 + 500))
}

/// A record's bytes: a delivery-sized body named by its tag.
fn body_for(tag: &str) -> Vec<u8> {
    format!(
        "{{\"id\":\"https://b.example/{tag}\",\"content\":\"{}\"}}",
        "y".repeat(400 + tag.len() * 13 % 300)
    )
    .into_bytes()
}

fn open(dir: &std::path::Path) -> SledStore {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match SledStore::open_with(
            SledConfig::new(dir)
                .journal(JournalQueues::Named(vec![QUEUE.into()]))
                .journal_segment_bytes(16 * 1024),
        ) {
            Ok(s) => return s,
            Err(e)
                if e.to_string().contains("could not acquire lock")
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("open {}: {e}", dir.display()),
        }
    }
}

fn report(line: String) {
    let out = std::io::stdout();
    let mut out = out.lock();
    out.write_all(format!("@@ {line}\n").as_bytes()).unwrap();
    out.flush().unwrap();
}

/// The child (ignored in a normal run; it returns at once without its environment).
#[test]
#[ignore = "the child process of the journal crash test; run by it"]
fn journal_crash_child() {
    let Ok(dir) = std::env::var(DIR_ENV) else {
        return;
    };
    let round: u64 = std::env::var(ROUND_ENV).unwrap().parse().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let store = open(std::path::Path::new(&dir));
        let now = child_now(round);
        let mut tasks = Vec::new();
        for w in 0..6u64 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..100_000u64 {
                    let tag = format!("r{round}-w{w}-i{i}");
                    let job = NewJob::new(format!("h{}", w % 3), body_for(&tag), now)
                        .with_max_attempts(1000);
                    let id = store.enqueue(QUEUE, &job).await.unwrap();
                    report(format!("enq {id} {tag}"));
                }
            }));
        }
        for c in 0..2u64 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for n in 0..100_000u64 {
                    let jobs = store
                        .lease(QUEUE, &LeaseRequest::new(now, Duration::from_secs(100), 8))
                        .await
                        .unwrap();
                    if jobs.is_empty() {
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                    let mut acks = Vec::new();
                    for (k, job) in jobs.iter().enumerate() {
                        if (n + k as u64 + c).is_multiple_of(7) {
                            // A failure: due again at once, in the sled queue.
                            store
                                .retry(QUEUE, &job.lease, "boom", now, now)
                                .await
                                .unwrap();
                        } else {
                            report(format!("acking {}", job.id));
                            acks.push(job.lease);
                        }
                    }
                    if !acks.is_empty() {
                        let r = store.ack_many(QUEUE, &acks).await.unwrap();
                        assert!(r.iter().all(|a| *a));
                        for l in acks {
                            report(format!("ack {}", l.job));
                        }
                    }
                }
            }));
        }
        let deadline = tokio::time::sleep(Duration::from_secs(20));
        tokio::select! {
            _ = futures::future::join_all(tasks) => {}
            _ = deadline => {}
        }
    });
}

#[derive(Default)]
struct Log {
    enqueued: BTreeMap<u64, String>,
    acking: BTreeSet<u64>,
    acked: BTreeSet<u64>,
}

impl Log {
    fn read(&mut self, line: &str) {
        let Some(rest) = line.strip_prefix("@@ ") else {
            return;
        };
        match rest.split(' ').collect::<Vec<_>>().as_slice() {
            ["enq", id, tag] => {
                let fresh = self.enqueued.insert(id.parse().unwrap(), tag.to_string());
                assert!(fresh.is_none(), "id {id} given twice");
            }
            ["acking", id] => {
                self.acking.insert(id.parse().unwrap());
            }
            ["ack", id] => {
                self.acked.insert(id.parse().unwrap());
            }
            other => panic!("unexpected report {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "known problem, under investigation: in one CI run (2026-12-07, e19b935) the final \
            check found a reported append missing (round 15: job r14-w5-i145 lost); it passed \
            6 of 6 runs here. The reference server keeps the journal off until this is \
            understood. Run with --ignored."]
async fn sigkill_loses_no_appended_record_and_repeats_no_acknowledged_one() {
    if std::env::var(DIR_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut log = Log::default();
    let started = Instant::now();
    let mut rounds = 0;
    for round in 0..ROUNDS {
        if started.elapsed() > Duration::from_secs(45) {
            break;
        }
        let kill_after = Duration::from_millis(40 + support::next_random(&mut rng) % 400);
        let lines = support::run_and_kill(
            "journal_crash::journal_crash_child",
            &[
                (DIR_ENV, db.display().to_string()),
                (ROUND_ENV, round.to_string()),
            ],
            kill_after,
        );
        for line in &lines {
            log.read(line);
        }
        verify(&db, round, &log, false).await;
        eprintln!(
            "round {round}: killed after {kill_after:?}; {} appended, {} acknowledged so far",
            log.enqueued.len(),
            log.acked.len()
        );
        rounds += 1;
    }
    assert!(rounds >= 8, "only {rounds} rounds ran");
    assert!(
        log.enqueued.len() > 50 && log.acked.len() > 20,
        "the children did too little to test anything: {} appended, {} acknowledged",
        log.enqueued.len(),
        log.acked.len()
    );
    verify(&db, ROUNDS, &log, true).await;
}

/// Checks the store against the reports; with `drain`, acknowledges everything pending and
/// checks that only the active segment is left.
async fn verify(db: &std::path::Path, round: u64, log: &Log, drain: bool) {
    let store = open(db);
    let now = verify_now(round);
    // Everything pending, leased for 1 ms so the next child sees it again.
    let jobs = store
        .lease(
            QUEUE,
            &LeaseRequest::new(now, Duration::from_millis(1), 1_000_000),
        )
        .await
        .unwrap();
    let mut pending = BTreeMap::new();
    for j in &jobs {
        assert!(
            pending.insert(j.id, j.payload.clone()).is_none(),
            "round {round}: job {} leased twice in one lease",
            j.id
        );
    }
    for (id, tag) in &log.enqueued {
        if log.acked.contains(id) {
            assert!(
                !pending.contains_key(id),
                "round {round}: acknowledged job {id} delivered again"
            );
        } else if !log.acking.contains(id) {
            let payload = pending
                .get(id)
                .unwrap_or_else(|| panic!("round {round}: appended job {id} ({tag}) lost"));
            assert_eq!(payload, &body_for(tag), "round {round}: job {id} damaged");
        }
    }
    for (id, payload) in &pending {
        // Unreported appends (cut by the kill after the sync) may be there, whole.
        if let Some(tag) = log.enqueued.get(id) {
            assert_eq!(payload, &body_for(tag), "round {round}: job {id} damaged");
        }
    }
    assert_eq!(
        store.count_pending(QUEUE).await.unwrap() as usize,
        pending.len(),
        "round {round}: lane counts disagree with pending jobs"
    );
    assert_eq!(store.count_dead(QUEUE).await.unwrap(), 0);
    if drain {
        let leases: Vec<Lease> = jobs.iter().map(|j| j.lease).collect();
        assert!(store
            .ack_many(QUEUE, &leases)
            .await
            .unwrap()
            .iter()
            .all(|a| *a));
        assert_eq!(store.count_pending(QUEUE).await.unwrap(), 0);
        let segments = std::fs::read_dir(db.join("journal").join(QUEUE))
            .unwrap()
            .count();
        assert_eq!(
            segments, 1,
            "only the active segment is left once all is handled"
        );
    }
}
