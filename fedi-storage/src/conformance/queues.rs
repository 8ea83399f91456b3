//! Conformance cases for queues: leases and acks, lease expiry, retries, dead letters, lanes.

use std::time::Duration;

use super::{at, scope};
use crate::*;

/// Enqueue, due times, lease order, ack.
pub async fn queue_lease_and_ack<S: Store + ?Sized>(store: &S) {
    let q = scope("queue");
    let a = store
        .enqueue(&q, &NewJob::new("a.example", b"A".to_vec(), at(10)))
        .await
        .expect("enqueue");
    let b = store
        .enqueue(&q, &NewJob::new("b.example", b"B".to_vec(), at(5)))
        .await
        .expect("enqueue");
    let c = store
        .enqueue(&q, &NewJob::new("a.example", b"C".to_vec(), at(100)))
        .await
        .expect("enqueue");
    assert!(a < b && b < c, "queue: ids increase");
    let lease = |now, limit| LeaseRequest::new(now, Duration::from_secs(60), limit);
    assert!(
        store
            .lease(&q, &lease(at(4), 10))
            .await
            .expect("lease")
            .is_empty(),
        "queue: nothing due before its time"
    );
    let jobs = store.lease(&q, &lease(at(10), 10)).await.expect("lease");
    let got: Vec<(u64, &[u8])> = jobs.iter().map(|j| (j.id, j.payload.as_slice())).collect();
    assert_eq!(
        got,
        vec![(b, &b"B"[..]), (a, &b"A"[..])],
        "queue: due jobs, earliest due first"
    );
    assert!(
        jobs.iter()
            .all(|j| j.attempts == 1 && j.lease.until == at(70)),
        "queue: first attempt, lease until now + duration"
    );
    assert!(
        store
            .lease(&q, &lease(at(11), 10))
            .await
            .expect("lease")
            .is_empty(),
        "queue: leased jobs are not leased again during the lease"
    );
    store.ack(&q, &jobs[0].lease).await.expect("ack");
    assert!(
        store
            .ack(&q, &jobs[0].lease)
            .await
            .is_err_and(|e| e.is_lease_lost()),
        "queue: acking twice fails with LeaseLost"
    );
    assert_eq!(
        store.lane_counts(&q).await.expect("counts"),
        vec![("a.example".to_string(), 2)],
        "queue: lane counts after ack"
    );
    assert_eq!(
        store
            .ack_many(&q, &[jobs[1].lease, jobs[0].lease])
            .await
            .expect("ack_many"),
        vec![true, false],
        "queue: ack_many acknowledges held leases and reports lost ones"
    );
    assert!(
        store
            .ack(&q, &jobs[1].lease)
            .await
            .is_err_and(|e| e.is_lease_lost()),
        "queue: ack_many removed the job"
    );
    let late = store.lease(&q, &lease(at(100), 1)).await.expect("lease");
    assert_eq!(late.len(), 1, "queue: the scheduled job becomes due");
    assert_eq!(late[0].id, c, "queue: it is the scheduled job");
    assert!(
        store
            .lease(&q, &lease(at(100), 0))
            .await
            .expect("lease")
            .is_empty(),
        "queue: limit 0 leases nothing"
    );
}

