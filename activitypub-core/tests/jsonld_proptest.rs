//! Property tests: the JSON-LD fast and slow paths never panic, whatever the
//! network sends, and normalization is stable.
#![allow(clippy::unwrap_used, missing_docs)]

use activitypub_core::jsonld;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Arbitrary JSON, bounded in depth and size.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((".{0,8}", inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Keys and strings that JSON-LD processing reacts to.
fn ld_word() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "@context",
        "@id",
        "@type",
        "@value",
        "@language",
        "@vocab",
        "@list",
        "@set",
        "@graph",
        "@reverse",
        "@container",
        "@protected",
        "@base",
        "id",
        "type",
        "content",
        "contentMap",
        "name",
        "to",
        "cc",
        "tag",
        "object",
        "actor",
        "sensitive",
        "focalPoint",
        "orderedItems",
        "assertionMethod",
        "proof",
        "as:content",
        "as:Public",
        "toot:discoverable",
        "tag:example.com,2024:x",
        "_:b0",
        "https://www.w3.org/ns/activitystreams",
        "https://www.w3.org/ns/activitystreams#name",
        "https://w3id.org/security/v1",
        "https://w3id.org/security/data-integrity/v1",
        "https://w3id.org/security/multikey/v1",
        "https://example.com/schemas/litepub-0.1.jsonld",
        "https://unknown.example/context",
        "http://schema.org/",
        "Note",
        "Person",
        "",
    ])
    .prop_map(str::to_owned)
}

/// JSON built from JSON-LD words: much likelier than arbitrary JSON to reach
/// deep into the expansion and compaction algorithms.
fn ld_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (0i64..1000).prop_map(Value::from),
        ld_word().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((ld_word(), inner), 0..7)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn classify_never_panics(doc in any_json()) {
        let _ = jsonld::classify(&doc);
    }

    #[test]
    fn classify_never_panics_on_ld_shaped_json(doc in ld_json()) {
        let _ = jsonld::needs_normalization(&doc);
    }
}

proptest! {
    // normalize is the slow path: keep the case count modest.
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn normalize_never_panics(doc in any_json()) {
        let _ = jsonld::normalize(&doc);
    }

    #[test]
    fn normalize_never_panics_on_ld_shaped_json(doc in ld_json()) {
        let _ = jsonld::normalize(&doc);
    }

    /// Normalizing a normalized document changes nothing.
    #[test]
    fn normalize_is_idempotent(doc in ld_json()) {
        if let Ok(once) = jsonld::normalize(&doc) {
            let twice = jsonld::normalize(&once).unwrap();
            prop_assert_eq!(twice, once);
        }
    }
}

/// A value that does not fit its standard term (a boolean where IRIs are
/// expected) stays under the compact IRI of its property rather than being
/// passed off as the standard term: the vocabulary sees it as an unknown
/// property, never as a wrong `to`.
#[test]
fn values_that_do_not_fit_their_term_keep_an_iri_key() {
    let doc = serde_json::json!([{"to": false}]);
    let out = jsonld::normalize(&doc).unwrap();
    assert!(out.get("to").is_none(), "{out}");
    assert_eq!(out["as:to"], false);
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let mut doc = Value::String("leaf".into());
    for _ in 0..1_000 {
        let mut object = Map::new();
        object.insert("object".into(), doc);
        doc = Value::Object(object);
    }
    assert!(!jsonld::needs_normalization(&doc));
    let err = jsonld::normalize(&doc).unwrap_err();
    assert!(err.to_string().contains("deeper than"), "{err}");
}

/// The deepest document `normalize` accepts is processed without exhausting
/// a default-sized (2 MiB) thread stack, even in a debug build.
#[test]
fn deepest_allowed_nesting_normalizes() {
    let mut doc = serde_json::json!({"type": "Note", "content": "leaf"});
    for _ in 0..(jsonld::MAX_DEPTH / 2 - 1) {
        doc = serde_json::json!({"type": "Announce", "object": [doc]});
    }
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || jsonld::normalize(&doc).map(|_| ()))
        .unwrap();
    handle.join().unwrap().unwrap();
}
