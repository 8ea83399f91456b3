//! One test per fixture under `tests/fixtures/vocab/<software>/`: the document parses, its
//! typed fields hold what that software sends, and parse → serialize gives the same JSON.
#![allow(clippy::unwrap_used, missing_docs)]

use activitypub_core::lenient::Reference;
use activitypub_core::validate::{self, Finding};
use activitypub_core::vocab::{ref_ids, Category};
use activitypub_core::{AnyObject, Kind, OneOrMany, Visibility};
use serde_json::Value;

/// Parses a fixture, checks the lossless round trip (both as JSON values and through a second
/// typed parse), and returns the typed document.
fn load(bytes: &str) -> AnyObject {
    let original: Value = serde_json::from_str(bytes).unwrap();
    let doc: AnyObject = serde_json::from_str(bytes).unwrap();
    let out = serde_json::to_value(&doc).unwrap();
    assert_eq!(out, original, "round trip changed the JSON");
    let again: AnyObject = serde_json::from_value(out.clone()).unwrap();
    assert_eq!(again, doc, "second parse differs");
    doc
}

macro_rules! fixture {
    ($name:ident, $path:literal, |$doc:ident| $body:block) => {
        #[test]
        fn $name() {
            let $doc = load(include_str!(concat!("fixtures/vocab/", $path)));
            $body
        }
    };
}

fn embedded(r: Option<&OneOrMany<Reference<AnyObject>>>) -> &AnyObject {
    r.and_then(|r| r.first())
        .and_then(Reference::object)
        .expect("embedded object")
}

fixture!(mastodon_create_note, "mastodon/create_note.json", |doc| {
    let create = doc.as_activity().unwrap();
    assert!(create.is(&Kind::Create));
    assert_eq!(create.actor_ids(), ["https://wool.example/users/shepherd"]);
    let note = embedded(create.object.as_ref());
    assert_eq!(note.primary_kind(), Some(&Kind::Note));
    assert_eq!(note.sensitive, Some(false));
    assert!(note.extra.get("summary").unwrap().is_null());
    assert_eq!(
        note.content_map.as_ref().unwrap().get("en"),
        note.content.as_deref()
    );
    let media = embedded(note.attachment.as_ref());
    assert_eq!(media.media_type.as_deref(), Some("image/jpeg"));
    assert_eq!(media.focal_point.as_deref(), Some(&[-0.25, 0.5][..]));
    assert_eq!((media.width, media.height), (Some(1600), Some(1200)));
    assert_eq!(
        media.name.as_deref(),
        Some("A sheep mid-shear, looking unimpressed")
    );
    assert!(media.blurhash.as_deref().unwrap().starts_with("UBL_"));
    let tags = note.tag.as_ref().unwrap();
    let mention = tags.as_slice()[0].object().unwrap().as_link().unwrap();
    assert!(mention.is(&Kind::Mention));
    assert_eq!(
        mention.href.as_deref(),
        Some("https://fleece.example/users/ewe")
    );
    let replies = note
        .replies
        .as_ref()
        .unwrap()
        .object()
        .unwrap()
        .as_collection()
        .unwrap();
    assert!(replies
        .first
        .as_ref()
        .unwrap()
        .object()
        .unwrap()
        .as_collection()
        .is_some());
    assert_eq!(
        Visibility::of_object(note, Some("https://wool.example/users/shepherd/followers")),
        Visibility::Public
    );
    assert!(validate::check(&doc).is_empty());
});

fixture!(mastodon_note_4k, "mastodon/note_4k.json", |doc| {
    assert_eq!(doc.category(), Category::Object);
    assert_eq!(doc.tag.as_ref().unwrap().len(), 7);
    assert_eq!(doc.attachment.as_ref().unwrap().len(), 2);
    assert!(doc.context.as_ref().unwrap().has_activitystreams());
});

