//! The default [`Transport`]: hyper 1 with hyper-util's pooled HTTP/1.1 client, rustls (ring
//! provider) for `https`, and an SSRF guard inside the connector.
//!
//! # Whose certificates are trusted
//!
//! By default three sets of root certificates, together:
//!
//! - the Mozilla roots bundled by `webpki-roots` ([`HyperTransportBuilder::web_pki_roots`]),
//!   so the public fediverse works on any machine;
//! - the system's trust store, read by `rustls-native-certs` when the transport is built
//!   ([`HyperTransportBuilder::native_roots`]): the file and directories OpenSSL would use
//!   (`/etc/ssl/certs/…` on Linux), or, when the `SSL_CERT_FILE` or `SSL_CERT_DIR`
//!   environment variables are set, the certificates found there instead. A CA the operator
//!   installed on the machine is thus trusted, as by other programs;
//! - certificates given to the builder ([`HyperTransportBuilder::add_root_pem`],
//!   [`HyperTransportBuilder::add_root_certificate`]), for a private or test federation with
//!   its own CA. (A system store that cannot be read is logged and skipped.)
//!
//! # The address guard, and why it sits in the connector
//!
//! A federating server fetches URLs that strangers hand it (actor ids, key ids, `inReplyTo`,
//! attachments). Without a guard, a remote actor can make it request
//! `http://169.254.169.254/` (cloud metadata), `http://127.0.0.1:6379/` or anything else on
//! the private network: server-side request forgery.
//!
//! Checking the URL's host name *before* sending is not enough: the HTTP client would resolve
//! the name a second time to connect, and a hostile name server can answer the check with a
//! public address and the connect with `127.0.0.1` (DNS rebinding, with a TTL of zero). So
//! [`HyperTransport`] resolves each name exactly once, in its own connector, drops every
//! address the [`AddressPolicy`] denies, and opens the TCP connection to exactly the
//! addresses it checked. The check applies to the *resolved* address, so IP literals
//! (`http://127.0.0.1/`, `http://[::1]/`) and odd numeric spellings that the system resolver
//! accepts (`http://127.1/`) are caught the same way. When no allowed address remains the
//! request fails with [`TransportErrorKind::AddressDenied`] and no connection is made.
//!
//! Pooled connections were checked when they were opened and stay bound to that address.
//! Redirects are never followed here: a `3xx` response is returned as it is, and the engine's
//! fetcher follows it by calling [`Transport::send`] again, so every hop goes through the
//! same check.
//!
//! By default only public addresses are allowed and only `https` is used; tests and local
//! development open what they need explicitly ([`HyperTransportBuilder::address_policy`],
//! [`HyperTransportBuilder::allow_http`]).
//!
//! # Other guarantees
//!
//! - The whole exchange (name resolution, connect, TLS, request, full response body) runs
//!   under [`SendOptions::timeout`]; a response body is read at most up to
//!   [`SendOptions::max_response_bytes`] (a larger `Content-Length` fails before reading).
//! - The request's headers are sent as the caller built them (signed requests stay valid):
//!   `Host` is added only when absent, `User-Agent` only when absent, and hyper adds
//!   `Content-Length` for a non-empty body when the caller did not set it.
//!
//! # Example
//!
//! Local development: allow plain `http` and loopback, with the application's own user agent.
//! The request below is refused by the default policy before anything is sent:
//!
//! ```
//! use activitypub_core::engine::transport::hyper::HyperTransport;
//! use activitypub_core::engine::transport::{
//!     AddressPolicy, IpNet, SendOptions, Transport, TransportErrorKind,
//! };
//!
//! # fn main() -> Result<(), activitypub_core::Error> {
//! # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
//! # rt.block_on(async {
//! // The default: https only, public addresses only.
//! let transport = HyperTransport::builder()
//!     .user_agent("MyBlog/1.0 (Woolly; +https://blog.example/)")
//!     .build()?;
//! let request = http::Request::get("https://127.0.0.1/users/alice")
//!     .header("accept", "application/activity+json")
//!     .body(bytes::Bytes::new())
//!     .expect("a valid request");
//! let err = transport
//!     .send(request, &SendOptions::default())
//!     .await
//!     .expect_err("loopback is not public");
//! assert!(err.is_transport(TransportErrorKind::AddressDenied));
//!
//! // Local development: loopback and plain http allowed.
//! let _dev = HyperTransport::builder()
//!     .address_policy(AddressPolicy::public_only().allowing(IpNet::parse("127.0.0.0/8")?))
//!     .allow_http(true)
//!     .build()?;
//! # Ok(())
//! # })
//! # }
//! ```
//!
//! A fetch from the fediverse (needs the network):
//!
//! ```no_run
//! use activitypub_core::engine::transport::hyper::HyperTransport;
//! use activitypub_core::engine::transport::{SendOptions, Transport};
//!
//! # async fn fetch() -> Result<(), activitypub_core::Error> {
//! let transport = HyperTransport::new()?;
//! let request = http::Request::get("https://mastodon.social/users/Gargron")
//!     .header("accept", "application/activity+json")
//!     .body(bytes::Bytes::new())
//!     .expect("a valid request");
//! let response = transport.send(request, &SendOptions::default()).await?;
//! println!("{} {} bytes", response.status(), response.body().len());
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use http::header::{HeaderValue, CONTENT_LENGTH, USER_AGENT};
use http::{Method, StatusCode, Uri, Version};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::{AddressPolicy, SendOptions, Transport, TransportErrorKind};
use crate::Error;

