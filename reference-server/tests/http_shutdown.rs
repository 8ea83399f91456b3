//! Graceful shutdown of the accept loop: a request in flight when shutdown is asked still gets
//! its whole answer; idle connections close; new connections are refused; and a request that
//! outlives the grace period is cut.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn slow_server(
    delay: Duration,
    grace: Duration,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(reference_server::http::serve(
        listener,
        move |req: http::Request<hyper::body::Incoming>, _peer| async move {
            tokio::time::sleep(delay).await;
            let body = format!("done {}", req.uri().path());
            http::Response::new(Full::new(Bytes::from(body)).boxed())
        },
        async {
            let _ = rx.await;
        },
        grace,
    ));
    (addr, tx, task)
}

async fn send(stream: &mut TcpStream, path: &str) -> String {
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Err(_) => break,
            Ok(Ok(n)) => {
                out.extend_from_slice(&buf[..n]);
                if String::from_utf8_lossy(&out).contains("done ") {
                    break;
                }
            }
            Ok(Err(_)) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn in_flight_requests_finish_and_new_ones_are_refused() {
    let (addr, stop, task) = slow_server(Duration::from_millis(400), Duration::from_secs(5)).await;
    let mut idle = TcpStream::connect(addr).await.unwrap();
    assert!(send(&mut idle, "/warm").await.ends_with("done /warm"));
    let in_flight = tokio::spawn(async move {
        let mut s = TcpStream::connect(addr).await.unwrap();
        send(&mut s, "/slow").await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    let answer = in_flight.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with("done /slow"), "{answer}");
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("serve returns after the in-flight request")
        .unwrap();
    // The idle keep-alive connection was closed.
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0);
    // Nobody listens any more.
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn requests_outliving_the_grace_period_are_cut() {
    let (addr, stop, task) = slow_server(Duration::from_secs(30), Duration::from_millis(200)).await;
    let in_flight = tokio::spawn(async move {
        let mut s = TcpStream::connect(addr).await.unwrap();
        send(&mut s, "/forever").await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("serve returns after the grace period")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    let answer = tokio::time::timeout(Duration::from_secs(5), in_flight)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer, "");
}
