//! The attack table, network part: the engine's fetches over the real transport never reach
//! private addresses, directly or through a redirect.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use activitypub_core::engine::transport::hyper::HyperTransport;
use activitypub_core::engine::{
    AddressPolicy, Engine, EngineConfig, FetchBudget, IpNet, KeyAlgorithm, TransportErrorKind,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A raw HTTP server on `ip` answering every request with `response`; counts connections.
async fn server(ip: &str, response: String) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(response.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}"), count)
}

async fn engine(policy: AddressPolicy) -> Engine {
    let mut config = EngineConfig::new("http://wool.test").unwrap();
    config.instance_key = KeyAlgorithm::Ed25519;
    let transport = HyperTransport::builder()
        .allow_http(true)
        .address_policy(policy)
        .build()
        .unwrap();
    Engine::builder(config)
        .store(Arc::new(fedi_storage::memory::MemoryStore::new()))
        .transport(Arc::new(transport))
        .build()
        .await
        .unwrap()
}

const ACTOR: &str = "HTTP/1.1 200 OK\r\ncontent-type: application/activity+json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";

#[tokio::test]
async fn fetch_of_a_private_address() {
    let (url, count) = server("127.0.0.1", ACTOR.into()).await;
    let e = engine(AddressPolicy::default()).await;
    let err = e
        .fetch(&format!("{url}/users/x"), &mut FetchBudget::new(5))
        .await
        .unwrap_err();
    assert!(err.is_transport(TransportErrorKind::AddressDenied), "{err}");
    assert_eq!(count.load(Ordering::SeqCst), 0, "no connection was made");
    // With loopback allowed (local development), the same fetch reaches the server.
    let open =
        engine(AddressPolicy::default().allowing(IpNet::parse("127.0.0.0/8").unwrap())).await;
    let _ = open
        .fetch(&format!("{url}/users/x"), &mut FetchBudget::new(5))
        .await;
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn redirect_to_a_private_address() {
    let (target, target_count) = server("127.0.0.3", ACTOR.into()).await;
    let redirect = format!(
        "HTTP/1.1 302 Found\r\nlocation: {target}/users/x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
    let (start, start_count) = server("127.0.0.2", redirect).await;
    // Only 127.0.0.2 is allowed: the redirect's target is a private address that is not.
    let e = engine(AddressPolicy::default().allowing(IpNet::parse("127.0.0.2/32").unwrap())).await;
    let err = e
        .fetch(&format!("{start}/users/x"), &mut FetchBudget::new(5))
        .await
        .unwrap_err();
    assert!(err.is_transport(TransportErrorKind::AddressDenied), "{err}");
    assert_eq!(
        start_count.load(Ordering::SeqCst),
        1,
        "the first hop was fetched"
    );
    assert_eq!(
        target_count.load(Ordering::SeqCst),
        0,
        "the redirect target was not"
    );
}
