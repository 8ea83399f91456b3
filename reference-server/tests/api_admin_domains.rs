//! The admin API for domain blocks and allows (`/api/v1/admin/domain_blocks`,
//! `/api/v1/admin/domain_allows`) and the public list (`/api/v1/instance/domain_blocks`):
//! Mastodon's exact entities, the 404 / 422 / 403 paths, paging, and the rules reaching the
//! engine's inbound policies.
#![allow(clippy::unwrap_used)]

use http::{Method, StatusCode};
use reference_server::config::Disclosure;
use serde_json::{json, Value};

use reference_server::app::Role;

use crate::api_support::{
    self as support, call, get, instance, instance_with, staff_user, user_with,
};

const ADMIN: &str = "read write admin:read admin:write";

fn sha256(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The entity without `id` and `created_at` (checked apart).
fn without_id(v: &Value) -> Value {
    let mut v = v.clone();
    let o = v.as_object_mut().unwrap();
    let id = o.remove("id").unwrap();
    assert!(id.as_str().unwrap().parse::<u64>().is_ok(), "id {id}");
    let created = o.remove("created_at").unwrap();
    assert!(
        created.as_str().unwrap().ends_with('Z') && created.as_str().unwrap().contains('T'),
        "created_at {created}"
    );
    v
}

#[tokio::test]
async fn domain_blocks_are_created_shown_changed_and_lifted() {
    let app = instance().await;
    let (_, admin) = staff_user(&app, "root", Role::Admin, ADMIN).await;
    let created = support::json(
        &app,
        Method::POST,
        "/api/v1/admin/domain_blocks",
        Some(&admin),
        json!({"domain": "Spam.Example", "severity": "suspend", "reject_media": true,
               "private_comment": "spam wave", "public_comment": "Spam", "obfuscate": true}),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    assert_eq!(
        without_id(&created.body),
        json!({
            "domain": "spam.example",
            "digest": sha256("spam.example"),
            "severity": "suspend",
            "reject_media": true,
            "reject_reports": false,
            "private_comment": "spam wave",
            "public_comment": "Spam",
            "obfuscate": true,
        })
    );
    // The key order is Mastodon's too.
    let keys: Vec<&str> = created
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "domain",
            "digest",
            "created_at",
            "severity",
            "reject_media",
            "reject_reports",
            "private_comment",
            "public_comment",
            "obfuscate"
        ]
    );
    let id = created.body["id"].as_str().unwrap().to_owned();
    let shown = get(
        &app,
        &format!("/api/v1/admin/domain_blocks/{id}"),
        Some(&admin),
    )
    .await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.body, created.body);

    // Defaults: severity silence, flags off, comments null.
    let quiet = support::json(
        &app,
        Method::POST,
        "/api/v1/admin/domain_blocks",
        Some(&admin),
        json!({"domain": "loud.example"}),
    )
    .await;
    assert_eq!(quiet.status, StatusCode::OK, "{}", quiet.text);
    assert_eq!(
        without_id(&quiet.body),
        json!({"domain": "loud.example", "digest": sha256("loud.example"), "severity": "silence",
               "reject_media": false, "reject_reports": false, "private_comment": null,
               "public_comment": null, "obfuscate": false})
    );
    let quiet_id = quiet.body["id"].as_str().unwrap().to_owned();

    // Newest first.
    let list = get(&app, "/api/v1/admin/domain_blocks", Some(&admin)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body, json!([quiet.body, created.body]));
    // Paged with Link headers.
    let first = get(&app, "/api/v1/admin/domain_blocks?limit=1", Some(&admin)).await;
    assert_eq!(support::ids(&first.body), [quiet_id.as_str()]);
    let link = first.header("link").unwrap().to_owned();
    assert!(
        link.contains(&format!(
            "/api/v1/admin/domain_blocks?limit=1&max_id={quiet_id}>; rel=\"next\""
        )),
        "{link}"
    );
    let next = get(
        &app,
        &format!("/api/v1/admin/domain_blocks?limit=1&max_id={quiet_id}"),
        Some(&admin),
    )
    .await;
    assert_eq!(support::ids(&next.body), [id.as_str()]);

    // Changed: severity and flags; the domain stays.
    let changed = support::json(
        &app,
        Method::PUT,
        &format!("/api/v1/admin/domain_blocks/{quiet_id}"),
        Some(&admin),
        json!({"severity": "noop", "reject_reports": true, "domain": "ignored.example"}),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.body["domain"], "loud.example");
    assert_eq!(changed.body["severity"], "noop");
    assert_eq!(changed.body["reject_reports"], true);
    assert_eq!(changed.body["id"], quiet_id.as_str());

    // The rules follow.
    let rules = app.domain_rules();
    assert!(rules.suspended.contains("eu.spam.example"));
    assert!(rules.reject_media.contains("spam.example"));
    assert!(rules.reject_reports.contains("loud.example"));
    assert!(!rules.silenced.contains("loud.example"));
    assert!(app
        .engine()
        .policies()
        .admit("https://spam.example/users/x")
        .is_err());

    // Lifted: `{}`, then 404.
    let gone = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/admin/domain_blocks/{id}"),
        Some(&admin),
    )
    .await;
    assert_eq!(gone.status, StatusCode::OK);
    assert_eq!(gone.body, json!({}));
    assert!(app
        .engine()
        .policies()
        .admit("https://spam.example/users/x")
        .is_ok());
    let again = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/admin/domain_blocks/{id}"),
        Some(&admin),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.error(), "Record not found");
}

