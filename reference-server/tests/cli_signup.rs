//! Sign-up with real `woolly` processes: `woolly admin invite` on a data directory with no
//! server running (the store opened directly), then, while `woolly serve` runs with
//! `registrations = "approved"`, sign-ups over HTTP and `woolly admin accounts
//! pending|approve|reject` through the admin endpoint.

#![allow(clippy::unwrap_used)]

use crate::common;

use common::{Api, Woolly};
use serde_json::{json, Value};

/// An application token (`read write`) of a new app, by the client-credentials grant.
fn app_token(base: &str) -> String {
    let anon = Api::new(base, None);
    let client = anon
        .post(
            "/api/v1/apps",
            json!({"client_name": "cli-signup", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write"}),
        )
        .ok();
    let t = anon
        .post(
            "/oauth/token",
            json!({
                "grant_type": "client_credentials",
                "client_id": client["client_id"],
                "client_secret": client["client_secret"],
                "scope": "read write",
            }),
        )
        .ok();
    t["access_token"].as_str().unwrap().to_owned()
}

fn sign_up(base: &str, token: &str, form: Value) -> common::Resp {
    Api::new(base, Some(token)).post("/api/v1/accounts", form)
}

fn status_of(base: &str, user_token: &str) -> u16 {
    Api::new(base, Some(user_token))
        .get("/api/v1/accounts/verify_credentials")
        .status
}

#[test]
fn admin_invite_and_approval_commands() {
    let ip = "127.0.0.2";
    let mut w = Woolly::prepare_with(
        "signup",
        ip,
        common::free_port(ip),
        "registrations = \"approved\"",
    );
    // No server yet: the store is opened directly.
    let out = w.cli(&["admin", "invite", "--max-uses", "1", "--expires-in", "3600"]);
    let code = out.stdout.trim().to_owned();
    assert_eq!(code.len(), 8, "{}", out.stdout);
    w.start();
    let base = w.base.clone();
    let app = app_token(&base);

    // Waiting for approval: the token answers 403 until `approve`.
    let r = sign_up(
        &base,
        &app,
        json!({"username": "waiting", "password": "long-enough-pw", "agreement": true, "reason": "I knit."}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    let waiting = r.json["access_token"].as_str().unwrap().to_owned();
    assert_eq!(status_of(&base, &waiting), 403);
    let stream = Api::new(&base, None).get_q(
        "/api/v1/streaming/user",
        &[("access_token", waiting.as_str())],
    );
    assert_eq!(stream.status, 403, "{}", stream.text);
    assert_eq!(
        stream.json["error"],
        "Your login is currently pending approval"
    );
    let pending = w.cli(&["admin", "accounts", "pending"]).stdout;
    assert!(pending.contains("pending\twaiting\t"), "{pending}");
    assert!(pending.contains("I knit."), "{pending}");
    assert!(
        pending.contains("queue\tpending_approval\twaiting"),
        "{pending}"
    );
    let out = w.cli(&["admin", "accounts", "approve", "waiting"]).stdout;
    assert!(out.contains("approved waiting"), "{out}");
    assert_eq!(status_of(&base, &waiting), 200);

    // The invite skips approval, once.
    let r = sign_up(
        &base,
        &app,
        json!({"username": "invited", "password": "long-enough-pw", "agreement": true, "invite_code": code}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        status_of(&base, r.json["access_token"].as_str().unwrap()),
        200
    );
    let r = sign_up(
        &base,
        &app,
        json!({"username": "late", "password": "long-enough-pw", "agreement": true, "invite_code": code}),
    );
    assert_eq!(
        r.status, 422,
        "used up: approval again, and a reason: {}",
        r.text
    );
    assert_eq!(r.json["details"]["reason"][0]["error"], "ERR_BLANK");

    // Rejected: the account and its token are gone.
    let r = sign_up(
        &base,
        &app,
        json!({"username": "spammy", "password": "long-enough-pw", "agreement": true, "reason": "buy"}),
    );
    let spammy = r.json["access_token"].as_str().unwrap().to_owned();
    let out = w.cli(&["admin", "accounts", "reject", "spammy"]).stdout;
    assert!(out.contains("rejected spammy"), "{out}");
    assert_eq!(status_of(&base, &spammy), 401);
    assert_eq!(
        Api::new(&base, None)
            .get("/api/v1/accounts/lookup?acct=spammy")
            .status,
        404
    );
    assert!(w.stop(), "woolly serve stops cleanly");
}
