//! OAuth 2 through the client API: applications, the sign-in page, codes with PKCE, tokens,
//! scopes, revocation and discovery.
#![allow(clippy::unwrap_used)]

use crate::api_support as support;

use base64::Engine as _;
use http::{Method, StatusCode};
use reference_server::App;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::*;

async fn register(app: &App, redirect: &str, scopes: &str) -> Value {
    let a = form(
        app,
        Method::POST,
        "/api/v1/apps",
        None,
        &[
            ("client_name", "Test Client"),
            ("redirect_uris", redirect),
            ("scopes", scopes),
            ("website", "https://client.example"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.body
}

fn query_of(location: &str) -> Vec<(String, String)> {
    let u = url::Url::parse(location).unwrap();
    u.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param(pairs: &[(String, String)], k: &str) -> Option<String> {
    pairs.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone())
}

#[tokio::test]
async fn apps_register_from_forms_and_json() {
    let app = instance().await;
    let a = register(&app, "https://client.example/cb", "read write").await;
    assert_eq!(a["name"], "Test Client");
    assert_eq!(a["website"], "https://client.example");
    assert_eq!(a["redirect_uri"], "https://client.example/cb");
    assert_eq!(a["redirect_uris"], json!(["https://client.example/cb"]));
    assert_eq!(a["scopes"], json!(["read", "write"]));
    assert!(a["id"].as_str().unwrap().parse::<u64>().is_ok());
    assert!(a["client_id"].as_str().unwrap().len() >= 40);
    assert!(a["client_secret"].as_str().unwrap().len() >= 40);
    // The VAPID key is an uncompressed P-256 point: 65 bytes starting with 0x04.
    let vapid = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(a["vapid_key"].as_str().unwrap())
        .unwrap();
    assert_eq!((vapid.len(), vapid[0]), (65, 4));

    let j = json(
        &app,
        Method::POST,
        "/api/v1/apps",
        None,
        json!({"client_name": "J", "redirect_uris": ["https://j.example/a", "urn:ietf:wg:oauth:2.0:oob"]}),
    )
    .await;
    assert_eq!(j.status, StatusCode::OK, "{}", j.text);
    assert_eq!(
        j.body["redirect_uri"],
        "https://j.example/a\nurn:ietf:wg:oauth:2.0:oob"
    );
    assert_eq!(j.body["scopes"], json!(["read"]));
    assert_eq!(j.header("access-control-allow-origin"), Some("*"));

    // Errors are JSON 422s.
    let e = json(
        &app,
        Method::POST,
        "/api/v1/apps",
        None,
        json!({"redirect_uris": "https://x.example"}),
    )
    .await;
    assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e.error().contains("name"));
    let e = json(
        &app,
        Method::POST,
        "/api/v1/apps",
        None,
        json!({"client_name": "x", "redirect_uris": "not a uri"}),
    )
    .await;
    assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e.error().contains("Redirect URI"));
    let e = json(
        &app,
        Method::POST,
        "/api/v1/apps",
        None,
        json!({"client_name": "x", "scopes": "read admin:all"}),
    )
    .await;
    assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
    let e = send(
        &app,
        http::Request::post("/api/v1/apps")
            .header("content-type", "application/json")
            .body(bytes::Bytes::from_static(b"{not json"))
            .unwrap(),
    )
    .await;
    assert_eq!(e.status, StatusCode::BAD_REQUEST);
    e.error();
}

async fn sign_in(
    app: &App,
    client: &Value,
    extra: &[(&str, &str)],
    password: &str,
) -> support::Answer {
    let mut fields = vec![
        ("client_id", client["client_id"].as_str().unwrap()),
        ("redirect_uri", client["redirect_uri"].as_str().unwrap()),
        ("response_type", "code"),
        ("username", "alice"),
        ("password", password),
        ("decision", "approve"),
    ];
    fields.extend_from_slice(extra);
    form(app, Method::POST, "/oauth/authorize", None, &fields).await
}

#[tokio::test]
async fn authorization_code_flow_with_pkce() {
    let app = instance().await;
    app.create_account("alice", Some("alice-password"), false)
        .await
        .unwrap();
    let client = register(&app, "https://client.example/cb", "read write follow").await;
    let cid = client["client_id"].as_str().unwrap();

    // The sign-in page is a form carrying the request.
    let verifier = "a-long-random-verifier-string-of-at-least-43-characters-0123456789";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    let q = format!(
        "/oauth/authorize?response_type=code&client_id={cid}&redirect_uri={}&scope=read+write&state=xyz&code_challenge={challenge}&code_challenge_method=S256",
        "https%3A%2F%2Fclient.example%2Fcb"
    );
    let page = get(&app, &q, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    for needle in [
        "<form method=\"post\" action=\"/oauth/authorize\">",
        "name=\"username\"",
        "name=\"password\"",
        &format!("name=\"code_challenge\" value=\"{challenge}\""),
        "name=\"state\" value=\"xyz\"",
        "Test Client",
    ] {
        assert!(
            page.text.contains(needle),
            "{needle} missing from {}",
            page.text
        );
    }
    // An unknown client or redirect URI gets an error page, not a redirect.
    let bad = get(
        &app,
        "/oauth/authorize?client_id=nope&response_type=code",
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text.contains("unknown client"));
    let bad = get(
        &app,
        &format!("/oauth/authorize?client_id={cid}&redirect_uri=https%3A%2F%2Fevil.example%2F"),
        None,
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.header("location").is_none());

    let pkce = [
        ("scope", "read write"),
        ("state", "xyz"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    // A wrong password shows the form again.
    let wrong = sign_in(&app, &client, &pkce, "nope").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text.contains("Invalid username or password"));
    assert!(wrong.header("location").is_none());

    let ok = sign_in(&app, &client, &pkce, "alice-password").await;
    assert_eq!(ok.status, StatusCode::FOUND, "{}", ok.text);
    let loc = ok.header("location").unwrap();
    assert!(loc.starts_with("https://client.example/cb?"));
    let pairs = query_of(loc);
    assert_eq!(param(&pairs, "state").as_deref(), Some("xyz"));
    let code = param(&pairs, "code").unwrap();

    // A wrong verifier is refused, and burns the code.
    let secret = client["client_secret"].as_str().unwrap();
    let t = form(
        &app,
        Method::POST,
        "/oauth/token",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", cid),
            ("client_secret", secret),
            ("redirect_uri", "https://client.example/cb"),
            ("code_verifier", "wrong-verifier"),
        ],
    )
    .await;
    assert_eq!(t.status, StatusCode::BAD_REQUEST);
    assert_eq!(t.body["error"], "invalid_grant");

    // Again, right this time; a public client (no secret) with PKCE, JSON body.
    let ok = sign_in(&app, &client, &pkce, "alice-password").await;
    let code = param(&query_of(ok.header("location").unwrap()), "code").unwrap();
    let t = json(
        &app,
        Method::POST,
        "/oauth/token",
        None,
        json!({
            "grant_type": "authorization_code", "code": code, "client_id": cid,
            "redirect_uri": "https://client.example/cb", "code_verifier": verifier,
        }),
    )
    .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text);
    assert_eq!(t.body["token_type"], "Bearer");
    assert_eq!(t.body["scope"], "read write");
    assert!(t.body["created_at"].as_u64().unwrap() > 1_600_000_000);
    assert_eq!(t.header("access-control-allow-origin"), Some("*"));
    let token = t.body["access_token"].as_str().unwrap().to_owned();
    // The code works once.
    let again = json(
        &app,
        Method::POST,
        "/oauth/token",
        None,
        json!({
            "grant_type": "authorization_code", "code": code, "client_id": cid,
            "redirect_uri": "https://client.example/cb", "code_verifier": verifier,
        }),
    )
    .await;
    assert_eq!(again.body["error"], "invalid_grant");

    // The token signs alice in, and knows its app.
    let me = get(&app, "/api/v1/accounts/verify_credentials", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["username"], "alice");
    let va = get(&app, "/api/v1/apps/verify_credentials", Some(&token)).await;
    assert_eq!(va.body["name"], "Test Client");
    assert!(va.body.get("client_secret").is_none());
    // The token is stored as a digest, never as itself.
    let stored = app
        .store()
        .kv_scan("oauth.tokens", b"", None, 100)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let digest: String = Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(stored[0].0, digest.as_bytes());
    assert!(!String::from_utf8_lossy(&stored[0].1).contains(&token));

    // Scopes beyond the app's are refused at the page.
    let wide = get(
        &app,
        &format!("/oauth/authorize?client_id={cid}&response_type=code&scope=push"),
        None,
    )
    .await;
    assert_eq!(wide.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn code_without_pkce_needs_the_secret_and_deny_redirects() {
    let app = instance().await;
    app.create_account("alice", Some("alice-password"), false)
        .await
        .unwrap();
    let client = register(&app, "https://client.example/cb", "read").await;
    let cid = client["client_id"].as_str().unwrap();
    let ok = sign_in(&app, &client, &[], "alice-password").await;
    let pairs = query_of(ok.header("location").unwrap());
    assert!(param(&pairs, "state").is_none());
    let code = param(&pairs, "code").unwrap();
    let t = form(
        &app,
        Method::POST,
        "/oauth/token",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", cid),
        ],
    )
    .await;
    assert_eq!(t.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.body["error"], "invalid_client");
    // Doorkeeper's challenge comes with every OAuth error, naming the same error.
    assert_eq!(
        t.body["error_description"],
        "Client authentication failed: client_secret is required without PKCE."
    );
    assert_eq!(
        t.header("www-authenticate"),
        Some(
            "Bearer realm=\"Doorkeeper\", error=\"invalid_client\", error_description=\"Client \
             authentication failed: client_secret is required without PKCE.\""
        )
    );

    let ok = sign_in(&app, &client, &[], "alice-password").await;
    let code = param(&query_of(ok.header("location").unwrap()), "code").unwrap();
    // Client authentication with HTTP Basic.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{cid}:{}",
        client["client_secret"].as_str().unwrap()
    ));
    let t = send(&app, http::Request::post("/oauth/token")
        .header("authorization", format!("Basic {basic}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(bytes::Bytes::from(format!("grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fclient.example%2Fcb")))
        .unwrap()).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text);
    assert_eq!(t.body["scope"], "read");

    let denied = form(
        &app,
        Method::POST,
        "/oauth/authorize",
        None,
        &[
            ("client_id", cid),
            ("redirect_uri", "https://client.example/cb"),
            ("state", "s1"),
            ("decision", "deny"),
        ],
    )
    .await;
    assert_eq!(denied.status, StatusCode::FOUND);
    let pairs = query_of(denied.header("location").unwrap());
    assert_eq!(param(&pairs, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&pairs, "state").as_deref(), Some("s1"));
    assert!(param(&pairs, "code").is_none());
}

#[tokio::test]
async fn out_of_band_shows_the_code() {
    let app = instance().await;
    app.create_account("alice", Some("alice-password"), false)
        .await
        .unwrap();
    let client = register(&app, "urn:ietf:wg:oauth:2.0:oob", "read write").await;
    let shown = sign_in(&app, &client, &[], "alice-password").await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.header("location").is_none());
    let start = shown.text.find("<code id=\"code\">").unwrap() + "<code id=\"code\">".len();
    let code = &shown.text[start..start + shown.text[start..].find('<').unwrap()];
    let t = form(
        &app,
        Method::POST,
        "/oauth/token",
        None,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", client["client_id"].as_str().unwrap()),
            ("client_secret", client["client_secret"].as_str().unwrap()),
            ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
        ],
    )
    .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text);
    assert_eq!(t.body["scope"], "read write");
}

