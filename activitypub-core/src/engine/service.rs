//! A `tower::Service` around the inbox (feature `tower`).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;

use super::{Engine, InboxTarget};

/// The inbox as a `tower::Service<http::Request<Bytes>>` that never fails: every outcome,
/// rejections included, is a response (see [`Engine::inbox`]). Collect the request body into
/// `Bytes` (with a limit: [`EngineConfig::max_body_bytes`](super::EngineConfig)) before
/// calling it: `Engine::collect_request` does (feature `hyper-transport`).
#[derive(Debug, Clone)]
pub struct InboxService {
    engine: Engine,
    target: InboxTarget,
}

impl InboxService {
    /// The inbox of `target` on `engine`.
    pub fn new(engine: Engine, target: InboxTarget) -> Self {
        InboxService { engine, target }
    }
}

impl tower_service::Service<http::Request<Bytes>> for InboxService {
    type Response = http::Response<Bytes>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Bytes>) -> Self::Future {
        let engine = self.engine.clone();
        let target = self.target.clone();
        Box::pin(async move { Ok(engine.inbox(request, target).await) })
    }
}
