//! Roles and the admin accounts API in process: the `Role` shapes, admin scopes gated by the
//! role, the `Admin::Account` entity, filters, actions and their effects (suspension,
//! silence, disable), the errors (`403` without scope or permission, `404`, `422`), and the
//! durable deletion of a suspended account's data after 30 days.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use std::sync::Arc;
use std::time::Duration;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use fedi_storage::{ManualClock, Timestamp};
use http::{Method, StatusCode};
use reference_server::app::Role;
use reference_server::http::Router;
use reference_server::{App, Config};
use serde_json::{json, Value};
use support::*;

const ADMIN_SCOPES: &str = "read write follow admin:read admin:write";

async fn action(app: &App, token: &str, id: u64, kind: &str) -> support::Answer {
    form(
        app,
        Method::POST,
        &format!("/api/v1/admin/accounts/{id}/action"),
        Some(token),
        &[("type", kind)],
    )
    .await
}

/// The HTML of a public web page.
async fn page(app: &App, path: &str) -> String {
    let req = http::Request::get(format!("{BASE}{path}"))
        .header("accept", "text/html")
        .body(Bytes::new())
        .unwrap();
    let resp = Router::new(app.clone()).handle(req, None).await;
    String::from_utf8_lossy(resp.body()).into_owned()
}

