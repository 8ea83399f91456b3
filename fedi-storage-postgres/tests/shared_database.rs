//! What only a shared database can show: two stores (two pools, as two processes would
//! have) on one database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fedi_storage::*;
use futures::future::join_all;

use crate::common::{database, store, store_with};

const T0: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

/// 2,000 jobs produced through two stores while four consumers (two per store) lease, ack
/// and wait for more: every job is handled exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_share_one_queue_exactly_once() {
    const JOBS: u64 = 2_000;
    let db = database().await;
    let a = store(&db).await;
    let b = store(&db).await;
    let q = "shared-queue";
    let handled: Arc<Mutex<HashMap<u64, u32>>> = Arc::default();
    let deadline = Instant::now() + Duration::from_secs(120);

    let mut consumers = Vec::new();
    for (i, s) in [&a, &a, &b, &b].into_iter().enumerate() {
        let s = s.clone();
        let handled = handled.clone();
        consumers.push(tokio::spawn(async move {
            let mut waiter = s.queue_waiter(q);
            let mut mine = 0u64;
            loop {
                let jobs = s
                    .lease(q, &LeaseRequest::new(T0, Duration::from_secs(600), 32))
                    .await
                    .expect("lease");
                if jobs.is_empty() {
                    let done = handled.lock().unwrap().len() as u64 >= JOBS;
                    if done || Instant::now() > deadline {
                        return mine;
                    }
                    waiter.wait(Duration::from_millis(500)).await;
                    continue;
                }
                let leases: Vec<Lease> = jobs.iter().map(|j| j.lease).collect();
                let acked = s.ack_many(q, &leases).await.expect("ack");
                assert!(
                    acked.iter().all(|a| *a),
                    "consumer {i}: every held lease acks"
                );
                let mut h = handled.lock().unwrap();
                for j in &jobs {
                    *h.entry(u64::from_be_bytes(j.payload[..8].try_into().unwrap()))
                        .or_default() += 1;
                }
                mine += jobs.len() as u64;
            }
        }));
    }
    let producers = [(&a, 0u64), (&b, 1u64)].map(|(s, half)| {
        let s = s.clone();
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in (half * JOBS / 2)..((half + 1) * JOBS / 2) {
                let job = NewJob::new(format!("h{}", n % 7), n.to_be_bytes().to_vec(), T0);
                ids.push(s.enqueue(q, &job).await.expect("enqueue"));
            }
            ids
        })
    });
    let mut ids: Vec<u64> = Vec::new();
    for p in producers {
        ids.extend(p.await.unwrap());
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len() as u64, JOBS, "job ids are unique across stores");
    let per_consumer: Vec<u64> = join_all(consumers)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let handled = handled.lock().unwrap().clone();
    assert_eq!(handled.len() as u64, JOBS, "every job was handled");
    assert!(
        handled.values().all(|n| *n == 1),
        "no job was handled twice"
    );
    assert_eq!(per_consumer.iter().sum::<u64>(), JOBS);
    assert_eq!(a.count_pending(q).await.unwrap(), 0, "the queue is empty");
    assert!(
        per_consumer[..2].iter().sum::<u64>() > 0 && per_consumer[2..].iter().sum::<u64>() > 0,
        "both stores consumed: {per_consumer:?}"
    );
}

