//! Sign-up through `POST /api/v1/accounts` in each registration mode, Mastodon's `422`s with
//! per-field details, invites (closed mode, approval skipped, used up, expired), and the
//! approval of waiting accounts (`/api/v1/admin/accounts/:id/approve|reject`); in process
//! on a manual clock.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use std::sync::Arc;
use std::time::Duration;

use fedi_storage::{ManualClock, PageRequest, Timestamp};
use http::{Method, StatusCode};
use reference_server::config::Registrations;
use reference_server::{App, Config};
use serde_json::{json, Value};
use support::*;

/// 2030-01-01T00:00:00Z.
const START_MS: u64 = 1_893_456_000_000;

/// An instance in `mode` on a manual clock, with an application token (`read write`) that
/// signs up.
async fn instance_in(mode: Registrations, base: &str) -> (App, ManualClock, String) {
    let clock = ManualClock::new(Timestamp::from_unix_millis(START_MS));
    let config = Config {
        base_url: base.into(),
        registrations: mode,
        password_grant: true,
        ..Config::default()
    };
    let app = App::with_clock(
        config,
        Arc::new(fedi_storage::memory::MemoryStore::new()),
        Arc::new(activitypub_core::engine::transport::memory::MemoryNetwork::with_seed(7)),
        Some(Arc::new(clock.clone())),
    )
    .await
    .unwrap();
    let client = json(
        &app,
        Method::POST,
        "/api/v1/apps",
        None,
        json!({"client_name": "Signup", "scopes": "read write"}),
    )
    .await
    .body;
    let token = form(
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
    (app, clock, token)
}

/// A complete, valid form for `username`, with `extra` fields added or replaced.
fn form_for(username: &str, extra: Value) -> Value {
    let mut f = json!({
        "username": username,
        "password": "long-enough-pw",
        "agreement": true,
        "locale": "en",
    });
    if let (Some(f), Some(extra)) = (f.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            f.insert(k.clone(), v.clone());
        }
    }
    f
}

async fn sign_up(app: &App, token: &str, body: Value) -> Answer {
    json(app, Method::POST, "/api/v1/accounts", Some(token), body).await
}

/// Signs up and returns the new account's token.
async fn signed_up(app: &App, token: &str, body: Value) -> String {
    let r = sign_up(app, token, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["access_token"].as_str().unwrap().to_owned()
}

/// Checks a `422` against Mastodon's exact body.
fn assert_invalid(r: &Answer, expected: Value) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.body, expected);
}

#[tokio::test]
async fn open_mode_signs_up_and_records_the_unsent_confirmation() {
    let (app, _, token) = instance_in(Registrations::Open, BASE).await;
    let user = signed_up(
        &app,
        &token,
        form_for("Newbie_1", json!({"email": "newbie@example.com"})),
    )
    .await;
    let me = get(&app, "/api/v1/accounts/verify_credentials", Some(&user)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.body["username"], "Newbie_1");
    let id: u64 = me.body["id"].as_str().unwrap().parse().unwrap();
    let signup = app.signup_of(id).await.unwrap().unwrap();
    assert!(signup.approved);
    assert_eq!(signup.email.as_deref(), Some("newbie@example.com"));
    assert_eq!(signup.locale.as_deref(), Some("en"));
    // No mail server: the confirmation Mastodon would send is in the admin's queue.
    let queue = app.admin_queue().await.unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].kind, "confirmation_not_sent");
    assert_eq!(queue[0].email.as_deref(), Some("newbie@example.com"));
    // Without an e-mail, nothing to confirm.
    signed_up(&app, &token, form_for("quiet", json!({}))).await;
    assert_eq!(app.admin_queue().await.unwrap().len(), 1);
}

