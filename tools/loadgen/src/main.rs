//! The `woolly-loadgen` command line (see the library docs).

mod cli_media;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use woolly_loadgen::actors::{self, ActorServer};
use woolly_loadgen::client::{get, Conn, Target};
use woolly_loadgen::inbox::{self, Delivery};
use woolly_loadgen::load::{closed_loop, RunReport};
use woolly_loadgen::rss::{Memory, Sampler};
use woolly_loadgen::stats::fmt_duration;
use woolly_loadgen::{home, seed, startup, Error, Result};

/// Load generator and measurements for Woolly's reference server.
#[derive(Debug, Parser)]
#[command(name = "woolly-loadgen", version, about)]
struct Cli {
    /// Worker threads of the load generator's own runtime.
    #[arg(long, global = true, default_value_t = 1)]
    threads: usize,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Signed Create(Note) deliveries to the shared inbox `/inbox`.
    Inbox(InboxArgs),
    /// `GET /api/v1/timelines/home?limit=40` with a bearer token.
    Timeline(TimelineArgs),
    /// Inbox deliveries and home-timeline reads at once, sampling the server's memory.
    Mixed(MixedArgs),
    /// Where a data directory's bytes go (files by part; with `--census`, the server stopped,
    /// sled's records by keyspace).
    Disk {
        /// The data directory.
        #[arg(long)]
        data_dir: PathBuf,
        /// Also count sled's records by keyspace (opens the store: stop the server first).
        #[arg(long)]
        census: bool,
    },
    /// Resident memory of a process (VmRSS, VmHWM).
    Rss {
        /// The process id.
        #[arg(long)]
        pid: u32,
    },
    /// Fills a data directory with statuses and follows (server stopped).
    Seed(SeedArgs),
    /// The home timeline in process, on a data directory (server stopped).
    Home(HomeArgs),
    /// Starts `woolly serve`, times the first answer, reads idle memory, stops it.
    Startup(StartupArgs),
    /// Uploads 12-megapixel JPEGs and 4K PNGs (`POST /api/v2/media`), times each until
    /// ready, and samples the server's memory during and after.
    MediaUpload(cli_media::MediaUploadArgs),
    /// `GET /media/KEY` in a closed loop, then the same file read from disk as often.
    MediaServe(cli_media::MediaServeArgs),
}

#[derive(Debug, Args)]
struct InboxOpts {
    /// The server, `http://HOST:PORT`.
    #[arg(long)]
    target: String,
    /// Remote actors (each with its own RSA-2048 key).
    #[arg(long, default_value_t = 16)]
    actors: usize,
    /// Where the actor documents are served.
    #[arg(long, default_value = "127.0.0.9:0")]
    actor_bind: String,
}

#[derive(Debug, Args)]
struct InboxArgs {
    #[command(flatten)]
    opts: InboxOpts,
    /// Deliveries timed.
    #[arg(long, default_value_t = 10_000)]
    requests: usize,
    /// Keep-alive connections.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// The server's process id, to report its memory before and after.
    #[arg(long)]
    pid: Option<u32>,
}

#[derive(Debug, Args)]
struct TimelineArgs {
    /// The server, `http://HOST:PORT`.
    #[arg(long)]
    target: String,
    /// A bearer token (`woolly token create NAME`).
    #[arg(long, allow_hyphen_values = true)]
    token: String,
    /// Requests timed.
    #[arg(long, default_value_t = 10_000)]
    requests: u64,
    /// Keep-alive connections.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Untimed requests first.
    #[arg(long, default_value_t = 200)]
    warmup: u64,
    /// Page size.
    #[arg(long, default_value_t = 40)]
    limit: usize,
}

