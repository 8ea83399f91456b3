//! Reading a streamed request body (hyper's, or any `http_body::Body`) into the
//! `http::Request<Bytes>` that [`Engine::inbox`] and the `InboxService` take, within the
//! engine's body size limit (feature `hyper-transport`, on by default).

use std::fmt::Display;

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Body;

use super::{Engine, Rejection};
use crate::Error;

impl Engine {
    /// Collects the body of `request` into `Bytes`, reading at most
    /// [`EngineConfig::max_body_bytes`](super::EngineConfig::max_body_bytes); the method,
    /// URI, headers and extensions are kept. This is what a hyper server (or any server with
    /// streamed `http_body::Body` bodies) does before [`Engine::inbox`].
    ///
    /// A body over the limit, or one whose `Content-Length` or size hint says so (refused
    /// before reading), is [`Rejection::TooLarge`] (413); a body that fails while being read is
    /// [`Rejection::BadRequest`] (400). [`Error::to_response`] answers either.
    pub async fn collect_request<B>(
        &self,
        request: http::Request<B>,
    ) -> Result<http::Request<Bytes>, Error>
    where
        B: Body,
        B::Error: Display,
    {
        let limit = self.inner.config.max_body_bytes;
        let too_large = || {
            let reason = format!("body larger than {limit} bytes");
            Error::rejected(Rejection::TooLarge, reason)
        };
        let (parts, body) = request.into_parts();
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let limit_u64 = u64::try_from(limit).unwrap_or(u64::MAX);
        if declared.is_some_and(|n| n > limit_u64) || body.size_hint().lower() > limit_u64 {
            return Err(too_large());
        }
        let body = Limited::new(body.map_err(|e| e.to_string()), limit);
        match body.collect().await {
            Ok(collected) => Ok(http::Request::from_parts(parts, collected.to_bytes())),
            Err(e) if e.is::<LengthLimitError>() => Err(too_large()),
            Err(e) => Err(Error::rejected(
                Rejection::BadRequest,
                format!("reading the body failed: {e}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use fedi_storage::memory::MemoryStore;
    use http::StatusCode;
    use http_body_util::{Full, StreamBody};
    use hyper::body::Frame;

    use crate::engine::transport::memory::MemoryNetwork;
    use crate::engine::{Engine, EngineConfig, KeyAlgorithm, Rejection};

    async fn engine(max_body_bytes: usize) -> Engine {
        let mut config = EngineConfig::new("http://body.test").expect("config");
        config.instance_key = KeyAlgorithm::Ed25519;
        config.max_body_bytes = max_body_bytes;
        Engine::builder(config)
            .store(Arc::new(MemoryStore::new()))
            .transport(Arc::new(MemoryNetwork::with_seed(7)))
            .build()
            .await
            .expect("engine")
    }

    /// A body sent in `chunks`, then failing if `fail` (as a dropped connection does).
    fn streamed(
        chunks: &[&'static [u8]],
        fail: bool,
    ) -> StreamBody<impl futures::Stream<Item = Result<Frame<Bytes>, std::io::Error>>> {
        let mut frames: Vec<Result<Frame<Bytes>, std::io::Error>> = chunks
            .iter()
            .map(|c| Ok(Frame::data(Bytes::from_static(c))))
            .collect();
        if fail {
            frames.push(Err(std::io::Error::other("connection reset")));
        }
        StreamBody::new(futures::stream::iter(frames))
    }

    #[tokio::test]
    async fn a_body_within_the_limit_is_collected_with_the_request_parts() {
        let e = engine(10).await;
        let req = http::Request::post("http://body.test/inbox?x=1")
            .header("content-type", "application/activity+json")
            .extension(42u32)
            .body(streamed(&[b"01234", b"56789"], false))
            .expect("request");
        let got = e.collect_request(req).await.expect("within the limit");
        assert_eq!(got.method(), http::Method::POST);
        assert_eq!(got.uri(), "http://body.test/inbox?x=1");
        assert_eq!(got.headers()["content-type"], "application/activity+json");
        assert_eq!(got.extensions().get::<u32>(), Some(&42));
        assert_eq!(got.body().as_ref(), b"0123456789");
        // An empty body, and a full one, too.
        let empty = http::Request::get("/").body(Full::new(Bytes::new()));
        let got = e.collect_request(empty.expect("request")).await;
        assert!(got.expect("empty body").body().is_empty());
        let full = http::Request::post("/").body(Full::new(Bytes::from_static(b"{}")));
        let got = e.collect_request(full.expect("request")).await;
        assert_eq!(got.expect("small body").body().as_ref(), b"{}");
    }

    #[tokio::test]
    async fn a_body_over_the_limit_is_too_large() {
        let e = engine(10).await;
        let req = http::Request::post("/inbox").body(streamed(&[b"01234", b"567890"], false));
        let err = e
            .collect_request(req.expect("request"))
            .await
            .expect_err("over the limit");
        assert_eq!(err.rejection(), Some(Rejection::TooLarge));
        assert_eq!(err.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(
            err.to_string().contains("body larger than 10 bytes"),
            "{err}"
        );
        // A body whose exact size is known (here 11 bytes) is refused before it is read.
        let req = http::Request::post("/inbox").body(Full::new(Bytes::from_static(b"01234567890")));
        let err = e.collect_request(req.expect("request")).await;
        assert_eq!(
            err.expect_err("over").rejection(),
            Some(Rejection::TooLarge)
        );
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_before_reading() {
        let e = engine(10).await;
        // The body would fail if read: the answer must come from the header alone.
        let req = http::Request::post("/inbox")
            .header("content-length", "11")
            .body(streamed(&[], true));
        let err = e
            .collect_request(req.expect("request"))
            .await
            .expect_err("declared over the limit");
        assert_eq!(err.rejection(), Some(Rejection::TooLarge));
        // A declared length within the limit is read as usual.
        let req = http::Request::post("/inbox")
            .header("content-length", "10")
            .body(Full::new(Bytes::from_static(b"0123456789")));
        let got = e.collect_request(req.expect("request")).await;
        assert_eq!(got.expect("at the limit").body().len(), 10);
    }

    #[tokio::test]
    async fn a_body_that_fails_while_read_is_a_bad_request() {
        let e = engine(10).await;
        let req = http::Request::post("/inbox").body(streamed(&[b"0123"], true));
        let err = e
            .collect_request(req.expect("request"))
            .await
            .expect_err("read failure");
        assert_eq!(err.rejection(), Some(Rejection::BadRequest));
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        assert!(err.to_string().contains("connection reset"), "{err}");
    }
}
