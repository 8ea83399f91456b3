//! An account's lifecycle in process (issue #19): password changes (the current password,
//! Mastodon's rules, the sign-in throttle, tokens revoked only on request), the applications
//! holding tokens and their revocation, and deletion (`410` for the actor, its statuses and
//! WebFinger, data removed, the name kept, the deletion job surviving a restart).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use http::{Method, StatusCode};
use reference_server::app::lifecycle::Revoke;
use reference_server::http::Router;
use reference_server::{App, Config, Error};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::*;

use crate::api_support as support;

const ME: &str = "/api/v1/accounts/verify_credentials";

async fn status_of(app: &App, token: &str) -> StatusCode {
    get(app, ME, Some(token)).await.status
}

/// Registers an application.
async fn client(app: &App, name: &str, website: &str) -> Value {
    let client = form(
        app,
        Method::POST,
        "/api/v1/apps",
        None,
        &[
            ("client_name", name),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ("scopes", "read write follow"),
            ("website", website),
        ],
    )
    .await;
    assert_eq!(client.status, StatusCode::OK, "{}", client.text);
    client.body
}

/// Signs `user` in to `client` with the password grant.
async fn sign_in(app: &App, client: &Value, user: &str, scopes: &str) -> String {
    let token = form(
        app,
        Method::POST,
        "/oauth/token",
        None,
        &[
            ("grant_type", "password"),
            ("client_id", client["client_id"].as_str().unwrap()),
            ("client_secret", client["client_secret"].as_str().unwrap()),
            ("username", user),
            ("password", &format!("{user}-password")),
            ("scope", scopes),
        ],
    )
    .await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.text);
    token.body["access_token"].as_str().unwrap().to_owned()
}

/// Registers an application and signs `user` in with the password grant.
async fn app_token(
    app: &App,
    name: &str,
    website: &str,
    user: &str,
    scopes: &str,
) -> (Value, String) {
    let c = client(app, name, website).await;
    let t = sign_in(app, &c, user, scopes).await;
    (c, t)
}

async fn fetch(app: &App, path: &str, accept: &str) -> (StatusCode, String) {
    let r = Router::new(app.clone())
        .handle(
            http::Request::get(path)
                .header("accept", accept)
                .body(Bytes::new())
                .unwrap(),
            None,
        )
        .await;
    let status = r.status();
    (status, String::from_utf8_lossy(r.body()).into_owned())
}

