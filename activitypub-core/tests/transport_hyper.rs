//! The hyper transport against small servers on loopback: the SSRF guard (nothing is
//! connected when an address is denied), redirects returned as they are, size and time
//! limits, the request bytes on the wire, and https with a certificate made at test time.
#![cfg(feature = "hyper-transport")]
#![allow(clippy::unwrap_used)]

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use activitypub_core::engine::transport::hyper::{
    HyperTransport, HyperTransportBuilder, PeerAddr, DEFAULT_USER_AGENT,
};
use activitypub_core::engine::transport::{
    AddressPolicy, IpNet, SendOptions, Transport, TransportErrorKind,
};
use activitypub_core::Error;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

type Body = BoxBody<Bytes, Infallible>;

/// What a test server does with a request.
enum Reply {
    Respond(http::Response<Body>),
    /// Never answer (the connection stays open).
    Never,
}

type Handler = Arc<dyn Fn(&http::Request<Bytes>) -> Reply + Send + Sync>;

fn full(body: impl Into<Bytes>) -> Body {
    Full::new(body.into()).boxed()
}

fn ok(body: &'static str) -> Handler {
    Arc::new(move |_| Reply::Respond(http::Response::new(full(body))))
}

/// A hyper server on loopback that counts accepted connections and records the bytes it
/// received.
struct Server {
    addr: SocketAddr,
    accepts: Arc<AtomicUsize>,
    received: Arc<Mutex<Vec<u8>>>,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    fn accepts(&self) -> usize {
        self.accepts.load(Ordering::SeqCst)
    }
    fn received(&self) -> String {
        String::from_utf8_lossy(&self.received.lock().unwrap()).into_owned()
    }
    fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://{}{path}", self.addr)
    }
}

async fn serve(ip: &str, handler: Handler) -> Server {
    serve_with(ip, handler, None).await
}

async fn serve_with(ip: &str, handler: Handler, tls: Option<tokio_rustls::TlsAcceptor>) -> Server {
    let listener = TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepts = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(Mutex::new(Vec::new()));
    let (a, r) = (accepts.clone(), received.clone());
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            a.fetch_add(1, Ordering::SeqCst);
            let stream = Recorder {
                inner: tcp,
                log: r.clone(),
            };
            let handler = handler.clone();
            let tls = tls.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let handler = handler.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body.collect().await.map(|b| b.to_bytes());
                            let req = http::Request::from_parts(parts, body.unwrap_or_default());
                            match handler(&req) {
                                Reply::Respond(resp) => Ok::<_, Infallible>(resp),
                                Reply::Never => {
                                    tokio::time::sleep(Duration::from_secs(3600)).await;
                                    Ok(http::Response::new(full("")))
                                }
                            }
                        }
                    },
                );
                let http = hyper::server::conn::http1::Builder::new();
                match tls {
                    None => {
                        let _ = http.serve_connection(TokioIo::new(stream), service).await;
                    }
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(stream).await {
                            let _ = http.serve_connection(TokioIo::new(stream), service).await;
                        }
                    }
                }
            });
        }
    });
    Server {
        addr,
        accepts,
        received,
        task,
    }
}

/// A TCP stream that appends what it reads to a log.
struct Recorder {
    inner: TcpStream,
    log: Arc<Mutex<Vec<u8>>>,
}

impl AsyncRead for Recorder {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            this.log
                .lock()
                .unwrap()
                .extend_from_slice(&buf.filled()[before..]);
        }
        poll
    }
}