/// The `User-Agent` sent when neither the builder nor the request sets one:
/// `Woolly/<version> (+<repository>)`.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "Woolly/",
    env!("CARGO_PKG_VERSION"),
    " (+",
    env!("CARGO_PKG_REPOSITORY"),
    ")"
);

/// At most this many resolved (and allowed) addresses are tried for one connection.
const MAX_ADDRESSES_TRIED: usize = 8;

/// The remote address a response came from, in the response's extensions
/// (`response.extensions().get::<PeerAddr>()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerAddr(pub SocketAddr);

/// Configures a [`HyperTransport`]; from [`HyperTransport::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct HyperTransportBuilder {
    policy: AddressPolicy,
    allow_http: bool,
    user_agent: String,
    connect_timeout: Duration,
    pool_idle_timeout: Option<Duration>,
    pool_max_idle_per_host: usize,
    web_pki_roots: bool,
    native_roots: bool,
    extra_roots: Vec<Vec<u8>>,
    extra_roots_pem: Vec<Vec<u8>>,
}

impl Default for HyperTransportBuilder {
    fn default() -> Self {
        HyperTransportBuilder {
            policy: AddressPolicy::public_only(),
            allow_http: false,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            connect_timeout: Duration::from_secs(10),
            pool_idle_timeout: Some(Duration::from_secs(90)),
            pool_max_idle_per_host: 8,
            web_pki_roots: true,
            native_roots: true,
            extra_roots: Vec::new(),
            extra_roots_pem: Vec::new(),
        }
    }
}

impl HyperTransportBuilder {
    /// Which addresses connections may reach (default: public addresses only).
    pub fn address_policy(mut self, policy: AddressPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Whether plain `http` URLs may be requested (default `false`: `https` only).
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// The `User-Agent` added to requests that have none (default [`DEFAULT_USER_AGENT`]).
    /// Fediverse servers log it and some block requests without one; include a URL where
    /// admins can reach you.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// How long one TCP connect (and, separately, one TLS handshake) may take (default 10 s).
    /// The whole exchange is also bounded by [`SendOptions::timeout`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long an idle pooled connection is kept (default 90 s; `None`: until the server
    /// closes it).
    pub fn pool_idle_timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.pool_idle_timeout = timeout.into();
        self
    }

