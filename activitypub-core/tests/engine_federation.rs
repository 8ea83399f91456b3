//! Three engines on the in-memory network: follow, accept, create, announce, like, undo,
//! delete, update; exactly once per inbox; faults; a dead host and its circuit breaker.
#![allow(clippy::unwrap_used)]

use crate::support;

use std::time::Duration;

use activitypub_core::builder;
use activitypub_core::engine::transport::memory::{Faults, MemoryNetwork};
use activitypub_core::engine::{KeyAlgorithm, Recipients};
use activitypub_core::ObjectId;
use fedi_storage::DocumentStoreExt;
use support::{settle, start_clock, Backend, Instance};

async fn social_round(backend: Backend, seed: u64, faults: Option<Faults>) -> Vec<String> {
    let net = MemoryNetwork::with_seed(seed);
    let clock = start_clock();
    let a = Instance::start(&net, "a.test", backend, &clock).await;
    let b = Instance::start(&net, "b.test", backend, &clock).await;
    let c = Instance::start(&net, "c.test", backend, &clock).await;
    let alice = a.actor("alice", KeyAlgorithm::Rsa2048).await;
    let bob = b.actor("bob", KeyAlgorithm::Ed25519).await;
    let carol = c.actor("carol", KeyAlgorithm::Ed25519).await;
    let carl = c.actor("carl", KeyAlgorithm::Ed25519).await;
    if let Some(f) = faults {
        net.set_faults(f);
    }
    let step = Duration::from_secs(3600);

    // Follow → Accept.
    let f1 = b.follow(&bob, &alice).await;
    let f2 = c.follow(&carol, &alice).await;
    let f3 = c.follow(&carl, &alice).await;
    settle(&[&a, &b, &c], &clock, step, 400).await;
    for f in [&f1, &f2, &f3] {
        assert_eq!(a.recorder.count(f.id.as_ref().unwrap().as_str()), 1);
    }
    assert_eq!(
        b.recorder.kinds().iter().filter(|k| *k == "Accept").count(),
        1
    );
    assert_eq!(
        c.recorder.kinds().iter().filter(|k| *k == "Accept").count(),
        2
    );

    // Create: one request per distinct inbox (c.test's two followers share its inbox).
    let create = a.post(&alice, "<p>baa</p>").await;
    let create_id = create.id.as_ref().unwrap().as_str().to_owned();
    let note_id = create.first_object().unwrap().id().unwrap().to_owned();
    settle(&[&a, &b, &c], &clock, step, 400).await;
    assert_eq!(b.recorder.count(&create_id), 1, "b got the Create once");
    assert_eq!(
        c.recorder.count(&create_id),
        1,
        "c got the Create once (shared inbox)"
    );
    assert!(b.store.get_json(&note_id).await.unwrap().is_some());
    assert!(c.store.get_json(&note_id).await.unwrap().is_some());

    // Announce by bob (to alice), Like by carol.
    let note = ObjectId::parse(&note_id).unwrap();
    let bob_followers = format!("{}/followers", bob.as_str());
    let boost = builder::announce(
        &b.new_id(&bob, "boosts"),
        &bob,
        &bob_followers,
        &note,
        &alice,
        activitypub_core::XsdDateTime::new_unchecked("2026-01-01T00:00:00Z"),
        activitypub_core::Visibility::Public,
    );
    b.send(&bob, &boost, Recipients::new().actor(alice.as_str()))
        .await;
    let like = builder::like(&c.new_id(&carol, "likes"), &carol, &note);
    c.send(&carol, &like, Recipients::new().actor(alice.as_str()))
        .await;
    settle(&[&a, &b, &c], &clock, step, 400).await;
    assert_eq!(a.recorder.count(boost.id.as_ref().unwrap().as_str()), 1);
    assert_eq!(a.recorder.count(like.id.as_ref().unwrap().as_str()), 1);

    // Undo of the boost; carl unfollows.
    let undo = builder::undo(&b.new_id(&bob, "undos"), &bob, boost.clone());
    b.send(&bob, &undo, Recipients::new().actor(alice.as_str()))
        .await;
    let unfollow = builder::undo(&c.new_id(&carl, "undos"), &carl, f3.clone());
    c.send(&carl, &unfollow, Recipients::new().actor(alice.as_str()))
        .await;
    settle(&[&a, &b, &c], &clock, step, 400).await;
    assert_eq!(a.recorder.count(undo.id.as_ref().unwrap().as_str()), 1);
    assert_eq!(a.recorder.count(unfollow.id.as_ref().unwrap().as_str()), 1);

    // Update then Delete of the note reach both followers' servers.
    let mut edited = create.first_object().unwrap().object().unwrap().clone();
    edited.object_mut().content = Some("<p>baa baa</p>".into());
    let update = builder::update(&a.new_id(&alice, "updates"), &alice, edited);
    a.send(
        &alice,
        &update,
        Recipients::new().followers_of(alice.as_str()),
    )
    .await;
    settle(&[&a, &b, &c], &clock, step, 400).await;
    let stored = b.store.get_json(&note_id).await.unwrap().unwrap();
    assert_eq!(stored["content"], "<p>baa baa</p>");
    let del = builder::delete(&a.new_id(&alice, "deletes"), &alice, &note);
    a.send(&alice, &del, Recipients::new().followers_of(alice.as_str()))
        .await;
    settle(&[&a, &b, &c], &clock, step, 400).await;
    for i in [&b, &c] {
        assert_eq!(i.recorder.count(del.id.as_ref().unwrap().as_str()), 1);
        assert!(i.store.is_tombstoned(&note_id).await.unwrap());
    }
    // Every handled activity was handled exactly once, everywhere.
    for i in [&a, &b, &c] {
        let handled = i.recorder.seen.lock().unwrap().handled.clone();
        for (id, n) in &handled {
            assert_eq!(*n, 1, "{} handled {id} {n} times", i.host);
        }
        assert_eq!(
            i.dead_deliveries().await,
            0,
            "{} gave up on a delivery",
            i.host
        );
    }
    // The outcome log, for reproducibility checks.
    net.log()
        .iter()
        .map(|r| format!("{} {} {} {:?}", r.method, r.authority, r.path, r.outcome))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_engines_in_memory() {
    social_round(Backend::Memory, 1, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_engines_on_sled() {
    social_round(Backend::Sled, 2, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_engines_on_sled_with_the_inbox_journaled() {
    social_round(Backend::SledJournal, 3, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_arrives_despite_faults_and_runs_reproduce_from_the_seed() {
    let faults = || {
        Faults::none()
            .with_drop(0.2)
            .with_server_error(0.2)
            .with_timeout(0.1)
    };
    let mut first = social_round(Backend::Memory, 42, Some(faults())).await;
    let faulty = first.iter().filter(|l| !l.contains("Status(")).count()
        + first
            .iter()
            .filter(|l| l.contains("InjectedServerError"))
            .count();
    assert!(faulty > 5, "the faults were injected ({faulty})");
    let mut second = social_round(Backend::Memory, 42, Some(faults())).await;
    first.sort();
    second.sort();
    assert_eq!(first, second, "same seed, same requests and outcomes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_host_trips_the_breaker_and_does_not_slow_the_others() {
    let net = MemoryNetwork::with_seed(7);
    let clock = start_clock();
    let a = Instance::start(&net, "a.test", Backend::Memory, &clock).await;
    let b = Instance::start(&net, "b.test", Backend::Memory, &clock).await;
    let d = Instance::start(&net, "d.test", Backend::Memory, &clock).await;
    let alice = a.actor("alice", KeyAlgorithm::Ed25519).await;
    let bob = b.actor("bob", KeyAlgorithm::Ed25519).await;
    let dan = d.actor("dan", KeyAlgorithm::Ed25519).await;
    b.follow(&bob, &alice).await;
    d.follow(&dan, &alice).await;
    settle(&[&a, &b, &d], &clock, Duration::from_secs(60), 100).await;
    net.dead("d.test");
    // Five posts: b gets each at once; d fails until the breaker opens (threshold 3).
    for n in 0..5 {
        a.post(&alice, &format!("post {n}")).await;
        let run = a.engine.process_deliveries(100).await.unwrap();
        assert_eq!(run.leased, 2);
        b.engine.process_inbox(100).await.unwrap();
        clock.advance(Duration::from_secs(1));
    }
    assert_eq!(
        b.recorder.kinds().iter().filter(|k| *k == "Create").count(),
        5
    );
    let d_requests = net.host_stats("d.test").unwrap().requests;
    assert!(a.engine.is_host_paused("d.test"), "the breaker is open");
    // While open, due retries of d's jobs are rescheduled without a request.
    for _ in 0..5 {
        clock.advance(Duration::from_secs(100));
        a.engine.process_deliveries(100).await.unwrap();
    }
    assert_eq!(
        net.host_stats("d.test").unwrap().requests,
        d_requests,
        "no requests while paused"
    );
    // The host comes back: after the pause, one probe succeeds and the backlog drains.
    net.heal("d.test");
    settle(&[&a, &b, &d], &clock, Duration::from_secs(3600), 200).await;
    assert!(!a.engine.is_host_paused("d.test"));
    assert_eq!(
        d.recorder.kinds().iter().filter(|k| *k == "Create").count(),
        5
    );
    assert_eq!(a.dead_deliveries().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runner_drives_both_queues_and_stops_on_shutdown() {
    use activitypub_core::engine::Shutdown;
    let net = MemoryNetwork::with_seed(11);
    // Real time here: the runner sleeps and wakes on its own.
    let clock = fedi_storage::ManualClock::new(fedi_storage::Timestamp::now());
    let a = Instance::start(&net, "a.test", Backend::Memory, &clock).await;
    let b = Instance::start(&net, "b.test", Backend::Memory, &clock).await;
    let alice = a.actor("alice", KeyAlgorithm::Ed25519).await;
    let bob = b.actor("bob", KeyAlgorithm::Ed25519).await;
    let stop = Shutdown::new();
    let runners: Vec<_> = [a.engine.clone(), b.engine.clone()]
        .into_iter()
        .map(|e| {
            let stop = stop.clone();
            tokio::spawn(async move { e.run(stop, Duration::from_millis(50)).await })
        })
        .collect();
    let follow = b.follow(&bob, &alice).await;
    let follow_id = follow.id.as_ref().unwrap().as_str().to_owned();
    // Follow reaches a, a's handler accepts, the Accept reaches b: all by the runners.
    let mut accepted = false;
    for _ in 0..100 {
        if b.recorder.kinds().iter().any(|k| k == "Accept") {
            accepted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(accepted, "the Accept arrived");
    assert_eq!(a.recorder.count(&follow_id), 1);
    stop.trigger();
    for r in runners {
        tokio::time::timeout(Duration::from_secs(5), r)
            .await
            .expect("the runner stops")
            .unwrap()
            .unwrap();
    }
}
