//! `woolly serve`: runs the instance. Also the configuration flags every server subcommand
//! shares, and opening the data directory.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use activitypub_core::engine::transport::hyper::HyperTransport;
use activitypub_core::engine::{AddressPolicy, IpNet, Shutdown};
use clap::Args;
use fedi_storage::sled::{JournalQueues, SledConfig, SledStore};
use fedi_storage::{Store, WriteBatch};

use super::background::{did_work, repeat, OnStop};
use crate::app::App;
use crate::config::Config;
use crate::error::Error;
use crate::http::admin::{self, AdminEndpoint};
use crate::http::Router;

/// `--config` and `--data-dir`, taken by every subcommand that opens the instance.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// A TOML configuration file (also `WOOLLY_CONFIG`; the flag wins).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The data directory (default `./woolly-data`; also `WOOLLY_DATA_DIR`).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// The flags of `woolly serve`.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// Configuration file and data directory.
    #[command(flatten)]
    pub common: ConfigArgs,
    /// Where to listen (default `127.0.0.1:8080`; also `WOOLLY_BIND`).
    #[arg(long, value_name = "ADDR:PORT")]
    pub bind: Option<String>,
    /// The public base URL (default `http://localhost:8080`; also `WOOLLY_BASE_URL`).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The domain in handles (default: the base URL's host and port; also `WOOLLY_DOMAIN`).
    #[arg(long)]
    pub domain: Option<String>,
    /// A private network outgoing requests may reach, e.g. `127.0.0.0/8` (repeatable; also
    /// `WOOLLY_ALLOW_PRIVATE_ADDRESS`, comma-separated).
    #[arg(long, value_name = "CIDR")]
    pub allow_private_address: Vec<String>,
    /// Refuse unsigned GETs of actors and objects (also `WOOLLY_AUTHORIZED_FETCH`).
    #[arg(long)]
    pub authorized_fetch: bool,
    /// A PEM file of extra CA certificates to trust for outgoing https, e.g. a private
    /// federation's CA (also `WOOLLY_EXTRA_CA`); the system's store and `SSL_CERT_FILE` are
    /// trusted anyway.
    #[arg(long, value_name = "PEMFILE")]
    pub extra_ca: Option<PathBuf>,
    /// How far ahead a scheduled status must be, in seconds (default 300; also
    /// `WOOLLY_SCHEDULE_MIN_LEAD_SECONDS`).
    #[arg(long, value_name = "SECONDS")]
    pub schedule_min_lead_seconds: Option<u64>,
}

/// Loads the configuration: defaults, then the file (`--config`, else `WOOLLY_CONFIG` from
/// `env` when set and not empty), then `WOOLLY_*` variables from `env`, then the flags;
/// validated.
pub fn load_config<I>(args: &ServeArgs, env: I) -> Result<Config, Error>
where
    I: IntoIterator<Item = (String, String)>,
{
    let env: Vec<(String, String)> = env.into_iter().collect();
    let file = args.common.config.clone().or_else(|| {
        env.iter()
            .rev()
            .find(|(k, _)| k == "WOOLLY_CONFIG")
            .map(|(_, v)| v)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    });
    let mut config = match &file {
        Some(path) => Config::from_toml_file(path).map_err(|e| Error::Config(e.0))?,
        None => Config::default(),
    };
    config.apply_env(env).map_err(|e| Error::Config(e.0))?;
    if let Some(d) = &args.common.data_dir {
        config.data_dir = d.clone();
    }
    if let Some(b) = &args.bind {
        config.bind = b.clone();
    }
    if let Some(u) = &args.base_url {
        config.base_url = u.clone();
        config.base_url_given = true;
    }
    if let Some(d) = &args.domain {
        config.domain = Some(d.clone());
        config.domain_given = true;
    }
    if !args.allow_private_address.is_empty() {
        config.allow_private_address = args.allow_private_address.clone();
    }
    if args.authorized_fetch {
        config.authorized_fetch = true;
    }
    if let Some(ca) = &args.extra_ca {
        config.extra_ca = Some(ca.clone());
    }
    if let Some(s) = args.schedule_min_lead_seconds {
        config.schedule_min_lead_seconds = s;
    }
    config.validate().map_err(|e| Error::Config(e.0))?;
    Ok(config)
}

