//! A minimal keep-alive HTTP/1.1 client over one TCP connection (hyper's client connection).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

use crate::error::{Error, Result};

/// Where requests go: `http://HOST:PORT` (plain HTTP on loopback; no TLS).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Target {
    /// The base URL without a trailing slash, e.g. `http://127.0.0.2:8080`.
    pub base: String,
    /// The `Host` header value (`host:port`).
    pub authority: String,
    /// The resolved address.
    pub addr: SocketAddr,
}

impl Target {
    /// Parses and resolves `http://HOST:PORT`.
    pub async fn parse(url: &str) -> Result<Target> {
        let u = url::Url::parse(url).map_err(|e| Error::Usage(format!("{url}: {e}")))?;
        if u.scheme() != "http" {
            return Err(Error::Usage(format!("{url}: only http:// targets")));
        }
        let host = u
            .host_str()
            .ok_or_else(|| Error::Usage(format!("{url}: no host")))?
            .to_owned();
        let port = u.port_or_known_default().unwrap_or(80);
        let authority = match u.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        };
        let addr = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
            .await?
            .next()
            .ok_or_else(|| Error::Usage(format!("{url}: the host does not resolve")))?;
        Ok(Target {
            base: format!("http://{authority}"),
            authority,
            addr,
        })
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// One keep-alive connection.
#[derive(Debug)]
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
}

impl Conn {
    /// Connects (bounded by `timeout`).
    pub async fn connect(addr: SocketAddr, timeout: Duration) -> Result<Conn> {
        let stream = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr))
            .await
            .map_err(|_| Error::Timeout(format!("connecting to {addr}")))??;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Error::Http(e.to_string()))?;
        tokio::spawn(async move {
            // Ends when the connection closes; errors show up on the sender.
            let _ = conn.await;
        });
        Ok(Conn { sender })
    }

    /// Whether the connection can take another request.
    pub fn is_open(&self) -> bool {
        !self.sender.is_closed()
    }

    /// Sends a request and reads the whole answer.
    pub async fn send(&mut self, request: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes)> {
        self.sender
            .ready()
            .await
            .map_err(|e| Error::Http(e.to_string()))?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| Error::Http(e.to_string()))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| Error::Http(e.to_string()))?
            .to_bytes();
        Ok((status, body))
    }
}

/// A `GET` of `path` on `target`, with optional extra headers.
pub fn get(target: &Target, path: &str, headers: &[(&str, &str)]) -> Result<Request<Full<Bytes>>> {
    let mut b = Request::get(path).header(http::header::HOST, &target.authority);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(Full::new(Bytes::new()))
        .map_err(|e| Error::Usage(e.to_string()))
}

/// Polls `GET path` on a fresh connection until it answers 2xx, at most `attempts` times,
/// `pause` apart. Returns the number of attempts made.
pub async fn wait_for_ok(
    target: &Target,
    path: &str,
    attempts: u32,
    pause: Duration,
) -> Result<u32> {
    for i in 1..=attempts {
        if let Ok(mut c) = Conn::connect(target.addr, Duration::from_secs(1)).await {
            if let Ok((s, _)) = c.send(get(target, path, &[])?).await {
                if s.is_success() {
                    return Ok(i);
                }
            }
        }
        tokio::time::sleep(pause).await;
    }
    Err(Error::Timeout(format!(
        "{} did not answer 2xx after {attempts} attempts",
        target.url(path)
    )))
}