#[derive(Debug, Args)]
struct MixedArgs {
    #[command(flatten)]
    opts: InboxOpts,
    /// A bearer token for the timeline reads.
    #[arg(long, allow_hyphen_values = true)]
    token: String,
    /// The server's process id (memory is sampled).
    #[arg(long)]
    pid: u32,
    /// Inbox deliveries (the run lasts until they are all answered).
    #[arg(long, default_value_t = 30_000)]
    requests: usize,
    /// Inbox connections.
    #[arg(long, default_value_t = 16)]
    inbox_concurrency: usize,
    /// Timeline connections.
    #[arg(long, default_value_t = 4)]
    timeline_concurrency: usize,
    /// Memory sampling interval, ms.
    #[arg(long, default_value_t = 100)]
    sample_ms: u64,
}

#[derive(Debug, Args)]
struct SeedArgs {
    /// The data directory.
    #[arg(long)]
    data_dir: PathBuf,
    /// The base URL the server will run with.
    #[arg(long)]
    base_url: String,
    /// Statuses.
    #[arg(long)]
    statuses: u64,
    /// Remote accounts followed by the local account.
    #[arg(long, default_value_t = 1000)]
    follows: u64,
    /// The local account.
    #[arg(long, default_value = "bench")]
    username: String,
    /// Statuses per write batch.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Every status with a poll, a custom emoji and a preview card.
    #[arg(long)]
    rich: bool,
    /// The statuses are the local account's own (unlisted): an account with a large outbox
    /// (the archive export benchmark).
    #[arg(long)]
    own: bool,
}

#[derive(Debug, Args)]
struct HomeArgs {
    /// The data directory.
    #[arg(long)]
    data_dir: PathBuf,
    /// The base URL it was seeded with.
    #[arg(long)]
    base_url: String,
    /// The local account.
    #[arg(long, default_value = "bench")]
    username: String,
    /// Pages timed.
    #[arg(long, default_value_t = 10_000)]
    requests: u64,
    /// Untimed pages first.
    #[arg(long, default_value_t = 200)]
    warmup: u64,
    /// Page size.
    #[arg(long, default_value_t = 40)]
    limit: usize,
    /// Also time the whole client-API answer (`GET /api/v1/timelines/home`: page, batch
    /// load of the entities, JSON), in process.
    #[arg(long)]
    api: bool,
    /// With `--api`: give the account this many active filters of 10 keywords each (home
    /// context) for the API run, removed afterwards (issue #18: 20 filters).
    #[arg(long, default_value_t = 0)]
    filters: usize,
}

#[derive(Debug, Args)]
struct StartupArgs {
    /// The `woolly` binary.
    #[arg(long)]
    woolly: PathBuf,
    /// Where it will answer, `http://HOST:PORT` (pass the same as `--bind`).
    #[arg(long)]
    target: String,
    /// The path polled.
    #[arg(long, default_value = "/api/v1/instance")]
    path: String,
    /// Longest wait for the first answer, seconds.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
    /// Idle time before reading memory, seconds.
    #[arg(long, default_value_t = 5)]
    idle: u64,
    /// The server's log file.
    #[arg(long)]
    log: PathBuf,
    /// Arguments after `woolly serve` (after `--`).
    #[arg(last = true)]
    args: Vec<String>,
}

fn main() {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.threads.max(1))
        .enable_all()
        .build();
    let rt = match rt {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("woolly-loadgen: {e}");
            std::process::exit(1);
        }
    };
    let code = match rt.block_on(run(cli.command)) {
        Ok(true) => 0,
        Ok(false) => 3,
        Err(e) => {
            eprintln!("woolly-loadgen: {e}");
            if e.is_usage() {
                2
            } else {
                1
            }
        }
    };
    std::process::exit(code);
}

