//! Snapshot tests for the builders: the exact JSON a Mastodon-style server sends, pinned in
//! `tests/snapshots/builders/*.json` (run with `WOOLLY_BLESS=1` to rewrite them after an
//! intended change, then review the diff).
#![allow(clippy::unwrap_used, missing_docs)]

use activitypub_core::builder::{self, NoteBuilder, PersonBuilder};
use activitypub_core::{Activity, Actor, AnyObject, ObjectId, Reference, Visibility};
use serde::Serialize;

fn snap<T: Serialize>(name: &str, value: &T) {
    let got = serde_json::to_string_pretty(value).unwrap() + "\n";
    let path = format!(
        "{}/tests/snapshots/builders/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("WOOLLY_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap();
    assert_eq!(got, want, "snapshot {name} differs");
    // Our own output parses back to an equal value.
    let back: AnyObject = serde_json::from_str(&got).unwrap();
    assert_eq!(serde_json::to_string_pretty(&back).unwrap() + "\n", got);
}

fn id<K>(s: &str) -> ObjectId<K> {
    ObjectId::parse(s).unwrap()
}

fn alice() -> ObjectId<Actor> {
    id("https://wool.example/users/alice")
}
fn bob() -> ObjectId<Actor> {
    id("https://fleece.example/users/bob")
}
const FOLLOWERS: &str = "https://wool.example/users/alice/followers";

fn t0() -> time::OffsetDateTime {
    // 2026-01-01T00:00:00Z
    time::OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap()
}

fn note(v: Visibility) -> activitypub_core::Object {
    NoteBuilder::new(id("https://wool.example/users/alice/statuses/1"), &alice(), FOLLOWERS, "<p>Hello <span class=\"h-card\"><a href=\"https://fleece.example/@bob\" class=\"u-url mention\">@<span>bob</span></a></span> <a href=\"https://wool.example/tags/wool\" class=\"mention hashtag\" rel=\"tag\">#<span>wool</span></a></p>", v)
        .published(t0())
        .url(&id("https://wool.example/@alice/1"))
        .language("en")
        .conversation("tag:wool.example,2026-01-01:objectId=1:objectType=Conversation")
        .mention(&bob(), "@bob@fleece.example")
        .hashtag("https://wool.example/tags/wool", "#wool")
        .build()
}

fn follow() -> Activity {
    builder::follow(
        &id("https://wool.example/5c1d0b0e-7d62-4f7c-9a0e-3b1f2e4d6a88"),
        &alice(),
        &bob(),
    )
}

#[test]
fn create_public_note() {
    snap(
        "create_public_note",
        &builder::create(
            &id("https://wool.example/users/alice/statuses/1/activity"),
            note(Visibility::Public),
        ),
    );
}

#[test]
fn note_unlisted() {
    snap("note_unlisted", &note(Visibility::Unlisted));
}

#[test]
fn note_followers_only() {
    snap("note_followers_only", &note(Visibility::FollowersOnly));
}

#[test]
fn note_direct() {
    snap("note_direct", &note(Visibility::Direct));
}

#[test]
fn note_with_media_and_content_warning() {
    let n = NoteBuilder::new(
        id("https://wool.example/users/alice/statuses/2"),
        &alice(),
        FOLLOWERS,
        "<p>shorn</p>",
        Visibility::Public,
    )
    .published(t0())
    .content_warning("sheep nudity")
    .attachment(builder::media_attachment(
        "image/jpeg",
        &id("https://files.wool.example/a.jpg"),
        Some("a freshly shorn sheep"),
        Some("UBL_:rOpGG-;~qRjWBay00xu%Mj[00ay-;t7"),
        Some((1600, 1200)),
    ))
    .in_reply_to(&id("https://fleece.example/users/bob/statuses/9"))
    .build();
    snap("note_with_media_and_content_warning", &n);
}

fn person() -> Actor {
    PersonBuilder::new(
        &alice(),
        "alice",
        "-----BEGIN PUBLIC KEY-----\nTEST-ONLY-NOT-A-KEY\n-----END PUBLIC KEY-----\n",
    )
    .unwrap()
    .name("Alice")
    .summary("<p>Knits.</p>")
    .url(&id("https://wool.example/@alice"))
    .published(t0())
    .field(
        "Website",
        "<a href=\"https://alice.example\">alice.example</a>",
    )
    .avatar(
        "image/png",
        &id("https://files.wool.example/avatars/alice.png"),
    )
    .build()
}

#[test]
fn person_document() {
    snap("person", &person());
}

#[test]
fn update_person() {
    snap(
        "update_person",
        &builder::update(
            &id("https://wool.example/users/alice#updates/1767225600"),
            &alice(),
            person(),
        ),
    );
}

#[test]
fn delete_with_tombstone() {
    snap(
        "delete",
        &builder::delete(
            &id("https://wool.example/users/alice/statuses/1#delete"),
            &alice(),
            &id("https://wool.example/users/alice/statuses/1"),
        ),
    );
}

#[test]
fn follow_activity() {
    snap("follow", &follow());
}

#[test]
fn accept_follow() {
    snap(
        "accept",
        &builder::accept(
            &id("https://fleece.example/users/bob#accepts/follows/12"),
            &bob(),
            follow(),
        ),
    );
}

#[test]
fn reject_follow() {
    snap(
        "reject",
        &builder::reject(
            &id("https://fleece.example/users/bob#rejects/follows/12"),
            &bob(),
            follow(),
        ),
    );
}

#[test]
fn undo_follow() {
    snap(
        "undo_follow",
        &builder::undo(
            &id("https://wool.example/users/alice#follows/12/undo"),
            &alice(),
            follow(),
        ),
    );
}

#[test]
fn announce_public() {
    snap(
        "announce",
        &builder::announce(
            &id("https://wool.example/users/alice/statuses/3/activity"),
            &alice(),
            FOLLOWERS,
            &id("https://fleece.example/users/bob/statuses/9"),
            &bob(),
            t0(),
            Visibility::Public,
        ),
    );
}

#[test]
fn like_activity() {
    snap(
        "like",
        &builder::like(
            &id("https://wool.example/users/alice#likes/7"),
            &alice(),
            &id("https://fleece.example/users/bob/statuses/9"),
        ),
    );
}

#[test]
fn block_activity() {
    snap(
        "block",
        &builder::block(
            &id("https://wool.example/8e0f2a4c-1b3d-4e5f-8a9b-0c1d2e3f4a5b"),
            &alice(),
            &bob(),
        ),
    );
}

#[test]
fn flag_activity() {
    let instance: ObjectId<Actor> = id("https://wool.example/actor");
    snap(
        "flag",
        &builder::flag(
            &id("https://wool.example/0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"),
            &instance,
            "spam",
            &[
                id("https://fleece.example/users/bob"),
                id("https://fleece.example/users/bob/statuses/9"),
            ],
        ),
    );
}

const OUTBOX: &str = "https://wool.example/users/alice/outbox";

#[test]
fn outbox_collection() {
    snap(
        "outbox_collection",
        &builder::OrderedCollectionBuilder::new(&id(OUTBOX))
            .total_items(42)
            .first(&id(&format!("{OUTBOX}?page=true")))
            .last(&id(&format!("{OUTBOX}?min_id=0&page=true")))
            .build(),
    );
}

#[test]
fn outbox_page_embeds_activities_without_their_context() {
    let create = builder::create(
        &id("https://wool.example/users/alice/statuses/1/activity"),
        note(Visibility::Public),
    );
    assert!(create.context.is_some());
    let page = builder::OrderedCollectionPageBuilder::new(
        &id(&format!("{OUTBOX}?page=true")),
        &id(OUTBOX),
    )
    .next(&id(&format!("{OUTBOX}?max_id=1&page=true")))
    .prev(&id(&format!("{OUTBOX}?min_id=1&page=true")))
    .ordered_items([Reference::Object(Box::new(create.into()))])
    .build();
    assert!(page.all_items()[0].object().unwrap().context.is_none());
    snap("outbox_page", &page);
}

#[test]
fn followers_page_lists_actors_by_id_with_the_total() {
    snap(
        "followers_page",
        &builder::OrderedCollectionPageBuilder::new(
            &id(&format!("{FOLLOWERS}?page=1")),
            &id(FOLLOWERS),
        )
        .total_items(2)
        .ordered_items([
            Reference::Id(bob().cast()),
            Reference::Id(id("https://wool.example/users/carol")),
        ])
        .build(),
    );
}

#[test]
fn an_empty_page_still_has_ordered_items() {
    let page = builder::OrderedCollectionPageBuilder::new(
        &id(&format!("{FOLLOWERS}?page=1")),
        &id(FOLLOWERS),
    )
    .build();
    assert_eq!(
        serde_json::to_value(&page).unwrap(),
        serde_json::json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": "https://wool.example/users/alice/followers?page=1",
            "type": "OrderedCollectionPage",
            "partOf": FOLLOWERS,
            "orderedItems": [],
        })
    );
}

