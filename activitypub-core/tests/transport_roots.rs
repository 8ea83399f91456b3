//! Which certificate authorities the hyper transport trusts: a private CA given as PEM to the
//! builder, and one named by `SSL_CERT_FILE` (read through the system trust store), against a
//! TLS server on 127.0.0.1 whose CA and certificate are made at test time.
//!
//! The `SSL_CERT_FILE` case runs in a child process (this test binary, selecting the ignored
//! `ssl_cert_file_child` test) so that no environment variable is set in this process.
#![cfg(feature = "hyper-transport")]
#![allow(clippy::unwrap_used)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use activitypub_core::engine::transport::hyper::HyperTransport;
use activitypub_core::engine::transport::{
    AddressPolicy, IpNet, SendOptions, Transport, TransportErrorKind,
};
use activitypub_core::Error;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The URL of the parent's TLS server, for the child process.
const URL_ENV: &str = "WOOLLY_TEST_ROOTS_URL";

/// A CA and a server certificate for 127.0.0.1 that it signed.
struct TestPki {
    ca_pem: String,
    acceptor: tokio_rustls::TlsAcceptor,
}

fn test_pki() -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(
        DnType::CommonName,
        "Woolly private federation CA (test only)",
    );
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
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
        ca_pem: ca.pem(),
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    }
}

/// An HTTPS server on 127.0.0.1 answering every request with `200 trusted`.
struct Server {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_tls(acceptor: tokio_rustls::TlsAcceptor) -> Server {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(|_req| async {
                    Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from_static(
                        b"trusted",
                    ))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    Server { addr, task }
}

fn loopback() -> AddressPolicy {
    AddressPolicy::public_only().allowing(IpNet::parse("127.0.0.0/8").unwrap())
}

fn get(url: &str) -> http::Request<Bytes> {
    http::Request::get(url).body(Bytes::new()).unwrap()
}

fn opts() -> SendOptions {
    SendOptions::new(Duration::from_secs(10), 1 << 20)
}

/// The body of a successful fetch.
async fn fetch(t: &HyperTransport, url: &str) -> String {
    let resp = t.send(get(url), &opts()).await.unwrap();
    assert_eq!(resp.status(), 200);
    String::from_utf8_lossy(resp.body()).into_owned()
}

#[tokio::test]
async fn a_private_ca_given_as_pem_is_trusted() {
    let pki = test_pki();
    let server = serve_tls(pki.acceptor).await;
    let url = format!("https://{}/users/alice", server.addr);

    // Without the CA: the web PKI and the system's store do not know it.
    let t = HyperTransport::builder()
        .address_policy(loopback())
        .build()
        .unwrap();
    let err = t.send(get(&url), &opts()).await.unwrap_err();
    assert!(err.is_transport(TransportErrorKind::Connect), "{err}");
    assert!(err.to_string().contains("certificate"), "{err}");

    // With it, beside the default roots.
    let t = HyperTransport::builder()
        .address_policy(loopback())
        .add_root_pem(&pki.ca_pem)
        .build()
        .unwrap();
    assert_eq!(fetch(&t, &url).await, "trusted");

    // With it alone: no web PKI, no system store.
    let t = HyperTransport::builder()
        .address_policy(loopback())
        .web_pki_roots(false)
        .native_roots(false)
        .add_root_pem(pki.ca_pem.as_bytes())
        .build()
        .unwrap();
    assert_eq!(fetch(&t, &url).await, "trusted");

    // In a bundle after another CA's certificate and a non-certificate block.
    let other = test_pki();
    let bundle = format!(
        "{}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n{}",
        other.ca_pem, pki.ca_pem
    );
    let t = HyperTransport::builder()
        .address_policy(loopback())
        .add_root_pem(bundle)
        .build()
        .unwrap();
    assert_eq!(fetch(&t, &url).await, "trusted");

    // Another CA only: still refused.
    let t = HyperTransport::builder()
        .address_policy(loopback())
        .add_root_pem(other.ca_pem)
        .build()
        .unwrap();
    let err = t.send(get(&url), &opts()).await.unwrap_err();
    assert!(err.is_transport(TransportErrorKind::Connect), "{err}");
}

#[test]
fn pem_without_a_certificate_is_a_configuration_error() {
    for pem in [
        &b""[..],
        b"not pem at all",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    ] {
        let built = HyperTransport::builder().add_root_pem(pem).build();
        assert!(
            matches!(built, Err(Error::Config(_))),
            "{:?}: {built:?}",
            String::from_utf8_lossy(pem)
        );
    }
    // No root at all.
    assert!(matches!(
        HyperTransport::builder()
            .web_pki_roots(false)
            .native_roots(false)
            .build(),
        Err(Error::Config(_))
    ));
}

/// Run by `a_ca_named_by_ssl_cert_file_is_trusted` in a child process with `SSL_CERT_FILE`
/// (or not) and the server's URL; prints the outcome of one fetch (ignored in a normal run;
/// it returns at once without its environment variable).
#[test]
#[ignore = "the child process of a_ca_named_by_ssl_cert_file_is_trusted; run by it"]
fn ssl_cert_file_child() {
    let Ok(url) = std::env::var(URL_ENV) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcome = rt.block_on(async {
        let t = HyperTransport::builder()
            .address_policy(loopback())
            .build()
            .unwrap();
        match t.send(get(&url), &opts()).await {
            Ok(resp) => format!(
                "ok {} {}",
                resp.status(),
                String::from_utf8_lossy(resp.body())
            ),
            Err(e) if e.is_transport(TransportErrorKind::Connect) => "connect error".to_owned(),
            Err(e) => format!("other error {e}"),
        }
    });
    println!("@@ {outcome}");
}

/// Runs `ssl_cert_file_child` with `env` (and without any `SSL_CERT_*` of this process); its
/// `@@` line. Bounded to 60 s; the child is killed when dropped.
async fn child_outcome(url: &str, env: &[(&str, &std::path::Path)]) -> String {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = tokio::process::Command::new(exe);
    cmd.args([
        "transport_roots::ssl_cert_file_child",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(URL_ENV, url)
    .env_remove("SSL_CERT_FILE")
    .env_remove("SSL_CERT_DIR")
    .stdin(std::process::Stdio::null())
    .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("the child finishes within 60 s")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.split_once("@@ ").map(|(_, outcome)| outcome))
        .unwrap_or_else(|| panic!("no outcome line in {stdout}"))
        .to_owned()
}

#[tokio::test]
async fn a_ca_named_by_ssl_cert_file_is_trusted() {
    let pki = test_pki();
    let server = serve_tls(pki.acceptor).await;
    let url = format!("https://{}/users/alice", server.addr);
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("federation-ca.pem");
    std::fs::write(&ca_file, &pki.ca_pem).unwrap();
    let other_file = dir.path().join("other-ca.pem");
    std::fs::write(&other_file, test_pki().ca_pem).unwrap();

    // The system's store alone does not know the test CA.
    assert_eq!(child_outcome(&url, &[]).await, "connect error");
    // SSL_CERT_FILE naming it: trusted, with no change to the program.
    assert_eq!(
        child_outcome(&url, &[("SSL_CERT_FILE", &ca_file)]).await,
        "ok 200 OK trusted"
    );
    // SSL_CERT_DIR with the file in it: trusted too.
    assert_eq!(
        child_outcome(&url, &[("SSL_CERT_DIR", dir.path())]).await,
        "ok 200 OK trusted"
    );
    // SSL_CERT_FILE naming another CA: refused.
    assert_eq!(
        child_outcome(&url, &[("SSL_CERT_FILE", &other_file)]).await,
        "connect error"
    );
}