/// Runs a command; `Ok(false)` when it ran but a check failed (non-2xx answers).
async fn run(cmd: Cmd) -> Result<bool> {
    match cmd {
        Cmd::Inbox(a) => cmd_inbox(a).await,
        Cmd::Timeline(a) => cmd_timeline(a).await,
        Cmd::Mixed(a) => cmd_mixed(a).await,
        Cmd::MediaUpload(a) => cli_media::cmd_media_upload(a).await,
        Cmd::MediaServe(a) => cli_media::cmd_media_serve(a).await,
        Cmd::Disk { data_dir, census } => {
            woolly_loadgen::disk::report(&data_dir, census)?;
            Ok(true)
        }
        Cmd::Rss { pid } => {
            println!("pid {pid}: {}", Memory::of_pid(pid)?.summary());
            Ok(true)
        }
        Cmd::Seed(a) => {
            let mut o = seed::SeedOptions::new(&a.data_dir, &a.base_url, a.statuses, a.follows);
            o.username = a.username;
            o.batch = a.batch;
            o.rich = a.rich;
            o.own = a.own;
            let r = seed::seed(&o).await?;
            println!(
                "seeded {} statuses from {} followed accounts into the home of account {} in {} ({:.1} s); sled size on disk {:.0} MiB",
                r.statuses,
                r.follows,
                r.account_id,
                fmt_duration(r.elapsed),
                r.elapsed.as_secs_f64(),
                r.disk_bytes as f64 / (1 << 20) as f64
            );
            Ok(true)
        }
        Cmd::Home(a) => {
            let r = home::home_in_process(
                a.data_dir,
                &a.base_url,
                &a.username,
                a.limit,
                a.warmup,
                a.requests,
                a.api.then_some(a.filters),
            )
            .await?;
            println!(
                "home timeline in process: {} items in the collection, {} statuses per page",
                r.collection_len, r.page_len
            );
            println!(
                "statuses_page(limit {}): {}",
                a.limit,
                r.latencies.summary()
            );
            if let Some(l) = &r.api_latencies {
                println!(
                    "GET /api/v1/timelines/home?limit={} in process ({} bytes): {}",
                    a.limit,
                    r.api_body_len,
                    l.summary()
                );
            }
            for (n, c, by_method) in &r.api_store_calls {
                let methods: Vec<String> =
                    by_method.iter().map(|(m, k)| format!("{m} {k}")).collect();
                println!(
                    "GET /api/v1/timelines/home?limit={n}: {} store calls ({} reads, {} writes), {} records read: {}",
                    c.calls,
                    c.reads,
                    c.writes,
                    c.records_read,
                    methods.join(", ")
                );
            }
            Ok(r.page_len == a.limit)
        }
        Cmd::Startup(a) => {
            let target = Target::parse(&a.target).await?;
            let mut o = startup::StartupOptions::new(a.woolly, target, a.log);
            o.args = a.args;
            o.path = a.path;
            o.timeout = Duration::from_secs(a.timeout);
            o.idle = Duration::from_secs(a.idle);
            let r = startup::measure(&o).await?;
            println!(
                "start-up: first 2xx from {} after {} ({} connection attempts), pid {}",
                o.path,
                fmt_duration(r.first_response),
                r.attempts,
                r.pid
            );
            println!(
                "memory right after the first answer: {}",
                r.after_first.summary()
            );
            println!(
                "memory after {} s idle: {}",
                o.idle.as_secs(),
                r.idle.summary()
            );
            println!("stopped: {}", r.exit);
            Ok(true)
        }
    }
}

pub(crate) fn print_run(what: &str, r: &RunReport) {
    println!(
        "{what}: {} requests in {} = {:.0} req/s",
        r.statuses.total(),
        fmt_duration(r.elapsed),
        r.rate()
    );
    println!("{what}: status codes {}", r.statuses);
    println!("{what}: latency {}", r.latencies.summary());
    if r.rejected > 0 {
        println!("{what}: {} answers rejected by the check", r.rejected);
    }
    for s in &r.samples {
        println!("{what}: non-2xx or rejected sample {s}");
    }
}

