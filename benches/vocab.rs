//! Typed, lossless parsing of ActivityStreams documents against `serde_json::Value` parsing of
//! the same bytes, side by side in one criterion group (target: typed ≤ 1.2× `Value`).
//!
//! Run: `cargo bench -p woolly-benches --bench vocab`.
//!
//! Criterion measures one function after the other, so on a shared, loaded machine the load
//! can change between the `Value` run and the typed run. After the criterion groups, the
//! bench therefore also prints the typed ÷ `Value` ratios measured *interleaved* (short
//! batches of each, alternating; the median of the per-round times), which load drift
//! affects far less.
#![allow(missing_docs, clippy::unwrap_used)]

use activitypub_core::{peek, Actor, AnyObject, Object};
use criterion::{black_box, criterion_group, Criterion, Throughput};

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
/// Typed ÷ `Value` parse time, measured in alternating batches (see the crate docs).
fn interleaved_ratios() {
    use std::time::Instant;
    type Case = (&'static str, fn(&[u8]));
    fn value(b: &[u8]) {
        black_box(serde_json::from_slice::<serde_json::Value>(black_box(b)).unwrap());
    }
    fn object(b: &[u8]) {
        black_box(serde_json::from_slice::<Object>(black_box(b)).unwrap());
    }
    fn any(b: &[u8]) {
        black_box(serde_json::from_slice::<AnyObject>(black_box(b)).unwrap());
    }
    fn actor(b: &[u8]) {
        black_box(serde_json::from_slice::<Actor>(black_box(b)).unwrap());
    }
    let docs: [(&str, &[u8], [Case; 2]); 2] = [
        (
            "note_4k",
            NOTE,
            [("typed_object", object), ("typed_any_object", any)],
        ),
        (
            "person",
            PERSON,
            [("typed_actor", actor), ("typed_any_object", any)],
        ),
    ];
    const ROUNDS: usize = 400;
    const BATCH: u32 = 20;
    let time = |f: fn(&[u8]), doc: &[u8]| {
        let t = Instant::now();
        for _ in 0..BATCH {
            f(doc);
        }
        t.elapsed().as_secs_f64() / f64::from(BATCH)
    };
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!("\ntyped ÷ serde_json::Value, interleaved ({ROUNDS} rounds of {BATCH} parses each):");
    for (name, doc, cases) in docs {
        let mut base = Vec::with_capacity(ROUNDS);
        let mut typed = [Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS)];
        for _ in 0..ROUNDS {
            base.push(time(value, doc));
            for (i, (_, f)) in cases.iter().enumerate() {
                typed[i].push(time(*f, doc));
            }
        }
        let base = median(base);
        println!("  {name}/serde_json_value: {:.2} µs", base * 1e6);
        for ((case, _), t) in cases.iter().zip(typed) {
            let t = median(t);
            println!("  {name}/{case}: {:.2} µs = {:.2}×", t * 1e6, t / base);
        }
    }
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // Only in a real benchmark run (not under `cargo test --benches`, nor for `--list`).
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--list") {
        interleaved_ratios();
    }
}