    /// How many idle connections are kept per host (default 8; 0 disables pooling).
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = max;
        self
    }

    /// Whether the Mozilla root certificates from `webpki-roots` are trusted (default `true`).
    pub fn web_pki_roots(mut self, trust: bool) -> Self {
        self.web_pki_roots = trust;
        self
    }

    /// Whether the system's trust store is trusted (default `true`): read by
    /// `rustls-native-certs` when [`build`](Self::build) runs, from `SSL_CERT_FILE` /
    /// `SSL_CERT_DIR` when either is set, else from the platform's store (see the
    /// [module docs](self)).
    pub fn native_roots(mut self, trust: bool) -> Self {
        self.native_roots = trust;
        self
    }

    /// Also trusts this root certificate (DER), for a private CA or a test certificate.
    pub fn add_root_certificate(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(der.into());
        self
    }

    /// Also trusts every certificate in this PEM text (`-----BEGIN CERTIFICATE-----` blocks;
    /// other blocks are skipped), for a private federation's CA. The text is read by
    /// [`build`](Self::build), which fails if it holds no certificate or one does not parse.
    ///
    /// ```no_run
    /// use activitypub_core::engine::transport::hyper::HyperTransport;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let ca = std::fs::read("federation-ca.pem")?;
    /// let transport = HyperTransport::builder().add_root_pem(&ca).build()?;
    /// # let _ = transport;
    /// # Ok(())
    /// # }
    /// ```
    pub fn add_root_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.extra_roots_pem.push(pem.as_ref().to_vec());
        self
    }

    /// Builds the transport. Fails with [`Error::Config`] if the user agent is not a valid
    /// header value, a root certificate does not parse, a PEM text given to
    /// [`add_root_pem`](Self::add_root_pem) holds no certificate, or no root is trusted at
    /// all.
    pub fn build(self) -> Result<HyperTransport, Error> {
        let user_agent = HeaderValue::from_str(&self.user_agent)
            .map_err(|_| Error::Config(format!("invalid user agent {:?}", self.user_agent)))?;

        let mut roots = rustls::RootCertStore::empty();
        if self.web_pki_roots {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        if self.native_roots {
            add_native_roots(&mut roots);
        }
        for der in &self.extra_roots {
            roots
                .add(CertificateDer::from(der.as_slice()))
                .map_err(|e| Error::Config(format!("bad root certificate: {e}")))?;
        }
        for pem in &self.extra_roots_pem {
            add_pem_roots(&mut roots, pem)?;
        }
        if roots.is_empty() {
            return Err(Error::Config(
                "no trusted root certificates (web PKI and system roots off or empty, none added)"
                    .into(),
            ));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Config(format!("TLS configuration: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];

        let connector = GuardedConnector {
            inner: Arc::new(ConnectorConfig {
                policy: self.policy,
                allow_http: self.allow_http,
                tls: TlsConnector::from(Arc::new(tls)),
                connect_timeout: self.connect_timeout,
            }),
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(self.pool_idle_timeout)
            .pool_max_idle_per_host(self.pool_max_idle_per_host)
            .build(connector.clone());
        Ok(HyperTransport {
            client,
            connector,
            allow_http: self.allow_http,
            user_agent,
        })
    }
}

/// Adds the system's trust store (or `SSL_CERT_FILE` / `SSL_CERT_DIR`) to `roots`. What
/// cannot be read, or does not parse, is logged and skipped: system stores often hold a few
/// certificates webpki refuses, and a machine without a store still has the other roots.
fn add_native_roots(roots: &mut rustls::RootCertStore) {
    let found = rustls_native_certs::load_native_certs();
    for e in &found.errors {
        tracing::warn!(error = %e, "cannot read part of the system's trusted certificates");
    }
    let (added, ignored) = roots.add_parsable_certificates(found.certs);
    if ignored > 0 {
        tracing::debug!(
            added,
            ignored,
            "system certificates webpki cannot use were skipped"
        );
    }
}

/// Adds every certificate of a PEM text to `roots`.
fn add_pem_roots(roots: &mut rustls::RootCertStore, pem: &[u8]) -> Result<(), Error> {
    let mut count = 0usize;
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| Error::Config(format!("bad PEM root certificate: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| Error::Config(format!("bad root certificate: {e}")))?;
        count += 1;
    }
    if count == 0 {
        return Err(Error::Config(
            "no certificate (-----BEGIN CERTIFICATE-----) in the PEM root certificates".into(),
        ));
    }
    Ok(())
}

/// The default [`Transport`]: hyper + rustls with a connect-time SSRF guard (see the
/// [module docs](self)).
///
/// Cheap to clone (clones share the connection pool). Must be used inside a Tokio runtime.
#[derive(Clone)]
pub struct HyperTransport {
    client: Client<GuardedConnector, Full<Bytes>>,
    /// The same connector the client holds (the client does not hand it out).
    connector: GuardedConnector,
    allow_http: bool,
    user_agent: HeaderValue,
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cfg = &self.connector.inner;
        f.debug_struct("HyperTransport")
            .field("policy", &cfg.policy)
            .field("allow_http", &self.allow_http)
            .field("user_agent", &self.user_agent)
            .field("connect_timeout", &cfg.connect_timeout)
            .finish_non_exhaustive()
    }
}

impl HyperTransport {
    /// A transport with the default configuration: `https` only, public addresses only, web
    /// PKI roots and the system's trust store, [`DEFAULT_USER_AGENT`].
    pub fn new() -> Result<Self, Error> {
        HyperTransportBuilder::default().build()
    }

    /// A builder, starting from the default configuration.
    pub fn builder() -> HyperTransportBuilder {
        HyperTransportBuilder::default()
    }

    /// The address policy connections are checked against.
    pub fn address_policy(&self) -> &AddressPolicy {
        &self.connector.inner.policy
    }

    /// Whether plain `http` URLs may be requested.
    pub fn allows_http(&self) -> bool {
        self.allow_http
    }
}

#[async_trait]
impl Transport for HyperTransport {
    async fn send(
        &self,
        request: http::Request<Bytes>,
        options: &SendOptions,
    ) -> Result<http::Response<Bytes>, Error> {
        let url = request.uri().to_string();
        check_uri(request.uri(), self.allow_http)
            .map_err(|reason| Error::transport(TransportErrorKind::InvalidRequest, &url, reason))?;

        let (mut parts, body) = request.into_parts();
        // This client speaks HTTP/1.1 only; the version is not part of any signature.
        parts.version = Version::HTTP_11;
        if !parts.headers.contains_key(USER_AGENT) {
            parts.headers.insert(USER_AGENT, self.user_agent.clone());
        }
        let head_request = parts.method == Method::HEAD;
        let request = http::Request::from_parts(parts, Full::new(body));
        let max = options.max_response_bytes;

        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| {
                let (kind, reason) = classify(&e);
                Error::transport(kind, &url, reason)
            })?;
            let (parts, body) = response.into_parts();
            let declared = if head_request
                || parts.status == StatusCode::NO_CONTENT
                || parts.status == StatusCode::NOT_MODIFIED
            {
                None
            } else {
                parts
                    .headers
                    .get(CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
            };
            let body = read_capped(body, declared, max)
                .await
                .map_err(|(kind, reason)| Error::transport(kind, &url, reason))?;
            Ok(http::Response::from_parts(parts, body))
        };
        match tokio::time::timeout(options.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(Error::transport(
                TransportErrorKind::Timeout,
                &url,
                format!("no complete response within {:?}", options.timeout),
            )),
        }
    }
}

/// Whether the transport can send to this URI at all (absolute, http(s), host present).
fn check_uri(uri: &Uri, allow_http: bool) -> Result<(), String> {
    match uri.scheme_str() {
        None => return Err("not an absolute URI".into()),
        Some("https") => {}
        Some("http") if allow_http => {}
        Some("http") => return Err("plain http is not allowed (https only)".into()),
        Some(other) => return Err(format!("unsupported scheme {other:?}")),
    }
    match uri.host() {
        Some(h) if !h.is_empty() => Ok(()),
        _ => Err("no host".into()),
    }
}

/// Reads the body, failing as soon as more than `max` bytes have arrived (or at once when
/// the declared length is already over).
async fn read_capped(
    mut body: ::hyper::body::Incoming,
    declared: Option<u64>,
    max: usize,
) -> Result<Bytes, (TransportErrorKind, String)> {
    let too_large = || {
        (
            TransportErrorKind::ResponseTooLarge,
            format!("response body over {max} bytes"),
        )
    };
    if let Some(n) = declared {
        if n > max as u64 {
            return Err(too_large());
        }
    }
    // Trust the declared length for the first allocation only up to a modest size.
    let initial = declared.map_or(0, |n| n as usize).min(max).min(256 * 1024);
    let mut buf = BytesMut::with_capacity(initial);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| classify(&e))?;
        if let Ok(data) = frame.into_data() {
            if data.len() > max - buf.len() {
                return Err(too_large());
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

/// Maps an error from the client (or from a body) to a kind and a readable reason (the
/// chain of causes).
fn classify(err: &(dyn std::error::Error + 'static)) -> (TransportErrorKind, String) {
    let mut kind = None;
    let mut saw_io = false;
    let mut reasons = Vec::new();
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(c) = e.downcast_ref::<ConnectError>() {
            return (c.kind, c.reason.clone());
        }
        if let (None, Some(h)) = (kind, e.downcast_ref::<::hyper::Error>()) {
            kind = if h.is_parse() || h.is_parse_status() || h.is_parse_too_large() {
                Some(TransportErrorKind::Other)
            } else if h.is_user() {
                Some(TransportErrorKind::InvalidRequest)
            } else if h.is_incomplete_message()
                || h.is_closed()
                || h.is_canceled()
                || h.is_body_write_aborted()
            {
                Some(TransportErrorKind::Connect)
            } else {
                // E.g. a body read error: its cause decides (I/O means a broken connection).
                None
            };
        }
        // A broken connection (reset, or closed before the declared length arrived).
        saw_io |= e.is::<io::Error>();
        reasons.push(e.to_string());
        current = e.source();
    }
    let kind = match kind {
        Some(k) => k,
        None if saw_io => TransportErrorKind::Connect,
        None => match err.downcast_ref::<hyper_util::client::legacy::Error>() {
            Some(e) if e.is_connect() => TransportErrorKind::Connect,
            _ => TransportErrorKind::Other,
        },
    };
    (kind, reasons.join(": "))
}

/// A connect failure with its kind, so that [`classify`] can find it in the client's error.
#[derive(Debug)]
struct ConnectError {
    kind: TransportErrorKind,
    reason: String,
}

impl ConnectError {
    fn new(kind: TransportErrorKind, reason: impl Into<String>) -> Self {
        ConnectError {
            kind,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.reason)
    }
}

impl std::error::Error for ConnectError {}

/// The connector: resolve once, drop denied addresses, connect to an allowed one, then TLS.
#[derive(Clone)]
struct GuardedConnector {
    inner: Arc<ConnectorConfig>,
}

struct ConnectorConfig {
    policy: AddressPolicy,
    allow_http: bool,
    tls: TlsConnector,
    connect_timeout: Duration,
}

impl tower_service::Service<Uri> for GuardedConnector {
    type Response = TokioIo<MaybeTlsStream>;
    type Error = ConnectError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, ConnectError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), ConnectError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let config = Arc::clone(&self.inner);
        Box::pin(async move { config.connect(&uri).await.map(TokioIo::new) })
    }
}

impl ConnectorConfig {
    async fn connect(&self, uri: &Uri) -> Result<MaybeTlsStream, ConnectError> {
        let invalid =
            |reason: String| ConnectError::new(TransportErrorKind::InvalidRequest, reason);
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") if self.allow_http => false,
            Some("http") => return Err(invalid("plain http is not allowed".into())),
            other => return Err(invalid(format!("unsupported scheme {other:?}"))),
        };
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| invalid("no host".into()))?;
        // `Uri::host` keeps the brackets of an IPv6 literal.
        let bare_host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });

        let addrs = self.resolve(bare_host, port).await?;
        let (tcp, peer) = self.connect_tcp(&addrs).await?;
        if !tls {
            return Ok(MaybeTlsStream::Plain(tcp, peer));
        }
        let name = ServerName::try_from(bare_host.to_owned())
            .map_err(|_| invalid(format!("{bare_host:?} is not a valid TLS server name")))?;
        match tokio::time::timeout(self.connect_timeout, self.tls.connect(name, tcp)).await {
            Ok(Ok(stream)) => Ok(MaybeTlsStream::Tls(Box::new(stream), peer)),
            Ok(Err(e)) => Err(ConnectError::new(
                TransportErrorKind::Connect,
                format!("TLS handshake with {peer} failed: {e}"),
            )),
            Err(_) => Err(ConnectError::new(
                TransportErrorKind::Connect,
                format!("TLS handshake with {peer} timed out"),
            )),
        }
    }

    /// The addresses of `host` the policy allows (an IP literal is its own address).
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, ConnectError> {
        let candidates: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => {
                let lookup = tokio::net::lookup_host((host, port));
                match tokio::time::timeout(self.connect_timeout, lookup).await {
                    Ok(Ok(addrs)) => addrs.collect(),
                    Ok(Err(e)) => {
                        return Err(ConnectError::new(
                            TransportErrorKind::Dns,
                            format!("cannot resolve {host}: {e}"),
                        ))
                    }
                    Err(_) => {
                        return Err(ConnectError::new(
                            TransportErrorKind::Dns,
                            format!("resolving {host} timed out"),
                        ))
                    }
                }
            }
        };
        if candidates.is_empty() {
            return Err(ConnectError::new(
                TransportErrorKind::Dns,
                format!("{host} has no addresses"),
            ));
        }
        let (allowed, denied): (Vec<SocketAddr>, Vec<SocketAddr>) = candidates
            .into_iter()
            .partition(|a| self.policy.permits(a.ip()));
        if allowed.is_empty() {
            let list: Vec<String> = denied.iter().map(|a| a.ip().to_string()).collect();
            tracing::warn!(host, addresses = %list.join(", "), "SSRF guard: address denied");
            return Err(ConnectError::new(
                TransportErrorKind::AddressDenied,
                format!(
                    "{host} resolves only to addresses the policy denies ({})",
                    list.join(", ")
                ),
            ));
        }
        if !denied.is_empty() {
            tracing::debug!(
                host,
                denied = denied.len(),
                "SSRF guard: dropped denied addresses"
            );
        }
        Ok(allowed)
    }

    /// Connects to the first of `addrs` that answers.
    async fn connect_tcp(
        &self,
        addrs: &[SocketAddr],
    ) -> Result<(TcpStream, SocketAddr), ConnectError> {
        let mut failures = Vec::new();
        for &addr in addrs.iter().take(MAX_ADDRESSES_TRIED) {
            match tokio::time::timeout(self.connect_timeout, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => {
                    // Only a latency optimisation; failing to set it is harmless.
                    let _ = stream.set_nodelay(true);
                    return Ok((stream, addr));
                }
                Ok(Err(e)) => failures.push(format!("{addr}: {e}")),
                Err(_) => failures.push(format!("{addr}: connect timed out")),
            }
        }
        Err(ConnectError::new(
            TransportErrorKind::Connect,
            failures.join("; "),
        ))
    }
}

/// A TCP connection, with or without TLS, and the address it goes to.
enum MaybeTlsStream {
    Plain(TcpStream, SocketAddr),
    Tls(Box<TlsStream<TcpStream>>, SocketAddr),
}

impl Connection for MaybeTlsStream {
    fn connected(&self) -> Connected {
        let peer = match self {
            MaybeTlsStream::Plain(_, peer) | MaybeTlsStream::Tls(_, peer) => *peer,
        };
        Connected::new().extra(PeerAddr(peer))
    }
}

impl AsyncRead for MaybeTlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s, _) => Pin::new(s).poll_read(cx, buf),
            MaybeTlsStream::Tls(s, _) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MaybeTlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s, _) => Pin::new(s).poll_write(cx, buf),
            MaybeTlsStream::Tls(s, _) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s, _) => Pin::new(s).poll_write_vectored(cx, bufs),
            MaybeTlsStream::Tls(s, _) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            MaybeTlsStream::Plain(s, _) => s.is_write_vectored(),
            MaybeTlsStream::Tls(s, _) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s, _) => Pin::new(s).poll_flush(cx),
            MaybeTlsStream::Tls(s, _) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s, _) => Pin::new(s).poll_shutdown(cx),
            MaybeTlsStream::Tls(s, _) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