/// Generates the actors, serves their documents, warms the key cache (one delivery per
/// actor), and signs `n` deliveries.
async fn prepare_inbox(
    o: &InboxOpts,
    target: &Target,
    n: usize,
) -> Result<(ActorServer, Arc<Vec<Delivery>>, bool)> {
    let listener = tokio::net::TcpListener::bind(&o.actor_bind).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let t0 = Instant::now();
    let k = o.actors.max(1);
    let b = base.clone();
    let actors = tokio::task::spawn_blocking(move || actors::generate(&b, k))
        .await
        .map_err(|e| Error::Usage(e.to_string()))??;
    println!(
        "{k} actors with RSA-2048 keys generated in {}, served at {base}",
        fmt_duration(t0.elapsed())
    );
    let server = ActorServer::start(listener, &actors)?;
    let run = format!("{}", rand::random::<u32>());
    let actors = Arc::new(actors);

    // Warm the key cache: one delivery per actor.
    let (t, a, r) = (target.clone(), actors.clone(), run.clone());
    let warm = tokio::task::spawn_blocking(move || inbox::prepare(&t, "/inbox", &a, &r, 0, k))
        .await
        .map_err(|e| Error::Usage(e.to_string()))??;
    let warm = Arc::new(warm);
    let w = warm.clone();
    let wr = closed_loop(target, k.min(8), move |i| {
        w.get(i as usize).and_then(|d| d.request().ok())
    })
    .await;
    print_run("warm-up (one per actor)", &wr);
    println!(
        "actor documents fetched by the server: {}",
        server.fetches()
    );

    let t0 = Instant::now();
    let (t, a, r) = (target.clone(), actors.clone(), run.clone());
    let deliveries =
        tokio::task::spawn_blocking(move || inbox::prepare(&t, "/inbox", &a, &r, k as u64, n))
            .await
            .map_err(|e| Error::Usage(e.to_string()))??;
    println!(
        "{n} deliveries signed in {} (run {run}, body {} bytes)",
        fmt_duration(t0.elapsed()),
        deliveries.first().map_or(0, |d| d.body.len())
    );
    Ok((server, Arc::new(deliveries), wr.statuses.all_ok()))
}

async fn cmd_inbox(a: InboxArgs) -> Result<bool> {
    let target = Target::parse(&a.opts.target).await?;
    let (server, deliveries, warm_ok) = prepare_inbox(&a.opts, &target, a.requests).await?;
    if let Some(pid) = a.pid {
        println!("server memory before: {}", Memory::of_pid(pid)?.summary());
    }
    let d = deliveries.clone();
    let r = closed_loop(&target, a.concurrency, move |i| {
        d.get(i as usize).and_then(|d| d.request().ok())
    })
    .await;
    print_run(&format!("inbox ({} connections)", a.concurrency), &r);
    println!(
        "actor documents fetched by the server: {}",
        server.fetches()
    );
    if let Some(pid) = a.pid {
        println!("server memory after: {}", Memory::of_pid(pid)?.summary());
    }
    let ok = warm_ok && r.statuses.all_ok();
    if !ok {
        println!("NOT every delivery was answered 2xx");
    }
    Ok(ok)
}

async fn check_timeline(target: &Target, path: &str, auth: &str) -> Result<usize> {
    let mut c = Conn::connect(target.addr, Duration::from_secs(5)).await?;
    let (s, body) = c
        .send(get(target, path, &[("authorization", auth)])?)
        .await?;
    if !s.is_success() {
        return Err(Error::Unexpected(format!(
            "{path}: {s}: {}",
            String::from_utf8_lossy(&body)
        )));
    }
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    Ok(v.as_array().map_or(0, Vec::len))
}

async fn cmd_timeline(a: TimelineArgs) -> Result<bool> {
    let target = Target::parse(&a.target).await?;
    let path = format!("/api/v1/timelines/home?limit={}", a.limit);
    let auth = format!("Bearer {}", a.token);
    let n = check_timeline(&target, &path, &auth).await?;
    println!("{path}: {n} statuses per page");
    let (t, p, au, w) = (target.clone(), path.clone(), auth.clone(), a.warmup);
    let warm = closed_loop(&target, a.concurrency, move |i| {
        (i < w)
            .then(|| get(&t, &p, &[("authorization", &au)]).ok())
            .flatten()
    })
    .await;
    print_run("timeline warm-up", &warm);
    let (t, requests) = (target.clone(), a.requests);
    let r = closed_loop(&target, a.concurrency, move |i| {
        (i < requests)
            .then(|| get(&t, &path, &[("authorization", &auth)]).ok())
            .flatten()
    })
    .await;
    print_run(
        &format!("home timeline ({} connections)", a.concurrency),
        &r,
    );
    Ok(r.statuses.all_ok())
}

