//! Answers for an application's own routes beside the inbox.

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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::activity_response;
    use crate::{builder, ObjectId, Visibility};

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
}