/// A lease that ends without an ack makes the job leasable again; the old lease is dead.
pub async fn lease_expiry_and_redelivery<S: Store + ?Sized>(store: &S) {
    let q = scope("expiry");
    let id = store
        .enqueue(&q, &NewJob::new("h", b"x".to_vec(), at(0)))
        .await
        .expect("enqueue");
    let first = store
        .lease(&q, &LeaseRequest::new(at(0), Duration::from_secs(30), 5))
        .await
        .expect("lease");
    assert_eq!(first.len(), 1, "expiry: leased once");
    assert!(
        store
            .lease(&q, &LeaseRequest::new(at(29), Duration::from_secs(30), 5))
            .await
            .expect("lease")
            .is_empty(),
        "expiry: not redelivered before the lease ends"
    );
    let second = store
        .lease(&q, &LeaseRequest::new(at(30), Duration::from_secs(30), 5))
        .await
        .expect("lease");
    assert_eq!(second.len(), 1, "expiry: redelivered when the lease ends");
    assert_eq!(second[0].id, id, "expiry: the same job");
    assert_eq!(second[0].attempts, 2, "expiry: the attempt was counted");
    assert_ne!(
        second[0].lease.token, first[0].lease.token,
        "expiry: a new lease token"
    );
    let err = store
        .ack(&q, &first[0].lease)
        .await
        .expect_err("expiry: the old lease must not ack");
    assert!(err.is_lease_lost(), "expiry: LeaseLost, got {err:?}");
    store
        .ack(&q, &second[0].lease)
        .await
        .expect("ack with the current lease");
    assert!(
        store
            .lease(&q, &LeaseRequest::new(at(1000), Duration::from_secs(30), 5))
            .await
            .expect("lease")
            .is_empty(),
        "expiry: acked job never returns"
    );
    // A lease that ended but was not re-leased can still be acknowledged by its holder.
    store
        .enqueue(&q, &NewJob::new("h", b"y".to_vec(), at(0)))
        .await
        .expect("enqueue");
    let j = store
        .lease(&q, &LeaseRequest::new(at(2000), Duration::from_secs(1), 5))
        .await
        .expect("lease");
    store
        .ack(&q, &j[0].lease)
        .await
        .expect("late ack of an expired but not re-leased job");
    assert_eq!(
        store.count_pending(&q).await.expect("count"),
        0,
        "expiry: late ack removed the job"
    );
}

/// Retries with errors, dead letters after the last attempt, burying, requeueing.
pub async fn retries_and_dead_letters<S: Store + ?Sized>(store: &S) {
    let q = scope("dead");
    let id = store
        .enqueue(
            &q,
            &NewJob::new("gone.example", b"p".to_vec(), at(0)).with_max_attempts(3),
        )
        .await
        .expect("enqueue");
    let mut now = at(0);
    for attempt in 1..=3u32 {
        let jobs = store
            .lease(&q, &LeaseRequest::new(now, Duration::from_secs(60), 1))
            .await
            .expect("lease");
        assert_eq!(jobs.len(), 1, "dead: leased on attempt {attempt}");
        assert_eq!(jobs[0].attempts, attempt, "dead: attempt count");
        if attempt > 1 {
            assert_eq!(
                jobs[0].last_error.as_deref(),
                Some(format!("error {}", attempt - 1).as_str()),
                "dead: the last error is carried"
            );
        }
        assert_eq!(
            jobs[0].is_last_attempt(),
            attempt == 3,
            "dead: is_last_attempt"
        );
        let next = now.saturating_add(Duration::from_secs(10 * u64::from(attempt)));
        let out = store
            .retry(&q, &jobs[0].lease, &format!("error {attempt}"), next, now)
            .await
            .expect("retry");
        if attempt < 3 {
            assert_eq!(out, RetryOutcome::Rescheduled(next), "dead: rescheduled");
            assert!(
                store
                    .lease(
                        &q,
                        &LeaseRequest::new(
                            next.saturating_sub(Duration::from_millis(1)),
                            Duration::from_secs(60),
                            1
                        )
                    )
                    .await
                    .expect("lease")
                    .is_empty(),
                "dead: not due before the back-off"
            );
        } else {
            assert_eq!(
                out,
                RetryOutcome::DeadLettered,
                "dead: dead-lettered after the last attempt"
            );
        }
        now = next;
    }
    assert_eq!(
        store.count_dead(&q).await.expect("count"),
        1,
        "dead: one dead letter"
    );
    assert_eq!(
        store.count_pending(&q).await.expect("count"),
        0,
        "dead: no longer pending"
    );
    let dl = store.dead_letters(&q, None, 10).await.expect("list");
    assert_eq!(dl.len(), 1, "dead: listed");
    assert_eq!(
        (
            dl[0].id,
            dl[0].attempts,
            dl[0].last_error.as_str(),
            dl[0].payload.as_slice()
        ),
        (id, 3, "error 3", &b"p"[..]),
        "dead: letter contents"
    );
    assert!(
        store
            .dead_letters(&q, Some(id), 10)
            .await
            .expect("list")
            .is_empty(),
        "dead: paging after the last"
    );

    // Bury: a permanent failure at once.
    store
        .enqueue(&q, &NewJob::new("gone.example", b"q".to_vec(), at(0)))
        .await
        .expect("enqueue");
    let j = store
        .lease(&q, &LeaseRequest::new(now, Duration::from_secs(60), 1))
        .await
        .expect("lease");
    store
        .bury(&q, &j[0].lease, "410 Gone", now)
        .await
        .expect("bury");
    assert_eq!(
        store.count_dead(&q).await.expect("count"),
        2,
        "dead: buried job is a dead letter"
    );

    // A job whose last lease expires is dead-lettered, not leased a fourth time.
    store
        .enqueue(
            &q,
            &NewJob::new("slow.example", b"r".to_vec(), at(0)).with_max_attempts(1),
        )
        .await
        .expect("enqueue");
    let j = store
        .lease(&q, &LeaseRequest::new(now, Duration::from_secs(5), 1))
        .await
        .expect("lease");
    assert_eq!(j.len(), 1, "dead: leased once");
    let later = now.saturating_add(Duration::from_secs(6));
    assert!(
        store
            .lease(&q, &LeaseRequest::new(later, Duration::from_secs(5), 5))
            .await
            .expect("lease")
            .is_empty(),
        "dead: expired last attempt is not leased again"
    );
    assert_eq!(
        store.count_dead(&q).await.expect("count"),
        3,
        "dead: expired last attempt is dead-lettered"
    );
    let all = store.dead_letters(&q, None, 10).await.expect("list");
    assert_eq!(
        all.last().map(|d| d.last_error.as_str()),
        Some("lease expired"),
        "dead: its error says so"
    );

    // Requeue a dead letter.
    let new_id = store
        .take_dead_letter(&q, id, Some(later))
        .await
        .expect("requeue")
        .expect("a new job id");
    assert_eq!(
        store.count_dead(&q).await.expect("count"),
        2,
        "dead: taken out of the dead letters"
    );
    let j = store
        .lease(&q, &LeaseRequest::new(later, Duration::from_secs(5), 5))
        .await
        .expect("lease");
    assert_eq!(
        (j.len(), j[0].id, j[0].attempts, j[0].payload.as_slice()),
        (1, new_id, 1, &b"p"[..]),
        "dead: requeued with attempts reset"
    );
    assert!(
        store
            .take_dead_letter(&q, id, None)
            .await
            .is_err_and(|e| e.is_not_found()),
        "dead: taking a missing dead letter is NotFound"
    );
}

