//! Crash safety of the inbox on a journaled queue, through the engine: a child process (this
//! test binary) receives signed activities on a sled store with the inbox journaled, reporting
//! each one only after `receive` accepted it (the `202`), while its runner handles them; the
//! parent kills it with SIGKILL at seeded moments, reopens the store, runs the inbox to the
//! end and checks that every accepted activity was handled. Each child also re-sends
//! activities that earlier rounds had handled completely (the restart emptied the in-memory
//! filter, so they are accepted again): the runner's check against the store's dedupe set
//! must keep the handler from running on them a second time.
//!
//! A handler records each activity it handles in the store; a second run of the handler for
//! an activity is recorded apart. That may happen, by design, only to an activity whose
//! handler had run but whose dedupe record and ack a kill cut off (at-least-once in that
//! window, as with any queue); it must never happen to a re-sent activity already handled.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use activitypub_core::engine::transport::memory::MemoryNetwork;
use activitypub_core::engine::{
    ActivityHandler, Engine, EngineConfig, InboxActivity, InboxTarget, KeyAlgorithm, INBOX_QUEUE,
};
use activitypub_core::Error;
use fedi_storage::sled::{JournalQueues, SledConfig, SledStore};
use fedi_storage::{KvStore, ManualClock, QueueStore, QueueStoreExt, Store, Timestamp};
use http_sig::{PrivateKey, Scheme};

use crate::support::{signed_post, Remote};

const DIR_ENV: &str = "ENGINE_JOURNAL_CRASH_DIR";
const ROUND_ENV: &str = "ENGINE_JOURNAL_CRASH_ROUND";
const ROUNDS: u64 = 12;
const T0: u64 = 1_767_225_600_000;

fn round_now(round: u64) -> Timestamp {
    Timestamp::from_unix_millis(T0 + round * 1_000_000)
}

/// Records every activity handled: `handled/ID`, or `twice/ID` if it was already there.
struct Recording;

#[async_trait::async_trait]
impl ActivityHandler for Recording {
    async fn handle(&self, engine: &Engine, a: InboxActivity) -> Result<(), Error> {
        let id = a.activity.id.as_ref().unwrap().as_str().to_owned();
        let store = engine.store();
        let ns = if store.kv_get("handled", id.as_bytes()).await?.is_some() {
            "twice"
        } else {
            "handled"
        };
        store.kv_put(ns, id.as_bytes(), b"1").await?;
        Ok(())
    }
}

fn open(dir: &std::path::Path) -> Arc<SledStore> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let config = SledConfig::new(dir).journal(JournalQueues::Named(vec![INBOX_QUEUE.into()]));
        match SledStore::open_with(config) {
            Ok(s) => return Arc::new(s),
            Err(e)
                if e.to_string().contains("could not acquire lock")
                    && Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("open: {e}"),
        }
    }
}

async fn engine(net: &MemoryNetwork, store: Arc<SledStore>, clock: &ManualClock) -> Engine {
    let mut config = EngineConfig::new("http://wool.test").unwrap();
    config.instance_key = KeyAlgorithm::Ed25519;
    let store: Arc<dyn Store> = store;
    Engine::builder(config)
        .store(store)
        .transport(Arc::new(net.clone()))
        .handler(Arc::new(Recording))
        .clock(Arc::new(clock.clone()))
        .build()
        .await
        .unwrap()
}

fn activity(actor: &str, id: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "Like",
        "actor": actor,
        "object": "http://wool.test/notes/1",
    }))
    .unwrap()
}

/// The child (ignored in a normal run; it returns at once without its environment).
#[test]
#[ignore = "the child process of the engine journal crash test; run by it"]
fn engine_journal_crash_child() {
    let Ok(dir) = std::env::var(DIR_ENV) else {
        return;
    };
    let round: u64 = std::env::var(ROUND_ENV).unwrap().parse().unwrap();
    let resend: Vec<String> = std::fs::read_to_string(format!("{dir}.resend"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let net = MemoryNetwork::with_seed(round);
        let clock = ManualClock::new(round_now(round));
        let remote = Remote::start(&net, "far.test");
        let key = PrivateKey::generate_ed25519().unwrap();
        let m = remote.actor("m", &key).as_str().to_owned();
        let store = open(std::path::Path::new(&dir));
        let engine = engine(&net, store, &clock).await;
        let key_id = format!("{m}#main-key");
        let mut tasks = Vec::new();
        for t in 0..4u64 {
            let (engine, m, key_id, key, resend) = (
                engine.clone(),
                m.clone(),
                key_id.clone(),
                key.clone(),
                resend.clone(),
            );
            tasks.push(tokio::spawn(async move {
                for i in 0..100_000u64 {
                    let id = match resend.get((i * 4 + t) as usize) {
                        Some(old) if i % 3 == 0 => old.clone(),
                        _ => format!("{m}/likes/r{round}-t{t}-i{i}"),
                    };
                    let req = signed_post(
                        "http://wool.test/inbox",
                        &activity(&m, &id),
                        &key_id,
                        &key,
                        Scheme::Cavage,
                        engine.now().into(),
                    );
                    let a = engine.receive(req, InboxTarget::Shared).await.unwrap();
                    if !a.duplicate {
                        let mut out = std::io::stdout().lock();
                        out.write_all(format!("@@ acc {id}\n").as_bytes()).unwrap();
                        out.flush().unwrap();
                    }
                }
            }));
        }
        let runner = engine.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..1_000_000u64 {
                if runner.process_inbox(64).await.unwrap().leased == 0 {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
        }));
        let deadline = tokio::time::sleep(Duration::from_secs(20));
        tokio::select! {
            _ = futures::future::join_all(tasks) => {}
            _ = deadline => {}
        }
    });
}