/// `GET` through the whole router (federation documents), as `application/activity+json`.
async fn fetch_ap(app: &App, path: &str) -> (StatusCode, Value) {
    let req = http::Request::get(format!("{BASE}{path}"))
        .header("accept", "application/activity+json")
        .body(Bytes::new())
        .unwrap();
    let resp = Router::new(app.clone()).handle(req, None).await;
    let status = resp.status();
    (
        status,
        serde_json::from_slice(resp.body()).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn roles_show_in_credentials_and_gate_admin_scopes() {
    let app = instance().await;
    let (owner, owner_token) = staff_user(&app, "olive", Role::Owner, ADMIN_SCOPES).await;
    let (_, mod_token) = staff_user(&app, "mo", Role::Moderator, "read admin:read").await;
    let (alice, alice_token) = user(&app, "alice").await;

    let me = get(
        &app,
        "/api/v1/accounts/verify_credentials",
        Some(&owner_token),
    )
    .await;
    assert_eq!(
        me.body["role"],
        json!({"id": "3", "name": "Owner", "permissions": "2097151", "color": "", "highlighted": true})
    );
    assert_eq!(
        me.body["roles"],
        json!([{"id": "3", "name": "Owner", "color": ""}])
    );
    let me = get(
        &app,
        "/api/v1/accounts/verify_credentials",
        Some(&mod_token),
    )
    .await;
    // Mastodon's Moderator: invite_users, view_dashboard, view_audit_log, view_feeds,
    // manage_users, manage_reports, manage_taxonomies.
    let moderator =
        (1u64 << 16) | (1 << 3) | (1 << 2) | (1 << 20) | (1 << 10) | (1 << 4) | (1 << 8);
    assert_eq!(
        me.body["role"],
        json!({"id": "1", "name": "Moderator", "permissions": moderator.to_string(), "color": "", "highlighted": true})
    );
    let me = get(
        &app,
        "/api/v1/accounts/verify_credentials",
        Some(&alice_token),
    )
    .await;
    assert_eq!(
        me.body["role"],
        json!({"id": "-99", "name": "", "permissions": "65536", "color": "", "highlighted": false})
    );
    assert_eq!(me.body["roles"], json!([]));
    // The public account shows highlighted roles too.
    let shown = get(&app, &format!("/api/v1/accounts/{}", owner.id), None).await;
    assert_eq!(shown.body["roles"][0]["name"], "Owner");

    // A user without a role is refused admin scopes.
    let refused = reference_server::api::create_token(&app, alice.id, "read admin:read")
        .await
        .unwrap_err();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{refused}");
    assert!(refused.to_string().contains("admin scopes"), "{refused}");
}

#[tokio::test]
async fn oauth_never_grants_admin_scopes_without_the_role() {
    let (app, _) = instance_with(|c| c.password_grant = true).await;
    app.create_account("alice", Some("alice-password"), false)
        .await
        .unwrap();
    let mo = app
        .create_account("mo", Some("mo-password"), false)
        .await
        .unwrap();
    app.set_role(mo.id, Role::Moderator).await.unwrap();
    let client = form(
        &app,
        Method::POST,
        "/api/v1/apps",
        None,
        &[
            ("client_name", "admin app"),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ("scopes", "read admin:read admin:write"),
        ],
    )
    .await
    .body;
    let grant = |user: &'static str, pw: &'static str| {
        vec![
            ("grant_type", "password"),
            ("client_id", client["client_id"].as_str().unwrap()),
            ("client_secret", client["client_secret"].as_str().unwrap()),
            ("username", user),
            ("password", pw),
            ("scope", "read admin:read"),
        ]
    };
    let a = form(
        &app,
        Method::POST,
        "/oauth/token",
        None,
        &grant("alice", "alice-password"),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["scope"], "read");
    let denied = get(
        &app,
        "/api/v1/admin/accounts",
        a.body["access_token"].as_str(),
    )
    .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let m = form(
        &app,
        Method::POST,
        "/oauth/token",
        None,
        &grant("mo", "mo-password"),
    )
    .await;
    assert_eq!(m.body["scope"], "read admin:read");
    let listed = get(
        &app,
        "/api/v1/admin/accounts",
        m.body["access_token"].as_str(),
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
}

#[tokio::test]
async fn admin_account_entity_filters_and_errors() {
    let app = instance().await;
    let (owner, owner_token) = staff_user(&app, "olive", Role::Owner, ADMIN_SCOPES).await;
    let (alice, _) = user(&app, "alice").await;
    let (bob, _) = user(&app, "bob").await;

    let one = get(
        &app,
        &format!("/api/v1/admin/accounts/{}", alice.id),
        Some(&owner_token),
    )
    .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    let mut body = one.body.clone();
    let account = body.as_object_mut().unwrap().remove("account").unwrap();
    assert_eq!(account["id"], alice.id.to_string());
    assert_eq!(account["acct"], "alice");
    assert!(account.get("suspended").is_none(), "{account}");
    assert_eq!(
        body,
        json!({
            "id": alice.id.to_string(), "username": "alice", "domain": null,
            "created_at": body["created_at"], "email": null, "ip": null, "ips": [],
            "locale": null, "invite_request": null,
            "role": {"id": "-99", "name": "", "permissions": "65536", "color": "", "highlighted": false},
            "confirmed": true, "approved": true, "disabled": false, "silenced": false,
            "suspended": false, "sensitized": false,
        })
    );
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));

    // Lists: newest first, paged with `Link`, filtered.
    let all = get(&app, "/api/v1/admin/accounts?limit=2", Some(&owner_token)).await;
    assert_eq!(
        ids(&all.body),
        vec![bob.id.to_string(), alice.id.to_string()]
    );
    let link = all.header("link").unwrap();
    assert!(link.contains(&format!("max_id={}", alice.id)), "{link}");
    let next = get(
        &app,
        &format!("/api/v1/admin/accounts?limit=2&max_id={}", alice.id),
        Some(&owner_token),
    )
    .await;
    assert_eq!(ids(&next.body), vec![owner.id.to_string()]);
    assert_eq!(
        action(&app, &owner_token, bob.id, "suspend").await.status,
        StatusCode::OK
    );
    let suspended = get(
        &app,
        "/api/v2/admin/accounts?origin=local&status=suspended",
        Some(&owner_token),
    )
    .await;
    assert_eq!(ids(&suspended.body), vec![bob.id.to_string()]);
    assert_eq!(suspended.body[0]["suspended"], true);
    assert_eq!(suspended.body[0]["account"]["suspended"], true);
    let v1 = get(
        &app,
        "/api/v1/admin/accounts?active=true&local=true",
        Some(&owner_token),
    )
    .await;
    assert_eq!(
        ids(&v1.body),
        vec![alice.id.to_string(), owner.id.to_string()]
    );
    // v1 lists local, active accounts unless asked otherwise, as Mastodon translates it.
    let v1_default = get(&app, "/api/v1/admin/accounts", Some(&owner_token)).await;
    assert_eq!(
        ids(&v1_default.body),
        vec![alice.id.to_string(), owner.id.to_string()]
    );
    let staff_only = get(
        &app,
        "/api/v2/admin/accounts?permissions=staff",
        Some(&owner_token),
    )
    .await;
    assert_eq!(ids(&staff_only.body), vec![owner.id.to_string()]);
    let remote = get(
        &app,
        "/api/v2/admin/accounts?origin=remote",
        Some(&owner_token),
    )
    .await;
    assert_eq!(remote.body, json!([]));
    let bad = get(
        &app,
        "/api/v2/admin/accounts?origin=mars",
        Some(&owner_token),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Errors: unknown id, bad type, no admin scope, no permission.
    let missing = get(&app, "/api/v1/admin/accounts/12345", Some(&owner_token)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    let missing = action(&app, &owner_token, 12345, "silence").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let bad_type = action(&app, &owner_token, alice.id, "banish").await;
    assert_eq!(bad_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_type.error().contains("Type"), "{}", bad_type.text);
    let unscoped = reference_server::api::create_token(&app, owner.id, "read write")
        .await
        .unwrap();
    let no_scope = get(&app, "/api/v1/admin/accounts", Some(&unscoped)).await;
    assert_eq!(no_scope.status, StatusCode::FORBIDDEN);
    assert_eq!(
        no_scope.error(),
        "This action is outside the authorized scopes"
    );
    let read_only = reference_server::api::create_token(&app, owner.id, "admin:read:accounts")
        .await
        .unwrap();
    assert_eq!(
        get(&app, "/api/v1/admin/accounts", Some(&read_only))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        action(&app, &read_only, alice.id, "silence").await.status,
        StatusCode::FORBIDDEN
    );
    // A staff token outlives no demotion: the role is checked at each request.
    app.set_role(owner.id, Role::User).await.unwrap();
    let demoted = get(&app, "/api/v1/admin/accounts", Some(&owner_token)).await;
    assert_eq!(demoted.status, StatusCode::FORBIDDEN);
    assert_eq!(demoted.error(), "This action is not allowed");
}

#[tokio::test]
async fn a_moderator_may_not_do_what_only_admins_and_owners_may() {
    let app = instance().await;
    let (_, mod_token) = staff_user(&app, "mo", Role::Moderator, ADMIN_SCOPES).await;
    let (admin, admin_token) = staff_user(&app, "ada", Role::Admin, ADMIN_SCOPES).await;
    let (bob, _) = user(&app, "bob").await;
    // Moderators moderate users …
    assert_eq!(
        action(&app, &mod_token, bob.id, "suspend").await.status,
        StatusCode::OK
    );
    // … but may not delete data (delete_user_data: owner and admin) …
    let path = format!("/api/v1/admin/accounts/{}", bob.id);
    let refused = call(&app, Method::DELETE, &path, Some(&mod_token)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert_eq!(refused.error(), "This action is not allowed");
    // … nor act on staff above or beside them.
    let refused = action(&app, &mod_token, admin.id, "silence").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let admin_now = app.account(admin.id).await.unwrap();
    assert_eq!(admin_now.moderation.silenced_at, None);
    // An admin deletes the data; the account then reads as deleted.
    let deleted = call(&app, Method::DELETE, &path, Some(&admin_token)).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert_eq!(deleted.body["suspended"], true);
    assert!(app.account(bob.id).await.unwrap().deleted);
    // Deleting again, or deleting a non-suspended account, is not allowed.
    let again = call(&app, Method::DELETE, &path, Some(&admin_token)).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    let (carol, _) = user(&app, "carol").await;
    let not_suspended = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/admin/accounts/{}", carol.id),
        Some(&admin_token),
    )
    .await;
    assert_eq!(not_suspended.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn suspension_hides_everything_and_unsuspension_restores_it() {
    let app = instance().await;
    let (_, owner_token) = staff_user(&app, "olive", Role::Owner, ADMIN_SCOPES).await;
    let (bob, bob_token) = user(&app, "bob").await;
    let (alice, alice_token) = user(&app, "alice").await;
    app.follow(alice.id, bob.id).await.unwrap();
    let status = post(&app, &bob_token, json!({"status": "baa #wool"})).await;
    let sid = status["id"].as_str().unwrap().to_owned();
    let status_path = format!("/api/v1/statuses/{sid}");
    let visible = |v: &Value| ids(v).contains(&sid);
    assert!(visible(
        &get(&app, "/api/v1/timelines/home", Some(&alice_token))
            .await
            .body
    ));

    let done = action(&app, &owner_token, bob.id, "suspend").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(done.body, json!({}));
    assert_eq!(
        get(&app, &status_path, Some(&alice_token)).await.status,
        StatusCode::NOT_FOUND
    );
    for path in [
        "/api/v1/timelines/home",
        "/api/v1/timelines/public",
        "/api/v1/timelines/tag/wool",
    ] {
        let page = get(&app, path, Some(&alice_token)).await;
        assert!(!visible(&page.body), "{path}: {}", page.text);
    }
    assert!(!page(&app, "/").await.contains("baa"));
    let (carol, carol_token) = user(&app, "carol").await;
    let follow = call(
        &app,
        Method::POST,
        &format!("/api/v1/accounts/{}/follow", bob.id),
        Some(&carol_token),
    )
    .await;
    assert_eq!(follow.status, StatusCode::NOT_FOUND, "{}", follow.text);
    assert!(!app.is_following(carol.id, bob.id).await.unwrap());
    let profile = get(&app, &format!("/api/v1/accounts/{}", bob.id), None).await;
    assert_eq!(profile.body["suspended"], true);
    assert_eq!(profile.body["display_name"], "");
    assert_eq!(profile.body["statuses_count"], 0);
    // Its login no longer works.
    let own = get(
        &app,
        "/api/v1/accounts/verify_credentials",
        Some(&bob_token),
    )
    .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    assert_eq!(own.error(), "Your login is currently disabled");
    // The actor is served blank with `suspended: true`; its statuses answer 404.
    let (code, actor) = fetch_ap(&app, "/users/bob").await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(actor["suspended"], true);
    assert_eq!(actor["name"], "bob");
    assert_eq!(actor["summary"], "");
    assert!(actor.get("icon").is_none(), "{actor}");
    assert!(
        actor.get("attachment").is_none_or(|a| a == &json!([])),
        "{actor}"
    );
    assert!(actor["publicKey"]["publicKeyPem"].is_string());
    let (code, _) = fetch_ap(&app, &format!("/users/bob/statuses/{sid}")).await;
    assert_eq!(code, StatusCode::NOT_FOUND);

    // Unsuspended within 30 days: all back.
    let back = form(
        &app,
        Method::POST,
        &format!("/api/v1/admin/accounts/{}/unsuspend", bob.id),
        Some(&owner_token),
        &[],
    )
    .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
    assert_eq!(back.body["suspended"], false);
    assert_eq!(
        get(&app, &status_path, Some(&alice_token)).await.status,
        StatusCode::OK
    );
    assert!(visible(
        &get(&app, "/api/v1/timelines/home", Some(&alice_token))
            .await
            .body
    ));
    assert!(visible(
        &get(&app, "/api/v1/timelines/public", None).await.body
    ));
    assert_eq!(
        get(
            &app,
            "/api/v1/accounts/verify_credentials",
            Some(&bob_token)
        )
        .await
        .status,
        StatusCode::OK
    );
    let (_, actor) = fetch_ap(&app, "/users/bob").await;
    assert!(actor.get("suspended").is_none());
}

#[tokio::test]
async fn silence_keeps_an_account_out_of_public_timelines_only() {
    let app = instance().await;
    let (_, owner_token) = staff_user(&app, "olive", Role::Owner, ADMIN_SCOPES).await;
    let (bob, bob_token) = user(&app, "bob").await;
    let (alice, alice_token) = user(&app, "alice").await;
    app.follow(alice.id, bob.id).await.unwrap();
    let sid = post(&app, &bob_token, json!({"status": "limited baa"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        action(&app, &owner_token, bob.id, "silence").await.status,
        StatusCode::OK
    );
    let public = get(&app, "/api/v1/timelines/public", Some(&alice_token)).await;
    assert!(!ids(&public.body).contains(&sid), "{}", public.text);
    let anonymous = get(&app, "/api/v1/timelines/public?local=true", None).await;
    assert!(!ids(&anonymous.body).contains(&sid));
    let home = get(&app, "/api/v1/timelines/home", Some(&alice_token)).await;
    assert!(ids(&home.body).contains(&sid));
    let own = get(&app, "/api/v1/timelines/public", Some(&bob_token)).await;
    assert!(ids(&own.body).contains(&sid));
    let shown = get(&app, &format!("/api/v1/accounts/{}", bob.id), None).await;
    assert_eq!(shown.body["limited"], true);
    // The web pages too: not on the home page, still on its profile.
    assert!(!page(&app, "/").await.contains("limited baa"));
    assert!(page(&app, "/@bob").await.contains("limited baa"));
    let admin = get(
        &app,
        &format!("/api/v1/admin/accounts/{}", bob.id),
        Some(&owner_token),
    )
    .await;
    assert_eq!(admin.body["silenced"], true);
    let undone = form(
        &app,
        Method::POST,
        &format!("/api/v1/admin/accounts/{}/unsilence", bob.id),
        Some(&owner_token),
        &[],
    )
    .await;
    assert_eq!(undone.body["silenced"], false);
    let public = get(&app, "/api/v1/timelines/public", None).await;
    assert!(ids(&public.body).contains(&sid));
}

#[tokio::test]
async fn disable_refuses_the_login_and_enable_restores_it() {
    let (app, _) = instance_with(|c| c.password_grant = true).await;
    let (_, owner_token) = staff_user(&app, "olive", Role::Owner, ADMIN_SCOPES).await;
    let (bob, bob_token) = user(&app, "bob").await;
    assert_eq!(
        action(&app, &owner_token, bob.id, "disable").await.status,
        StatusCode::OK
    );
    let refused = get(&app, "/api/v1/timelines/home", Some(&bob_token)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let client = form(
        &app,
        Method::POST,
        "/api/v1/apps",
        None,
        &[
            ("client_name", "app"),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ("scopes", "read"),
        ],
    )
    .await
    .body;
    let login = [
        ("grant_type", "password"),
        ("client_id", client["client_id"].as_str().unwrap()),
        ("client_secret", client["client_secret"].as_str().unwrap()),
        ("username", "bob"),
        ("password", "bob-password"),
    ];
    let denied = form(&app, Method::POST, "/oauth/token", None, &login).await;
    assert_eq!(denied.body["error"], "invalid_grant");
    let shown = get(
        &app,
        &format!("/api/v1/admin/accounts/{}", bob.id),
        Some(&owner_token),
    )
    .await;
    assert_eq!(shown.body["disabled"], true);
    let enabled = form(
        &app,
        Method::POST,
        &format!("/api/v1/admin/accounts/{}/enable", bob.id),
        Some(&owner_token),
        &[],
    )
    .await;
    assert_eq!(enabled.body["disabled"], false);
    assert_eq!(
        get(&app, "/api/v1/timelines/home", Some(&bob_token))
            .await
            .status,
        StatusCode::OK
    );
    let granted = form(&app, Method::POST, "/oauth/token", None, &login).await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.text);
}

#[tokio::test]
async fn suspended_data_is_deleted_by_a_durable_job_after_30_days() {
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_800_000_000_000));
    let config = Config {
        base_url: BASE.into(),
        ..Config::default()
    };
    let app = App::with_clock(
        config,
        Arc::new(MemoryStore::new()),
        Arc::new(MemoryNetwork::with_seed(3)),
        Some(Arc::new(clock.clone())),
    )
    .await
    .unwrap();
    let (_, owner_token) = staff_user(&app, "olive", Role::Owner, ADMIN_SCOPES).await;
    let (bob, bob_token) = user(&app, "bob").await;
    let (carol, _) = user(&app, "carol").await;
    let sid = post(&app, &bob_token, json!({"status": "soon gone"})).await["id"]
        .as_str()
        .unwrap()
        .parse::<u64>()
        .unwrap();
    for who in [bob.id, carol.id] {
        assert_eq!(
            action(&app, &owner_token, who, "suspend").await.status,
            StatusCode::OK
        );
    }
    // carol is unsuspended in time: her job finds nothing to do.
    app.unmoderate(
        Role::Owner,
        carol.id,
        reference_server::app::Undo::Unsuspend,
    )
    .await
    .unwrap();
    clock.advance(Duration::from_secs(29 * 24 * 3600));
    assert_eq!(app.run_moderation_jobs(10).await.unwrap(), 0);
    assert!(!app.account(bob.id).await.unwrap().deleted);
    clock.advance(Duration::from_secs(2 * 24 * 3600));
    assert_eq!(app.run_moderation_jobs(10).await.unwrap(), 2);
    let bob_now = app.account(bob.id).await.unwrap();
    assert!(bob_now.deleted);
    assert!(app.status(sid).await.is_err(), "its statuses are gone");
    assert!(!app.account(carol.id).await.unwrap().deleted);
    let (code, body) = fetch_ap(&app, "/users/bob").await;
    assert_eq!(code, StatusCode::GONE, "{body}");
    // Too late to unsuspend.
    let late = form(
        &app,
        Method::POST,
        &format!("/api/v1/admin/accounts/{}/unsuspend", bob.id),
        Some(&owner_token),
        &[],
    )
    .await;
    assert_eq!(late.status, StatusCode::FORBIDDEN);
}
