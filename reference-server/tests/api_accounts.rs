//! `/api/v1/accounts`, follow requests, blocks and mutes.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use http::{Method, StatusCode};
use serde_json::json;
use support::*;

#[tokio::test]
async fn credentials_and_profile_updates() {
    let app = instance().await;
    let (alice, t) = user(&app, "alice").await;
    let me = get(&app, "/api/v1/accounts/verify_credentials", Some(&t)).await;
    assert_eq!(me.status, StatusCode::OK);
    let b = &me.body;
    assert_eq!(b["id"], alice.id.to_string());
    assert_eq!(
        (b["username"].as_str(), b["acct"].as_str()),
        (Some("alice"), Some("alice"))
    );
    assert_eq!(b["url"], "https://wool.test/@alice");
    assert_eq!(b["uri"], "https://wool.test/users/alice");
    assert_eq!(
        b["avatar"],
        "https://wool.test/avatars/original/missing.png"
    );
    assert_eq!(
        (
            b["locked"].as_bool(),
            b["bot"].as_bool(),
            b["group"].as_bool()
        ),
        (Some(false), Some(false), Some(false))
    );
    assert_eq!(
        (
            b["followers_count"].as_u64(),
            b["following_count"].as_u64(),
            b["statuses_count"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );
    assert!(b["last_status_at"].is_null());
    assert_eq!(b["source"]["privacy"], "public");
    assert_eq!(b["source"]["follow_requests_count"], 0);
    assert_eq!(b["emojis"], json!([]));

    // Form with nested fields, as Mastodon.py and toot send it.
    let u = form(
        &app,
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        Some(&t),
        &[
            ("display_name", "Alice A."),
            ("note", "I like #rust"),
            ("locked", "true"),
            ("fields_attributes[0][name]", "Site"),
            ("fields_attributes[0][value]", "https://alice.example"),
            ("fields_attributes[1][name]", "Pronouns"),
            ("fields_attributes[1][value]", "she/her"),
        ],
    )
    .await;
    assert_eq!(u.status, StatusCode::OK, "{}", u.text);
    assert_eq!(u.body["display_name"], "Alice A.");
    assert_eq!(u.body["locked"], true);
    assert!(u.body["note"]
        .as_str()
        .unwrap()
        .contains("https://wool.test/tags/rust"));
    assert_eq!(u.body["source"]["note"], "I like #rust");
    assert_eq!(u.body["fields"][0]["name"], "Site");
    assert!(u.body["fields"][0]["value"]
        .as_str()
        .unwrap()
        .contains("href=\"https://alice.example\""));
    assert_eq!(
        u.body["source"]["fields"][1],
        json!({"name": "Pronouns", "value": "she/her", "verified_at": null})
    );
    // JSON, as masto.js sends it.
    let u = json(
        &app,
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        Some(&t),
        json!({"locked": false, "fields_attributes": []}),
    )
    .await;
    assert_eq!(
        (
            u.body["locked"].as_bool(),
            u.body["fields"].as_array().map(Vec::len)
        ),
        (Some(false), Some(0))
    );
    let long = json(
        &app,
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        Some(&t),
        json!({"display_name": "x".repeat(31)}),
    )
    .await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = json(
        &app,
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        Some(&t),
        json!({"locked": "sometimes"}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let (_, ro) = user_with(&app, "reader", false, "read").await;
    let scope = json(
        &app,
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        Some(&ro),
        json!({"note": "x"}),
    )
    .await;
    assert_eq!(scope.status, StatusCode::FORBIDDEN);

    // Public views.
    let pub_view = get(&app, &format!("/api/v1/accounts/{}", alice.id), None).await;
    assert_eq!(pub_view.body["display_name"], "Alice A.");
    assert!(pub_view.body.get("source").is_none());
    assert_eq!(
        get(&app, "/api/v1/accounts/424242", None).await.error(),
        "Record not found"
    );
    let look = get(&app, "/api/v1/accounts/lookup?acct=alice@wool.test", None).await;
    assert_eq!(look.body["id"], alice.id.to_string());
    assert_eq!(
        get(&app, "/api/v1/accounts/lookup?acct=nobody", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/api/v1/accounts/lookup", None).await.status,
        StatusCode::BAD_REQUEST
    );
    let found = get(&app, "/api/v1/accounts/search?q=ali", Some(&t)).await;
    assert_eq!(ids(&found.body), vec![alice.id.to_string()]);
    let found = get(&app, "/api/v1/accounts/search?q=Alice%20A", Some(&t)).await;
    assert_eq!(ids(&found.body), vec![alice.id.to_string()]);
    assert_eq!(
        get(&app, "/api/v1/accounts/search?q=ali", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn follow_block_mute_and_relationships() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let f = call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", bob.id),
        Some(&ta),
    )
    .await;
    assert_eq!(f.status, StatusCode::OK);
    assert_eq!(f.body["id"], bob.id.to_string());
    assert_eq!(
        (
            f.body["following"].as_bool(),
            f.body["requested"].as_bool(),
            f.body["followed_by"].as_bool()
        ),
        (Some(true), Some(false), Some(false))
    );
    for k in [
        "showing_reblogs",
        "notifying",
        "blocking",
        "blocked_by",
        "muting",
        "muting_notifications",
        "requested_by",
        "domain_blocking",
        "endorsed",
        "note",
        "languages",
    ] {
        assert!(f.body.get(k).is_some(), "{k}");
    }
    let rels = get(
        &app,
        &format!(
            "/api/v1/accounts/relationships?id[]={}&id[]={}",
            alice.id, bob.id
        ),
        Some(&tb),
    )
    .await;
    assert_eq!(rels.body.as_array().unwrap().len(), 2);
    assert_eq!(rels.body[0]["followed_by"], true);
    let followers = get(
        &app,
        &format!("/api/v1/accounts/{}/followers", bob.id),
        None,
    )
    .await;
    assert_eq!(ids(&followers.body), vec![alice.id.to_string()]);
    assert!(followers.header("link").unwrap().contains("rel=\"next\""));
    let following = get(
        &app,
        &format!("/api/v1/accounts/{}/following", alice.id),
        None,
    )
    .await;
    assert_eq!(ids(&following.body), vec![bob.id.to_string()]);
    assert_eq!(
        get(&app, &format!("/api/v1/accounts/{}", bob.id), None)
            .await
            .body["followers_count"],
        1
    );
    let self_follow = call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", alice.id),
        Some(&ta),
    )
    .await;
    assert_eq!(self_follow.status, StatusCode::UNPROCESSABLE_ENTITY);
    let uf = call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/unfollow", bob.id),
        Some(&ta),
    )
    .await;
    assert_eq!(uf.body["following"], false);

    let m = call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/mute", bob.id),
        Some(&ta),
    )
    .await;
    assert_eq!(m.body["muting"], true);
    assert_eq!(
        ids(&get(&app, "/api/v1/mutes", Some(&ta)).await.body),
        vec![bob.id.to_string()]
    );
    let um = call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/unmute", bob.id),
        Some(&ta),
    )
    .await;
    assert_eq!(um.body["muting"], false);
    let bl = call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/block", bob.id),
        Some(&ta),
    )
    .await;
    assert_eq!(bl.body["blocking"], true);
    assert_eq!(
        ids(&get(&app, "/api/v1/blocks", Some(&ta)).await.body),
        vec![bob.id.to_string()]
    );
    let seen = get(
        &app,
        &format!("/api/v1/accounts/relationships?id={}", alice.id),
        Some(&tb),
    )
    .await;
    assert_eq!(seen.body[0]["blocked_by"], true);
    let refused = call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", alice.id),
        Some(&tb),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    refused.error();
    let ub = call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/unblock", bob.id),
        Some(&ta),
    )
    .await;
    assert_eq!(ub.body["blocking"], false);

    // Errors: unknown account, unknown action, missing scope.
    assert_eq!(
        call(&app, Method::POST, "/api/v1/accounts/999/follow", Some(&ta))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(
            &app,
            Method::POST,
            &format!("/api/v1/accounts/{}/hug", bob.id),
            Some(&ta)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let (_, granular) = user_with(&app, "carol", false, "write:statuses").await;
    let s = call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", bob.id),
        Some(&granular),
    )
    .await;
    assert_eq!(s.status, StatusCode::FORBIDDEN);
    let (_, follow_scope) = user_with(&app, "dave", false, "follow").await;
    let s = call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", bob.id),
        Some(&follow_scope),
    )
    .await;
    assert_eq!(s.status, StatusCode::OK);
}