/// Opens the store in `data_dir/db`.
pub fn open_store(config: &Config) -> Result<SledStore, Error> {
    std::fs::create_dir_all(&config.data_dir)?;
    let path = config.data_dir.join("db");
    let journal = if config.inbox_journal {
        JournalQueues::Named(vec![activitypub_core::engine::INBOX_QUEUE.to_owned()])
    } else {
        JournalQueues::None
    };
    SledStore::open_with(
        SledConfig::new(&path)
            .cache_capacity(config.cache_mb.max(1).saturating_mul(1 << 20))
            .journal(journal)
            .segment_size(
                usize::try_from(config.sled_segment_kb.saturating_mul(1024)).unwrap_or(usize::MAX),
            ),
    )
    .map_err(|e| {
        Error::Config(format!(
            "cannot open the store in {}: {e} (is another woolly using this data directory?)",
            path.display()
        ))
    })
}

/// The outgoing HTTP client for a configuration: plain `http` only when the base URL is
/// `http`, private addresses only as allowed; `https` trusts the web PKI roots, the system's
/// store (or `SSL_CERT_FILE` / `SSL_CERT_DIR`) and the certificates in `extra_ca`.
pub fn transport(config: &Config) -> Result<HyperTransport, Error> {
    let mut policy = AddressPolicy::public_only();
    for cidr in &config.allow_private_address {
        policy = policy.allowing(IpNet::parse(cidr)?);
    }
    let mut builder = HyperTransport::builder()
        .address_policy(policy)
        .allow_http(config.base_url.starts_with("http://"))
        .user_agent(format!(
            "Woolly/{} (+{}/)",
            env!("CARGO_PKG_VERSION"),
            config.base_url
        ));
    if let Some(path) = &config.extra_ca {
        let pem = std::fs::read(path)
            .map_err(|e| Error::Config(format!("extra_ca {}: {e}", path.display())))?;
        builder = builder.add_root_pem(pem);
    }
    builder.build().map_err(|e| match (&config.extra_ca, e) {
        (Some(path), activitypub_core::Error::Config(m)) => {
            Error::Config(format!("extra_ca {}: {m}", path.display()))
        }
        (_, e) => e.into(),
    })
}

/// Builds the instance on a store, with the default transport, for an admin command or a
/// tool: the data directory is bound to the configuration's base URL only when one was given
/// ([`Config::base_url_given`]); see `bind_base_url`.
pub async fn open_app(config: &Config, store: &SledStore) -> Result<App, Error> {
    open(config, store, config.base_url_given).await
}

/// [`open_app`], binding an unbound data directory to the base URL in any case when `bind`
/// (what `woolly serve` does).
async fn open(config: &Config, store: &SledStore, bind: bool) -> Result<App, Error> {
    let store: Arc<dyn Store> = Arc::new(store.clone());
    let config = bind_base_url(store.as_ref(), config, bind).await?;
    let transport = transport(&config)?;
    let media = crate::media::store::open_media_store(&config).await?;
    App::with_media(config, store, media, Arc::new(transport), None).await
}

/// The `woolly.meta` namespace: what the data directory is bound to.
const META: &str = "woolly.meta";
/// The base URL the data directory is bound to.
const BOUND: &[u8] = b"base_url";
/// The base URL the records of an unbound data directory were made with.
const PROVISIONAL: &[u8] = b"provisional_base_url";

/// The base URL a data directory is bound to, if it is bound.
pub async fn bound_base_url(store: &dyn Store) -> Result<Option<String>, Error> {
    Ok(store
        .kv_get(META, BOUND)
        .await?
        .map(|v| String::from_utf8_lossy(&v).into_owned()))
}

/// A data directory belongs to one base URL (actor IRIs and keys are made from it). It is
/// bound by `woolly serve`, or by an admin command given a base URL; an admin command given
/// none works under the default without binding it (the base URL it used is recorded as
/// provisional), and the records it made move to the base URL the directory is bound to
/// later ([`rebase_local_records`](crate::app::rebase::rebase_local_records)). Once bound, a
/// command given no base URL uses the bound one; one given another is refused. Returns the
/// configuration to open the instance with.
async fn bind_base_url(store: &dyn Store, config: &Config, bind: bool) -> Result<Config, Error> {
    if let Some(bound) = bound_base_url(store).await? {
        if bound == config.base_url {
            return Ok(config.clone());
        }
        if !config.base_url_given {
            let mut adopted = config.clone();
            adopted
                .adopt_base_url(&bound)
                .map_err(|e| Error::Config(e.0))?;
            return Ok(adopted);
        }
        return Err(Error::Config(format!(
            "the data directory {} belongs to {bound}, not {}: give that base URL, or none",
            config.data_dir.display(),
            config.base_url
        )));
    }
    let provisional = store
        .kv_get(META, PROVISIONAL)
        .await?
        .map(|v| String::from_utf8_lossy(&v).into_owned());
    if let Some(from) = provisional.as_deref().filter(|p| *p != config.base_url) {
        let moved = crate::app::rebase::rebase_local_records(store, from, &config.base_url).await?;
        tracing::info!(from, to = %config.base_url, accounts = moved, "local records moved to the base URL");
    }
    let base = config.base_url.as_bytes().to_vec();
    if bind {
        store
            .apply(
                &WriteBatch::new()
                    .kv_put(META, BOUND, base)
                    .kv_delete(META, PROVISIONAL),
            )
            .await?;
    } else if provisional.as_deref() != Some(config.base_url.as_str()) {
        store.kv_put(META, PROVISIONAL, &base).await?;
    }
    Ok(config.clone())
}

