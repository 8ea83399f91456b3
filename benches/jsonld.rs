//! The JSON-LD paths, per document, side by side with plain `serde_json::Value`
//! parsing of the same bytes in one criterion group:
//!
//! - `serde_json_value`: `serde_json::from_slice::<Value>` (the baseline every
//!   inbound document pays anyway);
//! - `needs_normalization`: the fast-path check that runs on every inbound
//!   document (on an already parsed `Value`);
//! - `normalize`: the slow path (JSON-LD expansion + compaction with the
//!   `json-ld` crate, against bundled contexts), on an already parsed `Value`.
//!
//! Run: `cargo bench -p woolly-benches --bench jsonld`.
#![allow(missing_docs, clippy::unwrap_used)]

use activitypub_core::jsonld;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use serde_json::Value;
use std::time::Duration;

/// A 4.8 KB Mastodon Note with Mastodon's inline context (fast path).
const MASTODON_NOTE: &[u8] =
    include_bytes!("../activitypub-core/tests/fixtures/jsonld/mastodon/note_4k.json");
/// A Note in expanded JSON-LD form, as Fedify can emit (slow path).
const EXPANDED_NOTE: &[u8] =
    include_bytes!("../activitypub-core/tests/fixtures/jsonld/fedify/expanded-note.json");
/// An Article whose context renames `content` and friends (slow path).
const ALIASED_ARTICLE: &[u8] =
    include_bytes!("../activitypub-core/tests/fixtures/jsonld/custom-context/aliased-content.json");
/// A Hubzilla-style actor with seven contexts, one unknown (slow path).
const HUBZILLA_ACTOR: &[u8] =
    include_bytes!("../activitypub-core/tests/fixtures/jsonld/hubzilla/actor-many-contexts.json");

fn jsonld(c: &mut Criterion) {
    let mut g = c.benchmark_group("jsonld");
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    g.sample_size(50);
    for (name, bytes) in [
        ("mastodon_note_4k", MASTODON_NOTE),
        ("expanded_note", EXPANDED_NOTE),
        ("aliased_article", ALIASED_ARTICLE),
        ("hubzilla_actor", HUBZILLA_ACTOR),
    ] {
        let value: Value = serde_json::from_slice(bytes).unwrap();
        // Every document normalizes; fail loudly rather than time an error path.
        jsonld::normalize(&value).unwrap();
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(format!("{name}/serde_json_value"), |b| {
            b.iter(|| serde_json::from_slice::<Value>(black_box(bytes)).unwrap())
        });
        g.bench_function(format!("{name}/needs_normalization"), |b| {
            b.iter(|| jsonld::needs_normalization(black_box(&value)))
        });
        g.bench_function(format!("{name}/normalize"), |b| {
            b.iter(|| jsonld::normalize(black_box(&value)).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, jsonld);
criterion_main!(benches);