#[tokio::test]
async fn bad_domain_blocks_are_refused() {
    let app = instance().await;
    let (_, admin) = staff_user(&app, "root", Role::Admin, ADMIN).await;
    let (_, user) = user_with(&app, "joe", false, "read write follow").await;
    let post = |token: String, body: Value| {
        let app = app.clone();
        async move {
            support::json(
                &app,
                Method::POST,
                "/api/v1/admin/domain_blocks",
                Some(&token),
                body,
            )
            .await
        }
    };
    // No domain; a bad one; a bad severity: 422.
    let a = post(admin.clone(), json!({"severity": "suspend"})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.error(), "Validation failed: Domain can't be blank");
    let a = post(admin.clone(), json!({"domain": "not a domain"})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    let a = post(
        admin.clone(),
        json!({"domain": "x.example", "severity": "ban"}),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.text);
    // The same domain twice, or a subdomain of a stricter block: 422 naming the block.
    let first = post(
        admin.clone(),
        json!({"domain": "bad.example", "severity": "suspend"}),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK);
    for d in ["bad.example", "eu.bad.example"] {
        let dup = post(admin.clone(), json!({"domain": d, "severity": "silence"})).await;
        assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", dup.text);
        assert_eq!(
            dup.body,
            json!({"error": "You have already imposed stricter limits on bad.example.",
                   "existing_domain_block": first.body})
        );
    }
    // A stricter block of a subdomain of a silenced domain is taken.
    post(admin.clone(), json!({"domain": "quiet.example"})).await;
    let sub = post(
        admin.clone(),
        json!({"domain": "x.quiet.example", "severity": "suspend"}),
    )
    .await;
    assert_eq!(sub.status, StatusCode::OK, "{}", sub.text);
    // Unknown or malformed ids: 404.
    for path in [
        "/api/v1/admin/domain_blocks/1",
        "/api/v1/admin/domain_blocks/nope",
    ] {
        assert_eq!(
            get(&app, path, Some(&admin)).await.status,
            StatusCode::NOT_FOUND
        );
        let put = support::json(
            &app,
            Method::PUT,
            path,
            Some(&admin),
            json!({"severity": "noop"}),
        )
        .await;
        assert_eq!(put.status, StatusCode::NOT_FOUND);
    }
    // Without the admin scopes: 403; without a token: 401.
    let a = post(user.clone(), json!({"domain": "y.example"})).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.error(), "This action is outside the authorized scopes");
    assert_eq!(
        get(&app, "/api/v1/admin/domain_blocks", Some(&user))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, "/api/v1/admin/domain_allows", Some(&user))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, "/api/v1/admin/domain_blocks", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A read-only admin token cannot write; a sub-scope is enough to read.
    let (_, reader) = staff_user(&app, "reader", Role::Admin, "admin:read:domain_blocks").await;
    assert_eq!(
        get(&app, "/api/v1/admin/domain_blocks", Some(&reader))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        post(reader, json!({"domain": "z.example"})).await.status,
        StatusCode::FORBIDDEN
    );
    // A moderator holds admin scopes but not Mastodon's `manage_federation` permission.
    let (_, moderator) = staff_user(&app, "mod", Role::Moderator, ADMIN).await;
    let refused = get(&app, "/api/v1/admin/domain_blocks", Some(&moderator)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.error(), "This action is not allowed");
    assert_eq!(
        post(moderator, json!({"domain": "m.example"})).await.status,
        StatusCode::FORBIDDEN
    );
    // Nothing half-made by the refusals.
    let list = get(&app, "/api/v1/admin/domain_blocks", Some(&admin)).await;
    let mut domains: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["domain"].as_str().unwrap())
        .collect();
    domains.sort_unstable();
    assert_eq!(domains, ["bad.example", "quiet.example", "x.quiet.example"]);
}