async fn cmd_mixed(a: MixedArgs) -> Result<bool> {
    let target = Target::parse(&a.opts.target).await?;
    let path = "/api/v1/timelines/home?limit=40".to_owned();
    let auth = format!("Bearer {}", a.token);
    let n = check_timeline(&target, &path, &auth).await?;
    println!("{path}: {n} statuses per page");
    let (server, deliveries, warm_ok) = prepare_inbox(&a.opts, &target, a.requests).await?;
    let before = Memory::of_pid(a.pid)?;
    println!("server memory before: {}", before.summary());

    let done = Arc::new(AtomicBool::new(false));
    let sampler = Sampler::start(a.pid, Duration::from_millis(a.sample_ms));
    let d = deliveries.clone();
    let inbox_target = target.clone();
    let inbox_conc = a.inbox_concurrency;
    let inbox_done = done.clone();
    let inbox_run = async move {
        let r = closed_loop(&inbox_target, inbox_conc, move |i| {
            d.get(i as usize).and_then(|d| d.request().ok())
        })
        .await;
        inbox_done.store(true, Ordering::Relaxed);
        r
    };
    let (t, stop) = (target.clone(), done.clone());
    let timeline_run = closed_loop(&target, a.timeline_concurrency, move |_| {
        (!stop.load(Ordering::Relaxed))
            .then(|| get(&t, &path, &[("authorization", &auth)]).ok())
            .flatten()
    });
    let (ri, rt) = tokio::join!(inbox_run, timeline_run);
    done.store(true, Ordering::Relaxed);
    let sampled = sampler.stop().await;
    let after = Memory::of_pid(a.pid)?;
    print_run(
        &format!("mixed: inbox ({} connections)", a.inbox_concurrency),
        &ri,
    );
    print_run(
        &format!(
            "mixed: home timeline ({} connections)",
            a.timeline_concurrency
        ),
        &rt,
    );
    println!(
        "actor documents fetched by the server: {}",
        server.fetches()
    );
    println!(
        "server memory: peak sampled VmRSS {:.1} MiB over {} samples; after: {}",
        sampled.peak_rss_kib.max(before.rss_kib) as f64 / 1024.0,
        sampled.samples,
        after.summary()
    );
    Ok(warm_ok && ri.statuses.all_ok() && rt.statuses.all_ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Bearer tokens are base64url and may begin with `-`: `--token -Ox…` is a value, not an
    /// option.
    #[test]
    fn tokens_may_begin_with_a_hyphen() {
        let parse = |args: &[&str]| Cli::try_parse_from(args).map(|c| c.command);
        let t = "-Oq3x_Z9";
        let base = ["woolly-loadgen"];
        let cmds: [&[&str]; 4] = [
            &["timeline", "--target", "http://h:1", "--token", t],
            &[
                "mixed",
                "--target",
                "http://h:1",
                "--pid",
                "1",
                "--token",
                t,
            ],
            &[
                "media-upload",
                "--target",
                "http://h:1",
                "--pid",
                "1",
                "--token",
                t,
            ],
            &["media-serve", "--target", "http://h:1", "--upload-token", t],
        ];
        for c in cmds {
            let args: Vec<&str> = base.iter().chain(c).copied().collect();
            let cmd = parse(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            assert!(format!("{cmd:?}").contains(t), "{cmd:?}");
        }
        // An option still cannot go without its value.
        assert!(parse(&[
            "woolly-loadgen",
            "timeline",
            "--target",
            "http://h:1",
            "--token"
        ])
        .is_err());
    }
}