#[test]
fn featured_collection_inline_counts_its_items() {
    let featured = builder::OrderedCollectionBuilder::new(&id(
        "https://wool.example/users/alice/collections/featured",
    ))
    .ordered_items([
        Reference::Object(Box::new(note(Visibility::Unlisted).into())),
        Reference::Id(id("https://wool.example/users/alice/statuses/2")),
    ])
    .build();
    assert_eq!(featured.total_items, Some(2));
    snap("featured_collection", &featured);
    // An explicit total wins; no items: `orderedItems` is `[]` and the total 0.
    let empty = builder::OrderedCollectionBuilder::new(&id("https://wool.example/actor/outbox"))
        .ordered_items([])
        .build();
    assert_eq!(
        serde_json::to_string(&empty).unwrap(),
        r#"{"@context":"https://www.w3.org/ns/activitystreams","id":"https://wool.example/actor/outbox","type":"OrderedCollection","totalItems":0,"orderedItems":[]}"#
    );
    let counted = builder::OrderedCollectionBuilder::new(&id("https://wool.example/actor/outbox"))
        .total_items(7)
        .ordered_items([])
        .build();
    assert_eq!(counted.total_items, Some(7));
}

#[test]
fn add_and_remove_of_a_pin() {
    let featured: ObjectId<activitypub_core::Collection> =
        id("https://wool.example/users/alice/collections/featured");
    let post = id("https://wool.example/users/alice/statuses/1");
    // As Mastodon sends it: no id, no addressing.
    snap("add_pin", &builder::add(None, &alice(), &post, &featured));
    snap(
        "remove_pin",
        &builder::remove(
            Some(&id("https://wool.example/users/alice#remove/7")),
            &alice(),
            &post,
            &featured,
        ),
    );
}
