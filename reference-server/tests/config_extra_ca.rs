//! `extra_ca`: a PEM file of CA certificates the server's outgoing https trusts, for a
//! private federation. Set by the TOML key, `WOOLLY_EXTRA_CA` or `woolly serve --extra-ca`;
//! the transport the server builds from the configuration trusts a TLS server on 127.0.0.1
//! whose certificate that CA signed, and refuses it without.

#![allow(clippy::unwrap_used)]

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use activitypub_core::engine::transport::{SendOptions, Transport, TransportErrorKind};
use bytes::Bytes;
use clap::Parser;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use reference_server::cli::serve::{load_config, transport, ConfigArgs, ServeArgs};
use reference_server::cli::{Cli, Command};
use reference_server::config::Config;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A CA (PEM) and a TLS acceptor whose certificate for 127.0.0.1 it signed.
fn test_pki() -> (String, tokio_rustls::TlsAcceptor) {
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
    (ca.pem(), tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// An HTTPS server on 127.0.0.1 answering `200 hello`; its address. Stops with the runtime.
async fn serve_tls(acceptor: tokio_rustls::TlsAcceptor) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
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
                        b"hello",
                    ))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    addr
}

/// `woolly serve` flags for a loopback test with `extra_ca`.
fn serve_args(extra_ca: Option<&Path>) -> ServeArgs {
    ServeArgs {
        allow_private_address: vec!["127.0.0.0/8".into()],
        extra_ca: extra_ca.map(Path::to_path_buf),
        ..ServeArgs::default()
    }
}

async fn get(config: &Config, url: &str) -> Result<http::Response<Bytes>, activitypub_core::Error> {
    let t = transport(config).unwrap();
    let req = http::Request::get(url).body(Bytes::new()).unwrap();
    t.send(req, &SendOptions::new(Duration::from_secs(10), 1 << 20))
        .await
}

#[tokio::test]
async fn the_server_transport_trusts_the_extra_ca() {
    let (ca_pem, acceptor) = test_pki();
    let addr = serve_tls(acceptor).await;
    let url = format!("https://{addr}/users/alice");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("federation-ca.pem");
    std::fs::write(&ca_file, &ca_pem).unwrap();

    // Without extra_ca: refused (the CA is in neither the web PKI nor the system's store).
    let config = load_config(&serve_args(None), env(&[])).unwrap();
    assert_eq!(config.extra_ca, None);
    let err = get(&config, &url).await.unwrap_err();
    assert!(err.is_transport(TransportErrorKind::Connect), "{err}");

    // By flag, by environment and by the TOML file: trusted.
    let toml = dir.path().join("woolly.toml");
    std::fs::write(
        &toml,
        format!(
            "extra_ca = \"{}\"\n",
            ca_file.display().to_string().replace('\\', "\\\\")
        ),
    )
    .unwrap();
    let ca_text = ca_file.display().to_string();
    let from_file = ServeArgs {
        common: ConfigArgs {
            config: Some(toml),
            data_dir: None,
        },
        ..serve_args(None)
    };
    for (args, vars) in [
        (serve_args(Some(&ca_file)), env(&[])),
        (serve_args(None), env(&[("WOOLLY_EXTRA_CA", &ca_text)])),
        (from_file, env(&[])),
    ] {
        let config = load_config(&args, vars).unwrap();
        assert_eq!(config.extra_ca.as_deref(), Some(ca_file.as_path()));
        let resp = get(&config, &url).await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.body().as_ref(), b"hello");
    }
}

#[test]
fn extra_ca_sources_layer_and_bad_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("woolly.toml");
    std::fs::write(&toml, "extra_ca = \"from-file.pem\"\n").unwrap();
    let mut args = ServeArgs {
        common: ConfigArgs {
            config: Some(toml),
            data_dir: None,
        },
        ..ServeArgs::default()
    };
    let c = load_config(&args, env(&[])).unwrap();
    assert_eq!(c.extra_ca, Some(PathBuf::from("from-file.pem")));
    let c = load_config(&args, env(&[("WOOLLY_EXTRA_CA", "from-env.pem")])).unwrap();
    assert_eq!(c.extra_ca, Some(PathBuf::from("from-env.pem")));
    // An empty variable unsets it.
    let c = load_config(&args, env(&[("WOOLLY_EXTRA_CA", "")])).unwrap();
    assert_eq!(c.extra_ca, None);
    args.extra_ca = Some(PathBuf::from("from-flag.pem"));
    let c = load_config(&args, env(&[("WOOLLY_EXTRA_CA", "from-env.pem")])).unwrap();
    assert_eq!(c.extra_ca, Some(PathBuf::from("from-flag.pem")));

    // `woolly serve --extra-ca FILE` on the command line.
    let cli = Cli::try_parse_from(["woolly", "serve", "--extra-ca", "ca.pem"]).unwrap();
    let Command::Serve(serve) = cli.command else {
        panic!("not serve");
    };
    assert_eq!(serve.extra_ca, Some(PathBuf::from("ca.pem")));

    // A missing file, and a file without a certificate: configuration errors naming it.
    let missing = dir.path().join("missing-ca.pem");
    let junk = dir.path().join("junk-ca.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    for path in [&missing, &junk] {
        let config = load_config(&serve_args(Some(path)), env(&[])).unwrap();
        let err = transport(&config).unwrap_err().to_string();
        assert!(err.starts_with("configuration: extra_ca "), "{err}");
        assert!(err.contains(&path.display().to_string()), "{err}");
    }
}