/// Runs `woolly serve`; returns the exit code.
pub fn run(args: ServeArgs) -> i32 {
    init_tracing();
    let config = match load_config(&args, std::env::vars()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("woolly: {e}");
            return 2;
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("woolly: cannot start the runtime: {e}");
            return 1;
        }
    };
    match rt.block_on(serve(config)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("woolly: {e}");
            1
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// How long in-flight requests get to finish at shutdown.
const GRACE: Duration = Duration::from_secs(10);

async fn serve(config: Config) -> Result<(), Error> {
    let store = open_store(&config)?;
    let app = open(&config, &store, true).await?;
    // The configuration in force: the data directory's base URL when none was given.
    let config = app.config().clone();
    let listener = tokio::net::TcpListener::bind(&config.bind).await?;
    let local = listener
        .local_addr()
        .map_or_else(|_| config.bind.clone(), |a| a.to_string());
    let admin_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let admin_addr = admin_listener.local_addr()?;
    // Listen for SIGINT / SIGTERM before saying `listening`: a signal sent as soon as the
    // line appears must start a graceful shutdown, not kill the process.
    let mut signals = Signals::listen()?;
    let secret = admin::new_secret();
    admin::write_files(&config.data_dir, &secret, admin_addr)?;

    let shutdown = Shutdown::new();
    let engine = app.engine().clone();
    let engine_shutdown = shutdown.clone();
    let engine_task = tokio::spawn(async move {
        if let Err(e) = engine
            .run(engine_shutdown, Duration::from_millis(250))
            .await
        {
            tracing::error!(error = %e, "the federation engine stopped");
        }
    });

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let sweeper = tokio::spawn(sweep_media(app.clone(), stop_rx.clone()));
    let publisher = tokio::spawn(publish_scheduled(app.clone(), stop_rx.clone()));
    let poll_jobs = tokio::spawn(run_poll_jobs(app.clone(), stop_rx.clone()));
    let moderation_jobs = tokio::spawn(run_moderation_jobs(app.clone(), stop_rx.clone()));
    let export_jobs = tokio::spawn(super::export::run_jobs(app.clone(), stop_rx.clone()));
    let import_jobs = tokio::spawn(crate::cli::import::run_import_jobs(
        app.clone(),
        stop_rx.clone(),
    ));
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let router = Router::new(app.clone());
    let public = crate::http::serve(
        listener,
        move |req, peer| {
            let router = router.clone();
            async move { router.handle_incoming(req, peer).await }
        },
        stopped(stop_rx.clone()),
        GRACE,
    );
    let endpoint = AdminEndpoint::new(app.clone(), secret);
    let admin_server = crate::http::serve(
        admin_listener,
        move |req, peer| {
            let endpoint = endpoint.clone();
            async move { admin_incoming(&endpoint, req, peer).await }
        },
        stopped(stop_rx),
        GRACE,
    );
    println!(
        "woolly listening on http://{local} (base URL {}, handles @user@{}, admin on {admin_addr})",
        config.base_url,
        config.domain()
    );
    tracing::info!(bind = %local, base_url = %config.base_url, "listening");
    let signals = async move {
        let signal = signals.recv().await;
        tracing::info!(
            signal,
            "shutting down: no new connections, finishing requests in flight (signal again to exit now)"
        );
        let _ = stop_tx.send(true);
        // A second signal during the grace period exits at once. Every write the server
        // acknowledged is already on disk (durable writes are flushed before they return),
        // so this only abandons requests still in flight.
        tokio::spawn(async move {
            let again = signals.recv().await;
            tracing::warn!(
                signal = again,
                "second signal: exiting now, without waiting for requests in flight"
            );
            std::process::exit(exit_code(again));
        });
    };
    tokio::join!(public, admin_server, signals);
    let _ = sweeper.await;
    let _ = publisher.await;
    let _ = poll_jobs.await;
    let _ = moderation_jobs.await;
    let _ = export_jobs.await;
    let _ = import_jobs.await;
    shutdown.trigger();
    if tokio::time::timeout(Duration::from_secs(15), engine_task)
        .await
        .is_err()
    {
        tracing::warn!("the federation engine did not stop in time; queued work stays durable");
    }
    admin::remove_files(&config.data_dir);
    store.flush().await?;
    tracing::info!("stopped");
    Ok(())
}

/// How often the poll jobs that are due are looked for.
const POLL_JOBS_EVERY: Duration = Duration::from_millis(500);

/// Runs the durable poll jobs (result updates, closings: [`App::run_poll_jobs`]) as they fall
/// due, until `stop` turns true.
async fn run_poll_jobs(app: App, stop: tokio::sync::watch::Receiver<bool>) {
    repeat(POLL_JOBS_EVERY, stop, OnStop::Finish, || async {
        did_work("poll jobs", app.run_poll_jobs(100).await)
    })
    .await;
}

/// How often moderation jobs that are due are looked for.
const MODERATION_JOBS_EVERY: Duration = Duration::from_secs(60);

/// Runs the durable moderation jobs (the deletion of the data of accounts suspended 30 days
/// ago: [`App::run_moderation_jobs`]) as they fall due, until `stop` turns true.
async fn run_moderation_jobs(app: App, stop: tokio::sync::watch::Receiver<bool>) {
    repeat(MODERATION_JOBS_EVERY, stop, OnStop::Finish, || async {
        did_work("moderation jobs", app.run_moderation_jobs(10).await)
    })
    .await;
}

/// How often unattached uploads older than a day are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);

/// Sweeps unattached uploads older than a day ([`App::sweep_unattached_media`]) and cached
/// remote media past `media_cache_retention_days` ([`App::sweep_media_cache`]) now and every
/// [`SWEEP_EVERY`], until `stop` turns true.
async fn sweep_media(app: App, stop: tokio::sync::watch::Receiver<bool>) {
    repeat(SWEEP_EVERY, stop, OnStop::Finish, || async {
        match app.sweep_unattached_media().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "unattached uploads older than a day removed"),
            Err(e) => tracing::warn!(error = %e, "sweeping unattached uploads failed"),
        }
        match app.sweep_media_cache().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                removed = n,
                "cached remote media past its retention removed"
            ),
            Err(e) => tracing::warn!(error = %e, "sweeping the remote media cache failed"),
        }
        // Once per period, whatever was removed.
        false
    })
    .await;
}

