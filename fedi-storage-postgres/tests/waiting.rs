//! LISTEN/NOTIFY: an idle consumer is woken by a job enqueued through another store.

use std::time::{Duration, Instant};

use fedi_storage::*;

use crate::common::{database, store};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enqueue_on_another_store_wakes_a_waiter() {
    let db = database().await;
    let consumer = store(&db).await;
    let producer = store(&db).await;
    let mut waiter = consumer.queue_waiter("inbox");
    let mut other = consumer.queue_waiter("deliveries");
    // Let the listener connect (its first connection wakes every waiter once).
    waiter.wait(Duration::from_secs(30)).await;
    other.wait(Duration::from_millis(10)).await;

    let start = Instant::now();
    assert!(
        !waiter.wait(Duration::from_millis(300)).await,
        "nothing enqueued: the wait times out"
    );
    assert!(start.elapsed() >= Duration::from_millis(250));

    let p = producer.clone();
    let enqueuer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        p.enqueue("inbox", &NewJob::new("h", vec![1], Timestamp::now()))
            .await
            .unwrap()
    });
    let start = Instant::now();
    assert!(
        waiter.wait(Duration::from_secs(30)).await,
        "woken by the notification"
    );
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "woken well before the 30 s fallback: {:?}",
        start.elapsed()
    );
    enqueuer.await.unwrap();
    let jobs = consumer
        .lease(
            "inbox",
            &LeaseRequest::new(Timestamp::now(), Duration::from_secs(60), 10),
        )
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert!(
        !other.wait(Duration::from_millis(200)).await,
        "a waiter on another queue is not woken"
    );

    // A batch's enqueue notifies too, and a notification between waits is kept.
    producer
        .apply(&WriteBatch::new().enqueue("inbox", NewJob::new("h", vec![2], Timestamp::now())))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let start = Instant::now();
    assert!(waiter.wait(Duration::from_secs(30)).await);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "already signalled"
    );
}
