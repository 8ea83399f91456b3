//! Request parameters: the query string and the body (form, JSON or multipart), as Mastodon's
//! controllers see them, and ids from the path.

use bytes::Bytes;
use fedi_storage::PageRequest;
use http::header;
use serde_json::{Map, Value};

use super::multipart::{self, FilePart, Limits};
use super::responses::ApiError;

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
        // `a[][k]=v`, as Rails reads it: `k` goes on the array's last object unless that one
        // has it already, else on a new object (`keywords_attributes[][keyword]=…`).
        Some((&"", [field, deeper @ ..])) if !field.is_empty() => {
            let entry = map
                .entry(key.to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
            if !entry.is_array() {
                *entry = Value::Array(Vec::new());
            }
            if let Value::Array(a) = entry {
                let fresh = match a.last() {
                    Some(Value::Object(o)) => o.contains_key(*field),
                    _ => true,
                };
                if fresh {
                    a.push(Value::Object(Map::new()));
                }
                if let Some(Value::Object(o)) = a.last_mut() {
                    insert_path(o, field, deeper, value);
                }
            }
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

    /// Parameters nested under one key (`poll[…]`), read with the same rules.
    pub(crate) fn nested(map: Map<String, Value>) -> Params {
        Params(map, Vec::new())
    }

    /// Adds the text fields of a multipart body read elsewhere (a streamed upload), as a
    /// collected body's would be.
    pub(crate) fn add_text(&mut self, fields: Vec<(String, String)>) {
        for (k, v) in fields {
            insert_form(&mut self.0, &k, v);
        }
    }

    /// The file parts of a multipart body, in order.
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use http::StatusCode;
    use serde_json::json;

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
}