/// How often the scheduled statuses that are due are looked for.
const PUBLISH_EVERY: Duration = Duration::from_secs(1);

/// Posts the scheduled statuses that are due ([`App::publish_due_scheduled`]) now and every
/// [`PUBLISH_EVERY`], until `stop` turns true. What was due while the server was stopped is
/// posted at the first run.
async fn publish_scheduled(app: App, stop: tokio::sync::watch::Receiver<bool>) {
    repeat(PUBLISH_EVERY, stop, OnStop::Finish, || async {
        match app.publish_due_scheduled().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(posted = n, "scheduled statuses posted"),
            Err(e) => tracing::warn!(error = %e, "posting scheduled statuses failed"),
        }
        false
    })
    .await;
}

async fn admin_incoming(
    endpoint: &AdminEndpoint,
    req: http::Request<hyper::body::Incoming>,
    peer: std::net::SocketAddr,
) -> http::Response<crate::http::Body> {
    use http_body_util::{BodyExt, Limited};
    let (parts, body) = req.into_parts();
    // 4 MiB: an import file (at most 2 MiB, `app::import::parse::MAX_BYTES`) in base64.
    let bytes = match Limited::new(body, 4 << 20).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => bytes::Bytes::new(),
    };
    crate::http::boxed(
        endpoint
            .handle(http::Request::from_parts(parts, bytes), peer)
            .await,
    )
}

/// The exit status after a second signal: 128 + the signal's number, as a shell reports a
/// process killed by it (130 for SIGINT, 143 for SIGTERM).
fn exit_code(signal: &str) -> i32 {
    match signal {
        "SIGTERM" => 143,
        _ => 130,
    }
}

/// The signals that stop the server: SIGINT (Ctrl-C) and SIGTERM on Unix, Ctrl-C elsewhere.
/// Handlers are installed by [`Signals::listen`], so a signal arriving before
/// [`Signals::recv`] is polled is kept, not handled by the default action.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn listen() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    #[cfg(not(unix))]
    fn listen() -> std::io::Result<Signals> {
        Ok(Signals {})
    }

    /// Waits for the first signal; its name.
    #[cfg(unix)]
    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }

    #[cfg(not(unix))]
    async fn recv(&mut self) -> &'static str {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