/// Concurrent check-and-sets and guarded batches from two stores: one winner per id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedupe_guard_across_stores() {
    let db = database().await;
    let a = store(&db).await;
    let b = store(&db).await;
    let ttl = Duration::from_secs(3600);
    let ids: Vec<String> = (0..100)
        .map(|i| format!("https://r.example/a/{i}"))
        .collect();
    let calls = ids.iter().flat_map(|id| {
        [&a, &b, &a, &b].map(|s| async move { (id.clone(), s.check_and_set(id, T0, ttl).await) })
    });
    let mut wins: HashMap<String, u32> = HashMap::new();
    for (id, r) in join_all(calls).await {
        *wins.entry(id).or_default() += u32::from(r.expect("check_and_set"));
    }
    assert_eq!(wins.len(), 100);
    assert!(
        wins.values().all(|w| *w == 1),
        "exactly one winner per id: {wins:?}"
    );

    // Guarded batches (the inbox's dedupe-and-persist) from both stores.
    let q = "inbox";
    let batches = (0..50u64).flat_map(|n| {
        [&a, &b, &b, &a].map(|s| async move {
            let batch = WriteBatch::new()
                .unless_seen(format!("https://r.example/b/{n}"), T0, ttl)
                .enqueue(q, NewJob::new("r.example", n.to_be_bytes().to_vec(), T0));
            s.apply(&batch).await.expect("apply").applied
        })
    });
    let applied = join_all(batches).await.into_iter().filter(|a| *a).count();
    assert_eq!(applied, 50, "one guarded batch applied per id");
    assert_eq!(b.count_pending(q).await.unwrap(), 50, "one job per id");
}

/// A lane's limit holds across two consumers on two stores, and frees up on ack and on
/// lease expiry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lane_limit_holds_across_stores() {
    let db = database().await;
    let q = "deliveries";
    let a = store_with(&db, |c| c.lane_limit(q, 3)).await;
    let b = store_with(&db, |c| c.lane_limit(q, 3)).await;
    for n in 0..40u64 {
        let lane = if n % 4 == 0 {
            "fast.example"
        } else {
            "slow.example"
        };
        a.enqueue(q, &NewJob::new(lane, vec![], T0)).await.unwrap();
    }
    let lease = |s: &fedi_storage_postgres::PostgresStore, now| {
        let s = s.clone();
        async move {
            s.lease(q, &LeaseRequest::new(now, Duration::from_secs(60), 8))
                .await
                .expect("lease")
        }
    };
    // Eight concurrent leasers, four per store.
    let got: Vec<Job> = join_all((0..8).map(|i| lease(if i % 2 == 0 { &a } else { &b }, T0)))
        .await
        .into_iter()
        .flatten()
        .collect();
    let count = |jobs: &[Job], lane: &str| jobs.iter().filter(|j| j.lane == lane).count();
    assert!(
        count(&got, "slow.example") <= 3,
        "slow lane over its limit: {}",
        count(&got, "slow.example")
    );
    assert!(count(&got, "fast.example") <= 3, "fast lane over its limit");
    // Drain what the lock-skipping left: sequential leases fill each lane to exactly 3.
    let mut held = got;
    held.extend(lease(&a, T0).await);
    held.extend(lease(&b, T0).await);
    assert_eq!(
        count(&held, "slow.example"),
        3,
        "slow lane filled to its limit"
    );
    assert_eq!(
        count(&held, "fast.example"),
        3,
        "fast lane filled to its limit"
    );
    assert!(
        lease(&b, T0).await.is_empty(),
        "nothing more while the lanes are full"
    );

    // An ack on store A frees one slot of the lane for store B.
    let slow = held
        .iter()
        .find(|j| j.lane == "slow.example")
        .unwrap()
        .clone();
    a.ack(q, &slow.lease).await.unwrap();
    let next = lease(&b, T0).await;
    assert_eq!(
        next.iter().map(|j| j.lane.as_str()).collect::<Vec<_>>(),
        ["slow.example"],
        "one slot freed, one job leased"
    );
    // When the leases end (their holders died), the lanes are free again.
    let later = T0.saturating_add(Duration::from_secs(61));
    let again = lease(&a, later).await;
    assert_eq!(
        count(&again, "slow.example"),
        3,
        "expired leases free the lane"
    );
    assert_eq!(count(&again, "fast.example"), 3);
    // A store without the limit (another queue's consumer) is not bound by it.
    let free = store(&db).await;
    let unbounded = free
        .lease(q, &LeaseRequest::new(later, Duration::from_secs(60), 100))
        .await
        .unwrap();
    assert_eq!(unbounded.len(), 40 - 1 - 6, "no limit without the setting");
}