#[tokio::test]
async fn domain_allows_are_created_listed_and_removed() {
    let (app, _) = instance_with(|c| c.limited_federation = true).await;
    let (_, admin) = staff_user(&app, "root", Role::Admin, ADMIN).await;
    assert!(app
        .engine()
        .policies()
        .admit("https://friend.example/users/a")
        .is_err());
    let made = support::json(
        &app,
        Method::POST,
        "/api/v1/admin/domain_allows",
        Some(&admin),
        json!({"domain": "Friend.Example"}),
    )
    .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    assert_eq!(without_id(&made.body), json!({"domain": "friend.example"}));
    let keys: Vec<&str> = made
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["id", "domain", "created_at"]);
    assert!(app
        .engine()
        .policies()
        .admit("https://friend.example/users/a")
        .is_ok());
    assert!(app
        .engine()
        .policies()
        .admit("https://stranger.example/users/a")
        .is_err());
    // Allowing again gives the same allow.
    let again = support::json(
        &app,
        Method::POST,
        "/api/v1/admin/domain_allows",
        Some(&admin),
        json!({"domain": "friend.example"}),
    )
    .await;
    assert_eq!(again.body, made.body);
    let id = made.body["id"].as_str().unwrap();
    let list = get(&app, "/api/v1/admin/domain_allows", Some(&admin)).await;
    assert_eq!(list.body, json!([made.body]));
    let shown = get(
        &app,
        &format!("/api/v1/admin/domain_allows/{id}"),
        Some(&admin),
    )
    .await;
    assert_eq!(shown.body, made.body);
    let blank = support::json(
        &app,
        Method::POST,
        "/api/v1/admin/domain_allows",
        Some(&admin),
        json!({}),
    )
    .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    let gone = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/admin/domain_allows/{id}"),
        Some(&admin),
    )
    .await;
    assert_eq!((gone.status, gone.body), (StatusCode::OK, json!({})));
    assert!(app
        .engine()
        .policies()
        .admit("https://friend.example/users/a")
        .is_err());
    let missing = call(
        &app,
        Method::DELETE,
        &format!("/api/v1/admin/domain_allows/{id}"),
        Some(&admin),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&app, "/api/v1/admin/domain_allows/12", Some(&admin))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_public_list_obfuscates_and_follows_the_settings() {
    let (app, _) = instance_with(|c| {
        c.show_domain_blocks = Disclosure::All;
        c.show_domain_blocks_rationale = Disclosure::Users;
    })
    .await;
    let (_, admin) = staff_user(&app, "root", Role::Admin, ADMIN).await;
    for body in [
        json!({"domain": "zzz.example", "severity": "silence", "public_comment": "noisy"}),
        json!({"domain": "example.com", "severity": "suspend", "obfuscate": true,
               "public_comment": "awful"}),
        json!({"domain": "quiet.example", "severity": "noop"}),
        json!({"domain": "pics.example", "severity": "noop", "reject_media": true}),
    ] {
        let a = support::json(
            &app,
            Method::POST,
            "/api/v1/admin/domain_blocks",
            Some(&admin),
            body,
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    }
    let anonymous = get(&app, "/api/v1/instance/domain_blocks", None).await;
    assert_eq!(anonymous.status, StatusCode::OK, "{}", anonymous.text);
    assert_eq!(
        anonymous.body,
        json!([
            {"domain": "exa****.*om", "digest": sha256("example.com"), "severity": "suspend", "comment": null},
            {"domain": "zzz.example", "digest": sha256("zzz.example"), "severity": "silence", "comment": null},
            {"domain": "pics.example", "digest": sha256("pics.example"), "severity": "noop", "comment": null},
        ])
    );
    let (_, joe) = user_with(&app, "joe", false, "read").await;
    let signed_in = get(&app, "/api/v1/instance/domain_blocks", Some(&joe)).await;
    assert_eq!(signed_in.body[0]["comment"], "awful");
    assert_eq!(signed_in.body[1]["comment"], "noisy");
    // Not shown by default (Mastodon's `show_domain_blocks: disabled`): 404.
    let closed = instance().await;
    assert_eq!(
        get(&closed, "/api/v1/instance/domain_blocks", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
