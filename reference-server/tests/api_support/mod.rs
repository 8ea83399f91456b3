//! Shared helpers of the client API tests: an instance on a memory store and a memory
//! network, and requests built and answered in process.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use http::{HeaderMap, Method, StatusCode};
use reference_server::app::Account;
use reference_server::{App, Config};
use serde_json::Value;

pub mod media;

/// The base URL of the instance under test.
pub const BASE: &str = "https://wool.test";

/// An instance with `config` changes applied, and its network.
pub async fn instance_with(f: impl FnOnce(&mut Config)) -> (App, Arc<MemoryNetwork>) {
    let mut config = Config {
        base_url: BASE.into(),
        ..Config::default()
    };
    f(&mut config);
    let net = Arc::new(MemoryNetwork::with_seed(7));
    let app = App::new(config, Arc::new(MemoryStore::new()), net.clone())
        .await
        .unwrap();
    (app, net)
}

/// An instance with the default configuration.
pub async fn instance() -> App {
    instance_with(|_| {}).await.0
}

/// A local account (password `"{name}-password"`) and a token with `read write follow push`.
pub async fn user(app: &App, name: &str) -> (Account, String) {
    user_with(app, name, false, "read write follow push").await
}

/// A local account and a token with `scopes`.
pub async fn user_with(app: &App, name: &str, locked: bool, scopes: &str) -> (Account, String) {
    let a = app
        .create_account(name, Some(&format!("{name}-password")), locked)
        .await
        .unwrap();
    let t = reference_server::api::create_token(app, a.id, scopes)
        .await
        .unwrap();
    (a, t)
}

/// A local account with `role` (staff roles may hold admin scopes) and a token with `scopes`.
pub async fn staff_user(
    app: &App,
    name: &str,
    role: reference_server::app::Role,
    scopes: &str,
) -> (Account, String) {
    let a = app
        .create_account(name, Some(&format!("{name}-password")), false)
        .await
        .unwrap();
    app.set_role(a.id, role).await.unwrap();
    let t = reference_server::api::create_token(app, a.id, scopes)
        .await
        .unwrap();
    (a, t)
}

/// An answer: status, headers and the body parsed as JSON (`Null` if it is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// A header as a string.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The `error` of a JSON error answer, checking that it is one.
    pub fn error(&self) -> &str {
        assert!(
            self.status.is_client_error(),
            "expected a 4xx, got {}: {}",
            self.status,
            self.text
        );
        assert!(
            self.header("content-type")
                .unwrap_or("")
                .starts_with("application/json"),
            "errors are JSON: {:?}",
            self.headers
        );
        self.body["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error field in {}", self.text))
    }
}

/// Sends a request built by hand.
pub async fn send(app: &App, req: http::Request<Bytes>) -> Answer {
    let resp = reference_server::api::handle(app, &req)
        .await
        .unwrap_or_else(|| panic!("{} is not an API path", req.uri()));
    let (parts, body) = resp.into_parts();
    let text = String::from_utf8_lossy(&body).into_owned();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        text,
    }
}

fn builder(method: Method, path: &str, token: Option<&str>) -> http::request::Builder {
    let mut b = http::Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b
}

/// A request without a body.
pub async fn call(app: &App, method: Method, path: &str, token: Option<&str>) -> Answer {
    send(
        app,
        builder(method, path, token).body(Bytes::new()).unwrap(),
    )
    .await
}

/// `GET path`.
pub async fn get(app: &App, path: &str, token: Option<&str>) -> Answer {
    call(app, Method::GET, path, token).await
}

/// A request with a JSON body.
pub async fn json(
    app: &App,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> Answer {
    send(
        app,
        builder(method, path, token)
            .header("content-type", "application/json")
            .body(Bytes::from(body.to_string()))
            .unwrap(),
    )
    .await
}

/// A request with a form body.
pub async fn form(
    app: &App,
    method: Method,
    path: &str,
    token: Option<&str>,
    fields: &[(&str, &str)],
) -> Answer {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        ser.append_pair(k, v);
    }
    send(
        app,
        builder(method, path, token)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Bytes::from(ser.finish()))
            .unwrap(),
    )
    .await
}

/// Posts a status with `fields` (JSON) and returns it.
pub async fn post(app: &App, token: &str, fields: Value) -> Value {
    let a = json(app, Method::POST, "/api/v1/statuses", Some(token), fields).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    a.body
}

/// The ids of a list of entities.
pub fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}