/// A consumer that dies holding a lease: its store is dropped without acking; the job is
/// leased again through another store when the lease ends, with its attempt counted, and
/// the dead consumer's lease no longer acks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_of_a_dead_consumer_expires() {
    let db = database().await;
    let q = "deliveries";
    let survivor = store(&db).await;
    let (id, old_lease) = {
        let doomed = store(&db).await;
        let id = doomed
            .enqueue(q, &NewJob::new("h", b"x".to_vec(), T0))
            .await
            .unwrap();
        let jobs = doomed
            .lease(q, &LeaseRequest::new(T0, Duration::from_secs(30), 10))
            .await
            .unwrap();
        assert_eq!(jobs.len(), 1);
        doomed.close();
        (id, jobs[0].lease)
    };
    let during = T0.saturating_add(Duration::from_secs(29));
    assert!(
        survivor
            .lease(q, &LeaseRequest::new(during, Duration::from_secs(30), 10))
            .await
            .unwrap()
            .is_empty(),
        "not leased again before the lease ends"
    );
    let after = T0.saturating_add(Duration::from_secs(30));
    let jobs = survivor
        .lease(q, &LeaseRequest::new(after, Duration::from_secs(30), 10))
        .await
        .unwrap();
    assert_eq!((jobs.len(), jobs[0].id, jobs[0].attempts), (1, id, 2));
    assert!(survivor
        .ack(q, &old_lease)
        .await
        .is_err_and(|e| e.is_lease_lost()));
    survivor.ack(q, &jobs[0].lease).await.unwrap();

    // The same in real time, with a short lease.
    let now = Timestamp::now();
    let doomed = store(&db).await;
    doomed
        .enqueue(q, &NewJob::new("h", b"y".to_vec(), now))
        .await
        .unwrap();
    let held = doomed
        .lease(q, &LeaseRequest::new(now, Duration::from_millis(300), 1))
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    drop(doomed);
    let start = Instant::now();
    let mut retaken = Vec::new();
    while retaken.is_empty() && start.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        retaken = survivor
            .lease(
                q,
                &LeaseRequest::new(Timestamp::now(), Duration::from_secs(30), 1),
            )
            .await
            .unwrap();
    }
    assert_eq!(retaken.len(), 1, "leased again after the short lease ended");
    assert_eq!(retaken[0].payload, b"y");
}

/// Collection counts stay exact when two stores insert, move and remove members of one
/// collection at once (singly and in batches).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collection_counts_hold_across_stores() {
    let db = database().await;
    let a = store(&db).await;
    let b = store(&db).await;
    let c = "timeline:shared";
    // Members 0..300 inserted from both stores (each member by both, with different keys).
    let inserts = (0..300u64).flat_map(|n| {
        [(&a, n), (&b, n + 1000)].map(|(s, key)| async move {
            s.insert(c, &CollectionItem::new(key, format!("m{n}")))
                .await
                .expect("insert")
        })
    });
    let new = futures::future::join_all(inserts)
        .await
        .into_iter()
        .filter(|n| *n)
        .count();
    assert_eq!(new, 300, "each member is new exactly once");
    assert_eq!(a.count(c).await.unwrap(), 300);
    // Removals of every third member from both stores at once, and batched inserts.
    let removes = (0..300u64).step_by(3).flat_map(|n| {
        [&a, &b].map(|s| async move { s.remove(c, &format!("m{n}")).await.expect("remove") })
    });
    let batches = (300..340u64).map(|n| {
        let s = if n % 2 == 0 { &a } else { &b };
        async move {
            s.apply(&WriteBatch::new().insert(c, n, format!("m{n}")))
                .await
                .expect("apply")
        }
    });
    let (removed, _) = futures::join!(
        futures::future::join_all(removes),
        futures::future::join_all(batches)
    );
    assert_eq!(
        removed.into_iter().filter(|r| *r).count(),
        100,
        "each removed once"
    );
    let all = b.all_members(c, 64).await.unwrap();
    assert_eq!(all.len(), 240);
    assert_eq!(
        b.count(c).await.unwrap(),
        240,
        "the count matches the members"
    );
}
