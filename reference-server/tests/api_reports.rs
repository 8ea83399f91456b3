//! Reports and instance rules through the client API: `POST /api/v1/reports` with
//! Mastodon's `Report` entity and its errors, `GET /api/v1/instance/rules` and the rules of
//! the instance entity, `admin.report` notifications to staff, and the admin reports API
//! (`Admin::Report`, filters, paging, assign, resolve, reopen, scopes). One instance in
//! process, on a clock that moves only when told to.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use std::sync::Arc;
use std::time::Duration;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use fedi_storage::memory::MemoryStore;
use fedi_storage::{ManualClock, Timestamp};
use http::{Method, StatusCode};
use reference_server::{App, Config};
use serde_json::{json, Value};
use support::*;

const T0: u64 = 1_800_000_000_000;
const T0_TEXT: &str = "2027-01-15T08:00:00Z";

async fn clocked() -> (App, ManualClock) {
    let config = Config {
        base_url: BASE.into(),
        ..Config::default()
    };
    let clock = ManualClock::new(Timestamp::from_unix_millis(T0));
    let app = App::with_clock(
        config,
        Arc::new(MemoryStore::new()),
        Arc::new(MemoryNetwork::with_seed(7)),
        Some(Arc::new(clock.clone())),
    )
    .await
    .unwrap();
    (app, clock)
}

async fn report(app: &App, token: Option<&str>, body: Value) -> Answer {
    json(app, Method::POST, "/api/v1/reports", token, body).await
}