#[tokio::test]
async fn follow_requests_of_a_locked_account() {
    let app = instance().await;
    let (locked, tl) = user_with(&app, "locked", true, "read write follow").await;
    let (bob, tb) = user(&app, "bob").await;
    let (carol, tc) = user(&app, "carol").await;
    let r = call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", locked.id),
        Some(&tb),
    )
    .await;
    assert_eq!(
        (r.body["following"].as_bool(), r.body["requested"].as_bool()),
        (Some(false), Some(true))
    );
    call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", locked.id),
        Some(&tc),
    )
    .await;
    let list = get(&app, "/api/v1/follow_requests", Some(&tl)).await;
    let mut got = ids(&list.body);
    got.sort();
    let mut want = vec![bob.id.to_string(), carol.id.to_string()];
    want.sort();
    assert_eq!(got, want);
    let me = get(&app, "/api/v1/accounts/verify_credentials", Some(&tl)).await;
    assert_eq!(me.body["source"]["follow_requests_count"], 2);
    let a = call(
        &app,
        Method::POST,
        &format!("/api/v1/follow_requests/{}/authorize", bob.id),
        Some(&tl),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        (a.body["id"].as_str(), a.body["followed_by"].as_bool()),
        (Some(bob.id.to_string().as_str()), Some(true))
    );
    let r = call(
        &app,
        Method::POST,
        &format!("/api/v1/follow_requests/{}/reject", carol.id),
        Some(&tl),
    )
    .await;
    assert_eq!(
        (
            r.body["followed_by"].as_bool(),
            r.body["requested_by"].as_bool()
        ),
        (Some(false), Some(false))
    );
    assert_eq!(
        get(&app, "/api/v1/follow_requests", Some(&tl)).await.body,
        json!([])
    );
    let again = call(
        &app,
        Method::POST,
        &format!("/api/v1/follow_requests/{}/reject", carol.id),
        Some(&tl),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let rel = get(
        &app,
        &format!("/api/v1/accounts/relationships?id[]={}", locked.id),
        Some(&tb),
    )
    .await;
    assert_eq!(rel.body[0]["following"], true);
}