#[tokio::test]
async fn every_field_check_answers_mastodons_422() {
    let (app, _, token) = instance_in(Registrations::Open, BASE).await;
    signed_up(
        &app,
        &token,
        form_for("alice", json!({"email": "alice@example.com"})),
    )
    .await;
    // Blank username and password, agreement missing.
    let r = sign_up(
        &app,
        &token,
        json!({"username": "", "password": "         "}),
    )
    .await;
    assert_invalid(
        &r,
        json!({
            "error": "Validation failed: Password can't be blank, Username can't be blank, Agreement must be accepted",
            "details": {
                "password": [{"error": "ERR_BLANK", "description": "can't be blank"}],
                "username": [{"error": "ERR_BLANK", "description": "can't be blank"}],
                "agreement": [{"error": "ERR_ACCEPTED", "description": "must be accepted"}],
            }
        }),
    );
    // Taken, regardless of case (and the e-mail too).
    let r = sign_up(
        &app,
        &token,
        form_for("ALICE", json!({"email": "Alice@Example.com"})),
    )
    .await;
    assert_invalid(
        &r,
        json!({
            "error": "Validation failed: Email has already been taken, Username has already been taken",
            "details": {
                "email": [{"error": "ERR_TAKEN", "description": "has already been taken"}],
                "username": [{"error": "ERR_TAKEN", "description": "has already been taken"}],
            }
        }),
    );
    // Reserved, regardless of case.
    let r = sign_up(&app, &token, form_for("Admin", json!({}))).await;
    assert_invalid(
        &r,
        json!({
            "error": "Validation failed: Username is reserved",
            "details": {"username": [{"error": "ERR_RESERVED", "description": "is reserved"}]}
        }),
    );
    // Not letters, digits and `_`, and too long.
    let long = format!("{}-x", "a".repeat(30));
    let r = sign_up(&app, &token, form_for(&long, json!({}))).await;
    assert_invalid(
        &r,
        json!({
            "error": "Validation failed: Username must contain only letters, numbers and underscores, Username is too long (maximum is 30 characters)",
            "details": {"username": [
                {"error": "ERR_INVALID", "description": "must contain only letters, numbers and underscores"},
                {"error": "ERR_TOO_LONG", "description": "is too long (maximum is 30 characters)"},
            ]}
        }),
    );
    // Thirty characters are fine.
    signed_up(&app, &token, form_for(&"b".repeat(30), json!({}))).await;
    // Passwords of 8 to 72 characters.
    let r = sign_up(
        &app,
        &token,
        form_for("carol", json!({"password": "short"})),
    )
    .await;
    assert_invalid(
        &r,
        json!({
            "error": "Validation failed: Password is too short (minimum is 8 characters)",
            "details": {"password": [{"error": "ERR_TOO_SHORT", "description": "is too short (minimum is 8 characters)"}]}
        }),
    );
    let r = sign_up(
        &app,
        &token,
        form_for("carol", json!({"password": "p".repeat(73)})),
    )
    .await;
    assert_invalid(
        &r,
        json!({
            "error": "Validation failed: Password is too long (maximum is 72 characters)",
            "details": {"password": [{"error": "ERR_TOO_LONG", "description": "is too long (maximum is 72 characters)"}]}
        }),
    );
    // A bad e-mail, agreement refused, an unknown locale.
    let r = sign_up(
        &app,
        &token,
        form_for(
            "carol",
            json!({"email": "not an address", "agreement": "false", "locale": "english!"}),
        ),
    )
    .await;
    assert_invalid(
        &r,
        json!({
            "error": "Validation failed: Email is invalid, Agreement must be accepted, Locale is not included in the list",
            "details": {
                "email": [{"error": "ERR_INVALID", "description": "is invalid"}],
                "agreement": [{"error": "ERR_ACCEPTED", "description": "must be accepted"}],
                "locale": [{"error": "ERR_INCLUSION", "description": "is not included in the list"}],
            }
        }),
    );
    // Nothing was created by the refused forms.
    assert!(app.account_by_acct("carol").await.unwrap().is_none());
    // A form body (as Mastodon.py sends) with `agreement=1` signs up.
    let r = form(
        &app,
        Method::POST,
        "/api/v1/accounts",
        Some(&token),
        &[
            ("username", "carol"),
            ("password", "long-enough-pw"),
            ("agreement", "1"),
            ("locale", "pt-BR"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn the_instance_actors_name_is_reserved() {
    let (app, _, token) = instance_in(Registrations::Open, "http://localhost:3000").await;
    let r = sign_up(&app, &token, form_for("LocalHost", json!({}))).await;
    assert_invalid(
        &r,
        json!({
            "error": "Validation failed: Username is reserved",
            "details": {"username": [{"error": "ERR_RESERVED", "description": "is reserved"}]}
        }),
    );
}

#[tokio::test]
async fn the_instance_reports_each_mode() {
    for (mode, enabled, approval) in [
        (Registrations::Open, true, false),
        (Registrations::Approved, true, true),
        (Registrations::Closed, false, false),
    ] {
        let (app, _) = instance_with(|c| {
            c.registrations = mode;
            c.registrations_message = Some("Ask <us>".into());
        })
        .await;
        let v1 = get(&app, "/api/v1/instance", None).await.body;
        assert_eq!(v1["registrations"], enabled, "{mode:?}");
        assert_eq!(v1["approval_required"], approval, "{mode:?}");
        assert_eq!(v1["invites_enabled"], false);
        let v2 = get(&app, "/api/v2/instance", None).await.body;
        assert_eq!(
            v2["registrations"],
            json!({
                "enabled": enabled,
                "approval_required": approval,
                "reason_required": approval,
                "message": "<p>Ask &lt;us&gt;</p>",
                "url": null,
                "min_age": null,
            }),
            "{mode:?}"
        );
    }
}

#[tokio::test]
async fn approved_mode_waits_for_an_admin() {
    let (app, _, token) = instance_in(Registrations::Approved, BASE).await;
    let (_, admin) = staff_user(
        &app,
        "boss",
        reference_server::app::Role::Admin,
        "read write admin:write:accounts",
    )
    .await;
    let (plain_account, plain) = user(&app, "plain").await;
    // A reason is required.
    let r = sign_up(&app, &token, form_for("waiting", json!({}))).await;
    assert_invalid(
        &r,
        json!({
            "error": "Validation failed: Reason can't be blank",
            "details": {"reason": [{"error": "ERR_BLANK", "description": "can't be blank"}]}
        }),
    );
    let r = sign_up(
        &app,
        &token,
        form_for("waiting", json!({"reason": "r".repeat(421)})),
    )
    .await;
    assert_eq!(r.body["details"]["reason"][0]["error"], "ERR_TOO_LONG");
    let pending = signed_up(
        &app,
        &token,
        form_for(
            "waiting",
            json!({"reason": "I knit.", "email": "w@example.com"}),
        ),
    )
    .await;
    // The token is refused until approval, as Mastodon's `require_user!`.
    let r = get(&app, "/api/v1/accounts/verify_credentials", Some(&pending)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body,
        json!({"error": "Your login is currently pending approval"})
    );
    let r = json(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&pending),
        json!({"status": "hi"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Signing in again is refused too.
    let a = app.account_by_acct("waiting").await.unwrap().unwrap();
    assert!(app.is_pending(a.id).await.unwrap());
    assert!(reference_server::api::create_token(&app, a.id, "read")
        .await
        .is_err());
    // Nor with the password grant.
    let client = json(
        &app,
        Method::POST,
        "/api/v1/apps",
        None,
        json!({"client_name": "Pw", "scopes": "read"}),
    )
    .await
    .body;
    let r = form(
        &app,
        Method::POST,
        "/oauth/token",
        None,
        &[
            ("grant_type", "password"),
            ("client_id", client["client_id"].as_str().unwrap()),
            ("client_secret", client["client_secret"].as_str().unwrap()),
            ("username", "waiting"),
            ("password", "long-enough-pw"),
            ("scope", "read"),
        ],
    )
    .await;
    assert_eq!(r.body["error"], "invalid_grant", "{}", r.text);
    assert_eq!(
        r.body["error_description"],
        "Your login is currently pending approval"
    );
    // Hidden from the API while waiting, as Mastodon's `check_account_approval`.
    let r = get(&app, &format!("/api/v1/accounts/{}", a.id), Some(&plain)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Not served to other servers while waiting.
    let actor = reference_server::http::Router::new(app.clone())
        .handle(
            http::Request::get("/users/waiting")
                .header("accept", "application/activity+json")
                .body(bytes::Bytes::new())
                .unwrap(),
            None,
        )
        .await;
    assert_eq!(actor.status(), StatusCode::NOT_FOUND);
    // The admin sees it waiting, and the queue says what Mastodon would have e-mailed.
    let (list, _) = app.pending_signups(&PageRequest::newest(40)).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].username, "waiting");
    assert_eq!(list[0].reason.as_deref(), Some("I knit."));
    let kinds: Vec<String> = app
        .admin_queue()
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.kind)
        .collect();
    assert_eq!(kinds, ["pending_approval", "confirmation_not_sent"]);

    let approve = format!("/api/v1/admin/accounts/{}/approve", a.id);
    // Without the admin scope: 403; unknown id: 404.
    let r = call(&app, Method::POST, &approve, Some(&plain)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error(), "This action is outside the authorized scopes");
    let r = call(&app, Method::POST, &approve, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = call(
        &app,
        Method::POST,
        "/api/v1/admin/accounts/99999/approve",
        Some(&admin),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error(), "Record not found");
    let r = call(
        &app,
        Method::POST,
        "/api/v1/admin/accounts/nope/reject",
        Some(&admin),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Approved: the Admin::Account, and the token works.
    let r = call(&app, Method::POST, &approve, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["id"], a.id.to_string());
    assert_eq!(r.body["username"], "waiting");
    assert_eq!(r.body["email"], "w@example.com");
    assert_eq!(r.body["invite_request"], "I knit.");
    assert_eq!(r.body["approved"], true);
    assert_eq!(r.body["account"]["acct"], "waiting");
    let r = get(&app, "/api/v1/accounts/verify_credentials", Some(&pending)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = get(&app, &format!("/api/v1/accounts/{}", a.id), Some(&plain)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(app
        .pending_signups(&PageRequest::newest(40))
        .await
        .unwrap()
        .0
        .is_empty());
    // Approving again, or an account that never waited: Mastodon's policy refuses.
    let r = call(&app, Method::POST, &approve, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body, json!({"error": "This action is not allowed"}));
    for action in ["approve", "reject"] {
        let r = call(
            &app,
            Method::POST,
            &format!("/api/v1/admin/accounts/{}/{action}", plain_account.id),
            Some(&admin),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{action}");
        assert_eq!(r.body, json!({"error": "This action is not allowed"}));
    }
    assert!(app.account(plain_account.id).await.is_ok());
}

#[tokio::test]
async fn rejection_deletes_the_waiting_account() {
    let (app, _, token) = instance_in(Registrations::Approved, BASE).await;
    let (_, admin) = staff_user(
        &app,
        "boss",
        reference_server::app::Role::Admin,
        "admin:write",
    )
    .await;
    let pending = signed_up(
        &app,
        &token,
        form_for(
            "spammy",
            json!({"reason": "buy now", "email": "s@example.com"}),
        ),
    )
    .await;
    let a = app.account_by_acct("spammy").await.unwrap().unwrap();
    // `admin:write` covers `admin:write:accounts`.
    let r = call(
        &app,
        Method::POST,
        &format!("/api/v1/admin/accounts/{}/reject", a.id),
        Some(&admin),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body, json!({}));
    // Gone: the account, its name, its password, its token, its sign-up.
    assert!(app.account_by_acct("spammy").await.unwrap().is_none());
    assert!(app.account(a.id).await.is_err());
    assert!(app.signup_of(a.id).await.unwrap().is_none());
    assert!(!app
        .local_accounts()
        .await
        .unwrap()
        .iter()
        .any(|x| x.id == a.id));
    let r = get(&app, "/api/v1/accounts/verify_credentials", Some(&pending)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = call(
        &app,
        Method::POST,
        &format!("/api/v1/admin/accounts/{}/reject", a.id),
        Some(&admin),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The name and the e-mail can sign up again.
    signed_up(
        &app,
        &token,
        form_for(
            "spammy",
            json!({"reason": "sorry", "email": "s@example.com"}),
        ),
    )
    .await;
}

#[tokio::test]
async fn closed_mode_needs_a_valid_invite() {
    let (app, clock, token) = instance_in(Registrations::Closed, BASE).await;
    let r = sign_up(&app, &token, form_for("nobody", json!({}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body, json!({"error": "This action is not allowed"}));
    let r = sign_up(
        &app,
        &token,
        form_for("nobody", json!({"invite_code": "bogus"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // An invite for one sign-up, for an hour.
    let once = app.create_invite(Some(1), Some(3600)).await.unwrap();
    assert_eq!(once.code.len(), 8);
    let invited = signed_up(
        &app,
        &token,
        form_for("invited", json!({"invite_code": once.code})),
    )
    .await;
    let r = get(&app, "/api/v1/accounts/verify_credentials", Some(&invited)).await;
    assert_eq!(r.status, StatusCode::OK);
    let stored = app.invite(&once.code).await.unwrap().unwrap();
    assert_eq!(stored.uses, 1);
    // Used up.
    let r = sign_up(
        &app,
        &token,
        form_for("second", json!({"invite_code": once.code})),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A refused form does not use the invite.
    let many = app.create_invite(None, Some(60)).await.unwrap();
    let r = sign_up(
        &app,
        &token,
        form_for("Admin", json!({"invite_code": many.code})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.invite(&many.code).await.unwrap().unwrap().uses, 0);
    signed_up(
        &app,
        &token,
        form_for("third", json!({"invite_code": many.code})),
    )
    .await;
    // Expired, by the clock.
    clock.advance(Duration::from_secs(61));
    let r = sign_up(
        &app,
        &token,
        form_for("fourth", json!({"invite_code": many.code})),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.invites().await.unwrap().len(), 2);
    assert!(app.create_invite(Some(0), None).await.is_err());
}

#[tokio::test]
async fn an_invite_skips_approval() {
    let (app, _, token) = instance_in(Registrations::Approved, BASE).await;
    let invite = app.create_invite(None, None).await.unwrap();
    // No reason needed, and the account works at once.
    let t = signed_up(
        &app,
        &token,
        form_for("friend", json!({"invite_code": invite.code})),
    )
    .await;
    let r = get(&app, "/api/v1/accounts/verify_credentials", Some(&t)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // In open mode an unknown code is ignored, as Mastodon ignores it.
    let (app, _, token) = instance_in(Registrations::Open, BASE).await;
    signed_up(
        &app,
        &token,
        form_for("stranger", json!({"invite_code": "whatever"})),
    )
    .await;
}

#[tokio::test]
async fn the_admin_commands_invite_approve_and_reject() {
    use reference_server::http::admin::{execute, AdminRequest};
    let (app, _, token) = instance_in(Registrations::Approved, BASE).await;
    let invite = execute(
        &app,
        AdminRequest::CreateInvite {
            max_uses: Some(2),
            expires_in: Some(3600),
        },
    )
    .await
    .unwrap();
    assert_eq!(invite["max_uses"], 2);
    assert_eq!(invite["uses"], 0);
    assert_eq!(invite["expires_at"], "2030-01-01T01:00:00Z");
    let code = invite["code"].as_str().unwrap();
    assert!(app.invite(code).await.unwrap().is_some());
    for name in ["first", "second"] {
        signed_up(
            &app,
            &token,
            form_for(
                name,
                json!({"reason": "knitting", "email": format!("{name}@example.com")}),
            ),
        )
        .await;
    }
    let listed = execute(&app, AdminRequest::ListPendingAccounts)
        .await
        .unwrap();
    let names: Vec<&str> = listed["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["second", "first"]);
    assert_eq!(listed["pending"][0]["reason"], "knitting");
    assert_eq!(listed["queue"].as_array().unwrap().len(), 4);
    let approved = execute(
        &app,
        AdminRequest::ApproveAccount {
            username: "first".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(approved["approved"], true);
    let rejected = execute(
        &app,
        AdminRequest::RejectAccount {
            username: "second".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(rejected["username"], "second");
    assert!(app.account_by_acct("second").await.unwrap().is_none());
    // Neither waits any more; an unknown name is an error, not a panic.
    let listed = execute(&app, AdminRequest::ListPendingAccounts)
        .await
        .unwrap();
    assert_eq!(listed["pending"], json!([]));
    assert!(execute(
        &app,
        AdminRequest::ApproveAccount {
            username: "first".into()
        }
    )
    .await
    .is_err());
    assert!(execute(
        &app,
        AdminRequest::RejectAccount {
            username: "nobody".into()
        }
    )
    .await
    .is_err());
}
