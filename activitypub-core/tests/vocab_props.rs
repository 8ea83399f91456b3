//! Property tests: arbitrary JSON never panics the parser, and what parses serializes back to
//! the same JSON and parses back equal.
#![allow(clippy::unwrap_used, missing_docs)]

use activitypub_core::nodeinfo::NodeInfo;
use activitypub_core::{peek, AnyObject};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Keys the vocabulary has typed fields for, mixed with unknown ones, so that generated
/// objects exercise both the typed and the `extra` paths.
const KEYS: &[&str] = &[
    "@context",
    "id",
    "type",
    "name",
    "nameMap",
    "content",
    "contentMap",
    "summary",
    "url",
    "attributedTo",
    "to",
    "cc",
    "tag",
    "attachment",
    "icon",
    "published",
    "updated",
    "inReplyTo",
    "sensitive",
    "actor",
    "object",
    "inbox",
    "outbox",
    "publicKey",
    "endpoints",
    "totalItems",
    "first",
    "items",
    "orderedItems",
    "href",
    "rel",
    "width",
    "height",
    "focalPoint",
    "oneOf",
    "votersCount",
    "alsoKnownAs",
    "movedTo",
    "replies",
    "source",
    "mediaType",
    "blurhash",
    "quoteUrl",
    "_misskey_quote",
    "unknownThing",
    "x:y",
];

const STRINGS: &[&str] = &[
    "Note",
    "Person",
    "Create",
    "Follow",
    "OrderedCollection",
    "Mention",
    "Hashtag",
    "Image",
    "https://a.example/1",
    "https://b.example/users/x",
    "as:Public",
    "Public",
    "",
    "https://www.w3.org/ns/activitystreams",
    "2024-01-02T03:04:05Z",
    "not a date",
    "/relative",
    "HTTPS://A.EXAMPLE",
    "ftp://x.example/y",
    "é☃",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u32>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        (-1000.0f64..1000.0).prop_map(Value::from),
        prop::sample::select(STRINGS).prop_map(Value::from),
        "[a-z]{0,6}".prop_map(Value::from),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|kv| {
                let mut m = Map::new();
                for (k, v) in kv {
                    m.insert(k.to_owned(), v);
                }
                Value::Object(m)
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = serde_json::from_slice::<AnyObject>(&bytes);
        let _ = peek(&bytes);
        let _ = serde_json::from_slice::<NodeInfo>(&bytes);
    }

    #[test]
    fn arbitrary_json_round_trips(v in json()) {
        let bytes = serde_json::to_vec(&v).unwrap();
        let _ = peek(&bytes);
        match serde_json::from_slice::<AnyObject>(&bytes) {
            Ok(doc) => {
                prop_assert!(v.is_object());
                let out = serde_json::to_value(&doc).unwrap();
                prop_assert_eq!(&out, &v);
                let again: AnyObject = serde_json::from_value(out).unwrap();
                prop_assert_eq!(again, doc);
                let _ = activitypub_core::validate::check(&serde_json::from_slice(&bytes).unwrap());
            }
            Err(_) => prop_assert!(!v.is_object(), "an object failed to parse: {}", v),
        }
    }

    #[test]
    fn nodeinfo_round_trips(v in json()) {
        if let Ok(n) = serde_json::from_value::<NodeInfo>(v.clone()) {
            prop_assert_eq!(serde_json::to_value(&n).unwrap(), v);
        }
    }
}

/// Found by the `vocab_document` fuzz target: a key repeated in one object, first with a value
/// the typed field refuses (kept in `extra`), then with one it accepts. The last occurrence
/// wins, as in `serde_json::Value`, and our output parses back to the same document.
#[test]
fn repeated_keys_last_one_wins_and_round_trips() {
    let cases: [&[u8]; 3] = [
        br#"{"type":"OrderedCollectionPage","id":"(not a url","id":"https://a.example/outbox?page=1"}"#,
        br#"{"type":"OrderedCollectionPage","id":"https://a.example/outbox?page=1","id":"(not a url"}"#,
        br#"{"type":"Note","next":"nope","content":"x","content":"<p>y</p>","next":"https://a.example/n"}"#,
    ];
    for bytes in cases {
        let doc: AnyObject = serde_json::from_slice(bytes).unwrap();
        let as_value: Value = serde_json::from_slice(bytes).unwrap();
        let out = serde_json::to_value(&doc).unwrap();
        assert_eq!(
            out,
            as_value,
            "last occurrence wins for {}",
            String::from_utf8_lossy(bytes)
        );
        let again: AnyObject = serde_json::from_value(out).unwrap();
        assert_eq!(again, doc);
    }
}
