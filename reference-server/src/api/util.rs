//! Request parameters, JSON responses, errors and paging shared by the endpoints.

use bytes::Bytes;
use fedi_storage::{Page, PageRequest};
use http::{header, HeaderValue, Response, StatusCode};
use serde_json::{json, Map, Value};

use super::multipart::{self, FilePart, Limits};
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
        let scopes = match scope.split_once(':') {
            _ if scope == "profile" => "profile read read:accounts".to_owned(),
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

/// A JSON response.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response<Bytes> {
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
pub(crate) fn ok(body: Value) -> ApiResult {
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

/// Parameters from the query string and the body (form, JSON or multipart text fields), the
/// body's winning. Form keys `a[]` collect into arrays and `a[0][b]` into nested objects.
/// A multipart body's file parts are kept beside them.
#[derive(Debug, Default, Clone)]
pub(crate) struct Params(pub(crate) Map<String, Value>, Vec<FilePart>);

fn insert_form(map: &mut Map<String, Value>, key: &str, value: String) {
    let (base, rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    let mut segments: Vec<&str> = Vec::new();
    let mut r = rest;
    while let Some(stripped) = r.strip_prefix('[') {
        match stripped.find(']') {
            Some(end) => {
                segments.push(&stripped[..end]);
                r = &stripped[end + 1..];
            }
            None => break,
        }
    }
    insert_path(map, base, &segments, value);
}

fn insert_path(map: &mut Map<String, Value>, key: &str, segments: &[&str], value: String) {
    match segments.split_first() {
        None => {
            map.insert(key.to_owned(), Value::String(value));
        }
        Some((&"", _)) => {
            let entry = map
                .entry(key.to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if !entry.is_array() {
                *entry = Value::Array(Vec::new());
            }
            if let Value::Array(a) = entry {
                a.push(Value::String(value));
            }
        }
        Some((first, rest)) => {
            let entry = map
                .entry(key.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(m) = entry {
                insert_path(m, first, rest, value);
            }
        }
    }
}

impl Params {
    /// Reads the query and the body (a multipart body within [`Limits::API`]).
    pub(crate) async fn from_request(req: &http::Request<Bytes>) -> Result<Params, ApiError> {
        let mut map = Map::new();
        if let Some(q) = req.uri().query() {
            for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
                insert_form(&mut map, &k, v.into_owned());
            }
        }
        let body = req.body();
        if body.is_empty() {
            return Ok(Params(map, Vec::new()));
        }
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if ct.starts_with("application/json") || (ct.is_empty() && body.starts_with(b"{")) {
            let v: Value = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
            match v {
                Value::Object(o) => map.extend(o),
                Value::Null => {}
                _ => return Err(ApiError::bad_request("the JSON body must be an object")),
            }
        } else if ct.starts_with("multipart/form-data") {
            // The boundary is case-sensitive: take it from the original header.
            let original = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let boundary = multipart::boundary(original)?;
            // The body is already collected: one chunk.
            let chunk = futures::stream::iter([Ok::<_, std::convert::Infallible>(body.clone())]);
            let form = multipart::read(chunk, &boundary, Limits::API).await?;
            for (k, v) in form.text {
                insert_form(&mut map, &k, v);
            }
            return Ok(Params(map, form.files));
        } else {
            for (k, v) in url::form_urlencoded::parse(body) {
                insert_form(&mut map, &k, v.into_owned());
            }
        }
        Ok(Params(map, Vec::new()))
    }

    /// The file parts of a multipart body, in order.
    #[allow(dead_code)] // read by the media upload endpoints to come
    pub(crate) fn files(&self) -> &[FilePart] {
        &self.1
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// A string (numbers and booleans as text).
    pub(crate) fn str(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A non-empty string.
    pub(crate) fn nonempty(&self, key: &str) -> Option<String> {
        self.str(key).filter(|s| !s.is_empty())
    }

    /// A boolean (`true`/`1`/`on`, `false`/`0`/`off`/empty).
    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) => Ok(Some(n.as_f64() != Some(0.0))),
            Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "true" | "1" | "on" | "t" | "yes" => Ok(Some(true)),
                "false" | "0" | "off" | "f" | "no" | "" => Ok(Some(false)),
                _ => Err(ApiError::bad_request(format!(
                    "{key}: not a boolean: {s:?}"
                ))),
            },
            Some(_) => Err(ApiError::bad_request(format!("{key}: not a boolean"))),
        }
    }

    /// A flag, false when absent.
    pub(crate) fn flag(&self, key: &str) -> Result<bool, ApiError> {
        Ok(self.bool(key)?.unwrap_or(false))
    }

    /// An unsigned number (ids and limits).
    pub(crate) fn u64(&self, key: &str) -> Result<Option<u64>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| ApiError::bad_request(format!("{key}: not a valid number"))),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .parse()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("{key}: not a valid number: {s:?}"))),
            Some(_) => Err(ApiError::bad_request(format!("{key}: not a valid number"))),
        }
    }

    /// A list: an array, or a single value; also under `key[]`.
    pub(crate) fn list(&self, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        for k in [key.to_owned(), format!("{key}[]")] {
            match self.get(&k) {
                Some(Value::Array(a)) => out.extend(a.iter().filter_map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })),
                Some(Value::String(s)) => out.push(s.clone()),
                Some(Value::Number(n)) => out.push(n.to_string()),
                Some(Value::Object(o)) => out.extend(o.values().filter_map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                })),
                _ => {}
            }
        }
        out
    }

    /// The page request of `max_id` / `since_id` / `min_id` / `limit` (default 20, at most
    /// `max`).
    pub(crate) fn page(&self, default: usize, max: usize) -> Result<PageRequest, ApiError> {
        let limit = self
            .u64("limit")?
            .map_or(default, |l| (l as usize).clamp(1, max));
        let mut req = PageRequest::newest(limit);
        req.max_id = self.u64("max_id")?;
        req.since_id = self.u64("since_id")?;
        req.min_id = self.u64("min_id")?;
        Ok(req)
    }
}

