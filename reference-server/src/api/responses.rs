//! The client API's answers: JSON, HTML pages and redirects, and error answers (a status, a
//! JSON body `{"error": …}` and, for OAuth errors, Doorkeeper's `WWW-Authenticate`
//! challenge).

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use serde_json::{json, Value};

use crate::error::Error;

/// An error answer: a status, a JSON body `{"error": …}` and, for OAuth errors, the
/// `WWW-Authenticate` challenge.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
    pub(crate) www_authenticate: Option<String>,
}

/// The realm Mastodon's OAuth provider (Doorkeeper) names in its challenges.
const REALM: &str = "Doorkeeper";

/// A `Bearer` challenge (RFC 6750 section 3) as Doorkeeper writes it, with the values
/// escaped as quoted strings.
fn bearer_challenge(error: &str, description: &str) -> String {
    let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        "Bearer realm=\"{REALM}\", error=\"{}\", error_description=\"{}\"",
        quote(error),
        quote(description)
    )
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: json!({ "error": message.into() }),
            www_authenticate: None,
        }
    }
    /// An OAuth error (`error` and `error_description`), with its challenge as Doorkeeper
    /// sends it on every OAuth error.
    pub(crate) fn oauth(status: StatusCode, error: &str, description: impl Into<String>) -> Self {
        let description = description.into();
        ApiError {
            status,
            www_authenticate: Some(bearer_challenge(error, &description)),
            body: json!({ "error": error, "error_description": description }),
        }
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub(crate) fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }
    pub(crate) fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "Record not found")
    }
    /// `401` for a missing, unknown or revoked token: Mastodon's body and Doorkeeper's
    /// `invalid_token` challenge.
    pub(crate) fn invalid_token() -> Self {
        const MESSAGE: &str = "The access token is invalid";
        let mut e = Self::new(StatusCode::UNAUTHORIZED, MESSAGE);
        e.www_authenticate = Some(bearer_challenge("invalid_token", MESSAGE));
        e
    }
    /// `403` for a token without `scope`: Mastodon's body and an `insufficient_scope`
    /// challenge naming the scopes that would do, as Mastodon's `doorkeeper_authorize!` lists
    /// them (`read read:statuses`; `follow read read:follows`; `profile read read:accounts`).
    pub(crate) fn out_of_scope(scope: &str) -> Self {
        let mut e = Self::new(
            StatusCode::FORBIDDEN,
            "This action is outside the authorized scopes",
        );
        let scopes = match scope.rsplit_once(':') {
            _ if scope == "profile" => "profile read read:accounts".to_owned(),
            Some(("admin", rest)) => {
                let family = rest.split(':').next().unwrap_or(rest);
                format!("admin:{family} {scope}")
            }
            Some((family, "follows" | "blocks" | "mutes")) => {
                format!("follow {family} {scope}")
            }
            Some((family, _)) => format!("{family} {scope}"),
            None => scope.to_owned(),
        };
        e.www_authenticate = Some(bearer_challenge(
            "insufficient_scope",
            &format!("Access to this resource requires scope \"{scopes}\"."),
        ));
        e
    }
    /// `403` for the token of an account waiting for approval, as Mastodon's `require_user!`.
    pub(crate) fn pending_approval() -> Self {
        Self::new(StatusCode::FORBIDDEN, super::oauth::PENDING_APPROVAL)
    }
    pub(crate) fn needs_user() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This method requires an authenticated user",
        )
    }
    pub(crate) fn into_response(self) -> Response<Bytes> {
        let mut resp = json_response(self.status, &self.body);
        if let Some(v) = self
            .www_authenticate
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        resp
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let status = e.status();
        let message = match &e {
            Error::NotFound(_) => "Record not found".to_owned(),
            Error::Unprocessable(m) => m.clone(),
            Error::Forbidden(m) => m.clone(),
            Error::BadRequest(m) => m.clone(),
            Error::Unauthorized(_) => return ApiError::invalid_token(),
            Error::Storage(se) if se.is_not_found() => "Record not found".to_owned(),
            _ if status.is_server_error() => {
                tracing::warn!(error = %e, "client API request failed");
                if status == StatusCode::BAD_GATEWAY {
                    format!("Remote server error: {e}")
                } else {
                    "Internal server error".to_owned()
                }
            }
            _ => e.to_string(),
        };
        ApiError::new(status, message)
    }
}

pub(crate) type ApiResult = Result<Response<Bytes>, ApiError>;

/// A JSON response: `body` (a `Value` or an entity) serialized straight to bytes.
pub(crate) fn json_response<T: serde::Serialize + ?Sized>(
    status: StatusCode,
    body: &T,
) -> Response<Bytes> {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = Response::new(Bytes::from(bytes));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `200` with JSON.
pub(crate) fn ok(body: impl serde::Serialize) -> ApiResult {
    Ok(json_response(StatusCode::OK, &body))
}

/// An HTML page.
pub(crate) fn html_response(status: StatusCode, body: String) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// A `302` to `location`.
pub(crate) fn redirect(location: &str) -> ApiResult {
    let mut resp = Response::new(Bytes::new());
    *resp.status_mut() = StatusCode::FOUND;
    let v = HeaderValue::from_str(location)
        .map_err(|_| ApiError::bad_request("invalid redirect_uri"))?;
    resp.headers_mut().insert(header::LOCATION, v);
    Ok(resp)
}