async fn account_entity(app: &App, id: u64) -> Value {
    let a = get(app, &format!("/api/v1/accounts/{id}"), None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.body
}

#[tokio::test]
async fn rules_are_listed_in_order_with_their_hints() {
    let (app, _clock) = clocked().await;
    let empty = get(&app, "/api/v1/instance/rules", None).await;
    assert_eq!(empty.body, json!([]));
    let one = app.add_rule("Be kind", None).await.unwrap();
    let two = app
        .add_rule("  No spam ", Some("Advertising is spam."))
        .await
        .unwrap();
    let expected = json!([
        {"id": one.id.to_string(), "text": "Be kind", "hint": ""},
        {"id": two.id.to_string(), "text": "No spam", "hint": "Advertising is spam."},
    ]);
    let a = get(&app, "/api/v1/instance/rules", None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, expected);
    assert_eq!(
        get(&app, "/api/v2/instance", None).await.body["rules"],
        expected
    );
    assert_eq!(
        get(&app, "/api/v1/instance", None).await.body["rules"],
        expected
    );
    app.remove_rule(one.id).await.unwrap();
    assert_eq!(
        get(&app, "/api/v1/instance/rules", None).await.body,
        json!([{"id": two.id.to_string(), "text": "No spam", "hint": "Advertising is spam."}])
    );
    // Errors: blank text, too long, unknown id.
    assert!(
        app.add_rule("   ", None).await.unwrap_err().status() == StatusCode::UNPROCESSABLE_ENTITY
    );
    let long = "x".repeat(301);
    assert_eq!(
        app.add_rule(&long, None).await.unwrap_err().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.remove_rule(one.id).await.unwrap_err().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_report_answers_mastodons_report_entity() {
    let (app, _clock) = clocked().await;
    let (_alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let s1 = post(&app, &tb, json!({"status": "buy my stuff"})).await;
    let s2 = post(&app, &tb, json!({"status": "buy it now"})).await;
    let a = report(
        &app,
        Some(&ta),
        json!({
            "account_id": bob.id.to_string(),
            "status_ids": [s1["id"], s2["id"], s1["id"]],
            "comment": "Spam all day",
            "category": "spam",
        }),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let mut ids = vec![
        s1["id"].as_str().unwrap().to_owned(),
        s2["id"].as_str().unwrap().to_owned(),
    ];
    ids.sort_by_key(|s| s.parse::<u64>().unwrap());
    assert_eq!(
        a.body,
        json!({
            "id": a.body["id"],
            "action_taken": false,
            "action_taken_at": null,
            "category": "spam",
            "comment": "Spam all day",
            "forwarded": false,
            "created_at": T0_TEXT,
            "status_ids": ids,
            "rule_ids": null,
            "target_account": account_entity(&app, bob.id).await,
        })
    );
    assert!(a.body["id"].as_str().unwrap().parse::<u64>().is_ok());
    // Without statuses, category or comment: `other`, with empty lists (form encoding).
    let b = form(
        &app,
        Method::POST,
        "/api/v1/reports",
        Some(&ta),
        &[("account_id", &bob.id.to_string())],
    )
    .await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.text);
    assert_eq!(b.body["category"], "other");
    assert_eq!(b.body["comment"], "");
    assert_eq!(b.body["status_ids"], json!([]));
}

#[tokio::test]
async fn a_violation_names_existing_rules() {
    let (app, _clock) = clocked().await;
    let (_alice, ta) = user(&app, "alice").await;
    let (bob, _tb) = user(&app, "bob").await;
    let r1 = app.add_rule("Be kind", None).await.unwrap();
    let r2 = app.add_rule("No spam", None).await.unwrap();
    let target = bob.id.to_string();
    let a = report(
        &app,
        Some(&ta),
        json!({"account_id": target, "category": "violation",
               "rule_ids": [r2.id.to_string(), r1.id.to_string()]}),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["category"], "violation");
    assert_eq!(
        a.body["rule_ids"],
        json!([r1.id.to_string(), r2.id.to_string()])
    );
    // Rules make a violation whatever the category says, as on Mastodon.
    let b = report(
        &app,
        Some(&ta),
        json!({"account_id": target, "category": "spam", "rule_ids": [r1.id.to_string()]}),
    )
    .await;
    assert_eq!(b.body["category"], "violation", "{}", b.text);
    // A violation without rules, or with one that does not exist: 422.
    for body in [
        json!({"account_id": target, "category": "violation"}),
        json!({"account_id": target, "category": "violation", "rule_ids": ["123"]}),
        json!({"account_id": target, "rule_ids": [r1.id.to_string(), "123"]}),
        json!({"account_id": target, "rule_ids": ["first"]}),
    ] {
        let e = report(&app, Some(&ta), body.clone()).await;
        assert_eq!(
            e.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            e.text
        );
        assert_eq!(
            e.error(),
            "Validation failed: Rule ids does not reference valid rules"
        );
    }
}

#[tokio::test]
async fn bad_reports_are_refused_and_leave_nothing() {
    let (app, _clock) = clocked().await;
    let (_alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let (_carol, tc) = user(&app, "carol").await;
    let (_reader, tr) = user_with(&app, "reader", false, "read").await;
    let bobs = post(&app, &tb, json!({"status": "hi"})).await;
    let carols = post(&app, &tc, json!({"status": "hello"})).await;
    let target = bob.id.to_string();
    let cases: Vec<(Option<&str>, Value, StatusCode, &str)> = vec![
        (
            Some(&ta),
            json!({"account_id": "999999"}),
            StatusCode::NOT_FOUND,
            "Record not found",
        ),
        (
            Some(&ta),
            json!({"account_id": "nobody"}),
            StatusCode::NOT_FOUND,
            "Record not found",
        ),
        (
            Some(&ta),
            json!({"account_id": target, "status_ids": [carols["id"]]}),
            StatusCode::NOT_FOUND,
            "Record not found",
        ),
        (
            Some(&ta),
            json!({"account_id": target, "status_ids": [bobs["id"], "12345"]}),
            StatusCode::NOT_FOUND,
            "Record not found",
        ),
        (
            Some(&ta),
            json!({"account_id": target, "comment": "x".repeat(1001)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed: Comment is too long (maximum is 1000 characters)",
        ),
        (
            Some(&ta),
            json!({"account_id": target, "category": "rude"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed: Category is not included in the list",
        ),
        (
            Some(&ta),
            json!({}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed: Target account must exist",
        ),
        (
            Some(&tr),
            json!({"account_id": target}),
            StatusCode::FORBIDDEN,
            "This action is outside the authorized scopes",
        ),
        (
            None,
            json!({"account_id": target}),
            StatusCode::UNAUTHORIZED,
            "The access token is invalid",
        ),
    ];
    for (token, body, status, error) in cases {
        let a = report(&app, token, body.clone()).await;
        assert_eq!(a.status, status, "{body}: {}", a.text);
        assert_eq!(a.error(), error, "{body}");
    }
    // A comment of exactly 1000 characters (not bytes) is taken.
    let ok = report(
        &app,
        Some(&ta),
        json!({"account_id": target, "comment": "é".repeat(1000)}),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    // Only that one was filed.
    let (list, _) = app
        .admin_reports(Default::default(), &fedi_storage::PageRequest::newest(50))
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
}

/// A moderator (role) with a token with the admin scopes.
async fn moderator(app: &App) -> (reference_server::app::Account, String) {
    staff_user(
        app,
        "mod",
        reference_server::app::Role::Moderator,
        "read write admin:read admin:write",
    )
    .await
}

#[tokio::test]
async fn staff_are_notified_with_the_report() {
    let (app, clock) = clocked().await;
    let (m, tm) = moderator(&app).await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, _tb) = user(&app, "bob").await;
    let (_carol, tc) = user(&app, "carol").await;
    // Staff are the accounts whose role may manage reports, token or not; a demoted admin
    // is not staff any more.
    use reference_server::app::Role;
    let quiet = app.create_account("quietmod", None, false).await.unwrap();
    app.set_role(quiet.id, Role::Moderator).await.unwrap();
    let former = app.create_account("former", None, false).await.unwrap();
    app.set_role(former.id, Role::Admin).await.unwrap();
    app.set_role(former.id, Role::User).await.unwrap();
    assert_eq!(
        app.staff_accounts()
            .await
            .unwrap()
            .iter()
            .map(|a| a.id)
            .collect::<Vec<_>>(),
        vec![m.id, quiet.id]
    );
    let r = report(
        &app,
        Some(&ta),
        json!({"account_id": bob.id.to_string(), "comment": "rude"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let n = get(&app, "/api/v1/notifications", Some(&tm)).await;
    assert_eq!(n.status, StatusCode::OK, "{}", n.text);
    let list = n.body.as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", n.text);
    assert_eq!(
        list[0],
        json!({
            "id": list[0]["id"],
            "type": "admin.report",
            "created_at": T0_TEXT,
            "group_key": format!("ungrouped-{}", list[0]["id"].as_str().unwrap()),
            "account": account_entity(&app, alice.id).await,
            "report": r.body,
        })
    );
    // Grouped notifications (v2) carry the report too.
    let v2 = get(&app, "/api/v2/notifications", Some(&tm)).await;
    assert_eq!(v2.status, StatusCode::OK, "{}", v2.text);
    let group = &v2.body["notification_groups"][0];
    assert_eq!(group["type"], "admin.report");
    assert_eq!(group["report"], r.body);
    assert_eq!(group["sample_account_ids"], json!([alice.id.to_string()]));
    // The type filter knows it.
    let only = get(
        &app,
        "/api/v1/notifications?types[]=admin.report",
        Some(&tm),
    )
    .await;
    assert_eq!(only.body.as_array().unwrap().len(), 1);
    let none = get(
        &app,
        "/api/v1/notifications?exclude_types[]=admin.report",
        Some(&tm),
    )
    .await;
    assert_eq!(none.body, json!([]));
    // Another report on bob while the first is open: no new notification (Mastodon's
    // `unresolved_siblings?`); the reporter is never notified of its own report.
    clock.advance(Duration::from_secs(60));
    let again = report(&app, Some(&tc), json!({"account_id": bob.id.to_string()})).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        get(&app, "/api/v1/notifications", Some(&tm))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Non-staff are not notified.
    assert_eq!(
        get(&app, "/api/v1/notifications", Some(&tc)).await.body,
        json!([])
    );
    // Once both are resolved, a new report notifies again.
    for id in [
        r.body["id"].as_str().unwrap(),
        again.body["id"].as_str().unwrap(),
    ] {
        let a = call(
            &app,
            Method::POST,
            &format!("/api/v1/admin/reports/{id}/resolve"),
            Some(&tm),
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    }
    report(&app, Some(&tc), json!({"account_id": bob.id.to_string()})).await;
    assert_eq!(
        get(&app, "/api/v1/notifications", Some(&tm))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

fn admin_account_keys() -> Vec<&'static str> {
    let mut k = vec![
        "id",
        "username",
        "domain",
        "created_at",
        "email",
        "ip",
        "ips",
        "role",
        "confirmed",
        "suspended",
        "silenced",
        "sensitized",
        "disabled",
        "approved",
        "locale",
        "invite_request",
        "account",
    ];
    k.sort_unstable();
    k
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[tokio::test]
async fn the_admin_api_shows_and_handles_reports() {
    let (app, clock) = clocked().await;
    let (m, tm) = moderator(&app).await;
    let (alice, ta) = user(&app, "alice").await;
    let (bob, tb) = user(&app, "bob").await;
    let (carol, tc) = user(&app, "carol").await;
    let rule = app.add_rule("No spam", Some("Ads count.")).await.unwrap();
    let s = post(&app, &tb, json!({"status": "ads ads ads"})).await;
    let r1 = report(
        &app,
        Some(&ta),
        json!({"account_id": bob.id.to_string(), "status_ids": [s["id"]],
               "rule_ids": [rule.id.to_string()], "comment": "ads"}),
    )
    .await
    .body;
    clock.advance(Duration::from_secs(1));
    let r2 = report(&app, Some(&tc), json!({"account_id": alice.id.to_string()}))
        .await
        .body;
    clock.advance(Duration::from_secs(1));
    let r3 = report(&app, Some(&ta), json!({"account_id": carol.id.to_string()}))
        .await
        .body;
    let id = |r: &Value| r["id"].as_str().unwrap().to_owned();

    // Show: Mastodon's `Admin::Report`.
    let shown = get(
        &app,
        &format!("/api/v1/admin/reports/{}", id(&r1)),
        Some(&tm),
    )
    .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    let b = &shown.body;
    let mut expected_keys = vec![
        "id",
        "action_taken",
        "action_taken_at",
        "category",
        "comment",
        "forwarded",
        "created_at",
        "updated_at",
        "account",
        "target_account",
        "assigned_account",
        "action_taken_by_account",
        "statuses",
        "rules",
    ];
    expected_keys.sort_unstable();
    assert_eq!(keys(b), expected_keys);
    assert_eq!(b["id"], r1["id"]);
    assert_eq!(b["action_taken"], false);
    assert_eq!(b["action_taken_at"], Value::Null);
    assert_eq!(b["category"], "violation");
    assert_eq!(b["comment"], "ads");
    assert_eq!(b["forwarded"], false);
    assert_eq!(b["created_at"], T0_TEXT);
    assert_eq!(b["updated_at"], T0_TEXT);
    assert_eq!(b["assigned_account"], Value::Null);
    assert_eq!(b["action_taken_by_account"], Value::Null);
    assert_eq!(keys(&b["account"]), admin_account_keys());
    assert_eq!(b["account"]["id"], alice.id.to_string());
    assert_eq!(b["account"]["username"], "alice");
    assert_eq!(b["account"]["domain"], Value::Null);
    assert_eq!(
        b["account"]["account"],
        account_entity(&app, alice.id).await
    );
    assert_eq!(
        b["target_account"]["account"],
        account_entity(&app, bob.id).await
    );
    assert_eq!(b["target_account"]["suspended"], false);
    assert_eq!(b["target_account"]["ips"], json!([]));
    assert_eq!(
        b["rules"],
        json!([{"id": rule.id.to_string(), "text": "No spam", "hint": "Ads count."}])
    );
    let status = get(
        &app,
        &format!("/api/v1/statuses/{}", s["id"].as_str().unwrap()),
        Some(&tm),
    )
    .await;
    assert_eq!(b["statuses"], json!([status.body]));

    // List: open ones, newest first; filters; paging with `Link`.
    let list = get(&app, "/api/v1/admin/reports", Some(&tm)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(ids(&list.body), vec![id(&r3), id(&r2), id(&r1)]);
    let by_alice = get(
        &app,
        &format!("/api/v1/admin/reports?account_id={}", alice.id),
        Some(&tm),
    )
    .await;
    assert_eq!(ids(&by_alice.body), vec![id(&r3), id(&r1)]);
    let on_alice = get(
        &app,
        &format!("/api/v1/admin/reports?target_account_id={}", alice.id),
        Some(&tm),
    )
    .await;
    assert_eq!(ids(&on_alice.body), vec![id(&r2)]);
    let both = get(
        &app,
        &format!(
            "/api/v1/admin/reports?account_id={}&target_account_id={}",
            alice.id, carol.id
        ),
        Some(&tm),
    )
    .await;
    assert_eq!(ids(&both.body), vec![id(&r3)]);
    let page = get(&app, "/api/v1/admin/reports?limit=2", Some(&tm)).await;
    assert_eq!(ids(&page.body), vec![id(&r3), id(&r2)]);
    let link = page.header("link").unwrap().to_owned();
    assert!(
        link.contains(&format!(
            "{BASE}/api/v1/admin/reports?limit=2&max_id={}>; rel=\"next\"",
            id(&r2)
        )),
        "{link}"
    );
    let next = get(
        &app,
        &format!("/api/v1/admin/reports?limit=2&max_id={}", id(&r2)),
        Some(&tm),
    )
    .await;
    assert_eq!(ids(&next.body), vec![id(&r1)]);

    // Update: category and rules, with the violation rule.
    let r2_path = format!("/api/v1/admin/reports/{}", id(&r2));
    let put = |body: Value| json(&app, Method::PUT, &r2_path, Some(&tm), body);
    let a = put(json!({"category": "spam"})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["category"], "spam");
    assert_eq!(a.body["rules"], json!([]));
    let a = put(json!({"category": "violation"})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    assert_eq!(
        a.error(),
        "Validation failed: Rule ids does not reference valid rules"
    );
    let a = put(json!({"category": "nonsense"})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    let a = put(json!({"category": "violation", "rule_ids": [rule.id.to_string()]})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["category"], "violation");
    assert_eq!(a.body["rules"][0]["id"], rule.id.to_string());
    let a = json(
        &app,
        Method::PUT,
        "/api/v1/admin/reports/12345",
        Some(&tm),
        json!({"category": "spam"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = json(
        &app,
        Method::PUT,
        &format!("/api/v1/admin/reports/{}", id(&r2)),
        Some(&ta),
        json!({"category": "spam"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    // Assign, unassign, resolve, reopen.
    clock.advance(Duration::from_secs(60));
    let action = |what: &str, r: &Value| format!("/api/v1/admin/reports/{}/{what}", id(r));
    let a = call(
        &app,
        Method::POST,
        &action("assign_to_self", &r1),
        Some(&tm),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["assigned_account"]["id"], m.id.to_string());
    assert_eq!(a.body["updated_at"], "2027-01-15T08:01:02Z");
    let a = call(&app, Method::POST, &action("unassign", &r1), Some(&tm)).await;
    assert_eq!(a.body["assigned_account"], Value::Null);
    let a = call(&app, Method::POST, &action("resolve", &r1), Some(&tm)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["action_taken"], true);
    assert_eq!(a.body["action_taken_at"], "2027-01-15T08:01:02Z");
    assert_eq!(a.body["action_taken_by_account"]["id"], m.id.to_string());
    assert_eq!(
        ids(&get(&app, "/api/v1/admin/reports", Some(&tm)).await.body),
        vec![id(&r3), id(&r2)]
    );
    assert_eq!(
        ids(&get(&app, "/api/v1/admin/reports?resolved=true", Some(&tm))
            .await
            .body),
        vec![id(&r1)]
    );
    // The reporter sees it resolved too (in its notification's report, for staff).
    let again = call(&app, Method::POST, &action("resolve", &r1), Some(&tm)).await;
    assert_eq!(again.body["action_taken_at"], "2027-01-15T08:01:02Z");
    let a = call(&app, Method::POST, &action("reopen", &r1), Some(&tm)).await;
    assert_eq!(a.body["action_taken"], false);
    assert_eq!(a.body["action_taken_by_account"], Value::Null);
    assert_eq!(
        ids(&get(&app, "/api/v1/admin/reports", Some(&tm)).await.body),
        vec![id(&r3), id(&r2), id(&r1)]
    );
    assert_eq!(
        get(&app, "/api/v1/admin/reports?resolved=true", Some(&tm))
            .await
            .body,
        json!([])
    );
}

#[tokio::test]
async fn the_admin_reports_api_needs_its_scopes() {
    let (app, _clock) = clocked().await;
    let (_m, tm) = moderator(&app).await;
    let (_alice, ta) = user(&app, "alice").await;
    let (bob, _tb) = user(&app, "bob").await;
    let (_r, tr) = staff_user(
        &app,
        "reader",
        reference_server::app::Role::Moderator,
        "admin:read:reports",
    )
    .await;
    let r = report(&app, Some(&ta), json!({"account_id": bob.id.to_string()}))
        .await
        .body;
    let id = r["id"].as_str().unwrap();
    // A user token (read write follow push) has no admin scope: 403.
    for (m, path) in [
        (Method::GET, "/api/v1/admin/reports".to_owned()),
        (Method::GET, format!("/api/v1/admin/reports/{id}")),
        (Method::POST, format!("/api/v1/admin/reports/{id}/resolve")),
    ] {
        let a = call(&app, m.clone(), &path, Some(&ta)).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}: {}", a.text);
        assert_eq!(a.error(), "This action is outside the authorized scopes");
        let a = call(&app, m, &path, None).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    // `admin:read:reports` reads but does not write.
    assert_eq!(
        get(&app, "/api/v1/admin/reports", Some(&tr)).await.status,
        StatusCode::OK
    );
    let a = call(
        &app,
        Method::POST,
        &format!("/api/v1/admin/reports/{id}/resolve"),
        Some(&tr),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a
        .header("www-authenticate")
        .unwrap()
        .contains("admin:write admin:write:reports"));
    // Unknown ids and actions: 404; bad filters: 422.
    for (m, path) in [
        (Method::GET, "/api/v1/admin/reports/12345".to_owned()),
        (Method::GET, "/api/v1/admin/reports/abc".to_owned()),
        (
            Method::POST,
            "/api/v1/admin/reports/12345/resolve".to_owned(),
        ),
        (Method::POST, format!("/api/v1/admin/reports/{id}/explode")),
    ] {
        let a = call(&app, m, &path, Some(&tm)).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}: {}", a.text);
        assert_eq!(a.error(), "Record not found");
    }
    let a = get(&app, "/api/v1/admin/reports?account_id=me", Some(&tm)).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    // `read` does not give `admin:read`, and tokens with admin scopes can be issued.
    assert!(reference_server::api::oauth::scopes_allow(
        "admin:read",
        "admin:read:reports"
    ));
    assert!(!reference_server::api::oauth::scopes_allow(
        "read write",
        "admin:read:reports"
    ));
    assert!(!reference_server::api::oauth::scopes_allow(
        "admin:write",
        "admin:read:reports"
    ));
}

#[tokio::test]
async fn oauth_grants_give_no_admin_scopes_to_accounts() {
    let (app, _) = instance_with(|c| c.password_grant = true).await;
    app.create_account("alice", Some("alice-password"), false)
        .await
        .unwrap();
    let client = form(
        &app,
        Method::POST,
        "/api/v1/apps",
        None,
        &[
            ("client_name", "Sneaky"),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ("scopes", "read admin:read"),
        ],
    )
    .await
    .body;
    let (id, secret) = (
        client["client_id"].as_str().unwrap(),
        client["client_secret"].as_str().unwrap(),
    );
    // An account without a staff role gets its token without the admin scopes.
    for (scope, granted) in [("read admin:read", "read"), ("read", "read")] {
        let a = form(
            &app,
            Method::POST,
            "/oauth/token",
            None,
            &[
                ("grant_type", "password"),
                ("client_id", id),
                ("client_secret", secret),
                ("username", "alice"),
                ("password", "alice-password"),
                ("scope", scope),
            ],
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{scope}: {}", a.text);
        assert_eq!(a.body["scope"], granted, "{scope}: {}", a.text);
    }
    assert!(app.staff_accounts().await.unwrap().is_empty());
}