fixture!(mastodon_person, "mastodon/person.json", |doc| {
    let p = doc.as_actor().unwrap();
    assert!(p.is(&Kind::Person));
    assert_eq!(p.preferred_username.as_deref(), Some("shepherd"));
    assert_eq!(
        p.featured.as_ref().unwrap().as_str(),
        "https://wool.example/users/shepherd/collections/featured"
    );
    assert_eq!(
        p.featured_tags.as_ref().unwrap().as_str(),
        "https://wool.example/users/shepherd/collections/tags"
    );
    assert_eq!(
        p.shared_inbox().unwrap().as_str(),
        "https://wool.example/inbox"
    );
    let key = p.main_key().unwrap();
    assert_eq!(
        key.id.as_ref().unwrap().as_str(),
        "https://wool.example/users/shepherd#main-key"
    );
    assert_eq!(
        key.owner.as_ref().unwrap().as_str(),
        "https://wool.example/users/shepherd"
    );
    assert!(key
        .public_key_pem
        .as_deref()
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(
        (p.discoverable, p.indexable, p.memorial),
        (Some(true), Some(true), Some(false))
    );
    assert_eq!(p.manually_approves_followers, Some(false));
    assert_eq!(
        p.attribution_domains.as_ref().unwrap().as_slice(),
        ["blog.wool.example"]
    );
    assert_eq!(
        p.also_known_as.as_ref().unwrap().first().unwrap().host(),
        "old-farm.example"
    );
    let field = embedded(p.attachment.as_ref());
    assert!(field.is(&Kind::PropertyValue));
    assert_eq!(field.name.as_deref(), Some("Farm"));
    assert!(field.value.as_deref().unwrap().contains("farm.example"));
    assert_eq!(
        embedded(p.icon.as_ref()).media_type.as_deref(),
        Some("image/png")
    );
    assert!(validate::check(&doc).is_empty());
});

fixture!(mastodon_question, "mastodon/question.json", |doc| {
    assert!(doc.is(&Kind::Question));
    assert_eq!(doc.voters_count, Some(7));
    assert_eq!(
        doc.end_time
            .as_ref()
            .unwrap()
            .to_datetime()
            .unwrap()
            .unix_timestamp(),
        1_772_791_200
    );
    let options = doc.one_of.as_ref().unwrap();
    assert_eq!(options.len(), 2);
    let first = options.first().unwrap().object().unwrap();
    assert_eq!(first.name.as_deref(), Some("Merino"));
    let votes = first
        .replies
        .as_ref()
        .unwrap()
        .object()
        .unwrap()
        .as_collection()
        .unwrap();
    assert_eq!(votes.total_items, Some(5));
    assert!(doc.any_of.is_none() && doc.closed.is_none());
});

fixture!(
    mastodon_delete_tombstone,
    "mastodon/delete_tombstone.json",
    |doc| {
        let del = doc.as_activity().unwrap();
        assert!(del.is(&Kind::Delete));
        let t = embedded(del.object.as_ref());
        assert!(t.is(&Kind::Tombstone));
        assert_eq!(
            t.id.as_ref().unwrap().as_str(),
            "https://wool.example/users/shepherd/statuses/113000000000000001"
        );
        assert!(t.extra.contains_key("atomUri"));
    }
);

fixture!(mastodon_undo_follow, "mastodon/undo_follow.json", |doc| {
    let undo = doc.as_activity().unwrap();
    assert!(undo.is(&Kind::Undo));
    let follow = embedded(undo.object.as_ref()).as_activity().unwrap();
    assert!(follow.is(&Kind::Follow));
    assert_eq!(
        follow.first_object().unwrap().id(),
        Some("https://fleece.example/users/ewe")
    );
});

fixture!(pleroma_note, "pleroma/note.json", |doc| {
    assert!(doc.is(&Kind::Note));
    // `as:Public` is Public.
    assert_eq!(doc.to.as_ref().unwrap().as_slice(), ["as:Public"]);
    assert_eq!(
        Visibility::of_object(
            &doc,
            Some("https://pleroma.fleece.example/users/ram/followers")
        ),
        Visibility::Public
    );
    // `sensitive: null` is kept, not typed.
    assert_eq!(doc.sensitive, None);
    assert!(doc.extra.get("sensitive").unwrap().is_null());
    assert_eq!(
        doc.source.as_ref().unwrap().media_type.as_deref(),
        Some("text/plain")
    );
    assert_eq!(doc.as_context.as_deref(), doc.conversation.as_deref());
    assert_eq!(
        doc.published
            .as_ref()
            .unwrap()
            .to_datetime()
            .unwrap()
            .nanosecond(),
        123_456_000
    );
    // Pleroma's `actor` on an object (same as attributedTo) is not a finding.
    assert!(validate::check(&doc).is_empty());
});

fixture!(akkoma_quote_note, "akkoma/quote_note.json", |doc| {
    assert_eq!(
        doc.quote_uri.as_deref(),
        Some("https://wool.example/users/shepherd/statuses/113000000000000001")
    );
    assert_eq!(doc.quoted(), doc.quote_uri.as_deref());
    assert_eq!(
        doc.source.as_ref().unwrap().media_type.as_deref(),
        Some("text/x.misskeymarkdown")
    );
    assert_eq!(
        doc.content_map.as_ref().unwrap().get("en"),
        Some("look at this")
    );
});

fixture!(akkoma_emoji_react, "akkoma/emoji_react.json", |doc| {
    let react = doc.as_activity().unwrap();
    assert!(react.is(&Kind::EmojiReact));
    let emoji = embedded(react.tag.as_ref());
    assert!(emoji.is(&Kind::Emoji));
    assert_eq!(
        embedded(emoji.icon.as_ref())
            .url
            .as_ref()
            .unwrap()
            .first()
            .unwrap()
            .id(),
        Some("https://akko.example/emoji/blobsheep.png")
    );
    assert!(
        validate::check(&doc).is_empty(),
        "{:?}",
        validate::check(&doc)
    );
});

fixture!(misskey_quote_note, "misskey/quote_note.json", |doc| {
    assert_eq!(doc.misskey_quote.as_deref(), doc.quote_url.as_deref());
    assert!(doc.quoted().is_some());
    assert_eq!(
        doc.misskey_content.as_deref(),
        Some("quoting @shepherd@wool.example")
    );
    assert!(doc.extra.get("inReplyTo").unwrap().is_null());
    assert_eq!(
        doc.published
            .as_ref()
            .unwrap()
            .to_datetime()
            .unwrap()
            .millisecond(),
        456
    );
});

fixture!(sharkey_person, "sharkey/person.json", |doc| {
    let p = doc.as_actor().unwrap();
    assert_eq!(p.manually_approves_followers, Some(true));
    assert_eq!(p.indexable, Some(false));
    assert_eq!(p.extra.get("isCat"), Some(&Value::Bool(true)));
    // `image: null` stays, untyped.
    assert!(p.image.is_none() && p.extra.get("image").unwrap().is_null());
    let emoji = embedded(p.tag.as_ref());
    assert!(emoji.is(&Kind::Emoji));
    assert_eq!(
        p.main_key().unwrap().kind.as_ref().unwrap().first(),
        Some(&Kind::Key)
    );
});

fixture!(gotosocial_note, "gotosocial/note.json", |doc| {
    // GoToSocial sends single values where others send arrays; the shape is kept.
    assert!(matches!(doc.to, Some(OneOrMany::One(_))));
    assert!(matches!(doc.cc, Some(OneOrMany::One(_))));
    let img = embedded(doc.attachment.as_ref());
    assert!(img.is(&Kind::Image));
    assert_eq!(img.focal_point.as_deref(), Some(&[0.0, -0.5][..]));
    assert!(doc.extra.contains_key("interactionPolicy"));
    assert_eq!(
        Visibility::of_object(&doc, Some("https://gts.example/users/tup/followers")),
        Visibility::Public
    );
});

fixture!(
    gotosocial_outbox_page,
    "gotosocial/outbox_page.json",
    |doc| {
        let page = doc.as_collection().unwrap();
        assert!(page.is(&Kind::OrderedCollectionPage));
        assert_eq!(
            page.part_of.as_ref().unwrap().id(),
            Some("https://gts.example/users/tup/outbox")
        );
        let item = page.all_items()[0].object().unwrap().as_activity().unwrap();
        assert!(item.is(&Kind::Create));
        assert!(matches!(item.first_object(), Some(Reference::Id(_))));
    }
);

fixture!(
    lemmy_announce_create_page,
    "lemmy/announce_create_page.json",
    |doc| {
        let announce = doc.as_activity().unwrap();
        assert!(doc.context.is_none(), "Lemmy sends no @context here");
        let create = embedded(announce.object.as_ref()).as_activity().unwrap();
        let page = embedded(create.object.as_ref());
        assert!(page.is(&Kind::Page));
        assert_eq!(
            page.audience.as_ref().unwrap().as_slice(),
            ["https://lemmy.example/c/knitting"]
        );
        assert_eq!(
            page.source.as_ref().unwrap().media_type.as_deref(),
            Some("text/markdown")
        );
        let link = embedded(page.attachment.as_ref()).as_link().unwrap();
        assert_eq!(link.href.as_deref(), Some("https://patterns.example/cable"));
        assert!(
            validate::check(&doc).is_empty(),
            "{:?}",
            validate::check(&doc)
        );
    }
);

fixture!(lemmy_group, "lemmy/group.json", |doc| {
    let g = doc.as_actor().unwrap();
    assert!(g.is(&Kind::Group));
    assert_eq!(
        g.featured.as_ref().unwrap().as_str(),
        "https://lemmy.example/c/knitting/featured"
    );
    assert!(g.extra.contains_key("postingRestrictedToMods"));
    assert!(g.following.is_none());
});

fixture!(peertube_video, "peertube/video.json", |doc| {
    assert!(doc.is(&Kind::Video));
    assert_eq!(doc.duration.as_deref(), Some("PT183S"));
    // PeerTube: `url` is an array of Links, `attributedTo` an array of objects.
    let urls = doc.url.as_ref().unwrap();
    assert_eq!(urls.len(), 4);
    let mp4 = urls.as_slice()[1].object().unwrap().as_link().unwrap();
    assert_eq!(mp4.media_type.as_deref(), Some("video/mp4"));
    assert_eq!(mp4.height, Some(720));
    let rel = urls.as_slice()[2]
        .object()
        .unwrap()
        .as_link()
        .unwrap()
        .rel
        .as_ref()
        .unwrap();
    assert_eq!(rel.as_slice(), ["metadata", "video/mp4"]);
    assert_eq!(
        doc.attributed_to_ids(),
        [
            "https://tube.example/accounts/farmer",
            "https://tube.example/video-channels/farm_channel"
        ]
    );
    // `content: null` and the string `likes` IRI.
    assert!(doc.extra.get("content").unwrap().is_null());
    assert!(matches!(doc.likes, Some(Reference::Id(_))));
});

fixture!(pixelfed_create_note, "pixelfed/create_note.json", |doc| {
    let create = doc.as_activity().unwrap();
    let note = embedded(create.object.as_ref());
    let img = embedded(note.attachment.as_ref());
    assert_eq!((img.width, img.height), (Some(1080), Some(1350)));
    assert_eq!(note.extra.get("commentsEnabled"), Some(&Value::Bool(true)));
    assert_eq!(
        note.published.as_ref().unwrap().as_str(),
        "2026-02-14T14:14:14+00:00"
    );
    assert!(validate::check(&doc).is_empty());
});

fixture!(friendica_create_note, "friendica/create_note.json", |doc| {
    let create = doc.as_activity().unwrap();
    let app = embedded(create.instrument.as_ref()).as_actor().unwrap();
    assert!(app.is(&Kind::Application));
    let note = embedded(create.object.as_ref());
    // Friendica keys contentMap by media type.
    assert_eq!(note.content_map.as_ref().unwrap().0.len(), 2);
    assert_eq!(
        note.source.as_ref().unwrap().media_type.as_deref(),
        Some("text/bbcode")
    );
    assert!(note.extra.contains_key("diaspora:guid"));
    assert!(create.extra.contains_key("signature"));
    assert!(validate::check(&doc).is_empty());
});

fixture!(wordpress_article, "wordpress/article.json", |doc| {
    assert!(doc.is(&Kind::Article));
    assert_eq!(doc.name_map.as_ref().unwrap().get("en"), Some("On Wool"));
    assert_eq!(
        doc.summary_map.as_ref().unwrap().get("en"),
        doc.summary.as_deref()
    );
    assert!(doc.cc.as_ref().unwrap().is_empty());
    assert_eq!(
        Visibility::of_object(
            &doc,
            Some("https://blog.example/wp-json/activitypub/1.0/actors/1/followers")
        ),
        Visibility::Public
    );
});

fixture!(mbin_page, "mbin/page.json", |doc| {
    assert!(doc.is(&Kind::Page));
    assert_eq!(
        doc.audience.as_ref().unwrap().as_slice(),
        ["https://mbin.example/m/fibre"]
    );
    assert!(doc.extra.contains_key("stickied"));
    assert_eq!(
        doc.url.as_ref().unwrap().first().unwrap().id(),
        Some("https://spinning.example/guide")
    );
});

fixture!(mbin_like, "mbin/like.json", |doc| {
    let like = doc.as_activity().unwrap();
    assert!(like.is(&Kind::Like));
    assert_eq!(
        like.first_object().unwrap().id(),
        Some("https://mbin.example/m/fibre/t/99")
    );
});

fixture!(bookwyrm_review, "bookwyrm/review.json", |doc| {
    // An unknown type that reads as an object, keeping its own properties.
    assert_eq!(doc.primary_kind(), Some(&Kind::Other("Review".to_owned())));
    assert_eq!(doc.category(), Category::Object);
    assert_eq!(doc.extra.get("rating"), Some(&serde_json::json!(4.5)));
    // `inReplyTo: ""` is not an IRI: kept untyped.
    assert!(doc.in_reply_to.is_none());
    assert_eq!(
        doc.extra.get("inReplyTo"),
        Some(&Value::String(String::new()))
    );
    // Microseconds and +00:00.
    assert!(doc.published.as_ref().unwrap().to_datetime().is_some());
});

fixture!(bookwyrm_person, "bookwyrm/person.json", |doc| {
    let p = doc.as_actor().unwrap();
    assert_eq!(
        p.main_key().unwrap().id.as_ref().unwrap().as_str(),
        "https://books.example/user/reader/#main-key"
    );
    assert!(p.also_known_as.as_ref().unwrap().is_empty());
    assert!(validate::check(&doc).is_empty());
});

fixture!(fedify_person, "fedify/person.json", |doc| {
    let p = doc.as_actor().unwrap();
    assert!(matches!(p.public_key, Some(OneOrMany::Many(_))));
    let key = p.main_key().unwrap();
    assert_eq!(
        key.kind.as_ref().unwrap().first(),
        Some(&Kind::CryptographicKey)
    );
    let mk = p
        .assertion_method
        .as_ref()
        .unwrap()
        .first()
        .unwrap()
        .object()
        .unwrap();
    assert_eq!(
        mk.controller.as_ref().unwrap().as_str(),
        "https://fedify.example/users/alpaca"
    );
    assert!(mk
        .public_key_multibase
        .as_deref()
        .unwrap()
        .starts_with("z6Mk"));
    assert_eq!(p.moved_to.as_ref().unwrap().host(), "newfarm.example");
    assert_eq!((p.suspended, p.memorial), (Some(false), Some(false)));
    assert!(p.endpoints.as_ref().unwrap().extra.contains_key("type"));
});

fixture!(fedify_follow, "fedify/follow.json", |doc| {
    let f = doc.as_activity().unwrap();
    assert!(f.is(&Kind::Follow));
    assert!(f.context.as_ref().unwrap().is_usual());
});

fixture!(kroeg_single_tag, "kroeg/create_single_tag.json", |doc| {
    let create = doc.as_activity().unwrap();
    let note = embedded(create.object.as_ref());
    // Kroeg sends `tag` as one object, not an array; it stays one.
    assert!(matches!(note.tag, Some(OneOrMany::One(_))));
    let tag = note
        .tag
        .as_ref()
        .unwrap()
        .first()
        .unwrap()
        .object()
        .unwrap()
        .as_link()
        .unwrap();
    assert!(tag.is(&Kind::Hashtag));
    let out = serde_json::to_value(&doc).unwrap();
    assert!(out["object"]["tag"].is_object());
});

#[test]
fn spoofed_create_is_flagged() {
    // A Create whose embedded Note claims another server and another author.
    let doc: AnyObject = serde_json::from_str(
        r#"{"@context":"https://www.w3.org/ns/activitystreams","id":"https://mallory.example/activities/1","type":"Create","actor":"https://mallory.example/users/m","object":{"id":"https://wool.example/users/shepherd/statuses/1","type":"Note","attributedTo":"https://wool.example/users/shepherd","content":"I resign"}}"#,
    )
    .unwrap();
    let f = validate::check(&doc);
    assert!(f
        .iter()
        .any(|f| matches!(f, Finding::ForeignEmbeddedObject { .. })));
    assert!(f
        .iter()
        .any(|f| matches!(f, Finding::AttributedToMismatch { .. })));
}

#[test]
fn spoofed_fetch_is_flagged() {
    // An object served from an upload URL on one host, claiming an id on that host's other
    // path is fine by origin; one claiming another host is not.
    let doc: AnyObject = serde_json::from_str(
        r#"{"id":"https://victim.example/objects/1","type":"Note","attributedTo":"https://victim.example/users/v","content":"x"}"#,
    )
    .unwrap();
    let fetched = url::Url::parse("https://uploads.example/media/abc.json").unwrap();
    assert!(matches!(
        validate::check_fetched(&doc, &fetched)[..],
        [Finding::FetchedOriginMismatch { .. }]
    ));
}

fixture!(funkwhale_audio, "funkwhale/audio.json", |doc| {
    assert!(doc.is(&Kind::Audio));
    assert_eq!(doc.category(), Category::Object);
    assert_eq!(
        doc.name.as_deref(),
        Some("Lambing Season - Field Recording No. 3")
    );
    assert_eq!(doc.media_type.as_deref(), Some("text/html"));
    // Funkwhale sends `to` as a single IRI; the shape is kept.
    assert!(matches!(doc.to, Some(OneOrMany::One(_))));
    assert_eq!(
        Visibility::of_object(&doc, None),
        Visibility::Public,
        "Public in `to`"
    );
    assert_eq!(
        doc.attributed_to_ids(),
        ["https://tunes.example/federation/actors/fieldrecordings"]
    );
    // `url` is an array of Links; Funkwhale says `mimeType`, not `mediaType`: kept in extra.
    let urls = doc.url.as_ref().unwrap();
    assert_eq!(urls.len(), 2);
    let stream = urls.as_slice()[0].object().unwrap().as_link().unwrap();
    assert!(stream.is(&Kind::Link));
    assert!(stream
        .href
        .as_deref()
        .unwrap()
        .starts_with("https://tunes.example/api/v1/listen/"));
    assert_eq!(stream.media_type, None);
    assert_eq!(
        stream.extra.get("mimeType"),
        Some(&Value::String("audio/mpeg".to_owned()))
    );
    // Hashtags without `href` are still links by their type.
    let tags = doc.tag.as_ref().unwrap();
    assert_eq!(tags.len(), 2);
    let tag = tags.as_slice()[1].object().unwrap().as_link().unwrap();
    assert!(tag.is(&Kind::Hashtag));
    assert_eq!(tag.name.as_deref(), Some("#sheep"));
    assert!(tag.href.is_none());
    // Microseconds with +00:00.
    assert_eq!(
        doc.published
            .as_ref()
            .unwrap()
            .to_datetime()
            .unwrap()
            .microsecond(),
        318_204
    );
});

fixture!(mobilizon_event, "mobilizon/event.json", |doc| {
    assert!(doc.is(&Kind::Event));
    assert_eq!(doc.category(), Category::Object);
    assert_eq!(doc.name.as_deref(), Some("Spinning afternoon"));
    let start = doc.start_time.as_ref().unwrap().to_datetime().unwrap();
    let end = doc.end_time.as_ref().unwrap().to_datetime().unwrap();
    // 14:00 and 17:30 at +01:00.
    assert_eq!(start.unix_timestamp(), 1_778_936_400);
    assert_eq!(
        end.unix_timestamp() - start.unix_timestamp(),
        3 * 3600 + 1800
    );
    assert_eq!(
        doc.start_time.as_ref().unwrap().as_str(),
        "2026-05-16T14:00:00+01:00"
    );
    // `location`: an embedded Place with its schema.org address, kept as received.
    let place = embedded(doc.location.as_ref());
    assert!(place.is(&Kind::Place));
    assert_eq!(place.name.as_deref(), Some("The Old Mill"));
    assert_eq!(
        place.id.as_ref().unwrap().as_str(),
        "https://meet.example/address/7d2b1c0e-4f6a-4e1b-8c3d-5a6b7c8d9e0f"
    );
    assert_eq!(
        place.extra.get("latitude"),
        Some(&serde_json::json!(52.1234))
    );
    assert_eq!(
        place.extra["address"]["streetAddress"],
        Value::String("1 Carding Lane".to_owned())
    );
    // Mobilizon's organizer `actor` on an object stays in extra (it is not an activity).
    assert_eq!(
        doc.extra.get("actor"),
        Some(&Value::String("https://meet.example/@spinner".to_owned()))
    );
    assert_eq!(doc.attributed_to_ids(), ["https://meet.example/@woolguild"]);
    assert_eq!(
        doc.extra.get("participantCount"),
        Some(&serde_json::json!(8))
    );
    assert_eq!(
        doc.extra.get("ical:status"),
        Some(&serde_json::json!("TENTATIVE"))
    );
    let banner = embedded(doc.attachment.as_ref());
    assert!(banner.is(&Kind::Document));
    assert_eq!(banner.media_type.as_deref(), Some("image/png"));
    // The organizer (`actor`) differs from the group the event is attributed to, on the same
    // server, as in every Mobilizon group event: nothing to flag.
    assert_eq!(validate::check(&doc), Vec::<Finding>::new());
    // The same event claiming an organizer on another server is flagged.
    let mut spoof = doc.clone();
    spoof.object_mut().extra.insert(
        "actor".into(),
        serde_json::json!("https://elsewhere.example/@someone"),
    );
    assert!(matches!(
        validate::check(&spoof)[..],
        [Finding::ObjectWithActor { .. }]
    ));
});

fixture!(mastodon_service_bot, "mastodon/service_bot.json", |doc| {
    assert_eq!(doc.category(), Category::Actor);
    let bot = doc.as_actor().unwrap();
    assert!(bot.is(&Kind::Service));
    assert_eq!(bot.preferred_username.as_deref(), Some("fleececount"));
    assert_eq!(
        bot.inbox.as_ref().unwrap().as_str(),
        "https://wool.example/users/fleececount/inbox"
    );
    assert_eq!(
        bot.shared_inbox().unwrap().as_str(),
        "https://wool.example/inbox"
    );
    assert_eq!(
        bot.main_key().unwrap().owner.as_ref().unwrap().as_str(),
        "https://wool.example/users/fleececount"
    );
    assert_eq!(
        (
            bot.discoverable,
            bot.indexable,
            bot.manually_approves_followers
        ),
        (Some(false), Some(false), Some(false))
    );
    let field = embedded(bot.attachment.as_ref());
    assert!(field.is(&Kind::PropertyValue));
    assert_eq!(field.value.as_deref(), Some("@shepherd@wool.example"));
    assert!(bot.image.is_none() && bot.moved_to.is_none());
    assert!(validate::check(&doc).is_empty());
});

fixture!(
    friendica_organization,
    "friendica/organization.json",
    |doc| {
        let org = doc.as_actor().unwrap();
        assert!(org.is(&Kind::Organization));
        assert_eq!(org.preferred_username.as_deref(), Some("weaversguild"));
        // Friendica escapes slashes; the values read unescaped.
        assert_eq!(
            org.outbox.as_ref().unwrap().as_str(),
            "https://friendica.loom.example/outbox/weaversguild"
        );
        assert_eq!(
            org.featured.as_ref().unwrap().as_str(),
            "https://friendica.loom.example/featured/weaversguild"
        );
        assert_eq!(
            org.shared_inbox().unwrap().as_str(),
            "https://friendica.loom.example/inbox"
        );
        // The generator is an embedded Service actor; vcard and diaspora terms stay in extra.
        let generator = embedded(org.generator.as_ref());
        assert!(generator.is(&Kind::Service));
        assert_eq!(
            generator.url.as_ref().unwrap().first().unwrap().id(),
            Some("https://friendica.loom.example")
        );
        assert!(org.extra.contains_key("vcard:hasAddress"));
        assert!(org.extra.contains_key("diaspora:guid"));
        assert_eq!(
            embedded(org.icon.as_ref()).media_type.as_deref(),
            Some("image/png")
        );
        assert!(validate::check(&doc).is_empty());
    }
);

fixture!(mastodon_move, "mastodon/move.json", |doc| {
    let mv = doc.as_activity().unwrap();
    assert!(mv.is(&Kind::Move));
    assert_eq!(
        mv.id.as_ref().unwrap().as_str(),
        "https://old-farm.example/users/shepherd#moves/3"
    );
    assert_eq!(mv.actor_ids(), ["https://old-farm.example/users/shepherd"]);
    // Mastodon: object = the moving account (= actor), target = the new account.
    assert_eq!(
        mv.first_object().unwrap().id(),
        Some("https://old-farm.example/users/shepherd")
    );
    assert_eq!(
        ref_ids(mv.target.as_ref()),
        ["https://wool.example/users/shepherd"]
    );
    assert!(matches!(mv.target, Some(OneOrMany::One(Reference::Id(_)))));
    assert!(mv.extra.is_empty());
});

fixture!(mastodon_add_pin, "mastodon/add_pin.json", |doc| {
    let add = doc.as_activity().unwrap();
    assert!(add.is(&Kind::Add));
    // Mastodon's Add has no `id`.
    assert!(add.id.is_none());
    assert_eq!(add.actor_ids(), ["https://wool.example/users/shepherd"]);
    assert_eq!(
        add.first_object().unwrap().id(),
        Some("https://wool.example/users/shepherd/statuses/113000000000000042")
    );
    assert_eq!(
        ref_ids(add.target.as_ref()),
        ["https://wool.example/users/shepherd/collections/featured"]
    );
    assert!(add.extra.is_empty());
    assert!(validate::check(&doc).is_empty());
});

fixture!(
    mastodon_remove_featured_tag,
    "mastodon/remove_featured_tag.json",
    |doc| {
        let remove = doc.as_activity().unwrap();
        assert!(remove.is(&Kind::Remove));
        let tag = embedded(remove.object.as_ref()).as_link().unwrap();
        assert!(tag.is(&Kind::Hashtag));
        assert_eq!(
            tag.href.as_deref(),
            Some("https://wool.example/tags/shearing")
        );
        assert_eq!(tag.name.as_deref(), Some("#shearing"));
        assert_eq!(
            ref_ids(remove.target.as_ref()),
            ["https://wool.example/users/shepherd/collections/tags"]
        );
    }
);

fixture!(mastodon_quote_note, "mastodon/quote_note.json", |doc| {
    assert!(doc.is(&Kind::Note));
    let quoted = "https://wool.example/users/shepherd/statuses/113000000000000042";
    // FEP-044f `quote`, with the legacy spellings Mastodon sends beside it.
    assert_eq!(doc.quote.as_deref(), Some(quoted));
    assert_eq!(doc.quote_uri.as_deref(), Some(quoted));
    assert_eq!(doc.misskey_quote.as_deref(), Some(quoted));
    assert_eq!(doc.quoted(), Some(quoted));
    assert_eq!(
        doc.extra.get("quoteAuthorization"),
        Some(&Value::String(
            "https://wool.example/users/shepherd/quote_authorizations/9001".to_owned()
        ))
    );
    assert_eq!(
        doc.extra["interactionPolicy"]["canQuote"]["automaticApproval"][0],
        Value::String("https://www.w3.org/ns/activitystreams#Public".to_owned())
    );
    assert_eq!(
        doc.conversation.as_deref(),
        Some("tag:fleece.example,2026-03-12:objectId=77:objectType=Conversation")
    );
    assert_eq!(
        Visibility::of_object(&doc, Some("https://fleece.example/users/ewe/followers")),
        Visibility::Public
    );
    assert!(validate::check(&doc).is_empty());
});

#[test]
fn quote_takes_precedence_over_legacy_spellings() {
    // When the spellings disagree, FEP-044f `quote` wins.
    let doc: AnyObject = serde_json::from_str(
        r#"{"type":"Note","quote":"https://a.example/1","quoteUri":"https://b.example/2","_misskey_quote":"https://c.example/3"}"#,
    )
    .unwrap();
    assert_eq!(doc.quoted(), Some("https://a.example/1"));
}

fixture!(
    mastodon_question_multiple,
    "mastodon/question_multiple.json",
    |doc| {
        assert!(doc.is(&Kind::Question));
        assert!(doc.one_of.is_none());
        let options = doc.any_of.as_ref().unwrap();
        assert_eq!(options.len(), 3);
        let names: Vec<_> = options
            .iter()
            .map(|o| o.object().unwrap().name.as_deref().unwrap())
            .collect();
        assert_eq!(names, ["Merino", "Jacob", "Herdwick"]);
        let votes: Vec<_> = options
            .iter()
            .map(|o| {
                o.object()
                    .unwrap()
                    .replies
                    .as_ref()
                    .unwrap()
                    .object()
                    .unwrap()
                    .as_collection()
                    .unwrap()
                    .total_items
                    .unwrap()
            })
            .collect();
        assert_eq!(votes, [6, 4, 9]);
        // Multiple choice: votes exceed voters.
        assert_eq!(doc.voters_count, Some(11));
        let closed = doc.closed.as_ref().unwrap();
        assert_eq!(closed.as_str(), "2026-03-02T09:00:00Z");
        assert_eq!(
            closed.to_datetime(),
            doc.end_time.as_ref().unwrap().to_datetime()
        );
    }
);

#[test]
fn question_closed_as_boolean_is_kept() {
    // ActivityStreams also allows `closed: true`; it is not a timestamp, so it stays in extra.
    let bytes = r#"{"type":"Question","anyOf":[{"type":"Note","name":"a"}],"closed":true}"#;
    let doc = load(bytes);
    assert!(doc.closed.is_none());
    assert_eq!(doc.extra.get("closed"), Some(&Value::Bool(true)));
    assert_eq!(doc.any_of.as_ref().unwrap().len(), 1);
}

fixture!(mastodon_replies_page, "mastodon/replies_page.json", |doc| {
    let page = doc.as_collection().unwrap();
    assert!(page.is(&Kind::CollectionPage));
    let base = "https://wool.example/users/shepherd/statuses/113000000000000042/replies";
    assert_eq!(
        page.prev.as_ref().unwrap().id(),
        Some(format!("{base}?max_id=113000000000000091&page=true").as_str())
    );
    assert_eq!(
        page.next.as_ref().unwrap().id(),
        Some(format!("{base}?min_id=113000000000000095&page=true").as_str())
    );
    assert_eq!(page.part_of.as_ref().unwrap().id(), Some(base));
    assert!(page.ordered_items.is_none());
    let items: Vec<_> = page.all_items().iter().filter_map(Reference::id).collect();
    assert_eq!(
        items,
        [
            "https://fleece.example/users/ewe/statuses/114500000000000091",
            "https://wool.example/users/lamb/statuses/113000000000000095"
        ]
    );
});