#[tokio::test]
async fn sign_up_with_an_app_token_when_open() {
    for open in [false, true] {
        let (app, _) = instance_with(|c| {
            if open {
                c.registrations = reference_server::config::Registrations::Open;
            }
        })
        .await;
        let client = json(
            &app,
            Method::POST,
            "/api/v1/apps",
            None,
            json!({"client_name": "Signup", "scopes": "read write"}),
        )
        .await
        .body;
        let app_token = form(
            &app,
            Method::POST,
            "/oauth/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", client["client_id"].as_str().unwrap()),
                ("client_secret", client["client_secret"].as_str().unwrap()),
                ("scope", "read write"),
            ],
        )
        .await
        .body["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let fields = |user: &'static str, pw: &'static str| json!({"username": user, "password": pw, "email": "n@example.com", "agreement": true, "locale": "en"});
        let r = json(
            &app,
            Method::POST,
            "/api/v1/accounts",
            Some(&app_token),
            fields("newbie", "long-enough-pw"),
        )
        .await;
        if !open {
            assert_eq!(r.status, StatusCode::FORBIDDEN);
            assert_eq!(r.error(), "This action is not allowed");
            continue;
        }
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["scope"], "read write");
        let me = get(
            &app,
            "/api/v1/accounts/verify_credentials",
            r.body["access_token"].as_str(),
        )
        .await;
        assert_eq!(me.body["username"], "newbie");
        assert!(app
            .check_password(
                me.body["id"].as_str().unwrap().parse().unwrap(),
                "long-enough-pw"
            )
            .await
            .unwrap());
        let short = json(
            &app,
            Method::POST,
            "/api/v1/accounts",
            Some(&app_token),
            fields("other", "short"),
        )
        .await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
        let taken = json(
            &app,
            Method::POST,
            "/api/v1/accounts",
            Some(&app_token),
            fields("Newbie", "long-enough-pw"),
        )
        .await;
        assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(taken.error().contains("taken"));
        // A user token cannot sign up others.
        let user_token = r.body["access_token"].as_str().unwrap().to_owned();
        let u = json(
            &app,
            Method::POST,
            "/api/v1/accounts",
            Some(&user_token),
            fields("third", "long-enough-pw"),
        )
        .await;
        assert_eq!(u.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn many_accounts_and_statuses_by_id() {
    let app = instance().await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, _) = user(&app, "bob").await;
    let list = get(
        &app,
        &format!(
            "/api/v1/accounts?id[]={}&id[]=999&id[]={}",
            bob.id, alice.id
        ),
        None,
    )
    .await;
    assert_eq!(
        ids(&list.body),
        vec![bob.id.to_string(), alice.id.to_string()]
    );
    let s1 = post(&app, &ta, json!({"status": "one"})).await;
    let s2 = post(&app, &ta, json!({"status": "two", "visibility": "private"})).await;
    let q = format!(
        "/api/v1/statuses?id[]={}&id[]={}&id[]=nope",
        s1["id"].as_str().unwrap(),
        s2["id"].as_str().unwrap()
    );
    assert_eq!(
        ids(&get(&app, &q, None).await.body),
        vec![s1["id"].as_str().unwrap().to_owned()]
    );
    assert_eq!(
        get(&app, &q, Some(&ta))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
