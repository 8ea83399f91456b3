//! Answers for an application's own routes beside the inbox, and errors answered the way the
//! inbox answers them (the crate's error type is defined in `crate::error`, which knows
//! nothing of HTTP answers; these methods are the engine's).

use bytes::Bytes;

use crate::Error;

/// A document (an actor, a note, a collection …) as a `200 OK` answer with
/// `Content-Type: application/activity+json`, the way fediverse servers serve their objects.
///
/// ```
/// use activitypub_core::{builder::PersonBuilder, engine::activity_response, ObjectId};
/// let id = ObjectId::parse("https://example.com/users/alice")?;
/// let alice = PersonBuilder::new(&id, "alice", "-----BEGIN PUBLIC KEY-----…")?.build();
/// let res = activity_response(&alice)?;
/// assert_eq!(res.status(), 200);
/// assert_eq!(res.headers()["content-type"], "application/activity+json");
/// assert_eq!(serde_json::from_slice::<serde_json::Value>(res.body())?["preferredUsername"], "alice");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn activity_response<T: serde::Serialize + ?Sized>(
    document: &T,
) -> Result<http::Response<Bytes>, Error> {
    let mut res = http::Response::new(Bytes::from(serde_json::to_vec(document)?));
    res.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/activity+json"),
    );
    Ok(res)
}

impl Error {
    /// The HTTP status this error answers with when it ends an inbox request: the rejection's
    /// status; 503 for storage failures; 500 otherwise.
    pub fn status(&self) -> http::StatusCode {
        match self {
            Error::Rejected { kind, .. } => kind.status(),
            Error::Malformed { .. } | Error::InvalidId { .. } | Error::JsonLd { .. } => {
                http::StatusCode::UNPROCESSABLE_ENTITY
            }
            Error::Storage(_) => http::StatusCode::SERVICE_UNAVAILABLE,
            _ => http::StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    /// The error as an HTTP answer, the way [`Engine::inbox`](crate::engine::Engine::inbox)
    /// answers a rejection: [`status`](Self::status), `Content-Type: application/json` and the
    /// body `{"error": "<kind>", "detail": "<this error>"}`, where the kind is the
    /// [`Rejection`](super::Rejection) name (`too_large`, `signature` …) or `internal`.
    ///
    /// ```
    /// use activitypub_core::{engine::Rejection, Error};
    /// let res = Error::rejected(Rejection::TooLarge, "body larger than 10 bytes").to_response();
    /// assert_eq!(res.status(), 413);
    /// assert_eq!(res.headers()["content-type"], "application/json");
    /// assert_eq!(
    ///     res.body().as_ref(),
    ///     br#"{"error":"too_large","detail":"inbox rejected the request (too_large): body larger than 10 bytes"}"#
    /// );
    /// ```
    pub fn to_response(&self) -> http::Response<bytes::Bytes> {
        let kind = self.rejection().map_or("internal", |k| k.as_str());
        let body = serde_json::json!({"error": kind, "detail": self.to_string()});
        let mut res = http::Response::new(bytes::Bytes::from(body.to_string()));
        *res.status_mut() = self.status();
        res.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        res
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::activity_response;
    use crate::engine::Rejection;
    use crate::{builder, Error, ObjectId, Visibility};

    #[test]
    fn a_document_is_answered_as_activity_json_with_its_exact_bytes() {
        let note = builder::NoteBuilder::new(
            ObjectId::parse("https://example.com/notes/1").expect("id"),
            &ObjectId::parse("https://example.com/users/alice").expect("id"),
            "https://example.com/users/alice/followers",
            "<p>baa</p>",
            Visibility::Public,
        )
        .build();
        let res = activity_response(&note).expect("serializable");
        assert_eq!(res.status(), http::StatusCode::OK);
        let headers: Vec<_> = res.headers().iter().collect();
        assert_eq!(headers.len(), 1);
        assert_eq!(headers[0].0, "content-type");
        assert_eq!(headers[0].1, "application/activity+json");
        assert_eq!(
            res.body().as_ref(),
            serde_json::to_vec(&note).expect("json").as_slice()
        );
    }

    #[test]
    fn a_document_that_does_not_serialize_is_an_error() {
        // JSON object keys must be strings.
        let mut bad = BTreeMap::new();
        bad.insert(vec![1u8], 1);
        let err = activity_response(&bad).expect_err("not JSON");
        assert!(err.is_malformed(), "{err:?}");
    }

    fn body(e: &Error) -> serde_json::Value {
        serde_json::from_slice(e.to_response().body()).expect("a JSON body")
    }

    #[test]
    fn every_error_answers_with_its_status_and_a_json_body() {
        let e = Error::rejected(Rejection::Signature, "no signature");
        let res = e.to_response();
        assert_eq!(res.status(), http::StatusCode::UNAUTHORIZED);
        assert_eq!(res.headers().len(), 1);
        assert_eq!(res.headers()["content-type"], "application/json");
        assert_eq!(
            body(&e),
            serde_json::json!({"error": "signature", "detail": e.to_string()})
        );
        // Not a rejection: "internal", with the error's own status.
        let e = Error::Storage(fedi_storage::Error::Backend("disk full".into()));
        assert_eq!(
            e.to_response().status(),
            http::StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(body(&e)["error"], "internal");
        let e = Error::Config("no key".into());
        assert_eq!(
            e.to_response().status(),
            http::StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            body(&e),
            serde_json::json!({"error": "internal", "detail": "configuration: no key"})
        );
    }
}