/// Parses an id from a path segment (404 if it is not a number, as Mastodon).
pub(crate) fn path_id(s: &str) -> Result<u64, ApiError> {
    s.parse().map_err(|_| ApiError::not_found())
}

/// Adds a `Link` header for the page (next: older, prev: newer), keeping the other query
/// parameters.
pub(crate) fn link_header(
    resp: &mut Response<Bytes>,
    base: &str,
    path: &str,
    query: Option<&str>,
    page: &Page,
) {
    if page.items.is_empty() {
        return;
    }
    let kept: Vec<(String, String)> = query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| !matches!(k.as_ref(), "max_id" | "since_id" | "min_id"))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let make = |k: &str, v: u64| {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (a, b) in &kept {
            ser.append_pair(a, b);
        }
        ser.append_pair(k, &v.to_string());
        format!("{base}{path}?{}", ser.finish())
    };
    let mut links = Vec::new();
    if let Some(next) = page.next_max_id() {
        links.push(format!("<{}>; rel=\"next\"", make("max_id", next)));
    }
    if let Some(prev) = page.prev_min_id() {
        links.push(format!("<{}>; rel=\"prev\"", make("min_id", prev)));
    }
    if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
        resp.headers_mut().insert(header::LINK, v);
    }
}

/// SHA-256, hex.
pub(crate) fn sha256_hex(s: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(s.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random URL-safe secret of 32 bytes.
pub(crate) fn random_secret() -> String {
    use base64::Engine as _;
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn form_keys_nest_and_collect() {
        let req = http::Request::post("/x?types[]=mention&types[]=follow&limit=5")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Bytes::from_static(
                b"fields_attributes[0][name]=a&fields_attributes[0][value]=b&note=hi+there",
            ))
            .unwrap();
        let p = Params::from_request(&req).await.unwrap();
        assert_eq!(p.list("types"), ["mention", "follow"]);
        assert_eq!(p.u64("limit").unwrap(), Some(5));
        assert_eq!(p.str("note").unwrap(), "hi there");
        assert_eq!(
            p.get("fields_attributes").unwrap(),
            &json!({"0": {"name": "a", "value": "b"}})
        );
    }

    #[tokio::test]
    async fn multipart_text_fields_are_read() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"display_name\"\r\n\r\nAl Ice\r\n--XyZ\r\nContent-Disposition: form-data; name=\"locked\"\r\n\r\ntrue\r\n--XyZ--\r\n";
        let req = http::Request::patch("/x")
            .header("content-type", "multipart/form-data; boundary=XyZ")
            .body(Bytes::from(body))
            .unwrap();
        let p = Params::from_request(&req).await.unwrap();
        assert_eq!(p.str("display_name").unwrap(), "Al Ice");
        assert_eq!(p.bool("locked").unwrap(), Some(true));
        assert!(p.files().is_empty());
    }

    fn multipart(content_type: &str, body: impl Into<Bytes>) -> http::Request<Bytes> {
        http::Request::post("/x")
            .header("content-type", content_type)
            .body(body.into())
            .unwrap()
    }

    #[tokio::test]
    async fn multipart_file_parts_are_kept() {
        let body = "--Bound\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nWool\r\n\
--Bound\r\nContent-Disposition: form-data; name=\"file\"; filename=\"fleece.jpg\"\r\nContent-Type: image/jpeg\r\n\r\nJPEG bytes\r\n--Bound--\r\n";
        let p = Params::from_request(&multipart("multipart/form-data; boundary=Bound", body))
            .await
            .unwrap();
        assert_eq!(p.str("description").unwrap(), "Wool");
        assert_eq!(p.get("file"), None);
        assert_eq!(
            p.files(),
            [FilePart {
                name: "file".into(),
                filename: "fleece.jpg".into(),
                content_type: Some("image/jpeg".into()),
                bytes: Bytes::from_static(b"JPEG bytes"),
            }]
        );
    }

    #[tokio::test]
    async fn malformed_multipart_is_400_and_oversized_is_413() {
        let part = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--\r\n";
        for ct in [
            // No boundary, an empty one, or another one than the body's.
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "multipart/form-data; boundary=xyz",
        ] {
            let e = Params::from_request(&multipart(ct, part))
                .await
                .unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{ct}");
            assert!(e.body["error"].is_string());
        }
        let note = "x".repeat((Limits::API.text_field + 1) as usize);
        let body = format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n{note}\r\n--XyZ--\r\n"
        );
        let ct = "multipart/form-data; boundary=XyZ";
        let e = Params::from_request(&multipart(ct, body))
            .await
            .unwrap_err();
        assert_eq!(e.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(e.body["error"].as_str().unwrap().contains("too large"));
        // At the limit it is read.
        let note = "x".repeat(Limits::API.text_field as usize);
        let body = format!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n{note}\r\n--XyZ--\r\n"
        );
        let p = Params::from_request(&multipart(ct, body)).await.unwrap();
        assert_eq!(p.str("note").unwrap().len(), note.len());
    }

    #[tokio::test]
    async fn bad_values_are_400() {
        let req = http::Request::get("/x?limit=lots&flag=maybe")
            .body(Bytes::new())
            .unwrap();
        let p = Params::from_request(&req).await.unwrap();
        assert_eq!(p.u64("limit").unwrap_err().status, StatusCode::BAD_REQUEST);
        assert_eq!(p.bool("flag").unwrap_err().status, StatusCode::BAD_REQUEST);
        let req = http::Request::post("/x")
            .header("content-type", "application/json")
            .body(Bytes::from_static(b"[1]"))
            .unwrap();
        assert_eq!(
            Params::from_request(&req).await.unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn sha256_matches_the_known_vector() {
        // FIPS 180-2 test vector for "abc".
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