/// Runs the child, kills it after `after`, returns its complete report lines.
fn run_and_kill(dir: &std::path::Path, round: u64, after: Duration) -> Vec<String> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "engine_journal_crash::engine_journal_crash_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_ENV, dir)
        .env(ROUND_ENV, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        let mut r = BufReader::new(stdout);
        let mut buf = Vec::new();
        while let Ok(n) = r.read_until(b'\n', &mut buf) {
            if n == 0 || buf.last() != Some(&b'\n') {
                break;
            }
            lines.push(String::from_utf8_lossy(&buf[..buf.len() - 1]).into_owned());
            buf.clear();
        }
        lines
    });
    std::thread::sleep(after);
    child.kill().unwrap(); // SIGKILL, by the child's own handle
    child.wait().unwrap();
    reader.join().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_accepted_activity_is_handled_and_handled_ones_are_not_handled_again() {
    if std::env::var(DIR_ENV).is_ok() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let mut accepted = BTreeSet::new();
    let mut rng = 0x1234_5678_9abc_def1u64;
    let started = Instant::now();
    let mut rounds = 0;
    let mut interrupted_twice = 0usize;
    for round in 1..=ROUNDS {
        if started.elapsed() > Duration::from_secs(60) {
            break;
        }
        // Activities handled completely before this round: the child re-sends some.
        let store = open(&dir);
        let done: Vec<String> = store
            .kv_scan("handled", b"", None, 10_000)
            .await
            .unwrap()
            .into_iter()
            .map(|(k, _)| String::from_utf8(k).unwrap())
            .collect();
        let twice_before: BTreeSet<Vec<u8>> = store
            .kv_scan("twice", b"", None, 100_000)
            .await
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        drop(store);
        std::fs::write(format!("{}.resend", dir.display()), done.join("\n")).unwrap();
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let after = Duration::from_millis(150 + rng % 500);
        for line in run_and_kill(&dir, round, after) {
            if let Some(id) = line.strip_prefix("@@ acc ") {
                accepted.insert(id.to_owned());
            }
        }
        // Restart: handle everything left, past the end of the interrupted leases.
        let store = open(&dir);
        let net = MemoryNetwork::with_seed(1000 + round);
        let clock = ManualClock::new(round_now(round).saturating_add(Duration::from_secs(600)));
        let remote = Remote::start(&net, "far.test");
        remote.actor("m", &PrivateKey::generate_ed25519().unwrap());
        let engine = engine(&net, store.clone(), &clock).await;
        for _ in 0..10_000 {
            engine.process_inbox(256).await.unwrap();
            if store.count_pending(INBOX_QUEUE).await.unwrap() == 0 {
                break;
            }
        }
        assert_eq!(store.count_pending(INBOX_QUEUE).await.unwrap(), 0);
        assert_eq!(
            store.count_dead(INBOX_QUEUE).await.unwrap(),
            0,
            "round {round}"
        );
        for id in &accepted {
            assert!(
                store
                    .kv_get("handled", id.as_bytes())
                    .await
                    .unwrap()
                    .is_some(),
                "round {round}: accepted activity {id} never handled"
            );
        }
        // The activities whose handler ran a second time in this round.
        let twice: Vec<String> = store
            .kv_scan("twice", b"", None, 100_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|(k, _)| !twice_before.contains(k))
            .map(|(k, _)| String::from_utf8(k).unwrap())
            .collect();
        for id in &twice {
            assert!(
                !done.contains(id),
                "round {round}: {id}, handled before this round, was handled again"
            );
        }
        interrupted_twice += twice.len();
        drop(engine);
        drop(store);
        rounds += 1;
        eprintln!(
            "round {round}: killed after {after:?}; {} accepted so far, {} re-sent, {} handled twice by an interrupted handling",
            accepted.len(),
            done.len(),
            interrupted_twice
        );
    }
    assert!(rounds >= 5, "only {rounds} rounds ran");
    assert!(
        accepted.len() > 100,
        "too little accepted: {}",
        accepted.len()
    );
}
