//! The closed loop counts every answer by status and times every request, over keep-alive
//! connections, against a real HTTP server on loopback.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use woolly_loadgen::client::{get, Target};
use woolly_loadgen::load::closed_loop;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_statuses_and_reuses_connections() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicU64::new(0));
    let connections = Arc::new(AtomicU64::new(0));
    let (rq, cn) = (requests.clone(), connections.clone());
    tokio::spawn(async move {
        loop {
            let (s, _) = listener.accept().await.unwrap();
            cn.fetch_add(1, Ordering::Relaxed);
            let rq = rq.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    rq.fetch_add(1, Ordering::Relaxed);
                    // Every third request fails; the path says which request it was.
                    let fail = req
                        .uri()
                        .path()
                        .trim_start_matches("/r")
                        .parse::<u64>()
                        .unwrap()
                        % 3
                        == 2;
                    async move {
                        let mut r = http::Response::new(Full::new(Bytes::from_static(if fail {
                            b"nope"
                        } else {
                            b""
                        })));
                        *r.status_mut() = if fail {
                            http::StatusCode::INTERNAL_SERVER_ERROR
                        } else {
                            http::StatusCode::ACCEPTED
                        };
                        Ok::<_, std::convert::Infallible>(r)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(s), svc)
                    .await;
            });
        }
    });
    let target = Target::parse(&format!("http://{addr}")).await.unwrap();
    let t = target.clone();
    let report = closed_loop(&target, 3, move |i| {
        (i < 30).then(|| get(&t, &format!("/r{i}"), &[]).unwrap())
    })
    .await;
    assert_eq!(report.statuses.to_string(), "202: 20, 500: 10");
    assert_eq!(report.latencies.len(), 30);
    assert!(!report.statuses.all_ok());
    assert!(
        report
            .samples
            .iter()
            .all(|s| s == "500 Internal Server Error: nope"),
        "{:?}",
        report.samples
    );
    assert_eq!(requests.load(Ordering::Relaxed), 30);
    // Keep-alive: one connection per worker.
    assert_eq!(connections.load(Ordering::Relaxed), 3);
}