impl AsyncWrite for Recorder {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

fn loopback_policy() -> AddressPolicy {
    AddressPolicy::public_only().allowing(IpNet::parse("127.0.0.0/8").unwrap())
}

fn dev_transport() -> HyperTransport {
    HyperTransport::builder()
        .address_policy(loopback_policy())
        .allow_http(true)
        .build()
        .unwrap()
}

fn get(url: &str) -> http::Request<Bytes> {
    http::Request::get(url).body(Bytes::new()).unwrap()
}

fn opts() -> SendOptions {
    SendOptions::new(Duration::from_secs(5), 1 << 20)
}

fn kind_of(err: &Error) -> TransportErrorKind {
    match err {
        Error::Transport { kind, .. } => *kind,
        other => panic!("not a transport error: {other}"),
    }
}

async fn send_err(t: &HyperTransport, req: http::Request<Bytes>) -> TransportErrorKind {
    let err = t
        .send(req, &opts())
        .await
        .expect_err("the request must fail");
    kind_of(&err)
}

#[tokio::test]
async fn loopback_is_denied_by_default_without_connecting() {
    let server = serve("127.0.0.1", ok("secret")).await;
    let t = HyperTransport::builder().allow_http(true).build().unwrap();
    assert_eq!(
        send_err(&t, get(&server.url("http", "/"))).await,
        TransportErrorKind::AddressDenied
    );
    assert_eq!(
        send_err(&t, get(&server.url("https", "/"))).await,
        TransportErrorKind::AddressDenied
    );
    // IPv6 loopback and unspecified literals, and an inet_aton spelling of 127.0.0.1 that
    // only the system resolver turns into an address.
    let port = server.addr.port();
    for url in [
        format!("http://[::1]:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://0.0.0.0:{port}/"),
        format!("http://127.1:{port}/"),
    ] {
        assert_eq!(
            send_err(&t, get(&url)).await,
            TransportErrorKind::AddressDenied,
            "{url}"
        );
    }
    assert_eq!(server.accepts(), 0, "nothing may be connected");
}

#[tokio::test]
async fn allow_list_opens_loopback() {
    let server = serve("127.0.0.1", ok("hello")).await;
    let t = dev_transport();
    let resp = t
        .send(get(&server.url("http", "/x")), &opts())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.body().as_ref(), b"hello");
    assert_eq!(
        resp.extensions().get::<PeerAddr>(),
        Some(&PeerAddr(server.addr))
    );
    assert_eq!(server.accepts(), 1);

    // The name spelled as the resolver's numeric shorthand reaches the same server.
    let short = format!("http://127.1:{}/y", server.addr.port());
    assert_eq!(t.send(get(&short), &opts()).await.unwrap().status(), 200);
}

#[tokio::test]
async fn allow_list_of_one_host_denies_its_neighbour() {
    let one = serve("127.0.0.1", ok("one")).await;
    let two = serve("127.0.0.2", ok("two")).await;
    let t = HyperTransport::builder()
        .address_policy(
            AddressPolicy::public_only().allowing(IpNet::parse("127.0.0.2/32").unwrap()),
        )
        .allow_http(true)
        .build()
        .unwrap();
    assert_eq!(
        send_err(&t, get(&one.url("http", "/"))).await,
        TransportErrorKind::AddressDenied
    );
    let resp = t.send(get(&two.url("http", "/")), &opts()).await.unwrap();
    assert_eq!(resp.body().as_ref(), b"two");
    assert_eq!((one.accepts(), two.accepts()), (0, 1));
}

#[tokio::test]
async fn localhost_name_is_denied_by_default() {
    let server = serve("127.0.0.1", ok("local")).await;
    let url = format!("http://localhost:{}/", server.addr.port());
    let t = HyperTransport::builder().allow_http(true).build().unwrap();
    let err = t.send(get(&url), &opts()).await.unwrap_err();
    assert_eq!(kind_of(&err), TransportErrorKind::AddressDenied, "{err}");
    assert!(!err.is_retryable());
    assert_eq!(server.accepts(), 0);

    // Allowed, the name resolves and the allowed address answers (`::1` may come first and
    // be refused: nothing listens there).
    let t = HyperTransport::builder()
        .address_policy(loopback_policy().allowing(IpNet::parse("::1").unwrap()))
        .allow_http(true)
        .build()
        .unwrap();
    let resp = t.send(get(&url), &opts()).await.unwrap();
    assert_eq!(resp.body().as_ref(), b"local");
    assert_eq!(server.accepts(), 1);
}

