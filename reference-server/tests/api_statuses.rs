//! `/api/v1/statuses`: posting, reading, editing, deleting, threads, favourites, boosts, pins.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use http::{Method, StatusCode};
use serde_json::json;
use support::*;

#[tokio::test]
async fn post_read_and_the_status_entity() {
    let app = instance().await;
    let (alice, t) = user(&app, "alice").await;
    let s = post(
        &app,
        &t,
        json!({
            "status": "Hello @alice, see #Rust and https://example.com/x",
            "spoiler_text": "long",
            "visibility": "unlisted",
            "language": "en",
        }),
    )
    .await;
    let id = s["id"].as_str().unwrap();
    assert!(id.parse::<u64>().is_ok());
    assert_eq!(s["visibility"], "unlisted");
    assert_eq!(s["spoiler_text"], "long");
    assert_eq!(s["sensitive"], true);
    assert_eq!(s["language"], "en");
    assert_eq!(
        s["uri"],
        format!("https://wool.test/users/alice/statuses/{id}")
    );
    assert_eq!(s["url"], format!("https://wool.test/@alice/{id}"));
    assert_eq!(s["account"]["id"], alice.id.to_string());
    assert_eq!(s["account"]["statuses_count"], 1);
    assert_eq!(
        s["tags"],
        json!([{"name": "rust", "url": "https://wool.test/tags/rust"}])
    );
    assert_eq!(s["mentions"][0]["acct"], "alice");
    assert!(s["content"]
        .as_str()
        .unwrap()
        .contains("<a href=\"https://example.com/x\""));
    for null in [
        "reblog",
        "card",
        "poll",
        "in_reply_to_id",
        "in_reply_to_account_id",
        "edited_at",
    ] {
        assert!(s[null].is_null(), "{null} should be null: {s}");
    }
    for empty in ["media_attachments", "emojis", "filtered"] {
        assert_eq!(s[empty], json!([]), "{empty}");
    }
    assert_eq!(
        (
            s["replies_count"].as_u64(),
            s["reblogs_count"].as_u64(),
            s["favourites_count"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!(
        (
            s["favourited"].as_bool(),
            s["reblogged"].as_bool(),
            s["pinned"].as_bool()
        ),
        (Some(false), Some(false), Some(false))
    );
    assert_eq!(s["application"]["name"], "woolly");
    let created = s["created_at"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() >= 20, "{created}");

    // Anyone can read it; anonymous readers get no viewer flags.
    let anon = get(&app, &format!("/api/v1/statuses/{id}"), None).await;
    assert_eq!(anon.status, StatusCode::OK);
    assert_eq!(anon.body["content"], s["content"]);
    assert!(anon.body.get("favourited").is_none());
    // Unknown and malformed ids are 404 JSON.
    assert_eq!(
        get(&app, "/api/v1/statuses/12345", None).await.error(),
        "Record not found"
    );
    assert_eq!(
        get(&app, "/api/v1/statuses/abc", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bad_posts_are_refused_and_idempotency_is_honoured() {
    let app = instance_with(|c| c.max_characters = 20).await.0;
    let (_, t) = user(&app, "alice").await;
    let blank = json(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&t),
        json!({"status": "  "}),
    )
    .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blank.error().contains("blank"));
    let long = json(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&t),
        json!({"status": "x".repeat(21)}),
    )
    .await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(long.error().contains("20"));
    let vis = json(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&t),
        json!({"status": "hi", "visibility": "everyone"}),
    )
    .await;
    assert_eq!(vis.status, StatusCode::UNPROCESSABLE_ENTITY);
    let media = form(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&t),
        &[("status", "hi"), ("media_ids[]", "1")],
    )
    .await;
    assert_eq!(media.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = json(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&t),
        json!({"status": "hi", "in_reply_to_id": "999"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let sensitive = json(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&t),
        json!({"status": "hi", "sensitive": "perhaps"}),
    )
    .await;
    assert_eq!(sensitive.status, StatusCode::BAD_REQUEST);

    let with_key = |k: &'static str| {
        http::Request::post("/api/v1/statuses")
            .header("authorization", format!("Bearer {t}"))
            .header("idempotency-key", k)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(bytes::Bytes::from_static(b"status=once"))
            .unwrap()
    };
    let a = send(&app, with_key("k1")).await;
    let b = send(&app, with_key("k1")).await;
    let c = send(&app, with_key("k2")).await;
    assert_eq!(a.body["id"], b.body["id"]);
    assert_ne!(a.body["id"], c.body["id"]);
    assert_eq!(c.body["account"]["statuses_count"], 2);
}

#[tokio::test]
async fn visibility_hides_statuses_as_not_found() {
    let app = instance().await;
    let (_, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let (_, tc) = user(&app, "carol").await;
    let private = post(
        &app,
        &ta,
        json!({"status": "followers only", "visibility": "private"}),
    )
    .await;
    let direct = post(
        &app,
        &ta,
        json!({"status": "psst @bob", "visibility": "direct"}),
    )
    .await;
    let pid = private["id"].as_str().unwrap();
    let did = direct["id"].as_str().unwrap();
    assert_eq!(
        get(&app, &format!("/api/v1/statuses/{pid}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, &format!("/api/v1/statuses/{pid}"), Some(&tb))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, &format!("/api/v1/statuses/{did}"), Some(&tb))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        get(&app, &format!("/api/v1/statuses/{did}"), Some(&tc))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Bob follows alice and then sees the private one.
    let alice = app.account_by_acct("alice").await.unwrap().unwrap();
    let r = call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", alice.id),
        Some(&tb),
    )
    .await;
    assert_eq!(r.body["following"], true);
    assert_eq!(
        get(&app, &format!("/api/v1/statuses/{pid}"), Some(&tb))
            .await
            .status,
        StatusCode::OK
    );
    // Private statuses cannot be boosted.
    let boost = call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{pid}/reblog"),
        Some(&tb),
    )
    .await;
    assert_eq!(boost.status, StatusCode::UNPROCESSABLE_ENTITY);
    let _ = bob;
}

#[tokio::test]
async fn threads_favourites_boosts_and_pins() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let root = post(&app, &ta, json!({"status": "root"})).await;
    let rid = root["id"].as_str().unwrap().to_owned();
    let reply = post(
        &app,
        &tb,
        json!({"status": "a reply", "in_reply_to_id": rid}),
    )
    .await;
    let reply2 = post(
        &app,
        &ta,
        json!({"status": "and back", "in_reply_to_id": reply["id"]}),
    )
    .await;
    assert_eq!(reply["in_reply_to_id"], rid);
    assert_eq!(reply["in_reply_to_account_id"], alice.id.to_string());
    let ctx = get(
        &app,
        &format!("/api/v1/statuses/{}/context", reply["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(ids(&ctx.body["ancestors"]), vec![rid.clone()]);
    assert_eq!(
        ids(&ctx.body["descendants"]),
        vec![reply2["id"].as_str().unwrap().to_owned()]
    );

    // Favourite.
    let fav = call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{rid}/favourite"),
        Some(&tb),
    )
    .await;
    assert_eq!(fav.status, StatusCode::OK);
    assert_eq!(
        (
            fav.body["favourited"].as_bool(),
            fav.body["favourites_count"].as_u64()
        ),
        (Some(true), Some(1))
    );
    assert_eq!(fav.body["replies_count"], 1);
    let by = get(&app, &format!("/api/v1/statuses/{rid}/favourited_by"), None).await;
    assert_eq!(ids(&by.body), vec![bob.id.to_string()]);
    let favs = get(&app, "/api/v1/favourites", Some(&tb)).await;
    assert_eq!(ids(&favs.body), vec![rid.clone()]);
    let unfav = call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{rid}/unfavourite"),
        Some(&tb),
    )
    .await;
    assert_eq!(
        (
            unfav.body["favourited"].as_bool(),
            unfav.body["favourites_count"].as_u64()
        ),
        (Some(false), Some(0))
    );

    // Boost: the wrapper comes back.
    let boost = call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{rid}/reblog"),
        Some(&tb),
    )
    .await;
    assert_eq!(boost.status, StatusCode::OK, "{}", boost.text);
    assert_ne!(boost.body["id"], rid);
    assert_eq!(boost.body["account"]["acct"], "bob");
    assert_eq!(boost.body["reblog"]["id"], rid);
    assert_eq!(boost.body["reblog"]["reblogs_count"], 1);
    assert_eq!(boost.body["reblogged"], true);
    assert_eq!(boost.body["content"], "");
    let by = get(&app, &format!("/api/v1/statuses/{rid}/reblogged_by"), None).await;
    assert_eq!(ids(&by.body), vec![bob.id.to_string()]);
    let bob_statuses = get(&app, &format!("/api/v1/accounts/{}/statuses", bob.id), None).await;
    assert_eq!(bob_statuses.body[0]["reblog"]["id"], rid);
    let no_reblogs = get(
        &app,
        &format!("/api/v1/accounts/{}/statuses?exclude_reblogs=true", bob.id),
        None,
    )
    .await;
    assert_eq!(
        ids(&no_reblogs.body),
        vec![reply["id"].as_str().unwrap().to_owned()]
    );
    let unboost = call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{rid}/unreblog"),
        Some(&tb),
    )
    .await;
    assert_eq!(unboost.status, StatusCode::OK);
    assert_eq!(unboost.body["id"], rid);
    assert_eq!(
        (
            unboost.body["reblogged"].as_bool(),
            unboost.body["reblogs_count"].as_u64()
        ),
        (Some(false), Some(0))
    );

    // Pins, and exclude_replies.
    let pin = call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{rid}/pin"),
        Some(&ta),
    )
    .await;
    assert_eq!(pin.body["pinned"], true);
    let pinned = get(
        &app,
        &format!("/api/v1/accounts/{}/statuses?pinned=true", alice.id),
        None,
    )
    .await;
    assert_eq!(ids(&pinned.body), vec![rid.clone()]);
    let not_mine = call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{rid}/pin"),
        Some(&tb),
    )
    .await;
    assert_eq!(not_mine.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unpin = call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{rid}/unpin"),
        Some(&ta),
    )
    .await;
    assert_eq!(unpin.body["pinned"], false);
    let no_replies = get(
        &app,
        &format!("/api/v1/accounts/{}/statuses?exclude_replies=1", alice.id),
        None,
    )
    .await;
    assert_eq!(ids(&no_replies.body), vec![rid.clone()]);
    // Unsupported actions are JSON errors, unknown ones 404.
    let bm = call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{rid}/translate"),
        Some(&tb),
    )
    .await;
    assert_eq!(bm.status, StatusCode::UNPROCESSABLE_ENTITY);
    bm.error();
    assert_eq!(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/statuses/{rid}/explode"),
            Some(&tb)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(
            &app,
            Method::POST,
            "/api/v1/statuses/1/favourite",
            Some(&tb)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn edit_history_source_and_delete() {
    let app = instance().await;
    let (_, ta) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    let s = post(
        &app,
        &ta,
        json!({"status": "first version", "spoiler_text": "cw"}),
    )
    .await;
    let id = s["id"].as_str().unwrap();
    let e = json(
        &app,
        Method::PUT,
        &format!("/api/v1/statuses/{id}"),
        Some(&ta),
        json!({"status": "second version", "spoiler_text": ""}),
    )
    .await;
    assert_eq!(e.status, StatusCode::OK, "{}", e.text);
    assert_eq!(e.body["id"], id);
    assert_eq!(e.body["content"], "<p>second version</p>");
    assert_eq!(e.body["spoiler_text"], "");
    assert!(e.body["edited_at"].is_string());
    let h = get(&app, &format!("/api/v1/statuses/{id}/history"), None).await;
    let versions: Vec<&str> = h
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["content"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["<p>first version</p>", "<p>second version</p>"]);
    assert_eq!(h.body[0]["spoiler_text"], "cw");
    assert_eq!(h.body[0]["account"]["acct"], "alice");
    let src = get(&app, &format!("/api/v1/statuses/{id}/source"), Some(&ta)).await;
    assert_eq!(
        src.body,
        json!({"id": id, "text": "second version", "spoiler_text": ""})
    );
    // Others cannot edit, see the source or delete.
    let other = json(
        &app,
        Method::PUT,
        &format!("/api/v1/statuses/{id}"),
        Some(&tb),
        json!({"status": "mine now"}),
    )
    .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&app, &format!("/api/v1/statuses/{id}/source"), Some(&tb))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(
            &app,
            Method::DELETE,
            &format!("/api/v1/statuses/{id}"),
            Some(&tb)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let blank = json(
        &app,
        Method::PUT,
        &format!("/api/v1/statuses/{id}"),
        Some(&ta),
        json!({"status": ""}),
    )
    .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Delete returns the status with its text, for redrafting.
    let d = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{id}"),
        Some(&ta),
    )
    .await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.body["id"], id);
    assert_eq!(d.body["text"], "second version");
    assert_eq!(
        get(&app, &format!("/api/v1/statuses/{id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// `only_media` on an account's statuses when none of them has media: the answer is an empty
/// list without a `Link` header (nothing to page through), the other filters' parameters are
/// still checked, and an unknown account is still a 404.
#[tokio::test]
async fn account_statuses_only_media_is_empty_without_paging() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let mut posted = Vec::new();
    for i in 0..3 {
        let s = post(&app, &ta, json!({"status": format!("text only {i}")})).await;
        posted.push(s["id"].as_str().unwrap().to_owned());
    }
    posted.reverse();
    let path = format!("/api/v1/accounts/{}/statuses", alice.id);
    // Without the filter (and with it off), every status, paged with a Link.
    for q in [
        "?limit=2",
        "?limit=2&only_media=false",
        "?limit=2&only_media=0",
    ] {
        let all = get(&app, &format!("{path}{q}"), None).await;
        assert_eq!(all.status, StatusCode::OK, "{q}: {}", all.text);
        assert_eq!(ids(&all.body), posted[..2].to_vec(), "{q}");
        let link = all.header("link").unwrap_or_default();
        assert!(
            link.contains(&format!("max_id={}>; rel=\"next\"", posted[1])),
            "{q}: {link}"
        );
    }
    // With it: nothing, and no Link.
    for (q, token) in [
        ("?only_media=true", None),
        ("?only_media=1&limit=2", Some(ta.as_str())),
        ("?only_media=true&pinned=true", None),
        (
            "?only_media=true&exclude_replies=true&exclude_reblogs=true",
            None,
        ),
    ] {
        let media = get(&app, &format!("{path}{q}"), token).await;
        assert_eq!(media.status, StatusCode::OK, "{q}: {}", media.text);
        assert_eq!(media.body, json!([]), "{q}");
        assert_eq!(media.header("link"), None, "{q}");
    }
    // Bad values are still 400s, unknown accounts still 404s.
    for q in [
        "?only_media=perhaps",
        "?only_media=true&max_id=z",
        "?only_media=true&pinned=x",
    ] {
        let bad = get(&app, &format!("{path}{q}"), None).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{q}: {}", bad.text);
        bad.error();
    }
    let unknown = get(
        &app,
        "/api/v1/accounts/987654321/statuses?only_media=true",
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.error(), "Record not found");
}

/// An `Idempotency-Key` names the status it created for one hour by the app's clock, as on
/// Mastodon; then the same key posts anew. Keys are per account.
#[tokio::test]
async fn idempotency_keys_expire_after_an_hour() {
    use std::time::Duration;
    let clock = fedi_storage::ManualClock::new(fedi_storage::Timestamp::now());
    let app = reference_server::App::with_clock(
        reference_server::Config {
            base_url: BASE.into(),
            ..reference_server::Config::default()
        },
        std::sync::Arc::new(fedi_storage::memory::MemoryStore::new()),
        std::sync::Arc::new(
            activitypub_core::engine::transport::memory::MemoryNetwork::with_seed(7),
        ),
        Some(std::sync::Arc::new(clock.clone())),
    )
    .await
    .unwrap();
    let (_, t) = user(&app, "alice").await;
    let (_, tb) = user(&app, "bob").await;
    let with_key = |token: &str, text: &str, key: &str| {
        http::Request::post("/api/v1/statuses")
            .header("authorization", format!("Bearer {token}"))
            .header("idempotency-key", key)
            .header("content-type", "application/json")
            .body(bytes::Bytes::from(json!({ "status": text }).to_string()))
            .unwrap()
    };
    let first = send(&app, with_key(&t, "one", "k")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    // A second before the hour is up: the same status, nothing new posted.
    clock.advance(Duration::from_secs(3599));
    let again = send(&app, with_key(&t, "two", "k")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.body["content"], "<p>one</p>");
    assert_eq!(again.body["account"]["statuses_count"], 1);
    // Another account's key of the same name is its own.
    let bobs = send(&app, with_key(&tb, "bob's", "k")).await;
    assert_eq!(bobs.body["content"], "<p>bob&#39;s</p>");
    assert_ne!(bobs.body["id"], first.body["id"]);
    // At the hour, the key has expired: a new status.
    clock.advance(Duration::from_secs(1));
    let fresh = send(&app, with_key(&t, "three", "k")).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text);
    assert_ne!(fresh.body["id"], first.body["id"]);
    assert_eq!(fresh.body["content"], "<p>three</p>");
    assert_eq!(fresh.body["account"]["statuses_count"], 2);
    // The key now names the new status, for another hour from now.
    clock.advance(Duration::from_secs(1800));
    let same = send(&app, with_key(&t, "four", "k")).await;
    assert_eq!(same.body["id"], fresh.body["id"]);
    // Deleted within the hour: the key still names it, so 404, as Mastodon's lookup of
    // the duplicate; once expired, the key posts again.
    let id = fresh.body["id"].as_str().unwrap();
    let del = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{id}"),
        Some(&t),
    )
    .await;
    assert_eq!(del.status, StatusCode::OK);
    let gone = send(&app, with_key(&t, "five", "k")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.text);
    assert_eq!(gone.error(), "Record not found");
    clock.advance(Duration::from_secs(1800));
    let after = send(&app, with_key(&t, "six", "k")).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.text);
    assert_eq!(after.body["content"], "<p>six</p>");
}

/// Pin rules as Mastodon's `StatusPinValidator`: own public, unlisted and followers-only
/// statuses can be pinned; direct statuses, boosts and others' statuses cannot (422 with
/// Mastodon's texts); at most 5 pinned at once. Followers-only pins are shown only to those
/// who may see the status.
#[tokio::test]
async fn pin_rules_as_mastodon() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let (_carol, tc) = user(&app, "carol").await;
    // bob follows alice; carol does not.
    let follow = call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", alice.id),
        Some(&tb),
    )
    .await;
    assert_eq!(follow.status, StatusCode::OK, "{}", follow.text);
    let pin = |id: String, token: String| {
        let app = app.clone();
        async move {
            call(
                &app,
                Method::POST,
                &format!("/api/v1/statuses/{id}/pin"),
                Some(&token),
            )
            .await
        }
    };
    let id_of = |v: &serde_json::Value| v["id"].as_str().unwrap().to_owned();
    let public = id_of(&post(&app, &ta, json!({"status": "public"})).await);
    let unlisted = id_of(
        &post(
            &app,
            &ta,
            json!({"status": "unlisted", "visibility": "unlisted"}),
        )
        .await,
    );
    let private = id_of(
        &post(
            &app,
            &ta,
            json!({"status": "followers", "visibility": "private"}),
        )
        .await,
    );
    let direct = id_of(
        &post(
            &app,
            &ta,
            json!({"status": "@bob psst", "visibility": "direct"}),
        )
        .await,
    );

    // Public, unlisted and followers-only: pinned.
    for id in [&public, &unlisted, &private] {
        let r = pin(id.clone(), ta.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{id}: {}", r.text);
        assert_eq!(r.body["pinned"], true);
        assert_eq!(r.body["id"], id.as_str());
    }
    // Direct: refused with Mastodon's text.
    let r = pin(direct.clone(), ta.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.error(),
        "Validation failed: Posts that are only visible to mentioned users cannot be pinned"
    );
    // Someone else's post.
    let r = pin(public.clone(), tb.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.error(),
        "Validation failed: Someone else's post cannot be pinned"
    );
    // A boost: alice's own boost of her post, and bob's boost of it (both reasons, joined
    // as Rails joins full messages).
    let bob_post = id_of(&post(&app, &tb, json!({"status": "bob's"})).await);
    let own_boost = call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{bob_post}/reblog"),
        Some(&ta),
    )
    .await;
    assert_eq!(own_boost.status, StatusCode::OK, "{}", own_boost.text);
    let r = pin(id_of(&own_boost.body), ta.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error(), "Validation failed: A boost cannot be pinned");
    let bobs_boost = call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{public}/reblog"),
        Some(&tb),
    )
    .await;
    assert_eq!(bobs_boost.status, StatusCode::OK, "{}", bobs_boost.text);
    let r = pin(id_of(&bobs_boost.body), ta.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.error(),
        "Validation failed: A boost cannot be pinned, Someone else's post cannot be pinned"
    );

    // Who sees the followers-only pin: alice and bob (a follower), not carol nor anonymous.
    let pinned_path = format!("/api/v1/accounts/{}/statuses?pinned=true", alice.id);
    let mut all = [private.clone(), unlisted.clone(), public.clone()];
    all.sort();
    for (who, token, sees_private) in [
        ("alice", Some(&ta), true),
        ("bob", Some(&tb), true),
        ("carol", Some(&tc), false),
        ("anonymous", None, false),
    ] {
        let r = get(&app, &pinned_path, token.map(String::as_str)).await;
        assert_eq!(r.status, StatusCode::OK, "{who}");
        let mut seen = ids(&r.body);
        seen.sort();
        let expected: Vec<String> = all
            .iter()
            .filter(|i| sees_private || **i != private)
            .cloned()
            .collect();
        assert_eq!(seen, expected, "{who}");
    }

    // The cap: 5 pinned at once.
    let fourth = id_of(&post(&app, &ta, json!({"status": "four"})).await);
    let fifth = id_of(&post(&app, &ta, json!({"status": "five"})).await);
    let sixth = id_of(&post(&app, &ta, json!({"status": "six"})).await);
    for id in [&fourth, &fifth] {
        assert_eq!(pin(id.clone(), ta.clone()).await.status, StatusCode::OK);
    }
    let r = pin(sixth.clone(), ta.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.error(),
        "Validation failed: You have already pinned the maximum number of posts"
    );
    // Pinning a pinned one again is fine at the cap and changes nothing.
    let again = pin(public.clone(), ta.clone()).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(again.body["pinned"], true);
    let r = get(&app, &pinned_path, Some(&ta)).await;
    assert_eq!(ids(&r.body).len(), 5, "{}", r.text);
    assert!(!ids(&r.body).contains(&sixth));
    // The other (bob) is not affected by alice's count.
    let bobs = pin(bob_post.clone(), tb.clone()).await;
    assert_eq!(bobs.status, StatusCode::OK, "{}", bobs.text);
    // Unpinning makes room.
    let unpin = call(
        &app,
        Method::POST,
        &format!("/api/v1/statuses/{fourth}/unpin"),
        Some(&ta),
    )
    .await;
    assert_eq!(unpin.body["pinned"], false);
    let r = pin(sixth.clone(), ta.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["pinned"], true);
    // Deleting a pinned status frees its place too.
    let del = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/statuses/{fifth}"),
        Some(&ta),
    )
    .await;
    assert_eq!(del.status, StatusCode::OK, "{}", del.text);
    let r = pin(fourth.clone(), ta.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // The instance says so.
    let inst = get(&app, "/api/v2/instance", None).await;
    assert_eq!(
        inst.body["configuration"]["accounts"]["max_pinned_statuses"],
        5
    );
    let _ = bob;
}
