//! [`PostgresConfig`]: where the database is, how many connections, TLS, and the queues'
//! per-lane limits; [`PostgresConfig::connect`] opens a [`PostgresStore`].

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use fedi_storage::{Error, Result};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::pg_error;
use crate::schema::{self, MigrationReport};
use crate::store::{Inner, PostgresStore};

/// How to open a [`PostgresStore`].
///
/// The database is named by a connection string, either a URL
/// (`postgres://user:password@host:5432/woolly?sslmode=require`) or `key=value` pairs, as
/// `libpq` and `tokio-postgres` read them. TLS is rustls: `sslmode=disable` connects in
/// plain TCP (a loopback test cluster), `prefer` (the default) uses TLS when the server
/// offers it, `require` refuses a server without it; server certificates are checked
/// against the Web PKI roots plus any given with [`PostgresConfig::root_certificates_pem`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PostgresConfig {
    /// The connection string.
    pub url: String,
    /// The most connections the pool opens (default 16).
    pub pool_size: usize,
    /// How long to wait for a connection to open (default 10 s).
    pub connect_timeout: Duration,
    /// Whether [`PostgresConfig::connect`] applies pending schema migrations (default
    /// `true`). With `false` it refuses a database whose schema is not current.
    pub migrate: bool,
    /// Per-lane limits by queue name: at most this many unexpired leases per lane at once,
    /// counted in the database, so the limit holds across every store and process on it.
    pub lane_limits: BTreeMap<String, u32>,
    /// Extra trusted root certificates (DER), for a private certificate authority.
    pub root_certificates: Vec<CertificateDer<'static>>,
}

impl PostgresConfig {
    /// The defaults, for the database at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        PostgresConfig {
            url: url.into(),
            pool_size: 16,
            connect_timeout: Duration::from_secs(10),
            migrate: true,
            lane_limits: BTreeMap::new(),
            root_certificates: Vec::new(),
        }
    }

    /// Sets the pool size (at least 1).
    pub fn pool_size(mut self, n: usize) -> Self {
        self.pool_size = n.max(1);
        self
    }

    /// Sets whether to migrate at connect.
    pub fn migrate(mut self, yes: bool) -> Self {
        self.migrate = yes;
        self
    }

    /// Limits the unexpired leases of each lane of `queue` to `limit` (at least 1), across
    /// every store on the database (the per-host limit of deliveries).
    pub fn lane_limit(mut self, queue: impl Into<String>, limit: u32) -> Self {
        self.lane_limits.insert(queue.into(), limit.max(1));
        self
    }

    /// Trusts the certificates of a PEM bundle as roots too.
    pub fn root_certificates_pem(mut self, pem: &[u8]) -> Result<Self> {
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert =
                cert.map_err(|e| Error::InvalidArgument(format!("bad PEM certificate: {e}")))?;
            self.root_certificates.push(cert);
        }
        Ok(self)
    }

    /// The parsed connection settings (with this config's connect timeout, and the
    /// application name `woolly` unless the string names one).
    pub(crate) fn pg_config(&self) -> Result<tokio_postgres::Config> {
        let mut pg = tokio_postgres::Config::from_str(&self.url)
            .map_err(|e| Error::Open(format!("bad database URL: {e}")))?;
        pg.connect_timeout(self.connect_timeout);
        if pg.get_application_name().is_none() {
            pg.application_name("woolly");
        }
        Ok(pg)
    }

    /// The TLS connector.
    pub(crate) fn tls(&self) -> Result<MakeRustlsConnect> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in &self.root_certificates {
            roots
                .add(cert.clone())
                .map_err(|e| Error::Open(format!("bad root certificate: {e}")))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Open(format!("TLS: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(MakeRustlsConnect::new(config))
    }

    /// Opens a dedicated connection (not from a pool), driving it on a task of its own.
    pub(crate) async fn connect_one(&self) -> Result<tokio_postgres::Client> {
        let (client, conn) = self
            .pg_config()?
            .connect(self.tls()?)
            .await
            .map_err(|e| Error::Open(format!("cannot connect: {}", pg_error(&e))))?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "postgres connection ended");
            }
        });
        Ok(client)
    }

    /// Applies pending migrations (see [`crate::schema`]) and reports the versions.
    pub async fn run_migrations(&self) -> Result<MigrationReport> {
        let mut client = self.connect_one().await?;
        Ok(schema::migrate(&mut client).await?)
    }

    /// Connects: migrates the schema (unless turned off), then opens the pool lazily
    /// (connections are made as they are needed, up to [`PostgresConfig::pool_size`]).
    pub async fn connect(self) -> Result<PostgresStore> {
        if self.migrate {
            self.run_migrations().await?;
        } else {
            let client = self.connect_one().await?;
            let exists: bool = client
                .query_one("SELECT to_regclass('fedi_schema_version') IS NOT NULL", &[])
                .await
                .map_err(|e| pg_error(&e))?
                .get(0);
            let version = if exists {
                schema::current_version(&client).await?
            } else {
                0
            };
            if version != schema::SCHEMA_VERSION {
                return Err(Error::Open(format!(
                    "the database schema is at version {version}, this build needs {}; \
                     run the migrations",
                    schema::SCHEMA_VERSION
                )));
            }
        }
        let manager = Manager::from_config(
            self.pg_config()?,
            self.tls()?,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(self.pool_size)
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(self.connect_timeout))
            .wait_timeout(Some(Duration::from_secs(60)))
            .build()
            .map_err(|e| Error::Open(format!("connection pool: {e}")))?;
        Ok(PostgresStore::from_inner(Inner::new(pool, self)))
    }
}