#[tokio::test]
async fn plain_http_and_odd_uris_are_invalid_requests() {
    let server = serve("127.0.0.1", ok("x")).await;
    let https_only = HyperTransport::builder()
        .address_policy(loopback_policy())
        .build()
        .unwrap();
    assert!(!https_only.allows_http());
    assert_eq!(
        send_err(&https_only, get(&server.url("http", "/"))).await,
        TransportErrorKind::InvalidRequest
    );
    let t = dev_transport();
    for url in ["/relative/path", "ftp://127.0.0.1/file"] {
        assert_eq!(
            send_err(&t, get(url)).await,
            TransportErrorKind::InvalidRequest,
            "{url}"
        );
    }
    assert_eq!(server.accepts(), 0);
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let accepts_elsewhere = Arc::new(AtomicUsize::new(0));
    let counter = accepts_elsewhere.clone();
    let server = serve(
        "127.0.0.1",
        Arc::new(move |req| {
            if req.uri().path() == "/elsewhere" {
                counter.fetch_add(1, Ordering::SeqCst);
                return Reply::Respond(http::Response::new(full("followed")));
            }
            Reply::Respond(
                http::Response::builder()
                    .status(302)
                    .header("location", "/elsewhere")
                    .body(full("moved"))
                    .unwrap(),
            )
        }),
    )
    .await;
    let t = dev_transport();
    let resp = t
        .send(get(&server.url("http", "/start")), &opts())
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["location"], "/elsewhere");
    assert_eq!(resp.body().as_ref(), b"moved");
    assert_eq!(accepts_elsewhere.load(Ordering::SeqCst), 0);
    assert_eq!(server.received().matches("GET ").count(), 1);
}

#[tokio::test]
async fn a_declared_large_body_is_refused() {
    let server = serve(
        "127.0.0.1",
        Arc::new(|_| Reply::Respond(http::Response::new(full(vec![b'a'; 64 * 1024])))),
    )
    .await;
    let t = dev_transport();
    let small = SendOptions::new(Duration::from_secs(5), 1000);
    let err = t
        .send(get(&server.url("http", "/")), &small)
        .await
        .unwrap_err();
    assert_eq!(kind_of(&err), TransportErrorKind::ResponseTooLarge);
    assert!(!err.is_retryable());
    // Exactly at the limit is fine.
    let exact = SendOptions::new(Duration::from_secs(5), 64 * 1024);
    let resp = t.send(get(&server.url("http", "/")), &exact).await.unwrap();
    assert_eq!(resp.body().len(), 64 * 1024);
}

