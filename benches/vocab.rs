//! Typed, lossless parsing of ActivityStreams documents against `serde_json::Value` parsing of
//! the same bytes, side by side in one criterion group (target: typed ≤ 1.2× `Value`).
//!
//! Run: `cargo bench -p woolly-benches --bench vocab`.
#![allow(missing_docs, clippy::unwrap_used)]

use activitypub_core::{peek, Actor, AnyObject, Object};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

/// A 4.9 KB Mastodon Note (our own fixture, in Mastodon's shape).
const NOTE: &[u8] =
    include_bytes!("../activitypub-core/tests/fixtures/vocab/mastodon/note_4k.json");
/// A 2.4 KB Mastodon Person (our own fixture, in Mastodon's shape).
const PERSON: &[u8] =
    include_bytes!("../activitypub-core/tests/fixtures/vocab/mastodon/person.json");

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("vocab_parse");
    g.throughput(Throughput::Bytes(NOTE.len() as u64));
    g.bench_function("note_4k/serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(NOTE)).unwrap())
    });
    g.bench_function("note_4k/typed_object", |b| {
        b.iter(|| serde_json::from_slice::<Object>(black_box(NOTE)).unwrap())
    });
    g.bench_function("note_4k/typed_any_object", |b| {
        b.iter(|| serde_json::from_slice::<AnyObject>(black_box(NOTE)).unwrap())
    });
    g.bench_function("note_4k/peek", |b| {
        b.iter(|| peek(black_box(NOTE)).unwrap())
    });
    g.throughput(Throughput::Bytes(PERSON.len() as u64));
    g.bench_function("person/serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(PERSON)).unwrap())
    });
    g.bench_function("person/typed_actor", |b| {
        b.iter(|| serde_json::from_slice::<Actor>(black_box(PERSON)).unwrap())
    });
    g.bench_function("person/typed_any_object", |b| {
        b.iter(|| serde_json::from_slice::<AnyObject>(black_box(PERSON)).unwrap())
    });
    g.finish();
    c.bench_function("vocab_object_id_parse", |b| {
        b.iter(|| {
            activitypub_core::ObjectId::<Object>::parse(black_box(
                "https://wool.example/users/shepherd/statuses/113000000000000001",
            ))
            .unwrap()
        })
    });
}

fn serialize(c: &mut Criterion) {
    let note: AnyObject = serde_json::from_slice(NOTE).unwrap();
    let value: serde_json::Value = serde_json::from_slice(NOTE).unwrap();
    let mut g = c.benchmark_group("vocab_serialize");
    g.bench_function("note_4k/serde_json_value", |b| {
        b.iter(|| serde_json::to_vec(black_box(&value)).unwrap())
    });
    g.bench_function("note_4k/typed", |b| {
        b.iter(|| serde_json::to_vec(black_box(&note)).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = parse, serialize
}
criterion_main!(benches);
