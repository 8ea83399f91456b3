//! JSON-LD classification and normalization of documents in the shapes real
//! servers send (fixtures under `tests/fixtures/jsonld/<software>/`).
#![allow(clippy::unwrap_used, missing_docs)]

use activitypub_core::jsonld::{self, Classification, Reason};
use serde_json::{json, Value};

fn fixture(path: &str) -> Value {
    let full = format!(
        "{}/tests/fixtures/jsonld/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_slice(&bytes).unwrap()
}

const AS_PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Writes every one-element array as its element, recursively: JSON-LD
/// compaction writes single values bare, and ActivityPub readers treat
/// `"x"` and `["x"]` alike.
fn one_or_many(value: &Value) -> Value {
    match value {
        Value::Array(items) if items.len() == 1 => one_or_many(&items[0]),
        Value::Array(items) => Value::Array(items.iter().map(one_or_many).collect()),
        Value::Object(object) => Value::Object(
            object
                .iter()
                .map(|(k, v)| (k.clone(), one_or_many(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The keys every fast-path document must keep, with the same meaning, when
/// normalized anyway.
fn assert_same_fields(original: &Value, normalized: &Value, keys: &[&str]) {
    for key in keys {
        let original = original
            .get(*key)
            .unwrap_or_else(|| panic!("fixture lacks `{key}`"));
        let normalized = normalized
            .get(*key)
            .unwrap_or_else(|| panic!("normalization dropped `{key}`: {normalized}"));
        assert_eq!(
            one_or_many(normalized),
            one_or_many(original),
            "field `{key}` changed by normalization"
        );
    }
}

// --- slow path -------------------------------------------------------------

#[test]
fn fedify_expanded_note_is_compacted() {
    let doc = fixture("fedify/expanded-note.json");
    assert_eq!(
        jsonld::classify(&doc),
        Classification::NeedsNormalization(Reason::ExpandedForm {
            key: "[array]".into()
        })
    );
    let out = jsonld::normalize(&doc).unwrap();
    assert_eq!(out["@context"], *jsonld::standard_context());
    assert_eq!(out["id"], "https://fedify.example/notes/01HZX3");
    assert_eq!(out["type"], "Note");
    assert_eq!(out["attributedTo"], "https://fedify.example/users/hana");
    // The public collection keeps the full IRI Mastodon writes (the compactor
    // alone would shorten it to `as:Public`).
    assert_eq!(out["to"], AS_PUBLIC);
    assert_eq!(out["cc"], "https://fedify.example/users/hana/followers");
    assert_eq!(out["content"], "<p>Expanded hello</p>");
    assert_eq!(out["contentMap"], json!({"ko": "<p>펼친 인사</p>"}));
    assert_eq!(out["published"], "2024-05-01T09:30:00Z");
    assert_eq!(out["sensitive"], false);
    assert_eq!(
        out["tag"],
        json!({
            "type": "Mention",
            "href": "https://mastodon.example/users/bob",
            "name": "@bob@mastodon.example"
        })
    );
    // Nothing is left in expanded form.
    let text = out.to_string();
    assert!(!text.contains("\"@value\""), "{text}");
    assert!(!text.contains("activitystreams#content"), "{text}");
}

#[test]
fn custom_context_aliasing_content_is_renamed() {
    let doc = fixture("custom-context/aliased-content.json");
    let classification = jsonld::classify(&doc);
    assert!(classification.needs_normalization());
    assert!(matches!(
        classification.reason(),
        Some(Reason::AliasedTerm { term, standard })
            if (term == "body" && standard == "content")
                || (term == "author" && standard == "attributedTo")
                || (term == "postedAt" && standard == "published")
    ));
    let out = jsonld::normalize(&doc).unwrap();
    assert_eq!(out["content"], "<p>Because terms are IRIs.</p>");
    assert_eq!(out["attributedTo"], "https://blog.example/authors/kim");
    assert_eq!(out["published"], "2024-03-02T10:00:00Z");
    assert_eq!(out["name"], "Why JSON-LD");
    assert_eq!(out["type"], "Article");
    for alias in ["body", "author", "postedAt"] {
        assert!(out.get(alias).is_none(), "alias `{alias}` survived: {out}");
    }
}

#[test]
fn misskey_old_namespace_with_prefixed_key_is_unified() {
    let doc = fixture("misskey/note-old-namespace-prefixed.json");
    assert_eq!(
        jsonld::classify(&doc),
        Classification::NeedsNormalization(Reason::IriKey {
            key: "misskey:_misskey_quote".into()
        })
    );
    let out = jsonld::normalize(&doc).unwrap();
    // https://misskey.io/ns# is the same vocabulary as misskey-hub.net.
    assert_eq!(out["_misskey_quote"], "https://other.example/notes/1");
    assert!(out.get("misskey:_misskey_quote").is_none());
    assert_eq!(out["content"], "<p>old namespace</p>");
}

#[test]
fn lemmy_inline_context_maps_expires_to_end_time() {
    let doc = fixture("lemmy/block-user-inline-context.json");
    assert_eq!(
        jsonld::classify(&doc),
        Classification::NeedsNormalization(Reason::AliasedTerm {
            term: "expires".into(),
            standard: "endTime".into()
        })
    );
    let report = jsonld::normalize_with_report(&doc).unwrap();
    assert!(report.unknown_contexts.is_empty());
    let out = report.document;
    assert_eq!(out["type"], "Block");
    assert_eq!(out["endTime"], "2024-09-01T00:00:00Z");
    assert!(out.get("expires").is_none());
    assert_eq!(out["object"], "https://lemmy.example/u/spammer");
    assert_eq!(out["target"], "https://lemmy.example/c/rust");
    assert_eq!(out["audience"], "https://lemmy.example/c/rust");
    assert_eq!(out["summary"], "spam");
    // A Lemmy-only term keeps its meaning, as a compact IRI of its namespace.
    assert_eq!(out["https://join-lemmy.org/ns#removeData"], true);
}

#[test]
fn hubzilla_many_contexts_redefining_direct_message() {
    let doc = fixture("hubzilla/actor-many-contexts.json");
    assert_eq!(
        jsonld::classify(&doc),
        Classification::NeedsNormalization(Reason::RedefinedTerm {
            term: "directMessage".into()
        })
    );
    let report = jsonld::normalize_with_report(&doc).unwrap();
    assert_eq!(
        report.unknown_contexts,
        vec!["https://hub.example/apschema/v1.9".to_string()]
    );
    let out = report.document;
    assert_eq!(out["type"], "Person");
    assert_eq!(out["preferredUsername"], "lena");
    assert_eq!(out["manuallyApprovesFollowers"], false);
    // Hubzilla's directMessage is its own property, not LitePub's.
    assert!(out.get("directMessage").is_none());
    assert_eq!(out["https://hub.example/apschema#directMessage"], false);
    assert_eq!(out["webfinger"], "lena@hub.example");
    assert_eq!(out["endpoints"]["sharedInbox"], "https://hub.example/inbox");
    assert_eq!(
        out["publicKey"]["owner"],
        "https://hub.example/channel/lena"
    );
    assert_eq!(
        out["publicKey"]["publicKeyPem"],
        doc["publicKey"]["publicKeyPem"]
    );
    assert_eq!(
        out["assertionMethod"],
        json!([{
            "id": "https://hub.example/channel/lena?operation=ed25519key",
            "type": "Multikey",
            "controller": "https://hub.example/channel/lena",
            "publicKeyMultibase": "z6MkTestOnlyNotARealKeyAAAAAAAAAAAAAAAAAAAAAAAA"
        }])
    );
    assert_eq!(
        out["tag"],
        json!([
            {"type": "PropertyValue", "name": "Protocol", "value": "zot6"},
            {"type": "PropertyValue", "name": "Protocol", "value": "activitypub"}
        ])
    );
}

#[test]
fn takahe_prefixed_key_is_compacted() {
    let doc = fixture("takahe/actor-prefixed-key.json");
    assert_eq!(
        jsonld::classify(&doc),
        Classification::NeedsNormalization(Reason::IriKey {
            key: "toot:discoverable".into()
        })
    );
    let out = jsonld::normalize(&doc).unwrap();
    assert_eq!(out["discoverable"], true);
    assert!(out.get("toot:discoverable").is_none());
    assert_eq!(out["publicKey"]["id"], doc["publicKey"]["id"]);
}

// --- fast path ---------------------------------------------------------------

#[test]
fn mastodon_note_takes_the_fast_path_and_survives_normalization() {
    let doc = fixture("mastodon/note.json");
    assert_eq!(jsonld::classify(&doc), Classification::Standard);
    assert!(!jsonld::needs_normalization(&doc));
    let out = jsonld::normalize(&doc).unwrap();
    assert_same_fields(
        &doc,
        &out,
        &[
            "id",
            "type",
            "published",
            "url",
            "attributedTo",
            "to",
            "cc",
            "sensitive",
            "atomUri",
            "conversation",
            "content",
            "contentMap",
            "attachment",
            "tag",
            "replies",
        ],
    );
    // `null` properties carry nothing in JSON-LD and are dropped.
    assert!(out.get("summary").is_none());
    assert!(out.get("inReplyTo").is_none());
}

#[test]
fn pleroma_litepub_note_takes_the_fast_path_and_survives_normalization() {
    let doc = fixture("pleroma/note-litepub.json");
    assert_eq!(jsonld::classify(&doc), Classification::Standard);
    let report = jsonld::normalize_with_report(&doc).unwrap();
    // The instance's own copy of the LitePub context is bundled.
    assert!(report.unknown_contexts.is_empty());
    let out = report.document;
    assert_same_fields(
        &doc,
        &out,
        &[
            "id",
            "type",
            "actor",
            "attributedTo",
            "context",
            "conversation",
            "published",
            "summary",
            "source",
            "to",
            "cc",
            "quoteUrl",
        ],
    );
    // `{"@language": "und"}` ("undetermined") tags every plain string; the
    // tag is dropped, so strings stay plain and the language map keeps only
    // real languages.
    assert_eq!(out["content"], "hi from pleroma");
    assert_eq!(out["contentMap"], json!({"en": "hi from pleroma"}));
    assert_eq!(out["source"]["mediaType"], "text/plain");
}

#[test]
fn misskey_quote_takes_the_fast_path_and_survives_normalization() {
    let doc = fixture("misskey/note-quote.json");
    assert_eq!(jsonld::classify(&doc), Classification::Standard);
    let out = jsonld::normalize(&doc).unwrap();
    assert_same_fields(
        &doc,
        &out,
        &[
            "id",
            "type",
            "attributedTo",
            "content",
            "_misskey_content",
            "source",
            "_misskey_quote",
            "quoteUrl",
            "published",
            "to",
            "cc",
            "sensitive",
        ],
    );
    // `quoteUri` is not in Misskey's context: it comes through the
    // ActivityStreams `@vocab` under its plain name, which the standard
    // context maps to Fedibird's IRI, so it is kept as a plain key.
    assert_eq!(out["quoteUri"], "https://other.example/notes/9tq0");
}

#[test]
fn gotosocial_note_takes_the_fast_path_and_survives_normalization() {
    let doc = fixture("gotosocial/note-interaction-policy.json");
    assert_eq!(jsonld::classify(&doc), Classification::Standard);
    let report = jsonld::normalize_with_report(&doc).unwrap();
    assert!(report.unknown_contexts.is_empty());
    let out = report.document;
    assert_same_fields(
        &doc,
        &out,
        &[
            "id",
            "type",
            "attributedTo",
            "content",
            "contentMap",
            "published",
            "to",
            "cc",
            "sensitive",
            "summary",
            "replies",
        ],
    );
    assert_eq!(
        out["interactionPolicy"],
        json!({
            "canLike": {"automaticApproval": AS_PUBLIC},
            "canReply": {"automaticApproval": AS_PUBLIC, "manualApproval": []},
            "canAnnounce": {"automaticApproval": "https://gts.example/users/ana/followers"}
        })
    );
}

#[test]
fn mastodon_note_4k_takes_the_fast_path_and_survives_normalization() {
    let doc = fixture("mastodon/note_4k.json");
    assert!(!jsonld::needs_normalization(&doc));
    let out = jsonld::normalize(&doc).unwrap();
    assert_same_fields(
        &doc,
        &out,
        &[
            "id",
            "type",
            "published",
            "attributedTo",
            "to",
            "cc",
            "sensitive",
            "content",
            "contentMap",
            "attachment",
            "tag",
            "replies",
        ],
    );
}