#[tokio::test]
async fn an_endless_chunked_body_is_cut_off() {
    // No Content-Length: the server streams 16 KiB chunks forever.
    let server = serve(
        "127.0.0.1",
        Arc::new(|_| {
            let chunks = futures::stream::repeat_with(|| {
                Ok::<_, Infallible>(Frame::data(Bytes::from(vec![b'z'; 16 * 1024])))
            });
            Reply::Respond(http::Response::new(BodyExt::boxed(StreamBody::new(chunks))))
        }),
    )
    .await;
    let t = dev_transport();
    let limit = SendOptions::new(Duration::from_secs(10), 100 * 1024);
    let err = t
        .send(get(&server.url("http", "/")), &limit)
        .await
        .unwrap_err();
    assert_eq!(kind_of(&err), TransportErrorKind::ResponseTooLarge, "{err}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = serve("127.0.0.1", Arc::new(|_| Reply::Never)).await;
    let t = dev_transport();
    let quick = SendOptions::new(Duration::from_millis(300), 1 << 20);
    let started = Instant::now();
    let err = t
        .send(get(&server.url("http", "/")), &quick)
        .await
        .unwrap_err();
    assert_eq!(kind_of(&err), TransportErrorKind::Timeout);
    assert!(err.is_retryable());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(server.accepts(), 1);
}

#[tokio::test]
async fn the_callers_headers_go_out_unchanged() {
    let server = serve("127.0.0.1", ok("accepted")).await;
    let t = dev_transport();
    let host = server.addr.to_string();
    let body = r#"{"type":"Create","actor":"https://a.example/users/alice"}"#;
    let sig = r#"keyId="https://a.example/users/alice#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="dGVzdA==""#;
    let req = http::Request::post(server.url("http", "/inbox"))
        .header("host", &host)
        .header("date", "Sun, 22 Nov 2026 13:00:00 GMT")
        .header(
            "digest",
            "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
        )
        .header("content-type", "application/activity+json")
        .header("signature", sig)
        .header("user-agent", "Custom/1.0 (+https://a.example/)")
        .body(Bytes::from_static(body.as_bytes()))
        .unwrap();
    let resp = t.send(req, &opts()).await.unwrap();
    assert_eq!(resp.body().as_ref(), b"accepted");

    let expected = format!(
        "POST /inbox HTTP/1.1\r\n\
         host: {host}\r\n\
         date: Sun, 22 Nov 2026 13:00:00 GMT\r\n\
         digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\r\n\
         content-type: application/activity+json\r\n\
         signature: {sig}\r\n\
         user-agent: Custom/1.0 (+https://a.example/)\r\n\
         content-length: {}\r\n\
         \r\n\
         {body}",
        body.len()
    );
    assert_eq!(server.received(), expected);
}

#[tokio::test]
async fn host_and_user_agent_are_filled_in_when_absent() {
    let server = serve("127.0.0.1", ok("ok")).await;
    let t = dev_transport();
    t.send(get(&server.url("http", "/users/alice?page=2")), &opts())
        .await
        .unwrap();
    let expected = format!(
        "GET /users/alice?page=2 HTTP/1.1\r\n\
         user-agent: {DEFAULT_USER_AGENT}\r\n\
         host: {}\r\n\
         \r\n",
        server.addr
    );
    assert_eq!(server.received(), expected);
    assert!(DEFAULT_USER_AGENT.starts_with("Woolly/"));

    // A configured agent replaces the default.
    let server = serve("127.0.0.1", ok("ok")).await;
    let t = HyperTransportBuilder::default()
        .address_policy(loopback_policy())
        .allow_http(true)
        .user_agent("MyBlog/2.0")
        .build()
        .unwrap();
    t.send(get(&server.url("http", "/")), &opts())
        .await
        .unwrap();
    assert!(server.received().contains("\r\nuser-agent: MyBlog/2.0\r\n"));
    assert!(HyperTransport::builder()
        .user_agent("bad\nagent")
        .build()
        .is_err());
}

#[tokio::test]
async fn connections_are_pooled() {
    let server = serve("127.0.0.1", ok("again")).await;
    let t = dev_transport();
    for _ in 0..3 {
        let resp = t
            .send(get(&server.url("http", "/")), &opts())
            .await
            .unwrap();
        assert_eq!(resp.body().as_ref(), b"again");
    }
    assert_eq!(server.accepts(), 1);
}

/// A raw TCP server that reads the request head of every connection, answers with `reply`
/// and closes the connection.
async fn raw_server(reply: &'static [u8]) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            // At most 64 reads: the client's GET head is short.
            for _ in 0..64 {
                match tcp.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
                if head.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            let _ = tcp.write_all(reply).await;
            let _ = tcp.shutdown().await;
        }
    });
    (addr, task)
}

#[tokio::test]
async fn broken_servers_give_errors_not_panics() {
    let t = dev_transport();
    let cases: [(&[u8], TransportErrorKind); 4] = [
        (b"", TransportErrorKind::Connect),
        (b"NOT HTTP AT ALL\r\n\r\n", TransportErrorKind::Other),
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort",
            TransportErrorKind::Connect,
        ),
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: nope\r\n\r\n",
            TransportErrorKind::Other,
        ),
    ];
    for (reply, want) in cases {
        let (addr, task) = raw_server(reply).await;
        let err = t
            .send(get(&format!("http://{addr}/")), &opts())
            .await
            .unwrap_err();
        assert_eq!(
            kind_of(&err),
            want,
            "{:?}: {err}",
            String::from_utf8_lossy(reply)
        );
        task.abort();
    }
    // Nothing listening: connection refused.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = t
        .send(get(&format!("http://{addr}/")), &opts())
        .await
        .unwrap_err();
    assert_eq!(kind_of(&err), TransportErrorKind::Connect, "{err}");
}