#[tokio::test]
async fn client_credentials_password_grant_and_revoke() {
    let (app, _) = instance_with(|c| c.password_grant = false).await;
    app.create_account("alice", Some("alice-password"), false)
        .await
        .unwrap();
    let client = register(&app, "urn:ietf:wg:oauth:2.0:oob", "read write").await;
    let cid = client["client_id"].as_str().unwrap();
    let secret = client["client_secret"].as_str().unwrap();

    let cc = form(
        &app,
        Method::POST,
        "/oauth/token",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", cid),
            ("client_secret", secret),
            ("scope", "read"),
        ],
    )
    .await;
    assert_eq!(cc.status, StatusCode::OK, "{}", cc.text);
    let app_token = cc.body["access_token"].as_str().unwrap().to_owned();
    // An app token is not a user.
    let v = get(&app, "/api/v1/apps/verify_credentials", Some(&app_token)).await;
    assert_eq!(v.body["name"], "Test Client");
    let u = get(
        &app,
        "/api/v1/accounts/verify_credentials",
        Some(&app_token),
    )
    .await;
    assert_eq!(u.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(u.error(), "This method requires an authenticated user");
    // A wrong secret, and scopes the app lacks.
    let bad = form(
        &app,
        Method::POST,
        "/oauth/token",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", cid),
            ("client_secret", "x"),
        ],
    )
    .await;
    assert_eq!(
        (bad.status, bad.body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let wide = form(
        &app,
        Method::POST,
        "/oauth/token",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", cid),
            ("client_secret", secret),
            ("scope", "follow"),
        ],
    )
    .await;
    assert_eq!(wide.body["error"], "invalid_scope");
    // The password grant is off by default.
    let pw = form(
        &app,
        Method::POST,
        "/oauth/token",
        None,
        &[
            ("grant_type", "password"),
            ("client_id", cid),
            ("client_secret", secret),
            ("username", "alice"),
            ("password", "alice-password"),
        ],
    )
    .await;
    assert_eq!(pw.body["error"], "unsupported_grant_type");
    let none = form(&app, Method::POST, "/oauth/token", None, &[]).await;
    assert_eq!(none.body["error"], "invalid_request");

    // Revocation: the token stops working.
    let r = form(
        &app,
        Method::POST,
        "/oauth/revoke",
        None,
        &[
            ("client_id", cid),
            ("client_secret", secret),
            ("token", &app_token),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({}));
    let v = get(&app, "/api/v1/apps/verify_credentials", Some(&app_token)).await;
    assert_eq!(v.status, StatusCode::UNAUTHORIZED);
    assert_eq!(v.error(), "The access token is invalid");
}

#[tokio::test]
async fn password_grant_when_switched_on() {
    let (app, _) = instance_with(|c| c.password_grant = true).await;
    app.create_account("alice", Some("alice-password"), false)
        .await
        .unwrap();
    let client = register(&app, "urn:ietf:wg:oauth:2.0:oob", "read write").await;
    let fields = |pw: &'static str| {
        vec![
            ("grant_type", "password"),
            ("client_id", client["client_id"].as_str().unwrap()),
            ("client_secret", client["client_secret"].as_str().unwrap()),
            ("username", "alice"),
            ("password", pw),
            ("scope", "read write"),
        ]
    };
    let bad = form(&app, Method::POST, "/oauth/token", None, &fields("wrong")).await;
    assert_eq!(bad.body["error"], "invalid_grant");
    let ok = form(
        &app,
        Method::POST,
        "/oauth/token",
        None,
        &fields("alice-password"),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    let me = get(
        &app,
        "/api/v1/accounts/verify_credentials",
        ok.body["access_token"].as_str(),
    )
    .await;
    assert_eq!(me.body["acct"], "alice");
    let meta = get(&app, "/.well-known/oauth-authorization-server", None).await;
    assert!(meta.body["grant_types_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("password")));
}

#[tokio::test]
async fn discovery_document() {
    let app = instance().await;
    let m = get(&app, "/.well-known/oauth-authorization-server", None).await;
    assert_eq!(m.status, StatusCode::OK);
    assert_eq!(m.body["issuer"], "https://wool.test/");
    assert_eq!(
        m.body["authorization_endpoint"],
        "https://wool.test/oauth/authorize"
    );
    assert_eq!(m.body["token_endpoint"], "https://wool.test/oauth/token");
    assert_eq!(
        m.body["revocation_endpoint"],
        "https://wool.test/oauth/revoke"
    );
    assert_eq!(
        m.body["app_registration_endpoint"],
        "https://wool.test/api/v1/apps"
    );
    assert_eq!(m.body["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(m.body["response_types_supported"], json!(["code"]));
    assert_eq!(
        m.body["grant_types_supported"],
        json!(["authorization_code", "client_credentials"])
    );
    let scopes = m.body["scopes_supported"].as_array().unwrap();
    for s in [
        "read",
        "write",
        "follow",
        "push",
        "read:statuses",
        "write:favourites",
    ] {
        assert!(scopes.contains(&json!(s)), "{s}");
    }
    assert_eq!(m.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn tokens_and_scopes_are_enforced() {
    let app = instance().await;
    let (_, read_only) = user_with(&app, "reader", false, "read").await;
    let (_, granular) = user_with(&app, "granular", false, "read:accounts write:favourites").await;
    // No token, a bad token, a token without the scope.
    let none = get(&app, "/api/v1/timelines/home", None).await;
    assert_eq!(
        (none.status, none.error()),
        (StatusCode::UNAUTHORIZED, "The access token is invalid")
    );
    let bad = get(&app, "/api/v1/timelines/home", Some("not-a-token")).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    // A bad token is refused even where no token is needed.
    let bad = get(&app, "/api/v1/timelines/public", Some("not-a-token")).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    let w = json(
        &app,
        Method::POST,
        "/api/v1/statuses",
        Some(&read_only),
        json!({"status": "hi"}),
    )
    .await;
    assert_eq!(
        (w.status, w.error()),
        (
            StatusCode::FORBIDDEN,
            "This action is outside the authorized scopes"
        )
    );
    let h = get(&app, "/api/v1/timelines/home", Some(&granular)).await;
    assert_eq!(h.status, StatusCode::FORBIDDEN);
    let me = get(&app, "/api/v1/accounts/verify_credentials", Some(&granular)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        get(&app, "/api/v1/timelines/home", Some(&read_only))
            .await
            .status,
        StatusCode::OK
    );
    // A `woolly token create` token answers as the application `woolly`.
    let v = get(&app, "/api/v1/apps/verify_credentials", Some(&granular)).await;
    assert_eq!(v.body["name"], "woolly");
    assert_eq!(
        v.body["scopes"],
        json!(["read:accounts", "write:favourites"])
    );
    // `woolly token create` refuses unknown scopes and accounts.
    assert!(reference_server::api::create_token(&app, 1, "read")
        .await
        .is_err());
    let acc = app.account_by_acct("reader").await.unwrap().unwrap();
    assert!(
        reference_server::api::create_token(&app, acc.id, "read admin:everything")
            .await
            .is_err()
    );
    // CORS preflight.
    let pre = call(&app, Method::OPTIONS, "/api/v1/statuses", None).await;
    assert_eq!(pre.status, StatusCode::NO_CONTENT);
    assert!(pre
        .header("access-control-allow-headers")
        .unwrap()
        .contains("Authorization"));
}