#[tokio::test]
async fn password_change_checks_the_current_one_and_the_rules() {
    let app = instance().await;
    let (alice, t1) = user(&app, "alice").await;
    let (_, t2) = user_with(&app, "bob", false, "read").await;
    let t3 = reference_server::api::create_token(&app, alice.id, "read")
        .await
        .unwrap();

    // A wrong current password: 403, nothing changes.
    let e = app
        .change_password(alice.id, "not-it", "new-password-1", Revoke::All, None)
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e.to_string(), "forbidden: Current password is invalid");
    assert!(app
        .check_password(alice.id, "alice-password")
        .await
        .unwrap());
    assert_eq!(status_of(&app, &t1).await, StatusCode::OK);

    // Mastodon's rules, with the sign-up's messages.
    for (new, why) in [
        (
            "short",
            "Validation failed: Password is too short (minimum is 8 characters)",
        ),
        ("        ", "Validation failed: Password can't be blank"),
        (
            &"x".repeat(73)[..],
            "Validation failed: Password is too long (maximum is 72 characters)",
        ),
    ] {
        let e = app
            .change_password(alice.id, "alice-password", new, Revoke::None, None)
            .await
            .unwrap_err();
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.to_string(), why);
    }
    assert!(app
        .check_password(alice.id, "alice-password")
        .await
        .unwrap());

    // Without revocation the tokens keep working.
    let n = app
        .change_password(
            alice.id,
            "alice-password",
            "second-password",
            Revoke::None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(n, 0);
    assert!(app
        .check_password(alice.id, "second-password")
        .await
        .unwrap());
    assert!(!app
        .check_password(alice.id, "alice-password")
        .await
        .unwrap());
    assert_eq!(status_of(&app, &t1).await, StatusCode::OK);
    assert_eq!(status_of(&app, &t3).await, StatusCode::OK);

    // Revoking all but the caller's own token: the other answers 401, bob's is untouched.
    let keep: String = Sha256::digest(t1.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let n = app
        .change_password(
            alice.id,
            "second-password",
            "third-password",
            Revoke::AllBut(keep),
            None,
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(status_of(&app, &t1).await, StatusCode::OK);
    assert_eq!(status_of(&app, &t3).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(&app, &t2).await, StatusCode::OK);

    // Revoking all.
    let n = app
        .reset_password(alice.id, "fourth-password", Revoke::All)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(status_of(&app, &t1).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(&app, &t2).await, StatusCode::OK);
    // Sign-in works with the new password only.
    assert!(app
        .check_password(alice.id, "fourth-password")
        .await
        .unwrap());

    // Unknown and remote accounts: 404.
    let e = app
        .reset_password(999, "whatever-password", Revoke::None)
        .await
        .unwrap_err();
    assert!(e.is_not_found());
}

#[tokio::test]
async fn the_current_password_check_is_throttled_like_sign_ins() {
    let (app, _) = instance_with(|c| {
        c.rate_limits.enabled = true;
        c.rate_limits.login_failures_per_account = reference_server::limits::Rate::new(3, 3600);
    })
    .await;
    let (alice, _) = user(&app, "alice").await;
    for _ in 0..3 {
        let e = app
            .change_password(alice.id, "wrong", "new-password-1", Revoke::None, None)
            .await
            .unwrap_err();
        assert_eq!(e.status(), StatusCode::FORBIDDEN);
    }
    // Over the limit: refused before the password is looked at, even the right one.
    let e = app
        .change_password(
            alice.id,
            "alice-password",
            "new-password-1",
            Revoke::None,
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::TOO_MANY_REQUESTS, "{e}");
    assert!(matches!(e, Error::TooManyAttempts { retry_after_ms } if retry_after_ms > 0));
    assert!(app
        .check_password(alice.id, "alice-password")
        .await
        .unwrap());
    // The same count guards the password of a deletion.
    let e = app
        .delete_own_account(alice.id, "alice-password", None)
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn authorized_apps_are_listed_and_revoked() {
    let (app, _) = instance_with(|c| c.password_grant = true).await;
    let (alice, cli_token) = user(&app, "alice").await;
    let (_, bob_token) = user(&app, "bob").await;
    let knit = client(&app, "Knitter", "https://knit.example").await;
    let k1 = sign_in(&app, &knit, "alice", "read").await;
    let k2 = sign_in(&app, &knit, "alice", "write").await;
    let (purl, p1) = app_token(&app, "Purl", "https://purl.example", "alice", "read write").await;
    // bob's token of the same application is not alice's.
    let bob_knit = sign_in(&app, &knit, "bob", "read").await;

    let apps = app.authorized_apps(alice.id).await.unwrap();
    let shown: Vec<Value> = apps
        .iter()
        .map(|a| {
            json!({"id": a.id, "name": a.name, "website": a.website, "scopes": a.scopes,
                   "tokens": a.tokens, "last_used_at": a.last_used_at})
        })
        .collect();
    assert_eq!(
        Value::Array(shown),
        json!([
            {"id": knit["id"], "name": "Knitter", "website": "https://knit.example",
             "scopes": ["read", "write"], "tokens": 2, "last_used_at": null},
            {"id": purl["id"], "name": "Purl", "website": "https://purl.example",
             "scopes": ["read", "write"], "tokens": 1, "last_used_at": null},
            {"id": "0", "name": "woolly", "website": null,
             "scopes": ["read", "write", "follow", "push"], "tokens": 1, "last_used_at": null},
        ])
    );
    assert!(apps.iter().all(|a| a.created_at > 0));

    // Revoking Knitter: both its tokens for alice answer 401, the others still work.
    let n = app
        .revoke_authorized_app(alice.id, knit["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(status_of(&app, &k1).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(&app, &k2).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(&app, &p1).await, StatusCode::OK);
    assert_eq!(status_of(&app, &cli_token).await, StatusCode::OK);
    assert_eq!(status_of(&app, &bob_knit).await, StatusCode::OK);
    assert_eq!(status_of(&app, &bob_token).await, StatusCode::OK);
    let names: Vec<String> = app
        .authorized_apps(alice.id)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["Purl", "woolly"]);
    // Again, or an unknown id: 404.
    for id in [knit["id"].as_str().unwrap(), "12345"] {
        let e = app.revoke_authorized_app(alice.id, id).await.unwrap_err();
        assert!(e.is_not_found(), "{e}");
    }
    // The command line's tokens are application 0.
    assert_eq!(app.revoke_authorized_app(alice.id, "0").await.unwrap(), 1);
    assert_eq!(status_of(&app, &cli_token).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn oauth_revoke_is_rfc_7009() {
    let (app, _) = instance_with(|c| c.password_grant = true).await;
    user(&app, "alice").await;
    let (client, t) = app_token(&app, "Knitter", "https://knit.example", "alice", "read").await;
    let revoke = |token: String| {
        let app = app.clone();
        let client = client.clone();
        async move {
            form(
                &app,
                Method::POST,
                "/oauth/revoke",
                None,
                &[
                    ("client_id", client["client_id"].as_str().unwrap()),
                    ("client_secret", client["client_secret"].as_str().unwrap()),
                    ("token", &token),
                ],
            )
            .await
        }
    };
    let r = revoke(t.clone()).await;
    assert_eq!((r.status, r.body.clone()), (StatusCode::OK, json!({})));
    assert_eq!(status_of(&app, &t).await, StatusCode::UNAUTHORIZED);
    // An unknown (or already revoked) token: 200 all the same (RFC 7009, 2.2).
    let r = revoke("no-such-token".into()).await;
    assert_eq!((r.status, r.body), (StatusCode::OK, json!({})));
}

#[tokio::test]
async fn deletion_by_the_owner_needs_the_password_and_leaves_410s() {
    let (app, _) =
        instance_with(|c| c.registrations = reference_server::config::Registrations::Open).await;
    let (alice, token) = user(&app, "alice").await;
    let (bob, bob_token) = user(&app, "bob").await;
    app.follow(bob.id, alice.id).await.unwrap();
    app.follow(alice.id, bob.id).await.unwrap();
    let attached = support::media::uploaded(&app, &token).await;
    let unattached = support::media::uploaded(&app, &token).await;
    let post_status = post(
        &app,
        &token,
        json!({"status": "Baa #wool", "media_ids": [attached]}),
    )
    .await;
    let file_url = post_status["media_attachments"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        support::media::fetch(&app, &file_url).await.status(),
        StatusCode::OK
    );
    let uri = post_status["uri"].as_str().unwrap().to_owned();
    let path = uri.strip_prefix(BASE).unwrap().to_owned();
    let bobs = post(&app, &bob_token, json!({"status": "Hello"})).await;
    let r = json(
        &app,
        Method::POST,
        &format!(
            "/api/v1/statuses/{}/favourite",
            bobs["id"].as_str().unwrap()
        ),
        Some(&token),
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let list = json(
        &app,
        Method::POST,
        "/api/v1/lists",
        Some(&token),
        json!({"title": "Flock"}),
    )
    .await;
    assert_eq!(list.status, StatusCode::OK);
    let home = get(&app, "/api/v1/timelines/home", Some(&bob_token)).await;
    assert!(home.text.contains(&uri));
    let (s, _) = fetch(&app, "/users/alice", "application/activity+json").await;
    assert_eq!(s, StatusCode::OK);

    // The wrong password: 403, nothing happens.
    let e = app
        .delete_own_account(alice.id, "nope", None)
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::FORBIDDEN);
    assert!(!app.account(alice.id).await.unwrap().deleted);

    let a = app
        .delete_own_account(alice.id, "alice-password", None)
        .await
        .unwrap();
    assert!(a.deleted);
    // Deleted for everyone at once: the token, the password, the actor, WebFinger.
    assert_eq!(status_of(&app, &token).await, StatusCode::UNAUTHORIZED);
    assert!(!app
        .check_password(alice.id, "alice-password")
        .await
        .unwrap());
    let (s, body) = fetch(&app, "/users/alice", "application/activity+json").await;
    assert_eq!(s, StatusCode::GONE, "{body}");
    let (s, _) = fetch(
        &app,
        "/.well-known/webfinger?resource=acct:alice@wool.test",
        "application/jrd+json",
    )
    .await;
    assert_eq!(s, StatusCode::GONE);
    let (s, _) = fetch(
        &app,
        "/.well-known/webfinger?resource=acct:nobody@wool.test",
        "application/jrd+json",
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The data goes in the background job: poll for it (bounded).
    let mut gone = false;
    for _ in 0..200 {
        if app.account_counts(alice.id).await.unwrap() == (0, 0, 0) {
            gone = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(gone, "statuses and follows removed");
    let (s, body) = fetch(&app, &path, "application/activity+json").await;
    assert_eq!(s, StatusCode::GONE, "{body}");
    assert!(body.contains("Tombstone"), "{body}");
    let home = get(&app, "/api/v1/timelines/home", Some(&bob_token)).await;
    assert!(!home.text.contains(&uri), "{}", home.text);
    assert_eq!(
        app.account_counts(bob.id).await.unwrap().1,
        0,
        "bob lost a follower"
    );
    assert!(app.lists_of(alice.id).await.unwrap().is_empty());
    let fav = get(
        &app,
        &format!("/api/v1/statuses/{}", bobs["id"].as_str().unwrap()),
        Some(&bob_token),
    )
    .await;
    assert_eq!(fav.body["favourites_count"], 0, "{}", fav.text);
    // Media: records and files, attached or not.
    for id in [&attached, &unattached] {
        let e = app.media_attachment(id.parse().unwrap()).await.unwrap_err();
        assert!(e.is_not_found(), "{e}");
    }
    assert_eq!(
        support::media::fetch(&app, &file_url).await.status(),
        StatusCode::NOT_FOUND
    );
    let r = get(
        &app,
        &format!("/api/v1/accounts/{}", alice.id),
        Some(&bob_token),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The name stays taken: sign-up and the admin's create refuse it.
    let form = reference_server::app::signup::SignupForm {
        username: "alice".into(),
        password: "a good password".into(),
        agreement: true,
        ..Default::default()
    };
    let refused = app.sign_up(&form).await.unwrap().unwrap_err();
    let reference_server::app::signup::SignupRefusal::Invalid(errors) = refused else {
        panic!("not a field error: {refused:?}");
    };
    assert_eq!(
        errors.iter().map(|e| (e.field, e.code)).collect::<Vec<_>>(),
        [("username", "ERR_TAKEN")]
    );
    let e = app
        .create_account("alice", Some("x-password"), false)
        .await
        .unwrap_err();
    assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e = app.create_account("ALICE", None, false).await.unwrap_err();
    assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Deleting again: 403.
    let e = app.delete_account_now(alice.id).await.unwrap_err();
    assert_eq!(e.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_deletion_interrupted_by_a_restart_finishes() {
    let store = Arc::new(MemoryStore::new());
    let config = Config {
        base_url: BASE.into(),
        ..Config::default()
    };
    let net = Arc::new(activitypub_core::engine::transport::memory::MemoryNetwork::with_seed(7));
    let app = App::new(config.clone(), store.clone(), net.clone())
        .await
        .unwrap();
    let (alice, token) = user(&app, "alice").await;
    for i in 0..3 {
        post(&app, &token, json!({"status": format!("Baa {i}")})).await;
    }
    // Marked and queued, then the process "stops" before the job runs.
    let a = app.account(alice.id).await.unwrap();
    app.begin_account_deletion(a).await.unwrap();
    drop(app);
    let app = App::new(config, store, net).await.unwrap();
    assert_eq!(app.account_counts(alice.id).await.unwrap().0, 3);
    assert!(app.run_moderation_jobs(16).await.unwrap() >= 1);
    assert_eq!(app.account_counts(alice.id).await.unwrap(), (0, 0, 0));
    assert!(app.account(alice.id).await.unwrap().deleted);
    // Done once: nothing left in the queue.
    assert_eq!(app.run_moderation_jobs(16).await.unwrap(), 0);
}