/// A test CA and a server certificate for 127.0.0.1 and localhost that it signed.
struct TestPki {
    ca_der: Vec<u8>,
    acceptor: tokio_rustls::TlsAcceptor,
}

fn test_pki() -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Woolly test CA (test only)");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    TestPki {
        ca_der: ca.der().to_vec(),
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    }
}

#[tokio::test]
async fn https_with_a_trusted_test_root() {
    let pki = test_pki();
    let server = serve_with("127.0.0.1", ok("over tls"), Some(pki.acceptor.clone())).await;
    let t = HyperTransport::builder()
        .address_policy(loopback_policy())
        .add_root_certificate(pki.ca_der.clone())
        .build()
        .unwrap();
    let resp = t
        .send(get(&server.url("https", "/secure")), &opts())
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.body().as_ref(), b"over tls");

    // The same server by name: SNI and the DNS SAN (localhost may try ::1 first).
    let t = HyperTransport::builder()
        .address_policy(loopback_policy().allowing(IpNet::parse("::1").unwrap()))
        .add_root_certificate(pki.ca_der)
        .web_pki_roots(false)
        .build()
        .unwrap();
    let url = format!("https://localhost:{}/named", server.addr.port());
    assert_eq!(t.send(get(&url), &opts()).await.unwrap().status(), 200);
    // Two pool keys (127.0.0.1 and localhost), so two connections.
    assert_eq!(server.accepts(), 2);
}

#[tokio::test]
async fn https_with_an_untrusted_certificate_fails_to_connect() {
    let pki = test_pki();
    let server = serve_with("127.0.0.1", ok("over tls"), Some(pki.acceptor)).await;
    let t = HyperTransport::builder()
        .address_policy(loopback_policy())
        .build()
        .unwrap();
    let err = t
        .send(get(&server.url("https", "/")), &opts())
        .await
        .unwrap_err();
    assert_eq!(kind_of(&err), TransportErrorKind::Connect, "{err}");
    assert!(err.to_string().contains("certificate"), "{err}");
    // Trusting a different CA does not help.
    let other = test_pki();
    let t = HyperTransport::builder()
        .address_policy(loopback_policy())
        .add_root_certificate(other.ca_der)
        .build()
        .unwrap();
    let err = t
        .send(get(&server.url("https", "/")), &opts())
        .await
        .unwrap_err();
    assert_eq!(kind_of(&err), TransportErrorKind::Connect, "{err}");
}

#[test]
fn bad_configurations_are_rejected() {
    assert!(matches!(
        HyperTransport::builder()
            .add_root_certificate(b"not a certificate".to_vec())
            .build(),
        Err(Error::Config(_))
    ));
    assert!(matches!(
        HyperTransport::builder()
            .web_pki_roots(false)
            .native_roots(false)
            .build(),
        Err(Error::Config(_))
    ));
    let t = HyperTransport::new().unwrap();
    assert_eq!(t.address_policy(), &AddressPolicy::public_only());
    assert!(!t.allows_http());
}

#[tokio::test]
async fn an_unresolvable_name_is_a_dns_error() {
    // `.invalid` never resolves (RFC 6761). The connect timeout also bounds the lookup, and a
    // lookup that times out is a DNS error as well, so the outcome does not depend on the
    // machine's resolver answering quickly.
    let t = HyperTransport::builder()
        .allow_http(true)
        .connect_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let err = t
        .send(get("http://no-such-host.woolly-test.invalid/"), &opts())
        .await
        .unwrap_err();
    assert_eq!(kind_of(&err), TransportErrorKind::Dns, "{err}");
    assert!(err.is_retryable());
}
