//! An oversized POST over a real socket: the server (its hyper accept loop and router, on
//! 127.0.0.1) answers `413` and the client, which writes its whole body before reading, reads
//! that answer instead of a connection reset — with a `Content-Length` and chunked, many
//! times over, since a reset depends on timing.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use fedi_storage::memory::MemoryStore;
use reference_server::http::{serve, Router};
use reference_server::{App, Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The body size sent: twice the inbox limit.
const BODY: usize = 2 << 20;
/// Rounds of each kind of request.
const ROUNDS: usize = 30;

/// Starts the server on 127.0.0.1; returns its address, the shutdown trigger and its task.
async fn start() -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config {
        base_url: format!("http://{addr}"),
        ..Config::default()
    };
    let app = App::new(
        config,
        Arc::new(MemoryStore::new()),
        Arc::new(MemoryNetwork::new()),
    )
    .await
    .unwrap();
    let router = Router::new(app);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(
        listener,
        move |req, peer| {
            let router = router.clone();
            async move { router.handle_incoming(req, peer).await }
        },
        async {
            let _ = rx.await;
        },
        Duration::from_secs(5),
    ));
    (addr, tx, task)
}

/// Sends a POST of `BODY` bytes to `path` (chunked, or with a `Content-Length`), writing the
/// whole body before reading; returns the status line, or what went wrong.
async fn post(addr: SocketAddr, path: &str, chunked: bool) -> Result<String, String> {
    let mut s = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {BODY}")
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/activity+json\r\n{framing}\r\n\r\n"
    );
    let chunk = vec![b' '; 64 << 10];
    let write = async {
        s.write_all(head.as_bytes()).await?;
        for _ in 0..BODY / chunk.len() {
            if chunked {
                s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                    .await?;
                s.write_all(&chunk).await?;
                s.write_all(b"\r\n").await?;
            } else {
                s.write_all(&chunk).await?;
            }
        }
        if chunked {
            s.write_all(b"0\r\n\r\n").await?;
        }
        s.flush().await
    };
    match tokio::time::timeout(Duration::from_secs(20), write).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(format!("writing the body: {e}")),
        Err(_) => return Err("writing the body took over 20 s".into()),
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        while !got.windows(2).any(|w| w == b"\r\n") {
            let n = s.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        Ok::<_, std::io::Error>(())
    };
    match tokio::time::timeout(Duration::from_secs(20), read).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(format!("reading the answer: {e}")),
        Err(_) => return Err("no answer within 20 s".into()),
    }
    let text = String::from_utf8_lossy(&got);
    Ok(text.lines().next().unwrap_or("").to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_post_is_answered_413_not_reset() {
    let (addr, stop, server) = start().await;
    let mut failures = Vec::new();
    for round in 0..ROUNDS {
        for (path, chunked) in [
            ("/inbox", false),
            ("/inbox", true),
            ("/users/alice/inbox", false),
        ] {
            match post(addr, path, chunked).await {
                Ok(line) if line.starts_with("HTTP/1.1 413 ") => {}
                other => failures.push(format!(
                    "round {round}, {path}, chunked {chunked}: {other:?}"
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} requests did not read a 413:\n{}",
        failures.len(),
        ROUNDS * 3,
        failures.join("\n")
    );
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .expect("the server stopped within 30 s")
        .unwrap();
}