/// Lane-restricted leases and per-lane counts.
pub async fn lanes<S: Store + ?Sized>(store: &S) {
    let q = scope("lanes");
    for i in 0..6u64 {
        let lane = if i.is_multiple_of(2) {
            "even.example"
        } else {
            "odd.example"
        };
        store
            .enqueue(&q, &NewJob::new(lane, i.to_be_bytes().to_vec(), at(i)))
            .await
            .expect("enqueue");
    }
    assert_eq!(
        store.lane_counts(&q).await.expect("counts"),
        vec![
            ("even.example".to_string(), 3),
            ("odd.example".to_string(), 3)
        ],
        "lanes: counts per lane"
    );
    let odd = store
        .lease(
            &q,
            &LeaseRequest::new(at(10), Duration::from_secs(60), 10).lane("odd.example"),
        )
        .await
        .expect("lease");
    assert_eq!(
        odd.len(),
        3,
        "lanes: lane-restricted lease gets that lane's jobs"
    );
    assert!(
        odd.iter().all(|j| j.lane == "odd.example"),
        "lanes: only that lane"
    );
    let rest = store
        .lease(&q, &LeaseRequest::new(at(10), Duration::from_secs(60), 10))
        .await
        .expect("lease");
    assert!(
        rest.len() == 3 && rest.iter().all(|j| j.lane == "even.example"),
        "lanes: the other lane remains"
    );
    for j in odd {
        store.ack(&q, &j.lease).await.expect("ack");
    }
    assert_eq!(
        store.count_lane(&q, "odd.example").await.expect("count"),
        0,
        "lanes: emptied lane counts 0"
    );
    assert_eq!(
        store.count_lane(&q, "even.example").await.expect("count"),
        3,
        "lanes: leased jobs still count as pending"
    );
}
