//! The engine's inbox mounted in a plain hyper server through its `tower::Service` wrapper
//! (feature `tower`): the smallest server that can receive verified activities.
//!
//! ```sh
//! cargo run -p woolly-examples --example inbox_service
//! ```
use std::{convert::Infallible, sync::Arc};

use activitypub_core::engine::transport::hyper::HyperTransport;
use activitypub_core::engine::{
    ActivityHandler, Engine, EngineConfig, InboxActivity, InboxService, InboxTarget, Shutdown,
};
use activitypub_core::Error;
use http_body_util::Full;
use hyper::{server::conn::http1, service::service_fn};
use tower_service::Service;

/// Prints every verified activity.
struct Print;

#[async_trait::async_trait]
impl ActivityHandler for Print {
    async fn handle(&self, _engine: &Engine, a: InboxActivity) -> Result<(), Error> {
        println!("{} from {} ({} signature)", a.kind(), a.signer, a.scheme);
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = "http://127.0.0.1:3001";
    let engine = Engine::builder(EngineConfig::new(base)?)
        .store(Arc::new(fedi_storage::memory::MemoryStore::new()))
        .transport(Arc::new(
            HyperTransport::builder().allow_http(true).build()?,
        ))
        .handler(Arc::new(Print))
        .build()
        .await?;
    let runner = engine.clone();
    tokio::spawn(async move {
        runner
            .run(Shutdown::new(), std::time::Duration::from_millis(200))
            .await
    });
    let inbox = InboxService::new(engine.clone(), InboxTarget::Shared);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3001").await?;
    println!("POST signed activities to {base}/inbox");
    loop {
        let (stream, _) = listener.accept().await?;
        let (engine, inbox) = (engine.clone(), inbox.clone());
        tokio::spawn(async move {
            let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let (engine, mut inbox) = (engine.clone(), inbox.clone());
                async move {
                    // The body within the engine's limit (413 otherwise), then the inbox.
                    let response = match engine.collect_request(req).await {
                        Ok(req) => inbox.call(req).await?,
                        Err(too_large) => too_large.to_response(),
                    };
                    Ok::<_, Infallible>(response.map(Full::new))
                }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = http1::Builder::new().serve_connection(io, service).await;
        });
    }
}
